//! `vigie365 sim` arguments: parsing of faults and latency, French help, options.

use clap::{CommandFactory, Parser};
use vigie365::sim::{SimArgs, parse_faults, parse_latency};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
}

#[test]
fn arguments_parse_into_options() {
    let cli = Cli::try_parse_from([
        "sim",
        "--accounts",
        "4000",
        "--seed",
        "9",
        "--day",
        "3",
        "--port",
        "0",
        "--time-scale",
        "60",
        "--latency-ms",
        "20-120",
        "--faults",
        "503=0.02,504=0.01,reset=0.01,truncate=0.01,token=300s",
        "--setup-dir",
        "/tmp/x",
    ])
    .expect("parse");
    let o = cli.sim.options().expect("options");
    assert_eq!((o.accounts, o.seed, o.day), (4000, 9, 3));
    assert_eq!(o.time_scale, 60.0);
    assert_eq!((o.latency.min_ms, o.latency.max_ms), (20, 120));
    assert_eq!(o.faults.http503, 0.02);
    assert_eq!(o.faults.token_lifetime_secs, Some(300.0));
    let help = Cli::command().render_long_help().to_string();
    assert!(help.contains("Graine du scénario"));
    assert!(parse_latency("120-20").is_err());
    assert!(parse_latency("abc").is_err());
    assert!(parse_faults("token=0s").is_err());
    assert!(parse_faults("").is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_options_are_refused_in_french() {
    let o = vigie365::sim::SimOptions {
        accounts: 10,
        ..Default::default()
    };
    let e = vigie365::sim::Sim::start(o).await.err().expect("refused");
    assert!(e.to_string().contains("nombre de comptes invalide"));
}

#[test]
fn establishments_flag_makes_a_provincial_tenant() {
    let one = Cli::try_parse_from(["sim"]).expect("parse");
    assert_eq!(one.sim.options().expect("options").establishments, None);
    let prov = Cli::try_parse_from(["sim", "--etablissements", "3"]).expect("parse");
    assert_eq!(prov.sim.options().expect("options").establishments, Some(3));
    assert!(Cli::try_parse_from(["sim", "--etablissements", "trois"]).is_err());
    let help = Cli::command().render_long_help().to_string();
    assert!(help.contains("--etablissements"), "{help}");
}
