//! Nightly collection: every source of `queries/`, read page by page into the store.
//!
//! Sources that hit different throttle classes run at the same time; within a class the
//! limiter sets the pace. The order is dictated by what each source needs:
//!
//! ```text
//!  conditional access ─► group members ─► users (classified as they stream) ─┬─► sign-ins
//!  registration details (identity reports)                                    ├─► sign-in activity
//!                                                     (generic accounts only) ├─► Intune devices
//!                                                                            └─► inbox rules ($batch)
//!  Exchange: mailboxes that forward (filtered), contacts, mail users, the groups forwards
//!            name, domains, policies and their rules, transport rules
//!  Exchange tenant controls: IRM, audit, organisation, POP/IMAP mailboxes (tenant_controls)
//!  POP and IMAP sign-ins of the tenant (one filtered request, identity reports)
//!  users written ─► per-user MFA of the accounts it decides ($batch, beta; per_user_mfa)
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
//! for a source that was not read. A night where no source could be read from Microsoft
//! (Entra ID refused the token, the tenant is unreachable) ends `failed` (exit 1); a token
//! refused for one audience only (Exchange) leaves a partial night. The cause is said once
//! ([`TokenFailure`]) and each source refers to it.

mod context;
mod directory;
pub mod doctor;
mod error;
mod exchange;
mod feed;
mod intune;
mod mailboxes;
mod paging;
mod per_user_mfa;
mod perimeter;
mod progress;
mod recipients;
mod roles;
mod settings;
mod signins;
mod tenant_controls;
mod writer;

use std::sync::{Arc, Mutex};

use crate::graph::GraphClient;
use crate::store::{RunId, RunStatus, SourceStatus, Store};

pub use context::{SourceReport, TokenFailure};
pub use directory::sign_in_activity_turn;
pub use error::CollectError;
pub use intune::intune_not_licensed;
pub use perimeter::sources_not_started;
pub use progress::Progress;
pub use settings::{Settings, night_of};

use context::Ctx;

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

