//! GEN-IP-01 — Connexion d'un compte générique hors des adresses IP fixes.
//!
//! ### What it does
//! For every enabled generic account, gathers the ranges that apply to it: those of each
//! `[[generiques.sites]]` whose pattern matches its display name or UPN, the global
//! `generiques.plages_ip`, and the ranges of the trusted named locations. Flags the account
//! when a successful sign-in of the window came from an address outside all of them. When no
//! range applies to the account at all, it says so once, at severity `info` ("aucune IP fixe
//! associée"), whatever its sign-ins.
//!
//! ### Why
//! The orientation recommends tying each generic account to a fixed IP address where the
//! tools allow it: a tablet account used from anywhere else is not the tablet.
//!
//! ### Must not fire
//! Sign-ins inside the ranges; sign-ins without an IP address; failed sign-ins; disabled
//! accounts; guests. (No range configured gives the `info` finding, not `moyenne`.)

use std::net::IpAddr;

use ipnet::IpNet;

use crate::checks::common::{self, bounded, subject_upn, window_signins};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::Class;
use crate::config::Config;
use crate::model::Account;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "GEN-IP-01",
    family: Family::Generiques,
    kind: Kind::Event,
    severity: Severity::Moyenne,
    title_fr: "Connexion d'un compte générique hors des adresses IP fixes",
    reference: "Orientation abonnements génériques CHSLD, recommandations techniques (adresse IP fixe)",
    doc: "Compte générique actif connecté avec succès depuis une adresse hors des plages de son site, \
          de generiques.plages_ip et des emplacements nommés de confiance. Sans aucune plage pour le \
          compte : un constat info « aucune IP fixe associée ». Une connexion sans adresse n'est pas \
          hors plage.",
    fix_fr: "déclarer les plages IP du site dans un emplacement nommé de confiance (centre \
          d'administration Microsoft Entra > Protection > Accès conditionnel > Emplacements nommés \
          > Emplacement des plages IP) et bloquer les comptes génériques hors de ces emplacements \
          par une stratégie d'accès conditionnel ; inscrire les plages dans [generiques] \
          (plages_ip ou sites) ; une connexion inattendue : réinitialiser le mot de passe et \
          Revoke-MgUserSignInSession -UserId <upn>.",
    needs: &["users", "sign-ins", "named-locations"],
    tags: &[Tag::ByAccountClass],
    requirements: &[&req::ORI_TEC_05],
    run,
};

