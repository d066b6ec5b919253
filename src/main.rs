//! The command line: parse, load the configuration, call the library, map the outcome to an
//! exit code. Nothing else lives here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use vigie365::exit::Outcome;

const HELP_TEMPLATE: &str =
    "{before-help}{about-with-newline}\nUtilisation : {usage}\n\n{all-args}{after-help}";

/// vigie365 — audit nocturne d'un locataire Microsoft 365 du RSSS et bilan annuel de sécurité
/// (MSSS-DIR04, orientation sur les abonnements génériques en CHSLD).
#[derive(Parser, Debug)]
#[command(
    name = "vigie365",
    version,
    disable_help_subcommand = true,
    subcommand_help_heading = "Commandes"
)]
struct Cli {
    /// Fichier de configuration (sinon VIGIE365_CONFIG, sinon /etc/vigie365/vigie365.toml).
    #[arg(long, short = 'c', global = true, value_name = "FICHIER")]
    config: Option<PathBuf>,

    /// Format des journaux sur la sortie d'erreur : texte (par défaut) ou json (cron, systemd).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Texte, value_name = "FORMAT",
          hide_default_value = true, hide_possible_values = true)]
    log_format: LogFormat,

    /// Journaux détaillés (répéter pour plus de détails).
    #[arg(long, short = 'v', global = true, action = ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Texte,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// La tâche de nuit : collecte, évaluation, constats du jour.
    Run(RunArgs),
    /// Lit le locataire (Graph, Exchange) et l'enregistre dans la base.
    Collect(CollectArgs),
    /// Évalue le dernier instantané de la base et met à jour les constats.
    Evaluate(EvaluateArgs),
    /// Liste les contrôles du catalogue (ou en explique un).
    Checks(ChecksArgs),
    /// Écrit les constats d'une nuit évaluée (CSV, JSON Lines) et leur résumé.
    Report(ReportArgs),
    /// Écrit le bilan annuel de sécurité de l'information (DIR04 art. 14) à partir de la base.
    Bilan(BilanArgs),
    /// Démonstration : un établissement simulé, une année simulée, un vrai bilan.
    Demo(DemoArgs),
    /// Sert un locataire simulé (Graph, Exchange, jeton) sur la boucle locale.
    Sim(vigie365::sim::SimArgs),
    /// Vérifie configuration, jetons et autorisations, source par source.
    Doctor,
    /// Affiche les autorisations d'application et licences requises, requête par requête.
    Permissions,
    /// Configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

// Also flattened into `run`: the night's instant, the progress bars, the pace.
#[derive(clap::Args, Debug)]
struct CollectArgs {
    /// Instant de référence de la nuit (RFC 3339) ; par défaut maintenant. Sert aux essais
    /// sur le locataire simulé.
    #[arg(long, value_name = "INSTANT")]
    as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// Pas de barres de progression, même sur un terminal.
    #[arg(long)]
    sans_progression: bool,
    #[command(flatten)]
    pace: PaceArgs,
}

/// How many requests at once (the benchmark's one-at-a-time baseline uses both).
#[derive(clap::Args, Debug, Clone, Copy)]
struct PaceArgs {
    /// Requêtes simultanées par source (par défaut : lots_simultanes de la configuration) ;
    /// 1 : les sources l'une après l'autre, une requête à la fois.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    concurrency: Option<u32>,
    /// Règles de boîte de réception lues par une requête GET par boîte, sans $batch.
    #[arg(long)]
    no_batch: bool,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Sortir avec le code 4 si un constat non accepté atteint cette sévérité
    /// (critique, élevée, moyenne, faible, info).
    #[arg(long, value_name = "SÉVÉRITÉ", value_parser = parse_severity)]
    fail_on: Option<SeverityArg>,
    #[command(flatten)]
    night: CollectArgs,
}

#[derive(Debug, Clone, Copy)]
struct SeverityArg(vigie365::checks::Severity);

fn parse_severity(s: &str) -> Result<SeverityArg, String> {
    vigie365::checks::Severity::parse(s)
        .map(SeverityArg)
        .ok_or_else(|| {
            format!("sévérité inconnue « {s} » : critique, élevée, moyenne, faible ou info")
        })
}

#[derive(clap::Args, Debug)]
struct EvaluateArgs {
    /// Explique la classe d'un compte et ce que chaque contrôle en a conclu (sans rien écrire).
    #[arg(long, value_name = "UPN")]
    explain: Option<String>,
}

