//! The command line: parse the arguments, call the command's library function, and turn
//! its result into a message and an exit code (README, « Codes de sortie »). Nothing else
//! lives here: the commands are in `vigie365::cli`, the nightly job in `vigie365::pipeline`.

use std::process::ExitCode;

use vigie365::cli::args::{Cli, Command, ConfigCommand, LogFormat};
use vigie365::cli::{AppError, commands, french};
use vigie365::exit::Outcome;
use vigie365::night::NightError;
use vigie365::pipeline::Until;
use vigie365::report::ReportError;
use vigie365::report::escape::terminal_text;

fn main() -> ExitCode {
    let result = french::parse().map_err(AppError::Args).and_then(|cli| {
        vigie365::logs::init(
            matches!(cli.log_format, LogFormat::Json),
            cli.verbose,
            cli.quiet_logs(),
        );
        run(cli)
    });
    exit(result)
}

/// Runs the command the arguments name.
fn run(cli: Cli) -> Result<Outcome, AppError> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Run(args) => commands::night(config, &args.night, Until::Written, args.fail_on()),
        Command::Collect(args) => commands::night(config, &args, Until::Collected, None),
        Command::Evaluate(args) => match &args.explain {
            Some(upn) => commands::explain(config, upn),
            None => commands::evaluate(config),
        },
        Command::Checks(args) => commands::checks(args.id.as_deref()),
        Command::Report(args) => commands::report(config, &args),
        Command::Bilan(args) => commands::bilan(config, &args),
        Command::Demo(args) => commands::demo(&args),
        Command::Sim(args) => commands::sim(args),
        Command::Doctor => commands::doctor(config),
        Command::Permissions => Ok(commands::permissions()),
        Command::Config(ConfigCommand::Check) => Ok(commands::config_check(config, "")),
        Command::Consolider(args) => commands::consolider(&args),
    }
}

/// The one place a command's end becomes an exit code, and an error a French message on
/// stderr: 2 when the command line or the configuration is at fault (nothing was attempted),
/// 1 when the work failed. `--help` and `--version` exit 0.
fn exit(result: Result<Outcome, AppError>) -> ExitCode {
    let error = match result {
        Ok(outcome) => return outcome.into(),
        Err(e) => e,
    };
    let outcome = match &error {
        AppError::Args(e) if french::is_shown(e) => Outcome::Complete,
        AppError::Args(_)
        | AppError::Config(_)
        | AppError::Client(_)
        | AppError::Sim(_)
        | AppError::UnknownCheck(_)
        | AppError::Establishment(_)
        | AppError::Evaluate(NightError::UnknownAccount { .. })
        | AppError::Report(ReportError::Period(_)) => Outcome::Usage,
        AppError::Pipeline(e) if e.is_configuration() => Outcome::Usage,
        AppError::Pipeline(_)
        | AppError::Store(_)
        | AppError::Evaluate(_)
        | AppError::Report(_)
        | AppError::Demo(_)
        | AppError::NightFailed { .. }
        | AppError::Runtime(_)
        | AppError::Consolidate(_) => Outcome::Failed,
    };
    match &error {
        AppError::Args(e) => french::print(e),
        AppError::Config(errors) => eprintln!("{}", terminal_text(&errors.to_string())),
        e => eprintln!("vigie365 : {}", terminal_text(&e.to_string())),
    }
    outcome.into()
}
