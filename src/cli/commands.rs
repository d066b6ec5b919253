//! One function per command of `vigie365`: load what it needs, call the library, print the
//! French result on stdout and say how the command ended. Failures are returned as
//! [`AppError`], never printed here.

use std::path::Path;

use super::AppError;
use super::args::{BilanArgs, CollectArgs, ConsoliderArgs, DemoArgs, ReportArgs};
use crate::checks::Severity;
use crate::config::Config;
use crate::exit::Outcome;
use crate::pipeline::{Pipeline, Until};
use crate::store::Store;

/// What a command returns: how it ended, or why it could not do its work.
pub type CommandResult = Result<Outcome, AppError>;

/// Loads and validates the configuration; every problem is reported before anything runs.
fn load_config(cli_path: Option<&Path>) -> Result<Config, AppError> {
    Ok(crate::config::load(
        &crate::config::resolve_path(cli_path),
        &crate::checks::registry::load_options(),
    )?)
}

/// Writes a command's French text on stdout, made inert for a terminal
/// ([`crate::report::escape::terminal_text`]): the one way commands print.
fn say(text: &str) {
    print!("{}", crate::report::escape::terminal_text(text));
}

fn runtime() -> Result<tokio::runtime::Runtime, AppError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(AppError::Runtime)
}

fn complete_unless(partial: bool) -> Outcome {
    if partial {
        Outcome::Partial
    } else {
        Outcome::Complete
    }
}

/// `collect` (`until` collected) and `run` (`until` written): one night through the
/// pipeline, the stages' summaries on stdout. Exit code: 1 if the night failed (its cause
/// on stderr, once), else 4 if findings reach `fail_on`, else 3 if a source could not be
/// read, else 0.
pub fn night(
    cli_config: Option<&Path>,
    args: &CollectArgs,
    until: Until,
    fail_on: Option<Severity>,
) -> CommandResult {
    let config = load_config(cli_config)?;
    let job = args.job(&config, until);
    let mut pipeline = Pipeline::new().with_history(args.history());
    let night = runtime()?.block_on(pipeline.night(&job, &mut |s| say(s)))?;
    if let Some(cause) = &night.collection.failure {
        return Err(AppError::NightFailed {
            run: night.collection.run,
            cause: cause.clone(),
        });
    }
    let outcome = night.outcome(fail_on);
    if let (Outcome::Findings, Some(threshold)) = (outcome, fail_on) {
        eprintln!(
            "vigie365 : {}",
            crate::report::escape::terminal(&fail_on_fr(&night.reaching(threshold), threshold))
        );
    }
    Ok(outcome)
}

/// Why `--fail-on` exits 4, on one line: how many findings per severity at or above the
/// threshold, and the first few.
fn fail_on_fr(found: &[&crate::checks::Finding], threshold: Severity) -> String {
    const SHOWN: usize = 3;
    let per_severity: Vec<String> = Severity::ALL
        .into_iter()
        .filter(|s| *s <= threshold)
        .map(|s| {
            let n = found.iter().filter(|f| f.severity == s).count();
            format!("{} {n}", s.label())
        })
        .collect();
    let first: Vec<String> = found
        .iter()
        .take(SHOWN)
        .map(|f| {
            format!(
                "{} {}",
                f.check,
                crate::report::escape::terminal(&f.subject)
            )
        })
        .collect();
    let more = match found.len().saturating_sub(SHOWN) {
        0 => String::new(),
        n => format!(" et {n} autre(s)"),
    };
    format!(
        "code 4 (--fail-on {}) : {} constat(s) non accepté(s) à ce niveau ou au-dessus ({}) : {}{more} ; \
         la liste complète est dans les fichiers de constats du jour",
        threshold.label(),
        found.len(),
        per_severity.join(", "),
        first.join(", "),
    )
}

