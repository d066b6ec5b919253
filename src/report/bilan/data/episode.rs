//! A finding's episodes, from its lifecycle events: the low part of the lifecycle that the
//! bilan's input is read into ([`super::input`]); what the period makes of them is
//! [`super::lifecycle`].

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::finding::Event;
use crate::store::FindingEvent;

/// A finding's identity: (check, subject).
pub(super) type Key = (String, String);

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
            Event::Resolved | Event::Ended => {
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
