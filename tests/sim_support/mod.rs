//! Helpers shared by the `sim_*` tests: start a simulator, get tokens, follow pages.
#![allow(dead_code)]

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use vigie365::sim::{Sim, SimHandle, SimOptions};

pub const GRAPH: &str = "https://graph.microsoft.com/.default";
pub const EXO: &str = "https://outlook.office365.com/.default";

/// Options with the published limits relaxed, for tests about endpoints, not throttling.
pub fn opts(seed: u64) -> SimOptions {
    let mut o = SimOptions {
        seed,
        ..Default::default()
    };
    o.limits.identity_reports_per_10s = 100_000;
    o.limits.conditional_access_per_second = 100_000;
    o.limits.sign_in_activity_per_minute = 100_000;
    o.limits.exchange_per_second = 100_000;
    o.limits.directory_units_per_10s = Some(1_000_000);
    o
}

pub async fn start(o: SimOptions) -> SimHandle {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match Sim::start(o).await {
        Ok(h) => h,
        Err(e) => panic!("simulator did not start: {e}"),
    }
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub tenant: String,
    pub graph: String,
    pub exo: String,
}

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("reqwest client")
}

pub async fn token(http: &reqwest::Client, h: &SimHandle, scope: &str) -> (StatusCode, Value) {
    let url = format!("{}/{}/oauth2/v2.0/token", h.base_url(), h.tenant_id());
    let form = [
        ("client_id", h.client_id()),
        ("client_secret", h.client_secret()),
        ("scope", scope.to_string()),
        ("grant_type", "client_credentials".to_string()),
    ];
    let r = http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&form))
        .send()
        .await
        .expect("token request");
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

impl Client {
    pub async fn new(h: &SimHandle) -> Client {
        let http = http();
        let (_, g) = token(&http, h, GRAPH).await;
        let (_, e) = token(&http, h, EXO).await;
        Client {
            http,
            base: h.base_url(),
            tenant: h.tenant_id(),
            graph: g["access_token"].as_str().unwrap_or("").to_string(),
            exo: e["access_token"].as_str().unwrap_or("").to_string(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        }
    }

    pub async fn get_raw(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.graph)
            .send()
            .await
            .expect("request");
        let s = r.status();
        let hd = r.headers().clone();
        (s, hd, r.text().await.unwrap_or_default())
    }

    pub async fn get(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let (s, h, t) = self.get_raw(path).await;
        (s, h, serde_json::from_str(&t).unwrap_or(Value::Null))
    }

    /// Follows `@odata.nextLink` to the end; returns every record and the page count.
    pub async fn all(&self, path: &str) -> (Vec<Value>, usize) {
        let mut out = Vec::new();
        let mut url = self.url(path);
        let mut pages = 0;
        loop {
            let (s, hd, v) = self.get(&url).await;
            if s == StatusCode::TOO_MANY_REQUESTS {
                let wait = hd
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(1.0);
                tokio::time::sleep(Duration::from_secs_f64(wait)).await;
                continue;
            }
            assert_eq!(s, StatusCode::OK, "GET {url}: {v}");
            pages += 1;
            out.extend(v["value"].as_array().cloned().unwrap_or_default());
            match v["@odata.nextLink"].as_str() {
                Some(n) => url = n.to_string(),
                None => break,
            }
        }
        (out, pages)
    }

    pub async fn exo_raw(&self, url: &str, cmdlet: &str, page: usize) -> (StatusCode, Value) {
        let body = serde_json::json!({"CmdletInput": {"CmdletName": cmdlet, "Parameters": {"ResultSize": "Unlimited"}}});
        let r = self
            .http
            .post(url)
            .bearer_auth(&self.exo)
            .header("X-ResponseFormat", "json")
            .header("Prefer", format!("odata.maxpagesize={page}"))
            .json(&body)
            .send()
            .await
            .expect("exchange request");
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// Runs a cmdlet and follows its nextLinks (POSTing the same body).
    pub async fn exo_all(&self, cmdlet: &str, page: usize) -> (Vec<Value>, usize) {
        let mut url = format!("{}/adminapi/beta/{}/InvokeCommand", self.base, self.tenant);
        let mut out = Vec::new();
        let mut pages = 0;
        loop {
            let (s, v) = self.exo_raw(&url, cmdlet, page).await;
            assert_eq!(s, StatusCode::OK, "{cmdlet}: {v}");
            pages += 1;
            out.extend(v["value"].as_array().cloned().unwrap_or_default());
            match v["@odata.nextLink"].as_str() {
                Some(n) => url = n.to_string(),
                None => break,
            }
        }
        (out, pages)
    }
}

pub fn ids(v: &[Value], key: &str) -> std::collections::BTreeSet<String> {
    v.iter()
        .filter_map(|x| x[key].as_str().map(str::to_string))
        .collect()
}

/// `application/x-www-form-urlencoded` body.
pub fn form_body<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k.as_ref(), v.as_ref());
    }
    ser.finish()
}
