//! Crash safety of the whole nightly job: `vigie365 run` is killed with SIGKILL at 20 seeded
//! moments (during paging, store writes, evaluation and report writing). After each kill the
//! store passes SQLite's integrity check, the previous night is bit for bit what it was
//! (digest), no report exists half-written under its final name; then the next run
//! completes and reports exactly the findings of a run that was never interrupted.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use vigie365::sim::{Latency, Sim, SimOptions};
use vigie365::store::{RunStatus, Store};

const BIN: &str = env!("CARGO_BIN_EXE_vigie365");

fn run_cmd(config: &Path, as_of: &str) -> Command {
    let mut c = Command::new(BIN);
    c.args([
        "run",
        "--sans-progression",
        "--log-format",
        "json",
        "-v",
        "--config",
    ])
    .arg(config)
    .args(["--as-of", as_of]);
    c
}

/// Runs to the end; returns the number of log lines (the moments a kill can land on).
fn run_to_end(config: &Path, as_of: &str) -> usize {
    let out = run_cmd(config, as_of).output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).lines().count()
}

/// Runs and SIGKILLs after the `n`-th log line; false if it ended first.
fn run_killed_after(config: &Path, as_of: &str, n: usize) -> bool {
    let mut child = run_cmd(config, as_of)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = 0;
    for line in BufReader::new(stderr).lines() {
        if line.is_err() {
            break;
        }
        lines += 1;
        if lines == n {
            let _ = child.kill();
            let _ = child.wait();
            return true;
        }
    }
    let _ = child.wait();
    false
}

/// A digest of everything the store knows about night `run` and before.
fn digest_through(path: &Path, run: i64) -> String {
    let s = Store::open_read_only(path).expect("store");
    let mut out = String::new();
    let queries = [
        "SELECT kind || '|' || key || '|' || data || '|' || valid_from || '|' || COALESCE(CASE WHEN valid_to <= ?1 THEN valid_to END, -1)
           FROM versions WHERE valid_from <= ?1 ORDER BY kind, key, valid_from",
        "SELECT check_id || '|' || subject || '|' || severity || '|' || data FROM finding_nights WHERE run_id <= ?1 ORDER BY run_id, check_id, subject",
        "SELECT check_id || '|' || subject || '|' || event FROM finding_events WHERE run_id <= ?1 ORDER BY run_id, check_id, subject",
        "SELECT population || '|' || class || '|' || metric || '|' || value FROM posture WHERE run_id <= ?1 ORDER BY run_id, population, class, metric",
        "SELECT id || '|' || status || '|' || night FROM runs WHERE id <= ?1 ORDER BY id",
        "SELECT source || '|' || status || '|' || records FROM run_sources WHERE run_id <= ?1 ORDER BY run_id, source",
    ];
    for q in queries {
        let mut stmt = s.conn().prepare(q).expect("prepare");
        let rows = stmt
            .query_map([run], |r| r.get::<_, String>(0))
            .expect("query");
        for r in rows {
            out.push_str(&r.expect("row"));
            out.push('\n');
        }
    }
    out
}

/// Every report under its final name is whole: the CSV parses with its header, every JSON
/// line parses.
fn reports_are_whole(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("constats-") && name.ends_with(".csv") {
            let bytes = std::fs::read(e.path()).expect("csv");
            let text = String::from_utf8(bytes).expect("utf-8");
            assert!(text.starts_with('\u{feff}'), "{name}: BOM");
            assert!(text.ends_with('\n'), "{name}: whole");
            let mut r = csv::ReaderBuilder::new()
                .delimiter(b';')
                .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
            for rec in r.records() {
                rec.expect("every CSV row parses");
            }
            n += 1;
        }
        if name.starts_with("constats-") && name.ends_with(".jsonl") {
            for line in std::fs::read_to_string(e.path()).expect("jsonl").lines() {
                serde_json::from_str::<serde_json::Value>(line).expect("every JSON line parses");
            }
        }
    }
    n
}

