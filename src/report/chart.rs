//! Inline SVG charts for the HTML bilan: lines over nights, grouped bars per month, and a
//! calendar of the nights' collection. No script, no external resource, colours as
//! attributes (an overridden stylesheet cannot lose them), every text escaped. Each chart
//! has a title for screen readers; its figures are always also given in a table.

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};

use super::{escape, fr};

/// Okabe–Ito: distinguishable with the common colour-vision deficiencies, and in grey print.
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000",
];

/// A series of a line chart (one value per x, `None` = gap) or of a bar chart.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub colour: &'static str,
    pub values: Vec<Option<f64>>,
    /// Dashed line.
    pub dashed: bool,
}

const W: f64 = 720.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;

/// A "nice" upper bound for an axis: 1, 2 or 5 × 10^k, at least `max`.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= max {
            return m * mag;
        }
    }
    10.0 * mag
}

fn num(x: f64) -> String {
    // Two decimals are plenty at this size; fixed formatting keeps output deterministic.
    let s = format!("{x:.1}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn open_svg(out: &mut String, h: f64, title: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" \
         font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\"><title>{}</title>",
        num(W),
        num(h),
        escape::html(title),
        escape::html(title)
    );
}

fn y_axis(out: &mut String, plot_h: f64, ymax: f64, label: &str) {
    let ticks = 4;
    for i in 0..=ticks {
        let v = ymax * i as f64 / ticks as f64;
        let y = TOP + plot_h - plot_h * i as f64 / ticks as f64;
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#d0d0d0\" stroke-width=\"0.6\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#333\">{}</text>",
            num(LEFT),
            num(y),
            num(W - RIGHT),
            num(y),
            num(LEFT - 6.0),
            num(y + 4.0),
            escape::html(&fr::decimal(v, 1))
        );
    }
    let _ = write!(
        out,
        "<text x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
        num(TOP + plot_h / 2.0),
        num(TOP + plot_h / 2.0),
        escape::html(label)
    );
}

fn legend(out: &mut String, y: f64, items: &[(&str, &str, bool)]) {
    let mut x = LEFT;
    for (name, colour, dashed) in items {
        let dash = if *dashed {
            " stroke-dasharray=\"5 3\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"3\"{}/>\
             <text x=\"{}\" y=\"{}\" fill=\"#222\">{}</text>",
            num(x),
            num(y - 4.0),
            num(x + 18.0),
            num(y - 4.0),
            colour,
            dash,
            num(x + 23.0),
            num(y),
            escape::html(name)
        );
        x += 34.0 + name.chars().count() as f64 * 6.0;
    }
}

