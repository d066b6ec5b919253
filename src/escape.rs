//! Making tenant data inert wherever it is written. One entry point per output medium:
//!
//! | medium | entry point |
//! |---|---|
//! | a value on a terminal, in a cron mail or a log field | [`terminal`] |
//! | a whole text written to stdout or stderr (the last net) | [`terminal_text`] |
//! | a log line (text or JSON), colours kept | [`log_line`] |
//! | HTML and SVG | [`html`] |
//! | Markdown | [`md`] |
//! | a CSV cell | [`csv_cell`] |
//! | a CSS string (the printed page headers) | [`css_string`] |
//! | serialised JSON (JSON Lines, the bilan's JSON) | [`json`] |
//!
//! Every string that comes from the tenant, the store or the configuration goes through the
//! entry point of the medium it is written to; the renderers never paste raw text. All of
//! them start from [`neutral`]: no control character, no bidirectional override or isolate,
//! a bounded length.

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

/// A quoted CSS string (for `content:` in `@page` margin boxes): neutralised like any
/// value, quotes and backslashes escaped, `<` written as a hex escape so that `</style>` can
/// never appear.
pub fn css_string(s: &str) -> String {
    let s = neutral(s);
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

/// A whole text for stdout or stderr, several lines long: every line neutralised like a
/// [`terminal`] value (line breaks kept). The last net under what the commands print; the
/// values in it were already made inert one by one, so that a line break in a display name
/// cannot forge a line.
pub fn terminal_text(s: &str) -> Cow<'_, str> {
    if !s.split('\n').any(|l| matches!(terminal(l), Cow::Owned(_))) {
        return Cow::Borrowed(s);
    }
    let lines: Vec<Cow<'_, str>> = s.split('\n').map(terminal).collect();
    Cow::Owned(lines.join("\n"))
}

/// `ESC [ digits ; … m`: a colour (SGR) sequence, the only escape a log line may keep.
fn sgr_len(rest: &str) -> Option<usize> {
    let body = rest.strip_prefix("\u{1b}[")?;
    let n = body.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
    (body[n..].starts_with('m')).then_some(2 + n + 1)
}

/// A log line as the log formatter wrote it (text or JSON): control characters and
/// bidirectional overrides become spaces, the line break that ends it is kept, and with
/// `colours` the formatter's own colour sequences stay (the formatter already shows an
/// escape character of a field as the text `\x1b`, so a raw one is always its own).
pub fn log_line(s: &str, colours: bool) -> Cow<'_, str> {
    let bad = |c: char| (c.is_control() && c != '\n') || is_bidi(c);
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if colours
            && c == '\u{1b}'
            && let Some(n) = sgr_len(rest)
        {
            out.push_str(&rest[..n]);
            rest = &rest[n..];
            continue;
        }
        out.push(if bad(c) { ' ' } else { c });
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// Serialised JSON with every control character and bidirectional override written as a
/// `\uXXXX` escape: the value read back is the tenant's, unchanged (JSON is data), but the
/// file shown in a terminal or an editor cannot be rewritten by it. Outside strings JSON has
/// no such character, so the escape always lands inside a string.
pub fn json(s: &str) -> Cow<'_, str> {
    let bad = |c: char| (c.is_control() && c != '\n') || is_bidi(c);
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if bad(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether `s` holds a character no output may carry raw: a control character (but line
/// breaks) or a bidirectional override or isolate. For tests of every output.
pub fn has_hostile_char(s: &str) -> bool {
    s.chars()
        .any(|c| (c.is_control() && c != '\n') || is_bidi(c))
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

    #[test]
    fn every_medium_neutralises_bidi_and_controls() {
        let hostile = "a\u{202E}b\u{2066}c\u{1b}]8;;http://e\u{7}d\re\0f";
        assert!(!has_hostile_char(&css_string(hostile)), "page headers");
        assert!(!has_hostile_char(&terminal_text(&format!(
            "{hostile}\n{hostile}\n"
        ))));
        assert_eq!(terminal_text("a\nb\n"), "a\nb\n");
        let j = serde_json::to_string(hostile).unwrap_or_default();
        let j = json(&j);
        assert!(!has_hostile_char(&j), "{j}");
        assert_eq!(
            serde_json::from_str::<String>(&j).ok().as_deref(),
            Some(hostile)
        );
    }

    #[test]
    fn log_lines_keep_their_colours_only() {
        let line = "\u{1b}[32m INFO\u{1b}[0m x\u{202E}y\u{1b}]8;;z\u{7}\n";
        assert_eq!(
            log_line(line, true),
            "\u{1b}[32m INFO\u{1b}[0m x y ]8;;z \n"
        );
        assert_eq!(log_line(line, false), " [32m INFO [0m x y ]8;;z \n");
        assert_eq!(log_line("ok\n", true), "ok\n");
    }
}
