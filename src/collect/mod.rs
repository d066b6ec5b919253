//! Nightly collection: every source of `queries/`, read page by page into the store.
//!
//! Sources that hit different throttle classes run at the same time; within a class the
//! limiter sets the pace. The order is dictated by what each source needs:
//!
//! ```text
//!  conditional access ─► group members ─► users (classified as they stream) ─┬─► sign-ins
//!  registration details (identity reports)                                    └─► sign-in activity
//!  Exchange: mailboxes ─────────────────────────────────────────────────────────► inbox rules ($batch)
//!            then contacts, domains, policies, transport rules
//! ```
//!
//! A dependent source does not wait for the whole of the one it needs: the accounts in scope
//! and the mailboxes are handed over page by page (`feed`), so sign-ins start after the first
//! page of users and share the identity reports class with registration details from the
//! first minutes, and nothing proportional to the tenant is held in memory. The store is
//! written by one thread (`writer`) while the collectors request their next page.
//! `--concurrency 1` runs the sources one after the other, one request at a time (the
//! benchmark's baseline).
//!
//! Each page is written in one transaction. A source that fails (after its retries) or that
//! the app may not read (403, missing licence) is recorded with its reason, the others go
//! on, and the night ends `partial` (exit 3). Nothing is ever recorded as "nothing found"
//! for a source that was not read. A night where Entra ID refused the token, or where no
//! source could be read from Microsoft at all, ends `failed` (exit 1): the cause is said
//! once ([`TokenFailure`]) and each source refers to it.

mod directory;
pub mod doctor;
mod exchange;
mod feed;
mod mailboxes;
mod progress;
mod signins;
mod writer;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};

use crate::classify::Rules;
use crate::graph::{AuthError, Call, GraphClient, GraphError};
use crate::model::Record;
use crate::queries::{self, Query};
use crate::store::{RunId, RunStatus, SourceOutcome, SourceStatus, Store, StoreError};

pub use directory::sign_in_activity_turn;
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
    /// `$batch` requests of inbox rules in flight at once (single GETs with `batch` false).
    pub batch_concurrency: usize,
    /// Sources one after the other, one request at a time (`--concurrency 1`): the way a
    /// simple script reads a tenant, kept as the benchmark's baseline.
    pub sequential: bool,
    /// Inbox rules through `$batch`, 20 mailboxes to a request; `false` (`--no-batch`): one
    /// GET per mailbox.
    pub batch: bool,
    /// Sign-in requests in flight at once. They share the identity reports class with
    /// registration details: the limiter sets the pace, several readers keep it busy while
    /// one of them parses and the store writes.
    pub sign_in_readers: usize,
    /// Read `signInActivity` for the accounts in scope.
    pub sign_in_activity: bool,
    /// An account that has its `signInActivity` in the store is read again once every this
    /// many nights, on its turn (`sign_in_activity_turn`); 1: every night.
    pub sign_in_activity_rotation_nights: u32,
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
            sequential: false,
            batch: true,
            sign_in_readers: SIGN_IN_READERS,
            sign_in_activity: config.collection.sign_in_activity
                == crate::config::SignInActivity::InScope,
            sign_in_activity_rotation_nights: config
                .collection
                .sign_in_activity_rotation_nights
                .get(),
            tracked_upns: config.collection.followed_accounts.clone(),
            rules: Rules::from_config(&config.classification)?,
            retention: crate::store::Retention {
                raw_signin_days: i64::from(config.retention.raw_sign_ins_days),
                data_days: i64::from(config.retention.personal_data_days),
            },
        })
    }
}

impl Settings {
    /// `--concurrency N`: at most N requests of a source in flight; 1 runs the sources one
    /// after the other, one request at a time.
    pub fn with_concurrency(mut self, n: usize) -> Settings {
        let n = n.max(1);
        self.sequential = n == 1;
        self.batch_concurrency = n;
        self.sign_in_readers = self.sign_in_readers.min(n);
        self
    }

    /// `--no-batch`: inbox rules read with one GET per mailbox.
    pub fn without_batch(mut self) -> Settings {
        self.batch = false;
        self
    }
}

/// Sign-in requests in flight at once (see `Settings::sign_in_readers`).
const SIGN_IN_READERS: usize = 3;

/// Page writes a pager may have in flight (submitted, not yet written).
const WRITE_DEPTH: usize = 2;

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
    /// Why no token could be had, when that is why sources failed (said once).
    pub token: Option<TokenFailure>,
    /// Why the night failed, as recorded in the store; `None` unless `status` is failed.
    pub failure: Option<String>,
}

/// No request could be made because the token could not be had: every source fails with
/// this one cause, which the summary says once and each source refers to.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenFailure {
    /// Entra ID refused the application's credentials (wrong, expired or revoked secret,
    /// certificate, consent): no later request will do better, the night fails.
    pub refused: bool,
    /// The cause and its fix, on one line.
    pub cause: String,
}

