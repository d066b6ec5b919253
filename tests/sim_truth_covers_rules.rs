//! Ground truth sanity: every check of RULES.md fires on some day of the first 30, the
//! documented must-not-fire cases hold, and the output is stable.

mod sim_support;

use std::collections::BTreeSet;

use sim_support::*;
use vigie365::sim::GroundTruth;

const CHECKS: &[&str] = &[
    "GEN-MFA-01",
    "GEN-MFA-02",
    "GEN-APP-01",
    "GEN-IP-01",
    "GEN-PWD-01",
    "GEN-REG-01",
    "APP-GEN-01",
    "APP-INT-01",
    "APP-MFA-01",
    "FWD-PUB-01",
    "FWD-EXT-01",
    "FWD-TRN-01",
    "FWD-ORG-01",
    "FWD-DIS-01",
    "GEN-DEV-01",
    "FWD-CLI-01",
    "ENC-EXT-01",
    "SHR-SIG-01",
    "LOG-AUD-01",
    "GEN-IP-02",
];

fn has(gt: &GroundTruth, check: &str, subject_prefix: &str) -> bool {
    gt.findings
        .iter()
        .any(|f| f.check == check && f.subject.starts_with(subject_prefix))
}

fn sev(gt: &GroundTruth, check: &str, subject_prefix: &str) -> Option<String> {
    gt.findings
        .iter()
        .find(|f| f.check == check && f.subject.starts_with(subject_prefix))
        .map(|f| f.severity.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_check_fires_in_the_first_30_days() {
    let h = start(opts(1)).await;
    let mut seen = BTreeSet::new();
    for d in 0..30 {
        for f in h.ground_truth(d).findings {
            seen.insert(f.check);
        }
    }
    for c in CHECKS {
        assert!(seen.contains(*c), "{c} never fires in 30 days");
    }
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_cases_fire_and_do_not_fire() {
    let h = start(opts(3)).await;
    let d0 = h.ground_truth(0);
    let d5 = h.ground_truth(5);
    let d10 = h.ground_truth(10);
    let d12 = h.ground_truth(12);
    let d15 = h.ground_truth(15);
    let d22 = h.ground_truth(22);
    let d30 = h.ground_truth(30);
    // GEN-MFA-01: fires with an exception that expires on day 9 (as_of date 2026-01-11).
    let f = d0
        .findings
        .iter()
        .find(|f| f.check == "GEN-MFA-01" && f.subject.starts_with("tablette3.verdun@"))
        .expect("GEN-MFA-01");
    assert!(f.accepted);
    let f = d10
        .findings
        .iter()
        .find(|f| f.check == "GEN-MFA-01" && f.subject.starts_with("tablette3.verdun@"))
        .expect("GEN-MFA-01 day 10");
    assert!(!f.accepted, "exception expired");
    assert!(
        !has(&d15, "GEN-MFA-01", "tablette3.verdun@"),
        "registered on day 15"
    );
    assert!(!has(&d0, "GEN-MFA-01", "tablette2.lachine@"), "disabled");
    assert!(
        !has(&d10, "GEN-MFA-01", "tablette5.verdun@"),
        "no registration row yet"
    );
    assert!(!has(&d0, "GEN-MFA-01", "tablette1.verdun@"));
    // GEN-MFA-02.
    assert!(
        has(&d0, "GEN-MFA-02", "tablette1.saintlaurent@"),
        "nested group"
    );
    assert!(
        has(&d0, "GEN-MFA-02", "tablette4.saintlaurent@"),
        "direct exclusion"
    );
    assert!(
        has(&d22, "GEN-MFA-02", "tablette4.saintlaurent@"),
        "its single-factor sign-ins before day 20 are still in the window"
    );
    assert!(
        !has(&d30, "GEN-MFA-02", "tablette4.saintlaurent@"),
        "per-user MFA enforced from day 20"
    );
    assert!(
        has(&d30, "GEN-IP-02", "tablette4.saintlaurent@"),
        "per-user MFA enforces no fixed address"
    );
    assert!(
        !has(&d0, "GEN-MFA-02", "tablette3.saintlaurent@"),
        "CA002 still applies"
    );
    assert!(
        has(&d12, "GEN-MFA-02", "tablette2.verdun@")
            && !has(&d5, "GEN-MFA-02", "tablette2.verdun@")
    );
    assert!(
        has(&d5, "GEN-MFA-02", "tablette2.lasalle@")
            && !has(&d22, "GEN-MFA-02", "tablette2.lasalle@")
    );
    assert!(
        has(&d0, "GEN-MFA-02", "tablette1.lasalle@"),
        "its only MFA policy leaves Teams out"
    );
    assert!(
        !has(&d5, "GEN-MFA-02", "tablette2.verdun@"),
        "CA002 covers it; CA011 (MFA or compliant device) requires nothing but takes nothing away"
    );
    assert!(
        has(&d0, "GEN-MFA-02", "tablette1.lachine@"),
        "excluded from CA001 and CA002 by its Teams Devices Administrator role"
    );
    // GEN-IP-02.
    for t in [
        "tablette1.lasalle@",
        "tablette2.lasalle@",
        "tablette3.lasalle@",
    ] {
        assert!(has(&d0, "GEN-IP-02", t), "{t}: only a report-only block");
    }
    assert!(
        has(&d0, "GEN-IP-02", "tablette4.saintlaurent@"),
        "outside the tablets' group"
    );
    assert!(
        !has(&d0, "GEN-IP-02", "tablette1.verdun@") && !has(&d22, "GEN-IP-02", "tablette1.verdun@"),
        "CA009 blocks it outside the trusted locations"
    );
    assert!(
        !has(&d0, "GEN-IP-02", "tablette2.lachine@"),
        "disabled account"
    );
    // GEN-APP-01.
    assert!(has(&d5, "GEN-APP-01", "tablette4.lachine@"));
    assert!(
        !has(&d5, "GEN-APP-01", "tablette1.verdun@"),
        "failed sign-ins do not count"
    );
    // GEN-IP-01.
    assert_eq!(
        sev(&d5, "GEN-IP-01", "tablette2.verdun@").as_deref(),
        Some("moyenne")
    );
    assert_eq!(
        sev(&d0, "GEN-IP-01", "tablette1.lasalle@").as_deref(),
        Some("info")
    );
    assert!(
        !has(&d22, "GEN-IP-01", "tablette1.lasalle@"),
        "trusted location from day 20"
    );
    assert!(!has(&d0, "GEN-IP-01", "tablette1.verdun@"));
    assert!(!has(&d22, "GEN-IP-01", "tablette2.verdun@"));
    // GEN-PWD-01.
    assert!(has(&h.ground_truth(8), "GEN-PWD-01", "tablette1.lachine@"));
    assert!(!has(&h.ground_truth(7), "GEN-PWD-01", "tablette1.lachine@"));
    assert!(!has(
        &h.ground_truth(14),
        "GEN-PWD-01",
        "tablette1.lachine@"
    ));
    assert!(has(&d0, "GEN-PWD-01", "tablette2.saintlaurent@"));
    assert!(has(&d0, "GEN-PWD-01", "tablette3.lasalle@"));
    assert!(!has(&d0, "GEN-PWD-01", "tablette1.verdun@"));
    assert!(!has(&d0, "GEN-PWD-01", "tablette4.lachine@"));
    // GEN-REG-01.
    assert!(has(&d0, "GEN-REG-01", "tablette4.lachine@"));
    assert!(has(&d0, "GEN-REG-01", "tablette9.verdun@"));
    assert!(
        has(&d10, "GEN-REG-01", "tablette5.verdun@")
            && !has(&h.ground_truth(16), "GEN-REG-01", "tablette5.verdun@")
    );
    assert!(
        !has(&d0, "GEN-REG-01", "tablette1.verdun@") && !has(&d0, "GEN-REG-01", "ipad.dorval@")
    );
    // GEN-APP-01 and GEN-DEV-01: devices; a prefixed name is still a tablet.
    assert!(!has(&d0, "GEN-APP-01", "ipad.dorval@"), "OneDrive only");
    assert!(has(&d0, "GEN-DEV-01", "ipad.dorval@"), "unenrolled iPad");
    assert!(
        has(&d5, "GEN-DEV-01", "tablette2.verdun@"),
        "personal iPhone"
    );
    assert!(!has(&d22, "GEN-DEV-01", "tablette2.verdun@"));
    assert!(
        has(&d12, "GEN-DEV-01", "tablette3.saintlaurent@"),
        "non-compliant"
    );
    assert!(!has(
        &h.ground_truth(49),
        "GEN-DEV-01",
        "tablette3.saintlaurent@"
    ));
    assert!(
        !has(&d0, "GEN-DEV-01", "tablette1.verdun@"),
        "compliant iPad"
    );
    assert!(!has(&d12, "GEN-DEV-01", "tablette2.lachine@"), "disabled");
    assert!(
        has(&d0, "GEN-DEV-01", "tablette1.lachine@"),
        "Intune: not encrypted"
    );
    // « Appli ».
    assert!(has(&d0, "APP-GEN-01", "tablette3.lachine@"));
    assert!(
        !has(&d0, "APP-INT-01", "tablette3.lachine@"),
        "generic class, not appli"
    );
    assert!(has(&d0, "APP-INT-01", "svc-telesante1@"));
    assert!(!has(&d0, "APP-INT-01", "svc-telesante2@"));
    assert!(!has(&d0, "APP-INT-01", "svc-billetterie@"));
    assert!(!has(&d0, "APP-INT-01", "appli.pharmacie@"));
    assert!(has(&d22, "APP-INT-01", "svc-archivage@") && !has(&d0, "APP-INT-01", "svc-archivage@"));
    // APP-MFA-01.
    let julie = d0
        .findings
        .iter()
        .find(|f| f.check == "APP-MFA-01" && f.subject.starts_with("julie.gagnon-lapierre@"))
        .expect("julie");
    assert!(julie.accepted);
    assert!(
        has(&d0, "APP-MFA-01", "luc.bouchard-hamel@")
            && !has(&h.ground_truth(41), "APP-MFA-01", "luc.bouchard-hamel@")
    );
    for no in [
        "sophie.roy-castonguay@",
        "marc.pelletier-dion@",
        "urgence01@",
        "svc-billetterie@",
        "yves.lamarre",
    ] {
        assert!(!has(&d0, "APP-MFA-01", no), "{no}");
    }
    // Forwarding.
    assert_eq!(
        sev(&d0, "FWD-PUB-01", "isabelle.morin-giguere@").as_deref(),
        Some("critique"),
        "the committee's policy (On, by group rule) applies to her, not the default (Automatic)"
    );
    assert_eq!(
        sev(&d0, "FWD-PUB-01", "melanie.poirier-hudon@").as_deref(),
        Some("élevée"),
        "excepted from the committee's rule: the default (Automatic) blocks"
    );
    assert_eq!(
        sev(
            &d12,
            "FWD-PUB-01",
            "accueil.verdun@cisss-troisrives.onmicrosoft.com#boite>"
        )
        .as_deref(),
        Some("élevée"),
        "the tenant domain's rule applies a blocking policy even when the default is On"
    );
    // ForwardingAddress resolved whatever it names.
    assert!(has(
        &d12,
        "FWD-EXT-01",
        "karine.leblanc-vigneault@ssss.gouv.qc.ca#boite>c.roy@conseil-sante.ca"
    ));
    assert!(has(
        &d12,
        "FWD-PUB-01",
        "luc.bouchard-hamel@ssss.gouv.qc.ca#boite>dr.tremblay.perso@hotmail.com"
    ));
    assert!(has(
        &d12,
        "FWD-EXT-01",
        "luc.bouchard-hamel@ssss.gouv.qc.ca#boite>c.roy@conseil-sante.ca"
    ));
    assert!(has(
        &d12,
        "FWD-PUB-01",
        "sophie.roy-castonguay@ssss.gouv.qc.ca#boite>sophie.roy.perso@gmail.com"
    ));
    assert!(has(
        &d12,
        "FWD-EXT-01",
        "julie.gagnon-lapierre@ssss.gouv.qc.ca#boite>ancien stagiaire (compte supprimé)"
    ));
    assert_eq!(
        sev(&d12, "FWD-PUB-01", "isabelle.morin-giguere@").as_deref(),
        Some("critique")
    );
    assert_eq!(
        sev(&d12, "FWD-PUB-01", "pierre.gauthier-roy@").as_deref(),
        Some("élevée"),
        "hotmail.com remote domain blocks"
    );
    let caron = d12
        .findings
        .iter()
        .find(|f| f.subject.starts_with("francois.caron-blais.med@"))
        .expect("caron");
    assert_eq!(caron.population, "medecin");
    assert!(caron.subject.ends_with(">dr.caron@yahoo.ca"));
    assert!(
        has(&d12, "FWD-PUB-01", "genevieve.belanger-roy@"),
        "disabled accounts count"
    );
    assert!(
        has(&d12, "FWD-PUB-01", "stephane.cote-neron@")
            && !has(&d22, "FWD-PUB-01", "stephane.cote-neron@")
    );
    assert_eq!(
        d12.findings
            .iter()
            .filter(|f| f.subject.starts_with("melanie.poirier-hudon@"))
            .count(),
        1
    );
    assert!(has(
        &d12,
        "FWD-PUB-01",
        "tablette2.lachine@cisss-troisrives.onmicrosoft.com#boite>tablette2.lachine@gmail.com"
    ));
    assert!(has(
        &d12,
        "FWD-PUB-01",
        "accueil.verdun@cisss-troisrives.onmicrosoft.com#boite>accueil.verdun@videotron.ca"
    ));
    assert!(
        has(&d15, "FWD-PUB-01", "sylvie.tremblay-houde.med@")
            && !has(&d12, "FWD-PUB-01", "sylvie.tremblay-houde.med@")
    );
    assert!(
        d12.findings
            .iter()
            .filter(|f| f.subject.starts_with("chantal.girard-moreau@"))
            .all(|f| f.subject.ends_with(">chantal.girard@mcn.gouv.qc.ca")),
        "internal targets: the tenant's and the network's domains"
    );
    assert!(
        !d12.findings
            .iter()
            .any(|f| f.subject.starts_with("martine.dube-pilon@"))
    );
    let nath = d12
        .findings
        .iter()
        .find(|f| f.check == "FWD-EXT-01" && f.subject.starts_with("nathalie.ouellet-fortin@"))
        .expect("nathalie");
    assert!(nath.accepted);
    assert!(has(
        &d12,
        "FWD-EXT-01",
        "dossiers.lachine@cisss-troisrives.onmicrosoft.com#boite>dr.externe@xn--clinique-toile-jkb.ca"
    ));
    // Physicians found every way: UPN, mail only, a proxy alias only, group only, attribute
    // only; other staff by none of them.
    let population = |who: &str| {
        d12.findings
            .iter()
            .find(|f| f.check == "FWD-PUB-01" && f.subject.starts_with(who))
            .map(|f| f.population.clone())
            .unwrap_or_else(|| panic!("FWD-PUB-01 for {who}"))
    };
    for who in [
        "francois.caron-blais.med@",
        "pierre.gauthier-roy@",
        "isabelle.morin-giguere@",
        "daniel.michaud-sauve@",
        "stephane.cote-neron@",
    ] {
        assert_eq!(population(who), "medecin", "{who}");
    }
    for who in ["genevieve.belanger-roy@", "melanie.poirier-hudon@"] {
        assert_eq!(population(who), "personnel", "{who}");
    }
    // A declared partner does not silence FWD-EXT-01: accepted while the declaration is in
    // force (until day 18), an ordinary open finding once it has expired.
    for who in ["eric.lavoie-poulin@", "robert.gagne-allard@"] {
        for (gt, accepted) in [(&d12, true), (&d22, false)] {
            let f = gt
                .findings
                .iter()
                .find(|f| f.check == "FWD-EXT-01" && f.subject.starts_with(who))
                .unwrap_or_else(|| panic!("partner {who} on day {}", gt.day));
            assert_eq!(f.accepted, accepted, "{who} day {}", gt.day);
        }
    }
    // A ministry outside the RSSS network is external; the network's domains are internal.
    assert!(has(
        &d12,
        "FWD-EXT-01",
        "chantal.girard-moreau@ssss.gouv.qc.ca#regle:"
    ));
    assert_eq!(
        d12.findings
            .iter()
            .filter(|f| f.subject.starts_with("chantal.girard-moreau@"))
            .map(|f| f.subject.rsplit('>').next().unwrap_or(""))
            .collect::<Vec<_>>(),
        ["chantal.girard@mcn.gouv.qc.ca"]
    );
    assert_eq!(
        sev(&d12, "FWD-DIS-01", "alain.fortin-lemay@").as_deref(),
        Some("faible")
    );
    assert_eq!(
        sev(&d0, "FWD-DIS-01", "alain.fortin-lemay@").as_deref(),
        Some("info")
    );
    assert!(
        !d12.findings
            .iter()
            .any(|f| f.subject.starts_with("karine.leblanc-vigneault@")
                && f.subject.contains("#regle:")),
        "rules without forwarding"
    );
    assert!(has(
        &d0,
        "FWD-TRN-01",
        "transport:Copie cachée du comité vers le consultant>audit@consultants-sante.com"
    ));
    assert!(!has(&d0, "FWD-TRN-01", "transport:Journalisation externe"));
    assert!(!has(
        &d0,
        "FWD-TRN-01",
        "transport:Redirection vers l'archivage interne"
    ));
    assert!(has(
        &h.ground_truth(45),
        "FWD-TRN-01",
        "transport:Copie de la direction vers une messagerie personnelle>direction.adjointe@gmail.com"
    ));
    assert_eq!(
        sev(&d0, "FWD-ORG-01", "locataire").as_deref(),
        Some("élevée"),
        "the committee's custom policy (On) applies by its rule"
    );
    assert_eq!(
        sev(&h.ground_truth(130), "FWD-ORG-01", "locataire").as_deref(),
        Some("moyenne"),
        "no enabled rule applies the committee's policy any more"
    );
    assert_eq!(
        sev(&d12, "FWD-ORG-01", "locataire").as_deref(),
        Some("élevée")
    );
    assert!(!has(&h.ground_truth(160), "FWD-ORG-01", "locataire"));
    // Posture is filled in.
    assert!(d30.posture.classes["generique"].accounts >= 16);
    assert!(d30.posture.sign_ins.values().sum::<u64>() > 0);
    assert!(d30.posture.forwarding_targets["public"] > 0);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truth_is_byte_identical_for_a_seed_and_differs_across_seeds() {
    let a = start(opts(21)).await;
    let b = start(opts(21)).await;
    let c = start(opts(22)).await;
    for d in [0, 9, 45] {
        assert_eq!(a.ground_truth(d).to_json(), b.ground_truth(d).to_json());
        assert_eq!(a.register_csv(d), b.register_csv(d));
    }
    assert_ne!(a.ground_truth(3).to_json(), c.ground_truth(3).to_json());
    let dir = tempfile::tempdir().expect("tempdir");
    let files = a.write_setup(dir.path(), 4).expect("setup");
    let text = std::fs::read_to_string(&files.truth).expect("truth file");
    assert_eq!(text, a.ground_truth(4).to_json());
    let gt: GroundTruth = serde_json::from_str(&text).expect("parse");
    assert_eq!(gt.day, 4);
    assert!(gt.findings.windows(2).all(|w| w[0] <= w[1]), "sorted");
    a.shutdown().await;
    b.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printed_config_and_register_have_the_expected_format() {
    let h = start(opts(5)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let files = h.write_setup(dir.path(), 0).expect("setup");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files.config)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(&files.config).expect("config");
    let v: toml::Value = toml::from_str(&text).expect("valid TOML");
    let example: toml::Value =
        toml::from_str(include_str!("../vigie365.exemple.toml")).expect("example");
    // Same sections and keys as the shipped example (plus registre, secret, sites, exceptions).
    for (section, table) in example.as_table().expect("table") {
        let mine = v
            .get(section)
            .unwrap_or_else(|| panic!("missing [{section}]"));
        if let (Some(t), Some(m)) = (table.as_table(), mine.as_table()) {
            for k in t.keys() {
                if k == "secret_env" {
                    continue;
                }
                assert!(m.contains_key(k), "missing {section}.{k}");
            }
            for k in m.keys() {
                let allowed = t.contains_key(k)
                    || matches!(
                        k.as_str(),
                        "secret" | "registre" | "sites" | "clients_permis" | "medecin_attribut"
                    );
                assert!(allowed, "unexpected key {section}.{k}");
            }
        }
    }
    assert_eq!(
        v["points_de_terminaison"]["graph"].as_str(),
        Some(h.base_url().as_str())
    );
    assert_eq!(
        v["identifiants"]["secret"].as_str(),
        Some(h.client_secret().as_str())
    );
    assert_eq!(v["exceptions"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        v["partenaires"][0]["domaine"].as_str(),
        Some("hopitalpartenaire.org")
    );
    assert!(v["partenaires"][0]["expiration"].is_datetime());
    assert!(
        v["domaines"].get("partenaires").is_none(),
        "the old silent list"
    );
    let reg = std::fs::read_to_string(&files.register).expect("register");
    assert!(reg.starts_with("compte;site;utilisateur;arrivee;depart\n"));
    assert!(reg.lines().skip(1).all(|l| l.split(';').count() == 5));
    assert!(reg.contains("tablette9.verdun@"));
    h.shutdown().await;
    // A large tenant has every site, including names with an apostrophe (Val-d'Or).
    let mut o = opts(6);
    o.accounts = 40_000;
    let big = start(o).await;
    let text = big.config_text(dir.path());
    let v: toml::Value = toml::from_str(&text).expect("valid TOML with 60 sites");
    let sites = v["generiques"]["sites"].as_array().expect("sites");
    assert!(sites.len() > 40, "{} configured sites", sites.len());
    for s in sites {
        assert!(regex::Regex::new(s["motif"].as_str().unwrap_or("(")).is_ok());
    }
    big.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_a_day_switches_the_tenant_and_rewrites_the_setup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut o = opts(7);
    o.setup_dir = Some(dir.path().to_path_buf());
    let h = start(o).await;
    let http = http();
    let r = http
        .post(format!("{}/_sim/day/12", h.base_url()))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    assert_eq!(h.day(), 12);
    let truth = dir.path().join("verite-terrain-j012.json");
    let text = std::fs::read_to_string(&truth).expect("truth of day 12 written");
    assert_eq!(text, h.ground_truth(12).to_json());
    assert!(dir.path().join("vigie365.toml").exists());
    let stats: serde_json::Value = http
        .get(format!("{}/_sim/stats", h.base_url()))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["day"], serde_json::json!(12));
    assert!(stats["classes"]["identity_reports"]["limit"].is_u64());
    let bad = http
        .post(format!("{}/_sim/day/abc", h.base_url()))
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status(), reqwest::StatusCode::BAD_REQUEST);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_sources_cases_fire_and_do_not_fire() {
    let h = start(opts(3)).await;
    let d4 = h.ground_truth(4);
    let d15 = h.ground_truth(15);
    let d22 = h.ground_truth(22);
    let d30 = h.ground_truth(30);
    let d40 = h.ground_truth(40);
    // ENC-EXT-01: Azure RMS licensing off before day 25.
    assert!(has(&d4, "ENC-EXT-01", "locataire") && !has(&d30, "ENC-EXT-01", "locataire"));
    // LOG-AUD-01: mailbox auditing off days 10–20, unified audit log off days 35–50.
    assert!(has(&d15, "LOG-AUD-01", "locataire"));
    assert!(!has(&d22, "LOG-AUD-01", "locataire") && !has(&d4, "LOG-AUD-01", "locataire"));
    assert_eq!(
        sev(&d40, "LOG-AUD-01", "locataire").as_deref(),
        Some("élevée")
    );
    // FWD-CLI-01: the ticketing system's IMAP reads are its permitted client.
    for d in [&d4, &d40] {
        assert!(!has(d, "FWD-CLI-01", "svc-billetterie@"));
        assert!(
            !d.of("FWD-CLI-01").is_empty(),
            "day {}: staff retrieve by POP or IMAP",
            d.day
        );
    }
    // SHR-SIG-01: the scripted shared mailboxes keep their account disabled.
    for d in [&d4, &d40] {
        assert!(!has(d, "SHR-SIG-01", "accueil.verdun@"));
        assert!(!has(d, "SHR-SIG-01", "dossiers.lachine@"));
    }
    h.shutdown().await;
}
