use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rusqlite::Connection;

use super::*;
use crate::model::{Account, InboxRule, Kind, Record, RuleAction, SignIn};

fn account(id: &str, enabled: bool) -> Account {
    Account {
        id: id.into(),
        upn: format!("{id}@cisss.test"),
        display_name: format!("Compte {id}"),
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

fn night(d: u32) -> (DateTime<Utc>, NaiveDate) {
    let as_of = Utc
        .with_ymd_and_hms(2026, 3, d, 8, 0, 0)
        .single()
        .expect("date");
    (
        as_of,
        NaiveDate::from_ymd_opt(2026, 3, d - 1).expect("date"),
    )
}

fn open_tmp() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("base/vigie365.sqlite")).expect("open");
    (dir, store)
}

#[test]
fn versions_keep_each_night_as_it_was() {
    let (_d, mut s) = open_tmp();
    let (a1, n1) = night(2);
    let r1 = s.begin_run(a1, n1).expect("run");
    let w = s
        .write_page(r1, &[account("a", true), account("b", true)])
        .expect("page");
    assert_eq!(
        w,
        WriteStats {
            new: 2,
            ..Default::default()
        }
    );
    s.close_unseen(r1, Kind::Account, None).expect("close");
    s.finish_run(r1, RunStatus::Complete, None).expect("finish");

    let (a2, n2) = night(3);
    let r2 = s.begin_run(a2, n2).expect("run");
    let w = s
        .write_page(r2, &[account("a", false), account("c", true)])
        .expect("page");
    assert_eq!(
        w,
        WriteStats {
            unchanged: 0,
            changed: 1,
            new: 1
        }
    );
    assert_eq!(
        s.close_unseen(r2, Kind::Account, None).expect("close"),
        1,
        "b vanished"
    );
    s.finish_run(r2, RunStatus::Complete, None).expect("finish");

    let before: Vec<Account> = s.as_of(r1).expect("as of r1");
    assert_eq!(before, vec![account("a", true), account("b", true)]);
    let after: Vec<Account> = s.as_of(r2).expect("as of r2");
    assert_eq!(after, vec![account("a", false), account("c", true)]);
    assert_eq!(s.current::<Account>().expect("current"), after);
}

#[test]
fn a_killed_run_alters_no_past_night_and_the_next_run_works() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v.sqlite");
    let r1;
    {
        let mut s = Store::open(&path).expect("open");
        let (a1, n1) = night(2);
        r1 = s.begin_run(a1, n1).expect("run");
        s.write_page(r1, &[account("a", true), account("b", true)])
            .expect("page");
        s.finish_run(r1, RunStatus::Complete, None).expect("finish");
        // Run 2 writes one page and dies without finishing.
        let (a2, n2) = night(3);
        let r2 = s.begin_run(a2, n2).expect("run");
        s.source_started(r2, "users").expect("source");
        s.write_page(r2, &[account("a", false)]).expect("page");
    }
    let mut s = Store::open(&path).expect("reopen");
    let runs = s.runs().expect("runs");
    assert_eq!(runs[1].status, RunStatus::Interrupted);
    assert_eq!(
        s.sources(runs[1].id).expect("sources")[0].status,
        SourceStatus::Failed
    );
    assert_eq!(
        s.as_of::<Account>(r1).expect("r1"),
        vec![account("a", true), account("b", true)],
        "night 1 intact"
    );
    let (a3, n3) = night(4);
    let r3 = s.begin_run(a3, n3).expect("run");
    s.write_page(r3, &[account("a", false), account("b", true)])
        .expect("page");
    s.close_unseen(r3, Kind::Account, None).expect("close");
    s.finish_run(r3, RunStatus::Complete, None).expect("finish");
    assert_eq!(
        s.as_of::<Account>(r3).expect("r3"),
        vec![account("a", false), account("b", true)]
    );
    assert!(s.integrity_ok().expect("integrity"));
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v.sqlite");
    let _first = Store::open(&path).expect("open");
    match Store::open(&path) {
        Err(StoreError::Busy { .. }) => {}
        Err(e) => panic!("expected Busy, got {e}"),
        Ok(_) => panic!("expected Busy, got a second writer"),
    }
    let err = Store::open(&path)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("déjà utilisée"), "{err}");
    // Readers are not blocked.
    assert!(Store::open_read_only(&path).is_ok());
}

#[test]
fn store_file_and_directory_are_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("prive/v.sqlite");
    let _s = Store::open(&path).expect("open");
    let file_mode = std::fs::metadata(&path).expect("file").permissions().mode() & 0o777;
    let dir_mode = std::fs::metadata(path.parent().expect("dir"))
        .expect("dir")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(file_mode, 0o600);
    assert_eq!(dir_mode, 0o700);
}

