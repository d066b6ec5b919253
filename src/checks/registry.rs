//! The registry: the ordered list of the checks' own declarations (`CHECK` in each check's
//! file), and the lookups everything else goes through. It drives evaluation, the README's
//! table, `vigie365 checks`, the configuration's exception ids and the bilan's tables: a new
//! check is known everywhere once it is listed here.

use std::sync::LazyLock;

use super::{CheckInfo, Family, Tag, appli, forwarding, generic, shared};
use crate::config::LoadOptions;

/// Every check, in catalogue order: the declarations of their own files.
pub static REGISTRY: &[&CheckInfo] = &[
    &generic::gen_mfa_01::CHECK,
    &generic::gen_mfa_02::CHECK,
    &generic::gen_app_01::CHECK,
    &generic::gen_ip_01::CHECK,
    &generic::gen_pwd_01::CHECK,
    &generic::gen_reg_01::CHECK,
    &generic::gen_ip_02::CHECK,
    &generic::gen_dev_01::CHECK,
    &appli::app_gen_01::CHECK,
    &appli::app_int_01::CHECK,
    &appli::app_mfa_01::CHECK,
    &forwarding::fwd_pub_01::CHECK,
    &forwarding::fwd_ext_01::CHECK,
    &forwarding::fwd_trn_01::CHECK,
    &forwarding::fwd_org_01::CHECK,
    &forwarding::fwd_dis_01::CHECK,
    &forwarding::fwd_cli_01::CHECK,
    &forwarding::enc_ext_01::CHECK,
    &shared::shr_sig_01::CHECK,
    &shared::log_aud_01::CHECK,
];

/// The catalogue as a Markdown table (printed by `vigie365 checks`, pasted in the README
/// between markers; a test keeps both equal).
pub fn table_fr() -> String {
    table_fr_of(REGISTRY)
}

/// [`table_fr`] of any list of checks.
pub fn table_fr_of(checks: &[&CheckInfo]) -> String {
    let mut out = String::from("| contrôle | gravité | titre | référence |\n|---|---|---|---|\n");
    for c in checks {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            c.id,
            c.severity.label(),
            c.title_fr,
            c.reference
        ));
    }
    out
}

/// The catalogue for a terminal `width` characters wide (`vigie365 checks`): aligned
/// columns, titles and references wrapped in their column.
pub fn table_terminal_fr(width: usize) -> String {
    table_terminal_fr_of(REGISTRY, width)
}

/// [`table_terminal_fr`] of any list of checks.
pub fn table_terminal_fr_of(checks: &[&CheckInfo], width: usize) -> String {
    const GAP: &str = "  ";
    let head = ["contrôle", "gravité", "titre", "référence"];
    let id_w = checks
        .iter()
        .map(|c| c.id.chars().count())
        .chain([head[0].chars().count()])
        .max()
        .unwrap_or(0);
    let sev_w = checks
        .iter()
        .map(|c| c.severity.label().chars().count())
        .chain([head[1].chars().count()])
        .max()
        .unwrap_or(0);
    let rest = width.saturating_sub(id_w + sev_w + 3 * GAP.len()).max(40);
    let title_w = rest / 2;
    let ref_w = rest - title_w;
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
    let mut out = String::new();
    let mut line = |cells: [&str; 4]| {
        let l = format!(
            "{}{GAP}{}{GAP}{}{GAP}{}",
            pad(cells[0], id_w),
            pad(cells[1], sev_w),
            pad(cells[2], title_w),
            cells[3]
        );
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(head);
    line([
        &"─".repeat(id_w),
        &"─".repeat(sev_w),
        &"─".repeat(title_w),
        &"─".repeat(ref_w),
    ]);
    for c in checks {
        let title = wrap(c.title_fr, title_w);
        let reference = wrap(c.reference, ref_w);
        for i in 0..title.len().max(reference.len()) {
            let cell = |v: &[String]| v.get(i).cloned().unwrap_or_default();
            let (id, sev) = if i == 0 {
                (c.id, c.severity.label())
            } else {
                ("", "")
            };
            line([id, sev, &cell(&title), &cell(&reference)]);
        }
    }
    out
}

/// `text` cut into lines of at most `width` characters, at spaces (a longer word stands
/// alone on its line).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let needed =
            current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if !current.is_empty() && needed > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// The check of that id.
pub fn get(id: &str) -> Option<&'static CheckInfo> {
    REGISTRY.iter().copied().find(|c| c.id == id)
}

/// Whether `id` is a check that declares `tag` (false for an unknown id).
pub fn has_tag(id: &str, tag: Tag) -> bool {
    get(id).is_some_and(|c| c.has(tag))
}

/// The checks that declare `tag`, in catalogue order.
pub fn with_tag(tag: Tag) -> impl Iterator<Item = &'static CheckInfo> {
    REGISTRY.iter().copied().filter(move |c| c.has(tag))
}

/// The checks of a family, in catalogue order.
pub fn of_family(family: Family) -> impl Iterator<Item = &'static CheckInfo> {
    REGISTRY.iter().copied().filter(move |c| c.family == family)
}

