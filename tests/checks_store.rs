//! The checks on a night read back from the store: the same path `vigie365 evaluate` takes
//! (store → snapshot → classification → checks → exceptions), on a small CHSLD tenant.

use chrono::{NaiveDate, TimeZone, Utc};

use vigie365::checks::{Severity, Snapshot, evaluate};
use vigie365::config::{Config, Exception};
use vigie365::model::{
    AcceptedDomain, Account, InboxRule, Mailbox, OutboundPolicy, RemoteDomain, RuleAction, SignIn,
};
use vigie365::store::{RunStatus, SourceOutcome, SourceStatus, Store};

fn account(id: &str, name: &str, enabled: bool) -> Account {
    Account {
        id: id.into(),
        upn: format!("{id}@cisss-test.ca"),
        display_name: name.into(),
        mail: None,
        enabled,
        guest: false,
        employee_type: None,
        extension_attributes: Default::default(),
        created: None,
        last_password_change: None,
        proxy_addresses: Vec::new(),
        organisation: Default::default(),
        perimeter: Vec::new(),
        attribution: Vec::new(),
    }
}

fn signin(id: &str, user: &str, app: &str, at: chrono::DateTime<Utc>) -> SignIn {
    SignIn {
        id: id.into(),
        created: at,
        user_id: user.into(),
        upn: format!("{user}@cisss-test.ca"),
        app_id: String::new(),
        app_name: app.into(),
        ip: Some("10.20.0.5".into()),
        client_app: Some("Browser".into()),
        interactive: true,
        auth_requirement: Some("singleFactorAuthentication".into()),
        error_code: 0,
        os: None,
        browser: None,
        device: Default::default(),
    }
}

fn collected(store: &mut Store, run: i64, source: &str, status: SourceStatus) {
    store.source_started(run, source).expect("start");
    store
        .source_finished(
            run,
            source,
            &SourceOutcome {
                status,
                records: 0,
                pages: 1,
                reason: (status != SourceStatus::Collected).then(|| "403 Forbidden".into()),
                permission: None,
            },
        )
        .expect("finish");
}

#[test]
fn a_night_from_the_store_gives_the_expected_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("vigie365.sqlite")).expect("open");
    let as_of = Utc
        .with_ymd_and_hms(2026, 3, 10, 7, 0, 0)
        .single()
        .expect("date");
    let night = NaiveDate::from_ymd_opt(2026, 3, 9).expect("date");
    let run = store.begin_run(as_of, night).expect("run");

    let mut tablet = account("tab1", "Tablette 1 CHSLD de Verdun", true);
    tablet.last_password_change = Some(as_of - chrono::Duration::days(30));
    store
        .write_page(
            run,
            &[
                tablet,
                account("jean", "Jean Tremblay", true),
                account("ancien", "Ancien employé", false),
            ],
        )
        .expect("accounts");
    store
        .write_page(
            run,
            &[InboxRule {
                mailbox_user_id: "jean".into(),
                mailbox_upn: String::new(),
                rule_id: "AQMkRule1".into(),
                name: "Vers perso".into(),
                enabled: true,
                has_error: false,
                targets: vec![(RuleAction::RedirectTo, "smtp:Jean.T@GMAIL.COM ".into())],
            }],
        )
        .expect("rules");
    store
        .write_page(
            run,
            &[Mailbox {
                user_id: Some("ancien".into()),
                upn: "ancien@cisss-test.ca".into(),
                primary_smtp: "ancien@cisss-test.ca".into(),
                kind: "UserMailbox".into(),
                forwarding_smtp: Some("smtp:ancien@clinique.ca".into()),
                forwarding_address: None,
                deliver_and_forward: false,
            }],
        )
        .expect("mailboxes");
    store
        .write_page(
            run,
            &[AcceptedDomain {
                domain: "cisss-test.ca".into(),
                kind: Some("Authoritative".into()),
            }],
        )
        .expect("domains");
    store
        .write_page(
            run,
            &[OutboundPolicy {
                identity: "Default".into(),
                is_default: true,
                auto_forwarding_mode: "Automatic".into(),
            }],
        )
        .expect("policies");
    store
        .write_page(
            run,
            &[RemoteDomain {
                domain: "*".into(),
                auto_forward_enabled: true,
            }],
        )
        .expect("remote");
    let tz = chrono_tz::America::Montreal;
    store
        .write_signins(
            run,
            tz,
            &[
                signin(
                    "s1",
                    "tab1",
                    "Outlook Mobile",
                    as_of - chrono::Duration::hours(5),
                ),
                // Outside the 7-day window: not looked at.
                signin("s0", "tab1", "Yammer", as_of - chrono::Duration::days(9)),
            ],
        )
        .expect("sign-ins");
    for q in vigie365::queries::all() {
        let status = if q.name == "named-locations" {
            SourceStatus::NotCollected
        } else {
            SourceStatus::Collected
        };
        collected(&mut store, run, &q.name, status);
    }
    store
        .finish_run(run, RunStatus::Partial, None)
        .expect("finish");

    let mut config = Config::for_tests();
    config.exceptions.push(Exception {
        check_id: "FWD-EXT-01".into(),
        subject: "ancien@cisss-test.ca#boite>ancien@clinique.ca".into(),
        justification: "Transfert vers la clinique pendant la fermeture du dossier".into(),
        owner: "RSI".into(),
        expires: NaiveDate::from_ymd_opt(2026, 6, 30).expect("date"),
    });
    let snapshot = Snapshot::load(&store, run, &config).expect("snapshot");
    let e = evaluate(&snapshot, &config);

    let not: Vec<&str> = e.not_evaluated.iter().map(|n| n.check).collect();
    assert_eq!(not, ["GEN-IP-01"]);
    assert!(e.not_evaluated[0].reason.contains("403 Forbidden"));

    let got: Vec<(&str, &str, Severity)> = e
        .findings
        .iter()
        .map(|f| (f.check, f.subject.as_str(), f.severity))
        .collect();
    assert_eq!(
        got,
        [
            (
                "FWD-EXT-01",
                "ancien@cisss-test.ca#boite>ancien@clinique.ca",
                Severity::Moyenne
            ),
            ("FWD-ORG-01", "locataire", Severity::Moyenne),
            (
                "FWD-PUB-01",
                "jean@cisss-test.ca#regle:AQMkRule1>jean.t@gmail.com",
                Severity::Elevee
            ),
            ("GEN-APP-01", "tab1@cisss-test.ca", Severity::Moyenne),
            // No policy blocks it outside its trusted locations.
            ("GEN-IP-02", "tab1@cisss-test.ca", Severity::Moyenne),
            ("GEN-MFA-02", "tab1@cisss-test.ca", Severity::Elevee),
            ("GEN-REG-01", "locataire", Severity::Info),
        ]
    );
    let accepted: Vec<&str> = e
        .findings
        .iter()
        .filter(|f| f.is_accepted())
        .map(|f| f.check)
        .collect();
    assert_eq!(accepted, ["FWD-EXT-01"]);
    let app = e
        .findings
        .iter()
        .find(|f| f.check == "GEN-APP-01")
        .expect("GEN-APP-01");
    assert!(
        app.evidence.contains("Outlook Mobile ×1"),
        "{}",
        app.evidence
    );
    assert!(!app.evidence.contains("Yammer"), "{}", app.evidence);
}

