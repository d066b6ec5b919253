//! The network bilan: establishments' entries grouped by period, totals, ranking, trends,
//! and expected establishments that sent nothing. Pure data ([`Network`]), rendered by
//! `render`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::read::{Entry, Figures, TenantControls};

/// Version of the network bilan's JSON document.
pub const SCHEMA: &str = "vigie365.reseau/1";
pub const SCHEMA_VERSION: &str = "1.1";

/// A requirement's cell for one establishment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// `verifie`, `partiel` or `hors_portee`, as the establishment's bilan says.
    pub statut: String,
    /// `verifie`, `atteste` or `a_fournir`.
    pub reponse: &'static str,
    pub attestation: Option<String>,
}

impl Cell {
    pub fn label(&self) -> String {
        match (self.reponse, &self.attestation) {
            ("verifie", _) => "vérifié".into(),
            ("atteste", Some(d)) => format!("attesté le {d}"),
            _ => "à fournir".into(),
        }
    }
}

/// Key figures of one establishment, as its bilan carries them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyFigures {
    pub critiques_ouverts: u64,
    pub a_corriger_fin: u64,
    pub generiques_comptes: Option<u64>,
    pub generiques_mfa: Option<u64>,
    pub appli_comptes: Option<u64>,
    pub appli_constats_releves: u64,
    pub appli_constats_ouverts: u64,
    pub redirections_publiques_releves: u64,
    pub redirections_publiques_corrigees: u64,
    pub redirections_publiques_ouvertes: u64,
    pub redirections_externes_releves: u64,
    pub redirections_externes_corrigees: u64,
    pub redirections_externes_ouvertes: u64,
    pub delai_median_jours: Option<f64>,
    pub nuits_periode: u64,
    pub nuits_completes: u64,
    pub nuits_evaluees: u64,
}

impl From<&Figures> for KeyFigures {
    fn from(f: &Figures) -> KeyFigures {
        KeyFigures {
            critiques_ouverts: f.critiques_ouverts,
            a_corriger_fin: f.a_corriger_fin,
            generiques_comptes: f.generiques_comptes,
            generiques_mfa: f.generiques_mfa,
            appli_comptes: f.appli_comptes,
            appli_constats_releves: f.appli_releves,
            appli_constats_ouverts: f.appli_ouverts,
            redirections_publiques_releves: f.fwd_pub_releves,
            redirections_publiques_corrigees: f.fwd_pub_corriges,
            redirections_publiques_ouvertes: f.fwd_pub_ouverts,
            redirections_externes_releves: f.fwd_ext_releves,
            redirections_externes_corrigees: f.fwd_ext_corriges,
            redirections_externes_ouvertes: f.fwd_ext_ouverts,
            delai_median_jours: f.delai_median_jours,
            nuits_periode: f.nuits_periode,
            nuits_completes: f.nuits_completes,
            nuits_evaluees: f.nuits_evaluees,
        }
    }
}

/// One establishment in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub etablissement: String,
    pub locataire: String,
    pub version_schema: String,
    pub figures: KeyFigures,
    /// Requirement id → its cell.
    pub exigences: BTreeMap<String, Cell>,
}

/// Network totals of one period. A figure an establishment does not know (`null`) is left
/// out of the sum and counted in `inconnus`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub etablissements: usize,
    pub critiques_ouverts: u64,
    pub a_corriger_fin: u64,
    pub generiques_comptes: u64,
    pub generiques_mfa: u64,
    pub appli_comptes: u64,
    pub appli_constats_releves: u64,
    pub appli_constats_ouverts: u64,
    pub redirections_publiques_releves: u64,
    pub redirections_publiques_corrigees: u64,
    pub redirections_publiques_ouvertes: u64,
    pub redirections_externes_releves: u64,
    pub redirections_externes_corrigees: u64,
    pub redirections_externes_ouvertes: u64,
    /// Medians do not add up: the median of the establishments' medians.
    pub delai_median_jours_des_etablissements: Option<f64>,
    pub nuits_periode: u64,
    pub nuits_completes: u64,
    pub nuits_evaluees: u64,
    /// Establishments whose figure was unknown, by figure.
    pub inconnus: BTreeMap<&'static str, usize>,
    /// Requirement id → establishments verified, attested, still to provide.
    pub exigences: BTreeMap<String, [usize; 3]>,
}

/// One check of a shared tenant's settings over the establishments that report it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantCheckRow {
    pub id: String,
    pub titre: String,
    /// Open gaps at the end of the period, the fewest and the most any establishment saw
    /// (they differ when their nights did).
    pub ouverts_fin_min: u64,
    pub ouverts_fin_max: u64,
    /// Establishments that left it out some night (a source they could not read).
    pub etablissements_non_evalue: usize,
}

