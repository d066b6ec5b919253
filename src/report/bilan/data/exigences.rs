//! The accountability table (MSSS-DIR04 art. 14): one row per requirement of the catalogue
//! (`crate::requirements`), its status for the period, the findings of the checks that
//! evidence it, and the establishment's attestation.
//!
//! Status, for the period's nights:
//! - *vérifié*: the tool can show the whole requirement, and every check and figure that
//!   evidences it was evaluated (or collected) on every night of the period;
//! - *partiel*: the tool shows only part of it by nature, or some night was not evaluated,
//!   or some evidence was missing some night (the row says which);
//! - *hors de portée de l'outil*: tenant data cannot show it, or no check of this version
//!   evidences it.
//!
//! Attestations come from the configuration ([`Bilan::attest`](super::Bilan::attest));
//! their `responsable` never reaches the JSON.

use serde::Serialize;

use super::controles::Controle;
use super::input::Input;
use crate::checks::CheckInfo;
use crate::requirements::{CATALOGUE, Reach, Requirement};
use crate::store::SourceStatus;

/// The findings of a requirement's checks over the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConstatsExigence {
    /// States open at the end, not accepted.
    pub ouverts: u32,
    pub corriges: u32,
    /// Open at the end and accepted (an exception in force).
    pub acceptes: u32,
    /// Occurrences of its event checks.
    pub occurrences: u32,
}

/// The establishment's attestation, as the bilan prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttestationBilan {
    pub texte: String,
    pub date: chrono::NaiveDate,
    /// A function, but still kept out of the JSON: it can name a person.
    #[serde(skip)]
    pub responsable: String,
}

/// One requirement over the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exigence {
    pub id: &'static str,
    pub document: &'static str,
    pub article: &'static str,
    pub titre: &'static str,
    pub texte: &'static str,
    /// `verifie`, `partiel` or `hors_portee`.
    pub statut: &'static str,
    /// The check ids that evidence it.
    pub controles: Vec<&'static str>,
    /// Those of them about tenant-wide settings governed outside the establishment: their
    /// findings are « contrôles du locataire », not in `constats` (schema 1.3).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controles_locataire: Vec<&'static str>,
    /// The posture figures that evidence it.
    pub figures: Vec<&'static str>,
    /// What was not seen (French sentences): the requirement's part the tool cannot show,
    /// the nights or checks missing.
    pub lacunes: Vec<String>,
    pub constats: ConstatsExigence,
    pub attestation: Option<AttestationBilan>,
}

impl Exigence {
    /// Partial or outside, without an attestation: « attestation à fournir ».
    pub fn attestation_a_fournir(&self) -> bool {
        self.statut != "verifie" && self.attestation.is_none()
    }
}

/// How many requirements have each status.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reddition {
    pub exigences: u32,
    pub verifiees: u32,
    pub partielles: u32,
    pub hors_portee: u32,
    pub attestations_fournies: u32,
    pub attestations_a_fournir: u32,
}

impl Reddition {
    pub fn of(rows: &[Exigence]) -> Reddition {
        let mut r = Reddition {
            exigences: rows.len() as u32,
            ..Reddition::default()
        };
        for e in rows {
            match e.statut {
                "verifie" => r.verifiees += 1,
                "partiel" => r.partielles += 1,
                _ => r.hors_portee += 1,
            }
            if e.statut != "verifie" {
                if e.attestation.is_some() {
                    r.attestations_fournies += 1;
                } else {
                    r.attestations_a_fournir += 1;
                }
            }
        }
        r
    }

    /// Every requirement verified: only then may the bilan say so.
    pub fn tout_verifie(&self) -> bool {
        self.verifiees == self.exigences
    }
}

/// One row per requirement. `checks` are every check that may evidence one; those also in
/// `governed_elsewhere` are shown apart, their findings counted in no row; `controles` are
/// the rows of the establishment's own checks.
pub(super) fn build(
    checks: &[&CheckInfo],
    governed_elsewhere: &[&CheckInfo],
    input: &Input,
    controles: &[Controle],
) -> Vec<Exigence> {
    CATALOGUE
        .iter()
        .map(|r| row(r, checks, governed_elsewhere, input, controles))
        .collect()
}

