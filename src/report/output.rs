//! Writing report files: they hold personal data (UPNs, rule targets, display names), so the
//! output directory is created private (0700) and every file private (0600); a file is
//! written under a temporary name in the same directory, flushed, then renamed, so a reader
//! (or a crash) never meets a half-written file under its final name.

use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{ReportError, escape};

/// Creates `dir` (and its parents) with mode 0700 if it does not exist. An existing
/// directory readable by others is left as it is, with a warning.
pub fn private_dir(dir: &Path) -> Result<(), ReportError> {
    if dir.is_dir() {
        if let Ok(meta) = std::fs::metadata(dir)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                repertoire = %dir.display(),
                "le répertoire des sorties est accessible à d'autres utilisateurs : chmod 700 recommandé"
            );
        }
        return Ok(());
    }
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| {
            ReportError::io(
                dir,
                &e,
                "créez le répertoire ou corrigez [stockage].sorties",
            )
        })
}

/// Writes `bytes` to `dir/name` atomically, mode 0600. Returns the final path.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, ReportError> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let fix = "vérifiez les droits et l'espace libre du répertoire des sorties";
    // Temporary files of this name left by a process that was killed mid-write.
    let stale = format!(".{name}.");
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with(&stale) && n.ends_with(".tmp") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    tracing::debug!(fichier = %path.display(), "écriture d'un rapport");
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        // An older temporary file may have kept looser rights: tighten them.
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ReportError::io(&path, &e, fix)
    })?;
    Ok(path)
}

/// A CSV file for Excel fr-CA: UTF-8 with BOM, `;`, CRLF, the given French headers, every
/// cell neutralised against formula injection ([`escape::csv_cell`]).
pub fn csv_bytes<I>(head: &[&str], rows: I) -> Result<Vec<u8>, ReportError>
where
    I: IntoIterator<Item = Vec<String>>,
{
    let err = |e: csv::Error| ReportError::Corrupt {
        what: "CSV".into(),
        detail: e.to_string(),
    };
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::from("\u{feff}".as_bytes()));
    w.write_record(head).map_err(err)?;
    for row in rows {
        w.write_record(row.iter().map(|c| escape::csv_cell(c).into_owned()))
            .map_err(err)?;
    }
    w.into_inner().map_err(|e| ReportError::Corrupt {
        what: "CSV".into(),
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_0700_files_0600_no_temporary_left() {
        let base = tempfile::tempdir().expect("tmp");
        let dir = base.path().join("a/sorties");
        private_dir(&dir).expect("dir");
        let mode = std::fs::metadata(&dir).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let p = write_atomic(&dir, "x.csv", b"un").expect("write");
        write_atomic(&dir, "x.csv", b"deux").expect("rewrite");
        assert_eq!(std::fs::read(&p).expect("read"), b"deux");
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .expect("ls")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["x.csv"]);
    }

    #[test]
    fn a_failed_write_leaves_neither_the_file_nor_a_temporary() {
        let base = tempfile::tempdir().expect("tmp");
        // The final name is a non-empty directory: the rename fails.
        std::fs::create_dir_all(base.path().join("x.csv/occupe")).expect("mkdir");
        let err = write_atomic(base.path(), "x.csv", b"un").expect_err("must fail");
        assert!(err.to_string().contains("x.csv"), "{err}");
        let tmp: Vec<_> = std::fs::read_dir(base.path())
            .expect("ls")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(tmp.is_empty());
    }
}
