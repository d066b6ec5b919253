//! The client secret: a newtype that never prints itself, file-mode rules for anything that
//! holds a secret, and resolution of the secret at use time (environment or file).

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use super::{Config, Credentials};

/// A client secret. `Debug` and `Display` print `***`; the value is reachable only through
/// [`Secret::expose`], to be called where the token request is built and nowhere else.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Never log or format the result.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Why the secret could not be obtained at use time. Each variant names the variable or file
/// and says how to fix it ([`ConfigError::fix_fr`]); none carries the secret.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("la variable d'environnement « {var} » (identifiants.secret_env) n'est pas définie")]
    EnvMissing { var: String },
    #[error("la variable d'environnement « {var} » (identifiants.secret_env) est vide")]
    EnvEmpty { var: String },
    #[error(
        "la variable d'environnement « {var} » (identifiants.secret_env) n'est pas de l'UTF-8 valide"
    )]
    EnvNotUnicode { var: String },
    #[error("fichier de secret « {} » (identifiants.secret_fichier) illisible : {}", .path.display(), super::io_error_fr(.source))]
    FileUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("fichier de secret « {} » (identifiants.secret_fichier) vide", .path.display())]
    FileEmpty { path: PathBuf },
    #[error("fichier de secret « {} » (identifiants.secret_fichier) n'est pas de l'UTF-8 valide", .path.display())]
    FileNotUnicode { path: PathBuf },
    #[error("fichier de secret « {} » lisible par d'autres comptes (mode {mode:04o})", .path.display())]
    FilePermissions { path: PathBuf, mode: u32 },
    #[error("identifiants par certificat : il n'y a pas de secret client à lire")]
    NotASecret,
}

impl ConfigError {
    /// How to fix it, in French.
    pub fn fix_fr(&self) -> String {
        match self {
            ConfigError::EnvMissing { var } | ConfigError::EnvEmpty { var } => format!(
                "définir {var} dans l'environnement du service (systemd : EnvironmentFile= vers \
                 un fichier en mode 0600 ; cron : export {var}=… dans le script appelant) ; ou \
                 passer à secret_fichier"
            ),
            ConfigError::EnvNotUnicode { var } => {
                format!("redéfinir {var} avec le secret tel que l'affiche Entra ID")
            }
            ConfigError::FileUnreadable { path, .. } => format!(
                "vérifier que « {} » existe et est lisible par le compte qui exécute vigie365",
                path.display()
            ),
            ConfigError::FileEmpty { path } | ConfigError::FileNotUnicode { path } => format!(
                "écrire le secret client seul dans « {} » (une ligne), puis chmod 600",
                path.display()
            ),
            ConfigError::FilePermissions { path, .. } => {
                format!("chmod 600 {}", path.display())
            }
            ConfigError::NotASecret => {
                "utiliser les chemins identifiants.certificat et identifiants.cle_privee".into()
            }
        }
    }
}

/// Whether a file mode lets only its owner read it (0600, 0400, ...).
pub(crate) fn is_private_mode(mode: u32) -> bool {
    mode & 0o077 == 0
}

/// The permission bits of a file, where the platform has them.
pub(crate) fn file_mode(meta: &std::fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(meta.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Reads the secret of a `secret_fichier`: mode checked again (it may have changed since the
/// configuration was loaded), one trailing newline removed.
pub(crate) fn read_secret_file(path: &Path) -> Result<Secret, ConfigError> {
    let unreadable = |source| ConfigError::FileUnreadable {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if let Some(mode) = file_mode(&meta)
        && !is_private_mode(mode)
    {
        return Err(ConfigError::FilePermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let text = String::from_utf8(bytes).map_err(|_| ConfigError::FileNotUnicode {
        path: path.to_path_buf(),
    })?;
    let value = text.trim_end_matches(['\n', '\r']);
    if value.trim().is_empty() {
        return Err(ConfigError::FileEmpty {
            path: path.to_path_buf(),
        });
    }
    Ok(Secret::new(value))
}

/// The client secret of the configuration, read now from the environment or the file.
pub fn resolve_secret(config: &Config) -> Result<Secret, ConfigError> {
    resolve_secret_with(config, |var| std::env::var_os(var))
}

/// [`resolve_secret`] with the environment passed in, for tests.
pub fn resolve_secret_with(
    config: &Config,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<Secret, ConfigError> {
    match &config.credentials {
        Credentials::SecretEnv(var) => {
            let value = env(var).ok_or_else(|| ConfigError::EnvMissing { var: var.clone() })?;
            let value = value
                .into_string()
                .map_err(|_| ConfigError::EnvNotUnicode { var: var.clone() })?;
            if value.trim().is_empty() {
                return Err(ConfigError::EnvEmpty { var: var.clone() });
            }
            Ok(Secret::new(value))
        }
        Credentials::SecretFile(path) => read_secret_file(path),
        Credentials::SecretInline(secret) => Ok(secret.clone()),
        Credentials::Certificate { .. } => Err(ConfigError::NotASecret),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn private_modes() {
        assert!(is_private_mode(0o600));
        assert!(is_private_mode(0o400));
        assert!(!is_private_mode(0o640));
        assert!(!is_private_mode(0o644));
        assert!(!is_private_mode(0o604));
    }
}
