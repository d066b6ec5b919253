//! The period of a bilan and its as-of night, as asked ([`Period`]) and as the document
//! states it ([`Periode`]), and the calendar the sections count months with.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// The period and the as-of night.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub du: NaiveDate,
    pub au: NaiveDate,
    /// Figures as they stood after the evaluation of this night (default: `au`).
    pub arrete_au: Option<NaiveDate>,
    /// French label: « année 2026 », « exercice 2025-2026 », « période du … au … ».
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Periode {
    pub libelle: String,
    pub du: NaiveDate,
    pub au: NaiveDate,
    pub arrete_au: NaiveDate,
    /// The last night the figures cover: the earlier of `au` and `arrete_au`.
    pub fin: NaiveDate,
    pub nuits: u32,
    pub derniere_nuit_evaluee: Option<NaiveDate>,
}

/// A month's key, `YYYY-MM`.
pub(super) fn month_key(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The last day of `d`'s month.
pub(super) fn last_of_month(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1)
        .and_then(|m| m.checked_add_months(chrono::Months::new(1)))
        .and_then(|m| m.pred_opt())
        .unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_ends() {
        let d = |n: u32| NaiveDate::from_ymd_opt(2025, 1, n).unwrap_or_default();
        assert_eq!(last_of_month(d(15)), d(31));
        assert_eq!(month_key(d(15)), "2025-01");
    }
}
