//! Ground truth: the findings a correct audit must produce for day D, when the nightly run
//! happens at `as_of` = day D+1 03:00 America/Montreal, under the configuration the
//! simulator prints. Computed from the scenario model (not from the JSON it serves).
//!
//! # Conventions (the checks follow them exactly)
//!
//! **Subjects.** Account checks: the UPN in lowercase. Inbox-rule forwarding:
//! `{upn}#regle:{rule id}>{target}`. Mailbox forwarding: `{upn}#boite>{target}`. Transport
//! rule: `transport:{rule Name}>{target}` (Name verbatim). Tenant level (FWD-ORG-01):
//! `locataire`. GEN-REG-01 for a register row naming an account that does not exist: the
//! register's `compte` in lowercase. Targets: lowercased, trimmed, `smtp:` removed, the
//! domain of an IDN in ASCII (punycode). One finding per (rule or mailbox, target): the
//! same target in `forwardTo` and `redirectTo` of one rule is one finding.
//!
//! **Windows.** Sign-in based checks (GEN-MFA-02 single-factor part, GEN-APP-01, GEN-IP-01,
//! APP-INT-01) use successful sign-ins (`status.errorCode` 0) with `createdDateTime` in
//! `[as_of − 7 × 24 h, as_of)`, interactive and non-interactive alike except APP-INT-01
//! (interactive only). The simulator never generates a sign-in within an hour of 03:00
//! local, so reading the window as 7 local days gives the same set.
//!
//! **Classes.** One per account, by the printed `[classification]`: regexes on
//! `displayName` / UPN and `employeeType` values; priority urgence > generique > appli >
//! nominatif. An account both generic and « Appli » is `generique` and fires APP-GEN-01
//! (plus the generic checks, not APP-INT-01). Disabled accounts and guests are left out of
//! every account check (GEN-*, APP-*). Forwarding checks (FWD-*) apply to every mailbox:
//! disabled accounts and shared mailboxes included. Every register row names an account
//! that the regexes/attribute already classify as generic, so using the register as a
//! classification matcher changes nothing.
//!
//! **MFA coverage.** A conditional access policy requires MFA when `state` is `enabled`
//! (report-only does not count), `grantControls.builtInControls` contains `mfa` or
//! `grantControls.authenticationStrength` is set, and no other control is offered instead
//! (operator `OR` with another built-in control requires nothing; `AND` does). It reaches a
//! user included (`includeUsers` All or the id, or a group of `includeGroups` containing the
//! user transitively) and not excluded (`excludeUsers`, `excludeGroups` transitively,
//! `excludeRoles` by an active role assignment), whose
//! usual sign-ins its client app types (`all`, or each client type used) and locations (a
//! policy excluding `AllTrusted` does not reach sign-ins from a trusted range) take in. A
//! generic account's usage is its successful sign-ins of the window (application ids, client
//! types, addresses), or without any its `applications_permises` with unknown conditions; it
//! is covered when each application it uses is targeted (`All`, `Office365`, or its id; not in
//! `excludeApplications`, Teams by any of its three ids) by some MFA-requiring policy reaching
//! it. Any other account's usage is unknown: covered by a policy reaching it on `All` or
//! `Office365` applications, every client type, without location condition. MFA enforced
//! outside conditional access covers any account: security defaults on, or its per-user MFA
//! state (`perUserMfaState`) `enforced` or `enabled`. GEN-MFA-02:
//! enabled generic account not covered, or with a successful interactive
//! `singleFactorAuthentication` sign-in in the window. APP-MFA-01: enabled member of class
//! `nominatif` named in the exclusions (user or group) of at least one MFA-requiring policy,
//! and not covered. GEN-IP-02: enabled generic account not covered, in the same sense, by the
//! enabled policies that `block` with locations `All` except `AllTrusted` (their location
//! condition is the enforcement, not a condition on its sign-ins).
//!
//! **Other account checks.** GEN-MFA-01: enabled generic account whose registration row
//! says `isMfaRegistered` false (no row = unknown, no finding). APP-GEN-01: enabled
//! account both generic and « Appli ». GEN-APP-01: a sign-in in the window whose
//! `appDisplayName` and `appId` are both absent from `applications_permises`. GEN-IP-01:
//! ranges that apply = `[[generiques.sites]]` whose `motif` matches the display name or
//! UPN, global `plages_ip`, and the `ipRanges` of trusted `ipNamedLocation`s; none → one
//! `info` finding whatever the sign-ins; else `moyenne` when a sign-in in the window comes
//! from outside all of them. GEN-PWD-01: `lastPasswordChangeDateTime` before 00:00
//! America/Montreal of the latest `depart` of the account in the register, or
//! `as_of − lastPasswordChangeDateTime` strictly more than `age_max_mot_de_passe_jours`
//! days (the simulator changes passwords between 10:00 and 16:00 local, never within a
//! day of a departure). GEN-REG-01: enabled generic account without a register row (UPN
//! compared case-insensitively), or a register row whose account does not exist.
//! APP-INT-01: « Appli » account with a successful interactive sign-in in the window to an
//! application (name or appId) not in its `clients_permis`. GEN-DEV-01: enabled generic
//! account with a successful sign-in in the window whose `deviceDetail` has `isManaged` or
//! `isCompliant` false: every device but a tablet account's iPad is unmanaged, and
//! tablette3.saintlaurent's iPad is non-compliant on days 5 to 40; or whose Intune managed
//! device (served for every tablet account, synced on day D) is `noncompliant` or not
//! encrypted: tablette3.saintlaurent's on days 5 to 40, tablette1.lachine's every day.
//!
//! **Forwarding.** Target classes: `public` (patterns of `queries/public-webmail.txt`, `*`
//! = exactly one label, except a final `*`: a country or regional suffix of one to three
//! labels of two or three letters; checked first), `interne` (accepted domains, the
//! `domaines.reseau` domains, each with its subdomains at any depth, and
//! `domaines.internes` patterns where `*.x` matches any depth of subdomain of x; not
//! `*.gouv.qc.ca`: a ministry outside the network is external), else external:
//! `partenaire` when a `[[partenaires]]` entry names the exact domain and the local date
//! of `as_of` is before its `expiration`, `externe` otherwise (an expired partner is an
//! ordinary external domain). FWD-PUB-01 (critique): enabled inbox rule or mailbox
//! forwarding to public.
//! FWD-EXT-01 (élevée): to external, partners included (`accepted: true` while the partner
//! is in force). FWD-DIS-01 (faible): disabled inbox rule to public or external, partners
//! included (accepted likewise). Those three drop one severity step (critique →
//! élevée → moyenne → faible → info) when the tenant would currently block the target:
//! the outbound spam policy that applies to the mailbox has `AutoForwardingMode` other than
//! `On` — the first enabled outbound spam filter rule by `Priority` (0 first) whose `From`,
//! `FromMemberOf` (transitively) and `SenderDomainIs` all match the mailbox's UPN or mail and
//! whose `ExceptIfFrom` does not, else the default policy (`IsDefault`) — or the remote
//! domain that applies to the target's domain (exact `DomainName`, else `*`) has
//! `AutoForwardEnabled` false. A `ForwardingAddress` is resolved: a mail contact or mail user
//! gives its `ExternalEmailAddress`; a distribution group gives each member's address
//! (contacts and mail users: external address; mailboxes: primary address), through nested
//! groups, each group once; a mailbox's alias is internal (no target); a name nothing
//! carries is one target, the name lowercased, external (« non résolu »). FWD-TRN-01 (élevée, no drop): transport rule with
//! `State` Enabled whose `RedirectMessageTo`, `CopyTo` or `BlindCopyTo` names a public or
//! external address (partners count as external here). FWD-ORG-01 (`locataire`): élevée
//! when an outbound policy that applies to someone is `On` (the default, or a custom one an
//! enabled rule applies) and some remote domain has `AutoForwardEnabled` true; moyenne when
//! exactly one of these two layers allows; none otherwise.
//!
//! **Exceptions.** A finding whose check and subject (case-insensitive) match an
//! `[[exceptions]]` entry stays in the truth with `accepted: true` while the local date of
//! `as_of` is before `expiration`; from the expiry date on, `accepted: false`.
//!
//! **Population.** `medecin` when the UPN (or register `compte`) matches `medecin_upn`, or
//! the `mail` or an SMTP proxy address (`smtp:`/`SMTP:` removed; `x500:`, `sip:` ignored)
//! matches `medecin_courriel`, or the account is a member (transitively) of a
//! `medecin_groupes` group, or its `medecin_attribut` value matches the pattern; else
//! `personnel`; transport and tenant findings: `tous`. Scripted physicians found one way
//! only: pierre.gauthier-roy (mail), isabelle.morin-giguere (a `.med` alias among the
//! proxy addresses), daniel.michaud-sauve (group GRP-Medecins-CMDP), stephane.cote-neron
//! (`extensionAttribute4` « Médecin résident »); other staff: none of these.
//!
//! **Posture.** Per class, over member (non-guest) accounts that exist on day D:
//! `accounts`, `enabled`, and among enabled ones `mfa_registered`, `mfa_capable`,
//! `mfa_unknown` (no registration row) and `excluded_from_mfa` (no MFA-requiring policy
//! applies). `guests`: guest accounts. `forwarding_targets`: distinct (source, target)
//! pairs of enabled inbox rules, mailbox forwarding and enabled transport rules, by target
//! class. `sign_ins`: sign-ins (any status) of enabled generic and « Appli » accounts with
//! `createdDateTime` in `[as_of − 24 h, as_of)`, by `authenticationRequirement`.
//!
//! # Which scripted accounts exercise which case
//!
//! | check | fires | must not fire |
//! |---|---|---|
//! | GEN-MFA-01 | tablette3.verdun (days 0–14; accepted by an exception on days 0–8, expired from day 9), tablette3.lachine | tablette2.lachine (disabled), tablette5.verdun on day 10 (no row yet), tablette1.verdun |
//! | GEN-MFA-02 | tablette1.saintlaurent (nested group), tablette4.saintlaurent (direct exclusion until day 19, then its single-factor sign-ins until they leave the window), tablette3.lachine, tablette2.verdun (days 12–24, group; CA011 offers MFA or a compliant device: requires nothing), tablette2.lasalle (single-factor sign-ins days 5–12), tablette1.lasalle (CA008, its only MFA policy, excludes Teams), tablette1.lachine (excluded from CA001 and CA002 by its Teams Devices Administrator role) | tablette3.saintlaurent (excluded from CA001 but CA002 applies), tablette4.saintlaurent once its sign-ins of the window are all after day 20 (excluded from CA001, outside CA002's group, but per-user MFA `enforced`), failed single-factor sign-ins of tablette2.lasalle after day 18 |
//! | GEN-IP-02 | LaSalle tablets 1–3 (excluded from CA009; CA010 is report-only), tablette4.saintlaurent (outside the tablets' group) | every other tablet (CA009 blocks outside the trusted locations), tablette2.lachine (disabled) |
//! | GEN-APP-01 | tablette4.lachine (OfficeHome / Exchange, days 2–20) | tablette1.verdun (failed OfficeHome sign-ins only), ipad.dorval (OneDrive only) |
//! | GEN-DEV-01 | ipad.dorval (unenrolled iPad), tablette2.verdun (personal iPhone, days 3–9), tablette3.saintlaurent (non-compliant iPad, days 5–40), tablette1.lachine (Intune: iPad not encrypted) | tablette1.verdun (compliant iPad; its failed sign-ins), tablette2.lachine (disabled) |
//! | GEN-IP-01 | tablette2.verdun (outside address days 3–9), LaSalle tablets `info` before day 20 | tablette1.verdun (site range), tablette2.verdun's failed sign-ins from outside, LaSalle after day 20 (trusted location) |
//! | GEN-PWD-01 | tablette1.lachine (departure day 8, change day 14), tablette2.saintlaurent (until day 44), tablette3.lasalle (age, until day 59) | tablette1.verdun (changed after the departure), tablette4.lachine (no register row, recent password) |
//! | GEN-REG-01 | tablette4.lachine (no row), tablette5.verdun (days 10–15), tablette9.verdun (row, no account) | ipad.dorval, tablette1.verdun (register spells the UPN with capitals) |
//! | APP-GEN-01 | tablette3.lachine (« Appli - Tablette 3 CHSLD de Lachine », employeeType Appli: the prefix does not hide the tablet) | svc-billetterie, svc-telesante1 (« Appli Télésanté 1 », no device in its name) |
//! | APP-INT-01 | svc-telesante1 (Teams on iPad), svc-archivage (Azure Portal, days 20–26) | svc-billetterie (non-interactive), svc-telesante2 (Teams is a permitted client), appli.pharmacie (failed interactive only) |
//! | APP-MFA-01 | julie.gagnon-lapierre (direct, accepted by exception), luc.bouchard-hamel (group, days 0–40) | sophie.roy-castonguay (CA007 applies), marc.pelletier-dion (disabled), urgence01/02 (break-glass), the guest, svc-* (Appli) |
//! | FWD-PUB-01 | luc.bouchard-hamel#boite (hotmail contact two groups down), sophie.roy-castonguay#boite (group cycle with a gmail contact), isabelle.morin-giguere, francois.caron-blais.med (medecin), pierre.gauthier-roy (HOTMAIL.COM, always blocked), genevieve.belanger-roy (disabled), stephane.cote-neron (days 5–19), melanie.poirier-hudon (one finding for two spellings), daniel.michaud-sauve, tablette2.lachine#boite (disabled generic), accueil.verdun#boite (shared), sylvie.tremblay-houde.med#boite (from day 15) | chantal.girard-moreau (internal: subdomain, network domains), martine.dube-pilon#boite (internal) |
//! | FWD-EXT-01 | nathalie.ouellet-fortin (accepted by exception), dossiers.lachine#boite (mail contact, IDN domain), chantal.girard-moreau to mcn.gouv.qc.ca (a ministry outside the network), eric.lavoie-poulin and robert.gagne-allard#boite (declared partner: accepted days 0–18, open from day 19), karine.leblanc-vigneault#boite (mail user), luc.bouchard-hamel#boite (mail user two groups down), julie.gagnon-lapierre#boite (name nothing carries: non résolu) | chantal.girard-moreau's network targets (ssss.gouv.qc.ca, ti.msss.gouv.qc.ca), chantal.girard-moreau#boite (ForwardingAddress = a mailbox alias of the tenant) |
//! | outbound rules | isabelle.morin-giguere: the committee's policy (On, rule by group) applies, not the default (critique on day 0); melanie.poirier-hudon: excepted, default; accounts of the tenant domain: blocking policy by domain rule | the disabled rule (pierre.gauthier-roy unaffected); the committee's rule ends on day 120 |
//! | FWD-DIS-01 | alain.fortin-lemay (disabled rule to gmail) | karine.leblanc-vigneault (rules without forwarding) |
//! | FWD-TRN-01 | « Copie cachée du comité vers le consultant », « Copie de la direction… » (days 40–79) | disabled journal rule, internal archive redirection |
//! | FWD-ORG-01 | élevée days 0–119 (the committee's policy On by rule), moyenne days 120–149 | none from day 150 |
//! | FWD-CLI-01 | bulk staff and physicians whose mailbox a POP or IMAP client retrieves (`POP3`, `IMAP4`, `IMAP`) | svc-billetterie (IMAP4 is one of its `clients_permis`) |
//! | ENC-EXT-01 | days 0–24 (Azure RMS licensing off) | from day 25 |
//! | SHR-SIG-01 | bulk shared, room and equipment mailboxes whose account was left enabled | accueil.verdun, dossiers.lachine and the other shared mailboxes (account disabled) |
//! | LOG-AUD-01 | days 10–20 (mailbox auditing off), days 35–50 (unified audit log off) | other days |

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::America::Montreal;
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::scenario::{
    self, Account, Device, Kind, Member, Policy, RegisterRow, Registration, S, SCRIPTED, Scenario,
    SignIn, idx,
};
use super::simconfig::PrintedConfig;

