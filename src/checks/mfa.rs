//! MFA coverage as conditional access really applies it. Shared by GEN-MFA-02, APP-MFA-01,
//! the posture figure « exclu de la MFA » and `evaluate --explain`.
//!
//! A policy *enforces MFA* when its state is `enabled` (report-only enforces nothing) and its
//! grant requires MFA: `builtInControls` contains `mfa` or an authentication strength is set,
//! and the operator does not offer another way (`OR` with another control — « MFA ou appareil
//! conforme » — does not require MFA; `AND` does). It *covers* an account for one application
//! when it applies to it as [`super::ca_scope`] says (users, groups and roles included and not
//! excluded, that application included and not excluded, the conditions of its usual
//! sign-ins inside). An account is covered when each application it uses is covered by some
//! policy; an account whose usage is unknown, by a policy on `All` (or `Office365`)
//! applications.
//!
//! MFA enforced outside conditional access covers too, and is named: security defaults, and
//! per-user MFA (`perUserMfaState`). `enforced` covers; `enabled` covers as well (Microsoft
//! asks the account to register at its next interactive sign-in, then turns the state to
//! `enforced`; until it has registered, GEN-MFA-01 says so) and is named apart. Neither covers
//! legacy clients that cannot do MFA (app passwords); single-factor sign-ins of the window
//! still make GEN-MFA-02 fire. Per-user MFA not read that night: coverage is judged without
//! it, and the evidence says so ([`Coverage::role_note`]).

use super::Snapshot;
use super::ca_scope::{self, Scope, Usage};
use super::common::window_signins;
use crate::classify::Class;
use crate::config::Config;
use crate::model::CaPolicy;

fn has(list: &[String], x: &str) -> bool {
    list.iter().any(|v| v.trim().eq_ignore_ascii_case(x))
}

/// `None` when the policy has no MFA control; `Ok` when its grant requires MFA; `Err` (French)
/// when MFA is offered among alternatives.
pub fn mfa_grant(p: &CaPolicy) -> Option<Result<(), String>> {
    let mfa = has(&p.built_in_controls, "mfa") || p.authentication_strength;
    if !mfa || has(&p.built_in_controls, "block") {
        return None;
    }
    let others: Vec<&str> = p
        .built_in_controls
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.eq_ignore_ascii_case("mfa"))
        .collect();
    let and = p
        .grant_operator
        .as_deref()
        .is_some_and(|o| o.trim().eq_ignore_ascii_case("AND"));
    if and || others.is_empty() {
        Some(Ok(()))
    } else {
        Some(Err(format!(
            "accorde l'accès avec la MFA OU {} : la MFA n'est pas exigée",
            others.join(" OU ")
        )))
    }
}

/// `Ok` when the policy is enforced (`enabled`); else why not (French).
pub fn enforced(p: &CaPolicy) -> Result<(), String> {
    let st = p.state.trim();
    if st.eq_ignore_ascii_case("enabled") {
        Ok(())
    } else if st.eq_ignore_ascii_case("enabledForReportingButNotEnforced") {
        Err("politique en mode rapport seulement".into())
    } else {
        Err(format!("politique à l'état « {st} »"))
    }
}

/// Whether a policy enforces MFA (enabled, grant requiring MFA), whoever it applies to.
pub fn requires_mfa(p: &CaPolicy) -> bool {
    enforced(p).is_ok() && mfa_grant(p) == Some(Ok(()))
}

/// How one policy with an MFA control stands towards an account.
#[derive(Debug, Clone)]
pub struct PolicyStand<'a> {
    pub policy: &'a CaPolicy,
    /// Why it enforces nothing (report-only, MFA offered among alternatives); `None` when it
    /// enforces MFA.
    pub not_enforcing: Option<String>,
    pub scope: Scope,
}

impl PolicyStand<'_> {
    /// Enforces MFA and targets the account (for some of its applications at least).
    fn enforces_on_account(&self) -> bool {
        self.not_enforcing.is_none() && self.scope.miss.is_none()
    }

    /// French: « s'applique » or why not.
    pub fn describe(&self) -> String {
        if let Some(why) = &self.not_enforcing {
            return why.clone();
        }
        if self.scope.applies() {
            return "s'applique".into();
        }
        self.scope.describe()
    }
}

