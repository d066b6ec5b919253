//! The TOML configuration, its two-phase validation, and secret loading.
//!
//! The format is `vigie365.exemple.toml` (the contract: every key there is read here, with
//! that name and meaning). Loading goes in two phases, after cargo-deny:
//!
//! 1. **Shape** (`schema.rs`): a spanned TOML parse keeps every value's position; unknown
//!    sections and keys are refused with a "did you mean", wrong types are named.
//! 2. **Meaning** (`validate/`): GUIDs, the single credential mode, file modes of anything
//!    holding a secret, PEM certificate and RSA key, endpoints (https, or http to loopback),
//!    regexes, CIDRs, time zone, dates, exception check ids (against the ids the caller
//!    passes in [`LoadOptions`]: the checks registry), limits, the register's header.
//!
//! Every problem of both phases is collected, then reported at once as
//! `file:line:column: erreur: … / correctif : …` ([`Diagnostic`]), before any token is
//! requested or any SQLite file is opened. The result, [`Config`], is typed: URLs are
//! `url::Url`s, regexes are compiled, ranges are `ipnet::IpNet`s, dates are `NaiveDate`s.
//!
//! Secrets: an inline `secret` is read at load time (and refused unless the file is private);
//! `secret_env` and `secret_fichier` are read only when needed, by [`resolve_secret`]. A
//! [`Secret`] never prints itself, and no diagnostic quotes a value of the file.

mod check;
mod diag;
mod pattern;
mod pem;
mod register;
mod schema;
mod secret;
mod validate;

use std::ffi::OsString;
use std::fmt;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::NaiveDate;
use ipnet::IpNet;
use regex::Regex;
use url::Url;

pub use check::{CheckReport, check, check_with, perimeter_fr};
pub use diag::{Code, ConfigErrors, Diagnostic, Severity};
pub use pem::KeyDer;
pub use register::{REGISTER_COLUMNS, RegisterColumns, RegisterFile};
pub use secret::{ConfigError, Secret, resolve_secret, resolve_secret_with};

/// Where the configuration is when neither `--config` nor `VIGIE365_CONFIG` says otherwise.
pub const DEFAULT_PATH: &str = "/etc/vigie365/vigie365.toml";

/// The environment variable naming the configuration file.
pub const ENV_VAR: &str = "VIGIE365_CONFIG";

/// The configuration file to read: `--config`, else `VIGIE365_CONFIG`, else [`DEFAULT_PATH`].
pub fn resolve_path(cli: Option<&Path>) -> PathBuf {
    resolve_path_with(cli, std::env::var_os(ENV_VAR))
}

/// [`resolve_path`] with the value of `VIGIE365_CONFIG` passed in (an empty value counts as
/// unset).
pub fn resolve_path_with(cli: Option<&Path>, env: Option<OsString>) -> PathBuf {
    match (cli, env) {
        (Some(path), _) => path.to_path_buf(),
        (None, Some(var)) if !var.is_empty() => PathBuf::from(var),
        _ => PathBuf::from(DEFAULT_PATH),
    }
}

/// What loading checks beyond the file itself, given by the layer above: the configuration
/// does not know the checks (they read it), so the ids an `[[exceptions]]` entry may name
/// come from the caller — the checks registry (`checks::registry::load_options()`), or a
/// test's own list.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions<'a> {
    /// The check ids an exception may name.
    pub known_checks: &'a [&'a str],
}

/// Loads and validates the configuration file; every problem is in the error.
pub fn load(path: &Path, options: &LoadOptions<'_>) -> Result<Config, ConfigErrors> {
    validate::load_file(path, options).into_result()
}

impl Config {
    /// Builds a configuration from TOML text, as if it were the file `virtual_path` (used for
    /// positions in diagnostics and to resolve relative paths). There is no file, so the rule
    /// on the file's mode (inline secret) is not applied; referenced files (certificate,
    /// register) are still read.
    pub fn from_toml_str(
        text: &str,
        virtual_path: impl AsRef<Path>,
        options: &LoadOptions<'_>,
    ) -> Result<Config, ConfigErrors> {
        validate::load_text(
            text,
            virtual_path.as_ref(),
            validate::Origin::Virtual,
            options,
        )
        .into_result()
    }

