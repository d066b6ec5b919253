//! The bilan's figures, computed from the store alone, "as of" a night: only runs, lifecycle
//! events and posture of nights up to that date are read, so a bilan produced later for an
//! earlier date says exactly what it said then.
//!
//! This struct is also the JSON document for consolidation across establishments (schema
//! `vigie365.bilan/1`, documented in `reports/bilan-schema.md`). Everything that names a
//! person or an account (subjects, evidence) is kept out of the JSON (`#[serde(skip)]`): it
//! goes to the HTML, the Markdown and the CSV annexes, which stay in the establishment.
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

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::super::ReportError;
use super::super::nightly::FindingData;
use crate::checks::forwarding::{fwd_dis_01, fwd_ext_01, fwd_org_01, fwd_pub_01, fwd_trn_01};
use crate::checks::{CheckInfo, Family, REGISTRY, Severity, Tag, registry};
use crate::finding::Event;
use crate::store::{
    EvaluationRow, RunRow, RunStatus, SourceRow, SourceStatus, Store, StoredFinding,
};

/// Version of the JSON document.
pub const SCHEMA: &str = "vigie365.bilan/1";

/// The period and the as-of night.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub du: NaiveDate,
    pub au: NaiveDate,
    /// Figures as they stood after the evaluation of this night (default: `au`).
    pub arrete_au: Option<NaiveDate>,
    /// French label: « année 2026 », « exercice 2025-2026 », « période du … au … ».
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    pub nom: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Periode {
    pub libelle: String,
    pub du: NaiveDate,
    pub au: NaiveDate,
    pub arrete_au: NaiveDate,
    /// The last night the figures cover: the earlier of `au` and `arrete_au`.
    pub fin: NaiveDate,
    pub nuits: u32,
    pub derniere_nuit_evaluee: Option<NaiveDate>,
}

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
}

/// Findings per night: one value per night of `nuits`; `null` when the night (or the
/// check, that night) was not evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParNuit {
    pub nuits: Vec<NaiveDate>,
    pub par_controle: BTreeMap<String, Vec<Option<u32>>>,
    /// Findings present that night, not accepted, by severity id.
    pub a_corriger_par_gravite: BTreeMap<String, Vec<Option<u32>>>,
}

/// Posture of one class on one night.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PointPosture {
    pub nuit: NaiveDate,
    pub comptes: i64,
    pub actifs: i64,
    pub mfa_enregistree: i64,
    pub mfa_capable: i64,
    pub mfa_inconnue: i64,
    /// Enabled accounts no MFA-requiring policy applies to; `null` when the policies were
    /// not read that night.
    pub exclue_mfa: Option<i64>,
}

/// Posture figures of a night: population → class → metric → value.
pub type Figures = BTreeMap<String, BTreeMap<String, BTreeMap<String, i64>>>;

/// Posture at the last evaluated night of a month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostureMois {
    pub mois: String,
    pub nuit: NaiveDate,
    pub figures: Figures,
}

/// One episode of a finding, for the lists of the HTML and Markdown (never in the JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    pub start: NaiveDate,
    /// Resolution night; `None`: still open at `fin`.
    pub resolved: Option<NaiveDate>,
}

impl Episode {
    /// Nights open: to the resolution, or through `fin`.
    pub fn days(&self, fin: NaiveDate) -> i64 {
        match self.resolved {
            Some(r) => (r - self.start).num_days(),
            None => (fin - self.start).num_days() + 1,
        }
    }
}

/// A finding of the period with its details (HTML, Markdown, CSV annex; not JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub check: String,
    pub subject: String,
    /// From the last night it was seen in the period (`None`: never seen in the period,
    /// its check was not evaluated).
    pub severity: Option<String>,
    pub population: Option<String>,
    pub evidence: String,
    pub first_seen: NaiveDate,
    pub last_seen: Option<NaiveDate>,
    /// Episodes overlapping the period.
    pub episodes: Vec<Episode>,
    pub open_at_end: bool,
    pub accepted_at_end: bool,
    pub blocked_by_tenant: Option<bool>,
}

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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Appli {
    pub comptes_debut: Option<i64>,
    pub comptes_fin: Option<i64>,
    pub actifs_fin: Option<i64>,
    pub exclue_mfa_fin: Option<i64>,
}

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

