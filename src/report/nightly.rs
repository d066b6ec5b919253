//! The nightly outputs of one evaluated night: `constats-AAAA-MM-JJ.csv` (UTF-8 with BOM,
//! `;`, French headers: opens as is in Excel fr-CA; formula-like cells neutralised), the
//! same rows as JSON Lines, and a French summary for stdout and the cron mail.
//!
//! Each row is one finding open that night: subject, check id and French title, severity,
//! population, evidence, directive reference, first seen, status (nouveau, ouvert, rouvert,
//! accepté with its justification, owner and expiry, or exception expirée), and for
//! forwarding whether the tenant's controls would block it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ReportError, escape, output, template::Template};
use crate::checks::{Accepted, Kind, Severity, Tag, registry};
use crate::finding::{CheckId, Event};
use crate::store::{
    EvaluationRow, FindingEvent, PartialRow, RunRow, RunStatus, SourceRow, SourceStatus, Store,
    StoredFinding,
};

/// The parts of a stored finding's JSON the reports read (`checks::Finding`, owned). Every
/// field is required: a blob without one is an error naming the finding, not an empty line.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FindingData {
    pub evidence: String,
    #[serde(deserialize_with = "required")]
    pub blocked_by_tenant: Option<bool>,
    #[serde(deserialize_with = "required")]
    pub accepted: Option<Accepted>,
    #[serde(deserialize_with = "required")]
    pub exception_expired: Option<NaiveDate>,
    /// An event finding's occurrences by local day (absent for a state).
    #[serde(default)]
    pub occurrences: BTreeMap<NaiveDate, u32>,
    /// Who governs the tenant-wide setting it is about, when the establishment does not
    /// (absent from findings stored before 0.x and from the establishment's own).
    #[serde(default)]
    pub governed_by: Option<String>,
}

/// An `Option` field that must be present (as `null` when empty): serde reads a missing
/// `Option` as `None` unless it goes through a function.
fn required<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)
}

impl FindingData {
    pub fn parse(f: &StoredFinding) -> Result<FindingData, ReportError> {
        serde_json::from_str(&f.data).map_err(|e| ReportError::Corrupt {
            what: format!("constat {} {}", f.check, f.subject),
            detail: e.to_string(),
        })
    }
}

/// An exception in force, as a row shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionInfo {
    pub justification: String,
    pub responsable: String,
    pub expiration: NaiveDate,
}

/// One finding of the night (a CSV row, a JSON line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub nuit: NaiveDate,
    pub statut: &'static str,
    #[serde(serialize_with = "severity_label")]
    pub gravite: Severity,
    pub controle: CheckId,
    pub titre: String,
    pub sujet: String,
    pub population: String,
    pub preuve: String,
    pub reference: String,
    pub premiere_detection: Option<NaiveDate>,
    pub exception: Option<ExceptionInfo>,
    pub exception_expiree: Option<NaiveDate>,
    /// Forwarding only: `Some(true)` when the tenant's controls would block it, `None`
    /// when unknown or not applicable.
    pub bloquee_par_locataire: Option<bool>,
    /// `état` or `événement` (RULES.md, "Events and states").
    pub nature: &'static str,
    /// An event: how many times it happened in the evaluation window, first and last day.
    pub occurrences: Option<u32>,
    pub premiere_occurrence: Option<NaiveDate>,
    pub derniere_occurrence: Option<NaiveDate>,
    /// A « contrôle du locataire »: who governs the tenant-wide setting (status
    /// [`TENANT_CONTROL`], never counted among the establishment's findings).
    pub gouverne_par: Option<String>,
}

/// The status of a finding about a tenant-wide setting the establishment does not govern.
pub const TENANT_CONTROL: &str = "contrôle du locataire";

/// A severity as rows show it: its French label.
fn severity_label<S: serde::Serializer>(s: &Severity, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(s.label())
}

/// A check left out that night, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotEvaluated {
    pub check: CheckId,
    pub reason: String,
}

