//! The simulated tenant: a loopback HTTP server that answers like Microsoft Graph, the
//! Entra ID token endpoint and the Exchange Online admin API for a deterministic,
//! generated CHSLD establishment, with the published throttle limits, latency and
//! injected faults, and the ground truth of what a correct audit must find.
//!
//! Used by `vigie365 sim` (see [`SimArgs`], [`serve_cli`]), by `vigie365 demo`, by the
//! end-to-end tests and by the benchmark (see [`Sim::start`]). It shares no types with
//! `crate::graph`: its JSON is written from its own model (DESIGN.md).
//!
//! Modules: `scenario` (the establishment as pure functions of seed, index and day),
//! `render` (Microsoft's JSON), `server` (HTTP, routing, paging, `$batch`, tokens,
//! faults), `throttle` (limits per class), `filter` (OData `$filter`), `truth` (ground
//! truth and its conventions), `simconfig` (the printed configuration); for a provincial
//! tenant (`--etablissements N`, `scenario::province`), `truth_province` (the truth split by
//! establishment) and `simconfig_province` (one configuration per establishment with its
//! `[perimetre]`, and `provincial.toml`).

mod filter;
mod hash;
mod mailbox_props;
mod names;
mod render;
mod scenario;
mod server;
mod simconfig;
mod simconfig_province;
mod throttle;
mod truth;
mod truth_province;
mod truth_requirements;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::Instant;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use scenario::{MAX_ACCOUNTS, MAX_ESTABLISHMENTS, MIN_ACCOUNTS};
pub use throttle::{ClassStats, ThrottleClass, ThrottleLimits};
pub use truth::{ClassPosture, Finding, GroundTruth, Posture};
pub use truth_province::{EstablishmentTruth, ProvincialTruth, UnattributedTruth};
pub use truth_requirements::{PlannedNight, refused_query, requirement_statuses};

/// Errors of the simulator (messages in French: they reach the user).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("impossible d'écouter sur {addr} : {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("nombre de comptes invalide : {0} (attendu entre {MIN_ACCOUNTS} et {MAX_ACCOUNTS})")]
    Accounts(u32),
    #[error("valeur invalide pour {option} : {message}")]
    Option {
        option: &'static str,
        message: String,
    },
    #[error("écriture impossible de {path} : {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("le simulateur s'est arrêté sur une erreur : {0}")]
    Serve(String),
}

/// Uniform latency, in milliseconds of sim time (divided by the time scale).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    pub min_ms: u64,
    pub max_ms: u64,
}

/// Fault rates (probability per request, from a seeded draw on the request's number).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultRates {
    /// 429 Too Many Requests with a fractional `Retry-After`, outside the throttle model.
    #[serde(default)]
    pub http429: f64,
    /// 503 Service Unavailable (half of them with a `Retry-After`).
    pub http503: f64,
    /// 504 Gateway Timeout.
    pub http504: f64,
    /// Connection closed without a response.
    pub reset: f64,
    /// Body cut in half after advertising its full length.
    pub truncate: f64,
    /// Tokens die after this many sim seconds although `expires_in` says 3599.
    pub token_lifetime_secs: Option<f64>,
}

