//! HTTP transport: the accept loop, one hyper connection per client, injected faults
//! (429, 503, 504, reset, truncated body) drawn per request, latency, and the simulator's
//! own `/_sim/*` endpoints.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use super::dispatch::{Route, deny_key, dispatch, route};
use super::latency::{latency_for, sleep};
use super::{Resp, Rq, Shared, bad_request, graph_error, request_id};
use crate::sim::hash::{h, tag, unit};
use crate::sim::throttle::retry_after_value;

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

/// The throttle classes whose response bytes are counted (`SimStats::bytes`).
pub(crate) const BYTE_CLASSES: [&str; 6] = [
    "directory",
    "sign_in_activity",
    "identity_reports",
    "conditional_access",
    "outlook",
    "exchange_admin",
];

/// The class a request's answer is counted in, from its path and query.
fn byte_class(path: &str, query: &str) -> Option<usize> {
    let p = path.to_ascii_lowercase();
    let class = if p.contains("/adminapi/") {
        "exchange_admin"
    } else if p.contains("batch") || p.contains("/messagerules") {
        "outlook"
    } else if p.contains("/auditlogs/") || p.contains("/reports/") {
        "identity_reports"
    } else if p.contains("/identity/conditionalaccess") {
        "conditional_access"
    } else if p.contains("/users") && query.contains("signInActivity") {
        "sign_in_activity"
    } else if p.contains("/users") || p.contains("/groups") {
        "directory"
    } else {
        return None;
    };
    BYTE_CLASSES.iter().position(|c| *c == class)
}

fn to_http(st: &Shared, r: Resp, rq: Rq, truncate: bool, graph: bool) -> Response<SimBody> {
    to_http_sized(st, r, rq, truncate, graph).0
}

/// [`to_http`], and the size of the body.
fn to_http_sized(
    st: &Shared,
    r: Resp,
    rq: Rq,
    truncate: bool,
    graph: bool,
) -> (Response<SimBody>, usize) {
    let bytes = Bytes::from(serde_json::to_vec(&r.body).unwrap_or_default());
    let size = bytes.len();
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
    (
        b.body(body)
            .unwrap_or_else(|_| Response::new(SimBody::full(Bytes::new()))),
        size,
    )
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
    // Security defaults can also be refused alone (`security-defaults`), without the
    // conditional access policies and named locations.
    let alone = matches!(route(&path), Route::SecurityDefaults(_)).then_some("security-defaults");
    if deny_key(&route(&path))
        .into_iter()
        .chain(alone)
        .any(|key| st.deny.iter().any(|d| d == key))
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
    let (out, size) = to_http_sized(&st, resp, rq, fault == Fault::Truncate, graph);
    if let Some(c) = byte_class(&path, parts.uri.query().unwrap_or("")) {
        st.counters.bytes[c].fetch_add(size as u64, Ordering::Relaxed);
    }
    out
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
            Ok(d) if d <= crate::sim::MAX_DAY => {
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