fn row(
    r: &'static Requirement,
    checks: &[&CheckInfo],
    governed_elsewhere: &[&CheckInfo],
    input: &Input,
    controles: &[Controle],
) -> Exigence {
    let evidence: Vec<&CheckInfo> = checks
        .iter()
        .copied()
        .filter(|c| c.requirements.iter().any(|x| x.id == r.id))
        .collect();
    let mut lacunes = Vec::new();
    let statut = match r.reach {
        Reach::Outside(why) => {
            lacunes.push(format!("hors de portée : {why}"));
            "hors_portee"
        }
        _ if evidence.is_empty() && r.figures.is_empty() => {
            lacunes.push("aucun contrôle de cette version de vigie365 ne le vérifie".into());
            "hors_portee"
        }
        reach => {
            if let Reach::Partial(why) = reach {
                lacunes.push(format!("non visible : {why}"));
            }
            lacunes.extend(missing_nights(input));
            for c in &evidence {
                if let Some(n) = input.not_evaluated.get(c.id).filter(|n| **n > 0) {
                    lacunes.push(format!(
                        "{} non évalué {} (source non lue)",
                        c.id,
                        crate::report::fr::plural(i64::from(*n), "nuit", "nuits")
                    ));
                }
            }
            let mut sources: Vec<&str> = evidence
                .iter()
                .flat_map(|c| c.needs.iter().copied())
                .collect();
            sources.extend(r.figures.iter().flat_map(|f| f.sources.iter().copied()));
            sources.sort_unstable();
            sources.dedup();
            for s in sources {
                let partly = input
                    .nights
                    .iter()
                    .filter(|n| n.evaluation.is_some())
                    .filter(|n| {
                        n.sources.iter().any(|x| {
                            x.source == s
                                && x.status == SourceStatus::Collected
                                && x.reason.is_some()
                        })
                    })
                    .count();
                if partly > 0 {
                    lacunes.push(format!(
                        "source « {s} » lue en partie {} (voir la couverture)",
                        crate::report::fr::plural(partly as i64, "nuit", "nuits")
                    ));
                }
            }
            for f in r.figures {
                for s in f.sources {
                    let missing = input
                        .nights
                        .iter()
                        .filter(|n| n.evaluation.is_some())
                        .filter(|n| {
                            !n.sources
                                .iter()
                                .any(|x| x.source == *s && x.status == SourceStatus::Collected)
                        })
                        .count();
                    if missing > 0 {
                        lacunes.push(format!(
                            "source « {s} » non collectée {} ({})",
                            crate::report::fr::plural(missing as i64, "nuit", "nuits"),
                            f.label_fr
                        ));
                    }
                }
            }
            if lacunes.is_empty() {
                "verifie"
            } else {
                "partiel"
            }
        }
    };
    let mut constats = ConstatsExigence::default();
    for c in controles
        .iter()
        .filter(|c| evidence.iter().any(|e| e.id == c.id))
    {
        constats.ouverts += c.ouverts_fin - c.acceptes_fin;
        constats.corriges += c.corriges;
        constats.acceptes += c.acceptes_fin;
        constats.occurrences += c.occurrences;
    }
    Exigence {
        id: r.id,
        document: r.document.label_fr(),
        article: r.article,
        titre: r.title_fr,
        texte: r.text_fr,
        statut,
        controles: evidence.iter().map(|c| c.id).collect(),
        controles_locataire: evidence
            .iter()
            .filter(|c| governed_elsewhere.iter().any(|t| t.id == c.id))
            .map(|c| c.id)
            .collect(),
        figures: r.figures.iter().map(|f| f.label_fr).collect(),
        lacunes,
        constats,
        attestation: None,
    }
}

/// The nights of the period without an evaluation, in a sentence (none: empty).
fn missing_nights(input: &Input) -> Option<String> {
    let missing: Vec<chrono::NaiveDate> = input
        .nights
        .iter()
        .filter(|n| n.evaluation.is_none())
        .map(|n| n.night)
        .collect();
    if missing.is_empty() {
        return None;
    }
    let shown: Vec<String> = missing
        .iter()
        .take(3)
        .map(|d| crate::report::fr::date(*d))
        .collect();
    let more = if missing.len() > 3 { " …" } else { "" };
    Some(format!(
        "{} sans évaluation ({}{more})",
        crate::report::fr::plural(missing.len() as i64, "nuit", "nuits"),
        shown.join(", ")
    ))
}
