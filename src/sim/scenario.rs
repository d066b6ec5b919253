//! The simulated establishment: every account, group, policy, rule, mailbox setting and
//! sign-in is a pure function of (seed, index, day), computed on demand. Nothing is
//! materialised per account, so a 400,000-account tenant costs no more memory than a
//! 300-account one, and paging tokens only need to carry a position.
//!
//! Layout of the account index space: indices `0..SCRIPTED.len()` are hand-written
//! accounts that exercise each check of RULES.md (see the table in `truth.rs`); the rest
//! are "bulk" accounts whose role (staff, physician, tablet, « Appli », guest, shared
//! mailbox) and behaviour are drawn from the seed.
//!
//! Days: day 0 is `start_date`. A *sim day* `k` runs from `T_k` = date(k) 03:00
//! America/Montreal to `T_{k+1}`; the nightly run of day D happens at `as_of = T_{D+1}`.
//! Sign-ins of sim day k lie in `[T_k + 1 h, T_k + 22 h]`, never within an hour of a day
//! boundary, so "7 days" read as 168 h or as 7 local days select the same sign-ins.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::America::Montreal;

use super::hash::{self, Rng, d, h, kind, object_id, range, tag, unit};
use super::names::{self, App};

pub(crate) const TENANT_DOMAIN: &str = "cisss-troisrives.onmicrosoft.com";
pub(crate) const MAIL_DOMAIN: &str = "cisss-troisrives.mail.onmicrosoft.com";
pub(crate) const RSSS_DOMAIN: &str = "ssss.gouv.qc.ca";
pub(crate) const ORG_DOMAIN: &str = "cisss-troisrives.ca";
pub(crate) const PARTNER_DOMAIN: &str = "hopitalpartenaire.org";
pub(crate) const ESTABLISHMENT: &str = "CISSS des Trois-Rives (simulé)";

/// Smallest scenario: the scripted accounts plus some bulk.
pub const MIN_ACCOUNTS: u32 = 150;
/// Largest scenario (index space of object ids is 24 bits).
pub const MAX_ACCOUNTS: u32 = 4_000_000;

const NEVER: i32 = i32::MAX;
const ALWAYS: i32 = -100_000;

/// Account kinds (the scenario's intent; the ground truth classifies from the config).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Urgence,
    Tablet,
    GenericOther,
    Appli,
    Staff,
    Physician,
    Guest,
    Shared,
}

/// Keys of the scripted accounts. The index of an account is its position in `SCRIPTED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum S {
    Urgence01,
    Urgence02,
    TabVerdun1,
    TabVerdun2,
    TabVerdun3,
    TabLachine1,
    TabLachine2,
    TabLachine3,
    TabLachine4,
    TabStLaurent1,
    TabStLaurent2,
    TabStLaurent3,
    TabStLaurent4,
    TabLaSalle1,
    TabLaSalle2,
    TabLaSalle3,
    TabVerdun5,
    IpadDorval,
    SvcBilletterie,
    SvcTelesante1,
    SvcTelesante2,
    AppliPharmacie,
    SvcArchivage,
    JulieGagnon,
    LucBouchard,
    SophieRoy,
    MarcPelletier,
    GuestConsultant,
    CaronMed,
    IsabelleMorin,
    PierreGauthier,
    NathalieOuellet,
    EricLavoie,
    ChantalGirard,
    AlainFortin,
    GenevieveBelanger,
    SharedAccueilVerdun,
    SharedDossiersLachine,
    StephaneCote,
    MelaniePoirier,
    DanielMichaud,
    KarineLeblanc,
    SylvieTremblayMed,
    RobertGagne,
    MartineDube,
}

/// Domain of a scripted UPN.
#[derive(Clone, Copy)]
enum Dom {
    Tenant,
    Rsss,
}

pub(crate) struct Scripted {
    pub key: S,
    pub kind: Kind,
    display: &'static str,
    local: &'static str,
    dom: Dom,
    site: Option<usize>,
    etype: Option<&'static str>,
}

const fn sc(
    key: S,
    kind: Kind,
    display: &'static str,
    local: &'static str,
    dom: Dom,
    site: Option<usize>,
    etype: Option<&'static str>,
) -> Scripted {
    Scripted {
        key,
        kind,
        display,
        local,
        dom,
        site,
        etype,
    }
}

use Dom::{Rsss, Tenant};
use Kind::*;

pub(crate) const SCRIPTED: &[Scripted] = &[
    sc(
        S::Urgence01,
        Urgence,
        "Compte d'urgence 01",
        "urgence01",
        Tenant,
        None,
        None,
    ),
    sc(
        S::Urgence02,
        Urgence,
        "Compte d'urgence 02",
        "urgence02",
        Tenant,
        None,
        None,
    ),
    sc(
        S::TabVerdun1,
        Tablet,
        "Tablette 1 CHSLD de Verdun",
        "tablette1.verdun",
        Tenant,
        Some(0),
        None,
    ),
    sc(
        S::TabVerdun2,
        Tablet,
        "Tablette 2 CHSLD de Verdun",
        "tablette2.verdun",
        Tenant,
        Some(0),
        None,
    ),
    sc(
        S::TabVerdun3,
        Tablet,
        "Tablette 3 CHSLD de Verdun",
        "tablette3.verdun",
        Tenant,
        Some(0),
        None,
    ),
    sc(
        S::TabLachine1,
        Tablet,
        "Tablette 1 CHSLD de Lachine",
        "tablette1.lachine",
        Tenant,
        Some(1),
        None,
    ),
    sc(
        S::TabLachine2,
        Tablet,
        "Tablette 2 CHSLD de Lachine",
        "tablette2.lachine",
        Tenant,
        Some(1),
        None,
    ),
    sc(
        S::TabLachine3,
        Tablet,
        "Tablette 3 CHSLD de Lachine",
        "tablette3.lachine",
        Tenant,
        Some(1),
        Some("Appli"),
    ),
    sc(
        S::TabLachine4,
        Tablet,
        "Tablette 4 CHSLD de Lachine",
        "tablette4.lachine",
        Tenant,
        Some(1),
        None,
    ),
    sc(
        S::TabStLaurent1,
        Tablet,
        "Tablette 1 CHSLD de Saint-Laurent",
        "tablette1.saintlaurent",
        Tenant,
        Some(2),
        None,
    ),
    sc(
        S::TabStLaurent2,
        Tablet,
        "Tablette 2 CHSLD de Saint-Laurent",
        "tablette2.saintlaurent",
        Tenant,
        Some(2),
        None,
    ),
    sc(
        S::TabStLaurent3,
        Tablet,
        "Tablette 3 CHSLD de Saint-Laurent",
        "tablette3.saintlaurent",
        Tenant,
        Some(2),
        None,
    ),
    sc(
        S::TabStLaurent4,
        Tablet,
        "Tablette 4 CHSLD de Saint-Laurent",
        "tablette4.saintlaurent",
        Tenant,
        Some(2),
        None,
    ),
    sc(
        S::TabLaSalle1,
        Tablet,
        "Tablette 1 CHSLD de LaSalle",
        "tablette1.lasalle",
        Tenant,
        Some(3),
        None,
    ),
    sc(
        S::TabLaSalle2,
        Tablet,
        "Tablette 2 CHSLD de LaSalle",
        "tablette2.lasalle",
        Tenant,
        Some(3),
        None,
    ),
    sc(
        S::TabLaSalle3,
        Tablet,
        "Tablette 3 CHSLD de LaSalle",
        "tablette3.lasalle",
        Tenant,
        Some(3),
        None,
    ),
    sc(
        S::TabVerdun5,
        Tablet,
        "Tablette 5 CHSLD de Verdun",
        "tablette5.verdun",
        Tenant,
        Some(0),
        None,
    ),
    sc(
        S::IpadDorval,
        GenericOther,
        "iPad salle commune CHSLD de Dorval",
        "ipad.dorval",
        Tenant,
        Some(4),
        Some("Générique"),
    ),
    sc(
        S::SvcBilletterie,
        Appli,
        "Appli Billetterie",
        "svc-billetterie",
        Tenant,
        None,
        Some("Appli"),
    ),
    sc(
        S::SvcTelesante1,
        Appli,
        "Appli Télésanté iPad 1",
        "svc-telesante1",
        Tenant,
        None,
        Some("Appli"),
    ),
    sc(
        S::SvcTelesante2,
        Appli,
        "Appli Télésanté iPad 2",
        "svc-telesante2",
        Tenant,
        None,
        Some("Appli"),
    ),
    sc(
        S::AppliPharmacie,
        Appli,
        "Appli Pharmacie",
        "appli.pharmacie",
        Tenant,
        None,
        Some("Appli"),
    ),
    sc(
        S::SvcArchivage,
        Appli,
        "Archivage Appli",
        "svc-archivage",
        Tenant,
        None,
        Some("Appli"),
    ),
    sc(
        S::JulieGagnon,
        Staff,
        "Julie Gagnon-Lapierre",
        "julie.gagnon-lapierre",
        Rsss,
        Some(0),
        None,
    ),
    sc(
        S::LucBouchard,
        Staff,
        "Luc Bouchard-Hamel",
        "luc.bouchard-hamel",
        Rsss,
        Some(1),
        None,
    ),
    sc(
        S::SophieRoy,
        Staff,
        "Sophie Roy-Castonguay",
        "sophie.roy-castonguay",
        Rsss,
        None,
        None,
    ),
    sc(
        S::MarcPelletier,
        Staff,
        "Marc Pelletier-Dion",
        "marc.pelletier-dion",
        Rsss,
        None,
        None,
    ),
    sc(
        S::GuestConsultant,
        Guest,
        "Yves Lamarre (Groupe Conseil TRI)",
        "yves.lamarre_groupe-conseil-tri.ca#EXT#",
        Tenant,
        None,
        None,
    ),
    sc(
        S::CaronMed,
        Physician,
        "François Caron-Blais",
        "francois.caron-blais.med",
        Rsss,
        Some(1),
        None,
    ),
    sc(
        S::IsabelleMorin,
        Staff,
        "Isabelle Morin-Giguère",
        "isabelle.morin-giguere",
        Rsss,
        Some(0),
        None,
    ),
    sc(
        S::PierreGauthier,
        Staff,
        "Pierre Gauthier-Roy",
        "pierre.gauthier-roy",
        Rsss,
        Some(2),
        None,
    ),
    sc(
        S::NathalieOuellet,
        Staff,
        "Nathalie Ouellet-Fortin",
        "nathalie.ouellet-fortin",
        Rsss,
        None,
        None,
    ),
    sc(
        S::EricLavoie,
        Staff,
        "Éric Lavoie-Poulin",
        "eric.lavoie-poulin",
        Rsss,
        None,
        None,
    ),
    sc(
        S::ChantalGirard,
        Staff,
        "Chantal Girard-Moreau",
        "chantal.girard-moreau",
        Rsss,
        None,
        None,
    ),
    sc(
        S::AlainFortin,
        Staff,
        "Alain Fortin-Lemay",
        "alain.fortin-lemay",
        Rsss,
        Some(3),
        None,
    ),
    sc(
        S::GenevieveBelanger,
        Staff,
        "Geneviève Bélanger-Roy",
        "genevieve.belanger-roy",
        Rsss,
        None,
        None,
    ),
    sc(
        S::SharedAccueilVerdun,
        Shared,
        "Accueil CHSLD de Verdun",
        "accueil.verdun",
        Tenant,
        Some(0),
        None,
    ),
    sc(
        S::SharedDossiersLachine,
        Shared,
        "Dossiers patients Lachine",
        "dossiers.lachine",
        Tenant,
        Some(1),
        None,
    ),
    sc(
        S::StephaneCote,
        Staff,
        "Stéphane Côté-Néron",
        "stephane.cote-neron",
        Rsss,
        None,
        None,
    ),
    sc(
        S::MelaniePoirier,
        Staff,
        "Mélanie Poirier-Hudon",
        "melanie.poirier-hudon",
        Rsss,
        None,
        None,
    ),
    sc(
        S::DanielMichaud,
        Staff,
        "Daniel Michaud-Sauvé",
        "daniel.michaud-sauve",
        Rsss,
        None,
        None,
    ),
    sc(
        S::KarineLeblanc,
        Staff,
        "Karine Leblanc-Vigneault",
        "karine.leblanc-vigneault",
        Rsss,
        None,
        None,
    ),
    sc(
        S::SylvieTremblayMed,
        Physician,
        "Sylvie Tremblay-Houde",
        "sylvie.tremblay-houde.med",
        Rsss,
        Some(2),
        None,
    ),
    sc(
        S::RobertGagne,
        Staff,
        "Robert Gagné-Allard",
        "robert.gagne-allard",
        Rsss,
        None,
        None,
    ),
    sc(
        S::MartineDube,
        Staff,
        "Martine Dubé-Pilon",
        "martine.dube-pilon",
        Rsss,
        None,
        None,
    ),
];

