//! Contract tests: one per query family of `queries/`, against wiremock.
//!
//! Each test serves a response shaped like Microsoft's documented examples (fixtures under
//! `tests/fixtures/`, quirks kept: `@odata.context`, `@odata.nextLink`, never-dates, `""`
//! enums, annotations the tool does not read), builds the request the way a collector will
//! from the query's catalogue entry, pages through it with the real client, and checks both
//! sides of the wire: what the decoded models hold, field by field, and what the mock
//! received (path, decoded query parameters, headers, body). Each family also has the error
//! case that matters for it.

mod common;

use chrono::{DateTime, Utc};
use http::Method;
use serde::de::DeserializeOwned;
use url::Url;
use vigie365::graph::error::Refused;
use vigie365::graph::{BatchRequest, Call, GraphError, Pager, Refusal, ThrottleClass, models};
use vigie365::queries::{self, Query};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, Request, ResponseTemplate};

use common::wiremock_graph::{
    DOMAIN, EXCHANGE_TOKEN, GRAPH_TOKEN, Harness, TENANT, anchor_mailbox, bearer, graph_error,
    graph_json, header, query,
};

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

fn catalogue(name: &str) -> &'static Query {
    queries::get(name).unwrap_or_else(|| panic!("queries/{name}.toml is missing"))
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test date")
        .with_timezone(&Utc)
}

/// A GET call for a Graph query family, to `path` with those query parameters.
fn graph_call(h: &Harness, q: &Query, request_path: &str, params: &[(&str, &str)]) -> Call {
    let url = h
        .client
        .graph_url(request_path, params)
        .expect("valid Graph URL");
    Call::for_query(q, Method::GET, url)
}

/// Every page of a pager, in order, with its page number.
async fn all_pages<T: DeserializeOwned>(mut pager: Pager<T>) -> Result<Vec<Vec<T>>, GraphError> {
    let mut pages = Vec::new();
    while let Some(page) = pager.next_page().await? {
        assert_eq!(page.number as usize, pages.len() + 1, "pages are numbered");
        pages.push(page.items);
    }
    Ok(pages)
}

fn refused(e: &GraphError) -> &Refused {
    match e {
        GraphError::Refused(r) => r,
        other => panic!("expected a refusal, got: {other:?}"),
    }
}

/// The query string of a link as the server will see it.
fn link_query(link: &serde_json::Value) -> String {
    let link = link.as_str().expect("a link is a string");
    Url::parse(link)
        .expect("a link is a URL")
        .query()
        .expect("a paging link has a query")
        .to_string()
}

/// The raw query string, for checks on the encoding itself.
fn raw_query(r: &Request) -> &str {
    r.url.query().unwrap_or("")
}

/// Checks that the request is a plain Graph request: the Graph token, no Exchange headers.
fn assert_graph_headers(r: &Request) {
    assert_eq!(
        bearer(r),
        Some(format!("Bearer {GRAPH_TOKEN}").as_str()),
        "Graph requests carry the Graph token"
    );
    assert_eq!(header(r, "x-anchormailbox"), None);
    assert_eq!(header(r, "x-responseformat"), None);
}

// ---------------------------------------------------------------------------------------------
// users
// ---------------------------------------------------------------------------------------------

const USERS_SKIPTOKEN: &str =
    "RFNwdAIAAQAAACpVc2VyXzFlN2E0YzVkLWEyMGQtNGI3Ni05ZTI3LTgxZjM2YTBkY2M1OQAAAAAAAAAAAAAA";

#[tokio::test]
async fn users_are_read_page_by_page_with_select_and_top() {
    let h = Harness::start().await;
    let q = catalogue("users");
    let page1 = h.fixture("graph/users-page1.json");
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(graph_json(page1.clone()))
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", USERS_SKIPTOKEN))
        .respond_with(graph_json(h.fixture("graph/users-page2.json")))
        .mount(&h.server)
        .await;

    let select = q.select();
    let top = q.page_size.to_string();
    let call = graph_call(&h, q, &q.path, &[("$select", &select), ("$top", &top)]);
    let pages = all_pages(h.client.pages::<models::User>(call))
        .await
        .expect("both pages read");
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 2]);

    // The generic CHSLD tablet: enabled member, classified by its extension attribute.
    let tablet = &pages[0][0];
    assert_eq!(tablet.id, "3c9a6f0e-1b2d-4e5f-8a7b-9c0d1e2f3a4b");
    assert_eq!(
        tablet.user_principal_name,
        "tablette1.chsldverdun@ssss.gouv.qc.ca"
    );
    assert_eq!(
        tablet.display_name.as_deref(),
        Some("Tablette 1 CHSLD de Verdun")
    );
    assert_eq!(tablet.account_enabled, Some(true));
    assert_eq!(tablet.user_type.as_deref(), Some("Member"));
    assert_eq!(tablet.employee_type.as_deref(), Some("Générique"));
    assert_eq!(
        tablet.on_premises_extension_attributes["extensionAttribute1"].as_deref(),
        Some("GENERIQUE")
    );
    assert_eq!(
        tablet.on_premises_extension_attributes["extensionAttribute3"],
        None
    );
    assert_eq!(tablet.on_premises_extension_attributes.len(), 15);
    assert_eq!(tablet.created_date_time, Some(utc("2021-03-15T14:02:11Z")));
    assert_eq!(
        tablet.last_password_change_date_time,
        Some(utc("2021-03-15T14:05:47Z"))
    );
    assert_eq!(tablet.sign_in_activity, None, "not selected, not read");

    // The « Appli » account is disabled: false, not "unknown".
    // The perimeter's attributes: a value, or null when unset.
    assert_eq!(tablet.company_name.as_deref(), Some("CISSS de l'Exemple"));
    assert_eq!(tablet.office_location, None);
    let appli = &pages[0][1];
    assert_eq!(appli.account_enabled, Some(false));
    assert_eq!(appli.mail, None);
    assert_eq!(appli.employee_type.as_deref(), Some("Appli"));

    // The guest keeps its #EXT# UPN and its personal address.
    let guest = &pages[0][2];
    assert_eq!(guest.user_type.as_deref(), Some("Guest"));
    assert_eq!(
        guest.user_principal_name,
        "marie.gagnon_gmail.com#EXT#@cisssexemple.onmicrosoft.com"
    );
    assert_eq!(guest.mail.as_deref(), Some("marie.gagnon@gmail.com"));
    assert_eq!(guest.employee_type, None);

    // Page 2: the physician (.med address), and an old account with no creation date.
    let physician = &pages[1][0];
    assert_eq!(
        physician.mail.as_deref(),
        Some("jean.tremblay.med@ssss.gouv.qc.ca")
    );
    assert_eq!(
        physician.on_premises_extension_attributes["extensionAttribute2"].as_deref(),
        Some("Hôpital de Verdun")
    );
    assert_eq!(
        physician.proxy_addresses.len(),
        3,
        "SMTP:, smtp: and x500: as given"
    );
    assert!(physician.proxy_addresses[1].starts_with("smtp:jtremblay@"));
    assert!(tablet.proxy_addresses.is_empty(), "an empty list");
    let old = &pages[1][1];
    assert!(old.proxy_addresses.is_empty(), "null reads as none");
    assert_eq!(old.created_date_time, None, "null creation date is None");
    assert_eq!(
        old.last_password_change_date_time,
        Some(utc("2024-02-12T20:15:40Z"))
    );
    assert!(
        old.on_premises_extension_attributes
            .values()
            .all(Option::is_none)
    );

    // The wire: $select and $top on the first request, the nextLink followed as given.
    let reqs = h.received_on("/v1.0/users").await;
    assert_eq!(reqs.len(), 2);
    let first = query(&reqs[0]);
    assert_eq!(first.get("$select"), Some(&select));
    assert!(
        select.split(',').any(|f| f == "accountEnabled")
            && select.split(',').any(|f| f == "userType"),
        "accountEnabled and userType are only returned when selected: {select}"
    );
    assert_eq!(first.get("$top").map(String::as_str), Some("999"));
    assert!(!first.contains_key("$filter"));
    assert!(!first.contains_key("$skiptoken"));
    assert_eq!(raw_query(&reqs[1]), link_query(&page1["@odata.nextLink"]));
    assert_eq!(
        query(&reqs[1]).get("$select"),
        Some(&select),
        "the nextLink keeps the selection"
    );
    for r in &reqs {
        assert_eq!(r.method.as_str(), "GET");
        assert_graph_headers(r);
    }

    // One Graph token for the whole paging, asked with client credentials.
    let tokens = h.token_requests().await;
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].contains("grant_type=client_credentials"));
    assert!(tokens[0].contains("graph.microsoft.com%2F.default"));
    assert!(tokens[0].contains(common::wiremock_graph::CLIENT_ID));
}

#[tokio::test]
async fn users_refused_for_want_of_user_read_all_names_it() {
    let h = Harness::start().await;
    let q = catalogue("users");
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(graph_error(
            403,
            h.fixture("graph/error-403-authorization-denied.json"),
        ))
        .mount(&h.server)
        .await;

    let select = q.select();
    let call = graph_call(&h, q, &q.path, &[("$select", &select), ("$top", "999")]);
    let err = all_pages(h.client.pages::<models::User>(call))
        .await
        .expect_err("a 403 is an error, never an empty directory");
    let r = refused(&err);
    assert_eq!(r.status, 403);
    assert_eq!(r.code.as_deref(), Some("Authorization_RequestDenied"));
    assert_eq!(r.refusal, Refusal::Permission);
    assert_eq!(r.permissions, ["User.Read.All"]);
    assert_eq!(
        r.request_id.as_deref(),
        Some("3f0f7a3b-52c1-4e8d-9a6f-1b2c3d4e5f60")
    );
    assert_eq!(r.request.query, "users");
    assert_eq!(r.request.path, "/v1.0/users");
    let text = err.to_string();
    assert!(text.contains("User.Read.All"), "{text}");
    assert!(text.contains("HTTP 403"), "{text}");
    assert!(err.is_access_denied());
    assert_eq!(
        h.received_on("/v1.0/users").await.len(),
        1,
        "a 403 is not retried"
    );
}

// ---------------------------------------------------------------------------------------------
// users-sign-in-activity
// ---------------------------------------------------------------------------------------------

const SCOPED_IDS: [&str; 3] = [
    "3c9a6f0e-1b2d-4e5f-8a7b-9c0d1e2f3a4b",
    "a41d2b77-0c3e-4f98-b1a6-52e7d9c0f812",
    "e5b0c8f1-7d24-4a39-9c61-0f3b8e2d4a75",
];

