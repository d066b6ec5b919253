//! The HTTP side: one loopback listener serving the token endpoint, Graph (`/v1.0`,
//! `/beta`), the Exchange admin API (`/adminapi/{beta,v2.0}/{tenant}/InvokeCommand`) and
//! the simulator's own `/_sim/*` endpoints, with throttling, latency and injected faults.

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, Method, Request, Response};
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use super::filter::{self, Expr, Lit};
use super::hash::{self, h, kind, tag, unit};
use super::render::{self, ts};
use super::scenario::{Account, Scenario, SignIn, TENANT_DOMAIN};
use super::simconfig::PrintedConfig;
use super::throttle::{Admission, Throttle, ThrottleClass, retry_after_value};
use super::{FaultRates, FaultStats, Latency, SimStats};

const GRAPH_AUD: &str = "https://graph.microsoft.com/.default";
const EXO_AUD: &str = "https://outlook.office365.com/.default";
/// Page size of userRegistrationDetails: deliberately not a round number.
const REGISTRATION_PAGE: usize = 487;
const NATURAL_LIFETIME: f64 = 3599.0;

/// State shared by every connection.
pub(crate) struct Shared {
    pub sc: Scenario,
    pub cfg: PrintedConfig,
    pub secret: String,
    pub scale: f64,
    pub latency: Latency,
    pub faults: FaultRates,
    pub throttle: Throttle,
    pub day: AtomicI32,
    pub seq: AtomicU64,
    pub epoch: Instant,
    pub base_url: String,
    pub counters: Counters,
    pub on_day_change: Option<Box<dyn Fn(i32) + Send + Sync>>,
    /// Sources answered 403, as if the app lacked their permission (see `SimOptions::deny`).
    pub deny: Vec<String>,
}

/// The name `--refuser` uses for a route, when it can be refused.
fn deny_key(r: &Route) -> Option<&'static str> {
    Some(match r {
        Route::Users(_) | Route::User(..) | Route::UsersDelta(_) => "users",
        Route::Registration(_) => "registration",
        Route::SignIns(_) => "signins",
        Route::Policies(_) | Route::Locations(_) => "conditional-access",
        Route::Members { .. } => "groups",
        Route::Rules(..) => "rules",
        Route::Exchange { .. } => "exchange",
        _ => return None,
    })
}

#[derive(Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub f429: AtomicU64,
    pub f503: AtomicU64,
    pub f504: AtomicU64,
    pub reset: AtomicU64,
    pub truncate: AtomicU64,
    pub token_expired: AtomicU64,
    pub tokens: AtomicU64,
    pub batches: AtomicU64,
    pub batch_requests: AtomicU64,
    pub unauthorized: AtomicU64,
}

impl Shared {
    pub(crate) fn stats(&self) -> SimStats {
        let c = &self.counters;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SimStats {
            day: self.day.load(Ordering::Relaxed).max(0) as u32,
            time_scale: self.scale,
            requests: l(&c.requests),
            classes: self.throttle.stats(),
            faults: FaultStats {
                http429: l(&c.f429),
                http503: l(&c.f503),
                http504: l(&c.f504),
                reset: l(&c.reset),
                truncate: l(&c.truncate),
                token_expired: l(&c.token_expired),
            },
            tokens_issued: l(&c.tokens),
            batches: l(&c.batches),
            batch_requests: l(&c.batch_requests),
            unauthorized: l(&c.unauthorized),
        }
    }

    fn now_ms(&self) -> i64 {
        self.epoch.elapsed().as_millis() as i64
    }

    fn day(&self) -> i32 {
        self.day.load(Ordering::Relaxed)
    }
}

/// A response before it becomes HTTP (also the inner response of a `$batch`).
#[derive(Clone, Debug)]
pub(crate) struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Resp {
    fn json(status: u16, body: Value) -> Self {
        Resp {
            status,
            headers: vec![],
            body,
        }
    }
    fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.to_string(), v.into()));
        self
    }
}

/// Identity of a request for seeded draws: top-level number and position in a batch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rq {
    pub n: u64,
    pub j: u64,
}

fn request_id(st: &Shared, rq: Rq) -> String {
    let x = h(st.sc.seed, &[tag::REQID, rq.n, rq.j]);
    hash::guid(x, h(st.sc.seed, &[x, 5]))
}

/// Graph error body; `innerError` is sometimes spelled `innererror`, like Graph does.
fn graph_error(st: &Shared, rq: Rq, status: u16, code: &str, message: &str) -> Resp {
    let rid = request_id(st, rq);
    let inner = json!({
        "date": ts(render::sim_clock(&st.sc, st.day())),
        "request-id": rid,
        "client-request-id": rid,
    });
    let key = if h(st.sc.seed, &[tag::MISC, rq.n, rq.j, 77]).is_multiple_of(4) {
        "innererror"
    } else {
        "innerError"
    };
    let mut e = Map::new();
    e.insert("code".into(), json!(code));
    e.insert("message".into(), json!(message));
    e.insert(key.into(), inner);
    Resp::json(status, json!({ "error": Value::Object(e) }))
}

fn bad_request(st: &Shared, rq: Rq, message: &str) -> Resp {
    graph_error(st, rq, 400, "BadRequest", message)
}

// ---------------------------------------------------------------- HTTP plumbing

/// Response body: whole, or truncated (full length advertised, part sent, then an error
/// that makes hyper close the connection).
pub(crate) struct SimBody {
    data: Option<Bytes>,
    fail: bool,
    hint: u64,
}

impl SimBody {
    fn full(b: Bytes) -> Self {
        let hint = b.len() as u64;
        SimBody {
            data: if b.is_empty() { None } else { Some(b) },
            fail: false,
            hint,
        }
    }
    fn truncated(b: Bytes) -> Self {
        let hint = b.len() as u64;
        let part = b.slice(..b.len() / 2);
        SimBody {
            data: Some(part),
            fail: true,
            hint,
        }
    }
}

impl Body for SimBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(d) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(d))));
        }
        if self.fail {
            self.fail = false;
            return Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "corps tronqué (panne simulée)",
            ))));
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && !self.fail
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.hint)
    }
}

fn to_http(st: &Shared, r: Resp, rq: Rq, truncate: bool, graph: bool) -> Response<SimBody> {
    let bytes = Bytes::from(serde_json::to_vec(&r.body).unwrap_or_default());
    let body = if truncate {
        SimBody::truncated(bytes)
    } else {
        SimBody::full(bytes)
    };
    let mut b = Response::builder().status(r.status);
    let ct = if graph {
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
    } else {
        "application/json; charset=utf-8"
    };
    b = b.header("content-type", ct);
    let rid = request_id(st, rq);
    b = b.header("request-id", rid.as_str());
    b = b.header("client-request-id", rid.as_str());
    for (k, v) in &r.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(body)
        .unwrap_or_else(|_| Response::new(SimBody::full(Bytes::new())))
}

/// Accept loop; stops when `shutdown` flips.
pub(crate) async fn serve(
    listener: TcpListener,
    st: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            acc = listener.accept() => {
                let (stream, _) = match acc {
                    Ok(x) => x,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let st = st.clone();
                let sd = shutdown.clone();
                tokio::spawn(connection(stream, st, sd));
            }
            _ = shutdown.changed() => break,
        }
    }
}

