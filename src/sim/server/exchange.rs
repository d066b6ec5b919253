//! The Exchange admin API: `POST /adminapi/{beta,v2.0}/{tenant}/InvokeCommand` with a
//! cmdlet in the body, pages resumed by `GET` on the `@odata.nextLink`.

use http::{HeaderMap, Method};
use serde_json::{Value, json};

use super::paging::{self, Collection, Dialect, Query, exo_error};
use super::{Resp, Rq, Shared};
use crate::sim::render;
use crate::sim::scenario::TENANT_DOMAIN;

const CMDLETS: &[&str] = &[
    "get-mailbox",
    "get-mailcontact",
    "get-remotedomain",
    "get-hostedoutboundspamfilterpolicy",
    "get-transportrule",
    "get-accepteddomain",
];

fn bad(msg: &str) -> Resp {
    exo_error(400, "BadRequest", msg)
}

/// One `InvokeCommand` request as the router hands it over.
pub(super) struct Invoke<'a> {
    pub method: &'a Method,
    pub ver: &'a str,
    pub tenant: &'a str,
    pub q: &'a Query,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// The body of a POST, `{"CmdletInput":{"CmdletName":..,"Parameters":{..}}}`: the cmdlet
/// (index in `CMDLETS`) and `ResultSize` (-1 for unlimited).
fn parse_cmdlet(body: &[u8]) -> Result<(usize, i64), Resp> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| bad("The request body is not valid JSON."))?;
    let name = v
        .pointer("/CmdletInput/CmdletName")
        .and_then(Value::as_str)
        .unwrap_or("");
    if name.is_empty() {
        return Err(bad("CmdletInput.CmdletName is required."));
    }
    let cmdlet = CMDLETS
        .iter()
        .position(|c| c.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            bad(&format!(
                "The term '{}' is not recognized as a name of a cmdlet, function, script file, or executable program.",
                name
            ))
        })?;
    let mut result_size = -1;
    if let Some(p) = v.pointer("/CmdletInput/Parameters") {
        if !p.is_object() && !p.is_null() {
            return Err(bad("CmdletInput.Parameters must be an object."));
        }
        match p.get("ResultSize") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.eq_ignore_ascii_case("unlimited") => {}
            Some(Value::String(s)) => match s.parse::<i64>() {
                Ok(n) if n > 0 => result_size = n,
                _ => {
                    return Err(bad(&format!(
                        "Cannot process argument transformation on parameter 'ResultSize'. Cannot convert value \"{}\".",
                        s
                    )));
                }
            },
            Some(Value::Number(n)) => result_size = n.as_i64().unwrap_or(-1).max(1),
            Some(_) => return Err(bad("Invalid ResultSize.")),
        }
    }
    Ok((cmdlet, result_size))
}

/// `Prefer: odata.maxpagesize=N`, else the page size the token carries, else 1000.
pub(super) fn max_page_size(headers: &HeaderMap, token_page: Option<usize>) -> usize {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|p| p.trim().strip_prefix("odata.maxpagesize="))
        .filter_map(|n| n.trim().parse::<usize>().ok())
        .next()
        .or(token_page)
        .unwrap_or(1000)
        .clamp(1, 1000)
}

/// Up to `limit` objects of cmdlet `cmd` from `pos`; returns where the next page starts.
fn objects(st: &Shared, cmd: usize, day: i32, pos: u32, limit: usize) -> (Vec<Value>, Option<u32>) {
    let sc = &st.sc;
    let mut value = Vec::new();
    let next = match CMDLETS[cmd] {
        "get-mailcontact" => paging::scan(&mut value, pos, sc.accounts, limit, |i| {
            sc.contact(i).map(|c| render::mail_contact(sc, &c))
        }),
        "get-mailbox" => paging::scan(&mut value, pos, sc.accounts, limit, |i| {
            sc.account(i, day)
                .filter(|a| a.has_mailbox())
                .map(|a| render::mailbox(sc, &a, day))
        }),
        other => {
            let all = render::exchange_small(sc, other, day).unwrap_or_default();
            let start = (pos as usize).min(all.len());
            let end = (start + limit).min(all.len());
            value.extend(all[start..end].iter().cloned());
            (end < all.len()).then_some(end as u32)
        }
    };
    (value, next)
}

pub(super) fn exchange_cmd(st: &Shared, rq: Rq, x: Invoke) -> Result<Resp, Resp> {
    let t = x.tenant.to_lowercase();
    if t != st.sc.tenant_id && t != TENANT_DOMAIN {
        return Err(exo_error(
            404,
            "NotFound",
            &format!("Tenant '{}' is not found.", x.tenant),
        ));
    }
    if *x.method != Method::POST && *x.method != Method::GET {
        return Err(exo_error(405, "MethodNotAllowed", "Method not allowed."));
    }
    if let Some(r) = super::exchange_config::intercept(st, &x) {
        return r;
    }
    // Skip token: [7, cmdlet, day, pos, results left (-1 = unlimited), page size].
    let tok = paging::read_token(st, rq, x.q, "$skiptoken", 7, Dialect::Exchange)?;
    let (mut cmdlet, mut result_size) = (None, -1);
    if *x.method == Method::POST && !x.body.is_empty() {
        let (c, r) = parse_cmdlet(x.body)?;
        (cmdlet, result_size) = (Some(c), r);
    }
    let (day, pos, remaining, token_page) = match &tok {
        Some(w) if w.len() >= 6 => {
            if cmdlet.is_some_and(|c| c as i64 != w[1]) {
                return Err(bad("The skip token belongs to another cmdlet."));
            }
            cmdlet = Some(w[1] as usize);
            (w[2] as i32, w[3] as u32, w[4], Some(w[5] as usize))
        }
        _ => (st.day(), 0, result_size, None),
    };
    let cmd = cmdlet.ok_or_else(|| bad("CmdletInput is required."))?;
    let page = max_page_size(x.headers, token_page);
    let limit = if remaining > 0 {
        (remaining as usize).min(page)
    } else {
        page
    };
    let (value, mut next) = objects(st, cmd, day, pos, limit);
    let left = if remaining > 0 {
        remaining - value.len() as i64
    } else {
        -1
    };
    if left == 0 {
        next = None;
    }
    let base = format!("{}/adminapi/{}/{}", st.base_url, x.ver, x.tenant);
    let link = next.map(|p| {
        let t = paging::seal(
            st,
            &[7, cmd as i64, day as i64, p as i64, left, page as i64],
        );
        format!("{}/InvokeCommand?$skiptoken={}", base, t)
    });
    Ok(Collection::new(format!(
        "{}/$metadata#Collection(Exchange.GenericHashTable)",
        base
    ))
    .field("adminapi.warnings@odata.type", json!("#Collection(String)"))
    .field("adminapi.warnings", json!([]))
    .next(link)
    .finish(value))
}