#[derive(clap::Args, Debug)]
struct ChecksArgs {
    /// Identifiant d'un contrôle à expliquer (ex. GEN-MFA-01).
    id: Option<String>,
}

#[derive(clap::Args, Debug)]
struct ReportArgs {
    /// Nuit à rapporter ; par défaut la dernière nuit évaluée.
    #[arg(long, value_name = "AAAA-MM-JJ")]
    nuit: Option<chrono::NaiveDate>,
    /// Répertoire des sorties ; par défaut [stockage].sorties.
    #[arg(long, value_name = "RÉPERTOIRE")]
    sortie: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct BilanArgs {
    /// Année civile : du 1er janvier au 31 décembre (par défaut, l'année de la date d'arrêté).
    #[arg(long, value_name = "AAAA", conflicts_with_all = ["exercice", "du", "au"])]
    annee: Option<i32>,
    /// Exercice financier : du 1er avril AAAA au 31 mars AAAA+1.
    #[arg(long, value_name = "AAAA", conflicts_with_all = ["du", "au"])]
    exercice: Option<i32>,
    /// Début d'une période libre (avec --au).
    #[arg(long, value_name = "AAAA-MM-JJ", requires = "au")]
    du: Option<chrono::NaiveDate>,
    /// Fin d'une période libre (avec --du).
    #[arg(long, value_name = "AAAA-MM-JJ", requires = "du")]
    au: Option<chrono::NaiveDate>,
    /// Date d'arrêté : les chiffres tels qu'ils étaient après l'évaluation de la nuit de cette
    /// date (seules les collectes, constats et figures jusqu'à cette nuit sont lus). Par défaut
    /// la veille, ou la fin de la période si elle est passée.
    #[arg(long = "arrete-au", visible_alias = "as-of", value_name = "AAAA-MM-JJ")]
    arrete_au: Option<chrono::NaiveDate>,
    /// Répertoire des sorties ; par défaut [stockage].sorties.
    #[arg(long, value_name = "RÉPERTOIRE")]
    sortie: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct DemoArgs {
    /// Nombre de comptes de l'établissement simulé.
    #[arg(long, default_value_t = 400)]
    accounts: u32,
    /// Nombre de nuits simulées.
    #[arg(long, default_value_t = 365)]
    days: u32,
    /// Graine du scénario (même graine, même année).
    #[arg(long, default_value_t = 2025)]
    seed: u64,
    /// Répertoire de la démonstration (configuration, base, sorties).
    #[arg(long, default_value = "vigie365-demo")]
    dir: PathBuf,
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Valide le fichier de configuration et signale chaque problème (fichier, ligne, correctif).
    Check,
}

/// French help everywhere: the help flag, the version flag and the section headings.
fn french(cmd: clap::Command) -> clap::Command {
    let cmd = cmd
        .help_template(HELP_TEMPLATE)
        .subcommand_help_heading("Commandes")
        .disable_help_flag(true)
        .arg(
            clap::Arg::new("aide")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("Affiche l'aide")
                .global(true),
        )
        .mut_subcommands(french);
    if cmd.get_version().is_some() {
        cmd.disable_version_flag(true).arg(
            clap::Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("Affiche la version"),
        )
    } else {
        cmd
    }
}

/// A command-line error in French, for the kinds a user meets (clap only speaks English);
/// `None` for the rare others, printed as clap words them.
fn usage_error_fr(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let text = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        Some(ContextValue::StyledStr(s)) => Some(s.to_string()),
        Some(ContextValue::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let hint = |k: ContextKind| {
        text(k)
            .map(|s| format!(" — vouliez-vous dire « {s} » ?"))
            .unwrap_or_default()
    };
    let arg = text(ContextKind::InvalidArg).unwrap_or_default();
    Some(match e.kind() {
        ErrorKind::UnknownArgument => {
            format!(
                "option inconnue « {arg} »{}",
                hint(ContextKind::SuggestedArg)
            )
        }
        ErrorKind::InvalidSubcommand => format!(
            "commande inconnue « {} »{}",
            text(ContextKind::InvalidSubcommand).unwrap_or_default(),
            hint(ContextKind::SuggestedSubcommand)
        ),
        ErrorKind::InvalidValue => match text(ContextKind::InvalidValue) {
            Some(v) if !v.is_empty() => format!(
                "valeur « {v} » refusée pour {arg}{}",
                text(ContextKind::ValidValue)
                    .map(|v| format!(" ; valeurs permises : {v}"))
                    .unwrap_or_default()
            ),
            _ => format!("une valeur est requise pour {arg}"),
        },
        ErrorKind::ValueValidation => format!(
            "valeur « {} » refusée pour {arg} : {}",
            text(ContextKind::InvalidValue).unwrap_or_default(),
            match std::error::Error::source(e) {
                Some(s) if s.is::<std::num::ParseIntError>() =>
                    "un nombre entier est attendu".into(),
                Some(s) if s.is::<std::num::ParseFloatError>() => "un nombre est attendu".into(),
                Some(s) => s.to_string(),
                None => "valeur invalide".into(),
            }
        ),
        ErrorKind::MissingRequiredArgument => format!("argument obligatoire absent : {arg}"),
        ErrorKind::ArgumentConflict => format!(
            "{arg} ne peut pas être utilisée avec {}",
            text(ContextKind::PriorArg).unwrap_or_else(|| "une autre option donnée".into())
        ),
        ErrorKind::MissingSubcommand => {
            "une commande est requise (run, collect, evaluate, report, doctor, ...)".into()
        }
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => {
            format!("nombre de valeurs incorrect pour {arg}")
        }
        ErrorKind::NoEquals => format!("{arg} attend « = » et une valeur"),
        _ => return None,
    })
}

fn main() -> ExitCode {
    let matches = match french(Cli::command()).try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    let _ = e.print();
                }
                _ => match usage_error_fr(&e) {
                    Some(msg) => eprintln!("vigie365 : {msg} (voir « vigie365 --help »)"),
                    None => {
                        eprintln!("vigie365 : arguments invalides (voir « vigie365 --help ») :");
                        let _ = e.print();
                    }
                },
            }
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => Outcome::Usage.into(),
            };
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return Outcome::Usage.into();
        }
    };
    // The demo prints its own progress; its nightly logs would drown it.
    let quiet = matches!(cli.command, Command::Demo(_));
    init_logs(cli.log_format, cli.verbose, quiet);
    run(cli).into()
}

