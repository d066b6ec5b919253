//! Contract tests of the Graph client against wiremock: tokens (secret and certificate),
//! AADSTS errors, paging, throttling, retries, refusals, foreign hosts, malformed bodies,
//! `$batch`, token expiry during paging, and the Exchange admin API envelope.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use http::Method;
use serde_json::{Value, json};
use url::Url;
use vigie365::graph::models::{Mailbox, MessageRules, User};
use vigie365::graph::{
    Audience, AuthError, BatchRequest, Call, CertificateCredential, ClientSettings, Credential,
    GraphClient, GraphError, Refusal, RetryPolicy, ThrottleClass, TokenProvider, http_client,
};
use vigie365::queries;
use wiremock::matchers::{
    body_string_contains, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TENANT: &str = "6a1b2c3d-0000-4000-8000-00000000beef";
const CLIENT: &str = "0f0e0d0c-1111-4222-8333-444455556666";
const SECRET: &str = "s3cr3t~Valeur.Du.Secret";
const TOKEN_PATH: &str = "/6a1b2c3d-0000-4000-8000-00000000beef/oauth2/v2.0/token";

fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_secs(2),
    }
}

fn token_body(token: &str, expires_in: u64) -> Value {
    json!({"token_type": "Bearer", "expires_in": expires_in, "ext_expires_in": expires_in, "access_token": token})
}

async fn mock_token(server: &MockServer, token: &str) {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(token, 3599)))
        .mount(server)
        .await;
}

fn client_for(server: &MockServer, credential: Credential, retry: RetryPolicy) -> GraphClient {
    let base = Url::parse(&server.uri()).expect("wiremock URI");
    let http = http_client(Duration::from_secs(30)).expect("HTTP client");
    let tokens = TokenProvider::new(http.clone(), &base, TENANT, CLIENT, credential, 3)
        .expect("token provider");
    let mut settings =
        ClientSettings::new(base.clone(), base, TENANT, "cisss-test.onmicrosoft.com");
    settings.retry = retry;
    GraphClient::new(http, tokens, settings)
}

fn users_call(client: &GraphClient) -> Call {
    let q = queries::get("users").expect("users query");
    let url = client
        .graph_url(&q.path, &[("$select", &q.select()), ("$top", "999")])
        .expect("url");
    Call::for_query(q, Method::GET, url)
}

fn user(i: usize) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{i:012}"),
        "userPrincipalName": format!("usager{i}@cisss-test.onmicrosoft.com"),
        "displayName": format!("Usager {i}"),
        "accountEnabled": true,
        "userType": "Member",
        "lastPasswordChangeDateTime": "0001-01-01T00:00:00Z"
    })
}

/// Mounts a users collection of `pages` pages of `per_page` users, page n at `$skiptoken=n`.
async fn mount_user_pages(server: &MockServer, pages: usize, per_page: usize) {
    for p in 0..pages {
        let items: Vec<Value> = (0..per_page).map(|i| user(p * per_page + i)).collect();
        let mut body = json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName)",
            "value": items
        });
        if p + 1 < pages {
            body["@odata.nextLink"] = json!(format!(
                "{}/v1.0/users?$top=999&$skiptoken=page{}",
                server.uri(),
                p + 1
            ));
        }
        let m = Mock::given(method("GET")).and(path("/v1.0/users"));
        let m = if p == 0 {
            m.and(query_param("$top", "999"))
                .and(query_param_is_missing("$skiptoken"))
        } else {
            m.and(query_param("$skiptoken", format!("page{p}")))
        };
        m.respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(server)
            .await;
    }
}

async fn read_all_users(client: &GraphClient) -> Result<Vec<User>, GraphError> {
    let mut pager = client.pages::<User>(users_call(client));
    let mut all = Vec::new();
    while let Some(page) = pager.next_page().await? {
        all.extend(page.items);
    }
    Ok(all)
}

fn assert_each_once(users: &[User], expected: usize) {
    let mut ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(users.len(), expected, "every record");
    assert_eq!(ids.len(), expected, "each record exactly once");
}

fn form(req: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect()
}

