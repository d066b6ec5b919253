//! Diagnostics: one problem of a configuration file, where it is, and how to fix it.
//!
//! Every problem found while loading is collected (never only the first) and printed the
//! way compilers do, so an editor or a terminal can jump to it:
//!
//! ```text
//! /etc/vigie365/vigie365.toml:14:1: erreur: clé inconnue « secrt » dans [identifiants] — vouliez-vous dire « secret » ?
//!   correctif : remplacer « secrt » par « secret »
//! ```
//!
//! Messages never quote a value from the file: a misplaced secret must not end up in a cron
//! mail. They name keys, types and positions only (and, for regexes, paths and URLs, the value
//! when it cannot be a secret).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The kind of a configuration problem: a stable, kebab-case id (for tests and for anyone
/// grepping logs), independent of the French wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// The file cannot be read (missing, permissions, not UTF-8).
    Unreadable,
    /// TOML syntax error.
    Syntax,
    /// A key or section the format does not have.
    UnknownKey,
    /// A value of the wrong TOML type.
    WrongType,
    /// A required key or section is absent.
    Missing,
    /// A value outside what the key accepts (range, enumeration, empty string).
    InvalidValue,
    /// A malformed GUID.
    InvalidGuid,
    /// Zero, several or an incomplete credential mode.
    CredentialMode,
    /// A file holding a secret (or the configuration holding an inline secret) is readable
    /// by group or others.
    SecretPermissions,
    /// The secret cannot be obtained at use time (variable unset, file unreadable or empty).
    SecretUnavailable,
    /// A referenced file or directory does not exist or is of the wrong kind.
    FileNotFound,
    /// A path that cannot be used as written (`~`, empty).
    InvalidPath,
    /// A certificate or key file that is not the expected PEM.
    InvalidPem,
    /// The certificate does not match the private key.
    CertificateKeyMismatch,
    /// An endpoint URL that is malformed or not allowed (plain http to a remote host).
    InvalidEndpoint,
    /// A regular expression that does not compile.
    InvalidRegex,
    /// A CIDR range that does not parse.
    InvalidCidr,
    /// An unknown IANA time zone.
    UnknownTimeZone,
    /// A date that is not a TOML local date.
    InvalidDate,
    /// An exception naming a check id that does not exist.
    UnknownCheck,
    /// A domain name or pattern that is malformed.
    InvalidDomain,
    /// The same entry given twice.
    Duplicate,
    /// The register of generic accounts is unusable (header, encoding).
    InvalidRegister,
    /// Not an error: a relative path was resolved against the configuration's directory.
    RelativePath,
    /// Not an error: something worth a look (normalised range, placeholder GUID, ...).
    Remark,
    /// A warning: the internal perimeter reaches beyond the RSSS network (`*.gouv.qc.ca`).
    PerimeterTooWide,
    /// A form the format no longer has, replaced by another (named in the fix).
    Replaced,
    /// `[perimetre]` written without any criterion: it would retain no account.
    EmptyPerimeter,
    /// `[perimetre]` and `[[etablissements]]` in one file: one establishment's night, or
    /// the provincial night of every establishment, not both.
    PerimeterAndEstablishments,
}