fn init_logs(format: LogFormat, verbose: u8, quiet: bool) {
    let default = match verbose {
        0 if quiet => "warn",
        0 => "vigie365=info,warn",
        1 => "vigie365=debug,info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIE365_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Texte => builder.with_target(false).try_init(),
    };
}

/// Loads and validates the configuration; every problem is printed before anything runs.
fn load_config(cli_path: Option<&std::path::Path>) -> Result<vigie365::config::Config, Outcome> {
    let path = vigie365::config::resolve_path(cli_path);
    vigie365::config::load(&path, &vigie365::checks::registry::load_options()).map_err(|errors| {
        eprintln!("{errors}");
        Outcome::Usage
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, Outcome> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("vigie365 : impossible de démarrer l'exécution asynchrone : {e}");
            Outcome::Failed
        })
}

/// Prints the error and gives the outcome to exit with.
fn fail<E: std::fmt::Display>(outcome: Outcome) -> impl FnOnce(E) -> Outcome {
    move |e| {
        eprintln!("vigie365 : {e}");
        outcome
    }
}

/// Collects one night: prints the per-source summary and returns the night's report.
fn collect_night(
    config: &vigie365::config::Config,
    as_of: chrono::DateTime<chrono::Utc>,
    progress: bool,
    pace: PaceArgs,
) -> Result<vigie365::collect::NightReport, Outcome> {
    let mut settings =
        vigie365::collect::Settings::from_config(config, as_of).map_err(fail(Outcome::Usage))?;
    if let Some(n) = pace.concurrency {
        settings = settings.with_concurrency(n as usize);
    }
    if pace.no_batch {
        settings = settings.without_batch();
    }
    let client = vigie365::graph::GraphClient::from_config(config).map_err(fail(Outcome::Usage))?;
    let store =
        vigie365::store::Store::open(&config.storage.database).map_err(fail(Outcome::Failed))?;
    let store = std::sync::Arc::new(std::sync::Mutex::new(store));
    let progress = if progress {
        vigie365::collect::Progress::new(true)
    } else {
        vigie365::collect::Progress::hidden()
    };
    let report = runtime()?
        .block_on(vigie365::collect::collect_night(
            client, store, settings, progress,
        ))
        .map_err(fail(Outcome::Failed))?;
    print!("{}", vigie365::collect::summary_fr(&report));
    Ok(report)
}

