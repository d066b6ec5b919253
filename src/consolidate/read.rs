//! Reading the establishments' bilan documents: each file is checked for size before a byte
//! is read, read with a cap, parsed, recognised as a bilan of a schema major version this
//! build knows, validated against `reports/bilan.schema.json`, then reduced to the figures
//! the network bilan needs ([`Entry`]); the parsed document is dropped at once, so forty
//! yearly bilans never sit in memory together.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::schema::Schema;

/// The largest bilan document accepted. A yearly bilan weighs a few hundred kilobytes; a
/// file larger than this is not one, and is refused before it is read.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// The most files one consolidation reads: some thirty establishments, several periods each.
pub const MAX_FILES: usize = 2_000;
/// Schema major versions this build reads.
pub const KNOWN_MAJORS: &[u32] = &[1];
/// Violations listed per file before « … ».
const SHOWN_VIOLATIONS: usize = 5;

/// One requirement's answer in one establishment's bilan.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub id: String,
    pub titre: String,
    pub statut: String,
    /// Date of the attestation, when one was given.
    pub attestation: Option<String>,
}

/// The establishment's figures one consolidation uses, read from its bilan JSON.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figures {
    pub critiques_ouverts: u64,
    pub a_corriger_fin: u64,
    pub generiques_comptes: Option<u64>,
    pub generiques_mfa: Option<u64>,
    pub appli_comptes: Option<u64>,
    /// Findings of the « appli » family open at the end (misuse of « Appli » accounts).
    pub appli_ouverts: u64,
    pub appli_releves: u64,
    pub fwd_pub_releves: u64,
    pub fwd_pub_corriges: u64,
    pub fwd_pub_ouverts: u64,
    pub fwd_ext_releves: u64,
    pub fwd_ext_corriges: u64,
    pub fwd_ext_ouverts: u64,
    pub delai_median_jours: Option<f64>,
    pub nuits_periode: u64,
    pub nuits_completes: u64,
    pub nuits_evaluees: u64,
}

/// One check of the tenant's settings as one establishment's bilan reports it (its
/// `controles_locataire`, schema 1.3).
#[derive(Debug, Clone, PartialEq)]
pub struct TenantCheck {
    pub id: String,
    pub titre: String,
    pub ouverts_fin: u64,
    pub nuits_non_evalue: u64,
}

/// The tenant's settings an establishment of a shared tenant does not govern, as its bilan
/// reports them.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantControls {
    pub gouvernes_par: String,
    pub controles: Vec<TenantCheck>,
}

/// One establishment's bilan for one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub file: PathBuf,
    pub etablissement: String,
    pub locataire: String,
    pub version_schema: String,
    pub du: String,
    pub au: String,
    pub libelle: String,
    pub answers: Vec<Answer>,
    pub figures: Figures,
    /// `controles_locataire`, when the establishment does not govern its tenant's settings.
    pub tenant_controls: Option<TenantControls>,
}

/// Why one file was refused, in French.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub file: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} : {}",
            crate::escape::terminal(&self.file.display().to_string()),
            self.reason
        )
    }
}

/// Reads and validates one file.
pub fn entry(path: &Path, schema: &Schema) -> Result<Entry, String> {
    let bytes = read_capped(path)?;
    let doc: Value = serde_json::from_slice(&bytes).map_err(|e| {
        if e.is_eof() {
            format!(
                "JSON tronqué : le fichier s'arrête au milieu du document (ligne {}) ; copiez-le de nouveau depuis l'établissement",
                e.line()
            )
        } else {
            format!(
                "ce n'est pas un document JSON (ligne {}, colonne {}) : fournissez le fichier bilan-….json écrit par `vigie365 bilan`",
                e.line(),
                e.column()
            )
        }
    })?;
    drop(bytes);
    let id = doc
        .get("schema")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(major) = id.strip_prefix("vigie365.bilan/") else {
        return Err(
            "ce n'est pas un bilan vigie365 (champ « schema » absent ou différent de « vigie365.bilan/N ») : fournissez le fichier bilan-….json écrit par `vigie365 bilan`".into(),
        );
    };
    let major_n: Option<u32> = major.split('.').next().and_then(|m| m.parse().ok());
    if !major_n.is_some_and(|m| KNOWN_MAJORS.contains(&m)) {
        let known: Vec<String> = KNOWN_MAJORS.iter().map(|m| m.to_string()).collect();
        return Err(format!(
            "version de schéma « {} » inconnue : cette version de vigie365 lit les versions majeures {} ; mettez vigie365 à jour ou demandez à l'établissement un bilan de version connue",
            crate::escape::terminal(major),
            known.join(", ")
        ));
    }
    let violations = schema.validate(&doc, SHOWN_VIOLATIONS + 1);
    if !violations.is_empty() {
        let mut shown: Vec<String> = violations
            .iter()
            .take(SHOWN_VIOLATIONS)
            .map(ToString::to_string)
            .collect();
        if violations.len() > SHOWN_VIOLATIONS {
            shown.push("…".into());
        }
        return Err(format!(
            "bilan non conforme au schéma (reports/bilan.schema.json) : {}",
            shown.join(" ; ")
        ));
    }
    Ok(extract(path, &doc))
}

