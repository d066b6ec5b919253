//! Exchange admin API objects that resolve a mailbox forward and scope the outbound spam
//! policies: `Get-MailUser`, `Get-DistributionGroupMember`, `Get-HostedOutboundSpamFilterRule`.
//! Field names as Exchange spells them (PascalCase); lists come as one string, a list or
//! `null`; empty strings are `None`.

use serde::{Deserialize, Deserializer};

use super::models::OneOrMany;

/// `""` becomes `None`.
fn opt_nonempty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    Ok(raw.filter(|s| !s.trim().is_empty()))
}

/// A number, a numeric string, or `null` (0).
fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    #[allow(dead_code)] // `Nothing` only matches `null`.
    enum N {
        Int(i64),
        Text(String),
        Nothing(Option<()>),
    }
    Ok(match N::deserialize(d)? {
        N::Int(n) => n,
        N::Text(s) => s.trim().parse().map_err(serde::de::Error::custom)?,
        N::Nothing(_) => 0,
    })
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct MailUser {
    #[serde(default)]
    pub identity: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub alias: Option<String>,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub external_email_address: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct DistributionGroupMember {
    #[serde(default)]
    pub identity: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub recipient_type: Option<String>,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub recipient_type_details: Option<String>,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub primary_smtp_address: Option<String>,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub external_email_address: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct OutboundSpamRule {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub identity: String,
    #[serde(default)]
    pub hosted_outbound_spam_filter_policy: String,
    /// `Enabled` or `Disabled`.
    #[serde(default)]
    pub state: String,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub priority: i64,
    #[serde(default)]
    pub from: OneOrMany<String>,
    #[serde(default)]
    pub from_member_of: OneOrMany<String>,
    #[serde(default)]
    pub sender_domain_is: OneOrMany<String>,
    #[serde(default)]
    pub except_if_from: OneOrMany<String>,
    #[serde(default)]
    pub except_if_from_member_of: OneOrMany<String>,
    #[serde(default)]
    pub except_if_sender_domain_is: OneOrMany<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_lists_as_string_list_or_null_and_priority_as_text() {
        let r: OutboundSpamRule = serde_json::from_str(
            r#"{"Name":"Direction","HostedOutboundSpamFilterPolicy":"Direction","State":"Enabled",
                "Priority":"1","From":"dg@x.ca","FromMemberOf":["Direction"],"SenderDomainIs":null}"#,
        )
        .expect("rule");
        assert_eq!(r.priority, 1);
        assert_eq!(r.from.0, ["dg@x.ca"]);
        assert_eq!(r.from_member_of.0, ["Direction"]);
        assert!(r.sender_domain_is.0.is_empty());
        let bad: Result<OutboundSpamRule, _> = serde_json::from_str(r#"{"Priority":"un"}"#);
        assert!(bad.is_err());
    }

    #[test]
    fn members_keep_their_type_and_addresses() {
        let m: DistributionGroupMember = serde_json::from_str(
            r#"{"Identity":"Externe","Name":"Externe","RecipientType":"MailContact",
                "PrimarySmtpAddress":"","ExternalEmailAddress":"SMTP:x@gmail.com"}"#,
        )
        .expect("member");
        assert_eq!(m.primary_smtp_address, None);
        assert_eq!(
            m.external_email_address.as_deref(),
            Some("SMTP:x@gmail.com")
        );
    }
}