fn collection_outcome(report: &vigie365::collect::NightReport) -> Outcome {
    match report.status {
        vigie365::store::RunStatus::Complete => Outcome::Complete,
        vigie365::store::RunStatus::Partial => Outcome::Partial,
        _ => Outcome::Failed,
    }
}

fn collect(cli_config: Option<&std::path::Path>, args: &CollectArgs) -> Outcome {
    let result = load_config(cli_config).and_then(|config| {
        collect_night(
            &config,
            args.as_of.unwrap_or_else(chrono::Utc::now),
            !args.sans_progression,
            args.pace,
        )
    });
    match result {
        Ok(report) => collection_outcome(&report),
        Err(o) => o,
    }
}

/// The nightly job: collect, evaluate, nightly outputs (`constats-AAAA-MM-JJ.csv` and `.jsonl`). Exit code: 1 if the night failed,
/// else 4 if findings reach `--fail-on`, else 3 if a source could not be read, else 0.
fn nightly(cli_config: Option<&std::path::Path>, args: &RunArgs) -> Outcome {
    let inner = || -> Result<Outcome, Outcome> {
        let config = load_config(cli_config)?;
        let report = collect_night(
            &config,
            args.night.as_of.unwrap_or_else(chrono::Utc::now),
            !args.night.sans_progression,
            args.night.pace,
        )?;
        if report.status == vigie365::store::RunStatus::Failed {
            return Ok(Outcome::Failed);
        }
        let mut store = vigie365::store::Store::open(&config.storage.database)
            .map_err(fail(Outcome::Failed))?;
        let (summary, evaluation) =
            vigie365::night::evaluate_latest(&mut store, &config).map_err(fail(Outcome::Failed))?;
        let night = vigie365::report::nightly::build(
            &store,
            Some(summary.night),
            &config.tenant.establishment,
        )
        .map_err(fail(Outcome::Failed))?;
        let files = vigie365::report::nightly::write(&night, &config.storage.outputs)
            .map_err(fail(Outcome::Failed))?;
        let text =
            vigie365::report::nightly::summary(&night, &files, config.report.templates.as_deref())
                .map_err(fail(Outcome::Failed))?;
        print!("{text}");
        if let Some(threshold) = args.fail_on {
            let hit = evaluation
                .findings
                .iter()
                .any(|f| !f.is_accepted() && f.severity <= threshold.0);
            if hit {
                return Ok(Outcome::Findings);
            }
        }
        Ok(collection_outcome(&report))
    };
    inner().unwrap_or_else(|o| o)
}

fn doctor(cli_config: Option<&std::path::Path>) -> Outcome {
    let report = vigie365::config::check(
        &vigie365::config::resolve_path(cli_config),
        &vigie365::checks::registry::load_options(),
    );
    println!("{report}\n");
    if !report.is_valid() {
        return Outcome::Usage;
    }
    let config = match load_config(cli_config) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let client = match vigie365::graph::GraphClient::from_config(&config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vigie365 : {e}");
            return Outcome::Usage;
        }
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(o) => return o,
    };
    let report = rt.block_on(vigie365::collect::doctor::run(&client));
    print!("{}", report.to_text());
    if report.all_ok() {
        Outcome::Complete
    } else if report.graph_token.is_err() && report.exchange_token.is_err() {
        Outcome::Failed
    } else {
        Outcome::Partial
    }
}

fn evaluate(cli_config: Option<&std::path::Path>) -> Outcome {
    let config = match load_config(cli_config) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let mut store = match vigie365::store::Store::open(&config.storage.database) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("vigie365 : {e}");
            return Outcome::Failed;
        }
    };
    match vigie365::night::evaluate_latest(&mut store, &config) {
        Ok((summary, _)) => {
            print!("{}", vigie365::night::summary_fr(&summary));
            if summary.not_evaluated.is_empty() {
                Outcome::Complete
            } else {
                Outcome::Partial
            }
        }
        Err(e) => {
            eprintln!("vigie365 : {e}");
            Outcome::Failed
        }
    }
}

fn open_read_only(config: &vigie365::config::Config) -> Result<vigie365::store::Store, Outcome> {
    vigie365::store::Store::open_read_only(&config.storage.database).map_err(|e| {
        eprintln!("vigie365 : {e}");
        Outcome::Failed
    })
}

