//! Printing the committed example bilan to PDF with headless Chromium (`reports/imprimer.sh`).
//! Ignored by default — CI does not depend on Chromium. Run it where Chromium and poppler are
//! installed (`apt-get install -y chromium poppler-utils`):
//! `cargo test --test report_print -- --ignored`.

use std::path::Path;
use std::process::Command;

fn available(cmd: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
#[ignore = "needs chromium and pdftotext (poppler-utils)"]
fn the_example_prints_to_pdf_with_headers_charts_and_every_section() {
    if !available("chromium") || !available("pdftotext") {
        eprintln!("chromium or pdftotext missing: nothing checked");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let html = Path::new(root).join("reports/exemple/bilan-2025-01-01_2025-03-31.html");
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = dir.path().join("bilan.pdf");
    let o = Command::new(Path::new(root).join("reports/imprimer.sh"))
        .arg(&html)
        .arg(&pdf)
        .output()
        .expect("imprimer.sh");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    // pdftotext ends every page with a form feed.
    let pages = text.matches('\u{c}').count();
    assert!(pages >= 10, "{pages} pages");
    // Running header and page numbers on the pages after the cover.
    assert!(text.contains(&format!("Page 2 de {pages}")), "page numbers");
    assert!(
        text.matches("bilan de sécurité de l'information").count() >= pages - 1,
        "running header on every page but the cover"
    );
    for section in [
        "1. Reddition de compte, élément par élément",
        "2. Sommaire",
        "3. Comptes génériques en CHSLD",
        "5. Messageries publiques et redirections automatiques",
        "8. Couverture de la collecte et limites",
        "10. Production et signature",
        "11. Annexes",
    ] {
        assert!(text.contains(section), "{section}");
    }
    // Chart legends are text inside the SVG: they reach the PDF only if the charts render.
    for legend in [
        "MFA enregistrée",
        "vers une messagerie publique",
        "sans exécution",
    ] {
        assert!(text.contains(legend), "chart legend « {legend} » missing");
    }
}
