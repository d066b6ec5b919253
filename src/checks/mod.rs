//! The check catalogue of RULES.md: pure functions over a snapshot of one night.
//!
//! Layout: one folder per family (`generic/`, `appli/`, `forwarding/`), one file per check,
//! each with its doc, its logic and its fire / must-not-fire tests side by side. The
//! [`registry`] lists every check once (`CheckInfo`: id, severity, French title, directive
//! reference, the sources it needs) and drives evaluation, `vigie365 checks`, the README's
//! table and the uniqueness test.
//!
//! What a check may touch is its signature: a [`Snapshot`] (read from the store) and the
//! validated [`Config`]. No check calls Graph, writes the store, or reads the clock: "now"
//! is `snapshot.as_of`.

pub mod appli;
pub mod common;
pub mod domains;
pub mod finding;
pub mod forwarding;
pub mod generic;
pub mod mfa;
pub mod registry;
pub mod snapshot;
#[cfg(test)]
pub(crate) mod testing;

pub use finding::{Accepted, Finding, Severity};
pub use registry::{CheckInfo, REGISTRY};
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

/// Runs every check of the registry whose sources were collected that night.
pub fn evaluate(snapshot: &Snapshot, config: &Config) -> Evaluation {
    let mut out = Evaluation::default();
    for info in REGISTRY {
        let missing: Vec<String> = info
            .needs
            .iter()
            .filter(|s| snapshot.source_status(s) != Some(SourceStatus::Collected))
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
        let mut findings = (info.run)(snapshot, config);
        for f in &mut findings {
            finding::apply_exceptions(f, config, snapshot.night);
        }
        out.findings.extend(findings);
    }
    out.findings
        .sort_by(|a, b| (a.check, &a.subject).cmp(&(b.check, &b.subject)));
    out
}
