//! An account that enters the scope on a later night has its sign-ins read from the first
//! night's horizon (30 days), in a chunk of its own; the accounts already read keep the
//! watermark. The real collectors over HTTP, against wiremock: users from the fixtures (one
//! of them renamed « Tablette 3 CHSLD … » between two nights), and sign-ins answered as Graph
//! does, from the fixture's sign-in, for the accounts and the window of the request's
//! `$filter`. The other sources are not mounted: they fail, sign-ins does not depend on them.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use vigie365::collect::{NightReport, Progress, Settings, collect_night, night_of};
use vigie365::store::{Retention, SourceStatus, Store};
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request};

use common::wiremock_graph::{
    Harness, client_for, fast_retry, fixture_for, graph_error, graph_json, query,
};

const SIGNINS_BETA: &str = "/beta/auditLogs/signIns";
/// « Tablette 1 CHSLD de Verdun » (generic) and « Appli Octopus » (« Appli »): in scope.
const A: &str = "3c9a6f0e-1b2d-4e5f-8a7b-9c0d1e2f3a4b";
const B: &str = "a41d2b77-0c3e-4f98-b1a6-52e7d9c0f812";
/// Lise Bergeron, staff, until she hands her account over as « Tablette 3 CHSLD de Lachine ».
const C: &str = "0d6c3b92-84ae-4f17-9b20-5e1a7c4d8f03";

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("date")
        .with_timezone(&Utc)
}

fn odata(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Nights run at 08:00 UTC (03:00 in Montréal).
fn as_of(day: u32) -> DateTime<Utc> {
    utc(&format!("2026-03-{day:02}T08:00:00Z"))
}

/// The sign-ins Microsoft holds: (id, user, created).
const HELD: &[(&str, &str, &str)] = &[
    ("a-20d", A, "2026-02-10T15:00:00Z"),
    ("a-1", A, "2026-03-01T15:00:00Z"),
    ("b-5", B, "2026-02-25T15:00:00Z"),
    ("a-2", A, "2026-03-02T15:00:00Z"),
    ("c-10d", C, "2026-02-21T15:00:00Z"),
    ("c-1", C, "2026-03-01T15:00:00Z"),
    ("c-3", C, "2026-03-03T15:00:00Z"),
];

/// What follows `key ` in a filter, up to the next space.
fn after<'a>(filter: &'a str, key: &str) -> &'a str {
    let rest = &filter[filter.find(key).expect(key) + key.len()..];
    rest.split(' ').next().unwrap_or("")
}

/// The `userId eq '…'` of a filter, in order.
fn users_of(filter: &str) -> Vec<String> {
    filter
        .split("userId eq '")
        .skip(1)
        .map(|s| s.split('\'').next().unwrap_or("").to_string())
        .collect()
}

/// A mock Graph tenant: the users fixtures, sign-ins answered from `HELD`, and every request
/// on the sign-ins endpoint of C refused with a 500 while `fail_c` is set.
struct Tenant {
    h: Harness,
    renamed: Arc<AtomicBool>,
    fail_c: Arc<AtomicBool>,
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
}

