//! The request engine: one place where every Graph and Exchange request is limited, signed,
//! sent, retried, size-checked and turned into a typed result; paging and `$batch` on top.
//!
//! What it guarantees (tested in `tests/graph_*.rs`):
//! - a page that still fails after its retries is an error, never a short list: the caller
//!   gets every record exactly once, or an error;
//! - `@odata.nextLink` is followed exactly as given, only to the configured host of that API
//!   (the token never leaves for another host), through the same limiter and retries;
//! - a 401 drops the token and retries once with a fresh one, so a token that expires in the
//!   middle of a long paging loses no page;
//! - bodies are read with a size limit, and JSON nesting is bounded by serde_json's limit.

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::auth::{Audience, Bearer, TokenProvider};
use super::error::{GraphError, Refused, RequestLabel, classify_refusal, parse_error_body};
use super::retry::{RetryPolicy, is_transient, retry_after};
use super::throttle::{Limiters, Limits};
use super::transport::describe_reqwest;
use crate::queries::{Api, Query, ThrottleClass};

/// Settings of the engine, from the configuration.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub graph_base: Url,
    pub exchange_base: Url,
    pub tenant_id: String,
    /// The tenant's primary domain (Exchange's `X-AnchorMailbox`).
    pub tenant_domain: String,
    pub limits: Limits,
    pub retry: RetryPolicy,
    /// Largest body accepted (a page of 1,000 sign-ins is a few MB).
    pub max_body_bytes: usize,
    /// Timeout of one request.
    pub timeout: Duration,
}

impl ClientSettings {
    /// Published limits and default retries, for the given endpoints.
    pub fn new(graph_base: Url, exchange_base: Url, tenant_id: &str, tenant_domain: &str) -> Self {
        ClientSettings {
            graph_base,
            exchange_base,
            tenant_id: tenant_id.to_string(),
            tenant_domain: tenant_domain.to_string(),
            limits: Limits::default(),
            retry: RetryPolicy::default(),
            max_body_bytes: 64 * 1024 * 1024,
            timeout: Duration::from_secs(120),
        }
    }
}

/// Counters of what was sent, per throttle class (for `doctor`, logs and the benchmark).
#[derive(Debug, Default)]
pub struct Counters {
    requests: [AtomicU64; 6],
    throttled: [AtomicU64; 6],
    retries: [AtomicU64; 6],
    /// Bytes of the successful answers' bodies.
    bytes: [AtomicU64; 6],
}

/// A snapshot of the counters of one class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClassCounts {
    pub requests: u64,
    pub throttled: u64,
    pub retries: u64,
    /// Bytes received in successful answers.
    pub bytes: u64,
}

impl Counters {
    pub fn get(&self, class: ThrottleClass) -> ClassCounts {
        let i = class as usize;
        ClassCounts {
            requests: self.requests[i].load(Ordering::Relaxed),
            throttled: self.throttled[i].load(Ordering::Relaxed),
            retries: self.retries[i].load(Ordering::Relaxed),
            bytes: self.bytes[i].load(Ordering::Relaxed),
        }
    }
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct Call {
    pub label: RequestLabel,
    pub method: Method,
    pub url: Url,
    pub body: Option<serde_json::Value>,
    pub api: Api,
    pub class: ThrottleClass,
    pub cost: u32,
    pub permissions: Vec<String>,
    pub licence: String,
}

impl Call {
    /// A call for a query family of `queries/`, to that URL.
    pub fn for_query(query: &Query, method: Method, url: Url) -> Self {
        Call {
            label: RequestLabel {
                query: query.name.clone(),
                path: url.path().to_string(),
            },
            method,
            url,
            body: None,
            api: query.api,
            class: query.throttle,
            cost: query.cost.max(1),
            permissions: query.permissions.clone(),
            licence: query.licence.clone(),
        }
    }

    fn audience(&self) -> Audience {
        match self.api {
            Api::Graph => Audience::Graph,
            Api::Exchange => Audience::Exchange,
        }
    }
}

/// A successful response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The generation of the token it was sent with (see `TokenProvider::invalidate_generation`).
    pub token_generation: u64,
}

