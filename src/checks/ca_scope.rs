//! Whether a conditional access policy applies to an account as it is really used: its users
//! (ids, groups transitively, directory roles), the applications the account signs in to,
//! and the conditions (client app types, locations, platforms) of its usual sign-ins.
//! Shared by MFA coverage ([`super::mfa`]) and fixed-address enforcement (GEN-IP-02).
//!
//! **Usage.** What an account does is read from its successful sign-ins of the evaluation
//! window: applications (id and name), client app types, addresses, platforms. A generic
//! account without sign-ins is taken to use the applications its class is allowed
//! (`generiques.applications_permises`), with its conditions unknown. Other accounts without
//! sign-ins have an unknown usage: a policy must then target `All` (or `Office365`)
//! applications, and a location or platform condition cannot be shown to include them.
//!
//! **Applications.** `All` includes every application; `Office365` is taken to include
//! every application the account uses (its sign-in dependencies go with it); otherwise the
//! application's id must be listed. Microsoft Teams is known by three ids (the client, the
//! web client and the Teams service): naming one names the three.
//!
//! **Roles.** A role a policy names is resolved from the directory role assignments when
//! they were collected ([`Snapshot::role_members`]); otherwise the role is unresolved: an
//! inclusion by role includes no one and an exclusion by role excludes no one, and the
//! evidence says so. A role assigned to a (role-assignable) group is held by the group's id
//! only: its members are not expanded.
//!
//! **Not modelled.** Guests and external users conditions (the checks leave guests out),
//! country named locations (a sign-in's address is matched against IP ranges only), device
//! filters, risk levels and authentication contexts.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;

use super::Snapshot;
use super::common::{app_label, list};
use crate::model::{CaPolicy, SignIn};

/// The ids of Microsoft Teams: client, web client, Teams service.
const TEAMS_IDS: &[&str] = &[
    "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
    "5e3ce6c0-2b1f-4285-8d4b-75ee78787346",
    "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
];

/// Application names of the allowed list mapped to their ids (the allowed list may name
/// applications by name; policies name them by id).
const KNOWN_APPS: &[(&str, &str)] = &[
    ("Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264"),
    (
        "Microsoft Teams Web Client",
        "5e3ce6c0-2b1f-4285-8d4b-75ee78787346",
    ),
    (
        "Microsoft Authentication Broker",
        "29d9ed98-a469-4536-ade2-f981bc1d605e",
    ),
    (
        "Microsoft Authenticator App",
        "4813382a-8fa7-425e-ab75-3b753aab3abb",
    ),
    (
        "Office 365 SharePoint Online",
        "00000003-0000-0ff1-ce00-000000000000",
    ),
    (
        "OneDrive SyncEngine",
        "ab9b8c07-8f02-4f72-87fa-80105867a763",
    ),
    (
        "Office 365 Exchange Online",
        "00000002-0000-0ff1-ce00-000000000000",
    ),
];

/// One application an account uses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct App {
    pub id: String,
    pub name: String,
}

impl App {
    pub fn label(&self) -> &str {
        if self.name.trim().is_empty() {
            self.id.trim()
        } else {
            self.name.trim()
        }
    }

    /// Whether a policy's application entry names this application.
    fn named_by(&self, entry: &str) -> bool {
        let e = entry.trim();
        if e.eq_ignore_ascii_case(self.id.trim()) || e.eq_ignore_ascii_case(self.name.trim()) {
            return true;
        }
        let teams = |x: &str| TEAMS_IDS.iter().any(|t| t.eq_ignore_ascii_case(x));
        teams(e) && teams(self.id.trim())
    }
}

/// Where an account's usage comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageFrom {
    /// Its successful sign-ins of the window (how many).
    SignIns(usize),
    /// No sign-in: the applications its class is allowed.
    Allowed,
    /// No sign-in and no allowed list: unknown.
    Unknown,
}

/// What an account does, as conditional access sees it.
#[derive(Debug, Clone)]
pub struct Usage {
    pub from: UsageFrom,
    pub apps: Vec<App>,
    /// Conditional access client app types of its sign-ins.
    pub client_types: BTreeSet<String>,
    pub ips: Vec<IpAddr>,
    /// Conditional access platforms of its sign-ins (`iOS`, `android`, `windows`…).
    pub platforms: BTreeSet<String>,
}

