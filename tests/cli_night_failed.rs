//! A night where nothing could be read is a failed night, not a partial one: a refused
//! token or an unreachable tenant exits 1 with one French line naming the cause and the
//! fix, records the night as failed with that reason, and writes no findings file. A token
//! refused for Exchange only is a partial night: what Graph read is evaluated.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use vigie365::store::{RunStatus, Store};

use common::bin::BIN;
use common::sim_night::{SimNight, options};

/// The simulator's configuration with `edit` applied, written beside it (mode 0600).
fn edited_config(n: &SimNight, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(&n.config_path).expect("config");
    let path = n.dir.path().join("modifiee.toml");
    std::fs::write(&path, edit(text)).expect("write");
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    path
}

/// `vigie365 run` on that configuration, which must exit 1: its stdout, its stderr, and the
/// one line of stderr that says why.
fn failed_run(config: &Path, as_of: &str) -> (String, String, String) {
    let out = common::bin::output(
        Command::new(BIN)
            .args(["run", "--sans-progression", "--config"])
            .arg(config)
            .args(["--as-of", as_of]),
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let verdict: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("vigie365 :"))
        .collect();
    assert_eq!(verdict.len(), 1, "one line says why: {stderr}");
    let verdict = verdict[0].to_string();
    (stdout, stderr, verdict)
}

fn findings_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("constats-"))
                .collect()
        })
        .unwrap_or_default()
}

fn last_run(n: &SimNight) -> (RunStatus, Option<String>) {
    let store = Store::open_read_only(&n.config.storage.database).expect("store");
    let runs = store.runs().expect("runs");
    let last = runs.last().expect("the night is recorded");
    (last.status, last.error.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_secret_fails_the_night_and_says_why_once() {
    let n = SimNight::start(options(5, 300, 1)).await;
    let secret = n.sim.client_secret();
    let config = edited_config(&n, |t| t.replace(&secret, "Mauvais~Secret~Revoque"));
    let (stdout, stderr, verdict) = failed_run(&config, &n.sim.as_of(1));
    assert!(
        verdict.contains("AADSTS7000215") && verdict.contains("secret"),
        "it names the cause and the fix: {verdict}"
    );
    let all = format!("{stdout}{stderr}");
    assert!(
        all.matches("copiez la VALEUR du secret").count() <= 2,
        "the fix is said once per stream, not once per source: {all}"
    );
    assert!(
        stdout.contains("jeton refusé, voir plus haut"),
        "each source refers to the cause: {stdout}"
    );
    let (status, error) = last_run(&n);
    assert_eq!(status, RunStatus::Failed);
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("AADSTS7000215")),
        "{error:?}"
    );
    assert_eq!(
        findings_files(&n.config.storage.outputs),
        Vec::<String>::new()
    );
    n.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_tenant_fails_the_night() {
    let n = SimNight::start(options(5, 300, 1)).await;
    let base = n.sim.base_url();
    let config = edited_config(&n, |t| {
        // Port 9 (discard) on the loopback: nothing listens; one attempt keeps it short.
        t.replace(&base, "http://127.0.0.1:9")
            .replace("tentatives_max = 6", "tentatives_max = 1")
    });
    let (_, _, verdict) = failed_run(&config, &n.sim.as_of(1));
    assert!(verdict.contains("injoignable"), "{verdict}");
    let (status, error) = last_run(&n);
    assert_eq!(status, RunStatus::Failed);
    assert!(
        error.as_deref().is_some_and(|e| e.contains("injoignable")),
        "{error:?}"
    );
    assert_eq!(
        findings_files(&n.config.storage.outputs),
        Vec::<String>::new()
    );
    n.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_token_refused_alone_leaves_a_partial_night() {
    let n = SimNight::start(vigie365::sim::SimOptions {
        deny: vec!["exchange-token".into()],
        ..options(5, 300, 1)
    })
    .await;
    let out = common::bin::output(
        Command::new(BIN)
            .args(["run", "--sans-progression", "--config"])
            .arg(&n.config_path)
            .args(["--as-of", &n.sim.as_of(1)]),
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert_eq!(
        stdout.matches("AADSTS500011").count(),
        1,
        "the cause once: {:?}",
        stdout
            .match_indices("AADSTS500011")
            .map(|(i, _)| &stdout[i.saturating_sub(200)..i + 20])
            .collect::<Vec<_>>()
    );
    assert!(
        stdout.contains("consentement administrateur manquant, ou ressource absente"),
        "and its fix: {stdout}"
    );
    // The collection's summary: Exchange's mailboxes failed, Graph's users were read.
    let line = |source: &str| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{source} ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("exchange-mailboxes").contains("ÉCHEC"), "{stdout}");
    assert!(line("users").contains("lue"), "{stdout}");
    assert!(stdout.contains("jeton refusé, voir plus haut"), "{stdout}");
    let (status, error) = last_run(&n);
    assert_eq!(status, RunStatus::Partial);
    assert_eq!(error, None);
    // Graph's sources were read and evaluated: the night's findings are written.
    assert!(
        !findings_files(&n.config.storage.outputs).is_empty(),
        "{stdout}"
    );
    let store = Store::open_read_only(&n.config.storage.database).expect("store");
    let run = store.runs().expect("runs").last().expect("run").id;
    let sources = store.sources(run).expect("sources");
    let status_of = |name: &str| {
        sources
            .iter()
            .find(|s| s.source == name)
            .map(|s| s.status)
            .unwrap_or_else(|| panic!("{name} not recorded"))
    };
    assert_eq!(status_of("users"), vigie365::store::SourceStatus::Collected);
    assert_ne!(
        status_of("exchange-mailboxes"),
        vigie365::store::SourceStatus::Collected
    );
    n.shutdown().await;
}
