//! FWD-ORG-01 — Le locataire permet la redirection externe automatique.
//!
//! ### What it does
//! Looks at the tenant's two layers of control over external automatic forwarding: the
//! outbound spam policies that apply to someone (`AutoForwardingMode`: only `On` allows;
//! `Automatic` is system-controlled and now blocks, like `Off`) — the default policy, and each
//! custom policy that an enabled outbound spam filter rule applies — and the remote domains
//! (`AutoForwardEnabled` on the default `*` or on a specific domain). Both allow → `élevée`;
//! exactly one allows → `moyenne` (defence in depth is gone); none → no finding. Subject
//! `locataire`. The evidence names each policy that allows and whom it applies to (its
//! rules' scope, or « tout le monde » for the default).
//!
//! ### Why
//! DIR04 art. 6 5° forbids automatic forwarding, and art. 9 1° makes the establishment put
//! the directive in place: the tenant should refuse forwarding outside on both layers.
//!
//! ### Must not fire
//! No policy that applies to someone says `On` and no remote domain has `AutoForwardEnabled`
//! true. A custom policy `On` that no enabled rule applies (no rule, or only disabled ones)
//! applies to no one: it is named in the evidence but does not set the level.
//!
//! ### Without the outbound spam filter rules
//! The rules only say whom a custom policy applies to. When they were not read but the
//! tenant has no custom policy (only the default, which applies to everyone), the check is
//! still judged and the evidence says the rules were not read; with a custom policy it is
//! « non évalué » (whom that policy applies to is unknown).

use super::scope;
use crate::checks::common::{bounded, list};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::Population;
use crate::config::Config;
use crate::model::OutboundPolicy;
use crate::requirements as req;
use crate::store::SourceStatus;

pub static CHECK: CheckInfo = CheckInfo {
    id: "FWD-ORG-01",
    family: Family::Redirections,
    kind: Kind::State,
    severity: Severity::Elevee,
    title_fr: "Le locataire permet la redirection externe automatique",
    reference: "Bonne pratique : défense en profondeur de MSSS-DIR04, art. 6 5° et 9 1° (la directive ne nomme pas le réglage du locataire)",
    doc: "Les deux couches (une stratégie sortante qui s'applique à quelqu'un — celle par défaut, ou \
          une personnalisée qu'une règle activée applique — avec AutoForwardingMode = On, domaine \
          distant avec AutoForwardEnabled = true) autorisent la redirection externe : élevée ; une \
          seule : moyenne ; aucune : pas de constat. La preuve nomme chaque stratégie qui autorise \
          et à qui elle s'applique.",
    fix_fr: "bloquer la redirection externe automatique aux deux couches : portail Microsoft \
          Defender > Stratégies et règles > Stratégies de menace > Anti-courrier indésirable > \
          Stratégie de filtrage sortant (par défaut) > Règles de transfert automatique : Désactivé \
          (Set-HostedOutboundSpamFilterPolicy -Identity Default -AutoForwardingMode Off), et \
          Set-RemoteDomain -Identity Default -AutoForwardEnabled $false.",
    needs: &[
        "exchange-outbound-spam-policies",
        "exchange-remote-domains",
        "exchange-outbound-spam-rules",
    ],
    tags: &[Tag::TenantLevel],
    requirements: &[&req::DIR04_6_5, &req::DIR04_9_1],
    run,
};

