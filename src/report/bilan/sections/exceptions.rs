//! The exceptions (accepted risks) met during the period, with their justification, owner
//! and state at the end.

use super::super::data::Bilan;
use super::{d, fin, n};
use crate::report::doc::{Block, Inline, Table, text};

pub fn exceptions(b: &Bilan) -> Vec<Block> {
    let mut out = vec![Block::Para(text(
        "Une exception est un risque accepté, inscrit dans la configuration avec sa justification, son responsable et sa date d'expiration. Le constat reste listé chaque nuit, marqué « accepté », et compte dans les figures de ce bilan ; à l'expiration, il redevient un constat à corriger.",
    ))];
    let mut t = Table::new(
        &[
            "Contrôle",
            "Sujet",
            "Justification",
            "Responsable",
            "Expiration",
            "Nuits acceptées",
            "Première et dernière nuit acceptée",
            &format!("État au {}", fin(b)),
        ],
        &[false, false, false, false, false, true, false, false],
    )
    .empty("Aucune exception pendant la période.")
    .lead(3);
    for e in &b.exceptions {
        t.row(vec![
            vec![Inline::Code(e.controle.clone())],
            // The rule id stays in the annex: the body names the mailbox and the target.
            text(super::redirections::mailbox_and_target(&e.sujet)),
            text(if e.justification.is_empty() {
                "(non conservée : l'exception avait expiré avant la période)"
            } else {
                &e.justification
            }),
            text(&e.responsable),
            text(d(e.expiration)),
            text(n(e.nuits_acceptees)),
            text(match (e.premiere_nuit, e.derniere_nuit) {
                (Some(a), Some(z)) => format!("du {} au {}", d(a), d(z)),
                _ => "—".into(),
            }),
            text(match e.etat_fin {
                "en_vigueur" => "en vigueur".to_string(),
                "expiree" => format!("expirée le {} ; constat toujours ouvert", d(e.expiration)),
                _ if e.expiration <= b.periode.fin => {
                    format!("constat corrigé (exception expirée le {})", d(e.expiration))
                }
                _ => "constat corrigé".to_string(),
            }),
        ]);
    }
    out.push(Block::Table(t));
    out
}
