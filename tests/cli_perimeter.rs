//! `[perimetre]` through the binary, on the simulated tenant: a unit the tenant does not have
//! stops the night with one French line naming it and nothing of the directory stored;
//! a valid perimeter runs, and `evaluate --explain` says why an account is in and says
//! nothing but « hors du périmètre » of one outside.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use vigie365::model::Account;
use vigie365::store::{RunStatus, Store};

use common::bin::BIN;
use common::sim_night::{SimNight, options};

/// The simulator's configuration with `extra` appended, written beside it (mode 0600).
fn with_perimeter(n: &SimNight, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(&n.config_path).expect("config");
    let path = n.dir.path().join("perimetre.toml");
    std::fs::write(&path, format!("{text}\n{extra}\n")).expect("write");
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    path
}

fn run(args: &[&str], config: &Path) -> (Option<i32>, String, String) {
    let out = common::bin::output(Command::new(BIN).args(args).arg("--config").arg(config));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_unit_stops_the_night_before_any_account_is_stored() {
    let n = SimNight::start(options(5, 300, 1)).await;
    let config = with_perimeter(
        &n,
        "[perimetre]\nunites_administratives = [\"CIUSSS inexistant\"]",
    );
    let as_of = n.sim.as_of(1);
    let (code, stdout, stderr) = run(&["run", "--sans-progression", "--as-of", &as_of], &config);
    assert!(matches!(code, Some(1 | 2)), "{code:?} {stdout}{stderr}");
    let verdict: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("vigie365 :"))
        .collect();
    assert_eq!(verdict.len(), 1, "{stderr}");
    assert!(
        verdict[0].contains("unité administrative « CIUSSS inexistant » de [perimetre]")
            && verdict[0].contains("plutôt que d'auditer tout le locataire"),
        "{}",
        verdict[0]
    );
    let store = Store::open_read_only(&n.config.storage.database).expect("store");
    assert!(store.current::<Account>().expect("accounts").is_empty());
    assert_eq!(
        store.runs().expect("runs").last().map(|r| r.status),
        Some(RunStatus::Failed)
    );
    n.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_says_why_an_account_is_in_and_nothing_of_one_outside() {
    let n = SimNight::start(options(5, 300, 1)).await;
    let pattern = format!("tablette*@{}", n.config.tenant.domain);
    let config = with_perimeter(&n, &format!("[perimetre]\nupn = [\"{pattern}\"]"));
    let as_of = n.sim.as_of(1);
    let (code, stdout, stderr) = run(&["run", "--sans-progression", "--as-of", &as_of], &config);
    assert!(matches!(code, Some(0 | 3 | 4)), "{code:?} {stdout}{stderr}");
    let store = Store::open_read_only(&n.config.storage.database).expect("store");
    let accounts = store.current::<Account>().expect("accounts");
    assert!(!accounts.is_empty());
    assert!(accounts.iter().all(|a| a.upn.starts_with("tablette")));
    let inside = &accounts[0].upn;
    let (code, stdout, stderr) = run(&["evaluate", "--explain", inside], &config);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains(&format!(
            "périmètre : dans le périmètre parce que l'UPN correspond au motif « {pattern} »"
        )),
        "{stdout}"
    );
    let outside = format!("marie.tremblay@{}", n.config.tenant.domain);
    let (code, stdout, stderr) = run(&["evaluate", "--explain", &outside], &config);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout.trim_end(),
        format!("Compte {outside} : hors du périmètre : aucun critère ne le retient")
    );
    n.shutdown().await;
}
