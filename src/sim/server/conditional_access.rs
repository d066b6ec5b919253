//! `/identity/conditionalAccess/{policies,namedLocations}`: small, unpaged lists.

use serde_json::{Value, json};

use super::{Resp, Shared, context};
use crate::sim::render;

fn listing(st: &Shared, ver: &str, what: &str, value: Vec<Value>) -> Resp {
    Resp::json(
        200,
        json!({
            "@odata.context": context(st, ver, what),
            "value": value,
        }),
    )
}

pub(super) fn policies(st: &Shared, ver: &str) -> Resp {
    let v = st.sc.policies(st.day());
    let v = v.iter().map(|p| render::policy(&st.sc, p)).collect();
    listing(st, ver, "identity/conditionalAccess/policies", v)
}

pub(super) fn locations(st: &Shared, ver: &str) -> Resp {
    let v = st.sc.named_locations(st.day());
    let v = v
        .iter()
        .map(|l| render::named_location(&st.sc, l))
        .collect();
    listing(st, ver, "identity/conditionalAccess/namedLocations", v)
}
