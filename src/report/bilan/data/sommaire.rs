//! The key figures of the executive summary.

use std::collections::BTreeMap;

use serde::Serialize;

use super::lifecycle::Life;
use super::severity_id;
use crate::checks::Severity;

/// Key figures for the executive summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sommaire {
    pub releves: u32,
    pub nouveaux: u32,
    pub corriges: u32,
    pub ouverts_fin: u32,
    pub acceptes_fin: u32,
    /// Open at the end and not accepted, by severity id.
    pub a_corriger_fin_par_gravite: BTreeMap<String, u32>,
}

pub(super) fn build(lives: &[Life]) -> Sommaire {
    let mut s = Sommaire {
        releves: 0,
        nouveaux: 0,
        corriges: 0,
        ouverts_fin: 0,
        acceptes_fin: 0,
        a_corriger_fin_par_gravite: Severity::ALL
            .iter()
            .map(|s| (severity_id(*s).to_string(), 0))
            .collect(),
    };
    for l in lives {
        s.releves += 1;
        s.nouveaux += u32::from(l.is_new);
        s.corriges += u32::from(l.fixed);
        s.ouverts_fin += u32::from(l.open_end);
        s.acceptes_fin += u32::from(l.accepted_end);
        if l.open_end
            && !l.accepted_end
            && let Some(seen) = l.last
        {
            *s.a_corriger_fin_par_gravite
                .entry(severity_id(seen.finding.severity).to_string())
                .or_insert(0) += 1;
        }
    }
    s
}