/// Everything the nightly outputs say about one night.
#[derive(Debug, Clone)]
pub struct Nightly {
    pub establishment: String,
    pub run: RunRow,
    pub rows: Vec<Row>,
    pub new: usize,
    pub reopened: usize,
    pub still_open: usize,
    pub accepted: usize,
    pub expired: usize,
    /// Event findings of the night (counted apart: never « ouvert » nor « résolu »).
    pub events: usize,
    /// Findings about tenant-wide settings governed outside the establishment (counted
    /// apart, in no other total).
    pub tenant: usize,
    /// Findings resolved that night: (check, subject).
    pub resolved: Vec<(String, String)>,
    /// Open, not accepted, by severity.
    pub open_by_severity: BTreeMap<Severity, usize>,
    pub not_evaluated: Vec<NotEvaluated>,
    pub sources_not_collected: Vec<SourceRow>,
}

impl Nightly {
    /// Some source or check was left out: the night is not whole.
    pub fn is_partial(&self) -> bool {
        !self.not_evaluated.is_empty()
            || !self.sources_not_collected.is_empty()
            || self.run.status != RunStatus::Complete
    }

    /// `constats-AAAA-MM-JJ`
    pub fn stem(&self) -> String {
        format!("constats-{}", self.run.night)
    }
}

/// Reads the night `night` (default: the latest evaluated night) from the store.
pub fn build(
    store: &Store,
    night: Option<NaiveDate>,
    establishment: &str,
) -> Result<Nightly, ReportError> {
    let evaluation = find_evaluation(store, night)?;
    let run = store
        .runs()?
        .into_iter()
        .find(|r| r.id == evaluation.run)
        .ok_or_else(|| ReportError::Corrupt {
            what: format!("évaluation de la collecte n° {}", evaluation.run),
            detail: "collecte introuvable".into(),
        })?;
    let sources = store.sources(run.id)?;
    let events = store.finding_events_until(run.night, registry::readable_ids())?;
    let lifecycle = Lifecycle::of(&events, run.id);
    let mut out = Nightly {
        establishment: establishment.to_string(),
        run: run.clone(),
        rows: Vec::new(),
        new: 0,
        reopened: 0,
        still_open: 0,
        accepted: 0,
        expired: 0,
        events: 0,
        tenant: 0,
        resolved: events
            .iter()
            .filter(|e| e.run == run.id && e.event == Event::Resolved)
            .map(|e| (e.check.to_string(), e.subject.clone()))
            .collect(),
        open_by_severity: BTreeMap::new(),
        not_evaluated: not_evaluated(&evaluation.not_evaluated, &sources),
        sources_not_collected: sources
            .iter()
            .filter(|s| s.status != SourceStatus::Collected)
            .cloned()
            .collect(),
    };
    for f in store.findings_of(run.id, registry::readable_ids())? {
        let row = out.count(f, &lifecycle)?;
        out.rows.push(row);
    }
    out.rows.sort_by(|a, b| {
        (a.gravite, a.controle.as_str(), &a.sujet).cmp(&(b.gravite, b.controle.as_str(), &b.sujet))
    });
    // Then what the checks judged by evidence left out, mailbox by mailbox.
    for p in store.partial_of(run.id, registry::readable_ids())? {
        out.rows.push(partial_row(run.night, p));
    }
    Ok(out)
}

/// The status of a row that is no finding: a part of a check the night could not judge.
pub const PARTIAL: &str = "évalué en partie";

