//! Small helpers the section builders share: a severity's id in the JSON document, and a
//! median.

use crate::checks::Severity;

/// A severity's id in the JSON document: ASCII, as in the configuration (`critique`,
/// `elevee`, `moyenne`, `faible`, `info`); the French label is for people.
pub fn severity_id(s: Severity) -> &'static str {
    match s {
        Severity::Critique => "critique",
        Severity::Elevee => "elevee",
        Severity::Moyenne => "moyenne",
        Severity::Faible => "faible",
        Severity::Info => "info",
    }
}

/// The median of `v` (sorted in place); `None` when empty.
pub(super) fn median(v: &mut [i64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3.0));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2.5));
    }
}
