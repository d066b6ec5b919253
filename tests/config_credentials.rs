//! Credentials: exactly one mode; an inline secret only in a private file; secret files
//! private; the secret never printed; certificate and RSA key read from PEM and matched;
//! secrets resolved at use time with a message naming the variable or file.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use vigie365::config::{
    self, Code, Config, ConfigError, Credentials, KeyDer, LoadOptions, resolve_secret_with,
};

/// The check ids an exception may name: the registry's, as the binary passes them.
fn options() -> LoadOptions<'static> {
    vigie365::checks::registry::load_options()
}

const SECRET: &str = "Zq8~S3cr3t-Qu1-N3-D01t-J4m41s-S0rt1r";

fn config_text(identifiants: &str) -> String {
    format!(
        r#"[locataire]
tenant_id = "6f1c2a7e-8d4b-4e3a-9c1f-2b5d7e9a0c11"
domaine = "cisss-exemple.onmicrosoft.com"
client_id = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
etablissement = "CISSS de l'Exemple"

[identifiants]
{identifiants}
"#
    )
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>, mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("{e}"));
    path
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn codes(r: &Result<Config, config::ConfigErrors>) -> Vec<(usize, Code)> {
    match r {
        Ok(_) => Vec::new(),
        Err(e) => e.diagnostics.iter().map(|d| (d.line, d.code)).collect(),
    }
}

#[test]
fn inline_secret_is_refused_when_the_file_is_readable_by_others() {
    let dir = tempdir();
    let text = config_text(&format!("secret = \"{SECRET}\""));
    let path = write(dir.path(), "vigie365.toml", &text, 0o644);
    let result = config::load(&path, &options());
    assert_eq!(codes(&result), vec![(8, Code::SecretPermissions)]);
    let Err(errors) = result else { return };
    let shown = format!("{errors}\n{errors:?}");
    assert!(shown.contains("mode 0644"), "{shown}");
    assert!(
        shown.contains(&format!("correctif : chmod 600 {}", path.display())),
        "{shown}"
    );
    assert!(!shown.contains(SECRET), "the secret leaked:\n{shown}");

    // The same file, made private, is accepted.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("{e}"));
    let c = config::load(&path, &options()).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(&c.credentials, Credentials::SecretInline(_)));
    let secret = resolve_secret_with(&c, |_| None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(secret.expose(), SECRET);
    // Never printed: not by the secret, the credentials, the configuration, nor `check`.
    let report = config::check_with(&path, &options(), |_| None);
    assert!(report.is_valid(), "{report}");
    for shown in [
        format!("{secret} {secret:?}"),
        format!("{:?}", c.credentials),
        format!("{c:?}"),
        report.to_string(),
    ] {
        assert!(!shown.contains(SECRET), "the secret leaked:\n{shown}");
    }
    assert!(
        report
            .summary_fr
            .contains("identifiants : secret client (écrit dans la configuration)")
    );
}

#[test]
fn a_secret_in_a_syntax_error_is_not_echoed() {
    let r = Config::from_toml_str(
        &config_text(&format!("secret = \"{SECRET}")),
        "v.toml",
        &options(),
    );
    assert_eq!(codes(&r), vec![(8, Code::Syntax)]);
    let shown = r.err().map(|e| format!("{e} {e:?}")).unwrap_or_default();
    assert!(!shown.contains(SECRET), "{shown}");
}

#[test]
fn inline_secret_in_text_has_no_file_mode_to_check() {
    let text = config_text(&format!("secret = \"{SECRET}\""));
    let c = Config::from_toml_str(&text, "virtuel.toml", &options());
    assert!(matches!(
        c,
        Ok(Config {
            credentials: Credentials::SecretInline(_),
            ..
        })
    ));
}

#[test]
fn secret_file_must_be_private_and_is_read_at_use_time() {
    let dir = tempdir();
    let secret = write(dir.path(), "secret", format!("{SECRET}\n"), 0o640);
    let text = config_text("secret_fichier = \"secret\"");
    let path = write(dir.path(), "vigie365.toml", &text, 0o644);
    let result = config::load(&path, &options());
    assert_eq!(codes(&result), vec![(8, Code::SecretPermissions)]);
    let shown = result.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        shown.contains(&format!("chmod 600 {}", secret.display())),
        "{shown}"
    );

    for mode in [0o600, 0o400] {
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("{e}"));
        let c = config::load(&path, &options()).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(&c.credentials, Credentials::SecretFile(p) if *p == secret));
        let s = resolve_secret_with(&c, |_| None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.expose(), SECRET, "one trailing newline is removed");
    }

    // Made readable after loading: refused at use time, naming the file and the fix.
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644))
        .unwrap_or_else(|e| panic!("{e}"));
    let c = Config::from_toml_str(&text, dir.path().join("v.toml"), &options());
    assert!(c.is_err(), "the static check sees the mode too");
    let mut c = Config::for_tests();
    c.credentials = Credentials::SecretFile(secret.clone());
    match resolve_secret_with(&c, |_| None) {
        Err(e @ ConfigError::FilePermissions { .. }) => {
            assert_eq!(e.fix_fr(), format!("chmod 600 {}", secret.display()));
        }
        other => panic!("expected a permissions error, got {other:?}"),
    }
}

