//! GEN-IP-02 — Adresse IP fixe non imposée au compte générique.
//!
//! ### What it does
//! Flags every enabled generic account that no enabled conditional access policy blocks
//! outside its named locations: grant `block`, locations including `All` and excluding
//! `AllTrusted` or named locations, applying to the account (users, groups and roles
//! included and not excluded) for every application it uses and the client types of its
//! sign-ins (see [`crate::checks::ca_scope`]). The evidence names each location policy and
//! why it does not enforce (report-only, excluded by a group, an application left out…).
//!
//! ### Why
//! The orientation recommends tying each generic account to a fixed IP address. Sign-ins
//! observed inside the ranges (GEN-IP-01) only say what happened; a blocking policy is what
//! makes the fixed address hold.
//!
//! ### Must not fire
//! Such a policy applies to the account; disabled accounts; guests; an exception in force
//! (listed as accepted). A report-only policy, or one that excludes no location, enforces
//! nothing.

use crate::checks::ca_scope::{self, Scope, Usage};
use crate::checks::common::{bounded, list_sep, subject_upn, window_signins};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag, mfa};
use crate::classify::Class;
use crate::config::Config;
use crate::model::CaPolicy;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "GEN-IP-02",
    family: Family::Generiques,
    kind: Kind::State,
    severity: Severity::Moyenne,
    title_fr: "Adresse IP fixe non imposée au compte générique",
    reference: "Orientation abonnements génériques CHSLD, recommandations techniques (adresse IP fixe)",
    doc: "Compte générique actif qu'aucune stratégie d'accès conditionnel active ne bloque hors de ses \
          emplacements nommés (contrôle block, emplacements : All sauf AllTrusted ou des emplacements \
          nommés) pour les applications qu'il utilise. Les connexions observées (GEN-IP-01) ne sont \
          pas une contrainte ; une stratégie en mode rapport ne bloque rien.",
    fix_fr: "créer (ou étendre) une stratégie d'accès conditionnel qui bloque les comptes génériques \
          hors des emplacements de confiance : centre d'administration Microsoft Entra > Protection > \
          Accès conditionnel > Nouvelle stratégie > Utilisateurs : le groupe des tablettes ; \
          Ressources cibles : toutes ; Conditions > Emplacements : inclure Tous, exclure Tous les \
          emplacements approuvés ; Accorder : Bloquer l'accès ; l'activer (pas « Rapport seulement »).",
    needs: &[
        "users",
        "conditional-access-policies",
        "group-members",
        "sign-ins",
    ],
    tags: &[Tag::ByAccountClass],
    requirements: &[&req::ORI_TEC_05],
    run,
};

fn has(list: &[String], x: &str) -> bool {
    list.iter().any(|v| v.trim().eq_ignore_ascii_case(x))
}

/// Whether a policy has the shape of a fixed-address block: grant `block`, locations
/// including `All` and excluding some.
pub fn is_location_block(p: &CaPolicy) -> bool {
    has(&p.built_in_controls, "block")
        && has(&p.include_locations, "All")
        && !p.exclude_locations.is_empty()
}

/// How one location-block policy stands towards an account.
#[derive(Debug, Clone)]
pub struct BlockStand<'a> {
    pub policy: &'a CaPolicy,
    /// Report-only or another state: why it blocks nothing.
    pub not_enforcing: Option<String>,
    /// Users, applications and client types (its location condition set aside: it is the
    /// enforcement itself).
    pub scope: Scope,
}

impl BlockStand<'_> {
    pub fn describe(&self) -> String {
        if let Some(why) = &self.not_enforcing {
            why.clone()
        } else if self.scope.applies() {
            format!(
                "bloque hors de {}",
                self.policy.exclude_locations.join(", ")
            )
        } else {
            self.scope.describe()
        }
    }
}

/// Whether the account's fixed addresses are enforced, and by what.
#[derive(Debug, Clone)]
pub struct Enforcement<'a> {
    pub stands: Vec<BlockStand<'a>>,
    pub usage: Usage,
}

impl Enforcement<'_> {
    /// Every application the account uses is blocked outside its locations by an enforced
    /// policy that targets it.
    pub fn is_enforced(&self) -> bool {
        let ok = |s: &&BlockStand| s.not_enforcing.is_none() && s.scope.miss.is_none();
        if self.usage.apps.is_empty() {
            return self.stands.iter().filter(ok).any(|s| s.scope.applies());
        }
        self.usage.apps.iter().all(|app| {
            self.stands
                .iter()
                .filter(ok)
                .any(|s| s.scope.covers_app(app))
        })
    }

    /// French, one clause per location-block policy.
    pub fn describe(&self) -> String {
        if self.stands.is_empty() {
            return "aucune stratégie d'accès conditionnel ne bloque ses connexions hors des \
                    emplacements nommés (contrôle block, emplacements : All sauf AllTrusted ou des \
                    emplacements nommés)"
                .into();
        }
        let parts: Vec<String> = self
            .stands
            .iter()
            .map(|s| format!("« {} » : {}", s.policy.name, s.describe()))
            .collect();
        list_sep(&parts, " ; ")
    }
}

