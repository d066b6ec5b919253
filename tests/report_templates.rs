//! An establishment's own templates, wording and logo: files of `[rapport].gabarits` replace
//! the shipped ones by name, the logo is embedded in the HTML (no external resource), and a
//! template naming a field the code does not know is refused with the list of known ones.

use chrono::{NaiveDate, TimeZone, Utc};

use vigie365::checks::{Finding, Severity};
use vigie365::classify::Population;
use vigie365::report::bilan::{self, Context, Period};
use vigie365::store::{Store, StoredFinding};

fn one_night(dir: &std::path::Path) -> Store {
    let path = dir.join("vigie365.sqlite");
    let mut s = Store::open(&path).expect("store");
    let night = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let as_of = Utc
        .with_ymd_and_hms(2026, 1, 2, 8, 0, 0)
        .single()
        .expect("instant");
    let run = s.begin_run(as_of, night).expect("run");
    let f = Finding::new(
        "GEN-MFA-01",
        "tablette1.verdun@cisss-test.ca",
        Severity::Critique,
        Population::Personnel,
        "« Tablette 1 CHSLD de Verdun » : isMfaRegistered = false",
    );
    let stored = StoredFinding::try_from(&f).expect("json");
    s.record_evaluation(run, night, as_of, &[stored], &[], &[])
        .expect("evaluation");
    drop(s);
    Store::open_read_only(&path).expect("read only")
}

fn render(store: &Store, ctx: &Context) -> Result<bilan::Rendered, vigie365::report::ReportError> {
    let period = Period::year(2026)
        .expect("year")
        .as_of(NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"));
    let b = bilan::compute(store, &period, &ctx.establishment, &ctx.tenant)?;
    bilan::render(&b, &period, ctx)
}

#[test]
fn templates_and_logo_of_the_establishment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = one_night(dir.path());
    let templates = dir.path().join("gabarits");
    std::fs::create_dir_all(&templates).expect("mkdir");
    std::fs::write(
        templates.join("bilan.md"),
        "# Notre bilan — {{etablissement}}\n\n{{redirections}}\n\n{{generiques}}\n",
    )
    .expect("template");
    std::fs::write(
        templates.join("bilan.css"),
        "body { color: #123456; } /* {{titre_courant}} */",
    )
    .expect("css");
    let logo = dir.path().join("logo.svg");
    std::fs::write(
        &logo,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>",
    )
    .expect("logo");
    let ctx = Context {
        establishment: "CIUSSS de l'Estrie".into(),
        tenant: "ciusss.onmicrosoft.com".into(),
        templates: Some(templates.clone()),
        logo: Some(logo),
        attestations: Vec::new(),
        production: None,
        tenant_governed_by: None,
        hidden_sources: Vec::new(),
    };
    let r = render(&store, &ctx).expect("render");
    let md = String::from_utf8(r.get(".md").expect("md").to_vec()).expect("utf8");
    assert!(
        md.starts_with("# Notre bilan — CIUSSS de l'Estrie\n"),
        "{md}"
    );
    assert!(
        md.find("Redirections automatiques, contrôle par contrôle")
            < md.find("Recommandations de l'orientation"),
        "the establishment's order is kept"
    );
    assert!(
        !md.contains("## 2. Sommaire"),
        "a section left out stays out"
    );
    let html = String::from_utf8(r.get(".html").expect("html").to_vec()).expect("utf8");
    assert!(
        html.contains("body { color: #123456; }"),
        "the establishment's stylesheet"
    );
    assert!(
        html.contains("src=\"data:image/svg+xml;base64,"),
        "the logo is embedded"
    );
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no external resource"
    );
    assert!(!html.contains("<link"), "no external stylesheet");

    // A field the code does not know is an error naming it and the known ones.
    std::fs::write(
        templates.join("bilan.html"),
        "<html>{{sommaire}} {{conclusion}}</html>",
    )
    .expect("template");
    let err = render(&store, &ctx).expect_err("unknown field").to_string();
    assert!(
        err.contains("bilan.html") && err.contains("{{conclusion}}"),
        "{err}"
    );
    assert!(
        err.contains("redirections"),
        "the known fields are listed: {err}"
    );

    // A logo in another format is refused before anything is written.
    std::fs::remove_file(templates.join("bilan.html")).expect("rm");
    let gif = dir.path().join("logo.gif");
    std::fs::write(&gif, b"GIF89a").expect("gif");
    let err = render(
        &store,
        &Context {
            logo: Some(gif),
            ..ctx.clone()
        },
    )
    .expect_err("gif")
    .to_string();
    assert!(err.contains("PNG, JPEG ou SVG"), "{err}");
}

#[test]
fn the_shipped_templates_use_only_known_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = one_night(dir.path());
    let r = render(&store, &Context::default()).expect("render");
    let html = String::from_utf8(r.get(".html").expect("html").to_vec()).expect("utf8");
    let md = String::from_utf8(r.get(".md").expect("md").to_vec()).expect("utf8");
    for text in [&html, &md] {
        assert!(!text.contains("{{"), "a placeholder was left");
    }
    for id in [
        "sommaire",
        "generiques",
        "appli",
        "redirections",
        "exceptions",
        "populations",
        "couverture",
        "methode",
        "annexes",
    ] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    assert!(html.contains("@top-left"), "running header for print");
    assert!(html.contains("counter(pages)"), "page numbers for print");
    assert!(html.contains("break-before: page"), "page breaks for print");
    assert!(html.contains("<svg"), "inline charts");
}
