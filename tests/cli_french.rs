//! What the command line says, said in French: dates refused with the expected format and
//! an example, defaults and environment variables in the help, durations with a decimal
//! comma, an unknown account for `--explain` as a usage error, and which findings made
//! `--fail-on` exit 4.

mod common;

use std::process::{Command, Output};

use common::bin::BIN;
use common::sim_night::{SimNight, options};

fn vigie365(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run vigie365")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_mistyped_date_or_instant_is_refused_with_the_format_and_an_example() {
    for (args, format, example) in [
        (
            &["run", "--as-of", "hier"][..],
            "RFC 3339",
            "2026-03-31T08:00:00Z",
        ),
        (&["collect", "--as-of", "2026-03-31"][..], "RFC 3339", "T"),
        (
            &["bilan", "--arrete-au", "31/03/2026"][..],
            "AAAA-MM-JJ",
            "2026-03-31",
        ),
        (
            &["bilan", "--as-of", "2026-02-30"][..],
            "AAAA-MM-JJ",
            "2026-03-31",
        ),
        (
            &["report", "--nuit", "mardi"][..],
            "AAAA-MM-JJ",
            "2026-03-31",
        ),
    ] {
        let out = vigie365(args);
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(format) && err.contains("par exemple") && err.contains(example),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("input contains") && !err.contains("input is out of range"),
            "no English left: {err}"
        );
    }
}

#[test]
fn the_help_gives_defaults_variables_and_aliases_in_french() {
    // The notes keep their non-breaking spaces: the help wraps between them, not inside.
    let help = |args: &[&str]| text(&vigie365(args)).0.replace('\u{a0}', " ");
    let demo = help(&["demo", "--help"]);
    assert!(demo.contains("[par défaut : 400]"), "{demo}");
    let sim = help(&["sim", "--help"]);
    assert!(sim.contains("[variable : VIGIE365_SIM_SECRET]"), "{sim}");
    let bilan = help(&["bilan", "--help"]);
    assert!(bilan.contains("[alias : --as-of]"), "{bilan}");
    for help in [&demo, &sim, &bilan] {
        for english in [
            "[default:",
            "[env:",
            "[alias:",
            "[aliases:",
            "[possible values:",
        ] {
            assert!(!help.contains(english), "{english} in: {help}");
        }
    }
}

#[test]
fn the_demo_gives_its_durations_with_a_decimal_comma() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = vigie365(&[
        "demo",
        "--accounts",
        "300",
        "--days",
        "2",
        "--dir",
        &dir.path().join("d").to_string_lossy(),
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout = stdout.replace('\u{a0}', " ");
    let bilan = stdout
        .lines()
        .find(|l| l.starts_with("Bilan de l'année simulée"))
        .unwrap_or_else(|| panic!("{stdout}"));
    let seconds = bilan
        .split(" écrit en ")
        .nth(1)
        .and_then(|s| s.strip_suffix(" s :"))
        .unwrap_or_else(|| panic!("{bilan}"));
    assert!(
        !seconds.contains('.') && seconds.chars().all(|c| c.is_ascii_digit() || c == ','),
        "{bilan}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_on_names_the_findings_and_explain_refuses_an_unknown_account() {
    let n = SimNight::start(options(4, 300, 2)).await;
    let (config, as_of) = (n.config_path.clone(), n.sim.as_of(2));
    let out = common::bin::output(
        Command::new(BIN)
            .args([
                "run",
                "--sans-progression",
                "--fail-on",
                "élevée",
                "--config",
            ])
            .arg(&config)
            .args(["--as-of", &as_of]),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(4), "{stdout}{stderr}");
    let why: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("vigie365 :"))
        .collect();
    assert_eq!(why.len(), 1, "{stderr}");
    assert!(
        why[0].contains("--fail-on élevée")
            && why[0].contains("critique ")
            && why[0].contains("élevée ")
            && why[0].contains('@'),
        "counts per severity and the first subjects: {}",
        why[0]
    );

    let out = common::bin::output(
        Command::new(BIN)
            .args(["evaluate", "--explain", "personne@nulle.part", "--config"])
            .arg(&config),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("aucun compte « personne@nulle.part »"),
        "{stderr}"
    );
    n.shutdown().await;
}