/// Options of a simulator.
#[derive(Clone, Debug)]
pub struct SimOptions {
    pub seed: u64,
    pub accounts: u32,
    /// Day served at start (day 0 = `start_date`).
    pub day: u32,
    pub start_date: NaiveDate,
    /// Every window, `Retry-After`, latency and token lifetime is divided by this.
    pub time_scale: f64,
    pub latency: Latency,
    pub faults: FaultRates,
    /// Client secret; default derived from the seed.
    pub secret: Option<String>,
    pub limits: ThrottleLimits,
    /// Port on 127.0.0.1 (0 = any free port).
    pub port: u16,
    /// When set, `POST /_sim/day/{d}` rewrites the setup files of that day there.
    pub setup_dir: Option<PathBuf>,
    /// Sources answered 403 `Authorization_RequestDenied`, as if the app lacked their
    /// permission: `users`, `registration`, `signins`, `conditional-access` (policies, named
    /// locations, security defaults), `groups`, `rules`, `exchange`, `roles` (role
    /// assignments), `intune`; one new source alone: `signins-clients` (the POP and IMAP
    /// query), `get-irmconfiguration`, `get-adminauditlogconfig`, `get-organizationconfig`,
    /// `get-casmailbox`, `per-user-mfa` (per-user MFA states), `security-defaults`,
    /// `administrative-units` (units and their members); or one
    /// Exchange cmdlet without its role, `exchange:get-mailuser`.
    pub deny: Vec<String>,
    /// Display names, the guest's UPN, inbox rule names and the establishment carry hostile
    /// text (escape sequences, terminal links, bidirectional overrides, markup, spreadsheet
    /// formulas, one 100 kB name): what every output must make inert.
    pub hostile_names: bool,
    /// The tenant runs Microsoft Entra security defaults instead of conditional access (a
    /// tenant cannot have both): security defaults answer `isEnabled` true and the tenant
    /// has no conditional access policy. A separate small scenario, off by default.
    pub security_defaults: bool,
    /// A provincial tenant split among this many establishments (1 to
    /// [`MAX_ESTABLISHMENTS`]); `None`: the single establishment of before, unchanged.
    pub establishments: Option<u32>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 1,
            accounts: 300,
            day: 0,
            start_date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            time_scale: 1.0,
            latency: Latency::default(),
            faults: FaultRates::default(),
            secret: None,
            limits: ThrottleLimits::default(),
            port: 0,
            setup_dir: None,
            deny: Vec::new(),
            hostile_names: false,
            security_defaults: false,
            establishments: None,
        }
    }
}

/// Injected faults so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultStats {
    #[serde(default)]
    pub http429: u64,
    pub http503: u64,
    pub http504: u64,
    pub reset: u64,
    pub truncate: u64,
    /// Requests refused because a token died early (the `token` fault).
    pub token_expired: u64,
}

/// Counters of the simulator (also served at `GET /_sim/stats`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SimStats {
    pub day: u32,
    pub time_scale: f64,
    /// HTTP requests received (not counting `/_sim/*`).
    pub requests: u64,
    /// Per throttle class (`directory`, `sign_in_activity`, `identity_reports`,
    /// `conditional_access`, `outlook`, `exchange_admin`); requests inside `$batch`
    /// count in their own class.
    pub classes: BTreeMap<String, ClassStats>,
    pub faults: FaultStats,
    pub tokens_issued: u64,
    pub batches: u64,
    pub batch_requests: u64,
    pub unauthorized: u64,
    /// Response bytes sent per throttle class (`$batch` envelopes count as `outlook`; token
    /// and `/_sim` answers are not counted).
    #[serde(default)]
    pub bytes: BTreeMap<String, u64>,
}

impl SimStats {
    /// Counters of one class (zeros if unknown).
    pub fn class(&self, name: &str) -> ClassStats {
        self.classes.get(name).cloned().unwrap_or_default()
    }
}

/// Files written by [`SimHandle::write_setup`].
#[derive(Clone, Debug)]
pub struct SetupFiles {
    pub config: PathBuf,
    pub register: PathBuf,
    pub truth: PathBuf,
    /// The files of a provincial tenant (`--etablissements`), `None` otherwise.
    pub provincial: Option<ProvincialFiles>,
}

/// Files a provincial tenant adds to [`SetupFiles`].
#[derive(Clone, Debug)]
pub struct ProvincialFiles {
    /// `provincial.toml`: the whole tenant with its `[[etablissements]]`.
    pub config: PathBuf,
    /// `etablissement-<slug>.toml`, in the order of the establishments.
    pub establishments: Vec<PathBuf>,
    /// `registre-generiques-<slug>.csv`, in the same order.
    pub registers: Vec<PathBuf>,
    /// `verite-terrain-provinciale-jNNN.json` ([`ProvincialTruth`]).
    pub truth: PathBuf,
}

/// Entry point of the in-process API.
pub struct Sim;

/// A running simulator.
pub struct SimHandle {
    shared: Arc<server::Shared>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
    limits: ThrottleLimits,
}

