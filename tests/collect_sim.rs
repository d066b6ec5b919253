//! Collection end to end: the real collectors, over HTTP, against the simulated tenant.

use std::sync::{Arc, Mutex};

use vigie365::collect::{Progress, Settings, collect_night};
use vigie365::graph::GraphClient;
use vigie365::model::{Account, Mailbox, Registration};
use vigie365::sim::{Sim, SimHandle, SimOptions};
use vigie365::store::{RunStatus, SourceStatus, Store};

struct Night {
    _dir: tempfile::TempDir,
    sim: SimHandle,
    config: vigie365::config::Config,
}

async fn start(accounts: u32, seed: u64, day: u32, time_scale: f64) -> Night {
    let opts = SimOptions {
        seed,
        accounts,
        day,
        time_scale,
        ..SimOptions::default()
    };
    let sim = Sim::start(opts).await.expect("sim starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let files = sim.write_setup(dir.path(), day).expect("setup files");
    let config = vigie365::config::load(&files.config).expect("the sim's config is valid");
    Night {
        _dir: dir,
        sim,
        config,
    }
}

async fn collect(n: &Night, day: u32) -> (Arc<Mutex<Store>>, vigie365::collect::NightReport) {
    n.sim.set_day(day);
    let as_of = chrono::DateTime::parse_from_rfc3339(&n.sim.as_of(day))
        .expect("as_of")
        .with_timezone(&chrono::Utc);
    let store = Arc::new(Mutex::new(
        Store::open(&n.config.storage.database).expect("store"),
    ));
    let client = GraphClient::from_config(&n.config).expect("client");
    let settings = Settings::from_config(&n.config, as_of).expect("settings");
    let report = collect_night(client, store.clone(), settings, Progress::hidden())
        .await
        .expect("collect");
    (store, report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_night_of_2000_accounts_is_stored_as_the_sim_holds_it() {
    let n = start(2000, 7, 3, 200.0).await;
    let (store, report) = collect(&n, 3).await;
    for s in &report.sources {
        assert_eq!(
            s.outcome.status,
            SourceStatus::Collected,
            "{}: {:?}",
            s.source,
            s.outcome.reason
        );
    }
    assert_eq!(report.status, RunStatus::Complete);

    let counts = n.sim.counts(3);
    let accounts: Vec<Account> = {
        let s = store.lock().expect("store");
        let regs: Vec<Registration> = s.current().expect("registrations");
        let boxes: Vec<Mailbox> = s.current().expect("mailboxes");
        assert_eq!(regs.len() as u64, counts.registrations);
        assert_eq!(boxes.len() as u64, counts.mailboxes);
        let contacts: Vec<vigie365::model::MailContact> = s.current().expect("contacts");
        assert_eq!(contacts.len() as u64, counts.mail_contacts);
        s.current().expect("accounts")
    };
    assert_eq!(accounts.len() as u64, counts.users);

    // A sample, field by field, against the sim's own JSON.
    let client = GraphClient::from_config(&n.config).expect("client");
    let q = vigie365::queries::get("users").expect("users query");
    for a in accounts.iter().step_by(97).take(20) {
        let url = client
            .graph_url(
                &format!("/v1.0/users/{}", a.id),
                &[("$select", &q.select())],
            )
            .expect("url");
        let raw: serde_json::Value = client
            .get_json(&vigie365::graph::Call::for_query(q, http::Method::GET, url))
            .await
            .expect("user by id");
        assert_eq!(
            a.upn,
            raw["userPrincipalName"]
                .as_str()
                .unwrap_or("")
                .to_lowercase()
        );
        assert_eq!(a.display_name, raw["displayName"].as_str().unwrap_or(""));
        assert_eq!(a.enabled, raw["accountEnabled"].as_bool().unwrap_or(true));
        assert_eq!(a.guest, raw["userType"] == "Guest");
        assert_eq!(a.employee_type.as_deref(), raw["employeeType"].as_str());
    }

    // The limiters kept every class under its limit: at most the first request of a class
    // may meet a 429. (At this time scale the spacing of a class is a few milliseconds, so
    // a loaded machine's jitter may cost one; the benchmark checks the real-scale figures.)
    let stats = n.sim.stats();
    for (class, c) in &stats.classes {
        assert!(
            c.throttled <= 1,
            "{class}: {} requests throttled",
            c.throttled
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_night_reads_only_new_sign_ins_and_keeps_the_first() {
    let n = start(300, 11, 5, 200.0).await;
    let (store, first) = collect(&n, 5).await;
    assert_eq!(first.status, RunStatus::Complete);
    let read_first = first
        .sources
        .iter()
        .find(|s| s.source == "sign-ins")
        .map(|s| s.outcome.records)
        .unwrap_or(0);
    drop(store);
    let (store, second) = collect(&n, 6).await;
    assert_eq!(second.status, RunStatus::Complete);
    let read_second = second
        .sources
        .iter()
        .find(|s| s.source == "sign-ins")
        .map(|s| s.outcome.records)
        .unwrap_or(0);
    assert!(read_first > 0);
    assert!(
        read_second < read_first,
        "one day plus the overlap, not 30 days again ({read_second} vs {read_first})"
    );
    let s = store.lock().expect("store");
    let runs = s.runs().expect("runs");
    assert_eq!(runs.len(), 2);
    assert!(s.integrity_ok().expect("integrity"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_on_registration_details_leaves_every_other_source_collected() {
    let opts = SimOptions {
        seed: 5,
        accounts: 300,
        day: 2,
        time_scale: 200.0,
        deny: vec!["registration".into()],
        ..SimOptions::default()
    };
    let sim = Sim::start(opts).await.expect("sim");
    let dir = tempfile::tempdir().expect("tempdir");
    let files = sim.write_setup(dir.path(), 2).expect("setup");
    let n = Night {
        _dir: dir,
        sim,
        config: vigie365::config::load(&files.config).expect("config"),
    };
    let (store, report) = collect(&n, 2).await;
    assert_eq!(report.status, RunStatus::Partial);
    for s in &report.sources {
        if s.source == "user-registration-details" {
            assert_eq!(s.outcome.status, SourceStatus::NotCollected);
            assert_eq!(s.outcome.permission.as_deref(), Some("AuditLog.Read.All"));
            assert!(
                s.outcome
                    .reason
                    .as_deref()
                    .unwrap_or("")
                    .contains("Authorization_RequestDenied")
            );
        } else {
            assert_eq!(s.outcome.status, SourceStatus::Collected, "{}", s.source);
        }
    }
    // The run row says it, and the checks that need the source say "not evaluated".
    let mut s = store.lock().expect("store");
    let run = s.runs().expect("runs").pop().expect("a run");
    assert_eq!(run.status, RunStatus::Partial);
    let sources = s.sources(run.id).expect("sources");
    let reg = sources
        .iter()
        .find(|x| x.source == "user-registration-details")
        .expect("row");
    assert_eq!(reg.permission.as_deref(), Some("AuditLog.Read.All"));
    let (summary, _) = vigie365::night::evaluate_latest(&mut s, &n.config).expect("evaluate");
    let skipped: Vec<&str> = summary.not_evaluated.iter().map(|x| x.check).collect();
    assert_eq!(
        skipped,
        vec!["GEN-MFA-01"],
        "only the check that needs registration details"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_says_why_an_account_is_generic_and_what_the_checks_found() {
    let n = start(300, 2, 4, 200.0).await;
    let (store, _) = collect(&n, 4).await;
    let s = store.lock().expect("store");
    let accounts: Vec<Account> = s.current().expect("accounts");
    let tablet = accounts
        .iter()
        .find(|a| a.display_name.starts_with("Tablette"))
        .expect("a tablet account");
    let text =
        vigie365::night::explain(&s, &n.config, &tablet.upn.to_uppercase()).expect("explain");
    assert!(text.contains("classe : compte générique"), "{text}");
    assert!(
        text.contains("nom d'affichage"),
        "the rule that decided it: {text}"
    );
    assert!(text.contains("GEN-MFA-01"), "{text}");
    let unknown = vigie365::night::explain(&s, &n.config, "personne@nulle.part").expect("explain");
    assert!(unknown.contains("Aucun compte"), "{unknown}");
}
