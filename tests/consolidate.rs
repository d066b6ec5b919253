//! `vigie365 consolider` (issue #18, parts 3 and 4): three establishments' bilans written by
//! the demo on simulated tenants of different seeds consolidate into a network bilan whose
//! every figure is the sum (or the value) of the establishments'; hostile inputs are refused
//! with a French message naming the file, and leave no output at all.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;
use vigie365::consolidate::{self, ConsolidateError, schema::Schema};
use vigie365::demo::DemoOptions;

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/reports/exemple/bilan-2025-01-01_2025-03-31.json"
);

struct Three {
    dir: tempfile::TempDir,
    files: Vec<PathBuf>,
}

/// Three establishments: the demo's simulated year with three seeds, each bilan renamed
/// after its establishment (the demo names every one the same).
fn three() -> &'static Three {
    static THREE: OnceLock<Three> = OnceLock::new();
    THREE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let mut files = Vec::new();
        for (i, seed) in [11u64, 22, 33].into_iter().enumerate() {
            let opts = DemoOptions {
                accounts: 150,
                days: 30,
                seed,
                dir: dir.path().join(format!("demo-{seed}")),
                ..DemoOptions::default()
            };
            let outcome = rt
                .block_on(vigie365::demo::simulate(&opts, |_, _| {}))
                .expect("simulated year");
            let (_, written) = vigie365::demo::bilan(&outcome, &opts).expect("demo bilan");
            let json = written
                .iter()
                .find(|p| p.extension().is_some_and(|e| e == "json"))
                .expect("the demo writes a JSON bilan");
            let mut doc = read(json);
            assert_valid(&doc, json);
            doc["etablissement"] = Value::from(format!("Établissement {}", i + 1));
            let path = dir.path().join(format!("etab-{}.json", i + 1));
            std::fs::write(&path, serde_json::to_vec(&doc).expect("json")).expect("write");
            files.push(path);
        }
        Three { dir, files }
    })
}

fn read(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("JSON")
}

fn assert_valid(doc: &Value, path: &Path) {
    let schema = Schema::bilan().expect("schema");
    let v = schema.validate(doc, 20);
    assert!(v.is_empty(), "{} : {v:?}", path.display());
}

fn u(v: &Value, p: &str) -> u64 {
    v.pointer(p).and_then(Value::as_u64).unwrap_or(0)
}

fn controle<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["controles"]
        .as_array()
        .expect("controles")
        .iter()
        .find(|c| c["id"] == id)
        .expect("control present")
}

/// Nothing was written: the directory does not exist or holds no file.
fn nothing_in(dir: &Path) -> bool {
    std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_none())
}

