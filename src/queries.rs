//! The catalogue of remote requests, embedded from `queries/` at build time.
//!
//! Each file of `queries/` describes one request family: where it goes, which fields it
//! selects and why each is needed (data minimisation), its throttle class, the application
//! permission it needs and the licence it depends on. Collectors read their request shape
//! from here; `vigie365 permissions` and the README's permission table are generated from
//! here, so the documentation cannot drift from what the tool really asks for.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

/// A throttle class of GRAPH-NOTES.md: how Microsoft limits a request family (each file of
/// `queries/` names its own), and so which limiter of `graph` it waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleClass {
    /// Users, groups: a resource-unit token bucket per app and tenant.
    Directory,
    /// `$select=signInActivity` on users: 10 requests per minute.
    SignInActivity,
    /// Sign-in logs and registration details: 5 requests per 10 seconds.
    IdentityReports,
    /// Conditional access policies and named locations: 1 request per second.
    ConditionalAccess,
    /// Mailbox settings (inbox rules): per mailbox, and the global app limit.
    Outlook,
    /// Exchange Online admin API: undocumented, kept modest.
    ExchangeAdmin,
}

impl ThrottleClass {
    pub const ALL: [ThrottleClass; 6] = [
        ThrottleClass::Directory,
        ThrottleClass::SignInActivity,
        ThrottleClass::IdentityReports,
        ThrottleClass::ConditionalAccess,
        ThrottleClass::Outlook,
        ThrottleClass::ExchangeAdmin,
    ];

    /// Stable snake_case name, as in `queries/` and the logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ThrottleClass::Directory => "directory",
            ThrottleClass::SignInActivity => "sign_in_activity",
            ThrottleClass::IdentityReports => "identity_reports",
            ThrottleClass::ConditionalAccess => "conditional_access",
            ThrottleClass::Outlook => "outlook",
            ThrottleClass::ExchangeAdmin => "exchange_admin",
        }
    }

    /// Counted by Microsoft over a sliding window of requests (not a token bucket).
    pub fn sliding_window(self) -> bool {
        matches!(
            self,
            ThrottleClass::SignInActivity
                | ThrottleClass::IdentityReports
                | ThrottleClass::ConditionalAccess
                | ThrottleClass::ExchangeAdmin
        )
    }

    /// Limited per app and tenant as a whole (Outlook is limited per mailbox: a 429 for one
    /// mailbox says nothing of the others).
    pub fn tenant_wide(self) -> bool {
        self != ThrottleClass::Outlook
    }
}

