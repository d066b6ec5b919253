//! The configuration files themselves: the shipped example loads (and every key it
//! documents, even commented out, is known), a broken file reports every one of its problems
//! at its line, and the register of generic accounts has its header checked.

use std::path::{Path, PathBuf};

use vigie365::config::{self, Code, Config, Credentials, LoadOptions, Severity, SignInActivity};

mod common;

use common::config_text::HEAD;

/// The check ids an exception may name: the registry's, as the binary passes them.
fn options() -> LoadOptions<'static> {
    vigie365::checks::registry::load_options()
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    manifest_dir().join("tests/fixtures/config")
}

#[test]
fn the_example_file_loads_with_its_values() {
    let path = manifest_dir().join("vigie365.exemple.toml");
    let c = match config::load(&path, &options()) {
        Ok(c) => c,
        Err(e) => panic!("the example must load:\n{e}"),
    };
    assert_eq!(c.tenant.domain, "cisss-exemple.onmicrosoft.com");
    assert_eq!(
        c.tenant.client_id.to_string(),
        "11111111-1111-1111-1111-111111111111"
    );
    assert_eq!(c.tenant.establishment, "CISSS de l'Exemple");
    assert!(matches!(&c.credentials, Credentials::SecretEnv(v) if v == "VIGIE365_CLIENT_SECRET"));
    assert_eq!(
        c.endpoints.authority.as_str(),
        "https://login.microsoftonline.com/"
    );
    assert_eq!(
        c.storage.database,
        Path::new("/var/lib/vigie365/vigie365.sqlite")
    );
    assert_eq!(c.retention.raw_sign_ins_days, 90);
    assert_eq!(c.retention.personal_data_days, 400);
    assert_eq!(c.collection.first_night_days, 30);
    assert_eq!(c.collection.overlap_minutes, 120);
    assert_eq!(c.collection.concurrent_batches.get(), 8);
    assert_eq!(c.collection.sign_in_activity, SignInActivity::InScope);
    assert_eq!(c.collection.sign_in_activity_rotation_nights.get(), 7);
    assert!(
        c.classification
            .generic
            .display_name
            .iter()
            .any(|r| r.is_match("Tablette 1 CHSLD de Verdun"))
    );
    assert!(
        c.classification
            .appli
            .upn
            .iter()
            .any(|r| r.is_match("svc-billetterie@cisss-exemple.onmicrosoft.com"))
    );
    assert_eq!(
        c.classification.break_glass,
        vec!["urgence01@cisss-exemple.onmicrosoft.com".to_string()]
    );
    assert_eq!(c.generic.allowed_apps.len(), 13);
    assert_eq!(c.generic.max_password_age_days, 365);
    assert_eq!(c.evaluation.window_days, 7);
    assert_eq!(c.evaluation.timezone, chrono_tz::America::Montreal);
    assert!(c.domains.internal.is_empty());
    assert_eq!(c.domains.network, ["ssss.gouv.qc.ca", "msss.gouv.qc.ca"]);
    assert!(c.domains.partners.is_empty());
    assert!(c.exceptions.is_empty());
    assert_eq!(c.limits.directory_units_per_10s.get(), 8000);
    assert_eq!(c.limits.max_attempts.get(), 5);
    // The example's tenant id is the nil GUID: worth a remark, not an error.
    assert!(c.notes.iter().any(|n| n.key == "locataire.tenant_id"));
}

/// Every key the example documents — including the commented-out ones — must be known:
/// uncomment them all and no "unknown key" nor wrong type may come out.
#[test]
fn every_key_documented_in_the_example_is_known() {
    let text =
        std::fs::read_to_string(manifest_dir().join("vigie365.exemple.toml")).unwrap_or_default();
    let assignment = regex::Regex::new(r"^# ?([a-z_]+ = .*|\[\[?[a-z_.]+\]\]?)$")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut uncommented = 0;
    let text: String = text
        .lines()
        .map(|line| match assignment.captures(line) {
            Some(c) => {
                uncommented += 1;
                format!("{}\n", &c[1])
            }
            None => format!("{line}\n"),
        })
        .collect();
    assert!(uncommented >= 15, "only {uncommented} commented keys found");
    let path = manifest_dir().join("vigie365.exemple.toml");
    if let Err(e) = Config::from_toml_str(&text, &path, &options()) {
        let shape: Vec<_> = e
            .diagnostics
            .iter()
            .filter(|d| matches!(d.code, Code::UnknownKey | Code::WrongType | Code::Syntax))
            .map(ToString::to_string)
            .collect();
        assert!(shape.is_empty(), "{}", shape.join("\n"));
    }
}

