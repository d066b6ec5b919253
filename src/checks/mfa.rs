//! MFA coverage by conditional access: which enabled policies require MFA, and which of them
//! apply to an account. Shared by GEN-MFA-02 and APP-MFA-01.
//!
//! A policy *requires MFA* when its state is `enabled` (report-only does not enforce
//! anything), its grant controls contain `mfa` or an authentication strength, and it targets
//! `All` applications or `Office365`. It *applies* to an account when it includes it (`All`,
//! its id, or a group it belongs to, transitively) and does not exclude it (its id or a group
//! it belongs to).
//!
//! Roles cannot be resolved: role memberships are not collected. A role inclusion is
//! therefore taken as not including anyone, and a role exclusion as excluding no one; each
//! finding says so when a policy names roles, so the administrator can check by hand.

use super::Snapshot;
use crate::model::CaPolicy;

/// Whether an enabled policy enforces MFA on the Office 365 applications.
pub fn requires_mfa(p: &CaPolicy) -> bool {
    let enabled = p.state.trim().eq_ignore_ascii_case("enabled");
    let mfa = p
        .built_in_controls
        .iter()
        .any(|c| c.trim().eq_ignore_ascii_case("mfa"))
        || p.authentication_strength;
    let apps = p.include_applications.iter().any(|a| {
        let a = a.trim();
        a.eq_ignore_ascii_case("All") || a.eq_ignore_ascii_case("Office365")
    });
    enabled && mfa && apps
}

/// Why a policy that requires MFA does not apply to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// Excluded by its id in `excludeUsers`.
    ExcludedUser,
    /// Excluded through this group (transitive membership).
    ExcludedGroup(String),
    /// Not among the included users or groups.
    NotIncluded,
}

/// How one MFA-requiring policy stands towards an account.
#[derive(Debug, Clone)]
pub struct PolicyStand<'a> {
    pub policy: &'a CaPolicy,
    /// `None` when the policy applies.
    pub miss: Option<Miss>,
}

/// The MFA-requiring policies and how each stands towards one account.
#[derive(Debug, Clone, Default)]
pub struct Coverage<'a> {
    pub stands: Vec<PolicyStand<'a>>,
}

impl<'a> Coverage<'a> {
    /// The policies that apply.
    pub fn applying(&self) -> impl Iterator<Item = &'a CaPolicy> + '_ {
        self.stands
            .iter()
            .filter(|s| s.miss.is_none())
            .map(|s| s.policy)
    }

    pub fn is_covered(&self) -> bool {
        self.applying().next().is_some()
    }

    /// Policies that exclude the account (by user or group), with how.
    pub fn exclusions(&self) -> impl Iterator<Item = (&'a CaPolicy, &Miss)> + '_ {
        self.stands.iter().filter_map(|s| match &s.miss {
            Some(m @ (Miss::ExcludedUser | Miss::ExcludedGroup(_))) => Some((s.policy, m)),
            _ => None,
        })
    }

    pub fn is_excluded_somewhere(&self) -> bool {
        self.exclusions().next().is_some()
    }

    /// French, one clause per policy: "« P1 » : exclu directement ; « P2 » : ne l'inclut pas".
    pub fn describe(&self) -> String {
        if self.stands.is_empty() {
            return "aucune stratégie d'accès conditionnel active n'exige la MFA (état enabled, \
                    contrôle mfa ou force d'authentification, applications All ou Office365)"
                .into();
        }
        let parts: Vec<String> = self
            .stands
            .iter()
            .map(|s| {
                let how = match &s.miss {
                    None => "s'applique".to_string(),
                    Some(Miss::ExcludedUser) => "exclu directement (excludeUsers)".to_string(),
                    Some(Miss::ExcludedGroup(g)) => format!("exclu par le groupe {g}"),
                    Some(Miss::NotIncluded) => "ne l'inclut pas".to_string(),
                };
                format!("« {} » : {how}", s.policy.name)
            })
            .collect();
        super::common::list_sep(&parts, " ; ")
    }

    /// French: the policies naming roles, which could not be resolved; empty when none.
    pub fn role_note(&self) -> String {
        let named: Vec<&str> = self
            .stands
            .iter()
            .filter(|s| !s.policy.include_roles.is_empty() || !s.policy.exclude_roles.is_empty())
            .map(|s| s.policy.name.as_str())
            .collect();
        if named.is_empty() {
            return String::new();
        }
        format!(
            " ; rôles non résolus (appartenances aux rôles non collectées : une inclusion par rôle \
             est comptée comme n'incluant pas, une exclusion par rôle comme n'excluant pas) dans : {}",
            super::common::list(&named)
        )
    }
}

fn is_member(s: &Snapshot, group: &str, account_id: &str) -> bool {
    s.group_members
        .get(group.trim())
        .is_some_and(|m| m.contains(account_id))
}

/// How every MFA-requiring policy stands towards the account `account_id`.
pub fn coverage<'a>(s: &'a Snapshot, account_id: &str) -> Coverage<'a> {
    let stands = s
        .ca_policies
        .iter()
        .filter(|p| requires_mfa(p))
        .map(|p| {
            let included = p.include_users.iter().any(|u| {
                let u = u.trim();
                u.eq_ignore_ascii_case("All") || u == account_id
            }) || p.include_groups.iter().any(|g| is_member(s, g, account_id));
            let excluded_user = p.exclude_users.iter().any(|u| u.trim() == account_id);
            let excluded_group = p
                .exclude_groups
                .iter()
                .find(|g| is_member(s, g, account_id));
            let miss = if excluded_user {
                Some(Miss::ExcludedUser)
            } else if let Some(g) = excluded_group {
                Some(Miss::ExcludedGroup(g.trim().to_string()))
            } else if !included {
                Some(Miss::NotIncluded)
            } else {
                None
            };
            PolicyStand { policy: p, miss }
        })
        .collect();
    Coverage { stands }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    #[test]
    fn report_only_disabled_and_narrow_policies_do_not_require_mfa() {
        let mut p = mfa_policy("p", "MFA tous");
        assert!(requires_mfa(&p));
        p.state = "enabledForReportingButNotEnforced".into();
        assert!(!requires_mfa(&p));
        let mut p = mfa_policy("p", "MFA tous");
        p.include_applications = vec!["00000003-0000-0ff1-ce00-000000000000".into()];
        assert!(!requires_mfa(&p));
        let mut p = mfa_policy("p", "Force");
        p.built_in_controls = vec!["block".into()];
        assert!(!requires_mfa(&p));
        p.authentication_strength = true;
        assert!(requires_mfa(&p));
        p.include_applications = vec!["Office365".into()];
        assert!(requires_mfa(&p));
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