impl Code {
    /// Every code, for documentation and the uniqueness test.
    pub const ALL: &'static [Code] = &[
        Code::Unreadable,
        Code::Syntax,
        Code::UnknownKey,
        Code::WrongType,
        Code::Missing,
        Code::InvalidValue,
        Code::InvalidGuid,
        Code::CredentialMode,
        Code::SecretPermissions,
        Code::SecretUnavailable,
        Code::FileNotFound,
        Code::InvalidPath,
        Code::InvalidPem,
        Code::CertificateKeyMismatch,
        Code::InvalidEndpoint,
        Code::InvalidRegex,
        Code::InvalidCidr,
        Code::UnknownTimeZone,
        Code::InvalidDate,
        Code::UnknownCheck,
        Code::InvalidDomain,
        Code::Duplicate,
        Code::InvalidRegister,
        Code::RelativePath,
        Code::Remark,
        Code::PerimeterTooWide,
        Code::Replaced,
        Code::EmptyPerimeter,
        Code::PerimeterAndEstablishments,
    ];

    /// The stable id, e.g. `cle-inconnue`.
    pub fn id(self) -> &'static str {
        match self {
            Code::Unreadable => "fichier-illisible",
            Code::Syntax => "syntaxe-toml",
            Code::UnknownKey => "cle-inconnue",
            Code::WrongType => "type-incorrect",
            Code::Missing => "cle-manquante",
            Code::InvalidValue => "valeur-invalide",
            Code::InvalidGuid => "guid-invalide",
            Code::CredentialMode => "mode-identifiants",
            Code::SecretPermissions => "permissions-secret",
            Code::SecretUnavailable => "secret-indisponible",
            Code::FileNotFound => "fichier-introuvable",
            Code::InvalidPath => "chemin-invalide",
            Code::InvalidPem => "pem-invalide",
            Code::CertificateKeyMismatch => "certificat-cle-discordants",
            Code::InvalidEndpoint => "point-de-terminaison-invalide",
            Code::InvalidRegex => "regex-invalide",
            Code::InvalidCidr => "cidr-invalide",
            Code::UnknownTimeZone => "fuseau-inconnu",
            Code::InvalidDate => "date-invalide",
            Code::UnknownCheck => "controle-inconnu",
            Code::InvalidDomain => "domaine-invalide",
            Code::Duplicate => "doublon",
            Code::InvalidRegister => "registre-invalide",
            Code::RelativePath => "chemin-relatif",
            Code::Remark => "remarque",
            Code::PerimeterTooWide => "perimetre-trop-large",
            Code::Replaced => "forme-remplacee",
            Code::EmptyPerimeter => "perimetre-vide",
            Code::PerimeterAndEstablishments => "perimetre-et-etablissements",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Whether a diagnostic stops the tool or is only worth reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The configuration is refused.
    Error,
    /// Printed by `config check`; the configuration is accepted.
    Note,
}

/// One problem (or note) about the configuration, with its position and a fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    /// The configuration file, as it was given.
    pub file: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file (e.g. it cannot be read).
    pub line: usize,
    /// 1-based column, in characters; 0 with `line` 0.
    pub column: usize,
    /// Dotted key path, e.g. `identifiants.secret` or `exceptions[2].controle`; empty for the
    /// whole file.
    pub key: String,
    /// What is wrong, in French.
    pub message_fr: String,
    /// How to fix it, in French.
    pub fix_fr: String,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "erreur",
            Severity::Note => "remarque",
        };
        if self.line == 0 {
            write!(f, "{}: {level}: {}", self.file.display(), self.message_fr)?;
        } else {
            write!(
                f,
                "{}:{}:{}: {level}: {}",
                self.file.display(),
                self.line,
                self.column,
                self.message_fr
            )?;
        }
        if !self.fix_fr.is_empty() {
            write!(f, "\n  correctif : {}", self.fix_fr)?;
        }
        Ok(())
    }
}

/// Every error found in a configuration file; `Display` prints them all, in file order,
/// followed by a count.
#[derive(Debug, Clone)]
pub struct ConfigErrors {
    pub file: PathBuf,
    /// Errors only, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl ConfigErrors {
    pub fn len(&self) -> usize {
        self.diagnostics.len()
    }

    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }

    /// The diagnostics of one kind, for tests and callers that react to a kind.
    pub fn with_code(&self, code: Code) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(move |d| d.code == code)
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{d}")?;
        }
        let n = self.diagnostics.len();
        write!(
            f,
            "configuration refusée : {n} erreur{} dans {}",
            if n > 1 { "s" } else { "" },
            self.file.display()
        )
    }
}

impl std::error::Error for ConfigErrors {}

/// The text of the file being checked, to turn byte offsets into line and column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'s> {
    pub(crate) file: &'s Path,
    pub(crate) text: &'s str,
}

impl Source<'_> {
    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn locate(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }
}

