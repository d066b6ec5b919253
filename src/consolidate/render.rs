//! The network bilan rendered: the blocks of `report::doc` (HTML printable with the
//! establishment bilan's stylesheet, Markdown), a CSV (one row per establishment and
//! period) and the JSON document.

use std::collections::BTreeMap;

use crate::escape;
use crate::report::ReportError;
use crate::report::doc::{self, Block, Inline, Line, Table, plain, strong};
use crate::report::fr;
use crate::report::output;
use crate::report::template::Template;

use super::network::{KeyFigures, Network, PeriodBlock, TenantBlock, Totals};

/// The rendered files: (name, bytes).
pub fn files(n: &Network) -> Result<Vec<(String, Vec<u8>)>, ReportError> {
    let blocks = blocks(n);
    let title = "Bilan de réseau — sécurité de l'information des établissements";
    let md = format!("# {}\n\n{}", escape::md(title), doc::markdown(&blocks));
    let mut css_values: BTreeMap<&str, String> = BTreeMap::new();
    let period = n.periodes.last().map(|p| p.libelle.as_str()).unwrap_or("");
    css_values.insert(
        "titre_courant",
        escape::css_string(&format!("Bilan de réseau, {period}")),
    );
    css_values.insert(
        "pied_courant",
        escape::css_string(&format!("vigie365 {}", n.version_outil)),
    );
    let css = Template::load("bilan.css", None)?.render(&css_values)?;
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"fr-CA\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"generator\" content=\"vigie365 {}\">\n<title>{}</title>\n<style>\n{}\n</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n{}</main>\n</body>\n</html>\n",
        escape::html(n.version_outil),
        escape::html(title),
        css.replace("</", "<\\/"),
        escape::html(title),
        doc::html(&blocks)
    );
    let mut json = serde_json::to_vec_pretty(n).map_err(|e| ReportError::Corrupt {
        what: "bilan de réseau".into(),
        detail: e.to_string(),
    })?;
    json.push(b'\n');
    Ok(vec![
        ("bilan-reseau.html".into(), html.into_bytes()),
        ("bilan-reseau.md".into(), md.into_bytes()),
        ("bilan-reseau.json".into(), json),
        ("bilan-reseau.csv".into(), csv(n)?),
    ])
}

fn opt(v: Option<u64>) -> String {
    v.map(|n| fr::int(n as i64))
        .unwrap_or_else(|| "inconnu".into())
}

fn days(v: Option<f64>) -> String {
    v.map(fr::days).unwrap_or_else(|| "—".into())
}

fn coverage(f: &KeyFigures) -> String {
    format!(
        "{} / {} ({})",
        fr::int(f.nuits_completes as i64),
        fr::int(f.nuits_periode as i64),
        fr::percent(f.nuits_completes as i64, f.nuits_periode as i64)
    )
}

const FIGURE_HEAD: &[&str] = &[
    "Rang",
    "Établissement",
    "Critiques ouverts",
    "À corriger (fin)",
    "Génériques",
    "Génériques avec MFA",
    "Appli",
    "Constats « Appli » relevés / ouverts",
    "Redir. publiques relevées / corrigées / ouvertes",
    "Redir. externes relevées / corrigées / ouvertes",
    "Délai médian de correction",
    "Nuits complètes",
];

fn figure_cells(rank: String, name: &str, f: &KeyFigures) -> Vec<Line> {
    vec![
        doc::text(rank),
        vec![strong(name)],
        doc::text(fr::int(f.critiques_ouverts as i64)),
        doc::text(fr::int(f.a_corriger_fin as i64)),
        doc::text(opt(f.generiques_comptes)),
        doc::text(opt(f.generiques_mfa)),
        doc::text(opt(f.appli_comptes)),
        doc::text(format!(
            "{} / {}",
            f.appli_constats_releves, f.appli_constats_ouverts
        )),
        doc::text(format!(
            "{} / {} / {}",
            f.redirections_publiques_releves,
            f.redirections_publiques_corrigees,
            f.redirections_publiques_ouvertes
        )),
        doc::text(format!(
            "{} / {} / {}",
            f.redirections_externes_releves,
            f.redirections_externes_corrigees,
            f.redirections_externes_ouvertes
        )),
        doc::text(days(f.delai_median_jours)),
        doc::text(coverage(f)),
    ]
}

