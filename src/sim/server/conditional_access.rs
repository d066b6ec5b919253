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

/// `/policies/identitySecurityDefaultsEnforcementPolicy`: one object, not a collection.
pub(super) fn security_defaults(st: &Shared, ver: &str) -> Resp {
    Resp::json(
        200,
        json!({
            "@odata.context": context(st, ver, "policies/identitySecurityDefaultsEnforcementPolicy/$entity"),
            "id": "00000000-0000-0000-0000-000000000005",
            "displayName": "Security Defaults",
            "description": "Security defaults is a set of basic identity security mechanisms recommended by Microsoft. When enabled, these recommendations will be automatically enforced in your organization. Administrators and users will be better protected from common identity related attacks.",
            "isEnabled": st.sc.security_defaults,
        }),
    )
}

pub(super) fn locations(st: &Shared, ver: &str) -> Resp {
    let v = st.sc.named_locations(st.day());
    let v = v
        .iter()
        .map(|l| render::named_location(&st.sc, l))
        .collect();
    listing(st, ver, "identity/conditionalAccess/namedLocations", v)
}
