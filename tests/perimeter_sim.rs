//! End to end on the simulated tenant: the establishment's perimeter splits the tenant in
//! two (its sites by `extensionAttribute2`, as a shared tenant would carry the establishment)
//! and a night run with `[perimetre]` must leave no trace of the other part: no account,
//! finding, count or name in the store's accounts, the nightly files, the bilan or
//! `evaluate --explain`. The findings it gives are those of the whole tenant's night that
//! concern its accounts (and the tenant's own settings).

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use vigie365::checks::Evaluation;
use vigie365::collect::{Progress, Settings, collect_night};
use vigie365::config::{AttributeMatcher, Config, DirectoryAttribute, Perimeter};
use vigie365::graph::GraphClient;
use vigie365::model::Account;
use vigie365::report::bilan::{self, Context, Period};
use vigie365::store::{RunStatus, Store};

use common::sim_night::{SimNight, options};

const DAY: u32 = 40;

async fn night_with(
    n: &SimNight,
    config: &Config,
) -> (Arc<Mutex<Store>>, vigie365::collect::NightReport) {
    let store = Arc::new(Mutex::new(
        Store::open(&config.storage.database).expect("store"),
    ));
    let client = GraphClient::from_config(config).expect("client");
    let settings = Settings::from_config(config, n.as_of(DAY)).expect("settings");
    let report = collect_night(client, store.clone(), settings, Progress::hidden())
        .await
        .expect("collect");
    (store, report)
}

fn evaluate(store: &Mutex<Store>, config: &Config) -> Evaluation {
    let mut s = store.lock().expect("store");
    vigie365::night::evaluate_latest(&mut s, config)
        .expect("evaluate")
        .1
}

fn site(a: &Account) -> Option<&str> {
    a.extension_attributes
        .get("extensionAttribute2")
        .map(String::as_str)
}

