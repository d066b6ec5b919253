//! What a finding's lifecycle events make of it over the period: its episodes, and whether
//! it was relevé, nouveau, corrigé, open or accepted at the end, with its correction
//! delays. The per-check table, the summary, the forwarding totals and the lists of
//! findings all read a [`Life`] built here; only the month-by-month forwarding figures and
//! the exceptions' state at the end read the episodes themselves (with [`open_at`]). How a
//! kind of check ([`Kind`]) is counted is decided in [`life`]: changing it is one edit.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::input::{Input, Key, Seen};
use crate::checks::{CheckInfo, Kind};
use crate::finding::Event;
use crate::store::FindingEvent;

/// One episode of a finding, for the lists of the HTML and Markdown (never in the JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    pub start: NaiveDate,
    /// Resolution night; `None`: still open at `fin`.
    pub resolved: Option<NaiveDate>,
}

impl Episode {
    /// Nights open: to the resolution, or through `fin`.
    pub fn days(&self, fin: NaiveDate) -> i64 {
        match self.resolved {
            Some(r) => (r - self.start).num_days(),
            None => (fin - self.start).num_days() + 1,
        }
    }
}

/// Every finding's episodes, in order, by (check, subject).
pub(super) type Episodes = BTreeMap<Key, Vec<Episode>>;

/// The episodes of every finding, from its lifecycle events.
pub(super) fn episodes(events: &[FindingEvent]) -> Episodes {
    let mut out: Episodes = BTreeMap::new();
    for e in events {
        let list = out
            .entry((e.check.to_string(), e.subject.clone()))
            .or_default();
        match e.event {
            Event::New | Event::Reopened => list.push(Episode {
                start: e.night,
                resolved: None,
            }),
            Event::Resolved => {
                if let Some(last) = list.last_mut().filter(|x| x.resolved.is_none()) {
                    last.resolved = Some(e.night);
                }
            }
        }
    }
    out
}

/// Whether one of the episodes is open on `night`.
pub(super) fn open_at(eps: &[Episode], night: NaiveDate) -> bool {
    eps.iter()
        .any(|e| e.start <= night && e.resolved.is_none_or(|r| r > night))
}

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
    input
        .episodes
        .iter()
        .filter_map(|(key, list)| {
            let check = checks.iter().copied().find(|c| c.id == key.0)?;
            life(check, &key.1, list, input, seen.get(key))
        })
        .collect()
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
    let open_end = open_at(list, fin);
    // Every « corrigé » and every correction delay of the bilan comes from here.
    // RULES.md, "Events and states": an event is never « corrigé » because quiet nights
    // passed. The bilan does not make that distinction yet: an event's findings are
    // counted as episodes, like a state's, resolved when the finding is gone.
    let resolutions: Vec<i64> = match check.kind {
        Kind::State | Kind::Event => episodes
            .iter()
            .filter(|e| e.resolved.is_some_and(|r| r >= du && r <= fin))
            .map(|e| e.days(fin))
            .collect(),
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn episode_lengths() {
        let d = |n: u32| NaiveDate::from_ymd_opt(2025, 1, n).unwrap_or_default();
        let fixed = Episode {
            start: d(5),
            resolved: Some(d(8)),
        };
        assert_eq!(fixed.days(d(31)), 3);
        let open = Episode {
            start: d(30),
            resolved: None,
        };
        assert_eq!(open.days(d(31)), 2);
        assert!(open_at(std::slice::from_ref(&fixed), d(7)));
        assert!(!open_at(&[fixed], d(8)));
    }
}
