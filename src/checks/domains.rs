//! Forwarding targets: how an address as Microsoft gives it is read, which class its domain
//! falls in, and whether the tenant's own controls would stop mail going there.
//!
//! Reading a target: trimmed, the `smtp:` prefix removed, lower case, the domain after the
//! last `@` in ASCII (IDNs in punycode) without a trailing dot. A value that is not an
//! address is [`TargetClass::Invalid`] and is reported as such by the checks, never skipped;
//! an Exchange legacy DN (`/o=…`, `x500:…`) names an internal recipient.
//!
//! Classes, first match wins:
//! - **internal**: the tenant's accepted domains and their subdomains, its primary domain, the
//!   RSSS network's domains and their subdomains (`[domaines].reseau`, by default
//!   `ssss.gouv.qc.ca` and `msss.gouv.qc.ca`; not `*.gouv.qc.ca`: a ministry outside the
//!   network is external), and `[domaines].internes`;
//! - **public**: the shipped list `queries/public-webmail.txt` (a final `*` is a country or
//!   regional suffix of any depth: `hotmail.*` covers `hotmail.co.uk`, not `hotmailer.com`),
//!   plus `publics_ajout`, minus `publics_retrait`;
//! - **external**: anything else. A declared partner (`[[partenaires]]`) does not change the
//!   class: it marks the findings about it « accepté » while its declaration is in force, as
//!   an exception does, and they become ordinary open findings when it expires.
//!
//! Blocking (RULES.md, FWD-ORG-01): external automatic forwarding goes out only when both
//! layers allow it: the default outbound spam policy with `AutoForwardingMode` `On`
//! (`Automatic` and `Off` block), and the remote domain that applies to the target's domain
//! (its exact `DomainName`, else the default `*`) with `AutoForwardEnabled` true.

use std::sync::LazyLock;

use chrono::NaiveDate;

use super::Snapshot;
use super::finding::{Accepted, Finding};
use crate::config::{Config, DomainPattern, Partner, normalise_domain};
use crate::model::{OutboundPolicy, RemoteDomain};
use crate::store::SourceStatus;

/// The shipped list of public webmail domains.
pub const SHIPPED_PUBLIC_LIST: &str = include_str!("../../queries/public-webmail.txt");

static SHIPPED_PUBLIC: LazyLock<Vec<PublicPattern>> =
    LazyLock::new(|| parse_public_list(SHIPPED_PUBLIC_LIST));

/// A line of the public webmail list: labels, and whether it ends with `.*`.
///
/// A final `*` stands for a country or regional suffix of any depth (`hotmail.*` covers
/// `hotmail.com`, `hotmail.fr`, `hotmail.co.uk`; `videotron.*` covers `videotron.qc.ca`):
/// one to three labels, each a top-level-like label of two or three letters (or an IDN
/// top-level label, `xn--…`). Labels are compared whole, from the left: `hotmail.*` covers
/// neither `hotmailer.com`, nor `nothotmail.com`, nor `hotmail.chum.qc.ca`. A `*` elsewhere
/// stands for exactly one label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicPattern {
    labels: Vec<String>,
    /// The pattern ends with `.*`: a suffix of one to [`MAX_SUFFIX_LABELS`] labels.
    any_suffix: bool,
}

/// How many labels a final `*` may stand for (`com`, `co.uk`, `qc.ca`, `com.au`…).
pub const MAX_SUFFIX_LABELS: usize = 3;

/// Whether a label can be part of a country or regional suffix: `com`, `fr`, `co`, `qc`, an
/// IDN top-level label.
fn suffix_label(l: &str) -> bool {
    l.starts_with("xn--")
        || ((2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()))
}

impl PublicPattern {
    /// `hotmail.*`, `gmail.com`; `None` for a line that is not a pattern.
    pub fn parse(line: &str) -> Option<PublicPattern> {
        let line = line.trim().trim_end_matches('.').to_lowercase();
        if line.is_empty() {
            return None;
        }
        let labels: Option<Vec<String>> = line
            .split('.')
            .map(|l| {
                if l == "*" {
                    Some(l.to_string())
                } else {
                    idna::domain_to_ascii(l)
                        .ok()
                        .filter(|a| !a.is_empty() && !a.contains('.'))
                }
            })
            .collect();
        let mut labels = labels?;
        if labels.len() < 2 {
            return None;
        }
        let any_suffix = labels.last().is_some_and(|l| l == "*");
        if any_suffix {
            labels.pop();
        }
        Some(PublicPattern { labels, any_suffix })
    }

