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
mod episode;
mod exceptions;
mod exigences;
mod facteur_unique;
mod figures;
mod generiques;
mod input;
mod lifecycle;
mod methode;
mod period;
mod populations;
mod posture;
mod production;
mod redirections;
mod series;
mod shared;
mod sommaire;

use serde::Serialize;

use super::super::ReportError;
use crate::checks::{CheckInfo, Family, REGISTRY, registry};
use crate::store::Store;

pub use appli::Appli;
pub use controles::{Compte, Controle};
pub use coverage::{ControleNonEvalue, Couverture, NuitCouverture, Raison, SourceCouverture};
pub use details::Detail;
pub use episode::Episode;
pub use exceptions::ExceptionBilan;
pub use exigences::{AttestationBilan, ConstatsExigence, Exigence, Reddition};
pub use facteur_unique::{ConnexionsClasse, FacteurUnique};
pub use figures::Figures;
pub use generiques::Generiques;
pub use methode::{Methode, Requete};
pub use period::{Period, Periode};
pub use populations::PopulationBilan;
pub use posture::{PointPosture, PostureMois};
pub use production::Production;
pub use redirections::{EtatLocataire, Redirections, RedirectionsMois};
pub use series::ParNuit;
pub use shared::severity_id;
pub use sommaire::Sommaire;

/// Version of the JSON document.
pub const SCHEMA: &str = "vigie365.bilan/1";
/// Major.minor version of the document (`reports/bilan-schema.md`, « Versions »).
pub const SCHEMA_VERSION: &str = "1.3";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    pub nom: &'static str,
    pub version: &'static str,
}

/// The bilan: figures for the JSON document, details for the other formats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bilan {
    pub schema: &'static str,
    pub version_schema: &'static str,
    pub outil: Tool,
    pub etablissement: String,
    pub locataire: String,
    pub periode: Periode,
    /// MSSS-DIR04 art. 14: one row per requirement, with its status.
    pub reddition: Reddition,
    pub exigences: Vec<Exigence>,
    pub sommaire: Sommaire,
    /// Successful single-factor sign-ins of generic and « Appli » accounts (schema 1.2).
    pub connexions_facteur_unique: FacteurUnique,
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
    /// Who produced it and with what (the signature block).
    pub production: Production,
    /// In a shared tenant whose settings the establishment does not govern: the checks of
    /// tenant-wide settings, apart from its own findings (schema 1.3; absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub controles_locataire: Option<ControlesLocataire>,
    /// Every finding of the period, by check then subject.
    #[serde(skip)]
    pub details: Vec<Detail>,
}

impl Bilan {
    pub fn controle(&self, id: &str) -> Option<&Controle> {
        self.controles.iter().find(|c| c.id == id)
    }

    /// Adds the establishment's attestations (`[[attestations]]`) to the requirements they
    /// name, and counts them.
    pub fn attest(&mut self, attestations: &[crate::config::Attestation]) {
        for e in &mut self.exigences {
            e.attestation = attestations
                .iter()
                .find(|a| a.requirement == e.id)
                .map(|a| AttestationBilan {
                    texte: a.text.clone(),
                    date: a.date,
                    responsable: a.owner.clone(),
                });
        }
        self.reddition = Reddition::of(&self.exigences);
    }

    pub fn details_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Detail> + 'a {
        self.details.iter().filter(move |d| d.check == id)
    }
}

/// The tenant-wide settings of a shared tenant the establishment does not govern
/// (`Tag::TenantLevel` checks under `[perimetre]` with `gouverne_controles_locataire =
/// false`): shown with who governs them, counted in none of the establishment's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlesLocataire {
    /// Who governs them: a team or a role, from the configuration.
    pub gouvernes_par: String,
    pub controles: Vec<Controle>,
    /// Their findings of the period (HTML, Markdown; not the JSON).
    #[serde(skip)]
    pub details: Vec<Detail>,
}

/// The family of a check (`generiques`, `appli`, `redirections`), as its declaration says;
/// empty for an id the registry does not know.
pub fn family(id: &str) -> &'static str {
    registry::family_of(id).map_or("", Family::id)
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
    compute_split(checks, None, store, period, (establishment, tenant), &[])
}

