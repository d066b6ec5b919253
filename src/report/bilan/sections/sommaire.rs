//! The summary (« Sommaire »): the period's key figures, what needs attention at the end, the
//! requirements with their checks, and the findings to fix night by night.

use super::super::data::{Bilan, severity_id};
use super::tables::check_table;
use super::{count, d, days, fin, n, opt, severity_badge};
use crate::checks::Severity;
use crate::checks::appli::app_gen_01;
use crate::checks::forwarding::{fwd_ext_01, fwd_pub_01, fwd_trn_01};
use crate::checks::generic::gen_mfa_01;
use crate::report::chart::{self, PALETTE, Series};
use crate::report::doc::{Block, Line, Table, plain, strong, text};
use crate::report::fr;

pub fn sommaire(b: &Bilan) -> Vec<Block> {
    let mut out = vec![intro(b), key_figures(b), Block::Table(single_factor(b))];
    out.push(Block::Heading("Points d'attention".into()));
    out.push(Block::List(attention(b)));
    out.push(Block::Heading(
        "Exigences et constats, par article et recommandation".into(),
    ));
    for (fam, caption) in [
        (
            "generiques",
            "Orientation sur les abonnements génériques en CHSLD — comptes génériques",
        ),
        (
            "appli",
            "Orientation sur les abonnements génériques en CHSLD — MFA et comptes « Appli »",
        ),
        (
            "redirections",
            "MSSS-DIR04, art. 6 4° et 5° — messageries publiques et redirections automatiques",
        ),
        (
            "partages",
            "Orientation sur les abonnements génériques, MSSS-DIR04, art. 12 et 13 — comptes \
             partagés et journalisation",
        ),
    ] {
        out.push(Block::Table(check_table(b, fam, caption)));
    }
    out.push(severity_chart(b));
    out.push(Block::Table(severity_table(b)));
    out
}

/// How many nights were audited, evaluated and complete.
fn intro(b: &Bilan) -> Block {
    let c = &b.couverture;
    Block::Para(vec![
        plain(format!(
            "Du {} au {}, vigie365 a audité chaque nuit le locataire Microsoft 365 de {} : ",
            d(b.periode.du),
            fin(b),
            b.etablissement
        )),
        strong(format!(
            "{} nuits évaluées sur {}",
            n(c.nuits_evaluees),
            n(c.nuits_periode)
        )),
        plain(format!(
            " ({}), dont {} complètes. Ce bilan est produit à partir de la base de vigie365 seulement ; il peut être reproduit à toute date (MSSS-DIR04, art. 13).",
            fr::percent(i64::from(c.nuits_evaluees), i64::from(c.nuits_periode)),
            n(c.nuits_completes)
        )),
    ])
}

/// The figures at the top of the bilan.
fn key_figures(b: &Bilan) -> Block {
    let c = &b.couverture;
    let s = &b.sommaire;
    let to_fix: u32 = s.a_corriger_fin_par_gravite.values().sum();
    let g = &b.generiques;
    let mfa = match (g.mfa_enregistree_fin, g.actifs_fin) {
        (Some(m), Some(a)) => fr::percent(m, a),
        _ => "—".into(),
    };
    let in_force = b
        .exceptions
        .iter()
        .filter(|e| e.etat_fin == "en_vigueur")
        .count() as u32;
    Block::Figures(vec![
        (
            n(to_fix),
            format!(
                "{} au {}",
                if to_fix >= 2 {
                    "constats à corriger"
                } else {
                    "constat à corriger"
                },
                fin(b)
            ),
        ),
        (
            opt(g.comptes_fin),
            format!(
                "comptes génériques ; MFA enregistrée : {mfa} des actifs ; MFA exigée par une stratégie : {}",
                match (g.exclue_mfa_fin, g.actifs_fin) {
                    (Some(x), Some(a)) => fr::percent(a - x, a),
                    _ => "inconnue (stratégies non lues)".into(),
                }
            ),
        ),
        (
            n(b.redirections.trouvees),
            format!(
                "redirections vers l'extérieur relevées ; {} corrigées",
                n(b.redirections.corrigees)
            ),
        ),
        (
            days(b.redirections.delai_median_jours),
            "délai médian de correction d'une redirection".into(),
        ),
        (
            n(in_force),
            if in_force >= 2 {
                "exceptions en vigueur (risques acceptés)"
            } else {
                "exception en vigueur (risque accepté)"
            }
            .into(),
        ),
        (
            format!("{}/{}", n(c.nuits_completes), n(c.nuits_periode)),
            "nuits de collecte complète".into(),
        ),
    ])
}