    /// A valid configuration for other modules' tests: a placeholder tenant, a secret read from
    /// `VIGIE365_CLIENT_SECRET`, and every default. Change its public fields as needed (e.g.
    /// point `endpoints` at a mock server).
    pub fn for_tests() -> Config {
        Config {
            source: PathBuf::from("vigie365-tests.toml"),
            tenant: Tenant {
                tenant_id: Guid([0x11; 16]),
                domain: "cisss-test.onmicrosoft.com".into(),
                client_id: Guid([0x22; 16]),
                establishment: "CISSS de test".into(),
            },
            credentials: Credentials::SecretEnv("VIGIE365_CLIENT_SECRET".into()),
            endpoints: Endpoints::default(),
            storage: Storage::default(),
            retention: Retention::default(),
            collection: Collection::default(),
            classification: Classification::default(),
            generic: Generic::default(),
            appli: Appli::default(),
            evaluation: Evaluation::default(),
            domains: Domains::default(),
            exceptions: Vec::new(),
            limits: Limits::default(),
            report: Report::default(),
            attestations: Vec::new(),
            perimeter: None,
            establishments: Vec::new(),
            notes: Vec::new(),
            credentials_at: CredentialsAt::default(),
        }
    }
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from (or the virtual path given to [`Config::from_toml_str`]).
    pub source: PathBuf,
    pub tenant: Tenant,
    pub credentials: Credentials,
    pub endpoints: Endpoints,
    pub storage: Storage,
    pub retention: Retention,
    pub collection: Collection,
    pub classification: Classification,
    pub generic: Generic,
    pub appli: Appli,
    pub evaluation: Evaluation,
    pub domains: Domains,
    pub exceptions: Vec<Exception>,
    pub limits: Limits,
    pub report: Report,
    /// `[[attestations]]`: what the establishment attests for requirements the tool sees
    /// only in part or not at all.
    pub attestations: Vec<Attestation>,
    /// `[perimetre]`: the establishment's accounts in a shared tenant; `None`: the whole
    /// tenant is the establishment's.
    pub perimeter: Option<Perimeter>,
    /// `[[etablissements]]`: the provincial mode, one night over the whole shared tenant
    /// that attributes every account to its establishment (empty: one establishment).
    pub establishments: Vec<Establishment>,
    /// Remarks made while loading (relative paths resolved, normalised ranges, ...).
    pub notes: Vec<Diagnostic>,
    /// Where the credential mode was written, for diagnostics of [`check`].
    credentials_at: CredentialsAt,
}

#[derive(Debug, Clone, Default)]
struct CredentialsAt {
    key: String,
    line: usize,
    column: usize,
}

/// An Entra ID object id (tenant, application, group), printed in its usual lower-case
/// 8-4-4-4-12 form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Guid(pub [u8; 16]);

impl Guid {
    pub fn is_nil(&self) -> bool {
        self.0 == [0; 16]
    }
}

impl FromStr for Guid {
    type Err = ();

    /// Exactly `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hexadecimal digits in either case.
    fn from_str(s: &str) -> Result<Self, ()> {
        let groups: Vec<&str> = s.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        if lengths != [8, 4, 4, 4, 12] {
            return Err(());
        }
        let hex: String = groups.concat();
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            let pair = hex.get(2 * i..2 * i + 2).ok_or(())?;
            if !pair.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(());
            }
            *byte = u8::from_str_radix(pair, 16).map_err(|_| ())?;
        }
        Ok(Guid(out))
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Guid({self})")
    }
}

/// `[locataire]`
#[derive(Debug, Clone)]
pub struct Tenant {
    /// `tenant_id`
    pub tenant_id: Guid,
    /// `domaine`: the tenant's primary domain, lower case, ASCII (IDNs in punycode).
    pub domain: String,
    /// `client_id`: the application registered in Entra ID.
    pub client_id: Guid,
    /// `etablissement`: the establishment's name as the bilan shows it.
    pub establishment: String,
}

/// `[identifiants]`: exactly one way to authenticate the application.
#[derive(Clone)]
pub enum Credentials {
    /// `secret_env`: the name of the variable holding the client secret (read at use time).
    SecretEnv(String),
    /// `secret_fichier`: a file (mode 0600 or 0400) holding the client secret (read at use
    /// time).
    SecretFile(PathBuf),
    /// `secret`: written in the configuration file itself (which must be private).
    SecretInline(Secret),
    /// `certificat` + `cle_privee`: PEM files, read and checked at load time.
    Certificate {
        cert_der: Vec<u8>,
        key_der: KeyDer,
        cert_path: PathBuf,
        key_path: PathBuf,
    },
}

impl Credentials {
    /// How the mode is named to users.
    pub fn describe_fr(&self) -> String {
        match self {
            Credentials::SecretEnv(var) => format!("secret client (variable {var})"),
            Credentials::SecretFile(path) => format!("secret client (fichier {})", path.display()),
            Credentials::SecretInline(_) => "secret client (écrit dans la configuration)".into(),
            Credentials::Certificate { cert_path, .. } => {
                format!("certificat ({})", cert_path.display())
            }
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::SecretEnv(var) => f.debug_tuple("SecretEnv").field(var).finish(),
            Credentials::SecretFile(path) => f.debug_tuple("SecretFile").field(path).finish(),
            Credentials::SecretInline(s) => f.debug_tuple("SecretInline").field(s).finish(),
            Credentials::Certificate {
                cert_der,
                key_der,
                cert_path,
                key_path,
            } => f
                .debug_struct("Certificate")
                .field("cert_der", &format_args!("<{} octets>", cert_der.len()))
                .field("key_der", key_der)
                .field("cert_path", cert_path)
                .field("key_path", key_path)
                .finish(),
        }
    }
}

