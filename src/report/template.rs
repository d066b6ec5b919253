//! Templates: the files of `reports/`, embedded in the binary, each overridable by a file of
//! the same name in the configured directory (`[rapport].gabarits`). A template is text with
//! `{{name}}` placeholders; the code fills them with fragments it has already escaped for
//! the template's format, so a template never sees raw tenant data.
//!
//! An establishment can reword, reorder or leave out sections; a placeholder the code does
//! not know is an error that lists the known ones (a typo must not silently drop a section).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::ReportError;

/// The shipped templates: (file name, content).
pub const BUILTIN: &[(&str, &str)] = &[
    ("bilan.html", include_str!("../../reports/bilan.html")),
    ("bilan.css", include_str!("../../reports/bilan.css")),
    ("bilan.md", include_str!("../../reports/bilan.md")),
    (
        "resume-nuit.txt",
        include_str!("../../reports/resume-nuit.txt"),
    ),
];

/// A loaded template.
#[derive(Debug, Clone)]
pub struct Template {
    pub name: &'static str,
    pub text: String,
    /// The override it was read from, if any.
    pub source: Option<PathBuf>,
}

impl Template {
    /// The template `name`: from `dir` when it holds a file of that name, else the shipped one.
    pub fn load(name: &'static str, dir: Option<&Path>) -> Result<Template, ReportError> {
        if let Some(dir) = dir {
            let path = dir.join(name);
            if path.is_file() {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    ReportError::io(
                        &path,
                        &e,
                        "corrigez le gabarit ou retirez-le pour utiliser celui livré",
                    )
                })?;
                return Ok(Template {
                    name,
                    text,
                    source: Some(path),
                });
            }
        }
        let text = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.to_string())
            .ok_or_else(|| ReportError::Template {
                path: PathBuf::from(name),
                detail: "gabarit inconnu".into(),
            })?;
        Ok(Template {
            name,
            text,
            source: None,
        })
    }

    fn path(&self) -> PathBuf {
        self.source
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("reports/{}", self.name)))
    }

    /// Replaces every `{{name}}` with its value. Values must already be escaped for the
    /// template's format. Unknown or malformed placeholders are errors.
    pub fn render(&self, values: &BTreeMap<&str, String>) -> Result<String, ReportError> {
        let mut out = String::with_capacity(self.text.len() * 2);
        let mut rest = self.text.as_str();
        let mut line = 1;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            line += rest[..start].matches('\n').count();
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| ReportError::Template {
                path: self.path(),
                detail: format!("ligne {line} : « {{{{ » sans « }}}} »"),
            })?;
            let name = after[..end].trim();
            match values.get(name) {
                Some(v) => out.push_str(v),
                None => {
                    let known: Vec<&str> = values.keys().copied().collect();
                    return Err(ReportError::Template {
                        path: self.path(),
                        detail: format!(
                            "ligne {line} : champ {{{{{name}}}}} inconnu ; champs connus : {}",
                            known.join(", ")
                        ),
                    });
                }
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Template {
        Template {
            name: "bilan.md",
            text: text.into(),
            source: None,
        }
    }

    #[test]
    fn placeholders_are_replaced_and_unknown_ones_refused() {
        let mut v = BTreeMap::new();
        v.insert("a", "1".to_string());
        v.insert("b", "{{a}}".to_string());
        assert_eq!(
            t("x {{a}} y {{ b }}").render(&v).expect("ok"),
            "x 1 y {{a}}"
        );
        let err = t("ligne\n{{c}}")
            .render(&v)
            .expect_err("unknown")
            .to_string();
        assert!(
            err.contains("ligne 2") && err.contains("{{c}}") && err.contains("a, b"),
            "{err}"
        );
        assert!(t("{{a").render(&v).is_err());
    }

    #[test]
    fn an_override_in_the_directory_wins() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("bilan.md"), "mien {{a}}").expect("write");
        let o = Template::load("bilan.md", Some(dir.path())).expect("load");
        assert_eq!(o.text, "mien {{a}}");
        assert!(o.source.is_some());
        let shipped = Template::load("bilan.css", Some(dir.path())).expect("load");
        assert!(shipped.source.is_none() && !shipped.text.is_empty());
    }
}