/// A part of a check left out that night (a mailbox whose forward could not be resolved, or
/// a whole kind of evidence), as a row: status « évalué en partie », the reason as evidence,
/// the population unknown. Not counted among the findings.
fn partial_row(night: NaiveDate, p: PartialRow) -> Row {
    let info = registry::get(p.check.as_str());
    Row {
        nuit: night,
        statut: PARTIAL,
        gravite: info.map(|i| i.severity).unwrap_or(Severity::Faible),
        controle: p.check,
        titre: registry::title_fr(p.check.as_str()).unwrap_or_default(),
        sujet: if p.subject.is_empty() {
            "toutes les boîtes".into()
        } else {
            p.subject
        },
        population: "inconnue".into(),
        preuve: p.reason,
        reference: info.map(|i| i.reference.to_string()).unwrap_or_default(),
        premiere_detection: None,
        exception: None,
        exception_expiree: None,
        bloquee_par_locataire: None,
        nature: "état",
        occurrences: None,
        premiere_occurrence: None,
        derniere_occurrence: None,
        gouverne_par: None,
    }
}

/// The evaluation of `night` (default: the latest); when there is none, the error names the
/// evaluated nights around it.
fn find_evaluation(store: &Store, night: Option<NaiveDate>) -> Result<EvaluationRow, ReportError> {
    // Dates are compared as ISO text in the store: stay within four-digit years.
    let far = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
    let evaluations = store.evaluations_until(night.unwrap_or(far), registry::readable_ids())?;
    let evaluation = match night {
        Some(n) => evaluations.iter().rev().find(|e| e.night == n),
        None => evaluations.last(),
    };
    if let Some(e) = evaluation {
        return Ok(e.clone());
    }
    Err(match night {
        None => ReportError::NothingEvaluated(store.path().display().to_string()),
        Some(n) => {
            let all = store.evaluations_until(far, registry::readable_ids())?;
            let before = all.iter().rev().find(|e| e.night < n).map(|e| e.night);
            let after = all.iter().find(|e| e.night > n).map(|e| e.night);
            let known: Vec<String> = [before, after]
                .into_iter()
                .flatten()
                .map(|d| d.to_string())
                .collect();
            ReportError::NoSuchNight {
                night: n,
                known: known.join(", "),
            }
        }
    })
}