fn form_get<'a>(f: &'a [(String, String)], k: &str) -> Option<&'a str> {
    f.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn secret_token_request_is_client_credentials_for_each_audience() {
    let server = MockServer::start().await;
    mock_token(&server, "jeton-graph").await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(3));
    let g = client
        .tokens()
        .bearer(Audience::Graph)
        .await
        .expect("graph token");
    let again = client
        .tokens()
        .bearer(Audience::Graph)
        .await
        .expect("cached token");
    let _x = client
        .tokens()
        .bearer(Audience::Exchange)
        .await
        .expect("exchange token");
    assert_eq!(g.value, "jeton-graph");
    assert_eq!(again.value, "jeton-graph");
    let reqs = server.received_requests().await.expect("recorded");
    assert_eq!(
        reqs.len(),
        2,
        "one request per audience, the second Graph token from the cache"
    );
    let f = form(&reqs[0]);
    assert_eq!(form_get(&f, "grant_type"), Some("client_credentials"));
    assert_eq!(form_get(&f, "client_id"), Some(CLIENT));
    assert_eq!(form_get(&f, "client_secret"), Some(SECRET));
    assert_eq!(
        form_get(&f, "scope"),
        Some("https://graph.microsoft.com/.default")
    );
    assert_eq!(
        form_get(&form(&reqs[1]), "scope"),
        Some("https://outlook.office365.com/.default")
    );
}

#[tokio::test]
async fn certificate_token_request_carries_a_signed_assertion() {
    let server = MockServer::start().await;
    mock_token(&server, "jeton-cert").await;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/auth/");
    let cert_pem = std::fs::read(format!("{dir}test-only.cert.pem")).expect("cert");
    let cert_der = std::fs::read(format!("{dir}test-only.cert.der")).expect("cert der");
    let pub_der = std::fs::read(format!("{dir}test-only.rsapub.der")).expect("public key");
    for key_file in ["test-only.key.pem", "test-only.pkcs1.key.pem"] {
        let key_pem = std::fs::read(format!("{dir}{key_file}")).expect("key");
        let cred = CertificateCredential::from_pem(&cert_pem, &key_pem).expect("credential");
        let client = client_for(
            &server,
            Credential::Certificate(Box::new(cred)),
            fast_retry(3),
        );
        client
            .tokens()
            .bearer(Audience::Graph)
            .await
            .expect("token");
    }
    let reqs = server.received_requests().await.expect("recorded");
    assert_eq!(reqs.len(), 2);
    for req in &reqs {
        let f = form(req);
        assert_eq!(
            form_get(&f, "client_secret"),
            None,
            "no secret with a certificate"
        );
        assert_eq!(
            form_get(&f, "client_assertion_type"),
            Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        );
        let jwt = form_get(&f, "client_assertion").expect("assertion");
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value =
            serde_json::from_slice(&B64URL.decode(parts[0]).expect("b64")).expect("json");
        let claims: Value =
            serde_json::from_slice(&B64URL.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(header["alg"], "PS256");
        assert_eq!(header["typ"], "JWT");
        let s256 = ring::digest::digest(&ring::digest::SHA256, &cert_der);
        assert_eq!(header["x5t#S256"], B64URL.encode(s256.as_ref()));
        assert_eq!(claims["aud"], format!("{}{}", server.uri(), TOKEN_PATH));
        assert_eq!(claims["iss"], CLIENT);
        assert_eq!(claims["sub"], CLIENT);
        assert_eq!(claims["jti"].as_str().map(str::len), Some(36));
        let (nbf, exp) = (
            claims["nbf"].as_i64().expect("nbf"),
            claims["exp"].as_i64().expect("exp"),
        );
        assert!(exp > nbf && exp - nbf <= 600, "valid at most 10 minutes");
        let signature = B64URL.decode(parts[2]).expect("b64");
        let key = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PSS_2048_8192_SHA256,
            &pub_der,
        );
        key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .expect("signature verifies with the certificate's key");
    }
}