/// The shipped list of public webmail patterns.
pub(crate) const PUBLIC_WEBMAIL: &str = include_str!("../../queries/public-webmail.txt");

/// One expected finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Finding {
    pub check: String,
    pub subject: String,
    pub severity: String,
    pub population: String,
    pub accepted: bool,
}

/// Posture figures of one account class.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassPosture {
    pub accounts: u64,
    pub enabled: u64,
    pub mfa_registered: u64,
    pub mfa_capable: u64,
    pub mfa_unknown: u64,
    pub excluded_from_mfa: u64,
}

/// Tenant posture of the night.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posture {
    pub classes: BTreeMap<String, ClassPosture>,
    pub guests: u64,
    pub forwarding_targets: BTreeMap<String, u64>,
    pub sign_ins: BTreeMap<String, u64>,
    /// Mailboxes open to POP, to IMAP, to either (`pop`, `imap`, `pop_ou_imap`).
    pub mail_clients: BTreeMap<String, u64>,
    /// Enabled transport rules that encrypt mail to external recipients.
    pub encrypting_rules: u64,
}

/// What a correct audit of day D must find.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundTruth {
    pub seed: u64,
    pub accounts: u32,
    pub day: u32,
    pub date: String,
    pub as_of: String,
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<String>,
    pub posture: Posture,
}

