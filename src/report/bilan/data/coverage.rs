//! How complete the collection was, night by night and source by source, and what the tool
//! could not see (a source not read for want of a licence or a permission, a check left
//! out).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::input::{Input, Night};
use crate::store::{RunStatus, SourceRow, SourceStatus};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NuitCouverture {
    pub nuit: NaiveDate,
    /// `complete`, `partielle`, `echouee`, `non_evaluee`, `absente`.
    pub etat: &'static str,
    pub collecte: Option<i64>,
    #[serde(skip)]
    pub sources_manquantes: Vec<String>,
    #[serde(skip)]
    pub controles_non_evalues: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Raison {
    /// `non_collectee`, `echouee`, or `lue_en_partie` (collected, with a note on what it
    /// could not read).
    pub etat: &'static str,
    pub raison: String,
    pub autorisation: Option<String>,
    pub nuits: u32,
    pub premiere: NaiveDate,
    pub derniere: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceCouverture {
    pub source: String,
    pub titre: String,
    pub collectee: u32,
    pub non_collectee: u32,
    pub echouee: u32,
    pub raisons: Vec<Raison>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControleNonEvalue {
    pub controle: String,
    pub nuits: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Couverture {
    pub nuits_periode: u32,
    pub nuits_evaluees: u32,
    pub nuits_completes: u32,
    pub nuits_partielles: u32,
    pub nuits_echouees: u32,
    pub nuits_non_evaluees: u32,
    pub nuits_absentes: u32,
    pub nuits: Vec<NuitCouverture>,
    pub sources: Vec<SourceCouverture>,
    pub controles_non_evalues: Vec<ControleNonEvalue>,
}

pub(super) fn build(input: &Input) -> Couverture {
    let nights: Vec<NuitCouverture> = input.nights.iter().map(night).collect();
    let count = |etat: &str| nights.iter().filter(|n| n.etat == etat).count() as u32;
    Couverture {
        nuits_periode: nights.len() as u32,
        nuits_evaluees: count("complete") + count("partielle"),
        nuits_completes: count("complete"),
        nuits_partielles: count("partielle"),
        nuits_echouees: count("echouee"),
        nuits_non_evaluees: count("non_evaluee"),
        nuits_absentes: count("absente"),
        sources: sources(input),
        controles_non_evalues: input
            .not_evaluated
            .iter()
            .map(|(c, n)| ControleNonEvalue {
                controle: c.clone(),
                nuits: *n,
            })
            .collect(),
        nuits: nights,
    }
}

/// How a night's collection and evaluation ended.
fn night(n: &Night) -> NuitCouverture {
    let missing: Vec<String> = n
        .sources
        .iter()
        .filter(|s| s.status != SourceStatus::Collected)
        .map(|s| s.source.clone())
        .collect();
    let etat = match &n.evaluation {
        Some(e) => {
            if e.status == Some(RunStatus::Complete) && missing.is_empty() && e.skipped.is_empty() {
                "complete"
            } else {
                "partielle"
            }
        }
        None if n.runs.is_empty() => "absente",
        None if n
            .runs
            .iter()
            .all(|r| matches!(r.status, RunStatus::Complete | RunStatus::Partial)) =>
        {
            "non_evaluee"
        }
        None => "echouee",
    };
    NuitCouverture {
        nuit: n.night,
        etat,
        collecte: n.collecte(),
        sources_manquantes: missing,
        controles_non_evalues: n
            .evaluation
            .as_ref()
            .map(|e| e.not_evaluated.clone())
            .unwrap_or_default(),
    }
}

/// Every source of the nights' collections: catalogue order, then any other source the
/// store knows.
fn sources(input: &Input) -> Vec<SourceCouverture> {
    let mut sources: BTreeMap<String, SourceCouverture> = BTreeMap::new();
    for n in input.nights.iter().filter(|n| n.collecte().is_some()) {
        for s in &n.sources {
            let entry = sources
                .entry(s.source.clone())
                .or_insert_with(|| SourceCouverture {
                    titre: crate::queries::get(&s.source)
                        .map(|q| q.title.clone())
                        .unwrap_or_default(),
                    source: s.source.clone(),
                    collectee: 0,
                    non_collectee: 0,
                    echouee: 0,
                    raisons: Vec::new(),
                });
            let etat = match s.status {
                SourceStatus::Collected => {
                    entry.collectee += 1;
                    // Read, but only in part (mailboxes outside the application's scope,
                    // the v1.0 fallback without MFA fields): the note is kept.
                    if s.reason.is_some() {
                        add_reason(entry, "lue_en_partie", s, n.night);
                    }
                    continue;
                }
                SourceStatus::NotCollected => {
                    entry.non_collectee += 1;
                    "non_collectee"
                }
                SourceStatus::Failed | SourceStatus::Running => {
                    entry.echouee += 1;
                    "echouee"
                }
            };
            add_reason(entry, etat, s, n.night);
        }
    }
    let mut ordered = Vec::new();
    for q in crate::queries::all() {
        if let Some(s) = sources.remove(&q.name) {
            ordered.push(s);
        }
    }
    ordered.extend(sources.into_values());
    ordered
}

fn add_reason(entry: &mut SourceCouverture, etat: &'static str, s: &SourceRow, night: NaiveDate) {
    let mut raison = s
        .reason
        .clone()
        .unwrap_or_else(|| "raison non enregistrée".into());
    // What the night without group members does to the physicians' population: said.
    if s.source == "group-members" {
        raison.push_str(crate::report::nightly::PHYSICIANS_UNREAD);
    }
    match entry
        .raisons
        .iter_mut()
        .find(|r| r.etat == etat && r.raison == raison && r.autorisation == s.permission)
    {
        Some(r) => {
            r.nuits += 1;
            r.derniere = night;
        }
        None => entry.raisons.push(Raison {
            etat,
            raison,
            autorisation: s.permission.clone(),
            nuits: 1,
            premiere: night,
            derniere: night,
        }),
    }
}
