//! A new check is one file and one line in the registry: listed in a registry, a check
//! declared nowhere else is known to `vigie365 checks` and the README's table, to the
//! configuration's exception ids, to the evaluation and to the bilan's tables.

use chrono::{NaiveDate, TimeZone, Utc};

mod common;

use common::config_text::HEAD;

use vigie365::checks::registry::{self, REGISTRY};
use vigie365::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot};
use vigie365::classify::Population;
use vigie365::config::{Code, Config, LoadOptions};
use vigie365::report::bilan::{self, Period};
use vigie365::store::{RunStatus, SourceOutcome, SourceStatus, Store, StoredFinding};

/// A check that exists only in this test.
static NEW: CheckInfo = CheckInfo {
    id: "TST-NEW-01",
    family: Family::Appli,
    kind: Kind::State,
    severity: Severity::Faible,
    title_fr: "Contrôle ajouté pour l'essai",
    reference: "Essai",
    doc: "Relève le locataire à chaque nuit.",
    fix_fr: "Rien à corriger : contrôle d'essai.",
    needs: &["users"],
    tags: &[],
    requirements: &[&vigie365::requirements::DIR04_14],
    run: fires_once,
};

fn fires_once(_: &Snapshot, _: &vigie365::config::Config) -> Vec<Finding> {
    vec![Finding::new(
        NEW.id,
        "locataire",
        NEW.severity,
        Population::Tous,
        "constat d'essai",
    )]
}

fn with_new() -> Vec<&'static CheckInfo> {
    REGISTRY.iter().copied().chain([&NEW]).collect()
}

/// A configuration whose exception names the new check (its `controle` on line 11).
fn config_text() -> String {
    format!(
        "{HEAD}\n[[exceptions]]\ncontrole = \"TST-NEW-01\"\nsujet = \"locataire\"\n\
         justification = \"Essai\"\nresponsable = \"RSI\"\nexpiration = 2099-12-31\n"
    )
}

fn night() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")
}

#[test]
fn the_check_table_lists_it() {
    let table = registry::table_fr_of(&with_new());
    assert!(
        table.ends_with("| TST-NEW-01 | faible | Contrôle ajouté pour l'essai | Essai |\n"),
        "{table}"
    );
    assert_eq!(
        registry::table_fr_of(REGISTRY),
        registry::table_fr(),
        "`vigie365 checks` and the README print the registry's table"
    );
}

#[test]
fn an_exception_may_name_it_once_it_is_listed() {
    let refused = Config::from_toml_str(&config_text(), "v.toml", &registry::load_options())
        .expect_err("unknown to the shipped registry");
    assert!(
        refused
            .diagnostics
            .iter()
            .any(|d| d.code == Code::UnknownCheck && d.line == 11),
        "{refused}"
    );
    let ids = registry::ids_of(&with_new());
    let config = Config::from_toml_str(
        &config_text(),
        "v.toml",
        &LoadOptions { known_checks: &ids },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.exceptions[0].check_id, NEW.id);
}

#[test]
fn it_is_evaluated_and_the_bilan_has_its_row_in_its_family() {
    let ids = registry::ids_of(&with_new());
    let config = Config::from_toml_str(
        &config_text(),
        "v.toml",
        &LoadOptions { known_checks: &ids },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut snapshot = Snapshot::default().all_sources_collected();
    let as_of = Utc
        .with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
        .single()
        .expect("instant");
    snapshot.as_of = as_of;
    snapshot.night = night();
    let e = vigie365::checks::evaluate_of(&with_new(), &snapshot, &config);
    let mine: Vec<&Finding> = e.findings.iter().filter(|f| f.check == NEW.id).collect();
    assert_eq!(mine.len(), 1, "{:?}", e.findings);
    assert!(mine[0].is_accepted(), "the exception naming it applies");

    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("vigie365.sqlite")).expect("store");
    let run = store.begin_run(as_of, night()).expect("run");
    for q in vigie365::queries::all() {
        store.source_started(run, &q.name).expect("start");
        let done = SourceOutcome {
            status: SourceStatus::Collected,
            records: 1,
            pages: 1,
            reason: None,
            permission: None,
        };
        store.source_finished(run, &q.name, &done).expect("finish");
    }
    store
        .finish_run(run, RunStatus::Complete, None)
        .expect("finish run");
    let stored: Vec<StoredFinding> = e
        .findings
        .iter()
        .map(|f| StoredFinding::try_from(f).expect("json"))
        .collect();
    store
        .record_evaluation(run, night(), as_of, &stored, &[], &[])
        .expect("evaluation");

    let period = Period::between(night(), night()).expect("period");
    let b = bilan::compute_of(&with_new(), &store, &period, "CISSS", "cisss.ca").expect("bilan");
    let row = b
        .controle(NEW.id)
        .expect("a row of the bilan's check table");
    assert_eq!(
        (row.famille, row.releves, row.acceptes_fin),
        ("appli", 1, 1)
    );
    assert_eq!(b.constats_par_nuit.par_controle[NEW.id], [Some(1)]);
    let appli = format!("{:?}", bilan::sections::appli(&b));
    assert!(appli.contains(NEW.title_fr), "{appli}");
    let generic = format!("{:?}", bilan::sections::generiques(&b));
    assert!(!generic.contains(NEW.title_fr), "only in its own family");
    // The requirement it declares now has evidence: a row of the accountability table
    // that names it, no longer « hors de portée ».
    let req = b
        .exigences
        .iter()
        .find(|e| e.id == "DIR04-14")
        .expect("requirement");
    assert_eq!(req.controles, [NEW.id]);
    assert_eq!(req.statut, "partiel");
}

/// `vigie365 checks` for a terminal: aligned columns and wrapped titles, not Markdown; and
/// one check's explanation ends with how to fix it.
#[test]
fn the_checks_command_reads_on_a_terminal_and_says_how_to_fix() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigie365"))
            .args(args)
            .env("COLUMNS", "90")
            .output()
            .expect("run vigie365");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let table = run(&["checks"]);
    assert!(!table.contains('|') && !table.contains("---|"), "{table}");
    assert!(table.lines().all(|l| l.chars().count() <= 90), "{table}");
    for c in vigie365::checks::REGISTRY {
        assert!(
            table.lines().any(|l| l.starts_with(c.id)),
            "{} has its row",
            c.id
        );
    }
    let one = run(&["checks", "GEN-MFA-01"]);
    let fix = one
        .split("Correction : ")
        .nth(1)
        .unwrap_or_else(|| panic!("no « Correction : » in {one}"));
    assert!(fix.replace('\n', " ").contains("Microsoft Entra"), "{one}");
    assert!(one.lines().all(|l| l.chars().count() <= 90), "{one}");
}
