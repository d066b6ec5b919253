//! Typed models of what Microsoft sends, with its quirks absorbed here and nowhere else:
//! dates as `null`, `""` or `0001-01-01T00:00:00Z` (= never), collections as `null`,
//! `redirectTo` as one recipient or a list, enums as `""`, Exchange values as a string or a
//! list. Field names are spelled as Microsoft documents them. Only the fields listed in
//! `queries/` are modelled; anything else in a response is ignored.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

/// A date that may be absent, `""`, or `0001-01-01T00:00:00Z` (all three mean "never").
fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.starts_with("0001-01-01") => Ok(None),
        Some(s) => parse_date(s).map(Some).map_err(serde::de::Error::custom),
    }
}

fn req_date<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let s = String::deserialize(d)?;
    parse_date(s.trim()).map_err(serde::de::Error::custom)
}

/// RFC 3339, with or without the `Z` (Exchange sometimes omits the offset: then UTC).
pub fn parse_date(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Ok(d.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|n| n.and_utc())
        .map_err(|_| {
            format!(
                "date illisible « {} »",
                s.chars().take(40).collect::<String>()
            )
        })
}

/// `null` becomes the default value (Graph sends `null` for empty collections at times).
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `""` becomes `None`.
fn opt_nonempty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    Ok(raw.filter(|s| !s.trim().is_empty()))
}

/// One value or a list of them (Graph's `redirectTo`, Exchange's recipient lists).
#[derive(Debug, Clone, PartialEq)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        #[allow(dead_code)] // `Nothing` only matches `null`; its content is never needed.
        enum Shape<T> {
            Many(Vec<T>),
            One(T),
            Nothing(Option<()>),
        }
        Ok(match Shape::<T>::deserialize(d)? {
            Shape::Many(v) => OneOrMany(v),
            Shape::One(x) => OneOrMany(vec![x]),
            Shape::Nothing(_) => OneOrMany(Vec::new()),
        })
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub user_principal_name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
    /// Absent unless selected: `None` means "not read", never "disabled".
    #[serde(default)]
    pub account_enabled: Option<bool>,
    #[serde(default)]
    pub user_type: Option<String>,
    #[serde(default)]
    pub employee_type: Option<String>,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub office_location: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub on_premises_extension_attributes: BTreeMap<String, Option<String>>,
    #[serde(default, deserialize_with = "opt_date")]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_date")]
    pub last_password_change_date_time: Option<DateTime<Utc>>,
    /// `SMTP:` (primary) and `smtp:` (alias) addresses; `null` or absent reads as none.
    #[serde(default, deserialize_with = "null_default")]
    pub proxy_addresses: Vec<String>,
    #[serde(default)]
    pub sign_in_activity: Option<SignInActivity>,
    /// Present in delta responses for deleted users.
    #[serde(default, rename = "@removed")]
    pub removed: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct SignInActivity {
    #[serde(default, deserialize_with = "opt_date")]
    pub last_sign_in_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_date")]
    pub last_non_interactive_sign_in_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_date")]
    pub last_successful_sign_in_date_time: Option<DateTime<Utc>>,
}

/// A user with only its sign-in activity (the scoped `users-sign-in-activity` query).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserActivity {
    pub id: String,
    #[serde(default)]
    pub sign_in_activity: Option<SignInActivity>,
}