/// Parses a URL known to be valid (the built-in defaults).
fn builtin_url(s: &str) -> Url {
    Url::parse(s).expect("built-in URL constants are valid")
}

/// `[points_de_terminaison]`: https, or http to a loopback host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `autorite`: token endpoint is `{autorite}/{tenant_id}/oauth2/v2.0/token`.
    pub authority: Url,
    /// `graph`
    pub graph: Url,
    /// `exchange`
    pub exchange: Url,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self {
            authority: builtin_url("https://login.microsoftonline.com"),
            graph: builtin_url("https://graph.microsoft.com"),
            exchange: builtin_url("https://outlook.office365.com"),
        }
    }
}

/// `[stockage]`: absolute paths (relative ones were resolved against the configuration's
/// directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    /// `base`: the SQLite file.
    pub database: PathBuf,
    /// `sorties`: the output directory (created with mode 0700).
    pub outputs: PathBuf,
}

impl Default for Storage {
    fn default() -> Self {
        Self {
            database: PathBuf::from("/var/lib/vigie365/vigie365.sqlite"),
            outputs: PathBuf::from("/var/lib/vigie365/sorties"),
        }
    }
}

/// `[conservation]`, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// `connexions_brutes_jours`: raw sign-ins of in-scope accounts kept as evidence.
    pub raw_sign_ins_days: u32,
    /// `donnees_jours`: any personal data beyond this is purged each night.
    pub personal_data_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            raw_sign_ins_days: 90,
            personal_data_days: 400,
        }
    }
}

/// `collecte.activite_connexion`: whether `signInActivity` is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInActivity {
    /// `"visés"`: for in-scope accounts.
    InScope,
    /// `"non"`
    Off,
}

/// `[collecte]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    /// `historique_premiere_nuit_jours` (1 to 30).
    pub first_night_days: u32,
    /// `chevauchement_minutes` (0 to 1440).
    pub overlap_minutes: u32,
    /// `lots_simultanes`
    pub concurrent_batches: NonZeroU32,
    /// `activite_connexion`
    pub sign_in_activity: SignInActivity,
    /// `activite_connexion_rotation_nuits`: each in-scope account's `signInActivity` is
    /// re-read once every this many nights (1: every night).
    pub sign_in_activity_rotation_nights: NonZeroU32,
    /// `comptes_suivis`: extra UPNs whose sign-ins are collected (lower case).
    pub followed_accounts: Vec<String>,
}

impl Default for Collection {
    fn default() -> Self {
        Self {
            first_night_days: 30,
            overlap_minutes: 120,
            concurrent_batches: NonZeroU32::new(8).unwrap_or(NonZeroU32::MIN),
            sign_in_activity: SignInActivity::InScope,
            sign_in_activity_rotation_nights: NonZeroU32::new(7).unwrap_or(NonZeroU32::MIN),
            followed_accounts: Vec::new(),
        }
    }
}

/// A directory attribute a matcher reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryAttribute {
    /// `employeeType`
    EmployeeType,
    /// `extensionAttribute1` to `extensionAttribute15` (in `onPremisesExtensionAttributes`).
    ExtensionAttribute(u8),
    /// `companyName` (a perimeter only).
    CompanyName,
    /// `department` (a perimeter only).
    Department,
    /// `officeLocation` (a perimeter only).
    OfficeLocation,
}

impl DirectoryAttribute {
    /// The Graph property name.
    pub fn graph_name(&self) -> String {
        match self {
            DirectoryAttribute::EmployeeType => "employeeType".into(),
            DirectoryAttribute::ExtensionAttribute(n) => format!("extensionAttribute{n}"),
            DirectoryAttribute::CompanyName => "companyName".into(),
            DirectoryAttribute::Department => "department".into(),
            DirectoryAttribute::OfficeLocation => "officeLocation".into(),
        }
    }
}

/// `[perimetre]` (and, later, the perimeter of each `[[etablissements]]`): the accounts that
/// are the establishment's in a shared tenant. An account is in when at least one criterion
/// retains it (union); at least one criterion is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Perimeter {
    /// `unites_administratives`: Entra administrative units, their (direct) user members.
    pub units: Vec<DirectoryRef>,
    /// `groupes`: groups, their transitive user members.
    pub groups: Vec<DirectoryRef>,
    /// `upn`: patterns with `*` on the UPN and the mail address, case ignored.
    pub addresses: Vec<AddressPattern>,
    /// `[[perimetre.attributs]]`: a directory attribute equal to one of the values, case
    /// ignored.
    pub attributes: Vec<AttributeMatcher>,
    /// `gouverne_controles_locataire`: the tenant-wide settings are the establishment's own
    /// findings (it governs the tenant).
    pub governs_tenant_controls: bool,
    /// `controles_locataire_gouvernes_par`: who governs the tenant-wide settings when the
    /// establishment does not (a team or a role, never a person's name: the bilan prints it).
    pub tenant_governor: Option<String>,
}