/// What the lifecycle events say of each finding (check, subject): the night it was first
/// seen, and what happened to it during the run of the night (`new`, `reopened`, ...).
struct Lifecycle<'e> {
    first_seen: HashMap<(CheckId, &'e str), NaiveDate>,
    tonight: HashMap<(CheckId, &'e str), Event>,
}

impl<'e> Lifecycle<'e> {
    fn of(events: &'e [FindingEvent], run: i64) -> Self {
        let mut l = Lifecycle {
            first_seen: HashMap::new(),
            tonight: HashMap::new(),
        };
        for e in events {
            let key = (e.check, e.subject.as_str());
            l.first_seen.entry(key).or_insert(e.night);
            if e.run == run {
                l.tonight.insert(key, e.event);
            }
        }
        l
    }
}

impl Nightly {
    /// Counts a finding of the night in the totals and returns its row.
    fn count(&mut self, f: StoredFinding, lifecycle: &Lifecycle<'_>) -> Result<Row, ReportError> {
        let data = FindingData::parse(&f)?;
        let key = (f.check, f.subject.as_str());
        // The store gives back ids of the registry or of a retired check (`checks/retired.rs`).
        let info = registry::get(f.check.as_str());
        let is_event = info.is_some_and(|i| i.kind == Kind::Event);
        // No event tonight: the finding was already open.
        let event = lifecycle.tonight.get(&key).copied();
        match event {
            _ if data.governed_by.is_some() => self.tenant += 1,
            _ if is_event => self.events += 1,
            Some(Event::New) => self.new += 1,
            Some(Event::Reopened) => self.reopened += 1,
            Some(Event::Resolved | Event::Ended) | None => self.still_open += 1,
        }
        let statut = if data.governed_by.is_some() {
            TENANT_CONTROL
        } else if data.accepted.is_some() {
            self.accepted += 1;
            "accepté"
        } else if data.exception_expired.is_some() {
            self.expired += 1;
            "exception expirée"
        } else if is_event {
            "événement"
        } else {
            match event {
                Some(Event::New) => "nouveau",
                Some(Event::Reopened) => "rouvert",
                Some(Event::Resolved | Event::Ended) | None => "ouvert",
            }
        };
        if data.accepted.is_none() && data.governed_by.is_none() {
            *self.open_by_severity.entry(f.severity).or_insert(0) += 1;
        }
        let occurrences = is_event.then(|| data.occurrences.values().sum::<u32>());
        Ok(Row {
            nature: if is_event { "événement" } else { "état" },
            occurrences,
            premiere_occurrence: data.occurrences.keys().next().copied(),
            derniere_occurrence: data.occurrences.keys().next_back().copied(),
            nuit: self.run.night,
            statut,
            gravite: f.severity,
            titre: registry::title_fr(f.check.as_str()).unwrap_or_default(),
            reference: info.map(|i| i.reference.to_string()).unwrap_or_default(),
            premiere_detection: lifecycle.first_seen.get(&key).copied(),
            sujet: f.subject.clone(),
            population: f.population.label_fr().to_string(),
            preuve: data.evidence,
            exception: data.accepted.map(|a| ExceptionInfo {
                justification: a.justification,
                responsable: a.owner,
                expiration: a.expires,
            }),
            exception_expiree: data.exception_expired,
            bloquee_par_locataire: data.blocked_by_tenant,
            gouverne_par: data.governed_by,
            controle: f.check,
        })
    }
}

/// The checks left out and why (the sources they need that were not collected).
fn not_evaluated(ids: &[CheckId], sources: &[SourceRow]) -> Vec<NotEvaluated> {
    ids.iter()
        .map(|id| {
            let reasons: Vec<String> = registry::get(id.as_str())
                .map(crate::checks::possible_needs)
                .unwrap_or_default()
                .iter()
                .filter_map(|need| {
                    let row = sources.iter().find(|s| s.source == *need);
                    match row {
                        Some(s) if s.status == SourceStatus::Collected => None,
                        Some(s) => Some(match &s.reason {
                            Some(r) => format!("source « {need} » non collectée : {r}"),
                            None => format!("source « {need} » non collectée"),
                        }),
                        None => Some(format!("source « {need} » absente de la collecte")),
                    }
                })
                .collect();
            NotEvaluated {
                check: *id,
                reason: if reasons.is_empty() {
                    "non évalué".into()
                } else {
                    reasons.join(" ; ")
                },
            }
        })
        .collect()
}

fn blocked_fr(r: &Row) -> &'static str {
    match r.bloquee_par_locataire {
        Some(true) => "oui",
        Some(false) => "non",
        None if registry::has_tag(r.controle.as_str(), Tag::TenantCanBlock) => "inconnu",
        None => "",
    }
}

/// The CSV: UTF-8 with BOM, `;`, CRLF, French headers, formula-like cells neutralised.
pub fn csv_bytes(rows: &[Row]) -> Result<Vec<u8>, ReportError> {
    let head = [
        "Nuit",
        "Statut",
        "Gravité",
        "Contrôle",
        "Titre",
        "Sujet",
        "Population",
        "Preuve",
        "Référence",
        "Première détection",
        "Justification de l'exception",
        "Responsable de l'exception",
        "Expiration de l'exception",
        "Exception expirée le",
        "Bloquée par le locataire",
        "Nature",
        "Occurrences dans la fenêtre",
        "Première occurrence",
        "Dernière occurrence",
        "Gouverné par",
    ];
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let cells = [
            r.nuit.to_string(),
            r.statut.to_string(),
            r.gravite.label().to_string(),
            r.controle.to_string(),
            r.titre.clone(),
            r.sujet.clone(),
            r.population.clone(),
            r.preuve.clone(),
            r.reference.clone(),
            date(r.premiere_detection),
            r.exception
                .as_ref()
                .map(|e| e.justification.clone())
                .unwrap_or_default(),
            r.exception
                .as_ref()
                .map(|e| e.responsable.clone())
                .unwrap_or_default(),
            date(r.exception.as_ref().map(|e| e.expiration)),
            date(r.exception_expiree),
            blocked_fr(r).to_string(),
            r.nature.to_string(),
            r.occurrences.map(|n| n.to_string()).unwrap_or_default(),
            date(r.premiere_occurrence),
            date(r.derniere_occurrence),
            r.gouverne_par.clone().unwrap_or_default(),
        ];
        out.push(cells.to_vec());
    }
    output::csv_bytes(&head, out)
}