#[tokio::test]
async fn a_refusal_is_remembered_per_audience_so_each_source_does_not_ask_again() {
    let server = MockServer::start().await;
    // Exchange's audience refused (a tenant without Exchange Online), Graph's granted.
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("outlook.office365.com"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_resource",
            "error_description": "AADSTS500011: The resource principal named https://outlook.office365.com was not found in the tenant named cisss-test.onmicrosoft.com. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.\r\nTrace ID: 0a1b\r\nCorrelation ID: 2c3d\r\nTimestamp: 2026-11-25 07:00:00Z",
            "error_codes": [500011],
            "timestamp": "2026-11-25 07:00:00Z",
            "trace_id": "0a1b",
            "correlation_id": "2c3d"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("graph.microsoft.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("jeton-graph", 3599)))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(3));
    for _ in 0..5 {
        let err = client
            .tokens()
            .bearer(Audience::Exchange)
            .await
            .expect_err("refused");
        assert!(
            matches!(&err, AuthError::Refused { code, .. } if code == "AADSTS500011"),
            "{err:?}"
        );
        client
            .tokens()
            .bearer(Audience::Graph)
            .await
            .expect("Graph's token is not refused with Exchange's");
    }
    // Five sources of each: one request per audience (wiremock checks `expect` on drop).
    assert_eq!(server.received_requests().await.expect("recorded").len(), 2);
}

#[tokio::test]
async fn aadsts_error_becomes_a_french_message_without_the_secret() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '0f0e0d0c-1111-4222-8333-444455556666'.\r\nTrace ID: 2f1c7e4a-1b8a-4d2e-9a55-6a1a0c2b1f00\r\nCorrelation ID: 7c1d\r\nTimestamp: 2026-11-25 07:00:00Z",
            "error_codes": [7000215],
            "timestamp": "2026-11-25 07:00:00Z",
            "trace_id": "2f1c7e4a-1b8a-4d2e-9a55-6a1a0c2b1f00",
            "correlation_id": "7c1d",
            "error_uri": "https://login.microsoftonline.com/error?code=7000215"
        })))
        .mount(&server)
        .await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(3));
    let err = client
        .tokens()
        .bearer(Audience::Graph)
        .await
        .expect_err("refused");
    match &err {
        AuthError::Refused {
            code, first_line, ..
        } => {
            assert_eq!(code, "AADSTS7000215");
            assert!(first_line.starts_with("Invalid client secret provided."));
            assert!(!first_line.contains("Trace ID"));
        }
        other => panic!("expected an AADSTS refusal, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("AADSTS7000215"), "{text}");
    assert!(text.contains("le secret client est erroné"), "{text}");
    assert!(!text.contains(SECRET), "never the secret: {text}");
    assert_eq!(
        server.received_requests().await.expect("recorded").len(),
        1,
        "a refusal is not retried"
    );
}

#[tokio::test]
async fn three_pages_yield_every_record_once() {
    let server = MockServer::start().await;
    mock_token(&server, "t").await;
    mount_user_pages(&server, 3, 4).await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
    let mut pager = client.pages::<User>(users_call(&client));
    let mut sizes = Vec::new();
    let mut users = Vec::new();
    while let Some(page) = pager.next_page().await.expect("page") {
        sizes.push(page.items.len());
        users.extend(page.items);
    }
    assert_eq!(sizes, vec![4, 4, 4], "handed page by page");
    assert_each_once(&users, 12);
    assert_eq!(users[0].account_enabled, Some(true));
    assert_eq!(
        users[0].last_password_change_date_time, None,
        "0001-01-01 means never"
    );
    let first = &server.received_requests().await.expect("recorded")[1];
    let q: Vec<(String, String)> = first.url.query_pairs().into_owned().collect();
    assert!(
        q.iter()
            .any(|(k, v)| k == "$select" && v.contains("accountEnabled") && v.contains("userType"))
    );
    assert_eq!(
        first
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer t")
    );
}

#[tokio::test]
async fn a_429_with_fractional_retry_after_mid_paging_loses_nothing() {
    let server = MockServer::start().await;
    mock_token(&server, "t").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "page1"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "0.5")
                .set_body_json(json!({"error": {"code": "TooManyRequests", "message": "Too many requests", "innerError": {"date": "2026-11-25T07:00:00", "request-id": "r1"}}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_user_pages(&server, 3, 5).await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
    let users = read_all_users(&client).await.expect("complete");
    assert_each_once(&users, 15);
    let c = client.counters().get(ThrottleClass::Directory);
    assert_eq!((c.requests, c.throttled, c.retries), (4, 1, 1));
}

#[tokio::test]
async fn a_503_then_200_is_retried() {
    let server = MockServer::start().await;
    mock_token(&server, "t").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(503).set_body_string("Service Unavailable"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_user_pages(&server, 1, 3).await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
    let users = read_all_users(&client).await.expect("complete");
    assert_each_once(&users, 3);
}

#[tokio::test]
async fn five_consecutive_429s_are_an_error_not_a_partial_result() {
    let server = MockServer::start().await;
    mock_token(&server, "t").await;
    mount_user_pages(&server, 3, 2).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "page2"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .with_priority(1)
        .mount(&server)
        .await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
    let mut pager = client.pages::<User>(users_call(&client));
    assert_eq!(
        pager
            .next_page()
            .await
            .expect("page 1")
            .map(|p| p.items.len()),
        Some(2)
    );
    assert_eq!(
        pager
            .next_page()
            .await
            .expect("page 2")
            .map(|p| p.items.len()),
        Some(2)
    );
    let err = pager.next_page().await.expect_err("page 3 never arrives");
    match &err {
        GraphError::Exhausted { attempts, last, .. } => {
            assert_eq!(*attempts, 5);
            assert_eq!(last, "HTTP 429");
        }
        other => panic!("expected Exhausted, got {other:?}"),
    }
    assert!(
        pager.next_page().await.expect("ended").is_none(),
        "no page after an error"
    );
    let third: usize = server
        .received_requests()
        .await
        .expect("recorded")
        .iter()
        .filter(|r| r.url.query().is_some_and(|q| q.contains("page2")))
        .count();
    assert_eq!(third, 5, "bounded attempts");
    assert!(
        read_all_users(&client).await.is_err(),
        "the whole read fails: never a short list"
    );
}

#[tokio::test]
async fn a_403_names_the_permission_the_request_needs() {
    let server = MockServer::start().await;
    mock_token(&server, "t").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "code": "Authorization_RequestDenied",
            "message": "Insufficient privileges to complete the operation.",
            "innererror": {"date": "2026-11-25T07:00:00", "request-id": "5e2f", "client-request-id": "5e2f"}}})))
        .mount(&server)
        .await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
    let err = read_all_users(&client).await.expect_err("refused");
    assert_eq!(err.refusal(), Some(Refusal::Permission));
    assert!(err.is_access_denied());
    let text = err.to_string();
    assert!(text.contains("User.Read.All"), "{text}");
    assert!(text.contains("Authorization_RequestDenied"), "{text}");
    assert!(
        text.contains("5e2f"),
        "Microsoft's request id, from innererror: {text}"
    );
    assert_eq!(
        server.received_requests().await.expect("recorded").len(),
        2,
        "token + one refused request"
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_without_sending_the_token() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    mock_token(&server, "t").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [user(1)],
            "@odata.nextLink": format!("{}/v1.0/users?$skiptoken=steal", elsewhere.uri())
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .mount(&elsewhere)
        .await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
    let err = read_all_users(&client).await.expect_err("foreign link");
    assert!(matches!(err, GraphError::ForeignHost { .. }), "{err:?}");
    assert!(err.to_string().contains("jeton non envoyé"));
    assert!(
        elsewhere
            .received_requests()
            .await
            .expect("recorded")
            .is_empty(),
        "nothing sent to the other host"
    );
}

