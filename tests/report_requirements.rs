//! The accountability table (MSSS-DIR04 art. 14) on a handcrafted year: inbox rules refused
//! for the whole of March (their checks not evaluated), one failed night in June, mailboxes
//! read only in part one night of September, and attestations for two elements outside the
//! tool's reach. Each requirement's status is checked against a list written here, by hand,
//! from the rules of `src/requirements` (vérifié / partiel / hors de portée de l'outil).

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde_json::Value;

use vigie365::checks::{Finding, Severity};
use vigie365::classify::Population;
use vigie365::config::Attestation;
use vigie365::finding::CheckId;
use vigie365::report::bilan::{self, Context, Period};
use vigie365::store::{
    PostureFigure, RunStatus, SourceOutcome, SourceStatus, Store, StoredFinding,
};

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).expect("date")
}

/// One night: `refused` sources not collected, `partly` collected with a note, evaluated
/// unless failed, with its successful single-factor sign-ins ([`single_factor`]).
fn run(store: &mut Store, night: NaiveDate, failed: bool, refused: &[&str], partly: &[&str]) {
    let as_of = Utc
        .with_ymd_and_hms(night.year(), night.month(), night.day(), 8, 0, 0)
        .single()
        .expect("instant")
        + Duration::days(1);
    let id = store.begin_run(as_of, night).expect("run");
    for q in vigie365::queries::all() {
        store.source_started(id, &q.name).expect("start");
        let (status, reason) = if failed && q.name == "users" {
            (
                SourceStatus::Failed,
                Some("503 après 5 tentatives".to_string()),
            )
        } else if refused.contains(&q.name.as_str()) {
            (
                SourceStatus::NotCollected,
                Some("403 Forbidden (accès refusé)".to_string()),
            )
        } else if partly.contains(&q.name.as_str()) {
            (
                SourceStatus::Collected,
                Some(
                    "3 boîte(s) hors de la portée de l'application (RBAC for Applications)".into(),
                ),
            )
        } else {
            (SourceStatus::Collected, None)
        };
        let outcome = SourceOutcome {
            status,
            records: 1,
            pages: 1,
            reason,
            permission: (status == SourceStatus::NotCollected)
                .then(|| "MailboxSettings.Read".into()),
        };
        store
            .source_finished(id, &q.name, &outcome)
            .expect("finish");
    }
    let status = if failed {
        RunStatus::Failed
    } else if refused.is_empty() {
        RunStatus::Complete
    } else {
        RunStatus::Partial
    };
    store.finish_run(id, status, None).expect("finish run");
    if failed {
        return;
    }
    let skipped: Vec<CheckId> = vigie365::checks::REGISTRY
        .iter()
        .filter(|c| c.needs.iter().any(|n| refused.contains(n)))
        .map(|c| CheckId::declared(c.id))
        .collect();
    let mfa = Finding::new(
        "GEN-MFA-01",
        "tablette1.verdun@cisss-test.ca",
        Severity::Critique,
        Population::Personnel,
        "« Tablette 1 CHSLD de Verdun » : aucune MFA enregistrée",
    );
    let stored: Vec<StoredFinding> = (night < date(2, 1))
        .then(|| StoredFinding::try_from(&mfa).expect("json"))
        .into_iter()
        .collect();
    store
        .record_evaluation(id, night, as_of, &stored, &skipped, &single_factor(night))
        .expect("evaluation");
}

/// The nightly figures of successful single-factor sign-ins (per account, as
/// `checks::posture` writes them): a generic tablet twice every night of January, another
/// once on 10 October; no « Appli » account ever.
fn single_factor(night: NaiveDate) -> Vec<PostureFigure> {
    let figure = |upn: &str, value: i64| PostureFigure {
        population: "tous".into(),
        class: "facteur_unique_generique".into(),
        metric: upn.into(),
        value,
    };
    let mut v = Vec::new();
    if night.month() == 1 {
        v.push(figure("tablette1.verdun@cisss-test.ca", 2));
    }
    if night == date(10, 10) {
        v.push(figure("tablette2.verdun@cisss-test.ca", 1));
    }
    v
}

