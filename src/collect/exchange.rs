//! Exchange Online sources, through the admin API: mailbox forwarding, mail contacts (the
//! usual target of `ForwardingAddress`), remote domains, the outbound spam policies and
//! transport rules (the tenant's forwarding controls), and accepted domains (what is
//! internal). They share the Exchange admin throttle class and are read one after the other.
//! Mailboxes are filtered at the service (only those that forward, and the shared, room and
//! equipment ones): the mailboxes whose inbox rules are read come from the directory. Mail
//! users and the distribution groups a `ForwardingAddress` names resolve mailbox forwards;
//! the outbound spam filter rules say which policy applies to which mailbox.

use super::context::{Ctx, collected, query};
use super::error::CollectError;
use super::paging::{Close, paged};
use super::recipients;
use crate::graph::models as wire;
use std::collections::BTreeSet;

use crate::graph::exchange_models as exo;
use crate::model::{
    AcceptedDomain, MailContact, MailUser, Mailbox, OutboundPolicy, OutboundRule, Record,
    RemoteDomain, TransportRule, same_recipient,
};

/// Reads one cmdlet's result into the store.
pub(super) async fn cmdlet<W, R>(
    ctx: &Ctx,
    name: &'static str,
    convert: impl FnMut(W) -> Option<R>,
    on_page: impl AsyncFnMut(&[R]),
) -> Result<bool, CollectError>
where
    W: serde::de::DeserializeOwned,
    R: Record + Send + 'static,
{
    let q = query(name)?;
    ctx.start(&q.name).await?;
    let call = ctx.client.exchange_call(q)?;
    let outcome = paged(ctx, q, call, convert, Close::All, on_page).await?;
    let ok = outcome.is_ok();
    ctx.finish(
        &q.name,
        outcome.map_or_else(|o| o, |(r, p)| collected(r, p, None)),
    )
    .await?;
    Ok(ok)
}

/// Every Exchange source. The mailboxes are read first: the `ForwardingAddress` values they
/// name decide which distribution groups are asked for their members.
pub(crate) async fn all(ctx: &Ctx) -> Result<(), CollectError> {
    let mut named: BTreeSet<String> = BTreeSet::new();
    // Mailboxes of the perimeter only: those of accounts outside are dropped as read.
    let within = match ctx.within().await {
        Some(w) => w,
        None => {
            let q = query("exchange-mailboxes")?;
            ctx.start(&q.name).await?;
            ctx.finish(&q.name, super::perimeter::outside_unknown())
                .await?;
            return Ok(());
        }
    };
    cmdlet(
        ctx,
        "exchange-mailboxes",
        |m: wire::Mailbox| {
            let kept = match m.external_directory_object_id.as_deref() {
                Some(id) if !id.is_empty() => within.keeps_id(id),
                _ => {
                    within.keeps_address(&m.user_principal_name)
                        || within.keeps_address(&m.primary_smtp_address)
                }
            };
            if !kept {
                return None;
            }
            Some(Mailbox {
                user_id: m.external_directory_object_id.filter(|s| !s.is_empty()),
                upn: m.user_principal_name.trim().to_lowercase(),
                primary_smtp: m.primary_smtp_address.trim().to_lowercase(),
                kind: m.recipient_type_details,
                forwarding_smtp: m.forwarding_smtp_address,
                forwarding_address: within.forwarding_address(m.forwarding_address),
                deliver_and_forward: m.deliver_to_mailbox_and_forward.unwrap_or(false),
            })
        },
        async |page: &[Mailbox]| {
            named.extend(
                page.iter()
                    .filter_map(|m| m.forwarding_address.as_deref())
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty() && v != crate::perimeter::OUTSIDE_RECIPIENT),
            );
        },
    )
    .await?;
    let mut known: Vec<String> = Vec::new();
    cmdlet(
        ctx,
        "exchange-mail-contacts",
        |c: wire::MailContact| {
            Some(MailContact {
                identity: c.identity,
                name: c.name,
                external_address: c.external_email_address,
            })
        },
        async |page: &[MailContact]| {
            known.extend(
                page.iter()
                    .flat_map(|c| [c.identity.clone(), c.name.clone()]),
            );
        },
    )
    .await?;
    mail_users(ctx, &mut known).await?;
    cmdlet(
        ctx,
        "exchange-outbound-spam-policies",
        |p: wire::OutboundSpamPolicy| {
            Some(OutboundPolicy {
                is_default: p
                    .is_default
                    .unwrap_or(p.identity.eq_ignore_ascii_case("Default")),
                identity: p.identity,
                auto_forwarding_mode: p.auto_forwarding_mode,
            })
        },
        async |_| {},
    )
    .await?;
    let rule_groups = outbound_rules(ctx, &within).await?;
    // Groups: the values no contact or mail user resolves and that are not addresses, and
    // the groups the outbound spam rules scope.
    let groups: BTreeSet<String> = named
        .into_iter()
        .filter(|v| !v.contains('@') && !v.to_ascii_lowercase().starts_with("/o="))
        .filter(|v| !known.iter().any(|k| same_recipient(k, v)))
        .chain(rule_groups)
        .collect();
    recipients::group_members(ctx, groups, &within).await?;
    cmdlet(
        ctx,
        "exchange-remote-domains",
        |d: wire::RemoteDomain| {
            Some(RemoteDomain {
                domain: d.domain_name,
                auto_forward_enabled: d.auto_forward_enabled,
            })
        },
        async |_| {},
    )
    .await?;
    cmdlet(
        ctx,
        "exchange-transport-rules",
        |r: wire::TransportRule| {
            Some(TransportRule {
                id: r
                    .guid
                    .clone()
                    .filter(|g| !g.is_empty())
                    .unwrap_or_else(|| r.name.clone()),
                enabled: r.state.eq_ignore_ascii_case("Enabled"),
                name: r.name,
                redirect_to: r.redirect_message_to.0,
                blind_copy_to: r.blind_copy_to.0,
                copy_to: r.copy_to.0,
                apply_ome: r.apply_ome.unwrap_or(false),
                rights_template: r.apply_rights_protection_template,
                sent_to_scope: r.sent_to_scope,
            })
        },
        async |_| {},
    )
    .await?;
    cmdlet(
        ctx,
        "exchange-accepted-domains",
        |d: wire::AcceptedDomain| {
            Some(AcceptedDomain {
                domain: d.domain_name,
                kind: d.domain_type,
            })
        },
        async |_| {},
    )
    .await?;
    Ok(())
}