/// The JSON Lines: one row per line, raw values (JSON is data, not a spreadsheet), control
/// and bidirectional characters written as escapes ([`escape::json`]).
pub fn jsonl_bytes(rows: &[Row]) -> Result<Vec<u8>, ReportError> {
    let mut out = Vec::new();
    for r in rows {
        let line = serde_json::to_string(r).map_err(|e| ReportError::Corrupt {
            what: "JSON Lines".into(),
            detail: e.to_string(),
        })?;
        out.extend_from_slice(escape::json(&line).as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

/// Writes the CSV and the JSON Lines into `dir` (created 0700). Returns their paths.
pub fn write(n: &Nightly, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    output::private_dir(dir)?;
    let stem = n.stem();
    Ok(vec![
        output::write_atomic(dir, &format!("{stem}.csv"), &csv_bytes(&n.rows)?)?,
        output::write_atomic(dir, &format!("{stem}.jsonl"), &jsonl_bytes(&n.rows)?)?,
    ])
}

const LIST_MAX: usize = 40;

fn status_fr(s: RunStatus) -> &'static str {
    match s {
        RunStatus::Complete => "complète",
        RunStatus::Partial => "partielle",
        RunStatus::Failed => "échouée",
        RunStatus::Interrupted => "interrompue",
        RunStatus::Running => "en cours",
    }
}

/// The French summary (template `resume-nuit.txt`), terminal-safe.
pub fn summary(
    n: &Nightly,
    files: &[PathBuf],
    templates: Option<&Path>,
) -> Result<String, ReportError> {
    let mut v: BTreeMap<&str, String> = BTreeMap::new();
    v.insert("nuit", n.run.night.to_string());
    v.insert("etablissement", terminal(&n.establishment));
    v.insert("collecte", n.run.id.to_string());
    v.insert("etat_collecte", status_fr(n.run.status).to_string());
    v.insert("totaux", totals_fr(n));
    v.insert("par_gravite", by_severity_fr(n));
    v.insert("nouveaux", list("Nouveaux et rouverts", fresh_lines(n)));
    v.insert("expirees", list("Exceptions expirées", expired_lines(n)));
    v.insert(
        "locataire",
        list(
            "Contrôles du locataire (réglages gouvernés hors de l'établissement, hors des totaux)",
            tenant_lines(n),
        ),
    );
    let resolved: Vec<String> = n
        .resolved
        .iter()
        .map(|(c, s)| format!("{c} — {s}"))
        .collect();
    v.insert("resolus", list("Résolus cette nuit", resolved));
    let skipped: Vec<String> = n
        .not_evaluated
        .iter()
        .map(|x| format!("{} — {}", x.check, x.reason))
        .collect();
    v.insert(
        "non_evalues",
        list(
            "NON ÉVALUÉS (leur absence ne veut pas dire conforme)",
            skipped,
        ),
    );
    v.insert(
        "sources",
        list(
            "Sources non collectées",
            source_lines(&n.sources_not_collected),
        ),
    );
    let written: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    v.insert("fichiers", list("Fichiers écrits", written));
    let text = Template::load("resume-nuit.txt", templates)?.render(&v)?;
    // Empty blocks leave empty lines: drop them.
    let mut out: String = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    Ok(out)
}

fn terminal(s: &str) -> String {
    escape::terminal(s).into_owned()
}

fn totals_fr(n: &Nightly) -> String {
    let tenant = if n.tenant > 0 {
        format!(
            " ; {} contrôle(s) du locataire, gouverné(s) hors de l'établissement (comptés à part, hors de « À corriger »)",
            n.tenant
        )
    } else {
        String::new()
    };
    format!(
        "{} constat(s) : {} nouveau(x), {} rouvert(s), {} toujours ouvert(s), {} événement(s) de la fenêtre (comptés, jamais « corrigés ») ; {} accepté(s) (exception en vigueur), {} exception(s) expirée(s) ; {} résolu(s) cette nuit{}.",
        n.rows.len(),
        n.new,
        n.reopened,
        n.still_open,
        n.events,
        n.accepted,
        n.expired,
        n.resolved.len(),
        tenant
    )
}

fn by_severity_fr(n: &Nightly) -> String {
    format!(
        "À corriger, par gravité : {}.",
        Severity::ALL
            .iter()
            .map(|s| format!(
                "{} {}",
                s.label(),
                n.open_by_severity.get(s).copied().unwrap_or(0)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A titled list of at most [`LIST_MAX`] lines, terminal-safe; empty when there is nothing.
fn list(title: &str, items: Vec<String>) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut s = format!("{title} ({}) :\n", items.len());
    for i in items.iter().take(LIST_MAX) {
        s.push_str("  ");
        s.push_str(&terminal(i));
        s.push('\n');
    }
    if items.len() > LIST_MAX {
        s.push_str(&format!(
            "  … et {} autre(s) : voir le fichier CSV.\n",
            items.len() - LIST_MAX
        ));
    }
    s
}

fn fresh_lines(n: &Nightly) -> Vec<String> {
    n.rows
        .iter()
        .filter(|r| r.statut == "nouveau" || r.statut == "rouvert")
        .map(|r| {
            format!(
                "[{}] {} {} — {} ({})",
                r.gravite.label(),
                r.controle,
                r.titre,
                r.sujet,
                r.statut
            )
        })
        .collect()
}

fn tenant_lines(n: &Nightly) -> Vec<String> {
    n.rows
        .iter()
        .filter(|r| r.statut == TENANT_CONTROL)
        .map(|r| {
            format!(
                "[{}] {} {} — {} (gouverné par {})",
                r.gravite.label(),
                r.controle,
                r.titre,
                r.sujet,
                r.gouverne_par.as_deref().unwrap_or_default()
            )
        })
        .collect()
}

fn expired_lines(n: &Nightly) -> Vec<String> {
    n.rows
        .iter()
        .filter(|r| r.exception_expiree.is_some())
        .map(|r| {
            format!(
                "{} — {} (exception expirée le {})",
                r.controle,
                r.sujet,
                r.exception_expiree
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            )
        })
        .collect()
}

fn source_lines(sources: &[SourceRow]) -> Vec<String> {
    sources
        .iter()
        .map(|s| {
            let mut l = format!(
                "{} — {}",
                s.source,
                match s.status {
                    SourceStatus::NotCollected => "non collectée",
                    SourceStatus::Failed => "échec",
                    _ => "incomplète",
                }
            );
            if let Some(r) = &s.reason {
                l.push_str(&format!(" : {r}"));
            }
            if let Some(p) = &s.permission {
                l.push_str(&format!(" (autorisation : {p})"));
            }
            if s.source == GROUP_MEMBERS {
                l.push_str(PHYSICIANS_UNREAD);
            }
            l
        })
        .collect()
}

/// The source of the members of the groups classification names.
const GROUP_MEMBERS: &str = "group-members";

/// What a night without the group members does to the population of findings and figures:
/// said, never silent (the members stored by the last night that read them still count; an
/// account never read as a member counts as « personnel »).
pub const PHYSICIANS_UNREAD: &str = " — groupe des médecins non lu cette nuit : si \
    [classification] medecin_groupes nomme des groupes, un médecin reconnu seulement par l'un \
    d'eux garde la population des membres lus à la dernière collecte réussie, ou compte comme \
    « personnel » s'il n'y a jamais été lu (population des constats et chiffres incertaine)";

#[cfg(test)]
mod tests {
    use super::*;

    fn row(subject: &str, evidence: &str) -> Row {
        Row {
            nuit: NaiveDate::from_ymd_opt(2026, 3, 9).unwrap_or_default(),
            statut: "nouveau",
            gravite: Severity::Critique,
            controle: CheckId::declared("FWD-PUB-01"),
            titre: "Redirection automatique vers une messagerie publique".into(),
            sujet: subject.into(),
            population: "médecin".into(),
            preuve: evidence.into(),
            reference: "MSSS-DIR04, art. 6 4° et 5°".into(),
            premiere_detection: NaiveDate::from_ymd_opt(2026, 3, 1),
            exception: None,
            exception_expiree: None,
            bloquee_par_locataire: None,
            nature: "état",
            occurrences: None,
            premiere_occurrence: None,
            derniere_occurrence: None,
            gouverne_par: None,
        }
    }

    #[test]
    fn group_members_not_collected_says_the_physicians_group_was_not_read() {
        let row = |source: &str| SourceRow {
            source: source.into(),
            status: SourceStatus::NotCollected,
            reason: Some("autorisation manquante".into()),
            permission: Some("GroupMember.Read.All".into()),
            records: 0,
            pages: 0,
        };
        let lines = source_lines(&[row("group-members"), row("sign-ins")]);
        assert!(
            lines[0].contains("groupe des médecins non lu cette nuit")
                && lines[0].contains("medecin_groupes")
                && lines[0].contains("« personnel »"),
            "{}",
            lines[0]
        );
        assert!(!lines[1].contains("médecins"), "{}", lines[1]);
    }

    #[test]
    fn a_stored_finding_without_its_evidence_is_refused_not_shown_empty() {
        let f = StoredFinding {
            check: CheckId::declared("FWD-PUB-01"),
            subject: "a@x.ca#boite>a@gmail.com".into(),
            severity: Severity::Critique,
            population: crate::finding::Population::Medecin,
            accepted: false,
            data: r#"{"blocked_by_tenant":null,"accepted":null,"exception_expired":null}"#.into(),
        };
        let e = FindingData::parse(&f).expect_err("refused").to_string();
        assert!(
            e.contains("FWD-PUB-01 a@x.ca#boite>a@gmail.com") && e.contains("evidence"),
            "{e}"
        );
        let f = StoredFinding {
            data: r#"{"evidence":"x","accepted":null,"exception_expired":null}"#.into(),
            ..f
        };
        let e = FindingData::parse(&f).expect_err("refused").to_string();
        assert!(e.contains("blocked_by_tenant"), "{e}");
    }

    #[test]
    fn csv_has_a_bom_semicolons_crlf_and_inert_cells() {
        let rows = vec![row(
            "=HYPERLINK(\"http://x\",\"y\")",
            "-1+2; « x »\n<script>",
        )];
        let bytes = csv_bytes(&rows).expect("csv");
        assert!(bytes.starts_with("\u{feff}Nuit;Statut;Gravité".as_bytes()));
        let text = String::from_utf8(bytes).expect("utf8");
        assert!(text.contains("\r\n"));
        let mut r = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let rec = r.records().next().expect("row").expect("parse");
        assert_eq!(&rec[5], "'=HYPERLINK(\"http://x\",\"y\")");
        assert_eq!(&rec[7], "'-1+2; « x »\n<script>");
        assert_eq!(&rec[14], "inconnu", "forwarding with unknown blocking");
        for cell in rec.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?}"
            );
        }
    }

    #[test]
    fn jsonl_keeps_raw_values_one_line_each() {
        let rows = vec![row("=x", "a\nb"), row("y", "z")];
        let text = String::from_utf8(jsonl_bytes(&rows).expect("jsonl")).expect("utf8");
        assert_eq!(text.lines().count(), 2);
        let v: serde_json::Value =
            serde_json::from_str(text.lines().next().unwrap_or("")).expect("json");
        assert_eq!(v["sujet"], "=x");
        assert_eq!(v["preuve"], "a\nb");
        assert_eq!(v["premiere_detection"], "2026-03-01");
    }
}
