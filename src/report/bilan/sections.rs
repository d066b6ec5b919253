//! The sections of the bilan as blocks (rendered to HTML and Markdown by `doc`), organised
//! by directive article and recommendation: executive summary; generic CHSLD accounts and
//! « Appli » accounts (orientation on generic subscriptions); automatic forwarding (DIR04
//! art. 6 4° and 5°); exceptions; physicians apart from other staff (DIR04); collection
//! coverage and limits; method.

use chrono::NaiveDate;

use super::data::{Bilan, Controle, Detail, family, severity_id};
use crate::checks::appli::{app_gen_01, app_mfa_01};
use crate::checks::forwarding::{fwd_dis_01, fwd_ext_01, fwd_org_01, fwd_pub_01, fwd_trn_01};
use crate::checks::generic::{gen_mfa_01, gen_mfa_02};
use crate::checks::{Severity, Tag, registry};
use crate::report::chart::{self, PALETTE, Series};
use crate::report::doc::{Block, Inline, Line, Table, plain, strong, text};
use crate::report::fr;

/// Longest list of subjects in a section (the CSV annex has them all).
const LIST_MAX: usize = 100;

fn d(x: NaiveDate) -> String {
    fr::date(x)
}

fn n(x: u32) -> String {
    fr::int(i64::from(x))
}

/// « 1 compte », « 3 comptes », « 0 compte ».
fn count(x: u32, one: &str, many: &str) -> String {
    fr::plural(i64::from(x), one, many)
}

fn opt(x: Option<i64>) -> String {
    x.map(fr::int).unwrap_or_else(|| "—".into())
}

fn days(x: Option<f64>) -> String {
    x.map(fr::days).unwrap_or_else(|| "—".into())
}

fn severity_badge(label: &str) -> Inline {
    let class = match Severity::parse(label) {
        Some(Severity::Critique) => "critique",
        Some(Severity::Elevee) => "elevee",
        Some(Severity::Moyenne) => "moyenne",
        Some(Severity::Faible) => "faible",
        _ => "info",
    };
    let shown = Severity::parse(label).map(Severity::label).unwrap_or(label);
    Inline::Badge(class, shown.to_string())
}

pub fn population_fr(p: &str) -> &'static str {
    match p {
        "medecin" => "médecin",
        "personnel" => "personnel",
        "tous" => "locataire",
        _ => "inconnue",
    }
}

fn fin(b: &Bilan) -> String {
    d(b.periode.fin)
}

/// The row of a check in the per-check tables.
fn check_row(c: &Controle) -> Vec<Line> {
    vec![
        vec![Inline::Code(c.id.to_string())],
        text(c.titre),
        vec![severity_badge(c.gravite)],
        text(n(c.releves)),
        text(n(c.nouveaux)),
        text(n(c.corriges)),
        text(n(c.ouverts_fin)),
        text(n(c.acceptes_fin)),
        text(days(c.delai_median_jours)),
        text(
            c.delai_max_jours
                .map(|x| fr::days(x as f64))
                .unwrap_or_else(|| "—".into()),
        ),
    ]
}

fn check_table(b: &Bilan, family_id: &str, caption: &str) -> Table {
    let end = format!("Ouverts au {}", fin(b));
    let mut t = Table::new(
        &[
            "Contrôle",
            "Constat",
            "Gravité",
            "Relevés",
            "Nouveaux",
            "Corrigés",
            &end,
            "dont acceptés",
            "Délai médian de correction",
            "Délai maximal",
        ],
        &[
            false, false, false, true, true, true, true, true, true, true,
        ],
    )
    .caption(caption);
    for c in b.controles.iter().filter(|c| c.famille == family_id) {
        t.row(check_row(c));
    }
    t
}

fn not_evaluated_note(b: &Bilan, family_id: &str) -> Option<Block> {
    let missing: Vec<String> = b
        .controles
        .iter()
        .filter(|c| c.famille == family_id && c.nuits_non_evalue > 0)
        .map(|c| {
            format!(
                "{} non évalué {}",
                c.id,
                fr::plural(i64::from(c.nuits_non_evalue), "nuit", "nuits")
            )
        })
        .collect();
    (!missing.is_empty()).then(|| {
        Block::Note(text(format!(
            "Contrôles non évalués certaines nuits (une source n'a pas été lue ; voir la section « Couverture ») : {}. Ces nuits-là, l'absence de constat ne prouve pas la conformité.",
            missing.join(" ; ")
        )))
    })
}

