//! Collection end to end: the real collectors, over HTTP, against the simulated tenant.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use vigie365::collect::Settings;
use vigie365::graph::GraphClient;
use vigie365::model::{Account, Mailbox, Registration};
use vigie365::sim::SimOptions;
use vigie365::store::{RunStatus, SourceStatus, Store};

use common::sim_night::{SimNight, options};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_night_of_2000_accounts_is_stored_as_the_sim_holds_it() {
    let n = SimNight::start(options(7, 2000, 3)).await;
    let (store, report) = n.collect(3).await;
    for s in &report.sources {
        assert_eq!(
            s.outcome.status,
            SourceStatus::Collected,
            "{}: {:?}",
            s.source,
            s.outcome.reason
        );
    }
    assert_eq!(report.status, RunStatus::Complete);

    let counts = n.sim.counts(3);
    let accounts: Vec<Account> = {
        let s = store.lock().expect("store");
        let regs: Vec<Registration> = s.current().expect("registrations");
        let boxes: Vec<Mailbox> = s.current().expect("mailboxes");
        assert_eq!(regs.len() as u64, counts.registrations);
        // Get-Mailbox is filtered at the service: forwarding and shared mailboxes only.
        assert_eq!(boxes.len() as u64, counts.mailboxes_filtered);
        assert!(counts.mailboxes_filtered * 10 < counts.mailboxes);
        let contacts: Vec<vigie365::model::MailContact> = s.current().expect("contacts");
        assert_eq!(contacts.len() as u64, counts.mail_contacts);
        s.current().expect("accounts")
    };
    assert_eq!(accounts.len() as u64, counts.users);

    // A sample, field by field, against the sim's own JSON.
    let client = GraphClient::from_config(&n.config).expect("client");
    let q = vigie365::queries::get("users").expect("users query");
    for a in accounts.iter().step_by(97).take(20) {
        let url = client
            .graph_url(
                &format!("/v1.0/users/{}", a.id),
                &[("$select", &q.select())],
            )
            .expect("url");
        let raw: serde_json::Value = client
            .get_json(&vigie365::graph::Call::for_query(q, http::Method::GET, url))
            .await
            .expect("user by id");
        assert_eq!(
            a.upn,
            raw["userPrincipalName"]
                .as_str()
                .unwrap_or("")
                .to_lowercase()
        );
        assert_eq!(a.display_name, raw["displayName"].as_str().unwrap_or(""));
        assert_eq!(a.enabled, raw["accountEnabled"].as_bool().unwrap_or(true));
        assert_eq!(a.guest, raw["userType"] == "Guest");
        assert_eq!(a.employee_type.as_deref(), raw["employeeType"].as_str());
    }

    // The limiters kept every class under its limit: at most the first request of a class
    // may meet a 429. (At this time scale the spacing of a class is a few milliseconds, so
    // a loaded machine's jitter may cost one; the benchmark checks the real-scale figures.)
    let stats = n.sim.stats();
    for (class, c) in &stats.classes {
        assert!(
            c.throttled <= 1,
            "{class}: {} requests throttled",
            c.throttled
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_night_reads_only_new_sign_ins_and_keeps_the_first() {
    let n = SimNight::start(options(11, 300, 5)).await;
    let (store, first) = n.collect(5).await;
    assert_eq!(first.status, RunStatus::Complete);
    let read_first = first
        .sources
        .iter()
        .find(|s| s.source == "sign-ins")
        .map(|s| s.outcome.records)
        .unwrap_or(0);
    drop(store);
    let (store, second) = n.collect(6).await;
    assert_eq!(second.status, RunStatus::Complete);
    let read_second = second
        .sources
        .iter()
        .find(|s| s.source == "sign-ins")
        .map(|s| s.outcome.records)
        .unwrap_or(0);
    assert!(read_first > 0);
    assert!(
        read_second < read_first,
        "one day plus the overlap, not 30 days again ({read_second} vs {read_first})"
    );
    let s = store.lock().expect("store");
    let runs = s.runs().expect("runs");
    assert_eq!(runs.len(), 2);
    assert!(s.integrity_ok().expect("integrity"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_on_registration_details_leaves_every_other_source_collected() {
    let n = SimNight::start(SimOptions {
        deny: vec!["registration".into()],
        ..options(5, 300, 2)
    })
    .await;
    let (store, report) = n.collect(2).await;
    assert_eq!(report.status, RunStatus::Partial);
    for s in &report.sources {
        if s.source == "user-registration-details" {
            assert_eq!(s.outcome.status, SourceStatus::NotCollected);
            assert_eq!(s.outcome.permission.as_deref(), Some("AuditLog.Read.All"));
            assert!(
                s.outcome
                    .reason
                    .as_deref()
                    .unwrap_or("")
                    .contains("Authorization_RequestDenied")
            );
        } else {
            assert_eq!(s.outcome.status, SourceStatus::Collected, "{}", s.source);
        }
    }
    // The run row says it, and the checks that need the source say "not evaluated".
    let mut s = store.lock().expect("store");
    let run = s.runs().expect("runs").pop().expect("a run");
    assert_eq!(run.status, RunStatus::Partial);
    let sources = s.sources(run.id).expect("sources");
    let reg = sources
        .iter()
        .find(|x| x.source == "user-registration-details")
        .expect("row");
    assert_eq!(reg.permission.as_deref(), Some("AuditLog.Read.All"));
    let (summary, _) = vigie365::night::evaluate_latest(&mut s, &n.config).expect("evaluate");
    let skipped: Vec<&str> = summary.not_evaluated.iter().map(|x| x.check).collect();
    assert_eq!(
        skipped,
        vec!["GEN-MFA-01"],
        "only the check that needs registration details"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_says_why_an_account_is_generic_and_what_the_checks_found() {
    let n = SimNight::start(options(2, 300, 4)).await;
    let (store, _) = n.collect(4).await;
    let s = store.lock().expect("store");
    let accounts: Vec<Account> = s.current().expect("accounts");
    let tablet = accounts
        .iter()
        .find(|a| a.display_name.starts_with("Tablette"))
        .expect("a tablet account");
    let text =
        vigie365::night::explain(&s, &n.config, &tablet.upn.to_uppercase()).expect("explain");
    assert!(text.contains("classe : compte générique"), "{text}");
    assert!(
        text.contains("nom d'affichage"),
        "the rule that decided it: {text}"
    );
    assert!(text.contains("GEN-MFA-01"), "{text}");
    // A physician known only by a `.med` alias among her proxy addresses: explain says so.
    let isabelle = accounts
        .iter()
        .find(|a| a.upn.starts_with("isabelle.morin-giguere@"))
        .expect("isabelle");
    let text = vigie365::night::explain(&s, &n.config, &isabelle.upn).expect("explain");
    assert!(
        text.contains("population : medecin (adresse proxy smtp:isabelle.morin-giguere.med@"),
        "{text}"
    );
    let unknown = vigie365::night::explain(&s, &n.config, "personne@nulle.part")
        .expect_err("an unknown account is an error");
    assert!(unknown.to_string().contains("aucun compte"), "{unknown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_says_which_policy_enforces_mfa_and_the_fixed_address_or_why_none_does() {
    let n = SimNight::start(options(2, 300, 4)).await;
    let (store, _) = n.collect(4).await;
    let s = store.lock().expect("store");
    let accounts: Vec<Account> = s.current().expect("accounts");
    let upn = |name: &str| {
        accounts
            .iter()
            .find(|a| a.display_name == name)
            .map(|a| a.upn.clone())
            .expect("scripted tablet")
    };
    let lasalle = vigie365::night::explain(&s, &n.config, &upn("Tablette 1 CHSLD de LaSalle"))
        .expect("explain");
    assert!(lasalle.contains("MFA imposée : NON couverte"), "{lasalle}");
    assert!(
        lasalle.contains("application exclue « Microsoft Teams »"),
        "{lasalle}"
    );
    assert!(
        lasalle.contains("adresse IP fixe imposée : NON"),
        "{lasalle}"
    );
    assert!(
        lasalle.contains("politique en mode rapport seulement"),
        "{lasalle}"
    );
    let verdun = vigie365::night::explain(&s, &n.config, &upn("Tablette 1 CHSLD de Verdun"))
        .expect("explain");
    assert!(
        verdun.contains("MFA imposée : couverte par « CA001"),
        "{verdun}"
    );
    assert!(verdun.contains("adresse IP fixe imposée : oui"), "{verdun}");
    assert!(
        verdun.contains("« CA009 - Bloquer les tablettes hors des emplacements de confiance » : bloque hors de AllTrusted"),
        "{verdun}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_on_role_assignments_leaves_roles_unresolved_and_every_check_evaluated() {
    let n = SimNight::start(SimOptions {
        deny: vec!["roles".into()],
        ..options(5, 300, 2)
    })
    .await;
    let (store, report) = n.collect(2).await;
    assert_eq!(report.status, RunStatus::Partial);
    common::sim_night::only_down(
        &common::sim_night::sources_of(&report),
        &[("role-assignments", "RoleManagement.Read.Directory")],
    );
    let mut s = store.lock().expect("store");
    let (summary, evaluation) =
        vigie365::night::evaluate_latest(&mut s, &n.config).expect("evaluate");
    assert!(
        summary.not_evaluated.is_empty(),
        "roles only refine the policies' scope: {:?}",
        summary.not_evaluated
    );
    let lachine = evaluation
        .findings
        .iter()
        .find(|f| f.check == "GEN-MFA-02" && f.subject.starts_with("tablette1.lachine@"))
        .expect("its single-factor sign-ins still give it away");
    assert!(
        lachine.evidence.contains("rôles non résolus"),
        "{}",
        lachine.evidence
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_on_security_defaults_is_covered_and_says_by_what() {
    let n = SimNight::start(SimOptions {
        security_defaults: true,
        ..options(3, 300, 6)
    })
    .await;
    let (store, report) = n.collect(6).await;
    assert_eq!(report.status, RunStatus::Complete, "{:?}", report.sources);
    let mut s = store.lock().expect("store");
    let (_, evaluation) = vigie365::night::evaluate_latest(&mut s, &n.config).expect("evaluate");
    let ours: std::collections::BTreeSet<(String, String, String)> = evaluation
        .findings
        .iter()
        .map(|f| {
            (
                f.check.to_string(),
                f.subject.clone(),
                f.severity.label().to_string(),
            )
        })
        .collect();
    let truth: std::collections::BTreeSet<(String, String, String)> = n
        .sim
        .ground_truth(6)
        .findings
        .into_iter()
        .map(|f| (f.check, f.subject, f.severity))
        .collect();
    assert_eq!(ours, truth, "findings under security defaults");
    assert!(
        !ours.iter().any(|f| f.0 == "APP-MFA-01"),
        "no policy, no exemption"
    );
    assert!(
        ours.iter()
            .any(|f| f.0 == "GEN-IP-02" && f.1.starts_with("tablette1.verdun@")),
        "no conditional access: nothing enforces the fixed addresses"
    );
    let accounts: Vec<Account> = s.current().expect("accounts");
    let verdun = accounts
        .iter()
        .find(|a| a.display_name == "Tablette 1 CHSLD de Verdun")
        .expect("tablet");
    let text = vigie365::night::explain(&s, &n.config, &verdun.upn).expect("explain");
    assert!(
        text.contains("MFA imposée : couverte par « paramètres de sécurité par défaut »"),
        "{text}"
    );
}

/// Every current record of the store and every sign-in and daily aggregate, as JSON lines:
/// two stores hold the same data when these are equal.
fn contents(s: &Store) -> Vec<String> {
    use vigie365::model as m;
    fn kind<T: vigie365::model::Record>(s: &Store, out: &mut Vec<String>) {
        let mut v: Vec<String> = s
            .current::<T>()
            .expect("records")
            .iter()
            .map(|r| format!("{:?} {}", T::KIND, serde_json::to_string(r).expect("json")))
            .collect();
        v.sort();
        out.extend(v);
    }
    let mut out = Vec::new();
    kind::<m::Account>(s, &mut out);
    kind::<m::Registration>(s, &mut out);
    kind::<m::CaPolicy>(s, &mut out);
    kind::<m::NamedLocation>(s, &mut out);
    kind::<m::GroupMember>(s, &mut out);
    kind::<m::InboxRule>(s, &mut out);
    kind::<m::Mailbox>(s, &mut out);
    kind::<m::MailContact>(s, &mut out);
    kind::<m::RemoteDomain>(s, &mut out);
    kind::<m::OutboundPolicy>(s, &mut out);
    kind::<m::TransportRule>(s, &mut out);
    kind::<m::AcceptedDomain>(s, &mut out);
    kind::<m::Activity>(s, &mut out);
    let far = chrono::DateTime::parse_from_rfc3339("2000-01-01T00:00:00Z")
        .expect("date")
        .with_timezone(&chrono::Utc);
    let mut signins: Vec<String> = s
        .signins_between(far, far + chrono::Duration::days(365 * 100))
        .expect("sign-ins")
        .iter()
        .map(|x| serde_json::to_string(x).expect("json"))
        .collect();
    signins.sort();
    out.extend(signins);
    let mut stmt = s
        .conn()
        .prepare(
            "SELECT user_id, day, interactive, non_interactive, single_factor, multi_factor,
                    failures, apps, ips, first, last FROM signin_daily ORDER BY user_id, day",
        )
        .expect("daily");
    let rows = stmt
        .query_map([], |r| {
            let mut cols = Vec::new();
            for i in 0..11 {
                cols.push(match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    other => format!("{other:?}"),
                });
            }
            Ok(cols.join("|"))
        })
        .expect("rows");
    for r in rows {
        out.push(r.expect("row"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_at_a_time_without_batch_stores_the_same_night() {
    let (day, seed, accounts) = (4, 13, 1500);
    let usual = SimNight::start(options(seed, accounts, day)).await;
    let (usual_store, usual_report) = usual.collect(day).await;
    assert_eq!(usual_report.status, RunStatus::Complete);
    assert!(usual.sim.stats().batches > 0, "the usual night uses $batch");

    let simple = SimNight::start(options(seed, accounts, day)).await;
    let (simple_store, simple_report) = simple
        .collect_with(day, |s| s.with_concurrency(1).without_batch())
        .await;
    assert_eq!(simple_report.status, RunStatus::Complete);
    for s in &simple_report.sources {
        assert_eq!(s.outcome.status, SourceStatus::Collected, "{}", s.source);
    }
    let stats = simple.sim.stats();
    assert_eq!(stats.batches, 0, "no $batch");
    assert_eq!(stats.batch_requests, 0);
    let mailboxes = simple.sim.counts(day).mailboxes;
    assert_eq!(
        stats.class("outlook").admitted,
        mailboxes,
        "one GET per mailbox"
    );
    let (a, b) = (
        contents(&usual_store.lock().expect("store")),
        contents(&simple_store.lock().expect("store")),
    );
    assert!(a.len() > 10_000, "{} lines", a.len());
    assert_eq!(a.len(), b.len());
    assert!(a == b, "same data in both stores");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_exchange_mailbox_list_rules_are_read_for_every_member() {
    let (day, seed, accounts) = (2, 21, 600);
    let usual = SimNight::start(options(seed, accounts, day)).await;
    let (usual_store, _) = usual.collect(day).await;
    let rules = |s: &Arc<Mutex<Store>>| -> Vec<String> {
        let mut v: Vec<String> = s
            .lock()
            .expect("store")
            .current::<vigie365::model::InboxRule>()
            .expect("rules")
            .iter()
            .map(|r| serde_json::to_string(r).expect("json"))
            .collect();
        v.sort();
        v
    };
    let expected = rules(&usual_store);
    assert!(!expected.is_empty());

    let denied = SimNight::start(SimOptions {
        deny: vec!["exchange".into()],
        ..options(seed, accounts, day)
    })
    .await;
    for tune in [false, true] {
        let (store, report) = denied
            .collect_with(day, |s| if tune { s.with_concurrency(1) } else { s })
            .await;
        assert_eq!(report.status, RunStatus::Partial);
        let by = |name: &str| {
            report
                .sources
                .iter()
                .find(|s| s.source == name)
                .map(|s| s.outcome.status)
        };
        assert_eq!(by("exchange-mailboxes"), Some(SourceStatus::NotCollected));
        assert_eq!(by("message-rules"), Some(SourceStatus::Collected));
        assert_eq!(rules(&store), expected, "sequential: {tune}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_takes_concurrency_and_no_batch() {
    let n = SimNight::start(options(17, 400, 3)).await;
    let config = n.config_path.clone();
    let as_of = n.sim.as_of(3);
    let run = |args: Vec<String>| {
        common::bin::output(std::process::Command::new(common::bin::BIN).args(args))
    };
    let base = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "collect",
            "--sans-progression",
            "--as-of",
            &as_of,
            "--config",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.push(config.display().to_string());
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let out = run(base(&["--concurrency", "0"]));
    assert_eq!(out.status.code(), Some(2), "0 is refused");
    assert_eq!(n.sim.stats().requests, 0, "nothing was sent");

    let out = run(base(&["--concurrency", "1", "--no-batch"]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats = n.sim.stats();
    assert_eq!(stats.batches, 0);
    assert_eq!(stats.class("outlook").admitted, n.sim.counts(3).mailboxes);
}

/// One night's `signInActivity`, as the store and the simulator saw it.
struct ActivityNight {
    night: chrono::NaiveDate,
    run: vigie365::store::RunId,
    /// Requests the simulator admitted in the `sign_in_activity` class.
    requests: u64,
    /// Records the source read.
    records: i64,
    /// Ids of the accounts in scope: generic or « Appli » by the configured rules, or
    /// followed; classified again here from what the store holds.
    scope: BTreeSet<String>,
    /// Ids with a current activity record after the night.
    stored: BTreeSet<String>,
    /// (UPN, id) of the accounts out of scope.
    outside: Vec<(String, String)>,
}

async fn activity_night(
    n: &SimNight,
    day: u32,
    followed: &[String],
    rotation: u32,
) -> ActivityNight {
    use std::collections::{HashMap, HashSet};
    use vigie365::classify::{Class, Rules, classify};
    use vigie365::model::{Activity, GroupMember};

    let before = n.sim.stats().class("sign_in_activity").admitted;
    let (store, report) = n
        .collect_with(day, |s| Settings {
            tracked_upns: followed.to_vec(),
            sign_in_activity_rotation_nights: rotation,
            ..s
        })
        .await;
    assert_eq!(report.status, RunStatus::Complete, "{:?}", report.sources);
    let requests = n.sim.stats().class("sign_in_activity").admitted - before;
    let records = report
        .sources
        .iter()
        .find(|s| s.source == "users-sign-in-activity")
        .map(|s| s.outcome.records)
        .expect("the source ran");
    let as_of = n.as_of(day);

    let s = store.lock().expect("store");
    let rules = Rules::from_config(&n.config.classification).expect("rules");
    let mut groups: HashMap<String, HashSet<String>> = HashMap::new();
    for m in s.current::<GroupMember>().expect("members") {
        groups.entry(m.user_id).or_default().insert(m.group_id);
    }
    let none = HashSet::new();
    let (mut scope, mut outside) = (BTreeSet::new(), Vec::new());
    for a in s.current::<Account>().expect("accounts") {
        let class = classify(&a, groups.get(&a.id).unwrap_or(&none), &rules).class;
        if matches!(class, Class::Generique | Class::Appli) || followed.contains(&a.upn) {
            scope.insert(a.id);
        } else {
            outside.push((a.upn, a.id));
        }
    }
    outside.sort();
    let stored = s
        .current::<Activity>()
        .expect("activity")
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    ActivityNight {
        night: vigie365::collect::night_of(as_of, n.config.evaluation.timezone),
        run: report.run,
        requests,
        records,
        scope,
        stored,
        outside,
    }
}

/// What a night must read: the accounts in scope without a record yet, and those whose turn
/// it is.
fn due(night: &ActivityNight, stored_before: &BTreeSet<String>, rotation: u32) -> usize {
    night
        .scope
        .iter()
        .filter(|id| {
            !stored_before.contains(*id)
                || vigie365::collect::sign_in_activity_turn(id, night.night, rotation)
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_activity_is_read_on_each_account_s_turn_and_kept_in_between() {
    const PER_REQUEST: usize = 15;
    let n = SimNight::start(options(17, 2000, 3)).await;
    assert_eq!(
        n.config.collection.sign_in_activity_rotation_nights.get(),
        7,
        "the sim's configuration rotates over a week"
    );

    // First night, nothing stored: every account in scope is read.
    let first = activity_night(&n, 3, &[], 7).await;
    assert!(first.scope.len() > 30, "{} in scope", first.scope.len());
    assert_eq!(first.records as usize, first.scope.len());
    assert_eq!(
        first.requests as usize,
        first.scope.len().div_ceil(PER_REQUEST)
    );
    assert_eq!(first.stored, first.scope);

    // Sixty more accounts followed: new to scope, they are read at once; the others on
    // their turn only.
    let followed: Vec<String> = first
        .outside
        .iter()
        .take(60)
        .map(|(u, _)| u.clone())
        .collect();
    let second = activity_night(&n, 4, &followed, 7).await;
    let read = due(&second, &first.stored, 7);
    assert_eq!(second.records as usize, read);
    assert_eq!(second.requests as usize, read.div_ceil(PER_REQUEST));
    assert_eq!(
        second.stored, second.scope,
        "every account in scope keeps a record"
    );

    // One followed account dropped: it leaves scope and its record closes; about a seventh
    // of the others is read.
    let (left_upn, left_id) = first.outside[0].clone();
    assert!(second.stored.contains(&left_id));
    let third = activity_night(&n, 5, &followed[1..], 7).await;
    assert!(!third.scope.contains(&left_id), "{left_upn} left scope");
    let read = due(&third, &second.stored, 7);
    assert!(
        read * 3 < third.scope.len(),
        "{read} of {} accounts read",
        third.scope.len()
    );
    assert_eq!(third.records as usize, read);
    assert_eq!(third.requests as usize, read.div_ceil(PER_REQUEST));
    assert_eq!(
        third.stored, third.scope,
        "only the account that left is closed"
    );
    {
        let s = Store::open_read_only(&n.config.storage.database).expect("store");
        let before: Vec<vigie365::model::Activity> = s.as_of(second.run).expect("as of");
        assert!(
            before.iter().any(|a| a.user_id == left_id),
            "the earlier night still shows it"
        );
    }

    // One night between reads: every account in scope is read every night.
    let fourth = activity_night(&n, 6, &followed[1..], 1).await;
    assert_eq!(fourth.records as usize, fourth.scope.len());
    assert_eq!(
        fourth.requests as usize,
        fourth.scope.len().div_ceil(PER_REQUEST)
    );
    assert_eq!(fourth.stored, fourth.scope);
}