/// The location-block policies (not disabled) and how each stands towards a generic account.
pub fn enforcement<'a>(s: &'a Snapshot, config: &Config, account_id: &str) -> Enforcement<'a> {
    let signins = window_signins(s, config, account_id);
    let usage = Usage::of(&signins, &config.generic.allowed_apps);
    let mut policies: Vec<&CaPolicy> = s.ca_policies.iter().collect();
    policies.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let stands = policies
        .into_iter()
        .filter(|p| !p.state.trim().eq_ignore_ascii_case("disabled") && is_location_block(p))
        .map(|p| {
            let mut unlocated = p.clone();
            unlocated.include_locations.clear();
            unlocated.exclude_locations.clear();
            BlockStand {
                policy: p,
                not_enforcing: mfa::enforced(p).err(),
                scope: ca_scope::scope(s, &unlocated, account_id, &usage),
            }
        })
        .collect();
    Enforcement { stands, usage }
}

pub fn run(s: &Snapshot, config: &Config) -> Vec<Finding> {
    s.classified()
        .filter(|(_, c)| c.class == Class::Generique && c.active_member())
        .filter_map(|(a, c)| {
            let e = enforcement(s, config, &a.id);
            if e.is_enforced() {
                return None;
            }
            Some(Finding::new(
                CHECK.id,
                subject_upn(&a.upn),
                CHECK.severity,
                c.population,
                bounded(format!(
                    "« {} » : adresse IP fixe non imposée ({})",
                    a.display_name,
                    e.describe()
                )),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    fn block_outside_trusted(id: &str, name: &str) -> CaPolicy {
        let mut p = mfa_policy(id, name);
        p.include_users.clear();
        p.include_groups = vec!["g-tablettes".into()];
        p.built_in_controls = vec!["block".into()];
        p.include_locations = vec!["All".into()];
        p.exclude_locations = vec!["AllTrusted".into()];
        p
    }

    #[test]
    fn does_not_fire_when_a_block_policy_applies() {
        let mut s = snapshot(vec![tablet("t1")]);
        s.ca_policies = vec![block_outside_trusted("p1", "Bloquer hors sites")];
        add_members(&mut s, "g-tablettes", &["t1"]);
        // A sign-in from the site: the location condition is the enforcement, not a miss.
        s.signins = vec![signin("s1", "t1", "Microsoft Teams", 3)];
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn fires_without_policy_with_report_only_or_excluded() {
        let mut s = snapshot(vec![tablet("t1"), tablet("t22"), tablet("t333")]);
        let mut report = block_outside_trusted("p1", "Bloquer hors sites (rapport)");
        report.state = "enabledForReportingButNotEnforced".into();
        report.include_groups.clear();
        report.include_users = vec!["t1".into()];
        let mut p = block_outside_trusted("p2", "Bloquer hors sites");
        p.exclude_groups = vec!["g-exclus".into()];
        s.ca_policies = vec![report, p];
        add_members(&mut s, "g-tablettes", &["t22"]);
        add_members(&mut s, "g-exclus", &["t22"]);
        let f = run(&s, &config());
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].severity, Severity::Moyenne);
        assert!(
            f[0].evidence
                .contains("politique en mode rapport seulement"),
            "{}",
            f[0].evidence
        );
        assert!(f[1].evidence.contains("exclu par le groupe g-exclus"));
        assert!(f[2].evidence.contains("ne l'inclut pas"));
    }

    #[test]
    fn a_block_everywhere_or_an_mfa_policy_is_not_a_fixed_address() {
        let mut s = snapshot(vec![tablet("t1")]);
        let mut everywhere = block_outside_trusted("p1", "Tout bloquer");
        everywhere.include_groups.clear();
        everywhere.include_users = vec!["All".into()];
        everywhere.exclude_locations.clear();
        let mut mfa_outside = block_outside_trusted("p2", "MFA hors sites");
        mfa_outside.built_in_controls = vec!["mfa".into()];
        s.ca_policies = vec![everywhere, mfa_outside];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert!(f[0].evidence.contains("aucune stratégie"));
    }

    #[test]
    fn fires_when_the_block_leaves_teams_out() {
        let mut s = snapshot(vec![tablet("t1")]);
        let mut p = block_outside_trusted("p1", "Bloquer hors sites sauf Teams");
        p.exclude_applications = vec!["1fec8e78-bce4-4aaf-ab1b-5451cc387264".into()];
        s.ca_policies = vec![p];
        add_members(&mut s, "g-tablettes", &["t1"]);
        let mut teams = signin("s1", "t1", "Microsoft Teams", 3);
        teams.app_id = "1fec8e78-bce4-4aaf-ab1b-5451cc387264".into();
        s.signins = vec![teams];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert!(
            f[0].evidence
                .contains("application exclue « Microsoft Teams »")
        );
    }

    #[test]
    fn does_not_fire_for_disabled_or_guest_accounts() {
        let mut disabled = tablet("t1");
        disabled.enabled = false;
        let mut guest = tablet("t22");
        guest.guest = true;
        let s = snapshot(vec![disabled, guest]);
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn exception_in_force_is_listed_as_accepted() {
        let s = snapshot(vec![tablet("t1")]);
        let c = config_with_exception(CHECK.id, "t1@cisss-test.ca", date(2026, 12, 31));
        let f = evaluated(&s, &c, CHECK.id);
        assert_eq!(f.len(), 1);
        assert!(f[0].accepted.is_some());
    }
}
