//! Generic CHSLD accounts: how many, and their MFA, at the start, at the end and night by
//! night.

use serde::Serialize;

use super::input::Input;
use super::posture::{PointPosture, Posture, figure};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Generiques {
    pub comptes_debut: Option<i64>,
    pub comptes_fin: Option<i64>,
    pub actifs_fin: Option<i64>,
    pub mfa_enregistree_fin: Option<i64>,
    pub mfa_capable_fin: Option<i64>,
    pub exclue_mfa_fin: Option<i64>,
    /// Every evaluated night of the period (class `generique`, all populations).
    pub serie: Vec<PointPosture>,
}

pub(super) fn build(input: &Input, posture: &Posture) -> Generiques {
    let last = |metric: &str| posture.last("generique", metric);
    Generiques {
        comptes_debut: posture.first("generique", "comptes"),
        comptes_fin: last("comptes"),
        actifs_fin: last("actifs"),
        mfa_enregistree_fin: last("mfa_enregistree"),
        mfa_capable_fin: last("mfa_capable"),
        exclue_mfa_fin: last("exclue_mfa"),
        serie: series(input),
    }
}

/// The class `generique` of every evaluated night that has it.
fn series(input: &Input) -> Vec<PointPosture> {
    let mut out = Vec::new();
    for (night, e) in input.evaluated() {
        let g = |m: &str| figure(&e.figures, "tous", "generique", m);
        if g("comptes").is_some() {
            out.push(PointPosture {
                nuit: night,
                comptes: g("comptes").unwrap_or(0),
                actifs: g("actifs").unwrap_or(0),
                mfa_enregistree: g("mfa_enregistree").unwrap_or(0),
                mfa_capable: g("mfa_capable").unwrap_or(0),
                mfa_inconnue: g("mfa_inconnue").unwrap_or(0),
                exclue_mfa: g("exclue_mfa"),
            });
        }
    }
    out
}
