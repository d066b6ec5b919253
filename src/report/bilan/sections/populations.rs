//! Physicians apart from other staff: DIR04 binds physicians, residents and externs
//! directly, other staff through other documents.

use super::super::data::{Bilan, PopulationBilan};
use super::{count, fin, opt};
use crate::checks::appli::app_mfa_01;
use crate::checks::forwarding::{fwd_dis_01, fwd_ext_01, fwd_pub_01};
use crate::report::doc::{Block, Table, text};
use crate::report::fr;

pub fn populations(b: &Bilan) -> Vec<Block> {
    let mut out = vec![Block::Para(text(
        "MSSS-DIR04 lie directement les médecins, résidents et externes ; les autres professionnels sont tenus aux mêmes conditions par d'autres documents d'encadrement (préambule). Un compte est compté chez les médecins quand son adresse suit la convention « prenom.nom.med@ » du réseau ou qu'il répond au critère configuré.",
    ))];
    let (m, p) = match (b.populations.first(), b.populations.get(1)) {
        (Some(m), Some(p)) => (m, p),
        _ => return out,
    };
    let mut t = Table::new(&["Indicateur", m.libelle, p.libelle], &[false, true, true])
        .caption(format!("Figures DIR04 par population, au {}", fin(b)));
    t.row(vec![
        text("Comptes"),
        text(opt(m.comptes_fin)),
        text(opt(p.comptes_fin)),
    ]);
    t.row(vec![
        text("Comptes actifs"),
        text(opt(m.actifs_fin)),
        text(opt(p.actifs_fin)),
    ]);
    let pct = |x: &PopulationBilan| match (x.mfa_enregistree_fin, x.actifs_fin) {
        (Some(a), Some(b)) => format!("{} ({})", fr::int(a), fr::percent(a, b)),
        _ => "—".into(),
    };
    t.row(vec![
        text("MFA enregistrée (actifs)"),
        text(pct(m)),
        text(pct(p)),
    ]);
    for (id, label) in [
        (
            fwd_pub_01::CHECK.id,
            "Redirections vers une messagerie publique (art. 6 4°)",
        ),
        (
            fwd_ext_01::CHECK.id,
            "Redirections vers un domaine externe (art. 6 5°)",
        ),
        (
            fwd_dis_01::CHECK.id,
            "Règles de redirection désactivées vers l'extérieur",
        ),
        (app_mfa_01::CHECK.id, "Exemptions de MFA non justifiées"),
    ] {
        let cell = |x: &PopulationBilan| {
            let c = x.par_controle.get(id).cloned().unwrap_or_default();
            format!(
                "{} ; {} ; {}",
                count(c.releves, "relevée", "relevées"),
                count(c.corriges, "corrigée", "corrigées"),
                count(c.ouverts_fin, "ouverte", "ouvertes")
            )
        };
        t.row(vec![text(label), text(cell(m)), text(cell(p))]);
    }
    out.push(Block::Table(t));
    out
}

/// A population of the bilan document (its stored id) as the lists and the annexes name
/// it: the population's own French label; « inconnue » where the document has none.
pub fn population_fr(p: &str) -> &'static str {
    crate::finding::Population::from_stored(p).map_or("inconnue", |x| x.label_fr())
}