/// A shared tenant's settings, governed outside its establishments, as they report them:
/// in the network bilan once per tenant, since they are no establishment's own findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantBlock {
    pub locataire: String,
    /// Who governs them, as the establishments' configurations say (several when they
    /// disagree).
    pub gouvernes_par: Vec<String>,
    /// The establishments whose bilans report them.
    pub etablissements: usize,
    pub controles: Vec<TenantCheckRow>,
}

fn tenant_blocks(es: &[&Entry]) -> Vec<TenantBlock> {
    let mut by_tenant: BTreeMap<&str, Vec<&TenantControls>> = BTreeMap::new();
    for e in es {
        if let Some(t) = &e.tenant_controls {
            by_tenant.entry(e.locataire.as_str()).or_default().push(t);
        }
    }
    by_tenant
        .into_iter()
        .map(|(locataire, ts)| {
            let gouvernes_par: BTreeSet<String> =
                ts.iter().map(|t| t.gouvernes_par.clone()).collect();
            let mut rows: Vec<TenantCheckRow> = Vec::new();
            for t in &ts {
                for c in &t.controles {
                    match rows.iter_mut().find(|r| r.id == c.id) {
                        Some(r) => {
                            r.ouverts_fin_min = r.ouverts_fin_min.min(c.ouverts_fin);
                            r.ouverts_fin_max = r.ouverts_fin_max.max(c.ouverts_fin);
                            r.etablissements_non_evalue += usize::from(c.nuits_non_evalue > 0);
                        }
                        None => rows.push(TenantCheckRow {
                            id: c.id.clone(),
                            titre: c.titre.clone(),
                            ouverts_fin_min: c.ouverts_fin,
                            ouverts_fin_max: c.ouverts_fin,
                            etablissements_non_evalue: usize::from(c.nuits_non_evalue > 0),
                        }),
                    }
                }
            }
            TenantBlock {
                locataire: locataire.to_string(),
                gouvernes_par: gouvernes_par.into_iter().collect(),
                etablissements: ts.len(),
                controles: rows,
            }
        })
        .collect()
}

/// One period of the network bilan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodBlock {
    pub du: String,
    pub au: String,
    pub libelle: String,
    /// Ranked by open critical findings (most first), then by name.
    pub etablissements: Vec<Row>,
    pub totaux: Totals,
    /// Shared tenants' settings, governed outside the establishments (schema 1.1; empty
    /// when every establishment governs its own tenant).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub controles_locataire: Vec<TenantBlock>,
}

/// A requirement column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirement {
    pub id: String,
    pub titre: String,
}

/// The network bilan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Network {
    pub schema: &'static str,
    pub version_schema: &'static str,
    pub outil: &'static str,
    pub version_outil: &'static str,
    pub exigences: Vec<Requirement>,
    /// Oldest period first; the last is the one the ranking is about.
    pub periodes: Vec<PeriodBlock>,
    /// Expected (`--attendus`) but absent from the last period.
    pub attendus_absents: Vec<String>,
    /// Present in the last period but not expected (only with `--attendus`).
    pub non_attendus: Vec<String>,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn totals(rows: &[Row], requirements: &[Requirement]) -> Totals {
    let mut inconnus = BTreeMap::new();
    let mut opt = |name: &'static str, get: &dyn Fn(&KeyFigures) -> Option<u64>| {
        let unknown = rows.iter().filter(|r| get(&r.figures).is_none()).count();
        if unknown > 0 {
            inconnus.insert(name, unknown);
        }
        rows.iter().filter_map(|r| get(&r.figures)).sum::<u64>()
    };
    let generiques_comptes = opt("generiques_comptes", &|f| f.generiques_comptes);
    let generiques_mfa = opt("generiques_mfa", &|f| f.generiques_mfa);
    let appli_comptes = opt("appli_comptes", &|f| f.appli_comptes);
    let sum = |get: &dyn Fn(&KeyFigures) -> u64| rows.iter().map(|r| get(&r.figures)).sum::<u64>();
    let exigences = requirements
        .iter()
        .map(|q| {
            let mut n = [0usize; 3];
            for r in rows {
                match r.exigences.get(&q.id).map(|c| c.reponse) {
                    Some("verifie") => n[0] += 1,
                    Some("atteste") => n[1] += 1,
                    _ => n[2] += 1,
                }
            }
            (q.id.clone(), n)
        })
        .collect();
    Totals {
        etablissements: rows.len(),
        critiques_ouverts: sum(&|f| f.critiques_ouverts),
        a_corriger_fin: sum(&|f| f.a_corriger_fin),
        generiques_comptes,
        generiques_mfa,
        appli_comptes,
        appli_constats_releves: sum(&|f| f.appli_constats_releves),
        appli_constats_ouverts: sum(&|f| f.appli_constats_ouverts),
        redirections_publiques_releves: sum(&|f| f.redirections_publiques_releves),
        redirections_publiques_corrigees: sum(&|f| f.redirections_publiques_corrigees),
        redirections_publiques_ouvertes: sum(&|f| f.redirections_publiques_ouvertes),
        redirections_externes_releves: sum(&|f| f.redirections_externes_releves),
        redirections_externes_corrigees: sum(&|f| f.redirections_externes_corrigees),
        redirections_externes_ouvertes: sum(&|f| f.redirections_externes_ouvertes),
        delai_median_jours_des_etablissements: median(
            rows.iter()
                .filter_map(|r| r.figures.delai_median_jours)
                .collect(),
        ),
        nuits_periode: sum(&|f| f.nuits_periode),
        nuits_completes: sum(&|f| f.nuits_completes),
        nuits_evaluees: sum(&|f| f.nuits_evaluees),
        inconnus,
        exigences,
    }
}

