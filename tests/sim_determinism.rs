//! Two simulators with the same seed answer the same request sequence byte for byte
//! (once their base URLs, which differ by port, are normalised); another seed differs.

mod sim_support;

use sim_support::*;

async fn sample(seed: u64) -> Vec<String> {
    let h = start(opts(seed)).await;
    let c = Client::new(&h).await;
    let base = h.base_url();
    let mut out = Vec::new();
    let mut push = |s: String| out.push(s.replace(&base, "BASE"));
    let (_, _, users) = c.get_raw("/v1.0/users?$top=50&$select=id,displayName,userPrincipalName,accountEnabled,userType,employeeType,createdDateTime,lastPasswordChangeDateTime").await;
    push(users.clone());
    let v: serde_json::Value = serde_json::from_str(&users).unwrap_or_default();
    let ids: Vec<String> = v["value"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(next) = v["@odata.nextLink"].as_str() {
        push(c.get_raw(next).await.2);
    }
    push(
        c.get_raw("/v1.0/reports/authenticationMethods/userRegistrationDetails")
            .await
            .2,
    );
    let group = ids
        .iter()
        .take(15)
        .map(|i| format!("userId eq '{i}'"))
        .collect::<Vec<_>>()
        .join(" or ");
    push(
        c.get_raw(&format!(
            "/beta/auditLogs/signIns?$filter=createdDateTime ge 2025-12-20T00:00:00Z and createdDateTime lt 2026-01-02T08:00:00Z and ({group}) and signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')"
        ))
        .await
        .2,
    );
    push(
        c.get_raw("/v1.0/identity/conditionalAccess/policies")
            .await
            .2,
    );
    push(
        c.get_raw("/v1.0/identity/conditionalAccess/namedLocations")
            .await
            .2,
    );
    for id in ids.iter().take(30) {
        push(
            c.get_raw(&format!("/v1.0/users/{id}/mailFolders/inbox/messageRules"))
                .await
                .2,
        );
    }
    push(c.get_raw("/v1.0/users?$select=nope").await.2);
    let url = format!("{}/adminapi/beta/{}/InvokeCommand", base, h.tenant_id());
    for cmd in ["Get-Mailbox", "Get-TransportRule", "Get-RemoteDomain"] {
        push(c.exo_raw(&url, cmd, 100).await.1.to_string());
    }
    h.shutdown().await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = sample(51).await;
    let b = sample(51).await;
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    let c = sample(52).await;
    assert_ne!(a, c);
}
