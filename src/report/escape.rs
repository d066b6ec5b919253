//! Making tenant data inert wherever it is written: HTML (and SVG), Markdown, CSV cells,
//! CSS strings and terminals. Every string that comes from the tenant, the store or the
//! configuration goes through one of these before it reaches an output; the renderers never
//! paste raw text.

use std::borrow::Cow;

/// Longest tenant string written to any output, in characters; longer values are cut with
/// « … » (a 100 kB display name must not bloat a report or flood a terminal).
pub const MAX_CHARS: usize = 1000;

/// Bidirectional formatting characters: they can make `moc.liamg@x` display as `x@gmail.com`.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Control and bidirectional characters become spaces; the length is bounded.
pub fn neutral(s: &str) -> Cow<'_, str> {
    let long = s.chars().nth(MAX_CHARS).is_some();
    if !long
        && !s
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_bidi(c))
    {
        return Cow::Borrowed(s);
    }
    let mut out: String = s
        .chars()
        .take(MAX_CHARS)
        .map(|c| {
            if (c.is_control() && c != '\n' && c != '\t') || is_bidi(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    if long {
        out.push('…');
    }
    Cow::Owned(out)
}

/// Text for HTML or SVG content and attribute values.
pub fn html(s: &str) -> String {
    let s = neutral(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text for Markdown (CommonMark / GFM), inline or in a table cell: every character that
/// could start markup, a link, an HTML tag, an entity or a cell boundary is
/// backslash-escaped, and line breaks become spaces (a cell is one line).
pub fn md(s: &str) -> String {
    let s = neutral(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '&' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A CSV cell that a spreadsheet will not read as a formula: a value starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return (OWASP "CSV injection") gets a leading apostrophe,
/// which Excel and LibreOffice show as text. Quoting (`;`, `"`, line breaks) is the CSV
/// writer's job.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let s = neutral(s);
    // Control characters became spaces: look past them for a formula start.
    match s.trim_start_matches(' ').chars().next() {
        Some(
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}',
        ) => Cow::Owned(format!("'{s}")),
        _ => s,
    }
}

/// A quoted CSS string (for `content:` in `@page` margin boxes): quotes and backslashes
/// escaped, `<` written as a hex escape so that `</style>` can never appear.
pub fn css_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("\\3C "),
            '>' => out.push_str("\\3E "),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for a terminal or a cron mail: control characters (escape sequences included)
/// become spaces, so a display name cannot rewrite the screen.
pub fn terminal(s: &str) -> Cow<'_, str> {
    match neutral(s) {
        Cow::Borrowed(b) if !b.contains(['\n', '\t']) => Cow::Borrowed(b),
        other => Cow::Owned(other.replace(['\n', '\t'], " ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_and_huge_strings_are_neutralised_everywhere() {
        let spoof = "\u{202E}moc.liamg@x";
        for out in [
            html(spoof),
            md(spoof),
            csv_cell(spoof).into_owned(),
            terminal(spoof).into_owned(),
        ] {
            assert!(!out.contains('\u{202E}'), "{out:?}");
        }
        let huge = "A".repeat(100_000);
        for out in [
            html(&huge),
            md(&huge),
            csv_cell(&huge).into_owned(),
            terminal(&huge).into_owned(),
        ] {
            assert!(out.chars().count() <= MAX_CHARS + 1, "{}", out.len());
            assert!(out.ends_with('…'));
        }
        assert_eq!(
            csv_cell("\u{202E}=1+1"),
            "' =1+1",
            "the override is gone and the formula inert"
        );
        assert_eq!(terminal("a\x1b[2Jb\nc"), "a [2Jb c");
    }

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(html("a\u{1b}[2Jb"), "a [2Jb");
    }

    #[test]
    fn markdown_cannot_open_a_tag_a_link_or_a_cell() {
        let m = md("<script>[x](http://e) | *gras* `code`\nsuite");
        assert_eq!(m, r"\<script\>\[x\](http://e) \| \*gras\* \`code\` suite");
        assert!(!m.contains('\n'));
    }

    #[test]
    fn csv_cells_that_would_be_formulas_are_neutralised() {
        for bad in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "＝1+1",
        ] {
            let c = csv_cell(bad);
            assert!(c.starts_with('\''), "{bad:?} -> {c:?}");
            assert_eq!(
                &c[1..],
                bad.replace('\r', " "),
                "control characters (but tabs) become spaces"
            );
        }
        assert_eq!(csv_cell("tablette1@x.ca"), "tablette1@x.ca");
        assert_eq!(csv_cell("« =x »"), "« =x »");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn css_strings_cannot_close_the_style_element() {
        let s = css_string("A \"B\" \\ </style><script>");
        assert!(!s.contains("</style>"));
        assert!(!s.contains('<'));
        assert_eq!(s, "\"A \\\"B\\\" \\\\ \\3C /style\\3E \\3C script\\3E \"");
    }

    #[test]
    fn terminal_text_has_no_escape_sequences() {
        assert_eq!(terminal("a\u{1b}[31mb\u{7}"), "a [31mb ");
        assert_eq!(terminal("ok"), "ok");
    }
}
