//! The Exchange admin API's tenant settings and client access settings:
//! `Get-IRMConfiguration`, `Get-AdminAuditLogConfig`, `Get-OrganizationConfig` (one object
//! each) and `Get-CASMailbox`, which honours `-Filter "PopEnabled -eq $true -or ImapEnabled
//! -eq $true"` (either term alone too) and pages like `Get-Mailbox`. Each cmdlet can be
//! refused alone: `deny` holding its lowercased name answers 403, as when the app lacks the
//! role that reads it.

use serde_json::{Value, json};

use super::exchange::{Invoke, max_page_size};
use super::paging::{self, Collection, exo_error};
use super::{Resp, Shared};
use crate::sim::hash;

/// The cmdlets served here.
const CMDLETS: &[&str] = &[
    "get-irmconfiguration",
    "get-adminauditlogconfig",
    "get-organizationconfig",
    "get-casmailbox",
];

/// The first word of this module's page tokens.
const TOKEN: i64 = 8;

/// Which protocols a `Get-CASMailbox` filter keeps: bit 0 POP, bit 1 IMAP; 0 = no filter.
fn cas_filter(filter: Option<&str>) -> Result<i64, Resp> {
    let Some(f) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok(0);
    };
    let mut mask = 0;
    let lower = f.to_ascii_lowercase();
    for term in lower.split(" -or ") {
        let words: Vec<&str> = term
            .trim()
            .trim_matches(|c| c == '(' || c == ')')
            .split_whitespace()
            .collect();
        mask |= match words.as_slice() {
            ["popenabled", "-eq", "$true"] => 1,
            ["imapenabled", "-eq", "$true"] => 2,
            _ => {
                return Err(exo_error(
                    400,
                    "BadRequest",
                    &format!(
                        "Cannot bind parameter 'Filter' to the target. Exception setting \"Filter\": \"Invalid filter syntax: '{f}'.\""
                    ),
                ));
            }
        };
    }
    Ok(mask)
}

/// A `Get-CASMailbox` object.
fn cas_mailbox(st: &Shared, i: u32, day: i32, mask: i64) -> Option<Value> {
    let sc = &st.sc;
    let acc = sc.account(i, day).filter(|a| a.has_mailbox())?;
    let (pop, imap) = sc.pop_imap(&acc);
    let keep = mask == 0 || (mask & 1 == 1 && pop) || (mask & 2 == 2 && imap);
    if !keep {
        return None;
    }
    let local = acc.upn.split('@').next().unwrap_or("").to_string();
    Some(json!({
        "Identity": local,
        "Name": local,
        "DisplayName": acc.display_name,
        "PrimarySmtpAddress": acc.mail.clone().unwrap_or_else(|| acc.upn.clone()),
        "ExternalDirectoryObjectId": acc.id,
        "PopEnabled": pop,
        "ImapEnabled": imap,
        "ActiveSyncEnabled": true,
        "OWAEnabled": true,
        "MAPIEnabled": true,
        "EwsEnabled": true,
        "SmtpClientAuthenticationDisabled": null,
    }))
}

/// The single object of a tenant settings cmdlet, as Exchange spells it.
fn settings(st: &Shared, cmdlet: &str, day: i32) -> Value {
    let c = st.sc.tenant_controls(day);
    match cmdlet {
        "get-irmconfiguration" => json!({
            "Identity": "ControlPoint Configuration",
            "AzureRMSLicensingEnabled": c.azure_rms_licensing,
            "SimplifiedClientAccessEnabled": c.simplified_client_access,
            "InternalLicensingEnabled": c.azure_rms_licensing,
            "ExternalLicensingEnabled": false,
            "JournalReportDecryptionEnabled": true,
            "DecryptAttachmentOnDownload": false,
            "LicensingLocation": null,
        }),
        "get-adminauditlogconfig" => json!({
            "Identity": "Admin Audit Log Settings",
            "AdminAuditLogEnabled": true,
            // Exchange answers this one as a string at times.
            "UnifiedAuditLogIngestionEnabled": if c.unified_audit_ingestion { "True" } else { "False" },
            "UnifiedAuditLogFirstOptInDate": "2019-04-02T13:11:48.0000000Z",
        }),
        _ => json!({
            "Identity": st.sc.establishment(),
            "Name": "cisss-troisrives.onmicrosoft.com",
            "AuditDisabled": c.audit_disabled,
            "AutoExpandingArchiveEnabled": false,
            "OAuth2ClientProfileEnabled": true,
        }),
    }
}

/// Answers the request when its cmdlet (or its page token) is one of this module's.
pub(super) fn intercept(st: &Shared, x: &Invoke) -> Option<Result<Resp, Resp>> {
    let (cmd, day, pos, mask, token_page) = match x.q.get("$skiptoken") {
        Some(t) => {
            let w = hash::unseal(st.sc.seed, t)?;
            if w.first() != Some(&TOKEN) || w.len() < 5 {
                return None;
            }
            (3, w[1] as i32, w[2] as u32, w[3], Some(w[4] as usize))
        }
        None => {
            let v: Value = serde_json::from_slice(x.body).ok()?;
            let name = v.pointer("/CmdletInput/CmdletName")?.as_str()?;
            let cmd = CMDLETS.iter().position(|c| c.eq_ignore_ascii_case(name))?;
            let filter = v
                .pointer("/CmdletInput/Parameters/Filter")
                .and_then(Value::as_str);
            let mask = match cas_filter(filter) {
                Ok(m) => m,
                Err(r) => return Some(Err(r)),
            };
            (cmd, st.day(), 0, mask, None)
        }
    };
    let cmdlet = CMDLETS[cmd];
    if st.deny.iter().any(|d| d.eq_ignore_ascii_case(cmdlet)) {
        return Some(Err(exo_error(
            403,
            "Forbidden",
            &format!(
                "The role assigned to application {} isn't supported in this scenario. Please check online documentation for assigning correct Directory Roles to Azure AD Application for EXO App-Only Authentication. ({cmdlet})",
                st.sc.client_id
            ),
        )));
    }
    let base = format!("{}/adminapi/{}/{}", st.base_url, x.ver, x.tenant);
    let mut value = Vec::new();
    let mut link = None;
    if cmdlet == "get-casmailbox" {
        let page = max_page_size(x.headers, token_page);
        let next = paging::scan(&mut value, pos, st.sc.accounts, page, |i| {
            cas_mailbox(st, i, day, mask)
        });
        link = next.map(|p| {
            let t = paging::seal(st, &[TOKEN, day as i64, p as i64, mask, page as i64]);
            format!("{base}/InvokeCommand?$skiptoken={t}")
        });
    } else {
        value.push(settings(st, cmdlet, day));
    }
    Some(Ok(Collection::new(format!(
        "{base}/$metadata#Collection(Exchange.GenericHashTable)"
    ))
    .field("adminapi.warnings@odata.type", json!("#Collection(String)"))
    .field("adminapi.warnings", json!([]))
    .next(link)
    .finish(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cas_filter_is_read_or_refused() {
        assert_eq!(cas_filter(None).ok(), Some(0));
        assert_eq!(
            cas_filter(Some("PopEnabled -eq $true -or ImapEnabled -eq $true")).ok(),
            Some(3)
        );
        assert_eq!(cas_filter(Some("(ImapEnabled -eq $true)")).ok(), Some(2));
        assert!(cas_filter(Some("PopEnabled -ne $false")).is_err());
    }
}
