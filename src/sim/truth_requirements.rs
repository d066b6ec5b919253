//! Ground truth of the accountability table (MSSS-DIR04 art. 14) for a simulated period:
//! the status each requirement must have, from what the simulation did each night (which
//! sources the simulator refused, which night failed), written here with literal ids as an
//! independent oracle. It reads nothing of `crate::requirements`, `crate::checks` or the
//! bilan: if a check stops evidencing its requirement, or a status rule drifts, the two
//! disagree and the test says which row.
//!
//! The rules, as DIR04 art. 14 and RULES.md (« What the bilan must answer ») state them:
//! an element tenant data cannot show is *hors de portée* whatever happened; an element the
//! tool shows only in part is *partiel* whatever happened; an element the tool can show
//! entirely is *vérifié* only when every night of the period was collected and evaluated
//! and no source that evidences it was refused, else *partiel*.

use std::collections::BTreeMap;

/// What the simulation did on one night of the period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlannedNight {
    /// Sources the simulator refused that night (`SimOptions::deny` keys).
    pub denied: Vec<String>,
    /// The night failed (nothing could be read: a refused token).
    pub failed: bool,
}

/// Expected status of one requirement: `verifie`, `partiel` or `hors_portee` (the bilan's
/// JSON values).
pub type ExpectedStatus = &'static str;

/// Tenant data cannot show them (DIR04 art. 7, 8, 9 2° to 4°; the orientation's consent,
/// downloads, physical tracking, risk analysis, awareness, physical custody).
const OUTSIDE: &[&str] = &[
    "DIR04-7",
    "DIR04-8",
    "DIR04-9-2",
    "DIR04-9-3",
    "DIR04-9-4",
    "ORI-TEC-03",
    "ORI-TEC-08",
    "ORI-TEC-11",
    "ORI-ORG-01",
    "ORI-ORG-02",
    "ORI-ORG-04",
];

/// The tool sees only part of them, whatever the nights.
const PARTIAL_BY_NATURE: &[&str] = &[
    "DIR04-6-1",
    "DIR04-6-2",
    "DIR04-6-3",
    "DIR04-6-4",
    "DIR04-9-1",
    "DIR04-12",
    "DIR04-13",
    "DIR04-14",
    "ORI-TEC-01",
    "ORI-TEC-06",
    "ORI-TEC-07",
    "ORI-TEC-09",
    "ORI-TEC-10",
    "ORI-TEC-12",
    "DIR05-TEAMS",
];

/// The tool can show them entirely, and the simulator's refusals (`SimOptions::deny`
/// keys) that blind each. Only inbox rules (`rules`) are modelled: they carry the forwarding
/// of DIR04 6 5° and nothing the generic accounts' requirements rest on.
const VERIFIABLE: &[(&str, &[&str])] = &[
    ("DIR04-6-5", &["rules"]),
    ("ORI-TEC-02", &[]),
    ("ORI-TEC-04", &[]),
    ("ORI-TEC-05", &[]),
    ("ORI-ORG-03", &[]),
];

/// The refusals this oracle knows the consequences of.
const MODELLED: &[&str] = &["rules"];

/// The query a refused source leaves uncollected, as the bilan names it in a row's gaps
/// (`queries/*.toml`), for the refusals this oracle models.
pub fn refused_query(deny_key: &str) -> Option<&'static str> {
    match deny_key {
        "rules" => Some("message-rules"),
        _ => None,
    }
}

/// The expected status of every requirement over these nights, by id; `None` when a night
/// refuses a source this oracle does not model (then it cannot say).
pub fn requirement_statuses(
    nights: &[PlannedNight],
) -> Option<BTreeMap<&'static str, ExpectedStatus>> {
    if nights
        .iter()
        .flat_map(|n| &n.denied)
        .any(|d| !MODELLED.contains(&d.as_str()))
    {
        return None;
    }
    let mut out = BTreeMap::new();
    for id in OUTSIDE {
        out.insert(*id, "hors_portee");
    }
    for id in PARTIAL_BY_NATURE {
        out.insert(*id, "partiel");
    }
    let any_failed = nights.iter().any(|n| n.failed);
    for (id, blinded_by) in VERIFIABLE {
        let blinded = nights
            .iter()
            .flat_map(|n| &n.denied)
            .any(|d| blinded_by.contains(&d.as_str()));
        let status = if any_failed || blinded || nights.is_empty() {
            "partiel"
        } else {
            "verifie"
        };
        out.insert(*id, status);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_month_blinds_only_what_rests_on_it() {
        let clean = vec![PlannedNight::default(); 3];
        let s = requirement_statuses(&clean).unwrap_or_default();
        assert_eq!(s.len(), 31);
        assert_eq!(s["DIR04-6-5"], "verifie");
        assert_eq!(s["DIR04-9-4"], "hors_portee");
        let refused = vec![
            PlannedNight {
                denied: vec!["rules".into()],
                failed: false,
            };
            3
        ];
        let s = requirement_statuses(&refused).unwrap_or_default();
        assert_eq!(s["DIR04-6-5"], "partiel");
        assert_eq!(s["ORI-TEC-04"], "verifie");
        let mut failed = clean.clone();
        failed[1].failed = true;
        let s = requirement_statuses(&failed).unwrap_or_default();
        assert!(s.values().all(|v| *v != "verifie"));
        let unknown = vec![PlannedNight {
            denied: vec!["intune".into()],
            failed: false,
        }];
        assert_eq!(requirement_statuses(&unknown), None);
    }
}