pub(crate) fn idx(key: S) -> u32 {
    SCRIPTED.iter().position(|s| s.key == key).unwrap_or(0) as u32
}

fn scripted(i: u32) -> Option<&'static Scripted> {
    SCRIPTED.get(i as usize)
}

fn key(i: u32) -> Option<S> {
    scripted(i).map(|s| s.key)
}

/// A CHSLD site.
#[derive(Clone, Debug)]
pub(crate) struct Site {
    pub name: &'static str,
    pub slug: String,
    /// IPv4 /24 of the site's egress.
    pub cidr: String,
    /// Whether the printed config has a `[[generiques.sites]]` entry with this range.
    pub configured: bool,
}

impl Site {
    pub(crate) fn display(&self) -> String {
        format!("CHSLD de {}", self.name)
    }
    fn ip(&self, host: u32) -> String {
        let base = self.cidr.trim_end_matches(".0/24");
        format!("{}.{}", base, 10 + host % 200)
    }
}

/// One account as it is on a given day.
#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub index: u32,
    pub id: String,
    pub upn: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail: Option<String>,
    pub kind: Kind,
    pub site: Option<usize>,
    pub employee_type: Option<&'static str>,
    pub job_title: Option<&'static str>,
    pub department: Option<String>,
    pub enabled: bool,
    pub guest: bool,
    /// `None` renders as `null` (very old accounts, a Graph quirk).
    pub created: Option<DateTime<Utc>>,
    /// Day the account came into existence (`ALWAYS` when before the scenario).
    pub created_day: i32,
    pub last_password_change: DateTime<Utc>,
}

impl Account {
    pub(crate) fn has_mailbox(&self) -> bool {
        !self.guest
    }
    pub(crate) fn is_shared(&self) -> bool {
        self.kind == Kind::Shared
    }
}

/// A person of the register of generic accounts.
#[derive(Clone, Debug)]
pub(crate) struct RegisterRow {
    pub compte: String,
    pub site: String,
    pub utilisateur: String,
    pub arrivee: NaiveDate,
    pub depart: Option<NaiveDate>,
}

/// A recipient of an inbox rule action, spelled as the user typed it.
#[derive(Clone, Debug)]
pub(crate) struct Recipient {
    pub name: String,
    pub address: String,
}

#[derive(Clone, Debug)]
pub(crate) struct InboxRule {
    pub id: String,
    pub name: String,
    pub sequence: u32,
    pub enabled: bool,
    pub forward_to: Vec<Recipient>,
    pub forward_as_attachment_to: Vec<Recipient>,
    pub redirect_to: Vec<Recipient>,
    /// `redirectTo` rendered as one object instead of a list (documented both ways).
    pub redirect_as_object: bool,
    pub move_to_folder: bool,
    pub subject_contains: Option<String>,
}

impl InboxRule {
    pub(crate) fn targets(&self) -> impl Iterator<Item = &Recipient> {
        self.forward_to
            .iter()
            .chain(&self.forward_as_attachment_to)
            .chain(&self.redirect_to)
    }
}

/// Mailbox-level forwarding (Exchange).
#[derive(Clone, Debug, Default)]
pub(crate) struct MailboxForwarding {
    /// `ForwardingSmtpAddress` as Exchange shows it (`smtp:x@y`).
    pub smtp: Option<String>,
    /// `ForwardingAddress`: a mail contact, by index of the mailbox that owns it.
    pub contact: Option<u32>,
    pub deliver_and_forward: bool,
}

/// A mail contact (Get-MailContact).
#[derive(Clone, Debug)]
pub(crate) struct Contact {
    pub index: u32,
    pub name: String,
    pub external: String,
}

#[derive(Clone, Debug)]
pub(crate) struct TransportRule {
    pub guid: String,
    pub name: &'static str,
    pub enabled: bool,
    pub priority: u32,
    pub redirect: Vec<&'static str>,
    pub copy: Vec<&'static str>,
    pub bcc: Vec<&'static str>,
}

#[derive(Clone, Debug)]
pub(crate) struct RemoteDomain {
    pub name: &'static str,
    pub domain: &'static str,
    pub auto_forward: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct OutboundPolicy {
    pub name: &'static str,
    pub is_default: bool,
    pub mode: &'static str,
}

#[derive(Clone, Debug)]
pub(crate) struct AcceptedDomain {
    pub name: &'static str,
    pub domain: &'static str,
    pub initial: bool,
    pub default: bool,
}

/// Groups of the tenant.
pub(crate) const GROUPS: &[(&str, &str)] = &[
    (
        "CA-Exclusions-MFA",
        "Comptes exclus de la stratégie MFA générale",
    ),
    (
        "CA-Exclusions-MFA-Tablettes",
        "Tablettes exemptées (groupe imbriqué)",
    ),
    ("GRP-Tablettes-CHSLD", "Tablettes des CHSLD"),
    ("GRP-Personnel-Siège", "Personnel du siège social"),
];
pub(crate) const G_EXCL: usize = 0;
pub(crate) const G_EXCL_TAB: usize = 1;
pub(crate) const G_TAB: usize = 2;
pub(crate) const G_SIEGE: usize = 3;

/// Groups nested (as members) in a group.
pub(crate) fn nested_groups(g: usize) -> &'static [usize] {
    match g {
        G_EXCL => &[G_EXCL_TAB],
        _ => &[],
    }
}

