//! The simulated provincial tenant (`vigie365 sim --etablissements N`): administrative
//! units and their members over HTTP, the identifiers each establishment's accounts carry,
//! the written configurations and their perimeters, and the truth split by establishment.
//!
//! The perimeter matcher here is the test's own (a few lines, from the format of
//! `[perimetre]`): an account is in a perimeter when any of its rules selects it.

mod sim_support;

use std::collections::{BTreeMap, BTreeSet};

use reqwest::StatusCode;
use serde_json::Value;
use sim_support::*;
use vigie365::sim::{ProvincialTruth, Sim, SimOptions};

fn provincial(seed: u64, accounts: u32, n: u32) -> SimOptions {
    SimOptions {
        accounts,
        establishments: Some(n),
        ..opts(seed)
    }
}

const USER_SELECT: &str = "id,userPrincipalName,mail,companyName,department,officeLocation,employeeType,onPremisesExtensionAttributes";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrative_units_list_filter_select_and_page() {
    let h = start(provincial(21, 400, 6)).await;
    let c = Client::new(&h).await;
    let (units, pages) = c.all("/v1.0/directory/administrativeUnits?$top=4").await;
    assert_eq!(units.len(), 6);
    assert_eq!(pages, 2);
    assert_eq!(ids(&units, "id").len(), 6, "duplicate ids");
    assert_eq!(
        units[0]["displayName"],
        "CIUSSS du Centre-Sud-de-l'Île-de-Montréal"
    );
    assert!(units.iter().all(|u| u["membershipType"] == "Assigned"));
    // $filter on the display name, apostrophe doubled as OData spells it.
    let (s, _, v) = c
        .get("/v1.0/directory/administrativeUnits?$filter=displayName eq 'CIUSSS du Centre-Sud-de-l''Île-de-Montréal'&$select=id,displayName")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got = v["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].as_object().map(|o| o.len()), Some(2));
    assert_eq!(got[0]["id"], units[0]["id"]);
    // By id; a name nothing carries gives an empty list, not an error.
    let id1 = units[1]["id"].as_str().unwrap_or_default().to_string();
    let (s, _, v) = c
        .get(&format!(
            "/v1.0/directory/administrativeUnits?$filter=id eq '{id1}'"
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["value"][0]["displayName"], units[1]["displayName"]);
    let (s, _, v) = c
        .get("/v1.0/directory/administrativeUnits?$filter=displayName eq 'Inconnu'")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["value"].as_array().map(Vec::len), Some(0));
    // One unit by id (as a perimeter naming a unit by id reads it); an id no unit has: 404.
    let (s, _, v) = c
        .get(&format!(
            "/v1.0/directory/administrativeUnits/{id1}?$select=id,displayName"
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["displayName"], units[1]["displayName"]);
    assert!(
        v["@odata.context"]
            .as_str()
            .is_some_and(|c| c.ends_with("$entity"))
    );
    let (s, _, v) = c
        .get("/v1.0/directory/administrativeUnits/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert!(v["error"]["code"].is_string());
    // Unknown property, unsupported filter: 400 with a Graph error body.
    let (s, _, v) = c
        .get("/v1.0/directory/administrativeUnits?$select=id,nope")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"]["code"].is_string());
    let (s, _, _) = c
        .get("/v1.0/directory/administrativeUnits?$filter=startswith(displayName,'C')")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unit_members_page_cast_and_refuse() {
    let h = start(provincial(22, 600, 4)).await;
    let c = Client::new(&h).await;
    let truth = h.provincial_truth(0).expect("provincial truth");
    let (units, _) = c.all("/beta/directory/administrativeUnits").await;
    // Establishment 1 is known by its unit only: every account of it is a member.
    let unit1 = units[1]["id"].as_str().unwrap_or_default().to_string();
    let (members, pages) = c
        .all(&format!(
            "/v1.0/directory/administrativeUnits/{unit1}/members?$select=id,userPrincipalName&$top=17"
        ))
        .await;
    assert!(pages > 2, "{pages} pages");
    let upns: BTreeSet<String> = members
        .iter()
        .filter_map(|m| m["userPrincipalName"].as_str().map(str::to_lowercase))
        .collect();
    let expected: BTreeSet<String> = truth.etablissements[1].comptes.iter().cloned().collect();
    assert_eq!(upns, expected);
    assert!(
        members
            .iter()
            .all(|m| m["@odata.type"] == "#microsoft.graph.user")
    );
    let (cast, _) = c
        .all(&format!(
            "/v1.0/directory/administrativeUnits/{unit1}/members/microsoft.graph.user?$select=id"
        ))
        .await;
    assert_eq!(ids(&cast, "id"), ids(&members, "id"));
    // Establishment 2 is known by an attribute only: its unit has no member.
    let unit2 = units[2]["id"].as_str().unwrap_or_default();
    let (none, _) = c
        .all(&format!(
            "/v1.0/directory/administrativeUnits/{unit2}/members?$select=id"
        ))
        .await;
    assert!(none.is_empty());
    // Unknown unit: 404 Request_ResourceNotFound; a user id is not a unit.
    for bad in [
        "00000000-0000-4000-8000-000000000000".to_string(),
        members[0]["id"].as_str().unwrap_or_default().to_string(),
    ] {
        let (s, _, v) = c
            .get(&format!(
                "/v1.0/directory/administrativeUnits/{bad}/members"
            ))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        assert_eq!(v["error"]["code"], "Request_ResourceNotFound");
    }
    // Inside $batch: members of two units and an unknown one, each with its own status.
    let body = serde_json::json!({"requests": [
        {"id": "1", "method": "GET", "url": format!("/directory/administrativeUnits/{unit1}/members/microsoft.graph.user?$select=id&$top=999")},
        {"id": "2", "method": "GET", "url": format!("/directory/administrativeUnits/{unit2}/members?$select=id")},
        {"id": "3", "method": "GET", "url": "/directory/administrativeUnits/00000000-0000-4000-8000-000000000000/members"},
    ]});
    let r = c
        .http
        .post(c.url("/v1.0/$batch"))
        .bearer_auth(&c.graph)
        .json(&body)
        .send()
        .await
        .expect("batch");
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap_or(Value::Null);
    let resp = v["responses"].as_array().cloned().unwrap_or_default();
    let by_id = |id: &str| {
        resp.iter()
            .find(|x| x["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(by_id("1")["status"], 200);
    assert_eq!(
        by_id("1")["body"]["value"].as_array().map(Vec::len),
        Some(members.len())
    );
    assert_eq!(by_id("2")["status"], 200);
    assert_eq!(by_id("3")["status"], 404);
    // A page token of another unit is refused.
    let (_, _, first) = c
        .get(&format!(
            "/v1.0/directory/administrativeUnits/{unit1}/members?$select=id&$top=5"
        ))
        .await;
    let next = first["@odata.nextLink"].as_str().unwrap_or_default();
    let other = next.replace(&unit1, unit2);
    assert_eq!(c.get(&other).await.0, StatusCode::BAD_REQUEST);
    h.shutdown().await;

    // The deny key refuses the list and the members, like the other sources.
    let h = start(SimOptions {
        deny: vec!["administrative-units".into()],
        ..provincial(22, 600, 4)
    })
    .await;
    let c = Client::new(&h).await;
    for path in [
        "/v1.0/directory/administrativeUnits".to_string(),
        format!("/v1.0/directory/administrativeUnits/{unit1}/members"),
    ] {
        let (s, _, v) = c.get(&path).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {v}");
        assert_eq!(v["error"]["code"], "Authorization_RequestDenied");
    }
    assert_eq!(c.get("/v1.0/users?$top=1").await.0, StatusCode::OK);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_establishment_tenant_has_no_unit_and_no_provincial_files() {
    let h = start(opts(23)).await;
    let c = Client::new(&h).await;
    let (units, _) = c.all("/v1.0/directory/administrativeUnits").await;
    assert!(units.is_empty());
    assert!(h.provincial_truth(0).is_none());
    let dir = tempfile::tempdir().expect("tempdir");
    let files = h.write_setup(dir.path(), 0).expect("setup");
    assert!(files.provincial.is_none());
    assert!(!dir.path().join("provincial.toml").exists());
    let text = std::fs::read_to_string(&files.config).unwrap_or_default();
    assert!(!text.contains("[perimetre]"));
    // companyName as before: the establishment's name on every member account.
    let (users, _) = c
        .all("/v1.0/users?$select=userType,companyName&$top=999")
        .await;
    for u in users {
        let expected = if u["userType"] == "Guest" {
            Value::Null
        } else {
            Value::from("CISSS des Trois-Rives (simulé)")
        };
        assert_eq!(u["companyName"], expected);
    }
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn establishments_out_of_range_are_refused() {
    for n in [0, 41] {
        let e = Sim::start(provincial(1, 300, n))
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("--etablissements"), "{e}");
        assert!(e.contains("entre 1 et 40"), "{e}");
    }
}

// ------------------------------------------------------------------ the perimeter matcher

/// `[perimetre]` as the test reads it.
#[derive(Debug, Default, PartialEq)]
struct Perimeter {
    units: Vec<String>,
    groups: Vec<String>,
    upn: Vec<String>,
    attributes: Vec<(String, Vec<String>)>,
    governs: bool,
}

fn strings(v: &toml::Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(|x| x.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn perimeter(v: &toml::Value) -> Perimeter {
    Perimeter {
        units: strings(v, "unites_administratives"),
        groups: strings(v, "groupes"),
        upn: strings(v, "upn"),
        attributes: v
            .get("attributs")
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .map(|x| {
                        (
                            x.get("nom")
                                .and_then(|n| n.as_str())
                                .unwrap_or_default()
                                .to_string(),
                            strings(x, "valeurs"),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        governs: v
            .get("gouverne_controles_locataire")
            .and_then(|b| b.as_bool())
            .unwrap_or(true),
    }
}

/// `*` matches any run of characters; case ignored.
fn glob(pattern: &str, text: &str) -> bool {
    let p = pattern.to_lowercase();
    let t = text.to_lowercase();
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == t;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !t.starts_with(first) || !t.ends_with(last) || t.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &t[first.len()..t.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(at) => rest = &rest[at + mid.len()..],
            None => return false,
        }
    }
    true
}

/// One account as the matcher sees it: directory attributes and unit memberships.
struct Seen {
    upn: String,
    mail: Option<String>,
    attributes: BTreeMap<String, String>,
    /// Ids and display names of the units it is a member of.
    units: BTreeSet<String>,
}

fn selects(p: &Perimeter, a: &Seen) -> bool {
    p.units.iter().any(|u| a.units.contains(&u.to_lowercase()))
        || p.upn
            .iter()
            .any(|m| glob(m, &a.upn) || a.mail.as_deref().is_some_and(|mail| glob(m, mail)))
        || p.attributes.iter().any(|(nom, valeurs)| {
            a.attributes
                .get(&nom.to_lowercase())
                .is_some_and(|v| valeurs.iter().any(|x| x.eq_ignore_ascii_case(v)))
        })
}

async fn seen_accounts(c: &Client) -> Vec<Seen> {
    let (users, _) = c
        .all(&format!("/v1.0/users?$select={USER_SELECT}&$top=999"))
        .await;
    let (units, _) = c.all("/v1.0/directory/administrativeUnits").await;
    let mut membership: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for u in &units {
        let id = u["id"].as_str().unwrap_or_default();
        let name = u["displayName"].as_str().unwrap_or_default();
        let (members, _) = c
            .all(&format!(
                "/v1.0/directory/administrativeUnits/{id}/members/microsoft.graph.user?$select=id&$top=999"
            ))
            .await;
        for m in members {
            let e = membership
                .entry(m["id"].as_str().unwrap_or_default().to_string())
                .or_default();
            e.insert(id.to_lowercase());
            e.insert(name.to_lowercase());
        }
    }
    users
        .iter()
        .map(|u| {
            let mut attributes = BTreeMap::new();
            for k in [
                "companyName",
                "department",
                "officeLocation",
                "employeeType",
            ] {
                if let Some(v) = u[k].as_str() {
                    attributes.insert(k.to_lowercase(), v.to_string());
                }
            }
            if let Some(ext) = u["onPremisesExtensionAttributes"].as_object() {
                for (k, v) in ext {
                    if let Some(v) = v.as_str() {
                        attributes.insert(k.to_lowercase(), v.to_string());
                    }
                }
            }
            Seen {
                upn: u["userPrincipalName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                mail: u["mail"].as_str().map(str::to_string),
                attributes,
                units: membership
                    .get(u["id"].as_str().unwrap_or_default())
                    .cloned()
                    .unwrap_or_default(),
            }
        })
        .collect()
}

fn read_toml(path: &std::path::Path) -> toml::Value {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    match toml::from_str(&text) {
        Ok(v) => v,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_perimeter_selects_exactly_its_establishments_accounts() {
    let h = start(provincial(24, 1300, 8)).await;
    let c = Client::new(&h).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let files = h.write_setup(dir.path(), 0).expect("setup");
    let prov = files.provincial.clone().expect("provincial files");
    let truth: ProvincialTruth =
        serde_json::from_str(&std::fs::read_to_string(&prov.truth).unwrap_or_default())
            .expect("provincial truth JSON");
    assert_eq!(Some(&truth), h.provincial_truth(0).as_ref());
    let accounts = seen_accounts(&c).await;
    assert_eq!(
        accounts.len(),
        truth
            .etablissements
            .iter()
            .map(|e| e.comptes.len())
            .sum::<usize>()
            + truth.non_attribue.comptes.len()
    );

    // provincial.toml: one [[etablissements]] per establishment, same perimeters.
    let p = read_toml(&prov.config);
    let listed = p
        .get("etablissements")
        .and_then(|v| v.as_array())
        .cloned()
        .unwrap_or_default();
    assert_eq!(listed.len(), 8);
    assert_eq!(prov.establishments.len(), 8);
    let mut perimeters = Vec::new();
    for (k, (cfg_path, entry)) in prov.establishments.iter().zip(&listed).enumerate() {
        let own = read_toml(cfg_path);
        let own_perimeter = perimeter(own.get("perimetre").expect("[perimetre]"));
        let listed_perimeter = perimeter(entry.get("perimetre").expect("perimetre"));
        assert_eq!(own_perimeter, listed_perimeter, "{}", cfg_path.display());
        assert!(!own_perimeter.governs && own_perimeter.groups.is_empty());
        let et = &truth.etablissements[k];
        assert_eq!(
            entry.get("nom").and_then(|v| v.as_str()),
            Some(et.nom.as_str())
        );
        assert_eq!(
            entry.get("code").and_then(|v| v.as_str()),
            Some(et.code.as_str())
        );
        assert_eq!(
            cfg_path.file_name().and_then(|f| f.to_str()),
            Some(format!("etablissement-{}.toml", et.code).as_str())
        );
        assert_eq!(
            own.get("locataire")
                .and_then(|l| l.get("etablissement"))
                .and_then(|v| v.as_str()),
            Some(et.nom.as_str())
        );
        perimeters.push(own_perimeter);
    }
    // Each matcher is used by some establishment.
    assert!(perimeters.iter().any(|p| !p.upn.is_empty()));
    assert!(perimeters.iter().any(|p| !p.units.is_empty()));
    assert!(
        perimeters
            .iter()
            .any(|p| p.attributes.iter().any(|(n, _)| n == "companyName"))
    );
    assert!(perimeters.iter().any(|p| {
        p.attributes
            .iter()
            .any(|(n, _)| n == "extensionAttribute10")
    }));
    assert!(
        perimeters
            .iter()
            .any(|p| p.attributes.iter().any(|(n, _)| n == "department"))
    );
    // One unit named by its id, one by its display name.
    assert!(
        perimeters
            .iter()
            .any(|p| p.units.iter().any(|u| u.len() == 36 && u.contains('-')))
    );
    assert!(
        perimeters
            .iter()
            .any(|p| p.units.iter().any(|u| u.starts_with("CI")))
    );

    // Each perimeter selects exactly its establishment's accounts.
    for (k, per) in perimeters.iter().enumerate() {
        let got: BTreeSet<String> = accounts
            .iter()
            .filter(|a| selects(per, a))
            .map(|a| a.upn.to_lowercase())
            .collect();
        let want: BTreeSet<String> = truth.etablissements[k].comptes.iter().cloned().collect();
        assert_eq!(got, want, "establishment {}", truth.etablissements[k].code);
        // Physicians are among them, although their address names no establishment.
        assert!(
            want.iter().any(|u| u.contains(".med@ssss.gouv.qc.ca")),
            "no physician in {}",
            truth.etablissements[k].code
        );
    }
    // « Non attribué »: about 2 % plus the break-glass accounts, selected by none.
    let unattributed: BTreeSet<&String> = truth.non_attribue.comptes.iter().collect();
    assert!(unattributed.iter().any(|u| u.starts_with("urgence01@")));
    assert!(unattributed.iter().any(|u| u.starts_with("urgence02@")));
    let share = unattributed.len() as f64 / accounts.len() as f64;
    assert!((0.005..0.05).contains(&share), "{share}");
    for a in &accounts {
        if unattributed.contains(&a.upn.to_lowercase()) {
            assert!(
                perimeters.iter().all(|p| !selects(p, a)),
                "{} is selected",
                a.upn
            );
        }
    }

    // Each establishment's register holds only its own accounts' rows.
    for (k, reg) in prov.registers.iter().enumerate() {
        let text = std::fs::read_to_string(reg).unwrap_or_default();
        let own: BTreeSet<&String> = truth.etablissements[k].comptes.iter().collect();
        for line in text.lines().skip(1) {
            let compte = line.split(';').next().unwrap_or_default().to_lowercase();
            assert!(own.contains(&compte), "{compte} in {}", reg.display());
        }
    }
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truth_splits_the_tenants_findings_without_loss() {
    let h = start(provincial(25, 700, 3)).await;
    for day in [0, 12] {
        let t = h.provincial_truth(day).expect("provincial truth");
        let mut all = h.ground_truth(day).findings;
        all.sort();
        assert_eq!(t.all_findings(), all, "day {day}");
        // Tenant settings are the tenant's, not an establishment's.
        assert!(t.locataire.iter().any(|f| f.check == "FWD-ORG-01"));
        for e in &t.etablissements {
            assert!(!e.findings.is_empty(), "{} has no finding", e.code);
            let own: BTreeSet<&str> = e.comptes.iter().map(String::as_str).collect();
            for f in &e.findings {
                assert!(
                    !["FWD-ORG-01", "ENC-EXT-01", "LOG-AUD-01", "FWD-TRN-01"]
                        .contains(&f.check.as_str()),
                    "{f:?}"
                );
                let subject = f
                    .subject
                    .split("#regle:")
                    .next()
                    .and_then(|s| s.split("#boite>").next())
                    .unwrap_or_default();
                assert!(own.contains(subject), "{f:?} not of {}", e.code);
            }
        }
        assert!(
            t.non_attribue
                .findings
                .iter()
                .any(|f| f.check == "GEN-REG-01" && f.subject.starts_with("tablette9.verdun@"))
        );
    }
    h.shutdown().await;
}