fn refused(files: &[PathBuf], out: &Path) -> String {
    match consolidate::run(files, None, out) {
        Err(e @ ConsolidateError::Refused(_)) => {
            assert!(nothing_in(out), "no output after a refusal");
            e.to_string()
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_committed_example_and_the_demo_bilans_follow_the_schema() {
    assert_valid(&read(Path::new(EXAMPLE)), Path::new(EXAMPLE));
    for f in &three().files {
        let doc = read(f);
        assert_valid(&doc, f);
        assert_eq!(doc["schema"], "vigie365.bilan/1");
        assert_eq!(doc["version_schema"], "1.3");
    }
}

#[test]
fn the_schema_is_strict_on_structure_and_ids_and_tolerant_of_added_fields() {
    let schema = Schema::bilan().expect("schema");
    let mut doc = read(Path::new(EXAMPLE));
    doc["champ_ajoute_en_1_2"] = Value::from("ignoré");
    doc["controles"][0]["autre_ajout"] = Value::from(3);
    assert!(schema.validate(&doc, 5).is_empty(), "added fields pass");
    let mut bad = doc.clone();
    bad["controles"][0]["id"] = Value::from("gen-mfa-1");
    bad["exigences"][0]["statut"] = Value::from("fait");
    bad["sommaire"]
        .as_object_mut()
        .expect("sommaire")
        .remove("releves");
    bad["couverture"]["nuits_completes"] = Value::from(-1);
    let v: Vec<String> = schema
        .validate(&bad, 10)
        .iter()
        .map(ToString::to_string)
        .collect();
    let all = v.join("\n");
    assert!(all.contains("/controles/0/id"), "{all}");
    assert!(all.contains("/exigences/0/statut"), "{all}");
    assert!(all.contains("« releves » absent"), "{all}");
    assert!(all.contains("/couverture/nuits_completes"), "{all}");
}

#[test]
fn three_establishments_add_up_figure_by_figure() {
    let t = three();
    let out = t.dir.path().join("reseau");
    let expected = t.dir.path().join("attendus.txt");
    std::fs::write(
        &expected,
        "# réseau\nÉtablissement 1\nÉtablissement 2\nÉtablissement 3\nÉtablissement 4\n\n",
    )
    .expect("write");
    let (n, written) = consolidate::run(&t.files, Some(&expected), &out).expect("consolidated");
    assert_eq!(written.len(), 4);
    assert_eq!(n.periodes.len(), 1);
    assert_eq!(n.attendus_absents, ["Établissement 4"]);
    assert!(n.non_attendus.is_empty());
    let p = &n.periodes[0];
    let docs: Vec<Value> = t.files.iter().map(|f| read(f)).collect();
    assert_eq!(p.etablissements.len(), 3);

    // Each establishment's figures are its bilan's values.
    for doc in &docs {
        let name = doc["etablissement"].as_str().expect("name");
        let r = p
            .etablissements
            .iter()
            .find(|r| r.etablissement == name)
            .expect("row");
        let f = &r.figures;
        assert_eq!(
            f.critiques_ouverts,
            u(doc, "/sommaire/a_corriger_fin_par_gravite/critique")
        );
        assert_eq!(
            f.generiques_comptes,
            doc["generiques"]["comptes_fin"].as_u64()
        );
        assert_eq!(
            f.generiques_mfa,
            doc["generiques"]["mfa_enregistree_fin"].as_u64()
        );
        assert_eq!(f.appli_comptes, doc["appli"]["comptes_fin"].as_u64());
        let pubf = controle(doc, "FWD-PUB-01");
        let ext = controle(doc, "FWD-EXT-01");
        assert_eq!(f.redirections_publiques_releves, u(pubf, "/releves"));
        assert_eq!(f.redirections_publiques_corrigees, u(pubf, "/corriges"));
        assert_eq!(f.redirections_publiques_ouvertes, u(pubf, "/ouverts_fin"));
        assert_eq!(f.redirections_externes_releves, u(ext, "/releves"));
        assert_eq!(f.redirections_externes_corrigees, u(ext, "/corriges"));
        assert_eq!(f.redirections_externes_ouvertes, u(ext, "/ouverts_fin"));
        let appli_open: u64 = ["APP-GEN-01", "APP-INT-01", "APP-MFA-01"]
            .iter()
            .map(|id| u(controle(doc, id), "/ouverts_fin"))
            .sum();
        assert_eq!(f.appli_constats_ouverts, appli_open);
        assert_eq!(
            f.delai_median_jours,
            doc["redirections"]["delai_median_jours"].as_f64()
        );
        assert_eq!(f.nuits_completes, u(doc, "/couverture/nuits_completes"));
        assert_eq!(f.nuits_periode, u(doc, "/couverture/nuits_periode"));
        // One column per requirement: verified, attested or to provide, as the bilan says.
        for e in doc["exigences"].as_array().expect("exigences") {
            let cell = &r.exigences[e["id"].as_str().expect("id")];
            let want = if e["statut"] == "verifie" {
                "verifie"
            } else if e["attestation"].is_null() {
                "a_fournir"
            } else {
                "atteste"
            };
            assert_eq!(cell.reponse, want, "{}", e["id"]);
        }
        let to_provide = r
            .exigences
            .values()
            .filter(|c| c.reponse == "a_fournir")
            .count() as u64;
        assert_eq!(to_provide, u(doc, "/reddition/attestations_a_fournir"));
    }

    // Network totals are the sums.
    let sum = |p: &str| docs.iter().map(|d| u(d, p)).sum::<u64>();
    let sum_c = |id: &str, f: &str| docs.iter().map(|d| u(controle(d, id), f)).sum::<u64>();
    let tt = &p.totaux;
    assert_eq!(tt.etablissements, 3);
    assert_eq!(
        tt.critiques_ouverts,
        sum("/sommaire/a_corriger_fin_par_gravite/critique")
    );
    assert_eq!(tt.generiques_comptes, sum("/generiques/comptes_fin"));
    assert_eq!(tt.generiques_mfa, sum("/generiques/mfa_enregistree_fin"));
    assert_eq!(tt.appli_comptes, sum("/appli/comptes_fin"));
    assert_eq!(
        tt.redirections_publiques_releves,
        sum_c("FWD-PUB-01", "/releves")
    );
    assert_eq!(
        tt.redirections_publiques_corrigees,
        sum_c("FWD-PUB-01", "/corriges")
    );
    assert_eq!(
        tt.redirections_externes_ouvertes,
        sum_c("FWD-EXT-01", "/ouverts_fin")
    );
    assert_eq!(tt.nuits_completes, sum("/couverture/nuits_completes"));
    assert_eq!(tt.nuits_periode, sum("/couverture/nuits_periode"));
    // Ranked by open critical findings.
    let crit: Vec<u64> = p
        .etablissements
        .iter()
        .map(|r| r.figures.critiques_ouverts)
        .collect();
    assert!(crit.windows(2).all(|w| w[0] >= w[1]), "{crit:?}");

    // The written JSON is the network bilan; the CSV has one row per establishment and one
    // column per requirement.
    let json = read(&out.join("bilan-reseau.json"));
    assert_eq!(json["schema"], "vigie365.reseau/1");
    assert_eq!(
        json["periodes"][0]["totaux"]["critiques_ouverts"],
        tt.critiques_ouverts
    );
    let csv = std::fs::read_to_string(out.join("bilan-reseau.csv")).expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0].split(';').count(),
        21 + n.exigences.len(),
        "{}",
        lines[0]
    );
    let html = std::fs::read_to_string(out.join("bilan-reseau.html")).expect("html");
    assert!(html.contains("Établissement 3") && html.contains("à fournir"));
    let md = std::fs::read_to_string(out.join("bilan-reseau.md")).expect("md");
    assert!(md.contains("Établissements attendus sans bilan") && md.contains("Établissement 4"));
}

#[test]
fn several_periods_give_trends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut doc = read(Path::new(EXAMPLE));
    let a = dir.path().join("t1.json");
    std::fs::write(&a, serde_json::to_vec(&doc).expect("json")).expect("write");
    doc["periode"]["du"] = Value::from("2025-04-01");
    doc["periode"]["au"] = Value::from("2025-06-30");
    doc["periode"]["libelle"] = Value::from("deuxième trimestre");
    doc["sommaire"]["a_corriger_fin_par_gravite"]["critique"] = Value::from(0);
    let b = dir.path().join("t2.json");
    std::fs::write(&b, serde_json::to_vec(&doc).expect("json")).expect("write");
    let out = dir.path().join("out");
    let (n, _) = consolidate::run(&[b, a], None, &out).expect("consolidated");
    assert_eq!(n.periodes.len(), 2);
    assert_eq!(n.periodes[0].du, "2025-01-01", "oldest first");
    assert_eq!(n.periodes[1].totaux.critiques_ouverts, 0);
    let md = std::fs::read_to_string(out.join("bilan-reseau.md")).expect("md");
    assert!(md.contains("Tendances") && md.contains("deuxième trimestre"));
}