fn year(dir: &std::path::Path) -> Store {
    let path = dir.join("vigie365.sqlite");
    let mut s = Store::open(&path).expect("store");
    for night in date(1, 1).iter_days().take_while(|d| *d <= date(12, 31)) {
        let refused: &[&str] = if night.month() == 3 {
            &["message-rules"]
        } else {
            &[]
        };
        let partly: &[&str] = if night == date(9, 1) {
            &["exchange-mailboxes"]
        } else {
            &[]
        };
        run(&mut s, night, night == date(6, 15), refused, partly);
    }
    drop(s);
    Store::open_read_only(&path).expect("read only")
}

fn attestations() -> Vec<Attestation> {
    vec![
        Attestation {
            requirement: "DIR04-9-4".into(),
            text: "Sites de messagerie publique bloqués par le filtrage web.".into(),
            owner: "Responsable de la sécurité de l'information".into(),
            date: date(12, 15),
        },
        Attestation {
            requirement: "DIR04-8".into(),
            text: "Incidents déclarés au centre de services (MSSS-DIR01).".into(),
            owner: "Responsable de la sécurité de l'information".into(),
            date: date(12, 15),
        },
    ]
}

fn ctx() -> Context {
    Context {
        establishment: "CISSS de test".into(),
        tenant: "cisss-test.onmicrosoft.com".into(),
        attestations: attestations(),
        ..Context::default()
    }
}

/// Outside by nature, or without any check or figure of this version.
const OUTSIDE: &[&str] = &[
    "DIR04-7",
    "DIR04-8",
    "DIR04-9-2",
    "DIR04-9-3",
    "DIR04-9-4",
    "ORI-TEC-03",
    "ORI-TEC-08",
    "ORI-TEC-11",
    "ORI-ORG-01",
    "ORI-ORG-02",
    "ORI-ORG-04",
];

/// Verifiable with this version's checks: vérifié when every night was evaluated.
const VERIFIABLE: &[&str] = &[
    "DIR04-6-5",
    "ORI-TEC-02",
    "ORI-TEC-04",
    "ORI-TEC-05",
    "ORI-ORG-03",
];

fn statuses(b: &bilan::Bilan) -> Vec<(&'static str, &'static str)> {
    b.exigences.iter().map(|e| (e.id, e.statut)).collect()
}

#[test]
fn each_requirement_has_its_status_its_gaps_and_its_attestation() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = year(dir.path());
    let period = Period::year(2026).expect("year");
    let b = bilan::compute_for(&store, &period, &ctx()).expect("bilan");
    assert_eq!(b.exigences.len(), vigie365::requirements::CATALOGUE.len());
    // The year: one failed night makes every element the tool can see partial.
    for (id, statut) in statuses(&b) {
        let want = if OUTSIDE.contains(&id) {
            "hors_portee"
        } else {
            "partiel"
        };
        assert_eq!(statut, want, "{id}");
    }
    let row = |id: &str| b.exigences.iter().find(|e| e.id == id).expect("row");
    let forwarding = row("DIR04-6-5");
    // Counts are written with a non-breaking space.
    let gaps = forwarding.lacunes.join(" | ").replace('\u{a0}', " ");
    assert!(gaps.contains("1 nuit sans évaluation"), "{gaps}");
    // FWD-PUB-01 is judged on what was read (mailbox forwarding) when inbox rules are
    // refused; the requirement still names the missing source, and FWD-DIS-01 (inbox rules
    // only) was not evaluated.
    assert!(gaps.contains("FWD-DIS-01 non évalué 31 nuits"), "{gaps}");
    assert!(
        gaps.contains("« message-rules » non collectée 31 nuits"),
        "{gaps}"
    );
    assert!(
        gaps.contains("« exchange-mailboxes » lue en partie 1 nuit"),
        "{gaps}"
    );
    assert!(forwarding.controles.contains(&"FWD-PUB-01"));
    // Attestations: the two written, the others to provide.
    assert!(row("DIR04-9-4").attestation.is_some());
    assert!(row("DIR04-8").attestation.is_some());
    assert!(row("DIR04-9-2").attestation_a_fournir());
    assert!(!b.reddition.tout_verifie());
    assert_eq!(b.reddition.attestations_fournies, 2);
    assert_eq!(
        b.reddition.attestations_a_fournir,
        b.reddition.partielles + b.reddition.hors_portee - 2
    );
    // A state finding's figures reach its requirement.
    assert_eq!(row("ORI-TEC-04").constats.corriges, 1);

    // July and August: every night evaluated, every source read.
    let summer = Period::between(date(7, 1), date(8, 31)).expect("summer");
    let s = bilan::compute_for(&store, &summer, &ctx()).expect("summer bilan");
    for (id, statut) in statuses(&s) {
        let want = if OUTSIDE.contains(&id) {
            "hors_portee"
        } else if VERIFIABLE.contains(&id) {
            "verifie"
        } else {
            "partiel"
        };
        assert_eq!(statut, want, "{id} in summer");
    }

    // The documents: one row per requirement, the attestation in the HTML with its
    // function, never in the JSON; the summary never says everything was verified.
    let r = bilan::render(&b, &period, &ctx()).expect("render");
    let html = String::from_utf8(r.get(".html").expect("html").to_vec()).expect("utf8");
    for e in &b.exigences {
        assert!(
            html.contains(&format!("<td><code>{}</code></td>", e.id)),
            "{}",
            e.id
        );
    }
    assert!(html.contains("attestation à fournir"));
    assert!(html.contains("Sites de messagerie publique bloqués par le filtrage web."));
    assert!(html.contains("a pas été vérifié"));
    assert!(!html.contains("Toutes les sources ont été lues"));
    assert!(html.contains("lue en partie"), "coverage keeps the note");
    let json: Value = serde_json::from_slice(r.get(".json").expect("json")).expect("json");
    let text = json.to_string();
    assert!(
        !text.contains("Responsable de la sécurité"),
        "no responsable in the JSON"
    );
    assert_eq!(
        json["exigences"].as_array().map(Vec::len),
        Some(b.exigences.len())
    );
    assert_eq!(json["exigences"][0]["statut"], "partiel");
}