/// The files of `queries/`, embedded in the binary. A test checks that this list and the
/// folder hold the same files.
const FILES: &[(&str, &str)] = &[
    ("users.toml", include_str!("../queries/users.toml")),
    (
        "users-sign-in-activity.toml",
        include_str!("../queries/users-sign-in-activity.toml"),
    ),
    (
        "user-registration-details.toml",
        include_str!("../queries/user-registration-details.toml"),
    ),
    ("sign-ins.toml", include_str!("../queries/sign-ins.toml")),
    (
        "conditional-access-policies.toml",
        include_str!("../queries/conditional-access-policies.toml"),
    ),
    (
        "named-locations.toml",
        include_str!("../queries/named-locations.toml"),
    ),
    (
        "administrative-units.toml",
        include_str!("../queries/administrative-units.toml"),
    ),
    (
        "group-members.toml",
        include_str!("../queries/group-members.toml"),
    ),
    (
        "message-rules.toml",
        include_str!("../queries/message-rules.toml"),
    ),
    (
        "exchange-mailboxes.toml",
        include_str!("../queries/exchange-mailboxes.toml"),
    ),
    (
        "exchange-mail-contacts.toml",
        include_str!("../queries/exchange-mail-contacts.toml"),
    ),
    (
        "exchange-remote-domains.toml",
        include_str!("../queries/exchange-remote-domains.toml"),
    ),
    (
        "exchange-outbound-spam-policies.toml",
        include_str!("../queries/exchange-outbound-spam-policies.toml"),
    ),
    (
        "exchange-transport-rules.toml",
        include_str!("../queries/exchange-transport-rules.toml"),
    ),
    (
        "exchange-accepted-domains.toml",
        include_str!("../queries/exchange-accepted-domains.toml"),
    ),
    (
        "managed-devices.toml",
        include_str!("../queries/managed-devices.toml"),
    ),
    (
        "sign-ins-mail-clients.toml",
        include_str!("../queries/sign-ins-mail-clients.toml"),
    ),
    (
        "exchange-cas-mailboxes.toml",
        include_str!("../queries/exchange-cas-mailboxes.toml"),
    ),
    (
        "exchange-irm-configuration.toml",
        include_str!("../queries/exchange-irm-configuration.toml"),
    ),
    (
        "exchange-admin-audit-log-config.toml",
        include_str!("../queries/exchange-admin-audit-log-config.toml"),
    ),
    (
        "exchange-organization-config.toml",
        include_str!("../queries/exchange-organization-config.toml"),
    ),
    (
        "role-assignments.toml",
        include_str!("../queries/role-assignments.toml"),
    ),
    (
        "security-defaults.toml",
        include_str!("../queries/security-defaults.toml"),
    ),
    (
        "exchange-mail-users.toml",
        include_str!("../queries/exchange-mail-users.toml"),
    ),
    (
        "exchange-group-members.toml",
        include_str!("../queries/exchange-group-members.toml"),
    ),
    (
        "exchange-outbound-spam-rules.toml",
        include_str!("../queries/exchange-outbound-spam-rules.toml"),
    ),
    (
        "per-user-mfa.toml",
        include_str!("../queries/per-user-mfa.toml"),
    ),
];

/// Which remote API a query family talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    Graph,
    Exchange,
}

/// One field a query reads, with the reason it is needed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    pub why: String,
}

/// One remote request family, as described in its `queries/` file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    pub name: String,
    /// French title, shown in `vigie365 permissions`, `doctor` and the bilan's method section.
    pub title: String,
    /// French plural of what the source counts (« comptes », « règles »), shown with its
    /// count in the progress bars and the night's summary.
    pub unit: String,
    pub api: Api,
    pub method: String,
    /// Path below the Graph base URL (Graph queries only); `{id}` stands for an object id.
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub fallback_path: Option<String>,
    /// `$filter` template: `{from}`, `{to}`, `{users}` and `{ids}` are filled in by the collector.
    #[serde(default)]
    pub filter: Option<String>,
    #[serde(default)]
    pub fallback_filter: Option<String>,
    /// How many ids one filtered request may name.
    #[serde(default)]
    pub ids_per_request: Option<usize>,
    /// `$top` (Graph) or `odata.maxpagesize` (Exchange); 0 = the service's own page size.
    pub page_size: u32,
    pub throttle: ThrottleClass,
    /// Resource units one request costs in its throttle class.
    pub cost: u32,
    pub permissions: Vec<String>,
    /// Licence the data depends on; empty when none is needed.
    pub licence: String,
    /// Exchange admin API cmdlet (Exchange queries only).
    #[serde(default)]
    pub cmdlet: Option<String>,
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    #[serde(rename = "field")]
    pub fields: Vec<Field>,
}

impl Query {
    /// The `$select` value: every field the query reads, in catalogue order.
    pub fn select(&self) -> String {
        self.fields
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The permissions as one French phrase ("A et B").
    pub fn permissions_fr(&self) -> String {
        self.permissions.join(" et ")
    }
}

/// Every query family, parsed once. A malformed embedded file is a build defect caught by
/// the test suite, so parsing here cannot fail for a user.
static ALL: LazyLock<Vec<Query>> = LazyLock::new(|| {
    FILES
        .iter()
        .filter_map(|(file, text)| match toml::from_str::<Query>(text) {
            Ok(q) => Some(q),
            Err(e) => {
                tracing::error!("queries/{file} est illisible : {e}");
                None
            }
        })
        .collect()
});

/// All query families.
pub fn all() -> &'static [Query] {
    &ALL
}

