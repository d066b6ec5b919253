//! Contract tests of `[perimetre]` in a night's collection, against wiremock: administrative
//! units found by name or id and their members read page by page (a 429 on the way), a group
//! by name and its transitive members, users of two establishments of which only the
//! perimeter's are stored, the tenant-wide registration report filtered before it is
//! written; and every way the perimeter cannot be resolved (403, 404, a name no unit carries)
//! failing the night with a French message, nothing of the tenant stored.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use vigie365::collect::{CollectError, NightReport, Progress, Settings, collect_night, night_of};
use vigie365::config::{
    AddressPattern, AttributeMatcher, DirectoryAttribute, DirectoryRef, Perimeter,
};
use vigie365::model::{Account, PerimeterReason, Registration};
use vigie365::store::{Retention, RunStatus, SourceStatus, Store};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, Request, ResponseTemplate};

use common::wiremock_graph::{Harness, graph_error, graph_json, query};

const UNIT: &str = "7e3f2a10-5b6c-4d7e-8f90-a1b2c3d4e5f6";
const GROUP: &str = "c2d3e4f5-0a1b-4c2d-9e3f-405162738495";
/// Establishment A: by UPN pattern, by unit (a physician of the provincial namespace), by
/// group, by companyName.
const A_UPN: &str = "11111111-1111-4111-8111-111111111111";
const A_UNIT: &str = "22222222-2222-4222-8222-222222222222";
const A_GROUP: &str = "33333333-3333-4333-8333-333333333333";
const A_COMPANY: &str = "44444444-4444-4444-8444-444444444444";
/// Establishment B, whose accounts must leave no trace.
const B_STAFF: &str = "55555555-5555-4555-8555-555555555555";
const B_MED: &str = "66666666-6666-4666-8666-666666666666";

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("date")
        .with_timezone(&Utc)
}

fn user(id: &str, upn: &str, name: &str, company: &str) -> Value {
    json!({
        "id": id,
        "userPrincipalName": upn,
        "displayName": name,
        "mail": upn,
        "accountEnabled": true,
        "userType": "Member",
        "employeeType": null,
        "companyName": company,
        "department": "Soins infirmiers",
        "officeLocation": null,
        "onPremisesExtensionAttributes": {"extensionAttribute1": null},
        "createdDateTime": "2024-05-01T12:00:00Z",
        "lastPasswordChangeDateTime": "2025-11-01T12:00:00Z",
        "proxyAddresses": [format!("SMTP:{upn}")]
    })
}

fn perimeter() -> Perimeter {
    Perimeter {
        units: vec![DirectoryRef::Name("CIUSSS A".into())],
        groups: vec![DirectoryRef::Name("Personnel A".into())],
        addresses: vec![AddressPattern::new("*@ciusss-a.ssss.gouv.qc.ca").expect("pattern")],
        attributes: vec![AttributeMatcher {
            attribute: DirectoryAttribute::CompanyName,
            values: vec!["CIUSSS A".into()],
        }],
        governs_tenant_controls: false,
        tenant_governor: None,
    }
}

fn settings(perimeter: Option<Perimeter>) -> Settings {
    let tz = chrono_tz::America::Montreal;
    let as_of = utc("2026-03-02T08:00:00Z");
    Settings {
        as_of,
        night: night_of(as_of, tz),
        tz,
        first_night_days: 1,
        overlap: Duration::minutes(120),
        batch_concurrency: 1,
        sequential: false,
        batch: true,
        sign_in_readers: 1,
        sign_in_activity: false,
        sign_in_activity_rotation_nights: 1,
        tracked_upns: Vec::new(),
        rules: vigie365::classify::Rules::defaults(),
        perimeter,
        establishments: Vec::new(),
        retention: Retention {
            raw_signin_days: 90,
            data_days: 400,
        },
    }
}

