//! The bilan against a simulated year: one simulation of 90 nights (400 accounts, seed 2025,
//! from 2025-01-01: the parameters of the committed example) shared by the tests of this
//! file. The JSON document is checked figure by figure against the simulator's ground
//! truth of every night (computed from the scenario, not from what the tool collected);
//! `--arrete-au` is checked against a second simulation stopped at that night; the
//! committed example (`reports/exemple/`) must equal what the demo renders today.
//!
//! To regenerate the example after a deliberate change:
//! `VIGIE365_ECRIRE_EXEMPLE=1 cargo test --test report_bilan committed_example`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::NaiveDate;
use serde_json::Value;
use vigie365::demo::DemoOptions;
use vigie365::report::bilan::{self, Period, sections};
use vigie365::report::doc;
use vigie365::sim::GroundTruth;
use vigie365::store::Store;

/// The committed example: `vigie365 demo --accounts 400 --days 90` (seed 2025, 2025-01-01).
const ACCOUNTS: u32 = 400;
const DAYS: u32 = 90;
const EXAMPLE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/reports/exemple");

struct Year {
    _dir: tempfile::TempDir,
    demo_dir: PathBuf,
    config: vigie365::config::Config,
    start: NaiveDate,
}

fn simulate(days: u32) -> Year {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo_dir = dir.path().join("demo");
    let opts = DemoOptions {
        accounts: ACCOUNTS,
        days,
        dir: demo_dir.clone(),
        ..DemoOptions::default()
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let outcome = rt
        .block_on(vigie365::demo::simulate(&opts, |_, _| {}))
        .expect("simulated year");
    assert_eq!(outcome.nights, days);
    assert_eq!(
        outcome.complete_nights, days,
        "every simulated night is complete"
    );
    let config =
        vigie365::config::load(&outcome.config, &vigie365::checks::registry::load_options())
            .expect("demo configuration");
    Year {
        _dir: dir,
        demo_dir,
        config,
        start: opts.start,
    }
}

fn year() -> &'static Year {
    static YEAR: OnceLock<Year> = OnceLock::new();
    YEAR.get_or_init(|| simulate(DAYS))
}