#[test]
fn close_unseen_with_a_prefix_touches_only_that_mailbox() {
    let (_d, mut s) = open_tmp();
    let rule = |mbx: &str, id: &str| InboxRule {
        mailbox_user_id: mbx.into(),
        mailbox_upn: format!("{mbx}@x"),
        rule_id: id.into(),
        name: "r".into(),
        enabled: true,
        has_error: false,
        targets: vec![(RuleAction::ForwardTo, "a@gmail.com".into())],
    };
    let (a1, n1) = night(2);
    let r1 = s.begin_run(a1, n1).expect("run");
    s.write_page(r1, &[rule("m1", "x"), rule("m1", "y"), rule("m10", "z")])
        .expect("page");
    let (a2, n2) = night(3);
    let r2 = s.begin_run(a2, n2).expect("run");
    s.write_page(r2, &[rule("m1", "x")]).expect("page");
    assert_eq!(
        s.close_unseen(r2, Kind::InboxRule, Some("m1/"))
            .expect("close"),
        1,
        "only m1/y, not m10/z"
    );
    let keys: Vec<String> = s
        .current::<InboxRule>()
        .expect("current")
        .iter()
        .map(|r| r.key())
        .collect();
    assert_eq!(keys, vec!["m1/x", "m10/z"]);
}

#[test]
fn records_marked_seen_stay_open_and_the_others_close() {
    let (_d, mut s) = open_tmp();
    let (a1, n1) = night(2);
    let r1 = s.begin_run(a1, n1).expect("run");
    s.write_page(
        r1,
        &[account("a", true), account("b", true), account("c", true)],
    )
    .expect("page");
    let (a2, n2) = night(3);
    let r2 = s.begin_run(a2, n2).expect("run");
    let keys = ["a".to_string(), "b".to_string(), "gone".to_string()];
    assert_eq!(
        s.mark_seen(r2, Kind::Account, &keys).expect("seen"),
        2,
        "a key without a current version is skipped"
    );
    assert_eq!(s.mark_seen(r2, Kind::Registration, &keys).expect("seen"), 0);
    assert_eq!(s.close_unseen(r2, Kind::Account, None).expect("close"), 1);
    let ids: Vec<String> = s
        .current::<Account>()
        .expect("current")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, vec!["a", "b"]);
    assert_eq!(
        s.as_of::<Account>(r1).expect("as of").len(),
        3,
        "the first night is unchanged"
    );
}

#[test]
fn signins_are_deduplicated_and_aggregated_per_local_day() {
    let (_d, mut s) = open_tmp();
    let (a1, n1) = night(2);
    let r = s.begin_run(a1, n1).expect("run");
    let si = |id: &str, h: u32, app: &str, req: &str| SignIn {
        id: id.into(),
        created: Utc
            .with_ymd_and_hms(2026, 3, 2, h, 0, 0)
            .single()
            .expect("date"),
        user_id: "u".into(),
        upn: "u@x".into(),
        app_id: "app".into(),
        app_name: app.into(),
        ip: Some("10.0.0.1".into()),
        client_app: None,
        interactive: true,
        auth_requirement: Some(req.into()),
        error_code: 0,
        os: None,
        browser: None,
        device: Default::default(),
    };
    // 03:00 UTC is still March 1st in Montréal.
    let batch = vec![
        si("1", 3, "Microsoft Teams", "singleFactorAuthentication"),
        si(
            "2",
            15,
            "Office 365 SharePoint Online",
            "multiFactorAuthentication",
        ),
    ];
    assert_eq!(
        s.write_signins(r, chrono_tz::America::Montreal, &batch)
            .expect("write"),
        2
    );
    assert_eq!(
        s.write_signins(r, chrono_tz::America::Montreal, &batch)
            .expect("again"),
        0,
        "overlap window re-reads"
    );
    let days: Vec<(String, i64, i64)> = s
        .conn()
        .prepare("SELECT day, single_factor, multi_factor FROM signin_daily ORDER BY day")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(
        days,
        vec![
            ("2026-03-01".to_string(), 1, 0),
            ("2026-03-02".to_string(), 0, 1)
        ]
    );
    let from = Utc
        .with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .single()
        .expect("d");
    let to = Utc
        .with_ymd_and_hms(2026, 3, 3, 0, 0, 0)
        .single()
        .expect("d");
    assert_eq!(s.signins_between(from, to).expect("read").len(), 2);
}