/// Last day a simulator serves (ten years).
pub const MAX_DAY: u32 = 3650;

fn validate(opts: &SimOptions) -> Result<(), SimError> {
    if !(MIN_ACCOUNTS..=MAX_ACCOUNTS).contains(&opts.accounts) {
        return Err(SimError::Accounts(opts.accounts));
    }
    if opts.day > MAX_DAY {
        return Err(SimError::Option {
            option: "--day",
            message: format!("jour entre 0 et {MAX_DAY} attendu"),
        });
    }
    if !(opts.time_scale.is_finite() && opts.time_scale > 0.0) {
        return Err(SimError::Option {
            option: "--time-scale",
            message: "un nombre strictement positif est attendu".into(),
        });
    }
    if opts.latency.min_ms > opts.latency.max_ms {
        return Err(SimError::Option {
            option: "--latency-ms",
            message: "le minimum dépasse le maximum".into(),
        });
    }
    if let Some(n) = opts.establishments
        && !(1..=MAX_ESTABLISHMENTS).contains(&n)
    {
        return Err(SimError::Option {
            option: "--etablissements",
            message: format!(
                "{n} : nombre d'établissements entre 1 et {MAX_ESTABLISHMENTS} attendu (omettre l'option pour un établissement seul)"
            ),
        });
    }
    let f = &opts.faults;
    let rates = [f.http429, f.http503, f.http504, f.reset, f.truncate];
    if rates.iter().any(|r| !(0.0..=1.0).contains(r)) || rates.iter().sum::<f64>() > 1.0 {
        return Err(SimError::Option {
            option: "--faults",
            message: "chaque taux doit être entre 0 et 1, et leur somme au plus 1".into(),
        });
    }
    Ok(())
}

fn default_secret(seed: u64) -> String {
    let x = hash::h(seed, &[hash::tag::TOKEN, 0x5EC]);
    format!("sim~{:016x}{:08x}", x, hash::mix(x) as u32)
}

impl Sim {
    /// Binds 127.0.0.1 and serves on the current tokio runtime.
    pub async fn start(opts: SimOptions) -> Result<SimHandle, SimError> {
        validate(&opts)?;
        let addr = format!("127.0.0.1:{}", opts.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| SimError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local = listener.local_addr().map_err(|source| SimError::Bind {
            addr: addr.clone(),
            source,
        })?;
        let mut sc = scenario::Scenario::new(opts.seed, opts.accounts, opts.start_date);
        sc.hostile = opts.hostile_names;
        sc.security_defaults = opts.security_defaults;
        if let Some(n) = opts.establishments {
            sc.establishments = scenario::establishments(n);
        }
        let cfg = simconfig::PrintedConfig::new(&sc);
        let base_url = format!("http://{}", local);
        let secret = opts
            .secret
            .clone()
            .unwrap_or_else(|| default_secret(opts.seed));
        let on_day_change: Option<Box<dyn Fn(i32) + Send + Sync>> =
            opts.setup_dir.clone().map(|dir| {
                let writer = SetupWriter {
                    sc: sc.clone(),
                    cfg: cfg.clone(),
                    base_url: base_url.clone(),
                    secret: secret.clone(),
                    limits: opts.limits.clone(),
                    scale: opts.time_scale,
                };
                Box::new(move |d: i32| {
                    if let Err(e) = writer.write(&dir, d.max(0) as u32) {
                        eprintln!("vigie365 sim : {e}");
                    }
                }) as Box<dyn Fn(i32) + Send + Sync>
            });
        let shared = Arc::new(server::Shared {
            throttle: throttle::Throttle::new(opts.limits.clone(), sc.accounts, opts.time_scale),
            sc,
            cfg,
            secret,
            scale: opts.time_scale,
            latency: opts.latency,
            faults: opts.faults.clone(),
            day: AtomicI32::new(opts.day as i32),
            seq: AtomicU64::new(0),
            epoch: Instant::now(),
            base_url,
            counters: server::Counters::default(),
            on_day_change,
            deny: opts.deny.clone(),
        });
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, shared.clone(), rx));
        Ok(SimHandle {
            shared,
            addr: local,
            shutdown: tx,
            task,
            limits: opts.limits,
        })
    }
}