fn copy_config(config: &Path, dir: &Path, name: &str, db: &Path, outputs: &Path) -> PathBuf {
    let cfg = vigie365::config::load(config, &vigie365::checks::registry::load_options())
        .expect("config");
    let text = std::fs::read_to_string(config)
        .expect("text")
        .replace(
            &cfg.storage.database.display().to_string(),
            &db.display().to_string(),
        )
        .replace(
            &cfg.storage.outputs.display().to_string(),
            &outputs.display().to_string(),
        );
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    p
}

fn findings_of_last_run(path: &Path) -> Vec<(String, String, String, bool)> {
    let s = Store::open_read_only(path).expect("store");
    let run = s.runs().expect("runs").last().map(|r| r.id).expect("a run");
    s.findings_of(run, vigie365::checks::registry::ids())
        .expect("findings")
        .into_iter()
        .map(|f| {
            (
                f.check.to_string(),
                f.subject,
                f.severity.label().to_string(),
                f.accepted,
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_seeded_kills_lose_nothing_and_change_no_finding() {
    let sim = Sim::start(SimOptions {
        seed: 31,
        accounts: 600,
        day: 3,
        time_scale: 50.0,
        latency: Latency {
            min_ms: 5,
            max_ms: 25,
        },
        ..SimOptions::default()
    })
    .await
    .expect("sim");
    let dir = tempfile::tempdir().expect("tempdir");
    let files = sim.write_setup(dir.path(), 3).expect("setup");
    let (day3, day4) = (sim.as_of(3), sim.as_of(4));

    // The reference: nights 3 and 4, never interrupted.
    let ref_cfg = copy_config(
        &files.config,
        dir.path(),
        "reference.toml",
        &dir.path().join("ref.sqlite"),
        &dir.path().join("ref-sorties"),
    );
    let crash_cfg = copy_config(
        &files.config,
        dir.path(),
        "crash.toml",
        &dir.path().join("crash.sqlite"),
        &dir.path().join("sorties"),
    );
    let (r, c, d3) = (ref_cfg.clone(), crash_cfg.clone(), day3.clone());
    tokio::task::spawn_blocking(move || {
        run_to_end(&r, &d3);
        run_to_end(&c, &d3);
    })
    .await
    .expect("join");
    sim.set_day(4);
    sim.write_setup(dir.path(), 4).expect("setup day 4");
    let (r, d4) = (ref_cfg.clone(), day4.clone());
    let lines = tokio::task::spawn_blocking(move || run_to_end(&r, &d4))
        .await
        .expect("join");
    assert!(lines > 30, "enough moments to kill at ({lines} log lines)");
    let reference = findings_of_last_run(&dir.path().join("ref.sqlite"));

    let crash_db = dir.path().join("crash.sqlite");
    let before = digest_through(&crash_db, 1);
    // 20 kill points drawn from a seeded generator over the night's log lines.
    let mut x: u64 = 0x5eed_0001;
    let mut killed = 0;
    for _ in 0..20 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = 1 + (x >> 33) as usize % lines;
        let (c, d4) = (crash_cfg.clone(), day4.clone());
        if tokio::task::spawn_blocking(move || run_killed_after(&c, &d4, at))
            .await
            .expect("join")
        {
            killed += 1;
        }
        let s = Store::open(&crash_db).expect("reopens after SIGKILL");
        assert!(
            s.integrity_ok().expect("integrity"),
            "integrity after a kill at line {at}"
        );
        assert!(
            s.runs()
                .expect("runs")
                .iter()
                .all(|r| r.status != RunStatus::Running)
        );
        drop(s);
        assert_eq!(
            digest_through(&crash_db, 1),
            before,
            "night 3 changed after a kill at line {at}"
        );
        reports_are_whole(&dir.path().join("sorties"));
    }
    assert!(killed >= 15, "most kills landed mid-run ({killed} of 20)");

    // The next run completes and finds what the uninterrupted night found.
    let (c, d4) = (crash_cfg.clone(), day4.clone());
    tokio::task::spawn_blocking(move || run_to_end(&c, &d4))
        .await
        .expect("join");
    assert_eq!(findings_of_last_run(&crash_db), reference);
    assert_eq!(digest_through(&crash_db, 1), before);
    assert!(reports_are_whole(&dir.path().join("sorties")) >= 1);
    sim.shutdown().await;
}