/// Who a policy condition names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UserRef {
    All,
    User(u32),
}

#[derive(Clone, Debug)]
pub(crate) struct Policy {
    pub index: u32,
    pub name: &'static str,
    pub state: &'static str,
    pub include_users: Vec<UserRef>,
    pub exclude_users: Vec<u32>,
    pub include_groups: Vec<usize>,
    pub exclude_groups: Vec<usize>,
    pub include_apps: Vec<&'static str>,
    pub client_app_types: Vec<&'static str>,
    pub built_in: Vec<&'static str>,
    pub auth_strength: bool,
    pub exclude_trusted_locations: bool,
    pub created_day: i32,
    pub modified_day: i32,
}

impl Policy {
    /// The convention of the ground truth: enabled, MFA or an authentication strength,
    /// applications All or Office365.
    pub(crate) fn requires_mfa(&self) -> bool {
        self.state == "enabled"
            && (self.built_in.contains(&"mfa") || self.auth_strength)
            && self
                .include_apps
                .iter()
                .any(|a| *a == "All" || *a == "Office365")
    }
}

#[derive(Clone, Debug)]
pub(crate) struct NamedLocation {
    pub index: u32,
    pub name: &'static str,
    pub trusted: bool,
    /// IP ranges; empty for a country location.
    pub ranges: Vec<String>,
    pub countries: Vec<&'static str>,
    pub created_day: i32,
}

/// Device kinds of sign-ins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Device {
    IPad,
    Windows,
    IPhone,
    Android,
    Server,
}

/// One sign-in event.
#[derive(Clone, Debug)]
pub(crate) struct SignIn {
    pub user: u32,
    pub day: i32,
    pub seq: u32,
    pub time: DateTime<Utc>,
    pub app: App,
    pub interactive: bool,
    pub ip: String,
    pub browser: bool,
    pub single_factor: bool,
    pub error_code: u32,
    pub device: Device,
    pub site: Option<usize>,
}

impl SignIn {
    pub(crate) fn success(&self) -> bool {
        self.error_code == 0
    }
}

/// The scenario: a seed, a size and a start date.
#[derive(Clone, Debug)]
pub(crate) struct Scenario {
    pub seed: u64,
    pub accounts: u32,
    pub start: NaiveDate,
    pub tenant_id: String,
    pub client_id: String,
    pub sites: Vec<Site>,
}

fn local(date: NaiveDate, secs: i64) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    let t = midnight + Duration::seconds(secs);
    match Montreal.from_local_datetime(&t) {
        chrono::LocalResult::Single(x) => x.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(x, _) => x.with_timezone(&Utc),
        chrono::LocalResult::None => {
            (Montreal.from_utc_datetime(&t) + Duration::hours(5)).with_timezone(&Utc)
        }
    }
}

impl Scenario {
    pub(crate) fn new(seed: u64, accounts: u32, start: NaiveDate) -> Self {
        let accounts = accounts.clamp(MIN_ACCOUNTS, MAX_ACCOUNTS);
        let n_sites = ((accounts as usize) / 533).clamp(5, names::SITES.len());
        let sites = names::SITES[..n_sites]
            .iter()
            .enumerate()
            .map(|(s, name)| Site {
                name,
                slug: names::site_slug(name),
                cidr: format!("100.{}.{}.0/24", 64 + s / 256, s % 256),
                configured: s != 3 && !(s >= 5 && s % 4 == 3),
            })
            .collect();
        Scenario {
            seed,
            accounts,
            start,
            tenant_id: hash::object_id(seed, kind::TENANT, 1),
            client_id: hash::object_id(seed, kind::APP, 1),
            sites,
        }
    }

    // ----- time -----

    pub(crate) fn date(&self, day: i32) -> NaiveDate {
        self.start + Duration::days(day as i64)
    }

    /// `T_k`: start of sim day k (03:00 America/Montreal).
    pub(crate) fn day_start(&self, k: i32) -> DateTime<Utc> {
        local(self.date(k), 3 * 3600)
    }

    /// The nightly run of day D.
    pub(crate) fn as_of(&self, day: i32) -> DateTime<Utc> {
        self.day_start(day + 1)
    }

    /// Sim day containing an instant.
    pub(crate) fn day_of(&self, t: DateTime<Utc>) -> i32 {
        let local_t = t.with_timezone(&Montreal).naive_local() - Duration::hours(3);
        (local_t.date() - self.start).num_days() as i32
    }

    /// An instant on a day at a local time of day (seconds after midnight).
    pub(crate) fn at(&self, day: i32, secs: i64) -> DateTime<Utc> {
        local(self.date(day), secs)
    }

    // ----- roles -----

    fn n_sites(&self) -> u32 {
        self.sites.len() as u32
    }

    /// Kind of an index, without building the account.
    pub(crate) fn kind_of(&self, i: u32) -> Kind {
        if let Some(s) = scripted(i) {
            return s.kind;
        }
        let u = unit(h(self.seed, &[tag::ROLE, i as u64]));
        if u < 0.015 {
            Tablet
        } else if u < 0.02 {
            Appli
        } else if u < 0.05 {
            Guest
        } else if u < 0.065 {
            Shared
        } else if u < 0.19 {
            Physician
        } else {
            Staff
        }
    }

    /// (arrival day, leave day) of an index: exists from arrival, disabled from leave.
    fn lifecycle(&self, i: u32) -> (i32, i32) {
        if let Some(k) = key(i) {
            return match k {
                S::TabVerdun5 => (10, NEVER),
                S::TabLachine2 | S::MarcPelletier | S::GenevieveBelanger => (ALWAYS, -30),
                S::SharedAccueilVerdun | S::SharedDossiersLachine => (ALWAYS, ALWAYS),
                _ => (ALWAYS, NEVER),
            };
        }
        let s = h(self.seed, &[tag::STATUS, i as u64]);
        let a = unit(s);
        let day = range(s >> 20, 1, 364) as i32;
        match self.kind_of(i) {
            Staff | Physician => {
                if a < 0.04 {
                    (ALWAYS, -(range(s >> 24, 1, 500) as i32))
                } else if a < 0.07 {
                    (ALWAYS, day)
                } else if a < 0.08 {
                    (day, NEVER)
                } else {
                    (ALWAYS, NEVER)
                }
            }
            Tablet | GenericOther => {
                if a < 0.03 {
                    (ALWAYS, -(range(s >> 24, 1, 300) as i32))
                } else if a < 0.05 {
                    (day, NEVER)
                } else {
                    (ALWAYS, NEVER)
                }
            }
            Appli => {
                if a < 0.05 {
                    (ALWAYS, -5)
                } else {
                    (ALWAYS, NEVER)
                }
            }
            Guest => {
                if a < 0.1 {
                    (ALWAYS, -10)
                } else if a < 0.15 {
                    (day, NEVER)
                } else {
                    (ALWAYS, NEVER)
                }
            }
            Shared => (ALWAYS, ALWAYS),
            Urgence => (ALWAYS, NEVER),
        }
    }

    /// Whether index i exists on a day.
    pub(crate) fn exists(&self, i: u32, day: i32) -> bool {
        i < self.accounts && self.lifecycle(i).0 <= day
    }

    fn tablet_site_number(&self, i: u32) -> (usize, u32) {
        ((i % self.n_sites()) as usize, i / self.n_sites() + 10)
    }

    fn person_name(&self, i: u32) -> (&'static str, &'static str, u32) {
        let f = names::FIRST.len() as u64;
        let l = names::LAST.len() as u64;
        let fl = f * l;
        let j = ((i as u64 % fl) * 7919) % fl;
        (
            names::FIRST[(j % f) as usize],
            names::LAST[(j / f) as usize],
            (i as u64 / fl) as u32,
        )
    }

