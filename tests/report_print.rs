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
    print_rules(&text);
}

/// The print rules, page by page (pdftotext -layout, one form feed per page): no page less
/// than a third full except the last of a section (the next page opens a numbered section)
/// or the document's last; no table header alone at the foot of a page (a page ending with
/// a header line of a table that the next page repeats). Prints the page count and the fill
/// ratio of the emptiest page, for the record.
fn print_rules(text: &str) {
    let pages: Vec<Vec<&str>> = text
        .split('\u{c}')
        .map(|p| p.lines().filter(|l| !l.trim().is_empty()).collect())
        .filter(|p: &Vec<&str>| !p.is_empty())
        .collect();
    let full = pages.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let opens_section = |p: &[&str]| {
        p.iter().take(4).any(|l| {
            let t = l.trim_start();
            t.split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        })
    };
    let mut emptiest = (1.0_f64, 0);
    for (i, p) in pages.iter().enumerate().skip(1) {
        let ratio = p.len() as f64 / full as f64;
        let last_of_section = pages.get(i + 1).is_none_or(|next| opens_section(next));
        if !last_of_section {
            if ratio < emptiest.0 {
                emptiest = (ratio, i + 1);
            }
            assert!(
                ratio >= 1.0 / 3.0,
                "page {} is {:.0} % full and is not the last of its section",
                i + 1,
                ratio * 100.0
            );
        }
        // The running footer is the page's last line; the line above it is its last content.
        if let (Some(last), Some(next)) = (p.iter().rev().nth(1), pages.get(i + 1)) {
            let header = last.split_whitespace().collect::<Vec<_>>().join(" ");
            let repeated = next
                .iter()
                .take(6)
                .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == header);
            assert!(
                !(repeated && header.starts_with("Contrôle ")),
                "page {}: a table header alone at its foot: {header}",
                i + 1
            );
        }
    }
    eprintln!(
        "{} pages ; page la moins remplie (hors fins de section) : {} à {:.0} %",
        pages.len(),
        emptiest.1,
        emptiest.0 * 100.0
    );
}

/// What can be checked without Chromium, on the committed example: the body keeps long
/// subjects (rule ids) and the evidence with Microsoft's field names for the annexes (the
/// signature block still states the classification patterns applied), so no body cell holds a token too long for its column or a paragraph
/// that would wrap over many lines.
#[test]
fn the_example_body_leaves_rule_ids_and_raw_fields_to_the_annexes() {
    let root = env!("CARGO_MANIFEST_DIR");
    let html = std::fs::read_to_string(
        Path::new(root).join("reports/exemple/bilan-2025-01-01_2025-03-31.html"),
    )
    .expect("the committed example");
    let end = html.rfind("Annexes</h2>").expect("the annexes section");
    let body = &html[..end];
    for raw in [
        "#regle:",
        "#boite&gt;",
        "isMfaRegistered",
        "forwardTo",
        "forwardAsAttachmentTo",
        "redirectTo",
        "excludeUsers",
        "ForwardingSmtpAddress",
        "lastPasswordChangeDateTime",
    ] {
        assert!(!body.contains(raw), "« {raw} » in the body of the bilan");
    }
    let mut cells = 0;
    for cell in body.split("<td").skip(1) {
        let inner = cell
            .split_once('>')
            .map_or("", |(_, r)| r)
            .split("</td>")
            .next()
            .unwrap_or("");
        let mut text = String::new();
        let mut in_tag = false;
        for ch in inner.chars() {
            match ch {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        cells += 1;
        let longest = text.split_whitespace().map(|w| w.chars().count()).max();
        assert!(longest.unwrap_or(0) <= 64, "unbreakable cell: {text}");
        assert!(
            text.chars().count() <= 300,
            "cell too long for the body: {text}"
        );
    }
    assert!(cells > 100, "{cells} cells read");
}