impl TokenFailure {
    /// The token failure behind `err`, if that is what it is.
    pub fn of(err: &GraphError) -> Option<TokenFailure> {
        let GraphError::Auth(auth) = err else {
            return None;
        };
        let cause = match auth {
            AuthError::Refused {
                audience,
                code,
                hint,
                ..
            } => format!("Entra ID a refusé le jeton {audience} ({code}) : {hint}"),
            other => other
                .to_string()
                .replace("\n  correctif :", " ; correctif :"),
        };
        Some(TokenFailure {
            refused: !matches!(
                auth,
                AuthError::Unreachable { .. } | AuthError::Malformed { .. }
            ),
            cause,
        })
    }

    /// What each source says instead of repeating the cause.
    pub fn reference(&self) -> &'static str {
        if self.refused {
            "non lue : jeton refusé, voir plus haut"
        } else {
            "non lue : jeton non obtenu, voir plus haut"
        }
    }
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
    #[error("écriture dans la base interrompue (défaut de vigie365)")]
    Writer,
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
    if let Some(t) = &r.token {
        out.push_str(&format!("  {}\n", t.cause));
    }
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
    pub run: RunId,
    pub settings: Settings,
    pub progress: Progress,
    writer: writer::Writer,
    reports: Mutex<Vec<SourceReport>>,
    /// The first token failure of the night.
    token: Mutex<Option<TokenFailure>>,
}

pub(crate) fn query(name: &'static str) -> Result<&'static Query, CollectError> {
    queries::get(name).ok_or(CollectError::UnknownQuery(name))
}

impl Ctx {
    /// Runs `f` on the store after everything submitted before, and returns its result.
    pub async fn store<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, CollectError> {
        self.writer.run(f).await
    }

    /// Queues `f` on the store; await the result later (see `writer::InFlight`).
    pub fn submit<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
    ) -> writer::Pending<R> {
        self.writer.submit(f)
    }

    pub async fn start(&self, source: &str) -> Result<(), CollectError> {
        self.progress.start(source);
        let (run, source) = (self.run, source.to_string());
        self.store(move |s| s.source_started(run, &source)).await
    }

    pub async fn finish(&self, source: &str, outcome: SourceOutcome) -> Result<(), CollectError> {
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
        let (run, name, stored) = (self.run, source.to_string(), outcome.clone());
        self.store(move |s| s.source_finished(run, &name, &stored))
            .await?;
        self.reports
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(SourceReport {
                source: source.to_string(),
                outcome,
            });
        Ok(())
    }

    /// Closes the records of a kind this run did not see (under `prefix` when given).
    pub async fn close_unseen(
        &self,
        kind: crate::model::Kind,
        prefix: Option<String>,
    ) -> Result<usize, CollectError> {
        let run = self.run;
        self.store(move |s| s.close_unseen(run, kind, prefix.as_deref()))
            .await
    }
}

/// The outcome of a source that could not be read (completely) because one it depends on
/// was not collected.
pub(crate) fn dependency_failed(because: &str, records: i64, pages: i64) -> SourceOutcome {
    SourceOutcome {
        status: SourceStatus::Failed,
        records,
        pages,
        reason: Some(format!(
            "non lue : la source « {because} » dont elle dépend n'a pas été collectée"
        )),
        permission: None,
    }
}

