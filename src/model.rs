//! The tenant as vigie365 keeps it: the records collectors write, the store versions, and
//! checks and reports read. Collectors translate Microsoft's wire models (`graph::models`)
//! into these; nothing downstream ever sees Microsoft's JSON, so a change of endpoint touches
//! one collector only. Every record has a stable key (`Record::key`) under which the store
//! keeps its versions over time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A kind of versioned record, and the store's name for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Account,
    Registration,
    CaPolicy,
    NamedLocation,
    GroupMember,
    InboxRule,
    Mailbox,
    MailContact,
    RemoteDomain,
    OutboundPolicy,
    TransportRule,
    AcceptedDomain,
    Activity,
    ManagedDevice,
    IrmConfig,
    AuditConfig,
    OrgConfig,
    CasMailbox,
    RoleMember,
    SecurityDefaults,
    MailUser,
    DistributionGroup,
    OutboundRule,
    PerUserMfa,
}

impl Kind {
    pub const ALL: [Kind; 24] = [
        Kind::Account,
        Kind::Registration,
        Kind::CaPolicy,
        Kind::NamedLocation,
        Kind::GroupMember,
        Kind::InboxRule,
        Kind::Mailbox,
        Kind::MailContact,
        Kind::RemoteDomain,
        Kind::OutboundPolicy,
        Kind::TransportRule,
        Kind::AcceptedDomain,
        Kind::Activity,
        Kind::ManagedDevice,
        Kind::IrmConfig,
        Kind::AuditConfig,
        Kind::OrgConfig,
        Kind::CasMailbox,
        Kind::RoleMember,
        Kind::SecurityDefaults,
        Kind::MailUser,
        Kind::DistributionGroup,
        Kind::OutboundRule,
        Kind::PerUserMfa,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Account => "account",
            Kind::Registration => "registration",
            Kind::CaPolicy => "ca_policy",
            Kind::NamedLocation => "named_location",
            Kind::GroupMember => "group_member",
            Kind::InboxRule => "inbox_rule",
            Kind::Mailbox => "mailbox",
            Kind::MailContact => "mail_contact",
            Kind::RemoteDomain => "remote_domain",
            Kind::OutboundPolicy => "outbound_policy",
            Kind::TransportRule => "transport_rule",
            Kind::AcceptedDomain => "accepted_domain",
            Kind::Activity => "activity",
            Kind::ManagedDevice => "managed_device",
            Kind::IrmConfig => "irm_config",
            Kind::AuditConfig => "audit_config",
            Kind::OrgConfig => "org_config",
            Kind::CasMailbox => "cas_mailbox",
            Kind::RoleMember => "role_member",
            Kind::SecurityDefaults => "security_defaults",
            Kind::MailUser => "mail_user",
            Kind::DistributionGroup => "distribution_group",
            Kind::OutboundRule => "outbound_rule",
            Kind::PerUserMfa => "per_user_mfa",
        }
    }
}

/// A record the store versions: its kind and its stable key.
pub trait Record: Serialize + for<'de> Deserialize<'de> {
    const KIND: Kind;
    fn key(&self) -> String;
}

macro_rules! record {
    ($t:ty, $kind:expr, |$s:ident| $key:expr) => {
        impl Record for $t {
            const KIND: Kind = $kind;
            fn key(&self) -> String {
                let $s = self;
                $key
            }
        }
    };
}

/// A directory account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    /// Lowercase, as every finding names it.
    pub upn: String,
    pub display_name: String,
    pub mail: Option<String>,
    pub enabled: bool,
    pub guest: bool,
    pub employee_type: Option<String>,
    /// `extensionAttribute1`..`15` that have a value.
    pub extension_attributes: BTreeMap<String, String>,
    pub created: Option<DateTime<Utc>>,
    pub last_password_change: Option<DateTime<Utc>>,
    /// `proxyAddresses` as Microsoft gives them (`SMTP:` primary, `smtp:` aliases).
    #[serde(default)]
    pub proxy_addresses: Vec<String>,
    /// `companyName`, `department`, `officeLocation` that have a value, kept only when the
    /// establishment's perimeter selects on them (Graph name → value).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub organisation: BTreeMap<String, String>,
    /// Why the account is in the establishment's perimeter (empty without `[perimetre]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub perimeter: Vec<PerimeterReason>,
    /// The provincial mode: the establishments whose perimeter retains the account, each with
    /// its criteria (empty: « non attribué », or not the provincial mode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attribution: Vec<Attribution>,
}
record!(Account, Kind::Account, |s| s.id.clone());

/// An establishment of the provincial mode whose perimeter retains an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    /// The establishment's `code`.
    pub code: String,
    pub reasons: Vec<PerimeterReason>,
}

