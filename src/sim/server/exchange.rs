//! The Exchange admin API: `POST /adminapi/{beta,v2.0}/{tenant}/InvokeCommand` with a
//! cmdlet in the body, pages resumed by `GET` on the `@odata.nextLink`.

use http::{HeaderMap, Method};
use serde_json::{Value, json};

use super::paging::{self, Collection, Dialect, Query, exo_error};
use super::recipients;
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
    "get-mailuser",
    "get-distributiongroupmember",
    "get-hostedoutboundspamfilterrule",
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

/// What a POST asks for: the cmdlet (index in `CMDLETS`), `ResultSize` (-1 for unlimited),
/// the `Filter` of Get-Mailbox (a mask of [`recipients::FILTER_CLAUSES`], 0: none) and the
/// `Identity` of Get-DistributionGroupMember (group index + 1, 0: none).
struct Cmdlet {
    index: usize,
    result_size: i64,
    filter: i64,
    identity: i64,
}

/// The body of a POST, `{"CmdletInput":{"CmdletName":..,"Parameters":{..}}}`.
fn parse_cmdlet(st: &Shared, body: &[u8]) -> Result<Cmdlet, Resp> {
    let (index, result_size) = parse_name_and_size(body)?;
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let param = |k: &str| {
        v.pointer("/CmdletInput/Parameters")
            .and_then(|p| p.get(k))
            .and_then(Value::as_str)
    };
    let filter = match param("Filter") {
        Some(f) => recipients::parse_filter(f)?,
        None => 0,
    };
    let identity = match (CMDLETS[index], param("Identity")) {
        ("get-distributiongroupmember", Some(id)) => recipients::group_index(&st.sc, id)? + 1,
        ("get-distributiongroupmember", None) => {
            return Err(bad(
                "Cannot process command because of one or more missing mandatory parameters: Identity.",
            ));
        }
        _ => 0,
    };
    Ok(Cmdlet {
        index,
        result_size,
        filter,
        identity,
    })
}

fn parse_name_and_size(body: &[u8]) -> Result<(usize, i64), Resp> {
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
fn objects(st: &Shared, c: &Cmdlet, day: i32, pos: u32, limit: usize) -> (Vec<Value>, Option<u32>) {
    let (cmd, filter) = (c.index, c.filter);
    let sc = &st.sc;
    let mut value = Vec::new();
    let next = match CMDLETS[cmd] {
        "get-mailcontact" => paging::scan(&mut value, pos, sc.accounts, limit, |i| {
            sc.contact(i).map(|c| render::mail_contact(sc, &c))
        }),
        "get-mailbox" => paging::scan(&mut value, pos, sc.accounts, limit, |i| {
            sc.account(i, day)
                .filter(|a| a.has_mailbox())
                .filter(|a| recipients::mailbox_matches(sc, a, day, filter))
                .map(|a| render::mailbox(sc, &a, day))
        }),
        other => {
            let all = recipients::objects(sc, other, day, c.identity)
                .or_else(|| render::exchange_small(sc, other, day))
                .unwrap_or_default();
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
    // Skip token: [7, cmdlet, day, pos, results left (-1 = unlimited), page size, filter,
    // identity].
    let tok = paging::read_token(st, rq, x.q, "$skiptoken", 7, Dialect::Exchange)?;
    let mut cmdlet: Option<Cmdlet> = None;
    if *x.method == Method::POST && !x.body.is_empty() {
        cmdlet = Some(parse_cmdlet(st, x.body)?);
    }
    let result_size = cmdlet.as_ref().map_or(-1, |c| c.result_size);
    let (day, pos, remaining, token_page) = match &tok {
        Some(w) if w.len() >= 6 => {
            if cmdlet.as_ref().is_some_and(|c| c.index as i64 != w[1]) {
                return Err(bad("The skip token belongs to another cmdlet."));
            }
            cmdlet = Some(Cmdlet {
                index: w[1] as usize,
                result_size: w[4],
                filter: w.get(6).copied().unwrap_or(0),
                identity: w.get(7).copied().unwrap_or(0),
            });
            (w[2] as i32, w[3] as u32, w[4], Some(w[5] as usize))
        }
        _ => (st.day(), 0, result_size, None),
    };
    let c = cmdlet.ok_or_else(|| bad("CmdletInput is required."))?;
    let cmd = c.index;
    // One cmdlet refused (`deny` = `exchange:get-mailuser`), as without its Exchange role.
    if st.deny.iter().any(|d| {
        d.strip_prefix("exchange:")
            .is_some_and(|x| x.eq_ignore_ascii_case(CMDLETS[cmd]))
    }) {
        return Err(exo_error(
            403,
            "Forbidden",
            &format!(
                "The user isn't assigned a role that allows the cmdlet '{}'.",
                CMDLETS[cmd]
            ),
        ));
    }
    let page = max_page_size(x.headers, token_page);
    let limit = if remaining > 0 {
        (remaining as usize).min(page)
    } else {
        page
    };
    let (value, mut next) = objects(st, &c, day, pos, limit);
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
            &[
                7,
                cmd as i64,
                day as i64,
                p as i64,
                left,
                page as i64,
                c.filter,
                c.identity,
            ],
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
