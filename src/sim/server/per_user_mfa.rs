//! `/beta/users/{id}/authentication/requirements`: one account's per-user MFA state, in
//! Microsoft's `strongAuthenticationRequirements` shape (beta only: v1.0 does not know the
//! segment). An unknown account answers 404 like `GET /users/{id}`. `deny` "per-user-mfa"
//! refuses it, inside a `$batch` too (the router refuses only top-level requests).

use serde_json::json;

use super::{Resp, Rq, Shared, bad_request, context, find_user, graph_error, not_found};

pub(super) fn per_user_mfa(st: &Shared, rq: Rq, ver: &str, id: &str) -> Result<Resp, Resp> {
    if ver != "beta" {
        return Err(bad_request(
            st,
            rq,
            "Resource not found for the segment 'requirements'.",
        ));
    }
    if st.deny.iter().any(|d| d == "per-user-mfa") {
        return Err(graph_error(
            st,
            rq,
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        ));
    }
    let day = st.day();
    let i = find_user(st, id, day)
        .filter(|i| st.sc.account(*i, day).is_some())
        .ok_or_else(|| not_found(st, rq, id))?;
    Ok(Resp::json(
        200,
        json!({
            "@odata.context": context(st, ver, &format!("users('{id}')/authentication/requirements/$entity")),
            "@odata.type": "#microsoft.graph.strongAuthenticationRequirements",
            "perUserMfaState": st.sc.per_user_mfa(i, day),
        }),
    ))
}