async fn connection(
    stream: tokio::net::TcpStream,
    st: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let (kill_tx, mut kill_rx) = mpsc::channel::<()>(1);
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        let st = st.clone();
        let kill = kill_tx.clone();
        async move { Ok::<_, Infallible>(handle(st, kill, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = &mut conn => {}
        _ = kill_rx.recv() => {}
        _ = shutdown.changed() => {}
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    None,
    F429,
    F503,
    F504,
    Reset,
    Truncate,
}

fn fault_for(st: &Shared, n: u64) -> Fault {
    let f = &st.faults;
    let u = unit(h(st.sc.seed, &[tag::FAULT, n]));
    let mut acc = 0.0;
    for (rate, kind) in [
        (f.http429, Fault::F429),
        (f.http503, Fault::F503),
        (f.http504, Fault::F504),
        (f.reset, Fault::Reset),
        (f.truncate, Fault::Truncate),
    ] {
        acc += rate.max(0.0);
        if u < acc {
            return kind;
        }
    }
    Fault::None
}

fn latency_for(st: &Shared, rq: Rq) -> Duration {
    let (lo, hi) = (st.latency.min_ms, st.latency.max_ms.max(st.latency.min_ms));
    if hi == 0 {
        return Duration::ZERO;
    }
    let ms = hash::range(
        h(st.sc.seed, &[tag::LATENCY, rq.n, rq.j]),
        lo as i64,
        hi as i64,
    );
    Duration::from_secs_f64(ms as f64 / 1000.0 / st.scale)
}

async fn sleep(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

async fn handle(
    st: Arc<Shared>,
    kill: mpsc::Sender<()>,
    req: Request<Incoming>,
) -> Response<SimBody> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    if path.starts_with("/_sim") {
        return sim_endpoint(&st, &parts.method, &path);
    }
    let n = st.seq.fetch_add(1, Ordering::Relaxed);
    st.counters.requests.fetch_add(1, Ordering::Relaxed);
    let rq = Rq { n, j: 0 };
    let graph = path.starts_with("/v1.0") || path.starts_with("/beta");
    let body = match Limited::new(body, 32 << 20).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            let r = bad_request(
                &st,
                rq,
                "Le corps de la requête est illisible ou trop gros.",
            );
            return to_http(&st, r, rq, false, graph);
        }
    };
    let fault = fault_for(&st, n);
    let lat = latency_for(&st, rq);
    match fault {
        Fault::Reset => {
            st.counters.reset.fetch_add(1, Ordering::Relaxed);
            sleep(lat).await;
            let _ = kill.send(()).await;
            std::future::pending::<()>().await;
            return Response::new(SimBody::full(Bytes::new()));
        }
        Fault::F429 => {
            st.counters.f429.fetch_add(1, Ordering::Relaxed);
            sleep(lat).await;
            let x = h(st.sc.seed, &[tag::FAULT, n, 2]);
            let secs = (0.2 + unit(x) * 2.0) / st.scale;
            let r = graph_error(&st, rq, 429, "TooManyRequests", "Too many requests")
                .header("Retry-After", retry_after_value(secs));
            return to_http(&st, r, rq, false, graph);
        }
        Fault::F503 => {
            st.counters.f503.fetch_add(1, Ordering::Relaxed);
            sleep(lat).await;
            let mut r = graph_error(&st, rq, 503, "serviceNotAvailable", "Service Unavailable");
            let x = h(st.sc.seed, &[tag::FAULT, n, 1]);
            if x.is_multiple_of(2) {
                let secs = (1.0 + unit(x) * 4.0) / st.scale;
                r = r.header("Retry-After", retry_after_value(secs));
            }
            return to_http(&st, r, rq, false, graph);
        }
        Fault::F504 => {
            st.counters.f504.fetch_add(1, Ordering::Relaxed);
            sleep(lat).await;
            let r = graph_error(&st, rq, 504, "UnknownError", "Gateway Timeout");
            return to_http(&st, r, rq, false, graph);
        }
        Fault::Truncate => {
            st.counters.truncate.fetch_add(1, Ordering::Relaxed);
        }
        Fault::None => {}
    }
    if let Some(key) = deny_key(&route(&path))
        && st.deny.iter().any(|d| d == key)
    {
        sleep(lat).await;
        let r = graph_error(
            &st,
            rq,
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        );
        return to_http(&st, r, rq, false, graph);
    }
    let target = match parts.uri.query() {
        Some(q) => format!("{}?{}", path, q),
        None => path.clone(),
    };
    let resp = dispatch(
        st.clone(),
        parts.method.clone(),
        target,
        parts.headers.clone(),
        body,
        rq,
    )
    .await;
    to_http(&st, resp, rq, fault == Fault::Truncate, graph)
}

fn sim_endpoint(st: &Arc<Shared>, method: &Method, path: &str) -> Response<SimBody> {
    let rq = Rq { n: u64::MAX, j: 0 };
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let r = match (method, segs.as_slice()) {
        (&Method::GET, ["_sim", "stats"]) => {
            Resp::json(200, serde_json::to_value(st.stats()).unwrap_or(Value::Null))
        }
        (&Method::GET, ["_sim", "day"]) => Resp::json(200, json!({"day": st.day()})),
        (&Method::POST, ["_sim", "day", d]) => match d.parse::<u32>() {
            Ok(d) if d <= super::MAX_DAY => {
                st.day.store(d as i32, Ordering::Relaxed);
                if let Some(cb) = &st.on_day_change {
                    cb(d as i32);
                }
                Resp::json(
                    200,
                    json!({"day": d, "date": st.sc.date(d as i32).format("%Y-%m-%d").to_string()}),
                )
            }
            _ => Resp::json(
                400,
                json!({"error": {"code": "BadRequest", "message": "jour invalide"}}),
            ),
        },
        _ => Resp::json(
            404,
            json!({"error": {"code": "NotFound", "message": "inconnu"}}),
        ),
    };
    to_http(st, r, rq, false, false)
}

// ---------------------------------------------------------------- routing

#[derive(Clone, Debug, PartialEq)]
enum Route {
    Token(String),
    Exchange {
        ver: String,
        tenant: String,
    },
    Batch(String),
    Users(String),
    UsersDelta(String),
    User(String, String),
    Rules(String, String),
    Registration(String),
    SignIns(String),
    Policies(String),
    Locations(String),
    Members {
        ver: String,
        group: String,
        users_only: bool,
    },
    Unknown(String),
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(x), Some(y)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((x * 16 + y) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn route(path: &str) -> Route {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(pct_decode)
        .collect();
    let low: Vec<String> = segs.iter().map(|s| s.to_lowercase()).collect();
    let l: Vec<&str> = low.iter().map(String::as_str).collect();
    let seg = |i: usize| segs.get(i).cloned().unwrap_or_default();
    match l.as_slice() {
        [_, "oauth2", "v2.0", "token"] => Route::Token(seg(0)),
        ["adminapi", v @ ("beta" | "v2.0"), _, "invokecommand"] => Route::Exchange {
            ver: v.to_string(),
            tenant: seg(2),
        },
        [v @ ("v1.0" | "beta"), rest @ ..] => {
            let ver = v.to_string();
            match rest {
                ["$batch"] => Route::Batch(ver),
                ["users"] => Route::Users(ver),
                ["users", "delta" | "delta()"] => Route::UsersDelta(ver),
                ["users", _] => Route::User(ver, seg(2)),
                [
                    "users",
                    _,
                    "mailfolders",
                    "inbox" | "mailfolders('inbox')",
                    "messagerules",
                ] => Route::Rules(ver, seg(2)),
                ["users", _, f, "messagerules"] if f.starts_with("mailfolders('inbox')") => {
                    Route::Rules(ver, seg(2))
                }
                [
                    "reports",
                    "authenticationmethods",
                    "userregistrationdetails",
                ] => Route::Registration(ver),
                ["auditlogs", "signins"] => Route::SignIns(ver),
                ["identity", "conditionalaccess", "policies"] => Route::Policies(ver),
                ["identity", "conditionalaccess", "namedlocations"] => Route::Locations(ver),
                ["groups", _, "transitivemembers"] => Route::Members {
                    ver,
                    group: seg(2),
                    users_only: false,
                },
                ["groups", _, "transitivemembers", "microsoft.graph.user"] => Route::Members {
                    ver,
                    group: seg(2),
                    users_only: true,
                },
                _ => Route::Unknown(rest.last().map(|s| s.to_string()).unwrap_or_default()),
            }
        }
        _ => Route::Unknown(l.last().map(|s| s.to_string()).unwrap_or_default()),
    }
}

fn parse_query(q: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.to_lowercase(), v.into_owned()))
        .collect()
}

/// Runs one request (top level or inside a `$batch`): auth, throttle, latency, handler.
pub(crate) fn dispatch(
    st: Arc<Shared>,
    method: Method,
    target: String,
    headers: HeaderMap,
    body: Bytes,
    rq: Rq,
) -> Pin<Box<dyn std::future::Future<Output = Resp> + Send>> {
    Box::pin(async move {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (target.clone(), String::new()),
        };
        let q = parse_query(&query);
        let r = route(&path);
        let lat = latency_for(&st, rq);
        match &r {
            Route::Token(tenant) => {
                sleep(lat).await;
                if method != Method::POST {
                    return aad_error(
                        &st,
                        rq,
                        405,
                        "invalid_request",
                        900561,
                        "The endpoint only accepts POST requests.",
                    );
                }
                return token_endpoint(&st, rq, tenant, &body);
            }
            Route::Unknown(seg) => {
                sleep(lat).await;
                return bad_request(
                    &st,
                    rq,
                    &format!("Resource not found for the segment '{}'.", seg),
                );
            }
            Route::Batch(ver) => {
                if let Err(e) = check_token(&st, rq, &headers, GRAPH_AUD) {
                    sleep(lat).await;
                    return e;
                }
                if method != Method::POST {
                    return graph_error(&st, rq, 405, "Request_BadRequest", "Method not allowed.");
                }
                return batch(st.clone(), ver.clone(), headers, body, rq).await;
            }
            _ => {}
        }
        let exchange = matches!(r, Route::Exchange { .. });
        let aud = if exchange { EXO_AUD } else { GRAPH_AUD };
        let (class, cost, mailbox) = classify(&st, &r, &q);
        if let Err(e) = check_token(&st, rq, &headers, aud) {
            st.throttle.count_only(class);
            sleep(lat).await;
            return e;
        }
        if !exchange && method != Method::GET {
            st.throttle.count_only(class);
            sleep(lat).await;
            return graph_error(
                &st,
                rq,
                405,
                "Request_BadRequest",
                "Specified HTTP method is not allowed for the request target.",
            );
        }
        let busy_until = Instant::now() + lat;
        match st.throttle.admit(class, cost, mailbox, busy_until) {
            Admission::Throttled { retry_after } => {
                let mut e = graph_error(&st, rq, 429, "TooManyRequests", "Too many requests");
                if let Some(s) = retry_after {
                    e = e.header("Retry-After", retry_after_value(s));
                }
                if class == ThrottleClass::Directory {
                    e = e.header("x-ms-throttle-limit-percentage", "1.0");
                }
                e
            }
            Admission::Admitted { used_fraction } => {
                sleep(lat).await;
                let mut resp = match r {
                    Route::Exchange { ver, tenant } => {
                        exchange_cmd(&st, rq, &method, &ver, &tenant, &q, &headers, &body)
                    }
                    Route::Users(ver) => users(&st, rq, &ver, &q),
                    Route::UsersDelta(ver) => users_delta(&st, rq, &ver, &q),
                    Route::User(ver, id) => user_get(&st, rq, &ver, &id, &q),
                    Route::Rules(ver, id) => message_rules(&st, rq, &ver, &id),
                    Route::Registration(ver) => registration(&st, rq, &ver, &q),
                    Route::SignIns(ver) => sign_ins(&st, rq, &ver, &q),
                    Route::Policies(ver) => policies(&st, &ver),
                    Route::Locations(ver) => locations(&st, &ver),
                    Route::Members {
                        ver,
                        group,
                        users_only,
                    } => members(&st, rq, &ver, &group, users_only, &q),
                    _ => bad_request(&st, rq, "Unsupported request."),
                };
                if class == ThrottleClass::Directory {
                    resp = resp.header("x-ms-resource-unit", cost.to_string());
                    if used_fraction >= 0.8 {
                        resp = resp.header(
                            "x-ms-throttle-limit-percentage",
                            format!("{:.1}", used_fraction),
                        );
                    }
                }
                resp
            }
        }
    })
}

