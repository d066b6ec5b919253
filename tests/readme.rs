//! The README states facts the code owns: the permission table and the exit codes. These
//! tests fail when the two drift apart.

use vigie365::exit::Outcome;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let a = text
        .find(start)
        .unwrap_or_else(|| panic!("marker {start} missing"))
        + start.len();
    let b = text[a..]
        .find(end)
        .unwrap_or_else(|| panic!("marker {end} missing"))
        + a;
    text[a..b].trim_start_matches('\n')
}

#[test]
fn permission_table_matches_queries() {
    let text = readme();
    let table = between(
        &text,
        "<!-- permissions:debut -->",
        "<!-- permissions:fin -->",
    );
    assert_eq!(
        table,
        vigie365::queries::permission_table(),
        "README's permission table is stale: paste the output of `vigie365 permissions`"
    );
}

#[test]
fn exit_code_table_matches_the_code() {
    let text = readme();
    let table = between(&text, "<!-- codes:debut -->", "<!-- codes:fin -->");
    let mut expected = String::from("| code | signification |\n|---|---|\n");
    for o in Outcome::ALL {
        expected.push_str(&format!("| {} | {} |\n", o.code(), o.meaning_fr()));
    }
    assert_eq!(table, expected);
}

#[test]
fn readme_names_the_test_command_that_ci_runs() {
    let text = readme();
    assert!(text.contains("```sh\ncargo test\n```"));
    let ci =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).expect(".ci/run");
    assert!(ci.contains("cargo test"));
}

#[test]
fn check_table_matches_the_registry() {
    let text = readme();
    let table = between(&text, "<!-- controles:debut -->", "<!-- controles:fin -->");
    assert_eq!(
        table,
        vigie365::checks::registry::table_fr(),
        "paste the expected table (checks::registry::table_fr) between the markers"
    );
}
