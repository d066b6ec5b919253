//! `[perimetre]`: the establishment's accounts in a shared tenant. The format is fixed (the
//! simulator writes it too): units, groups, address patterns, attributes, the tenant controls
//! flag. Each refusal has its code, its position and a French fix.

use std::path::Path;

use vigie365::config::{self, AddressPattern, Code, DirectoryAttribute, DirectoryRef, Guid};

mod common;

use common::config_text::{HEAD, ok, options, refused};

/// The section exactly as the issue fixes it.
const FULL: &str = r#"[perimetre]
# Un compte est dans le périmètre quand au moins un critère le retient (union des critères).
unites_administratives = ["CIUSSS du Centre-Sud", "8b5c3c0e-1d2a-4b7e-9f10-2a3b4c5d6e7f"]
groupes = ["Personnel CIUSSS Centre-Sud"]
upn = ["*@ciusss-centre-sud.ssss.gouv.qc.ca"]
gouverne_controles_locataire = false
[[perimetre.attributs]]
nom = "companyName"
valeurs = ["CIUSSS du Centre-Sud-de-l'Île-de-Montréal"]
[[perimetre.attributs]]
nom = "extensionAttribute7"
valeurs = ["CCSMTL", "ccsmtl-2"]
"#;

#[test]
fn without_the_section_the_whole_tenant_is_the_establishments() {
    assert!(ok("").perimeter.is_none());
}

#[test]
fn the_fixed_format_is_read_criterion_by_criterion() {
    let p = ok(FULL).perimeter.expect("a perimeter");
    assert_eq!(
        p.units,
        [
            DirectoryRef::Name("CIUSSS du Centre-Sud".into()),
            DirectoryRef::Id(
                "8b5c3c0e-1d2a-4b7e-9f10-2a3b4c5d6e7f"
                    .parse::<Guid>()
                    .expect("guid")
            )
        ]
    );
    assert_eq!(
        p.groups,
        [DirectoryRef::Name("Personnel CIUSSS Centre-Sud".into())]
    );
    assert_eq!(
        p.addresses[0].as_str(),
        "*@ciusss-centre-sud.ssss.gouv.qc.ca"
    );
    assert_eq!(p.attributes.len(), 2);
    assert_eq!(p.attributes[0].attribute, DirectoryAttribute::CompanyName);
    assert_eq!(
        p.attributes[1].attribute,
        DirectoryAttribute::ExtensionAttribute(7)
    );
    assert!(!p.governs_tenant_controls);
    // Each criterion alone is a perimeter.
    for one in [
        "[perimetre]\nunites_administratives = [\"U\"]",
        "[perimetre]\ngroupes = [\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"]",
        "[perimetre]\nupn = [\"*.med@ssss.gouv.qc.ca\"]",
        "[perimetre]\n[[perimetre.attributs]]\nnom = \"department\"\nvaleurs = [\"CHSLD\"]",
        "[perimetre]\ngouverne_controles_locataire = true\n[[perimetre.attributs]]\nnom = \"officeLocation\"\nvaleurs = [\"Verdun\"]",
    ] {
        assert!(ok(one).perimeter.is_some(), "{one}");
    }
    assert!(
        ok("[perimetre]\ngouverne_controles_locataire = true\nupn = [\"*@x.ca\"]")
            .perimeter
            .expect("perimeter")
            .governs_tenant_controls
    );
}

#[test]
fn an_empty_perimeter_is_refused() {
    for empty in [
        "[perimetre]",
        "[perimetre]\ngouverne_controles_locataire = true",
        "[perimetre]\nunites_administratives = []\ngroupes = []\nupn = []",
    ] {
        let (codes, text) = refused(empty);
        assert_eq!(codes, [(1, Code::EmptyPerimeter)], "{empty}\n{text}");
        assert!(text.contains("aucun critère"), "{text}");
        assert!(text.contains("retirer la section"), "{text}");
    }
    assert_eq!(Code::EmptyPerimeter.id(), "perimetre-vide");
}

