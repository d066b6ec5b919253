//! Posture figures of a night, per population and account class (RULES.md, "Posture figures
//! for the bilan"): accounts, enabled, MFA registered, MFA capable, MFA unknown, and excluded
//! from MFA (enabled accounts to which no MFA-requiring conditional access policy applies). The
//! bilan draws them as monthly trends. Computed from the snapshot only, like the checks.
//!
//! Mailboxes open to POP or IMAP (`courriel`) are counted for FWD-CLI-01, the transport rules
//! that encrypt mail to external recipients (`chiffrement`) for ENC-EXT-01.
//!
//! `exclue_mfa` is only recorded when the conditional access policies and the group members
//! were collected that night: without them every account would look excluded.

use std::collections::BTreeMap;

use super::domains::{Classified, Classifier, Target, TargetClass};
use super::tally::Tally;
use super::{Snapshot, forwarding, mfa};
use crate::classify::{Class, Population};
use crate::config::Config;
use crate::store::{PostureFigure, SourceStatus};

/// The target class as the posture names it.
fn target_key(c: &Classified) -> &'static str {
    match c.class {
        TargetClass::Internal => "interne",
        TargetClass::Public => "public",
        TargetClass::External if c.is_partner() => "partenaire",
        TargetClass::External | TargetClass::Invalid => "externe",
    }
}

/// Forwarding and sign-in figures, in the class columns `redirection` and `connexions`:
/// distinct (source, target) pairs of enabled inbox rules, mailbox forwarding and enabled
/// transport rules by target class; sign-ins of the last 24 hours of enabled generic and
/// « Appli » accounts by authentication requirement. Recorded only when their sources were
/// collected.
fn activity(
    s: &Snapshot,
    config: &Config,
    figures: &mut BTreeMap<(Population, &'static str, &'static str), i64>,
) {
    let collected = |q: &str| s.source_status(q) == Some(SourceStatus::Collected);
    if collected("message-rules")
        && collected("exchange-mailboxes")
        && collected("exchange-transport-rules")
    {
        for key in ["public", "externe", "partenaire", "interne"] {
            figures
                .entry((Population::Tous, "redirection", key))
                .or_insert(0);
        }
        for f in forwarding::forwards(s, config).iter().filter(|f| f.enabled) {
            let key = target_key(&f.classified);
            for pop in [f.population, Population::Tous] {
                *figures.entry((pop, "redirection", key)).or_insert(0) += 1;
            }
        }
        let classifier = Classifier::new(s, config);
        for rule in s.transport_rules.iter().filter(|r| r.enabled) {
            let mut targets: Vec<String> = rule
                .redirect_to
                .iter()
                .chain(&rule.copy_to)
                .chain(&rule.blind_copy_to)
                .map(|a| Target::parse(a).address)
                .collect();
            targets.sort();
            targets.dedup();
            for t in targets {
                let key = target_key(&classifier.classify(&Target::parse(&t)));
                *figures
                    .entry((Population::Tous, "redirection", key))
                    .or_insert(0) += 1;
            }
        }
    }
    if collected("sign-ins") && collected("users") {
        for key in ["facteur_unique", "multifacteur"] {
            figures
                .entry((Population::Tous, "connexions", key))
                .or_insert(0);
        }
        let since = s.as_of - chrono::Duration::hours(24);
        for (a, c) in s.classified() {
            if !(c.active_member() && matches!(c.class, Class::Generique | Class::Appli)) {
                continue;
            }
            for si in s
                .signins_of(&a.id, config)
                .iter()
                .filter(|x| x.created >= since && x.created < s.as_of)
            {
                let key = match si.auth_requirement.as_deref() {
                    Some("singleFactorAuthentication") => "facteur_unique",
                    Some("multiFactorAuthentication") => "multifacteur",
                    _ => "inconnue",
                };
                for pop in [c.population, Population::Tous] {
                    *figures.entry((pop, "connexions", key)).or_insert(0) += 1;
                }
            }
        }
    }
}

/// The class column of an account's successful single-factor sign-ins (see
/// [`single_factor_accounts`]).
pub const SINGLE_FACTOR_GENERIC: &str = "facteur_unique_generique";
pub const SINGLE_FACTOR_APPLI: &str = "facteur_unique_appli";

/// Successful single-factor sign-ins (`singleFactorAuthentication`) of the last 24 hours of
/// each enabled generic and « Appli » account that had any: one figure per account (class
/// [`SINGLE_FACTOR_GENERIC`] or [`SINGLE_FACTOR_APPLI`], metric: its UPN), so that the bilan
/// adds the nights of its period and counts the accounts concerned. Break-glass accounts have
/// their own class and are not counted. Recorded only when the sign-ins were collected.
fn single_factor_accounts(s: &Snapshot, config: &Config) -> Vec<PostureFigure> {
    if !(s.source_status("sign-ins") == Some(SourceStatus::Collected)
        && s.source_status("users") == Some(SourceStatus::Collected))
    {
        return Vec::new();
    }
    let since = s.as_of - chrono::Duration::hours(24);
    let mut out = Vec::new();
    for (a, c) in s.classified() {
        let class = match c.class {
            Class::Generique => SINGLE_FACTOR_GENERIC,
            Class::Appli => SINGLE_FACTOR_APPLI,
            _ => continue,
        };
        if !c.active_member() {
            continue;
        }
        let n = s
            .signins_of(&a.id, config)
            .iter()
            .filter(|x| {
                x.created >= since
                    && x.created < s.as_of
                    && x.succeeded()
                    && x.auth_requirement.as_deref() == Some("singleFactorAuthentication")
            })
            .count() as i64;
        if n > 0 {
            out.push(PostureFigure {
                population: Population::Tous.as_str().into(),
                class: class.into(),
                metric: a.upn.clone(),
                value: n,
            });
        }
    }
    out
}

