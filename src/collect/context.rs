//! The shared context of one night's collection (the client, the run, the settings, the
//! store's writer, the progress) and the outcomes a source ends with.

use std::sync::{Arc, Mutex};

use super::error::CollectError;
use super::progress::Progress;
use super::settings::Settings;
use super::writer;
use crate::graph::{AuthError, GraphClient, GraphError};
use crate::model::Kind;
use crate::queries::{self, Query};
use crate::store::{RunId, SourceOutcome, SourceStatus, Store, StoreError};

/// The outcome of one source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceReport {
    pub source: String,
    pub outcome: SourceOutcome,
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
    /// Which accounts the tenant-wide sources may keep (`perimeter`).
    pub(crate) gate: tokio::sync::watch::Sender<super::perimeter::Gate>,
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

/// The catalogue entry of a source (a name missing from `queries/` is a defect of vigie365).
pub(crate) fn query(name: &'static str) -> Result<&'static Query, CollectError> {
    queries::get(name).ok_or(CollectError::UnknownQuery(name))
}

impl Ctx {
    /// The context of run `run`; the store is written from one thread from now on.
    pub fn new(
        client: GraphClient,
        run: RunId,
        settings: Settings,
        progress: Progress,
        store: Arc<Mutex<Store>>,
    ) -> Ctx {
        let gate = super::perimeter::gate(settings.perimeter.is_some());
        Ctx {
            gate,
            client,
            run,
            settings,
            progress,
            writer: writer::Writer::start(store),
            reports: Mutex::new(Vec::new()),
            token: Mutex::new(None),
        }
    }

    /// The night's token failure, if a source met one (taken).
    pub fn take_token(&self) -> Option<TokenFailure> {
        self.token.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// The outcomes of the sources finished so far (taken: a second call returns none).
    pub fn take_reports(&self) -> Vec<SourceReport> {
        std::mem::take(&mut *self.reports.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Lets the writer finish what was submitted, and stops it.
    pub async fn close_writer(&self) {
        self.writer.close().await;
    }
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
        kind: Kind,
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

/// The outcome of a source read completely (`reason`: a note on what it could not say).
pub(crate) fn collected(records: i64, pages: i64, reason: Option<String>) -> SourceOutcome {
    SourceOutcome {
        status: SourceStatus::Collected,
        records,
        pages,
        reason,
        permission: None,
    }
}

/// Stable store prefixes.
pub(crate) fn prefix(key: &str) -> String {
    format!("{key}/")
}
