//! The tables several sections share: a family's checks, a list of episodes, a list of
//! open findings, the occurrences of event checks.

use super::super::data::{Bilan, Controle, Detail};
use super::{LIST_MAX, count, d, days, fin, n, population_fr, severity_badge};
use crate::report::doc::{Block, Inline, Line, Table, text};
use crate::report::fr;

/// The row of a check in the per-check tables.
fn check_row(c: &Controle) -> Vec<Line> {
    if c.nature == "evenement" {
        // RULES.md, "Events and states": an event is counted, never « corrigé ».
        let dash = || text("—");
        return vec![
            vec![Inline::Code(c.id.to_string())],
            text(c.titre),
            vec![severity_badge(c.gravite)],
            text(n(c.releves)),
            text(n(c.nouveaux)),
            dash(),
            text(format!(
                "événement : {}",
                count(c.occurrences, "occurrence", "occurrences")
            )),
            dash(),
            dash(),
            dash(),
        ];
    }
    vec![
        vec![Inline::Code(c.id.to_string())],
        text(c.titre),
        vec![severity_badge(c.gravite)],
        text(n(c.releves)),
        text(n(c.nouveaux)),
        text(n(c.corriges)),
        text(n(c.ouverts_fin)),
        text(n(c.acceptes_fin)),
        text(days(c.delai_median_jours)),
        text(
            c.delai_max_jours
                .map(|x| fr::days(x as f64))
                .unwrap_or_else(|| "—".into()),
        ),
    ]
}

pub(super) fn check_table(b: &Bilan, family_id: &str, caption: &str) -> Table {
    let end = format!("Ouverts au {}", fin(b));
    let mut t = Table::new(
        &[
            "Contrôle",
            "Constat",
            "Gravité",
            "Relevés",
            "Nouveaux",
            "Corrigés",
            &end,
            "dont acceptés",
            "Délai médian de correction",
            "Délai maximal",
        ],
        &[
            false, false, false, true, true, true, true, true, true, true,
        ],
    )
    .caption(caption)
    .lead(2);
    for c in b.controles.iter().filter(|c| c.famille == family_id) {
        t.row(check_row(c));
    }
    t
}

pub(super) fn not_evaluated_note(b: &Bilan, family_id: &str) -> Option<Block> {
    let missing: Vec<String> = b
        .controles
        .iter()
        .filter(|c| c.famille == family_id && c.nuits_non_evalue > 0)
        .map(|c| {
            format!(
                "{} non évalué {}",
                c.id,
                fr::plural(i64::from(c.nuits_non_evalue), "nuit", "nuits")
            )
        })
        .collect();
    (!missing.is_empty()).then(|| {
        Block::Note(text(format!(
            "Contrôles non évalués certaines nuits (une source n'a pas été lue ; voir la section « Couverture ») : {}. Ces nuits-là, l'absence de constat ne prouve pas la conformité.",
            missing.join(" ; ")
        )))
    })
}

/// Episodes table: check, subject, population, from, to, days, state.
pub(super) fn episode_table(b: &Bilan, details: &[&Detail], caption: &str, empty: &str) -> Table {
    let mut t = Table::new(
        &[
            "Contrôle",
            "Compte ou objet",
            "Population",
            "Ouvert le",
            "Corrigé le",
            "Jours",
            "État à la fin",
        ],
        &[false, false, false, false, false, true, false],
    )
    .caption(caption)
    .empty(empty);
    let mut rows = 0;
    for det in details {
        for e in &det.episodes {
            rows += 1;
            if rows > LIST_MAX {
                continue;
            }
            t.row(vec![
                vec![Inline::Code(det.check.clone())],
                text(&det.subject),
                text(population_fr(det.population.as_deref().unwrap_or(""))),
                text(d(e.start)),
                text(e.resolved.map(d).unwrap_or_else(|| "—".into())),
                text(fr::int(e.days(b.periode.fin))),
                text(state_fr(det, e.resolved.is_none())),
            ]);
        }
    }
    if rows > LIST_MAX {
        t.caption = Some(format!(
            "{caption} ({} premières lignes sur {} ; la liste complète est dans l'annexe des constats)",
            LIST_MAX, rows
        ));
    }
    t
}

fn state_fr(det: &Detail, this_episode_open: bool) -> String {
    if !this_episode_open {
        "corrigé".into()
    } else if det.accepted_at_end {
        "accepté (exception)".into()
    } else {
        "toujours ouvert".into()
    }
}