/// Turns a remote error into the outcome of its source. A token failure is kept as the
/// night's one cause; the source refers to it.
pub(crate) fn failed(
    ctx: &Ctx,
    err: &GraphError,
    query: &Query,
    records: i64,
    pages: i64,
) -> SourceOutcome {
    let status = if err.is_access_denied() {
        SourceStatus::NotCollected
    } else {
        SourceStatus::Failed
    };
    let reason = match TokenFailure::of(err) {
        Some(t) => {
            let reference = t.reference().to_string();
            ctx.token
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert(t);
            reference
        }
        None => err.to_string(),
    };
    SourceOutcome {
        status,
        records,
        pages,
        reason: Some(reason),
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
/// closes the records not seen when the source was read completely. Pages are written by
/// the store's thread while the next one is requested.
pub(crate) async fn paged<W, R>(
    ctx: &Ctx,
    query: &Query,
    call: Call,
    mut convert: impl FnMut(W) -> Option<R>,
    close: Close,
    mut on_page: impl AsyncFnMut(&[R]),
) -> Result<Result<(i64, i64), SourceOutcome>, CollectError>
where
    W: serde::de::DeserializeOwned,
    R: Record + Send + 'static,
{
    let mut pager = ctx.client.pages::<W>(call);
    let (mut records, mut pages) = (0i64, 0i64);
    let mut writes = writer::InFlight::new(WRITE_DEPTH);
    let run = ctx.run;
    loop {
        match pager.next_page().await {
            Ok(Some(page)) => {
                let items: Vec<R> = page.items.into_iter().filter_map(&mut convert).collect();
                on_page(&items).await;
                let n = items.len();
                writes
                    .push(ctx.submit(move |s| s.write_page(run, &items)))
                    .await?;
                records += n as i64;
                pages += 1;
                tracing::debug!(source = %query.name, page = pages, records = n, "page écrite");
                ctx.progress.advance(&query.name, n as u64);
            }
            Ok(None) => break,
            Err(e) => {
                writes.drain().await?;
                return Ok(Err(failed(ctx, &e, query, records, pages)));
            }
        }
    }
    writes.drain().await?;
    match close {
        Close::All => ctx.close_unseen(R::KIND, None).await?,
        Close::Prefix(p) => ctx.close_unseen(R::KIND, Some(p)).await?,
        Close::Nothing => 0,
    };
    Ok(Ok((records, pages)))
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
    let ctx = Ctx {
        client,
        run,
        settings,
        progress,
        writer: writer::Writer::start(store),
        reports: Mutex::new(Vec::new()),
        token: Mutex::new(None),
    };
    let result = run_sources(&ctx).await;
    let mut sources = std::mem::take(&mut *ctx.reports.lock().unwrap_or_else(|p| p.into_inner()));
    sources.sort_by(|a, b| a.source.cmp(&b.source));
    let token = ctx.token.lock().unwrap_or_else(|p| p.into_inner()).take();
    // A source read from Microsoft made at least one request (a page); one with nothing to
    // ask (no group to expand) says nothing about whether the tenant could be read.
    let read_any = sources
        .iter()
        .any(|s| s.outcome.status == SourceStatus::Collected && s.outcome.pages > 0);
    let status = match &result {
        Err(_) => RunStatus::Failed,
        Ok(()) if token.as_ref().is_some_and(|t| t.refused) || !read_any => RunStatus::Failed,
        Ok(())
            if sources
                .iter()
                .all(|s| s.outcome.status == SourceStatus::Collected) =>
        {
            RunStatus::Complete
        }
        Ok(()) => RunStatus::Partial,
    };
    let error = match &result {
        Err(e) => Some(e.to_string()),
        Ok(()) if status == RunStatus::Failed => {
            token.as_ref().map(|t| t.cause.clone()).or_else(|| {
                sources
                    .iter()
                    .filter(|s| s.outcome.status != SourceStatus::Collected)
                    .find_map(|s| s.outcome.reason.clone())
            })
        }
        Ok(()) => None,
    };
    let (as_of, retention) = (ctx.settings.as_of, ctx.settings.retention);
    let stored = error.clone();
    let closed = ctx
        .store(move |s| {
            s.finish_run(run, status, stored.as_deref())?;
            s.purge(as_of, retention)?;
            Ok(())
        })
        .await;
    ctx.writer.close().await;
    ctx.progress.clear();
    closed?;
    result?;
    Ok(NightReport {
        run,
        status,
        sources,
        token,
        failure: error,
    })
}

async fn run_sources(ctx: &Ctx) -> Result<(), CollectError> {
    let sequential = ctx.settings.sequential;
    // Accounts in scope stream from users to the sign-in sources (a few percent of the
    // tenant); mailboxes stream from Exchange to inbox rules, a few pages ahead at most.
    let (scope_tx, scope_rx) = feed::feed(None);
    let (activity_tx, activity_rx) = feed::feed(None);
    let (mailbox_tx, mailbox_rx) = feed::feed(if sequential { None } else { Some(4) });
    let (users_tx, users_rx) = tokio::sync::watch::channel(None);
    let feeds = directory::UserFeeds {
        sign_ins: scope_tx,
        activity: activity_tx,
        done: users_tx,
    };
    // Conditional access first: its groups must be resolved before users are classified.
    let directory = async move {
        let ca_groups = directory::conditional_access(ctx).await?;
        let mut groups: Vec<String> = ca_groups
            .into_iter()
            .chain(ctx.settings.rules.groups())
            .collect();
        groups.sort();
        groups.dedup();
        let memberships = directory::group_members(ctx, &groups).await?;
        directory::users(ctx, &memberships, feeds).await
    };
    let exchange = exchange::all(ctx, mailbox_tx);
    let sign_ins = signins::sign_ins(ctx, scope_rx);
    let activity = directory::sign_in_activity(ctx, activity_rx);
    let rules = mailboxes::inbox_rules(ctx, mailbox_rx, users_rx);
    if sequential {
        directory.await?;
        directory::registration(ctx).await?;
        exchange.await?;
        sign_ins.await?;
        activity.await?;
        return rules.await;
    }
    // Registration details share the identity reports class with sign-ins; the limiter
    // interleaves them.
    let (d, r, e, s, a, m) = tokio::join!(
        directory,
        directory::registration(ctx),
        exchange,
        sign_ins,
        activity,
        rules
    );
    d?;
    r?;
    e?;
    s?;
    a?;
    m
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

/// Runs `n` copies of a worker future to completion, concurrently on this task.
pub(crate) async fn join_workers<F, Fut, T>(n: usize, make: F) -> Vec<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = T>,
{
    let futs: Vec<_> = (0..n.max(1)).map(|_| Box::pin(make())).collect();
    join_all(futs).await
}

async fn join_all<Fut: Future + Unpin>(mut futs: Vec<Fut>) -> Vec<Fut::Output> {
    let mut out: Vec<Option<Fut::Output>> = (0..futs.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in futs.iter_mut().enumerate() {
            if out[i].is_none() {
                match std::pin::Pin::new(f).poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}