/// Every file under `dir`, as text.
fn texts(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(texts(&p));
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((
                p.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_perimeter_leaves_no_trace_of_the_other_establishment() {
    let n = SimNight::start(options(23, 400, DAY)).await;
    let before = n.sim.stats();
    let (full_store, full_report) = n.collect(DAY).await;
    let after_full = n.sim.stats();
    assert_eq!(full_report.status, RunStatus::Complete);
    let full = evaluate(&full_store, &n.config);
    let all: Vec<Account> = full_store
        .lock()
        .expect("store")
        .current::<Account>()
        .expect("accounts");

    // The establishment: half the sites.
    let mut sites: Vec<&str> = all.iter().filter_map(site).collect();
    sites.sort();
    sites.dedup();
    assert!(sites.len() >= 4, "{sites:?}");
    let ours: Vec<String> = sites.iter().step_by(2).map(|s| s.to_string()).collect();
    let inside =
        |a: &Account| site(a).is_some_and(|s| ours.iter().any(|o| o.eq_ignore_ascii_case(s)));
    let (in_accounts, out_accounts): (Vec<&Account>, Vec<&Account>) =
        all.iter().partition(|a| inside(a));
    assert!(!in_accounts.is_empty() && out_accounts.len() > 50);

    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = n.config.clone();
    config.storage.database = dir.path().join("base/vigie365.sqlite");
    config.storage.outputs = dir.path().join("sorties");
    std::fs::create_dir_all(&config.storage.outputs).expect("outputs");
    config.perimeter = Some(Perimeter {
        units: Vec::new(),
        groups: Vec::new(),
        addresses: Vec::new(),
        attributes: vec![AttributeMatcher {
            attribute: DirectoryAttribute::ExtensionAttribute(2),
            values: ours.clone(),
        }],
        governs_tenant_controls: false,
        tenant_governor: None,
    });
    // The establishment's register lists its own generic accounts (the simulator's lists the
    // whole tenant's).
    if let Some(register) = &n.config.classification.register {
        let text = std::fs::read_to_string(&register.path).expect("register");
        let kept: String = text
            .lines()
            .filter(|l| {
                !out_accounts
                    .iter()
                    .any(|a| l.to_lowercase().contains(&a.upn))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&register.path, kept).expect("register");
    }
    let (store, report) = night_with(&n, &config).await;
    assert_eq!(report.status, RunStatus::Complete, "{:?}", report.sources);
    // What each night asked, by class: the per-account sources shrink with the perimeter.
    let after = n.sim.stats();
    for (class, stats) in &after.classes {
        let full_n = after_full.class(class).requests - before.class(class).requests;
        let mine_n = stats.requests - after_full.class(class).requests;
        println!(
            "{class}: tout le locataire {full_n} requêtes, le périmètre ({} comptes sur {}) {mine_n}",
            in_accounts.len(),
            all.len()
        );
    }
    let mine = evaluate(&store, &config);

    // The store holds the perimeter's accounts, exactly.
    let stored: BTreeSet<String> = store
        .lock()
        .expect("store")
        .current::<Account>()
        .expect("accounts")
        .into_iter()
        .map(|a| a.id)
        .collect();
    let expected: BTreeSet<String> = in_accounts.iter().map(|a| a.id.clone()).collect();
    assert_eq!(stored, expected);

    // What names an account outside: its UPN, its id, its mail address.
    let outside_names: Vec<String> = out_accounts
        .iter()
        .flat_map(|a| [Some(a.upn.clone()), Some(a.id.clone()), a.mail.clone()])
        .flatten()
        .collect();
    let names_outside = |text: &str| outside_names.iter().find(|o| text.contains(o.as_str()));

    // Findings: those of the whole tenant that name no account outside, and no others. The
    // tenant's own settings name an account outside as « (adresse hors du périmètre) »; the
    // register's evidence quotes its lines (the establishment's register is shorter).
    let key = |e: &Evaluation, redact: bool| -> BTreeSet<(String, String, String)> {
        e.findings
            .iter()
            .map(|f| {
                let mut evidence = f.evidence.clone();
                if redact && f.subject == "locataire" {
                    for o in &outside_names {
                        evidence = evidence.replace(o.as_str(), "(adresse hors du périmètre)");
                    }
                }
                if f.check.starts_with("GEN-REG") || f.check.starts_with("GEN-PWD") {
                    evidence = String::new();
                }
                (f.check.to_string(), f.subject.clone(), evidence)
            })
            .collect()
    };
    let want: BTreeSet<(String, String, String)> = key(&full, true)
        .into_iter()
        .filter(|(_, subject, evidence)| {
            names_outside(subject).is_none() && names_outside(evidence).is_none()
        })
        .collect();
    let got = key(&mine, false);
    assert_eq!(
        got.difference(&want).collect::<Vec<_>>(),
        Vec::<&(String, String, String)>::new(),
        "findings the perimeter's night has and the whole tenant's has not"
    );
    assert_eq!(
        want.difference(&got).collect::<Vec<_>>(),
        Vec::<&(String, String, String)>::new(),
        "findings of the perimeter's accounts missing from its night"
    );
    assert!(
        got.len() < key(&full, false).len(),
        "the other part had findings"
    );

    // The outputs: nightly files, the bilan in every format, explain.
    {
        let s = store.lock().expect("store");
        vigie365::pipeline::write_night(&s, None, &config, &config.storage.outputs)
            .expect("nightly files");
    }
    let night = report_night(&store);
    let period = Period::between(night, night).expect("period");
    let ctx = Context::from_config(&config);
    let b = {
        let s = store.lock().expect("store");
        bilan::compute_for(&s, &period, &ctx).expect("bilan")
    };
    let rendered = bilan::render(&b, &period, &ctx).expect("render");
    bilan::write(&rendered, &config.storage.outputs).expect("write bilan");
    let files = texts(&config.storage.outputs);
    assert!(
        files.len() >= 4,
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (file, text) in &files {
        if let Some(name) = names_outside(text) {
            panic!("{file} names {name}, outside the perimeter");
        }
    }
    {
        let s = store.lock().expect("store");
        let inside_one = in_accounts[0];
        let explained = vigie365::night::explain(&s, &config, &inside_one.upn).expect("explain");
        assert!(
            explained.contains("périmètre : dans le périmètre parce que extensionAttribute2 = « "),
            "{explained}"
        );
        let outside_one = out_accounts[0];
        let explained = vigie365::night::explain(&s, &config, &outside_one.upn).expect("explain");
        assert_eq!(
            explained,
            format!(
                "Compte {} : hors du périmètre : aucun critère ne le retient\n",
                outside_one.upn
            )
        );
    }
    // The store names no account outside either (the members of the policies' groups are
    // kept as object ids only, to judge the perimeter's accounts' coverage).
    drop(store);
    let mut bytes = std::fs::read(&config.storage.database).expect("db");
    let wal = format!("{}-wal", config.storage.database.display());
    bytes.extend(std::fs::read(wal).unwrap_or_default());
    let text = String::from_utf8_lossy(&bytes);
    let named: Vec<&String> = out_accounts
        .iter()
        .flat_map(|a| std::iter::once(&a.upn).chain(a.mail.as_ref()))
        .filter(|name| text.contains(name.as_str()))
        .collect();
    assert!(named.is_empty(), "the store names {named:?}");
    n.shutdown().await;
}

fn report_night(store: &Mutex<Store>) -> chrono::NaiveDate {
    store
        .lock()
        .expect("store")
        .latest_evaluable_run()
        .expect("run")
        .expect("a run")
        .night
}

/// What the tenant-wide reads cost a perimeter, per 1,000 accounts of the tenant: the
/// registration report is read whole and filtered after reading; the users' three
/// attributes of the perimeter add bytes to every account read. Measured, not asserted
/// (`cargo test --test perimeter_sim -- --ignored --nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn measure_tenant_wide_reads() {
    use vigie365::graph::{Call, ThrottleClass};
    for accounts in [2_000u32, 10_000] {
        let n = SimNight::start(options(23, accounts, DAY)).await;
        n.sim.set_day(DAY);
        let client = GraphClient::from_config(&n.config).expect("client");
        let q = vigie365::queries::get("user-registration-details").expect("query");
        let url = client.graph_url(&q.path, &[]).expect("url");
        let mut pager =
            client.pages::<serde_json::Value>(Call::for_query(q, http::Method::GET, url));
        let mut rows = 0usize;
        while let Some(p) = pager.next_page().await.expect("page") {
            rows += p.items.len();
        }
        let reg = client.counters().get(ThrottleClass::IdentityReports);
        let users = vigie365::queries::get("users").expect("query");
        let mut bytes = Vec::new();
        for select in [
            users.select(),
            users
                .select()
                .replace(",companyName,department,officeLocation", ""),
        ] {
            let before = client.counters().get(ThrottleClass::Directory).bytes;
            let url = client
                .graph_url(&users.path, &[("$select", &select), ("$top", "999")])
                .expect("url");
            let mut pager =
                client.pages::<serde_json::Value>(Call::for_query(users, http::Method::GET, url));
            while pager.next_page().await.expect("page").is_some() {}
            bytes.push(client.counters().get(ThrottleClass::Directory).bytes - before);
        }
        let per_k = |v: u64| v as f64 * 1000.0 / f64::from(accounts);
        println!(
            "{accounts} comptes : rapport d'inscription {rows} lignes, {} requêtes, {} octets \
             ({:.1} requêtes et {:.0} octets par 1 000 comptes du locataire) ; comptes avec les \
             3 attributs du périmètre {} octets, sans {} octets (+{:.1} %)",
            reg.requests,
            reg.bytes,
            per_k(reg.requests),
            per_k(reg.bytes),
            bytes[0],
            bytes[1],
            (bytes[0] as f64 / bytes[1] as f64 - 1.0) * 100.0
        );
        n.shutdown().await;
    }
}
