//! Sign-ins of the accounts in scope, since the last watermark.
//!
//! The identity reports class allows 5 requests per 10 seconds for the whole tenant: reading
//! every sign-in of a large tenant would take hours. So only the accounts in scope (generic,
//! « Appli », configured others) are read, 15 to a request (`userId eq … or …`), in the window
//! from the last watermark (minus an overlap, for late arrivals; de-duplicated by id) to the
//! night's "as of". Chunks are read as the accounts in scope arrive from users, a few at a
//! time (they share the identity reports class with registration details). The beta endpoint
//! carries `authenticationRequirement` and the non-interactive sign-ins; if it refuses the
//! request, v1.0 is used (interactive only) and the source says so. The watermark moves only
//! when every chunk was read.
//!
//! An account that enters the scope (renamed, retyped, added to a group, created) or comes
//! back to it has sign-ins older than the watermark that Microsoft still holds: the store
//! notes, per account, up to when its sign-ins were read (`signin_accounts`, written when its
//! chunk was read completely), and an account not read up to the watermark is read from the
//! first night's horizon (`first_night_days`, at most Microsoft's 30 days), in chunks of its
//! own; the others keep the watermark. The first night, every account starts at the horizon
//! anyway: no chunk of its own, no extra request. A night whose chunk of an account failed
//! leaves it unread: the next night reads its history again.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use http::Method;

use super::context::{Ctx, collected, dependency_failed, failed, query};
use super::error::CollectError;
use super::feed::Chunks;
use super::paging::{WRITE_DEPTH, join_workers, odata_escape};
use super::writer::InFlight;
use crate::graph::models as wire;
use crate::graph::{Call, GraphError, Refusal};
use crate::model::{SignIn, SignInDevice};
use crate::queries::Query;

const WATERMARK: &str = "sign-ins";

fn sign_in(s: wire::SignIn) -> SignIn {
    let interactive = s.interactive();
    let succeeded = s.succeeded();
    SignIn {
        id: s.id,
        created: s.created_date_time,
        user_id: s.user_id,
        upn: s.user_principal_name.to_lowercase(),
        app_id: s.app_id,
        app_name: s.app_display_name,
        ip: s.ip_address,
        client_app: s.client_app_used,
        interactive,
        auth_requirement: s.authentication_requirement,
        error_code: if succeeded { 0 } else { s.status.error_code },
        device: SignInDevice {
            id: s.device_detail.device_id,
            name: s.device_detail.display_name,
            managed: s.device_detail.is_managed,
            compliant: s.device_detail.is_compliant,
            trust_type: s.device_detail.trust_type,
        },
        os: s.device_detail.operating_system,
        browser: s.device_detail.browser,
    }
}

/// Formats an instant as Graph's filters expect it.
pub(super) fn odata_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What the sign-in readers share.
#[derive(Default)]
struct Tally {
    records: i64,
    pages: i64,
    /// The beta endpoint was refused: every reader uses v1.0 from now on.
    fallback: bool,
    /// Accounts entered in the scope whose history was read from the horizon.
    backfilled: usize,
    /// The first chunk that failed after its retries: the source fails, the readers stop.
    error: Option<GraphError>,
}

/// The window of a night's sign-ins.
struct Window {
    as_of: DateTime<Utc>,
    /// The first night's horizon (`first_night_days`, at most Microsoft's 30 days).
    earliest: DateTime<Utc>,
    /// Where the accounts read up to the watermark go on from (the watermark minus the
    /// overlap, never before the horizon).
    from: DateTime<Utc>,
    /// The accounts read up to the watermark; `None` while the watermark is older than the
    /// horizon (the first night): every account starts there.
    known: Option<HashSet<String>>,
}

impl Window {
    fn new(ctx: &Ctx, watermark: Option<&str>) -> Window {
        let as_of = ctx.settings.as_of;
        let earliest = as_of - chrono::Duration::days(ctx.settings.first_night_days.clamp(1, 30));
        let from = match watermark {
            Some(w) => chrono::DateTime::parse_from_rfc3339(w)
                .map(|d| d.with_timezone(&Utc) - ctx.settings.overlap)
                .unwrap_or(earliest)
                .max(earliest),
            None => earliest,
        };
        Window {
            as_of,
            earliest,
            from,
            known: None,
        }
    }