#[test]
fn an_unknown_attribute_is_refused_with_a_suggestion() {
    let (codes, text) =
        refused("[perimetre]\n[[perimetre.attributs]]\nnom = \"companyname\"\nvaleurs = [\"X\"]");
    assert_eq!(codes, [(3, Code::InvalidValue)], "{text}");
    assert!(text.contains("vouliez-vous dire « companyName »"), "{text}");
    let (codes, text) =
        refused("[perimetre]\n[[perimetre.attributs]]\nnom = \"jobTitle\"\nvaleurs = [\"X\"]");
    assert_eq!(codes, [(3, Code::InvalidValue)], "{text}");
    assert!(text.contains("officeLocation"), "{text}");
    // The classification's attributes stay what they were: companyName is not one of them.
    let (codes, _) = refused(
        "[classification]\ngenerique_attribut = { nom = \"companyName\", valeurs = [\"X\"] }",
    );
    assert_eq!(codes, [(2, Code::InvalidValue)]);
    // Values: present, not empty, no duplicate.
    let (codes, _) = refused("[perimetre]\n[[perimetre.attributs]]\nnom = \"department\"");
    assert_eq!(codes, [(2, Code::Missing)]);
    let (codes, _) =
        refused("[perimetre]\n[[perimetre.attributs]]\nnom = \"department\"\nvaleurs = []");
    assert_eq!(codes, [(4, Code::InvalidValue)]);
}

#[test]
fn patterns_are_refused_empty_or_without_a_domain() {
    let (codes, text) = refused(
        "[perimetre]\nupn = [\"\",\n  \"jean.tremblay\",\n  \"*@\",\n  \"*@*\",\n  \"*@ssss.gouv.qc.ca\"]",
    );
    assert_eq!(
        codes,
        [
            (2, Code::InvalidValue),
            (3, Code::InvalidValue),
            (4, Code::InvalidValue),
            (5, Code::InvalidValue)
        ],
        "{text}"
    );
    assert!(text.contains("motif vide"), "{text}");
    assert!(text.contains("sans partie domaine"), "{text}");
    assert!(text.contains("*@ciusss-exemple.ssss.gouv.qc.ca"), "{text}");
    assert!(AddressPattern::new("*@ssss.gouv.qc.ca").is_some());
}

#[test]
fn a_malformed_id_is_refused_and_a_name_is_a_name() {
    let (codes, text) = refused(
        "[perimetre]\nunites_administratives = [\"8b5c3c0e-1d2a-4b7e-9f10-2a3b4c5d6e7\"]\ngroupes = [\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4\", \"{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d}\"]",
    );
    assert_eq!(
        codes,
        [
            (2, Code::InvalidGuid),
            (3, Code::InvalidGuid),
            (3, Code::InvalidGuid)
        ],
        "{text}"
    );
    assert!(text.contains("ID d'objet"), "{text}");
    // Names with letters, spaces or digits stay names.
    let p = ok("[perimetre]\nunites_administratives = [\"CISSS 2-A\", \"DEAD\", \"Unité 12\"]")
        .perimeter
        .expect("perimeter");
    assert!(p.units.iter().all(|u| matches!(u, DirectoryRef::Name(_))));
}

#[test]
fn duplicates_are_refused_where_they_are() {
    let (codes, text) = refused(
        r#"[perimetre]
unites_administratives = ["CIUSSS A", "ciusss a"]
groupes = ["0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"]
upn = ["*@a.ca", "*@A.ca"]
[[perimetre.attributs]]
nom = "companyName"
valeurs = ["X", "x"]
[[perimetre.attributs]]
nom = "companyName"
valeurs = ["Y"]"#,
    );
    assert_eq!(
        codes,
        [
            (2, Code::Duplicate),
            (3, Code::Duplicate),
            (4, Code::Duplicate),
            (7, Code::Duplicate),
            (8, Code::Duplicate)
        ],
        "{text}"
    );
    assert!(text.contains("déjà nommé (ligne 11)"), "{text}");
}

