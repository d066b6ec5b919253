//! GEN-REG-01 — Compte générique absent du répertoire.
//!
//! ### What it does
//! With a register of generic accounts configured (`[classification].registre`): flags every
//! enabled generic account that has no row in it, and every account named in it that does
//! not exist in the tenant (subject: the register's UPN). Without a register: one `info`
//! finding for the whole tenant (subject `locataire`).
//!
//! ### Why
//! The orientation asks to keep a register of the users of each generic account, kept up to
//! date with staff movements; an account missing from it has no one answerable for it, and a
//! stale row hides which accounts really exist.
//!
//! ### Must not fire
//! Accounts listed in the register; disabled accounts and guests (not listed: they are out
//! of use); a register row whose account exists, even disabled.

use std::collections::HashSet;

use crate::checks::common::{self, bounded, subject_upn};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::{Class, Population};
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "GEN-REG-01",
    family: Family::Generiques,
    kind: Kind::State,
    severity: Severity::Faible,
    title_fr: "Compte générique absent du répertoire",
    reference: "Orientation abonnements génériques CHSLD, recommandations organisationnelles \
                (répertoire des utilisateurs)",
    doc: "Compte générique actif sans ligne au répertoire, ou ligne du répertoire nommant un compte \
          inexistant. Sans répertoire configuré : un seul constat info pour le locataire.",
    fix_fr: "inscrire le compte et ses utilisateurs au répertoire des comptes génériques \
          ([classification].registre), ou désactiver un compte sans usage (centre d'administration \
          Microsoft Entra > Utilisateurs > le compte > Modifier les propriétés > Compte activé ; ou \
          Update-MgUser -UserId <upn> -AccountEnabled:$false) ; retirer du répertoire la ligne d'un \
          compte qui n'existe plus.",
    needs: &["users"],
    tags: &[Tag::ByAccountClass],
    requirements: &[&req::ORI_ORG_03, &req::ORI_TEC_01],
    run,
};

