//! A tiny document model shared by the HTML and Markdown bilans: sections are built once as
//! blocks, then rendered twice, so both say the same thing and escaping lives in one place
//! (every string of a block is plain text; only charts carry markup, built by `chart`).

use super::{escape, fr};

/// Inline text.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    Text(String),
    Strong(String),
    Em(String),
    Code(String),
    /// A severity or status badge: its CSS class suffix and its text.
    Badge(&'static str, String),
}

/// A line of inline text.
pub type Line = Vec<Inline>;

pub fn text(s: impl Into<String>) -> Line {
    vec![Inline::Text(s.into())]
}

pub fn strong(s: impl Into<String>) -> Inline {
    Inline::Strong(s.into())
}

pub fn plain(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}

/// A table. `numeric[i]` right-aligns column `i`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub caption: Option<String>,
    pub head: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<Line>>,
    /// Said instead of an empty table.
    pub empty: String,
    /// In HTML, the first `lead` cells of each row (and of the header) print on a line of
    /// their own across the whole table, above the other cells: a check's id and title, or a
    /// subject, stay on one line instead of wrapping in a narrow column. 0: a plain table.
    /// Markdown keeps one row per row.
    pub lead: usize,
}

impl Table {
    pub fn new(head: &[&str], numeric: &[bool]) -> Table {
        Table {
            head: head.iter().map(|h| h.to_string()).collect(),
            numeric: numeric.to_vec(),
            empty: "Aucun.".into(),
            ..Table::default()
        }
    }

    pub fn caption(mut self, c: impl Into<String>) -> Table {
        self.caption = Some(c.into());
        self
    }

    pub fn empty(mut self, e: impl Into<String>) -> Table {
        self.empty = e.into();
        self
    }

    pub fn lead(mut self, k: usize) -> Table {
        self.lead = k;
        self
    }

    pub fn row(&mut self, cells: Vec<Line>) {
        self.rows.push(cells);
    }
}

/// A block of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading(String),
    Para(Line),
    Note(Line),
    List(Vec<Line>),
    Table(Table),
    /// Key figures: (value, label).
    Figures(Vec<(String, String)>),
    /// An inline SVG chart (markup from `chart`, text inside it escaped there) and its
    /// caption. Markdown says where to find it; the figures are always in a table too.
    Chart {
        svg: String,
        caption: String,
    },
}

fn inline_html(out: &mut String, line: &Line) {
    for i in line {
        match i {
            Inline::Text(s) => out.push_str(&escape::html(&fr::typo(s))),
            Inline::Strong(s) => {
                out.push_str("<strong>");
                out.push_str(&escape::html(&fr::typo(s)));
                out.push_str("</strong>");
            }
            Inline::Em(s) => {
                out.push_str("<em>");
                out.push_str(&escape::html(&fr::typo(s)));
                out.push_str("</em>");
            }
            Inline::Code(s) => {
                out.push_str("<code>");
                out.push_str(&escape::html(s));
                out.push_str("</code>");
            }
            Inline::Badge(class, s) => {
                out.push_str("<span class=\"badge b-");
                out.push_str(class);
                out.push_str("\">");
                out.push_str(&escape::html(s));
                out.push_str("</span>");
            }
        }
    }
}

/// `in_table`: a pipe inside a code span must still be escaped (GFM splits cells first).
fn inline_md(out: &mut String, line: &Line, in_table: bool) {
    for i in line {
        match i {
            Inline::Text(s) => out.push_str(&escape::md(&fr::typo(s))),
            Inline::Strong(s) => {
                out.push_str("**");
                out.push_str(&escape::md(&fr::typo(s)));
                out.push_str("**");
            }
            Inline::Em(s) => {
                out.push('*');
                out.push_str(&escape::md(&fr::typo(s)));
                out.push('*');
            }
            Inline::Code(s) => {
                // Code spans cannot escape: a fence longer than any backtick run inside.
                let mut s = s.replace(['\n', '\r'], " ");
                if in_table {
                    s = s.replace('|', "\\|");
                }
                let run = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
                let fence = "`".repeat(run + 1);
                // A space pads the content only where a backtick would touch the fence.
                let pad = if s.starts_with('`') || s.ends_with('`') {
                    " "
                } else {
                    ""
                };
                out.push_str(&fence);
                out.push_str(pad);
                out.push_str(&s);
                out.push_str(pad);
                out.push_str(&fence);
            }
            Inline::Badge(_, s) => out.push_str(&escape::md(s)),
        }
    }
}