fn sign_in_activity_filter(q: &Query) -> String {
    let ids = SCOPED_IDS
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(",");
    q.filter
        .as_deref()
        .expect("users-sign-in-activity has a filter template")
        .replace("{ids}", &ids)
}

#[tokio::test]
async fn sign_in_activity_of_scoped_accounts_decodes_never_dates_as_none() {
    let h = Harness::start().await;
    let q = catalogue("users-sign-in-activity");
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(graph_json(h.fixture("graph/users-sign-in-activity.json")))
        .mount(&h.server)
        .await;

    let filter = sign_in_activity_filter(q);
    let select = q.select();
    let top = q.page_size.to_string();
    let call = graph_call(
        &h,
        q,
        &q.path,
        &[("$select", &select), ("$filter", &filter), ("$top", &top)],
    );
    let pages = all_pages(h.client.pages::<models::UserActivity>(call))
        .await
        .expect("read");
    assert_eq!(pages.len(), 1);
    let users = &pages[0];
    assert_eq!(
        users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        SCOPED_IDS
    );

    let tablet = users[0].sign_in_activity.as_ref().expect("activity");
    assert_eq!(
        tablet.last_sign_in_date_time,
        Some(utc("2026-02-28T07:12:45Z"))
    );
    assert_eq!(
        tablet.last_non_interactive_sign_in_date_time,
        Some(utc("2026-03-01T23:58:02Z"))
    );
    assert_eq!(
        tablet.last_successful_sign_in_date_time,
        Some(utc("2026-03-01T23:58:02Z"))
    );

    // The « Appli » account never signed in interactively: 0001-01-01 means never.
    let appli = users[1].sign_in_activity.as_ref().expect("activity");
    assert_eq!(appli.last_sign_in_date_time, None);
    assert_eq!(
        appli.last_non_interactive_sign_in_date_time,
        Some(utc("2026-03-01T04:00:13Z"))
    );
    assert_eq!(appli.last_successful_sign_in_date_time, None);

    // The guest never signed in at all: Graph sends signInActivity as null.
    assert_eq!(users[2].sign_in_activity, None);

    let reqs = h.received_on("/v1.0/users").await;
    assert_eq!(reqs.len(), 1);
    let sent = query(&reqs[0]);
    assert_eq!(
        sent.get("$select").map(String::as_str),
        Some("id,signInActivity")
    );
    assert_eq!(sent.get("$filter"), Some(&filter));
    assert_eq!(
        filter,
        "id in ('3c9a6f0e-1b2d-4e5f-8a7b-9c0d1e2f3a4b','a41d2b77-0c3e-4f98-b1a6-52e7d9c0f812','e5b0c8f1-7d24-4a39-9c61-0f3b8e2d4a75')"
    );
    assert_eq!(sent.get("$top").map(String::as_str), Some("500"));
    let raw = raw_query(&reqs[0]);
    assert!(
        raw.contains("$filter=id%20in%20(") && !raw.contains('+') && !raw.contains(' '),
        "spaces are sent as %20: {raw}"
    );
    assert_graph_headers(&reqs[0]);
    let counts = h.client.counters().get(ThrottleClass::SignInActivity);
    assert_eq!(
        counts.requests, 1,
        "signInActivity is charged to its own class"
    );
    assert_eq!(
        h.client.counters().get(ThrottleClass::Directory).requests,
        0
    );
}

#[tokio::test]
async fn sign_in_activity_without_premium_licence_is_a_licence_refusal() {
    let h = Harness::start().await;
    let q = catalogue("users-sign-in-activity");
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(graph_error(
            403,
            h.fixture("graph/error-403-non-premium.json"),
        ))
        .mount(&h.server)
        .await;

    let filter = sign_in_activity_filter(q);
    let select = q.select();
    let call = graph_call(
        &h,
        q,
        &q.path,
        &[("$select", &select), ("$filter", &filter), ("$top", "500")],
    );
    let err = all_pages(h.client.pages::<models::UserActivity>(call))
        .await
        .expect_err("no P1: not read, never \"never signed in\"");
    let r = refused(&err);
    assert_eq!(r.refusal, Refusal::Licence);
    assert_eq!(
        r.code.as_deref(),
        Some("Authentication_RequestFromNonPremiumTenantOrB2CTenant")
    );
    assert_eq!(r.licence, "Entra ID P1 ou P2");
    assert_eq!(r.permissions, ["User.Read.All", "AuditLog.Read.All"]);
    assert!(err.is_access_denied());
    assert!(err.to_string().contains("licence manquante"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// user-registration-details
// ---------------------------------------------------------------------------------------------

const REG_PATH: &str = "/v1.0/reports/authenticationMethods/userRegistrationDetails";
const REG_SKIPTOKEN: &str = "MSEyMDAhN2YyZTlhNDAtNmIxYy00ZDgzLWE1ZTctYzJkOWYwYjEzZTY4";

#[tokio::test]
async fn registration_details_page_without_select_or_top() {
    let h = Harness::start().await;
    let q = catalogue("user-registration-details");
    assert_eq!(q.path, REG_PATH);
    let page1 = h.fixture("graph/registration-details-page1.json");
    Mock::given(method("GET"))
        .and(path(REG_PATH))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(graph_json(page1.clone()))
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(REG_PATH))
        .and(query_param("$skiptoken", REG_SKIPTOKEN))
        .respond_with(graph_json(
            h.fixture("graph/registration-details-page2.json"),
        ))
        .mount(&h.server)
        .await;

    // The endpoint takes only $filter and $orderby, and page_size is 0: no parameter at all.
    assert_eq!(q.page_size, 0);
    let call = graph_call(&h, q, &q.path, &[]);
    let pages = all_pages(h.client.pages::<models::RegistrationDetail>(call))
        .await
        .expect("both pages");
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2]);

    let tablet = &pages[0][0];
    assert_eq!(tablet.id, "3c9a6f0e-1b2d-4e5f-8a7b-9c0d1e2f3a4b");
    assert_eq!(
        tablet.user_principal_name,
        "tablette1.chsldverdun@ssss.gouv.qc.ca"
    );
    assert!(!tablet.is_mfa_registered);
    assert!(!tablet.is_mfa_capable);
    assert!(tablet.methods_registered.is_empty());
    let updated = tablet.last_updated_date_time.expect("date");
    assert_eq!(
        updated,
        utc("2026-03-01T18:22:07.4187323Z"),
        "seven fractional digits"
    );

    let physician = &pages[0][1];
    assert!(physician.is_mfa_registered && physician.is_mfa_capable);
    assert_eq!(
        physician.methods_registered,
        [
            "mobilePhone",
            "microsoftAuthenticatorPush",
            "softwareOneTimePasscode"
        ]
    );

    let appli = &pages[1][0];
    assert_eq!(appli.user_principal_name, "appli.octopus@ssss.gouv.qc.ca");
    assert!(!appli.is_mfa_registered);
    let break_glass = &pages[1][1];
    assert!(break_glass.is_mfa_registered);
    assert_eq!(break_glass.methods_registered, ["fido2"]);
    assert_eq!(
        break_glass.last_updated_date_time,
        Some(utc("2026-01-14T11:05:36.9022517Z"))
    );

    let reqs = h.received_on(REG_PATH).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].url.query(), None, "no $select, no $top");
    assert_eq!(raw_query(&reqs[1]), link_query(&page1["@odata.nextLink"]));
    for r in &reqs {
        assert_graph_headers(r);
    }
    assert_eq!(
        h.client
            .counters()
            .get(ThrottleClass::IdentityReports)
            .requests,
        2
    );
}

