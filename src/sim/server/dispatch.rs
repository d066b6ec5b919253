//! Routing: a path becomes a `Route`; `dispatch` runs one request (top level or a
//! `$batch` step) through authentication, the throttle and latency to its handler.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, Method};

use super::admin_units;
use super::batch::batch;
use super::conditional_access::{locations, policies, security_defaults};
use super::exchange::{Invoke, exchange_cmd};
use super::groups::members;
use super::intune::managed_devices;
use super::latency::{latency_for, sleep};
use super::mail_rules::message_rules;
use super::paging::Query;
use super::per_user_mfa::per_user_mfa;
use super::reports::registration;
use super::roles::role_assignments;
use super::signins::sign_ins;
use super::token::{EXO_AUD, GRAPH_AUD, aad_error, check_token, token_endpoint};
use super::users::{user_get, users, users_delta};
use super::{Resp, Rq, Shared, bad_request, find_user, graph_error};
use crate::sim::throttle::{Admission, ThrottleClass, retry_after_value};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Route {
    Token(String),
    Exchange {
        ver: String,
        tenant: String,
    },
    Batch(String),
    Users(String),
    UsersDelta(String),
    User(String, String),
    Rules(String, String),
    Registration(String),
    SignIns(String),
    Policies(String),
    Locations(String),
    Members {
        ver: String,
        group: String,
        users_only: bool,
    },
    ManagedDevices(String),
    RoleAssignments(String),
    SecurityDefaults(String),
    PerUserMfa(String, String),
    AdminUnits(String),
    AdminUnit(String, String),
    AdminUnitMembers {
        ver: String,
        unit: String,
        users_only: bool,
    },
    Unknown(String),
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(x), Some(y)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((x * 16 + y) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) fn route(path: &str) -> Route {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(pct_decode)
        .collect();
    let low: Vec<String> = segs.iter().map(|s| s.to_lowercase()).collect();
    let l: Vec<&str> = low.iter().map(String::as_str).collect();
    let seg = |i: usize| segs.get(i).cloned().unwrap_or_default();
    match l.as_slice() {
        [_, "oauth2", "v2.0", "token"] => Route::Token(seg(0)),
        ["adminapi", v @ ("beta" | "v2.0"), _, "invokecommand"] => Route::Exchange {
            ver: v.to_string(),
            tenant: seg(2),
        },
        [v @ ("v1.0" | "beta"), rest @ ..] => {
            let ver = v.to_string();
            match rest {
                ["$batch"] => Route::Batch(ver),
                ["users"] => Route::Users(ver),
                ["users", "delta" | "delta()"] => Route::UsersDelta(ver),
                ["users", _] => Route::User(ver, seg(2)),
                [
                    "users",
                    _,
                    "mailfolders",
                    "inbox" | "mailfolders('inbox')",
                    "messagerules",
                ] => Route::Rules(ver, seg(2)),
                ["users", _, f, "messagerules"] if f.starts_with("mailfolders('inbox')") => {
                    Route::Rules(ver, seg(2))
                }
                ["users", _, "authentication", "requirements"] => Route::PerUserMfa(ver, seg(2)),
                [
                    "reports",
                    "authenticationmethods",
                    "userregistrationdetails",
                ] => Route::Registration(ver),
                ["auditlogs", "signins"] => Route::SignIns(ver),
                ["identity", "conditionalaccess", "policies"] => Route::Policies(ver),
                ["identity", "conditionalaccess", "namedlocations"] => Route::Locations(ver),
                ["groups", _, "transitivemembers"] => Route::Members {
                    ver,
                    group: seg(2),
                    users_only: false,
                },
                ["groups", _, "transitivemembers", "microsoft.graph.user"] => Route::Members {
                    ver,
                    group: seg(2),
                    users_only: true,
                },
                ["directory", "administrativeunits"] => Route::AdminUnits(ver),
                ["directory", "administrativeunits", _] => Route::AdminUnit(ver, seg(3)),
                ["directory", "administrativeunits", _, "members"] => Route::AdminUnitMembers {
                    ver,
                    unit: seg(3),
                    users_only: false,
                },
                [
                    "directory",
                    "administrativeunits",
                    _,
                    "members",
                    "microsoft.graph.user",
                ] => Route::AdminUnitMembers {
                    ver,
                    unit: seg(3),
                    users_only: true,
                },
                ["devicemanagement", "manageddevices"] => Route::ManagedDevices(ver),
                ["rolemanagement", "directory", "roleassignments"] => Route::RoleAssignments(ver),
                ["policies", "identitysecuritydefaultsenforcementpolicy"] => {
                    Route::SecurityDefaults(ver)
                }
                _ => Route::Unknown(rest.last().map(|s| s.to_string()).unwrap_or_default()),
            }
        }
        _ => Route::Unknown(l.last().map(|s| s.to_string()).unwrap_or_default()),
    }
}

fn parse_query(q: &str) -> Query {
    url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.to_lowercase(), v.into_owned()))
        .collect()
}

