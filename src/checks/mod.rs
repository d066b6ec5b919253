//! The check catalogue of RULES.md: pure functions over a snapshot of one night.
//!
//! Layout: one folder per family (`generic/`, `appli/`, `forwarding/`, `shared/`), one file per check,
//! each with its declaration (`pub static CHECK: CheckInfo`: id, family, state or event,
//! severity, French title, directive reference, French doc, the sources it needs, its
//! [`Tag`]s), its doc, its logic and its fire / must-not-fire tests side by side. The
//! [`registry`] lists those declarations once and drives evaluation, `vigie365 checks`, the
//! README's table, the configuration's exception ids, the reports and the uniqueness test.
//!
//! Shared pieces: [`common`] (subjects, the sign-in window, bounded evidence), [`mfa`]
//! (which conditional access policies require MFA and apply to an account) and [`domains`]
//! (forwarding targets: reading, classes, the tenant's blocking).
//!
//! What a check may touch is its signature: a [`Snapshot`] (read from the store by [`load`],
//! which no check imports; the per-account posture tally it keeps is `tally`) and the
//! validated [`Config`]. No check calls Graph, writes the store, or reads the clock: "now"
//! is `snapshot.as_of`.

pub mod appli;
pub mod ca_scope;
pub mod common;
pub mod domains;
pub mod finding;
pub mod forwarding;
pub mod generic;
pub mod info;
pub mod load;
pub mod mfa;
pub mod posture;
pub mod registry;
pub mod retired;
pub mod shared;
pub mod snapshot;
mod tally;
#[cfg(test)]
pub(crate) mod testing;

pub use finding::{Accepted, Finding, Severity};
pub use info::{CheckInfo, Family, Kind, Tag};
pub use registry::REGISTRY;
pub use snapshot::Snapshot;

use crate::config::Config;
use crate::store::SourceStatus;

/// A check that could not be evaluated, and why (a source not collected). Never read as
/// "no finding".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotEvaluated {
    pub check: &'static str,
    pub reason: String,
}

/// The outcome of evaluating one night.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<NotEvaluated>,
}

/// What a check needs that night: its sources, and, for the account checks ([`Tag::ByAccountClass`]:
/// generic and « Appli » families), the members of groups when the classification names generic or
/// « Appli » groups: without them, an account of such a group would silently read as
/// nominative and its checks pass. (Forwarding checks look at every mailbox whatever its
/// class; physicians' groups only set a finding's population.)
pub fn needs(info: &CheckInfo, config: &Config) -> Vec<&'static str> {
    let c = &config.classification;
    let by_group = !(c.generic.groups.is_empty() && c.appli.groups.is_empty());
    let mut needs = info.needs.to_vec();
    if by_group && info.has(Tag::ByAccountClass) && !needs.contains(&"group-members") {
        needs.push("group-members");
    }
    needs
}

/// Every source a check may need, whatever the configuration (what a report that has no
/// configuration at hand lists when the check was left out), the sources of its pieces of
/// evidence included ([`Tag::ByEvidence`]).
pub fn possible_needs(info: &CheckInfo) -> Vec<&'static str> {
    let mut needs = info.needs.to_vec();
    if info.has(Tag::ByAccountClass) && !needs.contains(&"group-members") {
        needs.push("group-members");
    }
    if info.has(Tag::ByEvidence) {
        for q in forwarding::EVIDENCE {
            if !needs.contains(q) {
                needs.push(q);
            }
        }
    }
    needs
}

/// Runs every check of the registry whose sources were collected that night.
pub fn evaluate(snapshot: &Snapshot, config: &Config) -> Evaluation {
    evaluate_of(REGISTRY, snapshot, config)
}