/// HTML of a list of blocks.
pub fn html(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        match b {
            Block::Heading(h) => {
                out.push_str("<h3>");
                out.push_str(&escape::html(h));
                out.push_str("</h3>\n");
            }
            Block::Para(l) => {
                out.push_str("<p>");
                inline_html(&mut out, l);
                out.push_str("</p>\n");
            }
            Block::Note(l) => {
                out.push_str("<p class=\"note\">");
                inline_html(&mut out, l);
                out.push_str("</p>\n");
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for l in items {
                    out.push_str("<li>");
                    inline_html(&mut out, l);
                    out.push_str("</li>\n");
                }
                out.push_str("</ul>\n");
            }
            Block::Figures(f) => {
                out.push_str("<div class=\"chiffres\">\n");
                for (v, l) in f {
                    out.push_str("<div class=\"chiffre\"><span class=\"valeur\">");
                    out.push_str(&escape::html(v));
                    out.push_str("</span><span class=\"libelle\">");
                    out.push_str(&escape::html(&fr::typo(l)));
                    out.push_str("</span></div>\n");
                }
                out.push_str("</div>\n");
            }
            Block::Chart { svg, caption } => {
                out.push_str("<figure class=\"graphique\">\n");
                out.push_str(svg);
                out.push_str("\n<figcaption>");
                out.push_str(&escape::html(caption));
                out.push_str("</figcaption>\n</figure>\n");
            }
            Block::Table(t) => table_html(&mut out, t),
        }
    }
    out
}

/// Rows of a table short enough to be kept on one printed page.
const SHORT_TABLE: usize = 12;

fn table_html(out: &mut String, t: &Table) {
    if t.rows.is_empty() {
        if let Some(c) = &t.caption {
            out.push_str("<p class=\"legende\">");
            out.push_str(&escape::html(c));
            out.push_str("</p>\n");
        }
        out.push_str("<p class=\"vide\">");
        out.push_str(&escape::html(&t.empty));
        out.push_str("</p>\n");
        return;
    }
    // A short table prints on one page (never its header alone at the foot of one); a
    // long one breaks between rows and repeats its header (bilan.css).
    if t.rows.len() <= SHORT_TABLE {
        out.push_str("<table class=\"courte\">\n");
    } else {
        out.push_str("<table>\n");
    }
    if let Some(c) = &t.caption {
        out.push_str("<caption>");
        out.push_str(&escape::html(c));
        out.push_str("</caption>\n");
    }
    let lead = t.lead.min(t.head.len().saturating_sub(1));
    let rest = t.head.len() - lead;
    out.push_str("<thead>");
    if lead > 0 {
        out.push_str(&format!("<tr class=\"tete\"><th colspan=\"{rest}\">"));
        let names: Vec<&str> = t.head[..lead]
            .iter()
            .map(String::as_str)
            .filter(|h| !h.is_empty())
            .collect();
        out.push_str(&escape::html(&names.join(" — ")));
        out.push_str("</th></tr>");
    }
    out.push_str("<tr>");
    for (i, h) in t.head.iter().enumerate().skip(lead) {
        if t.numeric.get(i).copied().unwrap_or(false) {
            out.push_str("<th class=\"n\">");
        } else {
            out.push_str("<th>");
        }
        out.push_str(&escape::html(h));
        out.push_str("</th>");
    }
    out.push_str("</tr></thead>\n");
    if lead == 0 {
        out.push_str("<tbody>\n");
    }
    for r in &t.rows {
        if lead > 0 {
            // One tbody per row: its two lines are kept on one page (bilan.css).
            out.push_str(&format!(
                "<tbody class=\"ligne\"><tr class=\"tete\"><td colspan=\"{rest}\">"
            ));
            for (i, c) in r.iter().take(lead).enumerate() {
                match i {
                    0 => {}
                    1 => out.push(' '),
                    _ => out.push_str(" — "),
                }
                inline_html(out, c);
            }
            out.push_str("</td></tr>\n");
        }
        out.push_str("<tr>");
        for (i, c) in r.iter().enumerate().skip(lead) {
            if t.numeric.get(i).copied().unwrap_or(false) {
                out.push_str("<td class=\"n\">");
            } else {
                out.push_str("<td>");
            }
            inline_html(out, c);
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
        if lead > 0 {
            out.push_str("</tbody>\n");
        }
    }
    if lead == 0 {
        out.push_str("</tbody>\n");
    }
    out.push_str("</table>\n");
}

/// Markdown of a list of blocks.
pub fn markdown(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        match b {
            Block::Heading(h) => {
                out.push_str("### ");
                out.push_str(&escape::md(h));
                out.push_str("\n\n");
            }
            Block::Para(l) => {
                inline_md(&mut out, l, false);
                out.push_str("\n\n");
            }
            Block::Note(l) => {
                out.push_str("> ");
                inline_md(&mut out, l, false);
                out.push_str("\n\n");
            }
            Block::List(items) => {
                for l in items {
                    out.push_str("- ");
                    inline_md(&mut out, l, false);
                    out.push('\n');
                }
                out.push('\n');
            }
            Block::Figures(f) => {
                for (v, l) in f {
                    out.push_str("- **");
                    out.push_str(&escape::md(v));
                    out.push_str("** ");
                    out.push_str(&escape::md(l));
                    out.push('\n');
                }
                out.push('\n');
            }
            Block::Chart { caption, .. } => {
                out.push_str("*Graphique : ");
                out.push_str(&escape::md(caption));
                out.push_str(
                    " (dans la version HTML ; ses données sont au tableau qui suit).*\n\n",
                );
            }
            Block::Table(t) => table_md(&mut out, t),
        }
    }
    out
}