/// One `[[etablissements]]` of the provincial mode: an establishment of the shared tenant,
/// its perimeter (the same criteria as `[perimetre]`) and its register of generic accounts.
#[derive(Debug, Clone)]
pub struct Establishment {
    /// `nom`: as its bilan names it.
    pub name: String,
    /// `code`: lower-case letters, digits and dashes; names its outputs' directory and its
    /// evaluations in the store, and is what `--etablissement` takes.
    pub code: String,
    /// `registre`: its register of generic accounts (header checked).
    pub register: Option<RegisterFile>,
    pub perimeter: Perimeter,
}

/// The code of the « non attribué » bucket of the provincial mode: the accounts no
/// establishment's perimeter retains, evaluated apart and reported, never dropped.
pub const UNATTRIBUTED_CODE: &str = "non-attribue";
/// Its name in the outputs.
pub const UNATTRIBUTED_NAME: &str = "Comptes non attribués du locataire";

impl Config {
    /// The provincial mode: `[[etablissements]]` given.
    pub fn is_provincial(&self) -> bool {
        !self.establishments.is_empty()
    }

    /// The establishment of this code, `None` if the configuration has none of that code.
    pub fn establishment(&self, code: &str) -> Option<&Establishment> {
        self.establishments
            .iter()
            .find(|e| e.code.eq_ignore_ascii_case(code))
    }

    /// What the configuration of one establishment of the provincial mode would be, had it
    /// run alone with its own perimeter: its name, its perimeter, its register, its outputs
    /// in `sorties/<code>`. Everything else (classification, checks, exceptions,
    /// attestations, limits) is the provincial file's, so that its evaluation and its bilan
    /// are the ones its own night would give.
    pub fn for_establishment(&self, e: &Establishment) -> Config {
        let mut c = self.clone();
        c.tenant.establishment = e.name.clone();
        c.perimeter = Some(e.perimeter.clone());
        c.classification.register = e.register.clone();
        c.storage.outputs = self.storage.outputs.join(&e.code);
        c.establishments = Vec::new();
        c
    }

    /// The evaluation slices of the store this configuration writes (the store's
    /// establishment codes), each with the configuration it is evaluated and written with:
    /// `("", self)` for one establishment; in the provincial mode each establishment, then
    /// « non attribué ».
    pub fn slices(&self) -> Vec<(String, Config)> {
        if !self.is_provincial() {
            return vec![(String::new(), self.clone())];
        }
        self.establishments
            .iter()
            .map(|e| (e.code.clone(), self.for_establishment(e)))
            .chain([(UNATTRIBUTED_CODE.to_string(), self.for_unattributed())])
            .collect()
    }

    /// The configuration of the « non attribué » bucket: the provincial file's own settings
    /// and register (`[classification].registre`: the provincial team's), its outputs in
    /// `sorties/non-attribue`; the caller restricts the accounts.
    pub fn for_unattributed(&self) -> Config {
        let mut c = self.clone();
        c.tenant.establishment = UNATTRIBUTED_NAME.to_string();
        c.perimeter = None;
        c.storage.outputs = self.storage.outputs.join(UNATTRIBUTED_CODE);
        c.establishments = Vec::new();
        c
    }
}

/// Who governs the tenant-wide settings when nobody is named.
pub const TENANT_GOVERNOR_DEFAULT: &str = "l'équipe qui administre le locataire partagé";

impl Perimeter {
    /// Who governs the tenant-wide settings, when it is not the establishment: `None` when
    /// the establishment governs them (`gouverne_controles_locataire = true`).
    pub fn tenant_governed_by(&self) -> Option<String> {
        (!self.governs_tenant_controls).then(|| {
            self.tenant_governor
                .clone()
                .unwrap_or_else(|| TENANT_GOVERNOR_DEFAULT.to_string())
        })
    }

    /// The attributes the perimeter reads, beyond those classification already reads.
    pub fn reads(&self, attribute: DirectoryAttribute) -> bool {
        self.attributes.iter().any(|a| a.attribute == attribute)
    }
}

/// An Entra object named in the configuration by its id or by its display name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DirectoryRef {
    Id(Guid),
    /// The display name as written (matched exactly by Graph's `$filter`).
    Name(String),
}

impl fmt::Display for DirectoryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirectoryRef::Id(g) => write!(f, "{g}"),
            DirectoryRef::Name(n) => f.write_str(n),
        }
    }
}

