//! `[[etablissements]]`: the provincial mode's establishments, each with its name, its
//! code, its register and its perimeter (the criteria of `[perimetre]`). Each refusal has
//! its code, its position and a French fix; `[perimetre]` and `[[etablissements]]` together
//! are refused.

use vigie365::config::{Code, DirectoryRef, UNATTRIBUTED_CODE};

mod common;

use common::config_text::{ok, refused};

const TWO: &str = r#"[[etablissements]]
nom = "CIUSSS du Centre-Sud"
code = "ciusss-centre-sud"
[etablissements.perimetre]
unites_administratives = ["CIUSSS du Centre-Sud"]
upn = ["*@ciusss-centre-sud.ssss.gouv.qc.ca"]
controles_locataire_gouvernes_par = "Équipe provinciale Microsoft 365"

[[etablissements]]
nom = "CISSS des Laurentides"
code = "cisss-laurentides"
[etablissements.perimetre]
[[etablissements.perimetre.attributs]]
nom = "companyName"
valeurs = ["CISSS des Laurentides"]
"#;

#[test]
fn each_establishment_is_read_with_its_perimeter() {
    let c = ok(TWO);
    assert!(c.is_provincial());
    assert!(c.perimeter.is_none());
    let codes: Vec<&str> = c.establishments.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes, ["ciusss-centre-sud", "cisss-laurentides"]);
    let first = &c.establishments[0];
    assert_eq!(first.name, "CIUSSS du Centre-Sud");
    assert_eq!(
        first.perimeter.units,
        [DirectoryRef::Name("CIUSSS du Centre-Sud".into())]
    );
    assert_eq!(c.establishments[1].perimeter.attributes.len(), 1);
    // What the establishment's own night would have as configuration.
    let own = c.for_establishment(first);
    assert_eq!(own.tenant.establishment, "CIUSSS du Centre-Sud");
    assert_eq!(own.perimeter.as_ref(), Some(&first.perimeter));
    assert!(own.establishments.is_empty());
    assert!(own.storage.outputs.ends_with("ciusss-centre-sud"));
    assert_eq!(
        own.perimeter
            .and_then(|p| p.tenant_governed_by())
            .as_deref(),
        Some("Équipe provinciale Microsoft 365")
    );
    // Every slice of the store: each establishment, then « non attribué ».
    let slices: Vec<String> = c.slices().into_iter().map(|(code, _)| code).collect();
    assert_eq!(
        slices,
        ["ciusss-centre-sud", "cisss-laurentides", UNATTRIBUTED_CODE]
    );
    // One establishment: one slice, the whole store.
    assert_eq!(ok("").slices().len(), 1);
    assert!(!ok("").is_provincial());
}

#[test]
fn perimetre_and_etablissements_together_are_refused() {
    let (codes, text) = refused(&format!(
        "[perimetre]\nupn = [\"*@ciusss-a.ssss.gouv.qc.ca\"]\n\n{TWO}"
    ));
    assert_eq!(codes, [(4, Code::PerimeterAndEstablishments)], "{text}");
    assert_eq!(
        Code::PerimeterAndEstablishments.id(),
        "perimetre-et-etablissements"
    );
    assert!(text.contains("[[etablissements]]"), "{text}");
}

#[test]
fn a_name_or_code_given_twice_is_refused() {
    let twice = format!(
        "{TWO}\n[[etablissements]]\nnom = \"Autre\"\ncode = \"cisss-laurentides\"\n\
         [etablissements.perimetre]\nupn = [\"*@autre.ca\"]\n"
    );
    let (codes, text) = refused(&twice);
    assert_eq!(codes.len(), 1, "{text}");
    assert_eq!(codes[0].1, Code::Duplicate, "{text}");
    assert!(text.contains("« cisss-laurentides »"), "{text}");
    let same_name = format!(
        "{TWO}\n[[etablissements]]\nnom = \"cisss des laurentides\"\ncode = \"autre\"\n\
         [etablissements.perimetre]\nupn = [\"*@autre.ca\"]\n"
    );
    let (codes, text) = refused(&same_name);
    assert_eq!(
        codes.iter().map(|c| c.1).collect::<Vec<_>>(),
        [Code::Duplicate],
        "{text}"
    );
}

#[test]
fn a_code_must_name_a_directory_and_not_the_unattributed_bucket() {
    for bad in ["CISSS A", "cisss/a", "cisssé"] {
        let (codes, text) = refused(&format!(
            "[[etablissements]]\nnom = \"A\"\ncode = \"{bad}\"\n[etablissements.perimetre]\nupn = [\"*@a.ca\"]\n"
        ));
        assert_eq!(codes, [(3, Code::InvalidValue)], "{bad}: {text}");
    }
    let (codes, text) = refused(&format!(
        "[[etablissements]]\nnom = \"A\"\ncode = \"{UNATTRIBUTED_CODE}\"\n[etablissements.perimetre]\nupn = [\"*@a.ca\"]\n"
    ));
    assert_eq!(codes, [(3, Code::InvalidValue)], "{text}");
    assert!(text.contains("réservé"), "{text}");
}

#[test]
fn an_establishment_without_name_code_or_perimeter_is_refused() {
    let (codes, text) = refused("[[etablissements]]\nnom = \"A\"\ncode = \"a\"\n");
    assert_eq!(
        codes.iter().map(|c| c.1).collect::<Vec<_>>(),
        [Code::Missing],
        "{text}"
    );
    assert!(text.contains("etablissements.perimetre"), "{text}");
    let (codes, text) =
        refused("[[etablissements]]\n[etablissements.perimetre]\nupn = [\"*@a.ca\"]\n");
    assert_eq!(
        codes.iter().map(|c| c.1).collect::<Vec<_>>(),
        [Code::Missing, Code::Missing],
        "{text}"
    );
    // A perimeter without criterion retains no account, as `[perimetre]`.
    let (codes, text) = refused(
        "[[etablissements]]\nnom = \"A\"\ncode = \"a\"\n[etablissements.perimetre]\ngouverne_controles_locataire = true\n",
    );
    assert_eq!(
        codes.iter().map(|c| c.1).collect::<Vec<_>>(),
        [Code::EmptyPerimeter],
        "{text}"
    );
    // An unknown key of an establishment is named.
    let (codes, text) = refused(
        "[[etablissements]]\nnom = \"A\"\ncode = \"a\"\nsite = \"x\"\n[etablissements.perimetre]\nupn = [\"*@a.ca\"]\n",
    );
    assert_eq!(codes, [(4, Code::UnknownKey)], "{text}");
}
