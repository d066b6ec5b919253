//! The provincial mode through the binary, on the simulated provincial tenant: `run` with
//! `provincial.toml` evaluates each establishment and « non attribué » and writes their files
//! in the directory of their code, with the attribution's CSV; `bilan --tous` and
//! `bilan --etablissement CODE` write each establishment's bilan; a provincial `bilan`
//! without either, or with an unknown code, is refused (exit 2) with the codes to choose
//! from.

mod common;

use std::path::Path;
use std::process::Command;

use vigie365::config::UNATTRIBUTED_CODE;

use common::bin::BIN;
use common::sim_night::{SimNight, options};

fn run(args: &[&str], config: &Path) -> (Option<i32>, String, String) {
    let out = common::bin::output(Command::new(BIN).args(args).arg("--config").arg(config));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_provincial_night_then_each_establishments_bilan() {
    const DAY: u32 = 12;
    let mut opts = options(9, 500, DAY);
    opts.establishments = Some(2);
    let n = SimNight::start(opts).await;
    let files = n.provincial_setup(DAY);
    let config = vigie365::config::load(&files.config, &vigie365::checks::registry::load_options())
        .expect("provincial.toml");
    let as_of = n.sim.as_of(DAY);
    let (code, stdout, stderr) = run(
        &["run", "--sans-progression", "--as-of", &as_of],
        &files.config,
    );
    assert!(
        matches!(code, Some(0 | 3 | 4)),
        "{code:?}\n{stdout}\n{stderr}"
    );
    let codes: Vec<String> = config.slices().into_iter().map(|(c, _)| c).collect();
    assert_eq!(codes.len(), 3);
    for (code, of) in config.slices() {
        assert!(
            stdout.contains(&format!("== {} ({code}) ==", of.tenant.establishment)),
            "{code}: {stdout}"
        );
        let written = names_in(&config.storage.outputs.join(&code));
        assert!(
            written
                .iter()
                .any(|f| f.starts_with("constats-") && f.ends_with(".csv")),
            "{code}: {written:?}"
        );
    }
    assert!(
        stdout.contains("Non attribués (aucun périmètre ne les retient)"),
        "{stdout}"
    );
    let top = names_in(&config.storage.outputs);
    let attribution = top
        .iter()
        .find(|f| f.starts_with("attribution-") && f.ends_with(".csv"))
        .unwrap_or_else(|| panic!("attribution CSV in {top:?}"));
    let csv = std::fs::read_to_string(config.storage.outputs.join(attribution)).expect("csv");
    assert!(csv.contains("non attribué"), "{csv}");

    // `evaluate --explain` says which establishment holds an account, or that none does.
    let accounts = vigie365::store::Store::open_read_only(&config.storage.database)
        .expect("store")
        .current::<vigie365::model::Account>()
        .expect("accounts");
    let held = accounts
        .iter()
        .find(|a| !a.attribution.is_empty())
        .expect("an attributed account");
    let (code, stdout, stderr) = run(&["evaluate", "--explain", &held.upn], &files.config);
    assert_eq!(code, Some(0), "{stderr}");
    let e = config
        .establishment(&held.attribution[0].code)
        .expect("its establishment");
    assert!(
        stdout.contains(&format!("établissement : {} ({})", e.name, e.code))
            && stdout.contains("parce que"),
        "{stdout}"
    );
    let stray = accounts
        .iter()
        .find(|a| a.attribution.is_empty())
        .expect("an account no perimeter retains");
    let (code, stdout, stderr) = run(&["evaluate", "--explain", &stray.upn], &files.config);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("établissement : non attribué"), "{stdout}");

    // The bilan of a provincial store names its establishment, or all of them.
    let night = vigie365::collect::night_of(n.as_of(DAY), config.evaluation.timezone).to_string();
    let period = ["--du", &night, "--au", &night, "--arrete-au", &night];
    let (code, _, stderr) = run(&[&["bilan"][..], &period].concat(), &files.config);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("préciser --etablissement CODE ou --tous")
            && stderr.contains(&codes[0])
            && stderr.contains(UNATTRIBUTED_CODE),
        "{stderr}"
    );
    let (code, _, stderr) = run(
        &[&["bilan", "--etablissement", "inconnu"][..], &period].concat(),
        &files.config,
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("« inconnu » inconnu") && stderr.contains(&codes[1]),
        "{stderr}"
    );
    let (code, stdout, stderr) = run(&[&["bilan", "--tous"][..], &period].concat(), &files.config);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    for c in &codes {
        let written = names_in(&config.storage.outputs.join(c));
        assert!(
            written
                .iter()
                .any(|f| f.starts_with("bilan-") && f.ends_with(".html"))
                && written
                    .iter()
                    .any(|f| f.starts_with("bilan-") && f.ends_with(".json")),
            "{c}: {written:?}"
        );
    }
    let one = n.dir.path().join("un");
    let (code, stdout, stderr) = run(
        &[
            &["bilan", "--etablissement", &codes[0], "--sortie"][..],
            &[one.to_str().expect("utf-8")],
            &period,
        ]
        .concat(),
        &files.config,
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let written = names_in(&one);
    assert!(written.iter().any(|f| f.ends_with(".json")), "{written:?}");
    let json = written.iter().find(|f| f.ends_with(".json")).expect("json");
    let text = std::fs::read_to_string(one.join(json)).expect("json");
    assert!(
        text.contains(&format!("\"{}\"", config.establishments[0].name)),
        "the bilan is the establishment's"
    );
    n.shutdown().await;
}