/// Successful single-factor sign-ins of generic and « Appli » accounts over the period, and
/// the accounts concerned (break-glass accounts are not counted: the annex names them).
fn single_factor(b: &Bilan) -> Table {
    let f = &b.connexions_facteur_unique;
    let mut t = Table::new(
        &[
            "Comptes",
            "Connexions réussies à facteur unique",
            "Comptes concernés",
        ],
        &[false, true, true],
    )
    .caption(format!(
        "Connexions réussies sans MFA (facteur unique), sur {} ; comptes d'urgence exclus, nommés en annexe",
        if f.nuits_lues == f.nuits_evaluees {
            format!("les {} nuits évaluées", n(f.nuits_evaluees))
        } else {
            format!(
                "{} nuits évaluées sur {} (connexions non lues les autres nuits)",
                n(f.nuits_lues),
                n(f.nuits_evaluees)
            )
        }
    ));
    for (label, c) in [
        ("comptes génériques", &f.generiques),
        ("comptes « Appli »", &f.appli),
    ] {
        t.row(vec![
            text(label),
            text(fr::int(c.connexions)),
            text(n(c.comptes)),
        ]);
    }
    t
}

/// Findings to fix, night by night, by severity.
fn severity_chart(b: &Bilan) -> Block {
    let x = &b.constats_par_nuit;
    // Every severity the totals count, « info » included: one rule for figures and chart.
    let series: Vec<Series> = Severity::ALL
        .iter()
        .enumerate()
        .map(|(i, sev)| Series {
            name: sev.label().to_string(),
            colour: [PALETTE[1], PALETTE[3], PALETTE[0], PALETTE[2], PALETTE[4]][i],
            values: x
                .a_corriger_par_gravite
                .get(severity_id(*sev))
                .map(|v| v.iter().map(|o| o.map(f64::from)).collect())
                .unwrap_or_default(),
            dashed: false,
        })
        .collect();
    Block::Chart {
        svg: chart::lines(
            "Constats à corriger, nuit par nuit, par gravité",
            &x.nuits,
            &series,
            "constats",
        ),
        caption: "Constats présents chaque nuit évaluée, hors risques acceptés, par gravité (les nuits non évaluées sont des interruptions de la courbe).".into(),
    }
}

/// Findings to fix at the end, by severity.
fn severity_table(b: &Bilan) -> Table {
    let s = &b.sommaire;
    let mut t = Table::new(
        &["Gravité", &format!("À corriger au {}", fin(b))],
        &[false, true],
    );
    for (sev, k) in Severity::ALL
        .iter()
        .map(|sv| (sv.label(), severity_id(*sv)))
        .map(|(l, k)| (l, s.a_corriger_fin_par_gravite.get(k).copied().unwrap_or(0)))
    {
        t.row(vec![vec![severity_badge(sev)], text(n(k))]);
    }
    t
}