    /// Whether a normalised domain matches: its first labels are the pattern's (`*` any
    /// one label), and what follows is nothing, or a country or regional suffix when the
    /// pattern ends with `.*`.
    pub fn matches(&self, domain: &str) -> bool {
        let parts: Vec<&str> = domain.split('.').collect();
        if parts.len() < self.labels.len() {
            return false;
        }
        let (head, tail) = parts.split_at(self.labels.len());
        let head_ok = head
            .iter()
            .zip(&self.labels)
            .all(|(d, p)| p == "*" || d == p);
        let tail_ok = if self.any_suffix {
            (1..=MAX_SUFFIX_LABELS).contains(&tail.len()) && tail.iter().all(|l| suffix_label(l))
        } else {
            tail.is_empty()
        };
        head_ok && tail_ok
    }
}

/// Parses the public list: one pattern a line, `#` starts a comment.
pub fn parse_public_list(text: &str) -> Vec<PublicPattern> {
    text.lines()
        .filter_map(|l| PublicPattern::parse(l.split('#').next().unwrap_or("")))
        .collect()
}

/// A forwarding target as read from Microsoft's value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    /// As Microsoft gave it.
    pub raw: String,
    /// `local@domain`, lower case, domain in ASCII; for a value that is not an address, the
    /// value trimmed, lower case, without `smtp:` (`(vide)` when nothing is left).
    pub address: String,
    /// The ASCII domain; `None` when the value is not an address.
    pub domain: Option<String>,
    /// An Exchange legacy DN or X500 address: an internal recipient.
    pub legacy_dn: bool,
}

impl Target {
    pub fn parse(raw: &str) -> Target {
        let mut t = raw.trim();
        if t.len() >= 5 && t.is_char_boundary(5) && t[..5].eq_ignore_ascii_case("smtp:") {
            t = t[5..].trim();
        }
        let t = t.trim_start_matches('<').trim_end_matches('>').trim();
        let lower = t.to_lowercase();
        let legacy_dn = ["/o=", "x500:", "ex:"].iter().any(|p| lower.starts_with(p));
        let parsed = if legacy_dn {
            None
        } else {
            lower.rsplit_once('@').and_then(|(local, domain)| {
                let local_ok = !local.is_empty() && !local.contains(char::is_whitespace);
                if !local_ok {
                    return None;
                }
                normalise_domain(domain).map(|d| (format!("{local}@{d}"), d))
            })
        };
        match parsed {
            Some((address, domain)) => Target {
                raw: raw.to_string(),
                address,
                domain: Some(domain),
                legacy_dn: false,
            },
            None => Target {
                raw: raw.to_string(),
                address: if lower.is_empty() {
                    "(vide)".into()
                } else {
                    lower
                },
                domain: None,
                legacy_dn,
            },
        }
    }
}

/// Where a target sends mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetClass {
    Internal,
    Public,
    External,
    /// Not an address: cannot be placed, reported as such.
    Invalid,
}

impl TargetClass {
    pub fn label_fr(self) -> &'static str {
        match self {
            TargetClass::Internal => "interne",
            TargetClass::Public => "messagerie publique",
            TargetClass::External => "externe",
            TargetClass::Invalid => "invalide",
        }
    }
}

/// A declared partner (`[[partenaires]]`) whose domain covers a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerMatch {
    /// The declared domain, as the configuration gives it (`exemple.ca`, `*.exemple.ca`).
    pub domain: String,
    /// The declaration in force that covers it, as an exception is (`None` once expired).
    pub accepted: Option<Accepted>,
    /// The latest expiry of the declarations that no longer apply.
    pub expired: Option<NaiveDate>,
}

/// A target's class and the declared partner that covers its domain, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub class: TargetClass,
    /// Only for external targets.
    pub partner: Option<PartnerMatch>,
}

impl Classified {
    /// An external target whose partner declaration is in force.
    pub fn is_partner(&self) -> bool {
        self.partner.as_ref().is_some_and(|p| p.accepted.is_some())
    }

