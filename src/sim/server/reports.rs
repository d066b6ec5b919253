//! `/reports/authenticationMethods/userRegistrationDetails`.

use serde_json::Value;

use super::paging::{self, Collection, Dialect, Query};
use super::{Resp, Rq, Shared, bad_request, context};
use crate::sim::filter::{self, Expr, Lit};
use crate::sim::render;

/// Page size of userRegistrationDetails: deliberately not a round number.
const REGISTRATION_PAGE: usize = 487;

const FILTERABLE: [&str; 6] = [
    "isMfaRegistered",
    "isMfaCapable",
    "isAdmin",
    "isSsprRegistered",
    "userType",
    "userPrincipalName",
];

/// `$filter`: a conjunction of `eq` on the filterable properties, names lowercased.
fn predicates(st: &Shared, rq: Rq, q: &Query) -> Result<Vec<(String, Lit)>, Resp> {
    let mut preds = Vec::new();
    let Some(f) = q.get("$filter") else {
        return Ok(preds);
    };
    let e = filter::parse(f)
        .map_err(|m| bad_request(st, rq, &format!("Invalid filter clause: {}", m)))?;
    for c in filter::conjuncts(e) {
        match c {
            Expr::Cmp { path, op, value }
                if op == "eq" && FILTERABLE.iter().any(|p| p.eq_ignore_ascii_case(&path)) =>
            {
                preds.push((path.to_lowercase(), value));
            }
            _ => {
                return Err(bad_request(
                    st,
                    rq,
                    "Invalid filter clause: unsupported property or operator.",
                ));
            }
        }
    }
    Ok(preds)
}

fn matches(v: &Value, preds: &[(String, Lit)]) -> bool {
    preds.iter().all(|(p, lit)| {
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
    })
}

pub(super) fn registration(st: &Shared, rq: Rq, ver: &str, q: &Query) -> Result<Resp, Resp> {
    if q.contains_key("$select") {
        return Err(bad_request(
            st,
            rq,
            "Query option '$select' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.",
        ));
    }
    let preds = predicates(st, rq, q)?;
    let n = paging::page_size(st, rq, q, REGISTRATION_PAGE, 999, Dialect::Reports)?;
    let tok = paging::read_token(st, rq, q, "$skiptoken", 4, Dialect::Reports)?;
    let (day, pos) = paging::day_cursor(st, &tok);
    let mut value = Vec::new();
    let next = paging::scan(&mut value, pos, st.sc.accounts, n, |i| {
        let a = st.sc.account(i, day)?;
        let v = render::registration(&a, &st.sc.registration(&a, day)?);
        matches(&v, &preds).then_some(v)
    });
    let what = "reports/authenticationMethods/userRegistrationDetails";
    let link = next.map(|p| {
        let t = paging::seal(st, &[4, day as i64, p as i64]);
        paging::next_link(st, &format!("/{}/{}", ver, what), q, "$skiptoken", &t)
    });
    Ok(Collection::new(context(st, ver, what))
        .next(link)
        .finish(value))
}
