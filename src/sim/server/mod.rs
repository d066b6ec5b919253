//! The HTTP side: one loopback listener serving the token endpoint, Graph (`/v1.0`,
//! `/beta`), the Exchange admin API (`/adminapi/{beta,v2.0}/{tenant}/InvokeCommand`) and
//! the simulator's own `/_sim/*` endpoints, with throttling, latency and injected faults.
//!
//! `transport` speaks HTTP (accept loop, faults, bodies), `dispatch` routes a request
//! through authentication and throttling to one file per endpoint family; `paging` holds
//! the `$top` / `$skiptoken` handling every collection shares.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::Instant;

use serde_json::{Map, Value, json};

use super::hash::{self, h, kind, tag};
use super::render::{self, ts};
use super::scenario::Scenario;
use super::simconfig::PrintedConfig;
use super::throttle::Throttle;
use super::{FaultRates, FaultStats, Latency, SimStats};

mod admin_units;
mod batch;
mod conditional_access;
mod dispatch;
mod exchange;
mod exchange_config;
mod groups;
mod intune;
mod latency;
mod mail_rules;
mod paging;
mod per_user_mfa;
mod recipients;
mod reports;
mod roles;
mod signins;
mod token;
mod transport;
mod users;

pub(crate) use transport::serve;

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
    /// Response bytes per throttle class, in the order of [`transport::BYTE_CLASSES`].
    pub bytes: [AtomicU64; 6],
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
            bytes: transport::BYTE_CLASSES
                .iter()
                .zip(&c.bytes)
                .map(|(k, v)| (k.to_string(), l(v)))
                .collect(),
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

/// 404 for a directory object (user, group) that does not exist.
fn not_found(st: &Shared, rq: Rq, id: &str) -> Resp {
    graph_error(
        st,
        rq,
        404,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{}' does not exist or one of its queried reference-property objects are not present.",
            id
        ),
    )
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

/// The `@odata.context` of a Graph answer.
fn context(st: &Shared, ver: &str, what: &str) -> String {
    format!("{}/{}/$metadata#{}", st.base_url, ver, what)
}