struct SetupWriter {
    sc: scenario::Scenario,
    cfg: simconfig::PrintedConfig,
    base_url: String,
    secret: String,
    limits: ThrottleLimits,
    scale: f64,
}

fn write_private(path: &Path, content: &str) -> Result<(), SimError> {
    let err = |source| SimError::Write {
        path: path.to_path_buf(),
        source,
    };
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(err)?;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(err)?;
        f.write_all(content.as_bytes()).map_err(err)?;
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, content).map_err(err)
    }
}

impl SetupWriter {
    fn printed_limits(&self) -> simconfig::PrintedLimits {
        let k = self.scale;
        let s = |v: u64| ((v as f64 * k).floor() as u64).max(1);
        simconfig::PrintedLimits {
            annuaire_unites_par_10s: s(self.limits.directory_units(self.sc.accounts)),
            activite_connexion_par_minute: s(self.limits.sign_in_activity_per_minute),
            rapports_par_10s: s(self.limits.identity_reports_per_10s),
            acces_conditionnel_par_s: s(self.limits.conditional_access_per_second),
            outlook_simultanees_par_boite: self.limits.outlook_concurrent_per_mailbox,
            exchange_par_s: s(self.limits.exchange_per_second),
        }
    }

    fn config(&self, dir: &Path) -> String {
        self.config_of(dir, None)
    }

    /// The configuration of the tenant (`None`), or of establishment e (`Some(Some(e))`), or
    /// `provincial.toml` (`Some(None)`).
    fn config_of(&self, dir: &Path, which: Option<Option<usize>>) -> String {
        // The configuration resolves relative paths against its own directory: write them
        // absolute, so `--setup-dir vigie365-sim` (relative) names the same files.
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let limits = self.printed_limits();
        let paths = simconfig::ConfigPaths {
            base_url: &self.base_url,
            secret: &self.secret,
            dir: &dir,
        };
        match which {
            None => simconfig::render(&self.sc, &self.cfg, &limits, &paths),
            Some(None) => {
                simconfig_province::render_provincial(&self.sc, &self.cfg, &limits, &paths)
            }
            Some(Some(e)) => simconfig_province::render_establishment(
                &self.sc,
                &self.cfg,
                &limits,
                &paths,
                &self.sc.establishments[e],
            ),
        }
    }

    /// `provincial.toml`, each establishment's configuration and register, and the
    /// provincial truth.
    fn write_provincial(
        &self,
        dir: &Path,
        day: u32,
        gt: GroundTruth,
    ) -> Result<ProvincialFiles, SimError> {
        let by_upn = truth_province::attribution_by_upn(&self.sc, day as i32);
        let mut files = ProvincialFiles {
            config: dir.join("provincial.toml"),
            establishments: Vec::new(),
            registers: Vec::new(),
            truth: dir.join(format!("verite-terrain-provinciale-j{:03}.json", day)),
        };
        write_private(&files.config, &self.config_of(dir, Some(None)))?;
        for e in &self.sc.establishments {
            let config = dir.join(simconfig_province::config_file(e));
            let register = dir.join(simconfig_province::register_file(e));
            write_private(&config, &self.config_of(dir, Some(Some(e.index))))?;
            let csv = truth::register_csv_where(&self.sc, day as i32, |r| {
                by_upn.get(&r.compte.to_lowercase()) == Some(&Some(e.index))
            });
            write_private(&register, &csv)?;
            files.establishments.push(config);
            files.registers.push(register);
        }
        let pt = truth_province::split(&self.sc, gt);
        write_private(&files.truth, &pt.to_json())?;
        Ok(files)
    }

