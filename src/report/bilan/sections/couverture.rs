//! How complete the collection was, night by night and source by source, and what the tool
//! could not see.

use chrono::NaiveDate;

use super::super::data::Bilan;
use super::{count, d, n};
use crate::report::chart;
use crate::report::doc::{Block, Inline, Line, Table, text};
use crate::report::fr;

pub fn couverture(b: &Bilan) -> Vec<Block> {
    let c = &b.couverture;
    let mut out = vec![Block::Para(text(format!(
        "Nuits de la période : {} ; collecte complète et évaluée : {} ({}) ; partielle (une source non lue) : {} ; échouée ou interrompue : {} ; collectée mais non évaluée : {} ; sans exécution : {}.",
        n(c.nuits_periode),
        n(c.nuits_completes),
        fr::percent(i64::from(c.nuits_completes), i64::from(c.nuits_periode)),
        n(c.nuits_partielles),
        n(c.nuits_echouees),
        n(c.nuits_non_evaluees),
        n(c.nuits_absentes)
    )))];
    out.push(calendar(b));
    out.push(Block::Table(sources(b)));
    out.push(Block::Heading("Ce que l'outil n'a pas pu voir".into()));
    out.push(Block::List(limits(b)));
    out
}

/// Every night of the period, coloured by how its collection ended.
fn calendar(b: &Bilan) -> Block {
    let c = &b.couverture;
    let states = [
        ("complète", "#009E73"),
        ("partielle", "#E69F00"),
        ("échouée", "#D55E00"),
        ("non évaluée", "#999999"),
        ("sans exécution", "#ffffff"),
    ];
    let cells: Vec<(NaiveDate, usize)> = c
        .nuits
        .iter()
        .map(|x| {
            (
                x.nuit,
                match x.etat {
                    "complete" => 0,
                    "partielle" => 1,
                    "echouee" => 2,
                    "non_evaluee" => 3,
                    _ => 4,
                },
            )
        })
        .collect();
    Block::Chart {
        svg: chart::calendar("Collecte nuit par nuit", &cells, &states),
        caption: "Chaque case est une nuit de la période, colorée selon l'issue de sa collecte."
            .into(),
    }
}

/// Each source: nights read, not read, failed, and why.
fn sources(b: &Bilan) -> Table {
    let c = &b.couverture;
    let mut t = Table::new(
        &[
            "Source",
            "Donnée",
            "Lue",
            "Non lue (droits, licence)",
            "Échec",
            "Raisons",
        ],
        &[false, false, true, true, true, false],
    )
    .caption("Sources, nuit par nuit (nuits avec une collecte)")
    .empty("Aucune collecte pendant la période.");
    for s in &c.sources {
        let reasons: Vec<String> = s
            .raisons
            .iter()
            .map(|r| {
                let mut x = format!(
                    "{} : {} ({}, du {} au {})",
                    if r.etat == "non_collectee" {
                        "non lue"
                    } else {
                        "échec"
                    },
                    r.raison,
                    fr::plural(i64::from(r.nuits), "nuit", "nuits"),
                    d(r.premiere),
                    d(r.derniere)
                );
                if let Some(p) = &r.autorisation {
                    x.push_str(&format!(" — autorisation requise : {p}"));
                }
                x
            })
            .collect();
        t.row(vec![
            vec![Inline::Code(s.source.clone())],
            text(&s.titre),
            text(n(s.collectee)),
            text(n(s.non_collectee)),
            text(n(s.echouee)),
            text(if reasons.is_empty() {
                "—".to_string()
            } else {
                reasons.join(" ; ")
            }),
        ]);
    }
    t
}

/// What the tool could not see: sources not read, checks left out, nights not evaluated.
fn limits(b: &Bilan) -> Vec<Line> {
    let c = &b.couverture;
    let mut limits: Vec<Line> = Vec::new();
    for s in c.sources.iter().filter(|s| s.non_collectee + s.echouee > 0) {
        let perms: Vec<String> = s
            .raisons
            .iter()
            .filter_map(|r| r.autorisation.clone())
            .collect();
        limits.push(text(format!(
            "{} ({}) : non lue {} sur {}{}.",
            s.titre,
            s.source,
            fr::plural(i64::from(s.non_collectee + s.echouee), "nuit", "nuits"),
            n(s.collectee + s.non_collectee + s.echouee),
            if perms.is_empty() {
                String::new()
            } else {
                format!(
                    " ; autorisation ou licence à vérifier : {}",
                    perms.join(", ")
                )
            }
        )));
    }
    for s in &c.sources {
        for r in s.raisons.iter().filter(|r| r.etat == "lue_en_partie") {
            limits.push(text(format!(
                "{} ({}) : lue en partie {} ({} au {}) — {}.",
                s.titre,
                s.source,
                fr::plural(i64::from(r.nuits), "nuit", "nuits"),
                d(r.premiere),
                d(r.derniere),
                r.raison
            )));
        }
    }
    for x in &c.controles_non_evalues {
        limits.push(text(format!(
            "Contrôle {} non évalué {} (source requise non lue) : ces nuits-là, l'absence de constat ne prouve rien.",
            x.controle,
            fr::plural(i64::from(x.nuits), "nuit", "nuits")
        )));
    }
    if c.nuits_absentes + c.nuits_echouees + c.nuits_non_evaluees > 0 {
        limits.push(text(format!(
            "{} sans évaluation : les constats de ces nuits sont inconnus ; un constat n'est jamais tenu pour corrigé faute d'avoir été vu.",
            count(
                c.nuits_absentes + c.nuits_echouees + c.nuits_non_evaluees,
                "nuit",
                "nuits"
            )
        )));
    }
    let r = &b.reddition;
    if r.partielles + r.hors_portee > 0 {
        limits.push(text(format!(
            "{} de la directive et de l'orientation ne peuvent être vus, en tout ou en partie, à partir des données du locataire : voir la section 1 (« Reddition de compte, élément par élément ») et les attestations de l'établissement.",
            count(r.partielles + r.hors_portee, "élément", "éléments")
        )));
    }
    if limits.is_empty() {
        limits.push(text(
            "Toutes les sources ont été lues en entier, tous les contrôles évalués chaque nuit de la période, et chaque élément vérifié.",
        ));
    }
    limits
}
