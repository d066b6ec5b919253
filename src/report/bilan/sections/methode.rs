//! The method: how the tool reads the tenant, what the words of the bilan mean, every
//! query with its permissions, and every check with its reference.

use super::super::data::Bilan;
use super::{d, severity_badge};
use crate::report::doc::{Block, Inline, Table, text};

pub fn methode(b: &Bilan) -> Vec<Block> {
    let mut out = vec![Block::List(vec![
        text(
            "Chaque nuit, vigie365 lit le locataire par Microsoft Graph et l'API d'administration d'Exchange Online avec une application en lecture seule, conserve l'instantané dans sa base (SQLite), puis évalue les contrôles ci-dessous. Ce bilan est calculé à partir de la base seulement, sans interroger Microsoft.",
        ),
        text(
            "Un constat est identifié par son contrôle et son sujet (compte, règle et cible, boîte et cible, règle de transport, locataire). Il est « relevé » s'il a été ouvert au moins une nuit de la période, « nouveau » si sa première détection est dans la période, « corrigé » s'il a disparu pendant la période et n'est pas réapparu avant la fin.",
        ),
        text(
            "Le délai de correction va de la nuit où le constat apparaît (ou réapparaît) à la nuit où il disparaît. Un contrôle non évalué une nuit (source non lue) ne corrige rien : ne pas voir n'est pas corriger.",
        ),
        text(
            "Gravité : chaque contrôle a une gravité de base (tableaux par contrôle) ; chaque constat a sa gravité effective, un cran plus bas quand les contrôles du locataire bloquent la redirection qu'il relève. Les totaux, les pastilles et le graphique des constats à corriger comptent tous la gravité effective, « info » comprise.",
        ),
        text(
            "Deux natures de constat. Un état (compte sans MFA, règle qui redirige) reste ouvert jusqu'à ce que quelqu'un le corrige ; sa correction a un délai. Un événement (connexion hors des adresses IP fixes, hors des applications permises, usage interactif d'un compte « Appli ») a eu lieu à une date : il est compté par mois et par compte, avec sa première et sa dernière date, et n'est jamais « corrigé » parce que des nuits calmes ont passé.",
        ),
        text(format!(
            "Les figures sont celles connues après l'évaluation de la nuit du {} (date d'arrêté) ; le même bilan demandé plus tard pour cette date donne les mêmes chiffres.",
            d(b.periode.arrete_au)
        )),
    ])];
    let mut t = Table::new(
        &[
            "Source",
            "Donnée",
            "API",
            "Requête",
            "Autorisation d'application",
            "Licence",
        ],
        &[false; 6],
    )
    .caption("Requêtes et autorisations (lecture seule)")
    .lead(2);
    for q in &b.methode.requetes {
        t.row(vec![
            vec![Inline::Code(q.source.clone())],
            text(&q.titre),
            text(q.api),
            text(&q.requete),
            text(q.autorisations.join(", ")),
            text(if q.licence.is_empty() {
                "—"
            } else {
                &q.licence
            }),
        ]);
    }
    out.push(Block::Table(t));
    let mut t = Table::new(
        &["Contrôle", "Constat", "Gravité", "Référence"],
        &[false; 4],
    )
    .caption("Contrôles et références")
    .lead(2);
    for c in &b.controles {
        t.row(vec![
            vec![Inline::Code(c.id.to_string())],
            text(c.titre),
            vec![severity_badge(c.gravite)],
            text(c.reference),
        ]);
    }
    out.push(Block::Table(t));
    out
}