    fn write(&self, dir: &Path, day: u32) -> Result<SetupFiles, SimError> {
        let day = day.min(MAX_DAY);
        std::fs::create_dir_all(dir).map_err(|source| SimError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files = SetupFiles {
            config: dir.join("vigie365.toml"),
            register: dir.join("registre-generiques.csv"),
            truth: dir.join(format!("verite-terrain-j{:03}.json", day)),
            provincial: None,
        };
        write_private(&files.config, &self.config(dir))?;
        write_private(&files.register, &truth::register_csv(&self.sc, day as i32))?;
        let gt = truth::compute(&self.sc, &self.cfg, day);
        write_private(&files.truth, &gt.to_json())?;
        if self.sc.provincial() {
            files.provincial = Some(self.write_provincial(dir, day, gt)?);
        }
        Ok(files)
    }
}

impl SimHandle {
    fn writer(&self) -> SetupWriter {
        SetupWriter {
            sc: self.shared.sc.clone(),
            cfg: self.shared.cfg.clone(),
            base_url: self.shared.base_url.clone(),
            secret: self.shared.secret.clone(),
            limits: self.limits.clone(),
            scale: self.shared.scale,
        }
    }

    /// `http://127.0.0.1:PORT`: authority, Graph and Exchange base URL at once.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn tenant_id(&self) -> String {
        self.shared.sc.tenant_id.clone()
    }
    /// Primary domain of the simulated tenant.
    pub fn tenant_domain(&self) -> String {
        scenario::TENANT_DOMAIN.to_string()
    }
    pub fn client_id(&self) -> String {
        self.shared.sc.client_id.clone()
    }
    pub fn client_secret(&self) -> String {
        self.shared.secret.clone()
    }
    /// Number of accounts of the scenario (index space; some arrive during the year).
    pub fn accounts(&self) -> u32 {
        self.shared.sc.accounts
    }
    /// Changes the day served (like `POST /_sim/day/{d}`).
    pub fn set_day(&self, day: u32) {
        let day = day.min(MAX_DAY);
        self.shared.day.store(day as i32, Ordering::Relaxed);
        if let Some(cb) = &self.shared.on_day_change {
            cb(day as i32);
        }
    }
    pub fn day(&self) -> u32 {
        self.shared.day.load(Ordering::Relaxed).max(0) as u32
    }
    /// Date of a day (day 0 = start date).
    pub fn date(&self, day: u32) -> NaiveDate {
        let day = day.min(MAX_DAY);
        self.shared.sc.date(day as i32)
    }
    /// Instant of the nightly run of a day (day + 1, 03:00 America/Montreal), RFC 3339.
    pub fn as_of(&self, day: u32) -> String {
        let day = day.min(MAX_DAY);
        self.shared
            .sc
            .as_of(day as i32)
            .with_timezone(&chrono_tz::America::Montreal)
            .to_rfc3339()
    }
    pub fn stats(&self) -> SimStats {
        self.shared.stats()
    }
    /// What a correct audit of `day` must find.
    pub fn ground_truth(&self, day: u32) -> GroundTruth {
        truth::compute(&self.shared.sc, &self.shared.cfg, day.min(MAX_DAY))
    }
    /// What a correct audit of `day` must find, establishment by establishment, in a
    /// provincial tenant (`None` without `--etablissements`).
    pub fn provincial_truth(&self, day: u32) -> Option<ProvincialTruth> {
        self.shared
            .sc
            .provincial()
            .then(|| truth_province::compute(&self.shared.sc, &self.shared.cfg, day.min(MAX_DAY)))
    }
    /// Counts of the scenario on a day, as the endpoints serve them.
    pub fn counts(&self, day: u32) -> ScenarioCounts {
        let day = day.min(MAX_DAY);
        let sc = &self.shared.sc;
        let d = day as i32;
        let mut c = ScenarioCounts::default();
        for i in 0..sc.accounts {
            if let Some(a) = sc.account(i, d) {
                c.users += 1;
                c.mailboxes += a.has_mailbox() as u64;
                if a.has_mailbox() {
                    let f = sc.mailbox_forwarding(&a, d);
                    let forwards = f.smtp.is_some() || f.contact.is_some() || f.named.is_some();
                    c.mailboxes_filtered += (forwards || a.is_shared()) as u64;
                }
                c.registrations += sc.registration(&a, d).is_some() as u64;
                c.mail_contacts += sc.contact(i).is_some() as u64;
            }
        }
        c
    }
    /// The configuration file text for `dir` (as `write_setup` writes it).
    pub fn config_text(&self, dir: &Path) -> String {
        self.writer().config(dir)
    }
    /// The register CSV of a day.
    pub fn register_csv(&self, day: u32) -> String {
        let day = day.min(MAX_DAY);
        truth::register_csv(&self.shared.sc, day as i32)
    }
    /// Writes `vigie365.toml` (mode 0600, inline secret), `registre-generiques.csv` and
    /// `verite-terrain-jNNN.json` into `dir`; for a provincial tenant, also
    /// `provincial.toml`, `etablissement-<slug>.toml` and `registre-generiques-<slug>.csv`
    /// per establishment, and `verite-terrain-provinciale-jNNN.json`.
    pub fn write_setup(&self, dir: &Path, day: u32) -> Result<SetupFiles, SimError> {
        self.writer().write(dir, day)
    }
    /// Stops accepting and closes the open connections.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Sizes of the scenario on a day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioCounts {
    pub users: u64,
    pub mailboxes: u64,
    /// The mailboxes vigie365's filtered `Get-Mailbox` answers: those that forward, and the
    /// shared ones.
    pub mailboxes_filtered: u64,
    pub registrations: u64,
    pub mail_contacts: u64,
}