impl NightReport {
    /// The sources not collected or failed, with their reason (for the summary and the mail).
    pub fn problems(&self) -> impl Iterator<Item = &SourceReport> {
        self.sources
            .iter()
            .filter(|s| s.outcome.status != SourceStatus::Collected)
    }
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
        let word = progress::status_fr(s.outcome.status);
        out.push_str(&format!(
            "  {:<36} {:<14} {}\n",
            s.source,
            word,
            progress::count_fr(&s.source, s.outcome.records.max(0) as u64)
        ));
        if let Some(reason) = &s.outcome.reason {
            out.push_str(&format!("      {reason}\n"));
        }
    }
    out
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
    let ctx = Ctx::new(client, run, settings, progress, store.clone());
    let result = run_sources(&ctx).await;
    for class in crate::graph::ThrottleClass::ALL {
        let c = ctx.client.counters().get(class);
        if c.requests > 0 {
            tracing::info!(
                classe = class.as_str(),
                requetes = c.requests,
                octets = c.bytes,
                "octets reçus par classe de limitation"
            );
        }
    }
    let mut sources = ctx.take_reports();
    sources.sort_by(|a, b| a.source.cmp(&b.source));
    let token = ctx.take_token();
    // A source read from Microsoft made at least one request (a page); one with nothing to
    // ask (no group to expand) says nothing about whether the tenant could be read.
    let read_any = sources
        .iter()
        .any(|s| s.outcome.status == SourceStatus::Collected && s.outcome.pages > 0);
    // A refused token fails the night when nothing could be read; when only one audience
    // was refused (Exchange in a tenant without it), what the other read is evaluated and
    // the night is partial, its sources naming the cause.
    let status = match &result {
        Err(_) => RunStatus::Failed,
        Ok(()) if !read_any => RunStatus::Failed,
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
    ctx.close_writer().await;
    ctx.progress.clear();
    if let Err(e) = &closed {
        // The run's row still says `running`: without this, the next night would call it
        // interrupted (process stopped) and the real reason would be lost.
        let reason = error.clone().unwrap_or_else(|| e.to_string());
        let mut s = store.lock().unwrap_or_else(|p| p.into_inner());
        s.note_unrecorded_end(run, &reason);
    }
    // The night's own failure first: it is the cause, a failed close only its consequence.
    result?;
    closed?;
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
    // tenant); member accounts stream from users to inbox rules. No feed makes users wait:
    // users feed the sign-ins, the night's slowest class, and a bounded mailbox feed let the
    // inbox rules (whose store writes queue behind the sign-ins') hold the sign-ins' accounts
    // back (300,000 accounts: the first night at 1.44 times its lower bound). What waits in
    // the mailbox feed is an id per mailbox, about 20 MB at 300,000 mailboxes.
    let (scope_tx, scope_rx) = feed::feed();
    let (activity_tx, activity_rx) = feed::feed();
    let (devices_tx, devices_rx) = feed::feed();
    let (mailbox_tx, mailbox_rx) = feed::feed();
    let feeds = directory::UserFeeds {
        sign_ins: scope_tx,
        activity: activity_tx,
        devices: devices_tx,
        mailboxes: mailbox_tx,
    };
    // Conditional access first: its groups must be resolved before users are classified.
    // The perimeter's units and groups too: only the accounts it retains are stored.
    let directory = async move {
        let _gate = perimeter::GateGuard(&ctx.gate);
        let (ca_groups, ca_roles) = directory::conditional_access(ctx).await?;
        roles::role_assignments(ctx, &ca_roles).await?;
        roles::security_defaults(ctx).await?;
        let perimeter_groups = perimeter::groups(ctx).await?;
        let mut groups: Vec<String> = ca_groups
            .into_iter()
            .chain(ctx.settings.rules.groups())
            .chain(perimeter_groups.iter().flatten().map(|(id, _)| id.clone()))
            .collect();
        groups.sort();
        groups.dedup();
        let mut perimeter_ids: Vec<String> = perimeter_groups
            .iter()
            .flatten()
            .map(|(id, _)| id.clone())
            .collect();
        perimeter_ids.sort();
        perimeter_ids.dedup();
        let read = directory::group_members(ctx, &groups, &perimeter_ids).await?;
        // One set of members per perimeter: `[perimetre]`'s, or each establishment's.
        let mut members = vec![crate::perimeter::Members::default(); perimeter_groups.len()];
        for (of, m) in perimeter_groups.iter().zip(members.iter_mut()) {
            if !of.is_empty() {
                directory::perimeter_group_members(&read, of, m)?;
            }
        }
        perimeter::units(ctx, &mut members).await?;
        let complete = directory::users(ctx, &read.memberships, &members, feeds).await?;
        per_user_mfa::per_user_mfa(ctx, complete).await?;
        Ok::<bool, CollectError>(complete)
    };
    let exchange = exchange::all(ctx);
    let sign_ins = signins::sign_ins(ctx, scope_rx);
    let activity = directory::sign_in_activity(ctx, activity_rx);
    let rules = mailboxes::inbox_rules(ctx, mailbox_rx);
    let devices = intune::managed_devices(ctx, devices_rx);
    let controls = tenant_controls::exchange(ctx);
    let mail_clients = tenant_controls::mail_client_sign_ins(ctx);
    if sequential {
        directory.await?;
        directory::registration(ctx).await?;
        exchange.await?;
        sign_ins.await?;
        activity.await?;
        devices.await?;
        rules.await?;
        controls.await?;
        return mail_clients.await;
    }
    // Registration details share the identity reports class with sign-ins; the limiter
    // interleaves them.
    let (d, r, e, s, a, m, v, c, p) = tokio::join!(
        directory,
        directory::registration(ctx),
        exchange,
        sign_ins,
        activity,
        rules,
        devices,
        controls,
        mail_clients
    );
    d?;
    r?;
    e?;
    s?;
    a?;
    v?;
    m?;
    c?;
    p
}
