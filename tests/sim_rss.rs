//! Memory measurement (ignored by default): serve a 400,000-account tenant and page
//! through every user, registration row and mailbox. Run with
//! `/usr/bin/time -v cargo test --test sim_rss -- --ignored --nocapture` (or time the
//! test binary directly) and read "Maximum resident set size".

mod sim_support;

use sim_support::*;

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
    let (users, up) = c
        .all("/v1.0/users?$select=id,userPrincipalName,displayName,mail,accountEnabled,userType,employeeType,createdDateTime,lastPasswordChangeDateTime&$top=999")
        .await;
    let n_users = users.len();
    drop(users);
    let (regs, rp) = c
        .all("/v1.0/reports/authenticationMethods/userRegistrationDetails")
        .await;
    let n_regs = regs.len();
    drop(regs);
    let (mbx, mp) = c.exo_all("Get-Mailbox", 1000).await;
    let n_mbx = mbx.len();
    drop(mbx);
    println!(
        "accounts {accounts}: users {n_users} ({up} pages), registrations {n_regs} ({rp} pages), mailboxes {n_mbx} ({mp} pages)"
    );
    assert!(n_users as u32 > accounts * 9 / 10);
    h.shutdown().await;
}
