//! Who produced the bilan and with what (the signature block): the tool's version, the
//! requirement catalogue's version, a digest of the evaluation settings of the
//! configuration, the classification rules applied, the sources read with their licences
//! and permissions, and the mailboxes read or outside the application's scope. The JSON
//! keeps the versions and the digest; the rules (which can name break-glass accounts) stay
//! in the HTML and Markdown.

use serde::Serialize;

use crate::config::Config;

/// The production of the bilan.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Production {
    pub version_outil: &'static str,
    pub version_catalogue: &'static str,
    /// SHA-256 (hex, first 16 digits) of the evaluation settings of the configuration
    /// (classification, generic accounts, « Appli », evaluation, domains, exceptions,
    /// attestations): the same settings give the same digest wherever the file lives.
    pub empreinte_configuration: Option<String>,
    /// The classification rules applied, in French (HTML and Markdown only).
    #[serde(skip)]
    pub regles: Vec<String>,
    /// The break-glass accounts (`[classification].urgence`), named in the annex only.
    #[serde(skip)]
    pub urgence: Vec<String>,
    /// The configuration draws a perimeter (`[perimetre]`): only the break-glass accounts
    /// the store holds (the perimeter's) may be named.
    #[serde(skip)]
    pub perimetre: bool,
}

impl Production {
    pub fn new() -> Production {
        Production {
            version_outil: env!("CARGO_PKG_VERSION"),
            version_catalogue: crate::requirements::VERSION,
            empreinte_configuration: None,
            regles: Vec::new(),
            urgence: Vec::new(),
            perimetre: false,
        }
    }

    /// With the configuration used.
    pub fn of_config(mut self, config: &Config) -> Production {
        let c = &config.classification;
        let settings = format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            c.generic,
            c.appli,
            c.break_glass,
            c.physician_upn,
            c.physician_groups,
            config.generic,
            config.appli,
            config.evaluation,
            config.domains,
            config.exceptions,
            config.attestations
        );
        let digest = ring::digest::digest(&ring::digest::SHA256, settings.as_bytes());
        let hex: String = digest
            .as_ref()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        self.empreinte_configuration = Some(hex);
        self.urgence = c.break_glass.clone();
        self.perimetre = config.perimeter.is_some();
        let patterns = |v: &[regex::Regex]| {
            v.iter()
                .map(|r| format!("`{}`", r.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let or_none = |s: String| if s.is_empty() { "aucun".to_string() } else { s };
        self.regles = vec![
            format!(
                "Compte générique : nom affiché {} ; UPN {} ; {} groupe(s) ; attribut {}.",
                or_none(patterns(&c.generic.display_name)),
                or_none(patterns(&c.generic.upn)),
                c.generic.groups.len(),
                c.generic
                    .attribute
                    .as_ref()
                    .map(|a| format!("{:?} = {}", a.attribute, a.values.join(" ou ")))
                    .unwrap_or_else(|| "aucun".into())
            ),
            format!(
                "Compte « Appli » : nom affiché {} ; UPN {} ; {} groupe(s).",
                or_none(patterns(&c.appli.display_name)),
                or_none(patterns(&c.appli.upn)),
                c.appli.groups.len()
            ),
            format!(
                "Médecins, résidents et externes (étudiants en médecine) : UPN {} ; {} groupe(s).",
                or_none(patterns(&c.physician_upn)),
                c.physician_groups.len()
            ),
            format!(
                "Comptes d'urgence (bris de glace), exclus des contrôles d'usage : {} (nommés en annexe seulement).",
                c.break_glass.len()
            ),
        ];
        self
    }
}
