//! The annual bilan de sécurité de l'information (MSSS-DIR04 art. 14), built from the store
//! alone "as of" a night ([`data`]), and written as:
//! - a self-contained HTML file (inline CSS and SVG, no external resource; prints to PDF
//!   with page breaks and running headers),
//! - the same content as Markdown,
//! - a JSON document for consolidation across establishments (`vigie365.bilan/1`, no
//!   personal data),
//! - CSV annexes: findings of the period, exceptions, coverage night by night.
//!
//! The output is deterministic: the same store, period and as-of night give the same bytes
//! (no wall-clock time; the "produced" line uses the as-of night).

mod annexes;
pub mod data;
pub mod sections;

pub use data::{Bilan, Period, SCHEMA, compute, compute_of};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use chrono::NaiveDate;

use super::template::Template;
use super::{ReportError, doc, escape, fr, output};
use crate::store::Store;

impl Period {
    /// The calendar year.
    pub fn year(year: i32) -> Result<Period, ReportError> {
        let (du, au) = match (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(ReportError::Period(format!("année {year} invalide"))),
        };
        Ok(Period {
            du,
            au,
            arrete_au: None,
            label: format!("année {year}"),
        })
    }

    /// The Québec public sector's fiscal year: 1 April `year` to 31 March `year + 1`.
    pub fn fiscal(year: i32) -> Result<Period, ReportError> {
        let (du, au) = match (
            NaiveDate::from_ymd_opt(year, 4, 1),
            NaiveDate::from_ymd_opt(year + 1, 3, 31),
        ) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(ReportError::Period(format!("exercice {year} invalide"))),
        };
        Ok(Period {
            du,
            au,
            arrete_au: None,
            label: format!("exercice {}-{}", year, year + 1),
        })
    }

    /// Any span of nights (a whole calendar or fiscal year is named as such).
    pub fn between(du: NaiveDate, au: NaiveDate) -> Result<Period, ReportError> {
        if du > au {
            return Err(ReportError::Period(format!(
                "--du {du} est après --au {au}"
            )));
        }
        use chrono::Datelike;
        if (du.month(), du.day(), au.month(), au.day()) == (1, 1, 12, 31) && du.year() == au.year()
        {
            return Period::year(du.year());
        }
        if (du.month(), du.day(), au.month(), au.day()) == (4, 1, 3, 31)
            && au.year() == du.year() + 1
        {
            return Period::fiscal(du.year());
        }
        Ok(Period {
            du,
            au,
            arrete_au: None,
            label: format!("du {} au {}", fr::date(du), fr::date(au)),
        })
    }

    /// The nights of a simulated year: `days` nights from `start` (what `vigie365 demo`
    /// reports on).
    pub fn demo(start: NaiveDate, days: u32) -> Result<Period, ReportError> {
        let last = start
            .checked_add_days(chrono::Days::new(u64::from(days.max(1)) - 1))
            .ok_or_else(|| ReportError::Period(format!("{days} nuits depuis le {start}")))?;
        Period::between(start, last)
    }

    /// Figures as they stood after the night `night`.
    pub fn as_of(mut self, night: NaiveDate) -> Period {
        self.arrete_au = Some(night);
        self
    }

    /// File name stem: `bilan-2026`, `bilan-exercice-2025-2026`,
    /// `bilan-2026-01-01_2026-03-31`, with `-arrete-AAAA-MM-JJ` when the as-of night
    /// precedes the end of the period.
    pub fn file_stem(&self) -> String {
        let base = if let Some(y) = self.label.strip_prefix("année ") {
            format!("bilan-{y}")
        } else if let Some(y) = self.label.strip_prefix("exercice ") {
            format!("bilan-exercice-{y}")
        } else {
            format!("bilan-{}_{}", self.du, self.au)
        };
        match self.arrete_au {
            Some(a) if a < self.au => format!("{base}-arrete-{a}"),
            _ => base,
        }
    }
}