    /// The account at index i on a day, or `None` if it does not exist (yet).
    pub(crate) fn account(&self, i: u32, day: i32) -> Option<Account> {
        if !self.exists(i, day) {
            return None;
        }
        let (arrival, leave) = self.lifecycle(i);
        let kind = self.kind_of(i);
        let mut r = Rng::new(self.seed, &[tag::NAME, i as u64]);
        let id = object_id(self.seed, kind::USER, i);
        let mut site = None;
        let mut employee_type = None;
        let mut given = None;
        let mut surname = None;
        let mut job_title = None;
        let mut department = None;
        let (upn, display, mail);
        if let Some(s) = scripted(i) {
            let domain = match s.dom {
                Tenant => TENANT_DOMAIN,
                Rsss => RSSS_DOMAIN,
            };
            upn = format!("{}@{}", s.local, domain);
            display = s.display.to_string();
            site = s.site;
            employee_type = s.etype;
            mail = Some(match s.key {
                S::GuestConsultant => "yves.lamarre@groupe-conseil-tri.ca".to_string(),
                _ => upn.clone(),
            });
            if matches!(s.kind, Staff | Physician) {
                let mut parts = s.display.splitn(2, ' ');
                given = parts.next().map(str::to_string);
                surname = parts.next().map(str::to_string);
                job_title = Some(if s.kind == Physician {
                    "Médecin"
                } else {
                    "Infirmière clinicienne"
                });
            }
        } else {
            match kind {
                Tablet | GenericOther => {
                    let (s, n) = self.tablet_site_number(i);
                    let st = &self.sites[s];
                    site = Some(s);
                    display = format!("Tablette {} CHSLD de {}", n, st.name);
                    upn = format!("tablette{}.{}@{}", n, st.slug, TENANT_DOMAIN);
                    mail = Some(upn.clone());
                    department = Some(st.display());
                }
                Appli => {
                    let svc = r.pick(names::SERVICES);
                    display = format!("Appli {} {}", svc, i);
                    upn = format!("svc-{}-{}@{}", names::site_slug(svc), i, TENANT_DOMAIN);
                    mail = Some(upn.clone());
                    employee_type = Some("Appli");
                }
                Shared => {
                    let svc = r.pick(names::SERVICES);
                    let s = (i % self.n_sites()) as usize;
                    display = format!("Boîte partagée {} – {}", svc, self.sites[s].name);
                    upn = format!("bal.{}.{}@{}", names::site_slug(svc), i, TENANT_DOMAIN);
                    mail = Some(upn.clone());
                    site = Some(s);
                }
                Guest => {
                    let (f, l, n) = self.person_name(i);
                    let dom = r.pick(&[
                        "gmail.com",
                        PARTNER_DOMAIN,
                        "consultants-sante.com",
                        "outlook.com",
                        "umontreal.ca",
                    ]);
                    let local = format!(
                        "{}.{}{}",
                        names::ascii_slug(f),
                        names::ascii_slug(l),
                        suffix(n)
                    );
                    display = format!("{} {} (externe)", f, l);
                    upn = format!("{}_{}#EXT#@{}", local, dom, TENANT_DOMAIN);
                    mail = Some(format!("{}@{}", local, dom));
                    given = Some(f.to_string());
                    surname = Some(l.to_string());
                }
                _ => {
                    let (f, l, n) = self.person_name(i);
                    let med = if kind == Physician { ".med" } else { "" };
                    upn = format!(
                        "{}.{}{}{}@{}",
                        names::ascii_slug(f),
                        names::ascii_slug(l),
                        suffix(n),
                        med,
                        RSSS_DOMAIN
                    );
                    display = format!("{} {}", f, l);
                    mail = Some(upn.clone());
                    given = Some(f.to_string());
                    surname = Some(l.to_string());
                    job_title = Some(*r.pick(if kind == Physician {
                        &["Médecin", "Médecin résident", "Externe en médecine"][..]
                    } else {
                        &[
                            "Infirmière",
                            "Infirmière auxiliaire",
                            "Préposé aux bénéficiaires",
                            "Technicienne en administration",
                            "Agente administrative",
                            "Travailleuse sociale",
                            "Ergothérapeute",
                            "Conseiller en sécurité de l'information",
                        ][..]
                    }));
                    site = Some((r.next() % self.n_sites() as u64) as usize);
                }
            }
        }
        if department.is_none() {
            department = site.map(|s| self.sites[s].display());
        }
        let created_day = arrival.max(ALWAYS);
        let created = if arrival == ALWAYS {
            let c = h(self.seed, &[tag::CREATED, i as u64]);
            if i >= SCRIPTED.len() as u32 && unit(c) < 0.01 {
                None
            } else {
                Some(self.at(
                    -(range(c >> 8, 20, 3600) as i32),
                    range(c >> 30, 8 * 3600, 17 * 3600),
                ))
            }
        } else {
            Some(self.at(arrival, 9 * 3600 + (i % 3000) as i64))
        };
        let guest = kind == Guest;
        let enabled = leave > day && kind != Shared;
        let last_password_change = self.last_password_change(i, day, created_day);
        Some(Account {
            index: i,
            id,
            upn,
            display_name: display,
            given_name: given,
            surname,
            mail,
            kind,
            site,
            employee_type,
            job_title,
            department,
            enabled,
            guest,
            created,
            created_day,
            last_password_change,
        })
    }

    // ----- passwords and the register -----

    /// Password change events of a generic account (days), and its register rows.
    fn generic_history(&self, i: u32) -> (Vec<i32>, Vec<PersonRow>) {
        let p = |n: &str, a: i32, dep: Option<i32>| (n.to_string(), a, dep);
        if let Some(k) = key(i) {
            return match k {
                S::TabVerdun1 => (
                    vec![-42, 200],
                    vec![
                        p("Marie Côté", -610, Some(-47)),
                        p("Lucie Fortin", -46, None),
                    ],
                ),
                S::TabVerdun2 => (vec![-113, 150], vec![p("Paul Gagnon", -306, None)]),
                S::TabVerdun3 => (vec![-31], vec![p("Nicole Roy", -214, None)]),
                S::TabLachine1 => (
                    vec![-88, 14],
                    vec![
                        p("Jean Lévesque", -334, Some(8)),
                        p("Anne Paquette", -334, None),
                    ],
                ),
                S::TabLachine2 => (vec![-120], vec![p("Claude Simard", -1087, Some(-123))]),
                S::TabLachine3 => (vec![-73], vec![p("Hélène Morin", -457, None)]),
                S::TabLachine4 => (vec![-17], vec![]),
                S::TabStLaurent1 => (vec![-61], vec![p("Guy Bolduc", -351, None)]),
                S::TabStLaurent2 => (
                    vec![-214, 45],
                    vec![
                        p("Nadia Bergeron", -700, Some(-22)),
                        p("Marc Dion", -21, None),
                    ],
                ),
                S::TabStLaurent3 => (vec![-12], vec![p("Julie Houle", -275, None)]),
                S::TabStLaurent4 => (vec![-10], vec![p("Sarah Cyr", -241, None)]),
                S::TabLaSalle1 => (vec![-83], vec![p("René Proulx", -365, None)]),
                S::TabLaSalle2 => (vec![-51], vec![p("Ginette Dufour", -304, None)]),
                S::TabLaSalle3 => (vec![-407, 60], vec![p("Yvon Perron", -976, None)]),
                S::TabVerdun5 => (vec![10], vec![p("Émilie Roy", 16, None)]),
                S::IpadDorval => (vec![-114], vec![p("Louise Blais", -346, None)]),
                _ => (vec![], vec![]),
            };
        }
        let mut r = Rng::new(self.seed, &[tag::REGISTER, i as u64]);
        let (arrival, _) = self.lifecycle(i);
        let first = if arrival == ALWAYS {
            -(r.range(60, 900) as i32)
        } else {
            arrival
        };
        let mut rows = Vec::new();
        if r.unit() >= 0.04 {
            let np = r.range(1, 4);
            for _ in 0..np {
                let (f, l, _) = self.person_name(r.next() as u32 % 100_000);
                let arr = if arrival == ALWAYS {
                    first - r.range(0, 400) as i32
                } else {
                    arrival + r.range(0, 8) as i32
                };
                let u = r.unit();
                let dep = if u < 0.35 {
                    let lo = (arr + 30).min(-2);
                    Some(r.range(lo as i64, -2) as i32)
                } else if u < 0.5 {
                    Some(r.range((arr + 10).max(1) as i64, 360) as i32)
                } else {
                    None
                };
                rows.push((format!("{} {}", f, l), arr, dep));
            }
        }
        // Password events: at creation, periodic, and (usually) a few days after departures.
        let period = r.range(150, 420) as i32;
        let mut events = vec![first];
        let mut e = first + period;
        while e < 400 {
            events.push(e);
            e += period;
        }
        let deps: Vec<i32> = rows.iter().filter_map(|r| r.2).collect();
        for ev in events.iter_mut() {
            if deps.iter().any(|dp| (*ev - dp).abs() <= 1) {
                *ev += 3;
            }
        }
        for dp in &deps {
            if r.unit() < 0.8 {
                events.push(dp + r.range(2, 20) as i32);
            }
        }
        (events, rows)
    }

