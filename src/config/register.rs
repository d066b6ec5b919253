//! The establishment's register of generic accounts (CSV): only its header is checked here,
//! so a night never starts with a register the classifier cannot read. Rows are read by the
//! classifier, with the column positions found here.

use std::path::{Path, PathBuf};

/// The columns the register must have, in any order.
pub const REGISTER_COLUMNS: [&str; 5] = ["compte", "site", "utilisateur", "arrivee", "depart"];

/// Where each required column is (0-based index in a row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterColumns {
    pub compte: usize,
    pub site: usize,
    pub utilisateur: usize,
    pub arrivee: usize,
    pub depart: usize,
}

/// A register whose header was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterFile {
    pub path: PathBuf,
    /// `b';'` or `b','`.
    pub delimiter: u8,
    /// Whether the file starts with a UTF-8 BOM (Excel's « CSV UTF-8 »).
    pub has_bom: bool,
    pub columns: RegisterColumns,
}

/// A register that cannot be used.
pub(crate) enum RegisterProblem {
    Unreadable(std::io::Error),
    NotUtf8,
    Empty,
    MissingColumns {
        missing: Vec<&'static str>,
        found: Vec<String>,
        delimiter: u8,
    },
}

/// A header name compared the way people type it in Excel: trimmed, lower case, accents
/// on « arrivée » and « départ » accepted.
fn normalise(name: &str) -> String {
    name.trim()
        .trim_matches('"')
        .trim()
        .to_lowercase()
        .replace('é', "e")
}

/// Reads the header of a register and locates its columns.
pub(crate) fn check_header(path: &Path) -> Result<RegisterFile, RegisterProblem> {
    let bytes = std::fs::read(path).map_err(RegisterProblem::Unreadable)?;
    let (has_bom, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (true, rest),
        None => (false, &bytes[..]),
    };
    let first = body.split(|b| *b == b'\n').next().unwrap_or_default();
    let header = std::str::from_utf8(first).map_err(|_| RegisterProblem::NotUtf8)?;
    let header = header.trim_end_matches('\r');
    if header.trim().is_empty() {
        return Err(RegisterProblem::Empty);
    }
    let delimiter = if header.contains(';') { b';' } else { b',' };
    let found: Vec<String> = header.split(char::from(delimiter)).map(normalise).collect();
    let position = |name: &str| found.iter().position(|f| f == name);
    let mut missing = Vec::new();
    let mut at = [0usize; 5];
    for (slot, name) in at.iter_mut().zip(REGISTER_COLUMNS) {
        match position(name) {
            Some(i) => *slot = i,
            None => missing.push(name),
        }
    }
    if !missing.is_empty() {
        return Err(RegisterProblem::MissingColumns {
            missing,
            found,
            delimiter,
        });
    }
    let [compte, site, utilisateur, arrivee, depart] = at;
    Ok(RegisterFile {
        path: path.to_path_buf(),
        delimiter,
        has_bom,
        columns: RegisterColumns {
            compte,
            site,
            utilisateur,
            arrivee,
            depart,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &[u8]) -> Result<RegisterFile, RegisterProblem> {
        let dir = tempfile::tempdir().map_err(RegisterProblem::Unreadable)?;
        let path = dir.path().join("registre.csv");
        std::fs::write(&path, text).map_err(RegisterProblem::Unreadable)?;
        check_header(&path)
    }

    #[test]
    fn any_order_either_separator_optional_bom() {
        let r = header(b"\xEF\xBB\xBFsite;Compte;utilisateur;depart;arriv\xC3\xA9e\r\nx;y;z;;\n");
        let r = r.ok().map(|r| (r.delimiter, r.has_bom, r.columns));
        assert_eq!(
            r,
            Some((
                b';',
                true,
                RegisterColumns {
                    compte: 1,
                    site: 0,
                    utilisateur: 2,
                    arrivee: 4,
                    depart: 3
                }
            ))
        );
        let r = header(b"compte,site,utilisateur,arrivee,depart,note\n");
        assert!(r.is_ok_and(|r| r.delimiter == b','));
    }

    #[test]
    fn missing_columns_are_named() {
        match header(b"compte;site;utilisateur\n") {
            Err(RegisterProblem::MissingColumns { missing, .. }) => {
                assert_eq!(missing, vec!["arrivee", "depart"])
            }
            _ => panic!("expected missing columns"),
        }
    }
}