impl GroundTruth {
    /// Stable, pretty JSON (byte-identical for the same seed and day).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Findings of one check.
    pub fn of(&self, check: &str) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.check == check).collect()
    }
}

/// Account classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    Urgence,
    Generique,
    Appli,
    Nominatif,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Urgence => "urgence",
            Class::Generique => "generique",
            Class::Appli => "appli",
            Class::Nominatif => "nominatif",
        }
    }
}

/// Compiled evaluation settings.
pub(crate) struct Rules {
    gen_nom: Vec<Regex>,
    gen_upn: Vec<Regex>,
    gen_vals: Vec<&'static str>,
    app_nom: Vec<Regex>,
    app_upn: Vec<Regex>,
    app_vals: Vec<&'static str>,
    urgence: BTreeSet<String>,
    medecin: Vec<Regex>,
    medecin_courriel: Vec<Regex>,
    medecin_attribut: (&'static str, Option<Regex>),
    sites: Vec<(Regex, Vec<String>)>,
    public: Vec<Vec<String>>,
}

fn compile(v: &[&str]) -> Vec<Regex> {
    v.iter().filter_map(|p| Regex::new(p).ok()).collect()
}

impl Rules {
    pub(crate) fn new(cfg: &PrintedConfig) -> Self {
        Rules {
            gen_nom: compile(&cfg.generique_nom),
            gen_upn: compile(&cfg.generique_upn),
            gen_vals: cfg.generique_valeurs.clone(),
            app_nom: compile(&cfg.appli_nom),
            app_upn: compile(&cfg.appli_upn),
            app_vals: cfg.appli_valeurs.clone(),
            urgence: cfg.urgence.iter().map(|u| u.to_lowercase()).collect(),
            medecin: compile(&cfg.medecin_upn),
            medecin_courriel: compile(&cfg.medecin_courriel),
            medecin_attribut: (
                cfg.medecin_attribut.0,
                Regex::new(cfg.medecin_attribut.1).ok(),
            ),
            sites: cfg
                .sites
                .iter()
                .filter_map(|(m, r)| Regex::new(m).ok().map(|re| (re, r.clone())))
                .collect(),
            public: PUBLIC_WEBMAIL
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| l.to_lowercase().split('.').map(str::to_string).collect())
                .collect(),
        }
    }

    /// (class, also « Appli » while generic).
    pub(crate) fn classify(&self, a: &Account) -> (Class, bool) {
        let any = |res: &[Regex], s: &str| res.iter().any(|r| r.is_match(s));
        let et = a.employee_type.unwrap_or("");
        let generic = any(&self.gen_nom, &a.display_name)
            || any(&self.gen_upn, &a.upn)
            || self.gen_vals.contains(&et);
        let appli = any(&self.app_nom, &a.display_name)
            || any(&self.app_upn, &a.upn)
            || self.app_vals.contains(&et);
        if self.urgence.contains(&a.upn.to_lowercase()) {
            (Class::Urgence, false)
        } else if generic {
            (Class::Generique, appli)
        } else if appli {
            (Class::Appli, false)
        } else {
            (Class::Nominatif, false)
        }
    }