    fn last_password_change(&self, i: u32, day: i32, created_day: i32) -> DateTime<Utc> {
        let t = h(self.seed, &[tag::PWD, i as u64]);
        let secs = range(t >> 40, 10 * 3600, 16 * 3600);
        let k = self.kind_of(i);
        let ev_day = if matches!(k, Tablet | GenericOther) {
            let (events, _) = self.generic_history(i);
            events
                .into_iter()
                .filter(|e| *e <= day)
                .max()
                .unwrap_or(created_day.max(-2000))
        } else {
            let period = range(t, 90, 400) as i32;
            let phase = -(range(t >> 16, 1, period as i64) as i32);
            let start = if created_day == ALWAYS {
                phase
            } else {
                created_day
            };
            if day < start {
                start
            } else {
                start + ((day - start) / period) * period
            }
        };
        self.at(ev_day, secs)
    }

    /// The register of generic accounts as it stands on a day (arrivals and departures up to
    /// that date), sorted.
    pub(crate) fn register(&self, day: i32) -> Vec<RegisterRow> {
        let mut out = Vec::new();
        for i in 0..self.accounts {
            if !matches!(self.kind_of(i), Tablet | GenericOther) {
                continue;
            }
            // Rows exist for accounts created by now (and for decommissioned ones).
            if self.lifecycle(i).0 > day {
                continue;
            }
            let acc = match self.account(i, day) {
                Some(a) => a,
                None => continue,
            };
            let (_, rows) = self.generic_history(i);
            let site = acc
                .site
                .map(|s| self.sites[s].display())
                .unwrap_or_default();
            let compte = if key(i) == Some(S::TabVerdun1) {
                "Tablette1.Verdun@cisss-troisrives.onmicrosoft.com".to_string()
            } else {
                acc.upn.clone()
            };
            for (who, arr, dep) in rows {
                if arr > day {
                    continue;
                }
                out.push(RegisterRow {
                    compte: compte.clone(),
                    site: site.clone(),
                    utilisateur: who,
                    arrivee: self.date(arr),
                    depart: dep.filter(|dp| *dp <= day).map(|dp| self.date(dp)),
                });
            }
        }
        // A row for an account that does not exist in the tenant.
        out.push(RegisterRow {
            compte: format!("tablette9.verdun@{}", TENANT_DOMAIN),
            site: "CHSLD de Verdun".to_string(),
            utilisateur: "Pierre Lavoie".to_string(),
            arrivee: self.date(-731),
            depart: Some(self.date(-185)),
        });
        out
    }

    // ----- MFA registration -----

    /// Day from which the account has registered MFA methods.
    fn mfa_day(&self, i: u32) -> i32 {
        if let Some(k) = key(i) {
            return match k {
                S::TabVerdun3 => 15,
                S::TabLachine2 | S::TabLachine3 => NEVER,
                S::TabVerdun5 => 11,
                S::SvcBilletterie | S::SvcTelesante1 | S::SvcTelesante2 | S::AppliPharmacie => {
                    NEVER
                }
                S::SvcArchivage | S::GuestConsultant => NEVER,
                S::SharedAccueilVerdun | S::SharedDossiersLachine => NEVER,
                S::JulieGagnon => NEVER,
                _ => ALWAYS,
            };
        }
        let m = h(self.seed, &[tag::MFA, i as u64]);
        let u = unit(m);
        let (arrival, _) = self.lifecycle(i);
        let in_year = if arrival == ALWAYS {
            range(m >> 20, 1, 300) as i32
        } else {
            arrival + range(m >> 20, 1, 14) as i32
        };
        let (before, during) = match self.kind_of(i) {
            Tablet | GenericOther => (0.88, 0.95),
            Staff | Physician => (0.93, 0.98),
            Appli => (0.1, 0.1),
            Urgence => (1.0, 1.0),
            Guest | Shared => (0.0, 0.0),
        };
        if u < before && arrival == ALWAYS {
            ALWAYS
        } else if u < during {
            in_year
        } else {
            NEVER
        }
    }