/// Runs one request (top level or inside a `$batch`): auth, throttle, latency, handler.
pub(super) fn dispatch(
    st: Arc<Shared>,
    method: Method,
    target: String,
    headers: HeaderMap,
    body: Bytes,
    rq: Rq,
) -> Pin<Box<dyn std::future::Future<Output = Resp> + Send>> {
    Box::pin(async move {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (target.clone(), String::new()),
        };
        let q = parse_query(&query);
        let r = route(&path);
        let lat = latency_for(&st, rq);
        match &r {
            Route::Token(tenant) => {
                sleep(lat).await;
                if method != Method::POST {
                    return aad_error(
                        &st,
                        rq,
                        405,
                        "invalid_request",
                        900561,
                        "The endpoint only accepts POST requests.",
                    );
                }
                return token_endpoint(&st, rq, tenant, &body);
            }
            Route::Unknown(seg) => {
                sleep(lat).await;
                return bad_request(
                    &st,
                    rq,
                    &format!("Resource not found for the segment '{}'.", seg),
                );
            }
            Route::Batch(ver) => {
                if let Err(e) = check_token(&st, rq, &headers, GRAPH_AUD) {
                    sleep(lat).await;
                    return e;
                }
                if method != Method::POST {
                    return graph_error(&st, rq, 405, "Request_BadRequest", "Method not allowed.");
                }
                return batch(st.clone(), ver.clone(), headers, body, rq, dispatch).await;
            }
            _ => {}
        }
        let exchange = matches!(r, Route::Exchange { .. });
        let aud = if exchange { EXO_AUD } else { GRAPH_AUD };
        let (class, cost, mailbox) = classify(&st, &r, &q);
        if let Err(e) = check_token(&st, rq, &headers, aud) {
            st.throttle.count_only(class);
            sleep(lat).await;
            return e;
        }
        if !exchange && method != Method::GET {
            st.throttle.count_only(class);
            sleep(lat).await;
            return graph_error(
                &st,
                rq,
                405,
                "Request_BadRequest",
                "Specified HTTP method is not allowed for the request target.",
            );
        }
        let busy_until = Instant::now() + lat;
        match st.throttle.admit(class, cost, mailbox, busy_until) {
            Admission::Throttled { retry_after } => {
                let mut e = graph_error(&st, rq, 429, "TooManyRequests", "Too many requests");
                if let Some(s) = retry_after {
                    e = e.header("Retry-After", retry_after_value(s));
                }
                if class == ThrottleClass::Directory {
                    e = e.header("x-ms-throttle-limit-percentage", "1.0");
                }
                e
            }
            Admission::Admitted { used_fraction } => {
                sleep(lat).await;
                let mut resp = match handle(&st, rq, r, &method, &q, &headers, &body) {
                    Ok(r) | Err(r) => r,
                };
                if class == ThrottleClass::Directory {
                    resp = resp.header("x-ms-resource-unit", cost.to_string());
                    if used_fraction >= 0.8 {
                        resp = resp.header(
                            "x-ms-throttle-limit-percentage",
                            format!("{:.1}", used_fraction),
                        );
                    }
                }
                resp
            }
        }
    })
}

