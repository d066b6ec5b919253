//! `vigie365 config check`: everything a night would find wrong with its configuration,
//! before the night — the static validation, then the secret read from where it lives.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use super::diag::{Code, Diagnostic, Severity};
use super::secret::{ConfigError, resolve_secret_with};
use super::validate::load_file;
use super::{Config, Credentials, LoadOptions};

/// What `config check` found. Empty `problems` means the configuration is usable.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub file: PathBuf,
    /// Errors, in file order (secret resolution last).
    pub problems: Vec<Diagnostic>,
    /// Remarks that do not make the configuration invalid.
    pub notes: Vec<Diagnostic>,
    /// One French line: « configuration valide : … » or « configuration invalide : … ».
    pub summary_fr: String,
    /// The establishment's perimeter, one criterion a line (a valid configuration only).
    pub perimeter_fr: Option<String>,
}

impl CheckReport {
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut all: Vec<&Diagnostic> = self.problems.iter().chain(&self.notes).collect();
        all.sort_by_key(|d| (d.line == 0 && d.is_error(), d.line, d.column));
        for d in all {
            writeln!(f, "{d}")?;
        }
        if let Some(p) = &self.perimeter_fr {
            writeln!(f, "{p}")?;
        }
        f.write_str(&self.summary_fr)
    }
}

/// Checks the configuration file as a night would use it, secret included.
pub fn check(path: &Path, options: &LoadOptions<'_>) -> CheckReport {
    check_with(path, options, |var| std::env::var_os(var))
}

/// [`check`] with the environment passed in, for tests.
pub fn check_with(
    path: &Path,
    options: &LoadOptions<'_>,
    env: impl Fn(&str) -> Option<OsString>,
) -> CheckReport {
    let outcome = load_file(path, options);
    let mut problems = outcome.errors;
    let notes = outcome.notes;
    let config = outcome.config.filter(|_| problems.is_empty());
    if let Some(config) = &config
        && !matches!(config.credentials, Credentials::Certificate { .. })
        && let Err(e) = resolve_secret_with(config, env)
    {
        problems.push(secret_diagnostic(config, &e));
    }
    let summary_fr = match (&config, problems.len()) {
        (Some(c), 0) => summary(c),
        (_, n) => format!(
            "configuration invalide : {n} erreur{} dans {}",
            if n > 1 { "s" } else { "" },
            path.display()
        ),
    };
    let perimeter_fr = config
        .as_ref()
        .filter(|_| problems.is_empty())
        .map(|c| perimeter_fr(c.perimeter.as_ref()));
    CheckReport {
        file: path.to_path_buf(),
        problems,
        notes,
        summary_fr,
        perimeter_fr,
    }
}

fn secret_diagnostic(config: &Config, e: &ConfigError) -> Diagnostic {
    let at = &config.credentials_at;
    Diagnostic {
        severity: Severity::Error,
        code: match e {
            ConfigError::FilePermissions { .. } => Code::SecretPermissions,
            _ => Code::SecretUnavailable,
        },
        file: config.source.clone(),
        line: at.line,
        column: at.column,
        key: at.key.clone(),
        message_fr: e.to_string(),
        fix_fr: e.fix_fr(),
    }
}

fn summary(c: &Config) -> String {
    let n = c.exceptions.len();
    let out = format!(
        "configuration valide : locataire {} ({}), établissement « {} », identifiants : {}, \
         {n} exception{}, fuseau {}",
        crate::escape::terminal(&c.tenant.domain),
        c.tenant.tenant_id,
        crate::escape::terminal(&c.tenant.establishment),
        c.credentials.describe_fr(),
        if n > 1 { "s" } else { "" },
        c.evaluation.timezone.name()
    );
    out
}

/// The perimeter as `config check` shows it: every criterion, one a line.
pub fn perimeter_fr(p: Option<&super::Perimeter>) -> String {
    let Some(p) = p else {
        return "périmètre : tout le locataire (aucune section [perimetre])".into();
    };
    let t = |s: &str| crate::escape::terminal(s).into_owned();
    let mut out = String::from(
        "périmètre de l'établissement (un compte y est quand au moins un critère le retient) :",
    );
    for u in &p.units {
        out.push_str(&format!(
            "\n  unité administrative « {} » : ses membres",
            t(&u.to_string())
        ));
    }
    for g in &p.groups {
        out.push_str(&format!(
            "\n  groupe « {} » : ses membres transitifs",
            t(&g.to_string())
        ));
    }
    for a in &p.addresses {
        out.push_str(&format!(
            "\n  motif « {} » sur l'UPN ou l'adresse (casse ignorée)",
            t(a.as_str())
        ));
    }
    for a in &p.attributes {
        let values: Vec<String> = a.values.iter().map(|v| format!("« {} »", t(v))).collect();
        out.push_str(&format!(
            "\n  attribut {} égal à {} (casse ignorée)",
            a.attribute.graph_name(),
            values.join(" ou ")
        ));
    }
    match p.tenant_governed_by() {
        None => out.push_str(
            "\n  réglages de tout le locataire : gouvernés par l'établissement (ses constats)",
        ),
        Some(by) => out.push_str(&format!(
            "\n  réglages de tout le locataire : gouvernés par {} ; ils paraissent comme « \
             contrôles du locataire », hors des constats de l'établissement",
            t(&by)
        )),
    }
    out
}