#[test]
fn secret_env_is_resolved_at_use_time() {
    let c = Config::from_toml_str(
        &config_text("secret_env = \"VIGIE365_CLIENT_SECRET\""),
        "v.toml",
        &options(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let env = |var: &str| (var == "VIGIE365_CLIENT_SECRET").then(|| OsString::from(SECRET));
    let s = resolve_secret_with(&c, env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.expose(), SECRET);

    let e = resolve_secret_with(&c, |_| None).err();
    let e = e.unwrap_or_else(|| panic!("an unset variable must be an error"));
    assert_eq!(
        e.to_string(),
        "la variable d'environnement « VIGIE365_CLIENT_SECRET » (identifiants.secret_env) \
         n'est pas définie"
    );
    assert!(e.fix_fr().contains("EnvironmentFile="));
    let empty = resolve_secret_with(&c, |_| Some(OsString::from("  ")));
    assert!(matches!(empty, Err(ConfigError::EnvEmpty { .. })));
}

#[test]
fn check_reports_an_unset_secret_variable_at_its_line() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "vigie365.toml",
        config_text("secret_env = \"VIGIE365_CLIENT_SECRET\""),
        0o644,
    );
    let report = config::check_with(&path, &options(), |_| None);
    assert!(!report.is_valid());
    assert_eq!(report.problems.len(), 1);
    let d = &report.problems[0];
    assert_eq!((d.line, d.column, d.code), (8, 1, Code::SecretUnavailable));
    assert_eq!(d.key, "identifiants.secret_env");
    assert!(
        report
            .summary_fr
            .starts_with("configuration invalide : 1 erreur dans")
    );

    let env = |_: &str| Some(OsString::from(SECRET));
    let report = config::check_with(&path, &options(), env);
    assert!(report.is_valid(), "{report}");
    assert_eq!(
        report.summary_fr,
        "configuration valide : locataire cisss-exemple.onmicrosoft.com \
         (6f1c2a7e-8d4b-4e3a-9c1f-2b5d7e9a0c11), établissement « CISSS de l'Exemple », \
         identifiants : secret client (variable VIGIE365_CLIENT_SECRET), 0 exception, fuseau \
         America/Montreal"
    );
}

#[test]
fn a_secret_pasted_as_a_variable_name_is_not_echoed() {
    let r = Config::from_toml_str(
        &config_text(&format!("secret_env = \"{SECRET}\"")),
        "v.toml",
        &options(),
    );
    assert_eq!(codes(&r), vec![(8, Code::InvalidValue)]);
    let shown = r.err().map(|e| format!("{e} {e:?}")).unwrap_or_default();
    assert!(shown.contains("pas le secret lui-même"), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
}

#[test]
fn exactly_one_credential_mode() {
    let none = Config::from_toml_str(&config_text(""), "v.toml", &options());
    assert_eq!(codes(&none), vec![(7, Code::CredentialMode)]);

    let two = Config::from_toml_str(
        &config_text(&format!(
            "certificat = \"a.pem\"\nsecret = \"{SECRET}\"\ncle_privee = \"b.pem\""
        )),
        "v.toml",
        &options(),
    );
    let Err(e) = &two else {
        panic!("two modes must be refused")
    };
    let d = e
        .with_code(Code::CredentialMode)
        .next()
        .unwrap_or_else(|| panic!("{e}"));
    assert_eq!(d.line, 9, "reported at the second mode");
    assert!(
        d.message_fr
            .contains("« certificat » (ligne 8), « secret » (ligne 9)")
    );
    assert!(!e.to_string().contains(SECRET));

    let half = Config::from_toml_str(&config_text("certificat = \"a.pem\""), "v.toml", &options());
    let half = half.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        half.contains("« certificat » sans « cle_privee »"),
        "{half}"
    );
}

/// A temporary directory with the certificate and a key, written with the given key mode.
fn cert_dir(key_fixture: &str, key_mode: u32) -> (tempfile::TempDir, String) {
    let dir = tempdir();
    write(dir.path(), "cert.pem", fixture("test-only-cert.pem"), 0o644);
    write(dir.path(), "key.pem", fixture(key_fixture), key_mode);
    let text = config_text("certificat = \"cert.pem\"\ncle_privee = \"key.pem\"");
    (dir, text)
}