#[test]
fn purge_removes_what_retention_no_longer_allows() {
    let (_d, mut s) = open_tmp();
    let (a1, n1) = night(2);
    let r1 = s.begin_run(a1, n1).expect("run");
    s.write_page(r1, &[account("a", true)]).expect("page");
    s.finish_run(r1, RunStatus::Complete, None).expect("finish");
    let (a2, n2) = night(3);
    let r2 = s.begin_run(a2, n2).expect("run");
    s.write_page(r2, &[account("a", false)]).expect("page");
    s.finish_run(r2, RunStatus::Complete, None).expect("finish");
    let later = a2 + chrono::Duration::days(500);
    s.purge(
        later,
        Retention {
            raw_signin_days: 90,
            data_days: 400,
        },
    )
    .expect("purge");
    let n: i64 = s
        .conn()
        .query_row(
            "SELECT count(*) FROM versions WHERE kind = 'account'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(n, 1, "the old version is gone, the current one stays");
}

fn registration(id: &str) -> crate::model::Registration {
    crate::model::Registration {
        user_id: id.into(),
        upn: format!("{id}@cisss.test"),
        mfa_registered: true,
        mfa_capable: true,
        methods: vec![],
    }
}

#[test]
fn accounts_stream_with_their_registration_by_key() {
    let (_d, mut s) = open_tmp();
    let (a1, n1) = night(2);
    let r1 = s.begin_run(a1, n1).expect("run");
    s.write_page(r1, &["b", "d", "e", "g"].map(|id| account(id, true)))
        .expect("accounts");
    // Registrations without an account ("a", "c", "f", "h") are skipped on either side of
    // the accounts; "e" has none.
    s.write_page(r1, &["a", "b", "c", "d", "f", "g", "h"].map(registration))
        .expect("registrations");
    s.finish_run(r1, RunStatus::Complete, None).expect("finish");
    let mut seen = Vec::new();
    s.each_as_of_with::<Account, crate::model::Registration>(r1, |a, r| {
        seen.push((a.id, r.map(|r| r.user_id)));
        Ok(())
    })
    .expect("stream");
    let some = |x: &str| Some(x.to_string());
    assert_eq!(
        seen,
        [
            ("b".to_string(), some("b")),
            ("d".to_string(), some("d")),
            ("e".to_string(), None),
            ("g".to_string(), some("g")),
        ]
    );
    // No registration at all: every account still comes, with none.
    let (a2, n2) = night(3);
    let r2 = s.begin_run(a2, n2).expect("run");
    s.write_page(r2, &[account("z", true)]).expect("accounts");
    s.close_unseen(r2, Kind::Registration, None).expect("close");
    s.close_unseen(r2, Kind::Account, None).expect("close");
    s.finish_run(r2, RunStatus::Complete, None).expect("finish");
    let mut seen = Vec::new();
    s.each_as_of_with::<Account, crate::model::Registration>(r2, |a, r| {
        seen.push((a.id, r.is_some()));
        Ok(())
    })
    .expect("stream");
    assert_eq!(seen, [("z".to_string(), false)]);
}

#[test]
fn a_corrupt_record_names_its_kind_and_key_while_streaming() {
    let (_d, mut s) = open_tmp();
    let (a1, n1) = night(2);
    let r1 = s.begin_run(a1, n1).expect("run");
    s.write_page(r1, &[account("a", true), account("b", true)])
        .expect("accounts");
    s.conn
        .execute(
            "UPDATE versions SET data = '{\"id\":' WHERE kind = 'account' AND key = 'b'",
            [],
        )
        .expect("corrupt");
    let mut n = 0;
    let err = s
        .each_as_of::<Account>(r1, |_| {
            n += 1;
            Ok(())
        })
        .expect_err("corrupt row");
    assert_eq!(n, 1, "the good row before it was given");
    assert!(
        matches!(&err, StoreError::Corrupt { kind, key, .. } if kind == "account" && key == "b"),
        "{err:?}"
    );
}

/// A store left by the previous version of the schema (before `signin_accounts`): two nights,
/// sign-ins of `u1` and `u2`, the current activity of `u3` (in scope, idle), the closed one of
/// `u4` (left the scope), and the sign-ins watermark unless `watermark` is false.
fn store_before_signin_accounts(path: &Path, watermark: bool) {
    std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
    let conn = Connection::open(path).expect("open");
    for sql in &migrations::MIGRATIONS[..2] {
        conn.execute_batch(sql).expect("old schema");
    }
    conn.pragma_update(None, "user_version", 2)
        .expect("version");
    conn.execute_batch(
        "INSERT INTO runs (id, started_at, as_of, night, ended_at, status, tool_version)
           VALUES (1, '2026-03-02T08:00:01Z', '2026-03-02T08:00:00Z', '2026-03-01', '2026-03-02T08:20:00Z', 'complete', '0.1.0'),
                  (2, '2026-03-03T08:00:01Z', '2026-03-03T08:00:00Z', '2026-03-02', '2026-03-03T08:20:00Z', 'complete', '0.1.0');
         INSERT INTO signins (id, user_id, created, day, run_id, data)
           VALUES ('s1', 'u1', '2026-02-20T10:00:00Z', '2026-02-20', 1, '{}'),
                  ('s2', 'u1', '2026-03-02T10:00:00Z', '2026-03-02', 2, '{}'),
                  ('s3', 'u2', '2026-02-25T10:00:00Z', '2026-02-25', 1, '{}');
         INSERT INTO versions (kind, key, data, valid_from, valid_to, seen_run)
           VALUES ('activity', 'u1', '{}', 1, NULL, 2),
                  ('activity', 'u3', '{}', 1, NULL, 2),
                  ('activity', 'u4', '{}', 1, 2, 1);",
    )
    .expect("old rows");
    if watermark {
        conn.execute(
            "INSERT INTO watermarks (name, value, run_id) VALUES ('sign-ins', '2026-03-03T08:00:00Z', 2)",
            [],
        )
        .expect("watermark");
    }
}

/// That store, opened (migrated) by this version.
fn migrated(watermark: bool) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("base/vigie365.sqlite");
    store_before_signin_accounts(&path, watermark);
    let s = Store::open(&path).expect("migrates");
    (dir, s)
}