/// [`compute`], or [`compute_governed_elsewhere`] when `governed_by` is given, without the
/// sources `hidden` (those the establishment's own night would not read: a provincial
/// night resolves every establishment's administrative units).
pub fn compute_hiding(
    store: &Store,
    period: &Period,
    (establishment, tenant): (&str, &str),
    governed_by: Option<&str>,
    hidden: &[&str],
) -> Result<Bilan, ReportError> {
    let Some(by) = governed_by else {
        return compute_split(
            REGISTRY,
            None,
            store,
            period,
            (establishment, tenant),
            hidden,
        );
    };
    let (tenant_checks, own): (Vec<&CheckInfo>, Vec<&CheckInfo>) = REGISTRY
        .iter()
        .copied()
        .partition(|c| c.has(crate::checks::Tag::TenantLevel));
    compute_split(
        &own,
        Some((&tenant_checks, by)),
        store,
        period,
        (establishment, tenant),
        hidden,
    )
}

/// [`compute`] for an establishment of a shared tenant that does not govern the tenant's
/// settings: the checks of tenant-wide settings (`Tag::TenantLevel`) go to
/// [`Bilan::controles_locataire`], governed by `governed_by`, and out of every figure of
/// the establishment's own (summary, tables, series, requirement findings).
pub fn compute_governed_elsewhere(
    store: &Store,
    period: &Period,
    establishment: &str,
    tenant: &str,
    governed_by: &str,
) -> Result<Bilan, ReportError> {
    compute_hiding(
        store,
        period,
        (establishment, tenant),
        Some(governed_by),
        &[],
    )
}

fn compute_split(
    checks: &[&CheckInfo],
    governed_elsewhere: Option<(&[&CheckInfo], &str)>,
    store: &Store,
    period: &Period,
    (establishment, tenant): (&str, &str),
    hidden: &[&str],
) -> Result<Bilan, ReportError> {
    let tenant_checks: &[&CheckInfo] = governed_elsewhere.map_or(&[], |(t, _)| t);
    // Every id the store may hold, so that a finding of a check outside `checks` (retired,
    // or left out of a test catalogue) is read, not an error; only `checks` get rows.
    let mut known = registry::ids_of(checks);
    known.extend(registry::ids_of(tenant_checks));
    let others: Vec<&'static str> = registry::readable_ids()
        .iter()
        .copied()
        .filter(|id| !known.contains(id))
        .collect();
    known.extend(others);
    let input = input::Input::load(store, period, &known, hidden)?;
    let seen = input.last_seen();
    let lives = lifecycle::of_period(checks, &input, &seen);
    let posture = posture::Posture::of(&input);
    let controles = controles::build(checks, &input, &lives);
    let controles_locataire = governed_elsewhere.map(|(t, by)| {
        let lives = lifecycle::of_period(t, &input, &seen);
        ControlesLocataire {
            gouvernes_par: by.to_string(),
            controles: controles::build(t, &input, &lives),
            details: details::build(&lives),
        }
    });
    let evidence: Vec<&CheckInfo> = checks.iter().chain(tenant_checks).copied().collect();
    let exigences = exigences::build(&evidence, tenant_checks, &input, &controles);
    Ok(Bilan {
        reddition: Reddition::of(&exigences),
        exigences,
        schema: SCHEMA,
        version_schema: SCHEMA_VERSION,
        outil: Tool {
            nom: "vigie365",
            version: env!("CARGO_PKG_VERSION"),
        },
        etablissement: establishment.to_string(),
        locataire: tenant.to_string(),
        periode: input.periode(&period.label),
        sommaire: sommaire::build(&lives),
        connexions_facteur_unique: facteur_unique::build(&input),
        constats_par_nuit: series::build(checks, &input),
        generiques: generiques::build(&input, &posture),
        appli: appli::build(&posture),
        redirections: redirections::build(&input, &lives),
        exceptions: exceptions::build(&input, &seen),
        populations: populations::build(&posture, &controles),
        posture_mensuelle: posture.monthly(),
        couverture: coverage::build(&input),
        methode: methode::build(),
        production: Production::new(),
        details: details::build(&lives),
        controles,
        controles_locataire,
    })
}
