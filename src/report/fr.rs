//! French (Canada) formatting of dates and numbers: « 1er janvier 2026 », « 1 234 »,
//! « 87,5 % ». Non-breaking spaces keep a number with its unit on one line.

use chrono::{Datelike, NaiveDate};

/// Non-breaking space.
pub const NBSP: char = '\u{a0}';

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

const MONTHS_SHORT: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

fn month_index(m: u32) -> usize {
    (m.clamp(1, 12) - 1) as usize
}

/// French typography: a non-breaking space before « : » and inside guillemets, so a colon
/// or a closing guillemet never starts a line.
pub fn typo(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(" :") || s.contains("« ") || s.contains(" »") {
        std::borrow::Cow::Owned(
            s.replace(" :", "\u{a0}:")
                .replace("« ", "«\u{a0}")
                .replace(" »", "\u{a0}»"),
        )
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// « 1er janvier 2026 », « 15 mars 2026 ».
pub fn date(d: NaiveDate) -> String {
    let day = if d.day() == 1 {
        "1er".to_string()
    } else {
        d.day().to_string()
    };
    format!("{day}{NBSP}{} {}", MONTHS[month_index(d.month())], d.year())
}

/// « janvier 2026 ».
pub fn month(year: i32, month: u32) -> String {
    format!("{} {year}", MONTHS[month_index(month)])
}

/// « janv. », for chart axes.
pub fn month_short(month: u32) -> &'static str {
    MONTHS_SHORT[month_index(month)]
}

/// « 1 234 » (non-breaking thin grouping as in fr-CA).
pub fn int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(NBSP);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// « 3,5 » with at most `decimals` decimals, trailing zeros removed.
pub fn decimal(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    let (int_part, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s, None),
    };
    let i = int_part.parse::<i64>().map(int).unwrap_or(int_part);
    match frac {
        Some(f) => format!("{i},{f}"),
        None => i,
    }
}

/// « 87,5 % » of `num` over `den`; « — » when `den` is 0.
pub fn percent(num: i64, den: i64) -> String {
    if den == 0 {
        return "—".into();
    }
    format!("{}{NBSP}%", decimal(num as f64 * 100.0 / den as f64, 1))
}

/// « 3 jours », « 1 jour », « 0,5 jour ».
pub fn days(x: f64) -> String {
    let unit = if x.abs() >= 2.0 { "jours" } else { "jour" };
    format!("{}{NBSP}{unit}", decimal(x, 1))
}

/// « 1 nuit », « 3 nuits ».
pub fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{}{NBSP}{}", int(n), if n.abs() >= 2 { many } else { one })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn dates_months_numbers() {
        assert_eq!(date(d(2026, 1, 1)), "1er\u{a0}janvier 2026");
        assert_eq!(date(d(2025, 12, 31)), "31\u{a0}décembre 2025");
        assert_eq!(month(2025, 8), "août 2025");
        assert_eq!(int(1234567), "1\u{a0}234\u{a0}567");
        assert_eq!(int(12), "12");
        assert_eq!(decimal(3.5, 1), "3,5");
        assert_eq!(decimal(3.0, 1), "3");
        assert_eq!(decimal(1234.25, 2), "1\u{a0}234,25");
        assert_eq!(percent(7, 8), "87,5\u{a0}%");
        assert_eq!(percent(1, 0), "—");
        assert_eq!(days(1.0), "1\u{a0}jour");
        assert_eq!(days(3.5), "3,5\u{a0}jours");
        assert_eq!(plural(2, "nuit", "nuits"), "2\u{a0}nuits");
        assert_eq!(typo("a : « b »"), "a\u{a0}: «\u{a0}b\u{a0}»");
    }
}
