//! `/deviceManagement/managedDevices` (Intune): the managed devices of the tablet accounts,
//! filtered on `userPrincipalName eq '…'`, one device a page so that `@odata.nextLink` is
//! followed whenever an account has more than one. Shapes as Intune writes them: the UPN as
//! entered (capitals kept), enums in camelCase, `azureADDeviceId` a GUID.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Value, json};

use super::paging::{self, Collection, Dialect, Query};
use super::{Resp, Rq, Shared, bad_request, context};
use crate::sim::filter::{self, Expr, Lit};
use crate::sim::scenario::{Account, Kind, ManagedDevice};

/// Devices per page: one, so that an account with two devices pages.
const DEVICE_PAGE: usize = 1;

fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn render(acc: &Account, d: &ManagedDevice) -> Value {
    json!({
        "id": d.id,
        "deviceName": d.name,
        "userPrincipalName": acc.upn,
        "complianceState": if d.compliant { "compliant" } else { "noncompliant" },
        "isEncrypted": d.encrypted,
        "lastSyncDateTime": ts(d.last_sync),
        "operatingSystem": "iOS",
        "managedDeviceOwnerType": "company",
        "azureADDeviceId": d.entra_device_id,
    })
}

/// The UPN of `$filter=userPrincipalName eq '…'`, if filtered.
fn upn_filter(st: &Shared, rq: Rq, q: &Query) -> Result<Option<String>, Resp> {
    let Some(f) = q.get("$filter") else {
        return Ok(None);
    };
    let e = filter::parse(f)
        .map_err(|m| bad_request(st, rq, &format!("Invalid filter clause: {}", m)))?;
    match e {
        Expr::Cmp {
            path,
            op,
            value: Lit::Str(s),
        } if op == "eq" && path.eq_ignore_ascii_case("userPrincipalName") => Ok(Some(s)),
        _ => Err(bad_request(
            st,
            rq,
            "Invalid filter clause: unsupported property or operator.",
        )),
    }
}

/// The tablet accounts of a day by lowercase UPN, built once per simulated day: a filtered
/// request must not walk the whole tenant (the benchmark's tenant has 300,000 accounts).
struct Index {
    key: (u64, i32, u32),
    tablets: HashMap<String, u32>,
}

static INDEX: Mutex<Option<Index>> = Mutex::new(None);

/// The indices of the tablet accounts of `day`, in index order, that the filter keeps.
fn tablets(st: &Shared, day: i32, upn: Option<&str>) -> Vec<u32> {
    let key = (st.sc.seed, day, st.sc.accounts);
    let mut guard = INDEX.lock().unwrap_or_else(|p| p.into_inner());
    if guard.as_ref().is_none_or(|x| x.key != key) {
        let tablets = (0..st.sc.accounts)
            .filter(|i| st.sc.kind_of(*i) == Kind::Tablet)
            .filter_map(|i| st.sc.account(i, day).map(|a| (a.upn.to_lowercase(), i)))
            .collect();
        *guard = Some(Index { key, tablets });
    }
    let Some(index) = guard.as_ref() else {
        return Vec::new();
    };
    let mut v: Vec<u32> = match upn {
        Some(u) => index
            .tablets
            .get(&u.trim().to_lowercase())
            .copied()
            .into_iter()
            .collect(),
        None => index.tablets.values().copied().collect(),
    };
    v.sort_unstable();
    v
}

pub(super) fn managed_devices(st: &Shared, rq: Rq, ver: &str, q: &Query) -> Result<Resp, Resp> {
    let upn = upn_filter(st, rq, q)?;
    let tok = paging::read_token(st, rq, q, "$skiptoken", 11, Dialect::Reports)?;
    let (day, pos) = paging::day_cursor(st, &tok);
    // Every device of the accounts the filter keeps, in a stable order.
    let all: Vec<Value> = tablets(st, day, upn.as_deref())
        .into_iter()
        .filter_map(|i| st.sc.account(i, day))
        .flat_map(|acc| {
            st.sc
                .managed_devices(&acc, day)
                .iter()
                .map(|d| render(&acc, d))
                .collect::<Vec<_>>()
        })
        .collect();
    let start = (pos as usize).min(all.len());
    let end = (start + DEVICE_PAGE).min(all.len());
    let value = all[start..end].to_vec();
    let what = "deviceManagement/managedDevices";
    let link = (end < all.len()).then(|| {
        let t = paging::seal(st, &[11, day as i64, end as i64]);
        paging::next_link(st, &format!("/{}/{}", ver, what), q, "$skiptoken", &t)
    });
    Ok(Collection::new(context(st, ver, what))
        .next(link)
        .finish(value))
}