struct Inner {
    http: reqwest::Client,
    tokens: TokenProvider,
    limiters: Limiters,
    settings: ClientSettings,
    counters: Counters,
}

/// The Graph and Exchange client. Cheap to clone; share one per night.
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

/// Percent-encodes a query string value, keeping the characters Graph's documentation
/// writes literally (`$`, `'`, `(`, `)`, `,`, `:`, `/`) and encoding spaces as `%20`.
pub fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'$'
            | b'\''
            | b'('
            | b')'
            | b','
            | b':'
            | b'/'
            | b'*' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl GraphClient {
    pub fn new(http: reqwest::Client, tokens: TokenProvider, settings: ClientSettings) -> Self {
        let limiters = Limiters::new(settings.limits.clone());
        GraphClient {
            inner: Arc::new(Inner {
                http,
                tokens,
                limiters,
                settings,
                counters: Counters::default(),
            }),
        }
    }

    pub fn settings(&self) -> &ClientSettings {
        &self.inner.settings
    }

    pub fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    pub(crate) fn count_throttled(&self, class: ThrottleClass) {
        self.inner.counters.throttled[class as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn tokens(&self) -> &TokenProvider {
        &self.inner.tokens
    }

    /// `{graph base}{path}?{params}`; parameter values are encoded for Graph.
    pub fn graph_url(&self, path: &str, params: &[(&str, &str)]) -> Result<Url, GraphError> {
        build_url(&self.inner.settings.graph_base, path, params)
    }

    /// The Exchange admin API `InvokeCommand` URL of the tenant.
    pub fn exchange_url(&self) -> Result<Url, GraphError> {
        let path = format!(
            "/adminapi/beta/{}/InvokeCommand",
            self.inner.settings.tenant_id
        );
        build_url(&self.inner.settings.exchange_base, &path, &[])
    }

    fn base_for(&self, api: Api) -> &Url {
        match api {
            Api::Graph => &self.inner.settings.graph_base,
            Api::Exchange => &self.inner.settings.exchange_base,
        }
    }

    /// Is `url` on the configured host of that API (same scheme, host and port)?
    fn same_origin(&self, api: Api, url: &Url) -> bool {
        let base = self.base_for(api);
        url.scheme() == base.scheme()
            && url.host_str() == base.host_str()
            && url.port_or_known_default() == base.port_or_known_default()
    }

    /// Sends one call with limiter, token, retries and redirects; returns the 2xx response
    /// or a typed error.
    pub async fn send(&self, call: &Call) -> Result<Response, GraphError> {
        let inner = &*self.inner;
        let audience = call.audience();
        let mut state = Attempts::new(call.url.clone());
        loop {
            state.attempt += 1;
            if !self.same_origin(call.api, &state.url) {
                return Err(GraphError::ForeignHost {
                    request: call.label.clone(),
                    host: state.url.host_str().unwrap_or("?").to_string(),
                });
            }
            // The token first: fetching it takes a round trip, which would otherwise sit
            // between the limiter's slot and the request, and bunch this request with the
            // next one at the service (a 429 on the conditional access class, 1 per second).
            // A cached token is refreshed well before it expires, so it outlives the wait.
            let bearer = inner.tokens.bearer(audience).await?;
            inner.limiters.acquire(call.class, call.cost).await;
            let request = self.request(call, &state.url, &bearer);
            inner.counters.requests[call.class as usize].fetch_add(1, Ordering::Relaxed);
            let broken = match request.send().await {
                Err(e) => describe_reqwest(&e),
                Ok(resp) => match self.answer(call, &mut state, &bearer, resp).await? {
                    Answer::Done(response) => return Ok(response),
                    Answer::Again => continue,
                    Answer::Broken(detail) => detail,
                },
            };
            // A broken connection or an interrupted body: retry with backoff.
            state.give_up_after(call, &inner.settings.retry, broken.clone())?;
            let wait = inner.settings.retry.delay(state.attempt, None);
            tracing::info!(query = %call.label.query, attempt = state.attempt, error = %broken, "nouvel essai après une erreur de transport");
            self.wait_before_retry(call, &mut state, wait).await;
        }
    }

    /// The HTTP request of one attempt: the token, and the headers the API wants.
    fn request(&self, call: &Call, url: &Url, bearer: &Bearer) -> reqwest::RequestBuilder {
        let inner = &*self.inner;
        let mut rb = inner
            .http
            .request(call.method.clone(), url.clone())
            .bearer_auth(&bearer.value);
        if call.api == Api::Exchange {
            rb = rb.header("X-ResponseFormat", "json").header(
                "X-AnchorMailbox",
                format!(
                    "UPN:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{}",
                    inner.settings.tenant_domain
                ),
            );
        }
        if let Some(body) = &call.body {
            rb = rb.json(body);
        }
        if let Some(prefer) = prefer_header(call) {
            rb = rb.header("Prefer", prefer);
        }
        rb
    }

    /// What an answer of the service means for the call: its response, another attempt
    /// (redirect, renewed token, transient status after its wait), a broken body, or a
    /// typed error.
    async fn answer(
        &self,
        call: &Call,
        state: &mut Attempts,
        bearer: &Bearer,
        resp: reqwest::Response,
    ) -> Result<Answer, GraphError> {
        let inner = &*self.inner;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if (200..300).contains(&status) {
            return match read_limited(resp, inner.settings.max_body_bytes).await {
                Ok(body) => {
                    inner.counters.bytes[call.class as usize]
                        .fetch_add(body.len() as u64, Ordering::Relaxed);
                    Ok(Answer::Done(Response {
                        status,
                        headers,
                        body,
                        token_generation: bearer.generation(),
                    }))
                }
                Err(ReadError::TooLarge) => Err(GraphError::TooLarge {
                    request: call.label.clone(),
                    limit: inner.settings.max_body_bytes,
                }),
                Err(ReadError::Transport(detail)) => Ok(Answer::Broken(detail)),
            };
        }
        if matches!(status, 301 | 302 | 303 | 307 | 308) && state.redirects < 5 {
            return follow_redirect(call, state, status, &headers);
        }
        if status == 401 && state.renewals < 3 && state.last_rejected != Some(bearer.generation()) {
            // The token expired or was revoked early: fetch a fresh one.
            inner.tokens.invalidate(call.audience(), bearer).await;
            state.last_rejected = Some(bearer.generation());
            state.renewals += 1;
            state.attempt -= 1;
            return Ok(Answer::Again);
        }
        if is_transient(status) {
            self.retry_status(call, state, status, &headers).await?;
            return Ok(Answer::Again);
        }
        let body = read_limited(resp, 64 * 1024).await.unwrap_or_default();
        let (code, message, request_id) = parse_error_body(&body);
        Err(GraphError::Refused(Box::new(Refused {
            request: call.label.clone(),
            status,
            request_id,
            refusal: classify_refusal(status, code.as_deref()),
            code,
            message,
            permissions: call.permissions.clone(),
            licence: call.licence.clone(),
        })))
    }

    /// A transient status (429, 503, 504): waits as the service asks (or backs off), and
    /// holds the whole class back on a 429; an error once the attempts are spent.
    async fn retry_status(
        &self,
        call: &Call,
        state: &mut Attempts,
        status: u16,
        headers: &HeaderMap,
    ) -> Result<(), GraphError> {
        let inner = &*self.inner;
        if status == 429 {
            inner.counters.throttled[call.class as usize].fetch_add(1, Ordering::Relaxed);
        }
        state.give_up_after(call, &inner.settings.retry, format!("HTTP {status}"))?;
        let wait = inner
            .settings
            .retry
            .delay(state.attempt, retry_after(headers));
        if status == 429 {
            inner.limiters.hold(call.class, wait);
        }
        tracing::info!(query = %call.label.query, status, attempt = state.attempt, wait_ms = wait.as_millis() as u64, "nouvel essai");
        self.wait_before_retry(call, state, wait).await;
        Ok(())
    }

    async fn wait_before_retry(&self, call: &Call, state: &mut Attempts, wait: Duration) {
        self.inner.counters.retries[call.class as usize].fetch_add(1, Ordering::Relaxed);
        state.waited += wait;
        tokio::time::sleep(wait).await;
    }

    /// Sends a call and decodes its JSON body.
    pub async fn get_json<T: DeserializeOwned>(&self, call: &Call) -> Result<T, GraphError> {
        let resp = self.send(call).await?;
        decode(&call.label, &resp.body)
    }

    /// Pages through a Graph collection, page by page.
    pub fn pages<T: DeserializeOwned>(&self, call: Call) -> Pager<T> {
        Pager {
            client: self.clone(),
            call,
            next: None,
            started: false,
            done: false,
            pages: 0,
            _t: PhantomData,
        }
    }

    /// The call that runs an Exchange admin cmdlet of the catalogue (`InvokeCommand`).
    pub fn exchange_call(&self, query: &Query) -> Result<Call, GraphError> {
        let url = self.exchange_url()?;
        let mut call = Call::for_query(query, Method::POST, url);
        let params: serde_json::Map<String, serde_json::Value> = query
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        call.body = Some(serde_json::json!({
            "CmdletInput": {
                "CmdletName": query.cmdlet.clone().unwrap_or_default(),
                "Parameters": params,
            }
        }));
        Ok(call)
    }

    /// [`GraphClient::exchange_call`] with more cmdlet parameters (`Identity` of one group).
    pub fn exchange_call_with(
        &self,
        query: &Query,
        extra: &[(&str, &str)],
    ) -> Result<Call, GraphError> {
        let mut call = self.exchange_call(query)?;
        if let Some(p) = call
            .body
            .as_mut()
            .and_then(|b| b.pointer_mut("/CmdletInput/Parameters"))
            .and_then(|p| p.as_object_mut())
        {
            for (k, v) in extra {
                p.insert(
                    (*k).to_string(),
                    serde_json::Value::String((*v).to_string()),
                );
            }
        }
        Ok(call)
    }

    /// Pages through the result of an Exchange admin cmdlet.
    pub fn exchange_pages<T: DeserializeOwned>(
        &self,
        query: &Query,
    ) -> Result<Pager<T>, GraphError> {
        Ok(self.pages(self.exchange_call(query)?))
    }
}

/// Where one call stands across its attempts.
struct Attempts {
    url: Url,
    attempt: u32,
    /// Renewals after a 401: one per distinct token, at most three per request (a token can
    /// die early again while this request waits for its limiter slot).
    renewals: u32,
    last_rejected: Option<u64>,
    redirects: u32,
    waited: Duration,
}

impl Attempts {
    fn new(url: Url) -> Self {
        Attempts {
            url,
            attempt: 0,
            renewals: 0,
            last_rejected: None,
            redirects: 0,
            waited: Duration::ZERO,
        }
    }

    /// The error that ends the call when its attempts are spent (`last`: what went wrong).
    fn give_up_after(
        &self,
        call: &Call,
        policy: &RetryPolicy,
        last: String,
    ) -> Result<(), GraphError> {
        if self.attempt >= policy.max_attempts {
            return Err(GraphError::Exhausted {
                request: call.label.clone(),
                attempts: self.attempt,
                last,
                waited: self.waited,
            });
        }
        Ok(())
    }
}

/// What one answer of the service means for the call.
enum Answer {
    Done(Response),
    /// Send again (redirect followed, token renewed, transient status waited out).
    Again,
    /// The body broke off: retried like a broken connection.
    Broken(String),
}

/// Follows a redirect (the next attempt re-checks its host); one without a valid
/// `Location` is an error.
fn follow_redirect(
    call: &Call,
    state: &mut Attempts,
    status: u16,
    headers: &HeaderMap,
) -> Result<Answer, GraphError> {
    let target = headers
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|loc| state.url.join(loc).ok());
    match target {
        Some(t) => {
            tracing::debug!(query = %call.label.query, "redirection suivie");
            state.url = t;
            state.redirects += 1;
            state.attempt -= 1;
            Ok(Answer::Again)
        }
        None => Err(GraphError::Malformed {
            request: call.label.clone(),
            detail: format!("redirection HTTP {status} sans Location valide"),
        }),
    }
}

fn prefer_header(call: &Call) -> Option<String> {
    (call.api == Api::Exchange).then(|| "odata.maxpagesize=1000".to_string())
}

fn build_url(base: &Url, path: &str, params: &[(&str, &str)]) -> Result<Url, GraphError> {
    let mut s = format!("{}{}", base.as_str().trim_end_matches('/'), path);
    if !params.is_empty() {
        s.push('?');
        let q: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
            .collect();
        s.push_str(&q.join("&"));
    }
    Url::parse(&s).map_err(|e| GraphError::BadUrl {
        request: RequestLabel {
            query: "url".into(),
            path: path.to_string(),
        },
        detail: e.to_string(),
    })
}

enum ReadError {
    TooLarge,
    Transport(String),
}

async fn read_limited(mut resp: reqwest::Response, limit: usize) -> Result<Bytes, ReadError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut buf = BytesMut::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > limit {
                    return Err(ReadError::TooLarge);
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(buf.freeze()),
            Err(e) => return Err(ReadError::Transport(describe_reqwest(&e))),
        }
    }
}