fn table_md(out: &mut String, t: &Table) {
    if let Some(c) = &t.caption {
        out.push_str("**");
        out.push_str(&escape::md(c));
        out.push_str("**\n\n");
    }
    if t.rows.is_empty() {
        out.push_str(&escape::md(&t.empty));
        out.push_str("\n\n");
        return;
    }
    out.push('|');
    for h in &t.head {
        out.push(' ');
        out.push_str(&escape::md(h));
        out.push_str(" |");
    }
    out.push_str("\n|");
    for i in 0..t.head.len() {
        if t.numeric.get(i).copied().unwrap_or(false) {
            out.push_str("---:|");
        } else {
            out.push_str("---|");
        }
    }
    out.push('\n');
    for r in &t.rows {
        out.push('|');
        for c in r {
            out.push(' ');
            let mut cell = String::new();
            inline_md(&mut cell, c, true);
            out.push_str(&cell);
            out.push_str(" |");
        }
        out.push('\n');
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nasty() -> Vec<Block> {
        let mut t = Table::new(&["Sujet", "Nuits"], &[false, true]).caption("<b>Liste</b>");
        t.row(vec![text("<script>alert(1)</script>"), text("3")]);
        t.row(vec![text("a | b"), vec![Inline::Code("x`y|z".into())]]);
        vec![
            Block::Heading("<h1>".into()),
            Block::Para(vec![strong("<i>"), plain(" [lien](javascript:x)")]),
            Block::Table(t),
            Block::List(vec![text("- élément\nsuite")]),
        ]
    }

    #[test]
    fn a_table_with_a_lead_prints_its_first_cells_on_a_line_of_their_own() {
        let mut t = Table::new(
            &["Contrôle", "Constat", "Gravité", "Relevés"],
            &[false, false, false, true],
        )
        .lead(2);
        t.row(vec![
            vec![Inline::Code("GEN-MFA-01".into())],
            text("Compte <générique> sans MFA"),
            text("critique"),
            text("3"),
        ]);
        let h = html(&[Block::Table(t.clone())]);
        assert!(
            h.contains("<tr class=\"tete\"><th colspan=\"2\">Contrôle — Constat</th></tr><tr><th>Gravité</th><th class=\"n\">Relevés</th></tr>"),
            "{h}"
        );
        assert!(
            h.contains("<tbody class=\"ligne\"><tr class=\"tete\"><td colspan=\"2\"><code>GEN-MFA-01</code> Compte &lt;générique&gt; sans MFA</td></tr>\n<tr><td>critique</td><td class=\"n\">3</td></tr>\n</tbody>"),
            "{h}"
        );
        // Markdown keeps one row per row.
        let m = markdown(&[Block::Table(t)]);
        assert!(
            m.contains("| Contrôle | Constat | Gravité | Relevés |"),
            "{m}"
        );
    }

    #[test]
    fn html_rendering_escapes_every_string() {
        let h = html(&nasty());
        assert!(!h.contains("<script"), "{h}");
        assert!(!h.contains("<b>") && !h.contains("<i>") && !h.contains("<h1>"));
        assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(h.contains("<td class=\"n\">3</td>"));
    }

    #[test]
    fn markdown_rendering_escapes_every_string_and_keeps_cells_whole() {
        let m = markdown(&nasty());
        let b = m.as_bytes();
        for (i, c) in b.iter().enumerate() {
            if *c == b'<' {
                assert!(i > 0 && b[i - 1] == b'\\', "unescaped < in {m}");
            }
        }
        assert!(m.contains(r"\<script\>alert(1)\</script\>"));
        assert!(m.contains(r"| a \| b | ``x`y\|z`` |"), "{m}");
        assert!(m.contains("|---|---:|"));
        assert!(m.contains(r"\[lien\](javascript:x)"));
        assert!(m.contains("- - élément suite"));
    }
}