pub fn run(s: &Snapshot, config: &Config) -> Vec<Finding> {
    let generic: Vec<_> = s
        .classified()
        .filter(|(_, c)| c.class == Class::Generique && c.active_member())
        .collect();
    let Some(register) = &s.register else {
        return vec![Finding::new(
            CHECK.id,
            "locataire",
            Severity::Info,
            Population::Tous,
            format!(
                "aucun répertoire des comptes génériques configuré ([classification].registre) : \
                 la tenue du répertoire ne peut être vérifiée pour {} compte(s) générique(s) \
                 actif(s)",
                generic.len()
            ),
        )];
    };
    let mut out: Vec<Finding> = generic
        .iter()
        .filter(|(a, _)| !register.contains(&a.upn))
        .map(|(a, c)| {
            Finding::new(
                CHECK.id,
                subject_upn(&a.upn),
                CHECK.severity,
                c.population,
                bounded(format!(
                    "« {} » : compte générique actif sans ligne au répertoire ({} lignes lues) ; \
                     classé générique par : {}",
                    a.display_name,
                    register.rows.len(),
                    c.reason
                )),
            )
        })
        .collect();
    let existing: HashSet<String> = s.accounts.iter().map(|a| subject_upn(&a.upn)).collect();
    for upn in register.accounts() {
        if existing.contains(&subject_upn(&upn)) {
            continue;
        }
        let lines: Vec<String> = register
            .rows
            .iter()
            .filter(|r| r.compte.eq_ignore_ascii_case(&upn))
            .map(|r| r.line.to_string())
            .collect();
        // Under a perimeter the store holds the establishment's accounts only: a name it
        // lacks may be another establishment's account of the shared tenant.
        let evidence = if config.perimeter.is_some() {
            format!(
                "le répertoire nomme « {upn} » (ligne(s) {}) mais aucun compte de ce nom n'est \
                 dans le périmètre de l'établissement (absent du locataire, ou compte d'un autre \
                 établissement) : retirez la ligne, corrigez l'UPN, ou ajoutez le compte au \
                 périmètre ([perimetre])",
                common::list(&lines)
            )
        } else {
            format!(
                "le répertoire nomme « {upn} » (ligne(s) {}) mais aucun compte de ce nom \
                 n'existe dans le locataire : retirez la ligne ou corrigez l'UPN",
                common::list(&lines)
            )
        };
        out.push(Finding::new(
            CHECK.id,
            subject_upn(&upn),
            CHECK.severity,
            common::population_of_upn(config, &upn),
            bounded(evidence),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;
    use crate::classify::Register;

    fn register(csv: &str) -> Option<Register> {
        let text = format!("compte;site;utilisateur;arrivee;depart\n{csv}");
        Some(Register::parse(text.as_bytes(), "r.csv").expect("register"))
    }

    #[test]
    fn under_a_perimeter_a_row_without_account_may_name_another_establishments_account() {
        let mut s = snapshot(vec![tablet("t1")]);
        s.register = register(
            "t1@cisss-test.ca;Verdun;Inf. A;2025-01-01;\n\
             autre@cisss-voisin.ca;Verdun;Inf. B;2025-01-01;\n",
        );
        let whole = run(&s, &config());
        assert_eq!(whole.len(), 1, "{whole:?}");
        assert!(whole[0].evidence.contains("n'existe dans le locataire"));
        let mut c = config();
        c.perimeter = Some(crate::config::Perimeter {
            units: Vec::new(),
            groups: Vec::new(),
            addresses: vec![crate::config::AddressPattern::new("*@cisss-test.ca").expect("p")],
            attributes: Vec::new(),
            governs_tenant_controls: false,
            tenant_governor: None,
        });
        let f = run(&s, &c);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].subject, "autre@cisss-voisin.ca");
        assert!(
            f[0].evidence
                .contains("n'est dans le périmètre de l'établissement (absent du locataire, ou compte d'un autre établissement)"),
            "{}",
            f[0].evidence
        );
        assert!(!f[0].evidence.contains("n'existe dans le locataire"));
    }

    #[test]
    fn fires_for_unlisted_account_and_for_a_row_without_account() {
        let mut s = snapshot(vec![tablet("t1"), tablet("t22")]);
        s.register = register(
            "t1@cisss-test.ca;Verdun;Inf. A;2025-01-01;\n\
             Tablette9@cisss-test.ca;Verdun;Inf. B;2025-01-01;\n",
        );
        let f = run(&s, &config());
        let subjects: Vec<(&str, Severity)> =
            f.iter().map(|f| (f.subject.as_str(), f.severity)).collect();
        assert_eq!(
            subjects,
            [
                ("t22@cisss-test.ca", Severity::Faible),
                ("tablette9@cisss-test.ca", Severity::Faible)
            ]
        );
        assert!(f[1].evidence.contains("ligne(s) 3"), "{}", f[1].evidence);
    }

    #[test]
    fn info_for_the_tenant_without_register() {
        let s = snapshot(vec![tablet("t1")]);
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].subject.as_str(), f[0].severity, f[0].population),
            ("locataire", Severity::Info, Population::Tous)
        );
    }

    #[test]
    fn does_not_fire_for_listed_disabled_or_guest_accounts() {
        let mut disabled = tablet("t22");
        disabled.enabled = false;
        let mut guest = tablet("t333");
        guest.guest = true;
        let mut s = snapshot(vec![tablet("t1"), disabled, guest]);
        // t22's row names an account that exists, disabled: not "no longer exists".
        s.register = register(
            "T1@cisss-test.ca;Verdun;Inf. A;2025-01-01;\n\
             t22@cisss-test.ca;Verdun;Inf. A;2025-01-01;2025-12-01\n",
        );
        assert!(run(&s, &config()).is_empty());
    }
}