/// `evaluate`: the latest collected night into findings.
pub fn evaluate(cli_config: Option<&Path>) -> CommandResult {
    let config = load_config(cli_config)?;
    let mut store = Store::open(&config.storage.database)?;
    if config.is_provincial() {
        let nights =
            crate::pipeline::provincial(&mut store, &config, Until::Evaluated, &mut |s| say(s))?;
        let partial = nights.iter().any(|n| !n.summary.not_evaluated.is_empty());
        return Ok(complete_unless(partial));
    }
    let (summary, _) = crate::night::evaluate_latest(&mut store, &config)?;
    say(&crate::night::summary_fr(&summary));
    Ok(complete_unless(!summary.not_evaluated.is_empty()))
}

/// `evaluate --explain <upn>`.
pub fn explain(cli_config: Option<&Path>, upn: &str) -> CommandResult {
    let config = load_config(cli_config)?;
    let store = Store::open_read_only(&config.storage.database)?;
    say(&crate::night::explain(&store, &config, upn)?);
    Ok(Outcome::Complete)
}

/// `report`: the files of an evaluated night, again.
pub fn report(cli_config: Option<&Path>, args: &ReportArgs) -> CommandResult {
    let config = load_config(cli_config)?;
    let mut store = Store::open_read_only(&config.storage.database)?;
    // The provincial mode: each establishment's files, then « non attribué »'s, each in the
    // directory of its code.
    let slices = config.slices();
    let mut partial = false;
    for (code, of) in &slices {
        store.set_establishment(code);
        let dir = match &args.sortie {
            Some(d) if code.is_empty() => d.clone(),
            Some(d) => d.join(code),
            None => of.storage.outputs.clone(),
        };
        let (night, _, text) = crate::pipeline::write_night(&store, args.nuit, of, &dir)?;
        say(&text);
        partial |= night.is_partial();
    }
    Ok(complete_unless(partial))
}

/// `bilan`: the yearly report of a period, from the store.
pub fn bilan(cli_config: Option<&Path>, args: &BilanArgs) -> CommandResult {
    use crate::report::bilan;
    let config = load_config(cli_config)?;
    let today = chrono::Utc::now()
        .with_timezone(&config.evaluation.timezone)
        .date_naive();
    let period = args.period(today.pred_opt().unwrap_or(today))?;
    let mut store = Store::open_read_only(&config.storage.database)?;
    let slices = bilan_slices(&config, args)?;
    let evaluated = store.establishments()?;
    for (code, of) in &slices {
        if !code.is_empty() && !evaluated.contains(code) {
            return Err(AppError::Establishment(format!(
                "aucune nuit évaluée pour l'établissement « {code} » dans la base {} ; \
                 correctif : exécuter `vigie365 run` avec cette configuration provinciale \
                 (établissements évalués : {})",
                config.storage.database.display(),
                if evaluated.is_empty() {
                    "aucun".to_string()
                } else {
                    evaluated.join(", ")
                }
            )));
        }
        store.set_establishment(code);
        // `--sortie`: the directory of the one bilan asked for; with `--tous`, the parent
        // of each establishment's.
        let dir = match &args.sortie {
            Some(d) if slices.len() == 1 => d.clone(),
            Some(d) => d.join(code),
            None => of.storage.outputs.clone(),
        };
        let ctx = bilan::Context::from_config(of);
        let (b, files) = bilan::produce(&store, &period, &ctx, &dir)?;
        say(&bilan::summary_fr(&b, &files));
    }
    Ok(Outcome::Complete)
}

