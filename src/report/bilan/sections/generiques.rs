//! Generic CHSLD accounts (orientation on generic subscriptions): how many, their MFA
//! night by night and month by month, the checks, and which accounts went without MFA and
//! for how long.

use chrono::NaiveDate;

use super::super::data::{Bilan, Detail, family};
use super::tables::{check_table, episode_table, event_tables, not_evaluated_note, open_table};
use super::{d, fin, opt};
use crate::checks::generic::{gen_mfa_01, gen_mfa_02};
use crate::report::chart::{self, PALETTE, Series};
use crate::report::doc::{Block, Table, text};
use crate::report::fr;

pub fn generiques(b: &Bilan) -> Vec<Block> {
    let mut out = vec![intro(b), mfa_chart(b), Block::Table(monthly(b))];
    out.push(Block::Table(check_table(
        b,
        "generiques",
        "Recommandations de l'orientation, contrôle par contrôle",
    )));
    if let Some(note) = not_evaluated_note(b, "generiques") {
        out.push(note);
    }
    out.push(Block::Heading(
        "Comptes génériques sans MFA ou exemptés de la MFA, et pendant combien de temps".into(),
    ));
    let mfa_checks = [gen_mfa_01::CHECK.id, gen_mfa_02::CHECK.id];
    let mfa: Vec<&Detail> = b
        .details
        .iter()
        .filter(|x| mfa_checks.contains(&x.check.as_str()))
        .collect();
    out.push(Block::Table(episode_table(
        b,
        &mfa,
        &format!(
            "Périodes sans MFA enregistrée ({}) ou sans MFA exigée ({})",
            mfa_checks[0], mfa_checks[1]
        ),
        "Aucun compte générique sans MFA pendant la période.",
    )));
    let events = event_tables(b, "generiques");
    if !events.is_empty() {
        out.push(Block::Heading(
            "Connexions hors des adresses IP fixes et hors des applications permises".into(),
        ));
        out.extend(events);
    }
    out.push(Block::Heading(format!(
        "Autres constats sur les comptes génériques ouverts au {}",
        fin(b)
    )));
    let others: Vec<&Detail> = b
        .details
        .iter()
        .filter(|x| {
            family(&x.check) == "generiques"
                && !mfa_checks.contains(&x.check.as_str())
                && x.open_at_end
        })
        .collect();
    out.push(Block::Table(open_table(
        b,
        &others,
        "Aucun autre constat ouvert sur les comptes génériques.",
    )));
    out
}

/// The accounts and their MFA at the end, and the accounts at the start.
fn intro(b: &Bilan) -> Block {
    let g = &b.generiques;
    let pct = match (g.mfa_enregistree_fin, g.actifs_fin) {
        (Some(m), Some(a)) => fr::percent(m, a),
        _ => "—".into(),
    };
    Block::Para(text(format!(
        "Au {} : {} comptes génériques, dont {} actifs ; {} des comptes actifs ont une MFA enregistrée ({} comptes) et {} actifs ne sont visés par aucune stratégie d'accès conditionnel exigeant la MFA. Au début de la période : {} comptes génériques.",
        fin(b),
        opt(g.comptes_fin),
        opt(g.actifs_fin),
        pct,
        opt(g.mfa_enregistree_fin),
        opt(g.exclue_mfa_fin),
        opt(g.comptes_debut)
    )))
}

/// Active generic accounts and their MFA, night by night.
fn mfa_chart(b: &Bilan) -> Block {
    let g = &b.generiques;
    let x: Vec<NaiveDate> = g.serie.iter().map(|p| p.nuit).collect();
    let series = vec![
        Series {
            name: "comptes actifs".into(),
            colour: PALETTE[6],
            values: g.serie.iter().map(|p| Some(p.actifs as f64)).collect(),
            dashed: true,
        },
        Series {
            name: "MFA enregistrée".into(),
            colour: PALETTE[2],
            values: g
                .serie
                .iter()
                .map(|p| Some(p.mfa_enregistree as f64))
                .collect(),
            dashed: false,
        },
        Series {
            name: "MFA utilisable".into(),
            colour: PALETTE[0],
            values: g.serie.iter().map(|p| Some(p.mfa_capable as f64)).collect(),
            dashed: false,
        },
        Series {
            name: "exclus de la MFA".into(),
            colour: PALETTE[1],
            values: g
                .serie
                .iter()
                .map(|p| p.exclue_mfa.map(|x| x as f64))
                .collect(),
            dashed: false,
        },
    ];
    Block::Chart {
        svg: chart::lines(
            "Comptes génériques actifs et couverture MFA, nuit par nuit",
            &x,
            &series,
            "comptes",
        ),
        caption: "Comptes génériques actifs, avec une MFA enregistrée, avec une MFA utilisable, et exclus de toute stratégie d'accès conditionnel exigeant la MFA, chaque nuit évaluée.".into(),
    }
}

/// MFA coverage of the generic accounts at the last evaluated night of each month.
fn monthly(b: &Bilan) -> Table {
    let mut t = Table::new(
        &[
            "Mois (dernière nuit évaluée)",
            "Comptes",
            "Actifs",
            "MFA enregistrée",
            "Couverture MFA",
            "Exclus de la MFA",
        ],
        &[false, true, true, true, true, true],
    )
    .caption("Couverture MFA des comptes génériques, mois par mois");
    for m in &b.posture_mensuelle {
        let get = |metric: &str| {
            m.figures
                .get("tous")
                .and_then(|p| p.get("generique"))
                .and_then(|c| c.get(metric))
                .copied()
        };
        t.row(vec![
            text(d(m.nuit)),
            text(opt(get("comptes"))),
            text(opt(get("actifs"))),
            text(opt(get("mfa_enregistree"))),
            text(match (get("mfa_enregistree"), get("actifs")) {
                (Some(a), Some(b)) => fr::percent(a, b),
                _ => "—".into(),
            }),
            text(opt(get("exclue_mfa"))),
        ]);
    }
    t
}
