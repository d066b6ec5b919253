//! The command line as data: one clap definition per command and flag (name, French help,
//! how it is parsed), then the objects the library runs with (`Job`, `Period`,
//! `DemoOptions`) built from them. Parsing in French is `cli::french`.

use std::path::PathBuf;

use clap::{ArgAction, Parser, Subcommand, ValueEnum};

use crate::checks::Severity;
use crate::config::Config;
use crate::pipeline::{Job, Pace, Until};
use crate::report::ReportError;
use crate::report::bilan::Period;

/// vigie365 — audit nocturne d'un locataire Microsoft 365 du RSSS et bilan annuel de sécurité
/// (MSSS-DIR04, orientation sur les abonnements génériques en CHSLD).
#[derive(Parser, Debug)]
#[command(
    name = "vigie365",
    version,
    disable_help_subcommand = true,
    subcommand_help_heading = "Commandes"
)]
pub struct Cli {
    /// Fichier de configuration (sinon VIGIE365_CONFIG, sinon /etc/vigie365/vigie365.toml).
    #[arg(long, short = 'c', global = true, value_name = "FICHIER")]
    pub config: Option<PathBuf>,

    /// Format des journaux sur la sortie d'erreur : texte (par défaut) ou json (cron, systemd).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Texte, value_name = "FORMAT",
          hide_default_value = true, hide_possible_values = true)]
    pub log_format: LogFormat,

    /// Journaux détaillés (répéter pour plus de détails).
    #[arg(long, short = 'v', global = true, action = ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Texte,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
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
    Sim(crate::sim::SimArgs),
    /// Vérifie configuration, jetons et autorisations, source par source.
    Doctor,
    /// Affiche les autorisations d'application et licences requises, requête par requête.
    Permissions,
    /// Configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Bilan de réseau : consolide les bilans JSON de plusieurs établissements.
    Consolider(ConsoliderArgs),
}

// Also flattened into `run`: the night's instant, the progress bars, the pace.
#[derive(clap::Args, Debug)]
pub struct CollectArgs {
    /// Instant de référence de la nuit (RFC 3339) ; par défaut maintenant. Sert aux essais
    /// sur le locataire simulé.
    #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// Pas de barres de progression, même sur un terminal.
    #[arg(long)]
    pub sans_progression: bool,
    /// Accepte de commencer un nouvel historique quand la base est vide (0 octet), n'a pas le
    /// schéma de vigie365 ou a disparu en laissant son fichier .lock ; sans cette option, une
    /// telle base est refusée (code 1) pour ne jamais effacer une année d'historique en silence.
    #[arg(long)]
    pub nouvelle_base: bool,
    #[command(flatten)]
    pub pace: PaceArgs,
}

/// How many requests at once (the benchmark's one-at-a-time baseline uses both).
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct PaceArgs {
    /// Requêtes simultanées par source (par défaut : lots_simultanes de la configuration) ;
    /// 1 : les sources l'une après l'autre, une requête à la fois.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: Option<u32>,
    /// Règles de boîte de réception lues par une requête GET par boîte, sans $batch.
    #[arg(long)]
    pub no_batch: bool,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Sortir avec le code 4 si un constat non accepté atteint cette gravité
    /// (critique, élevée, moyenne, faible, info).
    #[arg(long, value_name = "GRAVITÉ", value_parser = parse_severity)]
    pub fail_on: Option<SeverityArg>,
    #[command(flatten)]
    pub night: CollectArgs,
}

#[derive(Debug, Clone, Copy)]
pub struct SeverityArg(pub Severity);

fn parse_severity(s: &str) -> Result<SeverityArg, String> {
    Severity::parse(s).map(SeverityArg).ok_or_else(|| {
        format!("gravité inconnue « {s} » : critique, élevée, moyenne, faible ou info")
    })
}

/// An instant as RFC 3339 (`--as-of`), refused in French with an example.
fn parse_instant(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    s.trim().parse().map_err(|_| {
        "un instant RFC 3339 est attendu (AAAA-MM-JJTHH:MM:SS suivi de Z ou du décalage), \
             par exemple 2026-03-31T08:00:00Z ou 2026-03-31T04:00:00-04:00"
            .into()
    })
}

/// A date as `AAAA-MM-JJ` (`--arrete-au`, `--nuit`, `--du`, `--au`), refused in French with
/// an example.
fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    s.trim().parse().map_err(|_| {
        "une date existante au format AAAA-MM-JJ est attendue, par exemple 2026-03-31".into()
    })
}

