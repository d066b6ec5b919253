//! `/auditLogs/signIns`: the last 30 days, newest first, with the filters the tool uses.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::paging::{self, Collection, Dialect, Query};
use super::{Resp, Rq, Shared, bad_request, context, find_user};
use crate::sim::filter::{self, Expr, Lit};
use crate::sim::hash::{self, kind};
use crate::sim::render;
use crate::sim::scenario::{Account, SignIn};

struct SignInQuery {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    users: Option<BTreeSet<u32>>,
    apps: Option<Vec<String>>,
    /// `clientAppUsed eq …` (any of them), lowercased.
    clients: Option<Vec<String>>,
    interactive: bool,
    non_interactive: bool,
}

fn parse_time(l: &Lit) -> Result<DateTime<Utc>, String> {
    let s = match l {
        Lit::Raw(s) | Lit::Str(s) => s,
        _ => return Err("expected a DateTimeOffset".into()),
    };
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("'{}' is not a valid DateTimeOffset", s))
}

fn sign_in_query(
    st: &Shared,
    ver: &str,
    f: Option<&String>,
    day: i32,
) -> Result<SignInQuery, String> {
    let mut sq = SignInQuery {
        from: None,
        to: None,
        users: None,
        apps: None,
        clients: None,
        interactive: true,
        non_interactive: false,
    };
    let f = match f {
        Some(f) => f,
        None => return Ok(sq),
    };
    let e = filter::parse(f)?;
    for c in filter::conjuncts(e) {
        match &c {
            Expr::Cmp { path, op, value } if path.eq_ignore_ascii_case("createdDateTime") => {
                let t = parse_time(value)?;
                match op.as_str() {
                    "ge" => sq.from = Some(sq.from.map_or(t, |x| x.max(t))),
                    "gt" => {
                        let t = t + chrono::Duration::seconds(1);
                        sq.from = Some(sq.from.map_or(t, |x| x.max(t)))
                    }
                    "lt" => sq.to = Some(sq.to.map_or(t, |x| x.min(t))),
                    "le" => {
                        let t = t + chrono::Duration::seconds(1);
                        sq.to = Some(sq.to.map_or(t, |x| x.min(t)))
                    }
                    _ => {
                        return Err(format!(
                            "operator '{}' is not supported on createdDateTime",
                            op
                        ));
                    }
                }
            }
            Expr::Any { path, var, cond } if path.eq_ignore_ascii_case("signInEventTypes") => {
                if ver != "beta" {
                    return Err("Could not find a property named 'signInEventTypes' on type 'microsoft.graph.signIn'.".into());
                }
                let pairs = filter::eq_disjunction(cond, &[var.as_str()])
                    .ok_or("unsupported lambda expression on signInEventTypes")?;
                sq.interactive = false;
                sq.non_interactive = false;
                for (_, v) in pairs {
                    match v.as_str() {
                        "interactiveUser" => sq.interactive = true,
                        "nonInteractiveUser" => sq.non_interactive = true,
                        "servicePrincipal" | "managedIdentity" => {}
                        other => return Err(format!("'{}' is not a valid signInEventType", other)),
                    }
                }
            }
            other => {
                if let Some(pairs) = filter::eq_disjunction(other, &["userId", "userPrincipalName"])
                {
                    if pairs.len() > 15 {
                        return Err("too many userId values (15 at most)".into());
                    }
                    let mut set = BTreeSet::new();
                    for (field, v) in pairs {
                        let found = if field == "userid" {
                            hash::decode_object_id(st.sc.seed, &v)
                                .filter(|(k, _)| *k == kind::USER)
                                .map(|(_, i)| i)
                        } else {
                            find_user(st, &v, day)
                        };
                        if let Some(i) = found {
                            set.insert(i);
                        }
                    }
                    sq.users = Some(match sq.users.take() {
                        None => set,
                        Some(prev) => prev.intersection(&set).copied().collect(),
                    });
                } else if let Some(pairs) =
                    filter::eq_disjunction(other, &["appDisplayName", "appId"])
                {
                    sq.apps = Some(pairs.into_iter().map(|(_, v)| v.to_lowercase()).collect());
                } else if let Some(pairs) = filter::eq_disjunction(other, &["clientAppUsed"]) {
                    sq.clients = Some(pairs.into_iter().map(|(_, v)| v.to_lowercase()).collect());
                } else if let Expr::In { path, values } = other {
                    if !path.eq_ignore_ascii_case("userId") || values.len() > 15 {
                        return Err("unsupported 'in' clause".into());
                    }
                    let set = values
                        .iter()
                        .filter_map(|v| match v {
                            Lit::Str(s) => hash::decode_object_id(st.sc.seed, s),
                            _ => None,
                        })
                        .filter(|(k, _)| *k == kind::USER)
                        .map(|(_, i)| i)
                        .collect();
                    sq.users = Some(set);
                } else {
                    return Err("unsupported filter clause".into());
                }
            }
        }
    }
    Ok(sq)
}