/// The bilans `bilan` writes: (the store's evaluation slice, the configuration it is
/// written with). One establishment: its own. The provincial mode: the establishment
/// `--etablissement` names, or `--tous` (each, then « non attribué »).
fn bilan_slices(config: &Config, args: &BilanArgs) -> Result<Vec<(String, Config)>, AppError> {
    use crate::config::UNATTRIBUTED_CODE;
    let codes = || {
        config
            .establishments
            .iter()
            .map(|e| e.code.as_str())
            .chain([UNATTRIBUTED_CODE])
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !config.is_provincial() {
        if args.etablissement.is_some() || args.tous {
            return Err(AppError::Establishment(format!(
                "--etablissement et --tous demandent une configuration provinciale \
                 ([[etablissements]]) ; {} n'en a pas : retirer l'option",
                config.source.display()
            )));
        }
        return Ok(config.slices());
    }
    let one = |code: &str| -> Result<(String, Config), AppError> {
        if code == UNATTRIBUTED_CODE {
            return Ok((code.to_string(), config.for_unattributed()));
        }
        config
            .establishment(code)
            .map(|e| (e.code.clone(), config.for_establishment(e)))
            .ok_or_else(|| {
                AppError::Establishment(format!(
                    "établissement « {code} » inconnu de {} ; codes : {}",
                    config.source.display(),
                    codes()
                ))
            })
    };
    match (&args.etablissement, args.tous) {
        (Some(code), _) => Ok(vec![one(code)?]),
        (None, true) => Ok(config.slices()),
        (None, false) => Err(AppError::Establishment(format!(
            "configuration provinciale ({} établissements) : préciser --etablissement CODE \
             ou --tous ; codes : {}",
            config.establishments.len(),
            codes()
        ))),
    }
}

/// `demo`: a simulated year through the nightly pipeline, then its bilan.
pub fn demo(args: &DemoArgs) -> CommandResult {
    let rt = runtime()?;
    let opts = args.options();
    eprintln!(
        "vigie365 : démonstration — {} comptes simulés, {} nuits, graine {} (répertoire {})",
        opts.accounts,
        opts.days,
        opts.seed,
        opts.dir.display()
    );
    let started = std::time::Instant::now();
    let o = rt.block_on(crate::demo::simulate(&opts, |day, _| {
        if (day + 1) % 30 == 0 {
            eprintln!("  nuit {} / {}", day + 1, opts.days);
        }
    }))?;
    println!(
        "Année simulée : {} nuits ({} complètes) en {} ; {} constats la dernière nuit.",
        o.nights,
        o.complete_nights,
        seconds(started.elapsed()),
        o.last_findings
    );
    if o.establishments.is_empty() {
        println!(
            "Configuration : {}\nBase : {}",
            o.config.display(),
            o.store.display()
        );
    } else {
        println!("Configurations des établissements (chacune avec son périmètre et sa base) :");
        for c in &o.establishments {
            println!("  {}", c.display());
        }
    }
    println!(
        "Vérité terrain du simulateur (constats attendus, nuit par nuit) : {}",
        crate::demo::truth_dir(&opts.dir).display()
    );
    let bilan_started = std::time::Instant::now();
    if opts.establishments.is_some() {
        let crate::demo::ProvincialBilans { each, network } =
            crate::demo::provincial_bilans(&o, &opts)?;
        println!(
            "Bilans des {} établissements et bilan de réseau écrits en {} :",
            each.len(),
            seconds(bilan_started.elapsed())
        );
        for (name, files) in each {
            println!("  {name}");
            for f in files {
                println!("    {}", f.display());
            }
        }
        println!("  Bilan de réseau");
        for f in network {
            println!("    {}", f.display());
        }
        return Ok(Outcome::Complete);
    }
    let (b, files) = crate::demo::bilan(&o, &opts)?;
    println!(
        "Bilan de l'année simulée ({} constats relevés, {} corrigés) écrit en {} :",
        b.sommaire.releves,
        b.sommaire.corriges,
        seconds(bilan_started.elapsed())
    );
    for f in files {
        println!("  {}", f.display());
    }
    Ok(Outcome::Complete)
}

/// « 0,2 s », « 41 s »: a duration as the user reads it, with a decimal comma.
fn seconds(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    let decimals = if s < 10.0 { 1 } else { 0 };
    format!("{}\u{a0}s", crate::report::fr::decimal(s, decimals))
}

/// `sim`: serves the simulated tenant until interrupted.
pub fn sim(args: crate::sim::SimArgs) -> CommandResult {
    runtime()?.block_on(crate::sim::serve_cli(args))?;
    Ok(Outcome::Complete)
}

/// `doctor`: the configuration, then tokens, permissions source by source, the store and
/// the output directory. 1 when a night would fail, 3 when a source would not be read.
pub fn doctor(cli_config: Option<&Path>) -> CommandResult {
    if config_check(cli_config, "\n") == Outcome::Usage {
        return Ok(Outcome::Usage);
    }
    let config = load_config(cli_config)?;
    let client = crate::graph::GraphClient::from_config(&config)?;
    let report = runtime()?.block_on(crate::collect::doctor::run(&client, &config));
    say(&report.to_text());
    Ok(report.outcome())
}

/// `config check` (and doctor's first step): every problem of the file, with `after` printed
/// after the report. 2 if the file is not valid.
pub fn config_check(cli_config: Option<&Path>, after: &str) -> Outcome {
    let report = crate::config::check(
        &crate::config::resolve_path(cli_config),
        &crate::checks::registry::load_options(),
    );
    say(&format!("{report}{after}\n"));
    if report.is_valid() {
        Outcome::Complete
    } else {
        Outcome::Usage
    }
}

/// `checks [ID]`: the catalogue as a table for the terminal, or one check explained and how
/// to fix it.
pub fn checks(id: Option<&str>) -> CommandResult {
    use crate::checks::registry::{self, wrap};
    let width = terminal_width();
    let Some(id) = id else {
        say(&registry::table_terminal_fr(width));
        return Ok(Outcome::Complete);
    };
    let c = registry::get(&id.trim().to_uppercase())
        .ok_or_else(|| AppError::UnknownCheck(id.to_string()))?;
    let sources = if crate::checks::possible_needs(c).len() > c.needs.len() {
        format!(
            "{} (et group-members quand [classification] nomme des groupes)",
            c.needs.join(", ")
        )
    } else {
        c.needs.join(", ")
    };
    let para = |text: &str| wrap(text, width).join("\n") + "\n";
    say(&format!(
        "{}{}{}{}{}",
        para(&format!(
            "{} — {} (gravité {})",
            c.id,
            c.title_fr,
            c.severity.label()
        )),
        para(c.doc),
        para(&format!("Référence : {}", c.reference)),
        para(&format!("Sources : {sources}")),
        para(&format!("Correction : {}", c.fix_fr)),
    ));
    Ok(Outcome::Complete)
}

/// Columns of the terminal (`COLUMNS`, else 100), between 60 and 160.
fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(60, 160)
}