/// The policies with an MFA control (not disabled) and how each stands towards one account.
#[derive(Debug, Clone)]
pub struct Coverage<'a> {
    pub stands: Vec<PolicyStand<'a>>,
    pub usage: Usage,
    /// Policies naming roles that could not be resolved.
    unresolved_roles: Vec<&'a str>,
    /// MFA enforced outside conditional access (security defaults, per-user MFA), named.
    pub outside_ca: Option<&'static str>,
    /// Per-user MFA was not read that night (its source is known and not collected).
    per_user_unread: bool,
}

impl<'a> Coverage<'a> {
    /// The policies that enforce MFA on the account for every application it uses.
    pub fn applying(&self) -> impl Iterator<Item = &'a CaPolicy> + '_ {
        self.stands
            .iter()
            .filter(|s| s.not_enforcing.is_none() && s.scope.applies())
            .map(|s| s.policy)
    }

    pub fn is_covered(&self) -> bool {
        if self.outside_ca.is_some() {
            return true;
        }
        if self.usage.apps.is_empty() {
            return self.applying().next().is_some();
        }
        self.usage.apps.iter().all(|app| {
            self.stands
                .iter()
                .any(|s| s.enforces_on_account() && s.scope.covers_app(app))
        })
    }

    /// The names of the policies that cover the account (wholly or for some applications),
    /// then the MFA enforced outside conditional access.
    pub fn covering(&self) -> Vec<&'a str> {
        self.covering_policies().chain(self.outside_ca).collect()
    }

    fn covering_policies(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.stands
            .iter()
            .filter(|s| {
                s.enforces_on_account()
                    && (s.scope.applies() || self.usage.apps.iter().any(|a| s.scope.covers_app(a)))
            })
            .map(|s| s.policy.name.as_str())
    }

    /// Enforcing policies that exclude the account (by user, group or role).
    pub fn exclusions(&self) -> impl Iterator<Item = (&'a CaPolicy, String)> + '_ {
        self.stands.iter().filter_map(|s| match &s.scope.miss {
            Some(m) if s.not_enforcing.is_none() && m.is_exclusion() => {
                Some((s.policy, m.describe()))
            }
            _ => None,
        })
    }

    pub fn is_excluded_somewhere(&self) -> bool {
        self.exclusions().next().is_some()
    }

    /// French, one clause per policy: "« P1 » : exclu directement ; « P2 » : ne l'inclut pas".
    pub fn describe(&self) -> String {
        match self.outside_ca {
            Some(by) if by == SECURITY_DEFAULTS => return format!("MFA imposée par les {by}"),
            Some(by) => return format!("MFA imposée hors de l'accès conditionnel : {by}"),
            None => {}
        }
        if self.stands.is_empty() {
            return "aucune stratégie d'accès conditionnel active n'exige la MFA (état enabled, \
                    contrôle mfa ou force d'authentification)"
                .into();
        }
        let parts: Vec<String> = self
            .stands
            .iter()
            .map(|s| format!("« {} » : {}", s.policy.name, s.describe()))
            .collect();
        super::common::list_sep(&parts, " ; ")
    }

    /// French: the policies naming roles, which could not be resolved; empty when none.
    pub fn role_note(&self) -> String {
        let per_user = if self.per_user_unread && !self.is_covered() {
            " ; MFA par utilisateur non lue (Policy.Read.All à accorder) : couverture jugée \
             sans elle"
        } else {
            ""
        };
        if self.unresolved_roles.is_empty() {
            return per_user.to_string();
        }
        per_user.to_string()
            + &format!(
                " ; rôles non résolus (attributions de rôles non collectées : une inclusion par rôle \
             est comptée comme n'incluant pas, une exclusion par rôle comme n'excluant pas) dans : {}",
                super::common::list(&self.unresolved_roles)
            )
    }
}

/// How MFA coverage is judged for an account of class `class`: a generic account by the
/// applications and conditions of its sign-ins of the window (or, without any, the
/// applications it is allowed); any other account with its usage unknown.
pub fn account_coverage<'a>(
    s: &'a Snapshot,
    config: &Config,
    account_id: &str,
    class: Class,
) -> Coverage<'a> {
    if class != Class::Generique {
        return coverage(s, account_id);
    }
    let signins = window_signins(s, config, account_id);
    coverage_for(
        s,
        account_id,
        Usage::of(&signins, &config.generic.allowed_apps),
    )
}