#[tokio::test]
async fn registration_details_refused_names_audit_log_read_all() {
    let h = Harness::start().await;
    let q = catalogue("user-registration-details");
    Mock::given(method("GET"))
        .and(path(REG_PATH))
        .respond_with(graph_error(
            403,
            h.fixture("graph/error-403-authorization-denied.json"),
        ))
        .mount(&h.server)
        .await;
    let call = graph_call(&h, q, &q.path, &[]);
    let err = all_pages(h.client.pages::<models::RegistrationDetail>(call))
        .await
        .expect_err("refused");
    let r = refused(&err);
    assert_eq!(r.refusal, Refusal::Permission);
    assert_eq!(r.permissions, ["AuditLog.Read.All"]);
    assert_eq!(r.request.path, REG_PATH);
    assert!(err.to_string().contains("AuditLog.Read.All"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// sign-ins (beta, and the v1.0 fallback)
// ---------------------------------------------------------------------------------------------

const SIGNINS_BETA: &str = "/beta/auditLogs/signIns";
const SIGNINS_V1: &str = "/v1.0/auditLogs/signIns";
const SIGNINS_SKIPTOKEN: &str =
    "c3d0d13e2d7f4b0e9a1c6e8f0b2d4f6a8c0e2a4b6d8f0a2c4e6a8c0e2a4b6d8f_2";

/// The `$filter` a collector builds for one night and two in-scope accounts.
fn sign_in_filter(template: &str) -> String {
    template
        .replace("{from}", "2026-03-01T00:00:00Z")
        .replace("{to}", "2026-03-02T00:00:00Z")
        .replace(
            "{users}",
            "userId eq '3c9a6f0e-1b2d-4e5f-8a7b-9c0d1e2f3a4b' or userId eq 'a41d2b77-0c3e-4f98-b1a6-52e7d9c0f812'",
        )
}

#[tokio::test]
async fn beta_sign_ins_page_with_filter_and_keep_mfa_fields() {
    let h = Harness::start().await;
    let q = catalogue("sign-ins");
    assert_eq!(q.path, SIGNINS_BETA);
    let page1 = h.fixture("graph/signins-beta-page1.json");
    Mock::given(method("GET"))
        .and(path(SIGNINS_BETA))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(graph_json(page1.clone()))
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(SIGNINS_BETA))
        .and(query_param("$skiptoken", SIGNINS_SKIPTOKEN))
        .respond_with(graph_json(h.fixture("graph/signins-beta-page2.json")))
        .mount(&h.server)
        .await;

    let filter = sign_in_filter(q.filter.as_deref().expect("filter template"));
    let top = q.page_size.to_string();
    // The list endpoint documents $top, $skiptoken and $filter only: no $select.
    let call = graph_call(&h, q, &q.path, &[("$filter", &filter), ("$top", &top)]);
    let pages = all_pages(h.client.pages::<models::SignIn>(call))
        .await
        .expect("both pages");
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2]);

    // Interactive single-factor sign-in of the tablet to Teams, from the CHSLD.
    let s = &pages[0][0];
    assert_eq!(s.id, "b7d2f1a0-3c5e-4a8b-9d60-1e2f3a4b5c00");
    assert_eq!(s.created_date_time, utc("2026-03-01T22:47:13Z"));
    assert_eq!(s.user_id, "3c9a6f0e-1b2d-4e5f-8a7b-9c0d1e2f3a4b");
    assert_eq!(
        s.user_principal_name,
        "tablette1.chsldverdun@ssss.gouv.qc.ca"
    );
    assert_eq!(s.app_id, "1fec8e78-bce4-4aaf-ab1b-5451cc387264");
    assert_eq!(s.app_display_name, "Microsoft Teams");
    assert_eq!(s.ip_address.as_deref(), Some("203.0.113.45"));
    assert_eq!(
        s.client_app_used.as_deref(),
        Some("Mobile Apps and Desktop clients")
    );
    assert_eq!(s.is_interactive, Some(true));
    assert!(s.interactive());
    assert_eq!(s.sign_in_event_types, ["interactiveUser"]);
    assert_eq!(
        s.authentication_requirement.as_deref(),
        Some("singleFactorAuthentication")
    );
    assert!(
        s.succeeded(),
        "errorCode 0 even with failureReason \"Other.\""
    );
    assert_eq!(s.device_detail.operating_system.as_deref(), Some("Android"));
    assert_eq!(s.device_detail.browser, None, "\"\" is None");
    assert_eq!(s.device_detail.display_name, None);
    assert_eq!(s.device_detail.is_managed, Some(false), "GEN-DEV-01");
    assert_eq!(s.device_detail.is_compliant, Some(false));
    assert_eq!(s.device_detail.device_id, None, "\"\" is None");
    assert_eq!(s.device_detail.trust_type, None, "\"\" is None");

    // The « Appli » account's service sign-in: non-interactive.
    let s = &pages[0][1];
    assert_eq!(s.is_interactive, Some(false));
    assert_eq!(s.sign_in_event_types, ["nonInteractiveUser"]);
    assert!(!s.interactive());
    assert_eq!(s.device_detail.operating_system, None);

    // The « Appli » account at a browser, failed, with the empty-string enum.
    let s = &pages[1][0];
    assert_eq!(s.authentication_requirement, None, "\"\" is None");
    assert_eq!(s.client_app_used.as_deref(), Some("Browser"));
    assert!(s.interactive());
    assert_eq!(s.status.error_code, 50126);
    assert!(!s.succeeded());
    assert_eq!(
        s.status.failure_reason.as_deref(),
        Some("Error validating credentials due to invalid username or password.")
    );
    assert_eq!(s.device_detail.browser.as_deref(), Some("Edge 122.0.0"));

    // MFA satisfied, no IP address ("" is None), sub-second creation time.
    let s = &pages[1][1];
    assert_eq!(s.device_detail.is_managed, Some(true), "a managed tablet");
    assert_eq!(s.device_detail.is_compliant, Some(true));
    assert_eq!(
        s.device_detail.device_id.as_deref(),
        Some("8d0f2b4c-6e8a-4c0e-a2b4-c6d8e0f2a4b6")
    );
    assert_eq!(
        s.device_detail.display_name.as_deref(),
        Some("TABLETTE-CHSLD-01")
    );
    assert_eq!(s.device_detail.trust_type.as_deref(), Some("Workplace"));
    assert_eq!(
        s.authentication_requirement.as_deref(),
        Some("multiFactorAuthentication")
    );
    assert_eq!(s.ip_address, None);
    assert_eq!(s.created_date_time, utc("2026-03-01T08:16:40.8123456Z"));
    assert_eq!(
        s.device_detail.display_name.as_deref(),
        Some("TABLETTE-CHSLD-01")
    );

    let reqs = h.received_on(SIGNINS_BETA).await;
    assert_eq!(reqs.len(), 2);
    let sent = query(&reqs[0]);
    assert_eq!(sent.get("$filter"), Some(&filter));
    assert_eq!(
        filter,
        "createdDateTime ge 2026-03-01T00:00:00Z and createdDateTime lt 2026-03-02T00:00:00Z and \
         (userId eq '3c9a6f0e-1b2d-4e5f-8a7b-9c0d1e2f3a4b' or userId eq 'a41d2b77-0c3e-4f98-b1a6-52e7d9c0f812') \
         and signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')"
    );
    assert_eq!(sent.get("$top").map(String::as_str), Some("1000"));
    assert!(!sent.contains_key("$select"));
    let raw = raw_query(&reqs[0]);
    assert!(
        !raw.contains(' ') && !raw.contains('+') && raw.contains("%20and%20"),
        "the filter is percent-encoded with %20: {raw}"
    );
    assert_eq!(raw_query(&reqs[1]), link_query(&page1["@odata.nextLink"]));
    for r in &reqs {
        assert_graph_headers(r);
    }
    assert_eq!(
        h.client
            .counters()
            .get(ThrottleClass::IdentityReports)
            .requests,
        2
    );
}

#[tokio::test]
async fn v1_sign_ins_fallback_has_no_mfa_fields() {
    let h = Harness::start().await;
    let q = catalogue("sign-ins");
    let fallback_path = q.fallback_path.as_deref().expect("fallback path");
    assert_eq!(fallback_path, SIGNINS_V1);
    Mock::given(method("GET"))
        .and(path(SIGNINS_V1))
        .respond_with(graph_json(h.fixture("graph/signins-v1.json")))
        .mount(&h.server)
        .await;

    let filter = sign_in_filter(q.fallback_filter.as_deref().expect("fallback filter"));
    let call = graph_call(
        &h,
        q,
        fallback_path,
        &[("$filter", &filter), ("$top", "1000")],
    );
    let pages = all_pages(h.client.pages::<models::SignIn>(call))
        .await
        .expect("read");
    assert_eq!(pages.len(), 1);
    let s = &pages[0][0];
    assert_eq!(s.created_date_time, utc("2026-03-01T08:16:40Z"));
    assert_eq!(s.authentication_requirement, None, "absent on v1.0");
    assert!(s.sign_in_event_types.is_empty());
    assert!(s.interactive(), "v1.0 returns interactive sign-ins");
    assert!(s.succeeded());
    assert_eq!(s.status.failure_reason, None);
    assert_eq!(s.device_detail.display_name, None, "null is None");
    assert_eq!(
        s.device_detail.browser.as_deref(),
        Some("Rich Client 1.0.0")
    );
    let blocked = &pages[0][1];
    assert_eq!(blocked.status.error_code, 53003);
    assert!(!blocked.succeeded());
    assert_eq!(
        blocked.client_app_used.as_deref(),
        Some("Exchange ActiveSync")
    );

    let reqs = h.received_on(SIGNINS_V1).await;
    assert_eq!(reqs.len(), 1);
    let sent = query(&reqs[0]);
    assert_eq!(
        sent.get("$filter").map(String::as_str),
        Some(
            "createdDateTime ge 2026-03-01T00:00:00Z and createdDateTime lt 2026-03-02T00:00:00Z and \
             (userId eq '3c9a6f0e-1b2d-4e5f-8a7b-9c0d1e2f3a4b' or userId eq 'a41d2b77-0c3e-4f98-b1a6-52e7d9c0f812')"
        )
    );
    assert_eq!(sent.get("$top").map(String::as_str), Some("1000"));
    assert_eq!(h.received_on(SIGNINS_BETA).await.len(), 0);
}