    /// An account read from the horizon, in a chunk of its own: one that entered the scope
    /// since the watermark, or came back to it.
    fn apart(&self, (id, _): &(String, String)) -> bool {
        self.known.as_ref().is_some_and(|k| !k.contains(id))
    }
}

pub(crate) async fn sign_ins(
    ctx: &Ctx,
    in_scope: Chunks<(String, String)>,
) -> Result<(), CollectError> {
    let q = query("sign-ins")?;
    ctx.start(&q.name).await?;
    let watermark = ctx.store(|s| s.watermark(WATERMARK)).await?;
    let mut window = Window::new(ctx, watermark.as_deref());
    if window.from >= window.as_of {
        drop(in_scope);
        ctx.finish(
            &q.name,
            collected(0, 0, Some("rien à lire : la fenêtre est vide".into())),
        )
        .await?;
        return Ok(());
    }
    // Accounts read up to the watermark go on from it; the others (entered the scope since,
    // or came back to it) are read from the horizon, in chunks of their own. While the
    // watermark is older than the horizon (the first night), every account starts there.
    window.known = match watermark {
        Some(w) if window.from > window.earliest => {
            Some(ctx.store(move |s| s.signin_accounts_read_to(&w)).await?)
        }
        _ => None,
    };
    let readers = Readers {
        ctx,
        q,
        window: &window,
        per: q.ids_per_request.unwrap_or(15).max(1),
        in_scope: tokio::sync::Mutex::new(in_scope),
        tally: Mutex::new(Tally::default()),
    };
    // Several chunks in flight: the identity reports limiter sets the pace, and a reader
    // waiting for its page to be parsed or written leaves the class to the others.
    let n = if ctx.settings.sequential {
        1
    } else {
        ctx.settings.sign_in_readers.max(1)
    };
    for r in join_workers(n, || readers.read()).await {
        r?;
    }
    let Readers {
        in_scope, tally, ..
    } = readers;
    let tally = tally.into_inner().unwrap_or_else(|p| p.into_inner());
    conclude(ctx, q, &window, in_scope.into_inner(), tally).await
}

/// The sign-in readers of a night: they take chunks of accounts in scope until none is
/// left or one fails.
struct Readers<'a> {
    ctx: &'a Ctx,
    q: &'a Query,
    window: &'a Window,
    /// Accounts to a request.
    per: usize,
    in_scope: tokio::sync::Mutex<Chunks<(String, String)>>,
    tally: Mutex<Tally>,
}

impl Readers<'_> {
    fn tally(&self) -> MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One reader: chunk after chunk, until none is left or one has failed.
    async fn read(&self) -> Result<(), CollectError> {
        loop {
            if self.tally().error.is_some() {
                return Ok(());
            }
            let next = self
                .in_scope
                .lock()
                .await
                .next_split(self.per, |a| self.window.apart(a))
                .await;
            let Some((new, chunk)) = next else {
                return Ok(());
            };
            if !self.read_accounts(new, chunk).await? {
                return Ok(());
            }
        }
    }

    /// Reads the sign-ins of one chunk of accounts (`new`: from the horizon) and notes them
    /// read; on the beta endpoint's refusal, every reader falls back to v1.0 and the chunk
    /// is read again. False when the chunk failed (the error is in the tally).
    async fn read_accounts(
        &self,
        new: bool,
        chunk: Vec<(String, String)>,
    ) -> Result<bool, CollectError> {
        let (ctx, q, as_of) = (self.ctx, self.q, self.window.as_of);
        let from = if new {
            self.window.earliest
        } else {
            self.window.from
        };
        let users: Vec<String> = chunk
            .iter()
            .map(|(id, _)| format!("userId eq '{}'", odata_escape(id)))
            .collect();
        let users = users.join(" or ");
        let fill = |t: &str| {
            t.replace("{from}", &odata_time(from))
                .replace("{to}", &odata_time(as_of))
                .replace("{users}", &users)
        };
        loop {
            let fallback = self.tally().fallback;
            let (path, filter) = if fallback {
                (
                    q.fallback_path.clone().unwrap_or_else(|| q.path.clone()),
                    fill(q.fallback_filter.as_deref().unwrap_or("")),
                )
            } else {
                (q.path.clone(), fill(q.filter.as_deref().unwrap_or("")))
            };
            let top = q.page_size.to_string();
            let url = ctx
                .client
                .graph_url(&path, &[("$filter", &filter), ("$top", &top)])?;
            match read_chunk(ctx, q, Call::for_query(q, Method::GET, url), |_| true).await? {
                Ok((r, p)) => {
                    let ids: Vec<String> = chunk.into_iter().map(|(id, _)| id).collect();
                    let (n, run, to) = (ids.len(), ctx.run, odata_time(as_of));
                    ctx.store(move |s| s.set_signin_accounts_read(run, &ids, &to))
                        .await?;
                    let mut t = self.tally();
                    t.records += r;
                    t.pages += p;
                    if new {
                        t.backfilled += n;
                    }
                    return Ok(true);
                }
                Err(e)
                    if !fallback
                        && matches!(e.refusal(), Some(Refusal::BadRequest | Refusal::NotFound)) =>
                {
                    let mut t = self.tally();
                    if !t.fallback {
                        tracing::warn!(error = %e, "journaux de connexion : point de terminaison beta refusé, repli sur v1.0");
                        t.fallback = true;
                    }
                }
                Err(e) => {
                    self.tally().error.get_or_insert(e);
                    return Ok(false);
                }
            }
        }
    }
}