    /// MFA registration row of an account on a day: `None` when the report does not list it
    /// (disabled accounts, accounts created that day).
    pub(crate) fn registration(&self, acc: &Account, day: i32) -> Option<Registration> {
        if !acc.enabled || acc.created_day >= day {
            return None;
        }
        let i = acc.index;
        let m = h(self.seed, &[tag::MFA, i as u64, 7]);
        let md = self.mfa_day(i);
        let registered = md <= day;
        let methods: Vec<&'static str> = if registered {
            match acc.kind {
                Urgence => vec!["fido2"],
                Tablet | GenericOther => {
                    if m.is_multiple_of(4) {
                        vec!["mobilePhone"]
                    } else {
                        vec!["microsoftAuthenticatorPush"]
                    }
                }
                _ => match m % 5 {
                    0 => vec!["mobilePhone"],
                    1 => vec!["microsoftAuthenticatorPush", "softwareOneTimePasscode"],
                    _ => vec!["microsoftAuthenticatorPush", "mobilePhone"],
                },
            }
        } else if m.is_multiple_of(3) && !acc.guest {
            vec!["email"]
        } else {
            vec![]
        };
        // SMS-only registrations are not MFA capable when the tenant disabled SMS for them.
        let capable = registered && !(methods == ["mobilePhone"] && (m >> 8).is_multiple_of(3));
        let updated_day = if md > day || md == ALWAYS {
            acc.created_day.max(-400)
        } else {
            md
        };
        Some(Registration {
            registered,
            capable,
            methods,
            updated: self.at(updated_day, 12 * 3600 + (m >> 40) as i64 % 3600),
            admin: acc.kind == Urgence,
        })
    }

    // ----- groups and conditional access -----

    /// Direct membership of a user in a group on a day.
    pub(crate) fn member_direct(&self, g: usize, i: u32, day: i32) -> bool {
        if let Some(k) = key(i) {
            return match g {
                G_EXCL => match k {
                    S::SvcBilletterie
                    | S::AppliPharmacie
                    | S::SvcArchivage
                    | S::TabLachine3
                    | S::GuestConsultant => true,
                    S::LucBouchard => day <= 40,
                    _ => false,
                },
                G_EXCL_TAB => match k {
                    S::TabStLaurent1 => true,
                    S::TabVerdun2 => (12..25).contains(&day),
                    _ => false,
                },
                G_TAB => {
                    matches!(scripted(i).map(|s| s.kind), Some(Tablet | GenericOther))
                        && k != S::TabStLaurent4
                }
                G_SIEGE => k == S::SophieRoy,
                _ => false,
            };
        }
        let x = unit(h(self.seed, &[tag::GROUP, i as u64, g as u64]));
        match (g, self.kind_of(i)) {
            (G_EXCL, Appli) => x < 0.8,
            (G_EXCL_TAB, Tablet) => x < 0.02,
            (G_TAB, Tablet | GenericOther) => true,
            (G_SIEGE, Staff) => x < 0.05,
            _ => false,
        }
    }

    /// Transitive membership (nested groups resolved).
    pub(crate) fn member(&self, g: usize, i: u32, day: i32) -> bool {
        self.member_direct(g, i, day) || nested_groups(g).iter().any(|n| self.member(*n, i, day))
    }

    pub(crate) fn policies(&self, day: i32) -> Vec<Policy> {
        let u = idx;
        let base = |index: u32, name: &'static str| Policy {
            index,
            name,
            state: "enabled",
            include_users: vec![UserRef::All],
            exclude_users: vec![],
            include_groups: vec![],
            exclude_groups: vec![],
            include_apps: vec!["All"],
            client_app_types: vec!["all"],
            built_in: vec!["mfa"],
            auth_strength: false,
            exclude_trusted_locations: false,
            created_day: -700 + index as i32 * 31,
            modified_day: -60 + index as i32 * 3,
        };
        let mut out = Vec::new();
        let mut p = base(0, "CA001 - Exiger la MFA pour tous les utilisateurs");
        p.exclude_users = vec![
            u(S::Urgence01),
            u(S::Urgence02),
            u(S::TabStLaurent3),
            u(S::TabStLaurent4),
            u(S::JulieGagnon),
            u(S::SophieRoy),
            u(S::MarcPelletier),
        ];
        p.exclude_groups = vec![G_EXCL];
        out.push(p);
        let mut p = base(1, "CA002 - MFA pour les tablettes des CHSLD (Office 365)");
        p.include_users = vec![];
        p.include_groups = vec![G_TAB];
        p.exclude_groups = vec![G_EXCL];
        p.include_apps = vec!["Office365"];
        p.built_in = vec![];
        p.auth_strength = true;
        out.push(p);
        let mut p = base(2, "CA003 - Bloquer l'authentification héritée");
        p.exclude_users = vec![u(S::Urgence01)];
        p.client_app_types = vec!["exchangeActiveSync", "other"];
        p.built_in = vec!["block"];
        out.push(p);
        let mut p = base(
            3,
            "CA004 - MFA hors des emplacements de confiance (rapport seulement)",
        );
        p.state = "enabledForReportingButNotEnforced";
        p.exclude_users = vec![u(S::Urgence01), u(S::Urgence02)];
        p.exclude_groups = vec![G_EXCL];
        p.exclude_trusted_locations = true;
        out.push(p);
        if day < 50 {
            let mut p = base(4, "CA005 - Ancienne stratégie MFA des médecins");
            p.state = "disabled";
            out.push(p);
        }
        let mut p = base(5, "CA006 - Appareils conformes pour les tablettes");
        p.include_users = vec![];
        p.include_groups = vec![G_TAB];
        p.built_in = vec!["compliantDevice"];
        out.push(p);
        let mut p = base(6, "CA007 - MFA pour le personnel du siège");
        p.include_users = vec![];
        p.include_groups = vec![G_SIEGE];
        out.push(p);
        out
    }

    /// Whether a policy applies to a user (included and not excluded, groups transitive).
    pub(crate) fn policy_applies(&self, p: &Policy, i: u32, day: i32) -> bool {
        let included = p
            .include_users
            .iter()
            .any(|r| *r == UserRef::All || *r == UserRef::User(i))
            || p.include_groups.iter().any(|g| self.member(*g, i, day));
        included && !self.policy_excludes(p, i, day)
    }

    pub(crate) fn policy_excludes(&self, p: &Policy, i: u32, day: i32) -> bool {
        p.exclude_users.contains(&i) || p.exclude_groups.iter().any(|g| self.member(*g, i, day))
    }

    /// Whether some MFA-requiring policy applies to the user.
    pub(crate) fn mfa_covered(&self, policies: &[Policy], i: u32, day: i32) -> bool {
        policies
            .iter()
            .any(|p| p.requires_mfa() && self.policy_applies(p, i, day))
    }

    pub(crate) fn named_locations(&self, day: i32) -> Vec<NamedLocation> {
        let mut out = vec![
            NamedLocation {
                index: 0,
                name: "Réseau invité des CHSLD",
                trusted: false,
                ranges: vec!["100.96.0.0/16".to_string()],
                countries: vec![],
                created_day: -400,
            },
            NamedLocation {
                index: 1,
                name: "Canada",
                trusted: false,
                ranges: vec![],
                countries: vec!["CA"],
                created_day: -380,
            },
        ];
        if day >= 20 {
            let mut ranges: Vec<String> = self
                .sites
                .iter()
                .filter(|s| !s.configured)
                .map(|s| s.cidr.clone())
                .collect();
            ranges.push("100.127.255.0/24".to_string());
            ranges.push("2001:db8:3a::/48".to_string());
            out.push(NamedLocation {
                index: 2,
                name: "Sites CHSLD sans MDM et siège social (confiance)",
                trusted: true,
                ranges,
                countries: vec![],
                created_day: 20,
            });
        }
        out
    }

    // ----- mail -----

    fn rule_id(&self, i: u32, slot: u64) -> String {
        let x = h(self.seed, &[tag::RULE, i as u64, slot, 99]);
        let mut bytes = [0u8; 12];
        bytes[..4].copy_from_slice(&[1, 0, 0, 0]);
        bytes[4..].copy_from_slice(&x.to_le_bytes());
        let mut s = hash::b64url(&bytes);
        s = s.replace('-', "+").replace('_', "/");
        s.push('=');
        s
    }

    fn rcpt(address: &str) -> Recipient {
        let name = address
            .trim()
            .trim_start_matches("smtp:")
            .split('@')
            .next()
            .unwrap_or("")
            .to_string();
        Recipient {
            name,
            address: address.to_string(),
        }
    }

    /// Inbox rules of a mailbox on a day.
    pub(crate) fn inbox_rules(&self, acc: &Account, day: i32) -> Vec<InboxRule> {
        if !acc.has_mailbox() {
            return vec![];
        }
        let i = acc.index;
        let rule = |slot: u64, name: &str| InboxRule {
            id: self.rule_id(i, slot),
            name: name.to_string(),
            sequence: slot as u32 + 1,
            enabled: true,
            forward_to: vec![],
            forward_as_attachment_to: vec![],
            redirect_to: vec![],
            redirect_as_object: false,
            move_to_folder: false,
            subject_contains: None,
        };
        let r = Self::rcpt;
        if let Some(k) = key(i) {
            let mut out = Vec::new();
            match k {
                S::CaronMed => {
                    let mut x = rule(0, "Copie vers mon courriel personnel");
                    x.forward_as_attachment_to = vec![r(" Dr.Caron@yahoo.ca ")];
                    out.push(x);
                }
                S::IsabelleMorin => {
                    let mut x = rule(0, "Transfert");
                    x.forward_to = vec![r("Isabelle.Morin1979@gmail.com")];
                    out.push(x);
                }
                S::PierreGauthier => {
                    let mut x = rule(0, "Redirection maison");
                    x.redirect_to = vec![r("pgauthier@HOTMAIL.COM")];
                    x.redirect_as_object = true;
                    out.push(x);
                }
                S::NathalieOuellet => {
                    let mut x = rule(0, "Suivi mandat externe");
                    x.forward_to = vec![r("smtp:n.ouellet@consultants-sante.com")];
                    out.push(x);
                }
                S::EricLavoie => {
                    let mut x = rule(0, "Garde partagée avec l'hôpital partenaire");
                    x.forward_to = vec![r("eric.lavoie@hopitalpartenaire.org")];
                    out.push(x);
                }
                S::ChantalGirard => {
                    let mut x = rule(0, "Copies internes");
                    x.forward_to = vec![
                        r("c.girard@ssss.gouv.qc.ca"),
                        r("archives@dossiers.cisss-troisrives.ca"),
                        r("chantal@ti.msss.gouv.qc.ca"),
                    ];
                    out.push(x);
                }
                S::AlainFortin => {
                    let mut x = rule(0, "Vacances (désactivée)");
                    x.enabled = false;
                    x.forward_to = vec![r("alain.fortin@gmail.com")];
                    out.push(x);
                }
                S::GenevieveBelanger => {
                    let mut x = rule(0, "Tout envoyer chez moi");
                    x.forward_to = vec![r("gbelanger@outlook.fr")];
                    out.push(x);
                }
                S::StephaneCote if (5..20).contains(&day) => {
                    let mut x = rule(0, "Transfert temporaire");
                    x.forward_to = vec![r("s.cote.perso@gmail.com")];
                    out.push(x);
                }
                S::MelaniePoirier => {
                    let mut x = rule(0, "Double envoi");
                    x.forward_to = vec![r("MPoirier@Gmail.com")];
                    x.redirect_to = vec![r("mpoirier@gmail.com")];
                    out.push(x);
                }
                S::DanielMichaud => {
                    let mut x = rule(0, "Redirections");
                    x.redirect_to = vec![
                        r(" d.michaud@icloud.com "),
                        r("daniel.michaud@ssss.gouv.qc.ca"),
                    ];
                    out.push(x);
                }
                S::KarineLeblanc => {
                    let mut x = rule(0, "Infolettres");
                    x.move_to_folder = true;
                    x.subject_contains = Some("Infolettre".into());
                    out.push(x);
                    let mut x = rule(1, "Rappels");
                    x.move_to_folder = true;
                    x.subject_contains = Some("Rappel".into());
                    out.push(x);
                }
                _ => {}
            }
            return out;
        }
        let x = h(self.seed, &[tag::RULE, i as u64]);
        let u = unit(x);
        let mut out = Vec::new();
        if u < 0.04 {
            let mut y = rule(0, "Classer les infolettres");
            y.move_to_folder = true;
            y.subject_contains = Some("Infolettre".into());
            out.push(y);
        }
        let f = unit(h(self.seed, &[tag::RULE, i as u64, 1]));
        if f < 0.006 {
            let mut rr = Rng::new(self.seed, &[tag::RULE, i as u64, 2]);
            let from = rr.range(-200, 300) as i32;
            let to = from + rr.range(10, 400) as i32;
            if (from..to).contains(&day) {
                let address = self.bulk_target(acc, &mut rr);
                let mut y = rule(1, "Transfert automatique");
                y.enabled = rr.unit() < 0.85;
                let a = rr.unit();
                if a < 0.6 {
                    y.forward_to = vec![r(&address)];
                } else if a < 0.85 {
                    y.redirect_to = vec![r(&address)];
                    y.redirect_as_object = rr.unit() < 0.5;
                } else {
                    y.forward_as_attachment_to = vec![r(&address)];
                }
                out.push(y);
            }
        }
        out
    }

    /// A forwarding target with Microsoft's spelling quirks.
    fn bulk_target(&self, acc: &Account, rr: &mut Rng) -> String {
        let local = acc
            .upn
            .split('@')
            .next()
            .unwrap_or("x")
            .replace(".med", "")
            .to_string();
        let c = rr.unit();
        let domain = if c < 0.5 {
            rr.pick(names::PUBLIC_TARGETS).to_string()
        } else if c < 0.7 {
            rr.pick(names::EXTERNAL_TARGETS).to_string()
        } else if c < 0.8 {
            PARTNER_DOMAIN.to_string()
        } else {
            rr.pick(&[RSSS_DOMAIN, ORG_DOMAIN, "ti.msss.gouv.qc.ca"])
                .to_string()
        };
        let mut address = format!("{}@{}", local, domain);
        let q = rr.unit();
        if q < 0.2 {
            address = format!("{}@{}", local, domain.to_uppercase());
        } else if q < 0.3 {
            address = format!(" {} ", address);
        } else if q < 0.4 {
            address = format!("smtp:{}", address);
        }
        address
    }

    /// Mailbox-level forwarding on a day.
    pub(crate) fn mailbox_forwarding(&self, acc: &Account, day: i32) -> MailboxForwarding {
        let mut out = MailboxForwarding::default();
        if !acc.has_mailbox() {
            return out;
        }
        let i = acc.index;
        if let Some(k) = key(i) {
            match k {
                S::TabLachine2 => {
                    out.smtp = Some("smtp:tablette2.lachine@gmail.com".into());
                }
                S::SharedAccueilVerdun => {
                    out.smtp = Some("SMTP:accueil.verdun@Videotron.ca".into());
                    out.deliver_and_forward = true;
                }
                S::SharedDossiersLachine => out.contact = Some(i),
                S::SylvieTremblayMed if day >= 15 => {
                    out.smtp = Some("smtp:sylvie.tremblay@protonmail.com".into());
                }
                S::RobertGagne => {
                    out.smtp = Some("smtp:robert.gagne@hopitalpartenaire.org".into());
                    out.deliver_and_forward = true;
                }
                S::MartineDube => {
                    out.smtp = Some("smtp:martine.dube@cisss-troisrives.ca".into());
                }
                _ => {}
            }
            return out;
        }
        let x = unit(h(self.seed, &[tag::FWD, i as u64]));
        if x < 0.003 {
            let mut rr = Rng::new(self.seed, &[tag::FWD, i as u64, 1]);
            let from = rr.range(-200, 300) as i32;
            let to = from + rr.range(10, 400) as i32;
            if (from..to).contains(&day) {
                let t = self.bulk_target(acc, &mut rr);
                out.smtp = Some(format!("smtp:{}", t.trim().trim_start_matches("smtp:")));
                out.deliver_and_forward = rr.unit() < 0.5;
            }
        } else if x < 0.004 {
            out.contact = Some(i);
            out.deliver_and_forward = true;
        }
        out
    }

    /// The mail contact owned by mailbox index i (used as its `ForwardingAddress`).
    pub(crate) fn contact(&self, i: u32) -> Option<Contact> {
        if key(i) == Some(S::SharedDossiersLachine) {
            return Some(Contact {
                index: i,
                name: "Dr Externe (clinique Étoile)".into(),
                external: "SMTP:dr.externe@clinique-étoile.ca".into(),
            });
        }
        if i < SCRIPTED.len() as u32 || i >= self.accounts {
            return None;
        }
        let x = unit(h(self.seed, &[tag::FWD, i as u64]));
        if !(0.003..0.004).contains(&x) || self.kind_of(i) == Guest {
            return None;
        }
        let (f, l, _) = self.person_name(i);
        let mut rr = Rng::new(self.seed, &[tag::FWD, i as u64, 3]);
        let dom = if rr.unit() < 0.6 {
            rr.pick(names::PUBLIC_TARGETS)
        } else {
            rr.pick(names::EXTERNAL_TARGETS)
        };
        Some(Contact {
            index: i,
            name: format!("{} {} (contact {})", f, l, i),
            external: format!(
                "SMTP:{}.{}@{}",
                names::ascii_slug(f),
                names::ascii_slug(l),
                dom
            ),
        })
    }

    pub(crate) fn transport_rules(&self, day: i32) -> Vec<TransportRule> {
        let g = |n: u32| object_id(self.seed, kind::POLICY, 100 + n);
        let mut out = vec![
            TransportRule {
                guid: g(0),
                name: "Copie cachée du comité vers le consultant",
                enabled: true,
                priority: 0,
                redirect: vec![],
                copy: vec![],
                bcc: vec!["audit@consultants-sante.com"],
            },
            TransportRule {
                guid: g(1),
                name: "Journalisation externe (désactivée)",
                enabled: false,
                priority: 1,
                redirect: vec![],
                copy: vec!["archive.cisss@gmail.com"],
                bcc: vec![],
            },
            TransportRule {
                guid: g(2),
                name: "Redirection vers l'archivage interne",
                enabled: true,
                priority: 2,
                redirect: vec!["archives@dossiers.cisss-troisrives.ca"],
                copy: vec![],
                bcc: vec![],
            },
            TransportRule {
                guid: g(3),
                name: "Avertissement courriel externe",
                enabled: true,
                priority: 3,
                redirect: vec![],
                copy: vec![],
                bcc: vec![],
            },
        ];
        if (40..80).contains(&day) {
            out.push(TransportRule {
                guid: g(4),
                name: "Copie de la direction vers une messagerie personnelle",
                enabled: true,
                priority: 4,
                redirect: vec![],
                copy: vec!["Direction.Adjointe@GMAIL.com"],
                bcc: vec![],
            });
        }
        out
    }

    pub(crate) fn remote_domains(&self, day: i32) -> Vec<RemoteDomain> {
        vec![
            RemoteDomain {
                name: "Default",
                domain: "*",
                auto_forward: day < 60,
            },
            RemoteDomain {
                name: "Hôpital partenaire",
                domain: PARTNER_DOMAIN,
                auto_forward: day < 150,
            },
            RemoteDomain {
                name: "Hotmail",
                domain: "hotmail.com",
                auto_forward: false,
            },
        ]
    }

    pub(crate) fn outbound_policies(&self, day: i32) -> Vec<OutboundPolicy> {
        let mode = if day < 10 {
            "Automatic"
        } else if day < 45 {
            "On"
        } else if day < 200 {
            "Off"
        } else {
            "Automatic"
        };
        vec![
            OutboundPolicy {
                name: "Default",
                is_default: true,
                mode,
            },
            OutboundPolicy {
                name: "Direction - transfert autorisé",
                is_default: false,
                mode: "On",
            },
        ]
    }

    pub(crate) fn accepted_domains(&self) -> Vec<AcceptedDomain> {
        vec![
            AcceptedDomain {
                name: "ssss.gouv.qc.ca",
                domain: RSSS_DOMAIN,
                initial: false,
                default: true,
            },
            AcceptedDomain {
                name: "cisss-troisrives.ca",
                domain: ORG_DOMAIN,
                initial: false,
                default: false,
            },
            AcceptedDomain {
                name: TENANT_DOMAIN,
                domain: TENANT_DOMAIN,
                initial: true,
                default: false,
            },
            AcceptedDomain {
                name: MAIL_DOMAIN,
                domain: MAIL_DOMAIN,
                initial: false,
                default: false,
            },
        ]
    }

    // ----- sign-ins -----

    /// Sign-ins of account i during sim day k, unsorted.
    pub(crate) fn sign_ins(&self, i: u32, k: i32, policies: &[Policy]) -> Vec<SignIn> {
        let acc = match self.account(i, k) {
            Some(a) => a,
            None => return vec![],
        };
        let mut out = Vec::new();
        let mut r = Rng::new(self.seed, &[tag::SIGNIN, i as u64, d(k)]);
        let sk = key(i);
        let t0 = self.day_start(k);
        let site_ip = |host: u32| {
            acc.site
                .map(|s| self.sites[s].ip(host))
                .unwrap_or_else(|| format!("100.127.255.{}", 10 + host % 200))
        };
        let outside = |r: &mut Rng| {
            if r.unit() < 0.5 {
                format!("198.51.100.{}", r.range(2, 250))
            } else {
                format!("203.0.113.{}", r.range(2, 250))
            }
        };
        let mut push = |r: &mut Rng,
                        app: App,
                        interactive: bool,
                        ip: String,
                        device: Device,
                        single: bool,
                        err: u32,
                        browser: bool| {
            let secs = r.range(3600, 22 * 3600);
            let seq = out.len() as u32;
            out.push(SignIn {
                user: i,
                day: k,
                seq,
                time: t0 + Duration::seconds(secs),
                app,
                interactive,
                ip,
                browser,
                single_factor: single,
                error_code: err,
                device,
                site: acc.site,
            });
        };
        if !acc.enabled {
            if acc.kind != Shared && r.unit() < 0.1 {
                let ip = outside(&mut r);
                push(
                    &mut r,
                    names::OFFICE_HOME,
                    true,
                    ip,
                    Device::Windows,
                    true,
                    50057,
                    true,
                );
            }
            return out;
        }
        let covered = self.mfa_covered(policies, i, k);
        let single = !covered;
        let weekend = matches!(self.date(k).format("%u").to_string().as_str(), "6" | "7");
        match acc.kind {
            Tablet | GenericOther => {
                let host = i;
                for _ in 0..r.range(2, 6) {
                    push(
                        &mut r,
                        names::TEAMS,
                        true,
                        site_ip(host),
                        Device::IPad,
                        single,
                        0,
                        false,
                    );
                }
                for _ in 0..r.range(2, 5) {
                    let app = if r.unit() < 0.6 {
                        names::TEAMS
                    } else {
                        names::BROKER
                    };
                    push(
                        &mut r,
                        app,
                        false,
                        site_ip(host),
                        Device::IPad,
                        single,
                        0,
                        false,
                    );
                }
                match sk {
                    Some(S::TabVerdun1) => {
                        push(
                            &mut r,
                            names::OFFICE_HOME,
                            true,
                            site_ip(host),
                            Device::IPad,
                            single,
                            53003,
                            true,
                        );
                    }
                    Some(S::TabVerdun2) => {
                        if (3..=9).contains(&k) {
                            let ip = outside(&mut r);
                            push(
                                &mut r,
                                names::TEAMS,
                                true,
                                ip,
                                Device::IPad,
                                single,
                                0,
                                false,
                            );
                        }
                        push(
                            &mut r,
                            names::TEAMS,
                            true,
                            "203.0.113.7".into(),
                            Device::IPad,
                            single,
                            50126,
                            false,
                        );
                    }
                    Some(S::TabLachine4) if (2..=20).contains(&k) => {
                        push(
                            &mut r,
                            names::OFFICE_HOME,
                            true,
                            site_ip(host),
                            Device::IPad,
                            single,
                            0,
                            true,
                        );
                        push(
                            &mut r,
                            names::EXCHANGE,
                            false,
                            site_ip(host),
                            Device::IPad,
                            single,
                            0,
                            false,
                        );
                    }
                    Some(S::TabLaSalle2) => {
                        if (5..=12).contains(&k) {
                            push(
                                &mut r,
                                names::TEAMS,
                                true,
                                site_ip(host),
                                Device::IPad,
                                true,
                                0,
                                false,
                            );
                        }
                        push(
                            &mut r,
                            names::TEAMS,
                            true,
                            site_ip(host),
                            Device::IPad,
                            true,
                            50126,
                            false,
                        );
                    }
                    None => {
                        let m = unit(h(self.seed, &[tag::MISUSE, i as u64]));
                        let today = unit(h(self.seed, &[tag::MISUSE, i as u64, d(k)])) < 0.2;
                        if today && m < 0.04 {
                            let ip = outside(&mut r);
                            push(
                                &mut r,
                                names::TEAMS,
                                true,
                                ip,
                                Device::IPad,
                                single,
                                0,
                                false,
                            );
                        } else if today && m < 0.09 {
                            let app = *r.pick(&[
                                names::OFFICE_HOME,
                                names::OUTLOOK_MOBILE,
                                names::SHAREPOINT,
                            ]);
                            push(
                                &mut r,
                                app,
                                true,
                                site_ip(host),
                                Device::IPad,
                                single,
                                0,
                                false,
                            );
                        } else if today && m < 0.11 {
                            push(
                                &mut r,
                                names::TEAMS,
                                true,
                                site_ip(host),
                                Device::IPad,
                                true,
                                0,
                                false,
                            );
                        }
                    }
                    _ => {}
                }
            }
            Appli => {
                let app = match sk {
                    Some(S::SvcBilletterie) => names::BILLETTERIE,
                    Some(S::AppliPharmacie) => names::PHARMA,
                    _ => *r.pick(&[names::BILLETTERIE, names::LITS, names::PHARMA]),
                };
                let server = format!("100.127.10.{}", 10 + i % 200);
                for _ in 0..r.range(10, 30) {
                    push(
                        &mut r,
                        app,
                        false,
                        server.clone(),
                        Device::Server,
                        single,
                        0,
                        false,
                    );
                }
                let misuse = match sk {
                    Some(S::SvcTelesante1 | S::SvcTelesante2) => true,
                    Some(_) => false,
                    None => {
                        unit(h(self.seed, &[tag::MISUSE, i as u64])) < 0.1
                            && unit(h(self.seed, &[tag::MISUSE, i as u64, d(k)])) < 0.3
                    }
                };
                if misuse {
                    for _ in 0..r.range(2, 4) {
                        let ip = outside(&mut r);
                        push(
                            &mut r,
                            names::TEAMS,
                            true,
                            ip,
                            Device::IPad,
                            single,
                            0,
                            false,
                        );
                    }
                }
                match sk {
                    Some(S::AppliPharmacie) => {
                        push(
                            &mut r,
                            names::OFFICE_HOME,
                            true,
                            server.clone(),
                            Device::Windows,
                            true,
                            50126,
                            true,
                        );
                    }
                    Some(S::SvcArchivage) if (20..=26).contains(&k) => {
                        let ip = outside(&mut r);
                        push(
                            &mut r,
                            names::AZURE_PORTAL,
                            true,
                            ip,
                            Device::Windows,
                            single,
                            0,
                            true,
                        );
                    }
                    _ => {}
                }
            }
            Staff | Physician => {
                let n_int = if weekend {
                    r.range(0, 1)
                } else {
                    r.range(0, 3)
                };
                for _ in 0..n_int {
                    let app = *r.pick(&[
                        names::TEAMS,
                        names::OUTLOOK_MOBILE,
                        names::OFFICE_HOME,
                        names::SHAREPOINT,
                        names::TEAMS_WEB,
                    ]);
                    let (ip, dev) = if r.unit() < 0.7 {
                        (site_ip(i / 7), Device::Windows)
                    } else if r.unit() < 0.5 {
                        (outside(&mut r), Device::IPhone)
                    } else {
                        (outside(&mut r), Device::Android)
                    };
                    let err = if r.unit() < 0.03 { 50126 } else { 0 };
                    let browser = app == names::OFFICE_HOME || app == names::TEAMS_WEB;
                    push(&mut r, app, true, ip, dev, single, err, browser);
                }
                for _ in 0..r.range(1, 4) {
                    let app = *r.pick(&[names::TEAMS, names::ONEDRIVE, names::BROKER]);
                    push(
                        &mut r,
                        app,
                        false,
                        site_ip(i / 7),
                        Device::Windows,
                        single,
                        0,
                        false,
                    );
                }
            }
            Guest => {
                if r.unit() < 0.3 {
                    let ip = outside(&mut r);
                    push(
                        &mut r,
                        names::TEAMS_WEB,
                        true,
                        ip,
                        Device::Windows,
                        single,
                        0,
                        true,
                    );
                }
            }
            Urgence | Shared => {}
        }
        out
    }

    /// Id of a sign-in.
    pub(crate) fn sign_in_id(&self, s: &SignIn) -> String {
        let x = h(
            self.seed,
            &[tag::SIGNIN, s.user as u64, d(s.day), s.seq as u64, 1],
        );
        hash::guid(x, h(self.seed, &[x]))
    }
}