#[tokio::test]
async fn sign_ins_refusals_name_both_permissions_or_the_licence() {
    let h = Harness::start().await;
    let q = catalogue("sign-ins");
    let filter = sign_in_filter(q.filter.as_deref().expect("filter"));

    // Missing Directory.Read.All or AuditLog.Read.All: both are named.
    let denied = Mock::given(method("GET"))
        .and(path(SIGNINS_BETA))
        .respond_with(graph_error(
            403,
            h.fixture("graph/error-403-authorization-denied.json"),
        ))
        .mount_as_scoped(&h.server)
        .await;
    let call = graph_call(&h, q, &q.path, &[("$filter", &filter), ("$top", "1000")]);
    let err = all_pages(h.client.pages::<models::SignIn>(call.clone()))
        .await
        .expect_err("refused");
    let r = refused(&err);
    assert_eq!(r.refusal, Refusal::Permission);
    assert_eq!(r.permissions, ["AuditLog.Read.All", "Directory.Read.All"]);
    assert!(
        err.to_string()
            .contains("AuditLog.Read.All et Directory.Read.All"),
        "{err}"
    );
    drop(denied);

    // A tenant without Entra ID P1/P2: a licence refusal, the source is "not collected".
    Mock::given(method("GET"))
        .and(path(SIGNINS_BETA))
        .respond_with(graph_error(
            403,
            h.fixture("graph/error-403-non-premium.json"),
        ))
        .mount(&h.server)
        .await;
    let err = all_pages(h.client.pages::<models::SignIn>(call))
        .await
        .expect_err("refused");
    let r = refused(&err);
    assert_eq!(r.refusal, Refusal::Licence);
    assert_eq!(
        r.message.as_deref(),
        Some("Neither tenant is B2C or tenant doesn't have premium license")
    );
    assert_eq!(
        r.request_id.as_deref(),
        Some("c2a94f0e-6d3b-4a1c-b7e5-98f0d1c2e3a4")
    );
    assert!(err.is_access_denied());
    assert!(err.to_string().contains("Entra ID P1 ou P2"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// conditional-access-policies
// ---------------------------------------------------------------------------------------------

const CA_PATH: &str = "/v1.0/identity/conditionalAccess/policies";
const GENERIC_GROUP: &str = "6b1f0e3d-2c4a-4b59-8e7d-a0c1b2d3e4f5";
const BREAK_GLASS: &str = "2b8d4f60-a1c3-4e57-9f0b-3d6e8a1c5b27";

async fn read_policies(h: &Harness) -> Result<Vec<models::ConditionalAccessPolicy>, GraphError> {
    let q = catalogue("conditional-access-policies");
    let select = q.select();
    let call = graph_call(h, q, &q.path, &[("$select", &select)]);
    Ok(all_pages(h.client.pages(call)).await?.concat())
}

fn assert_policies(policies: &[models::ConditionalAccessPolicy]) {
    assert_eq!(policies.len(), 4);

    let mfa_all = &policies[0];
    assert_eq!(mfa_all.id, "1d3f5b7a-9c2e-4a6b-8d0f-2b4d6f8a0c1e");
    assert_eq!(
        mfa_all.display_name,
        "CA001 - MFA pour tous les utilisateurs"
    );
    assert_eq!(mfa_all.state, "enabled");
    let cond = mfa_all.conditions.as_ref().expect("conditions");
    let users = cond.users.as_ref().expect("users");
    assert_eq!(users.include_users, ["All"]);
    assert_eq!(users.exclude_users, [BREAK_GLASS]);
    assert_eq!(
        users.exclude_groups,
        [GENERIC_GROUP],
        "the generic accounts' group is excluded"
    );
    assert!(users.include_roles.is_empty() && users.exclude_roles.is_empty());
    assert_eq!(
        cond.applications
            .as_ref()
            .expect("apps")
            .include_applications,
        ["All"]
    );
    assert_eq!(cond.client_app_types, ["all"]);
    let grant = mfa_all.grant_controls.as_ref().expect("grant");
    assert_eq!(grant.operator.as_deref(), Some("OR"));
    assert_eq!(grant.built_in_controls, ["mfa"]);
    assert_eq!(grant.authentication_strength, None, "null strength");

    let admins = &policies[1];
    assert_eq!(admins.state, "enabledForReportingButNotEnforced");
    let users = admins
        .conditions
        .as_ref()
        .and_then(|c| c.users.as_ref())
        .expect("users");
    assert!(users.include_users.is_empty());
    assert_eq!(
        users.include_roles,
        [
            "62e90394-69f5-4237-9190-012177145e10",
            "194ae4cb-b126-40b2-bd5b-6091b380977d"
        ]
    );
    let grant = admins.grant_controls.as_ref().expect("grant");
    assert!(grant.built_in_controls.is_empty());
    let strength = grant.authentication_strength.as_ref().expect("strength");
    assert_eq!(strength["id"], "00000000-0000-0000-0000-000000000004");
    assert_eq!(strength["requirementsSatisfied"], "mfa");

    let legacy = &policies[2];
    assert_eq!(legacy.state, "disabled");
    assert_eq!(
        legacy
            .conditions
            .as_ref()
            .expect("conditions")
            .client_app_types,
        ["exchangeActiveSync", "other"]
    );
    assert_eq!(
        legacy
            .grant_controls
            .as_ref()
            .expect("grant")
            .built_in_controls,
        ["block"]
    );

    // A session-only policy: grantControls is null, it requires nothing at sign-in.
    let session = &policies[3];
    assert_eq!(session.grant_controls, None);
    assert_eq!(
        session
            .conditions
            .as_ref()
            .and_then(|c| c.users.as_ref())
            .expect("users")
            .include_groups,
        [GENERIC_GROUP]
    );
}

#[tokio::test]
async fn conditional_access_policies_keep_exclusions_and_grant_controls() {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .and(path(CA_PATH))
        .respond_with(graph_json(
            h.fixture("graph/conditional-access-policies.json"),
        ))
        .mount(&h.server)
        .await;

    let policies = read_policies(&h).await.expect("read");
    assert_policies(&policies);

    let reqs = h.received_on(CA_PATH).await;
    assert_eq!(reqs.len(), 1);
    let sent = query(&reqs[0]);
    assert_eq!(
        sent.get("$select").map(String::as_str),
        Some("id,displayName,state,conditions,grantControls")
    );
    assert!(!sent.contains_key("$top"), "page_size 0: the service's own");
    assert_graph_headers(&reqs[0]);
}

#[tokio::test]
async fn conditional_access_429_without_retry_after_is_retried() {
    let h = Harness::start().await;
    // Conditional access throttles at 1 request per second and answers 429 without
    // Retry-After: the client backs off on its own and tries again.
    Mock::given(method("GET"))
        .and(path(CA_PATH))
        .respond_with(graph_error(
            429,
            h.fixture("graph/error-429-conditional-access.json"),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(CA_PATH))
        .respond_with(graph_json(
            h.fixture("graph/conditional-access-policies.json"),
        ))
        .with_priority(2)
        .mount(&h.server)
        .await;

    let policies = read_policies(&h).await.expect("read after one retry");
    assert_policies(&policies);
    let reqs = h.received_on(CA_PATH).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].url, reqs[1].url, "the same request is sent again");
    let counts = h.client.counters().get(ThrottleClass::ConditionalAccess);
    assert_eq!(
        (counts.requests, counts.throttled, counts.retries),
        (2, 1, 1)
    );
}

#[tokio::test]
async fn conditional_access_refused_names_policy_read_all() {
    let h = Harness::start().await;
    Mock::given(method("GET"))
        .and(path(CA_PATH))
        .respond_with(graph_error(
            403,
            h.fixture("graph/error-403-authorization-denied.json"),
        ))
        .mount(&h.server)
        .await;
    let err = read_policies(&h).await.expect_err("refused");
    let r = refused(&err);
    assert_eq!(r.refusal, Refusal::Permission);
    assert_eq!(r.permissions, ["Policy.Read.All"]);
    assert!(err.to_string().contains("Policy.Read.All"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// named-locations
// ---------------------------------------------------------------------------------------------

const NAMED_LOCATIONS: &str = "/v1.0/identity/conditionalAccess/namedLocations";

#[tokio::test]
async fn named_locations_decode_ip_and_country_locations() {
    let h = Harness::start().await;
    let q = catalogue("named-locations");
    Mock::given(method("GET"))
        .and(path(NAMED_LOCATIONS))
        .respond_with(graph_json(h.fixture("graph/named-locations.json")))
        .mount(&h.server)
        .await;

    let select = q.select();
    let call = graph_call(&h, q, &q.path, &[("$select", &select)]);
    let locations = all_pages(h.client.pages::<models::NamedLocation>(call))
        .await
        .expect("read")
        .concat();
    assert_eq!(locations.len(), 3);

    let chsld = &locations[0];
    assert_eq!(chsld.odata_type, "#microsoft.graph.ipNamedLocation");
    assert_eq!(chsld.display_name, "CHSLD de Verdun");
    assert_eq!(chsld.is_trusted, Some(true));
    assert_eq!(
        chsld
            .ip_ranges
            .iter()
            .map(|r| r.cidr_address.as_str())
            .collect::<Vec<_>>(),
        ["203.0.113.0/27", "198.51.100.20/32"]
    );

    let country = &locations[1];
    assert_eq!(country.odata_type, "#microsoft.graph.countryNamedLocation");
    assert_eq!(country.display_name, "Canada");
    assert!(country.ip_ranges.is_empty());
    assert_eq!(country.is_trusted, None);

    let v6 = &locations[2];
    assert_eq!(v6.is_trusted, Some(false));
    assert_eq!(v6.ip_ranges[0].cidr_address, "2001:db8:4f21::/48");

    let reqs = h.received_on(NAMED_LOCATIONS).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        query(&reqs[0]).get("$select").map(String::as_str),
        Some("id,displayName,ipRanges,isTrusted")
    );
    assert!(!query(&reqs[0]).contains_key("$top"));
    assert_graph_headers(&reqs[0]);
    assert_eq!(
        h.client
            .counters()
            .get(ThrottleClass::ConditionalAccess)
            .requests,
        1
    );
}

#[tokio::test]
async fn named_locations_refusal_reads_the_lowercase_innererror() {
    let h = Harness::start().await;
    let q = catalogue("named-locations");
    Mock::given(method("GET"))
        .and(path(NAMED_LOCATIONS))
        .respond_with(graph_error(
            403,
            h.fixture("graph/error-403-authorization-denied-lowercase-innererror.json"),
        ))
        .mount(&h.server)
        .await;
    let select = q.select();
    let call = graph_call(&h, q, &q.path, &[("$select", &select)]);
    let err = all_pages(h.client.pages::<models::NamedLocation>(call))
        .await
        .expect_err("refused");
    let r = refused(&err);
    assert_eq!(r.refusal, Refusal::Permission);
    assert_eq!(r.permissions, ["Policy.Read.All"]);
    assert_eq!(
        r.request_id.as_deref(),
        Some("b8e1d4c7-0a2f-4b6e-8d93-7c5a1e0f2b94"),
        "innererror spelt in lower case is read too"
    );
    assert!(
        err.to_string()
            .contains("b8e1d4c7-0a2f-4b6e-8d93-7c5a1e0f2b94")
    );
}

// ---------------------------------------------------------------------------------------------
// group-members
// ---------------------------------------------------------------------------------------------

const GROUP_SKIPTOKEN: &str =
    "RFNwdAIAAQAAACpVc2VyXzNjOWE2ZjBlLTFiMmQtNGU1Zi04YTdiLTljMGQxZTJmM2E0YgAAAAAAAAAAAAAA";

fn group_members_path(q: &Query, group: &str) -> String {
    q.path.replace("{id}", group)
}

#[tokio::test]
async fn transitive_members_of_an_excluded_group_are_paged() {
    let h = Harness::start().await;
    let q = catalogue("group-members");
    let members_path = group_members_path(q, GENERIC_GROUP);
    assert_eq!(
        members_path,
        format!("/v1.0/groups/{GENERIC_GROUP}/transitiveMembers/microsoft.graph.user")
    );
    let page1 = h.fixture("graph/group-members-page1.json");
    Mock::given(method("GET"))
        .and(path(members_path.as_str()))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(graph_json(page1.clone()))
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(members_path.as_str()))
        .and(query_param("$skiptoken", GROUP_SKIPTOKEN))
        .respond_with(graph_json(h.fixture("graph/group-members-page2.json")))
        .mount(&h.server)
        .await;

    let select = q.select();
    let top = q.page_size.to_string();
    let call = graph_call(
        &h,
        q,
        &members_path,
        &[("$select", &select), ("$top", &top)],
    );
    let pages = all_pages(h.client.pages::<models::DirectoryMember>(call))
        .await
        .expect("both pages");
    let members = pages.concat();
    assert_eq!(
        members
            .iter()
            .map(|m| (m.id.as_str(), m.user_principal_name.as_deref()))
            .collect::<Vec<_>>(),
        [
            (
                "3c9a6f0e-1b2d-4e5f-8a7b-9c0d1e2f3a4b",
                Some("tablette1.chsldverdun@ssss.gouv.qc.ca")
            ),
            (
                "91a3c5e7-0b2d-4f6a-8c1e-3a5c7e9b1d3f",
                Some("tablette2.chsldverdun@ssss.gouv.qc.ca")
            ),
            (
                "a41d2b77-0c3e-4f98-b1a6-52e7d9c0f812",
                Some("appli.octopus@ssss.gouv.qc.ca")
            ),
        ]
    );

    let reqs = h.received_on(&members_path).await;
    assert_eq!(reqs.len(), 2);
    let sent = query(&reqs[0]);
    assert_eq!(
        sent.get("$select").map(String::as_str),
        Some("id,userPrincipalName")
    );
    assert_eq!(sent.get("$top").map(String::as_str), Some("999"));
    assert_eq!(raw_query(&reqs[1]), link_query(&page1["@odata.nextLink"]));
    for r in &reqs {
        assert_graph_headers(r);
    }
}

#[tokio::test]
async fn a_deleted_excluded_group_is_not_found_not_a_permission_problem() {
    let h = Harness::start().await;
    let q = catalogue("group-members");
    let members_path = group_members_path(q, GENERIC_GROUP);
    Mock::given(method("GET"))
        .and(path(members_path.as_str()))
        .respond_with(graph_error(
            404,
            h.fixture("graph/error-404-group-not-found.json"),
        ))
        .mount(&h.server)
        .await;
    let select = q.select();
    let call = graph_call(
        &h,
        q,
        &members_path,
        &[("$select", &select), ("$top", "999")],
    );
    let err = all_pages(h.client.pages::<models::DirectoryMember>(call))
        .await
        .expect_err("404");
    let r = refused(&err);
    assert_eq!(r.status, 404);
    assert_eq!(r.refusal, Refusal::NotFound);
    assert_eq!(r.code.as_deref(), Some("Request_ResourceNotFound"));
    assert!(!err.is_access_denied());
    assert_eq!(
        h.received_on(&members_path).await.len(),
        1,
        "404 is not retried"
    );
}

// ---------------------------------------------------------------------------------------------
// message-rules (through $batch)
// ---------------------------------------------------------------------------------------------

/// The 20 mailboxes of one batch; the fixture answers them out of order, the 15th with the
/// refusal of an Application Access Policy.
const MAILBOXES: [&str; 20] = [
    "3c9a6f0e-1b2d-4e5f-8a7b-9c0d1e2f3a4b",
    "f3f49249-dc28-4f90-a5ae-c7978306d03b",
    "7f2e9a40-6b1c-4d83-a5e7-c2d9f0b13e68",
    "6bad6be2-8e7a-46e9-9f19-950499dd251d",
    "d7a7a3cc-8c3d-4f16-9293-de8fc88b2875",
    "7dabe929-c4a3-44bf-86cd-75e9bb049a79",
    "d2e4f6a8-b0c2-4d4e-8f6a-8b0c2d4e6f8a",
    "14aa4e71-9d3c-4dec-80a6-1f933d6c51e3",
    "1919e93a-d117-45ad-8988-93101c593af5",
    "e4163207-d094-4996-82f0-ee99731c9452",
    "5071950e-adec-4f11-bd83-6e77af67d461",
    "0d6c3b92-84ae-4f17-9b20-5e1a7c4d8f03",
    "5b4c8012-ede7-4d0c-bfb8-8309fadb8908",
    "bef7e268-ffe9-46ab-a058-1ccace1d62e0",
    "e7f9a1b3-c5d7-4e9f-a1b3-c5d7e9f1a3b5",
    "89be9c1c-8eb5-440f-96f4-488157241955",
    "24114258-751b-4c83-89a0-47dc4ac87fc0",
    "b766ff10-b437-4db5-a511-49bbe060a724",
    "d9090b89-0655-4096-8f1a-8a1d93d20470",
    "7608d942-5d11-4a9d-9e6c-9992b5fb12e0",
];

fn addresses(recipients: &[models::Recipient]) -> Vec<&str> {
    recipients
        .iter()
        .filter_map(|r| r.email_address.address.as_deref())
        .collect()
}

#[tokio::test]
async fn message_rules_batch_decodes_forwards_and_isolates_an_out_of_scope_mailbox() {
    let h = Harness::start().await;
    let q = catalogue("message-rules");
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(graph_json(h.fixture("graph/message-rules-batch.json")))
        .mount(&h.server)
        .await;

    // Inner URLs are relative to the version, with the catalogue's $select.
    let select = q.select();
    let requests: Vec<BatchRequest> = MAILBOXES
        .iter()
        .enumerate()
        .map(|(i, mailbox)| {
            let full = q.path.replace("{id}", mailbox);
            let relative = full.strip_prefix("/v1.0").expect("a v1.0 path");
            BatchRequest {
                id: (i + 1).to_string(),
                url: format!("{relative}?$select={select}"),
            }
        })
        .collect();
    let expected_urls: Vec<String> = requests.iter().map(|r| r.url.clone()).collect();
    let responses = h.client.batch(q, requests).await.expect("batch sent");

    assert_eq!(responses.len(), 20);
    assert_eq!(
        responses.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        (1..=20).map(|i| i.to_string()).collect::<Vec<_>>(),
        "one response per request, in the order given"
    );

    let mut rules: Vec<Option<models::MessageRules>> = Vec::new();
    for (i, r) in responses.iter().enumerate() {
        match &r.result {
            Ok(body) => rules.push(Some(
                serde_json::from_value(body.clone())
                    .unwrap_or_else(|e| panic!("mailbox {}: {e}", i + 1)),
            )),
            Err(e) => {
                assert_eq!(i, 14, "only the 15th mailbox is refused: {e}");
                let refusal = refused(e);
                assert_eq!(refusal.status, 403);
                assert_eq!(refusal.code.as_deref(), Some("ErrorAccessDenied"));
                assert_eq!(refusal.refusal, Refusal::MailboxOutOfScope);
                assert_eq!(
                    refusal.request.path,
                    format!("/users/{}/mailFolders/inbox/messageRules", MAILBOXES[14])
                );
                assert_eq!(refusal.permissions, ["MailboxSettings.Read"]);
                assert!(
                    refusal
                        .message
                        .as_deref()
                        .is_some_and(|m| m.contains("AppOnly AccessPolicy"))
                );
                assert!(
                    !e.is_access_denied(),
                    "one mailbox out of scope is not the whole source"
                );
                rules.push(None);
            }
        }
    }
    assert_eq!(rules.iter().filter(|r| r.is_some()).count(), 19);

    // Mailbox 3: forwards to a public webmail.
    let physician = rules[2].as_ref().expect("ok");
    assert_eq!(physician.value.len(), 2);
    assert_eq!(physician.next_link, None);
    let gmail = &physician.value[0];
    assert_eq!(gmail.id, "AQAAAJ5dZp8=");
    assert_eq!(gmail.display_name, "Transfert vers Gmail");
    assert!(gmail.is_enabled);
    assert_eq!(gmail.has_error, Some(false));
    let actions = gmail.actions.as_ref().expect("actions");
    assert_eq!(
        addresses(&actions.forward_to),
        ["jean.tremblay.perso@gmail.com"]
    );
    assert_eq!(
        actions.forward_to[0].email_address.name.as_deref(),
        Some("Jean Tremblay")
    );
    assert!(actions.redirect_to.0.is_empty());
    assert!(actions.forward_as_attachment_to.is_empty());
    let filing = physician.value[1].actions.as_ref().expect("actions");
    assert!(filing.forward_to.is_empty() && filing.redirect_to.0.is_empty());

    // Mailbox 7: redirectTo as one object.
    let shared = rules[6].as_ref().expect("ok");
    let redirect = shared.value[0].actions.as_ref().expect("actions");
    assert_eq!(
        addresses(&redirect.redirect_to.0),
        ["secretariat@cliniquepartenaire.ca"]
    );

    // Mailbox 12: redirectTo as a list on a disabled rule, forwardTo null, and a rule in error.
    let old = rules[11].as_ref().expect("ok");
    let disabled = &old.value[0];
    assert!(!disabled.is_enabled, "isEnabled false is kept");
    let actions = disabled.actions.as_ref().expect("actions");
    assert_eq!(
        addresses(&actions.redirect_to.0),
        ["lise.bergeron@hotmail.com", "lbergeron@yahoo.ca"]
    );
    assert!(actions.forward_to.is_empty(), "null is empty");
    let in_error = &old.value[1];
    assert_eq!(in_error.has_error, Some(true));
    assert_eq!(
        addresses(
            &in_error
                .actions
                .as_ref()
                .expect("actions")
                .forward_as_attachment_to
        ),
        ["archives@videotron.ca"]
    );

    // The others have no rule.
    for (i, r) in rules.iter().enumerate() {
        if ![2, 6, 11, 14].contains(&i) {
            assert!(
                r.as_ref().expect("ok").value.is_empty(),
                "mailbox {}",
                i + 1
            );
        }
    }

    // One envelope, sent once (the 403 is not retried), with the 20 GET requests.
    let reqs = h.received_on("/v1.0/$batch").await;
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_graph_headers(r);
    assert!(header(r, "content-type").is_some_and(|v| v.starts_with("application/json")));
    let body: serde_json::Value = r.body_json().expect("JSON body");
    let sent = body["requests"].as_array().expect("requests");
    assert_eq!(sent.len(), 20);
    for (i, inner) in sent.iter().enumerate() {
        assert_eq!(inner["id"], (i + 1).to_string());
        assert_eq!(inner["method"], "GET");
        assert_eq!(inner["url"], expected_urls[i].as_str());
    }
    assert_eq!(
        sent[2]["url"],
        "/users/7f2e9a40-6b1c-4d83-a5e7-c2d9f0b13e68/mailFolders/inbox/messageRules?$select=id,displayName,isEnabled,hasError,actions"
    );
    let counts = h.client.counters().get(ThrottleClass::Outlook);
    assert_eq!((counts.requests, counts.retries), (1, 0));
}

// ---------------------------------------------------------------------------------------------
// Exchange admin API: shared helpers
// ---------------------------------------------------------------------------------------------

fn invoke_path() -> String {
    format!("/adminapi/beta/{TENANT}/InvokeCommand")
}

/// Checks the Exchange headers and the `CmdletInput` body of a request.
fn assert_exchange_request(r: &Request, cmdlet: &str, parameters: serde_json::Value) {
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(
        bearer(r),
        Some(format!("Bearer {EXCHANGE_TOKEN}").as_str()),
        "Exchange requests carry the Exchange token"
    );
    assert_eq!(header(r, "x-responseformat"), Some("json"));
    assert_eq!(
        header(r, "x-anchormailbox").map(String::from),
        Some(anchor_mailbox())
    );
    assert!(anchor_mailbox().ends_with(DOMAIN));
    assert_eq!(header(r, "prefer"), Some("odata.maxpagesize=1000"));
    assert!(header(r, "content-type").is_some_and(|v| v.starts_with("application/json")));
    let body: serde_json::Value = r.body_json().expect("JSON body");
    assert_eq!(
        body,
        serde_json::json!({"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}})
    );
}

async fn exchange_items<T: DeserializeOwned>(
    h: &Harness,
    name: &str,
) -> Result<Vec<T>, GraphError> {
    let q = catalogue(name);
    let pager = h.client.exchange_pages::<T>(q).expect("Exchange URL");
    Ok(all_pages(pager).await?.into_iter().flatten().collect())
}

async fn mount_exchange(h: &Harness, fixture: &str) {
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .respond_with(graph_json(h.fixture(fixture)))
        .mount(&h.server)
        .await;
}

// ---------------------------------------------------------------------------------------------
// exchange-mailboxes
// ---------------------------------------------------------------------------------------------

const EXO_SKIPTOKEN: &str = "U3RhcnRJbmRleD0yJkJhY2tlbmQ9WVQzUFIwMU1CNTM1Nw==";

#[tokio::test]
async fn mailboxes_page_with_post_and_the_same_body_and_keep_forwarding() {
    let h = Harness::start().await;
    let page1 = h.fixture("exchange/mailboxes-page1.json");
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(graph_json(page1.clone()))
        .mount(&h.server)
        .await;
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .and(query_param("$skiptoken", EXO_SKIPTOKEN))
        .respond_with(graph_json(h.fixture("exchange/mailboxes-page2.json")))
        .mount(&h.server)
        .await;

    let q = catalogue("exchange-mailboxes");
    let pages = all_pages(h.client.exchange_pages::<models::Mailbox>(q).expect("url"))
        .await
        .expect("both pages");
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2]);

    // Forwarding set on the physician's mailbox to a public webmail, no copy kept.
    let physician = &pages[0][0];
    assert_eq!(
        physician.external_directory_object_id.as_deref(),
        Some("7f2e9a40-6b1c-4d83-a5e7-c2d9f0b13e68")
    );
    assert_eq!(
        physician.user_principal_name,
        "jean.tremblay.med@ssss.gouv.qc.ca"
    );
    assert_eq!(
        physician.primary_smtp_address,
        "jean.tremblay.med@ssss.gouv.qc.ca"
    );
    assert_eq!(physician.recipient_type_details, "UserMailbox");
    assert_eq!(
        physician.forwarding_smtp_address.as_deref(),
        Some("smtp:jean.tremblay.perso@gmail.com")
    );
    assert_eq!(physician.forwarding_address, None);
    assert_eq!(physician.deliver_to_mailbox_and_forward, Some(false));

    // The shared mailbox forwards to a mail contact, by name, and keeps a copy.
    let shared = &pages[0][1];
    assert_eq!(shared.recipient_type_details, "SharedMailbox");
    assert_eq!(
        shared.forwarding_address.as_deref(),
        Some("Contact Clinique Partenaire")
    );
    assert_eq!(shared.forwarding_smtp_address, None);
    assert_eq!(shared.deliver_to_mailbox_and_forward, Some(true));

    let tablet = &pages[1][0];
    assert_eq!(tablet.forwarding_smtp_address, None);
    assert_eq!(tablet.forwarding_address, None);

    // The discovery mailbox has no directory object: "" is None, not an id.
    let discovery = &pages[1][1];
    assert_eq!(discovery.recipient_type_details, "DiscoveryMailbox");
    assert_eq!(discovery.external_directory_object_id, None);

    // Both pages are POSTs with the same headers and body; the second one to the nextLink.
    let reqs = h.received_on(&invoke_path()).await;
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        // Filtered at the service: the forwarding, shared, room and equipment mailboxes.
        assert_exchange_request(r, "Get-Mailbox", serde_json::json!(q.parameters));
    }
    assert_eq!(reqs[0].url.query(), None);
    assert_eq!(raw_query(&reqs[1]), link_query(&page1["@odata.nextLink"]));
    assert_eq!(
        reqs[0].body, reqs[1].body,
        "the nextLink is sent the same body"
    );

    let tokens = h.token_requests().await;
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].contains("outlook.office365.com%2F.default"));
    let counts = h.client.counters().get(ThrottleClass::ExchangeAdmin);
    assert_eq!(counts.requests, 2);
}

