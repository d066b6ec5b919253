//! The Exchange recipients and rules that resolve a mailbox forward and scope the outbound
//! spam policies: `Get-MailUser`, `Get-DistributionGroupMember -Identity`,
//! `Get-HostedOutboundSpamFilterRule`; and the OPATH `-Filter` of `Get-Mailbox`, honoured at
//! the service as Exchange does (only the clauses vigie365 sends are understood; anything
//! else is Exchange's "Invalid filter syntax").

use serde_json::{Value, json};

use super::Resp;
use super::paging::exo_error;
use crate::sim::scenario::{Account, Member, Scenario, idx};

/// The clauses of a Get-Mailbox filter, joined by `-or`: bit n is clause n.
pub(super) const FILTER_CLAUSES: &[&str] = &[
    "forwardingsmtpaddress -ne $null",
    "forwardingaddress -ne $null",
    "recipienttypedetails -eq 'sharedmailbox'",
    "recipienttypedetails -eq 'roommailbox'",
    "recipienttypedetails -eq 'equipmentmailbox'",
    "recipienttypedetails -eq 'usermailbox'",
];

/// The mask of a `-Filter` value; an unknown clause is Exchange's syntax error.
pub(super) fn parse_filter(f: &str) -> Result<i64, Resp> {
    let norm = f
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let norm = norm
        .trim_start_matches('(')
        .trim_end_matches(')')
        .replace('"', "'");
    let mut mask = 0i64;
    for clause in norm.split(" -or ") {
        let c = clause
            .trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .trim();
        match FILTER_CLAUSES.iter().position(|k| *k == c) {
            Some(n) => mask |= 1 << n,
            None => {
                return Err(exo_error(
                    400,
                    "BadRequest",
                    &format!(
                        "Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": \"Invalid filter syntax. For a description of the filter parameter syntax see the command help. \"{f}\" at position 1.\""
                    ),
                ));
            }
        }
    }
    Ok(mask)
}

/// Whether a mailbox passes a filter mask (0: no filter).
pub(super) fn mailbox_matches(sc: &Scenario, a: &Account, day: i32, mask: i64) -> bool {
    if mask == 0 {
        return true;
    }
    let f = sc.mailbox_forwarding(a, day);
    let details = match sc.mailbox_type(a) {
        "SharedMailbox" => 2,
        "RoomMailbox" => 3,
        "EquipmentMailbox" => 4,
        _ => 5,
    };
    (mask & 1 != 0 && f.smtp.is_some())
        || (mask & 2 != 0 && (f.contact.is_some() || f.named.is_some()))
        || mask & (1 << details) != 0
}

/// The index of the group an `Identity` names, or Exchange's "couldn't be found".
pub(super) fn group_index(sc: &Scenario, identity: &str) -> Result<i64, Resp> {
    let want = identity.trim().to_lowercase();
    sc.distribution_groups()
        .iter()
        .position(|g| g.name.to_lowercase() == want)
        .map(|i| i as i64)
        .ok_or_else(|| {
            exo_error(
                404,
                "ManagementObjectNotFoundException",
                &format!(
                    "The operation couldn't be performed because object '{identity}' couldn't be found on 'YT1PR01A001DC01.CANPR01A001.PROD.OUTLOOK.COM'."
                ),
            )
        })
}

/// The objects of one of these cmdlets (`None`: not one of them).
pub(super) fn objects(sc: &Scenario, cmdlet: &str, day: i32, identity: i64) -> Option<Vec<Value>> {
    Some(match cmdlet {
        "get-mailuser" => sc
            .mail_users()
            .iter()
            .map(|u| {
                let addr = u.external.trim_start_matches("SMTP:");
                json!({
                    "Identity": u.name,
                    "Name": u.name,
                    "DisplayName": u.name,
                    "Alias": u.alias,
                    "ExternalEmailAddress": u.external,
                    "PrimarySmtpAddress": addr,
                    "EmailAddresses": [u.external, format!("smtp:{}@{}", u.alias, crate::sim::scenario::MAIL_DOMAIN)],
                    "RecipientType": "MailUser",
                    "RecipientTypeDetails": "MailUser",
                    "HiddenFromAddressListsEnabled": false,
                })
            })
            .collect(),
        "get-distributiongroupmember" => {
            let groups = sc.distribution_groups();
            let Some(g) = usize::try_from(identity - 1).ok().and_then(|i| groups.get(i)) else {
                return Some(Vec::new());
            };
            g.members
                .iter()
                .map(|m| member(sc, day, m))
                .filter(|v| !v.is_null())
                .collect()
        }
        "get-hostedoutboundspamfilterrule" => sc
            .outbound_rules(day)
            .iter()
            .map(|r| {
                let list = |v: Vec<String>| match v.len() {
                    0 => Value::Null,
                    1 => Value::String(v[0].clone()),
                    _ => json!(v),
                };
                json!({
                    "Identity": r.name,
                    "Name": r.name,
                    "HostedOutboundSpamFilterPolicy": r.policy,
                    "State": if r.enabled { "Enabled" } else { "Disabled" },
                    "Priority": r.priority,
                    "Comments": null,
                    "From": list(r.from.clone()),
                    "FromMemberOf": list(r.from_member_of.iter().map(|s| s.to_string()).collect()),
                    "SenderDomainIs": list(r.sender_domain_is.iter().map(|s| s.to_string()).collect()),
                    "ExceptIfFrom": list(r.except_if_from.clone()),
                    "ExceptIfFromMemberOf": null,
                    "ExceptIfSenderDomainIs": null,
                    "Conditions": null,
                    "Exceptions": null,
                    "Description": format!("Si le message : expéditeur visé par la règle « {} »", r.name),
                })
            })
            .collect(),
        _ => return None,
    })
}

fn member(sc: &Scenario, day: i32, m: &Member) -> Value {
    match m {
        Member::Mailbox(k) => {
            let Some(a) = sc.account(idx(*k), day) else {
                return Value::Null;
            };
            let (upn, name) = (
                a.mail.clone().unwrap_or(a.upn.clone()),
                a.display_name.clone(),
            );
            json!({
                "Identity": a.upn.split('@').next().unwrap_or(""),
                "Name": name,
                "RecipientType": "UserMailbox",
                "RecipientTypeDetails": "UserMailbox",
                "PrimarySmtpAddress": upn,
                "ExternalEmailAddress": null,
            })
        }
        Member::Contact(name, external) => json!({
            "Identity": name,
            "Name": name,
            "RecipientType": "MailContact",
            "RecipientTypeDetails": "MailContact",
            "PrimarySmtpAddress": external.trim_start_matches("SMTP:"),
            "ExternalEmailAddress": external,
        }),
        Member::MailUser(name) => {
            let u = sc.mail_users().into_iter().find(|u| u.name == *name);
            json!({
                "Identity": name,
                "Name": name,
                "RecipientType": "MailUser",
                "RecipientTypeDetails": "MailUser",
                "PrimarySmtpAddress": u.as_ref().map(|u| format!("{}@{}", u.alias, crate::sim::scenario::MAIL_DOMAIN)),
                "ExternalEmailAddress": u.map(|u| u.external),
            })
        }
        Member::Group(name) => json!({
            "Identity": name,
            "Name": name,
            "RecipientType": "MailUniversalDistributionGroup",
            "RecipientTypeDetails": "MailUniversalDistributionGroup",
            "PrimarySmtpAddress": format!("{}@{}", crate::sim::names::ascii_slug(name), crate::sim::scenario::ORG_DOMAIN),
            "ExternalEmailAddress": null,
        }),
    }
}
