//! The accountability table (MSSS-DIR04 art. 14) on the simulated tenant: the real nightly
//! pipeline over a year (365 nights, on the smallest tenant the simulator makes: 150 accounts;
//! 209 s to 502 s on a 2-core machine, as loaded), inbox rules refused
//! for the whole of February (the simulator's `deny`, switched on for those nights only by
//! sending them to a second simulator of the same tenant that refuses them), one night in
//! March that fails (a revoked secret), and the two attestations of the simulator's
//! configuration (elements outside the tool's reach). Each requirement's status, for the year, for
//! each of its first three months and for December, is checked against the simulator's ground truth
//! (`vigie365::sim::requirement_statuses`), computed from what the simulation did, not from
//! the code under test.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use vigie365::config::Config;
use vigie365::pipeline::{Job, Pace, Pipeline, Until};
use vigie365::report::bilan::{self, Context, Period};
use vigie365::sim::{PlannedNight, Sim, SimOptions};
use vigie365::store::{RunStatus, Store};

const SEED: u64 = 16;
const ACCOUNTS: u32 = 150;
const DAYS: u32 = 365;
const REFUSED: &str = "rules";
const FAILED_NIGHT: (u32, u32) = (3, 16);

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")
}

fn options(deny: Vec<String>) -> SimOptions {
    SimOptions {
        seed: SEED,
        accounts: ACCOUNTS,
        day: 0,
        start_date: start(),
        time_scale: 2000.0,
        deny,
        ..SimOptions::default()
    }
}

/// What the simulation does on `night`.
fn plan(night: NaiveDate) -> PlannedNight {
    PlannedNight {
        denied: if night.month() == 2 {
            vec![REFUSED.to_string()]
        } else {
            Vec::new()
        },
        failed: (night.month(), night.day()) == FAILED_NIGHT,
    }
}

/// The year, night by night: the configuration of each night points at the simulator
/// that refuses inbox rules on the nights that refuse them, and carries a revoked secret
/// on the night that fails.
async fn year(dir: &std::path::Path) -> Config {
    let sim = Sim::start(options(Vec::new())).await.expect("sim");
    let refusing = Sim::start(options(vec![REFUSED.to_string()]))
        .await
        .expect("refusing sim");
    let mut pipeline = Pipeline::new();
    let mut last = None;
    for day in 0..DAYS {
        sim.set_day(day);
        refusing.set_day(day);
        let night = sim.date(day);
        let p = plan(night);
        let files = sim.write_setup(dir, day).expect("setup");
        let mut text = std::fs::read_to_string(&files.config).expect("config");
        if !p.denied.is_empty() {
            text = text.replace(&sim.base_url(), &refusing.base_url());
        }
        if p.failed {
            text = text.replace(&sim.client_secret(), "Secret~Revoque~Expire");
        }
        std::fs::write(&files.config, text).expect("write config");
        let config =
            vigie365::config::load(&files.config, &vigie365::checks::registry::load_options())
                .expect("config");
        let as_of = DateTime::parse_from_rfc3339(&sim.as_of(day))
            .expect("as_of")
            .with_timezone(&Utc);
        let job = Job {
            config: &config,
            as_of,
            pace: Pace::default(),
            progress: false,
            until: Until::Evaluated,
        };
        let n = pipeline.night(&job, &mut |_| {}).await.expect("night");
        let want = if p.failed {
            RunStatus::Failed
        } else if p.denied.is_empty() {
            RunStatus::Complete
        } else {
            RunStatus::Partial
        };
        assert_eq!(n.collection.status, want, "night {night}");
        assert_eq!(n.evaluation.is_some(), !p.failed, "night {night}");
        last = Some(config);
    }
    sim.shutdown().await;
    refusing.shutdown().await;
    last.expect("nights")
}

fn statuses(b: &bilan::Bilan) -> BTreeMap<&'static str, &'static str> {
    b.exigences.iter().map(|e| (e.id, e.statut)).collect()
}

fn nights(du: NaiveDate, au: NaiveDate) -> Vec<PlannedNight> {
    du.iter_days().take_while(|d| *d <= au).map(plan).collect()
}