/// Single-factor sign-ins of generic and « Appli » accounts: added up over the period's
/// nights, with the accounts concerned; the accounts stay out of the JSON; break-glass
/// accounts are named in the annex only.
#[test]
fn single_factor_sign_ins_are_added_up_per_class_over_the_period() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = year(dir.path());
    let mut ctx = ctx();
    let mut production = bilan::data::Production::new();
    production.urgence = vec!["urgence01@cisss-test.ca".into()];
    ctx.production = Some(production);
    let of = |period: &Period| bilan::compute_for(&store, period, &ctx).expect("bilan");
    let b = of(&Period::year(2026).expect("year"));
    let f = &b.connexions_facteur_unique;
    // 31 nights of January × 2, and 1 in October; the failed night of June is not evaluated.
    assert_eq!((f.generiques.connexions, f.generiques.comptes), (63, 2));
    assert_eq!((f.appli.connexions, f.appli.comptes), (0, 0));
    assert_eq!((f.nuits_lues, f.nuits_evaluees), (364, 364));
    let january = of(&Period::between(date(1, 1), date(1, 31)).expect("january"));
    assert_eq!(january.connexions_facteur_unique.generiques.connexions, 62);
    assert_eq!(january.connexions_facteur_unique.generiques.comptes, 1);
    let february = of(&Period::between(date(2, 1), date(2, 28)).expect("february"));
    assert_eq!(february.connexions_facteur_unique.generiques.connexions, 0);

    let period = Period::year(2026).expect("year");
    let r = bilan::render(&b, &period, &ctx).expect("render");
    let json = String::from_utf8(r.get(".json").expect("json").to_vec()).expect("utf8");
    let v: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["version_schema"], "1.3");
    assert_eq!(
        v["connexions_facteur_unique"]["generiques"],
        serde_json::json!({"connexions": 63, "comptes": 2})
    );
    assert!(!json.contains("tablette1"), "no account in the JSON");
    assert!(
        !json.contains("urgence01"),
        "no break-glass account in the JSON"
    );
    let html = String::from_utf8(r.get(".html").expect("html").to_vec()).expect("utf8");
    let annex = html.rfind("Annexes</h2>").expect("annexes");
    assert!(html.contains("Connexions réussies à facteur unique"));
    assert_eq!(
        html.find("urgence01@cisss-test.ca").map(|i| i > annex),
        Some(true),
        "the break-glass account named in the annex only"
    );
}
