//! Printing the committed example bilan to PDF with headless Chromium (`reports/imprimer.sh`)
//! and checking the print rules of the bilan on the PDF, page by page (issue #16, point 6).
//! Ignored by default: it needs Chromium, poppler and the Liberation fonts (`apt-get install -y
//! chromium poppler-utils fonts-liberation`: without Liberation Sans, the stand-in for the
//! stylesheet's Helvetica and Arial, Chromium falls back to a wider face and the pages measured
//! are not the printed ones); `.ci/run` installs them and runs
//! `cargo test --test report_print -- --ignored`. With `CI` set, a missing tool fails the
//! test; without it, the test says what is missing and checks nothing.
//!
//! What is read: `pdftotext -bbox-layout` (every word with its box, grouped by poppler into
//! blocks and lines; a table cell is a block of its own) and `pdftotext -layout` (the text).
//! Measured: the fill of a page is the lowest word of its content area (between the running
//! header and footer, the page margins of `bilan.css`) over the height of that area.

use std::path::Path;
use std::process::Command;

use vigie365::checks::REGISTRY;

const EXAMPLE: &str = "reports/exemple/bilan-2025-01-01_2025-03-31.html";

/// US Letter, as `bilan.css` prints it: 612 × 792 pt, margins 20 mm top, 18 mm bottom,
/// 15 mm on each side.
const PAGE_H: f64 = 792.0;
const TOP: f64 = 20.0 / 25.4 * 72.0;
const BOTTOM: f64 = PAGE_H - 18.0 / 25.4 * 72.0;
const CONTENT_W: f64 = 612.0 - 2.0 * 15.0 / 25.4 * 72.0;

fn available(cmd: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether Liberation Sans is installed: the stylesheet names Helvetica and Arial, and
/// Liberation Sans has their metrics. Without it Chromium falls back to a wider face
/// (DejaVu Sans on Debian), cells wrap more and the page breaks measured here are not those
/// of the printers the bilan is written for.
fn liberation_sans() -> bool {
    Command::new("fc-list")
        .args([":family=Liberation Sans", "family"])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty())
}

/// Whether the tools and the font are here; with `CI` set, their absence is a failure.
fn tools_or_skip() -> bool {
    let mut missing: Vec<&str> = ["chromium", "pdftotext"]
        .into_iter()
        .filter(|c| !available(c))
        .collect();
    if !liberation_sans() {
        missing.push("la police Liberation Sans");
    }
    if missing.is_empty() {
        return true;
    }
    let install = "apt-get install -y chromium poppler-utils fonts-liberation";
    assert!(
        std::env::var_os("CI").is_none(),
        "CI : {} introuvable ; installez-les ({install}) : .ci/run le fait",
        missing.join(", ")
    );
    eprintln!(
        "{} introuvable : rien n'est vérifié ({install})",
        missing.join(", ")
    );
    false
}

#[derive(Debug, Clone)]
struct Word {
    y0: f64,
    y1: f64,
    text: String,
}

#[derive(Debug, Clone)]
struct Line {
    words: Vec<Word>,
}

impl Line {
    fn text(&self) -> String {
        self.words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
    fn y0(&self) -> f64 {
        self.words.iter().map(|w| w.y0).fold(f64::MAX, f64::min)
    }
}

#[derive(Debug, Clone)]
struct BlockBox {
    x0: f64,
    x1: f64,
    lines: Vec<Line>,
}

#[derive(Debug, Clone, Default)]
struct Page {
    blocks: Vec<BlockBox>,
}

impl Page {
    /// Lines of the content area (running header and footer left out), top to bottom.
    fn content_lines(&self) -> Vec<Line> {
        let mut v: Vec<Line> = self
            .blocks
            .iter()
            .flat_map(|b| b.lines.iter().cloned())
            .filter(|l| l.y0() >= TOP - 1.0 && l.y0() <= BOTTOM)
            .collect();
        v.sort_by(|a, b| a.y0().total_cmp(&b.y0()));
        v
    }

    /// How much of the content area's height is used, 0 to 1.
    fn fill(&self) -> f64 {
        let low = self
            .content_lines()
            .iter()
            .flat_map(|l| l.words.iter().map(|w| w.y1))
            .fold(TOP, f64::max);
        ((low - TOP) / (BOTTOM - TOP)).clamp(0.0, 1.0)
    }

