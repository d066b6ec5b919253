//! A damaged or emptied store, and a disk that fills up: the night stops before its first
//! request with a French message naming the fix, never restarts a year of history in
//! silence, and the next night knows why the failed one failed.

mod common;

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use vigie365::collect::{Progress, Settings, collect_night};
use vigie365::graph::GraphClient;
use vigie365::store::{RunStatus, Store};

use common::bin::BIN;
use common::sim_night::{SimNight, options};

fn run(config: &Path, as_of: &str, extra: &[&str]) -> Output {
    common::bin::output(
        Command::new(BIN)
            .args(["run", "--sans-progression", "--config"])
            .arg(config)
            .args(["--as-of", as_of])
            .args(extra),
    )
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Requests and tokens the simulated tenant has served so far.
fn served(n: &SimNight) -> (u64, u64) {
    let s = n.sim.stats();
    (s.requests, s.tokens_issued)
}

/// Runs night `day`, which must stop with code 1 before any request; its stderr.
fn refused_before_any_request(n: &SimNight, day: u32) -> String {
    let before = served(n);
    let out = run(&n.config_path, &n.sim.as_of(day), &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(served(n), before, "no request reached the tenant: {err}");
    assert!(
        String::from_utf8_lossy(&out.stdout).trim().is_empty(),
        "no night summary"
    );
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_base_stops_the_night_before_any_request() {
    let n = SimNight::start(options(41, 300, 1)).await;
    let (config, db) = (n.config_path.clone(), n.config.storage.database.clone());
    let first = run(&config, &n.sim.as_of(1), &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(
        !db.with_extension("sqlite-wal").exists(),
        "the last connection checkpointed the WAL into the base"
    );
    // One page in the middle of the file overwritten with noise.
    let len = std::fs::metadata(&db).expect("base").len();
    let middle = (len / 2 / 4096) * 4096;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .expect("open");
    f.seek(SeekFrom::Start(middle)).expect("seek");
    let mut x: u32 = 0x9e37_79b9;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    f.write_all(&noise).expect("noise");
    drop(f);

    n.sim.set_day(2);
    let err = refused_before_any_request(&n, 2);
    assert!(err.contains("est endommagée"), "{err}");
    assert!(err.contains("restaurez la dernière sauvegarde"), "{err}");
    n.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emptied_base_is_refused_unless_a_new_history_is_asked_for() {
    let n = SimNight::start(options(42, 300, 1)).await;
    let (config, db) = (n.config_path.clone(), n.config.storage.database.clone());
    let first = run(&config, &n.sim.as_of(1), &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));

    // Truncated to 0 bytes (a failed copy, `> base`): refused, the file left as it is.
    std::fs::File::create(&db).expect("truncate");
    n.sim.set_day(2);
    let err = refused_before_any_request(&n, 2);
    assert!(err.contains("est vide (0 octet)"), "{err}");
    assert!(err.contains("--nouvelle-base"), "{err}");
    assert_eq!(std::fs::metadata(&db).expect("base").len(), 0);

    // Deleted while its lock file remains: refused too.
    std::fs::remove_file(&db).expect("rm");
    let err = refused_before_any_request(&n, 2);
    assert!(err.contains("a disparu"), "{err}");
    assert!(!db.exists(), "no new base was created");

    // Asked for: a new history starts at night 1.
    let out = run(&config, &n.sim.as_of(2), &["--nouvelle-base"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let runs = Store::open_read_only(&db)
        .expect("store")
        .runs()
        .expect("runs");
    assert_eq!(runs.len(), 1);
    n.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_said_in_french_and_the_next_night_knows_it() {
    let n = SimNight::start(options(43, 300, 1)).await;
    let db = n.config.storage.database.clone();
    let store = Store::open(&db).expect("store");
    // The disk is full: the base may not grow by a single page, and the run's end cannot
    // be written either.
    let pages: i64 = store
        .conn()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .expect("page_count");
    store
        .conn()
        .execute_batch(&format!(
            "PRAGMA max_page_count = {pages};
             CREATE TEMP TRIGGER disk_full BEFORE UPDATE OF status ON main.runs
             BEGIN SELECT RAISE(ABORT, 'run end not written'); END;"
        ))
        .expect("fill the disk");
    let store = Arc::new(Mutex::new(store));
    let client = GraphClient::from_config(&n.config).expect("client");
    let settings = Settings::from_config(&n.config, n.as_of(1)).expect("settings");
    let err = collect_night(client, store.clone(), settings, Progress::hidden())
        .await
        .expect_err("the night fails");
    let text = err.to_string();
    assert!(text.contains("disque plein"), "{text}");
    assert!(text.contains("libérez de l'espace"), "{text}");
    drop(store);

    // The next night records why the failed one failed, not « processus arrêté ».
    let s = Store::open(&db).expect("reopen");
    let last = s.runs().expect("runs").pop().expect("the failed run");
    assert_eq!(last.status, RunStatus::Failed, "{last:?}");
    let reason = last.error.unwrap_or_default();
    assert!(reason.contains("disque plein"), "{reason}");
    assert!(!reason.contains("processus arrêté"), "{reason}");
    n.shutdown().await;
}
