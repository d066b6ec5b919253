//! `vigie365 doctor` through the binary, against the simulated tenant: it checks what a
//! night needs in the order a night needs it (tokens, sources, store, output directory),
//! never calls OK what it could not verify, and exits non-zero when a night would fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vigie365::sim::SimOptions;

use common::bin::BIN;
use common::sim_night::{SimNight, options};

const SECRET: &str = "Bon~Secret~De~Test~0123456789";

fn doctor(config: &Path) -> Output {
    common::bin::output(Command::new(BIN).args(["doctor", "--config"]).arg(config))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A copy of the simulated tenant's configuration with `from` replaced by `to`.
fn variant(n: &SimNight, name: &str, from: &str, to: &str) -> PathBuf {
    let original = std::fs::read_to_string(&n.config_path).expect("config");
    assert!(original.contains(from), "{from} is in the configuration");
    let p = n.dir.path().join(name);
    std::fs::write(&p, original.replace(from, to)).expect("write");
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    p
}

/// Runs `doctor`, which must exit with `code`, and says whether `place` (`base …`,
/// `sorties …`) got `state`; its stdout.
fn place(config: &Path, code: i32, place: &str, state: &str) -> String {
    let out = doctor(config);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(code), "{}", text(&out));
    assert!(stdout.contains(&format!("{place} : {state}")), "{stdout}");
    stdout
}

/// The lines of the source table (between the header and the first blank line).
fn source_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("source "))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| !l.trim_start().starts_with('→'))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_the_cause_and_no_source_is_called_ok_or_missing() {
    let n = SimNight::start(SimOptions {
        secret: Some(SECRET.into()),
        ..options(51, 300, 1)
    })
    .await;
    let wrong = variant(&n, "faux.toml", SECRET, "Mauvais~Secret~Tres~Long~123");
    let out = doctor(&wrong);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("jeton Microsoft Graph : ÉCHEC"), "{stdout}");
    assert!(stdout.contains("jeton Exchange Online : ÉCHEC"), "{stdout}");
    assert_eq!(
        stdout.matches("AADSTS7000215").count(),
        2,
        "the refusal is said once per audience, as the cause: {stdout}"
    );
    let sources = source_lines(&stdout);
    assert!(sources.len() >= 13, "{stdout}");
    for line in &sources {
        assert!(line.contains("NON VÉRIFIÉ"), "{line}\n{stdout}");
    }
    assert!(!stdout.contains("MANQUE"), "{stdout}");
    assert!(!stdout.contains("accordez"), "{stdout}");
    assert!(
        stdout.contains("non vérifié : jeton Microsoft Graph refusé"),
        "{stdout}"
    );
    assert!(
        stdout.contains("non vérifié : jeton Exchange Online refusé"),
        "{stdout}"
    );
    n.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_store_or_output_directory_fails_the_doctor() {
    let n = SimNight::start(options(52, 300, 1)).await;
    let db = n.config.storage.database.display().to_string();
    let outputs = n.config.storage.outputs.display().to_string();
    let blocker = n.dir.path().join("un-fichier");
    std::fs::write(&blocker, "pas un répertoire").expect("write");

    // All is well: 0, and the store and outputs are said OK.
    let stdout = place(&n.config_path, 0, &format!("base {db}"), "OK");
    assert!(
        stdout.contains(&format!("sorties {outputs} : OK")),
        "{stdout}"
    );

    // The store's directory cannot be created.
    let bad_db = blocker.join("vigie365.sqlite").display().to_string();
    let cfg = variant(&n, "base.toml", &db, &bad_db);
    let stdout = place(&cfg, 1, &format!("base {bad_db}"), "ÉCHEC");
    assert!(stdout.contains("n'est pas un répertoire"), "{stdout}");
    assert!(stdout.contains("[stockage].base"), "{stdout}");

    // The output directory cannot be created.
    let bad_out = blocker.join("sorties").display().to_string();
    let cfg = variant(&n, "sorties.toml", &outputs, &bad_out);
    let stdout = place(&cfg, 1, &format!("sorties {bad_out}"), "ÉCHEC");
    assert!(stdout.contains("[stockage].sorties"), "{stdout}");

    // An emptied base: the night would refuse it, so does the doctor.
    std::fs::write(&n.config.storage.database, b"").expect("empty base");
    let stdout = place(&n.config_path, 1, &format!("base {db}"), "ÉCHEC");
    assert!(stdout.contains("est vide (0 octet)"), "{stdout}");
    n.shutdown().await;
}