    /// The population of an account: `.med` on the UPN, the mail or an SMTP proxy address
    /// (prefix `smtp:` in any case removed; other proxy types ignored), membership of the
    /// physicians' group, or `extensionAttribute4` (the job title of staff and physicians)
    /// matching the pattern.
    fn population_of(&self, a: &Account, in_group: bool) -> &'static str {
        let address = |s: &str| self.medecin_courriel.iter().any(|r| r.is_match(s.trim()));
        let proxy = a.proxy_addresses.iter().any(|p| {
            p.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("smtp"))
                .is_some_and(|(_, rest)| address(rest))
        });
        let attribute = match (&self.medecin_attribut, a.kind) {
            (("extensionAttribute4", Some(re)), Kind::Staff | Kind::Physician) => {
                a.job_title.is_some_and(|t| re.is_match(t))
            }
            _ => false,
        };
        if self.population(&a.upn) == "medecin"
            || a.mail.as_deref().is_some_and(address)
            || proxy
            || in_group
            || attribute
        {
            "medecin"
        } else {
            "personnel"
        }
    }

    fn population(&self, upn: &str) -> &'static str {
        if self.medecin.iter().any(|r| r.is_match(upn)) {
            "medecin"
        } else {
            "personnel"
        }
    }

    /// A final `*` is a country or regional suffix: 1 to 3 labels of 2 or 3 letters.
    pub(crate) fn is_public(&self, domain: &str) -> bool {
        let labels: Vec<&str> = domain.split('.').collect();
        let suffix = |tail: &[&str]| {
            (1..=3).contains(&tail.len())
                && tail.iter().all(|l| {
                    l.starts_with("xn--")
                        || ((2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_lowercase()))
                })
        };
        self.public.iter().any(|p| {
            let (head, any_suffix) = match p.split_last() {
                Some((last, head)) if last == "*" => (head, true),
                _ => (&p[..], false),
            };
            labels.len() >= head.len()
                && head.iter().zip(&labels).all(|(a, b)| a == "*" || a == b)
                && if any_suffix {
                    suffix(&labels[head.len()..])
                } else {
                    labels.len() == head.len()
                }
        })
    }
}

/// Normalises a forwarding target: trimmed, lowercased, `smtp:` removed, IDN in ASCII.
pub(crate) fn normalize_target(raw: &str) -> String {
    let s = raw.trim().to_lowercase();
    let s = s.strip_prefix("smtp:").unwrap_or(&s).trim().to_string();
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            let ascii = idna::domain_to_ascii(domain).unwrap_or_else(|_| domain.to_string());
            format!("{}@{}", local, ascii)
        }
        None => s,
    }
}

fn domain_of(target: &str) -> &str {
    target.rsplit_once('@').map(|(_, d)| d).unwrap_or(target)
}

/// Target classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Public,
    Internal,
    Partner,
    External,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Public => "public",
            Target::Internal => "interne",
            Target::Partner => "partenaire",
            Target::External => "externe",
        }
    }
}

fn pattern_matches(pattern: &str, domain: &str) -> bool {
    let p = pattern.trim().to_lowercase();
    match p.strip_prefix("*.") {
        Some(base) => domain.ends_with(&format!(".{}", base)),
        None => domain == p,
    }
}

const SEVERITIES: [&str; 5] = ["critique", "élevée", "moyenne", "faible", "info"];

fn drop_one(sev: &str) -> &'static str {
    let i = SEVERITIES.iter().position(|s| *s == sev).unwrap_or(4);
    SEVERITIES[(i + 1).min(4)]
}

