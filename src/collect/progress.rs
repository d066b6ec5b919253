//! Progress of a night: on a terminal, one line per source counting what the summary counts
//! (with its own unit where the source reads something else, e.g. the mailboxes of the
//! inbox rules) and an overall line with the elapsed time and an estimate; log lines are
//! printed above the bars (see [`crate::logs`]). Nothing but logs otherwise.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::store::{SourceOutcome, SourceStatus};

/// Shows per-source progress; silent (logs only) when stderr is not a terminal.
pub struct Progress {
    multi: Option<MultiProgress>,
    overall: Option<ProgressBar>,
    bars: Mutex<HashMap<String, ProgressBar>>,
    tally: Mutex<Tally>,
}

/// Sources started and finished, for the overall line.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    started: u64,
    finished: u64,
    since: Option<Instant>,
}

/// The unit a source counts in, from its `queries/` file (« éléments » for a source the
/// catalogue does not know).
pub fn unit_fr(source: &str) -> &'static str {
    crate::queries::get(source).map_or("éléments", |q| q.unit.as_str())
}

/// The count of a source as both its bar and the night's summary write it.
pub fn count_fr(source: &str, records: u64) -> String {
    format!("{records:>9} {}", unit_fr(source))
}

/// A finished source's status, as both its bar and the night's summary write it.
pub fn status_fr(status: SourceStatus) -> &'static str {
    match status {
        SourceStatus::Collected => "lue",
        SourceStatus::NotCollected => "NON COLLECTÉE",
        SourceStatus::Failed | SourceStatus::Running => "ÉCHEC",
    }
}

/// The overall line: sources finished, elapsed time, and an estimate of what remains. The
/// estimate is the elapsed time's rate (elapsed × unfinished / finished): the limiters'
/// pace is not known here.
pub fn overall_fr(started: u64, finished: u64, elapsed: Duration) -> String {
    let clock = |d: Duration| {
        let s = d.as_secs();
        format!("{}:{:02}", s / 60, s % 60)
    };
    let estimate = if finished == 0 || finished >= started {
        String::new()
    } else {
        let left = elapsed.mul_f64((started - finished) as f64 / finished as f64);
        format!(" ; reste environ {}", clock(left))
    };
    format!(
        "nuit : {finished} source(s) terminée(s) sur {started} commencée(s) ; écoulé {}{estimate}",
        clock(elapsed)
    )
}

impl Progress {
    /// Bars when stderr is a terminal and `enabled`, else nothing but logs.
    pub fn new(enabled: bool) -> Self {
        if !(enabled && std::io::stderr().is_terminal()) {
            return Self::hidden();
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new_spinner());
        overall.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        overall.enable_steady_tick(Duration::from_millis(200));
        crate::logs::show_above(Some(multi.clone()));
        Progress {
            multi: Some(multi),
            overall: Some(overall),
            bars: Mutex::new(HashMap::new()),
            tally: Mutex::new(Tally::default()),
        }
    }

    /// No bars at all (tests, demo).
    pub fn hidden() -> Self {
        Progress {
            multi: None,
            overall: None,
            bars: Mutex::new(HashMap::new()),
            tally: Mutex::new(Tally::default()),
        }
    }

    fn tally(&self, f: impl FnOnce(&mut Tally)) {
        let mut t = self.tally.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut t);
        if let Some(o) = &self.overall {
            let elapsed = t.since.map(|s| s.elapsed()).unwrap_or_default();
            o.set_message(overall_fr(t.started, t.finished, elapsed));
        }
    }

    pub(crate) fn start(&self, source: &str) {
        tracing::debug!(source, "lecture de la source");
        self.tally(|t| {
            t.started += 1;
            t.since.get_or_insert_with(Instant::now);
        });
        if let Some(m) = &self.multi {
            let bar = m.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{{spinner}} {{prefix:<36}} {{pos:>9}} {}{{msg}}  {{elapsed}}",
                    unit_fr(source)
                ))
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(source.to_string());
            bar.enable_steady_tick(Duration::from_millis(200));
            self.bars
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(source.to_string(), bar);
        }
    }

    fn bar(&self, source: &str, f: impl FnOnce(&ProgressBar)) {
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(source)
        {
            f(bar);
        }
    }

    /// `n` more elements of `source`: what its summary line counts.
    pub(crate) fn advance(&self, source: &str, n: u64) {
        self.bar(source, |b| b.inc(n));
    }

    /// What `source` reads to find its elements, in its own unit (« 1930 boîtes lues »).
    pub(crate) fn read(&self, source: &str, what: &str) {
        self.bar(source, |b| b.set_message(format!(" ({what})")));
    }

    pub(crate) fn finish(&self, source: &str, outcome: &SourceOutcome) {
        self.tally(|t| t.finished += 1);
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(source)
        {
            let word = status_fr(outcome.status);
            // The bar ends on the summary's own count.
            bar.set_style(
                ProgressStyle::with_template("  {prefix:<36} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.finish_with_message(format!(
                "{word:<14} {}",
                count_fr(source, outcome.records.max(0) as u64)
            ));
        }
    }

    /// Takes the bars off the screen; log lines go straight to stderr again.
    pub(crate) fn clear(&self) {
        if let Some(m) = &self.multi {
            if let Some(o) = &self.overall {
                o.finish_and_clear();
            }
            let _ = m.clear();
            crate::logs::show_above(None);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_overall_line_estimates_from_the_elapsed_rate() {
        assert_eq!(
            overall_fr(4, 0, Duration::from_secs(5)),
            "nuit : 0 source(s) terminée(s) sur 4 commencée(s) ; écoulé 0:05"
        );
        assert_eq!(
            overall_fr(6, 2, Duration::from_secs(90)),
            "nuit : 2 source(s) terminée(s) sur 6 commencée(s) ; écoulé 1:30 ; reste environ 3:00"
        );
        assert!(!overall_fr(3, 3, Duration::from_secs(1)).contains("reste"));
    }

    #[test]
    fn bars_and_summary_share_the_count_in_the_source_s_own_unit() {
        assert_eq!(count_fr("message-rules", 18), "       18 règles");
        assert_eq!(count_fr("sign-ins", 3476), "     3476 connexions");
        assert_eq!(count_fr("users", 400), "      400 comptes");
        assert_eq!(count_fr("inconnue", 2), "        2 éléments");
        for q in crate::queries::all() {
            assert!(
                !q.unit.trim().is_empty() && q.unit != "éléments",
                "{}: the summary must say what it counts",
                q.name
            );
        }
    }
}
