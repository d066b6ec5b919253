//! Shared wiremock scaffolding for the contract tests of `src/graph/`: a mock server that
//! plays Entra ID's token endpoint, Microsoft Graph and the Exchange admin API at once, a
//! client wired to it, fixture loading and helpers to read back what the client sent.
//!
//! Fixtures are kept exactly as Microsoft writes them, absolute `https://graph.microsoft.com`
//! and `https://outlook.office365.com` links included; `fixture()` points those links at the
//! mock server when it loads them, so `@odata.nextLink` is followed to the server under test.

#![allow(dead_code)] // Each test binary uses its own subset of these helpers.

use std::collections::BTreeMap;
use std::time::Duration;

use url::Url;
use vigie365::graph::{
    ClientSettings, Credential, GraphClient, Limits, RetryPolicy, TokenProvider, http_client,
};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The tenant of the fixtures (a made-up id) and its initial domain.
pub const TENANT: &str = "5f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
pub const DOMAIN: &str = "cisssexemple.onmicrosoft.com";
pub const CLIENT_ID: &str = "0b7c4a9e-2f61-4d38-9a15-c3e8d2f17a40";

/// The access tokens the mock hands out, one per audience, so a test can tell which token
/// went to which API.
pub const GRAPH_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJub25jZSI6ImdyYXBoIn0.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20ifQ.c2lnbmF0dXJlLWdyYXBo";
pub const EXCHANGE_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJub25jZSI6ImV4byJ9.eyJhdWQiOiJodHRwczovL291dGxvb2sub2ZmaWNlMzY1LmNvbSJ9.c2lnbmF0dXJlLWV4bw";

/// The `X-AnchorMailbox` the Exchange admin API expects for app-only calls.
pub fn anchor_mailbox() -> String {
    format!("UPN:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{DOMAIN}")
}

/// A retry policy that keeps tests fast: the backoff is milliseconds, not seconds, and a
/// `Retry-After` is capped at 50 ms.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    }
}

/// Limits high enough that the limiters never make a test wait (the limiters have their
/// own tests on a paused clock).
pub fn open_limits() -> Limits {
    Limits {
        directory_units_per_10s: 100_000,
        sign_in_activity_per_minute: 60_000,
        reports_per_10s: 10_000,
        conditional_access_per_s: 1_000,
        outlook_per_s: 100_000,
        exchange_per_s: 1_000,
    }
}

/// A mock server with the token endpoint mounted, and a client pointed at it.
pub struct Harness {
    pub server: MockServer,
    pub client: GraphClient,
}

impl Harness {
    /// Starts the server, mounts the token endpoint (one token per audience) and builds the
    /// client the way `main` does, with fast retries.
    pub async fn start() -> Harness {
        let server = MockServer::start().await;
        mount_token_endpoint(&server).await;
        let client = client_for(&server, fast_retry());
        Harness { server, client }
    }

    /// Every request the server received on that path (token requests excluded unless asked).
    pub async fn received_on(&self, request_path: &str) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == request_path)
            .collect()
    }

    /// The token requests, as form bodies.
    pub async fn token_requests(&self) -> Vec<String> {
        self.received_on(&token_path())
            .await
            .into_iter()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect()
    }

    /// A fixture with Microsoft's hosts pointed at this server.
    pub fn fixture(&self, relative: &str) -> serde_json::Value {
        fixture_for(&self.server, relative)
    }

    /// The server's base URL without the trailing slash.
    pub fn base(&self) -> String {
        self.server.uri().trim_end_matches('/').to_string()
    }
}

pub fn token_path() -> String {
    format!("/{TENANT}/oauth2/v2.0/token")
}

/// `POST /{tenant}/oauth2/v2.0/token`, answered as Entra ID does for client credentials:
/// the Graph scope gets the Graph token, the Exchange scope the Exchange token.
pub async fn mount_token_endpoint(server: &MockServer) {
    for (scope_host, token) in [
        ("graph.microsoft.com", GRAPH_TOKEN),
        ("outlook.office365.com", EXCHANGE_TOKEN),
    ] {
        Mock::given(method("POST"))
            .and(path(token_path()))
            .and(body_string_contains("grant_type=client_credentials"))
            .and(body_string_contains(scope_host))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            })))
            .mount(server)
            .await;
    }
}

/// A client whose token authority, Graph base and Exchange base are all the mock server.
pub fn client_for(server: &MockServer, retry: RetryPolicy) -> GraphClient {
    let base = Url::parse(&server.uri()).expect("the mock server's URI is a URL");
    let http = http_client(Duration::from_secs(30)).expect("HTTP client");
    let tokens = TokenProvider::new(
        http.clone(),
        &base,
        TENANT,
        CLIENT_ID,
        Credential::secret("fixture-secret-value"),
        2,
    )
    .expect("token provider");
    let mut settings = ClientSettings::new(base.clone(), base, TENANT, DOMAIN);
    settings.retry = retry;
    settings.limits = open_limits();
    GraphClient::new(http, tokens, settings)
}

/// Reads `tests/fixtures/<relative>` and points Microsoft's hosts at the mock server.
pub fn fixture_for(server: &MockServer, relative: &str) -> serde_json::Value {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/").to_string() + relative;
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let base = server.uri().trim_end_matches('/').to_string();
    let text = text
        .replace("https://graph.microsoft.com", &base)
        .replace("https://outlook.office365.com", &base);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file} is not JSON: {e}"))
}

/// The decoded query parameters of a request (`$filter` and friends as Graph reads them).
pub fn query(r: &Request) -> BTreeMap<String, String> {
    r.url.query_pairs().into_owned().collect()
}

/// A header of a request, as a string.
pub fn header<'a>(r: &'a Request, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The `Authorization` header a request carried.
pub fn bearer(r: &Request) -> Option<&str> {
    header(r, "authorization")
}

/// A JSON response as Graph sends it.
pub fn graph_json(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header(
            "content-type",
            "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
        )
        .insert_header("request-id", "7d5c3a1e-9b42-4f0e-8d2c-61a0b9e4f3d7")
        .set_body_json(body)
}

/// A Graph error response: status, and the fixture's body.
pub fn graph_error(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/json")
        .set_body_json(body)
}