/// The query family of that name. Every name used by the code is checked by a test.
pub fn get(name: &str) -> Option<&'static Query> {
    ALL.iter().find(|q| q.name == name)
}

/// The names of the embedded files (for the test that compares them with `queries/`).
pub fn embedded_files() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(f, _)| *f)
}

/// Parses every embedded file, reporting the first that does not parse.
pub fn validate_embedded() -> Result<usize, String> {
    for (file, text) in FILES {
        toml::from_str::<Query>(text).map_err(|e| format!("queries/{file}: {e}"))?;
    }
    Ok(FILES.len())
}

/// The permission and licence table, as Markdown: printed by `vigie365 permissions` and
/// pasted in the README between markers (a test keeps both equal).
pub fn permission_table() -> String {
    let mut out = String::from(
        "| source | requête | type | autorisation d'application | licence |\n|---|---|---|---|---|\n",
    );
    for q in all() {
        let request = match q.api {
            Api::Graph => format!("`{} {}`", q.method, q.path),
            Api::Exchange => format!(
                "`{}` (API d'administration Exchange)",
                q.cmdlet.as_deref().unwrap_or("?")
            ),
        };
        let api = match q.api {
            Api::Graph => "Microsoft Graph",
            Api::Exchange => "Office 365 Exchange Online",
        };
        let licence = if q.licence.is_empty() {
            "—"
        } else {
            q.licence.as_str()
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            q.title,
            request,
            api,
            q.permissions.join(", "),
            licence
        ));
    }
    out
}

/// The distinct application permissions to grant, per API.
pub fn permissions_to_grant() -> Vec<(Api, String)> {
    let mut seen: Vec<(Api, String)> = Vec::new();
    for q in all() {
        for p in &q.permissions {
            if !seen.iter().any(|(a, s)| *a == q.api && s == p) {
                seen.push((q.api, p.clone()));
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_file_parses() {
        assert_eq!(validate_embedded(), Ok(FILES.len()));
        assert_eq!(all().len(), FILES.len());
    }

    #[test]
    fn embedded_list_matches_the_folder() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/queries");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("queries/ is part of the repository")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = embedded_files().map(String::from).collect();
        embedded.sort();
        assert_eq!(
            on_disk, embedded,
            "a file of queries/ is not embedded, or the reverse"
        );
    }

    #[test]
    fn names_are_unique_and_match_file_names() {
        for (file, _) in FILES {
            let stem = file.trim_end_matches(".toml");
            assert!(get(stem).is_some(), "{file} must declare name = \"{stem}\"");
        }
    }

    #[test]
    fn every_field_says_why() {
        for q in all() {
            assert!(!q.fields.is_empty(), "{} reads no field", q.name);
            for f in &q.fields {
                assert!(f.why.len() > 10, "{}.{} needs a reason", q.name, f.name);
            }
            assert!(!q.permissions.is_empty(), "{} names no permission", q.name);
        }
    }

    #[test]
    fn graph_queries_have_paths_and_exchange_ones_cmdlets() {
        for q in all() {
            match q.api {
                Api::Graph => assert!(
                    q.path.starts_with("/v1.0/") || q.path.starts_with("/beta/"),
                    "{}",
                    q.name
                ),
                Api::Exchange => assert!(
                    q.cmdlet.as_deref().is_some_and(|c| c.starts_with("Get-")),
                    "{}",
                    q.name
                ),
            }
        }
    }

    #[test]
    fn the_app_never_asks_to_read_mail() {
        for (_, p) in permissions_to_grant() {
            assert!(
                !p.starts_with("Mail.Read"),
                "vigie365 reads settings, never mail: {p}"
            );
        }
    }
}
