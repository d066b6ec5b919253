//! JSON batching (`POST /v1.0/$batch`): up to 20 requests in one round trip.
//!
//! Graph answers the envelope with 200 when it can parse it, and each inner request with its
//! own status, headers and body, in any order. An inner 429/503/504 is retried by itself,
//! after its own `Retry-After`, in a smaller batch with the other requests still pending;
//! an inner 4xx is returned for that item alone. Every inner request counts in its own
//! throttle class, so the limiter is charged per inner request, not per envelope.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use http::Method;
use serde::Deserialize;
use url::Url;

use super::auth::Audience;
use super::client::{Call, GraphClient, decode};
use super::error::{GraphError, Refused, RequestLabel, classify_refusal};
use super::retry::{RetryPolicy, is_transient, parse_retry_after};
use crate::queries::Query;

/// Graph's maximum number of requests in one batch.
pub const MAX_BATCH: usize = 20;

/// One inner GET request: `url` is relative to the API version, e.g.
/// `/users/{id}/mailFolders/inbox/messageRules`.
#[derive(Debug, Clone)]
pub struct BatchRequest {
    pub id: String,
    pub url: String,
}

/// The outcome of one inner request: its JSON body, or why it failed.
#[derive(Debug)]
pub struct BatchResponse {
    pub id: String,
    pub result: Result<serde_json::Value, GraphError>,
}

#[derive(Deserialize)]
struct Envelope {
    responses: Vec<Inner>,
}

#[derive(Deserialize)]
struct Inner {
    id: String,
    status: u16,
    #[serde(default)]
    headers: HashMap<String, String>,
    #[serde(default)]
    body: serde_json::Value,
}

impl GraphClient {
    /// Sends up to 20 GET requests of one query family through `$batch` and returns one
    /// response per request, in the order given. Transient inner failures are retried up to
    /// the policy's attempts; the envelope itself goes through the normal retries.
    pub async fn batch(
        &self,
        query: &Query,
        requests: Vec<BatchRequest>,
    ) -> Result<Vec<BatchResponse>, GraphError> {
        // A beta query is batched on the beta endpoint (its steps are relative to it).
        let path = if query.path.starts_with("/beta/") {
            "/beta/$batch"
        } else {
            "/v1.0/$batch"
        };
        let url = self.graph_url(path, &[])?;
        let label = RequestLabel {
            query: query.name.clone(),
            path: path.into(),
        };
        if requests.len() > MAX_BATCH {
            return Err(GraphError::BadUrl {
                request: label,
                detail: format!("{} requêtes (20 au plus)", requests.len()),
            });
        }
        let order: Vec<String> = requests.iter().map(|r| r.id.clone()).collect();
        let mut pending: Vec<BatchRequest> = requests;
        let mut done: HashMap<String, Result<serde_json::Value, GraphError>> = HashMap::new();
        let policy = self.settings().retry.clone();
        let mut attempt = 0u32;
        // Inner requests that got a 401 and were sent again with a fresh token.
        let mut renewed: HashSet<String> = HashSet::new();
        while !pending.is_empty() {
            attempt += 1;
            let call = envelope(query, &url, &label, &pending);
            let resp = self.send(&call).await?;
            let env: Envelope = decode(&label, &resp.body)?;
            let mut by_id: HashMap<String, Inner> = env
                .responses
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
            let mut retry: Vec<BatchRequest> = Vec::new();
            let mut wait = Duration::ZERO;
            let mut stale_token = false;
            for req in pending.drain(..) {
                let answer = by_id.remove(&req.id);
                match self.settle(query, &policy, attempt, &req, answer, &mut renewed) {
                    Settled::Done(result) => {
                        done.insert(req.id.clone(), result);
                    }
                    Settled::Renew => {
                        stale_token = true;
                        retry.push(req);
                    }
                    Settled::Retry(after) => {
                        wait = wait.max(after);
                        retry.push(req);
                    }
                }
            }
            if stale_token {
                self.tokens()
                    .invalidate_generation(Audience::Graph, resp.token_generation)
                    .await;
            }
            if !retry.is_empty() {
                tracing::info!(query = %query.name, pending = retry.len(), wait_ms = wait.as_millis() as u64, "lot $batch : nouvel essai des requêtes limitées");
                tokio::time::sleep(wait).await;
            }
            pending = retry;
        }
        Ok(in_order(query, order, done))
    }

