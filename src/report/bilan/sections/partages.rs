//! Shared accounts and access logging (orientation on generic subscriptions, « journalisation
//! des accès en tout temps » ; DIR04 art. 12 and 13): the family's checks and its findings
//! over the period.

use super::super::data::{Bilan, Detail, family};
use super::tables::{check_table, episode_table, not_evaluated_note};
use crate::report::doc::{Block, text};

pub fn partages(b: &Bilan) -> Vec<Block> {
    let mut out = vec![Block::Para(text(
        "Une boîte partagée, de salle ou d'équipement s'utilise par l'accès délégué de ses \
         membres : son propre compte n'a pas à se connecter. Laissé ouvert, il devient un compte \
         générique que l'orientation n'admet qu'en CHSLD, après analyse de risque. Le journal \
         d'audit unifié et l'audit des boîtes aux lettres gardent la trace des accès, que \
         l'orientation demande de journaliser en tout temps."
            .to_string(),
    ))];
    out.push(Block::Table(check_table(
        b,
        "partages",
        "Comptes partagés et journalisation, contrôle par contrôle",
    )));
    if let Some(note) = not_evaluated_note(b, "partages") {
        out.push(note);
    }
    let found: Vec<&Detail> = b
        .details
        .iter()
        .filter(|x| family(&x.check) == "partages")
        .collect();
    out.push(Block::Table(episode_table(
        b,
        &found,
        "Boîtes partagées ouvertes à la connexion et journalisation désactivée, par période",
        "Aucune boîte partagée ouverte à la connexion ni journalisation désactivée pendant la période.",
    )));
    out
}