fn signin_accounts(s: &Store) -> Vec<(String, String, i64)> {
    s.conn()
        .prepare("SELECT user_id, read_to, run_id FROM signin_accounts ORDER BY user_id")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn the_upgrade_counts_accounts_with_sign_ins_or_current_activity_as_read_to_the_watermark() {
    let (_d, s) = migrated(true);
    let mark = "2026-03-03T08:00:00Z".to_string();
    assert_eq!(
        signin_accounts(&s),
        vec![
            ("u1".to_string(), mark.clone(), 2),
            ("u2".to_string(), mark.clone(), 2),
            ("u3".to_string(), mark.clone(), 2),
        ],
        "u4 left the scope: new if it comes back"
    );
    let known = s.signin_accounts_read_to(&mark).expect("known");
    assert_eq!(known.len(), 3);
    assert!(!known.contains("u4"));
}

#[test]
fn without_a_watermark_the_upgrade_marks_nobody_every_account_starts_at_the_horizon() {
    let (_d, s) = migrated(false);
    assert!(signin_accounts(&s).is_empty());
}

#[test]
fn accounts_read_never_move_back_and_are_forgotten_behind_the_watermark() {
    let (_d, mut s) = open_tmp();
    let (a1, n1) = night(2);
    let r1 = s.begin_run(a1, n1).expect("run");
    let (t1, t2) = ("2026-03-02T08:00:00Z", "2026-03-03T08:00:00Z");
    let ids = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    s.set_signin_accounts_read(r1, &ids(&["a", "b"]), t2)
        .expect("read");
    s.set_signin_accounts_read(r1, &ids(&["a", "c"]), t1)
        .expect("rerun of an older night");
    let mut known: Vec<String> = s
        .signin_accounts_read_to(t2)
        .expect("known")
        .into_iter()
        .collect();
    known.sort();
    assert_eq!(known, ["a", "b"], "a keeps its later read");
    assert_eq!(s.forget_signin_accounts_before(t2).expect("forget"), 1);
    assert_eq!(s.signin_accounts_read_to(t1).expect("all").len(), 2);
}

#[test]
fn french_views_show_the_current_records_and_the_latest_findings() {
    let (_d, mut s) = open_tmp();
    let (a1, n1) = night(2);
    let r1 = s.begin_run(a1, n1).expect("run");
    let mut gone = account("b", true);
    gone.employee_type = Some("Générique".into());
    s.write_page(r1, &[account("a", true), gone])
        .expect("accounts");
    s.write_page(r1, &[registration("a")])
        .expect("registrations");
    s.write_page(
        r1,
        &[
            crate::model::Mailbox {
                user_id: Some("a".into()),
                upn: "a@cisss.test".into(),
                primary_smtp: "a@cisss.test".into(),
                kind: "UserMailbox".into(),
                forwarding_smtp: Some("smtp:a@gmail.com".into()),
                forwarding_address: None,
                deliver_and_forward: true,
            },
            crate::model::Mailbox {
                user_id: Some("b".into()),
                upn: "b@cisss.test".into(),
                primary_smtp: "b@cisss.test".into(),
                kind: "UserMailbox".into(),
                forwarding_smtp: None,
                forwarding_address: Some(String::new()),
                deliver_and_forward: false,
            },
        ],
    )
    .expect("mailboxes");
    s.write_page(
        r1,
        &[InboxRule {
            mailbox_user_id: "a".into(),
            mailbox_upn: "a@cisss.test".into(),
            rule_id: "r1".into(),
            name: "Vers perso".into(),
            enabled: true,
            has_error: false,
            targets: vec![(RuleAction::RedirectTo, "a@gmail.com".into())],
        }],
    )
    .expect("rules");
    s.finish_run(r1, RunStatus::Complete, None).expect("finish");
    let (a2, n2) = night(3);
    let r2 = s.begin_run(a2, n2).expect("run");
    s.write_page(r2, &[account("a", false)]).expect("accounts");
    s.close_unseen(r2, Kind::Account, None).expect("close");
    s.finish_run(r2, RunStatus::Complete, None).expect("finish");
    let f = |subject: &str, evidence: &str| StoredFinding {
        check: crate::finding::CheckId::declared("FWD-PUB-01"),
        subject: subject.into(),
        severity: crate::finding::Severity::Critique,
        population: crate::finding::Population::Personnel,
        accepted: false,
        data: serde_json::json!({ "evidence": evidence }).to_string(),
    };
    s.record_evaluation(r1, n1, a1, &[f("old", "hier")], &[], &[])
        .expect("evaluation 1");
    s.record_evaluation(
        r2,
        n2,
        a2,
        &[f("a@cisss.test#boite>a@gmail.com", "vers gmail")],
        &[],
        &[],
    )
    .expect("evaluation 2");

    let rows = |sql: &str| -> Vec<String> {
        let mut st = s.conn.prepare(sql).expect("prepare");
        st.query_map([], |r| r.get::<_, String>(0))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    };
    assert_eq!(
        rows("SELECT id || ' ' || upn || ' ' || actif FROM comptes ORDER BY id"),
        ["a a@cisss.test 0"],
        "b vanished, a is disabled now"
    );
    assert_eq!(
        rows("SELECT upn || ' ' || mfa_enregistree FROM inscriptions_mfa"),
        ["a@cisss.test 1"]
    );
    assert_eq!(
        rows(
            "SELECT upn || ' ' || forwarding_smtp_address || ' ' || copie_conservee FROM redirections_de_boite"
        ),
        ["a@cisss.test smtp:a@gmail.com 1"],
        "a mailbox with an empty ForwardingAddress does not forward"
    );
    assert_eq!(
        rows(
            "SELECT boite || ' ' || nom || ' ' || activee || ' ' || cibles FROM regles_de_redirection"
        ),
        [r#"a@cisss.test Vers perso 1 [["redirectTo","a@gmail.com"]]"#]
    );
    assert_eq!(
        rows(
            "SELECT nuit || ' ' || controle || ' ' || sujet || ' ' || preuve FROM constats_derniere_nuit"
        ),
        [format!(
            "{n2} FWD-PUB-01 a@cisss.test#boite>a@gmail.com vers gmail"
        )]
    );
}

// Provincial mode: one collection, evaluated per establishment (migration 7).

const EVALUATED: &[&str] = &["GEN-MFA-01", "FWD-PUB-01", "FWD-EXT-01"];

fn finding(check: &'static str, subject: &str) -> StoredFinding {
    StoredFinding {
        check: crate::finding::CheckId::declared(check),
        subject: subject.into(),
        severity: crate::finding::Severity::Critique,
        population: crate::finding::Population::Personnel,
        accepted: false,
        data: serde_json::json!({ "evidence": subject }).to_string(),
    }
}

fn figure(value: i64) -> PostureFigure {
    PostureFigure {
        population: "tous".into(),
        class: "generique".into(),
        metric: "comptes".into(),
        value,
    }
}

fn left_out(subject: &str) -> PartialRow {
    PartialRow {
        check: crate::finding::CheckId::declared("FWD-EXT-01"),
        subject: subject.into(),
        reason: "ForwardingAddress « x » non résolu".into(),
    }
}

/// The primary key columns of `table`, in order.
fn primary_key(s: &Store, table: &str) -> Vec<String> {
    let mut cols: Vec<(i64, String)> = s
        .conn()
        .prepare(&format!("PRAGMA table_info({table})"))
        .expect("prepare")
        .query_map([], |r| Ok((r.get::<_, i64>(5)?, r.get::<_, String>(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    cols.retain(|(pk, _)| *pk > 0);
    cols.sort();
    cols.into_iter().map(|(_, name)| name).collect()
}

#[test]
fn the_upgrade_to_establishments_keeps_every_evaluation_as_the_default_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("base/vigie365.sqlite");
    std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
    {
        let conn = Connection::open(&path).expect("open");
        for sql in &migrations::MIGRATIONS[..6] {
            conn.execute_batch(sql).expect("version 6 schema");
        }
        conn.pragma_update(None, "user_version", 6)
            .expect("version");
        conn.execute_batch(
            r#"INSERT INTO runs (id, started_at, as_of, night, ended_at, status, tool_version)
                 VALUES (1, '2026-03-02T08:00:01Z', '2026-03-02T08:00:00Z', '2026-03-01', '2026-03-02T08:20:00Z', 'complete', '0.1.0');
               INSERT INTO evaluations (run_id, night, as_of, evaluated_at, not_evaluated)
                 VALUES (1, '2026-03-01', '2026-03-02T08:00:00Z', '2026-03-02T08:20:00Z', '["FWD-PUB-01"]');
               INSERT INTO finding_nights (run_id, check_id, subject, severity, population, accepted, data)
                 VALUES (1, 'GEN-MFA-01', 'a', 'critique', 'personnel', 0, '{"evidence":"sans MFA"}');
               INSERT INTO finding_events (run_id, night, check_id, subject, event)
                 VALUES (1, '2026-03-01', 'GEN-MFA-01', 'a', 'new');
               INSERT INTO posture (run_id, night, population, class, metric, value)
                 VALUES (1, '2026-03-01', 'tous', 'generique', 'comptes', 7);
               INSERT INTO partial_evaluations (run_id, check_id, subject, reason)
                 VALUES (1, 'FWD-EXT-01', 'b', 'ForwardingAddress « x » non résolu');"#,
        )
        .expect("version 6 rows");
    }
    let mut s = Store::open(&path).expect("migrates");
    let version: i64 = s
        .conn()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(version, migrations::MIGRATIONS.len() as i64);
    for (table, key) in [
        ("evaluations", &["etablissement", "run_id"][..]),
        (
            "finding_nights",
            &["etablissement", "run_id", "check_id", "subject"][..],
        ),
        (
            "finding_events",
            &["etablissement", "run_id", "check_id", "subject"][..],
        ),
        (
            "posture",
            &["etablissement", "run_id", "population", "class", "metric"][..],
        ),
        (
            "partial_evaluations",
            &["etablissement", "run_id", "check_id", "subject", "reason"][..],
        ),
    ] {
        assert_eq!(primary_key(&s, table), key, "{table}");
    }
    let index: Vec<String> = s
        .conn()
        .prepare("SELECT name FROM pragma_index_info('finding_events_subject') ORDER BY seqno")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(index, ["etablissement", "check_id", "subject", "run_id"]);

    // Every row is the default establishment's, read as before.
    assert_eq!(s.establishment(), "");
    assert_eq!(s.establishments().expect("establishments"), [""]);
    let night1 = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let e = s.evaluations_until(night1, EVALUATED).expect("evaluations");
    assert_eq!((e.len(), e[0].run, e[0].night), (1, 1, night1));
    assert_eq!(
        e[0].not_evaluated,
        [crate::finding::CheckId::declared("FWD-PUB-01")]
    );
    let f = s.findings_of(1, EVALUATED).expect("findings");
    assert_eq!(
        f.iter()
            .map(|f| (f.check.as_str(), f.subject.as_str()))
            .collect::<Vec<_>>(),
        [("GEN-MFA-01", "a")]
    );
    assert_eq!(s.posture_of(1).expect("posture"), [figure(7)]);
    assert_eq!(
        s.posture_between(night1, night1).expect("posture"),
        [(night1, figure(7))]
    );
    assert_eq!(
        s.partial_of(1, EVALUATED).expect("partial"),
        [left_out("b")]
    );
    let events = s.finding_events_until(night1, EVALUATED).expect("events");
    assert_eq!(
        events.iter().map(|e| e.event).collect::<Vec<_>>(),
        [crate::finding::Event::New]
    );
    let etab: Vec<String> = s
        .conn()
        .prepare("SELECT etablissement || '|' || nuit || '|' || sujet || '|' || preuve FROM constats_derniere_nuit")
        .expect("view")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(etab, ["|2026-03-01|a|sans MFA"]);

    // Another establishment sees none of it.
    s.set_establishment("X");
    assert!(s.findings_of(1, EVALUATED).expect("findings").is_empty());
    assert!(
        s.evaluations_until(night1, EVALUATED)
            .expect("evaluations")
            .is_empty()
    );

    // The history goes on: the next night of the default establishment resolves `a`.
    s.set_establishment("");
    let (a2, n2) = night(3);
    let r2 = s.begin_run(a2, n2).expect("run");
    let delta = s
        .record_evaluation(r2, n2, a2, &[], &[], &[])
        .expect("evaluation");
    assert_eq!(
        delta.resolved,
        [("GEN-MFA-01".to_string(), "a".to_string())]
    );
}

/// Nights 1 and 2, one collection each, evaluated for establishments `A` and `B`:
/// - `A`: GEN-MFA-01 `a` on night 1, gone on night 2 (resolved), posture 10 then 11, one
///   part left out on night 1, FWD-PUB-01 not evaluated on night 2;
/// - `B`: GEN-MFA-01 `a` only on night 2 (new, not reopened), FWD-PUB-01 `b` both nights,
///   posture 20 then 21, no part left out.
fn two_establishments() -> (tempfile::TempDir, Store, [RunId; 2]) {
    let (d, mut s) = open_tmp();
    let (a1, n1) = night(2);
    let r1 = s.begin_run(a1, n1).expect("run");
    s.finish_run(r1, RunStatus::Complete, None).expect("finish");
    let (a2, n2) = night(3);
    let r2 = s.begin_run(a2, n2).expect("run");
    s.finish_run(r2, RunStatus::Complete, None).expect("finish");
    let gen_a = [finding("GEN-MFA-01", "a")];
    let fwd_b = [finding("FWD-PUB-01", "b")];
    let both = [finding("GEN-MFA-01", "a"), finding("FWD-PUB-01", "b")];
    let part = [left_out("m@x")];
    let skipped = [crate::finding::CheckId::declared("FWD-PUB-01")];

    s.set_establishment("A");
    let p = [figure(10)];
    let record = NightRecord {
        findings: &gen_a,
        posture: &p,
        partial: &part,
        ..NightRecord::default()
    };
    let d1 = s.record_night(r1, n1, a1, record).expect("A night 1");
    assert_eq!(d1.new.len(), 1);
    s.set_establishment("B");
    let d1 = s
        .record_evaluation(r1, n1, a1, &fwd_b, &[], &[figure(20)])
        .expect("B night 1");
    assert_eq!(d1.new, [("FWD-PUB-01".to_string(), "b".to_string())]);

    s.set_establishment("A");
    let d2 = s
        .record_evaluation(r2, n2, a2, &[], &skipped, &[figure(11)])
        .expect("A night 2");
    assert_eq!(d2.resolved, [("GEN-MFA-01".to_string(), "a".to_string())]);
    s.set_establishment("B");
    let d2 = s
        .record_evaluation(r2, n2, a2, &both, &[], &[figure(21)])
        .expect("B night 2");
    assert_eq!(
        (
            d2.new.len(),
            d2.reopened.len(),
            d2.still_open,
            d2.resolved.len()
        ),
        (1, 0, 1, 0),
        "B never saw `a` before: new, not reopened"
    );
    (d, s, [r1, r2])
}

fn ids(findings: &[StoredFinding]) -> Vec<(&str, &str)> {
    findings
        .iter()
        .map(|f| (f.check.as_str(), f.subject.as_str()))
        .collect()
}

#[test]
fn establishments_evaluated_from_one_collection_are_read_apart() {
    use crate::finding::{CheckId, Event};
    let (_d, mut s, [r1, r2]) = two_establishments();
    assert_eq!(s.establishments().expect("establishments"), ["A", "B"]);
    let far = NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");
    let (n1, n2) = (night(2).1, night(3).1);

    s.set_establishment("A");
    assert_eq!(s.establishment(), "A");
    assert_eq!(
        ids(&s.findings_of(r1, EVALUATED).expect("f")),
        [("GEN-MFA-01", "a")]
    );
    assert!(s.findings_of(r2, EVALUATED).expect("f").is_empty());
    let e = s.evaluations_until(far, EVALUATED).expect("evaluations");
    assert_eq!(
        e.iter()
            .map(|e| (e.run, e.not_evaluated.clone()))
            .collect::<Vec<_>>(),
        [(r1, vec![]), (r2, vec![CheckId::declared("FWD-PUB-01")])]
    );
    assert_eq!(s.posture_of(r2).expect("posture"), [figure(11)]);
    assert_eq!(
        s.posture_between(n1, n2).expect("posture"),
        [(n1, figure(10)), (n2, figure(11))]
    );
    assert_eq!(
        s.partial_of(r1, EVALUATED).expect("partial"),
        [left_out("m@x")]
    );
    let ev = s.finding_events_until(far, EVALUATED).expect("events");
    assert_eq!(
        ev.iter().map(|e| (e.run, e.event)).collect::<Vec<_>>(),
        [(r1, Event::New), (r2, Event::Resolved)]
    );
    let lc = s.lifecycles_as_of(n2, EVALUATED).expect("lifecycles");
    assert_eq!(
        lc.iter()
            .map(|l| (l.subject.as_str(), l.first_seen, l.last_event))
            .collect::<Vec<_>>(),
        [("a", n1, Event::Resolved)]
    );

    s.set_establishment("B");
    assert_eq!(
        ids(&s.findings_of(r1, EVALUATED).expect("f")),
        [("FWD-PUB-01", "b")]
    );
    assert_eq!(
        ids(&s.findings_of(r2, EVALUATED).expect("f")),
        [("FWD-PUB-01", "b"), ("GEN-MFA-01", "a")]
    );
    let e = s.evaluations_until(far, EVALUATED).expect("evaluations");
    assert!(e.iter().all(|e| e.not_evaluated.is_empty()));
    assert_eq!(s.posture_of(r1).expect("posture"), [figure(20)]);
    assert_eq!(
        s.posture_between(n1, n2).expect("posture"),
        [(n1, figure(20)), (n2, figure(21))]
    );
    assert!(s.partial_of(r1, EVALUATED).expect("partial").is_empty());
    let ev = s.finding_events_until(far, EVALUATED).expect("events");
    assert_eq!(
        ev.iter()
            .map(|e| (e.run, e.subject.as_str(), e.event))
            .collect::<Vec<_>>(),
        [(r1, "b", Event::New), (r2, "a", Event::New)]
    );
    let lc = s.lifecycles_as_of(n2, EVALUATED).expect("lifecycles");
    assert_eq!(
        lc.iter()
            .map(|l| (l.subject.as_str(), l.first_seen, l.last_event))
            .collect::<Vec<_>>(),
        [("b", n1, Event::New), ("a", n2, Event::New)]
    );

    // The default establishment evaluated nothing.
    s.set_establishment("");
    assert!(s.findings_of(r1, EVALUATED).expect("f").is_empty());
    assert!(s.evaluations_until(far, EVALUATED).expect("e").is_empty());
    assert!(
        s.finding_events_until(far, EVALUATED)
            .expect("e")
            .is_empty()
    );
    assert!(s.posture_between(n1, n2).expect("p").is_empty());

    // Evaluating a night again for A replaces A's record only.
    s.set_establishment("A");
    s.record_evaluation(r1, n1, night(2).0, &[], &[], &[])
        .expect("A night 1 again");
    assert!(s.findings_of(r1, EVALUATED).expect("f").is_empty());
    assert!(s.partial_of(r1, EVALUATED).expect("partial").is_empty());
    s.set_establishment("B");
    assert_eq!(
        ids(&s.findings_of(r1, EVALUATED).expect("f")),
        [("FWD-PUB-01", "b")]
    );
    assert_eq!(s.posture_of(r1).expect("posture"), [figure(20)]);

    // The French view: each establishment's latest evaluated night.
    let rows: Vec<String> = s
        .conn()
        .prepare(
            "SELECT etablissement || '|' || nuit || '|' || controle || '|' || sujet
             FROM constats_derniere_nuit ORDER BY etablissement, controle, sujet",
        )
        .expect("view")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(
        rows,
        [
            format!("B|{n2}|FWD-PUB-01|b"),
            format!("B|{n2}|GEN-MFA-01|a")
        ],
        "A's latest night found nothing"
    );
}

#[test]
fn an_unknown_value_in_an_establishment_row_names_the_establishment() {
    let (_d, mut s, [r1, _]) = two_establishments();
    s.conn()
        .execute(
            "UPDATE finding_nights SET severity = 'grave' WHERE etablissement = 'B'",
            [],
        )
        .expect("tamper");
    s.set_establishment("A");
    assert!(s.findings_of(r1, EVALUATED).is_ok(), "A's rows are sound");
    s.set_establishment("B");
    let e = s.findings_of(r1, EVALUATED).expect_err("refused");
    assert!(e.to_string().contains("établissement « B »"), "{e}");
}

#[test]
fn the_purge_keeps_every_establishment_evaluations_and_purges_the_shared_collection() {
    let (_d, mut s, [r1, r2]) = two_establishments();
    s.write_page(r1, &[account("a", true)]).expect("page");
    s.write_page(r2, &[account("a", false)]).expect("page");
    let count =
        |s: &Store, sql: &str| -> i64 { s.conn().query_row(sql, [], |r| r.get(0)).expect("count") };
    let evaluation_rows = |s: &Store| {
        [
            "evaluations",
            "finding_nights",
            "finding_events",
            "posture",
            "partial_evaluations",
        ]
        .map(|t| count(s, &format!("SELECT count(*) FROM {t}")))
    };
    let before = evaluation_rows(&s);
    assert!(before.iter().all(|n| *n > 0), "{before:?}");
    // Selected establishment: B. The purge is the same whatever it is.
    s.set_establishment("B");
    s.purge(
        night(3).0 + chrono::Duration::days(500),
        Retention {
            raw_signin_days: 90,
            data_days: 400,
        },
    )
    .expect("purge");
    assert_eq!(
        count(&s, "SELECT count(*) FROM versions WHERE kind = 'account'"),
        1,
        "the shared collection is purged as before"
    );
    assert_eq!(
        evaluation_rows(&s),
        before,
        "runs are kept, so are their evaluations"
    );
    assert_eq!(s.establishments().expect("establishments"), ["A", "B"]);
    s.set_establishment("A");
    assert_eq!(
        s.evaluations_until(night(3).1, EVALUATED).expect("A").len(),
        2
    );
}
