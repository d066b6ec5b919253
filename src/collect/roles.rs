//! Directory role assignments of the roles conditional access policies name: who a policy
//! includes or excludes by role. One filtered request per role, paged; only the roles the
//! policies name are read, never the whole directory's assignments.

use http::Method;

use super::context::{Ctx, collected, failed, prefix, query};
use super::error::CollectError;
use super::paging::{Close, odata_escape, paged};
use crate::graph::models as wire;
use crate::model::{Kind, RoleMember};

/// Reads the active assignments of each role in `roles` (role definition ids).
pub(crate) async fn role_assignments(ctx: &Ctx, roles: &[String]) -> Result<(), CollectError> {
    let q = query("role-assignments")?;
    ctx.start(&q.name).await?;
    let template = q.filter.as_deref().unwrap_or("roleDefinitionId eq '{ids}'");
    let (mut records, mut pages) = (0i64, 0i64);
    for role in roles {
        let filter = template.replace("{ids}", &odata_escape(role));
        let url = ctx
            .client
            .graph_url(&q.path, &[("$filter", &filter), ("$select", &q.select())])?;
        let outcome = paged(
            ctx,
            q,
            crate::graph::Call::for_query(q, Method::GET, url),
            |a: wire::RoleAssignment| {
                (!a.principal_id.trim().is_empty()).then(|| RoleMember {
                    // The service answers with the role it was asked about; keep the
                    // policy's spelling so lookups match.
                    role_id: role.clone(),
                    principal_id: a.principal_id,
                })
            },
            Close::Prefix(prefix(role)),
            async |_| {},
        )
        .await?;
        match outcome {
            Ok((r, p)) => {
                records += r;
                pages += p;
            }
            Err(o) => {
                // Without every role, none is resolved: the checks say roles are unresolved.
                ctx.finish(&q.name, o).await?;
                return Ok(());
            }
        }
    }
    // Roles no longer named by any policy: their assignments are closed.
    ctx.close_unseen(Kind::RoleMember, None).await?;
    ctx.finish(&q.name, collected(records, pages, None)).await?;
    Ok(())
}

/// The tenant's security defaults: one object. A missing `isEnabled` is not read as off.
pub(crate) async fn security_defaults(ctx: &Ctx) -> Result<(), CollectError> {
    let q = query("security-defaults")?;
    ctx.start(&q.name).await?;
    let url = ctx.client.graph_url(&q.path, &[("$select", &q.select())])?;
    let call = crate::graph::Call::for_query(q, Method::GET, url);
    let outcome = match ctx
        .client
        .get_json::<wire::SecurityDefaultsPolicy>(&call)
        .await
    {
        Ok(wire::SecurityDefaultsPolicy {
            id,
            is_enabled: Some(enabled),
        }) => {
            let run = ctx.run;
            let record = vec![crate::model::SecurityDefaults { id, enabled }];
            ctx.store(move |s| s.write_page(run, &record)).await?;
            ctx.close_unseen(Kind::SecurityDefaults, None).await?;
            collected(1, 1, None)
        }
        Ok(_) => {
            let mut o = collected(0, 1, None);
            o.status = crate::store::SourceStatus::Failed;
            o.reason =
                Some("réponse sans isEnabled : état des paramètres par défaut inconnu".into());
            o
        }
        Err(e) => failed(ctx, &e, q, 0, 0),
    };
    ctx.finish(&q.name, outcome).await?;
    Ok(())
}