/// The file's bytes, refused before reading when larger than [`MAX_FILE_BYTES`], and read
/// with that cap (a file that grows while read is still refused).
fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        format!(
            "illisible ({}) : vérifiez le chemin et les droits",
            crate::config::io_error_fr(&e)
        )
    })?;
    if !meta.is_file() {
        return Err("ce n'est pas un fichier : donnez les fichiers bilan-….json un à un".into());
    }
    let too_big = |n: u64| {
        format!(
            "fichier trop gros ({} octets ; limite {} octets) : un bilan d'établissement pèse quelques centaines de kilo-octets, ce fichier n'en est pas un",
            crate::report::fr::int(n as i64),
            crate::report::fr::int(MAX_FILE_BYTES as i64)
        )
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| {
        format!(
            "illisible ({}) : vérifiez les droits",
            crate::config::io_error_fr(&e)
        )
    })?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("lecture interrompue ({})", crate::config::io_error_fr(&e)))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

fn text(v: &Value, path: &str) -> String {
    v.pointer(path)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn count(v: &Value, path: &str) -> u64 {
    v.pointer(path).and_then(Value::as_u64).unwrap_or(0)
}

fn maybe(v: &Value, path: &str) -> Option<u64> {
    v.pointer(path).and_then(Value::as_u64)
}

fn extract(path: &Path, doc: &Value) -> Entry {
    let controles = doc
        .get("controles")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let controle = |id: &str| controles.iter().find(|c| c["id"] == id);
    let of = |id: &str, field: &str| controle(id).map(|c| count(c, field)).unwrap_or(0);
    let appli: Vec<&Value> = controles
        .iter()
        .filter(|c| c["famille"] == "appli")
        .collect();
    let figures = Figures {
        critiques_ouverts: count(doc, "/sommaire/a_corriger_fin_par_gravite/critique"),
        a_corriger_fin: doc
            .pointer("/sommaire/a_corriger_fin_par_gravite")
            .and_then(Value::as_object)
            .map(|m| m.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0),
        generiques_comptes: maybe(doc, "/generiques/comptes_fin"),
        generiques_mfa: maybe(doc, "/generiques/mfa_enregistree_fin"),
        appli_comptes: maybe(doc, "/appli/comptes_fin"),
        appli_ouverts: appli.iter().map(|c| count(c, "/ouverts_fin")).sum(),
        appli_releves: appli.iter().map(|c| count(c, "/releves")).sum(),
        fwd_pub_releves: of("FWD-PUB-01", "/releves"),
        fwd_pub_corriges: of("FWD-PUB-01", "/corriges"),
        fwd_pub_ouverts: of("FWD-PUB-01", "/ouverts_fin"),
        fwd_ext_releves: of("FWD-EXT-01", "/releves"),
        fwd_ext_corriges: of("FWD-EXT-01", "/corriges"),
        fwd_ext_ouverts: of("FWD-EXT-01", "/ouverts_fin"),
        delai_median_jours: doc
            .pointer("/redirections/delai_median_jours")
            .and_then(Value::as_f64),
        nuits_periode: count(doc, "/couverture/nuits_periode"),
        nuits_completes: count(doc, "/couverture/nuits_completes"),
        nuits_evaluees: count(doc, "/couverture/nuits_evaluees"),
    };
    let answers = doc
        .get("exigences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| Answer {
            id: text(e, "/id"),
            titre: text(e, "/titre"),
            statut: text(e, "/statut"),
            attestation: e
                .pointer("/attestation/date")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
        .collect();
    Entry {
        file: path.to_path_buf(),
        etablissement: text(doc, "/etablissement"),
        locataire: text(doc, "/locataire"),
        version_schema: text(doc, "/version_schema"),
        du: text(doc, "/periode/du"),
        au: text(doc, "/periode/au"),
        libelle: text(doc, "/periode/libelle"),
        answers,
        figures,
        tenant_controls: doc.get("controles_locataire").map(|t| TenantControls {
            gouvernes_par: text(t, "/gouvernes_par"),
            controles: t
                .get("controles")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|c| TenantCheck {
                    id: text(c, "/id"),
                    titre: text(c, "/titre"),
                    ouverts_fin: count(c, "/ouverts_fin"),
                    nuits_non_evalue: count(c, "/nuits_non_evalue"),
                })
                .collect(),
        }),
    }
}

/// Reads every file; refuses too many files before reading any, and two bilans of one
/// establishment for one period. Returns every refusal, not only the first.
pub fn entries(files: &[PathBuf]) -> Result<Vec<Entry>, Vec<Refusal>> {
    if files.len() > MAX_FILES {
        return Err(vec![Refusal {
            file: PathBuf::from(format!("{} fichiers", files.len())),
            reason: format!(
                "trop de fichiers pour une consolidation (limite {MAX_FILES}) : consolidez une période à la fois ou un sous-ensemble d'établissements"
            ),
        }]);
    }
    let schema = match Schema::bilan() {
        Ok(s) => s,
        Err(e) => {
            return Err(vec![Refusal {
                file: PathBuf::from("reports/bilan.schema.json"),
                reason: e,
            }]);
        }
    };
    let mut out: Vec<Entry> = Vec::with_capacity(files.len());
    let mut refused = Vec::new();
    for f in files {
        match entry(f, &schema) {
            Ok(e) => {
                if let Some(first) = out
                    .iter()
                    .find(|o| o.etablissement == e.etablissement && o.du == e.du && o.au == e.au)
                {
                    refused.push(Refusal {
                        file: f.clone(),
                        reason: format!(
                            "établissement « {} » donné deux fois pour la période du {} au {} (déjà lu dans {}) : retirez l'un des deux fichiers",
                            crate::escape::terminal(&e.etablissement),
                            e.du,
                            e.au,
                            crate::escape::terminal(&first.file.display().to_string())
                        ),
                    });
                } else {
                    out.push(e);
                }
            }
            Err(reason) => refused.push(Refusal {
                file: f.clone(),
                reason,
            }),
        }
    }
    if refused.is_empty() {
        Ok(out)
    } else {
        Err(refused)
    }
}
