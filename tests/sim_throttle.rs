//! Throttle model: counters match what was sent, 429s have Graph's shape, Retry-After
//! where Graph sends one (none for conditional access), windows shrink with time_scale.
//! Assertions never depend on wall time: windows are made huge (time_scale < 1) when a
//! test needs a request to stay inside one.

mod sim_support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sim_support::*;
use vigie365::sim::SimOptions;

fn strict(seed: u64, scale: f64) -> SimOptions {
    SimOptions {
        seed,
        time_scale: scale,
        ..Default::default()
    }
}

fn retry_after(h: &reqwest::header::HeaderMap) -> Option<f64> {
    h.get("retry-after")?.to_str().ok()?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_reports_allow_five_per_window_then_429() {
    // time_scale 0.001: the 10 s window lasts 10,000 s, so nothing leaves it during the test.
    let h = start(strict(31, 0.001)).await;
    let c = Client::new(&h).await;
    let mut statuses = Vec::new();
    let mut last = None;
    for k in 0..8 {
        let path = if k % 2 == 0 {
            "/beta/auditLogs/signIns?$top=1"
        } else {
            "/v1.0/reports/authenticationMethods/userRegistrationDetails?$top=1"
        };
        let (s, hd, v) = c.get(path).await;
        statuses.push(s);
        if s == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(v["error"]["code"], json!("TooManyRequests"));
            assert_eq!(v["error"]["message"], json!("Too many requests"));
            let inner = v["error"]
                .get("innerError")
                .or_else(|| v["error"].get("innererror"));
            assert!(inner.is_some_and(|i| i["request-id"].is_string() && i["date"].is_string()));
            last = retry_after(&hd);
        }
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 5);
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        3
    );
    let ra = last.expect("Retry-After on identity reports");
    assert!(
        ra > 9_000.0 && ra <= 10_000.0,
        "real wait of a 10,000 s window: {ra}"
    );
    let st = h.stats();
    let ir = st.class("identity_reports");
    assert_eq!(ir.requests, 8);
    assert_eq!(ir.admitted, 5);
    assert_eq!(ir.throttled, 3);
    assert_eq!(ir.limit, 5);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_access_429_has_no_retry_after() {
    let h = start(strict(32, 0.001)).await;
    let c = Client::new(&h).await;
    let (s1, _, _) = c.get("/v1.0/identity/conditionalAccess/policies").await;
    let (s2, hd, v) = c
        .get("/v1.0/identity/conditionalAccess/namedLocations")
        .await;
    assert_eq!(s1, StatusCode::OK);
    assert_eq!(s2, StatusCode::TOO_MANY_REQUESTS);
    assert!(hd.get("retry-after").is_none());
    assert_eq!(v["error"]["code"], json!("TooManyRequests"));
    let ca = h.stats().class("conditional_access");
    assert_eq!((ca.requests, ca.admitted, ca.throttled), (2, 1, 1));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_bucket_costs_and_headers() {
    let mut o = strict(33, 0.001);
    o.limits.directory_units_per_10s = Some(10);
    let h = start(o).await;
    let c = Client::new(&h).await;
    let (s, hd, _) = c.get("/v1.0/users?$top=1").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        hd.get("x-ms-resource-unit").and_then(|v| v.to_str().ok()),
        Some("2")
    );
    let mut ok = 1;
    let mut throttled = None;
    for _ in 0..12 {
        let (s, hd, _) = c.get("/v1.0/users?$top=1&$select=id").await;
        if s == StatusCode::OK {
            assert_eq!(
                hd.get("x-ms-resource-unit").and_then(|v| v.to_str().ok()),
                Some("1")
            );
            ok += 1;
        } else {
            assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
            throttled = retry_after(&hd);
        }
    }
    assert_eq!(ok, 9, "2 + 8 × 1 = 10 units");
    assert!(
        throttled.is_some_and(|r| r > 100.0),
        "the bucket refills 10 units per 10,000 s"
    );
    let d = h.stats().class("directory");
    assert_eq!(d.resource_units, 10);
    assert_eq!(d.requests, 13);
    assert_eq!(d.throttled, 4);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_scale_shrinks_windows() {
    // time_scale 10: a 10 s window lasts 1 s of real time, so any Retry-After is at most 1 s.
    let h = start(strict(34, 10.0)).await;
    let c = Client::new(&h).await;
    let mut seen = None;
    for _ in 0..200 {
        let (s, hd, _) = c.get("/beta/auditLogs/signIns?$top=1").await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            seen = retry_after(&hd);
            break;
        }
    }
    let ra = seen.expect("a 429 within 200 quick requests");
    assert!(ra > 0.0 && ra <= 1.0, "scaled Retry-After: {ra}");
    let st = h.stats();
    assert_eq!(st.time_scale, 10.0);
    assert_eq!(st.class("identity_reports").window_seconds, 10.0);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_requests_count_in_their_own_class_and_carry_their_own_retry_after() {
    // Latency keeps four requests in flight per mailbox for 100 ms (sim) = 2 s real at 0.05:
    // more than four concurrent requests to one mailbox get 429 inside the batch.
    let mut o = strict(35, 0.05);
    o.latency = vigie365::sim::Latency {
        min_ms: 100,
        max_ms: 100,
    };
    o.limits.directory_units_per_10s = Some(1_000_000);
    let h = start(o).await;
    let c = Client::new(&h).await;
    let (users, _) = c.all("/v1.0/users?$select=id,userType&$top=999").await;
    let mid = users
        .iter()
        .find(|u| u["userType"] == json!("Member"))
        .and_then(|u| u["id"].as_str())
        .unwrap_or("")
        .to_string();
    let reqs: Vec<Value> = (0..6)
        .map(|i| json!({"id": format!("r{i}"), "method": "GET", "url": format!("/users/{mid}/mailFolders/inbox/messageRules")}))
        .collect();
    let r = c
        .http
        .post(c.url("/v1.0/$batch"))
        .bearer_auth(&c.graph)
        .json(&json!({"requests": reqs}))
        .send()
        .await
        .expect("batch");
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap_or(Value::Null);
    let resp = v["responses"].as_array().cloned().unwrap_or_default();
    let ok = resp.iter().filter(|x| x["status"] == json!(200)).count();
    let limited: Vec<&Value> = resp.iter().filter(|x| x["status"] == json!(429)).collect();
    assert_eq!(ok, 4);
    assert_eq!(limited.len(), 2);
    for l in limited {
        let ra = l["headers"]["Retry-After"]
            .as_str()
            .and_then(|s| s.parse::<f64>().ok());
        assert!(
            ra.is_some_and(|r| r > 0.0 && r <= 2.0),
            "own Retry-After: {l}"
        );
    }
    let st = h.stats();
    let o = st.class("outlook");
    assert_eq!((o.requests, o.admitted, o.throttled), (6, 4, 2));
    assert_eq!(st.batches, 1);
    assert_eq!(st.batch_requests, 6);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_match_what_was_sent() {
    let mut o = opts(36);
    o.limits.exchange_per_second = 100_000;
    let h = start(o).await;
    let c = Client::new(&h).await;
    for _ in 0..7 {
        assert_eq!(
            c.get("/v1.0/users?$top=2&$select=id").await.0,
            StatusCode::OK
        );
    }
    for _ in 0..3 {
        assert_eq!(
            c.get("/v1.0/reports/authenticationMethods/userRegistrationDetails?$top=5")
                .await
                .0,
            StatusCode::OK
        );
    }
    let (_, pages) = c.exo_all("Get-AcceptedDomain", 1).await;
    let (s, _) = reqwest::Client::new()
        .get(format!("{}/_sim/stats", h.base_url()))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .expect("stats");
    assert_eq!(s, StatusCode::OK);
    let st = h.stats();
    assert_eq!(st.class("directory").requests, 7);
    assert_eq!(st.class("directory").resource_units, 7);
    assert_eq!(st.class("identity_reports").requests, 3);
    assert_eq!(st.class("exchange_admin").requests, pages as u64);
    assert_eq!(st.tokens_issued, 2);
    assert_eq!(
        st.requests,
        2 + 7 + 3 + pages as u64,
        "stats requests are not counted"
    );
    h.shutdown().await;
}
