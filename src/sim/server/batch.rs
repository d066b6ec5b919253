//! `/$batch`: up to 20 steps run concurrently through the router's dispatcher (handed in
//! by the router, as a [`Dispatch`]), answered in a seeded order.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::{Map, Value, json};

use super::{Resp, Rq, Shared, bad_request};
use crate::sim::hash::{h, tag};

/// Runs one request through authentication, the throttle and latency to its handler: the
/// router's `dispatch`, which runs each step of a batch.
pub(super) type Dispatch = fn(
    Arc<Shared>,
    Method,
    String,
    HeaderMap,
    Bytes,
    Rq,
) -> Pin<Box<dyn Future<Output = Resp> + Send>>;

/// The steps of a batch payload as `(id, method, url)`, or the message of the 400 that
/// refuses the payload.
fn parse_steps(body: &[u8]) -> Result<Vec<(String, Method, String)>, &'static str> {
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => return Err("Invalid batch payload format."),
    };
    let reqs = match v.get("requests").and_then(Value::as_array) {
        Some(r) => r.clone(),
        None => return Err("Invalid batch payload format."),
    };
    if reqs.is_empty() {
        return Err("Invalid batch payload format.");
    }
    if reqs.len() > 20 {
        return Err("Number of batch request steps exceeds the maximum of 20.");
    }
    let mut ids = BTreeSet::new();
    let mut parsed = Vec::new();
    for r in &reqs {
        let id = match r.get("id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err("Invalid batch payload format: every request needs an id.");
            }
        };
        if !ids.insert(id.clone()) {
            return Err("Batch request contains duplicate ids.");
        }
        let method = r.get("method").and_then(Value::as_str).unwrap_or("");
        let url = r.get("url").and_then(Value::as_str).unwrap_or("");
        if method.is_empty() || url.is_empty() {
            return Err("Invalid batch payload format: method and url are required.");
        }
        if url.contains("://") || url.to_lowercase().starts_with("http") {
            return Err("Invalid request url: the url of a batch step must be relative.");
        }
        let m = match Method::from_bytes(method.to_uppercase().as_bytes()) {
            Ok(m) => m,
            Err(_) => return Err("Invalid batch payload format: unknown method."),
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
                return Err("Invalid dependsOn: referenced request id not found.");
            }
        }
    }
    Ok(parsed
        .into_iter()
        .map(|(id, m, url, _)| (id, m, url))
        .collect())
}

pub(super) async fn batch(
    st: Arc<Shared>,
    ver: String,
    headers: HeaderMap,
    body: Bytes,
    rq: Rq,
    dispatch: Dispatch,
) -> Resp {
    st.counters.batches.fetch_add(1, Ordering::Relaxed);
    let parsed = match parse_steps(&body) {
        Ok(p) => p,
        Err(m) => return bad_request(&st, rq, m),
    };
    let mut inner_headers = HeaderMap::new();
    if let Some(a) = headers.get("authorization") {
        inner_headers.insert("authorization", a.clone());
    }
    let mut set = tokio::task::JoinSet::new();
    for (j, (id, m, url)) in parsed.into_iter().enumerate() {
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
            } else if refused(&st2, &target) {
                super::graph_error(
                    &st2,
                    inner,
                    403,
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                )
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

/// A step of a source the simulator refuses (`SimOptions::deny`) is answered 403 inside the
/// batch, as Graph answers each step with its own status.
fn refused(st: &Shared, target: &str) -> bool {
    let path = target.split('?').next().unwrap_or(target);
    super::dispatch::deny_key(&super::dispatch::route(path))
        .is_some_and(|key| st.deny.iter().any(|d| d == key))
}
