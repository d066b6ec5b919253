//! Clap in French: the help and version flags, the section headings, each option's default,
//! variable, alias and possible values, and the command-line errors a user meets, worded in
//! French (clap only speaks English).

use clap::{ArgAction, CommandFactory, FromArgMatches};

use super::args::Cli;

const HELP_TEMPLATE: &str =
    "{before-help}{about-with-newline}\nUtilisation : {usage}\n\n{all-args}{after-help}";

/// The process's arguments, parsed with the French help. A clap error (help and version
/// included) goes to [`print`] and [`is_shown`].
pub fn parse() -> Result<Cli, clap::Error> {
    let matches = french(Cli::command()).try_get_matches()?;
    Cli::from_arg_matches(&matches)
}

/// `--help` or `--version`: shown as asked, not a failure.
pub fn is_shown(e: &clap::Error) -> bool {
    matches!(
        e.kind(),
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
    )
}

/// Prints a clap error: the help or version as clap renders it, an error in French.
pub fn print(e: &clap::Error) {
    if is_shown(e) {
        let _ = e.print();
        return;
    }
    match usage_error_fr(e) {
        Some(msg) => eprintln!("vigie365 : {msg} (voir « vigie365 --help »)"),
        None => {
            eprintln!("vigie365 : arguments invalides (voir « vigie365 --help ») :");
            let _ = e.print();
        }
    }
}

/// French help everywhere: the help flag, the version flag, the section headings and what
/// clap appends to each option's help.
fn french(cmd: clap::Command) -> clap::Command {
    let cmd = cmd
        .mut_args(french_arg)
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

/// The `[default: …]`, `[env: …]`, `[aliases: …]` and `[possible values: …]` clap appends to
/// an option's help, said in French instead (« [par défaut : …] », « [variable : …] », ...).
fn french_arg(mut arg: clap::Arg) -> clap::Arg {
    if !arg.get_action().takes_values() {
        return arg;
    }
    let mut notes = Vec::new();
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    // Non-breaking spaces inside a note: the help is wrapped between notes, not within one.
    if !arg.is_hide_default_value_set() && defaults.iter().any(|d| !d.is_empty()) {
        notes.push(format!("[par\u{a0}défaut\u{a0}: {}]", defaults.join(" ")));
    }
    arg = arg.hide_default_value(true);
    if let Some(var) = arg.get_env().filter(|_| !arg.is_hide_env_set()) {
        notes.push(format!("[variable\u{a0}: {}]", var.to_string_lossy()));
        arg = arg.hide_env(true);
    }
    if let Some(visible) = arg.get_visible_aliases() {
        notes.push(format!(
            "[alias\u{a0}: {}]",
            visible
                .iter()
                .map(|a| format!("--{a}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        // Every alias still works; none is listed by clap.
        let all: Vec<String> = arg
            .get_all_aliases()
            .unwrap_or_default()
            .into_iter()
            .map(str::to_string)
            .collect();
        arg = all
            .into_iter()
            .fold(arg.alias(None), |a, name| a.alias(name));
    }
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    if !arg.is_hide_possible_values_set() && !values.is_empty() {
        notes.push(format!(
            "[valeurs\u{a0}possibles\u{a0}: {}]",
            values.join(", ")
        ));
        arg = arg.hide_possible_values(true);
    }
    if notes.is_empty() {
        return arg;
    }
    let notes = notes.join(" ");
    let with_notes = |help: Option<&clap::builder::StyledStr>| match help {
        Some(h) => format!("{h} {notes}"),
        None => notes.clone(),
    };
    let help = with_notes(arg.get_help());
    let long = arg.get_long_help().map(|h| with_notes(Some(h)));
    arg = arg.help(help);
    match long {
        Some(l) => arg.long_help(l),
        None => arg,
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
