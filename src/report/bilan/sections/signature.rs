//! The signature block: who produced the bilan and with what, the classification rules
//! applied, the licences and permissions seen (from what could be read), the mailboxes read
//! and those outside the application's scope, and the lines the signatory fills.

use super::super::data::Bilan;
use super::{d, n};
use crate::report::doc::{Block, Inline, Table, text};

pub fn signature(b: &Bilan) -> Vec<Block> {
    let p = &b.production;
    let mut out = vec![Block::Para(text(format!(
        "Produit par vigie365 {} (catalogue des exigences {}) à partir de sa base, arrêté au {} ; empreinte des réglages d'évaluation de la configuration : {}.",
        p.version_outil,
        p.version_catalogue,
        d(b.periode.arrete_au),
        p.empreinte_configuration
            .as_deref()
            .unwrap_or("non fournie")
    )))];
    if !p.regles.is_empty() {
        out.push(Block::Heading("Règles de classification appliquées".into()));
        out.push(Block::List(p.regles.iter().map(text).collect()));
    }
    out.push(Block::Heading(
        "Licences et autorisations constatées".into(),
    ));
    let mut t = Table::new(
        &[
            "Source",
            "Nuits lues",
            "Non lues",
            "Autorisation ou licence",
        ],
        &[false, true, true, false],
    )
    .caption("Ce que l'application a pu lire pendant la période");
    for s in &b.couverture.sources {
        let q = crate::queries::get(&s.source);
        let mut need = q.map(|q| q.permissions.join(", ")).unwrap_or_default();
        if let Some(l) = q.map(|q| q.licence.as_str()).filter(|l| !l.is_empty()) {
            need = format!("{need} ; {l}");
        }
        t.row(vec![
            vec![Inline::Code(s.source.clone())],
            text(n(s.collectee)),
            text(n(s.non_collectee + s.echouee)),
            text(need),
        ]);
    }
    out.push(Block::Table(t));
    out.push(Block::Heading("Boîtes aux lettres lues".into()));
    let partly: Vec<String> = b
        .couverture
        .sources
        .iter()
        .flat_map(|s| {
            s.raisons
                .iter()
                .filter(|r| r.etat == "lue_en_partie")
                .map(move |r| {
                    format!(
                        "{} : {} ({} au {})",
                        s.source,
                        r.raison,
                        d(r.premiere),
                        d(r.derniere)
                    )
                })
        })
        .collect();
    out.push(Block::Para(text(if partly.is_empty() {
        "Toutes les boîtes aux lettres ont été lues chaque nuit où leur source l'a été ; aucune n'était hors de la portée de l'application.".to_string()
    } else {
        format!(
            "Lues en partie (boîtes hors de la portée de l'application, repli) : {}.",
            partly.join(" ; ")
        )
    })));
    out.push(Block::Heading("Signature".into()));
    let mut sign = Table::new(&["", "Nom", "Fonction", "Date", "Signature"], &[false; 5])
        .caption("À remplir par les signataires");
    for role in ["Préparé par", "Approuvé par"] {
        sign.row(vec![text(role), text(""), text(""), text(""), text("")]);
    }
    out.push(Block::Table(sign));
    out
}
