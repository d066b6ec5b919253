//! `/directory/administrativeUnits` (with `$filter=displayName eq '…'` or `id eq '…'`,
//! `$select`, paging), one unit by id, and `/directory/administrativeUnits/{id}/members` (and its
//! `microsoft.graph.user` cast). A single-establishment tenant has no administrative unit:
//! the list is empty and every id is unknown (404).

use serde_json::{Map, Value, json};

use super::groups::typed_user;
use super::paging::{self, Collection, Dialect, Query};
use super::users::select;
use super::{Resp, Rq, Shared, bad_request, context, not_found};
use crate::sim::filter::{self, Expr, Lit};
use crate::sim::hash::{self, kind};
use crate::sim::scenario::Establishment;

/// Properties of `microsoft.graph.administrativeUnit` the simulator serves.
const UNIT_FIELDS: &[&str] = &[
    "id",
    "deletedDateTime",
    "displayName",
    "description",
    "isMemberManagementRestricted",
    "membershipRule",
    "membershipRuleProcessingState",
    "membershipType",
    "visibility",
];

/// Page token kinds: the list and the members.
const TOKEN_LIST: i64 = 12;
const TOKEN_MEMBERS: i64 = 13;

fn unit_json(st: &Shared, e: &Establishment, fields: &[&str]) -> Value {
    let mut m = Map::new();
    for f in fields {
        let v = match *f {
            "id" => json!(hash::object_id(
                st.sc.seed,
                kind::ADMIN_UNIT,
                e.index as u32
            )),
            "displayName" => json!(e.unit_name()),
            "description" => json!(format!("Comptes de l'établissement {}", e.name)),
            "isMemberManagementRestricted" => json!(false),
            "membershipType" => json!("Assigned"),
            _ => Value::Null,
        };
        m.insert((*f).to_string(), v);
    }
    Value::Object(m)
}

