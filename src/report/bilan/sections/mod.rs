//! The sections of the bilan as blocks (rendered to HTML and Markdown by `doc`), organised
//! by directive article and recommendation: the accountability table, element by element;
//! summary; generic CHSLD accounts and
//! « Appli » accounts (orientation on generic subscriptions); automatic forwarding (DIR04
//! art. 6 4° and 5°); shared accounts and access logging; exceptions; physicians apart from other staff (DIR04); collection
//! coverage and limits; method. One file per section, as the figures are built
//! (`data/`); the tables several sections share are in [`tables`].

mod appli;
mod couverture;
mod exceptions;
mod exigences;
mod generiques;
mod methode;
mod partages;
mod populations;
mod redirections;
mod signature;
mod sommaire;
mod tables;

pub use appli::appli;
pub use couverture::couverture;
pub use exceptions::exceptions;
pub use exigences::{exigences, status_badge};
pub use generiques::generiques;
pub use methode::methode;
pub use partages::partages;
pub use populations::population_fr;
pub use populations::populations;
pub use redirections::redirections;
pub use signature::signature;
pub use sommaire::sommaire;

use chrono::NaiveDate;

use super::data::Bilan;
use crate::checks::Severity;
use crate::report::doc::{Block, Inline};
use crate::report::fr;

/// Longest list of subjects in a section (the CSV annex has them all).
const LIST_MAX: usize = 100;

fn d(x: NaiveDate) -> String {
    fr::date(x)
}

fn n(x: u32) -> String {
    fr::int(i64::from(x))
}

/// « 1 compte », « 3 comptes », « 0 compte ».
fn count(x: u32, one: &str, many: &str) -> String {
    fr::plural(i64::from(x), one, many)
}

fn opt(x: Option<i64>) -> String {
    x.map(fr::int).unwrap_or_else(|| "—".into())
}

fn days(x: Option<f64>) -> String {
    x.map(fr::days).unwrap_or_else(|| "—".into())
}

fn severity_badge(label: &str) -> Inline {
    let class = match Severity::parse(label) {
        Some(Severity::Critique) => "critique",
        Some(Severity::Elevee) => "elevee",
        Some(Severity::Moyenne) => "moyenne",
        Some(Severity::Faible) => "faible",
        _ => "info",
    };
    let shown = Severity::parse(label).map(Severity::label).unwrap_or(label);
    Inline::Badge(class, shown.to_string())
}

fn fin(b: &Bilan) -> String {
    d(b.periode.fin)
}

/// The list of annex files, and the break-glass accounts left out of the figures.
pub fn annexes(files: &[String], break_glass: &[String]) -> Vec<Block> {
    vec![
        Block::List(
            files
                .iter()
                .map(|f| vec![Inline::Code(f.clone())])
                .collect(),
        ),
        Block::Heading("Comptes d'urgence (bris de glace)".into()),
        Block::Para(if break_glass.is_empty() {
            crate::report::doc::text("Aucun compte d'urgence déclaré dans la configuration.")
        } else {
            let mut line = crate::report::doc::text(
                "Exclus des contrôles d'usage et des connexions à facteur unique du sommaire : ",
            );
            for (i, u) in break_glass.iter().enumerate() {
                if i > 0 {
                    line.push(Inline::Text(", ".into()));
                }
                line.push(Inline::Code(u.clone()));
            }
            line.push(Inline::Text(".".into()));
            line
        }),
    ]
}