fn classify(
    st: &Shared,
    r: &Route,
    q: &HashMap<String, String>,
) -> (ThrottleClass, u64, Option<u32>) {
    let select = q
        .get("$select")
        .map(|s| s.to_lowercase())
        .unwrap_or_default();
    let dir_cost = if select.is_empty() { 2 } else { 1 };
    match r {
        Route::Users(_) | Route::User(_, _) if select.contains("signinactivity") => {
            (ThrottleClass::SignInActivity, 1, None)
        }
        Route::Users(_) | Route::User(_, _) | Route::UsersDelta(_) | Route::Members { .. } => {
            (ThrottleClass::Directory, dir_cost, None)
        }
        Route::Registration(_) | Route::SignIns(_) => (ThrottleClass::IdentityReports, 1, None),
        Route::Policies(_) | Route::Locations(_) => (ThrottleClass::ConditionalAccess, 1, None),
        Route::Rules(_, id) => {
            let day = st.day();
            (
                ThrottleClass::Outlook,
                1,
                Some(find_user(st, id, day).unwrap_or(u32::MAX)),
            )
        }
        _ => (ThrottleClass::ExchangeAdmin, 1, None),
    }
}

// ---------------------------------------------------------------- tokens

fn entra_error_body(st: &Shared, rq: Rq, error: &str, code: u32, msg: &str) -> Value {
    let trace = request_id(
        st,
        Rq {
            n: rq.n,
            j: rq.j + 1000,
        },
    );
    let corr = request_id(
        st,
        Rq {
            n: rq.n,
            j: rq.j + 2000,
        },
    );
    let stamp = render::sim_clock(&st.sc, st.day())
        .format("%Y-%m-%d %H:%M:%SZ")
        .to_string();
    json!({
        "error": error,
        "error_description": format!("AADSTS{}: {}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}", code, msg, trace, corr, stamp),
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": corr,
        "error_uri": format!("https://login.microsoftonline.com/error?code={}", code),
    })
}

fn aad_error(st: &Shared, rq: Rq, status: u16, error: &str, code: u32, msg: &str) -> Resp {
    Resp::json(status, entra_error_body(st, rq, error, code, msg))
}

const TOKEN_KEY: u64 = 0x0070_CE11;

fn token_endpoint(st: &Shared, rq: Rq, tenant: &str, body: &[u8]) -> Resp {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let t = tenant.to_lowercase();
    if t != st.sc.tenant_id && t != TENANT_DOMAIN {
        return aad_error(
            st,
            rq,
            400,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
                tenant
            ),
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return aad_error(
            st,
            rq,
            400,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type ''.",
        );
    }
    let client = form.get("client_id").cloned().unwrap_or_default();
    if client.to_lowercase() != st.sc.client_id {
        return aad_error(
            st,
            rq,
            400,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                client, TENANT_DOMAIN
            ),
        );
    }
    let scope = form.get("scope").cloned().unwrap_or_default();
    let aud = match scope.as_str() {
        GRAPH_AUD => 1,
        EXO_AUD => 2,
        _ => {
            return aad_error(
                st,
                rq,
                400,
                "invalid_scope",
                1002012,
                &format!(
                    "The provided value for scope {} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
                    scope
                ),
            );
        }
    };
    if let Some(secret) = form.get("client_secret") {
        if *secret != st.secret {
            return aad_error(
                st,
                rq,
                400,
                "invalid_client",
                7000215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                    st.sc.client_id
                ),
            );
        }
    } else if let Some(assertion) = form.get("client_assertion") {
        if form.get("client_assertion_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            return aad_error(
                st,
                rq,
                400,
                "invalid_request",
                700023,
                "Invalid client_assertion_type.",
            );
        }
        if let Err(msg) = check_assertion(st, tenant, assertion) {
            return aad_error(st, rq, 400, "invalid_client", msg.0, &msg.1);
        }
    } else {
        return aad_error(
            st,
            rq,
            400,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    }
    st.counters.tokens.fetch_add(1, Ordering::Relaxed);
    let now = st.now_ms();
    let natural = (NATURAL_LIFETIME / st.scale * 1000.0) as i64;
    let life = match st.faults.token_lifetime_secs {
        Some(s) => ((s / st.scale * 1000.0) as i64).min(natural),
        None => natural,
    };
    let sealed = hash::seal(
        st.sc.seed ^ TOKEN_KEY,
        &[aud, now, now + life, now + natural, rq.n as i64],
    );
    let token = format!(
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIiwic2ltIjp0cnVlfQ.{}.c2lt",
        sealed
    );
    Resp::json(
        200,
        json!({
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": token,
        }),
    )
}

