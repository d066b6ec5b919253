//! Progress of a night: bars per source on a terminal, log lines otherwise.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::store::{SourceOutcome, SourceStatus};

/// Shows per-source progress; silent (logs only) when stderr is not a terminal.
pub struct Progress {
    multi: Option<MultiProgress>,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Progress {
    /// Bars when stderr is a terminal and `enabled`, else nothing but logs.
    pub fn new(enabled: bool) -> Self {
        let multi = (enabled && std::io::stderr().is_terminal())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress {
            multi,
            bars: Mutex::new(HashMap::new()),
        }
    }

    /// No bars at all (tests, demo).
    pub fn hidden() -> Self {
        Progress {
            multi: None,
            bars: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn start(&self, source: &str) {
        tracing::debug!(source, "lecture de la source");
        if let Some(m) = &self.multi {
            let bar = m.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix:<36} {pos:>9} éléments  {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(source.to_string());
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            self.bars
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(source.to_string(), bar);
        }
    }

    pub(crate) fn advance(&self, source: &str, n: u64) {
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(source)
        {
            bar.inc(n);
        }
    }

    pub(crate) fn finish(&self, source: &str, outcome: &SourceOutcome) {
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(source)
        {
            let word = match outcome.status {
                SourceStatus::Collected => "ok",
                SourceStatus::NotCollected => "non collectée",
                SourceStatus::Failed | SourceStatus::Running => "échec",
            };
            bar.finish_with_message(word);
        }
    }

    pub(crate) fn clear(&self) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }
}