/// One criterion of `[perimetre]` that retains an account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "critere", rename_all = "snake_case")]
pub enum PerimeterReason {
    /// A member of this administrative unit (its display name).
    Unit { name: String },
    /// A transitive member of this group (its display name).
    Group { name: String },
    /// This pattern matches the UPN (`field` = `upn`) or the mail address (`mail`).
    Pattern { pattern: String, field: String },
    /// This directory attribute has this value (one of the perimeter's).
    Attribute { name: String, value: String },
}

/// MFA registration of an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub user_id: String,
    pub upn: String,
    pub mfa_registered: bool,
    pub mfa_capable: bool,
    pub methods: Vec<String>,
}
record!(Registration, Kind::Registration, |s| s.user_id.clone());

/// A conditional access policy, reduced to what MFA coverage needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaPolicy {
    pub id: String,
    pub name: String,
    /// `enabled`, `disabled`, `enabledForReportingButNotEnforced`.
    pub state: String,
    pub include_users: Vec<String>,
    pub exclude_users: Vec<String>,
    pub include_groups: Vec<String>,
    pub exclude_groups: Vec<String>,
    pub include_roles: Vec<String>,
    pub exclude_roles: Vec<String>,
    pub include_applications: Vec<String>,
    pub built_in_controls: Vec<String>,
    pub authentication_strength: bool,
    /// `excludeApplications`: application ids (or `Office365`).
    #[serde(default)]
    pub exclude_applications: Vec<String>,
    /// `clientAppTypes`: `all`, `browser`, `mobileAppsAndDesktopClients`,
    /// `exchangeActiveSync`, `other` (empty is `all`).
    #[serde(default)]
    pub client_app_types: Vec<String>,
    /// `locations.includeLocations`: `All`, `AllTrusted` or named location ids (empty: no
    /// location condition).
    #[serde(default)]
    pub include_locations: Vec<String>,
    /// `locations.excludeLocations`.
    #[serde(default)]
    pub exclude_locations: Vec<String>,
    /// `platforms.includePlatforms` (empty: no platform condition).
    #[serde(default)]
    pub include_platforms: Vec<String>,
    /// `platforms.excludePlatforms`.
    #[serde(default)]
    pub exclude_platforms: Vec<String>,
    /// `grantControls.operator`: `AND` or `OR` (absent: `OR`, Graph's default).
    #[serde(default)]
    pub grant_operator: Option<String>,
    /// `users.excludeGuestsOrExternalUsers` is set: guests and external users are excluded.
    #[serde(default)]
    pub exclude_guests: bool,
}
record!(CaPolicy, Kind::CaPolicy, |s| s.id.clone());

/// A named location (IP ranges, or countries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedLocation {
    pub id: String,
    pub name: String,
    pub trusted: bool,
    pub cidrs: Vec<String>,
}
record!(NamedLocation, Kind::NamedLocation, |s| s.id.clone());

/// A user that belongs (transitively) to a group named by a policy or by classification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupMember {
    pub group_id: String,
    pub user_id: String,
}
record!(GroupMember, Kind::GroupMember, |s| format!(
    "{}/{}",
    s.group_id, s.user_id
));

/// A principal (user or group) holding a directory role that a policy names: an active
/// role assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleMember {
    /// `roleDefinitionId`, as policies name it (`includeRoles`, `excludeRoles`).
    pub role_id: String,
    /// `principalId`.
    pub principal_id: String,
}
record!(RoleMember, Kind::RoleMember, |s| format!(
    "{}/{}",
    s.role_id, s.principal_id
));

/// The tenant's security defaults (`identitySecurityDefaultsEnforcementPolicy`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityDefaults {
    pub id: String,
    pub enabled: bool,
}
record!(SecurityDefaults, Kind::SecurityDefaults, |_s| "tenant"
    .to_string());

/// An account's per-user MFA state (`strongAuthenticationRequirements.perUserMfaState`:
/// `disabled`, `enabled`, `enforced`), read only for the accounts whose MFA coverage it
/// decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerUserMfa {
    pub user_id: String,
    /// As Microsoft spells it, lowercase.
    pub state: String,
}
record!(PerUserMfa, Kind::PerUserMfa, |s| s.user_id.clone());

/// Which action of an inbox rule sends the mail on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RuleAction {
    ForwardTo,
    ForwardAsAttachmentTo,
    RedirectTo,
}

/// An inbox rule that forwards or redirects (rules that do neither are not kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxRule {
    pub mailbox_user_id: String,
    pub mailbox_upn: String,
    pub rule_id: String,
    pub name: String,
    pub enabled: bool,
    pub has_error: bool,
    pub targets: Vec<(RuleAction, String)>,
}
record!(InboxRule, Kind::InboxRule, |s| format!(
    "{}/{}",
    s.mailbox_user_id, s.rule_id
));

