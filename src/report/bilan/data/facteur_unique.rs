//! Successful single-factor sign-ins (`singleFactorAuthentication`) of generic and « Appli »
//! accounts over the period (orientation on generic subscriptions: MFA), added up from the
//! nightly per-account figures (each night counts the 24 hours before it): the number of
//! sign-ins and of accounts concerned, per class. Break-glass accounts have their own class
//! and are not counted; the annex names them. The accounts stay out of the JSON.

use std::collections::BTreeMap;

use serde::Serialize;

use super::input::Input;
use crate::checks::posture::SINGLE_FACTOR_GENERIC;
use crate::store::SourceStatus;

/// Sign-ins of one class of accounts over the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConnexionsClasse {
    pub connexions: i64,
    /// Accounts with at least one such sign-in.
    pub comptes: u32,
    /// Sign-ins per account (UPN), for the HTML and Markdown only.
    #[serde(skip)]
    pub par_compte: BTreeMap<String, i64>,
}

/// Successful single-factor sign-ins of the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FacteurUnique {
    /// Evaluated nights whose sign-ins were read: the figures cover their 24 hours.
    pub nuits_lues: u32,
    /// Evaluated nights of the period.
    pub nuits_evaluees: u32,
    pub generiques: ConnexionsClasse,
    pub appli: ConnexionsClasse,
}

pub(super) fn build(input: &Input) -> FacteurUnique {
    let mut out = FacteurUnique::default();
    for n in &input.nights {
        let Some(e) = &n.evaluation else { continue };
        out.nuits_evaluees += 1;
        let read = ["sign-ins", "users"].iter().all(|q| {
            n.sources
                .iter()
                .any(|s| s.source == *q && s.status == SourceStatus::Collected)
        });
        if !read {
            continue;
        }
        out.nuits_lues += 1;
        for (class, upn, count) in &e.single_factor {
            let c = if class == SINGLE_FACTOR_GENERIC {
                &mut out.generiques
            } else {
                &mut out.appli
            };
            c.connexions += count;
            *c.par_compte.entry(upn.clone()).or_insert(0) += count;
        }
    }
    for c in [&mut out.generiques, &mut out.appli] {
        c.comptes = c.par_compte.len() as u32;
    }
    out
}