#[tokio::test]
async fn an_expired_exchange_page_fails_the_source_instead_of_truncating_it() {
    let h = Harness::start().await;
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(graph_json(h.fixture("exchange/mailboxes-page1.json")))
        .mount(&h.server)
        .await;
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .and(query_param("$skiptoken", EXO_SKIPTOKEN))
        .respond_with(graph_error(
            400,
            h.fixture("exchange/error-400-expired-pagination.json"),
        ))
        .mount(&h.server)
        .await;

    let q = catalogue("exchange-mailboxes");
    let mut pager = h.client.exchange_pages::<models::Mailbox>(q).expect("url");
    let first = pager.next_page().await.expect("page 1").expect("some");
    assert_eq!(first.items.len(), 2);
    let err = pager
        .next_page()
        .await
        .expect_err("page 2 refused: an error, not the end of the list");
    let r = refused(&err);
    assert_eq!(r.status, 400);
    assert_eq!(r.refusal, Refusal::BadRequest);
    assert_eq!(r.request.path, invoke_path());
    assert_eq!(
        h.received_on(&invoke_path()).await.len(),
        2,
        "400 is not retried"
    );
}

// ---------------------------------------------------------------------------------------------
// exchange-mail-contacts
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn mail_contacts_resolve_forwarding_names_to_external_addresses() {
    let h = Harness::start().await;
    mount_exchange(&h, "exchange/mail-contacts.json").await;
    let contacts: Vec<models::MailContact> = exchange_items(&h, "exchange-mail-contacts")
        .await
        .expect("read");
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0].identity, "Contact Clinique Partenaire");
    assert_eq!(contacts[0].name, "Contact Clinique Partenaire");
    assert_eq!(
        contacts[0].external_email_address.as_deref(),
        Some("SMTP:secretariat@cliniquepartenaire.ca")
    );
    assert_eq!(contacts[1].identity, "JeanTremblayPerso");
    assert_eq!(
        contacts[1].external_email_address.as_deref(),
        Some("SMTP:jean.tremblay.perso@gmail.com")
    );

    let reqs = h.received_on(&invoke_path()).await;
    assert_eq!(reqs.len(), 1);
    assert_exchange_request(
        &reqs[0],
        "Get-MailContact",
        serde_json::json!({"ResultSize": "Unlimited"}),
    );
}