fn report(cli_config: Option<&std::path::Path>, args: &ReportArgs) -> Outcome {
    let config = match load_config(cli_config) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let store = match open_read_only(&config) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let dir = args
        .sortie
        .clone()
        .unwrap_or_else(|| config.storage.outputs.clone());
    let result = vigie365::report::nightly::build(&store, args.nuit, &config.tenant.establishment)
        .and_then(|n| {
            let files = vigie365::report::nightly::write(&n, &dir)?;
            let text =
                vigie365::report::nightly::summary(&n, &files, config.report.templates.as_deref())?;
            Ok((n, text))
        });
    match result {
        Ok((n, text)) => {
            print!("{text}");
            if n.is_partial() {
                Outcome::Partial
            } else {
                Outcome::Complete
            }
        }
        Err(e) => {
            eprintln!("vigie365 : {e}");
            Outcome::Failed
        }
    }
}

/// The period the flags ask for; `yesterday` is the default as-of night.
fn bilan_period(
    args: &BilanArgs,
    yesterday: chrono::NaiveDate,
) -> Result<vigie365::report::bilan::Period, vigie365::report::ReportError> {
    use chrono::Datelike;
    use vigie365::report::bilan::Period;
    let period = match (args.annee, args.exercice, args.du, args.au) {
        (Some(y), _, _, _) => Period::year(y)?,
        (_, Some(y), _, _) => Period::fiscal(y)?,
        (_, _, Some(du), Some(au)) => Period::between(du, au)?,
        _ => Period::year(args.arrete_au.unwrap_or(yesterday).year())?,
    };
    let as_of = args.arrete_au.unwrap_or_else(|| period.au.min(yesterday));
    Ok(period.as_of(as_of))
}

fn bilan(cli_config: Option<&std::path::Path>, args: &BilanArgs) -> Outcome {
    let config = match load_config(cli_config) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let today = chrono::Utc::now()
        .with_timezone(&config.evaluation.timezone)
        .date_naive();
    let period = match bilan_period(args, today.pred_opt().unwrap_or(today)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("vigie365 : {e}");
            return Outcome::Usage;
        }
    };
    let store = match open_read_only(&config) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let dir = args
        .sortie
        .clone()
        .unwrap_or_else(|| config.storage.outputs.clone());
    let ctx = vigie365::report::bilan::Context::from_config(&config);
    match vigie365::report::bilan::produce(&store, &period, &ctx, &dir) {
        Ok((b, files)) => {
            print!("{}", vigie365::report::bilan::summary_fr(&b, &files));
            Outcome::Complete
        }
        Err(e @ vigie365::report::ReportError::Period(_)) => {
            eprintln!("vigie365 : {e}");
            Outcome::Usage
        }
        Err(e) => {
            eprintln!("vigie365 : {e}");
            Outcome::Failed
        }
    }
}

/// The bilan of the simulated year, into the demo's output directory.
fn demo_bilan(
    outcome: &vigie365::demo::DemoOutcome,
    opts: &vigie365::demo::DemoOptions,
) -> Result<(vigie365::report::bilan::Bilan, Vec<PathBuf>), String> {
    let config =
        vigie365::config::load(&outcome.config, &vigie365::checks::registry::load_options())
            .map_err(|e| e.to_string())?;
    let (b, _, rendered) = vigie365::report::bilan::of_simulation(&config, opts.start, opts.days)
        .map_err(|e| e.to_string())?;
    let files = vigie365::report::bilan::write(&rendered, &config.storage.outputs)
        .map_err(|e| e.to_string())?;
    Ok((b, files))
}

fn sim(args: vigie365::sim::SimArgs) -> Outcome {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(o) => return o,
    };
    match rt.block_on(vigie365::sim::serve_cli(args)) {
        Ok(()) => Outcome::Complete,
        Err(e) => {
            eprintln!("vigie365 : {e}");
            Outcome::Usage
        }
    }
}