/// A pattern on an address (`*@ciusss-exemple.ssss.gouv.qc.ca`): `*` stands for any
/// characters, case is ignored. It has a local part and a domain part.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AddressPattern(String);

impl AddressPattern {
    /// A pattern from its text, lower-cased; `None` without an `@` followed by a domain.
    pub fn new(text: &str) -> Option<AddressPattern> {
        let t = text.trim().to_lowercase();
        let (local, domain) = t.rsplit_once('@')?;
        let bare = domain.trim_matches(|c| c == '*' || c == '.');
        if local.is_empty() || bare.is_empty() || t.contains(char::is_whitespace) {
            return None;
        }
        Some(AddressPattern(t))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `address` matches, case ignored.
    pub fn matches(&self, address: &str) -> bool {
        glob(self.0.as_bytes(), address.trim().to_lowercase().as_bytes())
    }
}

impl fmt::Display for AddressPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `*` matches any run of bytes; everything else matches itself. Iterative, with one
/// backtracking point: linear in practice, never recursive.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// `{ nom = "...", valeurs = [...] }`: an account matches when the attribute equals one of the
/// values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeMatcher {
    pub attribute: DirectoryAttribute,
    pub values: Vec<String>,
}

/// `{ nom = "...", motif = "..." }`: an account matches when the attribute's value matches
/// the regex.
#[derive(Debug, Clone)]
pub struct AttributePattern {
    pub attribute: DirectoryAttribute,
    pub pattern: Regex,
}

/// The matchers of one account class; any match classifies.
#[derive(Debug, Clone)]
pub struct Matchers {
    /// `*_nom`: regexes on the display name.
    pub display_name: Vec<Regex>,
    /// `*_upn`: regexes on the UPN.
    pub upn: Vec<Regex>,
    /// `*_groupes`: Entra ID groups whose members are of the class.
    pub groups: Vec<Guid>,
    /// `*_attribut`
    pub attribute: Option<AttributeMatcher>,
}

fn builtin_regexes(patterns: &[&str]) -> Vec<Regex> {
    patterns.iter().filter_map(|p| Regex::new(p).ok()).collect()
}

/// `[classification]`
#[derive(Debug, Clone)]
pub struct Classification {
    /// `generique_*`: generic (shared, per-device) accounts.
    pub generic: Matchers,
    /// `appli_*`: « Appli » service accounts.
    pub appli: Matchers,
    /// `urgence`: break-glass UPNs (lower case).
    pub break_glass: Vec<String>,
    /// `medecin_upn`
    pub physician_upn: Vec<Regex>,
    /// `medecin_groupes`
    pub physician_groups: Vec<Guid>,
    /// `medecin_courriel`: regexes on the mail address and on each proxy address
    /// (`proxyAddresses`, without its `smtp:` / `SMTP:` prefix).
    pub physician_address: Vec<Regex>,
    /// `medecin_attribut`: a directory attribute and the pattern its value matches.
    pub physician_attribute: Option<AttributePattern>,
    /// `registre`: the register of generic accounts, header checked.
    pub register: Option<RegisterFile>,
}

/// Default `generique_nom`: a device of the orientation (« tablette », iPad, téléphone,
/// cellulaire, smartphone, portable, laptop) anywhere in the name, as a whole word followed by
/// its number or by a care place (CHSLD, soins, unité, étage…), so that a prefix (« Appli - »,
/// « GEN - ») does not hide it and a person named Tablette or Portable is not taken for one;
/// or a shared workstation (« poste partagé », « shared iPad »).
pub const DEFAULT_GENERIC_NAME: &[&str] = &[
    r"(?i)(?:^|[^\p{L}\p{N}])(?:tablette|tablet|ipad|iphone|t[ée]l[ée]phone|smartphone|cellulaire|portable|laptop)(?:[\s\-–_#:.]*(?:n[o°º]\.?\s*)?\d|[\s\-–_#:.]+(?:chsld|soins|unit[ée]|[ée]tage|ltc|ward|site)(?:[^\p{L}\p{N}]|$))",
    r"(?i)(?:^|[^\p{L}\p{N}])(?:poste|appareil|[ée]quipement|ordinateur|tablette|ipad)[\s\-_.]+partag[ée]e?(?:[^\p{L}\p{N}]|$)",
    r"(?i)(?:^|[^\p{L}\p{N}])shared[\s\-_.]+(?:ipad|tablet|device|laptop|phone|computer|workstation)(?:[^\p{L}\p{N}]|$)",
];
/// Default `generique_upn`: the same markers in the UPN (« appli-tablette3.verdun@… »).
pub const DEFAULT_GENERIC_UPN: &[&str] = DEFAULT_GENERIC_NAME;
/// Default `appli_nom`.
pub const DEFAULT_APPLI_NAME: &[&str] = &[r"(?i)^appli\b", r"(?i)\bappli$"];
/// Default `appli_upn`.
pub const DEFAULT_APPLI_UPN: &[&str] = &[r"(?i)^(svc|appli)[-_.]"];
/// Default `medecin_upn`.
pub const DEFAULT_PHYSICIAN_UPN: &[&str] = &[r"(?i)\.med@"];
/// Default `medecin_courriel`: the network's `.med` addresses, wherever they appear.
pub const DEFAULT_PHYSICIAN_ADDRESS: &[&str] = &[r"(?i)\.med@"];

