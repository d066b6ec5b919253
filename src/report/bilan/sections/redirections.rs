//! Automatic forwarding (DIR04 art. 6 4° and 5°): found, fixed and how fast, month by
//! month, the tenant's own controls, and the forwards still active or fixed.

use super::super::data::{Bilan, Detail, RedirectionsMois};
use super::tables::{check_table, not_evaluated_note};
use super::{LIST_MAX, d, days, fin, n, population_fr};
use crate::checks::forwarding::fwd_org_01;
use crate::checks::{Tag, registry};
use crate::report::chart::{self, PALETTE, Series};
use crate::report::doc::{Block, Inline, Table, text};
use crate::report::fr;

pub fn redirections(b: &Bilan) -> Vec<Block> {
    let r = &b.redirections;
    let mut out = vec![key_figures(b)];
    out.push(Block::Table(check_table(
        b,
        "redirections",
        "Redirections automatiques, contrôle par contrôle",
    )));
    if let Some(note) = not_evaluated_note(b, "redirections") {
        out.push(note);
    }
    out.push(monthly_chart(b));
    out.push(Block::Table(monthly_table(b)));
    out.extend(tenant(b));
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
    out.push(Block::Table(still_open(b)));
    out.push(Block::Heading(
        "Redirections corrigées pendant la période".into(),
    ));
    out.push(Block::Table(fixed(b)));
    out
}

/// Found, fixed, how fast, still active.
fn key_figures(b: &Bilan) -> Block {
    let r = &b.redirections;
    Block::Figures(vec![
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
    ])
}

/// Forwards that appeared and were fixed, month by month.
fn monthly_chart(b: &Bilan) -> Block {
    let r = &b.redirections;
    let cats: Vec<String> = r
        .par_mois
        .iter()
        .map(|m| month_label(&m.mois, r.par_mois.len() > 4))
        .collect();
    let val = |f: &dyn Fn(&RedirectionsMois) -> u32| -> Vec<Option<f64>> {
        r.par_mois.iter().map(|m| Some(f64::from(f(m)))).collect()
    };
    Block::Chart {
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
    }
}

/// Forwards that appeared, were fixed and were active, month by month, per check.
fn monthly_table(b: &Bilan) -> Table {
    let r = &b.redirections;
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
    t
}

/// The tenant-level controls (FWD-ORG-01): both layers, and their state over the period.
fn tenant(b: &Bilan) -> Vec<Block> {
    let mut out = Vec::new();
    out.push(Block::Heading(format!(
        "Contrôles de redirection externe du locataire ({})",
        fwd_org_01::CHECK.id
    )));
    out.push(Block::Para(text(
        "La redirection externe automatique n'est permise que si les deux couches la permettent : la stratégie anti-pourriel sortant par défaut (redirection automatique « activée ») et un domaine distant (redirection automatique permise vers ce domaine). Une couche qui la bloque suffit à l'empêcher ; quand une seule la bloque, la défense en profondeur est perdue.",
    )));
    let mut t = Table::new(&["Du", "Au", "État du locataire"], &[false, false, false]);
    for s in &b.redirections.locataire {
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
    out
}

/// Forwards still active at the end, with whether the tenant would block them.
fn still_open(b: &Bilan) -> Table {
    let open: Vec<&Detail> = b
        .details
        .iter()
        // Active forwards only: a disabled rule (FWD-DIS-01) sends nothing today.
        .filter(|x| registry::has_tag(&x.check, Tag::SendsOutside) && x.open_at_end)
        .collect();
    let mut t = Table::new(
        &[
            "Contrôle",
            "Boîte ou règle → cible",
            "Population",
            "Depuis le",
            "Bloquée par le locataire",
        ],
        &[false, false, false, false, false],
    )
    .caption("Redirections toujours actives ; l'identifiant de chaque règle et sa preuve sont dans l'annexe des constats")
    .empty("Aucune redirection vers l'extérieur active à la fin de la période.");
    for det in open.iter().take(LIST_MAX) {
        t.row(vec![
            vec![Inline::Code(det.check.clone())],
            text(mailbox_and_target(&det.subject)),
            text(population_fr(det.population.as_deref().unwrap_or(""))),
            text(det.episodes.last().map(|e| d(e.start)).unwrap_or_default()),
            text(match det.blocked_by_tenant {
                Some(true) => "oui",
                Some(false) => "non",
                None if !registry::has_tag(&det.check, Tag::TenantCanBlock) => "sans objet",
                None => "inconnu",
            }),
        ]);
    }
    t
}

/// `upn#regle:<id>>target` → « upn (règle) → target » (the rule id goes to the annex);
/// `upn#boite>target` → « upn (boîte) → target »; `transport:<name>>target` →
/// « règle de transport « name » → target »; anything else (an account) as is.
pub(super) fn mailbox_and_target(subject: &str) -> String {
    match subject.split_once('#') {
        Some((upn, rest)) => {
            let target = rest.rsplit_once('>').map_or("", |(_, t)| t);
            let how = if rest.starts_with("boite") {
                " (boîte)"
            } else {
                " (règle)"
            };
            format!("{upn}{how} → {target}")
        }
        None => match subject
            .strip_prefix("transport:")
            .and_then(|r| r.rsplit_once('>'))
        {
            Some((name, target)) => format!("règle de transport « {name} » → {target}"),
            None => subject.replacen('>', " → ", 1),
        },
    }
}

/// Forwards to public or external domains fixed during the period, one row per fix.
fn fixed(b: &Bilan) -> Table {
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
    .caption("L'identifiant de chaque règle et sa preuve sont dans l'annexe des constats")
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
                text(mailbox_and_target(&det.subject)),
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
    t
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

#[cfg(test)]
mod tests {
    use super::mailbox_and_target;

    #[test]
    fn the_body_names_the_mailbox_and_the_target_never_the_rule_id() {
        assert_eq!(
            mailbox_and_target("a@x.ca#regle:AQAAAGz8sMLiPLn4=>b@gmail.com"),
            "a@x.ca (règle) → b@gmail.com"
        );
        assert_eq!(
            mailbox_and_target("a@x.ca#boite>b@gmail.com"),
            "a@x.ca (boîte) → b@gmail.com"
        );
        assert_eq!(
            mailbox_and_target("transport:Copie vers l'externe>b@gmail.com"),
            "règle de transport « Copie vers l'externe » → b@gmail.com"
        );
        assert_eq!(mailbox_and_target("a@x.ca"), "a@x.ca");
    }
}