    /// The page opens a numbered section (« 3. Comptes génériques en CHSLD »).
    fn opens_section(&self) -> bool {
        self.content_lines().first().is_some_and(|l| {
            let t = l.text();
            t.split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        })
    }
}

fn attr(tag: &str, name: &str) -> f64 {
    let key = format!("{name}=\"");
    tag.find(&key)
        .and_then(|i| {
            let rest = &tag[i + key.len()..];
            rest[..rest.find('"')?].parse().ok()
        })
        .unwrap_or(0.0)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Pieces of `s` between `open` (a tag's start) and `close`, with the opening tag.
fn elements<'a>(s: &'a str, open: &str, close: &str) -> Vec<(&'a str, &'a str)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(open) {
        let after = &rest[i..];
        let Some(end_tag) = after.find('>') else {
            break;
        };
        let Some(end) = after.find(close) else {
            break;
        };
        out.push((&after[..end_tag], &after[end_tag + 1..end]));
        rest = &after[end + close.len()..];
    }
    out
}

/// `pdftotext -bbox-layout` output as pages of blocks of lines of words.
fn parse_bbox(xml: &str) -> Vec<Page> {
    elements(xml, "<page ", "</page>")
        .into_iter()
        .map(|(_, page)| Page {
            blocks: elements(page, "<block ", "</block>")
                .into_iter()
                .map(|(tag, block)| BlockBox {
                    x0: attr(tag, "xMin"),
                    x1: attr(tag, "xMax"),
                    lines: elements(block, "<line ", "</line>")
                        .into_iter()
                        .map(|(_, line)| Line {
                            words: elements(line, "<word ", "</word>")
                                .into_iter()
                                .map(|(tag, text)| Word {
                                    y0: attr(tag, "yMin"),
                                    y1: attr(tag, "yMax"),
                                    text: unescape(text),
                                })
                                .collect(),
                        })
                        .filter(|l| !l.words.is_empty())
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

fn pdftotext(args: &[&str], pdf: &Path) -> String {
    let o = Command::new("pdftotext")
        .args(args)
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The committed example printed, as `pdftotext` with `args` reads it; `None` when the tools
/// are missing outside CI.
fn printed_example(args: &[&str]) -> Option<String> {
    if !tools_or_skip() {
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = print_example(dir.path());
    Some(pdftotext(args, &pdf))
}

fn print_example(dir: &Path) -> std::path::PathBuf {
    let root = env!("CARGO_MANIFEST_DIR");
    let pdf = dir.join("bilan.pdf");
    let o = Command::new(Path::new(root).join("reports/imprimer.sh"))
        .arg(Path::new(root).join(EXAMPLE))
        .arg(&pdf)
        .output()
        .expect("imprimer.sh");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    pdf
}

fn words_of(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
#[ignore = "needs chromium and pdftotext (poppler-utils); .ci/run runs it"]
fn the_example_prints_to_pdf_with_headers_charts_and_every_section() {
    let Some(text) = printed_example(&["-layout"]) else {
        return;
    };
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
        "9. Couverture de la collecte et limites",
        "11. Production et signature",
        "12. Annexes",
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

/// The print rules of issue #16, point 6, on the printed example:
/// - no page less than a third full, except the last of a section (the next page opens a
///   numbered section) and the document's last;
/// - no table header alone at the foot of a page (the page's last line is the first line of
///   the next page: a header that the next page repeats);
/// - the header rows repeated on each page of a long table: no page starts with a row of a
///   table (a check id, an address, a source) without its header above it;
/// - no cell of the body (before the annexes) over three lines: poppler makes a block of each
///   table cell, and a narrow block (less than 60 % of the width: not a paragraph) of more
///   than three lines is a cell that wraps;
/// - each check's id and title on one line wherever the title follows the id, and that line
///   (the head of its row) never the last of a page.
///
/// Prints the page count and the fill of the emptiest page that the rule covers.
#[test]
#[ignore = "needs chromium and pdftotext (poppler-utils); .ci/run runs it"]
fn the_printed_example_keeps_the_print_rules() {
    let Some(xml) = printed_example(&["-bbox-layout"]) else {
        return;
    };
    let pages = parse_bbox(&xml);
    assert!(pages.len() >= 10, "{} pages", pages.len());
    let mut problems = Vec::new();

    // Fill.
    let mut emptiest = (1.0_f64, 0);
    for (i, p) in pages.iter().enumerate() {
        let last_of_section = pages.get(i + 1).is_none_or(Page::opens_section);
        if last_of_section {
            continue;
        }
        let fill = p.fill();
        if fill < emptiest.0 {
            emptiest = (fill, i + 1);
        }
        if fill < 1.0 / 3.0 {
            problems.push(format!(
                "page {} remplie à {:.0} % et n'est pas la dernière de sa section",
                i + 1,
                fill * 100.0
            ));
        }
    }

    // Header alone at the foot of a page.
    for (i, pair) in pages.windows(2).enumerate() {
        let (Some(last), next) = (pair[0].content_lines().last().cloned(), &pair[1]) else {
            continue;
        };
        let last = words_of(&last.text());
        if next
            .content_lines()
            .iter()
            .take(3)
            .any(|l| words_of(&l.text()) == last)
        {
            problems.push(format!(
                "page {} : en-tête de tableau seul au pied de la page : « {last} »",
                i + 1
            ));
        }
    }

    // Header rows repeated: the first cells of the example's body rows (ids, addresses,
    // sources) never open a page.
    let html = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE))
        .expect("the committed example");
    let row_starts = first_cells(&html);
    for (i, p) in pages.iter().enumerate().skip(1) {
        if let Some(first) = p.content_lines().first() {
            let w = first
                .words
                .first()
                .map(|w| w.text.clone())
                .unwrap_or_default();
            if row_starts.contains(&w) {
                problems.push(format!(
                    "page {} : commence par une ligne de tableau sans son en-tête : « {} »",
                    i + 1,
                    first.text()
                ));
            }
        }
    }

    // Cells over three lines, before the annexes.
    let annexes = pages
        .iter()
        .position(|p| {
            p.content_lines()
                .first()
                .is_some_and(|l| l.text().ends_with(". Annexes"))
        })
        .unwrap_or(pages.len());
    for (i, p) in pages.iter().enumerate().take(annexes).skip(1) {
        for b in &p.blocks {
            if b.lines.len() > 3 && b.x1 - b.x0 < 0.6 * CONTENT_W {
                let text: Vec<String> = b.lines.iter().map(Line::text).collect();
                problems.push(format!(
                    "page {} : cellule sur {} lignes : « {} »",
                    i + 1,
                    b.lines.len(),
                    text.join(" / ")
                ));
            }
        }
    }

    // Check ids and titles on one line.
    let lines: Vec<String> = pages
        .iter()
        .flat_map(|p| p.content_lines())
        .map(|l| words_of(&l.text()))
        .collect();
    for c in REGISTRY {
        let title = words_of(c.title_fr);
        let first = title.split(' ').next().unwrap_or("");
        let with_title = format!("{} {}", c.id, title);
        for l in lines
            .iter()
            .filter(|l| l.contains(&format!("{} {first}", c.id)))
        {
            if !l.contains(&with_title) {
                problems.push(format!("titre de {} coupé : « {l} »", c.id));
            }
        }
        // A check's line is the head of its row: never the last line of a page, away from
        // the figures below it.
        for (i, p) in pages.iter().enumerate() {
            if let Some(last) = p.content_lines().last()
                && words_of(&last.text()).contains(&with_title)
            {
                problems.push(format!(
                    "page {} : {} seul au pied de la page, ses chiffres à la suivante",
                    i + 1,
                    c.id
                ));
            }
        }
        if !lines.iter().any(|l| l.contains(&with_title)) {
            problems.push(format!(
                "{} et son titre ne sont jamais sur une même ligne",
                c.id
            ));
        }
    }

    eprintln!(
        "{} pages ; page la moins remplie (hors fins de section) : {} à {:.0} %",
        pages.len(),
        emptiest.1,
        emptiest.0 * 100.0
    );
    assert!(
        problems.is_empty(),
        "{} écart(s) aux règles d'impression :\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The text of an HTML fragment, tags left out.
fn without_tags(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// The first word of the first cell of every body row of the example's tables, when it is
/// an identifier (a check or requirement id, an address, a source name): a page that opens
/// with one is a table continued without its header.
fn first_cells(html: &str) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for row in html.split("<tr").skip(1) {
        let Some(cell) = row.split_once("<td") else {
            continue;
        };
        if row
            .find("<th")
            .is_some_and(|t| t < row.find("<td").unwrap_or(0))
        {
            continue;
        }
        let inner = cell.1.split_once('>').map_or("", |(_, r)| r);
        let inner = inner.split("</td>").next().unwrap_or("");
        let text = without_tags(inner);
        if let Some(w) = text.split_whitespace().next()
            && w.chars()
                .any(|c| c == '-' || c == '@' || c.is_ascii_digit())
            && w.chars().any(|c| c.is_ascii_alphabetic())
        {
            out.insert(unescape(w));
        }
    }
    out
}

/// What can be checked without Chromium, on the committed example: the body keeps long
/// subjects (rule ids) and the evidence with Microsoft's field names for the annexes (the
/// signature block still states the classification patterns applied), so no body cell holds a token too long for its column or a paragraph
/// that would wrap over many lines; and the print style sheet repeats table headers on each
/// page and keeps a table's first row with its header.
#[test]
fn the_example_body_leaves_rule_ids_and_raw_fields_to_the_annexes() {
    let root = env!("CARGO_MANIFEST_DIR");
    let html =
        std::fs::read_to_string(Path::new(root).join(EXAMPLE)).expect("the committed example");
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
        let text = without_tags(inner);
        cells += 1;
        let longest = text.split_whitespace().map(|w| w.chars().count()).max();
        assert!(longest.unwrap_or(0) <= 64, "unbreakable cell: {text}");
        assert!(
            text.chars().count() <= 300,
            "cell too long for the body: {text}"
        );
    }
    assert!(cells > 100, "{cells} cells read");
    let print = &html[html.find("@media print").expect("print style sheet")..];
    assert!(
        print.contains("thead { display: table-header-group"),
        "table headers repeat on each printed page"
    );
}
