//! `vigie365 demo --etablissements 3`: a provincial simulated tenant shared by three
//! establishments, each night run once per establishment with its own perimeter, each
//! establishment's bilan, and the network bilan consolidated from them. No output of an
//! establishment names an account of another one.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use vigie365::consolidate::schema::Schema;
use vigie365::demo::DemoOptions;

fn texts(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| String::from_utf8_lossy(&std::fs::read(f).expect("read")).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase()
}

fn json(files: &[PathBuf]) -> Value {
    let f = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a JSON file");
    serde_json::from_slice(&std::fs::read(f).expect("read")).expect("JSON")
}

#[test]
fn three_establishments_each_get_their_bilan_and_the_network_consolidates_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = DemoOptions {
        accounts: 900,
        days: 3,
        seed: 7,
        dir: dir.path().join("demo"),
        establishments: Some(3),
        ..DemoOptions::default()
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let outcome = rt
        .block_on(vigie365::demo::simulate(&opts, |_, _| {}))
        .expect("simulated nights");
    assert_eq!(outcome.nights, 3);
    assert_eq!(outcome.complete_nights, 3);
    assert_eq!(outcome.establishments.len(), 3);
    let vigie365::demo::ProvincialBilans { each, network } =
        vigie365::demo::provincial_bilans(&outcome, &opts).expect("bilans");
    assert_eq!(each.len(), 3);

    // The simulator's truth of the last night: whose accounts are whose.
    let truth_path =
        vigie365::demo::truth_dir(&opts.dir).join("verite-terrain-provinciale-j002.json");
    let truth: vigie365::sim::ProvincialTruth =
        serde_json::from_slice(&std::fs::read(&truth_path).expect("provincial truth"))
            .expect("truth JSON");
    assert_eq!(truth.etablissements.len(), 3);

    let schema = Schema::bilan().expect("schema");
    let mut names = BTreeSet::new();
    // Each establishment's tenant controls: check id → open gaps at the end.
    let mut tenant: Vec<std::collections::BTreeMap<String, u64>> = Vec::new();
    for ((name, files), own) in each.iter().zip(&truth.etablissements) {
        assert_eq!(name, &own.nom);
        let doc = json(files);
        assert!(schema.validate(&doc, 10).is_empty(), "{name}: schema");
        assert_eq!(doc["etablissement"], Value::from(own.nom.clone()));
        names.insert(own.nom.clone());
        // The tenant's settings are the provincial team's: apart, with who governs them.
        let t = &doc["controles_locataire"];
        assert_eq!(
            t["gouvernes_par"], "Équipe provinciale Microsoft 365",
            "{name}"
        );
        let ids: Vec<&str> = doc["controles"]
            .as_array()
            .expect("controles")
            .iter()
            .filter_map(|c| c["id"].as_str())
            .collect();
        tenant.push(
            t["controles"]
                .as_array()
                .expect("tenant controls")
                .iter()
                .map(|c| {
                    let id = c["id"].as_str().expect("id").to_string();
                    assert!(!ids.contains(&id.as_str()), "{name}: {id} counted twice");
                    (id, c["ouverts_fin"].as_u64().expect("ouverts_fin"))
                })
                .collect(),
        );
        // No output of this establishment names an account of another one, nor an account
        // attributed to none.
        let text = texts(files);
        let foreign = truth
            .etablissements
            .iter()
            .filter(|o| o.code != own.code)
            .flat_map(|o| o.comptes.iter())
            .chain(truth.non_attribue.comptes.iter());
        for upn in foreign {
            assert!(!text.contains(upn.as_str()), "{name}: names {upn}");
        }
        // Its own accounts with findings are named (the annex of findings lists them).
        let subjects: Vec<&str> = own
            .findings
            .iter()
            .map(|f| f.subject.as_str())
            .filter(|s| own.comptes.iter().any(|c| c == s))
            .collect();
        assert!(!subjects.is_empty(), "{name}: findings on its accounts");
        assert!(
            subjects.iter().any(|s| text.contains(&s.to_lowercase())),
            "{name}: its findings are in its bilan"
        );
    }

    // The network bilan: one row per establishment, the three of them.
    let net = json(&network);
    let text = serde_json::to_string(&net).expect("json");
    for n in &names {
        assert!(text.contains(n.as_str()), "network bilan names {n}");
    }
    // The tenant's settings once for the network, with the range the establishments saw.
    let blocks = net["periodes"][0]["controles_locataire"]
        .as_array()
        .expect("network tenant controls");
    assert_eq!(blocks.len(), 1, "one shared tenant");
    assert_eq!(blocks[0]["etablissements"], 3);
    assert_eq!(
        blocks[0]["gouvernes_par"],
        serde_json::json!(["Équipe provinciale Microsoft 365"])
    );
    let rows = blocks[0]["controles"].as_array().expect("rows");
    assert_eq!(rows.len(), tenant[0].len());
    for r in rows {
        let id = r["id"].as_str().expect("id");
        let seen: Vec<u64> = tenant.iter().map(|t| t[id]).collect();
        assert_eq!(
            r["ouverts_fin_min"],
            seen.iter().copied().min().expect("min")
        );
        assert_eq!(
            r["ouverts_fin_max"],
            seen.iter().copied().max().expect("max")
        );
    }
    let html = network
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "html"))
        .map(|p| std::fs::read_to_string(p).expect("html"))
        .expect("network html");
    assert!(html.contains("Contrôles du locataire"), "network html");
    for ext in ["html", "md", "json", "csv"] {
        assert!(
            network
                .iter()
                .any(|p| p.extension().is_some_and(|e| e == ext)),
            "network {ext}"
        );
    }
    assert!(
        network
            .iter()
            .all(|p| p.starts_with(vigie365::demo::network_dir(
                &std::path::absolute(&opts.dir).expect("abs")
            )))
    );
}
