//! Contract tests of the Exchange sources that resolve a mailbox forward and scope the
//! outbound spam policies (`Get-MailUser`, `Get-DistributionGroupMember -Identity`,
//! `Get-HostedOutboundSpamFilterRule`) and of the filtered `Get-Mailbox`, against wiremock:
//! a realistic response (paging where it pages), a 403 naming the role, an error body.

mod common;

use serde::de::DeserializeOwned;
use vigie365::graph::error::Refused;
use vigie365::graph::{GraphError, Pager, Refusal, ThrottleClass, exchange_models as exo, models};
use vigie365::queries::{self, Query};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, Request};

use common::wiremock_graph::{
    EXCHANGE_TOKEN, Harness, TENANT, bearer, graph_error, graph_json, header,
};

fn catalogue(name: &str) -> &'static Query {
    queries::get(name).unwrap_or_else(|| panic!("queries/{name}.toml is missing"))
}

fn invoke_path() -> String {
    format!("/adminapi/beta/{TENANT}/InvokeCommand")
}

async fn all_items<T: DeserializeOwned>(mut pager: Pager<T>) -> Result<Vec<T>, GraphError> {
    let mut out = Vec::new();
    while let Some(page) = pager.next_page().await? {
        out.extend(page.items);
    }
    Ok(out)
}

fn refused(e: &GraphError) -> &Refused {
    match e {
        GraphError::Refused(r) => r,
        other => panic!("expected a refusal, got: {other:?}"),
    }
}

/// The cmdlet and parameters of an Exchange request, with its Exchange token and format.
fn cmdlet_of(r: &Request) -> (String, serde_json::Value) {
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(bearer(r), Some(format!("Bearer {EXCHANGE_TOKEN}").as_str()));
    assert_eq!(header(r, "x-responseformat"), Some("json"));
    let body: serde_json::Value = r.body_json().expect("JSON body");
    (
        body["CmdletInput"]["CmdletName"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        body["CmdletInput"]["Parameters"].clone(),
    )
}

#[tokio::test]
async fn mailboxes_are_filtered_at_the_service() {
    let h = Harness::start().await;
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .respond_with(graph_json(h.fixture("exchange/mailboxes-page2.json")))
        .mount(&h.server)
        .await;
    let q = catalogue("exchange-mailboxes");
    let pager = h.client.exchange_pages::<models::Mailbox>(q).expect("url");
    all_items(pager).await.expect("read");
    let reqs = h.received_on(&invoke_path()).await;
    let (cmdlet, params) = cmdlet_of(&reqs[0]);
    assert_eq!(cmdlet, "Get-Mailbox");
    assert_eq!(params["ResultSize"], "Unlimited");
    let filter = params["Filter"].as_str().expect("an OPATH filter");
    for clause in [
        "ForwardingSmtpAddress -ne $null",
        "ForwardingAddress -ne $null",
        "RecipientTypeDetails -eq 'SharedMailbox'",
        "RecipientTypeDetails -eq 'RoomMailbox'",
        "RecipientTypeDetails -eq 'EquipmentMailbox'",
    ] {
        assert!(filter.contains(clause), "{filter}");
    }
}

#[tokio::test]
async fn mail_users_give_their_external_address() {
    let h = Harness::start().await;
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .respond_with(graph_json(h.fixture("exchange/mail-users.json")))
        .mount(&h.server)
        .await;
    let q = catalogue("exchange-mail-users");
    let users: Vec<exo::MailUser> = all_items(h.client.exchange_pages(q).expect("url"))
        .await
        .expect("read");
    assert_eq!(users.len(), 2);
    assert_eq!(users[0].identity, "Consultant Roy");
    assert_eq!(users[0].alias.as_deref(), Some("consultant.roy"));
    assert_eq!(
        users[0].external_email_address.as_deref(),
        Some("SMTP:c.roy@conseil-sante.ca")
    );
    assert_eq!(users[1].external_email_address, None, "null is no address");
    // The bytes received are counted in the Exchange class (the night's log says them).
    let sent = serde_json::to_vec(&h.fixture("exchange/mail-users.json"))
        .expect("json")
        .len() as u64;
    let counts = h.client.counters().get(ThrottleClass::ExchangeAdmin);
    assert_eq!((counts.requests, counts.bytes), (1, sent));
    let reqs = h.received_on(&invoke_path()).await;
    assert_eq!(
        cmdlet_of(&reqs[0]),
        (
            "Get-MailUser".to_string(),
            serde_json::json!({"ResultSize": "Unlimited"})
        )
    );
}

#[tokio::test]
async fn group_members_page_and_name_the_group_asked() {
    let h = Harness::start().await;
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(graph_json(h.fixture("exchange/group-members-page1.json")))
        .mount(&h.server)
        .await;
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .and(query_param(
            "$skiptoken",
            "U3RhcnRJbmRleD0yJkdyb3VwPWdhcmRl",
        ))
        .respond_with(graph_json(h.fixture("exchange/group-members-page2.json")))
        .mount(&h.server)
        .await;
    let q = catalogue("exchange-group-members");
    let call = h
        .client
        .exchange_call_with(q, &[("Identity", "Liste de garde médicale")])
        .expect("url");
    let members: Vec<exo::DistributionGroupMember> =
        all_items(h.client.pages(call)).await.expect("both pages");
    assert_eq!(members.len(), 3);
    assert_eq!(
        members[1].recipient_type_details.as_deref(),
        Some("MailUniversalDistributionGroup")
    );
    assert_eq!(
        members[1].external_email_address, None,
        "\"\" is no address"
    );
    assert_eq!(
        members[2].external_email_address.as_deref(),
        Some("SMTP:dr.tremblay.perso@hotmail.com")
    );
    let reqs = h.received_on(&invoke_path()).await;
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(
            cmdlet_of(r),
            (
                "Get-DistributionGroupMember".to_string(),
                serde_json::json!({"ResultSize": "Unlimited", "Identity": "Liste de garde médicale"})
            ),
            "the nextLink is sent the same body"
        );
    }
}

