//! CSV annexes of the bilan (Excel fr-CA, like the nightly CSV): every finding episode of the
//! period, the exceptions, and the collection night by night. They name accounts: they stay
//! in the establishment, with the HTML and the Markdown.

use super::data::Bilan;
use super::sections::population_fr;
use crate::checks::registry;
use crate::report::{ReportError, output};

pub fn findings(b: &Bilan) -> Result<Vec<u8>, ReportError> {
    let head = [
        "Contrôle",
        "Titre",
        "Référence",
        "Sujet",
        "Population",
        "Gravité (dernière nuit vue)",
        "Première détection",
        "Dernière nuit vue",
        "Ouvert le",
        "Corrigé le",
        "Jours",
        "État à la fin",
        "Bloquée par le locataire",
        "Preuve (dernière nuit vue)",
    ];
    let mut rows = Vec::new();
    for d in &b.details {
        let info = registry::get(&d.check);
        if d.is_event {
            // An event happened on dates: one row with its occurrences, never « corrigé ».
            let total: u32 = d.occurrences.values().sum();
            let first = d.occurrences.keys().next().map(|x| x.to_string());
            let last = d.occurrences.keys().next_back().map(|x| x.to_string());
            rows.push(vec![
                d.check.clone(),
                info.map(|i| i.title_fr.to_string()).unwrap_or_default(),
                info.map(|i| i.reference.to_string()).unwrap_or_default(),
                d.subject.clone(),
                population_fr(d.population.as_deref().unwrap_or("")).to_string(),
                d.severity.clone().unwrap_or_default(),
                d.first_seen.to_string(),
                d.last_seen.map(|x| x.to_string()).unwrap_or_default(),
                first.unwrap_or_default(),
                String::new(),
                String::new(),
                format!(
                    "événement : {total} occurrence(s) jusqu'au {}",
                    last.unwrap_or_default()
                ),
                String::new(),
                d.evidence.clone(),
            ]);
            continue;
        }
        for e in &d.episodes {
            let state = if e.resolved.is_some() {
                "corrigé"
            } else if d.accepted_at_end {
                "accepté"
            } else {
                "ouvert"
            };
            rows.push(vec![
                d.check.clone(),
                info.map(|i| i.title_fr.to_string()).unwrap_or_default(),
                info.map(|i| i.reference.to_string()).unwrap_or_default(),
                d.subject.clone(),
                population_fr(d.population.as_deref().unwrap_or("")).to_string(),
                d.severity.clone().unwrap_or_default(),
                d.first_seen.to_string(),
                d.last_seen.map(|x| x.to_string()).unwrap_or_default(),
                e.start.to_string(),
                e.resolved.map(|x| x.to_string()).unwrap_or_default(),
                e.days(b.periode.fin).to_string(),
                state.to_string(),
                match d.blocked_by_tenant {
                    Some(true) => "oui",
                    Some(false) => "non",
                    None => "",
                }
                .to_string(),
                d.evidence.clone(),
            ]);
        }
    }
    output::csv_bytes(&head, rows)
}

pub fn exceptions(b: &Bilan) -> Result<Vec<u8>, ReportError> {
    let head = [
        "Contrôle",
        "Sujet",
        "Population",
        "Justification",
        "Responsable",
        "Expiration",
        "Nuits acceptées",
        "Première nuit acceptée",
        "Dernière nuit acceptée",
        "État à la fin",
    ];
    let rows = b.exceptions.iter().map(|e| {
        vec![
            e.controle.clone(),
            e.sujet.clone(),
            population_fr(&e.population).to_string(),
            e.justification.clone(),
            e.responsable.clone(),
            e.expiration.to_string(),
            e.nuits_acceptees.to_string(),
            e.premiere_nuit.map(|x| x.to_string()).unwrap_or_default(),
            e.derniere_nuit.map(|x| x.to_string()).unwrap_or_default(),
            match e.etat_fin {
                "en_vigueur" => "en vigueur",
                "expiree" => "expirée",
                _ => "constat corrigé",
            }
            .to_string(),
        ]
    });
    output::csv_bytes(&head, rows)
}

pub fn coverage(b: &Bilan) -> Result<Vec<u8>, ReportError> {
    let head = [
        "Nuit",
        "État",
        "Collecte n°",
        "Sources non lues",
        "Contrôles non évalués",
    ];
    let rows = b.couverture.nuits.iter().map(|n| {
        vec![
            n.nuit.to_string(),
            match n.etat {
                "complete" => "complète",
                "partielle" => "partielle",
                "echouee" => "échouée",
                "non_evaluee" => "non évaluée",
                _ => "sans exécution",
            }
            .to_string(),
            n.collecte.map(|x| x.to_string()).unwrap_or_default(),
            n.sources_manquantes.join(", "),
            n.controles_non_evalues.join(", "),
        ]
    });
    output::csv_bytes(&head, rows)
}
