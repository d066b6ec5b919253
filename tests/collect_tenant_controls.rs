//! The new sources of DIR04 art. 6 3° and 5° and of access logging against the simulated
//! tenant: each one refused alone (as when the app lacks its role or permission) is
//! « non collectée » with what to grant, only the checks that need it are « non évalué »,
//! and the rest of the night goes on.

mod common;

use common::sim_night::{SimNight, only_down, options, sources_of};
use vigie365::sim::SimOptions;
use vigie365::store::RunStatus;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_new_source_refused_alone_blinds_only_its_checks() {
    let (seed, accounts, day) = (5, 300, 12);
    for (deny, source, grant) in [
        (
            "get-irmconfiguration",
            "exchange-irm-configuration",
            "View-Only Configuration",
        ),
        (
            "get-adminauditlogconfig",
            "exchange-admin-audit-log-config",
            "View-Only Audit Logs",
        ),
        (
            "get-organizationconfig",
            "exchange-organization-config",
            "View-Only Configuration",
        ),
        (
            "get-casmailbox",
            "exchange-cas-mailboxes",
            "View-Only Recipients",
        ),
        (
            "signins-clients",
            "sign-ins-mail-clients",
            "AuditLog.Read.All",
        ),
    ] {
        let n = SimNight::start(SimOptions {
            deny: vec![deny.into()],
            ..options(seed, accounts, day)
        })
        .await;
        let (store, report) = n.collect(day).await;
        assert_eq!(report.status, RunStatus::Partial, "{deny}");
        only_down(&sources_of(&report), &[(source, grant)]);
        let (_, evaluation) = n.evaluate(&store);
        let mut blind: Vec<&str> = evaluation.not_evaluated.iter().map(|x| x.check).collect();
        blind.sort();
        let mut want: Vec<&str> = vigie365::checks::REGISTRY
            .iter()
            .filter(|c| c.needs.contains(&source))
            .map(|c| c.id)
            .collect();
        want.sort();
        assert_eq!(blind, want, "{deny}");
        for x in &evaluation.not_evaluated {
            assert!(x.reason.contains("non collectée"), "{}", x.reason);
        }
        // The other checks still ran: the forwarding ones found what they always find.
        assert!(
            evaluation.findings.iter().any(|f| f.check == "FWD-PUB-01"),
            "{deny}"
        );
        let posture = store
            .lock()
            .expect("store")
            .posture_of(report.run)
            .expect("posture");
        let pop_imap = posture
            .iter()
            .any(|p| p.class == "courriel" && p.metric == "pop_ou_imap");
        assert_eq!(
            pop_imap,
            source != "exchange-cas-mailboxes",
            "{deny}: the figure is unknown, not zero, without its source"
        );
        n.shutdown().await;
    }
}