/// How every policy with an MFA control stands towards `account_id`, its usage unknown (a
/// policy must then target all applications).
pub fn coverage<'a>(s: &'a Snapshot, account_id: &str) -> Coverage<'a> {
    coverage_for(s, account_id, Usage::unknown())
}

/// How every policy with an MFA control stands towards `account_id` used as `usage` says.
pub fn coverage_for<'a>(s: &'a Snapshot, account_id: &str, usage: Usage) -> Coverage<'a> {
    let mut unresolved_roles = Vec::new();
    let mut policies: Vec<&CaPolicy> = s.ca_policies.iter().collect();
    policies.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let stands = policies
        .into_iter()
        .filter(|p| !p.state.trim().eq_ignore_ascii_case("disabled"))
        .filter_map(|p| {
            let grant = mfa_grant(p)?;
            if ca_scope::unresolved_roles(s, p) {
                unresolved_roles.push(p.name.as_str());
            }
            Some(PolicyStand {
                policy: p,
                not_enforcing: enforced(p).err().or(grant.err()),
                scope: ca_scope::scope(s, p, account_id, &usage),
            })
        })
        .collect();
    let per_user = s
        .per_user_mfa
        .as_ref()
        .and_then(|m| m.get(account_id))
        .and_then(|state| per_user_name(state));
    Coverage {
        stands,
        usage,
        unresolved_roles,
        outside_ca: (s.security_defaults == Some(true))
            .then_some(SECURITY_DEFAULTS)
            .or(per_user),
        per_user_unread: s.per_user_mfa.is_none()
            && s.source_status("per-user-mfa")
                .is_some_and(|st| st != crate::store::SourceStatus::Collected),
    }
}

/// French: the account's per-user MFA state as the night read it (`evaluate --explain`).
pub fn per_user_state(s: &Snapshot, account_id: &str) -> String {
    match &s.per_user_mfa {
        Some(m) => match m.get(account_id) {
            Some(state) => format!(
                "{state}{}",
                per_user_name(state)
                    .map(|n| format!(" : couvre le compte ({n})"))
                    .unwrap_or_else(|| " : ne couvre pas le compte".into())
            ),
            None => "non lue pour ce compte (lue seulement pour les comptes génériques, « Appli » \
                     et ceux que l'accès conditionnel ne couvre pas)"
                .into(),
        },
        None => "non lue cette nuit-là (autorisation Policy.Read.All)".into(),
    }
}

const SECURITY_DEFAULTS: &str = "paramètres de sécurité par défaut";