fn truth(y: &Year, day: u32) -> GroundTruth {
    let path =
        vigie365::demo::truth_dir(&y.demo_dir).join(format!("verite-terrain-j{day:03}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("truth file")).expect("truth")
}

fn store(y: &Year) -> Store {
    Store::open_read_only(&y.config.storage.database).expect("store")
}

fn json_of(y: &Year, period: &Period) -> (Value, bilan::Rendered) {
    let ctx = bilan::Context::from_config(&y.config);
    let b = bilan::compute_for(&store(y), period, &ctx).expect("bilan");
    let r = bilan::render(&b, period, &ctx).expect("render");
    let json: Value =
        serde_json::from_slice(r.get(".json").expect("json file")).expect("valid JSON");
    let schema = vigie365::consolidate::schema::Schema::bilan().expect("bilan schema");
    let violations = schema.validate(&json, 20);
    assert!(violations.is_empty(), "bilan hors schéma : {violations:?}");
    (json, r)
}

/// Whether a check is an event (RULES.md, "Events and states"): counted, never « à
/// corriger ».
fn is_event(id: &str) -> bool {
    vigie365::checks::registry::get(id).is_some_and(|c| c.kind == vigie365::checks::Kind::Event)
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn median(v: &mut [i64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

/// What the truth says of one check over days `0..n`: per subject, the days it was present.
struct Truth {
    days: Vec<GroundTruth>,
}

impl Truth {
    fn present(&self, check: &str) -> BTreeMap<String, Vec<usize>> {
        let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, t) in self.days.iter().enumerate() {
            for f in t.of(check) {
                out.entry(f.subject.clone()).or_default().push(i);
            }
        }
        out
    }

    /// Runs of consecutive days: (start, Some(resolution day) or None if open at the end).
    fn episodes(&self, days: &[usize]) -> Vec<(usize, Option<usize>)> {
        let last = self.days.len() - 1;
        let mut out = Vec::new();
        let mut start = days[0];
        for w in days.windows(2) {
            if w[1] != w[0] + 1 {
                out.push((start, Some(w[0] + 1)));
                start = w[1];
            }
        }
        let end = *days.last().unwrap_or(&start);
        out.push((start, if end == last { None } else { Some(end + 1) }));
        out
    }

    fn last(&self) -> &GroundTruth {
        self.days.last().expect("days")
    }
}

#[test]
fn the_bilan_json_equals_the_ground_truth_figure_by_figure() {
    let y = year();
    let t = Truth {
        days: (0..DAYS).map(|d| truth(y, d)).collect(),
    };
    let period = Period::demo(y.start, DAYS).expect("period");
    let (j, _) = json_of(y, &period);
    assert_eq!(j["schema"], "vigie365.bilan/1");
    assert_eq!(u(&j["periode"]["nuits"]), u64::from(DAYS));

    // Findings of every check, every night.
    let nights = j["constats_par_nuit"]["nuits"].as_array().expect("nights");
    let mut compared = 0;
    for (i, day) in t.days.iter().enumerate() {
        assert_eq!(nights[i], day.date.as_str(), "night {i}");
        for c in vigie365::checks::REGISTRY {
            let ours = u(&j["constats_par_nuit"]["par_controle"][c.id][i]);
            assert_eq!(
                ours,
                day.of(c.id).len() as u64,
                "{} on {}: bilan {ours}, truth {}",
                c.id,
                day.date,
                day.of(c.id).len()
            );
            compared += 1;
        }
        // Findings to fix that night, by severity (accepted ones left out).
        for (sev, id) in [
            ("critique", "critique"),
            ("élevée", "elevee"),
            ("moyenne", "moyenne"),
            ("faible", "faible"),
            ("info", "info"),
        ] {
            let want = day
                .findings
                .iter()
                .filter(|f| f.severity == sev && !f.accepted && !is_event(&f.check))
                .count() as u64;
            assert_eq!(
                u(&j["constats_par_nuit"]["a_corriger_par_gravite"][id][i]),
                want,
                "{sev} on {}",
                day.date
            );
        }
        // Generic accounts and their MFA, every night.
        let g = &j["generiques"]["serie"][i];
        let p = &day.posture.classes["generique"];
        assert_eq!(g["nuit"], day.date.as_str());
        assert_eq!(
            (
                u(&g["comptes"]),
                u(&g["actifs"]),
                u(&g["mfa_enregistree"]),
                u(&g["mfa_capable"]),
                u(&g["mfa_inconnue"])
            ),
            (
                p.accounts,
                p.enabled,
                p.mfa_registered,
                p.mfa_capable,
                p.mfa_unknown
            ),
            "generic posture on {}",
            day.date
        );
        assert_eq!(
            g["exclue_mfa"].as_u64(),
            Some(p.excluded_from_mfa),
            "generic accounts excluded from MFA on {}",
            day.date
        );
    }
    assert_eq!(compared, DAYS as usize * vigie365::checks::REGISTRY.len());
    let last = t.last();
    assert_eq!(
        j["generiques"]["comptes_fin"].as_u64(),
        Some(last.posture.classes["generique"].accounts)
    );
    assert_eq!(
        j["appli"]["comptes_fin"].as_u64(),
        Some(last.posture.classes["appli"].accounts)
    );
    assert_eq!(
        j["appli"]["exclue_mfa_fin"].as_u64(),
        Some(last.posture.classes["appli"].excluded_from_mfa)
    );

    // Per check: found, new, fixed, open at the end, accepted, time to fix, populations.
    let mut all_delays_outside: Vec<i64> = Vec::new();
    let (mut found_outside, mut fixed_outside, mut open_outside) = (0, 0, 0);
    for c in vigie365::checks::REGISTRY {
        let ours = j["controles"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|x| x["id"] == c.id)
            .expect("check in the bilan");
        let present = t.present(c.id);
        let open_end: BTreeSet<&str> = last.of(c.id).iter().map(|f| f.subject.as_str()).collect();
        let fixed = present
            .keys()
            .filter(|s| !open_end.contains(s.as_str()))
            .count();
        let mut delays: Vec<i64> = Vec::new();
        for days in present.values() {
            for (start, end) in t.episodes(days) {
                if let Some(e) = end {
                    delays.push((e - start) as i64);
                }
            }
        }
        let accepted_end = last.of(c.id).iter().filter(|f| f.accepted).count();
        let label = c.id;
        if c.kind == vigie365::checks::Kind::Event {
            // RULES.md, "Events and states": counted, never « corrigé » nor « ouvert ».
            assert_eq!(ours["nature"], "evenement", "{label}");
            assert_eq!(u(&ours["releves"]), present.len() as u64, "{label} relevés");
            for field in ["corriges", "ouverts_fin", "acceptes_fin", "corrections"] {
                assert_eq!(u(&ours[field]), 0, "{label} {field}");
            }
            assert!(ours["delai_median_jours"].is_null(), "{label} délai");
            let by_month: u64 = ours["occurrences_par_mois"]
                .as_object()
                .expect("months")
                .values()
                .map(u)
                .sum();
            assert_eq!(by_month, u(&ours["occurrences"]), "{label} occurrences");
            assert!(
                present.is_empty() || by_month >= present.len() as u64,
                "{label}: every account counted at least once"
            );
            continue;
        }
        assert_eq!(ours["nature"], "etat", "{label}");
        assert_eq!(u(&ours["releves"]), present.len() as u64, "{label} relevés");
        assert_eq!(
            u(&ours["nouveaux"]),
            present.len() as u64,
            "{label} nouveaux"
        );
        assert_eq!(u(&ours["corriges"]), fixed as u64, "{label} corrigés");
        assert_eq!(
            u(&ours["ouverts_fin"]),
            open_end.len() as u64,
            "{label} ouverts"
        );
        assert_eq!(
            u(&ours["acceptes_fin"]),
            accepted_end as u64,
            "{label} acceptés"
        );
        assert_eq!(
            u(&ours["corrections"]),
            delays.len() as u64,
            "{label} corrections"
        );
        assert_eq!(
            ours["delai_median_jours"].as_f64(),
            median(&mut delays.clone()),
            "{label} délai médian"
        );
        assert_eq!(
            ours["delai_max_jours"].as_i64(),
            delays.iter().copied().max(),
            "{label} délai max"
        );
        assert_eq!(u(&ours["nuits_non_evalue"]), 0);
        // Populations (of each subject's last night in the truth).
        let mut pops: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (subject, days) in &present {
            let last_day = &t.days[*days.last().unwrap_or(&0)];
            let pop = last_day
                .of(c.id)
                .iter()
                .find(|f| &f.subject == subject)
                .map(|f| f.population.clone())
                .unwrap_or_default();
            let e = pops.entry(pop).or_default();
            e.0 += 1;
            e.1 += u64::from(open_end.contains(subject.as_str()));
        }
        for (pop, (found, open)) in &pops {
            assert_eq!(
                (
                    u(&ours["par_population"][pop]["releves"]),
                    u(&ours["par_population"][pop]["ouverts_fin"])
                ),
                (*found, *open),
                "{label} population {pop}"
            );
        }
        if ["FWD-PUB-01", "FWD-EXT-01", "FWD-TRN-01"].contains(&c.id) {
            found_outside += present.len();
            fixed_outside += fixed;
            open_outside += open_end.len();
            all_delays_outside.extend(&delays);
        }
    }

    // Forwarding to public and external domains: found, fixed, how fast, by month.
    let r = &j["redirections"];
    assert!(found_outside > 0, "the scenario forwards outside");
    assert_eq!(u(&r["trouvees"]), found_outside as u64);
    assert_eq!(u(&r["corrigees"]), fixed_outside as u64);
    assert_eq!(u(&r["ouvertes_fin"]), open_outside as u64);
    assert_eq!(
        r["delai_median_jours"].as_f64(),
        median(&mut all_delays_outside)
    );
    let months = r["par_mois"].as_array().expect("months");
    assert_eq!(months.len(), 3);
    for (m, month) in months.iter().enumerate() {
        let key = format!("2025-{:02}", m + 1);
        assert_eq!(month["mois"], key.as_str());
        let in_month = |day: usize| t.days[day].date.starts_with(&key);
        let mut fixed = 0;
        for (check, field) in [
            ("FWD-PUB-01", "publiques"),
            ("FWD-EXT-01", "externes"),
            ("FWD-TRN-01", "transport"),
            ("FWD-DIS-01", "desactivees"),
        ] {
            let mut began = 0;
            for days in t.present(check).values() {
                for (start, end) in t.episodes(days) {
                    began += u64::from(in_month(start));
                    fixed += u64::from(end.is_some_and(in_month));
                }
            }
            assert_eq!(u(&month[field]), began, "{key} {field}");
        }
        assert_eq!(u(&month["corrigees"]), fixed, "{key} corrigées");
        let month_end = (0..t.days.len())
            .filter(|d| in_month(*d))
            .max()
            .unwrap_or(0);
        let open = ["FWD-PUB-01", "FWD-EXT-01", "FWD-TRN-01", "FWD-DIS-01"]
            .iter()
            .map(|c| t.days[month_end].of(c).len() as u64)
            .sum::<u64>();
        assert_eq!(u(&month["ouvertes_fin_mois"]), open, "{key} actives");
    }

    // The tenant's forwarding controls, as spans of nights (FWD-ORG-01's severity).
    let mut spans: Vec<(String, String, String)> = Vec::new();
    for day in &t.days {
        let state = match day.of("FWD-ORG-01").first().map(|f| f.severity.as_str()) {
            Some("élevée") => "elevee",
            Some(_) => "moyenne",
            None => "bloquee",
        };
        match spans.last_mut() {
            Some(s) if s.2 == state => s.1 = day.date.clone(),
            _ => spans.push((day.date.clone(), day.date.clone(), state.to_string())),
        }
    }
    let ours: Vec<(String, String, String)> = r["locataire"]
        .as_array()
        .expect("spans")
        .iter()
        .map(|s| {
            (
                s["du"].as_str().unwrap_or("").to_string(),
                s["au"].as_str().unwrap_or("").to_string(),
                s["etat"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(ours, spans);

    // Exceptions: every finding the truth accepted some night, and its state at the end.
    let mut accepted: BTreeSet<(String, String)> = BTreeSet::new();
    for day in &t.days {
        for f in day.findings.iter().filter(|f| f.accepted) {
            accepted.insert((f.check.clone(), f.subject.clone()));
        }
    }
    let exceptions = j["exceptions"].as_array().expect("exceptions");
    assert_eq!(exceptions.len(), accepted.len(), "{exceptions:#?}");
    let in_force_end = last.findings.iter().filter(|f| f.accepted).count();
    assert_eq!(
        exceptions
            .iter()
            .filter(|e| e["etat_fin"] == "en_vigueur")
            .count(),
        in_force_end
    );
    for e in exceptions {
        assert!(!e["justification"].as_str().unwrap_or("").is_empty());
        assert!(e.get("sujet").is_none(), "the JSON names no account");
    }

    // Totals and coverage (events are never open: they happened on dates).
    assert_eq!(
        u(&j["sommaire"]["ouverts_fin"]),
        last.findings.iter().filter(|f| !is_event(&f.check)).count() as u64
    );
    let c = &j["couverture"];
    assert_eq!(
        (
            u(&c["nuits_periode"]),
            u(&c["nuits_completes"]),
            u(&c["nuits_evaluees"])
        ),
        (90, 90, 90)
    );
    for s in c["sources"].as_array().expect("sources") {
        assert_eq!(u(&s["collectee"]), 90, "{s}");
    }
}

#[test]
fn the_json_names_no_account_and_no_address() {
    let y = year();
    let (_, r) = json_of(y, &Period::demo(y.start, DAYS).expect("period"));
    let json = String::from_utf8(r.get(".json").expect("json").to_vec()).expect("utf8");
    assert!(!json.contains('@'), "an address leaked into the JSON");
    // An exception's responsable may name a person: kept out of the JSON.
    assert!(
        !json.contains("Tremblay"),
        "a person's name leaked into the JSON"
    );
    let html = String::from_utf8(r.get(".html").expect("html").to_vec()).expect("utf8");
    assert!(
        html.contains("@cisss-troisrives.onmicrosoft.com"),
        "the HTML names accounts"
    );
}

#[test]
fn as_of_a_past_night_reproduces_the_figures_of_that_night() {
    let y = year();
    // The same establishment's history stopped after 31 nights (past the expiry of an
    // exception and a change of the tenant's controls): what the bilan said then.
    let stopped = simulate(31);
    let asof = y.start + chrono::Duration::days(30);
    let period = Period::demo(y.start, DAYS).expect("period").as_of(asof);
    let (later, later_files) = json_of(y, &period);
    let (then, then_files) = json_of(&stopped, &period);
    assert_eq!(later["periode"]["fin"], asof.to_string());
    assert_eq!(
        later, then,
        "the bilan as of {asof} changed with later nights"
    );
    // Every file, byte for byte: HTML, Markdown and the CSV annexes too.
    assert_eq!(later_files.files, then_files.files);
    // And the later nights do change the full bilan.
    let (full, _) = json_of(y, &Period::demo(y.start, DAYS).expect("period"));
    assert_ne!(full["sommaire"], later["sommaire"]);
    assert_eq!(u(&later["couverture"]["nuits_periode"]), 31);
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, z)) in a.lines().zip(b.lines()).enumerate() {
        if x != z {
            return format!("ligne {} :\n  exemple : {x}\n  actuel  : {z}", i + 1);
        }
    }
    format!("longueurs {} et {}", a.len(), b.len())
}

#[test]
fn the_committed_example_is_what_the_demo_renders_today() {
    let y = year();
    let (_, _, rendered) =
        bilan::of_simulation(&y.config, y.start, DAYS).expect("the demo's bilan");
    let write = std::env::var_os("VIGIE365_ECRIRE_EXEMPLE").is_some();
    let mut stale = Vec::new();
    for suffix in [".html", ".md", ".json"] {
        let (name, bytes) = rendered
            .files
            .iter()
            .find(|(n, _)| n.ends_with(suffix) && !n.ends_with(".csv"))
            .expect("file");
        let path = Path::new(EXAMPLE_DIR).join(name);
        if write {
            std::fs::create_dir_all(EXAMPLE_DIR).expect("mkdir");
            std::fs::write(&path, bytes).expect("write the example");
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let now = String::from_utf8_lossy(bytes);
        if committed != now {
            stale.push(format!(
                "{} : {}",
                path.display(),
                first_difference(&committed, &now)
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "l'exemple de bilan n'est plus à jour ; régénérez-le avec\n  VIGIE365_ECRIRE_EXEMPLE=1 cargo test --test report_bilan committed_example\n{}",
        stale.join("\n")
    );
}

/// One section whose layout is the point: the exceptions table of the demo's bilan, as
/// Markdown. After a deliberate change, review the new text with
/// `INSTA_UPDATE=always cargo test --test report_bilan exceptions_section` and `git diff`.
#[test]
fn the_exceptions_section_lays_out_each_accepted_risk() {
    let y = year();
    let period = Period::demo(y.start, DAYS).expect("period");
    let ctx = bilan::Context::from_config(&y.config);
    let b = bilan::compute(&store(y), &period, &ctx.establishment, &ctx.tenant).expect("bilan");
    let md = doc::markdown(&sections::exceptions(&b));
    insta::assert_snapshot!("bilan_exceptions_section", md);
}

#[test]
fn rendering_twice_gives_the_same_bytes() {
    let y = year();
    let period = Period::demo(y.start, DAYS).expect("period");
    let (_, a) = json_of(y, &period);
    let (_, b) = json_of(y, &period);
    assert_eq!(a.files, b.files);
}

fn cli(y: &Year, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_vigie365"))
        .arg("--config")
        .arg(y.demo_dir.join("vigie365.toml"))
        .args(args)
        .output()
        .expect("run vigie365")
}

#[test]
fn the_bilan_and_report_commands_write_private_files() {
    use std::os::unix::fs::PermissionsExt;
    let y = year();
    let out = tempfile::tempdir().expect("tempdir");
    let dir = out.path().join("sorties");
    let d = dir.to_str().expect("utf8 path");
    let o = cli(
        y,
        &[
            "bilan",
            "--du",
            "2025-01-01",
            "--au",
            "2025-03-31",
            "--as-of",
            "2025-02-15",
            "--sortie",
            d,
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stem = "bilan-2025-01-01_2025-03-31-arrete-2025-02-15";
    let written: Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{stem}.json"))).expect("json written"),
    )
    .expect("json");
    let period = Period::demo(y.start, DAYS)
        .expect("period")
        .as_of(NaiveDate::from_ymd_opt(2025, 2, 15).expect("date"));
    assert_eq!(written, json_of(y, &period).0);
    let mode = std::fs::metadata(&dir).expect("dir").permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    for e in std::fs::read_dir(&dir).expect("ls").filter_map(|e| e.ok()) {
        let mode = e.metadata().expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{:?}", e.file_name());
    }

    let o = cli(y, &["report", "--nuit", "2025-01-10", "--sortie", d]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The summary printed on stdout, as an operator reads it in the morning.
    let stdout = String::from_utf8_lossy(&o.stdout).replace(d, "[sorties]");
    insta::assert_snapshot!("report_stdout_night_2025_01_10", stdout);
    let csv = std::fs::read_to_string(dir.join("constats-2025-01-10.csv")).expect("csv");
    let rows = csv.lines().count() - 1;
    assert_eq!(rows, truth(y, 9).findings.len());
    assert!(dir.join("constats-2025-01-10.jsonl").is_file());

    let o = cli(y, &["report", "--nuit", "2024-06-01", "--sortie", d]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("aucune nuit évaluée le 2024-06-01"));
    let o = cli(
        y,
        &[
            "bilan",
            "--annee",
            "2025",
            "--du",
            "2025-01-01",
            "--au",
            "2025-02-01",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "conflicting periods are a usage error"
    );
    let o = cli(
        y,
        &[
            "bilan",
            "--du",
            "2025-03-01",
            "--au",
            "2025-01-01",
            "--sortie",
            d,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
}

/// RULES.md, "Events and states", over the 90 simulated nights: GEN-IP-01 (an event) is
/// counted per month and per account, with its first and last date, and never « corrigé »;
/// GEN-MFA-01 (a state) fixed on night N is « corrigé » on N, with its delay.
#[test]
fn events_are_counted_per_month_and_states_are_fixed_with_their_delay() {
    let y = year();
    let period = Period::demo(y.start, DAYS).expect("period");
    let ctx = bilan::Context::from_config(&y.config);
    let b = bilan::compute(&store(y), &period, &ctx.establishment, &ctx.tenant).expect("bilan");
    let ip = b.controle("GEN-IP-01").expect("GEN-IP-01");
    assert_eq!(ip.nature, "evenement");
    assert_eq!((ip.corriges, ip.corrections, ip.ouverts_fin), (0, 0, 0));
    assert!(ip.delai_median_jours.is_none());
    assert!(ip.occurrences_par_mois.get("2025-01").copied().unwrap_or(0) > 0);
    // tablette2.verdun signs in from outside its site's range on days 3 to 9.
    let tablet = b
        .details_of("GEN-IP-01")
        .find(|d| d.subject.starts_with("tablette2.verdun"))
        .expect("tablette2.verdun");
    assert!(tablet.is_event && !tablet.open_at_end);
    let first = *tablet.occurrences.keys().next().expect("first occurrence");
    let last = *tablet
        .occurrences
        .keys()
        .next_back()
        .expect("last occurrence");
    let day = |n: i64| y.start + chrono::Duration::days(n);
    assert!(first >= day(2) && last <= day(10), "{first} .. {last}");
    assert_eq!(tablet.by_month().keys().collect::<Vec<_>>(), ["2025-01"]);
    // tablette3.verdun has no MFA on days 0 to 14: fixed on night 15, after 15 nights.
    let mfa = b
        .details_of("GEN-MFA-01")
        .find(|d| d.subject.starts_with("tablette3.verdun"))
        .expect("tablette3.verdun");
    assert!(!mfa.is_event && !mfa.open_at_end);
    let fixed = mfa.episodes.last().expect("episode");
    assert_eq!((fixed.start, fixed.resolved), (day(0), Some(day(15))));
    assert_eq!(fixed.days(b.periode.fin), 15);
    // The HTML and the annex say « événement », never « corrigé », for GEN-IP-01.
    let r = bilan::render(&b, &period, &ctx).expect("render");
    let annex = String::from_utf8_lossy(r.get("-constats.csv").expect("annex")).to_string();
    for line in annex.lines().filter(|l| l.starts_with("GEN-IP-01")) {
        assert!(!line.contains("corrigé"), "{line}");
        assert!(line.contains("événement"), "{line}");
    }
}

/// The demo's bilan answers for every requirement: every night complete, so what the tool
/// can see entirely is « vérifié »; the demo's configuration attests two elements outside
/// the tool's reach, the others are « attestation à fournir ».
#[test]
fn the_demo_bilan_answers_for_every_requirement_with_two_attestations() {
    use vigie365::requirements::{CATALOGUE, Reach};
    let y = year();
    let period = Period::demo(y.start, DAYS).expect("period");
    let (j, _) = json_of(y, &period);
    let rows = j["exigences"].as_array().expect("requirements");
    assert_eq!(rows.len(), CATALOGUE.len());
    for (r, row) in CATALOGUE.iter().zip(rows) {
        assert_eq!(row["id"], r.id);
        let evidenced = !row["controles"].as_array().expect("checks").is_empty()
            || !row["figures"].as_array().expect("figures").is_empty();
        let want = match r.reach {
            Reach::Outside(_) => "hors_portee",
            _ if !evidenced => "hors_portee",
            Reach::Partial(_) => "partiel",
            Reach::Verifiable => "verifie",
        };
        assert_eq!(row["statut"], want, "{}", r.id);
        let attested = ["DIR04-9-4", "DIR04-8"].contains(&r.id);
        assert_eq!(!row["attestation"].is_null(), attested, "{}", r.id);
    }
    assert_eq!(u(&j["reddition"]["attestations_fournies"]), 2);
    assert!(u(&j["reddition"]["verifiees"]) >= 5);
    assert!(!j.to_string().contains("Responsable de la sécurité"));
}