fn row(e: &Entry) -> Row {
    let exigences = e
        .answers
        .iter()
        .map(|a| {
            let reponse = if a.statut == "verifie" {
                "verifie"
            } else if a.attestation.is_some() {
                "atteste"
            } else {
                "a_fournir"
            };
            (
                a.id.clone(),
                Cell {
                    statut: a.statut.clone(),
                    reponse,
                    attestation: a.attestation.clone(),
                },
            )
        })
        .collect();
    Row {
        etablissement: e.etablissement.clone(),
        locataire: e.locataire.clone(),
        version_schema: e.version_schema.clone(),
        figures: KeyFigures::from(&e.figures),
        exigences,
    }
}

/// Builds the network bilan from validated entries; `expected` is the `--attendus` list.
pub fn build(entries: &[Entry], expected: Option<&[String]>) -> Network {
    // Requirement columns: in the order of the first bilan that has them, then any new one.
    let mut exigences: Vec<Requirement> = Vec::new();
    let mut seen = BTreeSet::new();
    for e in entries {
        for a in &e.answers {
            if seen.insert(a.id.clone()) {
                exigences.push(Requirement {
                    id: a.id.clone(),
                    titre: a.titre.clone(),
                });
            }
        }
    }
    let mut by_period: BTreeMap<(String, String), Vec<&Entry>> = BTreeMap::new();
    for e in entries {
        by_period
            .entry((e.au.clone(), e.du.clone()))
            .or_default()
            .push(e);
    }
    let periodes: Vec<PeriodBlock> = by_period
        .into_iter()
        .map(|((au, du), es)| {
            let mut rows: Vec<Row> = es.iter().map(|e| row(e)).collect();
            rows.sort_by(|a, b| {
                b.figures
                    .critiques_ouverts
                    .cmp(&a.figures.critiques_ouverts)
                    .then_with(|| a.etablissement.cmp(&b.etablissement))
            });
            let totaux = totals(&rows, &exigences);
            let controles_locataire = tenant_blocks(&es);
            PeriodBlock {
                controles_locataire,
                du,
                au,
                libelle: es.first().map(|e| e.libelle.clone()).unwrap_or_default(),
                etablissements: rows,
                totaux,
            }
        })
        .collect();
    let (attendus_absents, non_attendus) = match (expected, periodes.last()) {
        (Some(names), last) => {
            let present: BTreeSet<&str> = last
                .map(|p| {
                    p.etablissements
                        .iter()
                        .map(|r| r.etablissement.as_str())
                        .collect()
                })
                .unwrap_or_default();
            let wanted: BTreeSet<&str> = names.iter().map(String::as_str).collect();
            (
                wanted
                    .iter()
                    .filter(|n| !present.contains(*n))
                    .map(|n| n.to_string())
                    .collect(),
                present
                    .iter()
                    .filter(|n| !wanted.contains(*n))
                    .map(|n| n.to_string())
                    .collect(),
            )
        }
        (None, _) => (Vec::new(), Vec::new()),
    };
    Network {
        schema: SCHEMA,
        version_schema: SCHEMA_VERSION,
        outil: "vigie365",
        version_outil: env!("CARGO_PKG_VERSION"),
        exigences,
        periodes,
        attendus_absents,
        non_attendus,
    }
}

/// Reads an `--attendus` file: one establishment name a line; blank lines and lines
/// starting with `#` are skipped.
pub fn expected(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}