/// Mailboxes open to POP or IMAP (FWD-CLI-01's posture figure), in the class column
/// `courriel`: `pop`, `imap`, and `pop_ou_imap`. Recorded only when `Get-CASMailbox` was read.
fn mail_clients(
    s: &Snapshot,
    figures: &mut BTreeMap<(Population, &'static str, &'static str), i64>,
) {
    if s.source_status("exchange-cas-mailboxes") != Some(SourceStatus::Collected) {
        return;
    }
    let count = |f: fn(&crate::model::CasMailbox) -> bool| {
        s.cas_mailboxes.iter().filter(|m| f(m)).count() as i64
    };
    for (metric, value) in [
        ("pop", count(|m| m.pop_enabled)),
        ("imap", count(|m| m.imap_enabled)),
        ("pop_ou_imap", count(|m| m.pop_enabled || m.imap_enabled)),
    ] {
        figures.insert((Population::Tous, "courriel", metric), value);
    }
}

/// Enabled transport rules that encrypt what is sent outside the organisation (ENC-EXT-01's
/// posture figure), in the class column `chiffrement`. Recorded only when the transport
/// rules were read.
fn encryption(s: &Snapshot, figures: &mut BTreeMap<(Population, &'static str, &'static str), i64>) {
    if s.source_status("exchange-transport-rules") != Some(SourceStatus::Collected) {
        return;
    }
    let n = s
        .transport_rules
        .iter()
        .filter(|r| r.encrypts_external())
        .count() as i64;
    figures.insert((Population::Tous, "chiffrement", "regles_externes"), n);
}

/// Whether MFA exclusion can be told: the policies and the members of their groups were
/// collected.
pub fn policies_known(s: &Snapshot) -> bool {
    ["conditional-access-policies", "group-members"]
        .iter()
        .all(|q| s.source_status(q) == Some(SourceStatus::Collected))
}

