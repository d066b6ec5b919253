//! `/users`, `/users/{id}` and `/users/delta`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::paging::{self, Collection, Dialect, Query};
use super::{Resp, Rq, Shared, bad_request, context, find_user, not_found};
use crate::sim::filter::{self, Expr, Lit};
use crate::sim::hash::{self, kind};
use crate::sim::render;

/// `$select` on users: the fields asked for, in the order asked, or a 400.
pub(super) fn select(st: &Shared, rq: Rq, q: &Query) -> Result<Option<Vec<&'static str>>, Resp> {
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
                return Err(bad_request(
                    st,
                    rq,
                    &format!(
                        "Could not find a property named '{}' on type 'microsoft.graph.user'.",
                        f
                    ),
                ));
            }
        }
    }
    Ok(Some(out))
}

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

pub(super) fn users(st: &Shared, rq: Rq, ver: &str, q: &Query) -> Result<Resp, Resp> {
    let sel = select(st, rq, q)?;
    let with_activity = sel.as_ref().is_some_and(|s| s.contains(&"signInActivity"));
    let max = if with_activity { 500 } else { 999 };
    let n = paging::page_size(st, rq, q, 100, max, Dialect::Directory)?;
    let tok = paging::read_token(st, rq, q, "$skiptoken", 1, Dialect::Directory)?;
    let (day, pos) = paging::day_cursor(st, &tok);
    let fields = user_fields(&sel);
    let ctx_what = match &sel {
        Some(s) => format!("users({})", s.join(",")),
        None => "users".to_string(),
    };
    let render = |i: u32| {
        st.sc
            .account(i, day)
            .map(|a| render::user(&st.sc, &a, &fields, day))
    };
    let mut value = Vec::new();
    let mut next = None;
    if let Some(f) = q.get("$filter") {
        let ids = user_filter(st, f, day)
            .map_err(|m| super::graph_error(st, rq, 400, "Request_UnsupportedQuery", &m))?;
        value.extend(ids.into_iter().filter_map(render));
    } else {
        next = paging::scan(&mut value, pos, st.sc.accounts, n, render);
    }
    let link = next.map(|p| {
        let t = paging::seal(st, &[1, day as i64, p as i64]);
        paging::next_link(st, &format!("/{}/users", ver), q, "$skiptoken", &t)
    });
    Ok(Collection::new(context(st, ver, &ctx_what))
        .next(link)
        .finish(value))
}

pub(super) fn user_get(st: &Shared, rq: Rq, ver: &str, id: &str, q: &Query) -> Result<Resp, Resp> {
    let sel = select(st, rq, q)?;
    let day = st.day();
    let acc = find_user(st, id, day)
        .and_then(|i| st.sc.account(i, day))
        .ok_or_else(|| not_found(st, rq, id))?;
    let mut v = render::user(&st.sc, &acc, &user_fields(&sel), day);
    if let Value::Object(m) = &mut v {
        m.insert(
            "@odata.context".into(),
            serde_json::json!(context(st, ver, "users/$entity")),
        );
    }
    Ok(Resp::json(200, v))
}

pub(super) fn users_delta(st: &Shared, rq: Rq, ver: &str, q: &Query) -> Result<Resp, Resp> {
    let sel = select(st, rq, q)?;
    if sel.as_ref().is_some_and(|s| s.contains(&"signInActivity")) {
        return Err(super::graph_error(
            st,
            rq,
            400,
            "Request_UnsupportedQuery",
            "signInActivity is not supported with delta.",
        ));
    }
    let fields = user_fields(&sel);
    let n = paging::page_size(st, rq, q, 200, 999, Dialect::Directory)?;
    // Skip token: [2, snapshot day, since day (-1 = full), pos]; delta token: [3, day].
    let skip = paging::read_token(st, rq, q, "$skiptoken", 2, Dialect::Directory)?;
    let delta = paging::read_token(st, rq, q, "$deltatoken", 3, Dialect::Directory)?;
    let (day, since, pos) = match (skip, delta) {
        (Some(w), _) if w.len() >= 4 => (w[1] as i32, w[2] as i32, w[3] as u32),
        (_, Some(w)) if w.len() >= 2 => (st.day(), w[1] as i32, 0),
        _ => (st.day(), -1, 0),
    };
    let mut value = Vec::new();
    let next = paging::scan(&mut value, pos, st.sc.accounts, n, |i| {
        let now = render::user(&st.sc, &st.sc.account(i, day)?, &fields, day);
        let changed = if since < 0 {
            true
        } else if since >= day {
            false
        } else {
            match st.sc.account(i, since) {
                None => true,
                Some(b) => render::user(&st.sc, &b, &fields, since) != now,
            }
        };
        changed.then_some(now)
    });
    let path = format!("/{}/users/delta", ver);
    let c = Collection::new(context(st, ver, "users"));
    let c = match next {
        Some(p) => {
            let t = paging::seal(st, &[2, day as i64, since as i64, p as i64]);
            c.next(Some(paging::next_link(st, &path, q, "$skiptoken", &t)))
        }
        None => {
            let t = paging::seal(st, &[3, day as i64]);
            let link = paging::next_link(st, &path, q, "$deltatoken", &t);
            c.field("@odata.deltaLink", serde_json::json!(link))
        }
    };
    Ok(c.finish(value))
}
