//! Intune managed devices of the generic accounts (optional source `managed-devices`).
//!
//! One request per generic account, filtered on its UPN, pages followed as given. The
//! generic accounts arrive from users page by page (a few per establishment, never the whole
//! tenant). Reading is optional: without `DeviceManagementManagedDevices.Read.All` (403) or
//! without an Intune licence (Intune answers HTTP 400 « Request not applicable to target
//! tenant »), the source is « non collectée » with the fix in French, the generic accounts
//! stop being read, and nothing else is affected: GEN-DEV-01 is then judged from the
//! sign-ins alone and says so.

use http::Method;

use super::context::{Ctx, collected, dependency_failed, failed, query};
use super::error::CollectError;
use super::feed::Chunks;
use super::paging::{WRITE_DEPTH, odata_escape};
use super::writer::InFlight;
use crate::graph::models as wire;
use crate::graph::{Call, GraphError};
use crate::model::{Kind, ManagedDevice};
use crate::store::{SourceOutcome, SourceStatus};

/// Intune's answer to a tenant without an Intune licence: HTTP 400, code `BadRequest`, this
/// message. The code is generic, so the message is what tells it from a malformed request.
const NOT_LICENSED: &str = "not applicable to target tenant";

fn device(d: wire::ManagedDevice, upn: &str) -> ManagedDevice {
    ManagedDevice {
        id: d.id,
        name: d.device_name.unwrap_or_default(),
        upn: d
            .user_principal_name
            .unwrap_or_else(|| upn.to_string())
            .trim()
            .to_lowercase(),
        compliance: d.compliance_state.unwrap_or_else(|| "unknown".into()),
        encrypted: d.is_encrypted,
        last_sync: d.last_sync_date_time,
        os: d.operating_system,
        owner_type: d.managed_device_owner_type,
        entra_device_id: d
            .azure_ad_device_id
            .filter(|id| !id.trim_matches(['0', '-']).is_empty()),
    }
}

/// Whether a refusal is Intune's "no licence" answer (HTTP 400 « Request not applicable to
/// target tenant »): the source is then « non collectée », not failed.
pub fn intune_not_licensed(e: &GraphError) -> bool {
    match e {
        GraphError::Refused(r) => {
            r.status == 400
                && r.message
                    .as_deref()
                    .is_some_and(|m| m.to_lowercase().contains(NOT_LICENSED))
        }
        _ => false,
    }
}

/// The outcome of a tenant without Intune.
fn licence_missing(e: &GraphError, records: i64, pages: i64) -> SourceOutcome {
    SourceOutcome {
        status: SourceStatus::NotCollected,
        records,
        pages,
        reason: Some(format!(
            "{e} ; licence Microsoft Intune absente du locataire : la source facultative « \
             managed-devices » est non collectée, GEN-DEV-01 est jugé sur les seuls journaux de \
             connexion"
        )),
        permission: None,
    }
}

/// Reads the managed devices of each generic account as it arrives.
pub(crate) async fn managed_devices(
    ctx: &Ctx,
    mut generic: Chunks<(String, String)>,
) -> Result<(), CollectError> {
    let q = query("managed-devices")?;
    ctx.start(&q.name).await?;
    let (mut records, mut pages) = (0i64, 0i64);
    let run = ctx.run;
    while let Some(chunk) = generic.next(1).await {
        for (_, upn) in chunk {
            let filter = q
                .filter
                .clone()
                .unwrap_or_default()
                .replace("{upn}", &odata_escape(&upn));
            let url = ctx
                .client
                .graph_url(&q.path, &[("$filter", &filter), ("$select", &q.select())])?;
            let mut pager =
                ctx.client
                    .pages::<wire::ManagedDevice>(Call::for_query(q, Method::GET, url));
            let mut writes = InFlight::new(WRITE_DEPTH);
            loop {
                match pager.next_page().await {
                    Ok(Some(page)) => {
                        let items: Vec<ManagedDevice> =
                            page.items.into_iter().map(|d| device(d, &upn)).collect();
                        let n = items.len();
                        writes
                            .push(ctx.submit(move |s| s.write_page(run, &items)))
                            .await?;
                        records += n as i64;
                        pages += 1;
                        ctx.progress.advance(&q.name, n as u64);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        writes.drain().await?;
                        generic.close();
                        let outcome = if intune_not_licensed(&e) {
                            licence_missing(&e, records, pages)
                        } else {
                            failed(ctx, &e, q, records, pages)
                        };
                        ctx.finish(&q.name, outcome).await?;
                        return Ok(());
                    }
                }
            }
            writes.drain().await?;
        }
    }
    if !generic.complete() {
        ctx.finish(&q.name, dependency_failed("users", records, pages))
            .await?;
        return Ok(());
    }
    ctx.close_unseen(Kind::ManagedDevice, None).await?;
    ctx.finish(&q.name, collected(records, pages, None)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::RequestLabel;
    use crate::graph::error::{Refusal, Refused};

    fn refused(status: u16, code: &str, message: &str, refusal: Refusal) -> GraphError {
        GraphError::Refused(Box::new(Refused {
            request: RequestLabel {
                query: "managed-devices".into(),
                path: "/v1.0/deviceManagement/managedDevices".into(),
            },
            status,
            code: Some(code.into()),
            message: Some(message.into()),
            request_id: None,
            refusal,
            permissions: vec!["DeviceManagementManagedDevices.Read.All".into()],
            licence: "Microsoft Intune".into(),
        }))
    }

    #[test]
    fn intune_s_400_is_the_missing_licence_and_nothing_else_is() {
        let e = refused(
            400,
            "BadRequest",
            "Request not applicable to target tenant.",
            Refusal::BadRequest,
        );
        assert!(intune_not_licensed(&e));
        let o = licence_missing(&e, 0, 0);
        assert_eq!(o.status, SourceStatus::NotCollected);
        let reason = o.reason.unwrap_or_default();
        assert!(
            reason.contains("licence Microsoft Intune absente"),
            "{reason}"
        );
        assert!(reason.contains("GEN-DEV-01 est jugé sur les seuls journaux"));
        let other = refused(
            400,
            "BadRequest",
            "Invalid filter clause",
            Refusal::BadRequest,
        );
        assert!(
            !intune_not_licensed(&other),
            "a malformed request stays an error"
        );
        let forbidden = refused(
            403,
            "Forbidden",
            "Application is not authorized",
            Refusal::Permission,
        );
        assert!(!intune_not_licensed(&forbidden));
    }

    #[test]
    fn devices_keep_the_account_s_upn_in_lower_case_and_drop_the_empty_entra_id() {
        let d: wire::ManagedDevice = serde_json::from_value(serde_json::json!({
            "id": "md1",
            "deviceName": "IPAD-1",
            "userPrincipalName": "Tablette1.Verdun@X.ca",
            "complianceState": "",
            "isEncrypted": null,
            "lastSyncDateTime": "0001-01-01T00:00:00Z",
            "azureADDeviceId": "00000000-0000-0000-0000-000000000000"
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let m = device(d, "ignored@x.ca");
        assert_eq!(m.upn, "tablette1.verdun@x.ca");
        assert_eq!(m.compliance, "unknown", "\"\" says nothing");
        assert_eq!(m.encrypted, None);
        assert_eq!(m.last_sync, None);
        assert_eq!(m.entra_device_id, None);
    }
}
