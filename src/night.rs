//! The nightly job's stages after collection: evaluate the latest night into findings and
//! their lifecycle, and summarise it in French. (`vigie365 run` = collect → evaluate →
//! report.) This is the only place where checks' results meet the store.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::checks::load::Keep;
use crate::checks::{self, Severity, Snapshot};
use crate::config::Config;
use crate::finding::CheckId;
use crate::store::{LifecycleDelta, NightRecord, RunId, Store, StoreError, StoredFinding};

#[derive(Debug, thiserror::Error)]
pub enum NightError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Snapshot(#[from] checks::load::SnapshotError),
    #[error(
        "aucune collecte exploitable dans la base {0} : lancez d'abord `vigie365 collect` (ou `vigie365 run`)"
    )]
    NothingCollected(String),
    #[error("connexions illisibles dans la base pendant l'évaluation : {0}")]
    SignIns(String),
    #[error("constat {check} « {subject} » impossible à enregistrer dans la base : {source}")]
    Unstorable {
        check: &'static str,
        subject: String,
        source: serde_json::Error,
    },
    /// `evaluate --explain` named an account the latest collection does not hold.
    #[error(
        "aucun compte « {upn} » dans la collecte n° {run} (nuit du {night}) : vérifiez l'UPN \
         (adresse de connexion complète, ex. prenom.nom@domaine)"
    )]
    UnknownAccount {
        upn: String,
        run: RunId,
        night: chrono::NaiveDate,
    },
}

/// What `evaluate` found for a night.
#[derive(Debug, Clone, Serialize)]
pub struct EvaluationSummary {
    pub run: RunId,
    pub night: chrono::NaiveDate,
    pub delta: LifecycleDelta,
    pub open_by_severity: BTreeMap<Severity, usize>,
    pub accepted: usize,
    /// Findings about tenant-wide settings governed outside the establishment.
    pub tenant: usize,
    pub total: usize,
    pub not_evaluated: Vec<checks::NotEvaluated>,
}

