//! Secrets stay secret: a whole night, with faults that make errors happen and every log
//! level on, and neither the client secret nor any access token appears in a log line, an
//! output, an error message or the store.

mod common;

use std::path::Path;
use std::process::Command;

use vigie365::sim::{FaultRates, SimOptions};

use common::sim_night::{SimNight, options};

use common::bin::BIN;
/// Every token the simulated tenant issues starts with this header.
const TOKEN_PREFIX: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIiwic2ltIjp0cnVlfQ";

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                files_under(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neither_the_secret_nor_a_token_leaks_anywhere() {
    let secret = "Secret~De~Test~42-ne-doit-jamais-sortir";
    let faults = FaultRates {
        http503: 0.03,
        reset: 0.02,
        truncate: 0.02,
        token_lifetime_secs: Some(200.0),
        ..FaultRates::default()
    };
    let n = SimNight::start(SimOptions {
        faults,
        secret: Some(secret.into()),
        deny: vec!["signins".into()],
        ..options(21, 400, 3)
    })
    .await;
    let (dir, config_path) = (&n.dir, &n.config_path);
    let as_of = n.sim.as_of(3);
    let config = config_path.clone();
    let out = common::bin::output(
        Command::new(BIN)
            .args([
                "run",
                "--sans-progression",
                "--log-format",
                "json",
                "-vv",
                "--config",
            ])
            .arg(&config)
            .args(["--as-of", &as_of]),
    );
    assert!(
        out.status.code().is_some_and(|c| c == 3 || c == 0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.len() > 1000, "the debug logs were produced");
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(!contains(bytes, secret), "the secret is in {name}");
        assert!(!contains(bytes, TOKEN_PREFIX), "a token is in {name}");
    }
    // And a wrong secret: the AADSTS message names the problem, not the secret.
    let wrong = std::fs::read_to_string(config_path)
        .expect("config")
        .replace(secret, "Mauvais~Secret~Tres~Long~123");
    let wrong_path = dir.path().join("faux.toml");
    std::fs::write(&wrong_path, wrong).expect("write");
    std::fs::set_permissions(
        &wrong_path,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("chmod");
    let out2 = common::bin::output(
        Command::new(BIN)
            .args(["collect", "--sans-progression", "--config"])
            .arg(&wrong_path),
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out2.stdout),
        String::from_utf8_lossy(&out2.stderr)
    );
    assert!(text.contains("AADSTS7000215"), "{text}");
    assert!(!text.contains("Mauvais~Secret"), "{text}");

    let mut all = Vec::new();
    files_under(dir.path(), &mut all);
    let mut checked = 0;
    for f in all {
        if f == *config_path || f.file_name().is_some_and(|n| n == "faux.toml") {
            continue; // the configuration holds the secret by design (mode 0600)
        }
        let bytes = std::fs::read(&f).expect("read");
        assert!(
            !contains(&bytes, secret),
            "the secret is in {}",
            f.display()
        );
        assert!(
            !contains(&bytes, TOKEN_PREFIX),
            "a token is in {}",
            f.display()
        );
        checked += 1;
    }
    assert!(
        checked >= 3,
        "the store, its WAL and the outputs were read ({checked} files)"
    );
}