/// Episodes table: check, subject, population, from, to, days, state.
fn episode_table(b: &Bilan, details: &[&Detail], caption: &str, empty: &str) -> Table {
    let mut t = Table::new(
        &[
            "Contrôle",
            "Compte ou objet",
            "Population",
            "Ouvert le",
            "Corrigé le",
            "Jours",
            "État à la fin",
        ],
        &[false, false, false, false, false, true, false],
    )
    .caption(caption)
    .empty(empty);
    let mut rows = 0;
    for det in details {
        for e in &det.episodes {
            rows += 1;
            if rows > LIST_MAX {
                continue;
            }
            t.row(vec![
                vec![Inline::Code(det.check.clone())],
                text(&det.subject),
                text(population_fr(det.population.as_deref().unwrap_or(""))),
                text(d(e.start)),
                text(e.resolved.map(d).unwrap_or_else(|| "—".into())),
                text(fr::int(e.days(b.periode.fin))),
                text(state_fr(det, e.resolved.is_none())),
            ]);
        }
    }
    if rows > LIST_MAX {
        t.caption = Some(format!(
            "{caption} ({} premières lignes sur {} ; la liste complète est dans l'annexe des constats)",
            LIST_MAX, rows
        ));
    }
    t
}

fn state_fr(det: &Detail, this_episode_open: bool) -> String {
    if !this_episode_open {
        "corrigé".into()
    } else if det.accepted_at_end {
        "accepté (exception)".into()
    } else {
        "toujours ouvert".into()
    }
}

pub fn sommaire(b: &Bilan) -> Vec<Block> {
    let c = &b.couverture;
    let s = &b.sommaire;
    let mut out = Vec::new();
    out.push(Block::Para(vec![
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
    ]));
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
    out.push(Block::Figures(vec![
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
            format!("comptes génériques ; {mfa} des actifs ont une MFA enregistrée"),
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
    ]));
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
    ] {
        out.push(Block::Table(check_table(b, fam, caption)));
    }
    let x = &b.constats_par_nuit;
    let series: Vec<Series> = Severity::ALL
        .iter()
        .take(4)
        .enumerate()
        .map(|(i, sev)| Series {
            name: sev.label().to_string(),
            colour: [PALETTE[1], PALETTE[3], PALETTE[0], PALETTE[2]][i],
            values: x
                .a_corriger_par_gravite
                .get(severity_id(*sev))
                .map(|v| v.iter().map(|o| o.map(f64::from)).collect())
                .unwrap_or_default(),
            dashed: false,
        })
        .collect();
    out.push(Block::Chart {
        svg: chart::lines(
            "Constats à corriger, nuit par nuit, par gravité",
            &x.nuits,
            &series,
            "constats",
        ),
        caption: "Constats présents chaque nuit évaluée, hors risques acceptés, par gravité (les nuits non évaluées sont des interruptions de la courbe).".into(),
    });
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
    out.push(Block::Table(t));
    out
}