    /// French: "messagerie publique", "externe (partenaire déclaré exemple.ca)", ...
    pub fn label_fr(&self) -> String {
        match &self.partner {
            Some(p) if p.accepted.is_some() => format!("externe, partenaire déclaré {}", p.domain),
            Some(p) => format!(
                "externe, partenaire {} dont la déclaration a expiré{}",
                p.domain,
                p.expired
                    .map(|d| format!(" le {}", d.format("%Y-%m-%d")))
                    .unwrap_or_default()
            ),
            None => self.class.label_fr().into(),
        }
    }

    /// Marks a finding about this target the way an exception does (DIR04 6 5° has no
    /// exemption: the finding stays, « accepté » while the partner's declaration is in
    /// force, an ordinary open finding with its expiry once it has expired).
    pub fn mark_partner(&self, f: &mut Finding) {
        let Some(p) = &self.partner else {
            return;
        };
        if let Some(a) = &p.accepted {
            f.accepted = Some(a.clone());
            f.exception_expired = None;
        } else if let Some(d) = p.expired {
            f.exception_expired = Some(f.exception_expired.map_or(d, |e| e.max(d)));
        }
    }
}

/// Whether the tenant's controls would stop automatic forwarding to a target, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocking {
    pub blocked: bool,
    /// French: the layers and their values.
    pub why: String,
}

/// One layer's verdict for a target: whether it blocks, and its French description.
pub type Layer = (bool, String);

/// The classifier of one night: domain lists and the tenant's forwarding controls.
#[derive(Debug, Clone)]
pub struct Classifier {
    internal: Vec<DomainPattern>,
    partners: Vec<Partner>,
    public_added: Vec<DomainPattern>,
    public_removed: Vec<DomainPattern>,
    /// The local date of the evaluation's "as of": partners are in force before their expiry.
    today: NaiveDate,
    /// `None` when the outbound spam policies were not collected.
    outbound: Option<Vec<OutboundPolicy>>,
    /// `None` when the remote domains were not collected.
    remote: Option<Vec<RemoteDomain>>,
}

impl Classifier {
    pub fn new(s: &Snapshot, config: &Config) -> Classifier {
        let mut internal = Vec::new();
        let tenant = std::iter::once(config.tenant.domain.as_str());
        for d in s
            .accepted_domains
            .iter()
            .map(|d| d.domain.as_str())
            .chain(tenant)
            .chain(config.domains.network.iter().map(String::as_str))
        {
            if let Some(d) = normalise_domain(d) {
                internal.push(DomainPattern::Exact(d.clone()));
                internal.push(DomainPattern::Subdomains(d));
            }
        }
        internal.extend(config.domains.internal.iter().cloned());
        let collected = |source: &str| s.source_status(source) == Some(SourceStatus::Collected);
        Classifier {
            internal,
            partners: config.domains.partners.clone(),
            public_added: config.domains.public_added.clone(),
            public_removed: config.domains.public_removed.clone(),
            today: s
                .as_of
                .with_timezone(&config.evaluation.timezone)
                .date_naive(),
            outbound: collected("exchange-outbound-spam-policies")
                .then(|| s.outbound_policies.clone()),
            remote: collected("exchange-remote-domains").then(|| s.remote_domains.clone()),
        }
    }

    fn any(patterns: &[DomainPattern], domain: &str) -> bool {
        patterns.iter().any(|p| p.matches(domain))
    }

    pub fn is_public(&self, domain: &str) -> bool {
        (SHIPPED_PUBLIC.iter().any(|p| p.matches(domain)) || Self::any(&self.public_added, domain))
            && !Self::any(&self.public_removed, domain)
    }

    /// The partner declarations that cover `domain`: the one in force (the latest expiry),
    /// else the latest that expired.
    fn partner(&self, domain: &str) -> Option<PartnerMatch> {
        let covering: Vec<&Partner> = self
            .partners
            .iter()
            .filter(|p| p.domain.matches(domain))
            .collect();
        let in_force = covering
            .iter()
            .filter(|p| self.today < p.expires)
            .max_by_key(|p| p.expires);
        let expired = covering
            .iter()
            .filter(|p| self.today >= p.expires)
            .map(|p| p.expires)
            .max();
        let shown = in_force.or_else(|| covering.iter().max_by_key(|p| p.expires))?;
        Some(PartnerMatch {
            domain: shown.domain.to_string(),
            accepted: in_force.map(|p| Accepted {
                justification: format!(
                    "partenaire déclaré ({}) : {}",
                    p.domain,
                    p.justification.trim()
                ),
                owner: p.owner.clone(),
                expires: p.expires,
            }),
            expired: if in_force.is_some() { None } else { expired },
        })
    }

