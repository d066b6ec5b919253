//! Tenant strings are data, never markup or formulas: display names, rule names, UPNs, the
//! establishment's name and exception justifications that look like spreadsheet formulas or
//! HTML come out inert in the nightly CSV, the bilan's HTML, Markdown and CSV annexes. The
//! findings come from the real checks, evaluated from a store written like a collection.

use chrono::{NaiveDate, TimeZone, Utc};

use vigie365::config::{Config, Exception};
use vigie365::model::{
    AcceptedDomain, Account, InboxRule, OutboundPolicy, Registration, RemoteDomain, RuleAction,
};
use vigie365::report::bilan::{self, Period};
use vigie365::report::nightly;
use vigie365::store::{RunStatus, SourceOutcome, SourceStatus, Store};

const FORMULA: &str = "=HYPERLINK(\"http://x\",\"y\")";
const SCRIPT: &str = "<script>alert(1)</script>";

fn account(id: &str, upn: &str, name: &str) -> Account {
    Account {
        id: id.into(),
        upn: upn.into(),
        display_name: name.into(),
        mail: None,
        enabled: true,
        guest: false,
        employee_type: None,
        extension_attributes: Default::default(),
        created: None,
        last_password_change: Some(Utc::now() - chrono::Duration::days(10)),
        proxy_addresses: Vec::new(),
        organisation: Default::default(),
        perimeter: Vec::new(),
        attribution: Vec::new(),
    }
}

fn rule(user: &str, id: &str, name: &str, target: &str) -> InboxRule {
    InboxRule {
        mailbox_user_id: user.into(),
        mailbox_upn: String::new(),
        rule_id: id.into(),
        name: name.into(),
        enabled: true,
        has_error: false,
        targets: vec![(RuleAction::ForwardTo, target.into())],
    }
}

/// Cells of a CSV written by vigie365 (BOM, `;`).
fn cells(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8(bytes.to_vec()).expect("utf8");
    let mut r = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    r.records()
        .map(|x| x.expect("row").iter().map(String::from).collect())
        .collect()
}

fn assert_inert_csv(name: &str, bytes: &[u8]) -> Vec<Vec<String>> {
    let rows = cells(bytes);
    for row in &rows {
        for c in row {
            assert!(
                !c.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{name}: a cell a spreadsheet would run: {c:?}"
            );
        }
    }
    rows
}