/// The posture figures of a night.
pub fn compute(s: &Snapshot, config: &Config) -> Vec<PostureFigure> {
    let figures = match &s.tally {
        Some(t) => t.0.clone(),
        None => {
            let known = policies_known(s);
            let mut t = Tally::default();
            for (a, c) in s.classified() {
                let excluded = known.then(|| {
                    c.enabled && !mfa::account_coverage(s, config, &a.id, c.class).is_covered()
                });
                t.add(c, s.registrations.get(&a.id), excluded);
            }
            t.0
        }
    };
    let mut other: BTreeMap<(Population, &'static str, &'static str), i64> = BTreeMap::new();
    activity(s, config, &mut other);
    mail_clients(s, &mut other);
    encryption(s, &mut other);
    figures
        .into_iter()
        .map(|((p, c, m), v)| PostureFigure {
            population: p.as_str().into(),
            class: c.as_str().into(),
            metric: m.into(),
            value: v,
        })
        .chain(other.into_iter().map(|((p, c, m), v)| PostureFigure {
            population: p.as_str().into(),
            class: c.into(),
            metric: m.into(),
            value: v,
        }))
        .chain(single_factor_accounts(s, config))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    #[test]
    fn successful_single_factor_sign_ins_per_generic_and_appli_account_not_break_glass() {
        let mut c = config();
        c.classification.break_glass = vec!["urgence01@cisss-test.ca".into()];
        let mut service = account("svc1", "Billetterie");
        service.employee_type = Some("Appli".into());
        let mut s = snapshot(vec![
            tablet("t1"),
            tablet("t2"),
            service,
            account("urgence01", "Urgence 01"),
        ]);
        reclassify(&mut s, &c);
        let single = |id: &str, user: &str, hours: i64| {
            let mut x = signin(id, user, "Microsoft Teams", hours);
            x.auth_requirement = Some("singleFactorAuthentication".into());
            x
        };
        let mut failed = single("s4", "t1", 3);
        failed.error_code = 50126;
        s.signins = vec![
            single("s1", "t1", 2),
            single("s2", "t1", 5),
            single("s3", "t1", 30), // the night before's
            failed,
            signin("s5", "t2", "Microsoft Teams", 2), // multifactor
            single("s6", "svc1", 1),
            single("s7", "urgence01", 1),
        ];
        let f = compute(&s, &c);
        let of = |class: &str| -> Vec<(String, i64)> {
            f.iter()
                .filter(|x| x.class == class)
                .map(|x| (x.metric.clone(), x.value))
                .collect()
        };
        assert_eq!(
            of(SINGLE_FACTOR_GENERIC),
            vec![("t1@cisss-test.ca".to_string(), 2)]
        );
        assert_eq!(
            of(SINGLE_FACTOR_APPLI),
            vec![("svc1@cisss-test.ca".to_string(), 1)]
        );
        assert!(!f.iter().any(|x| x.metric.starts_with("urgence01")));
    }

    #[test]
    fn counts_per_class_and_population() {
        let mut disabled = tablet("t22");
        disabled.enabled = false;
        let mut s = snapshot(vec![
            tablet("t1"),
            disabled,
            account("jean", "Jean"),
            account("julie.med", "Dre Julie"),
        ]);
        s.registrations
            .insert("t1".into(), registration("t1", true));
        let f = compute(&s, &config());
        let get = |pop: &str, class: &str, metric: &str| {
            f.iter()
                .find(|x| x.population == pop && x.class == class && x.metric == metric)
                .map(|x| x.value)
        };
        assert_eq!(get("tous", "generique", "comptes"), Some(2));
        assert_eq!(get("tous", "generique", "actifs"), Some(1));
        assert_eq!(get("tous", "generique", "mfa_enregistree"), Some(1));
        assert_eq!(get("tous", "nominatif", "mfa_inconnue"), Some(2));
        assert_eq!(
            get("medecin", "nominatif", "comptes"),
            Some(1),
            "julie.med@ is a physician address"
        );
        assert_eq!(get("personnel", "nominatif", "comptes"), Some(1));
        // No MFA policy at all: every enabled account is excluded; the disabled one is not.
        assert_eq!(get("tous", "generique", "exclue_mfa"), Some(1));
        assert_eq!(get("tous", "nominatif", "exclue_mfa"), Some(2));
    }

    #[test]
    fn mailboxes_open_to_pop_or_imap_are_counted_when_read() {
        let mut s = snapshot(vec![]);
        let cas = |a: &str, pop: bool, imap: bool| crate::model::CasMailbox {
            address: a.into(),
            pop_enabled: pop,
            imap_enabled: imap,
        };
        s.cas_mailboxes = vec![
            cas("a@x", true, false),
            cas("b@x", true, true),
            cas("c@x", false, true),
        ];
        let get = |f: &[PostureFigure], m: &str| {
            f.iter()
                .find(|x| x.class == "courriel" && x.metric == m)
                .map(|x| x.value)
        };
        let f = compute(&s, &config());
        assert_eq!(get(&f, "pop"), Some(2));
        assert_eq!(get(&f, "imap"), Some(2));
        assert_eq!(get(&f, "pop_ou_imap"), Some(3));
        s.sources.remove("exchange-cas-mailboxes");
        assert_eq!(
            get(&compute(&s, &config()), "pop_ou_imap"),
            None,
            "unknown, not zero"
        );
    }

    #[test]
    fn rules_that_encrypt_external_mail_are_counted() {
        let mut s = snapshot(vec![]);
        let rule = |name: &str, ome: bool, template: Option<&str>, scope: Option<&str>| {
            let mut r = transport(name);
            r.apply_ome = ome;
            r.rights_template = template.map(String::from);
            r.sent_to_scope = scope.map(String::from);
            r
        };
        let mut disabled = rule("d", true, None, Some("NotInOrganization"));
        disabled.enabled = false;
        s.transport_rules = vec![
            rule("ome", true, None, Some("NotInOrganization")),
            rule("modèle", false, Some("Encrypt"), Some("notinorganization")),
            rule("interne", true, None, Some("InOrganization")),
            rule("avertissement", false, None, Some("NotInOrganization")),
            disabled,
        ];
        let f = compute(&s, &config());
        let got = f
            .iter()
            .find(|x| x.class == "chiffrement" && x.metric == "regles_externes")
            .map(|x| x.value);
        assert_eq!(got, Some(2));
    }

    #[test]
    fn excluded_from_mfa_follows_the_policies_and_is_unknown_without_them() {
        let mut s = snapshot(vec![tablet("t1"), tablet("t2"), account("jean", "Jean")]);
        let mut p = mfa_policy("ca1", "MFA pour tous");
        p.exclude_users = vec!["t2".into()];
        s.ca_policies = vec![p];
        let f = compute(&s, &config());
        let get = |f: &[PostureFigure], class: &str| {
            f.iter()
                .find(|x| x.population == "tous" && x.class == class && x.metric == "exclue_mfa")
                .map(|x| x.value)
        };
        assert_eq!(get(&f, "generique"), Some(1), "t2 is excluded, t1 covered");
        assert_eq!(get(&f, "nominatif"), Some(0));
        if let Some(row) = s.sources.get_mut("conditional-access-policies") {
            row.status = SourceStatus::NotCollected;
        }
        assert_eq!(
            get(&compute(&s, &config()), "generique"),
            None,
            "unknown, not zero"
        );
    }
}