    pub fn classify(&self, t: &Target) -> Classified {
        let Some(domain) = t.domain.as_deref() else {
            let class = if t.legacy_dn {
                TargetClass::Internal
            } else {
                TargetClass::Invalid
            };
            return Classified {
                class,
                partner: None,
            };
        };
        let class = if Self::any(&self.internal, domain) {
            TargetClass::Internal
        } else if self.is_public(domain) {
            TargetClass::Public
        } else {
            TargetClass::External
        };
        Classified {
            class,
            partner: (class == TargetClass::External)
                .then(|| self.partner(domain))
                .flatten(),
        }
    }

    /// The default outbound spam policy's verdict (blocks unless `AutoForwardingMode` is `On`).
    fn outbound_layer(&self) -> Option<Layer> {
        let policies = self.outbound.as_ref()?;
        Some(match policies.iter().find(|p| p.is_default) {
            Some(p) => {
                let on = p.auto_forwarding_mode.trim().eq_ignore_ascii_case("On");
                (
                    !on,
                    format!(
                        "stratégie anti-pourriel sortant par défaut « {} » : \
                         AutoForwardingMode = {} ({})",
                        p.identity,
                        p.auto_forwarding_mode,
                        if on { "autorise" } else { "bloque" }
                    ),
                )
            }
            None => (
                true,
                "aucune stratégie sortante par défaut lue (Automatic, valeur de Microsoft, \
                 supposé : bloque)"
                    .into(),
            ),
        })
    }

    /// The remote domain that applies to `domain` (exact, else `*`), and its verdict.
    fn remote_layer(&self, domain: Option<&str>) -> Option<Layer> {
        let remote = self.remote.as_ref()?;
        let exact = domain.and_then(|d| {
            remote.iter().find(|r| {
                r.domain.trim() != "*" && normalise_domain(&r.domain).as_deref() == Some(d)
            })
        });
        let applies = exact.or_else(|| remote.iter().find(|r| r.domain.trim() == "*"));
        Some(match applies {
            Some(r) => (
                !r.auto_forward_enabled,
                format!(
                    "domaine distant « {} » : AutoForwardEnabled = {} ({})",
                    r.domain.trim(),
                    r.auto_forward_enabled,
                    if r.auto_forward_enabled {
                        "autorise"
                    } else {
                        "bloque"
                    }
                ),
            ),
            None => (
                false,
                "aucun domaine distant ne s'applique (pas de « * » lu : autorise)".into(),
            ),
        })
    }

    /// Whether the tenant would block automatic forwarding to `t`; `None` when it cannot be
    /// told (a layer that was not collected, and the other does not block).
    pub fn blocking(&self, t: &Target) -> Option<Blocking> {
        self.blocking_with(t, self.outbound_layer())
    }