#[tokio::test]
async fn malformed_and_truncated_json_are_typed_errors() {
    for (body, expect) in [
        (
            r#"{"value":[{"id":"1","userPrincipalName":"a@b.c"},{"id":"2""#,
            "tronqué",
        ),
        (r#"<html>Proxy error</html>"#, "JSON invalide"),
        (r#"{"error":"no value here"}"#, "JSON invalide"),
    ] {
        let server = MockServer::start().await;
        mock_token(&server, "t").await;
        Mock::given(method("GET"))
            .and(path("/v1.0/users"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
        let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
        let err = read_all_users(&client).await.expect_err("malformed");
        assert!(matches!(err, GraphError::Malformed { .. }), "{err:?}");
        assert!(err.to_string().contains(expect), "{err}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused() {
    let server = MockServer::start().await;
    mock_token(&server, "t").await;
    let big = json!({"value": (0..200).map(user).collect::<Vec<_>>()});
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(big))
        .mount(&server)
        .await;
    let base = Url::parse(&server.uri()).expect("uri");
    let http = http_client(Duration::from_secs(30)).expect("http");
    let tokens = TokenProvider::new(
        http.clone(),
        &base,
        TENANT,
        CLIENT,
        Credential::secret(SECRET),
        3,
    )
    .expect("tokens");
    let mut settings = ClientSettings::new(base.clone(), base, TENANT, "d");
    settings.max_body_bytes = 4096;
    let client = GraphClient::new(http, tokens, settings);
    let err = read_all_users(&client).await.expect_err("too large");
    assert!(
        matches!(err, GraphError::TooLarge { limit: 4096, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn batch_retries_the_throttled_inner_request_alone() {
    let server = MockServer::start().await;
    mock_token(&server, "t").await;
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(move |req: &Request| {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let requests = body["requests"].as_array().cloned().unwrap_or_default();
            // Answer in reverse order, as Graph may.
            let responses: Vec<Value> = requests
                .iter()
                .rev()
                .map(|r| {
                    let id = r["id"].as_str().unwrap_or("");
                    if n == 0 && id == "7" {
                        json!({"id": id, "status": 429, "headers": {"Retry-After": "0.3", "Content-Type": "application/json"},
                               "body": {"error": {"code": "ApplicationThrottled", "message": "Application is over its MailboxConcurrency limit."}}})
                    } else {
                        json!({"id": id, "status": 200, "headers": {"Content-Type": "application/json"},
                               "body": {"@odata.context": "x", "value": [{"id": format!("regle-{id}"), "displayName": "Transfert", "isEnabled": true,
                                        "actions": {"forwardTo": [{"emailAddress": {"name": "Moi", "address": format!("perso{id}@gmail.com")}}]}}]}})
                    }
                })
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({"responses": responses}))
        })
        .mount(&server)
        .await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
    let q = queries::get("message-rules").expect("query");
    let reqs: Vec<BatchRequest> = (0..20)
        .map(|i| BatchRequest {
            id: i.to_string(),
            url: format!("/users/u{i}/mailFolders/inbox/messageRules"),
        })
        .collect();
    let out = client.batch(q, reqs).await.expect("batch");
    assert_eq!(out.len(), 20);
    for (i, r) in out.iter().enumerate() {
        assert_eq!(r.id, i.to_string(), "answers in the order asked");
        let rules: MessageRules =
            serde_json::from_value(r.result.as_ref().expect("success").clone()).expect("rules");
        assert_eq!(rules.value[0].id, format!("regle-{i}"));
    }
    let bodies: Vec<Value> = server
        .received_requests()
        .await
        .expect("recorded")
        .iter()
        .filter(|r| r.url.path() == "/v1.0/$batch")
        .map(|r| serde_json::from_slice(&r.body).expect("json"))
        .collect();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["requests"].as_array().map(Vec::len), Some(20));
    assert_eq!(
        bodies[1]["requests"],
        json!([{"id": "7", "method": "GET", "url": "/users/u7/mailFolders/inbox/messageRules"}]),
        "retried alone"
    );
    let c = client.counters().get(ThrottleClass::Outlook);
    assert_eq!(c.throttled, 1);
}

#[tokio::test]
async fn batch_inner_refusals_are_returned_per_item() {
    let server = MockServer::start().await;
    mock_token(&server, "t").await;
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"responses": [
            {"id": "a", "status": 200, "body": {"value": []}},
            {"id": "b", "status": 404, "body": {"error": {"code": "ErrorItemNotFound", "message": "The specified object was not found in the store."}}}
        ]})))
        .mount(&server)
        .await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
    let q = queries::get("message-rules").expect("query");
    let out = client
        .batch(
            q,
            vec![
                BatchRequest {
                    id: "a".into(),
                    url: "/users/a/x".into(),
                },
                BatchRequest {
                    id: "b".into(),
                    url: "/users/b/x".into(),
                },
            ],
        )
        .await
        .expect("batch");
    assert!(out[0].result.is_ok());
    let err = out[1].result.as_ref().expect_err("404");
    assert_eq!(err.refusal(), Some(Refusal::NotFound));
}

#[tokio::test]
async fn a_token_that_expires_during_paging_is_renewed_and_no_page_is_lost() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("t1", 3599)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("t2", 3599)))
        .mount(&server)
        .await;
    // Page 2 refuses the first token as expired, like Graph does when a token dies early.
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "page1"))
        .and(header("authorization", "Bearer t1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {"code": "InvalidAuthenticationToken", "message": "Lifetime validation failed, the token is expired."}})))
        .with_priority(1)
        .mount(&server)
        .await;
    mount_user_pages(&server, 4, 3).await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
    let users = read_all_users(&client).await.expect("complete");
    assert_each_once(&users, 12);
    let reqs = server.received_requests().await.expect("recorded");
    assert_eq!(
        reqs.iter().filter(|r| r.url.path() == TOKEN_PATH).count(),
        2,
        "renewed once"
    );
    let last = reqs.last().expect("requests");
    assert_eq!(
        last.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer t2")
    );
}

#[tokio::test]
async fn a_short_lived_token_is_refreshed_before_it_expires() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("court", 1)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("long", 3599)))
        .mount(&server)
        .await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
    assert_eq!(
        client
            .tokens()
            .bearer(Audience::Graph)
            .await
            .expect("t")
            .value,
        "court"
    );
    // A 1-second token is refreshed a quarter of its life early: after 0.8 s a new one is due.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        client
            .tokens()
            .bearer(Audience::Graph)
            .await
            .expect("t")
            .value,
        "long"
    );
}

