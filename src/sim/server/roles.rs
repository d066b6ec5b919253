//! `/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq '…'`: the active
//! assignments of one directory role, in Microsoft's `unifiedRoleAssignment` shape, paged
//! with `$skiptoken` (two assignments a page at most: small tenants page too).

use serde_json::json;

use super::paging::{self, Collection, Dialect, Query};
use super::{Resp, Rq, Shared, bad_request, context};
use crate::sim::hash::{self, kind};

/// Assignments a page.
const PAGE: usize = 2;

/// The role id of `roleDefinitionId eq '…'` (any case, spaces around `eq`).
fn role_of(filter: &str) -> Option<String> {
    let f = filter.trim();
    let (field, rest) = f.split_once(" eq ")?;
    if !field.trim().eq_ignore_ascii_case("roleDefinitionId") {
        return None;
    }
    let v = rest.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    Some(v.replace("''", "'"))
}

pub(super) fn role_assignments(st: &Shared, rq: Rq, ver: &str, q: &Query) -> Result<Resp, Resp> {
    let Some(role) = q.get("$filter").and_then(|f| role_of(f)) else {
        return Err(bad_request(
            st,
            rq,
            "Invalid filter clause: only roleDefinitionId eq '<id>' is supported.",
        ));
    };
    let tok = paging::read_token(st, rq, q, "$skiptoken", 11, Dialect::Directory)?;
    let start = tok.as_ref().and_then(|t| t.get(1)).copied().unwrap_or(0) as usize;
    let holders = st.sc.role_holders(&role);
    let value = holders
        .iter()
        .skip(start)
        .take(PAGE)
        .map(|i| {
            let principal = hash::object_id(st.sc.seed, kind::USER, *i);
            json!({
                "id": format!("{}_{}-1", role, principal),
                "principalId": principal,
                "roleDefinitionId": role,
                "directoryScopeId": "/",
                "principalOrganizationId": st.sc.tenant_id,
                "resourceScope": "/",
                "appScopeId": null,
                "condition": null,
            })
        })
        .collect();
    let next = (start + PAGE < holders.len()).then(|| {
        let t = paging::seal(st, &[11, (start + PAGE) as i64]);
        paging::next_link(
            st,
            &format!("/{ver}/roleManagement/directory/roleAssignments"),
            q,
            "$skiptoken",
            &t,
        )
    });
    Ok(
        Collection::new(context(st, ver, "roleManagement/directory/roleAssignments"))
            .next(next)
            .finish(value),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_names_one_role() {
        assert_eq!(
            role_of("roleDefinitionId eq '3d762c5a-1b6c-493f-843e-55a3b42923d4'").as_deref(),
            Some("3d762c5a-1b6c-493f-843e-55a3b42923d4")
        );
        assert_eq!(role_of("principalId eq 'x'"), None);
        assert_eq!(role_of("roleDefinitionId eq x"), None);
    }
}
