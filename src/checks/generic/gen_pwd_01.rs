//! GEN-PWD-01 — Mot de passe de compte générique non changé après un départ.
//!
//! ### What it does
//! Flags every enabled generic account whose password was last changed
//! (`lastPasswordChangeDateTime`, as a day in the establishment's time zone) before the latest
//! departure recorded for it in the register, or more than
//! `generiques.age_max_mot_de_passe_jours` days before the evaluation. A missing date counts
//! as never changed.
//!
//! ### Why
//! The orientation asks to keep a register of who uses each generic account and to change its
//! password when a person who had access leaves: otherwise whoever left can still sign in.
//! The maximum age goes beyond the text (it names departures only): a good practice for an
//! account whose register may miss a departure, and the reference says so.
//!
//! ### Must not fire
//! No register entry and an age within the maximum; a password changed on or after the
//! departure day; a departure still to come (a date after the evaluation day); disabled
//! accounts; guests.

use chrono::NaiveDate;

use crate::checks::common::{bounded, subject_upn};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::{Class, RegisterRow};
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "GEN-PWD-01",
    family: Family::Generiques,
    kind: Kind::State,
    severity: Severity::Moyenne,
    title_fr: "Mot de passe de compte générique non changé après un départ",
    reference: "Orientation abonnements génériques CHSLD, recommandations organisationnelles \
                (mots de passe changés aux départs) ; âge maximal : bonne pratique, au-delà du texte",
    doc: "Compte générique actif dont le mot de passe a été changé avant le dernier départ inscrit au \
          répertoire, ou il y a plus de generiques.age_max_mot_de_passe_jours jours (jamais changé \
          compris). Ne vise pas un compte sans départ dont le mot de passe est assez récent.",
    fix_fr: "changer le mot de passe (centre d'administration Microsoft 365 > Utilisateurs > \
          Utilisateurs actifs > le compte > Réinitialiser le mot de passe), le remettre aux seules \
          personnes inscrites au répertoire, puis fermer les sessions ouvertes : \
          Revoke-MgUserSignInSession -UserId <upn>.",
    needs: &["users"],
    tags: &[Tag::ByAccountClass],
    requirements: &[&req::ORI_ORG_03],
    run,
};

/// The latest departure on or before `today` recorded for `upn`.
fn latest_departure<'a>(s: &'a Snapshot, upn: &str, today: NaiveDate) -> Option<&'a RegisterRow> {
    s.register
        .as_ref()?
        .rows
        .iter()
        .filter(|r| r.compte.eq_ignore_ascii_case(upn.trim()))
        .filter(|r| r.depart.is_some_and(|d| d <= today))
        .max_by_key(|r| r.depart)
}

pub fn run(s: &Snapshot, config: &Config) -> Vec<Finding> {
    let tz = config.evaluation.timezone;
    let today = s.as_of.with_timezone(&tz).date_naive();
    let max_days = config.generic.max_password_age_days;
    let max_age = chrono::Duration::days(i64::from(max_days));
    s.classified()
        .filter(|(_, c)| c.class == Class::Generique && c.active_member())
        .filter_map(|(a, c)| {
            let changed = a.last_password_change;
            let changed_day = changed.map(|t| t.with_timezone(&tz).date_naive());
            let departure = latest_departure(s, &a.upn, today);
            let mut reasons = Vec::new();
            if let Some(row) = departure
                && let Some(dep) = row.depart
                && changed_day.is_none_or(|d| d < dep)
            {
                reasons.push(format!(
                    "départ le plus récent au répertoire : {dep} ({}, site {}, ligne {})",
                    row.utilisateur, row.site, row.line
                ));
            }
            match changed {
                None => reasons.push("jamais changé (aucune date de changement)".into()),
                Some(t) if s.as_of - t > max_age => reasons.push(format!(
                    "âge {} jours, au-delà du maximum de {max_days} jours",
                    (s.as_of - t).num_days()
                )),
                Some(_) => {}
            }
            if reasons.is_empty() {
                return None;
            }
            let last = changed_day.map_or_else(|| "aucun".to_string(), |d| d.to_string());
            Some(Finding::new(
                CHECK.id,
                subject_upn(&a.upn),
                CHECK.severity,
                c.population,
                bounded(format!(
                    "« {} » : dernier changement du mot de passe (lastPasswordChangeDateTime) : \
                     {last} ; {}",
                    a.display_name,
                    reasons.join(" ; ")
                )),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;
    use crate::classify::Register;
    use chrono::{TimeZone, Utc};

    fn at(y: i32, m: u32, d: u32, h: u32) -> Option<chrono::DateTime<Utc>> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single()
    }

    fn register(csv: &str) -> Option<Register> {
        let text = format!("compte;site;utilisateur;arrivee;depart\n{csv}");
        Some(Register::parse(text.as_bytes(), "r.csv").expect("register"))
    }

    #[test]
    fn fires_when_changed_before_the_latest_departure() {
        let mut t1 = tablet("t1");
        t1.last_password_change = at(2026, 1, 15, 12);
        let mut s = snapshot(vec![t1]);
        s.register = register(
            "t1@cisss-test.ca;Verdun;Inf. A;2025-01-01;2026-01-10\n\
             T1@cisss-test.ca;Verdun;Inf. B;2025-06-01;2026-02-01\n",
        );
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Moyenne);
        assert!(
            f[0].evidence.contains("2026-02-01 (Inf. B"),
            "{}",
            f[0].evidence
        );
        assert!(f[0].evidence.contains("2026-01-15"));
    }

    #[test]
    fn fires_when_too_old_or_never_changed() {
        let mut old = tablet("t1");
        old.last_password_change = at(2025, 3, 1, 12);
        let never = tablet("t22");
        let s = snapshot(vec![old, never]);
        let f = run(&s, &config());
        assert_eq!(f.len(), 2);
        assert!(
            f[0].evidence.contains("au-delà du maximum de 365 jours"),
            "{}",
            f[0].evidence
        );
        assert!(f[1].evidence.contains("jamais changé"));
    }

    #[test]
    fn does_not_fire_when_changed_after_departure_or_departure_to_come() {
        let mut t1 = tablet("t1");
        // 2026-02-01 at 10:00 in Montréal: the departure day itself.
        t1.last_password_change = at(2026, 2, 1, 15);
        let mut t22 = tablet("t22");
        t22.last_password_change = at(2026, 1, 5, 12);
        let mut s = snapshot(vec![t1, t22]);
        s.register = register(
            "t1@cisss-test.ca;Verdun;Inf. A;2025-01-01;2026-02-01\n\
             t22@cisss-test.ca;Verdun;Inf. C;2025-01-01;2026-04-30\n",
        );
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn does_not_fire_without_register_within_the_age_or_when_disabled() {
        let mut recent = tablet("t1");
        recent.last_password_change = at(2026, 1, 1, 12);
        let mut disabled = tablet("t22");
        disabled.enabled = false;
        let mut guest = tablet("t333");
        guest.guest = true;
        let s = snapshot(vec![recent, disabled, guest]);
        assert!(run(&s, &config()).is_empty());
    }
}