    /// [`Classifier::blocking`] with the outbound layer the caller found for the mailbox (the
    /// policy that applies to it; `None` when unknown).
    pub fn blocking_with(&self, t: &Target, outbound: Option<Layer>) -> Option<Blocking> {
        let remote = self.remote_layer(t.domain.as_deref());
        let layers: Vec<&Layer> = outbound.iter().chain(remote.iter()).collect();
        let blocking: Vec<&str> = layers
            .iter()
            .filter(|(b, _)| *b)
            .map(|(_, w)| w.as_str())
            .collect();
        if !blocking.is_empty() {
            return Some(Blocking {
                blocked: true,
                why: blocking.join(" ; "),
            });
        }
        match (outbound, remote) {
            (Some((_, a)), Some((_, b))) => Some(Blocking {
                blocked: false,
                why: format!("{a} ; {b}"),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;
    use crate::model::AcceptedDomain;

    fn classifier(config: &Config) -> Classifier {
        let mut s = snapshot(vec![]);
        s.accepted_domains = vec![AcceptedDomain {
            domain: "CISSS-Test.ca".into(),
            kind: Some("Authoritative".into()),
        }];
        Classifier::new(&s, config)
    }

    #[test]
    fn targets_are_read_as_microsoft_gives_them() {
        let t = Target::parse("  smtp:Jean.Roy@GMAIL.COM ");
        assert_eq!(t.address, "jean.roy@gmail.com");
        assert_eq!(t.domain.as_deref(), Some("gmail.com"));
        let t = Target::parse("SMTP:x@Sub.Hôpital.ca.");
        assert_eq!(t.address, "x@sub.xn--hpital-ixa.ca");
        let t = Target::parse("a@b@yahoo.fr");
        assert_eq!(t.domain.as_deref(), Some("yahoo.fr"));
        for bad in [
            "Jean Tremblay",
            "",
            "smtp:",
            "@gmail.com",
            "x@localhost",
            "x@exa mple.com",
        ] {
            let t = Target::parse(bad);
            assert_eq!(t.domain, None, "{bad}");
            assert!(!t.legacy_dn);
        }
        assert_eq!(Target::parse("smtp:").address, "(vide)");
        assert!(Target::parse("/O=ExchangeLabs/OU=Exchange/cn=Recipients/cn=abc").legacy_dn);
    }

    #[test]
    fn public_list_patterns() {
        let list = parse_public_list("# comment\ngmail.com\nhotmail.*  # trailing\n\n");
        assert_eq!(list.len(), 2);
        assert!(list[1].matches("hotmail.fr"));
        assert!(list[1].matches("hotmail.com"));
        assert!(list[1].matches("hotmail.co.uk"));
        assert!(!list[1].matches("hotmail"));
        assert!(!list[1].matches("hotmailer.com"));
        assert!(!list[1].matches("nothotmail.com"));
        assert!(!list[1].matches("mail.hotmail.com"));
        assert!(
            !list[1].matches("hotmail.chum.qc.ca"),
            "not a country suffix"
        );
        assert!(
            !list[1].matches("hotmail.a.b.c.d"),
            "deeper than a regional suffix"
        );
        assert!(!list[0].matches("mail.gmail.com"));
        assert!(!list[0].matches("gmail.com.evil.ca"));
        let inner = PublicPattern::parse("mail.*.example").expect("pattern");
        assert!(inner.matches("mail.x.example"));
        assert!(
            !inner.matches("mail.x.y.example"),
            "an inner * is one label"
        );
        assert_eq!(PublicPattern::parse("*"), None);
        assert_eq!(PublicPattern::parse("localhost"), None);
        assert!(SHIPPED_PUBLIC.len() > 60);
    }

    /// Real-world personal webmail domains: every one is public with the shipped list,
    /// whatever its case, spelling or `smtp:` prefix.
    const WEBMAIL: &[&str] = &[
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.fr",
        "hotmail.co.uk",
        "hotmail.ca",
        "outlook.com",
        "outlook.fr",
        "live.ca",
        "live.com",
        "live.co.uk",
        "msn.com",
        "yahoo.com",
        "yahoo.ca",
        "yahoo.fr",
        "yahoo.co.jp",
        "yahoo.com.au",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "mail.com",
        "videotron.ca",
        "videotron.qc.ca",
        "sympatico.ca",
        "bell.net",
        "rogers.com",
        "shaw.ca",
        "telus.net",
        "cogeco.ca",
        "yandex.ru",
        "yandex.com.tr",
        "mail.ru",
        "zoho.com",
        "tutanota.com",
        "fastmail.com",
        "laposte.net",
        "orange.fr",
        "free.fr",
        "web.de",
        "qq.com",
        "163.com",
        "naver.com",
    ];

    #[test]
    fn real_webmail_domains_are_public() {
        let c = classifier(&config());
        assert!(WEBMAIL.len() >= 30);
        for d in WEBMAIL {
            for raw in [
                format!("jean.roy@{d}"),
                format!(" smtp:Jean.Roy@{} ", d.to_uppercase()),
                format!("SMTP:x@{d}."),
            ] {
                assert_eq!(
                    c.classify(&Target::parse(&raw)).class,
                    TargetClass::Public,
                    "{raw}"
                );
            }
        }
    }

    #[test]
    fn look_alikes_hospitals_and_the_network_are_not_public() {
        let c = classifier(&config());
        for (raw, class) in [
            ("x@ssss.gouv.qc.ca", TargetClass::Internal),
            ("x@cisss-test.ca", TargetClass::Internal),
            ("x@chum.ssss.gouv.qc.ca", TargetClass::Internal),
            ("x@chu-sainte-justine.qc.ca", TargetClass::External),
            ("x@hopital-general.ca", TargetClass::External),
            ("x@hotmailer.com", TargetClass::External),
            ("x@nothotmail.com", TargetClass::External),
            ("x@mail.hotmail.example", TargetClass::External),
            ("x@hotmail.chum.qc.ca", TargetClass::External),
            ("x@gmail.com.hameconnage.ca", TargetClass::External),
            ("x@livesante.ca", TargetClass::External),
            ("x@yahoo-sante.ca", TargetClass::External),
            ("x@videotronaffaires.ca", TargetClass::External),
            ("x@mcn.gouv.qc.ca", TargetClass::External),
            ("x@hôtmail.com", TargetClass::External),
        ] {
            assert_eq!(c.classify(&Target::parse(raw)).class, class, "{raw}");
        }
        let list = parse_public_list("hôpital.*\n");
        assert!(
            list[0].matches("xn--hpital-ixa.qc.ca"),
            "IDN patterns in ASCII"
        );
    }

    #[test]
    fn classes_internal_public_external_partner_invalid() {
        let mut config = config_with_partner("pharmacie.ca", date(2027, 1, 1));
        config.domains.public_added = vec![DomainPattern::Exact("courriel.example".into())];
        config.domains.public_removed = vec![DomainPattern::Exact("videotron.ca".into())];
        let c = classifier(&config);
        let class = |a: &str| c.classify(&Target::parse(a)).class;
        assert_eq!(class("x@cisss-test.ca"), TargetClass::Internal);
        assert_eq!(class("x@lab.CISSS-test.ca"), TargetClass::Internal);
        assert_eq!(class("x@ssss.gouv.qc.ca"), TargetClass::Internal);
        assert_eq!(class("x@ti.msss.gouv.qc.ca"), TargetClass::Internal);
        assert_eq!(class("x@mcn.gouv.qc.ca"), TargetClass::External);
        assert_eq!(class("x@gouv.qc.ca"), TargetClass::External);
        assert_eq!(class("x@cisss-test.onmicrosoft.com"), TargetClass::Internal);
        assert_eq!(class("smtp:X@GMAIL.COM "), TargetClass::Public);
        assert_eq!(class("x@hotmail.fr"), TargetClass::Public);
        assert_eq!(class("x@courriel.example"), TargetClass::Public);
        assert_eq!(class("x@videotron.ca"), TargetClass::External);
        assert_eq!(class("x@hôpital-privé.ca"), TargetClass::External);
        assert_eq!(class("pas une adresse"), TargetClass::Invalid);
        assert_eq!(class("/o=ExchangeLabs/cn=x"), TargetClass::Internal);
        let p = c.classify(&Target::parse("x@pharmacie.ca"));
        assert_eq!(p.class, TargetClass::External);
        assert!(p.is_partner());
        assert_eq!(p.label_fr(), "externe, partenaire déclaré pharmacie.ca");
        assert!(!c.classify(&Target::parse("x@gmail.com")).is_partner());
        let expired = classifier(&config_with_partner("pharmacie.ca", date(2026, 3, 10)));
        let p = expired.classify(&Target::parse("x@pharmacie.ca"));
        assert!(!p.is_partner());
        assert_eq!(p.partner.and_then(|p| p.expired), Some(date(2026, 3, 10)));
    }

    #[test]
    fn blocking_needs_both_layers_to_allow() {
        let config = config();
        let mut s = snapshot(vec![]);
        let gmail = Target::parse("x@gmail.com");
        s.outbound_policies = vec![outbound("On")];
        s.remote_domains = vec![remote("*", true), remote("Gmail.com", false)];
        let c = Classifier::new(&s, &config);
        let b = c.blocking(&gmail).map(|b| b.blocked);
        assert_eq!(b, Some(true), "the exact remote domain blocks");
        let other = c.blocking(&Target::parse("x@other.ca"));
        assert_eq!(other.as_ref().map(|b| b.blocked), Some(false));
        for mode in ["Automatic", "Off"] {
            s.outbound_policies = vec![outbound(mode)];
            let c = Classifier::new(&s, &config);
            let b = c.blocking(&Target::parse("x@other.ca"));
            assert_eq!(b.map(|b| b.blocked), Some(true), "{mode}");
        }
        s.sources.remove("exchange-remote-domains");
        s.outbound_policies = vec![outbound("On")];
        let c = Classifier::new(&s, &config);
        assert_eq!(
            c.blocking(&gmail),
            None,
            "unknown without the remote domains"
        );
    }
}
