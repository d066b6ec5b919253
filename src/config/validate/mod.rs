//! Phase 2: what the values mean. Each section is turned into its typed form; every problem
//! is recorded with its position, and a missing or wrong value falls back to its default so
//! the rest of the file is still checked. A [`Config`] comes out only when nothing was wrong.

mod attestations;
mod credentials;
mod establishment;
mod perimeter;
mod physicians;
mod sections;
mod syntax;
mod values;

use std::path::{Path, PathBuf};

use toml::de::DeTable;

use super::diag::{Code, ConfigErrors, Diagnostic, Severity, Sink, Source};
use super::schema::Table;
use super::secret::file_mode;
use super::{Config, LoadOptions, io_error_fr};

/// Where the text came from: a real file (whose mode matters) or a string.
#[derive(Clone, Copy)]
pub(crate) enum Origin {
    /// A file on disk, with its permission bits when the platform has them.
    File { mode: Option<u32> },
    /// Text given in code ([`Config::from_toml_str`]).
    Virtual,
}

/// The result of loading: a configuration only when there was no error.
pub(crate) struct Outcome {
    pub(crate) file: PathBuf,
    pub(crate) config: Option<Config>,
    pub(crate) errors: Vec<Diagnostic>,
    pub(crate) notes: Vec<Diagnostic>,
}

impl Outcome {
    pub(crate) fn into_result(self) -> Result<Config, ConfigErrors> {
        match self.config {
            Some(mut config) if self.errors.is_empty() => {
                config.notes = self.notes;
                Ok(config)
            }
            _ => Err(ConfigErrors {
                file: self.file,
                diagnostics: self.errors,
            }),
        }
    }

    fn whole_file_error(file: &Path, code: Code, message_fr: String, fix_fr: &str) -> Self {
        Self {
            file: file.to_path_buf(),
            config: None,
            errors: vec![Diagnostic {
                severity: Severity::Error,
                code,
                file: file.to_path_buf(),
                line: 0,
                column: 0,
                key: String::new(),
                message_fr,
                fix_fr: fix_fr.to_string(),
            }],
            notes: Vec::new(),
        }
    }
}

/// Reads and validates a configuration file.
pub(crate) fn load_file(path: &Path, options: &LoadOptions<'_>) -> Outcome {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return Outcome::whole_file_error(
                path,
                Code::Unreadable,
                format!(
                    "impossible de lire la configuration « {} » : {}",
                    path.display(),
                    io_error_fr(&e)
                ),
                "vérifier le chemin (--config, VIGIE365_CONFIG, sinon /etc/vigie365/vigie365.toml) \
                 et que le compte qui exécute vigie365 peut lire le fichier",
            );
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Outcome::whole_file_error(
            path,
            Code::Unreadable,
            format!("la configuration « {} » n'est pas en UTF-8", path.display()),
            "réenregistrer le fichier en UTF-8",
        );
    };
    let mode = std::fs::metadata(path).ok().and_then(|m| file_mode(&m));
    load_text(&text, path, Origin::File { mode }, options)
}

/// Validates configuration text read from `path` (or pretending to be, see [`Origin`]).
pub(crate) fn load_text(
    text: &str,
    path: &Path,
    origin: Origin,
    options: &LoadOptions<'_>,
) -> Outcome {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sink = Sink::new(Source { file: path, text });
    let (doc, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        // The recovered document may be missing whole parts: checking its meaning would
        // only add confusing errors. Report every syntax error, and stop there.
        for e in &syntax {
            let span = e.span().unwrap_or(0..0);
            let (message, fix) = syntax::syntax_fr(e.message(), text, &span);
            sink.error(Code::Syntax, Some(span), "", message, fix);
        }
        let (errors, notes) = sink.finish();
        return Outcome {
            file: path.to_path_buf(),
            config: None,
            errors,
            notes,
        };
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base_dir = std::path::absolute(parent).unwrap_or_else(|_| parent.to_path_buf());
    let mut ctx = Ctx {
        sink,
        base_dir,
        origin,
        known_checks: options.known_checks,
    };
    let config = build(&mut ctx, doc.get_ref());
    let (errors, notes) = ctx.sink.finish();
    Outcome {
        file: path.to_path_buf(),
        config,
        errors,
        notes,
    }
}

pub(crate) struct Ctx<'s, 'o> {
    pub(crate) sink: Sink<'s>,
    /// The configuration's directory: relative paths are resolved against it.
    base_dir: PathBuf,
    origin: Origin,
    known_checks: &'o [&'o str],
}

fn build(ctx: &mut Ctx<'_, '_>, doc: &DeTable<'_>) -> Option<Config> {
    let root = Table::root(&mut ctx.sink, doc);
    let tenant = sections::tenant(ctx, &root);
    let credentials = credentials::credentials(ctx, &root);
    let endpoints = sections::endpoints(ctx, &root);
    let storage = sections::storage(ctx, &root);
    let retention = sections::retention(ctx, &root);
    let collection = sections::collection(ctx, &root);
    let classification = sections::classification(ctx, &root);
    let generic = sections::generic(ctx, &root);
    let appli = sections::appli(ctx, &root);
    let evaluation = sections::evaluation(ctx, &root);
    let domains = perimeter::domains(ctx, &root);
    let exceptions = sections::exceptions(ctx, &root);
    let limits = sections::limits(ctx, &root);
    let report = sections::report(ctx, &root);
    let attestations = attestations::attestations(ctx, &root);
    let perimeter = establishment::perimeter(ctx, &root);
    let establishments = establishment::establishments(ctx, &root, perimeter.is_some());
    if ctx.sink.has_errors() {
        return None;
    }
    let (credentials, credentials_at) = credentials?;
    Some(Config {
        source: ctx.sink.source.file.to_path_buf(),
        tenant: tenant?,
        credentials,
        endpoints,
        storage,
        retention,
        collection,
        classification,
        generic,
        appli,
        evaluation,
        domains,
        exceptions,
        limits,
        report,
        attestations,
        perimeter,
        establishments,
        notes: Vec::new(),
        credentials_at,
    })
}