/// Lines over nights `x` (dates in order). `y_label`: the axis unit.
pub fn lines(title: &str, x: &[NaiveDate], series: &[Series], y_label: &str) -> String {
    let h = 250.0;
    let plot_h = h - TOP - 58.0;
    let plot_w = W - LEFT - RIGHT;
    let mut out = String::new();
    open_svg(&mut out, h, title);
    let ymax = nice_max(
        series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied())
            .fold(0.0, f64::max),
    );
    y_axis(&mut out, plot_h, ymax, y_label);
    let (Some(first), Some(last)) = (x.first(), x.last()) else {
        out.push_str("</svg>");
        return out;
    };
    let span = ((*last - *first).num_days().max(1)) as f64;
    let px = |d: NaiveDate| LEFT + plot_w * (d - *first).num_days() as f64 / span;
    let py = |v: f64| TOP + plot_h - plot_h * (v / ymax);
    // Month ticks.
    let months = month_starts(*first, *last);
    let step = if months.len() > 14 { 2 } else { 1 };
    for (i, m) in months.iter().enumerate() {
        let xx = px(*m);
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\" stroke-width=\"0.6\"/>",
            num(xx),
            num(TOP + plot_h),
            num(xx),
            num(TOP + plot_h + 4.0)
        );
        if i % step == 0 {
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"start\" fill=\"#333\">{}</text>",
                num(xx + 2.0),
                num(TOP + plot_h + 15.0),
                escape::html(fr::month_short(m.month()))
            );
        }
    }
    let _ = write!(
        out,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#555\" stroke-width=\"0.8\"/>",
        num(LEFT),
        num(TOP + plot_h),
        num(W - RIGHT),
        num(TOP + plot_h)
    );
    for s in series {
        let dash = if s.dashed {
            " stroke-dasharray=\"5 3\""
        } else {
            ""
        };
        let mut segment: Vec<String> = Vec::new();
        let flush = |segment: &mut Vec<String>, out: &mut String| {
            if segment.len() == 1 {
                let _ = write!(
                    out,
                    "<circle cx=\"{}\" r=\"1.8\" fill=\"{}\"/>",
                    segment[0].replace(',', "\" cy=\""),
                    s.colour
                );
            } else if segment.len() > 1 {
                let _ = write!(
                    out,
                    "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" stroke-linejoin=\"round\"{} points=\"{}\"/>",
                    s.colour,
                    dash,
                    segment.join(" ")
                );
            }
            segment.clear();
        };
        for (d, v) in x.iter().zip(&s.values) {
            match v {
                Some(v) => segment.push(format!("{},{}", num(px(*d)), num(py(*v)))),
                None => flush(&mut segment, &mut out),
            }
        }
        flush(&mut segment, &mut out);
    }
    let items: Vec<(&str, &str, bool)> = series
        .iter()
        .map(|s| (s.name.as_str(), s.colour, s.dashed))
        .collect();
    legend(&mut out, h - 10.0, &items);
    out.push_str("</svg>");
    out
}

fn month_starts(first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut m = NaiveDate::from_ymd_opt(first.year(), first.month(), 1);
    while let Some(d) = m {
        if d > last {
            break;
        }
        if d >= first {
            out.push(d);
        }
        m = d.checked_add_months(chrono::Months::new(1));
    }
    if out.first() != Some(&first) {
        out.insert(0, first);
    }
    out
}

/// Grouped bars: one group per category, one bar per series (values `None` count as 0).
pub fn bars(title: &str, categories: &[String], series: &[Series], y_label: &str) -> String {
    let h = 250.0;
    let plot_h = h - TOP - 58.0;
    let plot_w = W - LEFT - RIGHT;
    let mut out = String::new();
    open_svg(&mut out, h, title);
    let ymax = nice_max(
        series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied())
            .fold(0.0, f64::max),
    );
    y_axis(&mut out, plot_h, ymax, y_label);
    let n = categories.len().max(1) as f64;
    let group_w = plot_w / n;
    let bar_w = (group_w * 0.8 / series.len().max(1) as f64).min(22.0);
    for (i, c) in categories.iter().enumerate() {
        let gx = LEFT + group_w * i as f64;
        let inner = bar_w * series.len() as f64;
        let start = gx + (group_w - inner) / 2.0;
        for (j, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().flatten().unwrap_or(0.0);
            let bh = plot_h * v / ymax;
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} — {} : {}</title></rect>",
                num(start + bar_w * j as f64),
                num(TOP + plot_h - bh),
                num((bar_w - 1.0).max(1.0)),
                num(bh),
                s.colour,
                escape::html(c),
                escape::html(&s.name),
                escape::html(&fr::decimal(v, 1))
            );
        }
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
            num(gx + group_w / 2.0),
            num(TOP + plot_h + 15.0),
            escape::html(c)
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#555\" stroke-width=\"0.8\"/>",
        num(LEFT),
        num(TOP + plot_h),
        num(W - RIGHT),
        num(TOP + plot_h)
    );
    let items: Vec<(&str, &str, bool)> = series
        .iter()
        .map(|s| (s.name.as_str(), s.colour, false))
        .collect();
    legend(&mut out, h - 10.0, &items);
    out.push_str("</svg>");
    out
}