#[test]
fn a_broken_file_reports_every_problem_at_its_line() {
    let path = fixtures().join("broken.toml");
    let errors = match config::load(&path, &options()) {
        Ok(_) => panic!("broken.toml must be refused"),
        Err(e) => e,
    };
    let got: Vec<(usize, usize, Code)> = errors
        .diagnostics
        .iter()
        .map(|d| (d.line, d.column, d.code))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, 13, Code::InvalidGuid),
            (10, 1, Code::UnknownKey),
            (11, 1, Code::CredentialMode),
            (11, 18, Code::FileNotFound),
            (14, 9, Code::InvalidEndpoint),
            // The pattern starts at column 19; its unclosed '[' is its 14th character.
            (18, 32, Code::InvalidRegex),
            (21, 30, Code::InvalidCidr),
            (24, 10, Code::UnknownTimeZone),
            (27, 12, Code::UnknownCheck),
            (29, 17, Code::InvalidValue),
            (31, 14, Code::WrongType),
            (34, 18, Code::InvalidValue),
        ],
        "\n{errors}"
    );
    assert!(
        errors
            .diagnostics
            .iter()
            .all(|d| d.severity == Severity::Error)
    );

    let text = errors.to_string();
    let file = path.display();
    for expected in [
        format!(
            "{file}:10:1: erreur: clé inconnue « secrt » dans [identifiants] — vouliez-vous dire \
             « secret » ?\n  correctif : remplacer « secrt » par « secret »"
        ),
        format!("{file}:3:13: erreur: GUID invalide pour « locataire.tenant_id »"),
        "plusieurs modes d'identification : « secret_env » (ligne 9), « secret_fichier » \
         (ligne 11) ; un seul est permis"
            .to_string(),
        "http:// refusé vers « graph.example.net »".to_string(),
        "correctif : écrire https://graph.example.net".to_string(),
        "expression régulière invalide dans « classification.generique_nom[1] » : classe de \
         caractères non fermée (il manque « ] »)"
            .to_string(),
        "plage d'adresses invalide « 10.300.0.0/16 » dans « generiques.plages_ip[2] »".to_string(),
        "fuseau horaire inconnu « America/Montréal » — vouliez-vous dire « America/Montreal » ?"
            .to_string(),
        "contrôle inconnu « GEN-MFA-03 » — vouliez-vous dire « GEN-MFA-01 » ?".to_string(),
        "« exceptions[1].justification » est vide".to_string(),
        "attendu : une date (AAAA-MM-JJ), trouvé : une chaîne de caractères (une date TOML \
         s'écrit sans guillemets)"
            .to_string(),
        "« limites.tentatives_max » doit être un nombre entier positif (trouvé : 0)".to_string(),
        "configuration refusée : 12 erreurs dans".to_string(),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
    // Every error says how to fix it.
    assert!(errors.diagnostics.iter().all(|d| !d.fix_fr.is_empty()));
    // A value written under a misspelt key is never echoed.
    assert!(!text.contains("ne-doit-jamais-etre-affiche"));
}

#[test]
fn an_unreadable_file_is_one_whole_file_error() {
    let path = fixtures().join("absent.toml");
    let errors = config::load(&path, &options()).err().map(|e| e.to_string());
    let text = errors.unwrap_or_default();
    assert!(
        text.starts_with(&format!(
            "{}: erreur: impossible de lire la configuration",
            path.display()
        )),
        "{text}"
    );
    assert!(text.contains("fichier introuvable"));
}

fn with_register(register: &str) -> Result<Config, config::ConfigErrors> {
    let text = format!("\n{HEAD}\n[classification]\nregistre = \"{register}\"\n");
    // A virtual file in the fixtures directory: the relative register path resolves there.
    Config::from_toml_str(&text, fixtures().join("virtuel.toml"), &options())
}

#[test]
fn a_register_with_every_column_is_located() {
    let c = match with_register("registre-ok.csv") {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let r = c
        .classification
        .register
        .unwrap_or_else(|| panic!("no register"));
    assert_eq!(r.path, fixtures().join("registre-ok.csv"));
    assert_eq!(r.delimiter, b';');
    assert!(r.has_bom);
    assert_eq!((r.columns.compte, r.columns.depart), (0, 4));
    // The relative path is resolved against the configuration's directory, and says so.
    let note = c
        .notes
        .iter()
        .find(|n| n.code == Code::RelativePath)
        .map(|n| n.message_fr.clone())
        .unwrap_or_default();
    assert!(
        note.contains("résolu par rapport au répertoire du fichier de configuration"),
        "{note}"
    );
    assert!(note.contains(&fixtures().join("registre-ok.csv").display().to_string()));
}

#[test]
fn a_register_missing_a_column_is_reported() {
    let errors = match with_register("registre-sans-depart.csv") {
        Ok(_) => panic!("a register without « depart » must be refused"),
        Err(e) => e,
    };
    let d = errors
        .with_code(Code::InvalidRegister)
        .next()
        .unwrap_or_else(|| panic!("no register error in {errors}"));
    assert_eq!(d.key, "classification.registre");
    assert_eq!(d.line, 12);
    assert!(
        d.message_fr
            .contains("colonne manquante dans l'en-tête du registre"),
        "{}",
        d.message_fr
    );
    assert!(
        d.message_fr
            .contains(": depart (colonnes trouvées : compte, site, utilisateur, arrivee)")
    );
    assert!(
        d.fix_fr
            .contains("ajouter depart à la première ligne (séparateur « , »")
    );
}

#[test]
fn a_missing_register_is_reported() {
    let errors = with_register("absent.csv").err();
    let codes: Vec<Code> = errors
        .map(|e| e.diagnostics.iter().map(|d| d.code).collect())
        .unwrap_or_default();
    assert_eq!(codes, vec![Code::FileNotFound]);
}
