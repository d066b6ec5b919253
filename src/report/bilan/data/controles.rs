//! The per-check table: one row per check of the bilan, with its findings of the period
//! by population.

use std::collections::BTreeMap;

use serde::Serialize;

use super::input::Input;
use super::lifecycle::Life;
use super::shared::{median, severity_id};
use crate::checks::{CheckInfo, Kind};

/// Figures of one population for one check.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Compte {
    pub releves: u32,
    pub ouverts_fin: u32,
    pub corriges: u32,
}

/// Figures of one check over the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Controle {
    pub id: &'static str,
    pub titre: &'static str,
    pub reference: &'static str,
    /// Default severity id (`critique`, `elevee`, ...).
    pub gravite: &'static str,
    pub famille: &'static str,
    /// `etat` or `evenement` (RULES.md, "Events and states"): an event's findings are
    /// counted by occurrences and never « corrigés » nor « ouverts à la fin ».
    pub nature: &'static str,
    pub releves: u32,
    pub nouveaux: u32,
    pub corriges: u32,
    pub ouverts_fin: u32,
    pub acceptes_fin: u32,
    /// Resolutions during the period (a finding fixed twice counts twice).
    pub corrections: u32,
    pub delai_median_jours: Option<f64>,
    pub delai_max_jours: Option<i64>,
    /// Evaluated nights of the period where this check was left out.
    pub nuits_non_evalue: u32,
    pub par_population: BTreeMap<String, Compte>,
    /// An event check: occurrences in the period (0 for a state).
    pub occurrences: u32,
    /// An event check: occurrences by month (`AAAA-MM`).
    pub occurrences_par_mois: BTreeMap<String, u32>,
}

impl Controle {
    fn empty(c: &CheckInfo, input: &Input) -> Controle {
        Controle {
            id: c.id,
            titre: c.title_fr,
            reference: c.reference,
            gravite: severity_id(c.severity),
            famille: c.family.id(),
            nature: match c.kind {
                Kind::State => "etat",
                Kind::Event => "evenement",
            },
            releves: 0,
            nouveaux: 0,
            corriges: 0,
            ouverts_fin: 0,
            acceptes_fin: 0,
            corrections: 0,
            delai_median_jours: None,
            delai_max_jours: None,
            nuits_non_evalue: input.not_evaluated.get(c.id).copied().unwrap_or(0),
            par_population: ["medecin", "personnel", "tous"]
                .iter()
                .map(|p| (p.to_string(), Compte::default()))
                .collect(),
            occurrences: 0,
            occurrences_par_mois: BTreeMap::new(),
        }
    }

    fn add(&mut self, l: &Life) {
        self.releves += 1;
        self.nouveaux += u32::from(l.is_new);
        self.corriges += u32::from(l.fixed);
        self.ouverts_fin += u32::from(l.open_end);
        self.acceptes_fin += u32::from(l.accepted_end);
        self.corrections += l.resolutions.len() as u32;
        let p = self.par_population.entry(l.population()).or_default();
        p.releves += 1;
        p.ouverts_fin += u32::from(l.open_end);
        p.corriges += u32::from(l.fixed);
        for (d, n) in &l.occurrences {
            self.occurrences += n;
            *self
                .occurrences_par_mois
                .entry(d.format("%Y-%m").to_string())
                .or_insert(0) += n;
        }
    }
}

pub(super) fn build(checks: &[&CheckInfo], input: &Input, lives: &[Life]) -> Vec<Controle> {
    let mut controles: Vec<Controle> = checks.iter().map(|c| Controle::empty(c, input)).collect();
    let mut delays: BTreeMap<&'static str, Vec<i64>> = BTreeMap::new();
    for l in lives {
        if let Some(c) = controles.iter_mut().find(|c| c.id == l.check.id) {
            c.add(l);
            delays.entry(c.id).or_default().extend(&l.resolutions);
        }
    }
    for c in &mut controles {
        if let Some(v) = delays.get_mut(c.id) {
            c.delai_max_jours = v.iter().copied().max();
            c.delai_median_jours = median(v);
        }
    }
    controles
}
