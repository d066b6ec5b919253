//! The provincial night's attribution: how many accounts each establishment's perimeter
//! retains, the accounts no perimeter retains (« non attribué », reported, never dropped)
//! and those several perimeters retain (evaluated in each). Said in the night's summary and
//! written to `attribution-<nuit>.csv` in the provincial outputs, where the team that keeps
//! the perimeters finds which accounts to place.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::{ReportError, output};
use crate::config::Config;
use crate::model::Account;
use crate::store::{RunId, Store};

/// The attribution of a provincial night's accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    pub run: RunId,
    pub night: NaiveDate,
    /// Accounts read that night.
    pub accounts: usize,
    /// (code, name, accounts its perimeter retains), in the configuration's order.
    pub establishments: Vec<(String, String, usize)>,
    /// Accounts no perimeter retains: (UPN, display name, enabled).
    pub unattributed: Vec<(String, String, bool)>,
    /// Accounts several perimeters retain: (UPN, display name, enabled, their codes).
    pub several: Vec<(String, String, bool, Vec<String>)>,
}

/// Reads the attribution of the latest evaluable night from the store.
pub fn attribution(store: &Store, config: &Config) -> Result<Attribution, ReportError> {
    let run = store
        .latest_evaluable_run()?
        .ok_or_else(|| ReportError::Corrupt {
            what: "attribution".into(),
            detail: "aucune collecte évaluable dans la base".into(),
        })?;
    let mut counts: Vec<usize> = vec![0; config.establishments.len()];
    let (mut accounts, mut unattributed, mut several) = (0usize, Vec::new(), Vec::new());
    store.each_as_of::<Account>(run.id, |a| {
        accounts += 1;
        for e in &a.attribution {
            if let Some(i) = config.establishments.iter().position(|x| x.code == e.code) {
                counts[i] += 1;
            }
        }
        match a.attribution.len() {
            0 => unattributed.push((a.upn, a.display_name, a.enabled)),
            1 => {}
            _ => several.push((
                a.upn,
                a.display_name,
                a.enabled,
                a.attribution.into_iter().map(|e| e.code).collect(),
            )),
        }
        Ok(())
    })?;
    unattributed.sort();
    several.sort();
    Ok(Attribution {
        run: run.id,
        night: run.night,
        accounts,
        establishments: config
            .establishments
            .iter()
            .zip(counts)
            .map(|(e, n)| (e.code.clone(), e.name.clone(), n))
            .collect(),
        unattributed,
        several,
    })
}

/// The French summary of the attribution.
pub fn summary_fr(a: &Attribution) -> String {
    let mut out = format!(
        "\nAttribution des comptes du locataire (nuit du {}, collecte n° {}) : {} compte(s) lu(s).\n",
        a.night, a.run, a.accounts
    );
    for (code, name, n) in &a.establishments {
        out.push_str(&format!("  {name} ({code}) : {n} compte(s)\n"));
    }
    out.push_str(&format!(
        "  Non attribués (aucun périmètre ne les retient) : {} compte(s), dont {} actif(s) — évalués à part (« {} »)\n",
        a.unattributed.len(),
        a.unattributed.iter().filter(|(_, _, on)| *on).count(),
        crate::config::UNATTRIBUTED_CODE
    ));
    if !a.several.is_empty() {
        out.push_str(&format!(
            "  Retenus par plusieurs périmètres : {} compte(s), évalués dans chacun ; correctif : \
             préciser les [etablissements.perimetre] pour qu'un seul les retienne\n",
            a.several.len()
        ));
    }
    out
}

/// Writes `attribution-<nuit>.csv` into `dir`: one row per account not attributed, or
/// attributed to several establishments.
pub fn write(a: &Attribution, dir: &Path) -> Result<PathBuf, ReportError> {
    output::private_dir(dir)?;
    let rows = a
        .unattributed
        .iter()
        .map(|(upn, name, on)| {
            vec![
                upn.clone(),
                name.clone(),
                if *on { "oui" } else { "non" }.to_string(),
                "non attribué".to_string(),
                String::new(),
            ]
        })
        .chain(a.several.iter().map(|(upn, name, on, codes)| {
            vec![
                upn.clone(),
                name.clone(),
                if *on { "oui" } else { "non" }.to_string(),
                "plusieurs établissements".to_string(),
                codes.join(", "),
            ]
        }));
    let bytes = output::csv_bytes(
        &[
            "Compte",
            "Nom affiché",
            "Actif",
            "Attribution",
            "Établissements",
        ],
        rows,
    )?;
    output::write_atomic(dir, &format!("attribution-{}.csv", a.night), &bytes)
}