#[tokio::test]
async fn a_non_json_exchange_403_still_names_the_role() {
    let h = Harness::start().await;
    // Without its Exchange role the app gets 403 with a body that is not JSON at all.
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .respond_with(ResponseTemplate::new(403).set_body_bytes(vec![0u8; 512]))
        .mount(&h.server)
        .await;
    let err = exchange_items::<models::MailContact>(&h, "exchange-mail-contacts")
        .await
        .expect_err("refused");
    let r = refused(&err);
    assert_eq!(r.status, 403);
    assert_eq!(r.code, None);
    assert_eq!(r.refusal, Refusal::Permission);
    assert_eq!(
        r.permissions,
        ["Exchange.ManageAsApp", "rôle Exchange View-Only Recipients"]
    );
    let text = err.to_string();
    assert!(
        text.contains("Exchange.ManageAsApp et rôle Exchange View-Only Recipients"),
        "{text}"
    );
    assert!(!text.contains('\0'));
}

// ---------------------------------------------------------------------------------------------
// exchange-remote-domains
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn remote_domains_read_auto_forwarding_per_domain() {
    let h = Harness::start().await;
    mount_exchange(&h, "exchange/remote-domains.json").await;
    let domains: Vec<models::RemoteDomain> = exchange_items(&h, "exchange-remote-domains")
        .await
        .expect("read");
    assert_eq!(
        domains
            .iter()
            .map(|d| (d.domain_name.as_str(), d.auto_forward_enabled))
            .collect::<Vec<_>>(),
        [("*", true), ("cliniquepartenaire.ca", false)]
    );
    let reqs = h.received_on(&invoke_path()).await;
    assert_eq!(reqs.len(), 1);
    assert_exchange_request(&reqs[0], "Get-RemoteDomain", serde_json::json!({}));
}

#[tokio::test]
async fn an_exchange_401_after_a_fresh_token_is_unauthorized() {
    let h = Harness::start().await;
    // Exchange.ManageAsApp not granted: every token is refused with 401.
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "www-authenticate",
            "Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", \
             trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\", \
             token_types=\"app_asserted_user_v1 service_asserted_app_v1\", error=\"invalid_token\"",
        ))
        .mount(&h.server)
        .await;
    let err = exchange_items::<models::RemoteDomain>(&h, "exchange-remote-domains")
        .await
        .expect_err("401");
    let r = refused(&err);
    assert_eq!(r.status, 401);
    assert_eq!(r.refusal, Refusal::Unauthorized);
    assert_eq!(
        h.received_on(&invoke_path()).await.len(),
        4,
        "at most three renewals, each with a fresh token, then a refusal"
    );
    let tokens = h.token_requests().await;
    assert_eq!(
        tokens.len(),
        4,
        "each refused token was dropped and a new one asked for"
    );
    assert!(tokens.iter().all(|t| t.contains("outlook.office365.com")));
}

// ---------------------------------------------------------------------------------------------
// exchange-outbound-spam-policies
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn outbound_spam_policies_read_auto_forwarding_mode_after_a_429() {
    let h = Harness::start().await;
    // The admin API throttles with 429 and Retry-After (capped by the test policy to 50 ms).
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "2")
                .set_body_json(serde_json::json!({"error": {"code": "TooManyRequests", "message": "Too many requests"}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&h.server)
        .await;
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .respond_with(graph_json(
            h.fixture("exchange/outbound-spam-policies.json"),
        ))
        .with_priority(2)
        .mount(&h.server)
        .await;

    let policies: Vec<models::OutboundSpamPolicy> =
        exchange_items(&h, "exchange-outbound-spam-policies")
            .await
            .expect("read after the retry");
    assert_eq!(policies.len(), 2);
    assert_eq!(policies[0].identity, "Default");
    assert_eq!(policies[0].is_default, Some(true));
    assert_eq!(policies[0].auto_forwarding_mode, "Automatic");
    assert_eq!(policies[1].identity, "Redirection autorisée - DSI");
    assert_eq!(policies[1].is_default, Some(false));
    assert_eq!(policies[1].auto_forwarding_mode, "On");

    let reqs = h.received_on(&invoke_path()).await;
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_exchange_request(
            r,
            "Get-HostedOutboundSpamFilterPolicy",
            serde_json::json!({}),
        );
    }
    let counts = h.client.counters().get(ThrottleClass::ExchangeAdmin);
    assert_eq!((counts.throttled, counts.retries), (1, 1));
}

