//! Physicians apart from other staff: DIR04 binds physicians, residents and externs
//! directly; other staff through other documents.

use std::collections::BTreeMap;

use serde::Serialize;

use super::controles::{Compte, Controle};
use super::posture::Posture;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationBilan {
    pub population: &'static str,
    pub libelle: &'static str,
    pub comptes_fin: Option<i64>,
    pub actifs_fin: Option<i64>,
    pub mfa_enregistree_fin: Option<i64>,
    pub par_controle: BTreeMap<String, Compte>,
}

pub(super) fn build(posture: &Posture, controles: &[Controle]) -> Vec<PopulationBilan> {
    [
        (
            "medecin",
            "Médecins, résidents et externes (étudiants en médecine)",
        ),
        ("personnel", "Autre personnel"),
    ]
    .into_iter()
    .map(|(p, label)| PopulationBilan {
        population: p,
        libelle: label,
        comptes_fin: posture.last_of_population(p, "comptes"),
        actifs_fin: posture.last_of_population(p, "actifs"),
        mfa_enregistree_fin: posture.last_of_population(p, "mfa_enregistree"),
        par_controle: controles
            .iter()
            .map(|c| {
                (
                    c.id.to_string(),
                    c.par_population.get(p).cloned().unwrap_or_default(),
                )
            })
            .collect(),
    })
    .collect()
}