#[test]
fn each_requirement_has_the_status_the_simulation_implies() {
    let dir = tempfile::tempdir().expect("tmp");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let config = rt.block_on(year(dir.path()));
    let store = Store::open_read_only(&config.storage.database).expect("store");
    let ctx = Context::from_config(&config);
    // The simulator's configuration attests two elements outside the tool's reach.
    let attested: Vec<&str> = ctx
        .attestations
        .iter()
        .map(|a| a.requirement.as_str())
        .collect();
    assert_eq!(attested, ["DIR04-9-4", "DIR04-8"]);
    let end = start() + chrono::Duration::days(i64::from(DAYS) - 1);
    let month = |m: u32| {
        let du = NaiveDate::from_ymd_opt(2026, m, 1).expect("month");
        let au = du
            .checked_add_months(chrono::Months::new(1))
            .and_then(|d| d.pred_opt())
            .expect("end of month");
        (du, au)
    };
    let periods = [(start(), end), month(1), month(2), month(3), month(12)];
    let mut seen = BTreeMap::new();
    for (du, au) in periods {
        let period = Period::between(du, au).expect("period");
        let b = bilan::compute_for(&store, &period, &ctx).expect("bilan");
        let want = vigie365::sim::requirement_statuses(&nights(du, au))
            .expect("the oracle models the refusal");
        assert_eq!(b.exigences.len(), want.len(), "one row per requirement");
        let got = statuses(&b);
        let wrong: Vec<String> = want
            .iter()
            .filter(|(id, s)| got.get(*id) != Some(*s))
            .map(|(id, s)| format!("{id}: attendu {s}, obtenu {:?}", got.get(id)))
            .collect();
        assert!(wrong.is_empty(), "{du} – {au}: {wrong:#?}");
        for (id, s) in &want {
            seen.entry(*id).or_insert_with(Vec::new).push(*s);
        }

        // Attestations: the two written are the bilan's; the others not verified are to
        // provide.
        for e in &b.exigences {
            let attested = attested.contains(&e.id);
            assert_eq!(e.attestation.is_some(), attested, "{}", e.id);
            if attested {
                assert_eq!(want[e.id], "hors_portee", "{}", e.id);
            } else if e.statut != "verifie" {
                assert!(e.attestation_a_fournir(), "{}", e.id);
            }
        }
        assert_eq!(b.reddition.attestations_fournies, 2);
        assert!(!b.reddition.tout_verifie());

        // The gaps name what was missing, counted from the plan.
        let planned = nights(du, au);
        let refused = planned.iter().filter(|n| !n.denied.is_empty()).count();
        let failed = planned.iter().filter(|n| n.failed).count();
        let forwarding = b
            .exigences
            .iter()
            .find(|e| e.id == "DIR04-6-5")
            .expect("row");
        let gaps = forwarding.lacunes.join(" | ").replace('\u{a0}', " ");
        let query = vigie365::sim::refused_query(REFUSED).expect("query");
        let evaluated_refused = planned
            .iter()
            .filter(|n| !n.denied.is_empty() && !n.failed)
            .count();
        if refused > 0 {
            assert!(
                gaps.contains(&format!(
                    "« {query} » non collectée {evaluated_refused} nuits"
                )),
                "{gaps}"
            );
        } else {
            assert!(!gaps.contains(query), "{gaps}");
        }
        if failed > 0 {
            assert!(gaps.contains("1 nuit sans évaluation"), "{gaps}");
        } else {
            assert!(!gaps.contains("sans évaluation"), "{gaps}");
        }
    }
    // The periods show every status the table can take: a requirement the tool can verify
    // is vérifié in January and December and partiel in February and March, and over the
    // year.
    assert_eq!(
        seen["DIR04-6-5"],
        vec!["partiel", "verifie", "partiel", "partiel", "verifie"]
    );
    assert_eq!(
        seen["ORI-TEC-04"],
        vec!["partiel", "verifie", "verifie", "partiel", "verifie"]
    );

    // The documents: the attestation in the HTML with its function, never in the JSON.
    let period = Period::between(start(), end).expect("period");
    let b = bilan::compute_for(&store, &period, &ctx).expect("bilan");
    let r = bilan::render(&b, &period, &ctx).expect("render");
    let html = String::from_utf8(r.get(".html").expect("html").to_vec()).expect("utf8");
    assert!(html.contains("sont bloqués par le filtrage web"));
    assert!(html.contains("attestation à fournir"));
    let json = String::from_utf8(r.get(".json").expect("json").to_vec()).expect("utf8");
    assert!(!json.contains("Responsable de la sécurité de l'information"));
}
