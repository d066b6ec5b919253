//! Sign-ins of the accounts in scope, since the last watermark.
//!
//! The identity reports class allows 5 requests per 10 seconds for the whole tenant: reading
//! every sign-in of a large tenant would take hours. So only the accounts in scope (generic,
//! « Appli », configured others) are read, 15 to a request (`userId eq … or …`), in the window
//! from the last watermark (minus an overlap, for late arrivals; de-duplicated by id) to the
//! night's "as of". The beta endpoint carries `authenticationRequirement` and the
//! non-interactive sign-ins; if it refuses the request, v1.0 is used (interactive only) and the
//! source says so. The watermark moves only when every chunk was read.

use http::Method;

use super::directory::odata_escape;
use super::{CollectError, Ctx, collected, failed, query};
use crate::graph::models as wire;
use crate::graph::{Call, GraphError, Refusal};
use crate::model::SignIn;

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
        os: s.device_detail.operating_system,
        browser: s.device_detail.browser,
    }
}

/// Formats an instant as Graph's filters expect it.
fn odata_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) async fn sign_ins(ctx: &Ctx, in_scope: &[(String, String)]) -> Result<(), CollectError> {
    let q = query("sign-ins")?;
    ctx.start(&q.name)?;
    let as_of = ctx.settings.as_of;
    let earliest = as_of - chrono::Duration::days(ctx.settings.first_night_days.clamp(1, 30));
    let from = match ctx.with_store(|s| s.watermark(WATERMARK))? {
        Some(w) => chrono::DateTime::parse_from_rfc3339(&w)
            .map(|d| d.with_timezone(&chrono::Utc) - ctx.settings.overlap)
            .unwrap_or(earliest)
            .max(earliest),
        None => earliest,
    };
    if from >= as_of {
        ctx.finish(
            &q.name,
            collected(0, 0, Some("rien à lire : la fenêtre est vide".into())),
        )?;
        return Ok(());
    }
    let per = q.ids_per_request.unwrap_or(15).max(1);
    let (mut records, mut pages) = (0i64, 0i64);
    let mut fallback = false;
    for chunk in in_scope.chunks(per) {
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
            match read_chunk(ctx, q, Call::for_query(q, Method::GET, url)).await? {
                Ok((r, p)) => {
                    records += r;
                    pages += p;
                    break;
                }
                Err(e)
                    if !fallback
                        && matches!(e.refusal(), Some(Refusal::BadRequest | Refusal::NotFound)) =>
                {
                    tracing::warn!(error = %e, "journaux de connexion : point de terminaison beta refusé, repli sur v1.0");
                    fallback = true;
                }
                Err(e) => {
                    ctx.finish(&q.name, failed(&e, q, records, pages))?;
                    return Ok(());
                }
            }
        }
    }
    ctx.with_store(|s| s.set_watermark(ctx.run, WATERMARK, &odata_time(as_of)))?;
    let note = fallback.then(|| {
        "lu en v1.0 (repli) : connexions interactives seulement, sans exigence d'authentification".to_string()
    });
    ctx.finish(&q.name, collected(records, pages, note))?;
    Ok(())
}

async fn read_chunk(
    ctx: &Ctx,
    q: &crate::queries::Query,
    call: Call,
) -> Result<Result<(i64, i64), GraphError>, crate::store::StoreError> {
    let mut pager = ctx.client.pages::<wire::SignIn>(call);
    let (mut records, mut pages) = (0i64, 0i64);
    loop {
        match pager.next_page().await {
            Ok(Some(page)) => {
                let items: Vec<SignIn> = page.items.into_iter().map(sign_in).collect();
                let n = items.len();
                ctx.with_store(|s| s.write_signins(ctx.run, ctx.settings.tz, &items))?;
                records += n as i64;
                pages += 1;
                tracing::debug!(source = %q.name, page = pages, records = n, "page écrite");
                ctx.progress.advance(&q.name, n as u64);
            }
            Ok(None) => return Ok(Ok((records, pages))),
            Err(e) => return Ok(Err(e)),
        }
    }
}