#[tokio::test]
async fn a_persistent_401_is_a_refusal_after_bounded_renewals() {
    let server = MockServer::start().await;
    mock_token(&server, "t").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token validation failure."}})))
        .mount(&server)
        .await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
    let err = read_all_users(&client).await.expect_err("refused");
    assert_eq!(err.refusal(), Some(Refusal::Unauthorized));
    let reqs = server.received_requests().await.expect("recorded");
    assert_eq!(
        reqs.iter()
            .filter(|r| r.url.path() == "/v1.0/users")
            .count(),
        4,
        "three renewals with fresh tokens at most, no loop"
    );
}

#[tokio::test]
async fn connection_failures_are_retried_then_reported() {
    // A port with nothing listening: every attempt fails to connect.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let server = MockServer::start().await;
    mock_token(&server, "t").await;
    let token_base = Url::parse(&server.uri()).expect("uri");
    let dead = Url::parse(&format!("http://{addr}")).expect("url");
    let http = http_client(Duration::from_secs(5)).expect("http");
    let tokens = TokenProvider::new(
        http.clone(),
        &token_base,
        TENANT,
        CLIENT,
        Credential::secret(SECRET),
        3,
    )
    .expect("tokens");
    let mut settings = ClientSettings::new(dead.clone(), dead, TENANT, "d");
    settings.retry = fast_retry(3);
    let client = GraphClient::new(http, tokens, settings);
    let err = read_all_users(&client).await.expect_err("unreachable");
    match err {
        GraphError::Exhausted { attempts, last, .. } => {
            assert_eq!(attempts, 3);
            assert!(last.contains("connexion"), "{last}");
        }
        other => panic!("expected Exhausted, got {other:?}"),
    }
}