/// Where diagnostics are collected while a file is checked.
pub(crate) struct Sink<'s> {
    pub(crate) source: Source<'s>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl<'s> Sink<'s> {
    pub(crate) fn new(source: Source<'s>) -> Self {
        Self {
            source,
            diagnostics: Vec::new(),
        }
    }

    fn push(
        &mut self,
        severity: Severity,
        code: Code,
        at: Option<Range<usize>>,
        key: &str,
        message_fr: String,
        fix_fr: String,
    ) {
        let (line, column) = at.map_or((0, 0), |span| self.source.locate(span.start));
        self.diagnostics.push(Diagnostic {
            severity,
            code,
            file: self.source.file.to_path_buf(),
            line,
            column,
            key: key.to_string(),
            message_fr,
            fix_fr,
        });
    }

    /// Records an error at a span (`None`: the whole file).
    pub(crate) fn error(
        &mut self,
        code: Code,
        at: Option<Range<usize>>,
        key: &str,
        message_fr: impl Into<String>,
        fix_fr: impl Into<String>,
    ) {
        self.push(
            Severity::Error,
            code,
            at,
            key,
            message_fr.into(),
            fix_fr.into(),
        );
    }

    /// Records a note (the configuration stays valid).
    pub(crate) fn note(
        &mut self,
        code: Code,
        at: Option<Range<usize>>,
        key: &str,
        message_fr: impl Into<String>,
        fix_fr: impl Into<String>,
    ) {
        self.push(
            Severity::Note,
            code,
            at,
            key,
            message_fr.into(),
            fix_fr.into(),
        );
    }

    /// How many errors were recorded so far.
    pub(crate) fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Errors and notes, each sorted by position (stable for equal positions).
    pub(crate) fn finish(mut self) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
        self.diagnostics.sort_by_key(|d| (d.line, d.column));
        self.diagnostics
            .into_iter()
            .partition(|d| d.severity == Severity::Error)
    }
}

/// `s` in lower case without accents: « Lots_Simultanés » and « lots_simultanes » are the
/// same key to a reader, so they are to the suggestions.
fn folded(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' | 'ì' => 'i',
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ÿ' | 'ý' => 'y',
            'ç' => 'c',
            'ñ' => 'n',
            c => c,
        })
        .collect::<String>()
        .replace('œ', "oe")
        .replace('æ', "ae")
}

/// The closest candidate to a misspelt word, if one is close enough to be a plausible typo.
/// Case and accents do not count.
pub(crate) fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = folded(word);
    let threshold = (word.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&lower, &folded(c)), *c))
        .filter(|(d, _)| *d <= threshold)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_ids_are_unique_and_complete() {
        let mut ids: Vec<_> = Code::ALL.iter().map(|c| c.id()).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate diagnostic id");
        assert_eq!(n, 29);
    }

    #[test]
    fn locate_counts_lines_and_characters() {
        let src = Source {
            file: Path::new("v.toml"),
            text: "a = 1\n[é]\nclé = 2\n",
        };
        assert_eq!(src.locate(0), (1, 1));
        assert_eq!(src.locate(6), (2, 1));
        // "clé = 2": the '=' is the 5th character but at byte 5 of the line.
        let eq = src.text.find("= 2").unwrap_or(0);
        assert_eq!(src.locate(eq), (3, 5));
    }

    #[test]
    fn suggestions_are_typos_only() {
        let keys = ["secret", "secret_env", "secret_fichier", "certificat"];
        assert_eq!(suggest("secrt", &keys), Some("secret"));
        assert_eq!(suggest("secret_fichir", &keys), Some("secret_fichier"));
        assert_eq!(suggest("Certificat", &keys), Some("certificat"));
        assert_eq!(suggest("motdepasse", &keys), None);
        let keys = ["lots_simultanes", "fuseau"];
        assert_eq!(suggest("lots_simultanés", &keys), Some("lots_simultanes"));
        assert_eq!(
            suggest("fûséâu", &keys),
            Some("fuseau"),
            "accents fold before the distance"
        );
    }

    #[test]
    fn display_is_file_line_column() {
        let d = Diagnostic {
            severity: Severity::Error,
            code: Code::UnknownKey,
            file: PathBuf::from("vigie365.toml"),
            line: 14,
            column: 1,
            key: "identifiants.secrt".into(),
            message_fr: "clé inconnue".into(),
            fix_fr: "la retirer".into(),
        };
        assert_eq!(
            d.to_string(),
            "vigie365.toml:14:1: erreur: clé inconnue\n  correctif : la retirer"
        );
    }
}