fn check_assertion(st: &Shared, tenant: &str, jwt: &str) -> Result<(), (u32, String)> {
    let malformed = |m: &str| {
        (
            50027u32,
            format!("JWT token is invalid or malformed: {}.", m),
        )
    };
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return Err(malformed("expected three segments"));
    }
    let dec = |s: &str| -> Result<Value, (u32, String)> {
        let b = hash::b64url_decode(s).ok_or_else(|| malformed("segment is not base64url"))?;
        serde_json::from_slice(&b).map_err(|_| malformed("segment is not JSON"))
    };
    let header = dec(parts[0])?;
    let claims = dec(parts[1])?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg != "RS256" && alg != "PS256" {
        return Err(malformed("alg must be RS256 or PS256"));
    }
    if let Some(typ) = header.get("typ").and_then(Value::as_str)
        && !typ.eq_ignore_ascii_case("JWT")
    {
        return Err(malformed("typ must be JWT"));
    }
    if header.get("x5t").is_none() && header.get("x5t#S256").is_none() {
        return Err((
            700027,
            "Client assertion failed signature validation: no x5t or x5t#S256 header.".into(),
        ));
    }
    if parts[2].is_empty() {
        return Err((
            700027,
            "Client assertion failed signature validation.".into(),
        ));
    }
    let s = |k: &str| {
        claims
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let aud = s("aud");
    let ok_aud = [
        format!("{}/{}/oauth2/v2.0/token", st.base_url, tenant),
        format!(
            "https://login.microsoftonline.com/{}/oauth2/v2.0/token",
            tenant
        ),
    ];
    if !ok_aud.iter().any(|a| a.eq_ignore_ascii_case(&aud)) {
        return Err((
            700016,
            format!(
                "Client assertion audience claim does not match Realm issuer: '{}'.",
                aud
            ),
        ));
    }
    if !s("iss").eq_ignore_ascii_case(&st.sc.client_id)
        || !s("sub").eq_ignore_ascii_case(&st.sc.client_id)
    {
        return Err((
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.".into(),
        ));
    }
    if s("jti").is_empty() {
        return Err(malformed("jti is missing"));
    }
    let now = Utc::now().timestamp();
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    let nbf = claims.get("nbf").and_then(Value::as_i64).unwrap_or(now);
    if exp <= now - 300 || nbf > now + 300 || exp - nbf > 24 * 3600 {
        return Err((
            700024,
            "Client assertion is not within its valid time range.".into(),
        ));
    }
    Ok(())
}

fn check_token(st: &Shared, rq: Rq, headers: &HeaderMap, aud: &str) -> Result<(), Resp> {
    let fail = |msg: &str| {
        st.counters.unauthorized.fetch_add(1, Ordering::Relaxed);
        Err(graph_error(st, rq, 401, "InvalidAuthenticationToken", msg)
            .header("WWW-Authenticate", "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\""))
    };
    let raw = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let tok = match raw
        .strip_prefix("Bearer ")
        .or_else(|| raw.strip_prefix("bearer "))
    {
        Some(t) if !t.trim().is_empty() => t.trim(),
        _ => return fail("Access token is empty."),
    };
    let mid = tok.split('.').nth(1).unwrap_or("");
    let w = match hash::unseal(st.sc.seed ^ TOKEN_KEY, mid) {
        Some(w) if w.len() == 5 => w,
        _ => return fail("IDX14100: JWT is not well formed."),
    };
    let want = if aud == GRAPH_AUD { 1 } else { 2 };
    if w[0] != want {
        return fail("Access token validation failure. Invalid audience.");
    }
    let now = st.now_ms();
    if now >= w[2] {
        if now < w[3] {
            st.counters.token_expired.fetch_add(1, Ordering::Relaxed);
        }
        return fail("Lifetime validation failed, the token is expired.");
    }
    Ok(())
}

// ---------------------------------------------------------------- helpers

/// Finds an account by object id or UPN (the UPN path scans: prefer ids).
pub(crate) fn find_user(st: &Shared, key: &str, day: i32) -> Option<u32> {
    if let Some((k, i)) = hash::decode_object_id(st.sc.seed, key) {
        return (k == kind::USER && st.sc.exists(i, day)).then_some(i);
    }
    let want = key.to_lowercase();
    (0..st.sc.accounts).find(|i| {
        st.sc
            .account(*i, day)
            .is_some_and(|a| a.upn.to_lowercase() == want)
    })
}

fn page_token(st: &Shared, words: &[i64]) -> String {
    hash::seal(st.sc.seed, words)
}

fn read_token(
    st: &Shared,
    q: &HashMap<String, String>,
    key: &str,
    kind: i64,
) -> Result<Option<Vec<i64>>, ()> {
    match q.get(key) {
        None => Ok(None),
        Some(t) => match hash::unseal(st.sc.seed, t) {
            Some(w) if w.first() == Some(&kind) => Ok(Some(w)),
            _ => Err(()),
        },
    }
}

/// nextLink: the same request with `$skiptoken` replaced.
fn next_link(
    st: &Shared,
    path: &str,
    q: &HashMap<String, String>,
    key: &str,
    token: &str,
) -> String {
    let mut keys: Vec<&String> = q
        .keys()
        .filter(|k| k.as_str() != "$skiptoken" && k.as_str() != "$deltatoken")
        .collect();
    keys.sort();
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for k in keys {
        ser.append_pair(k, &q[k]);
    }
    ser.append_pair(key, token);
    format!(
        "{}{}?{}",
        st.base_url,
        path,
        ser.finish().replace('+', "%20")
    )
}

fn top(q: &HashMap<String, String>, default: usize, max: usize) -> Result<usize, String> {
    match q.get("$top") {
        None => Ok(default),
        Some(t) => match t.trim().parse::<usize>() {
            Ok(n) if n >= 1 && n <= max => Ok(n),
            _ => Err(format!(
                "Invalid page size specified: '{}'. Must be between 1 and {} inclusive.",
                t, max
            )),
        },
    }
}

fn parse_select(q: &HashMap<String, String>) -> Result<Option<Vec<&'static str>>, String> {
    let s = match q.get("$select") {
        None => return Ok(None),
        Some(s) => s,
    };
    let mut out = Vec::new();
    for f in s.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        match render::USER_FIELDS
            .iter()
            .find(|k| k.eq_ignore_ascii_case(f))
        {
            Some(k) => {
                if !out.contains(k) {
                    out.push(*k)
                }
            }
            None => {
                return Err(format!(
                    "Could not find a property named '{}' on type 'microsoft.graph.user'.",
                    f
                ));
            }
        }
    }
    Ok(Some(out))
}

fn context(st: &Shared, ver: &str, what: &str) -> String {
    format!("{}/{}/$metadata#{}", st.base_url, ver, what)
}

// ---------------------------------------------------------------- users