/// The tenant of two establishments. `units_429`: how many 429 the first members page gives.
async fn tenant(units_429: usize) -> Harness {
    let h = Harness::start().await;
    let base = h.server.uri();
    let page1 = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
        "value": [
            user(A_UPN, "marie.roy@ciusss-a.ssss.gouv.qc.ca", "Marie Roy", "CIUSSS A"),
            user(A_UNIT, "jean.lavoie.med@ssss.gouv.qc.ca", "Jean Lavoie", ""),
            user(B_STAFF, "paul.cote@ciusss-b.ssss.gouv.qc.ca", "Paul Côté", "CIUSSS B"),
        ],
        "@odata.nextLink": format!("{base}/v1.0/users?$top=999&$skiptoken=RFNwdAIAAQAAAA")
    });
    let page2 = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
        "value": [
            user(A_GROUP, "luc.gagnon@ssss.gouv.qc.ca", "Luc Gagnon", ""),
            user(B_MED, "anne.bouchard.med@ssss.gouv.qc.ca", "Anne Bouchard", "CIUSSS B"),
            user(A_COMPANY, "eve.morin@ssss.gouv.qc.ca", "Ève Morin", "ciusss a"),
        ]
    });
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(move |r: &Request| {
            if query(r).contains_key("$skiptoken") {
                graph_json(page2.clone())
            } else {
                graph_json(page1.clone())
            }
        })
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/directory/administrativeUnits"))
        .and(query_param("$filter", "displayName eq 'CIUSSS A'"))
        .respond_with(graph_json(json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directory/administrativeUnits(id,displayName)",
            "value": [{"id": UNIT, "displayName": "CIUSSS A"}]
        })))
        .mount(&h.server)
        .await;
    let members = format!("/v1.0/directory/administrativeUnits/{UNIT}/members");
    let throttled = Arc::new(AtomicUsize::new(0));
    let next = format!("{base}{members}?$select=id&$top=999&$skiptoken=X%274453707402%27");
    Mock::given(method("GET"))
        .and(path(members.as_str()))
        .respond_with(move |r: &Request| {
            if query(r).contains_key("$skiptoken") {
                return graph_json(json!({
                    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id)",
                    "value": [{"@odata.type": "#microsoft.graph.user", "id": A_UPN}]
                }));
            }
            if throttled.fetch_add(1, Ordering::SeqCst) < units_429 {
                return ResponseTemplate::new(429)
                    .insert_header("Retry-After", "0")
                    .set_body_json(json!({"error": {"code": "TooManyRequests", "message": "Too many requests."}}));
            }
            graph_json(json!({
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id)",
                "value": [{"@odata.type": "#microsoft.graph.user", "id": A_UNIT}],
                "@odata.nextLink": next.clone()
            }))
        })
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/groups"))
        .and(query_param("$filter", "displayName eq 'Personnel A'"))
        .respond_with(graph_json(json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups(id,displayName)",
            "value": [{"id": GROUP, "displayName": "Personnel A"}]
        })))
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/groups/{GROUP}/transitiveMembers/microsoft.graph.user")))
        .respond_with(graph_json(json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName)",
            "value": [{"@odata.type": "#microsoft.graph.user", "id": A_GROUP, "userPrincipalName": "luc.gagnon@ssss.gouv.qc.ca"}]
        })))
        .mount(&h.server)
        .await;
    let registration = |id: &str, upn: &str| {
        json!({"id": id, "userPrincipalName": upn, "userDisplayName": upn, "userType": "member",
               "isAdmin": false, "isMfaRegistered": true, "isMfaCapable": true,
               "methodsRegistered": ["microsoftAuthenticatorPush"],
               "lastUpdatedDateTime": "2026-02-27T03:41:55.1290081Z"})
    };
    Mock::given(method("GET"))
        .and(path("/v1.0/reports/authenticationMethods/userRegistrationDetails"))
        .respond_with(graph_json(json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails",
            "value": [
                registration(A_UPN, "marie.roy@ciusss-a.ssss.gouv.qc.ca"),
                registration(B_STAFF, "paul.cote@ciusss-b.ssss.gouv.qc.ca"),
                registration(A_UNIT, "jean.lavoie.med@ssss.gouv.qc.ca"),
                registration(B_MED, "anne.bouchard.med@ssss.gouv.qc.ca"),
                registration(A_GROUP, "luc.gagnon@ssss.gouv.qc.ca"),
                registration(A_COMPANY, "eve.morin@ssss.gouv.qc.ca"),
            ]
        })))
        .mount(&h.server)
        .await;
    h
}

async fn night(
    h: &Harness,
    p: Option<Perimeter>,
) -> (
    tempfile::TempDir,
    Arc<Mutex<Store>>,
    Result<NightReport, CollectError>,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(Mutex::new(
        Store::open(&dir.path().join("vigie365.sqlite")).expect("store"),
    ));
    let result = collect_night(
        h.client.clone(),
        store.clone(),
        settings(p),
        Progress::hidden(),
    )
    .await;
    (dir, store, result)
}

fn stored<T: vigie365::model::Record>(store: &Mutex<Store>) -> Vec<T> {
    store.lock().expect("store").current::<T>().expect("read")
}