/// An Intune managed device (`/deviceManagement/managedDevices`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ManagedDevice {
    pub id: String,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub device_name: Option<String>,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub user_principal_name: Option<String>,
    /// `compliant`, `noncompliant`, `inGracePeriod`, `conflict`, `error`, `unknown`,
    /// `configManager`; `None` when absent or `""`.
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub compliance_state: Option<String>,
    #[serde(default)]
    pub is_encrypted: Option<bool>,
    #[serde(default, deserialize_with = "opt_date")]
    pub last_sync_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub operating_system: Option<String>,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub managed_device_owner_type: Option<String>,
    /// `azureADDeviceId`; Intune writes `00000000-0000-0000-0000-000000000000` for a
    /// device not registered in Entra ID.
    #[serde(default, rename = "azureADDeviceId", deserialize_with = "opt_nonempty")]
    pub azure_ad_device_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationDetail {
    pub id: String,
    #[serde(default)]
    pub user_principal_name: String,
    #[serde(default)]
    pub is_mfa_registered: bool,
    #[serde(default)]
    pub is_mfa_capable: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub methods_registered: Vec<String>,
    #[serde(default, deserialize_with = "opt_date")]
    pub last_updated_date_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    pub id: String,
    #[serde(deserialize_with = "req_date")]
    pub created_date_time: DateTime<Utc>,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub user_principal_name: String,
    #[serde(default)]
    pub app_id: String,
    #[serde(default)]
    pub app_display_name: String,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub ip_address: Option<String>,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub client_app_used: Option<String>,
    /// Beta only; `None` on v1.0 (which returns interactive sign-ins only).
    #[serde(default)]
    pub is_interactive: Option<bool>,
    #[serde(default, deserialize_with = "null_default")]
    pub sign_in_event_types: Vec<String>,
    /// Beta only: `singleFactorAuthentication` or `multiFactorAuthentication`; `""` → `None`.
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub authentication_requirement: Option<String>,
    #[serde(default)]
    pub status: SignInStatus,
    #[serde(default)]
    pub device_detail: DeviceDetail,
}

impl SignIn {
    pub fn succeeded(&self) -> bool {
        self.status.error_code == 0
    }