// ---------------------------------------------------------------------------------------------
// exchange-transport-rules
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn transport_rules_keep_redirect_copy_and_blind_copy_recipients() {
    let h = Harness::start().await;
    mount_exchange(&h, "exchange/transport-rules.json").await;
    let rules: Vec<models::TransportRule> = exchange_items(&h, "exchange-transport-rules")
        .await
        .expect("read");
    assert_eq!(rules.len(), 3);

    let bcc = &rules[0];
    assert_eq!(bcc.name, "Copie cachée vers l'archivage externe");
    assert_eq!(
        bcc.guid.as_deref(),
        Some("b1d3f5a7-c9e1-4b3d-a5f7-c9e1b3d5f7a9")
    );
    assert_eq!(bcc.state, "Enabled");
    assert_eq!(bcc.blind_copy_to.0, ["journal@archivage-fournisseur.com"]);
    assert!(bcc.redirect_message_to.0.is_empty(), "null is empty");
    assert!(bcc.copy_to.0.is_empty());

    let redirect = &rules[1];
    assert_eq!(redirect.state, "Disabled");
    assert_eq!(
        redirect.redirect_message_to.0,
        ["ancien.secretariat.verdun@hotmail.com"]
    );
    assert_eq!(
        redirect.copy_to.0,
        [
            "secretariat.chsldverdun@ssss.gouv.qc.ca",
            "direction@cliniquepartenaire.ca"
        ]
    );

    let warning = &rules[2];
    assert!(
        warning.redirect_message_to.0.is_empty()
            && warning.blind_copy_to.0.is_empty()
            && warning.copy_to.0.is_empty()
    );

    let reqs = h.received_on(&invoke_path()).await;
    assert_eq!(reqs.len(), 1);
    assert_exchange_request(
        &reqs[0],
        "Get-TransportRule",
        serde_json::json!({"ResultSize": "Unlimited"}),
    );
}

#[tokio::test]
async fn an_exchange_next_link_to_another_host_is_refused_and_gets_no_token() {
    let h = Harness::start().await;
    // Exchange writes links on the host it was reached on; a link to another host, even a
    // Microsoft one, is not followed: the token only goes to the configured host.
    let mut body = h.fixture("exchange/transport-rules.json");
    body["@odata.nextLink"] = serde_json::json!(format!(
        "https://outlook.office.com/adminapi/beta/{TENANT}/InvokeCommand?$skiptoken=U3RhcnRJbmRleD0z"
    ));
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .respond_with(graph_json(body))
        .mount(&h.server)
        .await;
    let err = exchange_items::<models::TransportRule>(&h, "exchange-transport-rules")
        .await
        .expect_err("foreign host");
    match &err {
        GraphError::ForeignHost { request, host } => {
            assert_eq!(host, "outlook.office.com");
            assert_eq!(request.query, "exchange-transport-rules");
        }
        other => panic!("expected ForeignHost, got {other:?}"),
    }
    assert_eq!(h.received_on(&invoke_path()).await.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// exchange-accepted-domains
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn accepted_domains_are_read_with_their_type() {
    let h = Harness::start().await;
    mount_exchange(&h, "exchange/accepted-domains.json").await;
    let domains: Vec<models::AcceptedDomain> = exchange_items(&h, "exchange-accepted-domains")
        .await
        .expect("read");
    assert_eq!(
        domains
            .iter()
            .map(|d| (d.domain_name.as_str(), d.domain_type.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("ssss.gouv.qc.ca", Some("Authoritative")),
            ("cisssexemple.onmicrosoft.com", Some("Authoritative")),
            ("cisssexemple.mail.onmicrosoft.com", Some("InternalRelay")),
        ]
    );
    let reqs = h.received_on(&invoke_path()).await;
    assert_eq!(reqs.len(), 1);
    assert_exchange_request(&reqs[0], "Get-AcceptedDomain", serde_json::json!({}));
}

#[tokio::test]
async fn accepted_domains_unavailable_is_an_error_after_the_retries_never_an_empty_list() {
    let h = Harness::start().await;
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .respond_with(ResponseTemplate::new(503))
        .mount(&h.server)
        .await;
    let err = exchange_items::<models::AcceptedDomain>(&h, "exchange-accepted-domains")
        .await
        .expect_err("an empty list would make every domain look external");
    match &err {
        GraphError::Exhausted {
            request,
            attempts,
            last,
            ..
        } => {
            assert_eq!(*attempts, 4);
            assert_eq!(last, "HTTP 503");
            assert_eq!(request.query, "exchange-accepted-domains");
        }
        other => panic!("expected Exhausted, got {other:?}"),
    }
    assert_eq!(h.received_on(&invoke_path()).await.len(), 4);
}

// ---------------------------------------------------------------------------------------------
// managed-devices (Intune, optional)
// ---------------------------------------------------------------------------------------------

const DEVICES_PATH: &str = "/v1.0/deviceManagement/managedDevices";
const DEVICES_UPN: &str = "Tablette1.Verdun@cisss-exemple.onmicrosoft.com";

fn devices_call(h: &Harness, q: &Query) -> Call {
    let filter = q
        .filter
        .clone()
        .unwrap_or_default()
        .replace("{upn}", DEVICES_UPN);
    graph_call(
        h,
        q,
        &q.path,
        &[("$filter", &filter), ("$select", &q.select())],
    )
}

#[tokio::test]
async fn managed_devices_of_one_account_page_and_absorb_intune_quirks() {
    let h = Harness::start().await;
    let q = catalogue("managed-devices");
    assert_eq!(q.path, DEVICES_PATH);
    assert_eq!(q.permissions, ["DeviceManagementManagedDevices.Read.All"]);
    let page1 = h.fixture("graph/managed-devices-page1.json");
    let next = link_query(&page1["@odata.nextLink"]);
    Mock::given(method("GET"))
        .and(path(DEVICES_PATH))
        .and(query_param(
            "$skiptoken",
            "LastDeviceName='IPAD-VERDUN-01',LastDeviceId='9b3f6c1e-2a4d-4e8b-b5c7-0d1e2f3a4b5c'",
        ))
        .respond_with(graph_json(h.fixture("graph/managed-devices-page2.json")))
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(DEVICES_PATH))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(graph_json(page1))
        .mount(&h.server)
        .await;

    let pages = all_pages(h.client.pages::<models::ManagedDevice>(devices_call(&h, q)))
        .await
        .expect("two pages");
    assert_eq!(pages.len(), 2, "the next link is followed");
    let d = &pages[0][0];
    assert_eq!(d.device_name.as_deref(), Some("IPAD-VERDUN-01"));
    assert_eq!(d.user_principal_name.as_deref(), Some(DEVICES_UPN));
    assert_eq!(d.compliance_state.as_deref(), Some("compliant"));
    assert_eq!(d.is_encrypted, Some(true));
    assert_eq!(d.last_sync_date_time, Some(utc("2026-03-01T22:14:09Z")));
    assert_eq!(d.operating_system.as_deref(), Some("iOS"));
    assert_eq!(d.managed_device_owner_type.as_deref(), Some("company"));
    assert_eq!(
        d.azure_ad_device_id.as_deref(),
        Some("4c2e8a1f-7b3d-4e9a-8c6f-1a2b3c4d5e6f")
    );
    let d = &pages[1][0];
    assert_eq!(d.compliance_state.as_deref(), Some("noncompliant"));
    assert_eq!(d.is_encrypted, Some(false));
    assert_eq!(d.last_sync_date_time, None, "0001-01-01 is never");
    assert_eq!(d.managed_device_owner_type.as_deref(), Some("personal"));

    let got: Vec<Request> = h
        .server
        .received_requests()
        .await
        .expect("requests")
        .into_iter()
        .filter(|r| r.url.path() == DEVICES_PATH)
        .collect();
    assert_eq!(got.len(), 2);
    let first = query(&got[0]);
    assert_eq!(
        first.get("$filter").map(String::as_str),
        Some("userPrincipalName eq 'Tablette1.Verdun@cisss-exemple.onmicrosoft.com'")
    );
    assert_eq!(first.get("$select"), Some(&q.select()));
    assert!(!first.contains_key("$top"), "Intune's own page size");
    assert_eq!(got[1].url.query().unwrap_or(""), next, "the link as given");
    assert_graph_headers(&got[0]);
}

#[tokio::test]
async fn managed_devices_without_the_permission_name_it() {
    let h = Harness::start().await;
    let q = catalogue("managed-devices");
    Mock::given(method("GET"))
        .and(path(DEVICES_PATH))
        .respond_with(graph_error(
            403,
            h.fixture("graph/error-403-intune-forbidden.json"),
        ))
        .mount(&h.server)
        .await;
    let err = all_pages(h.client.pages::<models::ManagedDevice>(devices_call(&h, q)))
        .await
        .expect_err("403");
    let r = refused(&err);
    assert_eq!(r.refusal, Refusal::Permission);
    assert_eq!(r.code.as_deref(), Some("Forbidden"));
    assert_eq!(r.licence, "Microsoft Intune");
    assert!(err.is_access_denied(), "not collected, the others go on");
    let text = err.to_string();
    assert!(
        text.contains("autorisation manquante")
            && text.contains("DeviceManagementManagedDevices.Read.All"),
        "{text}"
    );
    assert!(
        !text.contains('\r'),
        "Intune's multi-line message is cut: {text}"
    );
}

#[tokio::test]
async fn managed_devices_without_an_intune_licence_is_intune_s_400() {
    let h = Harness::start().await;
    let q = catalogue("managed-devices");
    Mock::given(method("GET"))
        .and(path(DEVICES_PATH))
        .respond_with(graph_error(
            400,
            h.fixture("graph/error-400-intune-not-licensed.json"),
        ))
        .mount(&h.server)
        .await;
    let err = all_pages(h.client.pages::<models::ManagedDevice>(devices_call(&h, q)))
        .await
        .expect_err("400");
    let r = refused(&err);
    assert_eq!(r.status, 400);
    assert_eq!(r.code.as_deref(), Some("BadRequest"));
    assert_eq!(
        r.message.as_deref(),
        Some("Request not applicable to target tenant.")
    );
    // The collector reads this answer as the missing licence (see collect::intune): the
    // source is « non collectée », never failed, and never "no device".
    assert!(vigie365::collect::intune_not_licensed(&err));
    let got = h
        .server
        .received_requests()
        .await
        .expect("requests")
        .into_iter()
        .filter(|r| r.url.path() == DEVICES_PATH)
        .count();
    assert_eq!(got, 1, "a 400 is not retried");
}

// ---------------------------------------------------------------------------------------------
// sign-ins-mail-clients (FWD-CLI-01)
// ---------------------------------------------------------------------------------------------

const MAIL_CLIENTS_SKIPTOKEN: &str = "d41e7a0c9b2f4e6a8c1d3f5b7a9e0c2d_1";

#[tokio::test]
async fn pop_and_imap_sign_ins_are_one_tenant_wide_filtered_query_paged() {
    let h = Harness::start().await;
    let q = catalogue("sign-ins-mail-clients");
    assert_eq!(q.path, SIGNINS_BETA);
    assert_eq!(q.ids_per_request, None, "not one request per account");
    let page1 = h.fixture("graph/signins-mail-clients-page1.json");
    Mock::given(method("GET"))
        .and(path(SIGNINS_BETA))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(graph_json(page1.clone()))
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(SIGNINS_BETA))
        .and(query_param("$skiptoken", MAIL_CLIENTS_SKIPTOKEN))
        .respond_with(graph_json(
            h.fixture("graph/signins-mail-clients-page2.json"),
        ))
        .mount(&h.server)
        .await;

    let filter = sign_in_filter(q.filter.as_deref().expect("filter template"));
    assert_eq!(
        filter,
        "createdDateTime ge 2026-03-01T00:00:00Z and createdDateTime lt 2026-03-02T00:00:00Z and \
         (clientAppUsed eq 'POP3' or clientAppUsed eq 'IMAP4' or clientAppUsed eq 'POP' or \
         clientAppUsed eq 'IMAP') and signInEventTypes/any(t: t eq 'interactiveUser' or t eq \
         'nonInteractiveUser')"
    );
    let top = q.page_size.to_string();
    let call = graph_call(&h, q, &q.path, &[("$filter", &filter), ("$top", &top)]);
    let pages = all_pages(h.client.pages::<models::SignIn>(call))
        .await
        .expect("both pages");
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 1]);

    // A person's phone pulling the mailbox by IMAP, single factor, from outside.
    let s = &pages[0][0];
    assert_eq!(s.client_app_used.as_deref(), Some("IMAP4"));
    assert_eq!(s.user_principal_name, "marie.lavoie@ssss.gouv.qc.ca");
    assert_eq!(s.ip_address.as_deref(), Some("198.51.100.23"));
    assert!(s.succeeded() && s.interactive());
    // The ticketing system's IMAP reads: non-interactive.
    let s = &pages[0][1];
    assert_eq!(s.client_app_used.as_deref(), Some("IMAP4"));
    assert!(!s.interactive());
    // A failed POP3 attempt: read, and not a retrieval.
    let s = &pages[1][0];
    assert_eq!(s.client_app_used.as_deref(), Some("POP3"));
    assert!(!s.succeeded());
    assert_eq!(s.authentication_requirement, None, "\"\" is None");

    let reqs = h.received_on(SIGNINS_BETA).await;
    assert_eq!(reqs.len(), 2);
    let sent = query(&reqs[0]);
    assert_eq!(sent.get("$filter"), Some(&filter));
    assert_eq!(sent.get("$top").map(String::as_str), Some("1000"));
    assert_eq!(raw_query(&reqs[1]), link_query(&page1["@odata.nextLink"]));
    for r in &reqs {
        assert_graph_headers(r);
    }
    assert_eq!(
        h.client
            .counters()
            .get(ThrottleClass::IdentityReports)
            .requests,
        2,
        "the reports throttle class, like the other sign-in reads"
    );
}