fn user_fields(sel: &Option<Vec<&'static str>>) -> Vec<&'static str> {
    sel.clone().unwrap_or_else(|| render::USER_DEFAULT.to_vec())
}

fn user_filter(st: &Shared, f: &str, day: i32) -> Result<Vec<u32>, String> {
    let e = filter::parse(f)?;
    let mut set: Option<BTreeSet<u32>> = None;
    let mut preds: Vec<(String, Lit)> = Vec::new();
    for c in filter::conjuncts(e) {
        let ids: Vec<String> = match &c {
            Expr::In { path, values } if path.eq_ignore_ascii_case("id") => {
                if values.len() > 15 {
                    return Err("Too many values in the 'in' operator (15 at most).".into());
                }
                values
                    .iter()
                    .filter_map(|v| match v {
                        Lit::Str(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect()
            }
            Expr::Cmp {
                path,
                op,
                value: Lit::Str(s),
            } if op == "eq" && path.eq_ignore_ascii_case("id") => vec![s.clone()],
            Expr::Cmp { path, op, value }
                if op == "eq"
                    && [
                        "userPrincipalName",
                        "accountEnabled",
                        "userType",
                        "employeeType",
                    ]
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(path)) =>
            {
                preds.push((path.to_lowercase(), value.clone()));
                continue;
            }
            _ => return Err("Unsupported Query.".into()),
        };
        let s: BTreeSet<u32> = ids
            .iter()
            .filter_map(|id| hash::decode_object_id(st.sc.seed, id))
            .filter(|(k, i)| *k == kind::USER && st.sc.exists(*i, day))
            .map(|(_, i)| i)
            .collect();
        set = Some(match set {
            None => s,
            Some(prev) => prev.intersection(&s).copied().collect(),
        });
    }
    let candidates: Vec<u32> = match set {
        Some(s) => s.into_iter().collect(),
        None => {
            if preds.iter().any(|(p, _)| p == "userprincipalname") {
                (0..st.sc.accounts).collect()
            } else {
                return Err("Unsupported Query.".into());
            }
        }
    };
    Ok(candidates
        .into_iter()
        .filter(|i| {
            let a = match st.sc.account(*i, day) {
                Some(a) => a,
                None => return false,
            };
            preds.iter().all(|(p, v)| match (p.as_str(), v) {
                ("userprincipalname", Lit::Str(s)) => a.upn.eq_ignore_ascii_case(s),
                ("accountenabled", Lit::Bool(b)) => a.enabled == *b,
                ("usertype", Lit::Str(s)) => {
                    (if a.guest { "Guest" } else { "Member" }).eq_ignore_ascii_case(s)
                }
                ("employeetype", Lit::Str(s)) => a.employee_type == Some(s.as_str()),
                _ => false,
            })
        })
        .collect())
}

fn users(st: &Shared, rq: Rq, ver: &str, q: &HashMap<String, String>) -> Resp {
    let sel = match parse_select(q) {
        Ok(s) => s,
        Err(m) => return bad_request(st, rq, &m),
    };
    let with_activity = sel.as_ref().is_some_and(|s| s.contains(&"signInActivity"));
    let max = if with_activity { 500 } else { 999 };
    let n = match top(q, 100, max) {
        Ok(n) => n,
        Err(m) => return graph_error(st, rq, 400, "Request_UnsupportedQuery", &m),
    };
    let tok = match read_token(st, q, "$skiptoken", 1) {
        Ok(t) => t,
        Err(()) => {
            return graph_error(
                st,
                rq,
                400,
                "Directory_ExpiredPageToken",
                "The specified page token value has expired and can no longer be included in your request.",
            );
        }
    };
    let (day, mut pos) = match &tok {
        Some(w) if w.len() >= 3 => (w[1] as i32, w[2] as u32),
        _ => (st.day(), 0),
    };
    let fields = user_fields(&sel);
    let ctx_what = match &sel {
        Some(s) => format!("users({})", s.join(",")),
        None => "users".to_string(),
    };
    let mut value = Vec::new();
    let mut next = None;
    if let Some(f) = q.get("$filter") {
        match user_filter(st, f, day) {
            Ok(ids) => {
                for i in ids {
                    if let Some(a) = st.sc.account(i, day) {
                        value.push(render::user(&st.sc, &a, &fields, day));
                    }
                }
            }
            Err(m) => return graph_error(st, rq, 400, "Request_UnsupportedQuery", &m),
        }
    } else {
        while pos < st.sc.accounts {
            if let Some(a) = st.sc.account(pos, day) {
                if value.len() == n {
                    next = Some(pos);
                    break;
                }
                value.push(render::user(&st.sc, &a, &fields, day));
            }
            pos += 1;
        }
    }
    let mut body = Map::new();
    body.insert("@odata.context".into(), json!(context(st, ver, &ctx_what)));
    if let Some(p) = next {
        let t = page_token(st, &[1, day as i64, p as i64]);
        body.insert(
            "@odata.nextLink".into(),
            json!(next_link(
                st,
                &format!("/{}/users", ver),
                q,
                "$skiptoken",
                &t
            )),
        );
    }
    body.insert("value".into(), Value::Array(value));
    Resp::json(200, Value::Object(body))
}

fn user_get(st: &Shared, rq: Rq, ver: &str, id: &str, q: &HashMap<String, String>) -> Resp {
    let sel = match parse_select(q) {
        Ok(s) => s,
        Err(m) => return bad_request(st, rq, &m),
    };
    let day = st.day();
    let acc = match find_user(st, id, day).and_then(|i| st.sc.account(i, day)) {
        Some(a) => a,
        None => {
            return graph_error(
                st,
                rq,
                404,
                "Request_ResourceNotFound",
                &format!(
                    "Resource '{}' does not exist or one of its queried reference-property objects are not present.",
                    id
                ),
            );
        }
    };
    let mut v = render::user(&st.sc, &acc, &user_fields(&sel), day);
    if let Value::Object(m) = &mut v {
        m.insert(
            "@odata.context".into(),
            json!(context(st, ver, "users/$entity")),
        );
    }
    Resp::json(200, v)
}

fn users_delta(st: &Shared, rq: Rq, ver: &str, q: &HashMap<String, String>) -> Resp {
    let sel = match parse_select(q) {
        Ok(s) => s,
        Err(m) => return bad_request(st, rq, &m),
    };
    if sel.as_ref().is_some_and(|s| s.contains(&"signInActivity")) {
        return graph_error(
            st,
            rq,
            400,
            "Request_UnsupportedQuery",
            "signInActivity is not supported with delta.",
        );
    }
    let fields = user_fields(&sel);
    let n = match top(q, 200, 999) {
        Ok(n) => n,
        Err(m) => return graph_error(st, rq, 400, "Request_UnsupportedQuery", &m),
    };
    // Skip token: [2, snapshot day, since day (-1 = full), pos]; delta token: [3, day].
    let skip = read_token(st, q, "$skiptoken", 2);
    let delta = read_token(st, q, "$deltatoken", 3);
    let (day, since, mut pos) = match (skip, delta) {
        (Err(()), _) | (_, Err(())) => {
            return graph_error(
                st,
                rq,
                400,
                "Directory_ExpiredPageToken",
                "The specified page token value has expired and can no longer be included in your request.",
            );
        }
        (Ok(Some(w)), _) if w.len() >= 4 => (w[1] as i32, w[2] as i32, w[3] as u32),
        (_, Ok(Some(w))) if w.len() >= 2 => (st.day(), w[1] as i32, 0),
        _ => (st.day(), -1, 0),
    };
    let mut value = Vec::new();
    let mut next = None;
    while pos < st.sc.accounts {
        if let Some(a) = st.sc.account(pos, day) {
            let now = render::user(&st.sc, &a, &fields, day);
            let changed = if since < 0 {
                true
            } else if since >= day {
                false
            } else {
                match st.sc.account(pos, since) {
                    None => true,
                    Some(b) => render::user(&st.sc, &b, &fields, since) != now,
                }
            };
            if changed {
                if value.len() == n {
                    next = Some(pos);
                    break;
                }
                value.push(now);
            }
        }
        pos += 1;
    }
    let mut body = Map::new();
    body.insert("@odata.context".into(), json!(context(st, ver, "users")));
    let path = format!("/{}/users/delta", ver);
    match next {
        Some(p) => {
            let t = page_token(st, &[2, day as i64, since as i64, p as i64]);
            body.insert(
                "@odata.nextLink".into(),
                json!(next_link(st, &path, q, "$skiptoken", &t)),
            );
        }
        None => {
            let t = page_token(st, &[3, day as i64]);
            body.insert(
                "@odata.deltaLink".into(),
                json!(next_link(st, &path, q, "$deltatoken", &t)),
            );
        }
    }
    body.insert("value".into(), Value::Array(value));
    Resp::json(200, Value::Object(body))
}

// ---------------------------------------------------------------- reports

fn registration(st: &Shared, rq: Rq, ver: &str, q: &HashMap<String, String>) -> Resp {
    if q.contains_key("$select") {
        return bad_request(
            st,
            rq,
            "Query option '$select' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.",
        );
    }
    let mut preds: Vec<(String, Lit)> = Vec::new();
    if let Some(f) = q.get("$filter") {
        let e = match filter::parse(f) {
            Ok(e) => e,
            Err(m) => return bad_request(st, rq, &format!("Invalid filter clause: {}", m)),
        };
        for c in filter::conjuncts(e) {
            match c {
                Expr::Cmp { path, op, value }
                    if op == "eq"
                        && [
                            "isMfaRegistered",
                            "isMfaCapable",
                            "isAdmin",
                            "isSsprRegistered",
                            "userType",
                            "userPrincipalName",
                        ]
                        .iter()
                        .any(|p| p.eq_ignore_ascii_case(&path)) =>
                {
                    preds.push((path.to_lowercase(), value));
                }
                _ => {
                    return bad_request(
                        st,
                        rq,
                        "Invalid filter clause: unsupported property or operator.",
                    );
                }
            }
        }
    }
    let n = match top(q, REGISTRATION_PAGE, 999) {
        Ok(n) => n,
        Err(m) => return bad_request(st, rq, &m),
    };
    let tok = match read_token(st, q, "$skiptoken", 4) {
        Ok(t) => t,
        Err(()) => return bad_request(st, rq, "Invalid skip token."),
    };
    let (day, mut pos) = match &tok {
        Some(w) if w.len() >= 3 => (w[1] as i32, w[2] as u32),
        _ => (st.day(), 0),
    };
    let mut value = Vec::new();
    let mut next = None;
    while pos < st.sc.accounts {
        if let Some(a) = st.sc.account(pos, day)
            && let Some(r) = st.sc.registration(&a, day)
        {
            let v = render::registration(&a, &r);
            let keep = preds.iter().all(|(p, lit)| {
                let got = v
                    .as_object()
                    .and_then(|m| {
                        m.iter()
                            .find(|(k, _)| k.to_lowercase() == *p)
                            .map(|(_, x)| x.clone())
                    })
                    .unwrap_or(Value::Null);
                match lit {
                    Lit::Bool(b) => got == Value::Bool(*b),
                    Lit::Str(s) => got.as_str().is_some_and(|g| g.eq_ignore_ascii_case(s)),
                    _ => false,
                }
            });
            if keep {
                if value.len() == n {
                    next = Some(pos);
                    break;
                }
                value.push(v);
            }
        }
        pos += 1;
    }
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(context(
            st,
            ver,
            "reports/authenticationMethods/userRegistrationDetails"
        )),
    );
    if let Some(p) = next {
        let t = page_token(st, &[4, day as i64, p as i64]);
        body.insert(
            "@odata.nextLink".into(),
            json!(next_link(
                st,
                &format!(
                    "/{}/reports/authenticationMethods/userRegistrationDetails",
                    ver
                ),
                q,
                "$skiptoken",
                &t
            )),
        );
    }
    body.insert("value".into(), Value::Array(value));
    Resp::json(200, Value::Object(body))
}

struct SignInQuery {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    users: Option<BTreeSet<u32>>,
    apps: Option<Vec<String>>,
    interactive: bool,
    non_interactive: bool,
}

fn parse_time(l: &Lit) -> Result<DateTime<Utc>, String> {
    let s = match l {
        Lit::Raw(s) | Lit::Str(s) => s,
        _ => return Err("expected a DateTimeOffset".into()),
    };
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("'{}' is not a valid DateTimeOffset", s))
}

fn sign_in_query(
    st: &Shared,
    ver: &str,
    f: Option<&String>,
    day: i32,
) -> Result<SignInQuery, String> {
    let mut sq = SignInQuery {
        from: None,
        to: None,
        users: None,
        apps: None,
        interactive: true,
        non_interactive: false,
    };
    let f = match f {
        Some(f) => f,
        None => return Ok(sq),
    };
    let e = filter::parse(f)?;
    for c in filter::conjuncts(e) {
        match &c {
            Expr::Cmp { path, op, value } if path.eq_ignore_ascii_case("createdDateTime") => {
                let t = parse_time(value)?;
                match op.as_str() {
                    "ge" => sq.from = Some(sq.from.map_or(t, |x| x.max(t))),
                    "gt" => {
                        let t = t + chrono::Duration::seconds(1);
                        sq.from = Some(sq.from.map_or(t, |x| x.max(t)))
                    }
                    "lt" => sq.to = Some(sq.to.map_or(t, |x| x.min(t))),
                    "le" => {
                        let t = t + chrono::Duration::seconds(1);
                        sq.to = Some(sq.to.map_or(t, |x| x.min(t)))
                    }
                    _ => {
                        return Err(format!(
                            "operator '{}' is not supported on createdDateTime",
                            op
                        ));
                    }
                }
            }
            Expr::Any { path, var, cond } if path.eq_ignore_ascii_case("signInEventTypes") => {
                if ver != "beta" {
                    return Err("Could not find a property named 'signInEventTypes' on type 'microsoft.graph.signIn'.".into());
                }
                let pairs = filter::eq_disjunction(cond, &[var.as_str()])
                    .ok_or("unsupported lambda expression on signInEventTypes")?;
                sq.interactive = false;
                sq.non_interactive = false;
                for (_, v) in pairs {
                    match v.as_str() {
                        "interactiveUser" => sq.interactive = true,
                        "nonInteractiveUser" => sq.non_interactive = true,
                        "servicePrincipal" | "managedIdentity" => {}
                        other => return Err(format!("'{}' is not a valid signInEventType", other)),
                    }
                }
            }
            other => {
                if let Some(pairs) = filter::eq_disjunction(other, &["userId", "userPrincipalName"])
                {
                    if pairs.len() > 15 {
                        return Err("too many userId values (15 at most)".into());
                    }
                    let mut set = BTreeSet::new();
                    for (field, v) in pairs {
                        let found = if field == "userid" {
                            hash::decode_object_id(st.sc.seed, &v)
                                .filter(|(k, _)| *k == kind::USER)
                                .map(|(_, i)| i)
                        } else {
                            find_user(st, &v, day)
                        };
                        if let Some(i) = found {
                            set.insert(i);
                        }
                    }
                    sq.users = Some(match sq.users.take() {
                        None => set,
                        Some(prev) => prev.intersection(&set).copied().collect(),
                    });
                } else if let Some(pairs) =
                    filter::eq_disjunction(other, &["appDisplayName", "appId"])
                {
                    sq.apps = Some(pairs.into_iter().map(|(_, v)| v.to_lowercase()).collect());
                } else if let Expr::In { path, values } = other {
                    if !path.eq_ignore_ascii_case("userId") || values.len() > 15 {
                        return Err("unsupported 'in' clause".into());
                    }
                    let set = values
                        .iter()
                        .filter_map(|v| match v {
                            Lit::Str(s) => hash::decode_object_id(st.sc.seed, s),
                            _ => None,
                        })
                        .filter(|(k, _)| *k == kind::USER)
                        .map(|(_, i)| i)
                        .collect();
                    sq.users = Some(set);
                } else {
                    return Err("unsupported filter clause".into());
                }
            }
        }
    }
    Ok(sq)
}

fn sign_ins(st: &Shared, rq: Rq, ver: &str, q: &HashMap<String, String>) -> Resp {
    let n = match top(q, 1000, 1000) {
        Ok(n) => n,
        Err(m) => return bad_request(st, rq, &m),
    };
    let tok = match read_token(st, q, "$skiptoken", 5) {
        Ok(t) => t,
        Err(()) => return bad_request(st, rq, "Invalid skip token."),
    };
    let (day, mut k, mut offset) = match &tok {
        Some(w) if w.len() >= 4 => (w[1] as i32, w[2] as i32, w[3] as usize),
        _ => (st.day(), i32::MAX, 0),
    };
    let sq = match sign_in_query(st, ver, q.get("$filter"), day) {
        Ok(x) => x,
        Err(m) => return bad_request(st, rq, &format!("Invalid filter clause: {}", m)),
    };
    let sc = &st.sc;
    let oldest = day - 29;
    let mut hi = day;
    if let Some(to) = sq.to {
        hi = hi.min(sc.day_of(to - chrono::Duration::seconds(1)));
    }
    let mut lo = oldest;
    if let Some(from) = sq.from {
        lo = lo.max(sc.day_of(from));
    }
    if k == i32::MAX {
        k = hi;
    }
    let in_window = |s: &SignIn| {
        sq.from.is_none_or(|f| s.time >= f)
            && sq.to.is_none_or(|t| s.time < t)
            && if s.interactive {
                sq.interactive
            } else {
                sq.non_interactive
            }
            && sq.apps.as_ref().is_none_or(|a| {
                a.iter()
                    .any(|x| *x == s.app.name.to_lowercase() || *x == s.app.id)
            })
    };
    let beta = ver == "beta";
    let mut value = Vec::new();
    let mut next = None;
    let users: Vec<u32> = match &sq.users {
        Some(s) => s.iter().copied().collect(),
        None => (0..sc.accounts).collect(),
    };
    while k >= lo && next.is_none() {
        let pol = sc.policies(k);
        // Light index of the day: (time, user, seq), newest first.
        let mut idx: Vec<(i64, u32, u32)> = Vec::new();
        for &u in &users {
            for s in sc.sign_ins(u, k, &pol) {
                if in_window(&s) {
                    idx.push((s.time.timestamp(), s.user, s.seq));
                }
            }
        }
        idx.sort_by(|a, b| b.cmp(a));
        let mut cache: HashMap<u32, (Option<Account>, Vec<SignIn>)> = HashMap::new();
        while offset < idx.len() {
            if value.len() == n {
                next = Some((k, offset));
                break;
            }
            let (_, u, seq) = idx[offset];
            let entry = cache
                .entry(u)
                .or_insert_with(|| (sc.account(u, k), sc.sign_ins(u, k, &pol)));
            if let (Some(acc), Some(s)) = (&entry.0, entry.1.iter().find(|s| s.seq == seq)) {
                value.push(render::sign_in(sc, acc, s, beta));
            }
            offset += 1;
        }
        if next.is_none() {
            k -= 1;
            offset = 0;
        }
    }
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(context(st, ver, "auditLogs/signIns")),
    );
    if let Some((kk, off)) = next {
        let t = page_token(st, &[5, day as i64, kk as i64, off as i64]);
        body.insert(
            "@odata.nextLink".into(),
            json!(next_link(
                st,
                &format!("/{}/auditLogs/signIns", ver),
                q,
                "$skiptoken",
                &t
            )),
        );
    }
    body.insert("value".into(), Value::Array(value));
    Resp::json(200, Value::Object(body))
}