/// A CIDR or a bare address (a /32 or /128), as named locations may give them.
fn parse_range(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// The ranges that apply to an account, with where each comes from (French).
fn ranges_for(s: &Snapshot, config: &Config, a: &Account) -> Vec<(IpNet, String)> {
    let mut out = Vec::new();
    for site in &config.generic.sites {
        if site.pattern.is_match(&a.display_name) || site.pattern.is_match(&a.upn) {
            let from = format!("site {}", site.pattern.as_str());
            out.extend(site.ip_ranges.iter().map(|r| (*r, from.clone())));
        }
    }
    out.extend(
        config
            .generic
            .ip_ranges
            .iter()
            .map(|r| (*r, "generiques.plages_ip".to_string())),
    );
    for l in s.named_locations.iter().filter(|l| l.trusted) {
        let from = format!("emplacement nommé de confiance « {} »", l.name);
        out.extend(
            l.cidrs
                .iter()
                .filter_map(|c| parse_range(c))
                .map(|r| (r, from.clone())),
        );
    }
    out
}

pub fn run(s: &Snapshot, config: &Config) -> Vec<Finding> {
    s.classified()
        .filter(|(_, c)| c.class == Class::Generique && c.active_member())
        .filter_map(|(a, c)| {
            let ranges = ranges_for(s, config, a);
            if ranges.is_empty() {
                return Some(Finding::new(
                    CHECK.id,
                    subject_upn(&a.upn),
                    Severity::Info,
                    c.population,
                    format!(
                        "« {} » : aucune IP fixe associée (aucun [[generiques.sites]] ne \
                         correspond au nom ni à l'UPN, generiques.plages_ip est vide et aucun \
                         emplacement nommé de confiance n'a de plage)",
                        a.display_name
                    ),
                ));
            }
            let signins = window_signins(s, config, &a.id);
            let outside: Vec<_> = signins
                .into_iter()
                .filter(|x| {
                    let Some(ip) = x.ip.as_deref().map(str::trim).filter(|ip| !ip.is_empty())
                    else {
                        return false; // no address: not outside
                    };
                    match ip.parse::<IpAddr>() {
                        Ok(ip) => {
                            let ip = ip.to_canonical();
                            !ranges.iter().any(|(r, _)| r.contains(&ip))
                        }
                        Err(_) => true, // unreadable: cannot be shown inside
                    }
                })
                .collect();
            if outside.is_empty() {
                return None;
            }
            let mut sources: Vec<String> = ranges.iter().map(|(_, f)| f.clone()).collect();
            sources.dedup();
            let ranges_txt: Vec<String> = ranges.iter().map(|(r, _)| r.to_string()).collect();
            Some(
                Finding::new(
                    CHECK.id,
                    subject_upn(&a.upn),
                    CHECK.severity,
                    c.population,
                    bounded(format!(
                        "« {} » : {} connexion(s) réussie(s) hors des plages {} depuis {} ; plages \
                     applicables : {} ({})",
                        a.display_name,
                        outside.len(),
                        common::span(&outside, config),
                        common::counts(
                            outside.iter().map(|x| x.ip.as_deref().unwrap_or("").trim())
                        ),
                        common::list(&ranges_txt),
                        common::list(&sources)
                    )),
                )
                .with_occurrences(common::by_day(&outside, config)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;
    use crate::config::SiteRanges;
    use crate::model::NamedLocation;

    fn verdun_site() -> SiteRanges {
        SiteRanges {
            pattern: regex::Regex::new("(?i)CHSLD de Verdun").expect("regex"),
            ip_ranges: vec!["10.20.0.0/16".parse().expect("cidr")],
        }
    }

    fn from(id: &str, ip: Option<&str>) -> crate::model::SignIn {
        let mut x = signin(id, "t1", "Microsoft Teams", 3);
        x.ip = ip.map(str::to_string);
        x
    }

    #[test]
    fn fires_on_a_sign_in_outside_the_site_ranges() {
        let mut c = config();
        c.generic.sites = vec![verdun_site()];
        let mut s = snapshot(vec![tablet("t1")]);
        s.signins = vec![
            from("s1", Some("10.20.3.4")),
            from("s2", Some("203.0.113.7")),
            from("s3", Some("203.0.113.7")),
        ];
        let f = run(&s, &c);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Moyenne);
        assert!(
            f[0].evidence.contains("203.0.113.7 ×2"),
            "{}",
            f[0].evidence
        );
        assert!(f[0].evidence.contains("10.20.0.0/16"));
    }

    #[test]
    fn inside_global_or_trusted_location_ranges_and_no_ip_do_not_fire() {
        let mut c = config();
        c.generic.ip_ranges = vec!["192.0.2.0/24".parse().expect("cidr")];
        let mut s = snapshot(vec![tablet("t1")]);
        s.named_locations = vec![
            NamedLocation {
                id: "l1".into(),
                name: "CHSLD".into(),
                trusted: true,
                cidrs: vec!["198.51.100.0/24".into(), "2001:db8::/32".into()],
            },
            NamedLocation {
                id: "l2".into(),
                name: "Non approuvé".into(),
                trusted: false,
                cidrs: vec!["203.0.113.0/24".into()],
            },
        ];
        s.signins = vec![
            from("s1", Some("192.0.2.9")),
            from("s2", Some("198.51.100.20")),
            from("s3", Some("2001:db8::1")),
            from("s4", Some("::ffff:192.0.2.10")),
            from("s5", None),
            from("s6", Some("")),
        ];
        assert!(run(&s, &c).is_empty());
        s.signins.push(from("s7", Some("203.0.113.5")));
        assert_eq!(run(&s, &c).len(), 1, "an untrusted location is no range");
    }

    #[test]
    fn info_when_no_range_applies_whatever_the_sign_ins() {
        let mut c = config();
        c.generic.sites = vec![SiteRanges {
            pattern: regex::Regex::new("(?i)Lachine").expect("regex"),
            ip_ranges: vec!["10.30.0.0/16".parse().expect("cidr")],
        }];
        let s = snapshot(vec![tablet("t1")]);
        let f = run(&s, &c);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert!(f[0].evidence.contains("aucune IP fixe associée"));
    }

    #[test]
    fn does_not_fire_for_disabled_or_guest_accounts() {
        let mut disabled = tablet("t1");
        disabled.enabled = false;
        let mut guest = tablet("t22");
        guest.guest = true;
        let s = snapshot(vec![disabled, guest]);
        assert!(run(&s, &config()).is_empty());
    }
}