/// Everything the mock received after the directory was read, as one text.
async fn asked_after_users(h: &Harness) -> String {
    h.server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() != "/v1.0/users")
        .map(|r| format!("{} {}\n", r.url, String::from_utf8_lossy(&r.body)))
        .collect()
}

#[tokio::test]
async fn only_the_perimeters_accounts_are_stored_each_with_its_reasons() {
    let h = tenant(2).await;
    let (_dir, store, report) = night(&h, Some(perimeter())).await;
    let report = report.expect("the night runs");
    assert_ne!(report.status, RunStatus::Failed, "{:?}", report.failure);
    let accounts: Vec<Account> = stored(&store);
    let mut ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, [A_UPN, A_UNIT, A_GROUP, A_COMPANY]);
    let reasons = |id: &str| {
        accounts
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.perimeter.clone())
            .expect("account")
    };
    assert_eq!(
        reasons(A_UPN),
        [
            PerimeterReason::Unit {
                name: "CIUSSS A".into()
            },
            PerimeterReason::Pattern {
                pattern: "*@ciusss-a.ssss.gouv.qc.ca".into(),
                field: "upn".into()
            },
            PerimeterReason::Attribute {
                name: "companyName".into(),
                value: "CIUSSS A".into()
            }
        ]
    );
    assert_eq!(
        reasons(A_UNIT),
        [PerimeterReason::Unit {
            name: "CIUSSS A".into()
        }]
    );
    assert_eq!(
        reasons(A_GROUP),
        [PerimeterReason::Group {
            name: "Personnel A".into()
        }]
    );
    assert_eq!(
        reasons(A_COMPANY),
        [PerimeterReason::Attribute {
            name: "companyName".into(),
            value: "ciusss a".into()
        }]
    );
    // Only the attribute the perimeter reads is selected and kept, and only on the
    // perimeter's accounts.
    let select = users_select(&h).await;
    assert!(
        select.contains(",companyName,") && !select.contains("department"),
        "{select}"
    );
    assert!(
        accounts
            .iter()
            .all(|a| a.organisation.keys().all(|k| k == "companyName"))
    );
    // The tenant-wide report is filtered before it is written.
    let mut registered: Vec<String> = stored::<Registration>(&store)
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    registered.sort();
    assert_eq!(registered, [A_UPN, A_UNIT, A_GROUP, A_COMPANY]);
    // The units source: found by name, its members paged through a 429, nothing stored.
    let units = report
        .sources
        .iter()
        .find(|s| s.source == "administrative-units")
        .expect("units source");
    assert_eq!(units.outcome.status, SourceStatus::Collected);
    assert_eq!((units.outcome.records, units.outcome.pages), (2, 2));
    let unit_requests = h
        .server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path().contains("/administrativeUnits/"))
        .count();
    assert_eq!(unit_requests, 4, "two 429, then two pages");
    // No request after the directory names an account of the other establishment.
    let asked = asked_after_users(&h).await;
    for outside in [B_STAFF, B_MED, "paul.cote", "anne.bouchard"] {
        assert!(!asked.contains(outside), "{outside} asked for:\n{asked}");
    }
    // Nothing of the other establishment anywhere in the store's file.
    drop(store);
    let bytes = std::fs::read(_dir.path().join("vigie365.sqlite")).expect("db");
    let text = String::from_utf8_lossy(&bytes);
    for outside in [B_STAFF, B_MED, "paul.cote", "anne.bouchard", "CIUSSS B"] {
        assert!(!text.contains(outside), "{outside} is in the store");
    }
}

#[tokio::test]
async fn without_a_perimeter_nothing_changes() {
    let h = tenant(0).await;
    let (_dir, store, report) = night(&h, None).await;
    report.expect("the night runs");
    let accounts: Vec<Account> = stored(&store);
    assert_eq!(accounts.len(), 6);
    assert!(
        accounts
            .iter()
            .all(|a| a.perimeter.is_empty() && a.organisation.is_empty())
    );
    assert_eq!(stored::<Registration>(&store).len(), 6);
    let asked: Vec<String> = h
        .server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert!(!asked.iter().any(|p| p.contains("administrativeUnits")));
    assert_eq!(
        users_select(&h).await,
        "id,userPrincipalName,displayName,mail,accountEnabled,userType,employeeType,onPremisesExtensionAttributes,createdDateTime,lastPasswordChangeDateTime,proxyAddresses",
        "the perimeter's attributes are not read without it"
    );
}

