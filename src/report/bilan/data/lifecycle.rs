//! What a finding's lifecycle events make of it over the period: its episodes, and whether
//! it was relevé, nouveau, corrigé, open or accepted at the end, with its correction
//! delays. The per-check table, the summary, the forwarding totals and the lists of
//! findings all read a [`Life`] built here; only the month-by-month forwarding figures and
//! the exceptions' state at the end read the episodes themselves (with
//! [`open_at`](super::episode::open_at)). How a
//! kind of check ([`Kind`]) is counted is decided in [`life`]: changing it is one edit.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::episode::{Episode, Key, open_at};
use super::input::{Input, Seen};
use crate::checks::{CheckInfo, Kind};

/// A finding of the period (relevé), of one of the bilan's checks.
pub(super) struct Life<'a> {
    pub check: &'a CheckInfo,
    pub subject: &'a str,
    /// Its episodes overlapping the period.
    pub episodes: Vec<Episode>,
    pub first_seen: NaiveDate,
    /// First seen (ever) during the period.
    pub is_new: bool,
    pub open_end: bool,
    pub accepted_end: bool,
    /// « Corrigé »: resolved during the period and still resolved at the end.
    pub fixed: bool,
    /// Délais de correction, in days: one per resolution during the period.
    pub resolutions: Vec<i64>,
    /// What was last seen of it in the period (`None`: its check was never evaluated while
    /// it was open).
    pub last: Option<&'a Seen<'a>>,
    /// An event check's finding: how many times it happened on each day of the period
    /// (empty for a state).
    pub occurrences: BTreeMap<NaiveDate, u32>,
}

impl Life<'_> {
    pub fn is_event(&self) -> bool {
        self.check.kind == Kind::Event
    }
}

impl Life<'_> {
    /// Its population as last seen, `inconnue` when never seen in the period.
    pub fn population(&self) -> String {
        self.last
            .map(|s| s.finding.population.as_str().to_string())
            .unwrap_or_else(|| "inconnue".into())
    }
}

/// The findings of the period, by check then subject, for the checks of the bilan.
pub(super) fn of_period<'a>(
    checks: &[&'a CheckInfo],
    input: &'a Input,
    seen: &'a HashMap<Key, Seen<'a>>,
) -> Vec<Life<'a>> {
    let days = occurrences(checks, input);
    input
        .episodes
        .iter()
        .filter_map(|(key, list)| {
            let check = checks.iter().copied().find(|c| c.id == key.0)?;
            let mut l = life(check, &key.1, list, input, seen.get(key))?;
            if l.is_event() {
                l.occurrences = days.get(key).cloned().unwrap_or_default();
                if l.occurrences.is_empty() {
                    // A finding that did not date its events: each appearance in the
                    // period counts once, on the night it appeared.
                    for e in l.episodes.iter().filter(|e| e.start >= input.du) {
                        *l.occurrences.entry(e.start).or_insert(0) += 1;
                    }
                }
            }
            Some(l)
        })
        .collect()
}

/// The days each event finding happened in the period, from the findings of every
/// evaluated night: the windows of consecutive nights overlap, so a day keeps the largest
/// count any night gave it (never the sum).
fn occurrences(checks: &[&CheckInfo], input: &Input) -> HashMap<Key, BTreeMap<NaiveDate, u32>> {
    let mut out: HashMap<Key, BTreeMap<NaiveDate, u32>> = HashMap::new();
    for (_, e) in input.evaluated() {
        for (f, data) in &e.findings {
            let event = checks
                .iter()
                .any(|c| c.id == f.check.as_str() && c.kind == Kind::Event);
            if !event || data.occurrences.is_empty() {
                continue;
            }
            let days = out
                .entry((f.check.to_string(), f.subject.clone()))
                .or_default();
            for (d, n) in data
                .occurrences
                .iter()
                .filter(|(d, _)| **d >= input.du && **d <= input.fin)
            {
                let x = days.entry(*d).or_insert(0);
                *x = (*x).max(*n);
            }
        }
    }
    out
}

/// What the period makes of one finding; `None` when no episode overlaps it.
fn life<'a>(
    check: &'a CheckInfo,
    subject: &'a str,
    list: &[Episode],
    input: &Input,
    last: Option<&'a Seen<'a>>,
) -> Option<Life<'a>> {
    let (du, fin) = (input.du, input.fin);
    let episodes: Vec<Episode> = list
        .iter()
        .filter(|e| e.start <= fin && e.resolved.is_none_or(|r| r > du))
        .cloned()
        .collect();
    if episodes.is_empty() {
        return None;
    }
    let first_seen = list.first().map(|e| e.start).unwrap_or(du);
    // Every « corrigé » and every correction delay of the bilan comes from here.
    // RULES.md, "Events and states": an event is never « corrigé » because quiet nights
    // passed, and never « ouvert » either: it is counted by its occurrences.
    let (open_end, resolutions): (bool, Vec<i64>) = match check.kind {
        Kind::State => (
            open_at(list, fin),
            episodes
                .iter()
                .filter(|e| e.resolved.is_some_and(|r| r >= du && r <= fin))
                .map(|e| e.days(fin))
                .collect(),
        ),
        Kind::Event => (false, Vec::new()),
    };
    Some(Life {
        check,
        subject,
        first_seen,
        is_new: first_seen >= du,
        open_end,
        accepted_end: open_end && last.is_some_and(|s| s.finding.accepted),
        fixed: !open_end && !resolutions.is_empty(),
        resolutions,
        episodes,
        last,
        occurrences: BTreeMap::new(),
    })
}