/// An exception (accepted risk) met during the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceptionBilan {
    pub controle: String,
    #[serde(skip)]
    pub sujet: String,
    pub population: String,
    /// Empty when the store only knows its expiry (it expired before the period).
    pub justification: String,
    pub responsable: String,
    pub expiration: NaiveDate,
    /// Nights of the period the finding was accepted under it.
    pub nuits_acceptees: u32,
    pub premiere_nuit: Option<NaiveDate>,
    pub derniere_nuit: Option<NaiveDate>,
    /// `en_vigueur`, `expiree` (finding still open), `constat_corrige`.
    pub etat_fin: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationBilan {
    pub population: &'static str,
    pub libelle: &'static str,
    pub comptes_fin: Option<i64>,
    pub actifs_fin: Option<i64>,
    pub mfa_enregistree_fin: Option<i64>,
    pub par_controle: BTreeMap<String, Compte>,
}

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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requete {
    pub source: String,
    pub titre: String,
    pub api: &'static str,
    pub requete: String,
    pub autorisations: Vec<String>,
    pub licence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Methode {
    pub requetes: Vec<Requete>,
}

/// The bilan: figures for the JSON document, details for the other formats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bilan {
    pub schema: &'static str,
    pub outil: Tool,
    pub etablissement: String,
    pub locataire: String,
    pub periode: Periode,
    pub sommaire: Sommaire,
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
    /// Every finding of the period, by check then subject.
    #[serde(skip)]
    pub details: Vec<Detail>,
}

impl Bilan {
    pub fn controle(&self, id: &str) -> Option<&Controle> {
        self.controles.iter().find(|c| c.id == id)
    }

    pub fn details_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Detail> + 'a {
        self.details.iter().filter(move |d| d.check == id)
    }
}

/// The family of a check (`generiques`, `appli`, `redirections`), as its declaration says;
/// empty for an id the registry does not know.
pub fn family(id: &str) -> &'static str {
    registry::family_of(id).map_or("", Family::id)
}

/// A severity's id in the JSON document: ASCII, as in the configuration (`critique`,
/// `elevee`, `moyenne`, `faible`, `info`); the French label is for people.
pub fn severity_id(s: Severity) -> &'static str {
    match s {
        Severity::Critique => "critique",
        Severity::Elevee => "elevee",
        Severity::Moyenne => "moyenne",
        Severity::Faible => "faible",
        Severity::Info => "info",
    }
}

/// Checks of the monthly forwarding figures: one column each.
const FORWARDING: [&str; 4] = [
    fwd_pub_01::CHECK.id,
    fwd_ext_01::CHECK.id,
    fwd_trn_01::CHECK.id,
    fwd_dis_01::CHECK.id,
];

