//! Hostile input: arbitrary responses, configuration files, registers and addresses never
//! panic; absurd nesting and huge pages are refused with an error.

use proptest::prelude::*;
use serde_json::Value;
use vigie365::graph::models;
use vigie365::graph::{GraphError, RequestLabel};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("0001-01-01T00:00:00Z"),
            Just(""),
            Just("2026-02-30T25:61:00Z"),
            Just("smtp:X@GMAIL.COM "),
            Just("=HYPERLINK(\"http://x\",\"y\")"),
            Just("\u{202e}moc.liamg@x"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        let keys = prop_oneof![
            Just("id".to_string()),
            Just("userPrincipalName".to_string()),
            Just("accountEnabled".to_string()),
            Just("createdDateTime".to_string()),
            Just("actions".to_string()),
            Just("redirectTo".to_string()),
            Just("forwardTo".to_string()),
            Just("emailAddress".to_string()),
            Just("address".to_string()),
            Just("value".to_string()),
            Just("ForwardingSmtpAddress".to_string()),
            Just("RedirectMessageTo".to_string()),
            Just("status".to_string()),
            "[a-zA-Z@.]{1,12}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn label() -> RequestLabel {
    RequestLabel {
        query: "test".into(),
        path: "/v1.0/test".into(),
    }
}

fn decode_all(bytes: &[u8]) {
    let l = label();
    let _ = vigie365::graph::client::decode::<models::User>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::SignIn>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::RegistrationDetail>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::ConditionalAccessPolicy>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::NamedLocation>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::MessageRules>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::Mailbox>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::TransportRule>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::RemoteDomain>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::OutboundSpamPolicy>(&l, bytes);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn no_response_shape_makes_a_model_panic(v in json_value()) {
        let bytes = serde_json::to_vec(&v).unwrap_or_default();
        decode_all(&bytes);
    }

    #[test]
    fn no_byte_string_makes_a_model_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_all(&bytes);
    }

    #[test]
    fn no_configuration_text_makes_the_loader_panic(text in "(\\PC|\n|\\[|\\]|=|\"){0,400}") {
        let _ = vigie365::config::Config::from_toml_str(&text, "fuzz.toml", &vigie365::checks::registry::load_options());
    }

    #[test]
    fn no_register_makes_the_parser_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = vigie365::classify::Register::parse(&bytes, "registre.csv");
        let mut with_header = b"compte;site;utilisateur;arrivee;depart\n".to_vec();
        with_header.extend_from_slice(&bytes);
        let _ = vigie365::classify::Register::parse(&with_header, "registre.csv");
    }

    #[test]
    fn no_address_makes_target_parsing_panic(s in "\\PC{0,80}") {
        let t = vigie365::checks::domains::Target::parse(&s);
        let again = vigie365::checks::domains::Target::parse(&s);
        prop_assert_eq!(format!("{t:?}"), format!("{again:?}"));
    }
}

#[test]
fn ten_thousand_levels_of_nesting_are_refused_with_an_error() {
    let deep = format!("{{\"value\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let r = vigie365::graph::client::decode::<serde_json::Value>(&label(), deep.as_bytes());
    assert!(matches!(r, Err(GraphError::Malformed { .. })), "{r:?}");
}

#[tokio::test]
async fn a_page_larger_than_the_limit_is_refused_before_it_is_read() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/t/oauth2/v2.0/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"token_type":"Bearer","expires_in":3599,"access_token":"x"}),
        ))
        .mount(&server)
        .await;
    // 70 MB, over the 64 MiB default limit.
    let big = vec![b' '; 70 * 1024 * 1024];
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(big, "application/json"))
        .mount(&server)
        .await;
    let base = url::Url::parse(&server.uri()).expect("uri");
    let http = vigie365::graph::http_client(std::time::Duration::from_secs(30)).expect("http");
    let tokens = vigie365::graph::TokenProvider::new(
        http.clone(),
        &base,
        "t",
        "c",
        vigie365::graph::Credential::secret("s"),
        2,
    )
    .expect("tokens");
    let client = vigie365::graph::GraphClient::new(
        http,
        tokens,
        vigie365::graph::ClientSettings::new(base.clone(), base, "t", "d"),
    );
    let q = vigie365::queries::get("users").expect("query");
    let url = client.graph_url(&q.path, &[]).expect("url");
    let err = client
        .pages::<models::User>(vigie365::graph::Call::for_query(q, http::Method::GET, url))
        .next_page()
        .await
        .expect_err("too large");
    assert!(matches!(err, GraphError::TooLarge { .. }), "{err:?}");
}
