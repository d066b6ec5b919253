//! Automatic forwarding (DIR04 art. 6 4° and 5°): found, fixed and how fast, month by
//! month, whether the tenant would block what is still open, and the tenant's own state.

use chrono::NaiveDate;
use serde::Serialize;

use super::input::{Input, Night};
use super::lifecycle::{Life, open_at};
use super::{last_of_month, median, month_key};
use crate::checks::forwarding::{fwd_dis_01, fwd_ext_01, fwd_org_01, fwd_pub_01, fwd_trn_01};
use crate::checks::{Severity, Tag};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RedirectionsMois {
    pub mois: String,
    /// Episodes begun that month, per check.
    pub publiques: u32,
    pub externes: u32,
    pub transport: u32,
    pub desactivees: u32,
    /// Resolutions that month (the four checks).
    pub corrigees: u32,
    /// Open at the end of the month (or at `fin`), the four checks.
    pub ouvertes_fin_mois: u32,
}

/// A span of nights with the same tenant-level forwarding state (FWD-ORG-01, see
/// [`fwd_org_01`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EtatLocataire {
    pub du: NaiveDate,
    pub au: NaiveDate,
    /// `elevee`, `moyenne` (one layer allows), `bloquee` (no finding), `non_evalue`.
    pub etat: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Redirections {
    /// FWD-PUB-01, FWD-EXT-01 and FWD-TRN-01 together: forwarding to public or external
    /// domains.
    pub trouvees: u32,
    pub corrigees: u32,
    pub ouvertes_fin: u32,
    pub delai_median_jours: Option<f64>,
    /// Open at the end (FWD-PUB-01, FWD-EXT-01, FWD-DIS-01): the tenant would block them,
    /// would not, or it is unknown.
    pub bloquees_fin: u32,
    pub non_bloquees_fin: u32,
    pub blocage_inconnu_fin: u32,
    pub par_mois: Vec<RedirectionsMois>,
    pub locataire: Vec<EtatLocataire>,
}

/// Checks of the monthly forwarding figures: one column each.
const FORWARDING: [&str; 4] = [
    fwd_pub_01::CHECK.id,
    fwd_ext_01::CHECK.id,
    fwd_trn_01::CHECK.id,
    fwd_dis_01::CHECK.id,
];

pub(super) fn build(input: &Input, lives: &[Life]) -> Redirections {
    let mut r = Redirections {
        trouvees: 0,
        corrigees: 0,
        ouvertes_fin: 0,
        delai_median_jours: None,
        bloquees_fin: 0,
        non_bloquees_fin: 0,
        blocage_inconnu_fin: 0,
        par_mois: months(input),
        locataire: tenant(input),
    };
    let mut delays: Vec<i64> = Vec::new();
    for l in lives {
        if l.check.has(Tag::SendsOutside) {
            r.trouvees += 1;
            r.corrigees += u32::from(l.fixed);
            r.ouvertes_fin += u32::from(l.open_end);
            delays.extend(&l.resolutions);
        }
        if l.open_end && l.check.has(Tag::TenantCanBlock) {
            match l.last.and_then(|s| s.data.blocked_by_tenant) {
                Some(true) => r.bloquees_fin += 1,
                Some(false) => r.non_bloquees_fin += 1,
                None => r.blocage_inconnu_fin += 1,
            }
        }
    }
    r.delai_median_jours = median(&mut delays);
    r
}

/// The forwarding figures of each month of the period.
fn months(input: &Input) -> Vec<RedirectionsMois> {
    let mut months: Vec<(String, NaiveDate)> = Vec::new();
    for n in &input.nights {
        let k = month_key(n.night);
        if months.last().map(|m| &m.0) != Some(&k) {
            months.push((k, last_of_month(n.night).min(input.fin)));
        }
    }
    months
        .into_iter()
        .map(|(key, end)| month(input, key, end))
        .collect()
}

fn month(input: &Input, key: String, month_end: NaiveDate) -> RedirectionsMois {
    let in_period = |d: NaiveDate| month_key(d) == key && d >= input.du && d <= input.fin;
    let mut m = RedirectionsMois {
        mois: key.clone(),
        publiques: 0,
        externes: 0,
        transport: 0,
        desactivees: 0,
        corrigees: 0,
        ouvertes_fin_mois: 0,
    };
    for ((check, _), list) in input
        .episodes
        .iter()
        .filter(|((c, _), _)| FORWARDING.contains(&c.as_str()))
    {
        for e in list {
            if in_period(e.start) {
                match check.as_str() {
                    c if c == fwd_pub_01::CHECK.id => m.publiques += 1,
                    c if c == fwd_ext_01::CHECK.id => m.externes += 1,
                    c if c == fwd_trn_01::CHECK.id => m.transport += 1,
                    _ => m.desactivees += 1,
                }
            }
            if e.resolved.is_some_and(in_period) {
                m.corrigees += 1;
            }
        }
        m.ouvertes_fin_mois += u32::from(open_at(list, month_end));
    }
    m
}

/// The tenant-level state of each night, as spans of equal state.
fn tenant(input: &Input) -> Vec<EtatLocataire> {
    let mut out: Vec<EtatLocataire> = Vec::new();
    for n in &input.nights {
        let state = tenant_state(n);
        match out.last_mut() {
            Some(seg) if seg.etat == state => seg.au = n.night,
            _ => out.push(EtatLocataire {
                du: n.night,
                au: n.night,
                etat: state,
            }),
        }
    }
    out
}

/// FWD-ORG-01 on a night: its finding's severity, `bloquee` when it found nothing.
fn tenant_state(n: &Night) -> &'static str {
    let Some(e) = &n.evaluation else {
        return "non_evalue";
    };
    if e.skipped.contains(fwd_org_01::CHECK.id) {
        return "non_evalue";
    }
    let mut state = "bloquee";
    for (f, _) in e
        .findings
        .iter()
        .filter(|(f, _)| f.check == fwd_org_01::CHECK.id)
    {
        state = match f.severity {
            Severity::Critique | Severity::Elevee => "elevee",
            Severity::Moyenne | Severity::Faible | Severity::Info => "moyenne",
        };
    }
    state
}