    /// What becomes of one inner request after round `attempt`, from its answer (`None`:
    /// Graph left it out of the envelope).
    fn settle(
        &self,
        query: &Query,
        policy: &RetryPolicy,
        attempt: u32,
        req: &BatchRequest,
        answer: Option<Inner>,
        renewed: &mut HashSet<String>,
    ) -> Settled {
        let inner_label = RequestLabel {
            query: query.name.clone(),
            path: strip_query(&req.url),
        };
        match answer {
            Some(r) if (200..300).contains(&r.status) => Settled::Done(Ok(r.body)),
            // The token died early (Graph checks it per inner request too): renew it once
            // for this request.
            Some(r) if r.status == 401 && renewed.insert(req.id.clone()) => Settled::Renew,
            Some(r) if is_transient(r.status) => {
                if r.status == 429 {
                    self.counters_throttled(query);
                }
                if attempt >= policy.max_attempts {
                    return Settled::Done(Err(GraphError::Exhausted {
                        request: inner_label,
                        attempts: attempt,
                        last: format!("HTTP {} dans un lot $batch", r.status),
                        waited: Duration::ZERO,
                    }));
                }
                let ra = header(&r.headers, "retry-after")
                    .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
                Settled::Retry(policy.delay(attempt, ra))
            }
            Some(r) => Settled::Done(Err(refusal(query, inner_label, &r))),
            // Graph left this request out of its answer: send it again.
            None if attempt >= policy.max_attempts => Settled::Done(Err(GraphError::Malformed {
                request: inner_label,
                detail: "réponse absente du lot $batch".into(),
            })),
            None => Settled::Retry(Duration::ZERO),
        }
    }

    fn counters_throttled(&self, query: &Query) {
        self.count_throttled(query.throttle);
    }
}

/// What becomes of one inner request after a round.
enum Settled {
    /// Its answer (a body or a typed error): no more rounds for it.
    Done(Result<serde_json::Value, GraphError>),
    /// Sent again with a fresh token.
    Renew,
    /// Sent again after at least this wait.
    Retry(Duration),
}

/// The envelope of one round: the pending requests, charged one cost each.
fn envelope(query: &Query, url: &Url, label: &RequestLabel, pending: &[BatchRequest]) -> Call {
    let mut call = Call::for_query(query, Method::POST, url.clone());
    call.label = label.clone();
    call.cost = query.cost.max(1) * pending.len() as u32;
    call.body = Some(serde_json::json!({
        "requests": pending.iter().map(|r| serde_json::json!({"id": r.id, "method": "GET", "url": r.url})).collect::<Vec<_>>()
    }));
    call
}

/// The typed error of an inner request the service refused.
fn refusal(query: &Query, request: RequestLabel, r: &Inner) -> GraphError {
    let (code, message) = match r.body.get("error") {
        Some(e) => (
            e.get("code").and_then(|c| c.as_str()).map(String::from),
            e.get("message").and_then(|c| c.as_str()).map(String::from),
        ),
        None => (None, None),
    };
    GraphError::Refused(Box::new(Refused {
        request,
        status: r.status,
        request_id: None,
        refusal: classify_refusal(r.status, code.as_deref()),
        code,
        message,
        permissions: query.permissions.clone(),
        licence: query.licence.clone(),
    }))
}

/// One response per request, in the order given (a request left without an answer is an
/// error, never dropped).
fn in_order(
    query: &Query,
    order: Vec<String>,
    mut done: HashMap<String, Result<serde_json::Value, GraphError>>,
) -> Vec<BatchResponse> {
    order
        .into_iter()
        .map(|id| {
            let result = done.remove(&id).unwrap_or_else(|| {
                Err(GraphError::Malformed {
                    request: RequestLabel {
                        query: query.name.clone(),
                        path: "/v1.0/$batch".into(),
                    },
                    detail: "réponse absente du lot $batch".into(),
                })
            });
            BatchResponse { id, result }
        })
        .collect()
}

fn header<'a>(headers: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}