impl Default for Classification {
    fn default() -> Self {
        Self {
            generic: Matchers {
                display_name: builtin_regexes(DEFAULT_GENERIC_NAME),
                upn: builtin_regexes(DEFAULT_GENERIC_UPN),
                groups: Vec::new(),
                attribute: Some(AttributeMatcher {
                    attribute: DirectoryAttribute::EmployeeType,
                    values: vec!["Generique".into(), "Générique".into()],
                }),
            },
            appli: Matchers {
                display_name: builtin_regexes(DEFAULT_APPLI_NAME),
                upn: builtin_regexes(DEFAULT_APPLI_UPN),
                groups: Vec::new(),
                attribute: Some(AttributeMatcher {
                    attribute: DirectoryAttribute::EmployeeType,
                    values: vec!["Appli".into()],
                }),
            },
            break_glass: Vec::new(),
            physician_upn: builtin_regexes(DEFAULT_PHYSICIAN_UPN),
            physician_groups: Vec::new(),
            physician_address: builtin_regexes(DEFAULT_PHYSICIAN_ADDRESS),
            physician_attribute: None,
            register: None,
        }
    }
}

/// `[[generiques.sites]]`: fixed ranges of the generic accounts of one site.
#[derive(Debug, Clone)]
pub struct SiteRanges {
    /// `motif`: matched against display name or UPN.
    pub pattern: Regex,
    /// `plages_ip`
    pub ip_ranges: Vec<IpNet>,
}

/// `[generiques]`
#[derive(Debug, Clone)]
pub struct Generic {
    /// `applications_permises`: application names or appIds.
    pub allowed_apps: Vec<String>,
    /// `plages_ip`: fixed ranges of every generic account (a bare address is a /32 or /128).
    pub ip_ranges: Vec<IpNet>,
    /// `age_max_mot_de_passe_jours`
    pub max_password_age_days: u32,
    /// `sites`
    pub sites: Vec<SiteRanges>,
}

/// Default `generiques.applications_permises`: the essential applications the orientation
/// names (Teams, OneDrive, SharePoint) and what signing in to them on a managed device needs
/// (authentication broker, Authenticator, Company Portal and Intune enrolment, the Microsoft
/// 365 web shell that SharePoint and OneDrive pages load). Matched by appId (stable); the
/// name is for display.
#[rustfmt::skip]
pub const DEFAULT_ALLOWED_APPS: &[(&str, &str)] = &[
    ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
    ("5e3ce6c0-2b1f-4285-8d4b-75ee78787346", "Microsoft Teams Web Client"),
    ("b26aadf8-566f-4478-926f-589f601d9c74", "OneDrive"),
    ("ab9b8c07-8f02-4f72-87fa-80105867a763", "OneDrive SyncEngine"),
    ("af124e86-4e96-495a-b70a-90f90ab96707", "OneDrive iOS App"),
    ("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online"),
    ("d326c1ce-6cc6-4de2-bebc-4591e5e13ef0", "SharePoint"),
    ("29d9ed98-a469-4536-ade2-f981bc1d605e", "Microsoft Authentication Broker"),
    ("4813382a-8fa7-425e-ab75-3b753aab3abb", "Microsoft Authenticator App"),
    ("9ba1a5c7-f17a-4de9-a1f1-6178c8d51223", "Microsoft Intune Company Portal"),
    ("d4ebce55-015a-49b5-a083-c84d1797ae8c", "Microsoft Intune Enrollment"),
    ("0000000a-0000-0000-c000-000000000000", "Microsoft Intune"),
    ("89bee1f7-5e6e-4d8a-9f3d-ecd601259da7", "Office365 Shell WCSS-Client"),
];

/// The name of an application of [`DEFAULT_ALLOWED_APPS`] given its appId (any case), for
/// display; `None` for any other entry.
pub fn known_app_name(app_id: &str) -> Option<&'static str> {
    DEFAULT_ALLOWED_APPS
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(app_id.trim()))
        .map(|(_, name)| *name)
}

/// The appId of an application of [`DEFAULT_ALLOWED_APPS`] given its name (any case).
pub fn known_app_id(name: &str) -> Option<&'static str> {
    DEFAULT_ALLOWED_APPS
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(id, _)| *id)
}