/// Open findings, each with its check's French title. The evidence (the fields and values
/// read, with Microsoft's names, the matching patterns) goes to the annex of findings: it
/// helps the administrator who fixes, and would wrap over many lines in the body.
pub(super) fn open_table(b: &Bilan, details: &[&Detail], empty: &str) -> Table {
    let mut t = Table::new(
        &["Contrôle", "Compte ou objet", "Gravité", "Depuis le", "Constat"],
        &[false, false, false, false, false],
    )
    .caption("La preuve de chaque constat, telle que lue la dernière nuit, est dans l'annexe des constats")
    .empty(empty);
    for det in details.iter().take(LIST_MAX) {
        let since = det.episodes.last().map(|e| d(e.start)).unwrap_or_default();
        let title = crate::checks::registry::get(&det.check).map_or("", |c| c.title_fr);
        t.row(vec![
            vec![Inline::Code(det.check.clone())],
            text(&det.subject),
            vec![severity_badge(det.severity.as_deref().unwrap_or("info"))],
            text(since),
            text(title),
        ]);
    }
    if details.len() > LIST_MAX {
        t.caption = Some(format!(
            "{} premiers sur {} ; la liste complète, avec la preuve de chaque constat, est dans l'annexe des constats",
            LIST_MAX,
            details.len()
        ));
    }
    let _ = b;
    t
}

/// The event checks of a family (RULES.md, "Events and states"): their occurrences month
/// by month, and the accounts they concern with their first and last date. Never
/// « corrigés »: an event happened on a date.
pub(super) fn event_tables(b: &Bilan, family_id: &str) -> Vec<Block> {
    let checks: Vec<&Controle> = b
        .controles
        .iter()
        .filter(|c| c.famille == family_id && c.nature == "evenement")
        .collect();
    if checks.is_empty() {
        return Vec::new();
    }
    let mut head = vec!["Mois"];
    head.extend(checks.iter().map(|c| c.id));
    let mut numeric = vec![false];
    numeric.extend(checks.iter().map(|_| true));
    let mut months = Table::new(&head, &numeric)
        .caption("Événements, occurrences par mois (un événement est compté, jamais « corrigé »)")
        .empty("Aucune occurrence pendant la période.");
    let mut all: Vec<&String> = checks
        .iter()
        .flat_map(|c| c.occurrences_par_mois.keys())
        .collect();
    all.sort();
    all.dedup();
    for m in all {
        let mut row = vec![text(month_fr(m))];
        row.extend(
            checks
                .iter()
                .map(|c| text(n(c.occurrences_par_mois.get(m).copied().unwrap_or(0)))),
        );
        months.row(row);
    }
    let ids: Vec<&str> = checks.iter().map(|c| c.id).collect();
    let details: Vec<&Detail> = b
        .details
        .iter()
        .filter(|x| x.is_event && ids.contains(&x.check.as_str()))
        .collect();
    let mut accounts = Table::new(
        &[
            "Contrôle",
            "Compte",
            "Occurrences",
            "Première",
            "Dernière",
            "Par mois",
        ],
        &[false, false, true, false, false, false],
    )
    .caption("Événements par compte")
    .empty("Aucun compte concerné pendant la période.");
    for det in details.iter().take(LIST_MAX) {
        let by_month: Vec<String> = det
            .by_month()
            .iter()
            .map(|(m, k)| format!("{} {}", month_short_fr(m), n(*k)))
            .collect();
        accounts.row(vec![
            vec![Inline::Code(det.check.clone())],
            text(&det.subject),
            text(n(det.occurrences.values().sum())),
            text(
                det.occurrences
                    .keys()
                    .next()
                    .map(|x| d(*x))
                    .unwrap_or_default(),
            ),
            text(
                det.occurrences
                    .keys()
                    .next_back()
                    .map(|x| d(*x))
                    .unwrap_or_default(),
            ),
            text(by_month.join(" ; ")),
        ]);
    }
    if details.len() > LIST_MAX {
        accounts.caption = Some(format!(
            "Événements par compte ({} premiers sur {} ; la liste complète est dans l'annexe des constats)",
            LIST_MAX,
            details.len()
        ));
    }
    vec![Block::Table(months), Block::Table(accounts)]
}

/// `2026-03` → « mars 2026 ».
fn month_fr(ym: &str) -> String {
    match parse_month(ym) {
        Some((y, m)) => fr::month(y, m),
        None => ym.to_string(),
    }
}

/// `2026-03` → « mars ».
fn month_short_fr(ym: &str) -> String {
    match parse_month(ym) {
        Some((_, m)) => fr::month_short(m).to_string(),
        None => ym.to_string(),
    }
}

fn parse_month(ym: &str) -> Option<(i32, u32)> {
    let (y, m) = ym.split_once('-')?;
    Some((y.parse().ok()?, m.parse().ok()?))
}