/// [`evaluate`] with any list of checks.
pub fn evaluate_of(checks: &[&CheckInfo], snapshot: &Snapshot, config: &Config) -> Evaluation {
    let mut out = Evaluation::default();
    for info in checks {
        let missing: Vec<String> = needs(info, config)
            .into_iter()
            .filter(|s| snapshot.source_status(s) != Some(SourceStatus::Collected))
            .filter(|s| !forwarding::can_do_without(info.id, s, snapshot))
            .map(|s| match snapshot.source_reason(s) {
                Some(r) => format!("source « {s} » non collectée : {r}"),
                None => format!("source « {s} » non collectée"),
            })
            .collect();
        if !missing.is_empty() {
            out.not_evaluated.push(NotEvaluated {
                check: info.id,
                reason: missing.join(" ; "),
            });
            continue;
        }
        if info.has(Tag::ByEvidence) {
            let blind = forwarding::blind_spots(snapshot);
            if !blind.is_empty() {
                out.not_evaluated.push(NotEvaluated {
                    check: info.id,
                    reason: format!("évalué en partie : {}", blind.join(" ; ")),
                });
            }
        }
        let mut findings = (info.run)(snapshot, config);
        let today = snapshot
            .as_of
            .with_timezone(&config.evaluation.timezone)
            .date_naive();
        let governed_by = config
            .perimeter
            .as_ref()
            .and_then(|p| p.tenant_governed_by())
            .filter(|_| info.has(Tag::TenantLevel));
        for f in &mut findings {
            finding::apply_exceptions(f, config, today);
            f.governed_by.clone_from(&governed_by);
        }
        out.findings.extend(findings);
    }
    out.findings
        .sort_by(|a, b| (a.check, &a.subject).cmp(&(b.check, &b.subject)));
    out
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn classification_by_group_makes_account_checks_need_the_group_members() {
        let mut s = snapshot(vec![tablet("t1")]);
        if let Some(row) = s.sources.get_mut("group-members") {
            row.status = crate::store::SourceStatus::Failed;
            row.reason = Some("503 après 5 tentatives".into());
        }
        let plain = evaluate(&s, &config());
        assert!(
            plain
                .not_evaluated
                .iter()
                .all(|n| ["GEN-MFA-02", "APP-MFA-01", "GEN-IP-02"].contains(&n.check)),
            "without groups in the classification only the policy checks need the members: {:?}",
            plain.not_evaluated
        );
        assert!(
            plain
                .findings
                .iter()
                .any(|f| f.check == "GEN-MFA-01" || f.check == "GEN-PWD-01")
        );

        let mut by_group = config();
        by_group.classification.generic.groups = vec![
            "5f0c8a2e-3b1d-4c6e-9a7f-1d2e3f4a5b6c"
                .parse()
                .expect("guid"),
        ];
        let e = evaluate(&s, &by_group);
        let not: Vec<&str> = e.not_evaluated.iter().map(|n| n.check).collect();
        for id in [
            "GEN-MFA-01",
            "GEN-APP-01",
            "GEN-PWD-01",
            "GEN-REG-01",
            "APP-GEN-01",
            "APP-INT-01",
        ] {
            assert!(
                not.contains(&id),
                "{id} must wait for the group members: {not:?}"
            );
        }
        assert!(
            e.not_evaluated
                .iter()
                .all(|n| !n.check.starts_with("FWD-") || n.check == "FWD-CLI-01"),
            "forwarding looks at every mailbox whatever its class (FWD-CLI-01 spares « Appli » \
             accounts)"
        );
        let reason = &e
            .not_evaluated
            .iter()
            .find(|n| n.check == "GEN-MFA-01")
            .expect("GEN-MFA-01")
            .reason;
        assert!(
            reason.contains("group-members") && reason.contains("503"),
            "{reason}"
        );
        assert!(e.findings.iter().all(|f| !f.check.starts_with("GEN-")));
    }

    #[test]
    fn a_source_not_collected_leaves_exactly_its_checks_not_evaluated() {
        for q in crate::queries::all() {
            let mut s = snapshot(vec![tablet("t1")]);
            if let Some(row) = s.sources.get_mut(&q.name) {
                row.status = crate::store::SourceStatus::NotCollected;
                row.reason = Some("permission manquante".into());
            }
            let e = evaluate(&s, &config());
            let mut got: Vec<&str> = e.not_evaluated.iter().map(|n| n.check).collect();
            // A check judged by evidence is left out in part only when some evidence needs
            // the source: here the inbox rules and mailboxes (there is no ForwardingAddress
            // to resolve).
            let blinds_evidence =
                ["users", "message-rules", "exchange-mailboxes"].contains(&q.name.as_str());
            let mut want: Vec<&str> = REGISTRY
                .iter()
                .filter(|c| {
                    (c.needs.contains(&q.name.as_str())
                        && !forwarding::can_do_without(c.id, &q.name, &s))
                        || (c.has(Tag::ByEvidence) && blinds_evidence)
                })
                .map(|c| c.id)
                .collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "source {}", q.name);
            for n in &e.not_evaluated {
                assert!(n.reason.contains(&q.name), "{}", n.reason);
                assert!(n.reason.contains("permission manquante"), "{}", n.reason);
                let partial = registry::get(n.check).is_some_and(|c| c.has(Tag::ByEvidence));
                assert!(
                    partial || e.findings.iter().all(|f| f.check != n.check),
                    "{} not evaluated yet has findings",
                    n.check
                );
            }
        }
    }

    #[test]
    fn a_source_missing_from_the_run_counts_as_not_collected() {
        let mut s = snapshot(vec![tablet("t1")]);
        s.sources.remove("sign-ins");
        let e = evaluate(&s, &config());
        let mut got: Vec<&str> = e.not_evaluated.iter().map(|n| n.check).collect();
        got.sort();
        assert_eq!(
            got,
            [
                "APP-INT-01",
                "GEN-APP-01",
                "GEN-DEV-01",
                "GEN-IP-01",
                "GEN-IP-02",
                "GEN-MFA-02"
            ]
        );
    }

    #[test]
    fn tenant_controls_not_collected_keep_the_forwarding_checks_running() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.sources.remove("exchange-remote-domains");
        s.inbox_rules = vec![inbox_rule("jean", "r1", &["x@gmail.com"])];
        let e = evaluate(&s, &config());
        let ids: Vec<&str> = e.not_evaluated.iter().map(|n| n.check).collect();
        assert_eq!(ids, ["FWD-ORG-01"]);
        let f: Vec<&Finding> = e
            .findings
            .iter()
            .filter(|f| f.check == "FWD-PUB-01")
            .collect();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].blocked_by_tenant, None);
        assert_eq!(f[0].severity, Severity::Critique);
    }

    #[test]
    fn a_contacts_failure_blinds_only_the_forwards_that_need_a_contact() {
        let mut s = snapshot(vec![
            account("jean", "Jean Tremblay"),
            account("marie", "Marie Roy"),
        ]);
        mail_tenant(&mut s);
        if let Some(row) = s.sources.get_mut("exchange-mail-contacts") {
            row.status = crate::store::SourceStatus::Failed;
            row.reason = Some("503 après 5 tentatives".into());
        }
        s.inbox_rules = vec![inbox_rule("jean", "r1", &["x@gmail.com"])];
        let mut smtp = testing::mailbox("jean");
        smtp.forwarding_smtp = Some("smtp:jean@clinique.ca".into());
        let mut by_name = testing::mailbox("marie");
        by_name.forwarding_address = Some("Marie perso".into());
        s.mailboxes = vec![smtp, by_name];
        let e = evaluate(&s, &config());
        let subjects: Vec<&str> = e.findings.iter().map(|f| f.subject.as_str()).collect();
        assert!(
            subjects.contains(&"jean@cisss-test.ca#regle:r1>x@gmail.com"),
            "{subjects:?}"
        );
        assert!(
            subjects.contains(&"jean@cisss-test.ca#boite>jean@clinique.ca"),
            "{subjects:?}"
        );
        assert!(
            !subjects.iter().any(|s| s.starts_with("marie")),
            "{subjects:?}"
        );
        let pub01 = e
            .not_evaluated
            .iter()
            .find(|n| n.check == "FWD-PUB-01")
            .expect("FWD-PUB-01 in part");
        assert!(
            pub01.reason.contains(
                "boîte marie@cisss-test.ca : ForwardingAddress « Marie perso » non évalué"
            ) && pub01.reason.contains("exchange-mail-contacts")
                && pub01.reason.contains("503"),
            "{}",
            pub01.reason
        );
        assert!(!pub01.reason.contains("jean"), "{}", pub01.reason);
    }

    #[test]
    fn findings_are_sorted_and_every_one_has_a_subject_and_bounded_evidence() {
        let mut s = snapshot(vec![tablet("t1"), account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.inbox_rules = vec![inbox_rule("jean", "r1", &["x@gmail.com", "y@clinique.ca"])];
        s.signins = vec![signin("s1", "t1", "Outlook Mobile", 2)];
        let e = evaluate(&s, &config());
        assert!(e.not_evaluated.is_empty());
        assert!(e.findings.len() >= 5, "{:#?}", e.findings);
        let keys: Vec<(&str, &str)> = e
            .findings
            .iter()
            .map(|f| (f.check, f.subject.as_str()))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        for f in &e.findings {
            assert!(!f.subject.is_empty() && !f.evidence.is_empty(), "{f:?}");
            assert!(f.evidence.chars().count() <= common::EVIDENCE_MAX);
            assert!(!f.evidence.contains('\n'), "{f:?}");
        }
    }

    #[test]
    fn tenant_settings_are_the_establishments_unless_a_perimeter_says_they_are_governed_elsewhere()
    {
        let mut s = snapshot(vec![tablet("t1")]);
        s.audit = Some(crate::model::AuditConfig {
            unified_audit_log_ingestion_enabled: Some(false),
        });
        let perimeter = |governs: bool, by: Option<&str>| crate::config::Perimeter {
            units: Vec::new(),
            groups: Vec::new(),
            addresses: vec![crate::config::AddressPattern::new("*@x.ca").expect("pattern")],
            attributes: Vec::new(),
            governs_tenant_controls: governs,
            tenant_governor: by.map(str::to_string),
        };
        let governed = |c: &Config| -> Vec<(&'static str, Option<String>)> {
            evaluate(&s, c)
                .findings
                .into_iter()
                .filter(|f| f.check == "LOG-AUD-01" || f.governed_by.is_some())
                .map(|f| (f.check, f.governed_by))
                .collect()
        };
        // Without a perimeter, and with one that governs the tenant: the establishment's.
        let mut c = config();
        assert_eq!(governed(&c), vec![("LOG-AUD-01", None)]);
        c.perimeter = Some(perimeter(true, Some("MSSS")));
        assert_eq!(governed(&c), vec![("LOG-AUD-01", None)]);
        // Governed elsewhere: the tenant-wide check only, with who governs it.
        c.perimeter = Some(perimeter(false, Some("Équipe provinciale")));
        let found = evaluate(&s, &c);
        assert_eq!(
            governed(&c),
            vec![("LOG-AUD-01", Some("Équipe provinciale".to_string()))]
        );
        let log = found
            .findings
            .iter()
            .find(|f| f.check == "LOG-AUD-01")
            .expect("LOG-AUD-01");
        assert!(!log.is_the_establishments_to_fix());
        c.perimeter = Some(perimeter(false, None));
        assert_eq!(
            governed(&c)[0].1.as_deref(),
            Some(crate::config::TENANT_GOVERNOR_DEFAULT)
        );
    }
}