impl Default for Generic {
    fn default() -> Self {
        Self {
            allowed_apps: DEFAULT_ALLOWED_APPS
                .iter()
                .map(|(id, _)| id.to_string())
                .collect(),
            ip_ranges: Vec::new(),
            max_password_age_days: 365,
            sites: Vec::new(),
        }
    }
}

/// `[appli]`
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Appli {
    /// `clients_permis`: UPN (lower case) → its legitimate clients (names or appIds).
    pub allowed_clients: std::collections::BTreeMap<String, Vec<String>>,
}

/// `[evaluation]`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evaluation {
    /// `fenetre_connexions_jours`
    pub window_days: u32,
    /// `fuseau`
    pub timezone: chrono_tz::Tz,
}

impl Default for Evaluation {
    fn default() -> Self {
        Self {
            window_days: 7,
            timezone: chrono_tz::America::Montreal,
        }
    }
}

/// A domain or `*.domain` pattern, lower case ASCII (IDNs in punycode).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DomainPattern {
    /// `exemple.ca`: that domain only.
    Exact(String),
    /// `*.gouv.qc.ca`: any subdomain of `gouv.qc.ca`, not `gouv.qc.ca` itself.
    Subdomains(String),
}

/// A domain as patterns compare it: trimmed, without a final dot, lower-case ASCII (IDNs in
/// punycode). `None` when it is not a valid domain name.
pub fn normalise_domain(domain: &str) -> Option<String> {
    let d = domain.trim().trim_end_matches('.');
    if d.is_empty() || d.contains(['@', '/', ' ', '*']) {
        return None;
    }
    let ascii = idna::domain_to_ascii(d).ok()?;
    let labels_ok = ascii.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    (labels_ok && ascii.contains('.')).then_some(ascii)
}

impl DomainPattern {
    /// Whether a domain, already normalised by [`normalise_domain`], matches.
    pub fn matches(&self, domain: &str) -> bool {
        match self {
            DomainPattern::Exact(d) => domain == d,
            DomainPattern::Subdomains(parent) => domain
                .strip_suffix(parent.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        }
    }
}

impl fmt::Display for DomainPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DomainPattern::Exact(d) => f.write_str(d),
            DomainPattern::Subdomains(d) => write!(f, "*.{d}"),
        }
    }
}

/// `[domaines]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domains {
    /// `reseau`: the RSSS network's domains (DIR04 6 3°: the corporate collaboration
    /// platform), each with its subdomains. Not `gouv.qc.ca`: a ministry or agency outside
    /// the network is external.
    pub network: Vec<String>,
    /// `internes`: in addition to the tenant's accepted domains and the network.
    pub internal: Vec<DomainPattern>,
    /// `[[partenaires]]`: declared partner domains. Forwards to them are still findings,
    /// accepted while the declaration is in force.
    pub partners: Vec<Partner>,
    /// `publics_ajout`: added to the shipped list of public webmail domains.
    pub public_added: Vec<DomainPattern>,
    /// `publics_retrait`: removed from it.
    pub public_removed: Vec<DomainPattern>,
}

/// Default `domaines.reseau`: the RSSS network's provincial domains.
pub const DEFAULT_NETWORK_DOMAINS: &[&str] = &["ssss.gouv.qc.ca", "msss.gouv.qc.ca"];

impl Default for Domains {
    fn default() -> Self {
        Self {
            network: DEFAULT_NETWORK_DOMAINS
                .iter()
                .map(|d| d.to_string())
                .collect(),
            internal: Vec::new(),
            partners: Vec::new(),
            public_added: Vec::new(),
            public_removed: Vec::new(),
        }
    }
}

/// `[[partenaires]]`: a partner domain, declared like an exception (DIR04 6 5° has no
/// exemption: forwarding there is a finding, listed as accepted while this is in force).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    /// `domaine`: `exemple.ca` or `*.exemple.ca`.
    pub domain: DomainPattern,
    /// `justification`
    pub justification: String,
    /// `responsable`
    pub owner: String,
    /// `expiration`: the date the declaration stops applying (in force the day before).
    pub expires: NaiveDate,
}

/// `[[exceptions]]`: an accepted risk, always reported as such.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// `controle`: a known check id.
    pub check_id: String,
    /// `sujet`: the finding's subject (account, rule, address), as written.
    pub subject: String,
    /// `justification`
    pub justification: String,
    /// `responsable`
    pub owner: String,
    /// `expiration`: the date the exception stops applying (in force the day before, not on it).
    pub expires: NaiveDate,
}

/// `[[attestations]]`: the establishment's attestation for one requirement of the bilan
/// (`crate::requirements`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    /// `exigence`: a requirement id (`DIR04-9-4`).
    pub requirement: String,
    /// `texte`
    pub text: String,
    /// `responsable`: a function (« Responsable de la sécurité de l'information »), printed
    /// in the HTML and Markdown, never in the JSON.
    pub owner: String,
    /// `date`
    pub date: NaiveDate,
}