/// `permissions`: what to grant the application, query by query.
pub fn permissions() -> Outcome {
    use crate::queries::{self, Api};
    print!("{}", queries::permission_table());
    println!(
        "\nÀ accorder à l'application (type « Application », puis consentement administrateur) :"
    );
    for (api, permission) in queries::permissions_to_grant() {
        let api = match api {
            Api::Graph => "Microsoft Graph",
            Api::Exchange => "Office 365 Exchange Online",
        };
        println!("  - {api} : {permission}");
    }
    Outcome::Complete
}

/// `consolider`: the network bilan from establishments' bilan JSON documents.
pub fn consolider(args: &ConsoliderArgs) -> CommandResult {
    let (n, files) =
        crate::consolidate::run(&args.fichiers, args.attendus.as_deref(), &args.sortie)?;
    let last = n.periodes.last();
    let mut text = format!(
        "Bilan de réseau : {} établissement(s) pour {}, {} période(s), écrit en :",
        last.map(|p| p.etablissements.len()).unwrap_or(0),
        last.map(|p| p.libelle.as_str()).unwrap_or("—"),
        n.periodes.len()
    );
    for f in &files {
        text.push_str(&format!("\n  {}", f.display()));
    }
    if !n.attendus_absents.is_empty() {
        text.push_str(&format!(
            "\nÉtablissements attendus sans bilan : {}",
            n.attendus_absents.join(", ")
        ));
    }
    text.push('\n');
    say(&text);
    Ok(Outcome::Complete)
}