fn demo(args: &DemoArgs) -> Outcome {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(o) => return o,
    };
    let opts = vigie365::demo::DemoOptions {
        accounts: args.accounts,
        days: args.days,
        seed: args.seed,
        dir: args.dir.clone(),
        ..vigie365::demo::DemoOptions::default()
    };
    eprintln!(
        "vigie365 : démonstration — {} comptes simulés, {} nuits, graine {} (répertoire {})",
        opts.accounts,
        opts.days,
        opts.seed,
        opts.dir.display()
    );
    let started = std::time::Instant::now();
    let result = rt.block_on(vigie365::demo::simulate(&opts, |day, _| {
        if (day + 1) % 30 == 0 {
            eprintln!("  nuit {} / {}", day + 1, opts.days);
        }
    }));
    match result {
        Ok(o) => {
            println!(
                "Année simulée : {} nuits ({} complètes) en {:.0} s ; {} constats la dernière nuit.",
                o.nights,
                o.complete_nights,
                started.elapsed().as_secs_f64(),
                o.last_findings
            );
            println!(
                "Configuration : {}\nBase : {}",
                o.config.display(),
                o.store.display()
            );
            let bilan_started = std::time::Instant::now();
            match demo_bilan(&o, &opts) {
                Ok((b, files)) => {
                    println!(
                        "Bilan de l'année simulée ({} constats relevés, {} corrigés) écrit en {:.1} s :",
                        b.sommaire.releves,
                        b.sommaire.corriges,
                        bilan_started.elapsed().as_secs_f64()
                    );
                    for f in files {
                        println!("  {}", f.display());
                    }
                    Outcome::Complete
                }
                Err(e) => {
                    eprintln!("vigie365 : bilan de la démonstration : {e}");
                    Outcome::Failed
                }
            }
        }
        Err(e) => {
            eprintln!("vigie365 : {e}");
            Outcome::Failed
        }
    }
}

fn explain(cli_config: Option<&std::path::Path>, upn: &str) -> Outcome {
    let config = match load_config(cli_config) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let store = match vigie365::store::Store::open_read_only(&config.storage.database) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("vigie365 : {e}");
            return Outcome::Failed;
        }
    };
    match vigie365::night::explain(&store, &config, upn) {
        Ok(text) => {
            print!("{text}");
            Outcome::Complete
        }
        Err(e) => {
            eprintln!("vigie365 : {e}");
            Outcome::Failed
        }
    }
}

fn checks(id: Option<&str>) -> Outcome {
    match id {
        None => {
            print!("{}", vigie365::checks::registry::table_fr());
            Outcome::Complete
        }
        Some(id) => match vigie365::checks::registry::get(&id.trim().to_uppercase()) {
            Some(c) => {
                println!(
                    "{} — {} (sévérité {})\n{}\nRéférence : {}\nSources : {}",
                    c.id,
                    c.title_fr,
                    c.severity.label(),
                    c.doc,
                    c.reference,
                    if vigie365::checks::possible_needs(c).len() > c.needs.len() {
                        format!(
                            "{} (et group-members quand [classification] nomme des groupes)",
                            c.needs.join(", ")
                        )
                    } else {
                        c.needs.join(", ")
                    }
                );
                Outcome::Complete
            }
            None => {
                eprintln!(
                    "vigie365 : contrôle inconnu « {id} » ; `vigie365 checks` les liste tous"
                );
                Outcome::Usage
            }
        },
    }
}

fn config_check(cli_config: Option<&std::path::Path>) -> Outcome {
    let report = vigie365::config::check(
        &vigie365::config::resolve_path(cli_config),
        &vigie365::checks::registry::load_options(),
    );
    println!("{report}");
    if report.is_valid() {
        Outcome::Complete
    } else {
        Outcome::Usage
    }
}

fn run(cli: Cli) -> Outcome {
    let config = cli.config.as_deref();
    match &cli.command {
        Command::Permissions => {
            print!("{}", vigie365::queries::permission_table());
            println!(
                "\nÀ accorder à l'application (type « Application », puis consentement administrateur) :"
            );
            for (api, permission) in vigie365::queries::permissions_to_grant() {
                let api = match api {
                    vigie365::queries::Api::Graph => "Microsoft Graph",
                    vigie365::queries::Api::Exchange => "Office 365 Exchange Online",
                };
                println!("  - {api} : {permission}");
            }
            Outcome::Complete
        }
        Command::Config(ConfigCommand::Check) => config_check(config),
        Command::Collect(args) => collect(config, args),
        Command::Run(args) => nightly(config, args),
        Command::Evaluate(args) => match &args.explain {
            Some(upn) => explain(config, upn),
            None => evaluate(config),
        },
        Command::Checks(args) => checks(args.id.as_deref()),
        Command::Report(args) => report(config, args),
        Command::Bilan(args) => bilan(config, args),
        Command::Demo(args) => demo(args),
        Command::Sim(args) => sim(args.clone()),
        Command::Doctor => doctor(config),
    }
}
