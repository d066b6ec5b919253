//! FWD-CLI-01 — Boîte relevée par POP ou IMAP.
//!
//! ### What it does
//! Flags every account with a successful POP or IMAP sign-in (`clientAppUsed` `POP3`,
//! `IMAP4`, or the documented `POP`, `IMAP`) in the evaluation window, read by one tenant-wide
//! sign-in query filtered on the client. An event: one finding per account, with the number
//! of retrievals, the protocols, the addresses and the dates. Subject: the account's UPN.
//!
//! ### Why
//! DIR04 art. 6 5° forbids « tout autre mécanisme de contournement » of the corporate mail
//! system: a public webmail's « relever le courrier d'un autre compte » or a personal phone's
//! mail app pulls the corporate mailbox outside, as forwarding would.
//!
//! ### Must not fire
//! Failed sign-ins; an « Appli » account whose client is listed among its legitimate clients
//! (`[appli].clients_permis`: `POP3` or `IMAP4`, either spelling, a ticketing system reading
//! a mailbox); an exception for the account.

use std::collections::BTreeMap;

use crate::checks::common::{self, bounded, population, subject_upn};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::Class;
use crate::config::Config;
use crate::model::SignIn;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "FWD-CLI-01",
    family: Family::Redirections,
    kind: Kind::Event,
    severity: Severity::Elevee,
    title_fr: "Boîte relevée par POP ou IMAP",
    reference: "MSSS-DIR04, art. 6 5°",
    doc: "Connexion réussie par POP ou IMAP dans la fenêtre (une requête de connexions pour tout \
          le locataire, filtrée sur le client) : un client extérieur relève la boîte. Ne vise \
          pas un compte « Appli » dont le protocole est un client permis \
          ([appli].clients_permis).",
    fix_fr: "désactiver POP et IMAP sur la boîte (centre d'administration Exchange > Destinataires \
          > Boîtes aux lettres > la boîte > Applications de messagerie, ou Set-CASMailbox \
          -Identity <upn> -PopEnabled $false -ImapEnabled $false), réinitialiser le mot de passe, \
          et les bloquer pour tous (Set-CASMailboxPlan, stratégie d'authentification) ; un \
          système qui relève une boîte légitimement s'inscrit dans [appli].clients_permis.",
    needs: &["sign-ins-mail-clients", "users"],
    tags: &[Tag::ByAccountClass],
    requirements: &[&req::DIR04_6_5, &req::DIR04_6_4, &req::DIR04_6_2],
    run,
};

/// The protocol of a sign-in's client (`POP` or `IMAP`, whatever the spelling), if it is one.
pub fn protocol(client: Option<&str>) -> Option<&'static str> {
    match client?.trim().to_ascii_uppercase().as_str() {
        "POP3" | "POP" => Some("POP"),
        "IMAP4" | "IMAP" => Some("IMAP"),
        _ => None,
    }
}