/// A mailbox, with its mailbox-level forwarding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mailbox {
    /// The directory id (`ExternalDirectoryObjectId`), when Exchange gives it.
    pub user_id: Option<String>,
    pub upn: String,
    pub primary_smtp: String,
    /// `UserMailbox`, `SharedMailbox`, ...
    pub kind: String,
    pub forwarding_smtp: Option<String>,
    pub forwarding_address: Option<String>,
    pub deliver_and_forward: bool,
}
record!(Mailbox, Kind::Mailbox, |s| s.upn.clone());

/// A mail contact (the usual target of `ForwardingAddress`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailContact {
    pub identity: String,
    pub name: String,
    pub external_address: Option<String>,
}
record!(MailContact, Kind::MailContact, |s| s.identity.clone());

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteDomain {
    pub domain: String,
    pub auto_forward_enabled: bool,
}
record!(RemoteDomain, Kind::RemoteDomain, |s| s
    .domain
    .to_lowercase());

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundPolicy {
    pub identity: String,
    pub is_default: bool,
    /// `Automatic`, `On` or `Off`.
    pub auto_forwarding_mode: String,
}
record!(OutboundPolicy, Kind::OutboundPolicy, |s| s.identity.clone());

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransportRule {
    pub id: String,
    pub name: String,
    pub enabled: bool,
    pub redirect_to: Vec<String>,
    pub blind_copy_to: Vec<String>,
    pub copy_to: Vec<String>,
    /// Encrypts with Office Message Encryption (`ApplyOME`).
    #[serde(default)]
    pub apply_ome: bool,
    /// The rights protection template it applies, if any.
    #[serde(default)]
    pub rights_template: Option<String>,
    /// Whom it applies to (`SentToScope`: `NotInOrganization` for external recipients).
    #[serde(default)]
    pub sent_to_scope: Option<String>,
}

impl TransportRule {
    /// An enabled rule that encrypts (OME or a rights protection template) what is sent to
    /// recipients outside the organisation: ENC-EXT-01's posture figure.
    pub fn encrypts_external(&self) -> bool {
        self.enabled
            && (self.apply_ome || self.rights_template.is_some())
            && self
                .sent_to_scope
                .as_deref()
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("NotInOrganization"))
    }
}
record!(TransportRule, Kind::TransportRule, |s| s.id.clone());

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceptedDomain {
    pub domain: String,
    pub kind: Option<String>,
}
record!(AcceptedDomain, Kind::AcceptedDomain, |s| s
    .domain
    .to_lowercase());

/// Last sign-in activity of an account in scope (`signInActivity`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub user_id: String,
    pub last_interactive: Option<DateTime<Utc>>,
    pub last_non_interactive: Option<DateTime<Utc>>,
    pub last_successful: Option<DateTime<Utc>>,
}
record!(Activity, Kind::Activity, |s| s.user_id.clone());

/// The tenant's IRM configuration (`Get-IRMConfiguration`): whether Office Message Encryption
/// can protect mail to external recipients (DIR04 art. 6 3°). A value Exchange did not
/// return is `None`, never `false`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IrmConfig {
    pub azure_rms_licensing_enabled: Option<bool>,
    pub simplified_client_access_enabled: Option<bool>,
}
record!(IrmConfig, Kind::IrmConfig, |_s| "locataire".into());

/// Unified audit log ingestion (`Get-AdminAuditLogConfig`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditConfig {
    pub unified_audit_log_ingestion_enabled: Option<bool>,
}
record!(AuditConfig, Kind::AuditConfig, |_s| "locataire".into());

/// Mailbox auditing for the organisation (`Get-OrganizationConfig`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgConfig {
    pub audit_disabled: Option<bool>,
}
record!(OrgConfig, Kind::OrgConfig, |_s| "locataire".into());

/// A mailbox with POP or IMAP enabled (`Get-CASMailbox`, filtered at the service).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CasMailbox {
    /// Lowercase primary SMTP address (the identity `Get-CASMailbox` gives).
    pub address: String,
    pub pop_enabled: bool,
    pub imap_enabled: bool,
}
record!(CasMailbox, Kind::CasMailbox, |s| s.address.clone());