#[tokio::test]
async fn a_name_that_is_no_group_is_not_found_not_a_failure() {
    let h = Harness::start().await;
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .respond_with(graph_error(
            404,
            h.fixture("exchange/error-404-not-a-group.json"),
        ))
        .mount(&h.server)
        .await;
    let q = catalogue("exchange-group-members");
    let call = h
        .client
        .exchange_call_with(q, &[("Identity", "Paul Gagnon")])
        .expect("url");
    let err = all_items::<exo::DistributionGroupMember>(h.client.pages(call))
        .await
        .expect_err("not found");
    let r = refused(&err);
    assert_eq!(r.status, 404);
    assert_eq!(r.refusal, Refusal::NotFound);
    assert_eq!(r.code.as_deref(), Some("ManagementObjectNotFoundException"));
    assert_eq!(
        h.received_on(&invoke_path()).await.len(),
        1,
        "404 is not retried"
    );
}

#[tokio::test]
async fn outbound_rules_read_their_scope_whatever_the_list_shape() {
    let h = Harness::start().await;
    Mock::given(method("POST"))
        .and(path(invoke_path()))
        .respond_with(graph_json(h.fixture("exchange/outbound-spam-rules.json")))
        .mount(&h.server)
        .await;
    let q = catalogue("exchange-outbound-spam-rules");
    let rules: Vec<exo::OutboundSpamRule> = all_items(h.client.exchange_pages(q).expect("url"))
        .await
        .expect("read");
    assert_eq!(rules.len(), 2);
    let d = &rules[0];
    assert_eq!(
        d.hosted_outbound_spam_filter_policy,
        "Direction - transfert autorisé"
    );
    assert_eq!((d.state.as_str(), d.priority), ("Enabled", 0));
    assert!(d.from.0.is_empty());
    assert_eq!(d.from_member_of.0, ["Comité de direction"]);
    assert_eq!(
        d.except_if_from.0,
        ["dg@cisss-test.ca"],
        "one string is a list of one"
    );
    let l = &rules[1];
    assert_eq!(
        (l.state.as_str(), l.priority),
        ("Disabled", 1),
        "priority as text"
    );
    assert_eq!(l.from.0.len(), 2);
    assert!(l.except_if_from_member_of.0.is_empty());
    assert_eq!(
        l.except_if_sender_domain_is.0,
        ["externe.labo.cisss-test.ca"]
    );
    let reqs = h.received_on(&invoke_path()).await;
    assert_eq!(cmdlet_of(&reqs[0]).0, "Get-HostedOutboundSpamFilterRule");
}

#[tokio::test]
async fn a_403_names_the_role_to_grant() {
    for (source, role) in [
        ("exchange-mail-users", "rôle Exchange View-Only Recipients"),
        (
            "exchange-group-members",
            "rôle Exchange View-Only Recipients",
        ),
        (
            "exchange-outbound-spam-rules",
            "rôle Exchange View-Only Configuration",
        ),
    ] {
        let h = Harness::start().await;
        Mock::given(method("POST"))
            .and(path(invoke_path()))
            .respond_with(graph_error(
                403,
                serde_json::json!({"error": {"code": "Forbidden", "message": "The user is not authorized to run this cmdlet."}}),
            ))
            .mount(&h.server)
            .await;
        let q = catalogue(source);
        let err = all_items::<serde_json::Value>(h.client.exchange_pages(q).expect("url"))
            .await
            .expect_err("refused");
        let r = refused(&err);
        assert_eq!(r.refusal, Refusal::Permission, "{source}");
        assert!(err.to_string().contains(role), "{source}: {err}");
    }
}