// ---------------------------------------------------------------- policies, groups, rules

fn policies(st: &Shared, ver: &str) -> Resp {
    let day = st.day();
    let v: Vec<Value> = st
        .sc
        .policies(day)
        .iter()
        .map(|p| render::policy(&st.sc, p))
        .collect();
    Resp::json(
        200,
        json!({
            "@odata.context": context(st, ver, "identity/conditionalAccess/policies"),
            "value": v,
        }),
    )
}

fn locations(st: &Shared, ver: &str) -> Resp {
    let day = st.day();
    let v: Vec<Value> = st
        .sc
        .named_locations(day)
        .iter()
        .map(|l| render::named_location(&st.sc, l))
        .collect();
    Resp::json(
        200,
        json!({
            "@odata.context": context(st, ver, "identity/conditionalAccess/namedLocations"),
            "value": v,
        }),
    )
}

fn members(
    st: &Shared,
    rq: Rq,
    ver: &str,
    group: &str,
    users_only: bool,
    q: &HashMap<String, String>,
) -> Resp {
    let g = match hash::decode_object_id(st.sc.seed, group) {
        Some((k, g)) if k == kind::GROUP && (g as usize) < super::scenario::GROUPS.len() => {
            g as usize
        }
        _ => {
            return graph_error(
                st,
                rq,
                404,
                "Request_ResourceNotFound",
                &format!(
                    "Resource '{}' does not exist or one of its queried reference-property objects are not present.",
                    group
                ),
            );
        }
    };
    let n = match top(q, 100, 999) {
        Ok(n) => n,
        Err(m) => return graph_error(st, rq, 400, "Request_UnsupportedQuery", &m),
    };
    let sel = match parse_select(q) {
        Ok(s) => s,
        Err(m) => return bad_request(st, rq, &m),
    };
    let fields = sel.unwrap_or_else(|| vec!["id", "displayName", "userPrincipalName", "mail"]);
    let tok = match read_token(st, q, "$skiptoken", 6) {
        Ok(t) => t,
        Err(()) => {
            return graph_error(
                st,
                rq,
                400,
                "Directory_ExpiredPageToken",
                "The specified page token value has expired and can no longer be included in your request.",
            );
        }
    };
    let (day, mut pos) = match &tok {
        Some(w) if w.len() >= 3 => (w[1] as i32, w[2] as u32),
        _ => (st.day(), 0),
    };
    let mut value = Vec::new();
    if tok.is_none() && !users_only {
        for ng in super::scenario::nested_groups(g) {
            value.push(render::group(&st.sc, *ng));
        }
    }
    let mut next = None;
    while pos < st.sc.accounts {
        if st.sc.member(g, pos, day)
            && let Some(a) = st.sc.account(pos, day)
        {
            if value.len() >= n {
                next = Some(pos);
                break;
            }
            let mut v = render::user(&st.sc, &a, &fields, day);
            if let Value::Object(m) = &mut v {
                let mut o = Map::new();
                o.insert("@odata.type".into(), json!("#microsoft.graph.user"));
                o.extend(std::mem::take(m));
                *m = o;
            }
            value.push(v);
        }
        pos += 1;
    }
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(context(
            st,
            ver,
            if users_only {
                "users"
            } else {
                "directoryObjects"
            }
        )),
    );
    if let Some(p) = next {
        let t = page_token(st, &[6, day as i64, p as i64]);
        let path = if users_only {
            format!(
                "/{}/groups/{}/transitiveMembers/microsoft.graph.user",
                ver, group
            )
        } else {
            format!("/{}/groups/{}/transitiveMembers", ver, group)
        };
        body.insert(
            "@odata.nextLink".into(),
            json!(next_link(st, &path, q, "$skiptoken", &t)),
        );
    }
    body.insert("value".into(), Value::Array(value));
    Resp::json(200, Value::Object(body))
}