fn suffix(n: u32) -> String {
    if n == 0 {
        String::new()
    } else {
        (n + 1).to_string()
    }
}

/// A register person: (name, arrival day, departure day).
type PersonRow = (String, i32, Option<i32>);

/// A registration-details row.
#[derive(Clone, Debug)]
pub(crate) struct Registration {
    pub registered: bool,
    pub capable: bool,
    pub methods: Vec<&'static str>,
    pub updated: DateTime<Utc>,
    pub admin: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sc() -> Scenario {
        Scenario::new(
            7,
            300,
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        )
    }

    #[test]
    fn upns_are_unique_and_days_align() {
        let s = sc();
        let mut seen = std::collections::HashSet::new();
        for i in 0..s.accounts {
            if let Some(a) = s.account(i, 400) {
                assert!(seen.insert(a.upn.to_lowercase()), "duplicate {}", a.upn);
            }
        }
        assert_eq!(s.day_of(s.day_start(5) + Duration::hours(1)), 5);
        assert_eq!(s.day_of(s.as_of(5) - Duration::hours(1)), 5);
        // DST: 2026-03-08 is a 23-hour sim day.
        assert_eq!((s.day_start(66) - s.day_start(65)).num_hours(), 23);
    }

    #[test]
    fn bulk_names_are_a_bijection() {
        let s = Scenario::new(
            1,
            400_000,
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        );
        let mut seen = std::collections::HashSet::new();
        for i in 0..30_000u32 {
            let (f, l, n) = s.person_name(i);
            assert!(seen.insert((f, l, n)));
        }
    }
}
