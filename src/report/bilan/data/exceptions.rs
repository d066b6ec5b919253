//! The exceptions (accepted risks) met during the period: under which justification and
//! owner, for how many nights, and what became of them at the end.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use super::episode::{Key, open_at};
use super::input::{Input, Seen};

/// An exception (accepted risk) met during the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceptionBilan {
    pub controle: String,
    #[serde(skip)]
    pub sujet: String,
    pub population: String,
    /// Empty when the store only knows its expiry (it expired before the period).
    pub justification: String,
    /// As written in the configuration, which may name a person: HTML, Markdown and CSV
    /// annex only, never the JSON for consolidation.
    #[serde(skip)]
    pub responsable: String,
    pub expiration: NaiveDate,
    /// Nights of the period the finding was accepted under it.
    pub nuits_acceptees: u32,
    pub premiere_nuit: Option<NaiveDate>,
    pub derniere_nuit: Option<NaiveDate>,
    /// `en_vigueur`, `expiree` (finding still open), `constat_corrige`.
    pub etat_fin: &'static str,
}

/// (check, subject, justification, owner, expiry).
type Accepted = (String, String, String, String, NaiveDate);

/// Exception → (nights accepted, first, last).
type Nights = BTreeMap<Accepted, (u32, NaiveDate, NaiveDate)>;

pub(super) fn build(input: &Input, seen: &HashMap<Key, Seen>) -> Vec<ExceptionBilan> {
    let (accepted, expired) = met(input);
    let open_end = |key: &Key| {
        input
            .episodes
            .get(key)
            .is_some_and(|l| open_at(l, input.fin))
    };
    let population = |key: &Key| {
        seen.get(key)
            .map(|s| s.finding.population.as_str().to_string())
            .unwrap_or_default()
    };
    let mut out: Vec<ExceptionBilan> = Vec::new();
    for ((check, subject, justification, owner, expires), (n, first, last)) in accepted {
        let key = (check, subject);
        let still = seen
            .get(&key)
            .and_then(|s| s.data.accepted.as_ref())
            .is_some_and(|a| a.expires == expires);
        let etat_fin = if !open_end(&key) {
            "constat_corrige"
        } else if still {
            "en_vigueur"
        } else {
            "expiree"
        };
        out.push(ExceptionBilan {
            population: population(&key),
            controle: key.0,
            sujet: key.1,
            justification,
            responsable: owner,
            expiration: expires,
            nuits_acceptees: n,
            premiere_nuit: Some(first),
            derniere_nuit: Some(last),
            etat_fin,
        });
    }
    for (check, subject, expires) in expired {
        if out
            .iter()
            .any(|e| e.controle == check && e.sujet == subject && e.expiration == expires)
        {
            continue;
        }
        let key = (check, subject);
        out.push(ExceptionBilan {
            population: population(&key),
            etat_fin: if open_end(&key) {
                "expiree"
            } else {
                "constat_corrige"
            },
            controle: key.0,
            sujet: key.1,
            justification: String::new(),
            responsable: String::new(),
            expiration: expires,
            nuits_acceptees: 0,
            premiere_nuit: None,
            derniere_nuit: None,
        });
    }
    out.sort_by(|a, b| {
        (&a.controle, &a.sujet, a.expiration).cmp(&(&b.controle, &b.sujet, b.expiration))
    });
    out
}

/// The exceptions findings were accepted under, and the expiries findings reported (an
/// exception that expired before the period: (check, subject, expiry)).
fn met(input: &Input) -> (Nights, BTreeSet<(String, String, NaiveDate)>) {
    let mut accepted: Nights = BTreeMap::new();
    let mut expired = BTreeSet::new();
    for (night, e) in input.evaluated() {
        for (f, data) in &e.findings {
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
        }
    }
    (accepted, expired)
}
