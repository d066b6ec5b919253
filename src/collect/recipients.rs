//! The distribution groups that mailbox forwards name, read one by one with
//! `Get-DistributionGroupMember -Identity` (never the tenant's groups), and their nested
//! groups in turn, each once (a cycle of groups ends). A value Exchange knows no group by
//! (404, `ManagementObjectNotFound`) is recorded as such: the checks then look elsewhere or
//! say the target is not resolved.

use std::collections::{BTreeSet, HashSet};

use super::context::{Ctx, collected, failed, query};
use super::error::CollectError;
use crate::graph::exchange_models as wire;
use crate::graph::{GraphError, Refusal};
use crate::model::{DistributionGroup, GroupRecipient, Kind};

/// At most this many groups a night (nested ones included): a runaway nesting stops here
/// and the source says so.
const MAX_GROUPS: usize = 2000;

/// Exchange knows no recipient of that identity (or it is not a group).
fn unknown_identity(e: &GraphError) -> bool {
    match e {
        GraphError::Refused(r) => {
            r.refusal == Refusal::NotFound
                || r.code
                    .as_deref()
                    .is_some_and(|c| c.to_ascii_lowercase().contains("notfound"))
        }
        _ => false,
    }
}

fn member(m: wire::DistributionGroupMember) -> GroupRecipient {
    GroupRecipient {
        identity: if m.identity.trim().is_empty() {
            m.name.clone()
        } else {
            m.identity
        },
        name: m.name,
        kind: m
            .recipient_type_details
            .or(m.recipient_type)
            .unwrap_or_default(),
        primary_smtp: m.primary_smtp_address,
        external_address: m.external_email_address,
    }
}

/// Reads the members of each group `named` (the `ForwardingAddress` values no contact or
/// mail user resolves), then of their nested groups.
/// A member that is an account outside the perimeter is kept without its name
/// (`Within::recipient`).
pub(crate) async fn group_members(
    ctx: &Ctx,
    named: BTreeSet<String>,
    within: &super::perimeter::Within,
) -> Result<(), CollectError> {
    let q = query("exchange-group-members")?;
    ctx.start(&q.name).await?;
    let mut queue: Vec<String> = named.into_iter().rev().collect();
    let mut seen: HashSet<String> = queue.iter().map(|g| g.trim().to_lowercase()).collect();
    let (mut records, mut pages, mut groups) = (0i64, 0i64, 0usize);
    let mut truncated = false;
    while let Some(identity) = queue.pop() {
        if groups >= MAX_GROUPS {
            truncated = true;
            break;
        }
        groups += 1;
        let call = ctx
            .client
            .exchange_call_with(q, &[("Identity", identity.as_str())])?;
        let mut pager = ctx.client.pages::<wire::DistributionGroupMember>(call);
        let mut members = Vec::new();
        let found = loop {
            match pager.next_page().await {
                Ok(Some(page)) => {
                    pages += 1;
                    members.extend(page.items.into_iter().map(member));
                }
                Ok(None) => break true,
                Err(e) if unknown_identity(&e) && members.is_empty() => break false,
                Err(e) => {
                    let outcome = failed(ctx, &e, q, records, pages);
                    ctx.finish(&q.name, outcome).await?;
                    return Ok(());
                }
            }
        };
        let members: Vec<GroupRecipient> =
            members.into_iter().map(|m| within.recipient(m)).collect();
        for m in members.iter().filter(|m| m.is_group()) {
            if seen.insert(m.identity.trim().to_lowercase()) {
                queue.push(m.identity.clone());
            }
        }
        records += 1;
        ctx.progress.advance(&q.name, 1);
        let record = DistributionGroup {
            identity,
            found,
            members,
        };
        let run = ctx.run;
        ctx.store(move |s| s.write_page(run, &[record])).await?;
    }
    if truncated {
        let outcome = crate::store::SourceOutcome {
            status: crate::store::SourceStatus::Failed,
            records,
            pages,
            reason: Some(format!(
                "plus de {MAX_GROUPS} groupes imbriqués : lecture arrêtée, les redirections \
                 vers ces groupes ne sont pas résolues"
            )),
            permission: None,
        };
        ctx.finish(&q.name, outcome).await?;
        return Ok(());
    }
    ctx.close_unseen(Kind::DistributionGroup, None).await?;
    ctx.finish(&q.name, collected(records, pages, None)).await?;
    Ok(())
}