/// The `$select` of the first users request.
async fn users_select(h: &Harness) -> String {
    let reqs = h.received_on("/v1.0/users").await;
    query(&reqs[0]).get("$select").cloned().unwrap_or_default()
}

/// Runs a night whose perimeter cannot be resolved: the night fails with `expected` in its
/// message, nothing of the directory is stored.
async fn refused(h: &Harness, p: Perimeter, expected: &[&str], configuration: bool) {
    let (_dir, store, result) = night(h, Some(p)).await;
    let err = match result {
        Err(e) => e,
        Ok(r) => panic!("the night must fail: {:?}", r.sources),
    };
    let text = err.to_string();
    for e in expected {
        assert!(text.contains(e), "{e:?} not in {text}");
    }
    assert!(
        text.contains("plutôt que d'auditer tout le locataire"),
        "{text}"
    );
    assert_eq!(err.is_configuration(), configuration, "{text}");
    assert!(stored::<Account>(&store).is_empty());
    assert!(stored::<Registration>(&store).is_empty());
    let s = store.lock().expect("store");
    let runs = s.runs().expect("runs");
    assert_eq!(runs.last().map(|r| r.status), Some(RunStatus::Failed));
}

#[tokio::test]
async fn a_unit_the_app_may_not_read_fails_the_night_naming_the_permission() {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/directory/administrativeUnits"))
        .respond_with(graph_error(
            403,
            json!({"error": {"code": "Authorization_RequestDenied",
                   "message": "Insufficient privileges to complete the operation."}}),
        ))
        .mount(&h.server)
        .await;
    let p = Perimeter {
        groups: Vec::new(),
        ..perimeter()
    };
    refused(
        &h,
        p,
        &[
            "unité administrative « CIUSSS A »",
            "AdministrativeUnit.Read.All",
        ],
        false,
    )
    .await;
}

#[tokio::test]
async fn a_unit_that_does_not_exist_is_a_configuration_error_naming_it() {
    let h = tenant(0).await;
    let missing = "0f0e0d0c-0b0a-4909-8807-060504030201";
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/directory/administrativeUnits/{missing}")))
        .respond_with(graph_error(
            404,
            json!({"error": {"code": "Request_ResourceNotFound",
                   "message": format!("Resource '{missing}' does not exist or one of its queried reference-property objects are not present.")}}),
        ))
        .mount(&h.server)
        .await;
    let p = Perimeter {
        units: vec![DirectoryRef::Id(missing.parse().expect("guid"))],
        ..perimeter()
    };
    refused(&h, p, &[missing, "introuvable", "ID d'objet"], true).await;
    let p = Perimeter {
        units: vec![DirectoryRef::Name("CIUSSS Z".into())],
        ..perimeter()
    };
    Mock::given(method("GET"))
        .and(path("/v1.0/directory/administrativeUnits"))
        .and(query_param("$filter", "displayName eq 'CIUSSS Z'"))
        .respond_with(graph_json(json!({"value": []})))
        .mount(&h.server)
        .await;
    refused(&h, p, &["« CIUSSS Z »", "aucun objet de ce nom"], true).await;
}

#[tokio::test]
async fn a_group_whose_members_cannot_be_read_fails_the_night() {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/groups"))
        .respond_with(graph_json(json!({
            "value": [{"id": GROUP, "displayName": "Personnel A"}]
        })))
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/v1.0/groups/{GROUP}/transitiveMembers/microsoft.graph.user"
        )))
        .respond_with(graph_error(
            403,
            json!({"error": {"code": "Authorization_RequestDenied",
                   "message": "Insufficient privileges to complete the operation."}}),
        ))
        .mount(&h.server)
        .await;
    let p = Perimeter {
        units: Vec::new(),
        ..perimeter()
    };
    refused(&h, p, &["GroupMember.Read.All"], false).await;
}

#[tokio::test]
async fn a_name_two_units_carry_is_ambiguous() {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/directory/administrativeUnits"))
        .respond_with(graph_json(json!({
            "value": [{"id": UNIT, "displayName": "CIUSSS A"},
                      {"id": "8b5c3c0e-1d2a-4b7e-9f10-2a3b4c5d6e7f", "displayName": "CIUSSS A"}]
        })))
        .mount(&h.server)
        .await;
    let p = Perimeter {
        groups: Vec::new(),
        ..perimeter()
    };
    refused(&h, p, &["ambigu", UNIT, "ID d'objet"], true).await;
}