fn total_cells(t: &Totals) -> Vec<Line> {
    let f = KeyFigures {
        critiques_ouverts: t.critiques_ouverts,
        a_corriger_fin: t.a_corriger_fin,
        generiques_comptes: Some(t.generiques_comptes),
        generiques_mfa: Some(t.generiques_mfa),
        appli_comptes: Some(t.appli_comptes),
        appli_constats_releves: t.appli_constats_releves,
        appli_constats_ouverts: t.appli_constats_ouverts,
        redirections_publiques_releves: t.redirections_publiques_releves,
        redirections_publiques_corrigees: t.redirections_publiques_corrigees,
        redirections_publiques_ouvertes: t.redirections_publiques_ouvertes,
        redirections_externes_releves: t.redirections_externes_releves,
        redirections_externes_corrigees: t.redirections_externes_corrigees,
        redirections_externes_ouvertes: t.redirections_externes_ouvertes,
        delai_median_jours: t.delai_median_jours_des_etablissements,
        nuits_periode: t.nuits_periode,
        nuits_completes: t.nuits_completes,
        nuits_evaluees: t.nuits_evaluees,
    };
    figure_cells(String::new(), "Réseau", &f)
}

fn period_blocks(p: &PeriodBlock, n: &Network, out: &mut Vec<Block>) {
    out.push(Block::Heading(format!("Période : {}", p.libelle)));
    out.push(Block::Figures(vec![
        (
            fr::int(p.totaux.etablissements as i64),
            "établissements".into(),
        ),
        (
            fr::int(p.totaux.critiques_ouverts as i64),
            "constats critiques ouverts".into(),
        ),
        (
            fr::int(
                (p.totaux.redirections_publiques_ouvertes + p.totaux.redirections_externes_ouvertes)
                    as i64,
            ),
            "redirections publiques ou externes ouvertes".into(),
        ),
        (
            fr::percent(
                p.totaux.nuits_completes as i64,
                p.totaux.nuits_periode as i64,
            ),
            "nuits complètes (couverture de la collecte)".into(),
        ),
    ]));
    let mut t = Table::new(FIGURE_HEAD, &[true, false, true, true, true, true, true])
        .caption("Chiffres clés, établissements classés par constats critiques ouverts");
    for (i, r) in p.etablissements.iter().enumerate() {
        t.row(figure_cells(
            (i + 1).to_string(),
            &r.etablissement,
            &r.figures,
        ));
    }
    t.row(total_cells(&p.totaux));
    out.push(Block::Table(t));
    let unknown: Vec<String> = p
        .totaux
        .inconnus
        .iter()
        .map(|(k, v)| format!("{k} : {v} établissement(s)"))
        .collect();
    if !unknown.is_empty() {
        out.push(Block::Note(doc::text(format!(
            "Chiffres inconnus (non comptés dans les totaux) — {}.",
            unknown.join(" ; ")
        ))));
    }
    out.push(Block::Note(doc::text(
        "Le délai médian du réseau est la médiane des médianes des établissements : les médianes ne s'additionnent pas.",
    )));
    let mut head: Vec<&str> = vec!["Établissement"];
    head.extend(n.exigences.iter().map(|q| q.id.as_str()));
    let mut req = Table::new(&head, &[]).caption(
        "Reddition élément par élément : vérifié par l'outil, attesté par l'établissement, ou à fournir",
    );
    for r in &p.etablissements {
        let mut cells = vec![vec![strong(&r.etablissement)]];
        for q in &n.exigences {
            cells.push(match r.exigences.get(&q.id) {
                Some(c) => vec![Inline::Badge(
                    match c.reponse {
                        "verifie" => "verifie",
                        "atteste" => "partiel",
                        _ => "hors-portee",
                    },
                    c.label(),
                )],
                None => doc::text("absente"),
            });
        }
        req.row(cells);
    }
    out.push(Block::Table(req));
    for t in &p.controles_locataire {
        tenant_block(t, out);
    }
}

/// A shared tenant's settings, once for the network: they are no establishment's findings.
fn tenant_block(t: &TenantBlock, out: &mut Vec<Block>) {
    out.push(Block::Heading(format!(
        "Contrôles du locataire {}",
        t.locataire
    )));
    out.push(Block::Para(doc::text(format!(
        "Réglages communs du locataire partagé, gouvernés par {} : {} les rapporte{} à part, hors de leurs constats. Ils sont rendus ici une fois pour le réseau.",
        t.gouvernes_par.join(" ou "),
        match t.etablissements {
            1 => "1 établissement".to_string(),
            n => format!("{n} établissements"),
        },
        if t.etablissements > 1 { "nt" } else { "" }
    ))));
    let mut table = Table::new(
        &[
            "Contrôle",
            "Titre",
            "Écarts ouverts à la fin",
            "Non évalué certaines nuits",
        ],
        &[false, false, true, true],
    )
    .caption("Réglages du locataire gouvernés hors des établissements");
    for c in &t.controles {
        let open = if c.ouverts_fin_min == c.ouverts_fin_max {
            fr::int(c.ouverts_fin_max as i64)
        } else {
            format!(
                "{} à {} selon l'établissement",
                fr::int(c.ouverts_fin_min as i64),
                fr::int(c.ouverts_fin_max as i64)
            )
        };
        table.row(vec![
            vec![Inline::Code(c.id.clone())],
            doc::text(&c.titre),
            doc::text(open),
            doc::text(match c.etablissements_non_evalue {
                0 => "—".to_string(),
                n => format!("{n} établissement(s)"),
            }),
        ]);
    }
    out.push(Block::Table(table));
}