/// What the bilan is written with, besides the store.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub establishment: String,
    pub tenant: String,
    /// `[rapport].gabarits`: templates overriding the shipped ones.
    pub templates: Option<PathBuf>,
    /// `[rapport].logo`: PNG, JPEG or SVG, embedded in the HTML.
    pub logo: Option<PathBuf>,
    /// `[[attestations]]`: the establishment's attestations, by requirement.
    pub attestations: Vec<crate::config::Attestation>,
    /// The signature block's production line, from the configuration.
    pub production: Option<data::Production>,
    /// Who governs the tenant-wide settings, when the establishment of a shared tenant
    /// does not (`[perimetre]`, `gouverne_controles_locataire = false`).
    pub tenant_governed_by: Option<String>,
    /// Sources the establishment's own night would not read, left out of the coverage: in
    /// the provincial mode, the administrative units of the other establishments' perimeters.
    pub hidden_sources: Vec<String>,
}

impl Context {
    /// From the configuration: `[locataire]` names, `[rapport]` templates and logo.
    pub fn from_config(config: &crate::config::Config) -> Context {
        Context {
            establishment: config.tenant.establishment.clone(),
            tenant: config.tenant.domain.clone(),
            templates: config.report.templates.clone(),
            logo: config.report.logo.clone(),
            attestations: config.attestations.clone(),
            production: Some(data::Production::new().of_config(config)),
            tenant_governed_by: config
                .perimeter
                .as_ref()
                .and_then(crate::config::Perimeter::tenant_governed_by),
            hidden_sources: config
                .perimeter
                .as_ref()
                .map(crate::collect::sources_not_started)
                .unwrap_or_default()
                .into_iter()
                .map(String::from)
                .collect(),
        }
    }
}

/// The bilan in every format, ready to be written.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub stem: String,
    /// (file name, bytes), HTML first.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Rendered {
    pub fn get(&self, suffix: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(n, _)| n.ends_with(suffix))
            .map(|(_, b)| b.as_slice())
    }
}

const LOGO_MAX: u64 = 1024 * 1024;

