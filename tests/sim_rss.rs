//! Memory measurement (ignored by default): serve a 400,000-account tenant and page
//! through every user, registration row and mailbox. Run with
//! `/usr/bin/time -v cargo test --test sim_rss -- --ignored --nocapture` (or time the
//! test binary directly) and read "Maximum resident set size".

mod sim_support;

use serde_json::Value;
use sim_support::*;

/// Follows nextLinks counting records, keeping nothing (the client must not dominate
/// the measurement).
async fn count(c: &Client, first: &str, exo: Option<&str>) -> (usize, usize) {
    let mut url = c.url(first);
    let (mut n, mut pages) = (0, 0);
    loop {
        let v: Value = match exo {
            None => c.get(&url).await.2,
            Some(cmd) => c.exo_raw(&url, cmd, 1000).await.1,
        };
        pages += 1;
        n += v["value"].as_array().map(Vec::len).unwrap_or(0);
        match v["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => return (n, pages),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: 400,000 accounts, takes minutes"]
async fn page_through_a_400k_tenant() {
    let accounts: u32 = std::env::var("SIM_RSS_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400_000);
    let mut o = opts(400);
    o.accounts = accounts;
    let h = start(o).await;
    let c = Client::new(&h).await;
    let (n_users, up) = count(
        &c,
        "/v1.0/users?$select=id,userPrincipalName,displayName,mail,accountEnabled,userType,employeeType,createdDateTime,lastPasswordChangeDateTime&$top=999",
        None,
    )
    .await;
    let (n_regs, rp) = count(
        &c,
        "/v1.0/reports/authenticationMethods/userRegistrationDetails",
        None,
    )
    .await;
    let first = format!("/adminapi/beta/{}/InvokeCommand", h.tenant_id());
    let (n_mbx, mp) = count(&c, &first, Some("Get-Mailbox")).await;
    println!(
        "accounts {accounts}: users {n_users} ({up} pages), registrations {n_regs} ({rp} pages), mailboxes {n_mbx} ({mp} pages)"
    );
    assert!(n_users as u32 > accounts * 9 / 10);
    h.shutdown().await;
}