impl Usage {
    /// Nothing known: the usage of an account whose sign-ins are not read.
    pub fn unknown() -> Usage {
        Usage {
            from: UsageFrom::Unknown,
            apps: Vec::new(),
            client_types: BTreeSet::new(),
            ips: Vec::new(),
            platforms: BTreeSet::new(),
        }
    }

    /// The usage read from successful sign-ins; without any, the `allowed` applications
    /// (names or ids), or unknown when `allowed` is empty.
    pub fn of(signins: &[SignIn], allowed: &[String]) -> Usage {
        let ok: Vec<&SignIn> = signins.iter().filter(|s| s.succeeded()).collect();
        if ok.is_empty() {
            if allowed.is_empty() {
                return Usage::unknown();
            }
            let apps = allowed
                .iter()
                .map(|a| {
                    let a = a.trim();
                    match KNOWN_APPS
                        .iter()
                        .find(|(n, id)| n.eq_ignore_ascii_case(a) || id.eq_ignore_ascii_case(a))
                    {
                        Some((n, id)) => App {
                            id: (*id).to_string(),
                            name: (*n).to_string(),
                        },
                        None => App {
                            id: a.to_string(),
                            name: a.to_string(),
                        },
                    }
                })
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            return Usage {
                from: UsageFrom::Allowed,
                apps,
                ..Usage::unknown()
            };
        }
        let apps: BTreeSet<App> = ok
            .iter()
            .map(|s| App {
                id: s.app_id.trim().to_string(),
                name: app_label(s).to_string(),
            })
            .collect();
        let mut ips: Vec<IpAddr> = ok
            .iter()
            .filter_map(|s| s.ip.as_deref().and_then(|i| i.trim().parse().ok()))
            .collect();
        ips.sort();
        ips.dedup();
        Usage {
            from: UsageFrom::SignIns(ok.len()),
            apps: apps.into_iter().collect(),
            client_types: ok
                .iter()
                .filter_map(|s| client_type(s.client_app.as_deref()?))
                .collect(),
            ips,
            platforms: ok
                .iter()
                .filter_map(|s| platform(s.os.as_deref()?))
                .collect(),
        }
    }

    /// Whether the usual conditions (addresses, platforms, client types) are known.
    fn conditions_known(&self) -> bool {
        matches!(self.from, UsageFrom::SignIns(_))
    }
}

/// The conditional access client app type of a sign-in's `clientAppUsed`.
fn client_type(used: &str) -> Option<String> {
    let u = used.trim();
    let t = if u.is_empty() {
        return None;
    } else if u.eq_ignore_ascii_case("Browser") {
        "browser"
    } else if u.eq_ignore_ascii_case("Mobile Apps and Desktop clients") {
        "mobileAppsAndDesktopClients"
    } else if u.eq_ignore_ascii_case("Exchange ActiveSync") {
        "exchangeActiveSync"
    } else {
        "other"
    };
    Some(t.to_string())
}

/// The conditional access platform of a sign-in's `deviceDetail.operatingSystem`.
fn platform(os: &str) -> Option<String> {
    let o = os.trim().to_lowercase();
    let p = if o.is_empty() {
        return None;
    } else if o.starts_with("ios") || o.starts_with("ipad") {
        "iOS"
    } else if o.starts_with("android") {
        "android"
    } else if o.starts_with("windows") {
        "windows"
    } else if o.starts_with("mac") {
        "macOS"
    } else if o.starts_with("linux") {
        "linux"
    } else {
        return None;
    };
    Some(p.to_string())
}

fn has(list: &[String], x: &str) -> bool {
    list.iter().any(|v| v.trim().eq_ignore_ascii_case(x))
}

/// Why a policy does not apply to an account (users or conditions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// Excluded by its id in `excludeUsers`.
    ExcludedUser,
    /// Excluded through this group (transitive membership).
    ExcludedGroup(String),
    /// Excluded through this directory role.
    ExcludedRole(String),
    /// Not among the included users, groups or roles.
    NotIncluded,
    /// These client app types of its sign-ins are outside the policy's.
    ClientTypes(Vec<String>),
    /// These addresses of its sign-ins are outside the policy's locations (or excluded).
    Locations(Vec<String>),
    /// These platforms of its sign-ins are outside the policy's.
    Platforms(Vec<String>),
    /// The policy has location or platform conditions and the account's usual sign-ins
    /// are unknown.
    ConditionsUnknown,
}