fn logo_html(path: &Path, establishment: &str) -> Result<String, ReportError> {
    let err = |detail: String| ReportError::Logo {
        path: path.to_path_buf(),
        detail,
    };
    let mime = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase)
        .as_deref()
    {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("svg") => "image/svg+xml",
        _ => return Err(err("format attendu : PNG, JPEG ou SVG".into())),
    };
    let meta = std::fs::metadata(path).map_err(|e| err(crate::config::io_error_fr(&e)))?;
    if meta.len() > LOGO_MAX {
        return Err(err(format!(
            "fichier de {} octets ; au plus {} (il est copié dans chaque bilan)",
            meta.len(),
            LOGO_MAX
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| err(crate::config::io_error_fr(&e)))?;
    // An <img> never runs an SVG's scripts, and a data: URI needs no file next to the report.
    Ok(format!(
        "<img class=\"logo\" src=\"data:{mime};base64,{}\" alt=\"{}\">",
        base64::engine::general_purpose::STANDARD.encode(bytes),
        escape::html(&format!("Logo — {establishment}"))
    ))
}

/// The names of the annexes for a stem.
fn annex_names(stem: &str) -> [String; 3] {
    [
        format!("{stem}-constats.csv"),
        format!("{stem}-exceptions.csv"),
        format!("{stem}-couverture.csv"),
    ]
}

/// Renders the bilan in every format.
pub fn render(b: &Bilan, period: &Period, ctx: &Context) -> Result<Rendered, ReportError> {
    let stem = period.file_stem();
    let annex = annex_names(&stem);
    let annex_list = vec![
        format!("{stem}.json"),
        annex[0].clone(),
        annex[1].clone(),
        annex[2].clone(),
    ];
    let blocks: [(&str, Vec<doc::Block>); 12] = [
        ("exigences", sections::exigences(b)),
        ("sommaire", sections::sommaire(b)),
        ("generiques", sections::generiques(b)),
        ("appli", sections::appli(b)),
        ("redirections", sections::redirections(b)),
        ("partages", sections::partages(b)),
        ("exceptions", sections::exceptions(b)),
        ("populations", sections::populations(b)),
        ("couverture", sections::couverture(b)),
        ("methode", sections::methode(b)),
        ("signature", sections::signature(b)),
        (
            "annexes",
            sections::annexes(&annex_list, &b.production.urgence),
        ),
    ];
    let p = &b.periode;
    let titre = format!(
        "Bilan de sécurité de l'information — {} — {}",
        b.etablissement, p.libelle
    );
    let texts: Vec<(&str, String)> = vec![
        ("titre", titre.clone()),
        ("etablissement", b.etablissement.clone()),
        ("locataire", b.locataire.clone()),
        ("periode", p.libelle.clone()),
        (
            "periode_complete",
            if p.libelle.starts_with("du ") {
                p.libelle.clone()
            } else {
                format!("{}, du {} au {}", p.libelle, fr::date(p.du), fr::date(p.au))
            },
        ),
        ("du", fr::date(p.du)),
        ("au", fr::date(p.au)),
        ("fin", fr::date(p.fin)),
        ("arrete_au", fr::date(p.arrete_au)),
        ("version", b.outil.version.to_string()),
        (
            "genere",
            format!(
                "Arrêté au {} (figures connues après l'évaluation de cette nuit) ; produit par vigie365 {} à partir de sa base, sans interroger Microsoft.",
                fr::date(p.arrete_au),
                b.outil.version
            ),
        ),
    ];

    // HTML.
    let mut css_values: BTreeMap<&str, String> = BTreeMap::new();
    css_values.insert(
        "titre_courant",
        escape::css_string(&format!(
            "{} — bilan de sécurité de l'information, {}",
            b.etablissement, p.libelle
        )),
    );
    css_values.insert(
        "pied_courant",
        escape::css_string(&format!(
            "Arrêté au {} — vigie365 {}",
            fr::date(p.arrete_au),
            b.outil.version
        )),
    );
    let css = Template::load("bilan.css", ctx.templates.as_deref())?.render(&css_values)?;
    let mut html_values: BTreeMap<&str, String> = BTreeMap::new();
    for (k, v) in &texts {
        html_values.insert(k, escape::html(v));
    }
    // The stylesheet cannot close its element: `<` is escaped in CSS strings, and an
    // overriding stylesheet has no business writing one.
    html_values.insert("css", css.replace("</", "<\\/"));
    html_values.insert(
        "logo",
        match &ctx.logo {
            Some(path) => logo_html(path, &b.etablissement)?,
            None => String::new(),
        },
    );
    for (k, v) in &blocks {
        html_values.insert(k, doc::html(v));
    }
    let html = Template::load("bilan.html", ctx.templates.as_deref())?.render(&html_values)?;

    // Markdown.
    let mut md_values: BTreeMap<&str, String> = BTreeMap::new();
    for (k, v) in &texts {
        md_values.insert(k, escape::md(v));
    }
    for (k, v) in &blocks {
        md_values.insert(k, doc::markdown(v).trim_end().to_string());
    }
    let markdown = Template::load("bilan.md", ctx.templates.as_deref())?.render(&md_values)?;

    // JSON.
    let json = serde_json::to_string_pretty(b).map_err(|e| ReportError::Corrupt {
        what: "bilan JSON".into(),
        detail: e.to_string(),
    })?;
    let mut json = escape::json(&json).into_owned();
    json.push('\n');

    Ok(Rendered {
        files: vec![
            (format!("{stem}.html"), html.into_bytes()),
            (format!("{stem}.md"), markdown.into_bytes()),
            (format!("{stem}.json"), json.into_bytes()),
            (annex[0].clone(), annexes::findings(b)?),
            (annex[1].clone(), annexes::exceptions(b)?),
            (annex[2].clone(), annexes::coverage(b)?),
        ],
        stem,
    })
}

/// Writes every file into `dir` (created 0700; files 0600, atomically).
pub fn write(r: &Rendered, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    output::private_dir(dir)?;
    r.files
        .iter()
        .map(|(name, bytes)| output::write_atomic(dir, name, bytes))
        .collect()
}

/// [`compute`] with the context's names and the establishment's attestations.
pub fn compute_for(store: &Store, period: &Period, ctx: &Context) -> Result<Bilan, ReportError> {
    let hidden: Vec<&str> = ctx.hidden_sources.iter().map(String::as_str).collect();
    let mut b = data::compute_hiding(
        store,
        period,
        (&ctx.establishment, &ctx.tenant),
        ctx.tenant_governed_by.as_deref(),
        &hidden,
    )?;
    b.attest(&ctx.attestations);
    if let Some(p) = &ctx.production {
        b.production = p.clone();
    }
    // In a shared tenant, a break-glass account the configuration lists but the perimeter
    // does not hold (the tenant's own) is not the establishment's to name.
    if b.production.perimetre && !b.production.urgence.is_empty() {
        let slice = crate::checks::load::Slice::of(store.establishment());
        let held: std::collections::HashSet<String> = store
            .current::<crate::model::Account>()?
            .into_iter()
            .filter(|a| slice.holds(a))
            .map(|a| a.upn.to_lowercase())
            .collect();
        b.production
            .urgence
            .retain(|u| held.contains(&u.trim().to_lowercase()));
    }
    Ok(b)
}

/// Computes, renders and writes the bilan of `period` from the store.
pub fn produce(
    store: &Store,
    period: &Period,
    ctx: &Context,
    dir: &Path,
) -> Result<(Bilan, Vec<PathBuf>), ReportError> {
    let b = compute_for(store, period, ctx)?;
    let r = render(&b, period, ctx)?;
    Ok((b, write(&r, dir)?))
}

/// The bilan of a simulated year (`vigie365 demo`): `days` nights from `start`, from the
/// store and with the configuration the demo wrote. Rendered, not written.
pub fn of_simulation(
    config: &crate::config::Config,
    start: NaiveDate,
    days: u32,
) -> Result<(Bilan, Period, Rendered), ReportError> {
    let store = Store::open_read_only(&config.storage.database)?;
    let period = Period::demo(start, days)?;
    let ctx = Context::from_config(config);
    let b = compute_for(&store, &period, &ctx)?;
    let r = render(&b, &period, &ctx)?;
    Ok((b, period, r))
}

/// A short French account of a bilan for stdout.
pub fn summary_fr(b: &Bilan, files: &[PathBuf]) -> String {
    let c = &b.couverture;
    let mut out = format!(
        "Bilan de sécurité de l'information — {} — {} (arrêté au {}) :\n  {} nuits évaluées sur {} ({} complètes) ; {} constats relevés, {} corrigés, {} ouverts à la fin dont {} acceptés.\n",
        escape::terminal(&b.etablissement),
        b.periode.libelle,
        b.periode.arrete_au,
        c.nuits_evaluees,
        c.nuits_periode,
        c.nuits_completes,
        b.sommaire.releves,
        b.sommaire.corriges,
        b.sommaire.ouverts_fin,
        b.sommaire.acceptes_fin
    );
    for f in files {
        out.push_str(&format!(
            "  {}\n",
            escape::terminal(&f.display().to_string())
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn periods_and_file_names() {
        let y = Period::year(2026).expect("year");
        assert_eq!((y.du, y.au), (d(2026, 1, 1), d(2026, 12, 31)));
        assert_eq!(y.file_stem(), "bilan-2026");
        assert_eq!(
            y.clone().as_of(d(2026, 6, 30)).file_stem(),
            "bilan-2026-arrete-2026-06-30"
        );
        assert_eq!(y.as_of(d(2027, 1, 5)).file_stem(), "bilan-2026");
        let f = Period::fiscal(2025).expect("fiscal");
        assert_eq!((f.du, f.au), (d(2025, 4, 1), d(2026, 3, 31)));
        assert_eq!(f.file_stem(), "bilan-exercice-2025-2026");
        let b = Period::between(d(2025, 1, 1), d(2025, 3, 31)).expect("between");
        assert_eq!(b.file_stem(), "bilan-2025-01-01_2025-03-31");
        assert_eq!(b.label, "du 1er\u{a0}janvier 2025 au 31\u{a0}mars 2025");
        let whole = Period::between(d(2025, 1, 1), d(2025, 12, 31)).expect("year");
        assert_eq!(
            (whole.label.as_str(), whole.file_stem()),
            ("année 2025", "bilan-2025".into())
        );
        let fiscal = Period::between(d(2025, 4, 1), d(2026, 3, 31)).expect("fiscal");
        assert_eq!(fiscal.file_stem(), "bilan-exercice-2025-2026");
        assert!(Period::between(d(2025, 3, 1), d(2025, 1, 1)).is_err());
    }
}
