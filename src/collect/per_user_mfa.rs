//! Per-user MFA state (`GET /beta/users/{id}/authentication/requirements`), read once the
//! directory is in the store and only for the accounts whose coverage it decides: enabled
//! generic and « Appli » accounts, and the enabled member accounts that conditional access
//! (and security defaults) leave uncovered. Never the whole tenant; 20 accounts to a `$batch`
//! (`--no-batch`: one GET each).
//!
//! A 403 on every account means the permission is missing: the source is « non collectée »
//! with the permission to grant, and coverage is judged without it. An account that no longer
//! exists (404) has no state.

use std::collections::{HashMap, HashSet};

use http::Method;

use super::context::{Ctx, collected, dependency_failed, failed, query};
use super::error::CollectError;
use crate::checks::{Snapshot, mfa, snapshot::memberships};
use crate::classify::{self, Class, Rules};
use crate::graph::{BatchRequest, Call, GraphError, MAX_BATCH, Refusal};
use crate::model::{Account, CaPolicy, GroupMember, Kind, PerUserMfa, RoleMember};
use crate::queries::Query;
use crate::store::{RunId, SourceOutcome, SourceStatus, Store, StoreError};

/// The accounts whose per-user MFA state decides their coverage, from the night's store.
fn targets(store: &Store, run: RunId, rules: &Rules) -> Result<Vec<String>, StoreError> {
    let mut snap = Snapshot::default();
    snap.ca_policies = store.as_of::<CaPolicy>(run)?;
    store.each_as_of::<GroupMember>(run, |m| {
        snap.group_members
            .entry(m.group_id)
            .or_default()
            .insert(m.user_id);
        Ok(())
    })?;
    let mut roles: HashMap<String, HashSet<String>> = HashMap::new();
    store.each_as_of::<RoleMember>(run, |m| {
        roles.entry(m.role_id).or_default().insert(m.principal_id);
        Ok(())
    })?;
    snap.role_members = Some(roles);
    snap.security_defaults = store
        .as_of::<crate::model::SecurityDefaults>(run)?
        .first()
        .map(|d| d.enabled);
    // Without the policies every member account would look uncovered: only the generic and
    // « Appli » accounts are read then (the MFA checks are not evaluated without policies).
    let policies_read = store
        .sources(run)?
        .iter()
        .any(|s| s.source == "conditional-access-policies" && s.status == SourceStatus::Collected);
    let groups = memberships(&snap.group_members, rules);
    let empty = HashSet::new();
    let mut out = Vec::new();
    store.each_as_of::<Account>(run, |a| {
        if !a.enabled || a.guest {
            return Ok(());
        }
        let c = classify::classify(&a, groups.get(a.id.as_str()).unwrap_or(&empty), rules);
        // Generic accounts are judged by the applications they use: read them all.
        if matches!(c.class, Class::Generique | Class::Appli)
            || (policies_read && !mfa::coverage(&snap, &a.id).is_covered())
        {
            out.push(a.id);
        }
        Ok(())
    })?;
    out.sort();
    Ok(out)
}

#[derive(Default)]
struct Tally {
    read: i64,
    batches: i64,
    denied: i64,
    failed: i64,
    first_error: Option<String>,
    denial: Option<GraphError>,
}

/// Reads the per-user MFA state of the accounts it decides. `users_complete`: whether the
/// directory was listed completely (otherwise the source fails as depending on users).
pub(crate) async fn per_user_mfa(ctx: &Ctx, users_complete: bool) -> Result<(), CollectError> {
    let q = query("per-user-mfa")?;
    ctx.start(&q.name).await?;
    if !users_complete {
        ctx.finish(&q.name, dependency_failed("users", 0, 0))
            .await?;
        return Ok(());
    }
    let (run, rules) = (ctx.run, ctx.settings.rules.clone());
    let ids = ctx.store(move |s| targets(s, run, &rules)).await?;
    let mut t = Tally::default();
    let per = if ctx.settings.batch { MAX_BATCH } else { 1 };
    for chunk in ids.chunks(per) {
        let results = read_chunk(ctx, q, chunk).await?;
        let mut records = Vec::new();
        for (result, id) in results.into_iter().zip(chunk) {
            match result.and_then(|body| state_of(q, body)) {
                Ok(Some(state)) => records.push(PerUserMfa {
                    user_id: id.clone(),
                    state,
                }),
                Ok(None) => {}
                Err(e) if e.refusal() == Some(Refusal::NotFound) => {}
                Err(e) if e.is_access_denied() => {
                    t.denied += 1;
                    t.denial.get_or_insert(e);
                }
                Err(e) => {
                    t.failed += 1;
                    t.first_error.get_or_insert(e.to_string());
                }
            }
        }
        t.read += records.len() as i64;
        t.batches += 1;
        ctx.progress.advance(&q.name, records.len() as u64);
        ctx.store(move |s| s.write_page(run, &records)).await?;
    }
    let outcome = if let Some(e) = t.denial.as_ref().filter(|_| t.read == 0) {
        // Refused for every account: the permission is missing.
        failed(ctx, e, q, 0, t.batches)
    } else if t.denied + t.failed > 0 {
        SourceOutcome {
            status: SourceStatus::Failed,
            records: t.read,
            pages: t.batches,
            reason: Some(format!(
                "{} compte(s) non lu(s) ; première erreur : {}",
                t.denied + t.failed,
                t.first_error
                    .or(t.denial.map(|e| e.to_string()))
                    .unwrap_or_default()
            )),
            permission: None,
        }
    } else {
        ctx.close_unseen(Kind::PerUserMfa, None).await?;
        collected(t.read, t.batches, None)
    };
    ctx.finish(&q.name, outcome).await?;
    Ok(())
}

/// One answer per account of `chunk`: one `$batch`, or one GET each (`--no-batch`). A batch
/// that fails as a whole fails each of its accounts.
async fn read_chunk(
    ctx: &Ctx,
    q: &'static Query,
    chunk: &[String],
) -> Result<Vec<Result<serde_json::Value, GraphError>>, CollectError> {
    if ctx.settings.batch {
        let requests = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| BatchRequest {
                id: i.to_string(),
                url: q.path.trim_start_matches("/beta").replace("{id}", id),
            })
            .collect();
        return Ok(match ctx.client.batch(q, requests).await {
            Ok(r) => r.into_iter().map(|r| r.result).collect(),
            Err(e) => {
                let mut out = vec![Err(e)];
                // The same failure for every account of the batch.
                for _ in 1..chunk.len() {
                    out.push(Err(GraphError::Malformed {
                        request: crate::graph::RequestLabel {
                            query: q.name.clone(),
                            path: q.path.clone(),
                        },
                        detail: "lot $batch en échec".into(),
                    }));
                }
                out
            }
        });
    }
    let mut out = Vec::with_capacity(chunk.len());
    for id in chunk {
        let url = ctx.client.graph_url(&q.path.replace("{id}", id), &[])?;
        out.push(
            ctx.client
                .get_json::<serde_json::Value>(&Call::for_query(q, Method::GET, url))
                .await,
        );
    }
    Ok(out)
}

/// The state in one answer, lowercase; `None` when the answer has none (unknown, not
/// "disabled").
fn state_of(q: &Query, body: serde_json::Value) -> Result<Option<String>, GraphError> {
    match body.get("perUserMfaState") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
            Ok(Some(s.trim().to_ascii_lowercase()))
        }
        Some(other) => Err(GraphError::Malformed {
            request: crate::graph::RequestLabel {
                query: q.name.clone(),
                path: q.path.clone(),
            },
            detail: format!("perUserMfaState inattendu : {other}"),
        }),
    }
}
