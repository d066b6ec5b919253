//! SHR-SIG-01 — Boîte partagée ouverte à la connexion.
//!
//! ### What it does
//! Flags every shared, room or equipment mailbox (`RecipientTypeDetails` `SharedMailbox`,
//! `RoomMailbox`, `EquipmentMailbox`) whose directory account (joined by
//! `ExternalDirectoryObjectId`, else by UPN) is enabled. Subject: the mailbox's UPN.
//!
//! ### Why
//! A shared mailbox is used through its members' delegated access; its own account needs no
//! sign-in. Enabled, anyone who has its password signs in as a shared account: the generic
//! account the orientation allows only in CHSLD and after a risk analysis, with no trace of
//! who used it.
//!
//! ### Must not fire
//! The account is disabled; user mailboxes; a mailbox with no directory account in the
//! snapshot (nothing to sign in with); an exception for the mailbox.

use crate::checks::common::{bounded, population, subject_upn};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot};
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "SHR-SIG-01",
    family: Family::Partages,
    kind: Kind::State,
    severity: Severity::Moyenne,
    title_fr: "Boîte partagée ouverte à la connexion",
    reference: "Orientation abonnements génériques CHSLD (compte générique : exception, après \
                analyse de risque) ; MSSS-DIR04, art. 12",
    doc: "Boîte partagée, de salle ou d'équipement dont le compte de l'annuaire est activé : \
          quiconque en connaît le mot de passe s'y connecte comme compte partagé. Ne vise pas \
          les comptes désactivés ni les boîtes couvertes par une exception.",
    fix_fr: "bloquer la connexion du compte de la boîte : centre d'administration Microsoft 365 > \
          Équipes et groupes > Boîtes aux lettres partagées > la boîte > Bloquer la connexion \
          (ou Update-MgUser -UserId <upn> -AccountEnabled:$false en PowerShell) ; les membres \
          gardent leur accès délégué. Un usage justifié s'inscrit dans [[exceptions]].",
    needs: &["exchange-mailboxes", "users"],
    tags: &[],
    requirements: &[&req::ORI_TEC_01, &req::DIR04_12],
    run,
};

pub fn run(s: &Snapshot, config: &Config) -> Vec<Finding> {
    s.mailboxes
        .iter()
        .filter(|m| super::is_shared_kind(&m.kind))
        .filter_map(|m| {
            let account = s
                .accounts
                .iter()
                .find(|a| m.user_id.as_deref() == Some(a.id.as_str()))
                .or_else(|| {
                    s.accounts
                        .iter()
                        .find(|a| a.upn.eq_ignore_ascii_case(m.upn.trim()))
                })?;
            if !account.enabled {
                return None;
            }
            Some(Finding::new(
                CHECK.id,
                subject_upn(&m.upn),
                CHECK.severity,
                population(s, config, Some(&account.id), &m.upn),
                bounded(format!(
                    "{} « {} » ({}) : le compte de l'annuaire « {} » est activé \
                     (accountEnabled = true) ; quiconque en connaît le mot de passe se connecte \
                     comme compte partagé, sans trace de la personne",
                    super::kind_fr(&m.kind),
                    account.display_name,
                    m.kind.trim(),
                    subject_upn(&account.upn)
                )),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    fn shared(
        id: &str,
        kind: &str,
        enabled: bool,
    ) -> (crate::model::Account, crate::model::Mailbox) {
        let mut a = account(id, &format!("Accueil {id}"));
        a.enabled = enabled;
        let mut m = mailbox(id);
        m.kind = kind.into();
        (a, m)
    }

    #[test]
    fn fires_on_an_enabled_shared_room_or_equipment_mailbox() {
        let (a1, m1) = shared("accueil", "SharedMailbox", true);
        let (a2, m2) = shared("salle1", "RoomMailbox", true);
        let (a3, m3) = shared("projecteur", "EquipmentMailbox", true);
        let mut s = snapshot(vec![a1, a2, a3]);
        s.mailboxes = vec![m1, m2, m3];
        let f = run(&s, &config());
        let subjects: Vec<&str> = f.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(
            subjects,
            [
                "accueil@cisss-test.ca",
                "salle1@cisss-test.ca",
                "projecteur@cisss-test.ca"
            ]
        );
        assert!(f.iter().all(|f| f.severity == Severity::Moyenne));
        assert!(
            f[1].evidence.contains("boîte de salle"),
            "{}",
            f[1].evidence
        );
    }

    #[test]
    fn joins_by_upn_when_exchange_gives_no_directory_id() {
        let (a, mut m) = shared("accueil", "SharedMailbox", true);
        m.user_id = None;
        m.upn = "ACCUEIL@cisss-test.ca ".into();
        let mut s = snapshot(vec![a]);
        s.mailboxes = vec![m];
        assert_eq!(run(&s, &config()).len(), 1);
    }

    #[test]
    fn does_not_fire_when_disabled_user_mailbox_or_no_account() {
        let (a1, m1) = shared("accueil", "SharedMailbox", false);
        let (a2, m2) = shared("jean", "UserMailbox", true);
        let (_, m3) = shared("orpheline", "SharedMailbox", true);
        let mut s = snapshot(vec![a1, a2]);
        s.mailboxes = vec![m1, m2, m3];
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn an_exception_accepts_it() {
        let (a, m) = shared("accueil", "SharedMailbox", true);
        let mut s = snapshot(vec![a]);
        s.mailboxes = vec![m];
        let c = config_with_exception("SHR-SIG-01", "accueil@cisss-test.ca", date(2099, 1, 1));
        let f = evaluated(&s, &c, "SHR-SIG-01");
        assert_eq!(f.len(), 1);
        assert!(f[0].is_accepted());
    }
}
