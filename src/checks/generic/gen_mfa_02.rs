//! GEN-MFA-02 — Compte générique exempté de la MFA.
//!
//! ### What it does
//! Flags every enabled generic account that no enabled conditional access policy requiring
//! MFA covers as it is really used (see [`crate::checks::mfa`]: excluded directly, by group
//! or by role, never included, one of the applications it signs in to left out, or the
//! conditions of its usual sign-ins — client type, location, platform — outside the policy),
//! or which signed in interactively and successfully with a single factor
//! (`authenticationRequirement` = `singleFactorAuthentication`) in the evaluation window.
//!
//! ### Why
//! The orientation asks to enable MFA on generic accounts; being registered for MFA (GEN-MFA-01)
//! is worth nothing if no policy ever asks for it, and a single-factor sign-in is the proof.
//!
//! ### Must not fire
//! A policy still requires MFA for the account and no single-factor sign-in happened;
//! report-only or disabled policies do not count as requiring it; disabled accounts; guests.
//! Non-interactive single-factor sign-ins (token refreshes) are not the proof. Roles not
//! collected stay unresolved: the evidence names the policies that use them. MFA enforced
//! outside conditional access covers and is named: security defaults, per-user MFA
//! `enforced` or `enabled` (see [`crate::checks::mfa`]); per-user MFA not read (403, missing
//! `Policy.Read.All`): coverage is judged without it and the evidence says so.

use crate::checks::common::{self, app_label, bounded, subject_upn, window_signins};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag, mfa};
use crate::classify::Class;
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "GEN-MFA-02",
    family: Family::Generiques,
    kind: Kind::State,
    severity: Severity::Elevee,
    title_fr: "Compte générique exempté de la MFA",
    reference: "Orientation abonnements génériques CHSLD, recommandations techniques (MFA)",
    doc: "Compte générique actif auquel aucune stratégie d'accès conditionnel active exigeant la MFA ne \
          s'applique telle qu'il est utilisé (exclu directement, par groupe ou par rôle, jamais inclus, \
          application utilisée exclue, type de client, emplacement ou plateforme de ses connexions \
          hors de la stratégie), ou qui s'est connecté de façon interactive avec un seul facteur dans \
          la fenêtre. Les stratégies en mode rapport ou qui offrent la MFA parmi d'autres contrôles \
          (opérateur OU) ne comptent pas.",
    fix_fr: "retirer le compte (ou son groupe) des exclusions des stratégies d'accès conditionnel \
          qui exigent la MFA, ou l'inclure dans l'une d'elles : centre d'administration Microsoft \
          Entra > Protection > Accès conditionnel > Stratégies > la stratégie > Utilisateurs > \
          Exclure ; une stratégie en « Rapport seulement » doit passer à « Activé ».",
    needs: &[
        "users",
        "conditional-access-policies",
        "group-members",
        "sign-ins",
    ],
    tags: &[Tag::ByAccountClass],
    requirements: &[&req::ORI_TEC_04],
    run,
};

/// The single-factor requirement as the beta sign-in log spells it.
const SINGLE_FACTOR: &str = "singleFactorAuthentication";