fn message_rules(st: &Shared, rq: Rq, ver: &str, id: &str) -> Resp {
    let day = st.day();
    let acc = match find_user(st, id, day).and_then(|i| st.sc.account(i, day)) {
        Some(a) => a,
        None => {
            return graph_error(
                st,
                rq,
                404,
                "ErrorInvalidUser",
                &format!("The requested user '{}' is invalid.", id),
            );
        }
    };
    if !acc.has_mailbox() {
        return graph_error(
            st,
            rq,
            404,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        );
    }
    let v: Vec<Value> = st
        .sc
        .inbox_rules(&acc, day)
        .iter()
        .map(render::message_rule)
        .collect();
    Resp::json(
        200,
        json!({
            "@odata.context": context(st, ver, &format!("users('{}')/mailFolders('inbox')/messageRules", acc.id)),
            "value": v,
        }),
    )
}

// ---------------------------------------------------------------- $batch

async fn batch(st: Arc<Shared>, ver: String, headers: HeaderMap, body: Bytes, rq: Rq) -> Resp {
    st.counters.batches.fetch_add(1, Ordering::Relaxed);
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return bad_request(&st, rq, "Invalid batch payload format."),
    };
    let reqs = match v.get("requests").and_then(Value::as_array) {
        Some(r) => r.clone(),
        None => return bad_request(&st, rq, "Invalid batch payload format."),
    };
    if reqs.is_empty() {
        return bad_request(&st, rq, "Invalid batch payload format.");
    }
    if reqs.len() > 20 {
        return bad_request(
            &st,
            rq,
            "Number of batch request steps exceeds the maximum of 20.",
        );
    }
    let mut ids = BTreeSet::new();
    let mut parsed = Vec::new();
    for r in &reqs {
        let id = match r.get("id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return bad_request(
                    &st,
                    rq,
                    "Invalid batch payload format: every request needs an id.",
                );
            }
        };
        if !ids.insert(id.clone()) {
            return bad_request(&st, rq, "Batch request contains duplicate ids.");
        }
        let method = r.get("method").and_then(Value::as_str).unwrap_or("");
        let url = r.get("url").and_then(Value::as_str).unwrap_or("");
        if method.is_empty() || url.is_empty() {
            return bad_request(
                &st,
                rq,
                "Invalid batch payload format: method and url are required.",
            );
        }
        if url.contains("://") || url.to_lowercase().starts_with("http") {
            return bad_request(
                &st,
                rq,
                "Invalid request url: the url of a batch step must be relative.",
            );
        }
        let m = match Method::from_bytes(method.to_uppercase().as_bytes()) {
            Ok(m) => m,
            Err(_) => return bad_request(&st, rq, "Invalid batch payload format: unknown method."),
        };
        parsed.push((id, m, url.to_string(), r.get("dependsOn").cloned()));
    }
    for (_, _, _, dep) in &parsed {
        if let Some(d) = dep {
            let ok = d.as_array().is_some_and(|a| {
                a.iter()
                    .all(|x| x.as_str().is_some_and(|s| ids.contains(s)))
            });
            if !ok {
                return bad_request(
                    &st,
                    rq,
                    "Invalid dependsOn: referenced request id not found.",
                );
            }
        }
    }
    let mut inner_headers = HeaderMap::new();
    if let Some(a) = headers.get("authorization") {
        inner_headers.insert("authorization", a.clone());
    }
    let mut set = tokio::task::JoinSet::new();
    for (j, (id, m, url, _)) in parsed.into_iter().enumerate() {
        st.counters.batch_requests.fetch_add(1, Ordering::Relaxed);
        let st2 = st.clone();
        let hdrs = inner_headers.clone();
        let target = format!("/{}/{}", ver, url.trim_start_matches('/'));
        let inner = Rq {
            n: rq.n,
            j: j as u64 + 1,
        };
        set.spawn(async move {
            let r = if target.to_lowercase().contains("$batch") {
                bad_request(&st2, inner, "Nested batch requests are not supported.")
            } else {
                dispatch(st2.clone(), m, target, hdrs, Bytes::new(), inner).await
            };
            (j, id, r)
        });
    }
    let mut results = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Ok(x) = r {
            results.push(x);
        }
    }
    // Responses come in any order: a seeded shuffle.
    results.sort_by_key(|(j, _, _)| h(st.sc.seed, &[tag::BATCH, rq.n, *j as u64]));
    let responses: Vec<Value> = results
        .into_iter()
        .map(|(_, id, r)| {
            let mut hd = Map::new();
            hd.insert("Content-Type".into(), json!("application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"));
            for (k, v) in r.headers {
                hd.insert(k, json!(v));
            }
            json!({"id": id, "status": r.status, "headers": Value::Object(hd), "body": r.body})
        })
        .collect();
    Resp::json(200, json!({ "responses": responses }))
}