fn in_cidr(ip: &str, cidr: &str) -> bool {
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().unwrap_or(128)),
        None => (cidr, 128),
    };
    match (ip.parse::<IpAddr>(), net.parse::<IpAddr>()) {
        (Ok(IpAddr::V4(a)), Ok(IpAddr::V4(n))) => {
            let bits = bits.min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (Ok(IpAddr::V6(a)), Ok(IpAddr::V6(n))) => {
            let bits = bits.min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Everything the evaluation of one night reads, and the findings and posture it builds.
struct Ctx<'a> {
    sc: &'a Scenario,
    cfg: &'a PrintedConfig,
    rules: Rules,
    day: i32,
    as_of: DateTime<Utc>,
    accepted_domains: Vec<String>,
    /// Conditional access policies of the day that require MFA.
    mfa_policies: Vec<Policy>,
    /// Enabled policies of the day that block outside the trusted locations.
    block_policies: Vec<Policy>,
    /// `ipRanges` of the trusted named locations.
    trusted: Vec<String>,
    /// Register rows by lowercased `compte`.
    register: HashMap<String, Vec<RegisterRow>>,
    posture: Posture,
    out: Vec<Finding>,
}

/// What a generic account uses, as the ground truth reads it.
struct Usage {
    /// Application ids (or allowed names without a known id).
    apps: BTreeSet<String>,
    clients: BTreeSet<&'static str>,
    ips: Vec<String>,
    /// From its sign-ins (else from its allowed applications).
    known: bool,
}

/// One existing account, with what its checks read more than once.
struct Subject {
    i: u32,
    acc: Account,
    /// The UPN in lowercase: the subject of its account findings.
    upn: String,
    pop: &'static str,
    class: Class,
    also_appli: bool,
    /// Some MFA-requiring policy applies to it.
    covered: bool,
    registration: Option<Registration>,
}

impl Posture {
    /// Every class and category present, at zero.
    fn zeroed() -> Self {
        let mut posture = Posture::default();
        for c in ["urgence", "generique", "appli", "nominatif"] {
            posture
                .classes
                .insert(c.to_string(), ClassPosture::default());
        }
        for c in ["public", "interne", "partenaire", "externe"] {
            posture.forwarding_targets.insert(c.to_string(), 0);
        }
        for c in ["singleFactorAuthentication", "multiFactorAuthentication"] {
            posture.sign_ins.insert(c.to_string(), 0);
        }
        for c in ["pop", "imap", "pop_ou_imap"] {
            posture.mail_clients.insert(c.to_string(), 0);
        }
        posture
    }
}

impl Ctx<'_> {
    fn classify_target(&self, target: &str) -> Target {
        let dom = domain_of(target);
        if self.rules.is_public(dom) {
            Target::Public
        } else if self
            .accepted_domains
            .iter()
            .map(String::as_str)
            .chain(self.cfg.reseau.iter().copied())
            .any(|a| dom == a || dom.ends_with(&format!(".{}", a)))
            || self.cfg.internes.iter().any(|p| pattern_matches(p, dom))
        {
            Target::Internal
        } else if self.partner_in_force(dom) {
            Target::Partner
        } else {
            Target::External
        }
    }

    fn blocked(&self, target: &str, sender: &Account) -> bool {
        let dom = domain_of(target);
        let mode = self.outbound_mode(sender);
        let remotes = self.sc.remote_domains(self.day);
        let rd = remotes
            .iter()
            .find(|r| r.domain.to_lowercase() == dom)
            .or_else(|| remotes.iter().find(|r| r.domain == "*"));
        mode != "On" || rd.map(|r| !r.auto_forward).unwrap_or(false)
    }

    /// `AutoForwardingMode` of the outbound policy that applies to a mailbox: the first
    /// enabled rule by priority whose conditions all match its UPN or mail and whose
    /// exceptions do not, else the default policy.
    fn outbound_mode(&self, sender: &Account) -> &'static str {
        let policies = self.sc.outbound_policies(self.day);
        let mode_of = |name: &str| {
            policies
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.mode)
                .unwrap_or("Automatic")
        };
        let addrs: Vec<String> = std::iter::once(sender.upn.to_lowercase())
            .chain(sender.mail.iter().map(|m| m.to_lowercase()))
            .collect();
        let mut rules = self.sc.outbound_rules(self.day);
        rules.retain(|r| r.enabled);
        rules.sort_by_key(|r| r.priority);
        for r in rules {
            let from =
                r.from.is_empty() || r.from.iter().any(|f| addrs.contains(&f.to_lowercase()));
            let member = r.from_member_of.is_empty()
                || r.from_member_of
                    .iter()
                    .any(|g| self.in_group(g, sender.index));
            let domain = r.sender_domain_is.is_empty()
                || r.sender_domain_is.iter().any(|d| {
                    let d = d.to_lowercase();
                    addrs.iter().any(|a| {
                        let ad = domain_of(a);
                        ad == d || ad.ends_with(&format!(".{d}"))
                    })
                });
            let except = r
                .except_if_from
                .iter()
                .any(|f| addrs.contains(&f.to_lowercase()));
            if from && member && domain && !except {
                return mode_of(r.policy);
            }
        }
        policies
            .iter()
            .find(|p| p.is_default)
            .map(|p| p.mode)
            .unwrap_or("Automatic")
    }

    /// The members of group `name` that are not groups, through nested groups, each group
    /// once.
    fn members_of(&self, name: &str) -> Vec<Member> {
        let groups = self.sc.distribution_groups();
        let mut out = Vec::new();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut stack = vec![name];
        while let Some(g) = stack.pop() {
            if !seen.insert(g) {
                continue;
            }
            for m in groups
                .iter()
                .filter(|x| x.name == g)
                .flat_map(|x| &x.members)
            {
                match m {
                    Member::Group(sub) => stack.push(sub),
                    other => out.push(other.clone()),
                }
            }
        }
        out
    }

    /// Whether scripted account `i` is in group `name`, through nested groups.
    fn in_group(&self, name: &str, i: u32) -> bool {
        self.members_of(name)
            .iter()
            .any(|m| matches!(m, Member::Mailbox(k) if idx(*k) == i))
    }

    /// What a `ForwardingAddress` given by name sends to: `Ok(targets)` (empty: internal),
    /// `Err(())` when nothing carries the name.
    fn resolve_named(&self, name: &str) -> Result<Vec<String>, ()> {
        let users = self.sc.mail_users();
        if let Some(u) = users.iter().find(|u| u.name == name || u.alias == name) {
            return Ok(vec![u.external.to_string()]);
        }
        if self.sc.distribution_groups().iter().any(|g| g.name == name) {
            let mut out = Vec::new();
            for m in self.members_of(name) {
                match m {
                    Member::Mailbox(k) => {
                        if let Some(a) = self.sc.account(idx(k), self.day) {
                            out.push(a.mail.clone().unwrap_or(a.upn.clone()));
                        }
                    }
                    Member::Contact(_, ext) => out.push(ext.to_string()),
                    Member::MailUser(u) => {
                        if let Some(x) = users.iter().find(|x| x.name == u) {
                            out.push(x.external.to_string());
                        }
                    }
                    Member::Group(_) => {}
                }
            }
            return Ok(out);
        }
        let is_account = (0..self.sc.accounts.min(SCRIPTED.len() as u32)).any(|i| {
            self.sc
                .account(i, self.day)
                .is_some_and(|a| a.upn.split('@').next() == Some(name))
        });
        if is_account { Ok(vec![]) } else { Err(()) }
    }

    /// A `[[partenaires]]` declaration names the domain exactly and is in force.
    fn partner_in_force(&self, dom: &str) -> bool {
        let local_date = self.as_of.with_timezone(&Montreal).date_naive();
        self.cfg
            .partenaires
            .iter()
            .any(|p| p.domaine.to_lowercase() == dom && local_date < p.expiration)
    }

    fn push(&mut self, check: &str, subject: String, severity: &str, population: &str) {
        self.push_as(check, subject, severity, population, false);
    }

    /// [`Self::push`], `partner` saying a declared partner in force accepts it.
    fn push_as(
        &mut self,
        check: &str,
        subject: String,
        severity: &str,
        population: &str,
        partner: bool,
    ) {
        let local_date = self.as_of.with_timezone(&Montreal).date_naive();
        let accepted = partner
            || self.cfg.exceptions.iter().any(|e| {
                e.controle == check
                    && e.sujet.to_lowercase() == subject.to_lowercase()
                    && local_date < e.expiration
            });
        self.out.push(Finding {
            check: check.to_string(),
            subject,
            severity: severity.to_string(),
            population: population.to_string(),
            accepted,
        });
    }

    /// Forwarding finding of an inbox rule or a mailbox.
    fn forward(
        &mut self,
        subject: String,
        target: &str,
        enabled: bool,
        population: &str,
        sender: &Account,
    ) {
        let class = self.classify_target(target);
        let (check, sev) = match (class, enabled) {
            (Target::Public, true) => ("FWD-PUB-01", "critique"),
            (Target::External | Target::Partner, true) => ("FWD-EXT-01", "élevée"),
            (Target::Public | Target::External | Target::Partner, false) => {
                ("FWD-DIS-01", "faible")
            }
            _ => return,
        };
        let sev = if self.blocked(target, sender) {
            drop_one(sev)
        } else {
            sev
        };
        self.push_as(check, subject, sev, population, class == Target::Partner);
    }
}

