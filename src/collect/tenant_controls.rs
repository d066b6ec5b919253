//! Tenant-level controls of DIR04 art. 6 3° and 6 5° and of access logging, and the POP and
//! IMAP retrievals: the IRM configuration (is message encryption offered for external
//! recipients), the unified audit log and the organisation's mailbox auditing, the mailboxes
//! with POP or IMAP enabled (filtered at the service), and the tenant's successful POP and
//! IMAP sign-ins of the window (one tenant-wide request filtered on the client, not one per
//! account).
//!
//! The Exchange reads share the Exchange admin throttle class and run one after the other; the
//! sign-ins share the identity reports class with the other sign-in reads. Each source ends
//! on its own: a missing role or licence leaves only the checks that need it « non évalué ».

use chrono::{DateTime, Utc};
use http::Method;

use super::context::{Ctx, collected, failed, query};
use super::error::CollectError;
use super::exchange::cmdlet;
use super::paging::{Close, paged};
use super::signins::{odata_time, read_chunk};
use crate::graph::models as wire;
use crate::graph::{Call, Refusal};
use crate::model::Record;
use crate::model::{AuditConfig, CasMailbox, IrmConfig, OrgConfig};
use crate::store::{SourceOutcome, SourceStatus};

/// The watermark of the POP and IMAP sign-ins (apart from the accounts in scope's).
const WATERMARK: &str = "sign-ins-mail-clients";

/// Reads a cmdlet that returns the tenant's one settings object. None returned is a failure
/// of the source (its checks are « non évalué »), never "setting off" nor "setting on".
async fn settings<W, R>(
    ctx: &Ctx,
    name: &'static str,
    convert: impl FnMut(W) -> Option<R>,
) -> Result<(), CollectError>
where
    W: serde::de::DeserializeOwned,
    R: Record + Send + 'static,
{
    let q = query(name)?;
    ctx.start(&q.name).await?;
    let call = ctx.client.exchange_call(q)?;
    let outcome = match paged(ctx, q, call, convert, Close::All, async |_| {}).await? {
        Err(o) => o,
        Ok((0, pages)) => SourceOutcome {
            status: SourceStatus::Failed,
            records: 0,
            pages,
            reason: Some(format!(
                "{} n'a retourné aucun objet : paramètre du locataire inconnu",
                q.cmdlet.as_deref().unwrap_or(name)
            )),
            permission: None,
        },
        Ok((records, pages)) => collected(records, pages, None),
    };
    ctx.finish(&q.name, outcome).await
}

/// The Exchange tenant controls, one cmdlet after the other.
pub(crate) async fn exchange(ctx: &Ctx) -> Result<(), CollectError> {
    settings(
        ctx,
        "exchange-irm-configuration",
        |c: wire::IrmConfiguration| {
            Some(IrmConfig {
                azure_rms_licensing_enabled: c.azure_rms_licensing_enabled,
                simplified_client_access_enabled: c.simplified_client_access_enabled,
            })
        },
    )
    .await?;
    settings(
        ctx,
        "exchange-admin-audit-log-config",
        |c: wire::AdminAuditLogConfig| {
            Some(AuditConfig {
                unified_audit_log_ingestion_enabled: c.unified_audit_log_ingestion_enabled,
            })
        },
    )
    .await?;
    settings(
        ctx,
        "exchange-organization-config",
        |c: wire::OrganizationConfig| {
            Some(OrgConfig {
                audit_disabled: c.audit_disabled,
            })
        },
    )
    .await?;
    // POP and IMAP mailboxes of the perimeter only.
    let Some(within) = ctx.within().await else {
        let q = query("exchange-cas-mailboxes")?;
        ctx.start(&q.name).await?;
        return ctx
            .finish(&q.name, super::perimeter::outside_unknown())
            .await;
    };
    cmdlet(
        ctx,
        "exchange-cas-mailboxes",
        |m: wire::CasMailbox| {
            let address = if m.primary_smtp_address.trim().is_empty() {
                m.identity
            } else {
                m.primary_smtp_address
            };
            let address = address.trim().to_lowercase();
            (!address.is_empty() && within.keeps_address(&address)).then_some(CasMailbox {
                address,
                pop_enabled: m.pop_enabled.unwrap_or(false),
                imap_enabled: m.imap_enabled.unwrap_or(false),
            })
        },
        async |_| {},
    )
    .await?;
    Ok(())
}

/// Where the night's POP and IMAP sign-ins start: the watermark minus the overlap, never
/// before the first night's horizon.
fn window_start(ctx: &Ctx, watermark: Option<&str>) -> DateTime<Utc> {
    let as_of = ctx.settings.as_of;
    let earliest = as_of - chrono::Duration::days(ctx.settings.first_night_days.clamp(1, 30));
    watermark
        .and_then(|w| DateTime::parse_from_rfc3339(w).ok())
        .map(|d| d.with_timezone(&Utc) - ctx.settings.overlap)
        .unwrap_or(earliest)
        .max(earliest)
}

/// The tenant's POP and IMAP sign-ins since the watermark, in one filtered request (paged).
/// The beta endpoint refused, v1.0 is read (interactive sign-ins only) and the source says so.
pub(crate) async fn mail_client_sign_ins(ctx: &Ctx) -> Result<(), CollectError> {
    let q = query("sign-ins-mail-clients")?;
    ctx.start(&q.name).await?;
    let Some(within) = ctx.within().await else {
        return ctx
            .finish(&q.name, super::perimeter::outside_unknown())
            .await;
    };
    let watermark = ctx.store(|s| s.watermark(WATERMARK)).await?;
    let (from, to) = (window_start(ctx, watermark.as_deref()), ctx.settings.as_of);
    if from >= to {
        let note = Some("rien à lire : la fenêtre est vide".to_string());
        return ctx.finish(&q.name, collected(0, 0, note)).await;
    }
    let fill = |t: &str| {
        t.replace("{from}", &odata_time(from))
            .replace("{to}", &odata_time(to))
    };
    let top = q.page_size.to_string();
    for fallback in [false, true] {
        let (path, filter) = if fallback {
            (
                q.fallback_path.clone().unwrap_or_else(|| q.path.clone()),
                fill(q.fallback_filter.as_deref().unwrap_or("")),
            )
        } else {
            (q.path.clone(), fill(q.filter.as_deref().unwrap_or("")))
        };
        let url = ctx
            .client
            .graph_url(&path, &[("$filter", &filter), ("$top", &top)])?;
        let call = Call::for_query(q, Method::GET, url);
        match read_chunk(ctx, q, call, |s| within.keeps_id(&s.user_id)).await? {
            Ok((records, pages)) => {
                let (run, mark) = (ctx.run, odata_time(to));
                ctx.store(move |s| s.set_watermark(run, WATERMARK, &mark))
                    .await?;
                let note = fallback
                    .then(|| "lu en v1.0 (repli) : connexions interactives seulement".to_string());
                return ctx.finish(&q.name, collected(records, pages, note)).await;
            }
            Err(e)
                if !fallback
                    && matches!(e.refusal(), Some(Refusal::BadRequest | Refusal::NotFound)) =>
            {
                tracing::warn!(error = %e, "connexions POP et IMAP : point de terminaison beta refusé, repli sur v1.0");
            }
            Err(e) => return ctx.finish(&q.name, failed(ctx, &e, q, 0, 0)).await,
        }
    }
    Ok(())
}