pub fn run(s: &Snapshot, config: &Config) -> Vec<Finding> {
    s.classified()
        .filter(|(_, c)| c.class == Class::Generique && c.active_member())
        .filter_map(|(a, c)| {
            let coverage = mfa::account_coverage(s, config, &a.id, c.class);
            let single: Vec<_> = window_signins(s, config, &a.id)
                .into_iter()
                .filter(|x| {
                    x.interactive
                        && x.auth_requirement
                            .as_deref()
                            .is_some_and(|r| r.trim().eq_ignore_ascii_case(SINGLE_FACTOR))
                })
                .collect();
            if coverage.is_covered() && single.is_empty() {
                return None;
            }
            let mut parts = Vec::new();
            if let Some(by) = coverage.outside_ca.filter(|_| !single.is_empty()) {
                parts.push(format!("couvert hors de l'accès conditionnel : {by}"));
            }
            if !coverage.is_covered() {
                parts.push(format!(
                    "aucune stratégie exigeant la MFA ne s'applique ({})",
                    coverage.describe()
                ));
            }
            if !single.is_empty() {
                parts.push(format!(
                    "{} connexion(s) interactive(s) réussie(s) à facteur unique {} : {}",
                    single.len(),
                    common::span(&single, config),
                    common::counts(single.iter().map(app_label))
                ));
            }
            Some(Finding::new(
                CHECK.id,
                subject_upn(&a.upn),
                CHECK.severity,
                c.population,
                bounded(format!(
                    "« {} » : {}{}",
                    a.display_name,
                    parts.join(" ; "),
                    coverage.role_note()
                )),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    fn single_factor(id: &str, user: &str) -> crate::model::SignIn {
        let mut x = signin(id, user, "Microsoft Teams", 5);
        x.auth_requirement = Some("singleFactorAuthentication".into());
        x
    }

    #[test]
    fn fires_when_excluded_directly_or_by_nested_group() {
        let mut s = snapshot(vec![tablet("t1"), tablet("t22"), tablet("t333")]);
        let mut p = mfa_policy("p1", "MFA pour tous");
        p.exclude_users = vec!["t1".into()];
        p.exclude_groups = vec!["g-exclus".into()];
        s.ca_policies = vec![p];
        // t22 is in a group nested in g-exclus: group_members is transitive.
        add_members(&mut s, "g-exclus", &["t22"]);
        let f = run(&s, &config());
        let subjects: Vec<&str> = f.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(subjects, ["t1@cisss-test.ca", "t22@cisss-test.ca"]);
        assert_eq!(f[0].severity, Severity::Elevee);
        assert!(
            f[0].evidence.contains("exclu directement"),
            "{}",
            f[0].evidence
        );
        assert!(f[1].evidence.contains("exclu par le groupe g-exclus"));
    }

    #[test]
    fn fires_on_a_single_factor_sign_in_even_when_covered() {
        let mut s = snapshot(vec![tablet("t1")]);
        s.ca_policies = vec![mfa_policy("p1", "MFA pour tous")];
        s.signins = vec![
            single_factor("s1", "t1"),
            signin("s2", "t1", "Microsoft Teams", 3),
        ];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert!(
            f[0].evidence
                .contains("1 connexion(s) interactive(s) réussie(s) à facteur unique")
        );
        assert!(f[0].evidence.contains("Microsoft Teams ×1"));
    }

    fn per_user(s: &mut Snapshot, states: &[(&str, &str)]) {
        s.per_user_mfa = Some(
            states
                .iter()
                .map(|(id, st)| (id.to_string(), st.to_string()))
                .collect(),
        );
    }

    #[test]
    fn per_user_mfa_enforced_or_enabled_covers_and_disabled_does_not() {
        let mut s = snapshot(vec![tablet("t1"), tablet("t2"), tablet("t3"), tablet("t4")]);
        let mut p = mfa_policy("p1", "MFA pour tous");
        p.exclude_users = vec!["t1".into(), "t2".into(), "t3".into(), "t4".into()];
        s.ca_policies = vec![p];
        per_user(
            &mut s,
            &[("t1", "enforced"), ("t2", "Enabled"), ("t3", "disabled")],
        );
        let f = run(&s, &config());
        let subjects: Vec<&str> = f.iter().map(|f| f.subject.as_str()).collect();
        // t4 has no state read (unknown): not covered.
        assert_eq!(subjects, ["t3@cisss-test.ca", "t4@cisss-test.ca"]);
        assert!(!f[0].evidence.contains("non lue"), "{}", f[0].evidence);
        let c = mfa::coverage(&s, "t1");
        assert_eq!(c.covering(), ["MFA par utilisateur (imposée)"]);
        assert!(c.describe().contains("hors de l'accès conditionnel"));
        assert!(mfa::coverage(&s, "t2").covering()[0].contains("activée"));
    }

    #[test]
    fn single_factor_sign_ins_still_fire_under_per_user_mfa_and_name_it() {
        let mut s = snapshot(vec![tablet("t1")]);
        per_user(&mut s, &[("t1", "enforced")]);
        s.signins = vec![single_factor("s1", "t1")];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert!(
            f[0].evidence
                .contains("couvert hors de l'accès conditionnel : MFA par utilisateur (imposée)"),
            "{}",
            f[0].evidence
        );
    }

    #[test]
    fn per_user_mfa_not_read_is_said_and_coverage_judged_without_it() {
        let mut s = snapshot(vec![tablet("t1")]).all_sources_collected();
        s.ca_policies = vec![mfa_policy("p1", "MFA pour tous")];
        s.ca_policies[0].exclude_users = vec!["t1".into()];
        s.sources.get_mut("per-user-mfa").unwrap().status =
            crate::store::SourceStatus::NotCollected;
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert!(
            f[0].evidence.contains("MFA par utilisateur non lue")
                && f[0].evidence.contains("Policy.Read.All"),
            "{}",
            f[0].evidence
        );
        // Covered by a policy: nothing to say about per-user MFA.
        s.ca_policies[0].exclude_users.clear();
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn report_only_policy_does_not_cover() {
        let mut s = snapshot(vec![tablet("t1")]);
        let mut p = mfa_policy("p1", "MFA (rapport)");
        p.state = "enabledForReportingButNotEnforced".into();
        s.ca_policies = vec![p];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert!(
            f[0].evidence
                .contains("politique en mode rapport seulement"),
            "{}",
            f[0].evidence
        );
    }

    #[test]
    fn fires_when_the_only_policy_excludes_teams_or_targets_browsers() {
        let mut s = snapshot(vec![tablet("t1"), tablet("t22")]);
        let mut sauf_teams = mfa_policy("p1", "MFA sauf Teams");
        sauf_teams.exclude_users = vec!["t22".into()];
        sauf_teams.exclude_applications = vec!["1fec8e78-bce4-4aaf-ab1b-5451cc387264".into()];
        let mut browser = mfa_policy("p2", "MFA navigateur");
        browser.exclude_users = vec!["t1".into()];
        browser.client_app_types = vec!["browser".into()];
        s.ca_policies = vec![sauf_teams, browser];
        let mut teams = signin("s1", "t1", "Microsoft Teams", 2);
        teams.app_id = "1fec8e78-bce4-4aaf-ab1b-5451cc387264".into();
        let mut tablet_app = signin("s2", "t22", "Microsoft Teams", 2);
        tablet_app.client_app = Some("Mobile Apps and Desktop clients".into());
        s.signins = vec![teams, tablet_app];
        let f = run(&s, &config());
        assert_eq!(f.len(), 2);
        assert!(
            f[0].evidence
                .contains("application exclue « Microsoft Teams »"),
            "{}",
            f[0].evidence
        );
        assert!(
            f[1].evidence.contains(
                "ne vise pas les types de client de ses connexions (mobileAppsAndDesktopClients)"
            ),
            "{}",
            f[1].evidence
        );
    }

    #[test]
    fn a_silent_generic_account_is_judged_on_its_allowed_applications() {
        let mut s = snapshot(vec![tablet("t1")]);
        let mut sauf_teams = mfa_policy("p1", "MFA sauf Teams");
        sauf_teams.exclude_applications = vec!["cc15fd57-2c6c-4117-a88c-83b1d56b4bbe".into()];
        s.ca_policies = vec![sauf_teams];
        // No sign-in: the allowed list (Teams first) stands for its usage.
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert!(
            f[0].evidence.contains("Microsoft Teams"),
            "{}",
            f[0].evidence
        );
    }

    #[test]
    fn non_interactive_single_factor_sign_ins_are_not_the_proof() {
        let mut s = snapshot(vec![tablet("t1")]);
        s.ca_policies = vec![mfa_policy("p1", "MFA pour tous")];
        let mut x = single_factor("s1", "t1");
        x.interactive = false;
        s.signins = vec![x];
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn does_not_fire_when_a_policy_applies() {
        let mut s = snapshot(vec![tablet("t1"), account("jean", "Jean Tremblay")]);
        let mut excluding = mfa_policy("p1", "MFA sauf tablettes");
        excluding.exclude_users = vec!["t1".into(), "jean".into()];
        let mut by_group = mfa_policy("p2", "MFA tablettes");
        by_group.include_users.clear();
        by_group.include_groups = vec!["g-tablettes".into()];
        s.ca_policies = vec![excluding, by_group];
        add_members(&mut s, "g-tablettes", &["t1"]);
        // A failed single-factor attempt and a successful MFA sign-in are not findings.
        let mut failed = single_factor("s1", "t1");
        failed.error_code = 50126;
        s.signins = vec![failed, signin("s2", "t1", "Microsoft Teams", 2)];
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn role_inclusion_does_not_apply_and_is_named() {
        let mut s = snapshot(vec![tablet("t1")]);
        let mut p = mfa_policy("p1", "MFA administrateurs");
        p.include_users.clear();
        p.include_roles = vec!["62e90394-69f5-4237-9190-012177145e10".into()];
        s.ca_policies = vec![p];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert!(
            f[0].evidence.contains("rôles non résolus"),
            "{}",
            f[0].evidence
        );
    }

    #[test]
    fn does_not_fire_for_disabled_or_guest_accounts() {
        let mut disabled = tablet("t1");
        disabled.enabled = false;
        let mut guest = tablet("t22");
        guest.guest = true;
        let mut s = snapshot(vec![disabled, guest]);
        s.signins = vec![single_factor("s1", "t1"), single_factor("s2", "t22")];
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn exception_in_force_is_listed_as_accepted_and_expired_one_is_said() {
        let mut s = snapshot(vec![tablet("t1")]);
        s.ca_policies = vec![];
        let c = config_with_exception(CHECK.id, "T1@cisss-test.ca", date(2026, 12, 31));
        let f = evaluated(&s, &c, CHECK.id);
        assert_eq!(f.len(), 1);
        assert!(f[0].accepted.is_some());
        let c = config_with_exception(CHECK.id, "t1@cisss-test.ca", date(2026, 3, 1));
        let f = evaluated(&s, &c, CHECK.id);
        assert_eq!(f[0].accepted, None);
        assert_eq!(f[0].exception_expired, Some(date(2026, 3, 1)));
    }
}