/// Sign-ins of an account with `createdDateTime` in `[from, to)`.
pub(crate) fn sign_ins_between(
    sc: &Scenario,
    i: u32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<SignIn> {
    let mut out = Vec::new();
    for k in sc.day_of(from)..=sc.day_of(to - Duration::seconds(1)) {
        let pol = sc.policies(k);
        out.extend(
            sc.sign_ins(i, k, &pol)
                .into_iter()
                .filter(|s| s.time >= from && s.time < to),
        );
    }
    out
}

/// GEN-DEV-01: the device of a sign-in is unmanaged (anything but the iPad of a tablet
/// account) or non-compliant (tablette3.saintlaurent's iPad, days 5 to 40).
fn gen_dev_01_flaw(a: &Subject, s: &SignIn) -> bool {
    let managed = s.device == Device::IPad && a.acc.kind == Kind::Tablet;
    let lapsed = a.i == scenario::idx(S::TabStLaurent3) && (5..=40).contains(&s.day);
    !managed || lapsed
}

fn allowed(list: &[&str], s: &SignIn) -> bool {
    list.iter()
        .any(|a| a.eq_ignore_ascii_case(s.app.name) || a.eq_ignore_ascii_case(s.app.id))
}

/// Computes the ground truth of a day.
pub(crate) fn compute(sc: &Scenario, cfg: &PrintedConfig, day: u32) -> GroundTruth {
    let d = day as i32;
    let mut cx = Ctx::new(sc, cfg, d);
    let mut existing: BTreeSet<String> = BTreeSet::new();
    for i in 0..sc.accounts {
        let Some(acc) = sc.account(i, d) else {
            continue;
        };
        existing.insert(acc.upn.to_lowercase());
        cx.account(i, acc);
    }
    cx.register_rows_without_account(&existing);
    cx.transport_rules();
    cx.tenant_forwarding();
    cx.enc_ext_01();
    cx.log_aud_01();
    cx.finish(day)
}

impl<'a> Ctx<'a> {
    fn new(sc: &'a Scenario, cfg: &'a PrintedConfig, d: i32) -> Self {
        let mut register: HashMap<String, Vec<RegisterRow>> = HashMap::new();
        for r in sc.register(d) {
            register.entry(r.compte.to_lowercase()).or_default().push(r);
        }
        Ctx {
            sc,
            cfg,
            rules: Rules::new(cfg),
            day: d,
            as_of: sc.as_of(d),
            accepted_domains: sc
                .accepted_domains()
                .iter()
                .map(|a| a.domain.to_lowercase())
                .collect(),
            mfa_policies: sc
                .policies(d)
                .into_iter()
                .filter(|p| p.requires_mfa())
                .collect(),
            block_policies: sc
                .policies(d)
                .into_iter()
                .filter(|p| p.state == "enabled" && p.is_location_block())
                .collect(),
            trusted: sc
                .named_locations(d)
                .into_iter()
                .filter(|l| l.trusted)
                .flat_map(|l| l.ranges)
                .collect(),
            register,
            posture: Posture::zeroed(),
            out: Vec::new(),
        }
    }

    /// Sorted, deduplicated findings and the posture, as the truth file holds them.
    fn finish(mut self, day: u32) -> GroundTruth {
        let mut findings = std::mem::take(&mut self.out);
        findings.sort();
        findings.dedup();
        GroundTruth {
            seed: self.sc.seed,
            accounts: self.sc.accounts,
            day,
            date: self.sc.date(self.day).format("%Y-%m-%d").to_string(),
            as_of: self.as_of.with_timezone(&Montreal).to_rfc3339(),
            findings,
            not_evaluated: vec![],
            posture: self.posture,
        }
    }

    /// Posture, account checks and forwarding checks of one existing account.
    fn account(&mut self, i: u32, acc: Account) {
        let (class, also_appli) = self.rules.classify(&acc);
        let checked = acc.enabled && !acc.guest;
        let signins = if checked && matches!(class, Class::Generique | Class::Appli) {
            let window_from = self.as_of - Duration::days(self.cfg.fenetre_jours);
            sign_ins_between(self.sc, i, window_from, self.as_of)
        } else {
            vec![]
        };
        let ok: Vec<&SignIn> = signins.iter().filter(|s| s.success()).collect();
        let usage = (class == Class::Generique).then(|| self.usage(&ok));
        let a = Subject {
            i,
            upn: acc.upn.to_lowercase(),
            pop: self
                .rules
                .population_of(&acc, self.sc.member(super::scenario::G_MED, i, self.day)),
            class,
            also_appli,
            // Security defaults enforce MFA on every account, outside conditional access;
            // per-user MFA `enforced` or `enabled` on its own account.
            covered: self.sc.security_defaults
                || self.sc.per_user_covered(i, self.day)
                || self.covered(&self.mfa_policies, i, usage.as_ref()),
            registration: self.sc.registration(&acc, self.day),
            acc,
        };
        self.count_account(&a);
        // Account checks: enabled members only.
        if checked {
            self.count_sign_ins(&signins);
            self.account_checks(&a, &ok, usage.as_ref());
        }
        // Forwarding: every mailbox.
        if a.acc.has_mailbox() {
            self.inbox_rule_forwarding(&a);
            self.mailbox_forwarding(&a);
            self.count_mail_clients(&a);
            self.shr_sig_01(&a);
        }
        self.fwd_cli_01(&a);
    }

    /// Posture: the mailbox is open to POP, to IMAP.
    fn count_mail_clients(&mut self, a: &Subject) {
        let (pop, imap) = self.sc.pop_imap(&a.acc);
        for (k, on) in [("pop", pop), ("imap", imap), ("pop_ou_imap", pop || imap)] {
            *self.posture.mail_clients.entry(k.to_string()).or_default() += on as u64;
        }
    }

    /// SHR-SIG-01: a shared, room or equipment mailbox whose account is enabled.
    fn shr_sig_01(&mut self, a: &Subject) {
        if a.acc.enabled && self.sc.mailbox_type(&a.acc) != "UserMailbox" {
            self.found(a, "SHR-SIG-01", "moyenne");
        }
    }

    /// FWD-CLI-01: a successful POP or IMAP sign-in of the window, whatever the account's
    /// state, unless it is « Appli » and the protocol is one of its `clients_permis`.
    fn fwd_cli_01(&mut self, a: &Subject) {
        if self.sc.mail_client(a.i).is_none() {
            return;
        }
        let protocol = |c: &str| match c.to_uppercase().as_str() {
            "POP3" | "POP" => Some("POP"),
            "IMAP4" | "IMAP" => Some("IMAP"),
            _ => None,
        };
        let permitted: Vec<&str> = if a.class == Class::Appli {
            self.cfg
                .clients_permis
                .iter()
                .filter(|(u, _)| u.to_lowercase() == a.upn)
                .flat_map(|(_, c)| c.iter().filter_map(|x| protocol(x)))
                .collect()
        } else {
            vec![]
        };
        let from = self.as_of - Duration::days(self.cfg.fenetre_jours);
        let retrieved = sign_ins_between(self.sc, a.i, from, self.as_of)
            .iter()
            .filter(|s| s.success())
            .filter_map(|s| s.mail_client.and_then(protocol))
            .any(|p| !permitted.contains(&p));
        if retrieved {
            self.found(a, "FWD-CLI-01", "élevée");
        }
    }

    /// Posture per class: members, enabled ones, and the MFA figures of enabled ones.
    fn count_account(&mut self, a: &Subject) {
        if a.acc.guest {
            self.posture.guests += 1;
            return;
        }
        let Some(cp) = self.posture.classes.get_mut(a.class.name()) else {
            return;
        };
        cp.accounts += 1;
        if !a.acc.enabled {
            return;
        }
        cp.enabled += 1;
        match &a.registration {
            Some(r) => {
                cp.mfa_registered += r.registered as u64;
                cp.mfa_capable += r.capable as u64;
            }
            None => cp.mfa_unknown += 1,
        }
        cp.excluded_from_mfa += (!a.covered) as u64;
    }

    /// Posture: sign-ins of the last 24 hours by authentication requirement.
    fn count_sign_ins(&mut self, signins: &[SignIn]) {
        let day_from = self.as_of - Duration::hours(24);
        for s in signins.iter().filter(|s| s.time >= day_from) {
            let k = if s.single_factor {
                "singleFactorAuthentication"
            } else {
                "multiFactorAuthentication"
            };
            *self.posture.sign_ins.entry(k.to_string()).or_default() += 1;
        }
    }

    /// Posture: one forwarding (source, target) pair; returns the target's class.
    fn count_target(&mut self, target: &str) -> Target {
        let c = self.classify_target(target);
        *self
            .posture
            .forwarding_targets
            .entry(c.name().to_string())
            .or_default() += 1;
        c
    }

    /// An account finding: the subject is the lowercased UPN.
    fn found(&mut self, a: &Subject, check: &str, severity: &str) {
        self.push(check, a.upn.clone(), severity, a.pop);
    }

    /// What a generic account uses: the applications (ids), client types and addresses of
    /// its successful sign-ins of the window; without any, its allowed applications.
    fn usage(&self, ok: &[&SignIn]) -> Usage {
        if ok.is_empty() {
            let apps = self
                .cfg
                .applications_permises
                .iter()
                .map(|n| {
                    super::names::known_app(n).map_or_else(|| n.to_string(), |a| a.id.to_string())
                })
                .collect();
            return Usage {
                apps,
                clients: BTreeSet::new(),
                ips: Vec::new(),
                known: false,
            };
        }
        Usage {
            apps: ok.iter().map(|s| s.app.id.to_string()).collect(),
            clients: ok
                .iter()
                .map(|s| {
                    if s.browser {
                        "browser"
                    } else {
                        "mobileAppsAndDesktopClients"
                    }
                })
                .collect(),
            ips: ok.iter().map(|s| s.ip.clone()).collect(),
            known: true,
        }
    }

    /// Whether `p` applies to user `i` for its usual sign-ins (users, client types,
    /// locations), applications aside; an unknown usage needs `All` or `Office365`
    /// applications, every client type and no location condition.
    fn policy_reaches(&self, p: &Policy, i: u32, usage: Option<&Usage>) -> bool {
        if !self.sc.policy_applies(p, i, self.day) {
            return false;
        }
        let all_clients = p.client_app_types.contains(&"all");
        match usage {
            Some(u) if u.known => {
                let clients =
                    all_clients || u.clients.iter().all(|c| p.client_app_types.contains(c));
                // A fixed-address block's location condition is the enforcement itself.
                let located = !p.exclude_trusted_locations
                    || p.is_location_block()
                    || u.ips
                        .iter()
                        .all(|ip| !self.trusted.iter().any(|r| in_cidr(ip, r)));
                clients && located
            }
            _ => {
                let apps = usage.is_some()
                    || p.include_apps
                        .iter()
                        .any(|a| *a == "All" || *a == "Office365");
                apps && all_clients && (!p.exclude_trusted_locations || p.is_location_block())
            }
        }
    }

    /// Whether the policies cover user `i`: each application of its usage targeted by some
    /// policy that reaches it (an unknown usage: some policy reaches it).
    fn covered(&self, policies: &[Policy], i: u32, usage: Option<&Usage>) -> bool {
        let reaching: Vec<&Policy> = policies
            .iter()
            .filter(|p| self.policy_reaches(p, i, usage))
            .collect();
        match usage {
            Some(u) => u
                .apps
                .iter()
                .all(|app| reaching.iter().any(|p| p.targets_app(app))),
            None => !reaching.is_empty(),
        }
    }

    /// Account checks of an enabled member, by class; `ok` are its successful sign-ins of
    /// the window.
    fn account_checks(&mut self, a: &Subject, ok: &[&SignIn], usage: Option<&Usage>) {
        match a.class {
            Class::Generique => {
                self.generic_checks(a, ok);
                let enforced = self.covered(&self.block_policies, a.i, usage);
                if !enforced {
                    self.found(a, "GEN-IP-02", "moyenne");
                }
            }
            Class::Appli => self.app_int_01(a, ok),
            Class::Nominatif => self.app_mfa_01(a),
            Class::Urgence => {}
        }
    }

    /// Checks of an enabled generic account; `ok` are its successful sign-ins of the window.
    fn generic_checks(&mut self, a: &Subject, ok: &[&SignIn]) {
        if a.also_appli {
            self.found(a, "APP-GEN-01", "critique");
        }
        if a.registration.as_ref().is_some_and(|r| !r.registered) {
            self.found(a, "GEN-MFA-01", "critique");
        }
        if !a.covered || ok.iter().any(|s| s.single_factor && s.interactive) {
            self.found(a, "GEN-MFA-02", "élevée");
        }
        if ok
            .iter()
            .any(|s| !allowed(&self.cfg.applications_permises, s))
        {
            self.found(a, "GEN-APP-01", "moyenne");
        }
        if let Some(severity) = self.gen_ip_01(a, ok) {
            self.found(a, "GEN-IP-01", severity);
        }
        if ok.iter().any(|s| gen_dev_01_flaw(a, s)) || self.gen_dev_01_intune(a) {
            self.found(a, "GEN-DEV-01", "moyenne");
        }
        if self.gen_pwd_01(a) {
            self.found(a, "GEN-PWD-01", "moyenne");
        }
        if !self.register.contains_key(&a.upn) {
            self.found(a, "GEN-REG-01", "faible");
        }
    }

    /// GEN-IP-01: `info` when no range applies, `moyenne` for a sign-in from outside them.
    fn gen_ip_01(&self, a: &Subject, ok: &[&SignIn]) -> Option<&'static str> {
        let mut ranges: Vec<&String> = self
            .rules
            .sites
            .iter()
            .filter(|(re, _)| re.is_match(&a.acc.display_name) || re.is_match(&a.acc.upn))
            .flat_map(|(_, r)| r.iter())
            .collect();
        ranges.extend(self.cfg.plages_ip.iter());
        ranges.extend(self.trusted.iter());
        if ranges.is_empty() {
            Some("info")
        } else if ok.iter().any(|s| !ranges.iter().any(|r| in_cidr(&s.ip, r))) {
            Some("moyenne")
        } else {
            None
        }
    }

    /// GEN-DEV-01 from Intune: tablette1.lachine's iPad is not encrypted; tablette3.saintlaurent's
    /// is non-compliant on days 5 to 40 (every tablet's iPad syncs on the evaluated day).
    fn gen_dev_01_intune(&self, a: &Subject) -> bool {
        a.acc.kind == Kind::Tablet
            && (a.i == scenario::idx(S::TabLachine1)
                || (a.i == scenario::idx(S::TabStLaurent3) && (5..=40).contains(&self.day)))
    }

    /// GEN-PWD-01: password older than the latest departure, or than the maximum age.
    fn gen_pwd_01(&self, a: &Subject) -> bool {
        let rows = self.register.get(&a.upn);
        let last_dep = rows.into_iter().flatten().filter_map(|r| r.depart).max();
        let pwd = a.acc.last_password_change;
        let before_dep = last_dep.is_some_and(|dep| {
            let dep_start = self.sc.at((dep - self.sc.start).num_days() as i32, 0);
            pwd < dep_start
        });
        let too_old = self.as_of - pwd > Duration::days(self.cfg.age_max_jours);
        before_dep || too_old
    }

    /// APP-INT-01: an interactive sign-in to a client outside the account's `clients_permis`.
    fn app_int_01(&mut self, a: &Subject, ok: &[&SignIn]) {
        let permitted: Vec<&str> = self
            .cfg
            .clients_permis
            .iter()
            .filter(|(u, _)| u.to_lowercase() == a.upn)
            .flat_map(|(_, c)| c.iter().copied())
            .collect();
        if ok.iter().any(|s| s.interactive && !allowed(&permitted, s)) {
            self.found(a, "APP-INT-01", "élevée");
        }
    }

    /// APP-MFA-01: a named member excluded from some MFA policy and covered by none.
    fn app_mfa_01(&mut self, a: &Subject) {
        let named = self
            .mfa_policies
            .iter()
            .any(|p| self.sc.policy_excludes(p, a.i, self.day));
        if named && !a.covered {
            self.found(a, "APP-MFA-01", "moyenne");
        }
    }

    /// FWD-PUB/EXT/DIS-01 of the inbox rules of a mailbox.
    fn inbox_rule_forwarding(&mut self, a: &Subject) {
        for rule in self.sc.inbox_rules(&a.acc, self.day) {
            let targets: BTreeSet<String> = rule
                .targets()
                .map(|r| normalize_target(&r.address))
                .collect();
            for t in targets {
                if rule.enabled {
                    self.count_target(&t);
                }
                let subject = format!("{}#regle:{}>{}", a.upn, rule.id, t);
                self.forward(subject, &t, rule.enabled, a.pop, &a.acc);
            }
        }
    }

    /// FWD-PUB/EXT-01 of the forwarding set on a mailbox (SMTP address, mail contact, or a
    /// name: mail user, group members, an account; a name nothing carries is external).
    fn mailbox_forwarding(&mut self, a: &Subject) {
        let fwd = self.sc.mailbox_forwarding(&a.acc, self.day);
        let mut targets = BTreeSet::new();
        if let Some(s) = &fwd.smtp {
            targets.insert(normalize_target(s));
        }
        if let Some(c) = fwd.contact.and_then(|c| self.sc.contact(c)) {
            targets.insert(normalize_target(&c.external));
        }
        if let Some(name) = fwd.named {
            match self.resolve_named(name) {
                Ok(list) => targets.extend(list.iter().map(|t| normalize_target(t))),
                Err(()) => {
                    targets.insert(normalize_target(name));
                }
            }
        }
        for t in targets {
            self.count_target(&t);
            self.forward(format!("{}#boite>{}", a.upn, t), &t, true, a.pop, &a.acc);
        }
    }

    /// GEN-REG-01 for register rows naming accounts that do not exist.
    fn register_rows_without_account(&mut self, existing: &BTreeSet<String>) {
        let missing: BTreeSet<String> = self
            .register
            .keys()
            .filter(|k| !existing.contains(*k))
            .cloned()
            .collect();
        for m in missing {
            let pop = self.rules.population(&m);
            self.push("GEN-REG-01", m, "faible", pop);
        }
    }

    /// FWD-TRN-01: enabled transport rules copying or redirecting outside.
    fn transport_rules(&mut self) {
        for tr in self.sc.transport_rules(self.day) {
            if !tr.enabled {
                continue;
            }
            let targets: BTreeSet<String> = tr
                .redirect
                .iter()
                .chain(&tr.copy)
                .chain(&tr.bcc)
                .map(|a| normalize_target(a))
                .collect();
            for t in targets {
                let c = self.count_target(&t);
                if matches!(c, Target::Public | Target::External | Target::Partner) {
                    let subject = format!("transport:{}>{}", tr.name, t);
                    self.push("FWD-TRN-01", subject, "élevée", "tous");
                }
            }
        }
    }

    /// FWD-ORG-01: the tenant-level forwarding controls. The outbound layer allows when a
    /// policy that applies to someone says `On`: the default, or a custom one that an
    /// enabled rule applies.
    fn tenant_forwarding(&mut self) {
        let rules = self.sc.outbound_rules(self.day);
        let policy_on = self.sc.outbound_policies(self.day).iter().any(|p| {
            p.mode == "On"
                && (p.is_default || rules.iter().any(|r| r.enabled && r.policy == p.name))
        });
        let remote_on = self
            .sc
            .remote_domains(self.day)
            .iter()
            .any(|r| r.auto_forward);
        let severity = match (policy_on, remote_on) {
            (true, true) => "élevée",
            (true, false) | (false, true) => "moyenne",
            _ => return,
        };
        self.push("FWD-ORG-01", "locataire".into(), severity, "tous");
    }
}

