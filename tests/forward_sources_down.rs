//! One Exchange source down blinds only what needs it: a night on the simulated tenant with
//! one cmdlet refused (as without its Exchange role). The source is « non collectée » with
//! the role to grant, every other source is read, the forwards that do not need it are
//! judged, and those that do are listed, mailbox by mailbox, with the reason.

mod common;

use common::sim_night::{SimNight, only_down, options, sources_of};
use vigie365::checks::Evaluation;
use vigie365::sim::SimOptions;
use vigie365::store::SourceStatus;

const DAY: u32 = 12;

async fn night_without(cmdlet: &str) -> (Evaluation, Vec<(String, SourceStatus, String)>) {
    let n = SimNight::start(SimOptions {
        deny: vec![format!("exchange:{cmdlet}")],
        ..options(7, 300, DAY)
    })
    .await;
    let (store, report) = n.collect(DAY).await;
    let sources = sources_of(&report);
    let (_, evaluation) = n.evaluate(&store);
    n.shutdown().await;
    (evaluation, sources)
}

fn has(e: &Evaluation, check: &str, subject: &str) -> bool {
    e.findings
        .iter()
        .any(|f| f.check == check && f.subject.starts_with(subject))
}

fn partial<'e>(e: &'e Evaluation, check: &str) -> Option<&'e str> {
    e.not_evaluated
        .iter()
        .find(|n| n.check == check)
        .map(|n| n.reason.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_mail_contacts_only_forwards_to_a_contact_are_not_evaluated() {
    let (e, sources) = night_without("get-mailcontact").await;
    only_down(
        &sources,
        &[("exchange-mail-contacts", "View-Only Recipients")],
    );
    // Inbox rules, ForwardingSmtpAddress, mail users and groups are still judged.
    assert!(has(&e, "FWD-PUB-01", "isabelle.morin-giguere@"));
    assert!(has(&e, "FWD-PUB-01", "accueil.verdun@"));
    assert!(has(&e, "FWD-EXT-01", "karine.leblanc-vigneault@"));
    assert!(has(&e, "FWD-PUB-01", "luc.bouchard-hamel@"));
    // The mailbox forwarding to a contact is listed, with the reason, not read as internal.
    assert!(!has(&e, "FWD-EXT-01", "dossiers.lachine@"));
    let why = partial(&e, "FWD-EXT-01").expect("FWD-EXT-01 in part");
    assert!(
        why.contains("dossiers.lachine@cisss-troisrives.onmicrosoft.com")
            && why.contains("exchange-mail-contacts")
            && !why.contains("isabelle"),
        "{why}"
    );
    assert!(
        partial(&e, "FWD-TRN-01").is_some(),
        "transport rules name contacts"
    );
    assert!(partial(&e, "FWD-ORG-01").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_mail_users_only_the_forward_to_a_mail_user_is_not_evaluated() {
    let (e, sources) = night_without("get-mailuser").await;
    only_down(&sources, &[("exchange-mail-users", "View-Only Recipients")]);
    assert!(!has(&e, "FWD-EXT-01", "karine.leblanc-vigneault@"));
    let why = partial(&e, "FWD-EXT-01").expect("in part");
    assert!(why.contains("karine.leblanc-vigneault@"), "{why}");
    assert!(
        !why.contains("luc.bouchard-hamel@"),
        "group members carry their address: {why}"
    );
    assert!(has(&e, "FWD-EXT-01", "dossiers.lachine@"));
    assert!(has(&e, "FWD-EXT-01", "luc.bouchard-hamel@"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_group_members_forwards_to_groups_and_unknown_names_are_not_evaluated() {
    let (e, sources) = night_without("get-distributiongroupmember").await;
    only_down(
        &sources,
        &[("exchange-group-members", "View-Only Recipients")],
    );
    let why = partial(&e, "FWD-PUB-01").expect("in part");
    for who in [
        "luc.bouchard-hamel@",
        "sophie.roy-castonguay@",
        "julie.gagnon-lapierre@",
    ] {
        assert!(why.contains(who), "{who}: {why}");
        assert!(
            !e.findings
                .iter()
                .any(|f| f.subject.starts_with(who) && f.subject.contains("#boite>")),
            "{who}"
        );
    }
    // A mailbox's alias still resolves to the tenant; the rest is judged.
    assert!(!why.contains("chantal.girard-moreau@"), "{why}");
    assert!(has(&e, "FWD-EXT-01", "karine.leblanc-vigneault@"));
    assert!(has(&e, "FWD-PUB-01", "isabelle.morin-giguere@"));
    // The committee's rule names a group: whether it blocks Isabelle's forward is unknown.
    let isabelle = e
        .findings
        .iter()
        .find(|f| f.check == "FWD-PUB-01" && f.subject.starts_with("isabelle.morin-giguere@"))
        .expect("isabelle");
    assert_eq!(isabelle.blocked_by_tenant, None, "{}", isabelle.evidence);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_outbound_rules_the_tenant_check_waits_and_forwards_are_still_reported() {
    let (e, sources) = night_without("get-hostedoutboundspamfilterrule").await;
    only_down(
        &sources,
        &[("exchange-outbound-spam-rules", "View-Only Configuration")],
    );
    let why = partial(&e, "FWD-ORG-01").expect("FWD-ORG-01 not evaluated");
    assert!(why.contains("exchange-outbound-spam-rules"), "{why}");
    assert!(has(&e, "FWD-PUB-01", "isabelle.morin-giguere@"));
    assert!(
        partial(&e, "FWD-PUB-01").is_none(),
        "blocking unknown is not blindness"
    );
    // Pierre's target: the hotmail.com remote domain blocks whatever the policy.
    let pierre = e
        .findings
        .iter()
        .find(|f| f.subject.starts_with("pierre.gauthier-roy@"))
        .expect("pierre");
    assert_eq!(pierre.blocked_by_tenant, Some(true));
}