#[test]
fn wrong_types_and_unknown_keys_are_named() {
    let (codes, text) = refused(
        "[perimetre]\nupn = \"*@a.ca\"\ngouverne_controles_locataire = \"non\"\nunite = [\"X\"]",
    );
    assert_eq!(
        codes,
        [
            (2, Code::WrongType),
            (3, Code::WrongType),
            (4, Code::UnknownKey)
        ],
        "{text}"
    );
    assert!(text.contains("true ou false"), "{text}");
}

#[test]
fn config_check_shows_the_perimeter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vigie365.toml");
    std::fs::write(&path, format!("{HEAD}\n{FULL}")).expect("write");
    let env = |_: &str| Some(std::ffi::OsString::from("s3cr3t-valeur"));
    let report = config::check_with(&path, &options(), env);
    assert!(report.is_valid(), "{report}");
    let shown = report.to_string();
    for line in [
        "périmètre de l'établissement (un compte y est quand au moins un critère le retient) :",
        "  unité administrative « CIUSSS du Centre-Sud » : ses membres",
        "  unité administrative « 8b5c3c0e-1d2a-4b7e-9f10-2a3b4c5d6e7f » : ses membres",
        "  groupe « Personnel CIUSSS Centre-Sud » : ses membres transitifs",
        "  motif « *@ciusss-centre-sud.ssss.gouv.qc.ca » sur l'UPN ou l'adresse (casse ignorée)",
        "  attribut companyName égal à « CIUSSS du Centre-Sud-de-l'Île-de-Montréal » (casse ignorée)",
        "  attribut extensionAttribute7 égal à « CCSMTL » ou « ccsmtl-2 » (casse ignorée)",
        "  réglages de tout le locataire : gouvernés par l'équipe qui administre le locataire partagé ; ils paraissent comme « contrôles du locataire », hors des constats de l'établissement",
    ] {
        assert!(shown.contains(line), "missing {line:?} in\n{shown}");
    }
    let named = FULL.replace(
        "[perimetre]\n",
        "[perimetre]\ncontroles_locataire_gouvernes_par = \"Équipe provinciale Microsoft 365\"\n",
    );
    assert_ne!(named, FULL, "FULL opens with [perimetre]");
    std::fs::write(&path, format!("{HEAD}\n{named}")).expect("write");
    let shown = config::check_with(&path, &options(), env).to_string();
    assert!(
        shown.contains("gouvernés par Équipe provinciale Microsoft 365 ;"),
        "{shown}"
    );
    std::fs::write(
        &path,
        format!(
            "{HEAD}\n{}",
            FULL.replace(
                "gouverne_controles_locataire = false",
                "gouverne_controles_locataire = true"
            )
        ),
    )
    .expect("write");
    let shown = config::check_with(&path, &options(), env).to_string();
    assert!(
        shown.contains(
            "réglages de tout le locataire : gouvernés par l'établissement (ses constats)"
        ),
        "{shown}"
    );
    std::fs::write(&path, HEAD).expect("write");
    let report = config::check_with(&path, &options(), env);
    assert!(
        report
            .to_string()
            .contains("périmètre : tout le locataire (aucune section [perimetre])")
    );
}

#[test]
fn the_example_configuration_documents_the_section_commented() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("vigie365.exemple.toml"),
    )
    .expect("example");
    let uncommented: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .skip_while(|l| !l.starts_with("[perimetre]"))
        .take(10)
        .filter(|l| l.starts_with('[') || l.contains(" = "))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(uncommented.starts_with("[perimetre]"), "{uncommented}");
    let p = ok(&uncommented)
        .perimeter
        .expect("the example's perimeter is valid");
    assert_eq!(p.units.len(), 1);
    assert_eq!(p.groups.len(), 1);
    assert_eq!(p.addresses.len(), 1);
    assert_eq!(p.attributes.len(), 1);
    assert_eq!(
        p.tenant_governed_by().as_deref(),
        Some("Équipe provinciale Microsoft 365")
    );
}