#[test]
fn formulas_and_markup_from_the_tenant_come_out_inert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vigie365.sqlite");
    let mut store = Store::open(&path).expect("store");
    let night = NaiveDate::from_ymd_opt(2026, 3, 9).expect("date");
    let as_of = Utc
        .with_ymd_and_hms(2026, 3, 10, 7, 0, 0)
        .single()
        .expect("instant");
    let run = store.begin_run(as_of, night).expect("run");
    // A tablet whose display name carries a script, a person whose UPN is a DDE formula, and
    // an inbox rule named like a formula and another like a script.
    let dde = "=cmd|' /c calc'!a0@cisss-test.ca";
    store
        .write_page(
            run,
            &[
                account(
                    "tab1",
                    "tablette1.verdun@cisss-test.ca",
                    &format!("Tablette 1 CHSLD de Verdun {SCRIPT}"),
                ),
                account("p1", dde, FORMULA),
                account("p2", "jean@cisss-test.ca", SCRIPT),
            ],
        )
        .expect("accounts");
    store
        .write_page(
            run,
            &[Registration {
                user_id: "tab1".into(),
                upn: "tablette1.verdun@cisss-test.ca".into(),
                mfa_registered: false,
                mfa_capable: false,
                methods: vec![],
            }],
        )
        .expect("registrations");
    store
        .write_page(
            run,
            &[
                rule("p1", "r1", FORMULA, "x@gmail.com"),
                rule("p2", "r2", SCRIPT, "y@gmail.com"),
            ],
        )
        .expect("rules");
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
                auto_forwarding_mode: "Off".into(),
            }],
        )
        .expect("policy");
    store
        .write_page(
            run,
            &[RemoteDomain {
                domain: "*".into(),
                auto_forward_enabled: false,
            }],
        )
        .expect("remote");
    for q in vigie365::queries::all() {
        store.source_started(run, &q.name).expect("start");
        store
            .source_finished(
                run,
                &q.name,
                &SourceOutcome {
                    status: SourceStatus::Collected,
                    records: 1,
                    pages: 1,
                    reason: None,
                    permission: None,
                },
            )
            .expect("finish");
    }
    store
        .finish_run(run, RunStatus::Complete, None)
        .expect("finish");

    let mut config = Config::for_tests();
    config.tenant.establishment = format!("{SCRIPT} & « CISSS » </style>");
    config.exceptions.push(Exception {
        check_id: "FWD-PUB-01".into(),
        subject: "jean@cisss-test.ca#regle:r2>y@gmail.com".into(),
        justification: format!("{FORMULA} <img src=x onerror=alert(1)>"),
        owner: "@RSI".into(),
        expires: NaiveDate::from_ymd_opt(2027, 1, 1).expect("date"),
    });
    let (summary, evaluation) =
        vigie365::night::evaluate_latest(&mut store, &config).expect("evaluate");
    assert!(summary.total >= 3, "{:#?}", evaluation.findings);
    let evidence: Vec<&str> = evaluation
        .findings
        .iter()
        .map(|f| f.evidence.as_str())
        .collect();
    assert!(evidence.iter().any(|e| e.contains(SCRIPT)), "{evidence:#?}");
    assert!(
        evidence.iter().any(|e| e.contains(FORMULA)),
        "{evidence:#?}"
    );
    drop(store);
    let store = Store::open_read_only(&path).expect("read only");

    // Nightly CSV: the DDE subject is neutralised, the rest kept as text; JSONL is raw data.
    let n = nightly::build(&store, None, &config.tenant.establishment).expect("nightly");
    let files = nightly::write(&n, &dir.path().join("sorties")).expect("write");
    let rows = assert_inert_csv("constats", &std::fs::read(&files[0]).expect("csv"));
    assert!(
        rows.iter().flatten().any(|c| c.starts_with("'=cmd|")),
        "the DDE subject is kept, as text: {rows:#?}"
    );
    assert!(rows.iter().flatten().any(|c| c.contains(FORMULA)));
    let jsonl = std::fs::read_to_string(&files[1]).expect("jsonl");
    assert!(jsonl.contains("\"sujet\":\"=cmd|"), "{jsonl}");
    let text = nightly::summary(&n, &files, None).expect("summary");
    assert!(!text.contains('\u{1b}'));

    // The bilan, in every format.
    let period = Period::between(night, night).expect("period");
    let ctx = bilan::Context::from_config(&config);
    let b = bilan::compute(&store, &period, &ctx.establishment, &ctx.tenant).expect("bilan");
    let r = bilan::render(&b, &period, &ctx).expect("render");
    let html = String::from_utf8(r.get(".html").expect("html").to_vec()).expect("utf8");
    assert!(
        !html.to_lowercase().contains("<script"),
        "a script tag reached the HTML"
    );
    assert!(!html.contains("<img"), "an image tag reached the HTML");
    assert_eq!(
        html.matches("</style>").count(),
        1,
        "the header text closed the style element"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "the justification is shown, escaped"
    );
    assert!(html.contains("=cmd|&#39; /c calc&#39;!a0@cisss-test.ca"));
    let md = String::from_utf8(r.get(".md").expect("md").to_vec()).expect("utf8");
    let bytes = md.as_bytes();
    for (i, c) in bytes.iter().enumerate() {
        if *c == b'<' {
            assert!(
                i > 0 && bytes[i - 1] == b'\\',
                "unescaped < in the Markdown near {}",
                &md[i.saturating_sub(40)..(i + 20).min(md.len())]
            );
        }
    }
    assert!(md.contains(r"\<script\>alert(1)\</script\>"));
    for (name, bytes) in &r.files {
        if name.ends_with(".csv") {
            assert_inert_csv(name, bytes);
        }
    }
    let exceptions = cells(r.get("-exceptions.csv").expect("annex"));
    assert_eq!(
        exceptions[1][3],
        format!("'{FORMULA} <img src=x onerror=alert(1)>")
    );
    assert_eq!(exceptions[1][4], "'@RSI");
}
