//! Injected faults: seeded rates and positions, every kind observable by a client, and
//! tokens that die early.

mod sim_support;

use reqwest::StatusCode;
use sim_support::*;
use vigie365::sim::{FaultRates, SimOptions, parse_faults};

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Outcome {
    Ok,
    Status(u16),
    Broken,
}

async fn run(seed: u64, faults: FaultRates, n: usize) -> (Vec<Outcome>, vigie365::sim::SimStats) {
    let mut o = opts(seed);
    o.faults = faults;
    let h = start(o).await;
    let http = http();
    // Token (retried: the token endpoint gets faults too).
    let tok = loop {
        let url = format!("{}/{}/oauth2/v2.0/token", h.base_url(), h.tenant_id());
        let form = [
            ("client_id", h.client_id()),
            ("client_secret", h.client_secret()),
            ("scope", GRAPH.to_string()),
            ("grant_type", "client_credentials".to_string()),
        ];
        let r = http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&form))
            .send()
            .await;
        if let Ok(r) = r
            && r.status() == StatusCode::OK
            && let Ok(v) = r.json::<serde_json::Value>().await
        {
            break v["access_token"].as_str().unwrap_or("").to_string();
        }
    };
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        // A fresh connection each time: a reset must not poison the pool.
        let r = http
            .get(format!("{}/v1.0/users?$top=1&$select=id", h.base_url()))
            .bearer_auth(&tok)
            .header("connection", "close")
            .send()
            .await;
        out.push(match r {
            Err(_) => Outcome::Broken,
            Ok(r) if r.status() == StatusCode::OK => match r.bytes().await {
                Ok(b) if serde_json::from_slice::<serde_json::Value>(&b).is_ok() => Outcome::Ok,
                _ => Outcome::Broken,
            },
            Ok(r) => Outcome::Status(r.status().as_u16()),
        });
    }
    let st = h.stats();
    h.shutdown().await;
    (out, st)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_follow_their_seeded_rate_and_positions() {
    let f = FaultRates {
        http503: 0.05,
        ..Default::default()
    };
    let (a, sa) = run(41, f.clone(), 1000).await;
    let n503 = a.iter().filter(|o| **o == Outcome::Status(503)).count();
    assert!((30..=70).contains(&n503), "{n503} faults at 5 %");
    assert!(sa.faults.http503 as usize >= n503);
    let (b, _) = run(41, f.clone(), 1000).await;
    assert_eq!(a, b, "same seed, same fault positions");
    let (c, _) = run(42, f, 1000).await;
    assert_ne!(a, c, "another seed, other positions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_kind_reaches_the_client() {
    let f = parse_faults("503=0.05,504=0.05,reset=0.05,truncate=0.05").expect("faults");
    let (out, st) = run(43, f, 400).await;
    let count = |o: Outcome| out.iter().filter(|x| **x == o).count();
    assert!(count(Outcome::Status(503)) > 0);
    assert!(count(Outcome::Status(504)) > 0);
    let broken = count(Outcome::Broken);
    assert!(broken > 0, "resets and truncated bodies break the response");
    assert!(st.faults.reset > 0 && st.faults.truncate > 0);
    assert!(count(Outcome::Ok) > 300);
    // Retry-After on some 503s only.
    assert!(parse_faults("bogus=1").is_err());
    assert!(parse_faults("503=2").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_can_die_early() {
    // Tokens die after 1 sim second although expires_in says 3599 (time_scale 1).
    let o = SimOptions {
        seed: 44,
        faults: FaultRates {
            token_lifetime_secs: Some(1.0),
            ..Default::default()
        },
        ..Default::default()
    };
    let h = start(o).await;
    let c = Client::new(&h).await;
    let (tok_status, v) = token(&c.http, &h, GRAPH).await;
    assert_eq!(tok_status, StatusCode::OK);
    assert_eq!(v["expires_in"], serde_json::json!(3599));
    let t = v["access_token"].as_str().unwrap_or("").to_string();
    // Poll until it dies (bounded): no assertion on how long it took.
    let mut died = None;
    for _ in 0..200 {
        let r = c
            .http
            .get(format!("{}/v1.0/users?$top=1&$select=id", h.base_url()))
            .bearer_auth(&t)
            .send()
            .await
            .expect("get");
        if r.status() == StatusCode::UNAUTHORIZED {
            died = r.json::<serde_json::Value>().await.ok();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let v = died.expect("the token died");
    assert_eq!(
        v["error"]["code"],
        serde_json::json!("InvalidAuthenticationToken")
    );
    assert_eq!(
        v["error"]["message"],
        serde_json::json!("Lifetime validation failed, the token is expired.")
    );
    assert!(h.stats().faults.token_expired >= 1);
    h.shutdown().await;
}