    /// Interactive, from `isInteractive` (beta) or the event types; v1.0 only returns
    /// interactive sign-ins.
    pub fn interactive(&self) -> bool {
        match self.is_interactive {
            Some(b) => b,
            None => !self
                .sign_in_event_types
                .iter()
                .any(|t| t == "nonInteractiveUser"),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct SignInStatus {
    #[serde(default)]
    pub error_code: i64,
    #[serde(default)]
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct DeviceDetail {
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub operating_system: Option<String>,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub browser: Option<String>,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub device_id: Option<String>,
    #[serde(default)]
    pub is_managed: Option<bool>,
    #[serde(default)]
    pub is_compliant: Option<bool>,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub trust_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConditionalAccessPolicy {
    pub id: String,
    #[serde(default)]
    pub display_name: String,
    /// `enabled`, `disabled` or `enabledForReportingButNotEnforced`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub conditions: Option<CaConditions>,
    #[serde(default)]
    pub grant_controls: Option<GrantControls>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct CaConditions {
    #[serde(default)]
    pub users: Option<CaUsers>,
    #[serde(default)]
    pub applications: Option<CaApplications>,
    #[serde(default, deserialize_with = "null_default")]
    pub client_app_types: Vec<String>,
    #[serde(default)]
    pub locations: Option<CaLocations>,
    #[serde(default)]
    pub platforms: Option<CaPlatforms>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct CaLocations {
    #[serde(default, deserialize_with = "null_default")]
    pub include_locations: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub exclude_locations: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct CaPlatforms {
    #[serde(default, deserialize_with = "null_default")]
    pub include_platforms: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub exclude_platforms: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct CaUsers {
    #[serde(default, deserialize_with = "null_default")]
    pub include_users: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub exclude_users: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub include_groups: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub exclude_groups: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub include_roles: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub exclude_roles: Vec<String>,
    /// Present (not null) when the policy excludes guests or external users.
    #[serde(default)]
    pub exclude_guests_or_external_users: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct CaApplications {
    #[serde(default, deserialize_with = "null_default")]
    pub include_applications: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub exclude_applications: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct GrantControls {
    #[serde(default)]
    pub operator: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub built_in_controls: Vec<String>,
    #[serde(default)]
    pub authentication_strength: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NamedLocation {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: String,
    pub id: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub ip_ranges: Vec<IpRange>,
    #[serde(default)]
    pub is_trusted: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct IpRange {
    #[serde(default)]
    pub cidr_address: String,
}

/// `policies/identitySecurityDefaultsEnforcementPolicy` (one object, not a collection).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SecurityDefaultsPolicy {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub is_enabled: Option<bool>,
}

/// A `unifiedRoleAssignment` of `roleManagement/directory/roleAssignments`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub principal_id: String,
    #[serde(default)]
    pub role_definition_id: String,
}

/// A member returned by `transitiveMembers/microsoft.graph.user`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryMember {
    pub id: String,
    #[serde(default)]
    pub user_principal_name: Option<String>,
}

/// A directory object found by its id or its display name (administrative unit, group).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NamedObject {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MessageRule {
    pub id: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub is_enabled: bool,
    #[serde(default)]
    pub has_error: Option<bool>,
    #[serde(default)]
    pub actions: Option<RuleActions>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RuleActions {
    #[serde(default, deserialize_with = "null_default")]
    pub forward_to: Vec<Recipient>,
    #[serde(default, deserialize_with = "null_default")]
    pub forward_as_attachment_to: Vec<Recipient>,
    #[serde(default)]
    pub redirect_to: OneOrMany<Recipient>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    #[serde(default)]
    pub email_address: EmailAddress,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
pub struct EmailAddress {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

/// `messageRules` collection as returned inside a `$batch` response body.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct MessageRules {
    pub value: Vec<MessageRule>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Mailbox {
    /// `""` on mailboxes with no directory object (the discovery search mailbox): `None`.
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub external_directory_object_id: Option<String>,
    #[serde(default)]
    pub user_principal_name: String,
    #[serde(default)]
    pub primary_smtp_address: String,
    #[serde(default)]
    pub recipient_type_details: String,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub forwarding_smtp_address: Option<String>,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub forwarding_address: Option<String>,
    #[serde(default)]
    pub deliver_to_mailbox_and_forward: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct MailContact {
    #[serde(default)]
    pub identity: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub external_email_address: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RemoteDomain {
    #[serde(default)]
    pub domain_name: String,
    #[serde(default)]
    pub auto_forward_enabled: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct OutboundSpamPolicy {
    #[serde(default)]
    pub identity: String,
    #[serde(default)]
    pub is_default: Option<bool>,
    /// `Automatic`, `On` or `Off`.
    #[serde(default)]
    pub auto_forwarding_mode: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct TransportRule {
    #[serde(default)]
    pub guid: Option<String>,
    #[serde(default)]
    pub name: String,
    /// `Enabled` or `Disabled`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub redirect_message_to: OneOrMany<String>,
    #[serde(default)]
    pub blind_copy_to: OneOrMany<String>,
    #[serde(default)]
    pub copy_to: OneOrMany<String>,
    /// `ApplyOME`: the rule encrypts with Office Message Encryption.
    #[serde(default, rename = "ApplyOME", deserialize_with = "loose_bool")]
    pub apply_ome: Option<bool>,
    /// A rights protection template the rule applies (`Encrypt`, `Do Not Forward`, ...).
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub apply_rights_protection_template: Option<String>,
    /// `InOrganization`, `NotInOrganization`, ...
    #[serde(default, deserialize_with = "opt_nonempty")]
    pub sent_to_scope: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AcceptedDomain {
    #[serde(default)]
    pub domain_name: String,
    #[serde(default)]
    pub domain_type: Option<String>,
}

/// An Exchange boolean: `true`/`false`, or the strings `"True"`/`"False"` some cmdlets send;
/// `null`, absent or anything else is `None` (not read, never `false`).
fn loose_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v: Option<serde_json::Value> = Option::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::Bool(b)) => Some(b),
        Some(serde_json::Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "enabled" => Some(true),
            "false" | "disabled" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// `Get-IRMConfiguration`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct IrmConfiguration {
    #[serde(
        default,
        rename = "AzureRMSLicensingEnabled",
        deserialize_with = "loose_bool"
    )]
    pub azure_rms_licensing_enabled: Option<bool>,
    #[serde(default, deserialize_with = "loose_bool")]
    pub simplified_client_access_enabled: Option<bool>,
}

/// `Get-AdminAuditLogConfig`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AdminAuditLogConfig {
    #[serde(default, deserialize_with = "loose_bool")]
    pub unified_audit_log_ingestion_enabled: Option<bool>,
}

/// `Get-OrganizationConfig`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct OrganizationConfig {
    #[serde(default, deserialize_with = "loose_bool")]
    pub audit_disabled: Option<bool>,
}

/// `Get-CASMailbox`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct CasMailbox {
    #[serde(default)]
    pub primary_smtp_address: String,
    #[serde(default)]
    pub identity: String,
    #[serde(default, deserialize_with = "loose_bool")]
    pub pop_enabled: Option<bool>,
    #[serde(default, deserialize_with = "loose_bool")]
    pub imap_enabled: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_dates_and_empty_strings_are_none() {
        let u: User = serde_json::from_str(
            r#"{"id":"1","userPrincipalName":"a@b.c","lastPasswordChangeDateTime":"0001-01-01T00:00:00Z",
                "createdDateTime":"","signInActivity":{"lastSignInDateTime":null,
                "lastSuccessfulSignInDateTime":"2026-02-03T04:05:06Z"}}"#,
        )
        .expect("valid user");
        assert_eq!(u.last_password_change_date_time, None);
        assert_eq!(u.created_date_time, None);
        let a = u.sign_in_activity.expect("activity");
        assert_eq!(a.last_sign_in_date_time, None);
        assert_eq!(
            a.last_successful_sign_in_date_time.map(|d| d.to_rfc3339()),
            Some("2026-02-03T04:05:06+00:00".into())
        );
        assert_eq!(u.account_enabled, None, "not selected is not disabled");
    }

    #[test]
    fn redirect_to_as_object_or_list() {
        let one: RuleActions = serde_json::from_str(
            r#"{"redirectTo":{"emailAddress":{"name":"x","address":"x@gmail.com"}}}"#,
        )
        .expect("one");
        let many: RuleActions = serde_json::from_str(
            r#"{"redirectTo":[{"emailAddress":{"address":"x@gmail.com"}},{"emailAddress":{"address":"y@yahoo.ca"}}],"forwardTo":null}"#,
        )
        .expect("many");
        let none: RuleActions = serde_json::from_str(r#"{"redirectTo":null}"#).expect("none");
        assert_eq!(one.redirect_to.0.len(), 1);
        assert_eq!(many.redirect_to.0.len(), 2);
        assert!(many.forward_to.is_empty());
        assert!(none.redirect_to.0.is_empty());
    }

    #[test]
    fn empty_enum_and_interactive_fallback() {
        let s: SignIn = serde_json::from_str(
            r#"{"id":"s","createdDateTime":"2026-01-01T10:00:00Z","authenticationRequirement":"",
                "signInEventTypes":["nonInteractiveUser"],"status":{"errorCode":0}}"#,
        )
        .expect("sign-in");
        assert_eq!(s.authentication_requirement, None);
        assert!(!s.interactive());
        assert!(s.succeeded());
    }

    #[test]
    fn exchange_lists_as_string_or_array() {
        let r: TransportRule = serde_json::from_str(
            r#"{"Name":"Copie","State":"Enabled","BlindCopyTo":"archive@partenaire.ca","CopyTo":["a@b.c","d@e.f"],"RedirectMessageTo":null}"#,
        )
        .expect("rule");
        assert_eq!(r.blind_copy_to.0, vec!["archive@partenaire.ca".to_string()]);
        assert_eq!(r.copy_to.0.len(), 2);
        assert!(r.redirect_message_to.0.is_empty());
    }

    #[test]
    fn a_mailbox_without_directory_object_has_no_id() {
        let m: Mailbox = serde_json::from_str(
            r#"{"UserPrincipalName":"DiscoverySearchMailbox{D919BA05-46A6-415f-80AD-7E09334BB852}@x.onmicrosoft.com",
                "RecipientTypeDetails":"DiscoveryMailbox","ExternalDirectoryObjectId":"","ForwardingSmtpAddress":null}"#,
        )
        .expect("mailbox");
        assert_eq!(m.external_directory_object_id, None);
    }

    #[test]
    fn a_broken_date_is_an_error_not_a_silent_none() {
        let r: Result<User, _> = serde_json::from_str(r#"{"id":"1","createdDateTime":"hier"}"#);
        assert!(r.is_err());
    }

    #[test]
    fn exchange_booleans_as_bool_or_string_and_absent_is_unknown() {
        let i: IrmConfiguration = serde_json::from_str(
            r#"{"AzureRMSLicensingEnabled":"True","SimplifiedClientAccessEnabled":false}"#,
        )
        .expect("irm");
        assert_eq!(i.azure_rms_licensing_enabled, Some(true));
        assert_eq!(i.simplified_client_access_enabled, Some(false));
        let a: AdminAuditLogConfig = serde_json::from_str(r#"{"Identity":"x"}"#).expect("audit");
        assert_eq!(a.unified_audit_log_ingestion_enabled, None);
        let o: OrganizationConfig = serde_json::from_str(r#"{"AuditDisabled":null}"#).expect("org");
        assert_eq!(o.audit_disabled, None);
    }
}