pub fn run(s: &Snapshot, config: &Config) -> Vec<Finding> {
    let from = s.as_of - chrono::Duration::days(i64::from(config.evaluation.window_days));
    let mut by_account: BTreeMap<String, Vec<&SignIn>> = BTreeMap::new();
    for x in s.mail_client_signins.iter().filter(|x| {
        x.succeeded()
            && x.created >= from
            && x.created < s.as_of
            && protocol(x.client_app.as_deref()).is_some()
    }) {
        let key = if x.user_id.trim().is_empty() {
            subject_upn(&x.upn)
        } else {
            x.user_id.clone()
        };
        by_account.entry(key).or_default().push(x);
    }
    let mut out: Vec<Finding> =
        by_account
            .into_values()
            .filter_map(|signins| {
                let first = signins.first()?;
                let account = s.accounts.iter().find(|a| a.id == first.user_id);
                let upn = account.map_or(first.upn.as_str(), |a| a.upn.as_str());
                let appli = account
                    .and_then(|a| s.class_of(&a.id))
                    .is_some_and(|c| c.class == Class::Appli);
                let allowed: Vec<&str> = if appli {
                    config
                        .appli
                        .allowed_clients
                        .iter()
                        .filter(|(u, _)| u.trim().eq_ignore_ascii_case(upn.trim()))
                        .flat_map(|(_, apps)| apps.iter().filter_map(|a| protocol(Some(a))))
                        .collect()
                } else {
                    Vec::new()
                };
                let retrievals: Vec<&SignIn> = signins
                    .into_iter()
                    .filter(|x| {
                        protocol(x.client_app.as_deref()).is_some_and(|p| !allowed.contains(&p))
                    })
                    .collect();
                if retrievals.is_empty() {
                    return None;
                }
                let protocols = common::counts(
                    retrievals
                        .iter()
                        .filter_map(|x| protocol(x.client_app.as_deref())),
                );
                let ips = common::counts(retrievals.iter().map(|x| x.ip.as_deref().unwrap_or("?")));
                Some(Finding::new(
                CHECK.id,
                subject_upn(upn),
                CHECK.severity,
                population(s, config, account.map(|a| a.id.as_str()), upn),
                bounded(format!(
                    "{}{} relève(s) réussie(s) de la boîte {} : {protocols} ; depuis : {ips}",
                    account.map_or(String::new(), |a| format!("« {} » : ", a.display_name)),
                    retrievals.len(),
                    common::span(&retrievals, config),
                )),
            )
            .with_occurrences(common::by_day(&retrievals, config)))
            })
            .collect();
    out.sort_by(|a, b| a.subject.cmp(&b.subject));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    fn pop(id: &str, user: &str, client: &str, hours_before: i64) -> SignIn {
        let mut x = signin(id, user, "Office 365 Exchange Online", hours_before);
        x.client_app = Some(client.into());
        x.ip = Some("203.0.113.9".into());
        x
    }

    #[test]
    fn fires_on_pop_or_imap_in_the_window_either_spelling() {
        let mut s = snapshot(vec![
            account("jean", "Jean"),
            account("julie.med", "Dre Julie"),
        ]);
        s.mail_client_signins = vec![
            pop("a", "jean", "IMAP4", 5),
            pop("b", "jean", "POP", 30),
            pop("c", "julie.med", "POP3", 2),
        ];
        let f = run(&s, &config());
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].subject, "jean@cisss-test.ca");
        assert_eq!(f[0].severity, Severity::Elevee);
        assert!(f[0].evidence.contains("2 relève(s)"), "{}", f[0].evidence);
        assert!(f[0].evidence.contains("IMAP ×1") && f[0].evidence.contains("POP ×1"));
        assert!(f[0].evidence.contains("203.0.113.9 ×2"));
        assert_eq!(f[1].population, crate::classify::Population::Medecin);
    }

    #[test]
    fn an_account_unknown_to_the_snapshot_is_named_by_its_sign_in() {
        let mut s = snapshot(vec![]);
        s.mail_client_signins = vec![pop("a", "parti", "IMAP4", 5)];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject, "parti@cisss-test.ca");
    }

    #[test]
    fn does_not_fire_on_failures_other_clients_or_outside_the_window() {
        let mut s = snapshot(vec![account("jean", "Jean")]);
        let mut failed = pop("a", "jean", "IMAP4", 5);
        failed.error_code = 50126;
        let old = pop("b", "jean", "POP3", 24 * 8);
        let other = pop("c", "jean", "Exchange ActiveSync", 2);
        s.mail_client_signins = vec![failed, old, other];
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn an_appli_account_with_its_client_permitted_does_not_fire() {
        let mut svc = account("svc-billetterie", "Service billetterie");
        svc.employee_type = Some("Appli".into());
        let mut c = config();
        c.appli.allowed_clients.insert(
            "svc-billetterie@cisss-test.ca".into(),
            vec!["ServiceNow".into(), "IMAP".into()],
        );
        let mut s = snapshot(vec![svc]);
        s.mail_client_signins = vec![pop("a", "svc-billetterie", "IMAP4", 5)];
        assert!(run(&s, &c).is_empty(), "IMAP permitted, spelled IMAP");
        s.mail_client_signins
            .push(pop("b", "svc-billetterie", "POP3", 4));
        let f = run(&s, &c);
        assert_eq!(f.len(), 1, "POP is not its client");
        assert!(f[0].evidence.contains("1 relève(s)"), "{}", f[0].evidence);
        // The same client on a named account is flagged: only « Appli » accounts have clients.
        c.appli
            .allowed_clients
            .insert("jean@cisss-test.ca".into(), vec!["IMAP4".into()]);
        let mut s = snapshot(vec![account("jean", "Jean")]);
        s.mail_client_signins = vec![pop("a", "jean", "IMAP4", 5)];
        assert_eq!(run(&s, &c).len(), 1);
    }

    #[test]
    fn an_exception_accepts_it() {
        let mut s = snapshot(vec![account("jean", "Jean")]);
        s.mail_client_signins = vec![pop("a", "jean", "IMAP4", 5)];
        let c = config_with_exception("FWD-CLI-01", "jean@cisss-test.ca", date(2099, 1, 1));
        let f = evaluated(&s, &c, "FWD-CLI-01");
        assert_eq!(f.len(), 1);
        assert!(f[0].is_accepted());
    }
}