/// A sign-in the store cannot give back fails the evaluation with a French message, and the
/// night records nothing: never read as "no sign-in" (a GEN-APP-01 that silently vanishes).
#[test]
fn an_unreadable_sign_in_fails_the_evaluation_and_records_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vigie365.sqlite");
    let mut store = Store::open(&path).expect("open");
    let as_of = Utc
        .with_ymd_and_hms(2026, 3, 10, 7, 0, 0)
        .single()
        .expect("date");
    let run = store
        .begin_run(as_of, NaiveDate::from_ymd_opt(2026, 3, 9).expect("date"))
        .expect("run");
    store
        .write_page(run, &[account("tab1", "Tablette 1 CHSLD de Verdun", true)])
        .expect("accounts");
    store
        .write_signins(
            run,
            chrono_tz::America::Montreal,
            &[signin(
                "s1",
                "tab1",
                "Outlook Mobile",
                as_of - chrono::Duration::hours(5),
            )],
        )
        .expect("sign-ins");
    for q in vigie365::queries::all() {
        collected(&mut store, run, &q.name, SourceStatus::Collected);
    }
    store
        .finish_run(run, RunStatus::Complete, None)
        .expect("finish");
    let config = Config::for_tests();
    // The row is sound: GEN-APP-01 fires on it.
    {
        let snapshot = Snapshot::load(&store, run, &config).expect("snapshot");
        let e = evaluate(&snapshot, &config);
        assert!(e.findings.iter().any(|f| f.check == "GEN-APP-01"));
    }
    rusqlite::Connection::open(&path)
        .expect("sqlite")
        .execute(
            "UPDATE signins SET data = '{\"id\":\"s1\"' WHERE id = 's1'",
            [],
        )
        .expect("corrupt");
    let err = vigie365::night::evaluate_latest(&mut store, &config).expect_err("unreadable");
    let msg = err.to_string();
    assert!(
        msg.contains("connexions illisibles") && msg.contains("s1"),
        "{msg}"
    );
    assert!(
        store
            .findings_of(run, vigie365::checks::registry::ids())
            .expect("findings")
            .is_empty()
    );
    assert!(store.posture_of(run).expect("posture").is_empty());
}