impl Miss {
    /// French, short: « exclu par le groupe X ».
    pub fn describe(&self) -> String {
        match self {
            Miss::ExcludedUser => "exclu directement (excludeUsers)".into(),
            Miss::ExcludedGroup(g) => format!("exclu par le groupe {g}"),
            Miss::ExcludedRole(r) => format!("exclu par le rôle {r}"),
            Miss::NotIncluded => "ne l'inclut pas".into(),
            Miss::ClientTypes(t) => format!(
                "ne vise pas les types de client de ses connexions ({})",
                list(t)
            ),
            Miss::Locations(ips) => format!(
                "ses connexions depuis {} sont hors des emplacements visés",
                list(ips)
            ),
            Miss::Platforms(p) => format!("ne vise pas ses plateformes ({})", list(p)),
            Miss::ConditionsUnknown => {
                "conditions d'emplacement ou de plateforme, connexions habituelles inconnues".into()
            }
        }
    }

    /// An exclusion (user, group or role), as opposed to not being targeted.
    pub fn is_exclusion(&self) -> bool {
        matches!(
            self,
            Miss::ExcludedUser | Miss::ExcludedGroup(_) | Miss::ExcludedRole(_)
        )
    }
}

/// One of the account's applications a policy leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppOut {
    pub app: App,
    /// Listed in `excludeApplications` (else: not included).
    pub excluded: bool,
}

impl AppOut {
    pub fn describe(&self) -> String {
        if self.excluded {
            format!("application exclue « {} »", self.app.label())
        } else {
            format!("n'inclut pas l'application « {} »", self.app.label())
        }
    }
}

/// How one policy stands towards one account.
#[derive(Debug, Clone)]
pub struct Scope {
    /// `None` when the policy targets the account and its usual conditions.
    pub miss: Option<Miss>,
    /// The account's applications the policy leaves out, with why (« application X
    /// exclue », « n'inclut pas l'application X »). Empty with an unknown usage when the
    /// policy targets `All` or `Office365`.
    pub apps_out: Vec<AppOut>,
    /// With an unknown usage: the policy does not target `All` or `Office365`.
    pub narrow_apps: bool,
}

impl Scope {
    pub fn applies(&self) -> bool {
        self.miss.is_none() && self.apps_out.is_empty() && !self.narrow_apps
    }

    /// Whether the policy applies for this application (users and conditions aside).
    pub fn covers_app(&self, app: &App) -> bool {
        !self.apps_out.iter().any(|o| &o.app == app)
    }

    /// French: why the policy does not apply; empty when it does.
    pub fn describe(&self) -> String {
        if let Some(m) = &self.miss {
            return m.describe();
        }
        if self.narrow_apps {
            return "ne vise pas toutes les applications (All ou Office365)".into();
        }
        let v: Vec<String> = self.apps_out.iter().map(AppOut::describe).collect();
        v.join(", ")
    }
}

fn is_member(s: &Snapshot, group: &str, account_id: &str) -> bool {
    s.group_members
        .get(group.trim())
        .is_some_and(|m| m.contains(account_id))
}

/// `Some(true/false)` when the role's assignments were collected, `None` when unresolved.
fn holds_role(s: &Snapshot, role: &str, account_id: &str) -> Option<bool> {
    s.role_members
        .as_ref()
        .map(|r| r.get(role.trim()).is_some_and(|m| m.contains(account_id)))
}

/// Whether the policy names roles that could not be resolved.
pub fn unresolved_roles(s: &Snapshot, p: &CaPolicy) -> bool {
    s.role_members.is_none() && (!p.include_roles.is_empty() || !p.exclude_roles.is_empty())
}

/// Whether `ip` is in the location `loc` (`All`, `AllTrusted` or a named location id).
fn in_location(s: &Snapshot, loc: &str, ip: IpAddr) -> bool {
    let loc = loc.trim();
    if loc.eq_ignore_ascii_case("All") {
        return true;
    }
    let trusted = loc.eq_ignore_ascii_case("AllTrusted");
    s.named_locations
        .iter()
        .filter(|l| if trusted { l.trusted } else { l.id == loc })
        .flat_map(|l| &l.cidrs)
        .filter_map(|c| parse_range(c))
        .any(|r| r.contains(&ip))
}