/// Ends the source once the readers are done: failed (a chunk failed, or the accounts in
/// scope may be incomplete: the watermark stays), or collected and the watermark moved to
/// the night's "as of".
async fn conclude(
    ctx: &Ctx,
    q: &Query,
    window: &Window,
    mut in_scope: Chunks<(String, String)>,
    t: Tally,
) -> Result<(), CollectError> {
    if window.known.is_some() {
        tracing::info!(
            backfilled = t.backfilled,
            from = %odata_time(window.earliest),
            "journaux de connexion : comptes entrés dans le périmètre, lus depuis l'horizon de la première nuit"
        );
    }
    if let Some(e) = &t.error {
        in_scope.close();
        ctx.finish(&q.name, failed(ctx, e, q, t.records, t.pages))
            .await?;
        return Ok(());
    }
    if !in_scope.complete() {
        // Some accounts in scope may be missing: the watermark stays where it was.
        ctx.finish(&q.name, dependency_failed("users", t.records, t.pages))
            .await?;
        return Ok(());
    }
    let (run, mark) = (ctx.run, odata_time(window.as_of));
    ctx.store(move |s| {
        s.set_watermark(run, WATERMARK, &mark)?;
        s.forget_signin_accounts_before(&mark)
    })
    .await?;
    let note = t.fallback.then(|| {
        "lu en v1.0 (repli) : connexions interactives seulement, sans exigence d'authentification".to_string()
    });
    ctx.finish(&q.name, collected(t.records, t.pages, note))
        .await?;
    Ok(())
}

/// Reads every page of one chunk; each page is written by the store's thread while the next
/// one is requested.
/// Reads the sign-ins of `call` into the store, keeping those `keep` accepts (the tenant-wide
/// POP and IMAP read drops the accounts outside the perimeter).
pub(super) async fn read_chunk(
    ctx: &Ctx,
    q: &Query,
    call: Call,
    keep: impl Fn(&SignIn) -> bool,
) -> Result<Result<(i64, i64), GraphError>, CollectError> {
    let mut pager = ctx.client.pages::<wire::SignIn>(call);
    let (mut records, mut pages) = (0i64, 0i64);
    let mut writes = InFlight::new(WRITE_DEPTH);
    let (run, tz) = (ctx.run, ctx.settings.tz);
    loop {
        match pager.next_page().await {
            Ok(Some(page)) => {
                let items: Vec<SignIn> = page
                    .items
                    .into_iter()
                    .map(sign_in)
                    .filter(|s| keep(s))
                    .collect();
                let n = items.len();
                writes
                    .push(ctx.submit(move |s| s.write_signins(run, tz, &items)))
                    .await?;
                records += n as i64;
                pages += 1;
                tracing::debug!(source = %q.name, page = pages, records = n, "page écrite");
                ctx.progress.advance(&q.name, n as u64);
            }
            Ok(None) => {
                writes.drain().await?;
                return Ok(Ok((records, pages)));
            }
            Err(e) => {
                writes.drain().await?;
                return Ok(Err(e));
            }
        }
    }
}
