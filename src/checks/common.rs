//! Small helpers every family shares: how a subject is spelt, the sign-ins a check may look
//! at, the population of a subject with no account, and evidence kept to one readable line.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::Snapshot;
use crate::classify::Population;
use crate::config::Config;
use crate::model::SignIn;

/// Longest evidence line, in characters: long enough to name what to fix, short enough for a
/// CSV cell and a terminal line.
pub const EVIDENCE_MAX: usize = 600;

/// How many items an evidence list names before saying "et N autres".
pub const LIST_MAX: usize = 5;

/// An account's subject: its UPN, trimmed, in lower case.
pub fn subject_upn(upn: &str) -> String {
    upn.trim().to_lowercase()
}

/// Evidence cut to [`EVIDENCE_MAX`] characters (on a character boundary, with "…").
pub fn bounded(evidence: String) -> String {
    if evidence.chars().count() <= EVIDENCE_MAX {
        return evidence;
    }
    let mut out: String = evidence.chars().take(EVIDENCE_MAX - 1).collect();
    out.push('…');
    out
}

/// "a, b, c" — at most [`LIST_MAX`] items, then "et N autre(s)"; "aucune" when empty.
pub fn list<S: AsRef<str>>(items: &[S]) -> String {
    list_sep(items, ", ")
}

/// [`list`] with another separator (" ; " between clauses that contain commas).
pub fn list_sep<S: AsRef<str>>(items: &[S], sep: &str) -> String {
    if items.is_empty() {
        return "aucune".into();
    }
    let shown: Vec<&str> = items.iter().take(LIST_MAX).map(AsRef::as_ref).collect();
    let rest = items.len().saturating_sub(LIST_MAX);
    match rest {
        0 => shown.join(sep),
        1 => format!("{} et 1 autre", shown.join(sep)),
        n => format!("{} et {n} autres", shown.join(sep)),
    }
}

/// Counts per key, most frequent first (ties by key): "Outlook ×3, SharePoint ×1".
pub fn counts<'a>(keys: impl IntoIterator<Item = &'a str>) -> String {
    let mut map: BTreeMap<&str, usize> = BTreeMap::new();
    for k in keys {
        *map.entry(k).or_default() += 1;
    }
    let mut v: Vec<(&str, usize)> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let items: Vec<String> = v.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
    list(&items)
}

/// A date as the evidence shows it: the day in the establishment's time zone.
pub fn day(t: DateTime<Utc>, config: &Config) -> String {
    t.with_timezone(&config.evaluation.timezone)
        .format("%Y-%m-%d")
        .to_string()
}

/// How many of some sign-ins happened on each local day: an event finding's occurrences
/// ([`Finding::with_occurrences`](super::Finding::with_occurrences)).
pub fn by_day<S: std::borrow::Borrow<SignIn>>(
    signins: &[S],
    config: &Config,
) -> BTreeMap<chrono::NaiveDate, u32> {
    let mut out = BTreeMap::new();
    for s in signins {
        let d = s
            .borrow()
            .created
            .with_timezone(&config.evaluation.timezone)
            .date_naive();
        *out.entry(d).or_insert(0) += 1;
    }
    out
}

/// "du 2026-03-02 au 2026-03-09": the span of some sign-ins.
pub fn span<S: std::borrow::Borrow<SignIn>>(signins: &[S], config: &Config) -> String {
    let first = signins.iter().map(|s| s.borrow().created).min();
    let last = signins.iter().map(|s| s.borrow().created).max();
    match (first, last) {
        (Some(a), Some(b)) if day(a, config) == day(b, config) => format!("le {}", day(a, config)),
        (Some(a), Some(b)) => format!("du {} au {}", day(a, config), day(b, config)),
        _ => String::new(),
    }
}

/// The successful sign-ins (errorCode 0) of an account in the evaluation window
/// `[as_of - window, as_of)`, oldest first.
pub fn window_signins(s: &Snapshot, config: &Config, account_id: &str) -> Vec<SignIn> {
    let mut v = s.signins_of(account_id, config);
    v.retain(SignIn::succeeded);
    v
}

/// The application a sign-in names: its display name, else its appId.
pub fn app_label(s: &SignIn) -> &str {
    if s.app_name.trim().is_empty() {
        s.app_id.trim()
    } else {
        s.app_name.trim()
    }
}

/// Whether a sign-in's application is one of `allowed` (names or appIds, any case).
pub fn app_allowed(s: &SignIn, allowed: &[String]) -> bool {
    allowed.iter().any(|a| {
        let a = a.trim();
        !a.is_empty()
            && (a.eq_ignore_ascii_case(s.app_name.trim())
                || a.eq_ignore_ascii_case(s.app_id.trim()))
    })
}

/// The population of a subject: its account's when it has one (by id, else by UPN), else
/// what the physicians' UPN patterns say of the UPN.
pub fn population(
    s: &Snapshot,
    config: &Config,
    account_id: Option<&str>,
    upn: &str,
) -> Population {
    let by_id = account_id.and_then(|id| s.class_of(id));
    let by_upn = || {
        s.accounts
            .iter()
            .find(|a| a.upn.eq_ignore_ascii_case(upn.trim()))
            .and_then(|a| s.class_of(&a.id))
    };
    match by_id.or_else(by_upn) {
        Some(c) => c.population,
        None => population_of_upn(config, upn),
    }
}

/// The population a UPN alone tells (physicians' UPN patterns), for a subject with no
/// account in the tenant.
pub fn population_of_upn(config: &Config, upn: &str) -> Population {
    if config
        .classification
        .physician_upn
        .iter()
        .any(|r| r.is_match(upn))
    {
        Population::Medecin
    } else {
        Population::Personnel
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_bounded() {
        assert_eq!(list::<&str>(&[]), "aucune");
        assert_eq!(list(&["a", "b"]), "a, b");
        assert_eq!(
            list(&["a", "b", "c", "d", "e", "f"]),
            "a, b, c, d, e et 1 autre"
        );
        assert_eq!(counts(["x", "y", "x"]), "x ×2, y ×1");
        let long = "é".repeat(2 * EVIDENCE_MAX);
        let b = bounded(long);
        assert_eq!(b.chars().count(), EVIDENCE_MAX);
        assert!(b.ends_with('…'));
    }
}