// ---------------------------------------------------------------- Exchange admin API

const CMDLETS: &[&str] = &[
    "get-mailbox",
    "get-mailcontact",
    "get-remotedomain",
    "get-hostedoutboundspamfilterpolicy",
    "get-transportrule",
    "get-accepteddomain",
];

fn exo_error(status: u16, code: &str, msg: &str) -> Resp {
    Resp::json(
        status,
        json!({"error": {"code": code, "message": msg, "details": [], "innererror": {"message": msg, "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"}}}),
    )
}

#[allow(clippy::too_many_arguments)]
fn exchange_cmd(
    st: &Shared,
    _rq: Rq,
    method: &Method,
    ver: &str,
    tenant: &str,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Resp {
    let t = tenant.to_lowercase();
    if t != st.sc.tenant_id && t != TENANT_DOMAIN {
        return exo_error(
            404,
            "NotFound",
            &format!("Tenant '{}' is not found.", tenant),
        );
    }
    if *method != Method::POST && *method != Method::GET {
        return exo_error(405, "MethodNotAllowed", "Method not allowed.");
    }
    let tok = match read_token(st, q, "$skiptoken", 7) {
        Ok(t) => t,
        Err(()) => return exo_error(400, "BadRequest", "Invalid skip token."),
    };
    // Body (POST): {"CmdletInput":{"CmdletName":..,"Parameters":{..}}}.
    let mut cmdlet: Option<usize> = None;
    let mut result_size: i64 = -1;
    if *method == Method::POST && !body.is_empty() {
        let v: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => return exo_error(400, "BadRequest", "The request body is not valid JSON."),
        };
        let name = v
            .pointer("/CmdletInput/CmdletName")
            .and_then(Value::as_str)
            .unwrap_or("");
        if name.is_empty() {
            return exo_error(400, "BadRequest", "CmdletInput.CmdletName is required.");
        }
        cmdlet = match CMDLETS.iter().position(|c| c.eq_ignore_ascii_case(name)) {
            Some(c) => Some(c),
            None => {
                return exo_error(
                    400,
                    "BadRequest",
                    &format!(
                        "The term '{}' is not recognized as a name of a cmdlet, function, script file, or executable program.",
                        name
                    ),
                );
            }
        };
        if let Some(p) = v.pointer("/CmdletInput/Parameters") {
            if !p.is_object() && !p.is_null() {
                return exo_error(
                    400,
                    "BadRequest",
                    "CmdletInput.Parameters must be an object.",
                );
            }
            match p.get("ResultSize") {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) if s.eq_ignore_ascii_case("unlimited") => {}
                Some(Value::String(s)) => match s.parse::<i64>() {
                    Ok(n) if n > 0 => result_size = n,
                    _ => {
                        return exo_error(
                            400,
                            "BadRequest",
                            &format!(
                                "Cannot process argument transformation on parameter 'ResultSize'. Cannot convert value \"{}\".",
                                s
                            ),
                        );
                    }
                },
                Some(Value::Number(n)) => result_size = n.as_i64().unwrap_or(-1).max(1),
                Some(_) => return exo_error(400, "BadRequest", "Invalid ResultSize."),
            }
        }
    }
    let (day, pos, remaining, token_page) = match &tok {
        Some(w) if w.len() >= 6 => {
            if cmdlet.is_some_and(|c| c as i64 != w[1]) {
                return exo_error(
                    400,
                    "BadRequest",
                    "The skip token belongs to another cmdlet.",
                );
            }
            cmdlet = Some(w[1] as usize);
            (w[2] as i32, w[3] as u32, w[4], Some(w[5] as usize))
        }
        _ => (st.day(), 0, result_size, None),
    };
    let cmd = match cmdlet {
        Some(c) => c,
        None => return exo_error(400, "BadRequest", "CmdletInput is required."),
    };
    let page = headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|p| p.trim().strip_prefix("odata.maxpagesize="))
        .filter_map(|n| n.trim().parse::<usize>().ok())
        .next()
        .or(token_page)
        .unwrap_or(1000)
        .clamp(1, 1000);
    let limit = if remaining > 0 {
        (remaining as usize).min(page)
    } else {
        page
    };
    let sc = &st.sc;
    let mut value = Vec::new();
    let mut next: Option<u32> = None;
    match CMDLETS[cmd] {
        "get-mailbox" | "get-mailcontact" => {
            let contacts = CMDLETS[cmd] == "get-mailcontact";
            let mut i = pos;
            while i < sc.accounts {
                let item = if contacts {
                    sc.contact(i).map(|c| render::mail_contact(sc, &c))
                } else {
                    sc.account(i, day)
                        .filter(|a| a.has_mailbox())
                        .map(|a| render::mailbox(sc, &a, day))
                };
                if let Some(v) = item {
                    if value.len() == limit {
                        next = Some(i);
                        break;
                    }
                    value.push(v);
                }
                i += 1;
            }
        }
        other => {
            let all = render::exchange_small(sc, other, day).unwrap_or_default();
            let start = (pos as usize).min(all.len());
            let end = (start + limit).min(all.len());
            value.extend(all[start..end].iter().cloned());
            if end < all.len() {
                next = Some(end as u32);
            }
        }
    }
    let left = if remaining > 0 {
        remaining - value.len() as i64
    } else {
        -1
    };
    if left == 0 {
        next = None;
    }
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/adminapi/{}/{}/$metadata#Collection(Exchange.GenericHashTable)",
            st.base_url, ver, tenant
        )),
    );
    out.insert(
        "adminapi.warnings@odata.type".into(),
        json!("#Collection(String)"),
    );
    out.insert("adminapi.warnings".into(), json!([]));
    if let Some(p) = next {
        let t = page_token(
            st,
            &[7, cmd as i64, day as i64, p as i64, left, page as i64],
        );
        out.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{}/adminapi/{}/{}/InvokeCommand?$skiptoken={}",
                st.base_url, ver, tenant, t
            )),
        );
    }
    out.insert("value".into(), Value::Array(value));
    Resp::json(200, Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("/v1.0/%24batch"), Route::Batch("v1.0".into()));
        assert_eq!(
            route("/beta/auditLogs/signIns"),
            Route::SignIns("beta".into())
        );
        assert_eq!(
            route("/v1.0/users/abc/mailFolders/inbox/messageRules"),
            Route::Rules("v1.0".into(), "abc".into())
        );
        assert!(matches!(
            route("/adminapi/v2.0/t/InvokeCommand"),
            Route::Exchange { .. }
        ));
        assert!(matches!(route("/v1.0/nope"), Route::Unknown(_)));
        assert_eq!(pct_decode("a%20b%"), "a b%");
    }
}