#[tokio::test]
async fn pop_and_imap_sign_ins_refused_name_the_permissions() {
    let h = Harness::start().await;
    let q = catalogue("sign-ins-mail-clients");
    Mock::given(method("GET"))
        .and(path(SIGNINS_BETA))
        .respond_with(graph_error(
            403,
            h.fixture("graph/error-403-authorization-denied.json"),
        ))
        .mount(&h.server)
        .await;
    let filter = sign_in_filter(q.filter.as_deref().expect("filter"));
    let call = graph_call(&h, q, &q.path, &[("$filter", &filter), ("$top", "1000")]);
    let err = all_pages(h.client.pages::<models::SignIn>(call))
        .await
        .expect_err("refused");
    let r = refused(&err);
    assert_eq!(r.refusal, Refusal::Permission);
    assert_eq!(r.permissions, ["AuditLog.Read.All", "Directory.Read.All"]);
    assert!(err.is_access_denied());
}

// ---------------------------------------------------------------------------------------------
// exchange-cas-mailboxes, exchange-irm-configuration, exchange-admin-audit-log-config,
// exchange-organization-config
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn cas_mailboxes_are_filtered_at_the_service_and_paged() {
    let h = Harness::start().await;
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(graph_json(h.fixture("exchange/cas-mailboxes-page1.json")))
        .mount(&h.server)
        .await;
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .and(query_param("$skiptoken", EXO_SKIPTOKEN))
        .respond_with(graph_json(h.fixture("exchange/cas-mailboxes-page2.json")))
        .mount(&h.server)
        .await;
    let q = catalogue("exchange-cas-mailboxes");
    let pages = all_pages(
        h.client
            .exchange_pages::<models::CasMailbox>(q)
            .expect("url"),
    )
    .await
    .expect("both pages");
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 1]);
    let m = &pages[0][0];
    assert_eq!(m.primary_smtp_address, "marie.lavoie@ssss.gouv.qc.ca");
    assert_eq!((m.pop_enabled, m.imap_enabled), (Some(false), Some(true)));
    assert_eq!(pages[0][1].imap_enabled, Some(true), "\"True\" as a string");
    assert_eq!(
        pages[1][0].primary_smtp_address, "",
        "no address: the identity names it"
    );
    assert_eq!(pages[1][0].identity, "reception.laval");

    let reqs = h.received_on(&invoke_path()).await;
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_exchange_request(
            r,
            "Get-CASMailbox",
            serde_json::json!({
                "ResultSize": "Unlimited",
                "Filter": "PopEnabled -eq $true -or ImapEnabled -eq $true"
            }),
        );
    }
}

#[tokio::test]
async fn tenant_settings_read_encryption_and_audit_switches() {
    let h = Harness::start().await;
    mount_exchange(&h, "exchange/irm-configuration.json").await;
    let irm: Vec<models::IrmConfiguration> = exchange_items(&h, "exchange-irm-configuration")
        .await
        .expect("read");
    assert_eq!(irm.len(), 1);
    assert_eq!(irm[0].azure_rms_licensing_enabled, Some(false));
    assert_eq!(irm[0].simplified_client_access_enabled, Some(false));
    let reqs = h.received_on(&invoke_path()).await;
    assert_exchange_request(&reqs[0], "Get-IRMConfiguration", serde_json::json!({}));

    let h = Harness::start().await;
    mount_exchange(&h, "exchange/admin-audit-log-config.json").await;
    let audit: Vec<models::AdminAuditLogConfig> =
        exchange_items(&h, "exchange-admin-audit-log-config")
            .await
            .expect("read");
    assert_eq!(
        audit[0].unified_audit_log_ingestion_enabled,
        Some(false),
        "\"False\" as a string"
    );
    let reqs = h.received_on(&invoke_path()).await;
    assert_exchange_request(&reqs[0], "Get-AdminAuditLogConfig", serde_json::json!({}));

    let h = Harness::start().await;
    mount_exchange(&h, "exchange/organization-config.json").await;
    let org: Vec<models::OrganizationConfig> = exchange_items(&h, "exchange-organization-config")
        .await
        .expect("read");
    assert_eq!(org[0].audit_disabled, Some(true));
    let reqs = h.received_on(&invoke_path()).await;
    assert_exchange_request(&reqs[0], "Get-OrganizationConfig", serde_json::json!({}));
}

#[tokio::test]
async fn tenant_settings_refused_name_their_exchange_role() {
    let h = Harness::start().await;
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({
            "error": {
                "code": "Forbidden",
                "message": "The role assigned to application 0b7f3c2e-9a1d-4e8b-b6c5-2d4f6a8b0c1e isn't supported in this scenario.",
                "details": [],
                "innererror": {"message": "The role assigned to application isn't supported in this scenario.", "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"}
            }
        })))
        .mount(&h.server)
        .await;
    for (name, role) in [
        (
            "exchange-admin-audit-log-config",
            "rôle Exchange View-Only Audit Logs",
        ),
        (
            "exchange-irm-configuration",
            "rôle Exchange View-Only Configuration",
        ),
        (
            "exchange-organization-config",
            "rôle Exchange View-Only Configuration",
        ),
        (
            "exchange-cas-mailboxes",
            "rôle Exchange View-Only Recipients",
        ),
    ] {
        let err = exchange_items::<serde_json::Value>(&h, name)
            .await
            .expect_err("refused");
        let r = refused(&err);
        assert_eq!(r.status, 403, "{name}");
        assert_eq!(r.refusal, Refusal::Permission, "{name}");
        assert_eq!(r.permissions, ["Exchange.ManageAsApp", role], "{name}");
        assert!(err.is_access_denied());
        assert!(err.to_string().contains(role), "{name}: {err}");
    }
}

#[tokio::test]
async fn transport_rules_that_encrypt_external_mail_keep_their_action_and_scope() {
    let h = Harness::start().await;
    mount_exchange(&h, "exchange/transport-rules-encryption.json").await;
    let rules: Vec<models::TransportRule> = exchange_items(&h, "exchange-transport-rules")
        .await
        .expect("read");
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].apply_ome, Some(true));
    assert_eq!(
        rules[0].apply_rights_protection_template, None,
        "null is None"
    );
    assert_eq!(rules[0].sent_to_scope.as_deref(), Some("NotInOrganization"));
    assert_eq!(rules[1].apply_ome, Some(false), "\"False\" as a string");
    assert_eq!(
        rules[1].apply_rights_protection_template.as_deref(),
        Some("Do Not Forward")
    );
}