/// Decodes JSON, turning serde's error into a typed one that names the request.
pub fn decode<T: DeserializeOwned>(label: &RequestLabel, body: &[u8]) -> Result<T, GraphError> {
    serde_json::from_slice(body).map_err(|e| GraphError::Malformed {
        request: label.clone(),
        detail: if e.is_eof() {
            format!("JSON tronqué ({} octets reçus)", body.len())
        } else {
            format!("JSON invalide : {e}")
        },
    })
}

#[derive(Deserialize)]
struct Envelope<T> {
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink", default)]
    delta_link: Option<String>,
}

/// One page of a collection.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// 1 for the first page.
    pub number: u32,
    /// The `@odata.deltaLink` on the last page of a delta query.
    pub delta_link: Option<String>,
}

/// Pages through a collection, one request per `next_page`; nothing is accumulated.
pub struct Pager<T> {
    client: GraphClient,
    call: Call,
    next: Option<Url>,
    started: bool,
    done: bool,
    pages: u32,
    _t: PhantomData<T>,
}

impl<T: DeserializeOwned> Pager<T> {
    /// The next page, `None` after the last. An error ends the paging: the caller must treat
    /// the collection as not read, never as complete.
    pub async fn next_page(&mut self) -> Result<Option<Page<T>>, GraphError> {
        if self.done {
            return Ok(None);
        }
        let mut call = self.call.clone();
        if self.started {
            match self.next.take() {
                Some(url) => {
                    call.label.path = url.path().to_string();
                    call.url = url;
                }
                None => {
                    self.done = true;
                    return Ok(None);
                }
            }
        }
        self.started = true;
        // Any failure ends the paging for good.
        self.done = true;
        let resp = self.client.send(&call).await?;
        let env: Envelope<T> = decode(&call.label, &resp.body)?;
        if let Some(link) = env.next_link {
            let url = Url::parse(&link).map_err(|e| GraphError::Malformed {
                request: call.label.clone(),
                detail: format!("@odata.nextLink invalide : {e}"),
            })?;
            if !self.client.same_origin(call.api, &url) {
                return Err(GraphError::ForeignHost {
                    request: call.label.clone(),
                    host: url.host_str().unwrap_or("?").to_string(),
                });
            }
            if url == call.url {
                return Err(GraphError::Malformed {
                    request: call.label.clone(),
                    detail: "@odata.nextLink renvoie à la même page (pagination en boucle)".into(),
                });
            }
            self.next = Some(url);
            self.done = false;
        }
        self.pages += 1;
        Ok(Some(Page {
            items: env.value,
            number: self.pages,
            delta_link: env.delta_link,
        }))
    }

    /// Pages read so far.
    pub fn pages_read(&self) -> u32 {
        self.pages
    }
}