impl Ctx<'_> {
    /// ENC-EXT-01: Office Message Encryption unavailable (Azure RMS licensing off); posture:
    /// the enabled rules that encrypt mail to external recipients (no target: scope
    /// `NotInOrganization`).
    fn enc_ext_01(&mut self) {
        self.posture.encrypting_rules = self
            .sc
            .transport_rules(self.day)
            .iter()
            .filter(|r| {
                r.enabled
                    && self.sc.applies_ome(r)
                    && r.redirect.is_empty()
                    && r.copy.is_empty()
                    && r.bcc.is_empty()
            })
            .count() as u64;
        if !self.sc.tenant_controls(self.day).azure_rms_licensing {
            self.push("ENC-EXT-01", "locataire".into(), "moyenne", "tous");
        }
    }

    /// LOG-AUD-01: unified audit log ingestion off, or mailbox auditing off.
    fn log_aud_01(&mut self) {
        let c = self.sc.tenant_controls(self.day);
        if !c.unified_audit_ingestion || c.audit_disabled {
            self.push("LOG-AUD-01", "locataire".into(), "élevée", "tous");
        }
    }
}

/// The register CSV (`;`, UTF-8, header `compte;site;utilisateur;arrivee;depart`).
pub(crate) fn register_csv(sc: &Scenario, day: i32) -> String {
    register_csv_where(sc, day, |_| true)
}