/// A CIDR or a bare address (a /32 or /128).
pub fn parse_range(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// How `p` stands towards the account `account_id` used as `usage` says.
pub fn scope(s: &Snapshot, p: &CaPolicy, account_id: &str, usage: &Usage) -> Scope {
    let miss = users_miss(s, p, account_id).or_else(|| conditions_miss(s, p, usage));
    let all_apps = has(&p.include_applications, "All") || has(&p.include_applications, "Office365");
    let (apps_out, narrow_apps) = if usage.apps.is_empty() {
        (Vec::new(), !all_apps)
    } else {
        let out = usage
            .apps
            .iter()
            .filter_map(|a| {
                let excluded = has(&p.exclude_applications, "Office365")
                    || p.exclude_applications.iter().any(|e| a.named_by(e));
                let included = all_apps || p.include_applications.iter().any(|e| a.named_by(e));
                (excluded || !included).then(|| AppOut {
                    app: a.clone(),
                    excluded,
                })
            })
            .collect();
        (out, false)
    };
    Scope {
        miss,
        apps_out,
        narrow_apps,
    }
}

fn users_miss(s: &Snapshot, p: &CaPolicy, account_id: &str) -> Option<Miss> {
    if p.exclude_users.iter().any(|u| u.trim() == account_id) {
        return Some(Miss::ExcludedUser);
    }
    if let Some(g) = p
        .exclude_groups
        .iter()
        .find(|g| is_member(s, g, account_id))
    {
        return Some(Miss::ExcludedGroup(g.trim().to_string()));
    }
    if let Some(r) = p
        .exclude_roles
        .iter()
        .find(|r| holds_role(s, r, account_id) == Some(true))
    {
        return Some(Miss::ExcludedRole(r.trim().to_string()));
    }
    let included = p.include_users.iter().any(|u| {
        let u = u.trim();
        u.eq_ignore_ascii_case("All") || u == account_id
    }) || p.include_groups.iter().any(|g| is_member(s, g, account_id))
        || p.include_roles
            .iter()
            .any(|r| holds_role(s, r, account_id) == Some(true));
    (!included).then_some(Miss::NotIncluded)
}

fn conditions_miss(s: &Snapshot, p: &CaPolicy, usage: &Usage) -> Option<Miss> {
    let types_all = p.client_app_types.is_empty() || has(&p.client_app_types, "all");
    let locations = !p.include_locations.is_empty() || !p.exclude_locations.is_empty();
    let platforms = !p.include_platforms.is_empty() || !p.exclude_platforms.is_empty();
    if !usage.conditions_known() {
        // The usual clients of an unknown usage: modern ones.
        let modern = ["browser", "mobileAppsAndDesktopClients"];
        if !types_all && !modern.iter().all(|t| has(&p.client_app_types, t)) {
            let t: Vec<String> = modern
                .iter()
                .filter(|t| !has(&p.client_app_types, t))
                .map(|t| t.to_string())
                .collect();
            return Some(Miss::ClientTypes(t));
        }
        let include_all = p.include_locations.is_empty() || has(&p.include_locations, "All");
        let include_all_platforms =
            p.include_platforms.is_empty() || has(&p.include_platforms, "all");
        if (locations && !(include_all && p.exclude_locations.is_empty()))
            || (platforms && !(include_all_platforms && p.exclude_platforms.is_empty()))
        {
            return Some(Miss::ConditionsUnknown);
        }
        return None;
    }
    if !types_all {
        let out: Vec<String> = usage
            .client_types
            .iter()
            .filter(|t| !has(&p.client_app_types, t))
            .cloned()
            .collect();
        if !out.is_empty() {
            return Some(Miss::ClientTypes(out));
        }
    }
    if locations {
        let out: Vec<String> = usage
            .ips
            .iter()
            .filter(|ip| {
                let included = p.include_locations.is_empty()
                    || p.include_locations.iter().any(|l| in_location(s, l, **ip));
                let excluded = p.exclude_locations.iter().any(|l| in_location(s, l, **ip));
                !included || excluded
            })
            .map(|ip| ip.to_string())
            .collect();
        if !out.is_empty() {
            return Some(Miss::Locations(out));
        }
    }
    if platforms {
        let out: Vec<String> = usage
            .platforms
            .iter()
            .filter(|pl| {
                let included = p.include_platforms.is_empty()
                    || has(&p.include_platforms, "all")
                    || has(&p.include_platforms, pl);
                !included || has(&p.exclude_platforms, pl)
            })
            .cloned()
            .collect();
        if !out.is_empty() {
            return Some(Miss::Platforms(out));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;
    use crate::model::NamedLocation;

    fn usage_of(apps: &[&str], client: &str, ip: &str) -> Usage {
        let v: Vec<SignIn> = apps
            .iter()
            .enumerate()
            .map(|(n, a)| {
                let mut x = signin(&format!("s{n}"), "t1", a, 2);
                x.client_app = Some(client.into());
                x.ip = Some(ip.into());
                x
            })
            .collect();
        Usage::of(&v, &[])
    }

    #[test]
    fn all_apps_except_teams_leaves_a_teams_tablet_out() {
        let s = snapshot(vec![tablet("t1")]);
        let mut p = mfa_policy("p", "MFA sauf Teams");
        p.exclude_applications = vec!["cc15fd57-2c6c-4117-a88c-83b1d56b4bbe".into()];
        let mut u = usage_of(
            &["Microsoft Teams"],
            "Mobile Apps and Desktop clients",
            "10.0.0.1",
        );
        u.apps[0].id = "1fec8e78-bce4-4aaf-ab1b-5451cc387264".into();
        let sc = scope(&s, &p, "t1", &u);
        assert!(!sc.applies());
        assert!(
            sc.describe()
                .contains("application exclue « Microsoft Teams »")
        );
    }

    #[test]
    fn browser_only_policy_misses_a_mobile_client() {
        let s = snapshot(vec![tablet("t1")]);
        let mut p = mfa_policy("p", "MFA navigateur");
        p.client_app_types = vec!["browser".into()];
        let u = usage_of(
            &["Microsoft Teams"],
            "Mobile Apps and Desktop clients",
            "10.0.0.1",
        );
        let sc = scope(&s, &p, "t1", &u);
        assert_eq!(
            sc.miss,
            Some(Miss::ClientTypes(vec![
                "mobileAppsAndDesktopClients".into()
            ]))
        );
        let u = usage_of(&["Microsoft Teams"], "Browser", "10.0.0.1");
        assert!(scope(&s, &p, "t1", &u).applies());
    }

    #[test]
    fn excluding_trusted_locations_misses_a_tablet_at_its_fixed_address() {
        let mut s = snapshot(vec![tablet("t1")]);
        s.named_locations = vec![NamedLocation {
            id: "loc1".into(),
            name: "Site".into(),
            trusted: true,
            cidrs: vec!["10.1.0.0/16".into()],
        }];
        let mut p = mfa_policy("p", "MFA hors confiance");
        p.include_locations = vec!["All".into()];
        p.exclude_locations = vec!["AllTrusted".into()];
        let u = usage_of(&["Microsoft Teams"], "Browser", "10.1.2.3");
        let sc = scope(&s, &p, "t1", &u);
        assert_eq!(sc.miss, Some(Miss::Locations(vec!["10.1.2.3".into()])));
        let u = usage_of(&["Microsoft Teams"], "Browser", "203.0.113.9");
        assert!(scope(&s, &p, "t1", &u).applies());
        // Unknown usage: cannot be shown to be inside.
        assert_eq!(
            scope(&s, &p, "t1", &Usage::unknown()).miss,
            Some(Miss::ConditionsUnknown)
        );
    }

    #[test]
    fn roles_are_resolved_when_collected() {
        let mut s = snapshot(vec![tablet("t1")]);
        let mut p = mfa_policy("p", "MFA sauf admins");
        p.exclude_roles = vec!["role-1".into()];
        assert!(scope(&s, &p, "t1", &Usage::unknown()).applies());
        assert!(unresolved_roles(&s, &p));
        let mut roles = std::collections::HashMap::new();
        roles.insert(
            "role-1".to_string(),
            std::collections::HashSet::from(["t1".to_string()]),
        );
        s.role_members = Some(roles);
        assert_eq!(
            scope(&s, &p, "t1", &Usage::unknown()).miss,
            Some(Miss::ExcludedRole("role-1".into()))
        );
        assert!(!unresolved_roles(&s, &p));
    }

    #[test]
    fn allowed_list_stands_for_a_silent_generic_account() {
        let u = Usage::of(&[], &["Microsoft Teams".to_string()]);
        assert_eq!(u.from, UsageFrom::Allowed);
        assert_eq!(u.apps[0].id, "1fec8e78-bce4-4aaf-ab1b-5451cc387264");
    }
}