fn blocks(n: &Network) -> Vec<Block> {
    let mut out = Vec::new();
    out.push(Block::Para(vec![plain(format!(
        "{} établissement(s), {} période(s). Exigences : {}.",
        n.periodes
            .last()
            .map(|p| p.etablissements.len())
            .unwrap_or(0),
        n.periodes.len(),
        n.exigences
            .iter()
            .map(|q| format!("{} ({})", q.id, q.titre))
            .collect::<Vec<_>>()
            .join(" ; ")
    ))]));
    if !n.attendus_absents.is_empty() {
        out.push(Block::Heading("Établissements attendus sans bilan".into()));
        out.push(Block::List(
            n.attendus_absents.iter().map(doc::text).collect(),
        ));
    }
    if !n.non_attendus.is_empty() {
        out.push(Block::Note(doc::text(format!(
            "Bilans d'établissements absents de la liste des attendus : {}.",
            n.non_attendus.join(", ")
        ))));
    }
    for p in n.periodes.iter().rev() {
        period_blocks(p, n, &mut out);
    }
    if n.periodes.len() > 1 {
        out.push(Block::Heading("Tendances".into()));
        let mut t = Table::new(
            &[
                "Établissement",
                "Période",
                "Critiques ouverts",
                "Génériques avec MFA / génériques",
                "Redirections ouvertes",
                "Nuits complètes",
            ],
            &[false, false, true, true, true, false],
        );
        let mut names: Vec<&str> = n
            .periodes
            .iter()
            .flat_map(|p| p.etablissements.iter().map(|r| r.etablissement.as_str()))
            .collect();
        names.sort();
        names.dedup();
        for name in names {
            for p in &n.periodes {
                if let Some(r) = p.etablissements.iter().find(|r| r.etablissement == name) {
                    let f = &r.figures;
                    t.row(vec![
                        vec![strong(name)],
                        doc::text(&p.libelle),
                        doc::text(fr::int(f.critiques_ouverts as i64)),
                        doc::text(format!(
                            "{} / {}",
                            opt(f.generiques_mfa),
                            opt(f.generiques_comptes)
                        )),
                        doc::text(fr::int(
                            (f.redirections_publiques_ouvertes + f.redirections_externes_ouvertes)
                                as i64,
                        )),
                        doc::text(coverage(f)),
                    ]);
                }
            }
        }
        out.push(Block::Table(t));
    }
    out
}

fn csv(n: &Network) -> Result<Vec<u8>, ReportError> {
    let mut head: Vec<&str> = vec![
        "periode_du",
        "periode_au",
        "rang",
        "etablissement",
        "critiques_ouverts",
        "a_corriger_fin",
        "generiques_comptes",
        "generiques_mfa",
        "appli_comptes",
        "appli_constats_releves",
        "appli_constats_ouverts",
        "redirections_publiques_releves",
        "redirections_publiques_corrigees",
        "redirections_publiques_ouvertes",
        "redirections_externes_releves",
        "redirections_externes_corrigees",
        "redirections_externes_ouvertes",
        "delai_median_jours",
        "nuits_periode",
        "nuits_completes",
        "nuits_evaluees",
    ];
    head.extend(n.exigences.iter().map(|q| q.id.as_str()));
    let o = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    let mut rows = Vec::new();
    for p in &n.periodes {
        for (i, r) in p.etablissements.iter().enumerate() {
            let f = &r.figures;
            let mut row = vec![
                p.du.clone(),
                p.au.clone(),
                (i + 1).to_string(),
                r.etablissement.clone(),
                f.critiques_ouverts.to_string(),
                f.a_corriger_fin.to_string(),
                o(f.generiques_comptes),
                o(f.generiques_mfa),
                o(f.appli_comptes),
                f.appli_constats_releves.to_string(),
                f.appli_constats_ouverts.to_string(),
                f.redirections_publiques_releves.to_string(),
                f.redirections_publiques_corrigees.to_string(),
                f.redirections_publiques_ouvertes.to_string(),
                f.redirections_externes_releves.to_string(),
                f.redirections_externes_corrigees.to_string(),
                f.redirections_externes_ouvertes.to_string(),
                f.delai_median_jours
                    .map(|d| fr::decimal(d, 1))
                    .unwrap_or_default(),
                f.nuits_periode.to_string(),
                f.nuits_completes.to_string(),
                f.nuits_evaluees.to_string(),
            ];
            row.extend(n.exigences.iter().map(|q| {
                r.exigences
                    .get(&q.id)
                    .map(|c| c.label())
                    .unwrap_or_else(|| "absente".into())
            }));
            rows.push(row);
        }
    }
    output::csv_bytes(&head, rows)
}
