//! The configurations of a provincial tenant (`--etablissements N`): one
//! `etablissement-<slug>.toml` per establishment (the tenant's configuration with its own
//! name, database, outputs and register, plus its `[perimetre]`) and one `provincial.toml`
//! (the whole tenant, with one `[[etablissements]]` per establishment).
//!
//! A perimeter selects an account when any of its rules does (units, groups, UPN or mail
//! patterns, attributes); each establishment's perimeter names exactly the identifiers its
//! accounts carry (see `scenario::province`), so that it selects exactly its accounts and
//! none of « non attribué ».

use std::fmt::Write as _;

use super::hash::{self, kind};
use super::scenario::{Establishment, Marking, Scenario};
use super::simconfig::{self, ConfigPaths, Owner, PrintedConfig, PrintedLimits, list, q};

/// `[locataire] etablissement` of `provincial.toml`.
pub(crate) const PROVINCIAL_NAME: &str = "Locataire provincial du RSSS (simulé)";

/// The file name of an establishment's configuration.
pub(crate) fn config_file(e: &Establishment) -> String {
    format!("etablissement-{}.toml", e.slug)
}

/// The file name of an establishment's register of generic accounts.
pub(crate) fn register_file(e: &Establishment) -> String {
    format!("registre-generiques-{}.csv", e.slug)
}

/// The perimeter rules of an establishment, under the table `header` (`perimetre` or
/// `etablissements.perimetre`).
fn write_perimeter(t: &mut String, sc: &Scenario, e: &Establishment, header: &str) {
    let upn: Vec<String> = if e.by_upn() {
        vec![format!("*@{}", e.domain())]
    } else {
        Vec::new()
    };
    let units: Vec<String> = match e.marking {
        Marking::Unit => vec![e.unit_name().to_string()],
        Marking::UpnUnitId => vec![hash::object_id(sc.seed, kind::ADMIN_UNIT, e.index as u32)],
        _ => Vec::new(),
    };
    let attribute = match e.marking {
        Marking::UpnCompany => Some(("companyName", e.name.to_string())),
        Marking::Attribute => Some(("extensionAttribute10", e.code())),
        Marking::Department => Some(("department", e.name.to_string())),
        _ => None,
    };
    let _ = writeln!(t, "[{header}]");
    let _ = writeln!(t, "unites_administratives = {}", list(&units, q));
    let _ = writeln!(t, "groupes = []");
    let _ = writeln!(t, "upn = {}", list(&upn, q));
    let _ = writeln!(t, "gouverne_controles_locataire = false");
    let _ = writeln!(
        t,
        "controles_locataire_gouvernes_par = {}",
        q("Équipe provinciale Microsoft 365")
    );
    if let Some((nom, valeur)) = attribute {
        let _ = writeln!(t, "\n[[{header}.attributs]]");
        let _ = writeln!(t, "nom = {}", q(nom));
        let _ = writeln!(t, "valeurs = {}", list(&[valeur], q));
    }
}

/// `etablissement-<slug>.toml`.
pub(crate) fn render_establishment(
    sc: &Scenario,
    cfg: &PrintedConfig,
    limits: &PrintedLimits,
    paths: &ConfigPaths<'_>,
    e: &Establishment,
) -> String {
    let owner = Owner {
        name: e.name.to_string(),
        stem: Some(format!("etablissement-{}", e.slug)),
        register: register_file(e),
    };
    let mut t = simconfig::render_for(sc, cfg, limits, paths, &owner);
    let _ = writeln!(
        t,
        "\n# Périmètre de l'établissement dans le locataire provincial : un compte en fait partie\n# dès qu'une des règles le désigne."
    );
    write_perimeter(&mut t, sc, e, "perimetre");
    t
}

/// `provincial.toml`.
pub(crate) fn render_provincial(
    sc: &Scenario,
    cfg: &PrintedConfig,
    limits: &PrintedLimits,
    paths: &ConfigPaths<'_>,
) -> String {
    let owner = Owner {
        name: PROVINCIAL_NAME.to_string(),
        stem: Some("provincial".into()),
        register: "registre-generiques.csv".into(),
    };
    let mut t = simconfig::render_for(sc, cfg, limits, paths, &owner);
    let _ = writeln!(
        t,
        "\n# Établissements du locataire provincial ; un compte qu'aucun périmètre ne désigne est\n# « non attribué »."
    );
    for e in &sc.establishments {
        let _ = writeln!(t, "\n[[etablissements]]");
        let _ = writeln!(t, "nom = {}", q(e.name));
        let _ = writeln!(t, "code = {}", q(e.slug));
        let _ = writeln!(t, "registre = {}", q(&register_file(e)));
        write_perimeter(&mut t, sc, e, "etablissements.perimetre");
    }
    t
}