async fn tenant() -> Tenant {
    let h = Harness::start().await;
    let renamed = Arc::new(AtomicBool::new(false));
    let fail_c = Arc::new(AtomicBool::new(false));
    let (page1, page2) = (
        fixture_for(&h.server, "graph/users-page1.json"),
        fixture_for(&h.server, "graph/users-page2.json"),
    );
    let mut renamed_page2 = page2.clone();
    for u in renamed_page2["value"].as_array_mut().expect("users") {
        if u["id"] == C {
            u["displayName"] = "Tablette 3 CHSLD de Lachine".into();
        }
    }
    let is_renamed = renamed.clone();
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(move |r: &Request| {
            if !query(r).contains_key("$skiptoken") {
                graph_json(page1.clone())
            } else if is_renamed.load(Ordering::SeqCst) {
                graph_json(renamed_page2.clone())
            } else {
                graph_json(page2.clone())
            }
        })
        .mount(&h.server)
        .await;
    let template = fixture_for(&h.server, "graph/signins-beta-page1.json")["value"][0].clone();
    let failing = fail_c.clone();
    Mock::given(method("GET"))
        .and(path(SIGNINS_BETA))
        .respond_with(move |r: &Request| {
            let filter = query(r).get("$filter").cloned().unwrap_or_default();
            let users = users_of(&filter);
            if failing.load(Ordering::SeqCst) && users.iter().any(|u| u == C) {
                return graph_error(
                    500,
                    serde_json::json!({"error": {"code": "UnknownError", "message": ""}}),
                );
            }
            let (from, to) = (
                utc(after(&filter, "createdDateTime ge ")),
                utc(after(&filter, "createdDateTime lt ")),
            );
            let value: Vec<Value> = HELD
                .iter()
                .filter(|(_, user, at)| {
                    users.iter().any(|u| u == user) && (from..to).contains(&utc(at))
                })
                .map(|(id, user, at)| {
                    let mut s = template.clone();
                    s["id"] = (*id).into();
                    s["userId"] = (*user).into();
                    s["userPrincipalName"] = format!("{id}@ssss.gouv.qc.ca").into();
                    s["createdDateTime"] = (*at).into();
                    s
                })
                .collect();
            graph_json(serde_json::json!({
                "@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
                "value": value,
            }))
        })
        .mount(&h.server)
        .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("base/vigie365.sqlite");
    Tenant {
        h,
        renamed,
        fail_c,
        _dir: dir,
        db,
    }
}

/// One night's sign-in request: its `from` and its accounts.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Asked {
    from: String,
    users: Vec<String>,
}

fn sorted(mut v: Vec<Asked>) -> Vec<Asked> {
    v.sort();
    v
}

/// The requests of a night where C is new: A and B from the watermark (minus the overlap),
/// C on its own from the horizon.
fn c_new(as_of: DateTime<Utc>, watermark: DateTime<Utc>) -> Vec<Asked> {
    sorted(vec![
        asked(watermark - Duration::minutes(120), &[A, B]),
        asked(as_of - Duration::days(30), &[C]),
    ])
}

fn asked(from: DateTime<Utc>, users: &[&str]) -> Asked {
    Asked {
        from: odata(from),
        users: users.iter().map(|u| u.to_string()).collect(),
    }
}

/// Runs the night of `day`; returns its report and its sign-in requests (sorted), after
/// checking that each asks up to the night's "as of".
async fn night(t: &Tenant, day: u32) -> (NightReport, Vec<Asked>) {
    let before = t.h.received_on(SIGNINS_BETA).await.len();
    let tz = chrono_tz::America::Montreal;
    let settings = Settings {
        as_of: as_of(day),
        night: night_of(as_of(day), tz),
        tz,
        first_night_days: 30,
        overlap: Duration::minutes(120),
        batch_concurrency: 1,
        sequential: true,
        batch: true,
        sign_in_readers: 1,
        sign_in_activity: false,
        sign_in_activity_rotation_nights: 1,
        tracked_upns: Vec::new(),
        rules: vigie365::classify::Rules::defaults(),
        perimeter: None,
        establishments: Vec::new(),
        retention: Retention {
            raw_signin_days: 90,
            data_days: 400,
        },
    };
    let store = Arc::new(Mutex::new(Store::open(&t.db).expect("store")));
    let report = collect_night(
        client_for(&t.h.server, fast_retry()),
        store,
        settings,
        Progress::hidden(),
    )
    .await
    .expect("collect");
    let mut requests: Vec<Asked> = t.h.received_on(SIGNINS_BETA).await[before..]
        .iter()
        // The tenant-wide POP and IMAP query (FWD-CLI-01) is not the accounts in scope's.
        .filter(|r| {
            !query(r)
                .get("$filter")
                .is_some_and(|f| f.contains("clientAppUsed"))
        })
        .map(|r| {
            let filter = query(r).get("$filter").cloned().unwrap_or_default();
            assert_eq!(after(&filter, "createdDateTime lt "), odata(as_of(day)));
            Asked {
                from: after(&filter, "createdDateTime ge ").to_string(),
                users: users_of(&filter),
            }
        })
        .collect();
    requests.sort();
    // A failed request may have been retried: the same request, once.
    requests.dedup();
    (report, requests)
}

