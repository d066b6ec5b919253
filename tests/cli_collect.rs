//! The real binary against the simulated tenant: exit codes, the lock, and SIGKILL in the
//! middle of a night (the store stays sound, no past night changes, the next run completes
//! and matches a run that was never interrupted).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use vigie365::model::{Account, InboxRule, Mailbox, Registration};
use vigie365::sim::SimOptions;
use vigie365::store::{RunStatus, Store};

use common::sim_night::{SimNight, options};

use common::bin::BIN;

fn collect_cmd(config: &Path, as_of: &str) -> Command {
    let mut c = Command::new(BIN);
    c.args(["collect", "--sans-progression", "--config"])
        .arg(config)
        .args(["--as-of", as_of]);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_exits_3_when_a_permission_is_missing() {
    let n = SimNight::start(SimOptions {
        deny: vec!["signins".into()],
        ..options(3, 300, 1)
    })
    .await;
    let (config, as_of) = (n.config_path.clone(), n.sim.as_of(1));
    let out = common::bin::output(&mut collect_cmd(&config, &as_of));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("NON COLLECTÉE"), "{stdout}");
    assert!(
        stdout.contains("AuditLog.Read.All et Directory.Read.All"),
        "names the permission: {stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_is_refused_while_the_first_holds_the_store() {
    let n = SimNight::start(options(3, 300, 1)).await;
    let _held = Store::open(&n.config.storage.database).expect("first holder");
    let (config, as_of) = (n.config_path.clone(), n.sim.as_of(1));
    let out = common::bin::output(&mut collect_cmd(&config, &as_of));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("déjà utilisée par une autre exécution"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_configuration_exits_2_and_names_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v.toml");
    std::fs::write(&path, "[locataire]\ntenant_id = \"pas-un-guid\"\n").expect("write");
    let out = common::bin::output(Command::new(BIN).args(["collect", "--config"]).arg(&path));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("v.toml:2:"), "{err}");
}

/// Everything a night stores, in comparable form.
fn contents(
    path: &Path,
) -> (
    Vec<Account>,
    Vec<Registration>,
    Vec<Mailbox>,
    Vec<InboxRule>,
    i64,
) {
    let s = Store::open_read_only(path).expect("store");
    let signins: i64 = s
        .conn()
        .query_row("SELECT count(*) FROM signins", [], |r| r.get(0))
        .expect("count");
    (
        s.current().expect("a"),
        s.current().expect("r"),
        s.current().expect("m"),
        s.current().expect("i"),
        signins,
    )
}

/// Runs `collect` and kills it with SIGKILL after the `kill_after`-th page written.
/// Returns whether it was killed (false: it finished first).
fn collect_killed_after(config: &Path, as_of: &str, kill_after: usize) -> bool {
    let mut child = collect_cmd(config, as_of)
        .args(["--log-format", "json", "-v"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut pages = 0;
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        if line.contains("page écrite") {
            pages += 1;
            if pages == kill_after {
                let _ = child.kill(); // SIGKILL
                let _ = child.wait();
                return true;
            }
        }
    }
    let _ = child.wait();
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_night_loses_nothing_and_the_next_run_matches_an_uninterrupted_one() {
    let n = SimNight::start(SimOptions {
        time_scale: 20.0,
        latency: vigie365::sim::Latency {
            min_ms: 10,
            max_ms: 40,
        },
        ..options(9, 2000, 3)
    })
    .await;
    let (dir, cfg, config) = (&n.dir, &n.config, n.config_path.clone());
    let as_of = n.sim.as_of(3);

    // The reference: one uninterrupted night in a store of its own.
    let reference_db = dir.path().join("reference.sqlite");
    let ref_config = dir.path().join("reference.toml");
    let text = std::fs::read_to_string(&config)
        .expect("config text")
        .replace(
            &cfg.storage.database.display().to_string(),
            &reference_db.display().to_string(),
        );
    std::fs::write(&ref_config, text).expect("write");
    let perms = std::fs::metadata(&config).expect("meta").permissions();
    std::fs::set_permissions(&ref_config, perms).expect("chmod");
    let (rc, a) = (ref_config.clone(), as_of.clone());
    let out = common::bin::output(&mut collect_cmd(&rc, &a));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference = contents(&reference_db);

    let mut killed = 0;
    for kill_after in [1usize, 4, 9, 20, 45] {
        let (c, a) = (config.clone(), as_of.clone());
        if tokio::task::spawn_blocking(move || collect_killed_after(&c, &a, kill_after))
            .await
            .expect("join")
        {
            killed += 1;
        }
        // After each kill the store is sound, the dead run is marked, earlier nights intact.
        let s = Store::open(&cfg.storage.database).expect("reopens after SIGKILL");
        assert!(
            s.integrity_ok().expect("integrity check"),
            "integrity after kill at page {kill_after}"
        );
        let runs = s.runs().expect("runs");
        assert!(
            runs.iter().all(|r| r.status != RunStatus::Running),
            "no run left running"
        );
    }
    assert!(
        killed >= 3,
        "the child was killed mid-run at least three times ({killed})"
    );

    // The next run completes and stores what the uninterrupted run stored.
    let (c, a) = (config.clone(), as_of.clone());
    let out = common::bin::output(&mut collect_cmd(&c, &a));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = contents(&cfg.storage.database);
    assert_eq!(after.0, reference.0, "accounts");
    assert_eq!(after.1, reference.1, "registrations");
    assert_eq!(after.2, reference.2, "mailboxes");
    assert_eq!(after.3, reference.3, "inbox rules");
    assert_eq!(after.4, reference.4, "sign-ins");
    let s = Store::open(&cfg.storage.database).expect("store");
    let runs = s.runs().expect("runs");
    assert_eq!(runs.last().map(|r| r.status), Some(RunStatus::Complete));
    assert!(
        runs.iter()
            .filter(|r| r.status == RunStatus::Interrupted)
            .count()
            >= 3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_collects_evaluates_and_exits_4_on_findings_at_fail_on() {
    let n = SimNight::start(options(4, 300, 2)).await;
    let (config, as_of) = (n.config_path.clone(), n.sim.as_of(2));
    let (c, a) = (config.clone(), as_of.clone());
    let plain = common::bin::output(
        Command::new(BIN)
            .args(["run", "--sans-progression", "--config"])
            .arg(&c)
            .args(["--as-of", &a]),
    );
    let stdout = String::from_utf8_lossy(&plain.stdout);
    assert_eq!(
        plain.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    assert!(stdout.contains("Constats de la nuit du"), "{stdout}");
    let csv: Vec<_> = std::fs::read_dir(&n.config.storage.outputs)
        .expect("outputs")
        .flatten()
        .filter(|e| {
            e.file_name().to_string_lossy().starts_with("constats-")
                && e.file_name().to_string_lossy().ends_with(".csv")
        })
        .collect();
    assert_eq!(csv.len(), 1, "the nightly CSV is written");
    let (c, a) = (config.clone(), as_of.clone());
    let strict = common::bin::output(
        Command::new(BIN)
            .args([
                "run",
                "--sans-progression",
                "--fail-on",
                "critique",
                "--config",
            ])
            .arg(&c)
            .args(["--as-of", &a]),
    );
    assert_eq!(
        strict.status.code(),
        Some(4),
        "the simulated tenant has critical findings"
    );
    let bad = common::bin::output(
        Command::new(BIN)
            .args(["run", "--fail-on", "grave", "--config"])
            .arg(&config),
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_names_the_missing_permission_source_by_source() {
    let n = SimNight::start(SimOptions {
        deny: vec!["registration".into()],
        ..options(6, 300, 1)
    })
    .await;
    let config = n.config_path.clone();
    let out = common::bin::output(Command::new(BIN).args(["doctor", "--config"]).arg(&config));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("jeton Microsoft Graph : obtenu"),
        "{stdout}"
    );
    assert!(
        stdout.contains("jeton Exchange Online : obtenu"),
        "{stdout}"
    );
    let missing: Vec<&str> = stdout.lines().filter(|l| l.contains("MANQUE")).collect();
    assert_eq!(missing.len(), 1, "{stdout}");
    assert!(missing[0].starts_with("Inscription à la MFA"), "{stdout}");
    assert!(stdout.contains("accordez AuditLog.Read.All"), "{stdout}");
    assert!(
        stdout.lines().filter(|l| l.contains(" OK ")).count() >= 13,
        "{stdout}"
    );
}

/// Run from a relative directory as the README says, the demo names every file by its
/// absolute path and leaves its directory tidy: the simulator's daily ground truth goes in
/// a folder of its own.
#[test]
fn the_demo_runs_from_a_relative_directory_and_leaves_it_tidy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .args(["demo", "--accounts", "300", "--days", "3"])
        .output()
        .expect("demo");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let demo = dir.path().join("vigie365-demo");
    assert!(demo.join("sorties").is_dir());
    let mut top: Vec<String> = std::fs::read_dir(&demo)
        .expect("demo dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert!(
        !top.iter().any(|n| n.starts_with("verite-terrain-j")),
        "{top:?}"
    );
    for day in 0..3 {
        let truth = demo.join(format!("verite-terrain/verite-terrain-j{day:03}.json"));
        assert!(truth.is_file(), "{}", truth.display());
    }
    let demo = demo.canonicalize().expect("canonical");
    let mut paths = 0;
    for line in stdout.lines().chain(stderr.lines()) {
        for word in line.split([' ', '(', ')', ':']) {
            if word.contains("vigie365-demo") {
                assert!(
                    Path::new(word).is_absolute() && Path::new(word).starts_with(&demo),
                    "not absolute: {word} in « {line} »"
                );
                paths += 1;
            }
        }
    }
    assert!(
        paths >= 4,
        "the directory, configuration, base and bilan are named: {stdout}"
    );
}

/// clap speaks English; the errors a user meets on the command line are said in French,
/// with clap's suggestion, and exit with the usage code.
#[test]
fn command_line_mistakes_are_explained_in_french() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(BIN)
            .args(args)
            .output()
            .expect("run vigie365");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["collect", "--sans-progressio"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("option inconnue « --sans-progressio »")
            && err.contains("vouliez-vous dire « --sans-progression »"),
        "{err}"
    );
    let (code, err) = run(&["collectt"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("commande inconnue « collectt » — vouliez-vous dire « collect »"),
        "{err}"
    );
    let (_, err) = run(&["--log-format", "xml", "checks"]);
    assert!(
        err.contains("valeur « xml » refusée") && err.contains("texte, json"),
        "{err}"
    );
    let (_, err) = run(&["collect", "--concurrency", "abc"]);
    assert!(err.contains("un nombre entier est attendu"), "{err}");
    let (_, err) = run(&["collect", "--as-of"]);
    assert!(err.contains("une valeur est requise pour --as-of"), "{err}");
    assert!(!err.contains("error:"), "no English left: {err}");
}