/// The name of the coverage a per-user MFA state gives; `None` when it gives none
/// (`disabled`, an unknown value).
pub fn per_user_name(state: &str) -> Option<&'static str> {
    let st = state.trim();
    if st.eq_ignore_ascii_case("enforced") {
        Some("MFA par utilisateur (imposée)")
    } else if st.eq_ignore_ascii_case("enabled") {
        Some(
            "MFA par utilisateur (activée : inscription exigée à la prochaine connexion \
             interactive)",
        )
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    #[test]
    fn report_only_disabled_and_alternative_grants_do_not_require_mfa() {
        let mut p = mfa_policy("p", "MFA tous");
        assert!(requires_mfa(&p));
        p.state = "enabledForReportingButNotEnforced".into();
        assert!(!requires_mfa(&p));
        assert_eq!(
            enforced(&p).unwrap_err(),
            "politique en mode rapport seulement"
        );
        let mut p = mfa_policy("p", "Force");
        p.built_in_controls = vec!["block".into()];
        assert!(!requires_mfa(&p));
        p.built_in_controls = vec![];
        p.authentication_strength = true;
        assert!(requires_mfa(&p));
        // MFA OR a compliant device: MFA is not required.
        let mut p = mfa_policy("p", "MFA ou conforme");
        p.built_in_controls = vec!["mfa".into(), "compliantDevice".into()];
        assert!(!requires_mfa(&p));
        assert!(
            mfa_grant(&p)
                .unwrap()
                .unwrap_err()
                .contains("compliantDevice")
        );
        p.grant_operator = Some("AND".into());
        assert!(requires_mfa(&p));
    }

    #[test]
    fn a_narrow_policy_covers_only_the_applications_it_names() {
        let mut s = snapshot(vec![tablet("t1")]);
        let mut p = mfa_policy("p", "MFA SharePoint");
        p.include_applications = vec!["00000003-0000-0ff1-ce00-000000000000".into()];
        s.ca_policies = vec![p];
        // Usage unknown: a narrow policy does not cover.
        assert!(!coverage(&s, "t1").is_covered());
        let teams = crate::model::SignIn {
            app_id: "1fec8e78-bce4-4aaf-ab1b-5451cc387264".into(),
            ..signin("s1", "t1", "Microsoft Teams", 1)
        };
        let c = coverage_for(&s, "t1", Usage::of(&[teams], &[]));
        assert!(!c.is_covered());
        assert!(
            c.describe()
                .contains("n'inclut pas l'application « Microsoft Teams »"),
            "{}",
            c.describe()
        );
        let sp = crate::model::SignIn {
            app_id: "00000003-0000-0ff1-ce00-000000000000".into(),
            ..signin("s2", "t1", "Office 365 SharePoint Online", 1)
        };
        let c = coverage_for(&s, "t1", Usage::of(&[sp], &[]));
        assert!(c.is_covered());
        assert_eq!(c.covering(), ["MFA SharePoint"]);
    }

    #[test]
    fn security_defaults_cover_every_account_and_are_named() {
        let mut s = snapshot(vec![tablet("t1")]);
        assert!(!coverage(&s, "t1").is_covered());
        s.security_defaults = Some(true);
        let c = coverage(&s, "t1");
        assert!(c.is_covered());
        assert_eq!(c.covering(), ["paramètres de sécurité par défaut"]);
        assert!(c.describe().contains("paramètres de sécurité par défaut"));
    }

    #[test]
    fn two_policies_can_cover_two_applications_together() {
        let mut s = snapshot(vec![tablet("t1")]);
        let mut sauf_teams = mfa_policy("p1", "MFA sauf Teams");
        sauf_teams.exclude_applications = vec!["1fec8e78-bce4-4aaf-ab1b-5451cc387264".into()];
        s.ca_policies = vec![sauf_teams];
        let teams = crate::model::SignIn {
            app_id: "1fec8e78-bce4-4aaf-ab1b-5451cc387264".into(),
            ..signin("s1", "t1", "Microsoft Teams", 1)
        };
        let broker = signin("s2", "t1", "Microsoft Authentication Broker", 1);
        let usage = Usage::of(&[teams.clone(), broker], &[]);
        let c = coverage_for(&s, "t1", usage.clone());
        assert!(!c.is_covered());
        assert!(
            c.describe()
                .contains("application exclue « Microsoft Teams »")
        );
        let mut teams_only = mfa_policy("p2", "MFA Teams");
        teams_only.include_applications = vec!["cc15fd57-2c6c-4117-a88c-83b1d56b4bbe".into()];
        s.ca_policies.push(teams_only);
        assert!(coverage_for(&s, "t1", usage).is_covered());
    }

    #[test]
    fn inclusion_and_exclusion_by_user_group_and_role() {
        let mut s = snapshot(vec![account("u1", "Jean"), account("u2", "Marie")]);
        let mut by_group = mfa_policy("p1", "MFA groupe");
        by_group.include_users.clear();
        by_group.include_groups = vec!["g-all".into()];
        by_group.exclude_groups = vec!["g-excl".into()];
        let mut by_role = mfa_policy("p2", "MFA rôles");
        by_role.include_users.clear();
        by_role.include_roles = vec!["role-admin".into()];
        s.ca_policies = vec![by_group, by_role];
        add_members(&mut s, "g-all", &["u1", "u2"]);
        add_members(&mut s, "g-excl", &["u2"]);
        let c1 = coverage(&s, "u1");
        assert!(c1.is_covered());
        let c2 = coverage(&s, "u2");
        assert!(!c2.is_covered());
        assert!(c2.is_excluded_somewhere());
        assert!(
            c2.describe().contains("exclu par le groupe g-excl"),
            "{}",
            c2.describe()
        );
        assert!(c2.role_note().contains("MFA rôles"));
    }
}