#[tokio::test]
async fn exchange_cmdlets_page_with_the_same_body_and_headers() {
    let server = MockServer::start().await;
    mock_token(&server, "tx").await;
    let invoke = format!("/adminapi/beta/{TENANT}/InvokeCommand");
    Mock::given(method("POST"))
        .and(path(invoke.clone()))
        .and(query_param("$skiptoken", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": "https://outlook.office365.com/adminapi/beta/$metadata#Collection(Exchange.GenericHashTable)",
            "value": [{"UserPrincipalName": "b@cisss-test.ca", "PrimarySmtpAddress": "b@cisss-test.ca", "RecipientTypeDetails": "SharedMailbox",
                       "ForwardingSmtpAddress": null, "ForwardingAddress": "", "DeliverToMailboxAndForward": false, "ExternalDirectoryObjectId": "u2"}]
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(invoke.clone()))
        .and(header("x-responseformat", "json"))
        .and(header("prefer", "odata.maxpagesize=1000"))
        .and(header("x-anchormailbox", "UPN:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@cisss-test.onmicrosoft.com"))
        .and(body_string_contains("Get-Mailbox"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"UserPrincipalName": "a@cisss-test.ca", "PrimarySmtpAddress": "a@cisss-test.ca", "RecipientTypeDetails": "UserMailbox",
                       "ForwardingSmtpAddress": "smtp:Quelqu.Un@GMAIL.com", "DeliverToMailboxAndForward": true, "ExternalDirectoryObjectId": "u1"}],
            "@odata.nextLink": format!("{}{}?$skiptoken=2", server.uri(), invoke)
        })))
        .mount(&server)
        .await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
    let q = queries::get("exchange-mailboxes").expect("query");
    let mut pager = client.exchange_pages::<Mailbox>(q).expect("pager");
    let mut boxes = Vec::new();
    while let Some(p) = pager.next_page().await.expect("page") {
        boxes.extend(p.items);
    }
    assert_eq!(boxes.len(), 2);
    assert_eq!(
        boxes[0].forwarding_smtp_address.as_deref(),
        Some("smtp:Quelqu.Un@GMAIL.com")
    );
    assert_eq!(boxes[1].forwarding_address, None, "empty string means none");
    let reqs = server.received_requests().await.expect("recorded");
    let token_req = reqs
        .iter()
        .find(|r| r.url.path() == TOKEN_PATH)
        .expect("token");
    assert_eq!(
        form_get(&form(token_req), "scope"),
        Some("https://outlook.office365.com/.default")
    );
    let pages: Vec<&Request> = reqs.iter().filter(|r| r.url.path() == invoke).collect();
    assert_eq!(pages.len(), 2);
    for p in pages {
        let body: Value = serde_json::from_slice(&p.body).expect("json body");
        assert_eq!(
            body,
            json!({"CmdletInput": {"CmdletName": "Get-Mailbox", "Parameters": q.parameters}})
        );
        assert_eq!(
            p.headers.get("authorization").and_then(|v| v.to_str().ok()),
            Some("Bearer tx")
        );
    }
}

