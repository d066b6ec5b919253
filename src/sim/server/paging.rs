//! Paging shared by every collection: `$top`, sealed `$skiptoken` / `$deltatoken`, the
//! account scan that fills a page, and the `@odata.nextLink` that resumes it.
//!
//! A page token is a sealed list of integers whose first word names the collection (so a
//! token from one collection is refused by another) and whose next words are its cursor.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{Resp, Rq, Shared, bad_request, graph_error};
use crate::sim::hash;

/// Query parameters, keys lowercased.
pub(super) type Query = HashMap<String, String>;

/// The error envelope of the Exchange admin API (its dialect's, and its router's).
pub(super) fn exo_error(status: u16, code: &str, msg: &str) -> Resp {
    Resp::json(
        status,
        json!({"error": {"code": code, "message": msg, "details": [], "innererror": {"message": msg, "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"}}}),
    )
}

/// How a family answers a bad `$top` or a page token it did not issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dialect {
    /// The directory (users, groups): `Request_UnsupportedQuery`, `Directory_ExpiredPageToken`.
    Directory,
    /// Reports and audit logs: a plain `BadRequest`.
    Reports,
    /// The Exchange admin API and its own error body.
    Exchange,
}

impl Dialect {
    fn bad_top(self, st: &Shared, rq: Rq, message: &str) -> Resp {
        match self {
            Dialect::Directory => graph_error(st, rq, 400, "Request_UnsupportedQuery", message),
            Dialect::Reports => bad_request(st, rq, message),
            Dialect::Exchange => exo_error(400, "BadRequest", message),
        }
    }

    pub(super) fn bad_token(self, st: &Shared, rq: Rq) -> Resp {
        match self {
            Dialect::Directory => graph_error(
                st,
                rq,
                400,
                "Directory_ExpiredPageToken",
                "The specified page token value has expired and can no longer be included in your request.",
            ),
            Dialect::Reports => bad_request(st, rq, "Invalid skip token."),
            Dialect::Exchange => exo_error(400, "BadRequest", "Invalid skip token."),
        }
    }
}

/// `$top`: `default` when absent, an error outside `1..=max`.
pub(super) fn page_size(
    st: &Shared,
    rq: Rq,
    q: &Query,
    default: usize,
    max: usize,
    dialect: Dialect,
) -> Result<usize, Resp> {
    match q.get("$top") {
        None => Ok(default),
        Some(t) => match t.trim().parse::<usize>() {
            Ok(n) if n >= 1 && n <= max => Ok(n),
            _ => Err(dialect.bad_top(
                st,
                rq,
                &format!(
                    "Invalid page size specified: '{}'. Must be between 1 and {} inclusive.",
                    t, max
                ),
            )),
        },
    }
}

/// The words of the page token in query parameter `key` (`$skiptoken`, `$deltatoken`), if
/// any; an error when it was not sealed by this tenant for collection `kind`.
pub(super) fn read_token(
    st: &Shared,
    rq: Rq,
    q: &Query,
    key: &str,
    kind: i64,
    dialect: Dialect,
) -> Result<Option<Vec<i64>>, Resp> {
    match q.get(key) {
        None => Ok(None),
        Some(t) => match hash::unseal(st.sc.seed, t) {
            Some(w) if w.first() == Some(&kind) => Ok(Some(w)),
            _ => Err(dialect.bad_token(st, rq)),
        },
    }
}

/// The cursor `[kind, day, position]` most collections use: where a page resumes, or the
/// current day from the first account.
pub(super) fn day_cursor(st: &Shared, token: &Option<Vec<i64>>) -> (i32, u32) {
    match token {
        Some(w) if w.len() >= 3 => (w[1] as i32, w[2] as u32),
        _ => (st.day(), 0),
    }
}

pub(super) fn seal(st: &Shared, words: &[i64]) -> String {
    hash::seal(st.sc.seed, words)
}

/// Walks account indices from `pos` to `end`, appending what `item` yields, until `size`
/// items are held; returns the index the next page starts at, if the walk stopped early.
pub(super) fn scan(
    value: &mut Vec<Value>,
    mut pos: u32,
    end: u32,
    size: usize,
    mut item: impl FnMut(u32) -> Option<Value>,
) -> Option<u32> {
    while pos < end {
        if let Some(v) = item(pos) {
            if value.len() >= size {
                return Some(pos);
            }
            value.push(v);
        }
        pos += 1;
    }
    None
}

/// The same request with `key` (`$skiptoken` or `$deltatoken`) set to `token`.
pub(super) fn next_link(st: &Shared, path: &str, q: &Query, key: &str, token: &str) -> String {
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

/// The body of a collection page: `@odata.context`, other annotations, the link to the
/// next page (or the delta link), then `value`.
pub(super) struct Collection(Map<String, Value>);

impl Collection {
    pub(super) fn new(context: String) -> Self {
        let mut m = Map::new();
        m.insert("@odata.context".into(), json!(context));
        Collection(m)
    }

    pub(super) fn field(mut self, key: &str, v: Value) -> Self {
        self.0.insert(key.into(), v);
        self
    }

    /// `@odata.nextLink` when there is a next page.
    pub(super) fn next(self, link: Option<String>) -> Self {
        match link {
            Some(l) => self.field("@odata.nextLink", json!(l)),
            None => self,
        }
    }

    pub(super) fn finish(mut self, value: Vec<Value>) -> Resp {
        self.0.insert("value".into(), Value::Array(value));
        Resp::json(200, Value::Object(self.0))
    }
}
