//! FWD-ORG-01 — Le locataire permet la redirection externe automatique.
//!
//! ### What it does
//! Looks at the tenant's two layers of control over external automatic forwarding: the
//! default outbound spam policy (`AutoForwardingMode`: only `On` allows; `Automatic` is
//! system-controlled and now blocks, like `Off`) and the remote domains (`AutoForwardEnabled`
//! on the default `*` or on a specific domain). Both allow → `élevée`; exactly one allows →
//! `moyenne` (defence in depth is gone); none → no finding. Subject `locataire`.
//!
//! ### Why
//! DIR04 art. 6 5° forbids automatic forwarding, and art. 9 1° makes the establishment put
//! the directive in place: the tenant should refuse forwarding outside on both layers.
//!
//! ### Must not fire
//! The default policy does not say `On` and no remote domain has `AutoForwardEnabled` true.
//! Custom outbound policies are named in the evidence but do not set the level (the default
//! policy is the tenant-wide layer).

use crate::checks::common::{bounded, list};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::Population;
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "FWD-ORG-01",
    family: Family::Redirections,
    kind: Kind::State,
    severity: Severity::Elevee,
    title_fr: "Le locataire permet la redirection externe automatique",
    reference: "Bonne pratique : défense en profondeur de MSSS-DIR04, art. 6 5° et 9 1° (la directive ne nomme pas le réglage du locataire)",
    doc: "Les deux couches (stratégie sortante par défaut avec AutoForwardingMode = On, domaine distant \
          avec AutoForwardEnabled = true) autorisent la redirection externe : élevée ; une seule : \
          moyenne ; aucune : pas de constat.",
    fix_fr: "bloquer la redirection externe automatique aux deux couches : portail Microsoft \
          Defender > Stratégies et règles > Stratégies de menace > Anti-courrier indésirable > \
          Stratégie de filtrage sortant (par défaut) > Règles de transfert automatique : Désactivé \
          (Set-HostedOutboundSpamFilterPolicy -Identity Default -AutoForwardingMode Off), et \
          Set-RemoteDomain -Identity Default -AutoForwardEnabled $false.",
    needs: &["exchange-outbound-spam-policies", "exchange-remote-domains"],
    tags: &[Tag::TenantLevel],
    requirements: &[&req::DIR04_6_5, &req::DIR04_9_1],
    run,
};

pub fn run(s: &Snapshot, _config: &Config) -> Vec<Finding> {
    let default = s.outbound_policies.iter().find(|p| p.is_default);
    let outbound_on =
        default.is_some_and(|p| p.auto_forwarding_mode.trim().eq_ignore_ascii_case("On"));
    let allowing: Vec<String> = s
        .remote_domains
        .iter()
        .filter(|r| r.auto_forward_enabled)
        .map(|r| format!("« {} »", r.domain.trim()))
        .collect();
    let remote_on = !allowing.is_empty();
    let severity = match (outbound_on, remote_on) {
        (true, true) => Severity::Elevee,
        (true, false) | (false, true) => Severity::Moyenne,
        (false, false) => return Vec::new(),
    };
    let outbound = match default {
        Some(p) => format!(
            "stratégie anti-pourriel sortant par défaut « {} » : AutoForwardingMode = \
             {} ({})",
            p.identity,
            p.auto_forwarding_mode,
            if outbound_on { "autorise" } else { "bloque" }
        ),
        None => "aucune stratégie sortante par défaut lue (Automatic supposé : bloque)".into(),
    };
    let remote = if remote_on {
        format!(
            "domaines distants avec AutoForwardEnabled = true (autorisent) : {}",
            list(&allowing)
        )
    } else {
        "aucun domaine distant avec AutoForwardEnabled = true (bloquent)".into()
    };
    let custom: Vec<String> = s
        .outbound_policies
        .iter()
        .filter(|p| !p.is_default && p.auto_forwarding_mode.trim().eq_ignore_ascii_case("On"))
        .map(|p| format!("« {} »", p.identity))
        .collect();
    let custom = if custom.is_empty() {
        String::new()
    } else {
        format!(
            " ; stratégies sortantes personnalisées avec AutoForwardingMode = On : {}",
            list(&custom)
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
        bounded(format!("{verdict} — {outbound} ; {remote}{custom}")),
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
        // A custom policy does not set the level.
        let mut s = tenant("Off", vec![remote("*", false)]);
        let mut custom = outbound("On");
        custom.identity = "Direction".into();
        custom.is_default = false;
        s.outbound_policies.push(custom);
        assert!(run(&s, &config()).is_empty());
    }
}
