//! The method: every query the tool makes, with its API, permissions and licence.

use serde::Serialize;

use crate::queries::{self, Api};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requete {
    pub source: String,
    pub titre: String,
    pub api: &'static str,
    pub requete: String,
    pub autorisations: Vec<String>,
    pub licence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Methode {
    pub requetes: Vec<Requete>,
}

pub(super) fn build() -> Methode {
    Methode {
        requetes: queries::all()
            .iter()
            .map(|q| Requete {
                source: q.name.clone(),
                titre: q.title.clone(),
                api: match q.api {
                    Api::Graph => "Microsoft Graph",
                    Api::Exchange => "Exchange Online (API d'administration)",
                },
                requete: match q.api {
                    Api::Graph => format!("{} {}", q.method, q.path),
                    Api::Exchange => q.cmdlet.clone().unwrap_or_default(),
                },
                autorisations: q.permissions.clone(),
                licence: q.licence.clone(),
            })
            .collect(),
    }
}
