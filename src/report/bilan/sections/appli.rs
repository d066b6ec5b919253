//! « Appli » service accounts (orientation on generic subscriptions): how many, the checks,
//! and their misuse.

use super::super::data::{Bilan, Detail, family};
use super::tables::{check_table, episode_table, event_tables, not_evaluated_note};
use super::{fin, opt};
use crate::report::doc::{Block, text};

pub fn appli(b: &Bilan) -> Vec<Block> {
    let a = &b.appli;
    let mut out = vec![Block::Para(text(format!(
        "Au {} : {} comptes « Appli » (comptes de service), dont {} actifs et {} exclus de la MFA ; {} au début de la période. L'orientation réserve ce type de compte aux applications (par exemple les systèmes de billetterie) : il ne doit ni servir à une personne, ni servir à éviter la MFA d'un compte générique.",
        fin(b),
        opt(a.comptes_fin),
        opt(a.actifs_fin),
        opt(a.exclue_mfa_fin),
        opt(a.comptes_debut)
    )))];
    out.push(Block::Table(check_table(
        b,
        "appli",
        "MFA et comptes « Appli », contrôle par contrôle",
    )));
    if let Some(note) = not_evaluated_note(b, "appli") {
        out.push(note);
    }
    let misuse: Vec<&Detail> = b
        .details
        .iter()
        .filter(|x| family(&x.check) == "appli" && !x.is_event)
        .collect();
    out.push(Block::Table(episode_table(
        b,
        &misuse,
        "Comptes « Appli » génériques et exemptions de MFA non justifiées, par période",
        "Aucune exemption de MFA non justifiée ni compte « Appli » générique pendant la période.",
    )));
    out.extend(event_tables(b, "appli"));
    out
}