#[tokio::test]
async fn a_redirect_is_followed_on_the_same_host_only() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    mock_token(&server, "t").await;
    let invoke = format!("/adminapi/beta/{TENANT}/InvokeCommand");
    Mock::given(method("POST"))
        .and(path(invoke.clone()))
        .respond_with(ResponseTemplate::new(307).insert_header(
            "Location",
            format!("{}/adminapi/beta/{TENANT}/Regional", server.uri()),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/adminapi/beta/{TENANT}/Regional")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": [{"DomainName": "*", "AutoForwardEnabled": true}]})),
        )
        .mount(&server)
        .await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
    let q = queries::get("exchange-remote-domains").expect("query");
    let mut pager = client
        .exchange_pages::<vigie365::graph::models::RemoteDomain>(q)
        .expect("pager");
    let page = pager.next_page().await.expect("followed").expect("page");
    assert!(page.items[0].auto_forward_enabled);

    // The same redirect towards another host is refused.
    let server2 = MockServer::start().await;
    mock_token(&server2, "t").await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{}/vol", elsewhere.uri())),
        )
        .mount(&server2)
        .await;
    let client2 = client_for(&server2, Credential::secret(SECRET), fast_retry(5));
    let mut pager = client2
        .exchange_pages::<vigie365::graph::models::RemoteDomain>(q)
        .expect("pager");
    let err = pager.next_page().await.expect_err("foreign redirect");
    assert!(matches!(err, GraphError::ForeignHost { .. }), "{err:?}");
    assert!(
        elsewhere
            .received_requests()
            .await
            .expect("recorded")
            .is_empty()
    );
}

#[tokio::test]
async fn batch_inner_401_renews_the_token_once_and_retries() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("vieux", 3599)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("neuf", 3599)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(|req: &Request| {
            let fresh = req.headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer neuf");
            let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let responses: Vec<Value> = body["requests"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|r| {
                    let id = r["id"].as_str().unwrap_or("");
                    if fresh || id != "1" {
                        json!({"id": id, "status": 200, "body": {"value": []}})
                    } else {
                        json!({"id": id, "status": 401, "body": {"error": {"code": "InvalidAuthenticationToken", "message": "Lifetime validation failed, the token is expired."}}})
                    }
                })
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({"responses": responses}))
        })
        .mount(&server)
        .await;
    let client = client_for(&server, Credential::secret(SECRET), fast_retry(5));
    let q = queries::get("message-rules").expect("query");
    let reqs = (0..3)
        .map(|i| BatchRequest {
            id: i.to_string(),
            url: format!("/users/u{i}/mailFolders/inbox/messageRules"),
        })
        .collect();
    let out = client.batch(q, reqs).await.expect("batch");
    assert!(out.iter().all(|r| r.result.is_ok()), "{out:?}");
    let reqs = server.received_requests().await.expect("recorded");
    assert_eq!(
        reqs.iter().filter(|r| r.url.path() == TOKEN_PATH).count(),
        2,
        "renewed once"
    );
}
