//! Hostile input: arbitrary responses, configuration files, registers and addresses never
//! panic; absurd nesting and huge pages are refused with an error.

use proptest::prelude::*;
use serde_json::Value;
use vigie365::graph::models;
use vigie365::graph::{GraphError, RequestLabel};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("0001-01-01T00:00:00Z"),
            Just(""),
            Just("2026-02-30T25:61:00Z"),
            Just("smtp:X@GMAIL.COM "),
            Just("=HYPERLINK(\"http://x\",\"y\")"),
            Just("\u{202e}moc.liamg@x"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        let keys = prop_oneof![
            Just("id".to_string()),
            Just("userPrincipalName".to_string()),
            Just("accountEnabled".to_string()),
            Just("createdDateTime".to_string()),
            Just("actions".to_string()),
            Just("redirectTo".to_string()),
            Just("forwardTo".to_string()),
            Just("emailAddress".to_string()),
            Just("address".to_string()),
            Just("value".to_string()),
            Just("ForwardingSmtpAddress".to_string()),
            Just("RedirectMessageTo".to_string()),
            Just("AzureRMSLicensingEnabled".to_string()),
            Just("UnifiedAuditLogIngestionEnabled".to_string()),
            Just("PopEnabled".to_string()),
            Just("clientAppUsed".to_string()),
            Just("status".to_string()),
            "[a-zA-Z@.]{1,12}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn label() -> RequestLabel {
    RequestLabel {
        query: "test".into(),
        path: "/v1.0/test".into(),
    }
}

fn decode_all(bytes: &[u8]) {
    let l = label();
    let _ = vigie365::graph::client::decode::<models::User>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::SignIn>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::RegistrationDetail>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::ConditionalAccessPolicy>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::NamedLocation>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::MessageRules>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::Mailbox>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::TransportRule>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::RemoteDomain>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::OutboundSpamPolicy>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::ManagedDevice>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::IrmConfiguration>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::AdminAuditLogConfig>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::OrganizationConfig>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::CasMailbox>(&l, bytes);
    let _ = vigie365::graph::client::decode::<models::RoleAssignment>(&l, bytes);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn no_response_shape_makes_a_model_panic(v in json_value()) {
        let bytes = serde_json::to_vec(&v).unwrap_or_default();
        decode_all(&bytes);
    }

    #[test]
    fn no_byte_string_makes_a_model_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_all(&bytes);
    }

    #[test]
    fn no_configuration_text_makes_the_loader_panic(text in "(\\PC|\n|\\[|\\]|=|\"){0,400}") {
        let _ = vigie365::config::Config::from_toml_str(&text, "fuzz.toml", &vigie365::checks::registry::load_options());
    }

    #[test]
    fn no_register_makes_the_parser_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = vigie365::classify::Register::parse(&bytes, "registre.csv");
        let mut with_header = b"compte;site;utilisateur;arrivee;depart\n".to_vec();
        with_header.extend_from_slice(&bytes);
        let _ = vigie365::classify::Register::parse(&with_header, "registre.csv");
    }

    #[test]
    fn no_address_makes_target_parsing_panic(s in "\\PC{0,80}") {
        let t = vigie365::checks::domains::Target::parse(&s);
        let again = vigie365::checks::domains::Target::parse(&s);
        prop_assert_eq!(format!("{t:?}"), format!("{again:?}"));
    }
}

#[test]
fn ten_thousand_levels_of_nesting_are_refused_with_an_error() {
    let deep = format!("{{\"value\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let r = vigie365::graph::client::decode::<serde_json::Value>(&label(), deep.as_bytes());
    assert!(matches!(r, Err(GraphError::Malformed { .. })), "{r:?}");
}

#[tokio::test]
async fn a_page_larger_than_the_limit_is_refused_before_it_is_read() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/t/oauth2/v2.0/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"token_type":"Bearer","expires_in":3599,"access_token":"x"}),
        ))
        .mount(&server)
        .await;
    // 70 MB, over the 64 MiB default limit.
    let big = vec![b' '; 70 * 1024 * 1024];
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(big, "application/json"))
        .mount(&server)
        .await;
    let base = url::Url::parse(&server.uri()).expect("uri");
    let http = vigie365::graph::http_client(std::time::Duration::from_secs(30)).expect("http");
    let tokens = vigie365::graph::TokenProvider::new(
        http.clone(),
        &base,
        "t",
        "c",
        vigie365::graph::Credential::secret("s"),
        2,
    )
    .expect("tokens");
    let client = vigie365::graph::GraphClient::new(
        http,
        tokens,
        vigie365::graph::ClientSettings::new(base.clone(), base, "t", "d"),
    );
    let q = vigie365::queries::get("users").expect("query");
    let url = client.graph_url(&q.path, &[]).expect("url");
    let err = client
        .pages::<models::User>(vigie365::graph::Call::for_query(q, http::Method::GET, url))
        .next_page()
        .await
        .expect_err("too large");
    assert!(matches!(err, GraphError::TooLarge { .. }), "{err:?}");
}