/// A calendar of nights: one square per night, a column per week (Monday first), coloured
/// by state. `states`: (label, colour) of each state; `nights`: (night, state index).
pub fn calendar(title: &str, nights: &[(NaiveDate, usize)], states: &[(&str, &str)]) -> String {
    let cell = 11.0;
    let gap = 2.0;
    let (Some(first), Some(last)) = (nights.first(), nights.last()) else {
        let mut out = String::new();
        open_svg(&mut out, 40.0, title);
        out.push_str("</svg>");
        return out;
    };
    let week0 = first.0 - chrono::Duration::days(first.0.weekday().num_days_from_monday() as i64);
    let weeks = ((last.0 - week0).num_days() / 7 + 1) as f64;
    let left = 30.0;
    let top = 18.0;
    let size = (cell + gap) * weeks;
    let scale = if left + size + RIGHT > W {
        (W - left - RIGHT) / size
    } else {
        1.0
    };
    let c = cell * scale;
    let g = gap * scale;
    let h = top + 7.0 * (c + g) + 34.0;
    let mut out = String::new();
    open_svg(&mut out, h, title);
    for (i, day) in ["lun.", "mer.", "ven.", "dim."].iter().enumerate() {
        let row = [0.0, 2.0, 4.0, 6.0][i];
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\" fill=\"#333\" font-size=\"9\">{}</text>",
            num(top + row * (c + g) + c - 1.0),
            day
        );
    }
    let mut last_month = 0;
    for (d, state) in nights {
        let week = ((*d - week0).num_days() / 7) as f64;
        let row = d.weekday().num_days_from_monday() as f64;
        let x = left + week * (c + g);
        let y = top + row * (c + g);
        if d.month() != last_month {
            last_month = d.month();
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" fill=\"#333\" font-size=\"9\">{}</text>",
                num(x),
                num(top - 5.0),
                escape::html(fr::month_short(d.month()))
            );
        }
        let (label, colour) = states.get(*state).copied().unwrap_or(("?", "#ffffff"));
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"1.5\" fill=\"{}\" stroke=\"#bbb\" stroke-width=\"0.4\"><title>{} : {}</title></rect>",
            num(x),
            num(y),
            num(c),
            num(c),
            colour,
            escape::html(&fr::date(*d)),
            escape::html(label)
        );
    }
    let mut x = left;
    let y = h - 12.0;
    for (label, colour) in states {
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\" stroke=\"#bbb\" stroke-width=\"0.4\"/>\
             <text x=\"{}\" y=\"{}\" fill=\"#222\">{}</text>",
            num(x),
            num(y - 9.0),
            colour,
            num(x + 14.0),
            num(y),
            escape::html(label)
        );
        x += 26.0 + label.chars().count() as f64 * 6.0;
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, day).unwrap_or_default()
    }

    #[test]
    fn nice_bounds() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(19.0), 20.0);
        assert_eq!(nice_max(21.0), 25.0);
        assert_eq!(nice_max(400.0), 500.0);
    }

    #[test]
    fn lines_break_at_gaps_and_escape_labels() {
        let x = vec![d(1, 1), d(1, 2), d(1, 3), d(1, 4), d(2, 1)];
        let s = Series {
            name: "<b>actifs</b>".into(),
            colour: PALETTE[0],
            values: vec![Some(1.0), Some(2.0), None, Some(3.0), Some(4.0)],
            dashed: false,
        };
        let svg = lines("titre & <x>", &x, &[s], "comptes");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
        assert!(!svg.contains("<b>") && !svg.contains("<x>"));
        assert!(svg.contains("févr."));
    }

    #[test]
    fn bars_and_calendar_draw_one_shape_per_value() {
        let s = Series {
            name: "nouvelles".into(),
            colour: PALETTE[1],
            values: vec![Some(2.0), Some(0.0), Some(5.0)],
            dashed: false,
        };
        let b = bars(
            "b",
            &["janv.".into(), "févr.".into(), "mars".into()],
            &[s],
            "n",
        );
        assert_eq!(b.matches("<rect").count(), 3);
        let nights: Vec<(NaiveDate, usize)> =
            (1..=31).map(|i| (d(1, i), (i % 2) as usize)).collect();
        let c = calendar("c", &nights, &[("complète", "#0f0"), ("échouée", "#f00")]);
        assert_eq!(c.matches("<rect").count(), 31 + 2);
    }
}