/// One sign-in of an account in scope (kept raw for the configured number of days).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignIn {
    pub id: String,
    pub created: DateTime<Utc>,
    pub user_id: String,
    pub upn: String,
    pub app_id: String,
    pub app_name: String,
    pub ip: Option<String>,
    pub client_app: Option<String>,
    pub interactive: bool,
    /// `singleFactorAuthentication`, `multiFactorAuthentication`, or unknown (v1.0).
    pub auth_requirement: Option<String>,
    pub error_code: i64,
    pub os: Option<String>,
    pub browser: Option<String>,
    /// `deviceDetail`: whether the device is managed and compliant (GEN-DEV-01). Absent from
    /// sign-ins stored by older versions: unknown, never "unmanaged".
    #[serde(default)]
    pub device: SignInDevice,
}

impl SignIn {
    pub fn succeeded(&self) -> bool {
        self.error_code == 0
    }
}

/// The device of a sign-in, as `deviceDetail` tells it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInDevice {
    /// `deviceId` (Entra ID device), when registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `displayName`, when registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `isManaged`; `None` when the log does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed: Option<bool>,
    /// `isCompliant`; `None` when the log does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliant: Option<bool>,
    /// `trustType`: « Azure AD registered », « Azure AD joined », « Hybrid Azure AD joined ».
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_type: Option<String>,
}

/// An Intune managed device of a generic account (optional source `managed-devices`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedDevice {
    pub id: String,
    pub name: String,
    /// Lowercase UPN of the account Intune ties it to.
    pub upn: String,
    /// `complianceState`: `compliant`, `noncompliant`, `inGracePeriod`, `conflict`, `error`,
    /// `unknown`, `configManager`.
    pub compliance: String,
    pub encrypted: Option<bool>,
    pub last_sync: Option<DateTime<Utc>>,
    pub os: Option<String>,
    /// `managedDeviceOwnerType`: `company`, `personal`, `unknown`.
    pub owner_type: Option<String>,
    /// `azureADDeviceId`: the `deviceId` of its sign-ins.
    pub entra_device_id: Option<String>,
}
record!(ManagedDevice, Kind::ManagedDevice, |s| format!(
    "{}/{}",
    s.upn, s.id
));
/// A mail user (`Get-MailUser`): a directory recipient whose mail goes to an external
/// address. A `ForwardingAddress` may name one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailUser {
    pub identity: String,
    pub name: String,
    pub alias: Option<String>,
    /// `ExternalEmailAddress`, as Exchange gives it (`SMTP:x@y`).
    pub external_address: Option<String>,
}
record!(MailUser, Kind::MailUser, |s| s.identity.clone());

/// A member of a distribution group, as `Get-DistributionGroupMember` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRecipient {
    pub identity: String,
    pub name: String,
    /// `RecipientTypeDetails` (or `RecipientType`): `UserMailbox`, `MailContact`, `MailUser`,
    /// `MailUniversalDistributionGroup`, ...
    pub kind: String,
    pub primary_smtp: Option<String>,
    pub external_address: Option<String>,
}

impl GroupRecipient {
    /// A group whose own members must be read in turn.
    pub fn is_group(&self) -> bool {
        self.kind.to_ascii_lowercase().contains("group")
    }
}

/// The direct members of one distribution group that a mailbox forward names (directly or
/// through a nested group), read with `Get-DistributionGroupMember -Identity`. `found` is
/// false when Exchange knows no group of that identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistributionGroup {
    /// As it was asked (the `ForwardingAddress` value or the member's identity).
    pub identity: String,
    pub found: bool,
    pub members: Vec<GroupRecipient>,
}
record!(DistributionGroup, Kind::DistributionGroup, |s| s
    .identity
    .trim()
    .to_lowercase());

/// An outbound spam filter rule (`Get-HostedOutboundSpamFilterRule`): which senders a custom
/// outbound spam policy applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundRule {
    pub name: String,
    /// `HostedOutboundSpamFilterPolicy`: the policy it applies.
    pub policy: String,
    /// `State` is `Enabled`.
    pub enabled: bool,
    /// 0 is applied first.
    pub priority: i64,
    pub from: Vec<String>,
    pub from_member_of: Vec<String>,
    pub sender_domain_is: Vec<String>,
    pub except_if_from: Vec<String>,
    pub except_if_from_member_of: Vec<String>,
    pub except_if_sender_domain_is: Vec<String>,
}
record!(OutboundRule, Kind::OutboundRule, |s| s.name.clone());

/// Whether two recipient identities as Exchange gives them name the same recipient: equal
/// (case-insensitive, trimmed), or one is the other's last path segment
/// (`…/Microsoft Exchange Hosted Organizations/x.onmicrosoft.com/Name` and `Name`).
pub fn same_recipient(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim().to_lowercase(), b.trim().to_lowercase());
    !a.is_empty()
        && !b.is_empty()
        && (a == b || a.ends_with(&format!("/{b}")) || b.ends_with(&format!("/{a}")))
}