/// Runs the handler of an admitted Graph or Exchange route.
fn handle(
    st: &Shared,
    rq: Rq,
    r: Route,
    method: &Method,
    q: &Query,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Resp, Resp> {
    match r {
        Route::Exchange { ver, tenant } => exchange_cmd(
            st,
            rq,
            Invoke {
                method,
                ver: &ver,
                tenant: &tenant,
                q,
                headers,
                body,
            },
        ),
        Route::Users(ver) => users(st, rq, &ver, q),
        Route::UsersDelta(ver) => users_delta(st, rq, &ver, q),
        Route::User(ver, id) => user_get(st, rq, &ver, &id, q),
        Route::Rules(ver, id) => Ok(message_rules(st, rq, &ver, &id)),
        Route::Registration(ver) => registration(st, rq, &ver, q),
        Route::SignIns(ver) => sign_ins(st, rq, &ver, q),
        Route::Policies(ver) => Ok(policies(st, &ver)),
        Route::Locations(ver) => Ok(locations(st, &ver)),
        Route::Members {
            ver,
            group,
            users_only,
        } => members(st, rq, &ver, &group, users_only, q),
        Route::ManagedDevices(ver) => managed_devices(st, rq, &ver, q),
        Route::RoleAssignments(ver) => role_assignments(st, rq, &ver, q),
        Route::SecurityDefaults(ver) => Ok(security_defaults(st, &ver)),
        Route::PerUserMfa(ver, id) => per_user_mfa(st, rq, &ver, &id),
        Route::AdminUnits(ver) => admin_units::units(st, rq, &ver, q),
        Route::AdminUnit(ver, unit) => admin_units::unit(st, rq, &ver, &unit, q),
        Route::AdminUnitMembers {
            ver,
            unit,
            users_only,
        } => admin_units::members(st, rq, &ver, &unit, users_only, q),
        _ => Err(bad_request(st, rq, "Unsupported request.")),
    }
}

fn classify(st: &Shared, r: &Route, q: &Query) -> (ThrottleClass, u64, Option<u32>) {
    let select = q
        .get("$select")
        .map(|s| s.to_lowercase())
        .unwrap_or_default();
    let dir_cost = if select.is_empty() { 2 } else { 1 };
    match r {
        Route::Users(_) | Route::User(_, _) if select.contains("signinactivity") => {
            (ThrottleClass::SignInActivity, 1, None)
        }
        Route::Users(_)
        | Route::User(_, _)
        | Route::UsersDelta(_)
        | Route::Members { .. }
        | Route::AdminUnits(_)
        | Route::AdminUnit(..)
        | Route::AdminUnitMembers { .. } => (ThrottleClass::Directory, dir_cost, None),
        Route::ManagedDevices(_) => (ThrottleClass::Directory, 1, None),
        Route::RoleAssignments(_) => (ThrottleClass::Directory, dir_cost, None),
        Route::PerUserMfa(..) => (ThrottleClass::Directory, 1, None),
        Route::Registration(_) | Route::SignIns(_) => (ThrottleClass::IdentityReports, 1, None),
        Route::Policies(_) | Route::Locations(_) | Route::SecurityDefaults(_) => {
            (ThrottleClass::ConditionalAccess, 1, None)
        }
        Route::Rules(_, id) => {
            let day = st.day();
            (
                ThrottleClass::Outlook,
                1,
                Some(find_user(st, id, day).unwrap_or(u32::MAX)),
            )
        }
        _ => (ThrottleClass::ExchangeAdmin, 1, None),
    }
}

/// The name `--refuser` uses for a route, when it can be refused.
pub(super) fn deny_key(r: &Route) -> Option<&'static str> {
    Some(match r {
        Route::Users(_) | Route::User(..) | Route::UsersDelta(_) => "users",
        Route::Registration(_) => "registration",
        Route::SignIns(_) => "signins",
        Route::Policies(_) | Route::Locations(_) | Route::SecurityDefaults(_) => {
            "conditional-access"
        }
        Route::Members { .. } => "groups",
        Route::RoleAssignments(_) => "roles",
        Route::Rules(..) => "rules",
        Route::Exchange { .. } => "exchange",
        Route::ManagedDevices(_) => "intune",
        Route::PerUserMfa(..) => "per-user-mfa",
        Route::AdminUnits(_) | Route::AdminUnit(..) | Route::AdminUnitMembers { .. } => {
            "administrative-units"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("/v1.0/%24batch"), Route::Batch("v1.0".into()));
        assert_eq!(
            route("/beta/auditLogs/signIns"),
            Route::SignIns("beta".into())
        );
        assert_eq!(
            route("/v1.0/users/abc/mailFolders/inbox/messageRules"),
            Route::Rules("v1.0".into(), "abc".into())
        );
        assert!(matches!(
            route("/adminapi/v2.0/t/InvokeCommand"),
            Route::Exchange { .. }
        ));
        assert!(matches!(route("/v1.0/nope"), Route::Unknown(_)));
        assert_eq!(
            route("/beta/users/abc/authentication/requirements"),
            Route::PerUserMfa("beta".into(), "abc".into())
        );
        assert_eq!(pct_decode("a%20b%"), "a b%");
    }
}