fn sign_ins_status(r: &NightReport) -> SourceStatus {
    r.sources
        .iter()
        .find(|s| s.source == "sign-ins")
        .map(|s| s.outcome.status)
        .expect("the sign-ins source")
}

/// The ids of the sign-ins of `user` in the store.
fn stored(t: &Tenant, user: &str) -> Vec<String> {
    let s = Store::open_read_only(&t.db).expect("store");
    let mut ids: Vec<String> = s
        .signins_of(
            user,
            utc("2026-01-01T00:00:00Z"),
            utc("2026-04-01T00:00:00Z"),
        )
        .expect("sign-ins")
        .into_iter()
        .map(|s| s.id)
        .collect();
    ids.sort();
    ids
}

fn watermark(t: &Tenant) -> Option<String> {
    Store::open_read_only(&t.db)
        .expect("store")
        .watermark("sign-ins")
        .expect("watermark")
}

/// Night 1: A and B in scope, read in one request from the 30-day horizon.
async fn first_night(t: &Tenant) {
    let (report, requests) = night(t, 2).await;
    assert_eq!(sign_ins_status(&report), SourceStatus::Collected);
    assert_eq!(
        requests,
        [asked(as_of(2) - Duration::days(30), &[A, B])],
        "the first night reads everyone from the horizon, once"
    );
    assert_eq!(stored(t, A), ["a-1", "a-20d"]);
    assert_eq!(stored(t, B), ["b-5"]);
    assert_eq!(watermark(t), Some(odata(as_of(2))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_entering_the_scope_is_read_from_the_horizon_the_others_from_the_watermark() {
    let t = tenant().await;
    first_night(&t).await;

    // Night 2: C renamed « Tablette 3 CHSLD … » enters the scope.
    t.renamed.store(true, Ordering::SeqCst);
    let (report, requests) = night(&t, 3).await;
    assert_eq!(sign_ins_status(&report), SourceStatus::Collected);
    assert_eq!(requests, c_new(as_of(3), as_of(2)));
    assert_eq!(
        stored(&t, C),
        ["c-1", "c-10d"],
        "C's sign-ins older than the watermark are in the store"
    );
    assert_eq!(stored(&t, A), ["a-1", "a-2", "a-20d"]);

    // Night 3: C is known, one request from the watermark for everyone.
    let (report, requests) = night(&t, 4).await;
    assert_eq!(sign_ins_status(&report), SourceStatus::Collected);
    assert_eq!(
        requests,
        [asked(as_of(3) - Duration::minutes(120), &[A, B, C])]
    );
    assert_eq!(stored(&t, C), ["c-1", "c-10d", "c-3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_night_whose_chunk_of_a_new_account_fails_leaves_it_new() {
    let t = tenant().await;
    first_night(&t).await;

    // Night 2: C enters the scope, and its chunk fails.
    t.renamed.store(true, Ordering::SeqCst);
    t.fail_c.store(true, Ordering::SeqCst);
    let (report, requests) = night(&t, 3).await;
    assert_eq!(sign_ins_status(&report), SourceStatus::Failed);
    assert_eq!(requests, c_new(as_of(3), as_of(2)));
    assert!(stored(&t, C).is_empty());
    assert_eq!(watermark(&t), Some(odata(as_of(2))), "the watermark stays");

    // Night 3: C is still new, read from the horizon again; A and B from the old watermark.
    t.fail_c.store(false, Ordering::SeqCst);
    let (report, requests) = night(&t, 4).await;
    assert_eq!(sign_ins_status(&report), SourceStatus::Collected);
    assert_eq!(requests, c_new(as_of(4), as_of(2)));
    assert_eq!(stored(&t, C), ["c-1", "c-10d", "c-3"]);
    assert_eq!(watermark(&t), Some(odata(as_of(4))));
}