/// Evaluates the latest collected night and records its findings and posture.
pub fn evaluate_latest(
    store: &mut Store,
    config: &Config,
) -> Result<(EvaluationSummary, checks::Evaluation), NightError> {
    let run = store
        .latest_evaluable_run()?
        .ok_or_else(|| NightError::NothingCollected(store.path().display().to_string()))?;
    let snapshot = Snapshot::load(store, run.id, config)?;
    let evaluation = checks::evaluate(&snapshot, config);
    let posture = checks::posture::compute(&snapshot, config);
    // A sign-in the store could not give back fails the night: never read as "none".
    if let Some(e) = snapshot.read_error() {
        return Err(NightError::SignIns(e.to_string()));
    }
    // What the checks judged by evidence left out, mailbox by mailbox.
    let blind = checks::forwarding::blind_spot_details(&snapshot);
    let partial: Vec<crate::store::PartialRow> = evaluation
        .not_evaluated
        .iter()
        .filter(|n| checks::registry::get(n.check).is_some_and(|c| c.has(checks::Tag::ByEvidence)))
        .filter(|n| n.reason.starts_with("évalué en partie"))
        .flat_map(|n| {
            blind.iter().map(|b| crate::store::PartialRow {
                check: CheckId::declared(n.check),
                subject: b.subject.clone().unwrap_or_default(),
                reason: b.reason.clone(),
            })
        })
        .collect();
    drop(snapshot);
    let stored = evaluation
        .findings
        .iter()
        .map(|f| {
            StoredFinding::try_from(f).map_err(|source| NightError::Unstorable {
                check: f.check,
                subject: f.subject.clone(),
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let skipped: Vec<CheckId> = evaluation
        .not_evaluated
        .iter()
        .map(|n| CheckId::declared(n.check))
        .collect();
    let events: Vec<CheckId> = checks::REGISTRY
        .iter()
        .filter(|c| c.kind == checks::Kind::Event)
        .map(|c| CheckId::declared(c.id))
        .collect();
    let record = NightRecord {
        findings: &stored,
        not_evaluated: &skipped,
        events: &events,
        posture: &posture,
        partial: &partial,
    };
    // Findings, posture and the parts left out: one transaction, so a killed evaluation
    // leaves the night as it was, never findings without their « évalué en partie » rows.
    let delta = store.record_night(run.id, run.night, run.as_of, record)?;
    let mut open_by_severity = BTreeMap::new();
    for f in evaluation
        .findings
        .iter()
        .filter(|f| f.is_the_establishments_to_fix())
    {
        *open_by_severity.entry(f.severity).or_insert(0) += 1;
    }
    let summary = EvaluationSummary {
        run: run.id,
        night: run.night,
        delta,
        open_by_severity,
        accepted: evaluation
            .findings
            .iter()
            .filter(|f| f.is_accepted())
            .count(),
        tenant: evaluation
            .findings
            .iter()
            .filter(|f| f.governed_by.is_some())
            .count(),
        total: evaluation.findings.len(),
        not_evaluated: evaluation.not_evaluated.clone(),
    };
    Ok((summary, evaluation))
}

/// Tenant strings made safe for a terminal (no control characters, no bidirectional
/// overrides, bounded length).
fn inert(s: &str) -> std::borrow::Cow<'_, str> {
    crate::report::escape::terminal(s)
}

/// The French summary printed on stdout (and in the cron mail).
pub fn summary_fr(s: &EvaluationSummary) -> String {
    let mut out = format!(
        "Évaluation de la nuit du {} (collecte n° {}) : {} constat(s), dont {} nouveau(x), {} rouvert(s), {} toujours ouvert(s) ; {} résolu(s) cette nuit ; {} risque(s) accepté(s).\n",
        s.night,
        s.run,
        s.total,
        s.delta.new.len(),
        s.delta.reopened.len(),
        s.delta.still_open,
        s.delta.resolved.len(),
        s.accepted
    );
    if s.tenant > 0 {
        out.push_str(&format!(
            "  Dont {} contrôle(s) du locataire : réglages de tout le locataire, gouvernés hors de l'établissement (comptés à part, hors de « À corriger »).\n",
            s.tenant
        ));
    }
    if !s.open_by_severity.is_empty() {
        let parts: Vec<String> = s
            .open_by_severity
            .iter()
            .map(|(sev, n)| format!("{} : {n}", sev.label()))
            .collect();
        out.push_str(&format!(
            "  À corriger, par gravité — {}\n",
            parts.join(", ")
        ));
    }
    for n in &s.not_evaluated {
        out.push_str(&format!(
            "  NON ÉVALUÉ {} — {}\n",
            n.check,
            inert(&n.reason)
        ));
    }
    out
}

/// The `--explain` lines on conditional access: which policy enforces MFA on the account
/// (or why none does, policy by policy) and, for a generic account, which one enforces its
/// fixed addresses.
fn conditional_access(
    snap: &Snapshot,
    config: &Config,
    account_id: &str,
    class: crate::classify::Class,
) -> String {
    use checks::ca_scope::UsageFrom;
    let coverage = checks::mfa::account_coverage(snap, config, account_id, class);
    let usage = match coverage.usage.from {
        UsageFrom::SignIns(n) => format!("d'après ses {n} connexion(s) réussie(s) de la fenêtre"),
        UsageFrom::Allowed => "sans connexion : d'après ses applications permises".to_string(),
        UsageFrom::Unknown => {
            "usage inconnu : une stratégie doit viser toutes les applications".to_string()
        }
    };
    let apps: Vec<&str> = coverage.usage.apps.iter().map(|a| a.label()).collect();
    let mut out = format!(
        "  accès conditionnel ({usage}{}) :\n",
        if apps.is_empty() {
            String::new()
        } else {
            format!(" ; applications : {}", apps.join(", "))
        }
    );
    let verdict = if coverage.is_covered() {
        format!(
            "couverte par {}",
            coverage
                .covering()
                .iter()
                .map(|n| format!("« {} »", inert(n)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        "NON couverte".to_string()
    };
    out.push_str(&format!("    MFA imposée : {verdict}\n"));
    for s in &coverage.stands {
        out.push_str(&format!(
            "      « {} » : {}\n",
            inert(&s.policy.name),
            inert(&s.describe())
        ));
    }
    out.push_str(&format!(
        "      MFA par utilisateur : {}\n",
        inert(&checks::mfa::per_user_state(snap, account_id))
    ));
    let note = coverage.role_note();
    if !note.is_empty() {
        out.push_str(&format!(
            "      {}\n",
            inert(note.trim_start_matches(" ; "))
        ));
    }
    if class == crate::classify::Class::Generique {
        let e = checks::generic::gen_ip_02::enforcement(snap, config, account_id);
        out.push_str(&format!(
            "    adresse IP fixe imposée : {}\n",
            if e.is_enforced() { "oui" } else { "NON" }
        ));
        if e.stands.is_empty() {
            out.push_str(&format!("      {}\n", inert(&e.describe())));
        }
        for s in &e.stands {
            out.push_str(&format!(
                "      « {} » : {}\n",
                inert(&s.policy.name),
                inert(&s.describe())
            ));
        }
    }
    out
}

/// `vigie365 evaluate --explain <upn>`: why an account got its class, and what each check
/// made of it on the latest collected night.
pub fn explain(store: &Store, config: &Config, upn: &str) -> Result<String, NightError> {
    let run = store
        .latest_evaluable_run()?
        .ok_or_else(|| NightError::NothingCollected(store.path().display().to_string()))?;
    let wanted = upn.trim().to_lowercase();
    let snap = Snapshot::load_keeping(store, run.id, config, Keep::FlaggableAnd(&wanted))?;
    let Some((account, class)) = snap.classified().find(|(a, _)| a.upn == wanted) else {
        if config.perimeter.is_some() {
            // Nothing else is said of it: not even whether the tenant has it.
            return Ok(format!(
                "Compte {} : {}\n",
                inert(&wanted),
                crate::perimeter::OUTSIDE_FR
            ));
        }
        return Err(NightError::UnknownAccount {
            upn: wanted,
            run: run.id,
            night: run.night,
        });
    };
    let mut out = String::new();
    out.push_str(&format!(
        "Compte {} (« {} »), collecte n° {} de la nuit du {}\n",
        inert(&account.upn),
        inert(&account.display_name),
        run.id,
        run.night
    ));
    if config.perimeter.is_some() {
        out.push_str(&format!(
            "  périmètre : {}\n",
            inert(&crate::perimeter::explain_fr(&account.perimeter))
        ));
    }
    // The provincial mode: the establishments whose perimeter retains it, and why.
    if config.is_provincial() {
        if account.attribution.is_empty() {
            out.push_str(&format!(
                "  établissement : non attribué (aucun périmètre de [[etablissements]] ne le \
                 retient ; évalué avec « {} »)\n",
                crate::config::UNATTRIBUTED_CODE
            ));
        }
        for e in &account.attribution {
            let name = config
                .establishment(&e.code)
                .map_or("?", |x| x.name.as_str());
            out.push_str(&format!(
                "  établissement : {} ({}) — {}\n",
                inert(name),
                inert(&e.code),
                inert(&crate::perimeter::explain_fr(&e.reasons))
            ));
        }
    }
    out.push_str(&format!(
        "  classe : {}{} — {}\n",
        class.class.label_fr(),
        if class.also_appli {
            " et de type « Appli »"
        } else {
            ""
        },
        inert(&class.reason)
    ));
    out.push_str(&format!(
        "  population : {}{} ; actif : {} ; invité : {}\n",
        class.population.as_str(),
        match &class.population_reason {
            Some(why) => format!(" ({})", inert(why)),
            None => String::new(),
        },
        if class.enabled {
            "oui"
        } else {
            "non (écarté des contrôles d'usage)"
        },
        if class.guest {
            "oui (écarté des contrôles de compte)"
        } else {
            "non"
        }
    ));
    match snap.registrations.get(&account.id) {
        Some(r) => out.push_str(&format!(
            "  MFA : enregistrée {} ; capable {} ; méthodes : {}\n",
            if r.mfa_registered { "oui" } else { "non" },
            if r.mfa_capable { "oui" } else { "non" },
            if r.methods.is_empty() {
                "aucune".to_string()
            } else {
                inert(&r.methods.join(", ")).into_owned()
            }
        )),
        None => out.push_str("  MFA : inconnue (aucune ligne d'inscription)\n"),
    }
    out.push_str(&conditional_access(&snap, config, &account.id, class.class));
    let signins = snap.signins_of(&account.id, config).len();
    out.push_str(&format!(
        "  connexions lues dans la fenêtre d'évaluation : {signins}\n"
    ));
    let evaluation = checks::evaluate(&snap, config);
    out.push_str("  contrôles :\n");
    for info in checks::REGISTRY {
        if let Some(n) = evaluation.not_evaluated.iter().find(|n| n.check == info.id) {
            out.push_str(&format!(
                "    {:<11} non évalué — {}\n",
                info.id,
                inert(&n.reason)
            ));
            continue;
        }
        let mine: Vec<&checks::Finding> = evaluation
            .findings
            .iter()
            .filter(|f| {
                f.check == info.id
                    && (f.subject == account.upn
                        || f.subject.starts_with(&format!("{}#", account.upn)))
            })
            .collect();
        if mine.is_empty() {
            out.push_str(&format!("    {:<11} aucun constat\n", info.id));
        }
        for f in mine {
            out.push_str(&format!(
                "    {:<11} CONSTAT {} — {}\n",
                info.id,
                f.severity.label(),
                inert(&f.evidence)
            ));
        }
    }
    Ok(out)
}
