//! The store: one SQLite file (WAL), schema versioned by migrations, where the year lives.
//!
//! - A run is a row; each source of a run has its own row (collected, not collected and why).
//! - Collected records are versioned (`versions`): a page is written in one transaction, a
//!   record that did not change only has its `seen_run` moved, one that changed or vanished
//!   gets a new version. What earlier runs saw is never rewritten, so a run killed halfway
//!   loses at most its page in flight and alters no past night.
//! - A run that dies is marked `interrupted` by the next one, which then works normally.
//! - One process at a time: an advisory lock on `<base>.lock`; the second process gets
//!   [`StoreError::Busy`].
//! - The file and its directory are created private (0600 / 0700): they hold personal data.
//! - Opening checks the file (`PRAGMA quick_check`) before anything is read or written, and
//!   refuses a base that lost its history (emptied, deleted under its lock) unless a new
//!   history is asked for ([`History::StartAgain`]).

mod db;
mod error;
mod findings;
mod migrations;
mod partial;
mod reports;
mod retention;
mod runs;
mod signins;
mod versions;

pub use db::{History, Store};
pub use error::StoreError;
pub use findings::{Lifecycle, LifecycleDelta, NightRecord, PostureFigure, StoredFinding};
pub use partial::PartialRow;
pub use reports::{EvaluationRow, FindingEvent};
pub use retention::Retention;
pub use runs::{RunId, RunRow, RunStatus, SourceOutcome, SourceRow, SourceStatus};
pub use versions::WriteStats;

#[cfg(test)]
mod tampered;
#[cfg(test)]
mod tests;