fn median(v: &mut [i64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

fn nights(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    from.iter_days().take_while(|d| *d <= to).collect()
}

fn month_key(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn last_of_month(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1)
        .and_then(|m| m.checked_add_months(chrono::Months::new(1)))
        .and_then(|m| m.pred_opt())
        .unwrap_or(d)
}

/// The episodes of every finding, from its lifecycle events.
fn episodes(events: &[crate::store::FindingEvent]) -> BTreeMap<(String, String), Vec<Episode>> {
    let mut out: BTreeMap<(String, String), Vec<Episode>> = BTreeMap::new();
    for e in events {
        let list = out
            .entry((e.check.to_string(), e.subject.clone()))
            .or_default();
        match e.event {
            Event::New | Event::Reopened => list.push(Episode {
                start: e.night,
                resolved: None,
            }),
            Event::Resolved => {
                if let Some(last) = list.last_mut().filter(|x| x.resolved.is_none()) {
                    last.resolved = Some(e.night);
                }
            }
        }
    }
    out
}

fn open_at(eps: &[Episode], night: NaiveDate) -> bool {
    eps.iter()
        .any(|e| e.start <= night && e.resolved.is_none_or(|r| r > night))
}

/// What was last seen of a finding in the period.
struct Seen {
    night: NaiveDate,
    finding: StoredFinding,
    data: FindingData,
}

/// Posture of a run as nested maps.
fn figures(store: &Store, run: i64) -> Result<Figures, ReportError> {
    let mut out: Figures = BTreeMap::new();
    for p in store.posture_of(run)? {
        out.entry(p.population)
            .or_default()
            .entry(p.class)
            .or_default()
            .insert(p.metric, p.value);
    }
    Ok(out)
}

fn figure(f: &Figures, pop: &str, class: &str, metric: &str) -> Option<i64> {
    f.get(pop)?.get(class)?.get(metric).copied()
}

fn population_sum(f: &Figures, pop: &str, metric: &str) -> Option<i64> {
    f.get(pop)
        .map(|classes| classes.values().filter_map(|m| m.get(metric)).sum())
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
    let asof = period.arrete_au.unwrap_or(period.au);
    if period.du > period.au {
        return Err(ReportError::Period(format!(
            "le début ({}) est après la fin ({})",
            period.du, period.au
        )));
    }
    if asof < period.du {
        return Err(ReportError::Period(format!(
            "la date d'arrêté ({asof}) précède le début de la période ({})",
            period.du
        )));
    }
    let fin = period.au.min(asof);
    let period_nights = nights(period.du, fin);

    let runs: Vec<RunRow> = store
        .runs()?
        .into_iter()
        .filter(|r| r.night <= asof)
        .collect();
    let run_by_id: HashMap<i64, &RunRow> = runs.iter().map(|r| (r.id, r)).collect();
    let mut chosen: BTreeMap<NaiveDate, EvaluationRow> = BTreeMap::new();
    let known = registry::ids_of(checks);
    for e in store.evaluations_until(asof, &known)? {
        chosen.insert(e.night, e);
    }
    let last_evaluated = chosen.keys().next_back().copied();
    let events = store.finding_events_until(asof, &known)?;
    let eps = episodes(&events);

    // Nights of the period, as evaluated.
    let mut per_check: BTreeMap<String, Vec<Option<u32>>> = checks
        .iter()
        .map(|c| (c.id.to_string(), Vec::with_capacity(period_nights.len())))
        .collect();
    let mut per_severity: BTreeMap<String, Vec<Option<u32>>> = Severity::ALL
        .iter()
        .map(|s| (severity_id(*s).to_string(), Vec::new()))
        .collect();
    let mut not_evaluated_nights: BTreeMap<String, u32> = BTreeMap::new();
    let mut seen: HashMap<(String, String), Seen> = HashMap::new();
    let mut generic_series = Vec::new();
    let mut first_figures: Option<Figures> = None;
    let mut last_figures: Option<Figures> = None;
    let mut monthly: BTreeMap<String, (NaiveDate, Figures)> = BTreeMap::new();
    let mut tenant_states: Vec<(NaiveDate, &'static str)> = Vec::new();
    // Exceptions: (check, subject, justification, owner, expiry) → (nights, first, last).
    type ExcKey = (String, String, String, String, NaiveDate);
    let mut accepted: BTreeMap<ExcKey, (u32, NaiveDate, NaiveDate)> = BTreeMap::new();
    let mut expired: BTreeSet<(String, String, NaiveDate)> = BTreeSet::new();
    let mut coverage_nights = Vec::with_capacity(period_nights.len());

    for &night in &period_nights {
        let Some(eval) = chosen.get(&night) else {
            for v in per_check.values_mut() {
                v.push(None);
            }
            for v in per_severity.values_mut() {
                v.push(None);
            }
            tenant_states.push((night, "non_evalue"));
            let night_runs: Vec<&RunRow> = runs.iter().filter(|r| r.night == night).collect();
            let (etat, collecte) = match night_runs.last() {
                None => ("absente", None),
                Some(r) => (
                    if night_runs
                        .iter()
                        .all(|r| matches!(r.status, RunStatus::Complete | RunStatus::Partial))
                    {
                        "non_evaluee"
                    } else {
                        "echouee"
                    },
                    Some(r.id),
                ),
            };
            let missing = match collecte {
                Some(run) => store
                    .sources(run)?
                    .into_iter()
                    .filter(|s| s.status != SourceStatus::Collected)
                    .map(|s| s.source)
                    .collect(),
                None => Vec::new(),
            };
            coverage_nights.push(NuitCouverture {
                nuit: night,
                etat,
                collecte,
                sources_manquantes: missing,
                controles_non_evalues: Vec::new(),
            });
            continue;
        };
        let skipped: BTreeSet<&str> = eval.not_evaluated.iter().map(|c| c.as_str()).collect();
        for id in &skipped {
            *not_evaluated_nights.entry(id.to_string()).or_insert(0) += 1;
        }
        let status = run_by_id.get(&eval.run).map(|r| r.status);
        let sources = store.sources(eval.run)?;
        let missing: Vec<String> = sources
            .iter()
            .filter(|s| s.status != SourceStatus::Collected)
            .map(|s| s.source.clone())
            .collect();
        coverage_nights.push(NuitCouverture {
            nuit: night,
            etat: if status == Some(RunStatus::Complete) && missing.is_empty() && skipped.is_empty()
            {
                "complete"
            } else {
                "partielle"
            },
            collecte: Some(eval.run),
            sources_manquantes: missing,
            controles_non_evalues: eval.not_evaluated.iter().map(|c| c.to_string()).collect(),
        });

        let findings = store.findings_of(eval.run, &known)?;
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        let mut sev_counts: BTreeMap<String, u32> = BTreeMap::new();
        let mut org_state = "bloquee";
        for f in findings {
            *counts.entry(f.check.to_string()).or_insert(0) += 1;
            let data = FindingData::parse(&f)?;
            if !f.accepted {
                *sev_counts
                    .entry(severity_id(f.severity).to_string())
                    .or_insert(0) += 1;
            }
            if f.check == fwd_org_01::CHECK.id {
                org_state = match f.severity {
                    Severity::Critique | Severity::Elevee => "elevee",
                    Severity::Moyenne | Severity::Faible | Severity::Info => "moyenne",
                };
            }
            if let Some(a) = &data.accepted {
                let k = (
                    f.check.to_string(),
                    f.subject.clone(),
                    a.justification.clone(),
                    a.owner.clone(),
                    a.expires,
                );
                let e = accepted.entry(k).or_insert((0, night, night));
                e.0 += 1;
                e.2 = night;
            } else if let Some(d) = data.exception_expired {
                expired.insert((f.check.to_string(), f.subject.clone(), d));
            }
            seen.insert(
                (f.check.to_string(), f.subject.clone()),
                Seen {
                    night,
                    finding: f,
                    data,
                },
            );
        }
        for (id, v) in per_check.iter_mut() {
            v.push(if skipped.contains(id.as_str()) {
                None
            } else {
                Some(counts.get(id).copied().unwrap_or(0))
            });
        }
        for (label, v) in per_severity.iter_mut() {
            v.push(Some(sev_counts.get(label).copied().unwrap_or(0)));
        }
        tenant_states.push((
            night,
            if skipped.contains(fwd_org_01::CHECK.id) {
                "non_evalue"
            } else {
                org_state
            },
        ));

        let f = figures(store, eval.run)?;
        let g = |m: &str| figure(&f, "tous", "generique", m);
        if g("comptes").is_some() {
            generic_series.push(PointPosture {
                nuit: night,
                comptes: g("comptes").unwrap_or(0),
                actifs: g("actifs").unwrap_or(0),
                mfa_enregistree: g("mfa_enregistree").unwrap_or(0),
                mfa_capable: g("mfa_capable").unwrap_or(0),
                mfa_inconnue: g("mfa_inconnue").unwrap_or(0),
                exclue_mfa: g("exclue_mfa"),
            });
        }
        if !f.is_empty() {
            if first_figures.is_none() {
                first_figures = Some(f.clone());
            }
            monthly.insert(month_key(night), (night, f.clone()));
            last_figures = Some(f);
        }
    }

    // Findings of the period and their figures.
    let mut details = Vec::new();
    let mut controles: Vec<Controle> = checks
        .iter()
        .map(|c| Controle {
            id: c.id,
            titre: c.title_fr,
            reference: c.reference,
            gravite: severity_id(c.severity),
            famille: c.family.id(),
            releves: 0,
            nouveaux: 0,
            corriges: 0,
            ouverts_fin: 0,
            acceptes_fin: 0,
            corrections: 0,
            delai_median_jours: None,
            delai_max_jours: None,
            nuits_non_evalue: not_evaluated_nights.get(c.id).copied().unwrap_or(0),
            par_population: ["medecin", "personnel", "tous"]
                .iter()
                .map(|p| (p.to_string(), Compte::default()))
                .collect(),
        })
        .collect();
    let mut delays: BTreeMap<&'static str, Vec<i64>> = BTreeMap::new();
    let mut outside_delays: Vec<i64> = Vec::new();
    let mut sommaire = Sommaire {
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
    let mut redirections = Redirections {
        trouvees: 0,
        corrigees: 0,
        ouvertes_fin: 0,
        delai_median_jours: None,
        bloquees_fin: 0,
        non_bloquees_fin: 0,
        blocage_inconnu_fin: 0,
        par_mois: Vec::new(),
        locataire: Vec::new(),
    };
    for ((check, subject), list) in &eps {
        let overlapping: Vec<Episode> = list
            .iter()
            .filter(|e| e.start <= fin && e.resolved.is_none_or(|r| r > period.du))
            .cloned()
            .collect();
        if overlapping.is_empty() {
            continue;
        }
        let Some(c) = controles.iter_mut().find(|c| c.id == check) else {
            continue;
        };
        let first_seen = list.first().map(|e| e.start).unwrap_or(period.du);
        let open_end = open_at(list, fin);
        let last = seen.get(&(check.clone(), subject.clone()));
        let accepted_end = open_end && last.is_some_and(|s| s.finding.accepted);
        let resolutions: Vec<i64> = overlapping
            .iter()
            .filter(|e| e.resolved.is_some_and(|r| r >= period.du && r <= fin))
            .map(|e| e.days(fin))
            .collect();
        let population = last
            .map(|s| s.finding.population.as_str().to_string())
            .unwrap_or_else(|| "inconnue".into());
        c.releves += 1;
        let is_new = first_seen >= period.du;
        c.nouveaux += u32::from(is_new);
        let fixed = !open_end && !resolutions.is_empty();
        c.corriges += u32::from(fixed);
        c.ouverts_fin += u32::from(open_end);
        c.acceptes_fin += u32::from(accepted_end);
        c.corrections += resolutions.len() as u32;
        delays.entry(c.id).or_default().extend(&resolutions);
        if let Some(p) = c.par_population.get_mut(&population) {
            p.releves += 1;
            p.ouverts_fin += u32::from(open_end);
            p.corriges += u32::from(fixed);
        } else {
            c.par_population.insert(
                population.clone(),
                Compte {
                    releves: 1,
                    ouverts_fin: u32::from(open_end),
                    corriges: u32::from(fixed),
                },
            );
        }
        sommaire.releves += 1;
        sommaire.nouveaux += u32::from(is_new);
        sommaire.corriges += u32::from(fixed);
        sommaire.ouverts_fin += u32::from(open_end);
        sommaire.acceptes_fin += u32::from(accepted_end);
        if open_end
            && !accepted_end
            && let Some(s) = last
        {
            *sommaire
                .a_corriger_fin_par_gravite
                .entry(severity_id(s.finding.severity).to_string())
                .or_insert(0) += 1;
        }
        if registry::has_tag(check, Tag::SendsOutside) {
            redirections.trouvees += 1;
            redirections.corrigees += u32::from(fixed);
            redirections.ouvertes_fin += u32::from(open_end);
            outside_delays.extend(&resolutions);
        }
        let blocked = last.and_then(|s| s.data.blocked_by_tenant);
        if open_end && registry::has_tag(check, Tag::TenantCanBlock) {
            match blocked {
                Some(true) => redirections.bloquees_fin += 1,
                Some(false) => redirections.non_bloquees_fin += 1,
                None => redirections.blocage_inconnu_fin += 1,
            }
        }
        details.push(Detail {
            check: check.clone(),
            subject: subject.clone(),
            severity: last.map(|s| s.finding.severity.label().to_string()),
            population: last.map(|s| s.finding.population.as_str().to_string()),
            evidence: last.map(|s| s.data.evidence.clone()).unwrap_or_default(),
            first_seen,
            last_seen: last.map(|s| s.night),
            episodes: overlapping,
            open_at_end: open_end,
            accepted_at_end: accepted_end,
            blocked_by_tenant: blocked,
        });
    }
    for c in &mut controles {
        if let Some(v) = delays.get_mut(c.id) {
            c.delai_max_jours = v.iter().copied().max();
            c.delai_median_jours = median(v);
        }
    }
    redirections.delai_median_jours = median(&mut outside_delays);

    // Forwarding per month.
    let mut months: Vec<(String, NaiveDate)> = Vec::new();
    for n in &period_nights {
        let k = month_key(*n);
        if months.last().map(|m| &m.0) != Some(&k) {
            months.push((k, last_of_month(*n).min(fin)));
        }
    }
    for (key, month_end) in &months {
        let mut m = RedirectionsMois {
            mois: key.clone(),
            publiques: 0,
            externes: 0,
            transport: 0,
            desactivees: 0,
            corrigees: 0,
            ouvertes_fin_mois: 0,
        };
        for ((check, _), list) in eps
            .iter()
            .filter(|((c, _), _)| FORWARDING.contains(&c.as_str()))
        {
            for e in list {
                if month_key(e.start) == *key && e.start >= period.du && e.start <= fin {
                    match check.as_str() {
                        c if c == fwd_pub_01::CHECK.id => m.publiques += 1,
                        c if c == fwd_ext_01::CHECK.id => m.externes += 1,
                        c if c == fwd_trn_01::CHECK.id => m.transport += 1,
                        _ => m.desactivees += 1,
                    }
                }
                if e.resolved
                    .is_some_and(|r| month_key(r) == *key && r >= period.du && r <= fin)
                {
                    m.corrigees += 1;
                }
            }
            m.ouvertes_fin_mois += u32::from(open_at(list, *month_end));
        }
        redirections.par_mois.push(m);
    }
    for (night, state) in tenant_states {
        match redirections.locataire.last_mut() {
            Some(seg) if seg.etat == state => seg.au = night,
            _ => redirections.locataire.push(EtatLocataire {
                du: night,
                au: night,
                etat: state,
            }),
        }
    }

    // Exceptions.
    let mut exceptions: Vec<ExceptionBilan> = Vec::new();
    for ((check, subject, justification, owner, expires), (n, first, last)) in &accepted {
        let key = (check.clone(), subject.clone());
        let open_end = eps.get(&key).is_some_and(|l| open_at(l, fin));
        let still = seen
            .get(&key)
            .and_then(|s| s.data.accepted.as_ref())
            .is_some_and(|a| a.expires == *expires);
        exceptions.push(ExceptionBilan {
            controle: check.clone(),
            sujet: subject.clone(),
            population: seen
                .get(&key)
                .map(|s| s.finding.population.as_str().to_string())
                .unwrap_or_default(),
            justification: justification.clone(),
            responsable: owner.clone(),
            expiration: *expires,
            nuits_acceptees: *n,
            premiere_nuit: Some(*first),
            derniere_nuit: Some(*last),
            etat_fin: if !open_end {
                "constat_corrige"
            } else if still {
                "en_vigueur"
            } else {
                "expiree"
            },
        });
    }
    for (check, subject, expires) in &expired {
        if exceptions
            .iter()
            .any(|e| e.controle == *check && e.sujet == *subject && e.expiration == *expires)
        {
            continue;
        }
        let key = (check.clone(), subject.clone());
        let open_end = eps.get(&key).is_some_and(|l| open_at(l, fin));
        exceptions.push(ExceptionBilan {
            controle: check.clone(),
            sujet: subject.clone(),
            population: seen
                .get(&key)
                .map(|s| s.finding.population.as_str().to_string())
                .unwrap_or_default(),
            justification: String::new(),
            responsable: String::new(),
            expiration: *expires,
            nuits_acceptees: 0,
            premiere_nuit: None,
            derniere_nuit: None,
            etat_fin: if open_end {
                "expiree"
            } else {
                "constat_corrige"
            },
        });
    }
    exceptions.sort_by(|a, b| {
        (&a.controle, &a.sujet, a.expiration).cmp(&(&b.controle, &b.sujet, b.expiration))
    });

    // Populations (DIR04 binds physicians; other staff through other documents).
    let populations = [
        ("medecin", "Médecins, résidents et externes"),
        ("personnel", "Autre personnel"),
    ]
    .iter()
    .map(|(p, label)| PopulationBilan {
        population: p,
        libelle: label,
        comptes_fin: last_figures
            .as_ref()
            .and_then(|f| population_sum(f, p, "comptes")),
        actifs_fin: last_figures
            .as_ref()
            .and_then(|f| population_sum(f, p, "actifs")),
        mfa_enregistree_fin: last_figures
            .as_ref()
            .and_then(|f| population_sum(f, p, "mfa_enregistree")),
        par_controle: controles
            .iter()
            .map(|c| {
                (
                    c.id.to_string(),
                    c.par_population.get(*p).cloned().unwrap_or_default(),
                )
            })
            .collect(),
    })
    .collect();

    let couverture = coverage(store, &coverage_nights, &not_evaluated_nights)?;
    let last = |class: &str, metric: &str| {
        last_figures
            .as_ref()
            .and_then(|f| figure(f, "tous", class, metric))
    };
    let first = |class: &str, metric: &str| {
        first_figures
            .as_ref()
            .and_then(|f| figure(f, "tous", class, metric))
    };

    Ok(Bilan {
        schema: SCHEMA,
        outil: Tool {
            nom: "vigie365",
            version: env!("CARGO_PKG_VERSION"),
        },
        etablissement: establishment.to_string(),
        locataire: tenant.to_string(),
        periode: Periode {
            libelle: period.label.clone(),
            du: period.du,
            au: period.au,
            arrete_au: asof,
            fin,
            nuits: period_nights.len() as u32,
            derniere_nuit_evaluee: last_evaluated,
        },
        sommaire,
        constats_par_nuit: ParNuit {
            nuits: period_nights.clone(),
            par_controle: per_check,
            a_corriger_par_gravite: per_severity,
        },
        generiques: Generiques {
            comptes_debut: first("generique", "comptes"),
            comptes_fin: last("generique", "comptes"),
            actifs_fin: last("generique", "actifs"),
            mfa_enregistree_fin: last("generique", "mfa_enregistree"),
            mfa_capable_fin: last("generique", "mfa_capable"),
            exclue_mfa_fin: last("generique", "exclue_mfa"),
            serie: generic_series,
        },
        appli: Appli {
            comptes_debut: first("appli", "comptes"),
            comptes_fin: last("appli", "comptes"),
            actifs_fin: last("appli", "actifs"),
            exclue_mfa_fin: last("appli", "exclue_mfa"),
        },
        controles,
        redirections,
        exceptions,
        populations,
        posture_mensuelle: monthly
            .into_iter()
            .map(|(mois, (nuit, figures))| PostureMois {
                mois,
                nuit,
                figures,
            })
            .collect(),
        couverture,
        methode: Methode {
            requetes: crate::queries::all()
                .iter()
                .map(|q| Requete {
                    source: q.name.clone(),
                    titre: q.title.clone(),
                    api: match q.api {
                        crate::queries::Api::Graph => "Microsoft Graph",
                        crate::queries::Api::Exchange => "Exchange Online (API d'administration)",
                    },
                    requete: match q.api {
                        crate::queries::Api::Graph => format!("{} {}", q.method, q.path),
                        crate::queries::Api::Exchange => q.cmdlet.clone().unwrap_or_default(),
                    },
                    autorisations: q.permissions.clone(),
                    licence: q.licence.clone(),
                })
                .collect(),
        },
        details,
    })
}

fn coverage(
    store: &Store,
    nights: &[NuitCouverture],
    not_evaluated: &BTreeMap<String, u32>,
) -> Result<Couverture, ReportError> {
    let count = |etat: &str| nights.iter().filter(|n| n.etat == etat).count() as u32;
    let mut sources: BTreeMap<String, SourceCouverture> = BTreeMap::new();
    for n in nights {
        let Some(run) = n.collecte else { continue };
        for s in store.sources(run)? {
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
            add_reason(entry, etat, &s, n.nuit);
        }
    }
    Ok(Couverture {
        nuits_periode: nights.len() as u32,
        nuits_evaluees: count("complete") + count("partielle"),
        nuits_completes: count("complete"),
        nuits_partielles: count("partielle"),
        nuits_echouees: count("echouee"),
        nuits_non_evaluees: count("non_evaluee"),
        nuits_absentes: count("absente"),
        nuits: nights.to_vec(),
        // Catalogue order, then any other source the store knows.
        sources: {
            let mut ordered = Vec::new();
            for q in crate::queries::all() {
                if let Some(s) = sources.remove(&q.name) {
                    ordered.push(s);
                }
            }
            ordered.extend(sources.into_values());
            ordered
        },
        controles_non_evalues: not_evaluated
            .iter()
            .map(|(c, n)| ControleNonEvalue {
                controle: c.clone(),
                nuits: *n,
            })
            .collect(),
    })
}

fn add_reason(entry: &mut SourceCouverture, etat: &'static str, s: &SourceRow, night: NaiveDate) {
    let raison = s
        .reason
        .clone()
        .unwrap_or_else(|| "raison non enregistrée".into());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_episode_lengths() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3.0));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2.5));
        let d = |n: u32| NaiveDate::from_ymd_opt(2025, 1, n).unwrap_or_default();
        assert_eq!(
            Episode {
                start: d(5),
                resolved: Some(d(8))
            }
            .days(d(31)),
            3
        );
        assert_eq!(
            Episode {
                start: d(30),
                resolved: None
            }
            .days(d(31)),
            2
        );
        assert_eq!(last_of_month(d(15)), d(31));
    }
}