/// Sentences on what needs attention at the end of the period.
fn attention(b: &Bilan) -> Vec<Line> {
    let end = fin(b);
    let mut out = open_findings(b, &end);
    out.extend(tenant(b, &end));
    let expired = b
        .exceptions
        .iter()
        .filter(|e| e.etat_fin == "expiree")
        .count();
    if expired > 0 {
        out.push(text(format!(
            "{} dont le constat est toujours ouvert : à corriger ou à renouveler.",
            count(expired as u32, "exception expirée", "exceptions expirées")
        )));
    }
    let c = &b.couverture;
    if c.nuits_completes < c.nuits_periode {
        out.push(text(format!(
            "{} sans collecte complète sur {} : voir la section « Couverture de la collecte et limites ».",
            count(c.nuits_periode - c.nuits_completes, "nuit", "nuits"),
            n(c.nuits_periode)
        )));
    }
    let evaluated = c.nuits_evaluees;
    for ctl in &b.controles {
        if evaluated > 0 && ctl.nuits_non_evalue == evaluated {
            out.push(text(format!(
                "Le contrôle {} n'a été évalué aucune nuit : une source qu'il exige n'a jamais été lue.",
                ctl.id
            )));
        }
    }
    let r = &b.reddition;
    if !r.tout_verifie() {
        out.push(text(format!(
            "Tout n'a pas été vérifié : {} partiel(s) et {} hors de portée de l'outil sur {} ; {} à fournir (section 1).",
            count(r.partielles, "élément", "éléments"),
            n(r.hors_portee),
            n(r.exigences),
            count(r.attestations_a_fournir, "attestation", "attestations")
        )));
    }
    if out.is_empty() {
        out.push(text(format!(
            "Aucun point d'attention au {end} : aucun constat à corriger, une collecte complète chaque nuit et chaque élément vérifié."
        )));
    }
    out
}

/// Findings of the main checks still open (and not accepted) at the end.
fn open_findings(b: &Bilan, end: &str) -> Vec<Line> {
    let open = |id: &str| {
        b.controle(id)
            .map(|c| c.ouverts_fin - c.acceptes_fin)
            .unwrap_or(0)
    };
    let accounts = ("compte générique", "comptes génériques");
    let forwards = (
        "redirection automatique toujours active",
        "redirections automatiques toujours actives",
    );
    [
        (
            open(gen_mfa_01::CHECK.id),
            accounts,
            format!("sans MFA enregistrée au {end} (orientation, recommandations techniques)."),
        ),
        (
            open(app_gen_01::CHECK.id),
            accounts,
            format!(
                "de type « Appli » au {end} : le contournement de la MFA que l'orientation nomme."
            ),
        ),
        (
            open(fwd_pub_01::CHECK.id),
            forwards,
            format!("vers une messagerie publique au {end} (MSSS-DIR04, art. 6 4° et 5°)."),
        ),
        (
            open(fwd_ext_01::CHECK.id) + open(fwd_trn_01::CHECK.id),
            forwards,
            format!("vers un domaine externe au {end} (MSSS-DIR04, art. 6 5°)."),
        ),
    ]
    .into_iter()
    .filter(|(k, ..)| *k > 0)
    .map(|(k, (one, many), rest)| text(format!("{} {rest}", count(k, one, many))))
    .collect()
}

/// Whether the tenant still allows automatic external forwarding at the end, or since when
/// it blocks it.
fn tenant(b: &Bilan, end: &str) -> Option<Line> {
    match b.redirections.locataire.last() {
        Some(s) if s.etat == "elevee" || s.etat == "moyenne" => Some(text(format!(
            "Le locataire permet encore la redirection externe automatique au {end} ({}).",
            if s.etat == "elevee" {
                "les deux couches de contrôle la permettent"
            } else {
                "une des deux couches de contrôle la permet"
            }
        ))),
        Some(s)
            if s.etat == "bloquee"
                && b.redirections
                    .locataire
                    .iter()
                    .any(|x| x.etat == "elevee" || x.etat == "moyenne") =>
        {
            Some(text(format!(
                "Le locataire bloque la redirection externe automatique depuis le {}.",
                d(s.du)
            )))
        }
        _ => None,
    }
}
