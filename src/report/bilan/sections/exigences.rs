//! The accountability table that opens the bilan (MSSS-DIR04 art. 14): one row per element
//! of DIR04, recommendation of the CHSLD orientation and DIR05's « Teams en priorité », its
//! status, its findings and its evidence; then what the tool did not see, with the
//! establishment's attestations or « attestation à fournir ».

use super::super::data::{Bilan, ControlesLocataire, Exigence};
use super::{LIST_MAX, count, d, n, severity_badge};
use crate::report::doc::{Block, Inline, Line, Table, text};

/// « vérifié », « partiel », « hors de portée de l'outil », as a badge.
pub fn status_badge(statut: &str) -> Inline {
    match statut {
        "verifie" => Inline::Badge("verifie", "vérifié".into()),
        "partiel" => Inline::Badge("partiel", "partiel".into()),
        _ => Inline::Badge("hors-portee", "hors de portée de l'outil".into()),
    }
}

pub fn exigences(b: &Bilan) -> Vec<Block> {
    let r = &b.reddition;
    let mut out = vec![Block::Para(text(format!(
        "Sur {} : {} {}, {} {}, {} {}. {}",
        count(r.exigences, "élément", "éléments"),
        n(r.verifiees),
        if r.verifiees >= 2 {
            "vérifiés"
        } else {
            "vérifié"
        },
        n(r.partielles),
        if r.partielles >= 2 {
            "partiels"
        } else {
            "partiel"
        },
        n(r.hors_portee),
        "hors de portée de l'outil",
        if r.tout_verifie() {
            "Chaque élément a été vérifié sur toutes les nuits de la période.".to_string()
        } else {
            format!(
                "Tout n'a pas été vérifié : {} de l'établissement, {} à fournir.",
                count(r.attestations_fournies, "attestation", "attestations"),
                count(r.attestations_a_fournir, "attestation", "attestations")
            )
        }
    )))];
    let mut t = Table::new(
        &["Élément", "Exigence", "Statut", "Constats", "Preuves"],
        &[false, false, false, false, false],
    )
    .caption("Reddition de compte, élément par élément");
    for e in &b.exigences {
        t.row(vec![
            vec![Inline::Code(e.id.to_string())],
            text(e.titre),
            vec![status_badge(e.statut)],
            text(findings(e)),
            evidence(e),
        ]);
    }
    out.push(Block::Table(t));
    let mut gaps = Table::new(
        &[
            "Élément",
            "Ce que l'outil n'a pas vu",
            "Attestation de l'établissement",
        ],
        &[false, false, false],
    )
    .caption("Éléments partiels ou hors de portée : ce qui manque, et l'attestation")
    .empty("Aucun élément partiel ni hors de portée.")
    .lead(2);
    for e in b.exigences.iter().filter(|e| e.statut != "verifie") {
        gaps.row(vec![
            vec![Inline::Code(e.id.to_string())],
            text(e.lacunes.join(" ; ")),
            text(match &e.attestation {
                Some(a) => format!("{} — {}, {}", a.texte, a.responsable, d(a.date)),
                None => "attestation à fournir".into(),
            }),
        ]);
    }
    out.push(Block::Table(gaps));
    if let Some(t) = &b.controles_locataire {
        out.extend(tenant_controls(t, b));
    }
    out
}

/// The tenant-wide settings the establishment does not govern: who governs them, each
/// check's state at the end of the period, and the gaps still open.
fn tenant_controls(t: &ControlesLocataire, b: &Bilan) -> Vec<Block> {
    let mut out = vec![
        Block::Heading("Contrôles du locataire".into()),
        Block::Para(text(format!(
            "Le locataire Microsoft 365 est partagé entre établissements. Ses réglages communs \
             (stratégies de filtrage du courrier indésirable sortant, domaines distants, règles \
             de transport, journal d'audit, chiffrement) sont gouvernés par {}, non par \
             l'établissement : ils sont rapportés ici pour la reddition de compte, et leurs \
             constats ne comptent dans aucun chiffre de l'établissement.",
            t.gouvernes_par
        ))),
    ];
    let mut table = Table::new(
        &["Contrôle", "Titre", "Gravité", "État au dernier soir"],
        &[false, false, false, false],
    )
    .caption("Réglages du locataire gouvernés hors de l'établissement");
    for c in &t.controles {
        let state = if c.nuits_non_evalue > 0 && c.releves == 0 {
            format!(
                "non évalué {} (source non lue)",
                count(c.nuits_non_evalue, "nuit", "nuits")
            )
        } else if c.ouverts_fin > 0 {
            count(c.ouverts_fin, "écart ouvert", "écarts ouverts")
        } else if c.corriges > 0 {
            format!(
                "conforme ({} dans la période)",
                count(c.corriges, "correction", "corrections")
            )
        } else {
            "conforme".into()
        };
        table.row(vec![
            vec![Inline::Code(c.id.to_string())],
            text(c.titre),
            vec![severity_badge(c.gravite)],
            text(state),
        ]);
    }
    out.push(Block::Table(table));
    let open: Vec<Line> = t
        .details
        .iter()
        .filter(|x| x.open_at_end)
        .take(LIST_MAX)
        .map(|x| text(format!("{} — {} : {}", x.check, x.subject, x.evidence)))
        .collect();
    if !open.is_empty() {
        out.push(Block::Para(text(format!(
            "Écarts ouverts au {}, à signaler à {} :",
            d(b.periode.fin),
            t.gouvernes_par
        ))));
        out.push(Block::List(open));
    }
    out
}

/// « 2 ouverts, 5 corrigés, 1 accepté, 12 occurrences », or « aucun ».
fn findings(e: &Exigence) -> String {
    if e.controles.is_empty() {
        return "—".into();
    }
    if e.controles.len() == e.controles_locataire.len() {
        return "voir « Contrôles du locataire »".into();
    }
    let c = &e.constats;
    let parts: Vec<String> = [
        (c.ouverts, "ouvert", "ouverts"),
        (c.corriges, "corrigé", "corrigés"),
        (c.acceptes, "accepté", "acceptés"),
        (c.occurrences, "occurrence", "occurrences"),
    ]
    .into_iter()
    .filter(|(k, ..)| *k > 0)
    .map(|(k, one, many)| count(k, one, many))
    .collect();
    if parts.is_empty() {
        "aucun".into()
    } else {
        parts.join(", ")
    }
}

/// The checks (as code) and the posture figures that evidence it; the checks of tenant-wide
/// settings governed elsewhere after « du locataire : ».
fn evidence(e: &Exigence) -> Line {
    let mut out: Line = Vec::new();
    let codes = |out: &mut Line, ids: &mut dyn Iterator<Item = &&'static str>| {
        for (i, c) in ids.enumerate() {
            if i > 0 {
                out.push(Inline::Text(" ".into()));
            }
            out.push(Inline::Code(c.to_string()));
        }
    };
    codes(
        &mut out,
        &mut e
            .controles
            .iter()
            .filter(|c| !e.controles_locataire.contains(c)),
    );
    if !e.controles_locataire.is_empty() {
        if !out.is_empty() {
            out.push(Inline::Text(" ; ".into()));
        }
        out.push(Inline::Text("du locataire : ".into()));
        codes(&mut out, &mut e.controles_locataire.iter());
    }
    if !e.figures.is_empty() {
        if !out.is_empty() {
            out.push(Inline::Text(" ; ".into()));
        }
        out.push(Inline::Text(format!(
            "{} de posture",
            count(e.figures.len() as u32, "figure", "figures")
        )));
    }
    if out.is_empty() {
        out.push(Inline::Text("—".into()));
    }
    out
}