/// Sentences on what needs attention at the end of the period.
fn attention(b: &Bilan) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    let end = fin(b);
    let open = |id: &str| {
        b.controle(id)
            .map(|c| c.ouverts_fin - c.acceptes_fin)
            .unwrap_or(0)
    };
    if open(gen_mfa_01::CHECK.id) > 0 {
        out.push(text(format!(
            "{} sans MFA enregistrée au {end} (orientation, recommandations techniques).",
            count(
                open(gen_mfa_01::CHECK.id),
                "compte générique",
                "comptes génériques"
            )
        )));
    }
    if open(app_gen_01::CHECK.id) > 0 {
        out.push(text(format!(
            "{} de type « Appli » au {end} : le contournement de la MFA que l'orientation nomme.",
            count(
                open(app_gen_01::CHECK.id),
                "compte générique",
                "comptes génériques"
            )
        )));
    }
    if open(fwd_pub_01::CHECK.id) > 0 {
        out.push(text(format!(
            "{} vers une messagerie publique au {end} (MSSS-DIR04, art. 6 4° et 5°).",
            count(
                open(fwd_pub_01::CHECK.id),
                "redirection automatique toujours active",
                "redirections automatiques toujours actives"
            )
        )));
    }
    let external = open(fwd_ext_01::CHECK.id) + open(fwd_trn_01::CHECK.id);
    if external > 0 {
        out.push(text(format!(
            "{} vers un domaine externe au {end} (MSSS-DIR04, art. 6 5°).",
            count(
                external,
                "redirection automatique toujours active",
                "redirections automatiques toujours actives"
            )
        )));
    }
    match b.redirections.locataire.last() {
        Some(s) if s.etat == "elevee" || s.etat == "moyenne" => out.push(text(format!(
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
            out.push(text(format!(
                "Le locataire bloque la redirection externe automatique depuis le {}.",
                d(s.du)
            )))
        }
        _ => {}
    }
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
    if out.is_empty() {
        out.push(text(format!(
            "Aucun point d'attention au {end} : aucun constat à corriger et une collecte complète chaque nuit."
        )));
    }
    out
}

pub fn generiques(b: &Bilan) -> Vec<Block> {
    let g = &b.generiques;
    let mut out = Vec::new();
    let pct = match (g.mfa_enregistree_fin, g.actifs_fin) {
        (Some(m), Some(a)) => fr::percent(m, a),
        _ => "—".into(),
    };
    out.push(Block::Para(text(format!(
        "Au {} : {} comptes génériques, dont {} actifs ; {} des comptes actifs ont une MFA enregistrée ({} comptes) et {} actifs ne sont visés par aucune stratégie d'accès conditionnel exigeant la MFA. Au début de la période : {} comptes génériques.",
        fin(b),
        opt(g.comptes_fin),
        opt(g.actifs_fin),
        pct,
        opt(g.mfa_enregistree_fin),
        opt(g.exclue_mfa_fin),
        opt(g.comptes_debut)
    ))));
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
    out.push(Block::Chart {
        svg: chart::lines(
            "Comptes génériques actifs et couverture MFA, nuit par nuit",
            &x,
            &series,
            "comptes",
        ),
        caption: "Comptes génériques actifs, avec une MFA enregistrée, avec une MFA utilisable, et exclus de toute stratégie d'accès conditionnel exigeant la MFA, chaque nuit évaluée.".into(),
    });
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
    out.push(Block::Table(t));
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

/// Open findings with their evidence.
fn open_table(b: &Bilan, details: &[&Detail], empty: &str) -> Table {
    let mut t = Table::new(
        &[
            "Contrôle",
            "Compte ou objet",
            "Gravité",
            "Depuis le",
            "Preuve (dernière nuit)",
        ],
        &[false, false, false, false, false],
    )
    .empty(empty);
    for det in details.iter().take(LIST_MAX) {
        let since = det.episodes.last().map(|e| d(e.start)).unwrap_or_default();
        t.row(vec![
            vec![Inline::Code(det.check.clone())],
            text(&det.subject),
            vec![severity_badge(det.severity.as_deref().unwrap_or("info"))],
            text(since),
            text(&det.evidence),
        ]);
    }
    if details.len() > LIST_MAX {
        t.caption = Some(format!(
            "{} premiers sur {} ; la liste complète est dans l'annexe des constats",
            LIST_MAX,
            details.len()
        ));
    }
    let _ = b;
    t
}

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
        .filter(|x| family(&x.check) == "appli")
        .collect();
    out.push(Block::Table(episode_table(
        b,
        &misuse,
        "Comptes « Appli » mal utilisés et exemptions de MFA non justifiées, par période",
        "Aucun mauvais usage de compte « Appli » ni exemption de MFA non justifiée pendant la période.",
    )));
    out
}

pub fn redirections(b: &Bilan) -> Vec<Block> {
    let r = &b.redirections;
    let mut out = vec![Block::Figures(vec![
        (
            n(r.trouvees),
            "redirections vers une messagerie publique ou un domaine externe relevées".into(),
        ),
        (n(r.corrigees), "corrigées pendant la période".into()),
        (
            days(r.delai_median_jours),
            "délai médian de correction".into(),
        ),
        (n(r.ouvertes_fin), format!("toujours actives au {}", fin(b))),
    ])];
    out.push(Block::Table(check_table(
        b,
        "redirections",
        "Redirections automatiques, contrôle par contrôle",
    )));
    if let Some(note) = not_evaluated_note(b, "redirections") {
        out.push(note);
    }
    let cats: Vec<String> = r
        .par_mois
        .iter()
        .map(|m| month_label(&m.mois, r.par_mois.len() > 4))
        .collect();
    let val = |f: &dyn Fn(&super::data::RedirectionsMois) -> u32| -> Vec<Option<f64>> {
        r.par_mois.iter().map(|m| Some(f64::from(f(m)))).collect()
    };
    out.push(Block::Chart {
        svg: chart::bars(
            "Redirections automatiques apparues et corrigées, par mois",
            &cats,
            &[
                Series {
                    name: "vers une messagerie publique".into(),
                    colour: PALETTE[1],
                    values: val(&|m| m.publiques),
                    dashed: false,
                },
                Series {
                    name: "vers un domaine externe (règles et transport)".into(),
                    colour: PALETTE[3],
                    values: val(&|m| m.externes + m.transport),
                    dashed: false,
                },
                Series {
                    name: "corrigées".into(),
                    colour: PALETTE[2],
                    values: val(&|m| m.corrigees),
                    dashed: false,
                },
            ],
            "redirections",
        ),
        caption: "Redirections apparues (nouvelles ou rouvertes) et corrigées chaque mois.".into(),
    });
    let mut t = Table::new(
        &[
            "Mois",
            "Messagerie publique",
            "Domaine externe",
            "Règle de transport",
            "Règle désactivée",
            "Corrigées",
            "Actives en fin de mois",
        ],
        &[false, true, true, true, true, true, true],
    )
    .caption("Redirections apparues, corrigées et actives, par mois");
    for m in &r.par_mois {
        t.row(vec![
            text(month_label(&m.mois, false)),
            text(n(m.publiques)),
            text(n(m.externes)),
            text(n(m.transport)),
            text(n(m.desactivees)),
            text(n(m.corrigees)),
            text(n(m.ouvertes_fin_mois)),
        ]);
    }
    out.push(Block::Table(t));
    out.push(Block::Heading(format!(
        "Contrôles de redirection externe du locataire ({})",
        fwd_org_01::CHECK.id
    )));
    out.push(Block::Para(text(
        "La redirection externe automatique n'est permise que si les deux couches la permettent : la stratégie de courrier indésirable sortant par défaut (AutoForwardingMode = On) et un domaine distant (AutoForwardEnabled = true). Une couche qui la bloque suffit à l'empêcher ; quand une seule la bloque, la défense en profondeur est perdue.",
    )));
    let mut t = Table::new(&["Du", "Au", "État du locataire"], &[false, false, false]);
    for s in &r.locataire {
        t.row(vec![
            text(d(s.du)),
            text(d(s.au)),
            text(match s.etat {
                "elevee" => "redirection externe permise par les deux couches (élevée)",
                "moyenne" => "une seule couche bloque (moyenne)",
                "bloquee" => "redirection externe bloquée",
                _ => "non évalué (source non lue)",
            }),
        ]);
    }
    out.push(Block::Table(t));
    out.push(Block::Para(text(format!(
        "Parmi les redirections toujours actives au {} (règles et boîtes) : {} seraient bloquées par les contrôles du locataire, {} ne le seraient pas, {} inconnu (contrôles non lus). Une redirection bloquée reste un constat : la règle exprime le contournement que la directive interdit.",
        fin(b),
        n(r.bloquees_fin),
        n(r.non_bloquees_fin),
        n(r.blocage_inconnu_fin)
    ))));
    out.push(Block::Heading(format!(
        "Redirections toujours actives au {}",
        fin(b)
    )));
    let open: Vec<&Detail> = b
        .details
        .iter()
        .filter(|x| {
            family(&x.check) == "redirections"
                && !registry::has_tag(&x.check, Tag::TenantLevel)
                && x.open_at_end
        })
        .collect();
    let mut t = Table::new(
        &[
            "Contrôle",
            "Règle ou boîte → cible",
            "Population",
            "Depuis le",
            "Bloquée par le locataire",
            "Preuve (dernière nuit)",
        ],
        &[false, false, false, false, false, false],
    )
    .empty("Aucune redirection vers l'extérieur active à la fin de la période.");
    for det in open.iter().take(LIST_MAX) {
        t.row(vec![
            vec![Inline::Code(det.check.clone())],
            text(&det.subject),
            text(population_fr(det.population.as_deref().unwrap_or(""))),
            text(det.episodes.last().map(|e| d(e.start)).unwrap_or_default()),
            text(match det.blocked_by_tenant {
                Some(true) => "oui",
                Some(false) => "non",
                None if !registry::has_tag(&det.check, Tag::TenantCanBlock) => "sans objet",
                None => "inconnu",
            }),
            text(&det.evidence),
        ]);
    }
    out.push(Block::Table(t));
    out.push(Block::Heading(
        "Redirections corrigées pendant la période".into(),
    ));
    let fixed: Vec<&Detail> = b
        .details
        .iter()
        .filter(|x| {
            registry::has_tag(&x.check, Tag::SendsOutside)
                && x.episodes.iter().any(|e| e.resolved.is_some())
        })
        .collect();
    let mut t = Table::new(
        &[
            "Contrôle",
            "Règle ou boîte → cible",
            "Population",
            "Ouverte le",
            "Corrigée le",
            "Jours",
        ],
        &[false, false, false, false, false, true],
    )
    .empty("Aucune redirection corrigée pendant la période.");
    let mut rows = 0;
    for det in &fixed {
        for e in det.episodes.iter().filter(|e| e.resolved.is_some()) {
            rows += 1;
            if rows > LIST_MAX {
                continue;
            }
            t.row(vec![
                vec![Inline::Code(det.check.clone())],
                text(&det.subject),
                text(population_fr(det.population.as_deref().unwrap_or(""))),
                text(d(e.start)),
                text(e.resolved.map(d).unwrap_or_default()),
                text(fr::int(e.days(b.periode.fin))),
            ]);
        }
    }
    if rows > LIST_MAX {
        t.caption = Some(format!(
            "{LIST_MAX} premières sur {rows} ; la liste complète est dans l'annexe des constats"
        ));
    }
    out.push(Block::Table(t));
    out
}

fn month_label(key: &str, short: bool) -> String {
    let (y, m) = key.split_once('-').unwrap_or((key, "1"));
    let y: i32 = y.parse().unwrap_or(0);
    let m: u32 = m.parse().unwrap_or(1);
    if short {
        fr::month_short(m).to_string()
    } else {
        fr::month(y, m)
    }
}

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
    .empty("Aucune exception pendant la période.");
    for e in &b.exceptions {
        t.row(vec![
            vec![Inline::Code(e.controle.clone())],
            text(&e.sujet),
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
    let pct = |x: &super::data::PopulationBilan| match (x.mfa_enregistree_fin, x.actifs_fin) {
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
        let cell = |x: &super::data::PopulationBilan| {
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
    out.push(Block::Chart {
        svg: chart::calendar("Collecte nuit par nuit", &cells, &states),
        caption: "Chaque case est une nuit de la période, colorée selon l'issue de sa collecte."
            .into(),
    });
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
    out.push(Block::Table(t));
    out.push(Block::Heading("Ce que l'outil n'a pas pu voir".into()));
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
    if limits.is_empty() {
        limits.push(text(
            "Toutes les sources ont été lues et tous les contrôles évalués chaque nuit de la période.",
        ));
    }
    out.push(Block::List(limits));
    out
}

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
    .caption("Requêtes et autorisations (lecture seule)");
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
    .caption("Contrôles et références");
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

/// The list of annex files.
pub fn annexes(files: &[String]) -> Vec<Block> {
    vec![Block::List(
        files
            .iter()
            .map(|f| vec![Inline::Code(f.clone())])
            .collect(),
    )]
}