fn unit_select(st: &Shared, rq: Rq, q: &Query) -> Result<Vec<&'static str>, Resp> {
    let Some(s) = q.get("$select") else {
        return Ok(UNIT_FIELDS.to_vec());
    };
    let mut out = Vec::new();
    for f in s.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        match UNIT_FIELDS.iter().find(|k| k.eq_ignore_ascii_case(f)) {
            Some(k) if !out.contains(k) => out.push(*k),
            Some(_) => {}
            None => {
                return Err(bad_request(
                    st,
                    rq,
                    &format!(
                        "Could not find a property named '{f}' on type 'microsoft.graph.administrativeUnit'."
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// Whether a unit passes `$filter` (`displayName eq`, `id eq`, joined by `or` / `and`).
fn unit_filter(st: &Shared, f: &str) -> Result<Vec<usize>, String> {
    let e = filter::parse(f)?;
    let mut keep: Vec<usize> = (0..st.sc.establishments.len()).collect();
    for c in filter::conjuncts(e) {
        let pairs = match &c {
            Expr::In { path, values } if path.eq_ignore_ascii_case("id") => values
                .iter()
                .filter_map(|v| match v {
                    Lit::Str(s) => Some(("id".to_string(), s.clone())),
                    _ => None,
                })
                .collect(),
            _ => filter::eq_disjunction(&c, &["displayName", "id"])
                .ok_or_else(|| "Unsupported Query.".to_string())?,
        };
        keep.retain(|i| {
            let est = &st.sc.establishments[*i];
            let id = hash::object_id(st.sc.seed, kind::ADMIN_UNIT, *i as u32);
            pairs.iter().any(|(p, v)| match p.as_str() {
                "id" => id.eq_ignore_ascii_case(v),
                // Graph compares display names case-insensitively.
                _ => est.unit_name().to_lowercase() == v.to_lowercase(),
            })
        });
    }
    Ok(keep)
}

/// `GET /directory/administrativeUnits`.
pub(super) fn units(st: &Shared, rq: Rq, ver: &str, q: &Query) -> Result<Resp, Resp> {
    let n = paging::page_size(st, rq, q, 100, 999, Dialect::Directory)?;
    let fields = unit_select(st, rq, q)?;
    let chosen = match q.get("$filter") {
        Some(f) => unit_filter(st, f).map_err(|m| bad_request(st, rq, &m))?,
        None => (0..st.sc.establishments.len()).collect(),
    };
    let tok = paging::read_token(st, rq, q, "$skiptoken", TOKEN_LIST, Dialect::Directory)?;
    let start = tok
        .as_ref()
        .and_then(|w| w.get(1))
        .map(|p| *p as usize)
        .unwrap_or(0);
    let value: Vec<Value> = chosen
        .iter()
        .skip(start)
        .take(n)
        .map(|i| unit_json(st, &st.sc.establishments[*i], &fields))
        .collect();
    let next = (start + n < chosen.len()).then(|| {
        let t = paging::seal(st, &[TOKEN_LIST, (start + n) as i64]);
        paging::next_link(
            st,
            &format!("/{ver}/directory/administrativeUnits"),
            q,
            "$skiptoken",
            &t,
        )
    });
    Ok(
        Collection::new(context(st, ver, "directory/administrativeUnits"))
            .next(next)
            .finish(value),
    )
}

/// `GET /directory/administrativeUnits/{id}`: one unit (404 for an id no unit has).
pub(super) fn unit(st: &Shared, rq: Rq, ver: &str, unit: &str, q: &Query) -> Result<Resp, Resp> {
    let e = unit_index(st, unit).ok_or_else(|| not_found(st, rq, unit))?;
    let fields = unit_select(st, rq, q)?;
    let mut v = unit_json(st, &st.sc.establishments[e], &fields);
    if let Value::Object(m) = &mut v {
        m.insert(
            "@odata.context".into(),
            json!(context(st, ver, "directory/administrativeUnits/$entity")),
        );
    }
    Ok(Resp::json(200, v))
}

/// The establishment whose administrative unit has that id.
fn unit_index(st: &Shared, unit: &str) -> Option<usize> {
    match hash::decode_object_id(st.sc.seed, unit) {
        Some((k, e)) if k == kind::ADMIN_UNIT && (e as usize) < st.sc.establishments.len() => {
            Some(e as usize)
        }
        _ => None,
    }
}

/// `GET /directory/administrativeUnits/{id}/members[/microsoft.graph.user]`.
pub(super) fn members(
    st: &Shared,
    rq: Rq,
    ver: &str,
    unit: &str,
    users_only: bool,
    q: &Query,
) -> Result<Resp, Resp> {
    let e = unit_index(st, unit).ok_or_else(|| not_found(st, rq, unit))?;
    let n = paging::page_size(st, rq, q, 100, 999, Dialect::Directory)?;
    let sel = select(st, rq, q)?;
    let fields = sel.unwrap_or_else(|| vec!["id", "displayName", "userPrincipalName", "mail"]);
    let tok = paging::read_token(st, rq, q, "$skiptoken", TOKEN_MEMBERS, Dialect::Directory)?;
    if tok.as_ref().is_some_and(|w| w.get(3) != Some(&(e as i64))) {
        return Err(Dialect::Directory.bad_token(st, rq));
    }
    let (day, pos) = paging::day_cursor(st, &tok);
    let mut value = Vec::new();
    let next = paging::scan(&mut value, pos, st.sc.accounts, n, |i| {
        if !st.sc.unit_member(e, i, day) {
            return None;
        }
        typed_user(st, i, day, &fields)
    });
    let (what, path) = if users_only {
        (
            "users",
            format!("/{ver}/directory/administrativeUnits/{unit}/members/microsoft.graph.user"),
        )
    } else {
        (
            "directoryObjects",
            format!("/{ver}/directory/administrativeUnits/{unit}/members"),
        )
    };
    let link = next.map(|p| {
        let t = paging::seal(st, &[TOKEN_MEMBERS, day as i64, p as i64, e as i64]);
        paging::next_link(st, &path, q, "$skiptoken", &t)
    });
    Ok(Collection::new(context(st, ver, what))
        .next(link)
        .finish(value))
}