/// The register CSV with only the rows `keep` accepts (an establishment's own register in a
/// provincial tenant).
pub(crate) fn register_csv_where(
    sc: &Scenario,
    day: i32,
    keep: impl Fn(&RegisterRow) -> bool,
) -> String {
    let mut s = String::from("compte;site;utilisateur;arrivee;depart\n");
    for r in sc.register(day).into_iter().filter(|r| keep(r)) {
        s.push_str(&format!(
            "{};{};{};{};{}\n",
            r.compte,
            r.site,
            r.utilisateur,
            r.arrivee.format("%Y-%m-%d"),
            r.depart
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_normalise() {
        assert_eq!(normalize_target(" SMTP:Dr.X@Yahoo.CA "), "dr.x@yahoo.ca");
        assert_eq!(
            normalize_target("SMTP:dr.externe@clinique-étoile.ca"),
            "dr.externe@xn--clinique-toile-jkb.ca"
        );
        assert!(in_cidr("100.64.3.20", "100.64.3.0/24"));
        assert!(!in_cidr("100.64.4.20", "100.64.3.0/24"));
        assert!(in_cidr("2001:db8:3a::1", "2001:db8:3a::/48"));
        assert!(pattern_matches("*.gouv.qc.ca", "ti.msss.gouv.qc.ca"));
        assert!(!pattern_matches("*.gouv.qc.ca", "gouv.qc.ca"));
        assert_eq!(drop_one("critique"), "élevée");
        assert_eq!(drop_one("info"), "info");
    }

    #[test]
    fn public_patterns_take_one_label() {
        let sc = Scenario::new(
            1,
            300,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        );
        let r = Rules::new(&PrintedConfig::new(&sc));
        assert!(r.is_public("hotmail.fr"));
        assert!(r.is_public("gmail.com"));
        assert!(r.is_public("hotmail.co.uk"));
        assert!(r.is_public("videotron.qc.ca"));
        assert!(!r.is_public("hotmailer.com"));
        assert!(!r.is_public("hotmail.chum.qc.ca"));
        assert!(!r.is_public("consultants-sante.com"));
    }
}