// ---------------------------------------------------------------- CLI

/// `vigie365 sim` : locataire Microsoft 365 simulé sur la boucle locale.
#[derive(Clone, Debug, clap::Args)]
pub struct SimArgs {
    /// Nombre de comptes de l'établissement simulé (300 à 400 000).
    #[arg(long, default_value_t = 300)]
    pub accounts: u32,
    /// Graine du scénario : même graine, même locataire, mêmes réponses.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Jour simulé servi au départ (0 = date de début).
    #[arg(long, default_value_t = 0)]
    pub day: u32,
    /// Date du jour 0 (AAAA-MM-JJ).
    #[arg(long, default_value = "2026-01-01")]
    pub start_date: NaiveDate,
    /// Port d'écoute sur 127.0.0.1 (0 = port libre quelconque).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Facteur d'accélération : fenêtres de limitation, Retry-After, latence et durée des
    /// jetons sont divisés par K.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Latence simulée, uniforme entre MIN et MAX millisecondes (ex. 20-120).
    #[arg(long, default_value = "0-0", value_name = "MIN-MAX")]
    pub latency_ms: String,
    /// Pannes injectées : 503=0.02,504=0.01,reset=0.01,truncate=0.01,token=300s.
    #[arg(long, default_value = "")]
    pub faults: String,
    /// Secret client accepté par le point de terminaison de jetons (défaut : dérivé de la
    /// graine).
    #[arg(long, env = "VIGIE365_SIM_SECRET")]
    pub secret: Option<String>,
    /// Répertoire où écrire la configuration (mode 0600), le registre et la vérité terrain.
    #[arg(long, default_value = "vigie365-sim")]
    pub setup_dir: PathBuf,
    /// Sources refusées (403), comme si l'autorisation manquait : users, registration,
    /// signins, conditional-access, groups, rules, exchange, roles, intune, signins-clients
    /// (connexions POP et IMAP), get-irmconfiguration, get-adminauditlogconfig,
    /// get-organizationconfig, get-casmailbox, administrative-units (séparées par des
    /// virgules) ; exchange-token : Entra ID refuse le jeton d'Exchange seulement
    /// (AADSTS500011, locataire sans Exchange Online ou sans consentement).
    #[arg(long, value_delimiter = ',', value_name = "SOURCES")]
    pub refuser: Vec<String>,
    /// Locataire provincial partagé entre N établissements (1 à 40) : suffixes d'UPN,
    /// unités administratives, attributs, quelques comptes non attribués ; écrit une
    /// configuration par établissement et provincial.toml. Sans l'option : un seul
    /// établissement.
    #[arg(long, value_name = "N")]
    pub etablissements: Option<u32>,
}

