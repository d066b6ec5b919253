//! Exchange Online sources, through the admin API: mailbox forwarding, mail contacts (the
//! usual target of `ForwardingAddress`), remote domains, the outbound spam policies and
//! transport rules (the tenant's forwarding controls), and accepted domains (what is
//! internal). They share the Exchange admin throttle class and are read one after the other.
//! The mailboxes go to inbox rules page by page, as they are read.

use super::context::{Ctx, collected, query};
use super::error::CollectError;
use super::feed::FeedTx;
use super::paging::{Close, paged};
use crate::graph::models as wire;
use crate::model::{
    AcceptedDomain, MailContact, Mailbox, OutboundPolicy, Record, RemoteDomain, TransportRule,
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

/// Every Exchange source. The directory ids of the mailboxes go to `mailboxes` as they are
/// read; its end says whether every mailbox was listed.
pub(crate) async fn all(ctx: &Ctx, mailboxes: FeedTx<String>) -> Result<(), CollectError> {
    let mailboxes_ok = cmdlet(
        ctx,
        "exchange-mailboxes",
        |m: wire::Mailbox| {
            Some(Mailbox {
                user_id: m.external_directory_object_id.filter(|s| !s.is_empty()),
                upn: m.user_principal_name.trim().to_lowercase(),
                primary_smtp: m.primary_smtp_address.trim().to_lowercase(),
                kind: m.recipient_type_details,
                forwarding_smtp: m.forwarding_smtp_address,
                forwarding_address: m.forwarding_address,
                deliver_and_forward: m.deliver_to_mailbox_and_forward.unwrap_or(false),
            })
        },
        async |page: &[Mailbox]| {
            mailboxes
                .items(page.iter().filter_map(|m| m.user_id.clone()).collect())
                .await
        },
    )
    .await?;
    mailboxes.end(mailboxes_ok).await;
    drop(mailboxes);
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
        async |_| {},
    )
    .await?;
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