pub(super) fn sign_ins(st: &Shared, rq: Rq, ver: &str, q: &Query) -> Result<Resp, Resp> {
    let n = paging::page_size(st, rq, q, 1000, 1000, Dialect::Reports)?;
    let tok = paging::read_token(st, rq, q, "$skiptoken", 5, Dialect::Reports)?;
    let (day, k, offset) = match &tok {
        Some(w) if w.len() >= 4 => (w[1] as i32, w[2] as i32, w[3] as usize),
        _ => (st.day(), i32::MAX, 0),
    };
    let sq = sign_in_query(st, ver, q.get("$filter"), day)
        .map_err(|m| bad_request(st, rq, &format!("Invalid filter clause: {}", m)))?;
    // `deny` "signins-clients" refuses the tenant-wide POP and IMAP query alone.
    if sq.clients.is_some() && st.deny.iter().any(|d| d == "signins-clients") {
        return Err(super::graph_error(
            st,
            rq,
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ));
    }
    let mut value = Vec::new();
    let next = sq.fill(st, day, (k, offset), n, ver == "beta", &mut value);
    let link = next.map(|(kk, off)| {
        let t = paging::seal(st, &[5, day as i64, kk as i64, off as i64]);
        paging::next_link(
            st,
            &format!("/{}/auditLogs/signIns", ver),
            q,
            "$skiptoken",
            &t,
        )
    });
    Ok(Collection::new(context(st, ver, "auditLogs/signIns"))
        .next(link)
        .finish(value))
}

impl SignInQuery {
    fn keeps(&self, s: &SignIn) -> bool {
        self.from.is_none_or(|f| s.time >= f)
            && self.to.is_none_or(|t| s.time < t)
            && if s.interactive {
                self.interactive
            } else {
                self.non_interactive
            }
            && self.apps.as_ref().is_none_or(|a| {
                a.iter()
                    .any(|x| *x == s.app.name.to_lowercase() || *x == s.app.id)
            })
            && self
                .clients
                .as_ref()
                .is_none_or(|c| c.iter().any(|x| x.eq_ignore_ascii_case(s.client_app())))
    }

    /// Appends up to `n` sign-ins to `value`, walking days back from the cursor
    /// `(day, offset in that day)`; returns the cursor of the next page, if any.
    fn fill(
        &self,
        st: &Shared,
        day: i32,
        (mut k, mut offset): (i32, usize),
        n: usize,
        beta: bool,
        value: &mut Vec<serde_json::Value>,
    ) -> Option<(i32, usize)> {
        let sc = &st.sc;
        let mut hi = day;
        if let Some(to) = self.to {
            hi = hi.min(sc.day_of(to - chrono::Duration::seconds(1)));
        }
        let mut lo = day - 29;
        if let Some(from) = self.from {
            lo = lo.max(sc.day_of(from));
        }
        if k == i32::MAX {
            k = hi;
        }
        let users: Vec<u32> = match &self.users {
            Some(s) => s.iter().copied().collect(),
            None => (0..sc.accounts).collect(),
        };
        while k >= lo {
            let pol = sc.policies(k);
            // Light index of the day: (time, user, seq), newest first.
            let mut idx: Vec<(i64, u32, u32)> = Vec::new();
            for &u in &users {
                for s in sc.sign_ins(u, k, &pol) {
                    if self.keeps(&s) {
                        idx.push((s.time.timestamp(), s.user, s.seq));
                    }
                }
            }
            idx.sort_by(|a, b| b.cmp(a));
            let mut cache: HashMap<u32, (Option<Account>, Vec<SignIn>)> = HashMap::new();
            while offset < idx.len() {
                if value.len() == n {
                    return Some((k, offset));
                }
                let (_, u, seq) = idx[offset];
                let entry = cache
                    .entry(u)
                    .or_insert_with(|| (sc.account(u, k), sc.sign_ins(u, k, &pol)));
                if let (Some(acc), Some(s)) = (&entry.0, entry.1.iter().find(|s| s.seq == seq)) {
                    value.push(render::sign_in(sc, acc, s, beta));
                }
                offset += 1;
            }
            k -= 1;
            offset = 0;
        }
        None
    }
}