#[derive(clap::Args, Debug)]
pub struct EvaluateArgs {
    /// Explique la classe d'un compte et ce que chaque contrôle en a conclu (sans rien écrire).
    #[arg(long, value_name = "UPN")]
    pub explain: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct ChecksArgs {
    /// Identifiant d'un contrôle à expliquer (ex. GEN-MFA-01).
    pub id: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Nuit à rapporter ; par défaut la dernière nuit évaluée.
    #[arg(long, value_name = "AAAA-MM-JJ", value_parser = parse_date)]
    pub nuit: Option<chrono::NaiveDate>,
    /// Répertoire des sorties ; par défaut [stockage].sorties.
    #[arg(long, value_name = "RÉPERTOIRE")]
    pub sortie: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct BilanArgs {
    /// Année civile : du 1er janvier au 31 décembre (par défaut, l'année de la date d'arrêté).
    #[arg(long, value_name = "AAAA", conflicts_with_all = ["exercice", "du", "au"])]
    pub annee: Option<i32>,
    /// Exercice financier : du 1er avril AAAA au 31 mars AAAA+1.
    #[arg(long, value_name = "AAAA", conflicts_with_all = ["du", "au"])]
    pub exercice: Option<i32>,
    /// Début d'une période libre (avec --au).
    #[arg(long, value_name = "AAAA-MM-JJ", requires = "au", value_parser = parse_date)]
    pub du: Option<chrono::NaiveDate>,
    /// Fin d'une période libre (avec --du).
    #[arg(long, value_name = "AAAA-MM-JJ", requires = "du", value_parser = parse_date)]
    pub au: Option<chrono::NaiveDate>,
    /// Date d'arrêté : les chiffres tels qu'ils étaient après l'évaluation de la nuit de cette
    /// date (seules les collectes, constats et figures jusqu'à cette nuit sont lus). Par défaut
    /// la veille, ou la fin de la période si elle est passée.
    #[arg(long = "arrete-au", visible_alias = "as-of", value_name = "AAAA-MM-JJ",
          value_parser = parse_date)]
    pub arrete_au: Option<chrono::NaiveDate>,
    /// Configuration provinciale ([[etablissements]]) : le bilan de l'établissement de ce
    /// code, tel que sa propre nuit l'aurait écrit (« non-attribue » : les comptes
    /// qu'aucun périmètre ne retient).
    #[arg(long, value_name = "CODE", conflicts_with = "tous")]
    pub etablissement: Option<String>,
    /// Configuration provinciale : le bilan de chaque établissement, et celui des comptes
    /// non attribués, chacun dans le sous-répertoire de son code.
    #[arg(long)]
    pub tous: bool,
    /// Répertoire des sorties ; par défaut [stockage].sorties.
    #[arg(long, value_name = "RÉPERTOIRE")]
    pub sortie: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Nombre de comptes de l'établissement simulé.
    #[arg(long, default_value_t = 400, value_name = "N")]
    pub accounts: u32,
    /// Nombre de nuits simulées.
    #[arg(long, default_value_t = 365, value_name = "NUITS")]
    pub days: u32,
    /// Graine du scénario (même graine, même année).
    #[arg(long, default_value_t = 2025, value_name = "GRAINE")]
    pub seed: u64,
    /// Répertoire de la démonstration (configuration, base, sorties).
    #[arg(long, default_value = "vigie365-demo", value_name = "RÉPERTOIRE")]
    pub dir: PathBuf,
    /// Locataire provincial partagé entre N établissements (1 à 40) : chaque nuit est
    /// exécutée pour chacun avec son périmètre ; écrit le bilan de chacun et le bilan de
    /// réseau qui les consolide.
    #[arg(long, value_name = "N")]
    pub etablissements: Option<u32>,
}

#[derive(clap::Args, Debug)]
pub struct ConsoliderArgs {
    /// Bilans JSON des établissements (bilan-….json écrits par `vigie365 bilan`), une ou
    /// plusieurs périodes.
    #[arg(required = true, value_name = "FICHIER.json")]
    pub fichiers: Vec<PathBuf>,
    /// Établissements attendus, un nom par ligne : ceux sans bilan sont signalés.
    #[arg(long, value_name = "FICHIER")]
    pub attendus: Option<PathBuf>,
    /// Répertoire du bilan de réseau (HTML, Markdown, JSON, CSV) ; par défaut le répertoire
    /// courant.
    #[arg(long, default_value = ".", value_name = "RÉPERTOIRE")]
    pub sortie: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Valide le fichier de configuration et signale chaque problème (fichier, ligne, correctif).
    Check,
}

impl Cli {
    /// The demo prints its own progress; its nightly logs would drown it.
    pub fn quiet_logs(&self) -> bool {
        matches!(self.command, Command::Demo(_))
    }
}

impl CollectArgs {
    /// The night these flags ask for, run as far as `until`.
    pub fn job<'a>(&self, config: &'a Config, until: Until) -> Job<'a> {
        Job {
            config,
            as_of: self.as_of.unwrap_or_else(chrono::Utc::now),
            pace: Pace {
                concurrency: self.pace.concurrency,
                no_batch: self.pace.no_batch,
            },
            progress: !self.sans_progression,
            until,
        }
    }

    /// Whether the store may start a new history (`--nouvelle-base`).
    pub fn history(&self) -> crate::store::History {
        if self.nouvelle_base {
            crate::store::History::StartAgain
        } else {
            crate::store::History::Keep
        }
    }
}

impl RunArgs {
    pub fn fail_on(&self) -> Option<Severity> {
        self.fail_on.map(|s| s.0)
    }
}

impl BilanArgs {
    /// The period the flags ask for; `yesterday` is the default as-of night.
    pub fn period(&self, yesterday: chrono::NaiveDate) -> Result<Period, ReportError> {
        use chrono::Datelike;
        let period = match (self.annee, self.exercice, self.du, self.au) {
            (Some(y), _, _, _) => Period::year(y)?,
            (_, Some(y), _, _) => Period::fiscal(y)?,
            (_, _, Some(du), Some(au)) => Period::between(du, au)?,
            _ => Period::year(self.arrete_au.unwrap_or(yesterday).year())?,
        };
        let as_of = self.arrete_au.unwrap_or_else(|| period.au.min(yesterday));
        Ok(period.as_of(as_of))
    }
}

impl DemoArgs {
    pub fn options(&self) -> crate::demo::DemoOptions {
        crate::demo::DemoOptions {
            accounts: self.accounts,
            days: self.days,
            seed: self.seed,
            dir: std::path::absolute(&self.dir).unwrap_or_else(|_| self.dir.clone()),
            establishments: self.etablissements,
            ..crate::demo::DemoOptions::default()
        }
    }
}