#[test]
fn hostile_inputs_are_refused_by_name_with_no_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let text = std::fs::read_to_string(EXAMPLE).expect("example");

    let truncated = dir.path().join("tronque.json");
    std::fs::write(&truncated, &text[..text.len() / 2]).expect("write");
    let e = refused(std::slice::from_ref(&truncated), &out);
    assert!(
        e.contains("tronque.json") && e.contains("JSON tronqué"),
        "{e}"
    );

    let wrong = dir.path().join("v2.json");
    std::fs::write(
        &wrong,
        text.replacen("vigie365.bilan/1", "vigie365.bilan/2", 1),
    )
    .expect("write");
    let e = refused(&[wrong], &out);
    assert!(
        e.contains("v2.json") && e.contains("version de schéma"),
        "{e}"
    );

    let other = dir.path().join("autre.json");
    std::fs::write(&other, r#"{"valeur": 1}"#).expect("write");
    let e = refused(&[other], &out);
    assert!(
        e.contains("autre.json") && e.contains("pas un bilan"),
        "{e}"
    );

    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    std::fs::write(&a, &text).expect("write");
    std::fs::write(&b, &text).expect("write");
    let e = refused(&[a.clone(), b], &out);
    assert!(
        e.contains("b.json") && e.contains("donné deux fois") && e.contains("a.json"),
        "{e}"
    );

    // A sparse 1 GB file: refused from its size, never read.
    let big = dir.path().join("enorme.json");
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(1 << 30))
        .expect("sparse file");
    let e = refused(&[a.clone(), big], &out);
    assert!(e.contains("enorme.json") && e.contains("trop gros"), "{e}");

    // One good file and one bad: nothing is written either.
    let e = refused(&[a, truncated], &out);
    assert!(e.contains("1 fichier(s) refusé(s)"), "{e}");
}

#[test]
fn ten_thousand_files_meet_a_clear_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let files: Vec<PathBuf> = (0..10_000)
        .map(|i| {
            let p = dir.path().join(format!("b{i}.json"));
            std::fs::write(&p, "{}").expect("write");
            p
        })
        .collect();
    let e = refused(&files, &out);
    assert!(e.contains("10000 fichiers") && e.contains("limite"), "{e}");
}

#[test]
fn the_command_refuses_in_french_and_names_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("pas-un-bilan.json");
    std::fs::write(&bad, "[1, 2").expect("write");
    let out = dir.path().join("out");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_vigie365"))
        .arg("consolider")
        .arg(&bad)
        .arg("--sortie")
        .arg(&out)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("pas-un-bilan.json") && err.contains("aucun bilan de réseau écrit"),
        "{err}"
    );
    assert!(nothing_in(&out));
}
