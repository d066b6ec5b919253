//! Contract tests of what conditional access scoping reads: the role assignments of the
//! roles policies name (paged, filtered on one role, refused without
//! RoleManagement.Read.Directory) and the conditions of a policy beyond its users
//! (applications excluded, client app types, locations, platforms, grant operator, guests).

mod common;

use http::Method;
use serde::de::DeserializeOwned;
use url::Url;
use vigie365::graph::{Call, GraphError, Pager, Refusal, models};
use vigie365::queries::{self, Query};
use wiremock::Mock;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};

use common::wiremock_graph::{GRAPH_TOKEN, Harness, bearer, graph_error, graph_json, query};

const ROLES_PATH: &str = "/v1.0/roleManagement/directory/roleAssignments";
const TEAMS_DEVICES: &str = "3d762c5a-1b6c-493f-843e-55a3b42923d4";
const ROLES_SKIPTOKEN: &str = "ZGF0YTp7InJvbGVBc3NpZ25tZW50IjoxfQ";

fn catalogue(name: &str) -> &'static Query {
    queries::get(name).unwrap_or_else(|| panic!("queries/{name}.toml is missing"))
}

async fn all_items<T: DeserializeOwned>(mut pager: Pager<T>) -> Result<Vec<Vec<T>>, GraphError> {
    let mut pages = Vec::new();
    while let Some(page) = pager.next_page().await? {
        pages.push(page.items);
    }
    Ok(pages)
}

/// The request a collector makes for one role.
fn roles_call(h: &Harness, q: &Query, role: &str) -> Call {
    let filter = q
        .filter
        .as_deref()
        .expect("a filter template")
        .replace("{ids}", role);
    let url = h
        .client
        .graph_url(&q.path, &[("$filter", &filter), ("$select", &q.select())])
        .expect("valid Graph URL");
    Call::for_query(q, Method::GET, url)
}

#[tokio::test]
async fn role_assignments_of_one_role_are_filtered_and_paged() {
    let h = Harness::start().await;
    let q = catalogue("role-assignments");
    assert_eq!(q.path, ROLES_PATH);
    assert_eq!(q.permissions, ["RoleManagement.Read.Directory"]);
    let page1 = h.fixture("graph/role-assignments-page1.json");
    Mock::given(method("GET"))
        .and(path(ROLES_PATH))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(graph_json(page1.clone()))
        .mount(&h.server)
        .await;
    Mock::given(method("GET"))
        .and(path(ROLES_PATH))
        .and(query_param("$skiptoken", ROLES_SKIPTOKEN))
        .respond_with(graph_json(h.fixture("graph/role-assignments-page2.json")))
        .mount(&h.server)
        .await;
    let pages = all_items(h.client.pages::<models::RoleAssignment>(roles_call(
        &h,
        q,
        TEAMS_DEVICES,
    )))
    .await
    .expect("both pages");
    assert_eq!(pages.len(), 2, "the nextLink is followed");
    let got: Vec<(&str, &str)> = pages
        .iter()
        .flatten()
        .map(|a| (a.principal_id.as_str(), a.role_definition_id.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("3c9a6f0e-1b2d-4e5f-8a7b-9c0d1e2f3a4b", TEAMS_DEVICES),
            ("8e1b5c2a-4d3f-4a6b-9c8d-7e6f5a4b3c2d", TEAMS_DEVICES),
        ]
    );
    let reqs = h.received_on(ROLES_PATH).await;
    assert_eq!(reqs.len(), 2);
    let sent = query(&reqs[0]);
    assert_eq!(
        sent.get("$filter").map(String::as_str),
        Some(format!("roleDefinitionId eq '{TEAMS_DEVICES}'").as_str())
    );
    assert_eq!(
        sent.get("$select").map(String::as_str),
        Some("id,principalId,roleDefinitionId")
    );
    let link = page1["@odata.nextLink"].as_str().expect("link");
    assert_eq!(
        reqs[1].url.query(),
        Url::parse(link).expect("url").query(),
        "the nextLink is followed as given"
    );
    for r in &reqs {
        assert_eq!(bearer(r), Some(format!("Bearer {GRAPH_TOKEN}").as_str()));
    }
}