/// Parses `MIN-MAX` milliseconds.
pub fn parse_latency(s: &str) -> Result<Latency, SimError> {
    let bad = || SimError::Option {
        option: "--latency-ms",
        message: format!("« {s} » : attendu MIN-MAX en millisecondes, ex. 20-120"),
    };
    let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
    let min_ms = a.trim().parse().map_err(|_| bad())?;
    let max_ms = b.trim().parse().map_err(|_| bad())?;
    if min_ms > max_ms {
        return Err(bad());
    }
    Ok(Latency { min_ms, max_ms })
}

/// Parses `503=0.02,504=0.01,reset=0.01,truncate=0.01,token=300s`.
pub fn parse_faults(s: &str) -> Result<FaultRates, SimError> {
    let mut f = FaultRates::default();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = |m: &str| SimError::Option {
            option: "--faults",
            message: format!("« {part} » : {m}"),
        };
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| bad("attendu TYPE=VALEUR"))?;
        let rate = || -> Result<f64, SimError> {
            let r: f64 = v
                .trim()
                .parse()
                .map_err(|_| bad("taux attendu entre 0 et 1"))?;
            if (0.0..=1.0).contains(&r) {
                Ok(r)
            } else {
                Err(bad("taux attendu entre 0 et 1"))
            }
        };
        match k.trim() {
            "429" => f.http429 = rate()?,
            "503" => f.http503 = rate()?,
            "504" => f.http504 = rate()?,
            "reset" => f.reset = rate()?,
            "truncate" => f.truncate = rate()?,
            "token" => {
                let secs: f64 = v
                    .trim()
                    .trim_end_matches('s')
                    .parse()
                    .map_err(|_| bad("durée attendue en secondes, ex. 300s"))?;
                if secs.is_nan() || secs <= 0.0 {
                    return Err(bad("durée attendue en secondes, ex. 300s"));
                }
                f.token_lifetime_secs = Some(secs);
            }
            _ => {
                return Err(bad(
                    "type inconnu (429, 503, 504, reset, truncate ou token attendu)",
                ));
            }
        }
    }
    Ok(f)
}

impl SimArgs {
    /// Options of the in-process API from the command line.
    pub fn options(&self) -> Result<SimOptions, SimError> {
        Ok(SimOptions {
            seed: self.seed,
            accounts: self.accounts,
            day: self.day,
            start_date: self.start_date,
            time_scale: self.time_scale,
            latency: parse_latency(&self.latency_ms)?,
            faults: parse_faults(&self.faults)?,
            secret: self.secret.clone(),
            limits: ThrottleLimits::default(),
            port: self.port,
            setup_dir: Some(self.setup_dir.clone()),
            deny: self
                .refuser
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            hostile_names: false,
            security_defaults: false,
            establishments: self.etablissements,
        })
    }
}

/// `vigie365 sim`: starts, writes the setup files, prints the base URL and the config,
/// serves until Ctrl-C.
pub async fn serve_cli(args: SimArgs) -> Result<(), SimError> {
    let opts = args.options()?;
    let day = opts.day;
    let handle = Sim::start(opts).await?;
    let files = handle.write_setup(&args.setup_dir, day)?;
    println!("Locataire simulé : {}", handle.base_url());
    println!(
        "Graine {}, {} comptes, jour {} ({}), facteur d'accélération {}",
        args.seed,
        handle.accounts(),
        day,
        handle.date(day),
        args.time_scale
    );
    println!(
        "Configuration : {} (mode 0600)\nRegistre : {}\nVérité terrain : {}",
        files.config.display(),
        files.register.display(),
        files.truth.display()
    );
    if let Some(p) = &files.provincial {
        println!(
            "Locataire provincial : {} établissements ; configuration provinciale : {}",
            p.establishments.len(),
            p.config.display()
        );
        for c in &p.establishments {
            println!("  {}", c.display());
        }
        println!("Vérité terrain par établissement : {}", p.truth.display());
    }
    println!(
        "Changer de jour : curl -X POST {}/_sim/day/N ; compteurs : {}/_sim/stats",
        handle.base_url(),
        handle.base_url()
    );
    println!("Ctrl-C pour arrêter.\n");
    println!("{}", handle.config_text(&args.setup_dir));
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| SimError::Serve(e.to_string()))?;
    handle.shutdown().await;
    Ok(())
}
