//! `vigie365 run` on a real terminal (a tmux pane against the simulated tenant): the final
//! screen has no stale progress line, log lines are whole, and every count line is the
//! summary's. Ignored by default: it needs tmux and its timing depends on the machine
//! (`cargo test --test cli_progress_pty -- --ignored`). The rendering itself is unit-tested
//! in `collect::progress`.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::bin::BIN;
use common::sim_night::{SimNight, options};

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs tmux; timing depends on the machine"]
async fn the_final_screen_has_no_stale_bar() {
    const DAY: u32 = 2;
    let n = SimNight::start(options(31, 400, DAY)).await;
    let session = format!("vigie365-pty-{}", std::process::id());
    let command = format!(
        "'{BIN}' run --config '{}' --as-of '{}'; echo FIN-$?; sleep 120",
        n.config_path.display(),
        n.sim.as_of(DAY)
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "160",
        "-y",
        "80",
        &command,
    ]);
    let started = Instant::now();
    let screen = loop {
        let screen = tokio::task::block_in_place(|| {
            tmux(&["capture-pane", "-p", "-t", &session, "-S", "-200"])
        });
        if screen.contains("FIN-") || started.elapsed() > Duration::from_secs(180) {
            break screen;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    tmux(&["kill-session", "-t", &session]);
    assert!(screen.contains("FIN-"), "the run ended:\n{screen}");
    assert!(screen.contains("Collecte n° "), "{screen}");
    for q in vigie365::queries::all() {
        let unit = q.unit.as_str();
        for line in screen
            .lines()
            .filter(|l| l.split_whitespace().any(|w| w == q.name))
        {
            let words: Vec<&str> = line.split_whitespace().collect();
            let is_summary = line.starts_with("  ")
                && matches!(words.get(1), Some(&"lue" | &"NON" | &"ÉCHEC"))
                && line.trim_end().ends_with(unit);
            assert!(is_summary, "stale bar line {line:?} in:\n{screen}");
        }
    }
    assert!(!screen.contains("source(s) terminée(s)"), "{screen}");
    n.shutdown().await;
}