#[tokio::test]
async fn role_assignments_refused_name_role_management_read_directory() {
    let h = Harness::start().await;
    let q = catalogue("role-assignments");
    Mock::given(method("GET"))
        .and(path(ROLES_PATH))
        .respond_with(graph_error(
            403,
            h.fixture("graph/error-403-authorization-denied.json"),
        ))
        .mount(&h.server)
        .await;
    let err = all_items(
        h.client
            .pages::<models::RoleAssignment>(roles_call(&h, q, TEAMS_DEVICES)),
    )
    .await
    .expect_err("refused");
    match &err {
        GraphError::Refused(r) => {
            assert_eq!(r.refusal, Refusal::Permission);
            assert_eq!(r.permissions, ["RoleManagement.Read.Directory"]);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(
        err.to_string().contains("RoleManagement.Read.Directory"),
        "{err}"
    );
}

#[tokio::test]
async fn a_malformed_role_filter_is_a_bad_request_with_its_error_body() {
    let h = Harness::start().await;
    let q = catalogue("role-assignments");
    Mock::given(method("GET"))
        .and(path(ROLES_PATH))
        .respond_with(graph_error(
            400,
            serde_json::json!({
                "error": {
                    "code": "BadRequest",
                    "message": "Invalid filter clause",
                    "innerError": {
                        "date": "2026-03-02T06:00:04",
                        "request-id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
                        "client-request-id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
                    }
                }
            }),
        ))
        .mount(&h.server)
        .await;
    let err = all_items(
        h.client
            .pages::<models::RoleAssignment>(roles_call(&h, q, "pas-un-rôle")),
    )
    .await
    .expect_err("bad request");
    assert!(err.to_string().contains("400"), "{err}");
}

#[tokio::test]
async fn a_policy_keeps_its_conditions_beyond_users() {
    let h = Harness::start().await;
    let q = catalogue("conditional-access-policies");
    Mock::given(method("GET"))
        .and(path(q.path.as_str()))
        .respond_with(graph_json(
            h.fixture("graph/conditional-access-policies-scoped.json"),
        ))
        .mount(&h.server)
        .await;
    let url = h.client.graph_url(&q.path, &[]).expect("url");
    let pages = all_items(
        h.client
            .pages::<models::ConditionalAccessPolicy>(Call::for_query(q, Method::GET, url)),
    )
    .await
    .expect("one page");
    let p = &pages[0][0];
    let c = p.conditions.clone().expect("conditions");
    assert_eq!(
        c.client_app_types,
        ["browser", "mobileAppsAndDesktopClients"]
    );
    let l = c.locations.expect("locations");
    assert_eq!(l.include_locations, ["All"]);
    assert_eq!(
        l.exclude_locations,
        ["AllTrusted", "0f3c8b6d-9a2e-4c71-b5d4-e8f1a2b3c4d5"]
    );
    let pl = c.platforms.expect("platforms");
    assert_eq!(pl.include_platforms, ["all"]);
    assert_eq!(pl.exclude_platforms, ["windows"]);
    let apps = c.applications.expect("applications");
    assert_eq!(
        apps.exclude_applications,
        ["cc15fd57-2c6c-4117-a88c-83b1d56b4bbe"]
    );
    let users = c.users.expect("users");
    assert_eq!(users.exclude_roles, [TEAMS_DEVICES]);
    assert!(users.exclude_guests_or_external_users.is_some());
    let g = p.grant_controls.clone().expect("grant");
    assert_eq!(g.operator.as_deref(), Some("AND"));
    assert_eq!(g.built_in_controls, ["block"]);
}

const SECURITY_DEFAULTS: &str = "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy";

#[tokio::test]
async fn security_defaults_are_one_object_read_with_select() {
    let h = Harness::start().await;
    let q = catalogue("security-defaults");
    assert_eq!(q.path, SECURITY_DEFAULTS);
    Mock::given(method("GET"))
        .and(path(SECURITY_DEFAULTS))
        .respond_with(graph_json(serde_json::json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#policies/identitySecurityDefaultsEnforcementPolicy/$entity",
            "id": "00000000-0000-0000-0000-000000000005",
            "isEnabled": true
        })))
        .mount(&h.server)
        .await;
    let url = h
        .client
        .graph_url(&q.path, &[("$select", &q.select())])
        .expect("url");
    let p: models::SecurityDefaultsPolicy = h
        .client
        .get_json(&Call::for_query(q, Method::GET, url))
        .await
        .expect("the object");
    assert_eq!(p.is_enabled, Some(true));
    let reqs = h.received_on(SECURITY_DEFAULTS).await;
    assert_eq!(
        query(&reqs[0]).get("$select").map(String::as_str),
        Some("id,isEnabled")
    );
}

#[tokio::test]
async fn security_defaults_refused_name_policy_read_all() {
    let h = Harness::start().await;
    let q = catalogue("security-defaults");
    Mock::given(method("GET"))
        .and(path(SECURITY_DEFAULTS))
        .respond_with(graph_error(
            403,
            h.fixture("graph/error-403-authorization-denied.json"),
        ))
        .mount(&h.server)
        .await;
    let url = h.client.graph_url(&q.path, &[]).expect("url");
    let err = h
        .client
        .get_json::<models::SecurityDefaultsPolicy>(&Call::for_query(q, Method::GET, url))
        .await
        .expect_err("refused");
    match &err {
        GraphError::Refused(r) => assert_eq!(r.permissions, ["Policy.Read.All"]),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
