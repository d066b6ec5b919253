//! Inbox rules of every mailbox, 20 mailboxes to a `$batch`, several batches in flight.
//!
//! Only rules that forward or redirect are kept (data minimisation: vigie365 needs nothing
//! else). A mailbox the app's RBAC scope excludes answers 403 `ErrorAccessDenied`: it is
//! counted as outside the app's scope, not as a failure — unless every mailbox answers so,
//! which means the permission itself is missing. A mailbox that does not exist any more
//! (404) has no rules. Any other failure after retries makes the source fail for the night,
//! keeping what was read.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::{CollectError, Ctx, collected, prefix, query};
use crate::graph::models as wire;
use crate::graph::{BatchRequest, GraphError, MAX_BATCH, Refusal};
use crate::model::{InboxRule, Kind, RuleAction};
use crate::store::{SourceOutcome, SourceStatus};

#[derive(Default)]
struct Tally {
    mailboxes: i64,
    rules: i64,
    batches: i64,
    out_of_scope: i64,
    failed: Vec<String>,
    first_error: Option<String>,
}

fn forwarding_rule(user_id: &str, rule: wire::MessageRule) -> Option<InboxRule> {
    let actions = rule.actions.unwrap_or_default();
    let mut targets = Vec::new();
    let mut add = |action: RuleAction, list: Vec<wire::Recipient>| {
        for r in list {
            if let Some(a) = r.email_address.address.filter(|a| !a.trim().is_empty()) {
                targets.push((action, a));
            }
        }
    };
    add(RuleAction::ForwardTo, actions.forward_to);
    add(
        RuleAction::ForwardAsAttachmentTo,
        actions.forward_as_attachment_to,
    );
    add(RuleAction::RedirectTo, actions.redirect_to.0);
    (!targets.is_empty()).then(|| InboxRule {
        mailbox_user_id: user_id.to_string(),
        mailbox_upn: String::new(),
        rule_id: rule.id,
        name: rule.display_name,
        enabled: rule.is_enabled,
        has_error: rule.has_error.unwrap_or(false),
        targets,
    })
}

