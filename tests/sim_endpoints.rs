//! Endpoints of the simulated tenant, driven over loopback HTTP: paging, filters,
//! `$select`, `$batch`, Exchange paging, tokens and their errors.

mod sim_support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sim_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_page_completely_and_honour_select() {
    let h = start(opts(11)).await;
    let c = Client::new(&h).await;
    let counts = h.counts(0);
    let (users, pages) = c
        .all("/v1.0/users?$select=id,userPrincipalName,accountEnabled,userType&$top=37")
        .await;
    assert_eq!(users.len() as u64, counts.users);
    assert_eq!(ids(&users, "id").len(), users.len(), "duplicate ids");
    assert!(pages > 5);
    for u in &users {
        let o = u.as_object().expect("object");
        assert_eq!(o.len(), 4, "only the selected fields: {u}");
        assert!(o.contains_key("accountEnabled") && o.contains_key("userType"));
    }
    // Without $select: Graph's default set, no accountEnabled/userType.
    let (s, _, v) = c.get("/v1.0/users?$top=5").await;
    assert_eq!(s, StatusCode::OK);
    let first = &v["value"][0];
    assert!(first.get("displayName").is_some() && first.get("accountEnabled").is_none());
    assert!(first.get("userType").is_none());
    assert_eq!(v["value"].as_array().map(Vec::len), Some(5));
    assert!(
        v["@odata.nextLink"]
            .as_str()
            .is_some_and(|l| l.starts_with(&h.base_url()))
    );
    // Unknown property, oversized $top, signInActivity limit.
    let (s, _, v) = c.get("/v1.0/users?$select=id,nope").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"]["code"].is_string());
    assert_eq!(
        c.get("/v1.0/users?$top=1000").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        c.get("/v1.0/users?$select=id,signInActivity&$top=501")
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    // beta serves users too.
    let (all_beta, _) = c.all("/beta/users?$select=id&$top=999").await;
    assert_eq!(all_beta.len(), users.len());
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_filter_by_id_and_sign_in_activity() {
    let h = start(opts(12)).await;
    let c = Client::new(&h).await;
    let (users, _) = c.all("/v1.0/users?$select=id&$top=999").await;
    let some: Vec<String> = users
        .iter()
        .step_by(20)
        .take(15)
        .filter_map(|u| u["id"].as_str().map(str::to_string))
        .collect();
    let list = some
        .iter()
        .map(|i| format!("'{i}'"))
        .collect::<Vec<_>>()
        .join(",");
    let (s, _, v) = c
        .get(&format!(
            "/v1.0/users?$filter=id in ({list})&$select=id,signInActivity&$top=500"
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got = v["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(ids(&got, "id"), some.iter().cloned().collect());
    let mut quirks = std::collections::BTreeSet::new();
    for u in &got {
        let a = &u["signInActivity"];
        assert!(a.is_object());
        for k in [
            "lastSignInDateTime",
            "lastNonInteractiveSignInDateTime",
            "lastSuccessfulSignInDateTime",
        ] {
            let v = &a[k];
            quirks.insert(match v {
                Value::Null => "null",
                Value::String(s) if s.is_empty() => "empty",
                Value::String(s) if s.starts_with("0001") => "zero",
                _ => "date",
            });
        }
    }
    assert!(quirks.contains("date"));
    assert_eq!(
        c.get("/v1.0/users?$filter=startswith(displayName,'a')")
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_details_skip_disabled_users_and_page() {
    let h = start(opts(13)).await;
    let c = Client::new(&h).await;
    let (rows, pages) = c
        .all("/v1.0/reports/authenticationMethods/userRegistrationDetails")
        .await;
    assert_eq!(rows.len() as u64, h.counts(0).registrations);
    assert_eq!(ids(&rows, "id").len(), rows.len());
    assert!(
        rows.len() < h.counts(0).users as usize,
        "disabled users are not listed"
    );
    if rows.len() > 487 {
        assert!(pages >= 2);
    }
    assert!(
        rows.iter()
            .all(|r| r["isMfaRegistered"].is_boolean() && r["methodsRegistered"].is_array())
    );
    let (only_false, _) = c
        .all("/v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=isMfaRegistered eq false")
        .await;
    assert!(!only_false.is_empty());
    assert!(
        only_false
            .iter()
            .all(|r| r["isMfaRegistered"] == json!(false))
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_filter_by_window_and_user_group() {
    let h = start(SimOptions_day(14, 10)).await;
    let c = Client::new(&h).await;
    let (users, _) = c
        .all("/v1.0/users?$select=id,userPrincipalName&$top=999")
        .await;
    let tablets: Vec<String> = users
        .iter()
        .filter(|u| {
            u["userPrincipalName"]
                .as_str()
                .unwrap_or("")
                .starts_with("tablette")
        })
        .filter_map(|u| u["id"].as_str().map(str::to_string))
        .take(15)
        .collect();
    assert!(tablets.len() >= 10);
    let group = tablets
        .iter()
        .map(|i| format!("userId eq '{i}'"))
        .collect::<Vec<_>>()
        .join(" or ");
    let from = "2026-01-05T08:00:00Z";
    let to = "2026-01-09T08:00:00Z";
    let both = format!(
        "/beta/auditLogs/signIns?$top=50&$filter=createdDateTime ge {from} and createdDateTime lt {to} and ({group}) and signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')"
    );
    let (all, pages) = c.all(&both).await;
    assert!(pages > 2, "several pages of 50");
    assert_eq!(ids(&all, "id").len(), all.len(), "no duplicates");
    let mut last = String::from("9999");
    for s in &all {
        let t = s["createdDateTime"].as_str().unwrap_or("").to_string();
        assert!(
            t.as_str() >= from && t.as_str() < to,
            "{t} outside the window"
        );
        assert!(t <= last, "newest first");
        last = t;
        assert!(tablets.iter().any(|i| s["userId"] == json!(i)));
        assert!(s["authenticationRequirement"].is_string());
        assert!(s["isInteractive"].is_boolean());
    }
    let interactive = all
        .iter()
        .filter(|s| s["isInteractive"] == json!(true))
        .count();
    assert!(interactive > 0 && interactive < all.len());
    // beta without the event-type filter: interactive only.
    let only_int = format!(
        "/beta/auditLogs/signIns?$filter=createdDateTime ge {from} and createdDateTime lt {to} and ({group})"
    );
    let (i2, _) = c.all(&only_int).await;
    assert_eq!(i2.len(), interactive);
    // v1.0: interactive only and no MFA fields.
    let v1 = format!(
        "/v1.0/auditLogs/signIns?$filter=createdDateTime ge {from} and createdDateTime lt {to} and ({group})"
    );
    let (v1all, _) = c.all(&v1).await;
    assert_eq!(v1all.len(), interactive);
    assert!(
        v1all
            .iter()
            .all(|s| s.get("authenticationRequirement").is_none()
                && s.get("signInEventTypes").is_none()
                && s.get("isInteractive").is_none())
    );
    // Unsupported filters are refused like Graph.
    let bad = "/v1.0/auditLogs/signIns?$filter=signInEventTypes/any(t: t eq 'interactiveUser')"
        .to_string();
    assert_eq!(c.get(&bad).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(
        c.get("/beta/auditLogs/signIns?$filter=contains(appDisplayName,'x')")
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        c.get("/beta/auditLogs/signIns?$top=1001").await.0,
        StatusCode::BAD_REQUEST
    );
    h.shutdown().await;
}

#[allow(non_snake_case)]
fn SimOptions_day(seed: u64, day: u32) -> vigie365::sim::SimOptions {
    let mut o = opts(seed);
    o.day = day;
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_pages_with_post_and_get() {
    let h = start(opts(15)).await;
    let c = Client::new(&h).await;
    let (mbx, pages) = c.exo_all("Get-Mailbox", 40).await;
    assert_eq!(mbx.len() as u64, h.counts(0).mailboxes);
    assert!(pages > 3);
    assert_eq!(ids(&mbx, "ExternalDirectoryObjectId").len(), mbx.len());
    assert!(
        mbx.iter()
            .any(|m| m["RecipientTypeDetails"] == json!("SharedMailbox"))
    );
    assert!(mbx.iter().any(|m| m["ForwardingSmtpAddress"].is_string()));
    // Follow a nextLink with GET (no body).
    let first = format!(
        "{}/adminapi/v2.0/{}/InvokeCommand",
        h.base_url(),
        h.tenant_id()
    );
    let (s, v) = c.exo_raw(&first, "Get-Mailbox", 10).await;
    assert_eq!(s, StatusCode::OK);
    let next = v["@odata.nextLink"].as_str().unwrap_or("").to_string();
    assert!(next.contains("$skiptoken="));
    let r = c
        .http
        .get(&next)
        .bearer_auth(&c.exo)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    let v2: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(v2["value"].as_array().map(Vec::len), Some(10));
    assert_ne!(v2["value"][0], v["value"][0]);
    for cmd in [
        "Get-RemoteDomain",
        "Get-HostedOutboundSpamFilterPolicy",
        "Get-TransportRule",
        "Get-AcceptedDomain",
        "Get-MailContact",
    ] {
        let (all, _) = c.exo_all(cmd, 2).await;
        assert!(!all.is_empty(), "{cmd}");
    }
    let (s, _) = c.exo_raw(&first, "Get-Nothing", 10).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A Graph token is refused by Exchange, and vice versa.
    let r = c
        .http
        .post(&first)
        .bearer_auth(&c.graph)
        .json(&json!({"CmdletInput": {"CmdletName": "Get-AcceptedDomain"}}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .http
        .get(c.url("/v1.0/users"))
        .bearer_auth(&c.exo)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_errors_have_entra_shape() {
    let h = start(opts(16)).await;
    let http = http();
    let url = format!("{}/{}/oauth2/v2.0/token", h.base_url(), h.tenant_id());
    let send = |url: String, client: String, secret: &str| {
        let form = vec![
            ("client_id", client),
            ("client_secret", secret.to_string()),
            ("scope", GRAPH.to_string()),
            ("grant_type", "client_credentials".to_string()),
        ];
        let http = http.clone();
        async move {
            let r = http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_body(&form))
                .send()
                .await
                .expect("post");
            (r.status(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s, v) = send(url.clone(), h.client_id(), "wrong").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"], json!("invalid_client"));
    assert_eq!(v["error_codes"], json!([7000215]));
    let d = v["error_description"].as_str().unwrap_or("");
    assert!(d.starts_with("AADSTS7000215: Invalid client secret provided."));
    assert!(d.contains("\r\nTrace ID: "));
    for k in ["timestamp", "trace_id", "correlation_id"] {
        assert!(v[k].is_string(), "{k}");
    }
    assert!(!d.contains("wrong"), "never echo the secret");
    let (s, v) = send(
        format!(
            "{}/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token",
            h.base_url()
        ),
        h.client_id(),
        &h.client_secret(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error_codes"], json!([90002]));
    let (_, v) = send(
        url.clone(),
        "11111111-1111-1111-1111-111111111111".into(),
        &h.client_secret(),
    )
    .await;
    assert_eq!(v["error_codes"], json!([700016]));
    let (s, v) = send(url.clone(), h.client_id(), &h.client_secret()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["expires_in"], json!(3599));
    assert_eq!(v["token_type"], json!("Bearer"));
    // Missing and garbage tokens.
    let r = http
        .get(format!("{}/v1.0/users", h.base_url()))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(v["error"]["code"], json!("InvalidAuthenticationToken"));
    h.shutdown().await;
}

fn b64(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_assertion_is_checked() {
    let h = start(opts(17)).await;
    let http = http();
    let url = format!("{}/{}/oauth2/v2.0/token", h.base_url(), h.tenant_id());
    let now = chrono::Utc::now().timestamp();
    let jwt = |aud: &str, iss: &str| {
        let head = json!({"alg": "RS256", "typ": "JWT", "x5t#S256": "abc"});
        let claims = json!({"aud": aud, "iss": iss, "sub": iss, "jti": "0b6c1c0e-1d7c-4e7b-9b6a-1a2b3c4d5e6f", "nbf": now, "exp": now + 600});
        format!("{}.{}.c2lnbmF0dXJl", b64(&head), b64(&claims))
    };
    let post = |assertion: String| {
        let form = vec![
            ("client_id", h.client_id()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_string(),
            ),
            ("client_assertion", assertion),
            ("scope", EXO.to_string()),
            ("grant_type", "client_credentials".to_string()),
        ];
        let http = http.clone();
        let url = url.clone();
        async move {
            let r = http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_body(&form))
                .send()
                .await
                .expect("post");
            (r.status(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s, v) = post(jwt(&url, &h.client_id())).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = post(jwt("https://example.org/token", &h.client_id())).await;
    assert_ne!(s, StatusCode::OK);
    let (s, _) = post(jwt(&url, "someone-else")).await;
    assert_ne!(s, StatusCode::OK);
    let (s, _) = post("not.a.jwt".to_string()).await;
    assert_ne!(s, StatusCode::OK);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_inner_statuses_and_envelope_rules() {
    let h = start(opts(18)).await;
    let c = Client::new(&h).await;
    let (users, _) = c.all("/v1.0/users?$select=id,userType&$top=999").await;
    let member = users
        .iter()
        .find(|u| u["userType"] == json!("Member"))
        .expect("member");
    let guest = users
        .iter()
        .find(|u| u["userType"] == json!("Guest"))
        .expect("guest");
    let mid = member["id"].as_str().unwrap_or("");
    let gid = guest["id"].as_str().unwrap_or("");
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": format!("/users/{mid}/mailFolders/inbox/messageRules")},
        {"id": "2", "method": "GET", "url": format!("/users/{gid}/mailFolders/inbox/messageRules")},
        {"id": "3", "method": "GET", "url": "/users/00000000-0000-4000-8000-000000000000/mailFolders/inbox/messageRules"},
        {"id": "4", "method": "GET", "url": "identity/conditionalAccess/policies"},
    ]});
    let r = c
        .http
        .post(c.url("/v1.0/$batch"))
        .bearer_auth(&c.graph)
        .json(&body)
        .send()
        .await
        .expect("batch");
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap_or(Value::Null);
    let resp = v["responses"].as_array().cloned().unwrap_or_default();
    assert_eq!(resp.len(), 4);
    let status = |id: &str| {
        resp.iter()
            .find(|x| x["id"] == json!(id))
            .map(|x| x["status"].as_u64().unwrap_or(0))
            .unwrap_or(0)
    };
    assert_eq!(status("1"), 200);
    assert_eq!(status("2"), 404);
    assert_eq!(status("3"), 404);
    assert_eq!(status("4"), 200);
    // Envelope rules: > 20 requests, duplicate ids, absolute urls → 400.
    let many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users?$top=1"}))
        .collect();
    for bad in [
        json!({"requests": many}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "/users"}, {"id": "1", "method": "GET", "url": "/users"}]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/users"}]}),
        json!({"nope": []}),
    ] {
        let r = c
            .http
            .post(c.url("/v1.0/$batch"))
            .bearer_auth(&c.graph)
            .json(&bad)
            .send()
            .await
            .expect("batch");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let r = c
        .http
        .post(c.url("/v1.0/$batch"))
        .bearer_auth(&c.graph)
        .body("{not json")
        .send()
        .await
        .expect("batch");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_access_groups_rules_and_delta() {
    let h = start(opts(19)).await;
    let c = Client::new(&h).await;
    let (s, _, p) = c.get("/v1.0/identity/conditionalAccess/policies").await;
    assert_eq!(s, StatusCode::OK);
    let pols = p["value"].as_array().cloned().unwrap_or_default();
    assert!(
        pols.iter()
            .any(|x| x["state"] == json!("enabledForReportingButNotEnforced"))
    );
    assert!(pols.iter().any(|x| x["state"] == json!("disabled")));
    let excl_group = pols[0]["conditions"]["users"]["excludeGroups"][0]
        .as_str()
        .unwrap_or("")
        .to_string();
    let (s, _, l) = c
        .get("/v1.0/identity/conditionalAccess/namedLocations")
        .await;
    assert_eq!(s, StatusCode::OK, "{l}");
    assert!(l["value"].as_array().is_some_and(|v| {
        v.iter()
            .any(|x| x["@odata.type"] == json!("#microsoft.graph.countryNamedLocation"))
    }));
    let (members, _) = c
        .all(&format!("/v1.0/groups/{excl_group}/transitiveMembers/microsoft.graph.user?$select=id,userPrincipalName&$top=2"))
        .await;
    let upns: Vec<&str> = members
        .iter()
        .filter_map(|m| m["userPrincipalName"].as_str())
        .collect();
    assert!(
        upns.iter().any(|u| u.starts_with("tablette1.saintlaurent")),
        "nested member resolved: {upns:?}"
    );
    assert!(upns.iter().any(|u| u.starts_with("svc-billetterie")));
    // Inbox rules: redirectTo as an object for one rule.
    let (users, _) = c
        .all("/v1.0/users?$select=id,userPrincipalName&$top=999")
        .await;
    let pierre = users
        .iter()
        .find(|u| {
            u["userPrincipalName"]
                .as_str()
                .is_some_and(|x| x.starts_with("pierre.gauthier-roy"))
        })
        .expect("scripted account");
    let (s, _, r) = c
        .get(&format!(
            "/v1.0/users/{}/mailFolders/inbox/messageRules",
            pierre["id"].as_str().unwrap_or("")
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(r["value"][0]["actions"]["redirectTo"].is_object());
    // Delta: full sync, then changes on a later day.
    let (full, _) = c.all("/v1.0/users/delta?$select=id,accountEnabled").await;
    assert_eq!(full.len() as u64, h.counts(0).users);
    let mut url = c.url("/v1.0/users/delta?$select=id,accountEnabled");
    let delta_link = loop {
        let (_, _, v) = c.get(&url).await;
        if let Some(d) = v["@odata.deltaLink"].as_str() {
            break d.to_string();
        }
        url = v["@odata.nextLink"].as_str().unwrap_or("").to_string();
    };
    let (same_day, _) = c.all(&delta_link).await;
    assert!(same_day.is_empty());
    h.set_day(60);
    let (changes, _) = c.all(&delta_link).await;
    assert!(!changes.is_empty() && changes.len() < full.len());
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intune_managed_devices_filter_by_upn_and_page() {
    let h = start(opts(17)).await;
    let c = Client::new(&h).await;
    let (users, _) = c
        .all("/v1.0/users?$select=id,userPrincipalName&$top=999")
        .await;
    let upn = |prefix: &str| {
        users
            .iter()
            .filter_map(|u| u["userPrincipalName"].as_str())
            .find(|u| u.to_lowercase().starts_with(prefix))
            .unwrap_or_default()
            .to_string()
    };
    // tablette1.verdun: its iPad and the one it replaced, one a page, UPN in any case.
    let verdun = upn("tablette1.verdun@").to_uppercase();
    let (devices, pages) = c
        .all(&format!(
            "/v1.0/deviceManagement/managedDevices?$filter=userPrincipalName eq '{verdun}'"
        ))
        .await;
    assert_eq!(devices.len(), 2, "{devices:?}");
    assert_eq!(pages, 2, "the second device is on the next page");
    assert!(devices.iter().all(|d| {
        d["complianceState"] == json!("compliant")
            && d["isEncrypted"] == json!(true)
            && d["lastSyncDateTime"].is_string()
            && d["azureADDeviceId"].is_string()
    }));
    // tablette1.lachine: compliant but not encrypted.
    let lachine = upn("tablette1.lachine@");
    let (devices, _) = c
        .all(&format!(
            "/v1.0/deviceManagement/managedDevices?$filter=userPrincipalName eq '{lachine}'"
        ))
        .await;
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["isEncrypted"], json!(false));
    // ipad.dorval is not enrolled: no device, an empty collection.
    let dorval = upn("ipad.dorval@");
    let (devices, _) = c
        .all(&format!(
            "/v1.0/deviceManagement/managedDevices?$filter=userPrincipalName eq '{dorval}'"
        ))
        .await;
    assert!(devices.is_empty());
    assert_eq!(
        c.get("/v1.0/deviceManagement/managedDevices?$filter=startswith(deviceName,'I')")
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    h.shutdown().await;
}