mod common;

/// Every file under `dir`, by path.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((p, bytes));
        }
    }
    out
}

/// What no output may carry: a control character (line breaks aside) or a bidirectional
/// override or isolate, with where it was found.
fn hostile_chars(what: &str, text: &str) -> Option<String> {
    let i = text.find(|c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })?;
    let from = text[..i].char_indices().rev().nth(60).map_or(0, |(j, _)| j);
    let to = text[i..]
        .char_indices()
        .nth(20)
        .map_or(text.len(), |(j, _)| i + j);
    Some(format!("{what}: {:?}", &text[from..to]))
}

/// Hostile display names, a hostile guest UPN, hostile inbox rule names and a hostile
/// establishment name, through every command that prints tenant or configuration data:
/// no control character, escape sequence or bidirectional override reaches stdout, stderr
/// (logs included, text and JSON) or any file written; markup and formulas stay inert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_reach_no_output_raw() {
    use common::bin::{BIN, output};
    use std::process::Command;
    const DAY: u32 = 2;
    let n = common::sim_night::SimNight::start(vigie365::sim::SimOptions {
        hostile_names: true,
        ..common::sim_night::options(21, 200, DAY)
    })
    .await;
    let as_of = n.sim.as_of(DAY);
    let out_dir = n.dir.path().join("sorties");
    let cmd = |args: &[&str]| {
        let mut c = Command::new(BIN);
        c.args(args).arg("--config").arg(&n.config_path);
        c
    };
    let mut said = Vec::new();
    let mut run = |name: &str, mut c: Command| {
        let o = output(&mut c);
        said.push((format!("{name} (stdout)"), o.stdout));
        said.push((format!("{name} (stderr)"), o.stderr));
    };
    run(
        "run",
        cmd(&["run", "--sans-progression", "-v", "--as-of", &as_of]),
    );
    // The guest's UPN, as the store has it.
    let store = vigie365::store::Store::open_read_only(&n.config.storage.database).expect("store");
    let accounts: Vec<vigie365::model::Account> = store.current().expect("accounts");
    drop(store);
    let guest = accounts
        .iter()
        .find(|a| a.upn.contains('\u{202E}'))
        .expect("the hostile guest was collected");
    assert!(
        guest.display_name.len() > 100_000,
        "the huge name is stored"
    );
    run(
        "evaluate --explain",
        cmd(&["evaluate", "--explain", &guest.upn]),
    );
    run(
        "evaluate --explain (inconnu)",
        cmd(&["evaluate", "--explain", "\u{1b}[2J\u{202E}x@y"]),
    );
    run(
        "evaluate",
        cmd(&["evaluate", "--log-format", "json", "-vv"]),
    );
    let out = out_dir.to_str().expect("a UTF-8 temporary directory");
    run("report", cmd(&["report", "--sortie", out]));
    run("bilan", cmd(&["bilan", "--annee", "2026", "--sortie", out]));
    run("checks", cmd(&["checks"]));
    run("config check", cmd(&["config", "check"]));
    run("doctor", cmd(&["doctor"]));
    for (path, bytes) in files_under(&out_dir)
        .into_iter()
        .chain(files_under(&n.config.storage.outputs))
    {
        said.push((path.display().to_string(), bytes));
    }
    assert!(
        said.iter().any(|(w, _)| w.ends_with(".jsonl")),
        "nightly files"
    );
    assert!(
        said.iter().any(|(w, _)| w.ends_with(".html")),
        "bilan files: {:?}",
        said.iter()
            .filter(|(w, _)| w.starts_with("bilan"))
            .map(|(w, b)| format!("{w}: {}", String::from_utf8_lossy(b).escape_debug()))
            .collect::<Vec<_>>()
    );

    let mut problems = Vec::new();
    for (what, bytes) in &said {
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        if what.ends_with(".csv") {
            text = text.replace("\r\n", "\n");
        }
        problems.extend(hostile_chars(what, &text));
        if (what.ends_with(".html") || what.ends_with(".md")) && text.contains("<script>alert(1)") {
            problems.push(format!("{what}: markup pasted raw"));
        }
        if what.ends_with(".csv") {
            let mut r = csv::ReaderBuilder::new()
                .delimiter(b';')
                .has_headers(false)
                .from_reader(bytes.as_slice());
            for rec in r.records().flatten() {
                for cell in rec.iter() {
                    if cell.trim_start().starts_with(['=', '+', '-', '@']) {
                        problems.push(format!("{what}: formula cell {cell:?}"));
                    }
                }
            }
        }
        if text.len() > 400_000 {
            problems.push(format!("{what}: {} bytes", text.len()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    n.shutdown().await;
}

/// The optional Intune source refused (403, the permission not granted): it alone is « non
/// collectée », with the permission to grant; every other source is read, every check is
/// evaluated, and GEN-DEV-01 still fires from the sign-ins and says Intune was not read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_on_intune_devices_blinds_nothing_else() {
    use vigie365::store::SourceStatus;
    let n = common::sim_night::SimNight::start(vigie365::sim::SimOptions {
        deny: vec!["intune".into()],
        ..common::sim_night::options(7, 300, 2)
    })
    .await;
    let (store, report) = n.collect(2).await;
    for s in &report.sources {
        if s.source == "managed-devices" {
            assert_eq!(s.outcome.status, SourceStatus::NotCollected);
            assert_eq!(
                s.outcome.permission.as_deref(),
                Some("DeviceManagementManagedDevices.Read.All")
            );
            let reason = s.outcome.reason.as_deref().unwrap_or("");
            assert!(
                reason.contains("autorisation manquante")
                    && reason.contains("DeviceManagementManagedDevices.Read.All"),
                "{reason}"
            );
        } else {
            assert_eq!(s.outcome.status, SourceStatus::Collected, "{}", s.source);
        }
    }
    let mut s = store.lock().expect("store");
    let (summary, evaluation) =
        vigie365::night::evaluate_latest(&mut s, &n.config).expect("evaluate");
    assert!(
        summary.not_evaluated.is_empty(),
        "{:?}",
        summary.not_evaluated
    );
    let dev: Vec<_> = evaluation
        .findings
        .iter()
        .filter(|f| f.check == "GEN-DEV-01")
        .collect();
    assert!(
        dev.iter()
            .any(|f| f.subject.starts_with("ipad.dorval@")
                && f.evidence.contains("parc Intune non lu")),
        "{dev:?}"
    );
    assert!(
        !dev.iter()
            .any(|f| f.subject.starts_with("tablette1.lachine@")),
        "what only Intune tells is not made up"
    );
}

/// Per-user MFA refused (403, Policy.Read.All not granted for it): that source alone is « non
/// collectée » with the permission to grant; every check is evaluated, coverage is judged
/// without it, and the evidence says per-user MFA was not read — tablette4.saintlaurent,
/// which only per-user MFA covers from day 20, is flagged with that note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_on_per_user_mfa_blinds_only_the_coverage_it_decides() {
    let n = common::sim_night::SimNight::start(vigie365::sim::SimOptions {
        deny: vec!["per-user-mfa".into()],
        ..common::sim_night::options(7, 300, 30)
    })
    .await;
    let (store, report) = n.collect(30).await;
    common::sim_night::only_down(
        &common::sim_night::sources_of(&report),
        &[("per-user-mfa", "Policy.Read.All")],
    );
    let mut s = store.lock().expect("store");
    let (summary, evaluation) =
        vigie365::night::evaluate_latest(&mut s, &n.config).expect("evaluate");
    assert!(
        summary.not_evaluated.is_empty(),
        "{:?}",
        summary.not_evaluated
    );
    let st_laurent = evaluation
        .findings
        .iter()
        .find(|f| f.check == "GEN-MFA-02" && f.subject.starts_with("tablette4.saintlaurent@"))
        .expect("without per-user MFA, conditional access leaves it uncovered");
    // The evidence is bounded: the note may be cut, the source says the rest.
    assert!(
        st_laurent.evidence.contains("MFA par utilisateur non lue"),
        "{}",
        st_laurent.evidence
    );
}

/// The keys of the records the store holds now of each source a hostile night refuses.
fn held(store: &vigie365::store::Store) -> Vec<(&'static str, std::collections::BTreeSet<String>)> {
    use vigie365::model::*;
    fn n<T: Record>(s: &vigie365::store::Store) -> std::collections::BTreeSet<String> {
        s.current::<T>()
            .map(|v| v.iter().map(Record::key).collect())
            .unwrap_or_default()
    }
    vec![
        ("role-assignments", n::<RoleMember>(store)),
        ("security-defaults", n::<SecurityDefaults>(store)),
        ("managed-devices", n::<ManagedDevice>(store)),
        ("exchange-mail-users", n::<MailUser>(store)),
        ("exchange-group-members", n::<DistributionGroup>(store)),
        ("exchange-outbound-spam-rules", n::<OutboundRule>(store)),
        ("exchange-cas-mailboxes", n::<CasMailbox>(store)),
        ("exchange-irm-configuration", n::<IrmConfig>(store)),
        ("exchange-admin-audit-log-config", n::<AuditConfig>(store)),
        ("exchange-organization-config", n::<OrgConfig>(store)),
    ]
}

/// A hostile night after a clean one: every source added for DIR04 art. 6 and for MFA
/// coverage refused at once (the seven Exchange cmdlets, the POP and IMAP sign-in query, role
/// assignments, security defaults, Intune). Each is « non collectée » with what to grant and
/// every other source is read; exactly the checks that need one of them are « non évalué »
/// (the forwarding checks judged by evidence only in part, naming the targets), the rest is
/// judged; and nothing the clean night stored is lost: those sources' records stay current
/// and no finding of a blinded check is resolved or ended by the night that could not see it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_new_source_refused_blinds_only_what_needs_it_and_loses_nothing() {
    use common::sim_night::{SimNight, only_down, options, sources_of};
    use std::collections::BTreeSet;
    use vigie365::checks::{REGISTRY, Tag};
    const BEFORE: u32 = 11;
    const DAY: u32 = 12;
    let refused = [
        (
            "exchange:get-mailuser",
            "exchange-mail-users",
            "View-Only Recipients",
        ),
        (
            "exchange:get-distributiongroupmember",
            "exchange-group-members",
            "View-Only Recipients",
        ),
        (
            "exchange:get-hostedoutboundspamfilterrule",
            "exchange-outbound-spam-rules",
            "View-Only Configuration",
        ),
        (
            "get-casmailbox",
            "exchange-cas-mailboxes",
            "View-Only Recipients",
        ),
        (
            "get-irmconfiguration",
            "exchange-irm-configuration",
            "View-Only Configuration",
        ),
        (
            "get-adminauditlogconfig",
            "exchange-admin-audit-log-config",
            "View-Only Audit Logs",
        ),
        (
            "get-organizationconfig",
            "exchange-organization-config",
            "View-Only Configuration",
        ),
        (
            "signins-clients",
            "sign-ins-mail-clients",
            "AuditLog.Read.All",
        ),
        ("roles", "role-assignments", "RoleManagement.Read.Directory"),
        ("security-defaults", "security-defaults", "Policy.Read.All"),
        (
            "intune",
            "managed-devices",
            "DeviceManagementManagedDevices.Read.All",
        ),
    ];
    let down: BTreeSet<&str> = refused.iter().map(|r| r.1).collect();

    // The clean night.
    let clean = SimNight::start(options(7, 300, BEFORE)).await;
    let (store, _) = clean.collect(BEFORE).await;
    let (_, first) = clean.evaluate(&store);
    let before = held(&store.lock().expect("store"));
    drop(store);
    for (source, keys) in &before {
        assert!(!keys.is_empty(), "the clean night read {source}");
    }

    // The hostile night, into the same store.
    let mut hostile = SimNight::start(vigie365::sim::SimOptions {
        deny: refused.iter().map(|r| r.0.to_string()).collect(),
        ..options(7, 300, DAY)
    })
    .await;
    hostile.config.storage.database = clean.config.storage.database.clone();
    let (store, report) = hostile.collect(DAY).await;
    let grants: Vec<(&str, &str)> = refused.iter().map(|r| (r.1, r.2)).collect();
    only_down(&sources_of(&report), &grants);
    let (summary, e) = hostile.evaluate(&store);

    let mut blinded = BTreeSet::new();
    for info in REGISTRY {
        let needs = vigie365::checks::needs(info, &hostile.config);
        let missing: Vec<&str> = needs.into_iter().filter(|q| down.contains(q)).collect();
        let not = e.not_evaluated.iter().find(|n| n.check == info.id);
        if !missing.is_empty() {
            let why = not.map(|n| n.reason.as_str()).unwrap_or_default();
            assert!(
                missing.iter().all(|q| why.contains(q)) && why.contains("non collectée"),
                "{}: {why:?}",
                info.id
            );
            assert!(
                !e.findings.iter().any(|f| f.check == info.id),
                "{} is not evaluated yet has findings",
                info.id
            );
            blinded.insert(info.id);
        } else if let Some(n) = not {
            // Only a check judged by evidence may be left out, in part, target by target.
            assert!(info.has(Tag::ByEvidence), "{}: {}", info.id, n.reason);
            assert!(n.reason.starts_with("évalué en partie"), "{}", n.reason);
            assert!(
                n.reason.contains("exchange-mail-users")
                    || n.reason.contains("exchange-group-members"),
                "{}",
                n.reason
            );
        }
    }
    for id in ["FWD-ORG-01", "FWD-CLI-01", "ENC-EXT-01", "LOG-AUD-01"] {
        assert!(blinded.contains(id), "{id}: {blinded:?}");
    }
    // The rest is judged.
    for id in ["FWD-PUB-01", "FWD-EXT-01", "GEN-DEV-01"] {
        assert!(e.findings.iter().any(|f| f.check == id), "{id}");
    }
    assert!(e.findings.iter().any(|f| f.check.starts_with("GEN-")));

    // Nothing stored is lost.
    {
        let s = store.lock().expect("store");
        // A source may hold records another request also reads (the groups themselves, without
        // their members): what was there stays, nothing is closed.
        for ((source, was), (_, now)) in before.iter().zip(held(&s)) {
            let gone: Vec<&String> = was.difference(&now).collect();
            assert!(gone.is_empty(), "{source}: {gone:?}");
        }
        let mut lost = Vec::new();
        let mut q = s
            .conn()
            .prepare(
                "SELECT check_id, subject, event FROM finding_events \
             WHERE run_id = ?1 AND event IN ('resolved', 'ended')",
            )
            .expect("query");
        let rows = q
            .query_map([summary.run], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .expect("rows");
        for row in rows.flatten() {
            if blinded.contains(row.0.as_str()) {
                lost.push(row);
            }
        }
        assert!(lost.is_empty(), "{lost:?}");
        // The night's files name each mailbox left out, with the reason.
        use vigie365::report::nightly;
        let files = nightly::build(&s, None, "CISSS").expect("nightly");
        let parts: Vec<&nightly::Row> = files
            .rows
            .iter()
            .filter(|r| r.statut == nightly::PARTIAL)
            .collect();
        for n in e
            .not_evaluated
            .iter()
            .filter(|n| n.reason.starts_with("évalué en partie"))
        {
            let mine: Vec<_> = parts
                .iter()
                .filter(|r| r.controle.as_str() == n.check)
                .collect();
            assert!(!mine.is_empty(), "{}: {}", n.check, n.reason);
            for r in mine {
                assert!(
                    r.sujet.contains('@') && n.reason.contains(&r.sujet),
                    "{}",
                    r.sujet
                );
                assert!(n.reason.contains(&r.preuve), "{}", r.preuve);
                assert_eq!(r.population, "inconnue");
            }
        }
        assert!(!parts.is_empty(), "some forwards could not be resolved");
        assert_eq!(
            files.rows.len() - parts.len(),
            e.findings.len(),
            "the parts left out are not counted as findings"
        );
        let csv = String::from_utf8(nightly::csv_bytes(&files.rows).expect("csv")).expect("utf-8");
        assert!(csv.contains("évalué en partie"));
        assert!(
            first.findings.iter().any(|f| blinded.contains(f.check)),
            "the clean night had findings of the checks the hostile night cannot see"
        );
    }
    hostile.shutdown().await;
    clean.shutdown().await;
}