pub(crate) async fn inbox_rules(ctx: &Ctx, mailboxes: Vec<String>) -> Result<(), CollectError> {
    let q = query("message-rules")?;
    ctx.start(&q.name)?;
    let queue: Mutex<VecDeque<Vec<String>>> = Mutex::new(
        mailboxes
            .chunks(MAX_BATCH)
            .map(|c| c.to_vec())
            .collect::<VecDeque<_>>(),
    );
    let tally = Mutex::new(Tally::default());
    let workers = ctx.settings.batch_concurrency.max(1);
    let worker = || async {
        loop {
            let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
            let Some(chunk) = next else {
                return Ok::<(), CollectError>(());
            };
            let requests: Vec<BatchRequest> = chunk
                .iter()
                .enumerate()
                .map(|(i, id)| BatchRequest {
                    id: i.to_string(),
                    url: q.path.trim_start_matches("/v1.0").replace("{id}", id),
                })
                .collect();
            let responses = match ctx.client.batch(q, requests).await {
                Ok(r) => r,
                Err(e) => {
                    let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                    t.failed.extend(chunk.iter().cloned());
                    t.first_error.get_or_insert(e.to_string());
                    continue;
                }
            };
            for (resp, user_id) in responses.into_iter().zip(chunk.iter()) {
                let outcome = match resp.result {
                    Ok(body) => read_rules(ctx, q, user_id, body).await,
                    Err(e) => Err(e),
                };
                match outcome {
                    Ok(rules) => {
                        let n = rules.len() as i64;
                        ctx.with_store(|s| {
                            s.write_page(ctx.run, &rules)?;
                            s.close_unseen(ctx.run, Kind::InboxRule, Some(&prefix(user_id)))
                        })?;
                        let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                        t.mailboxes += 1;
                        t.rules += n;
                    }
                    Err(e) if e.refusal() == Some(Refusal::NotFound) => {
                        ctx.with_store(|s| {
                            s.close_unseen(ctx.run, Kind::InboxRule, Some(&prefix(user_id)))
                        })?;
                        tally.lock().unwrap_or_else(|p| p.into_inner()).mailboxes += 1;
                    }
                    Err(e) if e.refusal() == Some(Refusal::MailboxOutOfScope) => {
                        let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                        t.out_of_scope += 1;
                        t.first_error.get_or_insert(e.to_string());
                    }
                    Err(e) => {
                        let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                        t.failed.push(user_id.clone());
                        t.first_error.get_or_insert(e.to_string());
                    }
                }
            }
            tally.lock().unwrap_or_else(|p| p.into_inner()).batches += 1;
            tracing::debug!(source = %q.name, mailboxes = chunk.len(), "page écrite");
            ctx.progress.advance(&q.name, chunk.len() as u64);
        }
    };
    let results = futures_join_all(workers, worker).await;
    for r in results {
        r?;
    }
    let t = tally.into_inner().unwrap_or_else(|p| p.into_inner());
    let outcome = if !t.failed.is_empty() {
        SourceOutcome {
            status: SourceStatus::Failed,
            records: t.rules,
            pages: t.batches,
            reason: Some(format!(
                "{} boîte(s) non lue(s) après les nouvelles tentatives ; première erreur : {}",
                t.failed.len(),
                t.first_error.unwrap_or_default()
            )),
            permission: None,
        }
    } else if t.out_of_scope > 0 && t.mailboxes == 0 {
        SourceOutcome {
            status: SourceStatus::NotCollected,
            records: 0,
            pages: t.batches,
            reason: Some(format!(
                "aucune boîte accessible ({} refus ErrorAccessDenied) : autorisation MailboxSettings.Read manquante ou étendue RBAC vide",
                t.out_of_scope
            )),
            permission: Some(q.permissions.join(" et ")),
        }
    } else {
        let note = (t.out_of_scope > 0).then(|| {
            format!(
                "{} boîte(s) hors de la portée de l'application (RBAC for Applications)",
                t.out_of_scope
            )
        });
        collected(t.rules, t.batches, note)
    };
    ctx.finish(&q.name, outcome)?;
    Ok(())
}

/// The forwarding rules in one mailbox's answer, following its nextLink if it has one.
async fn read_rules(
    ctx: &Ctx,
    q: &crate::queries::Query,
    user_id: &str,
    body: serde_json::Value,
) -> Result<Vec<InboxRule>, GraphError> {
    let label = crate::graph::RequestLabel {
        query: q.name.clone(),
        path: q.path.clone(),
    };
    let first: wire::MessageRules =
        serde_json::from_value(body).map_err(|e| GraphError::Malformed {
            request: label.clone(),
            detail: format!("JSON invalide : {e}"),
        })?;
    let mut rules: Vec<InboxRule> = first
        .value
        .into_iter()
        .filter_map(|r| forwarding_rule(user_id, r))
        .collect();
    if let Some(next) = first.next_link {
        let url = url::Url::parse(&next).map_err(|e| GraphError::Malformed {
            request: label,
            detail: e.to_string(),
        })?;
        let mut pager = ctx
            .client
            .pages::<wire::MessageRule>(crate::graph::Call::for_query(q, http::Method::GET, url));
        while let Some(page) = pager.next_page().await? {
            rules.extend(
                page.items
                    .into_iter()
                    .filter_map(|r| forwarding_rule(user_id, r)),
            );
        }
    }
    Ok(rules)
}

/// Runs `n` copies of a worker future to completion, concurrently on this task.
async fn futures_join_all<F, Fut, T>(n: usize, make: F) -> Vec<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let futs: Vec<_> = (0..n).map(|_| Box::pin(make())).collect();
    join_all(futs).await
}

async fn join_all<Fut: std::future::Future + Unpin>(mut futs: Vec<Fut>) -> Vec<Fut::Output> {
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