fn load_in(dir: &Path, text: &str) -> Result<Config, config::ConfigErrors> {
    let path = write(dir, "vigie365.toml", text, 0o600);
    config::load(&path, &options())
}

#[test]
fn certificate_and_rsa_key_load_as_der() {
    for (fixture, pkcs8) in [
        ("test-only-key-pkcs8.pem", true),
        ("test-only-key-pkcs1.pem", false),
    ] {
        let (dir, text) = cert_dir(fixture, 0o600);
        let c = load_in(dir.path(), &text).unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let Credentials::Certificate {
            cert_der,
            key_der,
            cert_path,
            key_path,
        } = &c.credentials
        else {
            panic!("expected a certificate, got {:?}", c.credentials)
        };
        assert_eq!(cert_der.first(), Some(&0x30), "DER starts with a SEQUENCE");
        assert_eq!(matches!(key_der, KeyDer::Pkcs8(_)), pkcs8);
        assert!(key_der.key_pair().is_ok());
        assert_eq!(cert_path, &dir.path().join("cert.pem"));
        assert_eq!(key_path, &dir.path().join("key.pem"));
        let shown = format!("{:?}", c.credentials);
        assert!(
            shown.contains("KeyDer::Pkcs") && shown.contains("***"),
            "{shown}"
        );
        assert!(matches!(
            resolve_secret_with(&c, |_| None),
            Err(ConfigError::NotASecret)
        ));
    }
}

fn cert_error(dir: &Path, text: &str) -> (Code, usize, String) {
    match load_in(dir, text) {
        Ok(_) => panic!("must be refused"),
        Err(e) => {
            let d = &e.diagnostics[0];
            assert_eq!(e.len(), 1, "{e}");
            (d.code, d.line, format!("{}\n{}", d.message_fr, d.fix_fr))
        }
    }
}

#[test]
fn a_key_that_is_not_pem_is_reported_clearly() {
    let (dir, text) = cert_dir("test-only-key-pkcs8.pem", 0o600);
    write(dir.path(), "key.pem", "ceci n'est pas une clé\n", 0o600);
    let (code, line, message) = cert_error(dir.path(), &text);
    assert_eq!((code, line), (Code::InvalidPem, 9));
    assert!(message.contains("n'est pas un fichier PEM"), "{message}");

    write(
        dir.path(),
        "key.pem",
        [0x30u8, 0x82, 0x04, 0xa4, 0x02, 0x01],
        0o600,
    );
    let (code, _, message) = cert_error(dir.path(), &text);
    assert_eq!(code, Code::InvalidPem);
    assert!(
        message.contains("est en DER binaire, pas en PEM"),
        "{message}"
    );
    assert!(message.contains("openssl pkey -inform der"), "{message}");
}

#[test]
fn a_key_that_is_not_rsa_is_refused() {
    let (dir, text) = cert_dir("test-only-ec-key-pkcs8.pem", 0o600);
    let (code, _, message) = cert_error(dir.path(), &text);
    assert_eq!(code, Code::InvalidPem);
    assert!(message.contains("ce n'est pas une clé RSA"), "{message}");
}

#[test]
fn a_key_readable_by_others_is_refused() {
    let (dir, text) = cert_dir("test-only-key-pkcs8.pem", 0o644);
    let (code, line, message) = cert_error(dir.path(), &text);
    assert_eq!((code, line), (Code::SecretPermissions, 9));
    assert!(message.contains("chmod 600"), "{message}");
}

#[test]
fn a_certificate_of_another_key_is_refused() {
    let (dir, text) = cert_dir("test-only-other-key.pem", 0o600);
    let (code, line, message) = cert_error(dir.path(), &text);
    assert_eq!((code, line), (Code::CertificateKeyMismatch, 8));
    assert!(
        message.contains("ne correspond pas à la clé privée"),
        "{message}"
    );
}

#[test]
fn swapped_certificate_and_key_are_named() {
    let (dir, _) = cert_dir("test-only-key-pkcs8.pem", 0o600);
    let text = config_text("certificat = \"key.pem\"\ncle_privee = \"cert.pem\"");
    std::fs::set_permissions(
        dir.path().join("cert.pem"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let errors = load_in(dir.path(), &text).err().map(|e| e.to_string());
    let errors = errors.unwrap_or_default();
    assert!(
        errors.contains("contient une clé privée, pas un certificat"),
        "{errors}"
    );
    assert!(
        errors.contains("contient un certificat, pas une clé privée"),
        "{errors}"
    );
}
