//! Contract tests of the per-user MFA state (`GET /beta/users/{id}/authentication/requirements`,
//! `Policy.Read.All`): read 20 accounts to a `$batch` on the beta endpoint, one answer per
//! account whatever the order, a 403 inside the batch refused with the permission to grant, an
//! account that no longer exists answered 404 with its error body.

mod common;

use http::Method;
use vigie365::graph::{BatchRequest, Call, GraphError, Refusal};
use vigie365::queries::{self, Query};
use wiremock::Mock;
use wiremock::matchers::{method, path};

use common::wiremock_graph::{Harness, graph_error, graph_json};

const ACCOUNTS: [&str; 4] = [
    "3c9a6f0e-1b2d-4e5f-8a7b-9c0d1e2f3a4b",
    "f3f49249-dc28-4f90-a5ae-c7978306d03b",
    "7f2e9a40-6b1c-4d83-a5e7-c2d9f0b13e68",
    "6bad6be2-8e7a-46e9-9f19-950499dd251d",
];

fn catalogue() -> &'static Query {
    queries::get("per-user-mfa").expect("queries/per-user-mfa.toml")
}

#[tokio::test]
async fn per_user_mfa_is_batched_on_beta_and_a_403_inside_names_policy_read_all() {
    let h = Harness::start().await;
    let q = catalogue();
    assert_eq!(q.path, "/beta/users/{id}/authentication/requirements");
    assert_eq!(q.permissions, ["Policy.Read.All"]);
    Mock::given(method("POST"))
        .and(path("/beta/$batch"))
        .respond_with(graph_json(h.fixture("graph/per-user-mfa-batch.json")))
        .mount(&h.server)
        .await;
    let requests: Vec<BatchRequest> = ACCOUNTS
        .iter()
        .enumerate()
        .map(|(i, id)| BatchRequest {
            id: i.to_string(),
            url: q.path.trim_start_matches("/beta").replace("{id}", id),
        })
        .collect();
    let responses = h.client.batch(q, requests).await.expect("batch sent");
    assert_eq!(
        responses.len(),
        4,
        "one answer per account, in the order given"
    );
    let state = |i: usize| {
        responses[i]
            .result
            .as_ref()
            .expect("answered")
            .get("perUserMfaState")
            .and_then(|v| v.as_str())
            .map(String::from)
    };
    assert_eq!(state(0).as_deref(), Some("enforced"));
    assert_eq!(state(1).as_deref(), Some("disabled"));
    match &responses[2].result {
        Err(GraphError::Refused(r)) => {
            assert_eq!(r.status, 403);
            assert_eq!(r.code.as_deref(), Some("Authorization_RequestDenied"));
            assert_eq!(r.permissions, ["Policy.Read.All"]);
            assert_eq!(r.refusal, Refusal::Permission);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(responses[2].result.as_ref().unwrap_err().is_access_denied());
    match &responses[3].result {
        Err(e) => assert_eq!(e.refusal(), Some(Refusal::NotFound), "{e}"),
        Ok(v) => panic!("expected a 404, got {v}"),
    }
    // The steps are relative to the beta endpoint.
    let sent = h.received_on("/beta/$batch").await;
    assert_eq!(sent.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&sent[0].body).expect("json");
    assert_eq!(
        body["requests"][0]["url"],
        format!("/users/{}/authentication/requirements", ACCOUNTS[0])
    );
    assert!(h.received_on("/v1.0/$batch").await.is_empty());
}

#[tokio::test]
async fn one_account_read_alone_refused_says_the_permission_to_grant() {
    let h = Harness::start().await;
    let q = catalogue();
    let one = format!("/beta/users/{}/authentication/requirements", ACCOUNTS[0]);
    Mock::given(method("GET"))
        .and(path(one.as_str()))
        .respond_with(graph_error(
            403,
            h.fixture("graph/error-403-authorization-denied.json"),
        ))
        .mount(&h.server)
        .await;
    let url = h
        .client
        .graph_url(&q.path.replace("{id}", ACCOUNTS[0]), &[])
        .expect("url");
    let err = h
        .client
        .get_json::<serde_json::Value>(&Call::for_query(q, Method::GET, url))
        .await
        .expect_err("refused");
    assert!(err.is_access_denied());
    assert!(err.to_string().contains("Policy.Read.All"), "{err}");
}

/// Against the simulated tenant: only the accounts whose coverage it decides are read, the
/// tablet only per-user MFA covers is not flagged, and `--explain` names the coverage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sim_night_reads_few_accounts_and_per_user_mfa_covers_the_tablet() {
    use vigie365::model::{Account, PerUserMfa};
    let n = common::sim_night::SimNight::start(common::sim_night::options(2, 300, 40)).await;
    let (store, _) = n.collect(40).await;
    let mut s = store.lock().expect("store");
    let accounts: Vec<Account> = s.current().expect("accounts");
    let states: Vec<PerUserMfa> = s.current().expect("per-user MFA");
    assert!(
        !states.is_empty() && states.len() * 4 < accounts.len(),
        "{} states for {} accounts: not the whole tenant",
        states.len(),
        accounts.len()
    );
    let upn = |name: &str| {
        accounts
            .iter()
            .find(|a| a.display_name == name)
            .map(|a| a.upn.clone())
            .expect("scripted tablet")
    };
    let st_laurent = upn("Tablette 4 CHSLD de Saint-Laurent");
    let text = vigie365::night::explain(&s, &n.config, &st_laurent).expect("explain");
    assert!(
        text.contains("MFA imposée : couverte par « MFA par utilisateur (imposée) »"),
        "{text}"
    );
    assert!(text.contains("MFA par utilisateur : enforced"), "{text}");
    let verdun = vigie365::night::explain(&s, &n.config, &upn("Tablette 1 CHSLD de Verdun"))
        .expect("explain");
    assert!(verdun.contains("MFA par utilisateur : enabled"), "{verdun}");
    let (_, evaluation) = vigie365::night::evaluate_latest(&mut s, &n.config).expect("evaluate");
    assert!(
        !evaluation
            .findings
            .iter()
            .any(|f| f.check == "GEN-MFA-02" && f.subject == st_laurent.to_lowercase()),
        "per-user MFA enforced covers it"
    );
}
