//! Nightly collection: every source of `queries/`, read page by page into the store.
//!
//! Sources that hit different throttle classes run at the same time; within a class the
//! limiter sets the pace. The order is dictated by what each source needs:
//!
//! ```text
//!  conditional access ─► group members ─► users (classified as they stream) ─┬─► sign-ins
//!  registration details (identity reports) ───────────────────────────────┐  ├─► sign-in activity
//!  Exchange: mailboxes, contacts, domains, policies, rules ───────────────┴──┴─► inbox rules ($batch)
//! ```
//!
//! Each page is written in one transaction. A source that fails (after its retries) or that
//! the app may not read (403, missing licence) is recorded with its reason, the others go
//! on, and the night ends `partial` (exit 3). Nothing is ever recorded as "nothing found"
//! for a source that was not read.

mod directory;
pub mod doctor;
mod exchange;
mod mailboxes;
mod progress;
mod signins;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};

use crate::classify::Rules;
use crate::graph::{Call, GraphClient, GraphError};
use crate::model::Record;
use crate::queries::{self, Query};
use crate::store::{RunId, RunStatus, SourceOutcome, SourceStatus, Store, StoreError};

pub use progress::Progress;

/// What a night of collection needs to know.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The instant the night is evaluated "as of" (sign-ins are read up to it).
    pub as_of: DateTime<Utc>,
    /// The local date of the night.
    pub night: NaiveDate,
    pub tz: chrono_tz::Tz,
    /// Days of sign-ins read on the first night (at most what Microsoft keeps: 30).
    pub first_night_days: i64,
    /// Re-read this much before the last watermark, for sign-ins that arrive late.
    pub overlap: chrono::Duration,
    /// `$batch` requests of inbox rules in flight at once.
    pub batch_concurrency: usize,
    /// Read `signInActivity` for the accounts in scope.
    pub sign_in_activity: bool,
    /// Other accounts whose sign-ins are read (lowercase UPNs).
    pub tracked_upns: Vec<String>,
    pub rules: Rules,
    pub retention: crate::store::Retention,
}

impl Settings {
    /// The settings of a configuration for a night evaluated "as of" `as_of`. The night is
    /// the local date twelve hours before: a run at 03:00 audits the day before.
    pub fn from_config(
        config: &crate::config::Config,
        as_of: DateTime<Utc>,
    ) -> Result<Settings, crate::classify::RegisterError> {
        let tz = config.evaluation.timezone;
        Ok(Settings {
            as_of,
            night: night_of(as_of, tz),
            tz,
            first_night_days: i64::from(config.collection.first_night_days),
            overlap: chrono::Duration::minutes(i64::from(config.collection.overlap_minutes)),
            batch_concurrency: config.collection.concurrent_batches.get() as usize,
            sign_in_activity: config.collection.sign_in_activity
                == crate::config::SignInActivity::InScope,
            tracked_upns: config.collection.followed_accounts.clone(),
            rules: Rules::from_config(&config.classification)?,
            retention: crate::store::Retention {
                raw_signin_days: i64::from(config.retention.raw_sign_ins_days),
                data_days: i64::from(config.retention.personal_data_days),
            },
        })
    }
}

/// The local date a run audits: the date twelve hours before `as_of` in `tz`.
pub fn night_of(as_of: DateTime<Utc>, tz: chrono_tz::Tz) -> NaiveDate {
    (as_of - chrono::Duration::hours(12))
        .with_timezone(&tz)
        .date_naive()
}

/// The outcome of one source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceReport {
    pub source: String,
    pub outcome: SourceOutcome,
}

/// The outcome of a night of collection.
#[derive(Debug, Clone)]
pub struct NightReport {
    pub run: RunId,
    pub status: RunStatus,
    pub sources: Vec<SourceReport>,
}

