//! APP-MFA-01 — Exemption de MFA non justifiée.
//!
//! ### What it does
//! Flags every enabled member account of class `nominatif` that appears in the exclusions
//! (user, or a group it belongs to, transitively) of at least one enabled conditional access
//! policy requiring MFA, and to which no such policy applies.
//!
//! ### Why
//! The orientation lets the « Appli » type, and only it, be used without MFA, and only for
//! applications; break-glass accounts are excluded on purpose. Any other exclusion of a named
//! person from MFA must be justified — by an exception in the configuration, which keeps the
//! finding listed as accepted.
//!
//! ### Must not fire
//! Accounts still covered by another MFA policy; accounts never excluded (only never included:
//! GEN-MFA-02 covers generic accounts, and a tenant without any policy is not an exemption);
//! « Appli », break-glass and generic accounts; disabled accounts; guests; exclusions from
//! report-only policies or from policies that offer MFA among alternatives (they enforce
//! nothing). Roles are resolved from the role assignments when collected (see
//! [`crate::checks::mfa`]). Per-user MFA `enforced` or `enabled` covers the account, and is
//! named; when it was not read, the evidence says so.

use crate::checks::common::{bounded, subject_upn};
use crate::checks::mfa;
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::Class;
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "APP-MFA-01",
    family: Family::Appli,
    kind: Kind::State,
    severity: Severity::Moyenne,
    title_fr: "Exemption de MFA non justifiée",
    reference: "Bonne pratique : étend aux comptes nominatifs la recommandation MFA de l'orientation abonnements génériques CHSLD",
    doc: "Compte nominatif actif exclu (directement ou par groupe) d'au moins une stratégie active \
          exigeant la MFA et auquel aucune ne s'applique. Ne vise ni les comptes « Appli », ni les \
          comptes d'urgence, ni les comptes génériques (GEN-MFA-02) ; une exception le garde listé \
          comme accepté.",
    fix_fr: "retirer le compte (ou le groupe qui l'exempte) des exclusions de la stratégie : \
          centre d'administration Microsoft Entra > Protection > Accès conditionnel > Stratégies > \
          la stratégie > Utilisateurs > Exclure ; une exemption voulue se déclare en \
          [[exceptions]] avec sa justification, son responsable et son expiration.",
    needs: &["users", "conditional-access-policies", "group-members"],
    tags: &[Tag::ByAccountClass],
    requirements: &[&req::ORI_TEC_04],
    run,
};

pub fn run(s: &Snapshot, _config: &Config) -> Vec<Finding> {
    s.classified()
        .filter(|(_, c)| c.class == Class::Nominatif && c.active_member())
        .filter_map(|(a, c)| {
            let coverage = mfa::coverage(s, &a.id);
            if coverage.is_covered() || !coverage.is_excluded_somewhere() {
                return None;
            }
            Some(Finding::new(
                CHECK.id,
                subject_upn(&a.upn),
                CHECK.severity,
                c.population,
                bounded(format!(
                    "« {} » ({}) exempté de la MFA : {}{}",
                    a.display_name,
                    c.class.label_fr(),
                    coverage.describe(),
                    coverage.role_note()
                )),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    #[test]
    fn fires_for_a_named_account_excluded_everywhere() {
        let mut s = snapshot(vec![
            account("jean", "Jean Tremblay"),
            account("marie", "Marie Roy"),
        ]);
        let mut p = mfa_policy("p1", "MFA pour tous");
        p.exclude_users = vec!["jean".into()];
        p.exclude_groups = vec!["g-sans-mfa".into()];
        s.ca_policies = vec![p];
        add_members(&mut s, "g-sans-mfa", &["marie"]);
        let f = run(&s, &config());
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].severity, Severity::Moyenne);
        assert!(
            f[0].evidence.contains("exclu directement"),
            "{}",
            f[0].evidence
        );
        assert!(f[1].evidence.contains("exclu par le groupe g-sans-mfa"));
    }

    #[test]
    fn per_user_mfa_enforced_covers_an_excluded_named_account() {
        let mut s = snapshot(vec![
            account("jean", "Jean Tremblay"),
            account("marie", "Marie Roy"),
        ]);
        let mut p = mfa_policy("p1", "MFA pour tous");
        p.exclude_users = vec!["jean".into(), "marie".into()];
        s.ca_policies = vec![p];
        s.per_user_mfa = Some(
            [("jean".to_string(), "enforced".to_string())]
                .into_iter()
                .collect(),
        );
        let f = run(&s, &config());
        let subjects: Vec<&str> = f.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(subjects, ["marie@cisss-test.ca"]);
    }

    #[test]
    fn does_not_fire_when_another_policy_applies_or_never_excluded() {
        let mut s = snapshot(vec![
            account("jean", "Jean Tremblay"),
            account("paul", "Paul"),
        ]);
        let mut p1 = mfa_policy("p1", "MFA pour tous");
        p1.exclude_users = vec!["jean".into()];
        p1.include_users = vec!["jean".into()];
        let mut p2 = mfa_policy("p2", "MFA Office");
        p2.include_users = vec!["jean".into()];
        p2.include_applications = vec!["Office365".into()];
        s.ca_policies = vec![p1, p2];
        // jean is excluded from p1 but covered by p2; paul is in no policy at all.
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn does_not_fire_for_appli_break_glass_generic_disabled_or_guest() {
        let mut c = config();
        c.classification.break_glass = vec!["urgence01@cisss-test.ca".into()];
        let mut service = account("svc1", "Billetterie");
        service.employee_type = Some("Appli".into());
        let mut disabled = account("ancien", "Ancien employé");
        disabled.enabled = false;
        let mut guest = account("invite", "Invité");
        guest.guest = true;
        let mut s = snapshot(vec![
            service,
            account("urgence01", "Urgence 01"),
            tablet("t1"),
            disabled,
            guest,
        ]);
        reclassify(&mut s, &c);
        let mut p = mfa_policy("p1", "MFA pour tous");
        p.exclude_users = ["svc1", "urgence01", "t1", "ancien", "invite"]
            .iter()
            .map(|u| u.to_string())
            .collect();
        s.ca_policies = vec![p];
        assert!(run(&s, &c).is_empty());
    }

    #[test]
    fn report_only_policy_exclusions_do_not_count() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        let mut p = mfa_policy("p1", "MFA (rapport seulement)");
        p.state = "enabledForReportingButNotEnforced".into();
        p.exclude_users = vec!["jean".into()];
        s.ca_policies = vec![p];
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn expired_exception_is_said() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        let mut p = mfa_policy("p1", "MFA pour tous");
        p.exclude_users = vec!["jean".into()];
        s.ca_policies = vec![p];
        let c = config_with_exception(CHECK.id, "jean@cisss-test.ca", date(2026, 2, 28));
        let f = evaluated(&s, &c, CHECK.id);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].accepted, None);
        assert_eq!(f[0].exception_expired, Some(date(2026, 2, 28)));
    }
}