/// `[limites]`: request rates per throttle class (GRAPH-NOTES) and retry bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `annuaire_unites_par_10s`
    pub directory_units_per_10s: NonZeroU32,
    /// `activite_connexion_par_minute`
    pub sign_in_activity_per_minute: NonZeroU32,
    /// `rapports_par_10s`
    pub reports_per_10s: NonZeroU32,
    /// `acces_conditionnel_par_s`
    pub conditional_access_per_s: NonZeroU32,
    /// `outlook_simultanees_par_boite`
    pub outlook_concurrent_per_mailbox: NonZeroU32,
    /// `exchange_par_s`
    pub exchange_per_s: NonZeroU32,
    /// `tentatives_max`
    pub max_attempts: NonZeroU32,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            directory_units_per_10s: nz(8000),
            sign_in_activity_per_minute: nz(10),
            reports_per_10s: nz(5),
            conditional_access_per_s: nz(1),
            outlook_concurrent_per_mailbox: nz(4),
            exchange_per_s: nz(5),
            max_attempts: nz(5),
        }
    }
}

/// `[rapport]`
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// `logo`: a PNG or SVG file.
    pub logo: Option<PathBuf>,
    /// `gabarits`: a directory of templates overriding the shipped ones.
    pub templates: Option<PathBuf>,
}

/// An I/O error told in French.
pub(crate) fn io_error_fr(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "fichier introuvable".into(),
        ErrorKind::PermissionDenied => "permission refusée".into(),
        ErrorKind::IsADirectory => "c'est un répertoire".into(),
        ErrorKind::InvalidData => "contenu invalide (pas de l'UTF-8 ?)".into(),
        ErrorKind::NotADirectory => "un élément du chemin n'est pas un répertoire".into(),
        ErrorKind::StorageFull => "disque plein".into(),
        ErrorKind::ReadOnlyFilesystem => "système de fichiers en lecture seule".into(),
        _ => format!("erreur d'entrée-sortie ({e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_resolution_order() {
        let cli = Path::new("/tmp/a.toml");
        let env = Some(OsString::from("/tmp/b.toml"));
        assert_eq!(resolve_path_with(Some(cli), env.clone()), cli);
        assert_eq!(resolve_path_with(None, env), PathBuf::from("/tmp/b.toml"));
        assert_eq!(
            resolve_path_with(None, Some(OsString::new())),
            PathBuf::from(DEFAULT_PATH)
        );
        assert_eq!(resolve_path_with(None, None), PathBuf::from(DEFAULT_PATH));
    }

    #[test]
    fn guid_round_trip() {
        let g: Result<Guid, ()> = "0A1B2C3D-0000-4000-8000-00000000ABCD".parse();
        assert_eq!(
            g.map(|g| g.to_string()),
            Ok("0a1b2c3d-0000-4000-8000-00000000abcd".to_string())
        );
        for bad in [
            "",
            "0a1b2c3d00004000800000000000abcd",
            "0a1b2c3d-0000-4000-8000-00000000abcg",
            "{0a1b2c3d-0000-4000-8000-00000000abcd}",
            "0a1b2c3d-0000-4000-8000-00000000abc",
            "0a1b2c3d-0000-4000-80é-00000000abcd",
        ] {
            assert!(bad.parse::<Guid>().is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_match_the_example() {
        let c = Classification::default();
        assert_eq!(c.generic.display_name.len(), 3);
        assert!(
            c.generic
                .display_name
                .iter()
                .any(|r| r.is_match("Tablette 1 CHSLD de Verdun"))
        );
        assert!(
            !c.generic
                .display_name
                .iter()
                .any(|r| r.is_match("Tablette de Marie Tremblay"))
        );
        assert_eq!(c.appli.display_name.len(), 2);
        assert_eq!(c.appli.upn.len(), 1);
        assert_eq!(c.physician_upn.len(), 1);
        assert_eq!(
            Endpoints::default().graph.as_str(),
            "https://graph.microsoft.com/"
        );
        assert_eq!(Limits::default().directory_units_per_10s.get(), 8000);
    }

    #[test]
    fn domain_patterns() {
        let sub = DomainPattern::Subdomains("gouv.qc.ca".into());
        assert!(sub.matches("ssss.gouv.qc.ca"));
        assert!(!sub.matches("gouv.qc.ca"));
        assert!(!sub.matches("xgouv.qc.ca"));
        assert_eq!(
            normalise_domain(" Exemple.CA. ").as_deref(),
            Some("exemple.ca")
        );
        assert_eq!(
            normalise_domain("hôpital.ca").as_deref(),
            Some("xn--hpital-ixa.ca")
        );
        assert_eq!(normalise_domain("a@b.ca"), None);
        assert_eq!(normalise_domain("localhost"), None);
    }
}