/// The family of the check of that id (`None` for an id the registry does not know, e.g. a
/// check stored by an older version).
pub fn family_of(id: &str) -> Option<Family> {
    get(id).map(|c| c.family)
}

/// Every id, in catalogue order.
pub fn ids() -> &'static [&'static str] {
    static IDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| ids_of(REGISTRY));
    &IDS
}

/// Every id a store may hold and this version reads back: the catalogue's and the retired
/// checks' (`retired.rs`), in that order.
pub fn readable_ids() -> &'static [&'static str] {
    static IDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        let mut ids = ids_of(REGISTRY);
        ids.extend(super::retired::RETIRED.iter().map(|r| r.id));
        ids
    });
    &IDS
}

/// The French title of a check of the catalogue or of a retired one (marked so).
pub fn title_fr(id: &str) -> Option<String> {
    get(id).map(|c| c.title_fr.to_string()).or_else(|| {
        super::retired::get(id).map(|r| {
            format!(
                "{} (contrôle retiré en version {} : {})",
                r.title_fr, r.since, r.why_fr
            )
        })
    })
}

/// The ids of any list of checks.
pub fn ids_of(checks: &[&CheckInfo]) -> Vec<&'static str> {
    checks.iter().map(|c| c.id).collect()
}

/// What loading the configuration checks against the registry: an `[[exceptions]]` entry
/// may name any check of it.
pub fn load_options() -> LoadOptions<'static> {
    LoadOptions {
        known_checks: ids(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_are_what_the_configuration_is_given() {
        let mut ids: Vec<&str> = REGISTRY.iter().map(|c| c.id).collect();
        assert_eq!(load_options().known_checks, ids.as_slice());
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate check id");
    }

    #[test]
    fn a_retired_id_is_never_reused_and_stays_readable() {
        for r in super::super::retired::RETIRED {
            assert!(
                get(r.id).is_none(),
                "{} is retired and in the catalogue",
                r.id
            );
            assert!(readable_ids().contains(&r.id));
            assert!(!r.title_fr.is_empty() && !r.why_fr.is_empty() && !r.since.is_empty());
        }
        assert_eq!(
            readable_ids().len(),
            REGISTRY.len() + super::super::retired::RETIRED.len()
        );
        assert_eq!(&readable_ids()[..REGISTRY.len()], ids());
    }

    #[test]
    fn events_and_states_are_those_of_rules_md() {
        let events: Vec<&str> = REGISTRY
            .iter()
            .filter(|c| c.kind == crate::checks::Kind::Event)
            .map(|c| c.id)
            .collect();
        assert_eq!(
            events,
            [
                "GEN-APP-01",
                "GEN-IP-01",
                "GEN-DEV-01",
                "APP-INT-01",
                "FWD-CLI-01"
            ]
        );
    }

    #[test]
    fn families_are_in_catalogue_order_and_lookups_agree() {
        let order: Vec<Family> = REGISTRY.iter().map(|c| c.family).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(
            order, sorted,
            "the registry lists the checks family by family"
        );
        for f in Family::ALL {
            assert!(of_family(f).count() > 0, "{f:?} has no check");
            assert!(of_family(f).all(|c| family_of(c.id) == Some(f)));
        }
        assert_eq!(ids().len(), REGISTRY.len());
        assert!(get("NOPE-01").is_none() && family_of("NOPE-01").is_none());
    }

    #[test]
    fn the_terminal_table_is_aligned_and_wrapped() {
        let t = table_terminal_fr(80);
        assert!(!t.contains('|'), "not Markdown:\n{t}");
        let chars = |l: &str| l.chars().collect::<Vec<char>>();
        let head = chars(t.lines().next().unwrap_or_default());
        let title_col = head.windows(5).position(|w| w == ['t', 'i', 't', 'r', 'e']);
        let title_col = title_col.unwrap_or(0);
        for l in t.lines() {
            assert!(l.chars().count() <= 80, "{l:?}");
        }
        for c in REGISTRY {
            let row = t.lines().find(|l| l.starts_with(c.id)).unwrap_or_default();
            let row = chars(row);
            assert!(
                row.len() > title_col && row[title_col - 1] == ' ' && row[title_col] != ' ',
                "{}: the title starts in its column",
                c.id
            );
        }
        let wrapped = t.lines().filter(|l| l.starts_with(' ')).count();
        assert!(wrapped > 0, "long titles or references wrap:\n{t}");
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("", 6), [""]);
    }

    #[test]
    fn every_check_says_how_to_fix_it() {
        for c in REGISTRY {
            assert!(c.fix_fr.len() > 80, "{}: fix_fr too short", c.id);
            assert!(
                [
                    "centre d'administration",
                    "portail",
                    "PowerShell",
                    "-Identity",
                    "-UserId"
                ]
                .iter()
                .any(|w| c.fix_fr.contains(w)),
                "{}: no admin path or cmdlet in its fix",
                c.id
            );
        }
    }

    #[test]
    fn every_need_is_a_query_of_the_catalogue() {
        for c in REGISTRY {
            for n in c.needs {
                assert!(
                    crate::queries::get(n).is_some(),
                    "{}: unknown source {n}",
                    c.id
                );
            }
        }
    }
}