/// Mail users (a `ForwardingAddress` may name one); their identities and names go to `known`.
async fn mail_users(ctx: &Ctx, known: &mut Vec<String>) -> Result<bool, CollectError> {
    cmdlet(
        ctx,
        "exchange-mail-users",
        |u: exo::MailUser| {
            Some(MailUser {
                identity: u.identity,
                name: u.name,
                alias: u.alias,
                external_address: u.external_email_address,
            })
        },
        async |page: &[MailUser]| {
            for u in page {
                known.extend([u.identity.clone(), u.name.clone()]);
                known.extend(u.alias.clone());
            }
        },
    )
    .await
}

/// The rules that scope the custom outbound spam policies. Returns the groups they name.
/// The outbound spam rules. A sender a rule names that is an account outside the perimeter is
/// kept as [`crate::perimeter::OUTSIDE_ADDRESS`]: it can scope no mailbox of the perimeter,
/// and is never named.
async fn outbound_rules(
    ctx: &Ctx,
    within: &super::perimeter::Within,
) -> Result<Vec<String>, CollectError> {
    let mut groups: Vec<String> = Vec::new();
    let senders = |v: Vec<String>| within.senders(v);
    cmdlet(
        ctx,
        "exchange-outbound-spam-rules",
        |r: exo::OutboundSpamRule| {
            Some(OutboundRule {
                name: if r.name.trim().is_empty() {
                    r.identity
                } else {
                    r.name
                },
                policy: r.hosted_outbound_spam_filter_policy,
                enabled: r.state.trim().eq_ignore_ascii_case("Enabled"),
                priority: r.priority,
                from: senders(r.from.0),
                from_member_of: r.from_member_of.0,
                sender_domain_is: r.sender_domain_is.0,
                except_if_from: senders(r.except_if_from.0),
                except_if_from_member_of: r.except_if_from_member_of.0,
                except_if_sender_domain_is: r.except_if_sender_domain_is.0,
            })
        },
        async |page: &[OutboundRule]| {
            for r in page {
                groups.extend(r.from_member_of.iter().cloned());
                groups.extend(r.except_if_from_member_of.iter().cloned());
            }
        },
    )
    .await?;
    Ok(groups)
}
