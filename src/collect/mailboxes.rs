//! Inbox rules of every mailbox, 20 mailboxes to a `$batch`, several batches in flight, read
//! as the directory lists the member accounts (`--no-batch`: one GET per mailbox; an account
//! without a mailbox answers 404 and has no rules).
//!
//! Only rules that forward or redirect are kept (data minimisation: vigie365 needs nothing
//! else). A mailbox the app's RBAC scope excludes answers 403 `ErrorAccessDenied`: it is
//! counted as outside the app's scope, not as a failure — unless every mailbox answers so,
//! which means the permission itself is missing. A mailbox that does not exist any more
//! (404) has no rules. Any other failure after retries makes the source fail for the night,
//! keeping what was read.

use std::sync::Mutex;

use http::Method;

use super::context::{Ctx, collected, dependency_failed, prefix, query};
use super::error::CollectError;
use super::feed::Chunks;
use super::paging::join_workers;
use crate::graph::models as wire;
use crate::graph::{BatchRequest, Call, GraphError, MAX_BATCH, Refusal};
use crate::model::{InboxRule, Kind, RuleAction};
use crate::queries::Query;
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

pub(crate) async fn inbox_rules(ctx: &Ctx, mailboxes: Chunks<String>) -> Result<(), CollectError> {
    let q = query("message-rules")?;
    ctx.start(&q.name).await?;
    let tally = Mutex::new(Tally::default());
    let listed = read_all(ctx, q, mailboxes, &tally).await?;
    if !listed {
        // The directory could not list every member account: the mailboxes not listed were
        // not read.
        let t = tally.into_inner().unwrap_or_else(|p| p.into_inner());
        ctx.finish(&q.name, dependency_failed("users", t.rules, t.batches))
            .await?;
        return Ok(());
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
    ctx.finish(&q.name, outcome).await?;
    Ok(())
}

/// Reads the rules of every mailbox of `targets`, 20 to a `$batch` (or one GET each), several
/// in flight. Returns whether `targets` was complete.
async fn read_all(
    ctx: &Ctx,
    q: &'static Query,
    targets: Chunks<String>,
    tally: &Mutex<Tally>,
) -> Result<bool, CollectError> {
    let targets = tokio::sync::Mutex::new(targets);
    let per = if ctx.settings.batch { MAX_BATCH } else { 1 };
    let workers = if ctx.settings.sequential {
        1
    } else {
        ctx.settings.batch_concurrency.max(1)
    };
    let worker = || async {
        loop {
            let Some(chunk) = targets.lock().await.next(per).await else {
                return Ok::<(), CollectError>(());
            };
            let results: Vec<Result<serde_json::Value, GraphError>> = if ctx.settings.batch {
                let requests: Vec<BatchRequest> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, id)| BatchRequest {
                        id: i.to_string(),
                        url: q.path.trim_start_matches("/v1.0").replace("{id}", id),
                    })
                    .collect();
                match ctx.client.batch(q, requests).await {
                    Ok(r) => r.into_iter().map(|r| r.result).collect(),
                    Err(e) => {
                        let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                        t.failed.extend(chunk.iter().cloned());
                        t.first_error.get_or_insert(e.to_string());
                        continue;
                    }
                }
            } else {
                let mut out = Vec::with_capacity(chunk.len());
                for id in &chunk {
                    let url = ctx.client.graph_url(&q.path.replace("{id}", id), &[])?;
                    out.push(
                        ctx.client
                            .get_json::<serde_json::Value>(&Call::for_query(q, Method::GET, url))
                            .await,
                    );
                }
                out
            };
            let mut read: Vec<(String, Vec<InboxRule>)> = Vec::new();
            for (result, user_id) in results.into_iter().zip(chunk.iter()) {
                let outcome = match result {
                    Ok(body) => read_rules(ctx, q, user_id, body).await,
                    Err(e) => Err(e),
                };
                match outcome {
                    Ok(rules) => read.push((user_id.clone(), rules)),
                    // A mailbox that does not exist any more has no rules.
                    Err(e) if e.refusal() == Some(Refusal::NotFound) => {
                        read.push((user_id.clone(), Vec::new()))
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
            let (mailboxes, rules) = (
                read.len() as i64,
                read.iter().map(|(_, r)| r.len() as i64).sum::<i64>(),
            );
            // The rules of the batch's mailboxes in one store job; each mailbox's vanished
            // rules are closed.
            let run = ctx.run;
            ctx.store(move |s| {
                for (user_id, rules) in &read {
                    s.write_page(run, rules)?;
                    s.close_unseen(run, Kind::InboxRule, Some(&prefix(user_id)))?;
                }
                Ok(())
            })
            .await?;
            let mailboxes_read = {
                let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                t.mailboxes += mailboxes;
                t.rules += rules;
                t.batches += 1;
                t.mailboxes
            };
            tracing::debug!(source = %q.name, mailboxes = chunk.len(), "page écrite");
            // The bar counts rules, as the summary does; the mailboxes are its own unit.
            ctx.progress.advance(&q.name, rules as u64);
            ctx.progress
                .read(&q.name, &format!("{mailboxes_read} boîtes lues"));
        }
    };
    for r in join_workers(workers, worker).await {
        r?;
    }
    Ok(targets.into_inner().complete())
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
