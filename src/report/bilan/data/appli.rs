//! « Appli » service accounts: how many at the start and at the end.

use serde::Serialize;

use super::posture::Posture;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Appli {
    pub comptes_debut: Option<i64>,
    pub comptes_fin: Option<i64>,
    pub actifs_fin: Option<i64>,
    pub exclue_mfa_fin: Option<i64>,
}

pub(super) fn build(posture: &Posture) -> Appli {
    Appli {
        comptes_debut: posture.first("appli", "comptes"),
        comptes_fin: posture.last("appli", "comptes"),
        actifs_fin: posture.last("appli", "actifs"),
        exclue_mfa_fin: posture.last("appli", "exclue_mfa"),
    }
}