impl NightReport {
    /// The sources not collected or failed, with their reason (for the summary and the mail).
    pub fn problems(&self) -> impl Iterator<Item = &SourceReport> {
        self.sources
            .iter()
            .filter(|s| s.outcome.status != SourceStatus::Collected)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("requête inconnue du catalogue : {0} (défaut de vigie365)")]
    UnknownQuery(&'static str),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// The French summary of a night's collection, for stdout.
pub fn summary_fr(r: &NightReport) -> String {
    let mut out = String::new();
    let status = match r.status {
        RunStatus::Complete => "complète",
        RunStatus::Partial => "partielle : des sources n'ont pas pu être lues",
        RunStatus::Failed => "en échec",
        RunStatus::Interrupted | RunStatus::Running => "interrompue",
    };
    out.push_str(&format!("Collecte n° {} : {status}\n", r.run));
    for s in &r.sources {
        let word = match s.outcome.status {
            SourceStatus::Collected => "lue",
            SourceStatus::NotCollected => "NON COLLECTÉE",
            SourceStatus::Failed | SourceStatus::Running => "ÉCHEC",
        };
        out.push_str(&format!(
            "  {:<36} {:<14} {:>9} éléments\n",
            s.source, word, s.outcome.records
        ));
        if let Some(reason) = &s.outcome.reason {
            out.push_str(&format!("      {reason}\n"));
        }
    }
    out
}

/// Shared state of one night's collection.
pub(crate) struct Ctx {
    pub client: GraphClient,
    pub store: Arc<Mutex<Store>>,
    pub run: RunId,
    pub settings: Settings,
    pub progress: Progress,
    reports: Mutex<Vec<SourceReport>>,
}

pub(crate) fn query(name: &'static str) -> Result<&'static Query, CollectError> {
    queries::get(name).ok_or(CollectError::UnknownQuery(name))
}

impl Ctx {
    pub fn with_store<R>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        // A poisoned lock means another collector panicked mid-write; SQLite's transaction
        // already rolled back, so the connection is still sound.
        let mut guard = self.store.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    pub fn start(&self, source: &str) -> Result<(), StoreError> {
        self.progress.start(source);
        self.with_store(|s| s.source_started(self.run, source))
    }

    pub fn finish(&self, source: &str, outcome: SourceOutcome) -> Result<(), StoreError> {
        self.progress.finish(source, &outcome);
        match outcome.status {
            SourceStatus::Collected => {
                tracing::info!(
                    source,
                    records = outcome.records,
                    pages = outcome.pages,
                    "source collectée"
                )
            }
            _ => tracing::warn!(
                source,
                status = outcome.status.as_str(),
                reason = outcome.reason.as_deref().unwrap_or(""),
                "source non collectée"
            ),
        }
        self.with_store(|s| s.source_finished(self.run, source, &outcome))?;
        self.reports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(SourceReport {
                source: source.to_string(),
                outcome,
            });
        Ok(())
    }

    /// Records a source that could not run because one it depends on failed.
    pub fn skipped(&self, source: &str, because: &str) -> Result<(), StoreError> {
        self.start(source)?;
        self.finish(
            source,
            SourceOutcome {
                status: SourceStatus::Failed,
                records: 0,
                pages: 0,
                reason: Some(format!(
                    "non lue : la source « {because} » dont elle dépend n'a pas été collectée"
                )),
                permission: None,
            },
        )
    }
}

/// Turns a remote error into the outcome of its source.
pub(crate) fn failed(err: &GraphError, query: &Query, records: i64, pages: i64) -> SourceOutcome {
    let status = if err.is_access_denied() {
        SourceStatus::NotCollected
    } else {
        SourceStatus::Failed
    };
    SourceOutcome {
        status,
        records,
        pages,
        reason: Some(err.to_string()),
        permission: err
            .is_access_denied()
            .then(|| query.permissions.join(" et ")),
    }
}

pub(crate) fn collected(records: i64, pages: i64, reason: Option<String>) -> SourceOutcome {
    SourceOutcome {
        status: SourceStatus::Collected,
        records,
        pages,
        reason,
        permission: None,
    }
}

/// Which records a completely read source lets the store close.
pub(crate) enum Close {
    /// Every record of the kind not seen this run has vanished.
    All,
    /// Only those under this key prefix (one group, one mailbox).
    Prefix(String),
    /// None (the read covered only part of the kind: the caller closes later).
    Nothing,
}

/// Reads every page of `call`, converts each item, writes each page in one transaction, and
/// closes the records not seen when the source was read completely.
pub(crate) async fn paged<W, R>(
    ctx: &Ctx,
    query: &Query,
    call: Call,
    mut convert: impl FnMut(W) -> Option<R>,
    close: Close,
    mut on_page: impl FnMut(&[R]),
) -> Result<Result<(i64, i64), SourceOutcome>, StoreError>
where
    W: serde::de::DeserializeOwned,
    R: Record,
{
    let mut pager = ctx.client.pages::<W>(call);
    let (mut records, mut pages) = (0i64, 0i64);
    loop {
        match pager.next_page().await {
            Ok(Some(page)) => {
                let items: Vec<R> = page.items.into_iter().filter_map(&mut convert).collect();
                on_page(&items);
                ctx.with_store(|s| s.write_page(ctx.run, &items))?;
                records += items.len() as i64;
                pages += 1;
                tracing::debug!(source = %query.name, page = pages, records = items.len(), "page écrite");
                ctx.progress.advance(&query.name, items.len() as u64);
            }
            Ok(None) => break,
            Err(e) => return Ok(Err(failed(&e, query, records, pages))),
        }
    }
    match close {
        Close::All => ctx.with_store(|s| s.close_unseen(ctx.run, R::KIND, None))?,
        Close::Prefix(p) => ctx.with_store(|s| s.close_unseen(ctx.run, R::KIND, Some(&p)))?,
        Close::Nothing => 0,
    };
    Ok(Ok((records, pages)))
}

/// What the directory phase hands to the sources that depend on it.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    /// Accounts whose sign-ins are read: generic, « Appli », tracked.
    pub in_scope: Vec<(String, String)>,
    /// Member accounts (candidates for inbox rules when Exchange gave no mailbox list).
    pub members: Vec<String>,
}

/// Collects one night into the store. The run row is created here and closed with the
/// night's status; the report lists every source with its outcome.
pub async fn collect_night(
    client: GraphClient,
    store: Arc<Mutex<Store>>,
    settings: Settings,
    progress: Progress,
) -> Result<NightReport, CollectError> {
    let run = {
        let mut s = store.lock().unwrap_or_else(|p| p.into_inner());
        s.begin_run(settings.as_of, settings.night)?
    };
    tracing::info!(run, night = %settings.night, as_of = %settings.as_of, "collecte de la nuit");
    let ctx = Arc::new(Ctx {
        client,
        store,
        run,
        settings,
        progress,
        reports: Mutex::new(Vec::new()),
    });
    let result = run_sources(ctx.clone()).await;
    let mut sources = std::mem::take(&mut *ctx.reports.lock().unwrap_or_else(|p| p.into_inner()));
    sources.sort_by(|a, b| a.source.cmp(&b.source));
    let status = match &result {
        Err(_) => RunStatus::Failed,
        Ok(())
            if sources
                .iter()
                .all(|s| s.outcome.status == SourceStatus::Collected) =>
        {
            RunStatus::Complete
        }
        Ok(())
            if sources
                .iter()
                .any(|s| s.outcome.status == SourceStatus::Collected) =>
        {
            RunStatus::Partial
        }
        Ok(()) => RunStatus::Failed,
    };
    let error = match &result {
        Err(e) => Some(e.to_string()),
        Ok(()) if status == RunStatus::Failed => {
            sources.iter().find_map(|s| s.outcome.reason.clone())
        }
        Ok(()) => None,
    };
    ctx.with_store(|s| {
        s.finish_run(run, status, error.as_deref())?;
        s.purge(ctx.settings.as_of, ctx.settings.retention)?;
        Ok(())
    })?;
    ctx.progress.clear();
    result?;
    Ok(NightReport {
        run,
        status,
        sources,
    })
}

async fn run_sources(ctx: Arc<Ctx>) -> Result<(), CollectError> {
    let ctx = &*ctx;
    // Conditional access first: its groups must be resolved before users are classified.
    let directory = async {
        let ca_groups = directory::conditional_access(ctx).await?;
        let mut groups: Vec<String> = ca_groups
            .into_iter()
            .chain(ctx.settings.rules.groups())
            .collect();
        groups.sort();
        groups.dedup();
        let memberships = directory::group_members(ctx, &groups).await?;
        directory::users(ctx, &memberships).await
    };
    let dependent = async {
        let (mailboxes, scope) = tokio::join!(exchange::all(ctx), directory);
        let (mailboxes, scope) = (mailboxes?, scope?);
        match scope {
            Some(scope) => {
                let targets = mailboxes.unwrap_or_else(|| scope.members.clone());
                let (a, b, c) = tokio::join!(
                    signins::sign_ins(ctx, &scope.in_scope),
                    directory::sign_in_activity(ctx, &scope.in_scope),
                    mailboxes::inbox_rules(ctx, targets),
                );
                a?;
                b?;
                c
            }
            None => {
                for s in ["sign-ins", "users-sign-in-activity"] {
                    ctx.skipped(s, "users")?;
                }
                match mailboxes {
                    Some(targets) => mailboxes::inbox_rules(ctx, targets).await,
                    None => Ok(ctx.skipped("message-rules", "users")?),
                }
            }
        }
    };
    // Registration details share the identity reports class with sign-ins; the limiter
    // interleaves them.
    let (reg, rest) = tokio::join!(directory::registration(ctx), dependent);
    reg?;
    rest
}

/// Group memberships of the accounts, for classification: user id → group ids.
pub(crate) type Memberships = HashMap<String, HashSet<String>>;

/// The in-scope set for one kind of account, as a lookup.
pub(crate) fn lowercase_set(v: &[String]) -> HashSet<String> {
    v.iter().map(|s| s.to_lowercase()).collect()
}

/// Stable store prefixes.
pub(crate) fn prefix(key: &str) -> String {
    format!("{key}/")
}