pub fn run(s: &Snapshot, _config: &Config) -> Vec<Finding> {
    let default = s.outbound_policies.iter().find(|p| p.is_default);
    let on = |p: &OutboundPolicy| p.auto_forwarding_mode.trim().eq_ignore_ascii_case("On");
    // Each policy that allows, with whom it applies to; custom ones no enabled rule applies
    // apply to no one.
    let mut allowing: Vec<String> = Vec::new();
    let mut idle: Vec<String> = Vec::new();
    for p in s.outbound_policies.iter().filter(|p| on(p)) {
        match scope::scope_fr(s, p) {
            Some(whom) => allowing.push(format!(
                "« {} » (AutoForwardingMode = {}) : {whom}",
                p.identity, p.auto_forwarding_mode
            )),
            None => idle.push(format!("« {} »", p.identity)),
        }
    }
    let outbound_on = !allowing.is_empty();
    let remotes: Vec<String> = s
        .remote_domains
        .iter()
        .filter(|r| r.auto_forward_enabled)
        .map(|r| format!("« {} »", r.domain.trim()))
        .collect();
    let remote_on = !remotes.is_empty();
    let severity = match (outbound_on, remote_on) {
        (true, true) => Severity::Elevee,
        (true, false) | (false, true) => Severity::Moyenne,
        (false, false) => return Vec::new(),
    };
    let outbound = if outbound_on {
        format!(
            "stratégies anti-pourriel sortant qui autorisent : {}",
            allowing.join(" ; ")
        )
    } else {
        match default {
            Some(p) => format!(
                "stratégie anti-pourriel sortant par défaut « {} » : AutoForwardingMode \
                 = {} (bloque), aucune stratégie appliquée par une règle n'autorise",
                p.identity, p.auto_forwarding_mode
            ),
            None => "aucune stratégie sortante par défaut lue (Automatic supposé : bloque)".into(),
        }
    };
    let remote = if remote_on {
        format!(
            "domaines distants avec AutoForwardEnabled = true (autorisent) : {}",
            list(&remotes)
        )
    } else {
        "aucun domaine distant avec AutoForwardEnabled = true (bloquent)".into()
    };
    // Judged without the rules only when no custom policy exists (`can_do_without`).
    let unread = if s.source_status(super::OUTBOUND_RULES) == Some(SourceStatus::Collected) {
        ""
    } else {
        " ; règles de filtrage sortant non lues (source « exchange-outbound-spam-rules » non \
         collectée) : sans effet ici, le locataire n'a que la stratégie par défaut"
    };
    let idle = if idle.is_empty() {
        String::new()
    } else {
        format!(
            " ; stratégies personnalisées avec AutoForwardingMode = On qu'aucune règle activée \
             n'applique (sans effet) : {}",
            list(&idle)
        )
    };
    let verdict = if severity == Severity::Elevee {
        "les deux couches autorisent la redirection externe automatique"
    } else {
        "une seule couche bloque la redirection externe automatique : la défense en profondeur \
         est perdue"
    };
    vec![Finding::new(
        CHECK.id,
        "locataire",
        severity,
        Population::Tous,
        bounded(format!("{verdict} — {outbound} ; {remote}{idle}{unread}")),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    fn tenant(mode: &str, remotes: Vec<crate::model::RemoteDomain>) -> Snapshot<'static> {
        let mut s = snapshot(vec![]);
        s.outbound_policies = vec![outbound(mode)];
        s.remote_domains = remotes;
        s
    }

    #[test]
    fn both_layers_allow_is_elevee() {
        let s = tenant(
            "On",
            vec![remote("*", false), remote("partenaire.ca", true)],
        );
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].subject.as_str(), f[0].severity),
            ("locataire", Severity::Elevee)
        );
        assert_eq!(f[0].population, Population::Tous);
        assert!(
            f[0].evidence.contains("« partenaire.ca »"),
            "{}",
            f[0].evidence
        );
    }

    #[test]
    fn one_layer_allows_is_moyenne() {
        let f = run(&tenant("Automatic", vec![remote("*", true)]), &config());
        assert_eq!(f[0].severity, Severity::Moyenne);
        assert!(
            f[0].evidence
                .contains("AutoForwardingMode = Automatic (bloque)")
        );
        let f = run(&tenant("On", vec![remote("*", false)]), &config());
        assert_eq!(f[0].severity, Severity::Moyenne);
    }

    #[test]
    fn does_not_fire_when_both_layers_block() {
        for mode in ["Automatic", "Off"] {
            let s = tenant(mode, vec![remote("*", false), remote("x.ca", false)]);
            assert!(run(&s, &config()).is_empty(), "{mode}");
        }
        // A custom policy that no enabled rule applies applies to no one.
        let mut s = tenant("Off", vec![remote("*", false)]);
        let mut custom = outbound("On");
        custom.identity = "Direction".into();
        custom.is_default = false;
        s.outbound_policies.push(custom);
        assert!(run(&s, &config()).is_empty());
        let mut off = scoped_rule("Direction");
        off.enabled = false;
        s.outbound_rules = vec![off];
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn without_the_rules_only_the_default_policy_is_judged_and_says_so() {
        use crate::store::SourceStatus;
        let unread = |s: &mut Snapshot| {
            if let Some(row) = s.sources.get_mut(super::super::OUTBOUND_RULES) {
                row.status = SourceStatus::NotCollected;
                row.reason = Some("rôle manquant".into());
            }
        };
        let mut s = tenant("On", vec![remote("*", false)]);
        unread(&mut s);
        let e = crate::checks::evaluate_of(&[&CHECK], &s, &config());
        assert!(e.not_evaluated.is_empty(), "{:?}", e.not_evaluated);
        assert_eq!(e.findings.len(), 1);
        assert_eq!(e.findings[0].severity, Severity::Moyenne);
        assert!(
            e.findings[0]
                .evidence
                .contains("règles de filtrage sortant non lues"),
            "{}",
            e.findings[0].evidence
        );
        // Both layers block: judged, no finding.
        let mut s = tenant("Off", vec![remote("*", false)]);
        unread(&mut s);
        let e = crate::checks::evaluate_of(&[&CHECK], &s, &config());
        assert!(e.not_evaluated.is_empty() && e.findings.is_empty());
        // A custom policy exists: whom it applies to is unknown, not evaluated.
        let mut s = tenant("Off", vec![remote("*", false)]);
        let mut custom = outbound("On");
        custom.identity = "Direction".into();
        custom.is_default = false;
        s.outbound_policies.push(custom);
        unread(&mut s);
        let e = crate::checks::evaluate_of(&[&CHECK], &s, &config());
        assert_eq!(e.not_evaluated.len(), 1);
        assert!(
            e.not_evaluated[0]
                .reason
                .contains("exchange-outbound-spam-rules")
        );
        assert!(e.findings.is_empty());
        // The policies themselves unread: not evaluated either.
        let mut s = tenant("On", vec![remote("*", false)]);
        unread(&mut s);
        if let Some(row) = s.sources.get_mut(super::super::OUTBOUND_POLICIES) {
            row.status = SourceStatus::NotCollected;
        }
        let e = crate::checks::evaluate_of(&[&CHECK], &s, &config());
        assert_eq!(e.not_evaluated.len(), 1);
        let rules_read = tenant("On", vec![remote("*", false)]);
        let f = run(&rules_read, &config());
        assert!(!f[0].evidence.contains("non lues"), "{}", f[0].evidence);
    }

    fn scoped_rule(policy: &str) -> crate::model::OutboundRule {
        crate::model::OutboundRule {
            name: format!("Règle {policy}"),
            policy: policy.into(),
            enabled: true,
            priority: 0,
            from: vec![],
            from_member_of: vec!["Comité de direction".into()],
            sender_domain_is: vec![],
            except_if_from: vec!["dg@cisss-test.ca".into()],
            except_if_from_member_of: vec![],
            except_if_sender_domain_is: vec![],
        }
    }

    #[test]
    fn a_custom_policy_applied_by_a_rule_allows_and_says_to_whom() {
        let mut s = tenant("Off", vec![remote("*", true)]);
        let mut custom = outbound("On");
        custom.identity = "Direction".into();
        custom.is_default = false;
        s.outbound_policies.push(custom);
        s.outbound_rules = vec![scoped_rule("Direction")];
        let f = run(&s, &config());
        assert_eq!(f[0].severity, Severity::Elevee, "{}", f[0].evidence);
        assert!(
            f[0].evidence.contains("« Direction » (AutoForwardingMode = On) : règle « Règle Direction » (priorité 0) : membres de Comité de direction, sauf expéditeurs dg@cisss-test.ca"),
            "{}",
            f[0].evidence
        );
        let s = tenant("On", vec![remote("*", false)]);
        let f = run(&s, &config());
        assert!(f[0].evidence.contains("tout le monde"), "{}", f[0].evidence);
    }
}
