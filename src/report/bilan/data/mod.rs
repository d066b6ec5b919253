//! The bilan's figures, computed from the store alone, "as of" a night: only runs, lifecycle
//! events and posture of nights up to that date are read, so a bilan produced later for an
//! earlier date says exactly what it said then.
//!
//! This struct is also the JSON document for consolidation across establishments (schema
//! `vigie365.bilan/1`, documented in `reports/bilan-schema.md`). Everything that names a
//! person or an account (subjects, evidence) is kept out of the JSON (`#[serde(skip)]`): it
//! goes to the HTML, the Markdown and the CSV annexes, which stay in the establishment.
//!
//! The store is read once ([`input`]); each section of the bilan then has its own builder,
//! in the order of the document. What a finding's episodes make of it over the period
//! (relevé, nouveau, corrigé, ouvert, délai) is decided in one place, [`lifecycle`].
//!
//! Definitions (for a check and the period `[du, fin]`, `fin` = the earlier of the end of
//! the period and the as-of night):
//! - an *episode* of a finding runs from the night it appears (new or reopened) to the
//!   night it is resolved (first evaluated night where its check ran and it was gone);
//! - *relevé*: a finding with an episode overlapping the period;
//! - *nouveau*: first seen (ever) during the period;
//! - *corrigé*: resolved during the period and still resolved at `fin`;
//! - *ouvert à la fin*: an episode still open at `fin`;
//! - *délai de correction*: resolution night minus episode start, in days, for every
//!   resolution during the period (an episode begun before the period counts from its
//!   real start).

mod appli;
mod controles;
mod coverage;
mod details;
mod exceptions;
mod generiques;
mod input;
mod lifecycle;
mod methode;
mod populations;
mod posture;
mod redirections;
mod series;
mod sommaire;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::super::ReportError;
use crate::checks::{CheckInfo, Family, REGISTRY, Severity, registry};
use crate::store::Store;

pub use appli::Appli;
pub use controles::{Compte, Controle};
pub use coverage::{ControleNonEvalue, Couverture, NuitCouverture, Raison, SourceCouverture};
pub use details::Detail;
pub use exceptions::ExceptionBilan;
pub use generiques::Generiques;
pub use lifecycle::Episode;
pub use methode::{Methode, Requete};
pub use populations::PopulationBilan;
pub use posture::{Figures, PointPosture, PostureMois};
pub use redirections::{EtatLocataire, Redirections, RedirectionsMois};
pub use series::ParNuit;
pub use sommaire::Sommaire;

/// Version of the JSON document.
pub const SCHEMA: &str = "vigie365.bilan/1";

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
pub struct Tool {
    pub nom: &'static str,
    pub version: &'static str,
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

/// The bilan: figures for the JSON document, details for the other formats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bilan {
    pub schema: &'static str,
    pub outil: Tool,
    pub etablissement: String,
    pub locataire: String,
    pub periode: Periode,
    pub sommaire: Sommaire,
    pub controles: Vec<Controle>,
    pub constats_par_nuit: ParNuit,
    pub generiques: Generiques,
    pub appli: Appli,
    pub redirections: Redirections,
    pub exceptions: Vec<ExceptionBilan>,
    pub populations: Vec<PopulationBilan>,
    pub posture_mensuelle: Vec<PostureMois>,
    pub couverture: Couverture,
    pub methode: Methode,
    /// Every finding of the period, by check then subject.
    #[serde(skip)]
    pub details: Vec<Detail>,
}

impl Bilan {
    pub fn controle(&self, id: &str) -> Option<&Controle> {
        self.controles.iter().find(|c| c.id == id)
    }

    pub fn details_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Detail> + 'a {
        self.details.iter().filter(move |d| d.check == id)
    }
}

/// The family of a check (`generiques`, `appli`, `redirections`), as its declaration says;
/// empty for an id the registry does not know.
pub fn family(id: &str) -> &'static str {
    registry::family_of(id).map_or("", Family::id)
}

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

fn median(v: &mut [i64]) -> Option<f64> {
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

fn month_key(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn last_of_month(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1)
        .and_then(|m| m.checked_add_months(chrono::Months::new(1)))
        .and_then(|m| m.pred_opt())
        .unwrap_or(d)
}

/// Computes the bilan from the store.
pub fn compute(
    store: &Store,
    period: &Period,
    establishment: &str,
    tenant: &str,
) -> Result<Bilan, ReportError> {
    compute_of(REGISTRY, store, period, establishment, tenant)
}

/// [`compute`] with any list of checks: one table row and one nightly series each.
pub fn compute_of(
    checks: &[&CheckInfo],
    store: &Store,
    period: &Period,
    establishment: &str,
    tenant: &str,
) -> Result<Bilan, ReportError> {
    let input = input::Input::load(store, period, &registry::ids_of(checks))?;
    let seen = input.last_seen();
    let lives = lifecycle::of_period(checks, &input, &seen);
    let posture = posture::Posture::of(&input);
    let controles = controles::build(checks, &input, &lives);
    Ok(Bilan {
        schema: SCHEMA,
        outil: Tool {
            nom: "vigie365",
            version: env!("CARGO_PKG_VERSION"),
        },
        etablissement: establishment.to_string(),
        locataire: tenant.to_string(),
        periode: input.periode(&period.label),
        sommaire: sommaire::build(&lives),
        constats_par_nuit: series::build(checks, &input),
        generiques: generiques::build(&input, &posture),
        appli: appli::build(&posture),
        redirections: redirections::build(&input, &lives),
        exceptions: exceptions::build(&input, &seen),
        populations: populations::build(&posture, &controles),
        posture_mensuelle: posture.monthly(),
        couverture: coverage::build(&input),
        methode: methode::build(),
        details: details::build(&lives),
        controles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_month_ends() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3.0));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2.5));
        let d = |n: u32| NaiveDate::from_ymd_opt(2025, 1, n).unwrap_or_default();
        assert_eq!(last_of_month(d(15)), d(31));
        assert_eq!(month_key(d(15)), "2025-01");
    }
}
