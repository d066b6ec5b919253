//! `/groups/{id}/transitiveMembers` (and its `microsoft.graph.user` cast).

use serde_json::{Map, Value, json};

use super::paging::{self, Collection, Dialect, Query};
use super::users::select;
use super::{Resp, Rq, Shared, context, not_found};
use crate::sim::hash::{self, kind};
use crate::sim::render;
use crate::sim::scenario::{GROUPS, nested_groups};

pub(super) fn members(
    st: &Shared,
    rq: Rq,
    ver: &str,
    group: &str,
    users_only: bool,
    q: &Query,
) -> Result<Resp, Resp> {
    let g = match hash::decode_object_id(st.sc.seed, group) {
        Some((k, g)) if k == kind::GROUP && (g as usize) < GROUPS.len() => g as usize,
        _ => return Err(not_found(st, rq, group)),
    };
    let n = paging::page_size(st, rq, q, 100, 999, Dialect::Directory)?;
    let sel = select(st, rq, q)?;
    let fields = sel.unwrap_or_else(|| vec!["id", "displayName", "userPrincipalName", "mail"]);
    let tok = paging::read_token(st, rq, q, "$skiptoken", 6, Dialect::Directory)?;
    let (day, pos) = paging::day_cursor(st, &tok);
    let mut value = Vec::new();
    if tok.is_none() && !users_only {
        for ng in nested_groups(g) {
            value.push(render::group(&st.sc, *ng));
        }
    }
    let next = paging::scan(&mut value, pos, st.sc.accounts, n, |i| {
        if !st.sc.member(g, i, day) {
            return None;
        }
        typed_user(st, i, day, &fields)
    });
    let (what, path) = if users_only {
        (
            "users",
            format!(
                "/{}/groups/{}/transitiveMembers/microsoft.graph.user",
                ver, group
            ),
        )
    } else {
        (
            "directoryObjects",
            format!("/{}/groups/{}/transitiveMembers", ver, group),
        )
    };
    let link = next.map(|p| {
        let t = paging::seal(st, &[6, day as i64, p as i64]);
        paging::next_link(st, &path, q, "$skiptoken", &t)
    });
    Ok(Collection::new(context(st, ver, what))
        .next(link)
        .finish(value))
}

/// Account i as a member of a collection of directory objects: its fields after
/// `"@odata.type": "#microsoft.graph.user"`.
pub(super) fn typed_user(st: &Shared, i: u32, day: i32, fields: &[&str]) -> Option<Value> {
    let mut v = render::user(&st.sc, &st.sc.account(i, day)?, fields, day);
    if let Value::Object(m) = &mut v {
        let mut o = Map::new();
        o.insert("@odata.type".into(), json!("#microsoft.graph.user"));
        o.extend(std::mem::take(m));
        *m = o;
    }
    Some(v)
}
