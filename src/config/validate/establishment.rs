//! `[perimetre]`: which accounts of a shared (provincial) tenant are the establishment's.
//! Administrative units and groups by id or display name, address patterns, directory
//! attributes; an account is in when one criterion retains it. Without the section the whole
//! tenant is the establishment's. [`perimeter_table`] validates one perimeter table, so that
//! the perimeter of each `[[etablissements]]` can be read the same way.

use super::Ctx;
use super::sections::attribute_name;
use crate::config::diag::Code;
use crate::config::schema::{ATTRIBUTE, ESTABLISHMENT, PERIMETER, Sp, Table};
use crate::config::{
    AddressPattern, AttributeMatcher, DirectoryRef, Establishment, Guid, Perimeter,
};

pub(super) fn perimeter(ctx: &mut Ctx<'_, '_>, root: &Table<'_, '_>) -> Option<Perimeter> {
    let t = root.section(&mut ctx.sink, "perimetre");
    if !t.is_present() {
        return None;
    }
    perimeter_table(ctx, &t)
}

/// One perimeter table (`[perimetre]`), validated. `None` when it is invalid (reported).
pub(super) fn perimeter_table(ctx: &mut Ctx<'_, '_>, t: &Table<'_, '_>) -> Option<Perimeter> {
    let errors_before = ctx.sink.error_count();
    let units = refs(ctx, t, "unites_administratives", Kind::Unit);
    let groups = refs(ctx, t, "groupes", Kind::Group);
    let addresses = patterns(ctx, t);
    let attributes = attributes(ctx, t);
    let governs_tenant_controls = t
        .boolean(&mut ctx.sink, "gouverne_controles_locataire")
        .is_some_and(|b| b.value);
    let tenant_governor = t
        .string(&mut ctx.sink, "controles_locataire_gouvernes_par")
        .map(|s| s.value.trim().to_string())
        .filter(|s| !s.is_empty());
    let written = ["unites_administratives", "groupes", "upn", "attributs"]
        .iter()
        .any(|k| t.has(k));
    if units.is_empty() && groups.is_empty() && addresses.is_empty() && attributes.is_empty() {
        if ctx.sink.error_count() == errors_before || !written {
            ctx.sink.error(
                Code::EmptyPerimeter,
                t.at(),
                t.path(),
                format!(
                    "[{}] ne donne aucun critère : aucun compte ne serait dans le périmètre de \
                     l'établissement",
                    t.path()
                ),
                "indiquer au moins un critère : unites_administratives, groupes, upn ou \
                 [[perimetre.attributs]] ; ou retirer la section pour auditer tout le locataire",
            );
        }
        return None;
    }
    if ctx.sink.error_count() != errors_before {
        return None;
    }
    Some(Perimeter {
        units,
        groups,
        addresses,
        attributes,
        governs_tenant_controls,
        tenant_governor,
    })
}

#[derive(Clone, Copy)]
enum Kind {
    Unit,
    Group,
}

impl Kind {
    fn what(self) -> &'static str {
        match self {
            Kind::Unit => "unité administrative",
            Kind::Group => "groupe",
        }
    }

    /// « d'unité administrative », « de groupe ».
    fn of(self) -> &'static str {
        match self {
            Kind::Unit => "d'unité administrative",
            Kind::Group => "de groupe",
        }
    }

    fn fix(self) -> &'static str {
        match self {
            Kind::Unit => {
                "copier le nom affiché ou l'« ID d'objet » de l'unité depuis Entra ID (Unités \
                 administratives > Vue d'ensemble)"
            }
            Kind::Group => {
                "copier le nom affiché ou l'« ID d'objet » du groupe depuis Entra ID (Groupes > \
                 Vue d'ensemble)"
            }
        }
    }
}

/// Whether a value is meant as an object id: only hexadecimal digits and dashes, with a dash,
/// and long enough (a display name has letters beyond `a`-`f`, or spaces).
fn looks_like_guid(v: &str) -> bool {
    let hexish = v.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    let braced = v.starts_with('{') && v.ends_with('}');
    braced || (hexish && v.len() >= 16 && (v.contains('-') || v.len() == 32))
}

fn refs(ctx: &mut Ctx<'_, '_>, t: &Table<'_, '_>, name: &str, kind: Kind) -> Vec<DirectoryRef> {
    let Some(list) = t.strings(&mut ctx.sink, name) else {
        return Vec::new();
    };
    let mut out: Vec<(DirectoryRef, Sp<String>)> = Vec::new();
    for s in list.value {
        let Some(s) = ctx.non_empty(s, kind.fix()) else {
            continue;
        };
        let r = if looks_like_guid(&s.value) {
            match s.value.parse::<Guid>() {
                Ok(g) => DirectoryRef::Id(g),
                Err(()) => {
                    ctx.sink.error(
                        Code::InvalidGuid,
                        s.at(),
                        &s.key,
                        format!(
                            "« {} » ressemble à un identifiant {} mal formé : attendu \
                             8-4-4-4-12 chiffres hexadécimaux \
                             (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                            s.key,
                            kind.of()
                        ),
                        kind.fix(),
                    );
                    continue;
                }
            }
        } else {
            DirectoryRef::Name(s.value.clone())
        };
        let same = |a: &DirectoryRef| match (a, &r) {
            (DirectoryRef::Id(x), DirectoryRef::Id(y)) => x == y,
            (DirectoryRef::Name(x), DirectoryRef::Name(y)) => x.to_lowercase() == y.to_lowercase(),
            _ => false,
        };
        if let Some((_, first)) = out.iter().find(|(a, _)| same(a)) {
            let line = ctx.sink.source.locate(first.span.start).0;
            ctx.sink.error(
                Code::Duplicate,
                s.at(),
                &s.key,
                format!(
                    "{} en double dans « {} » : « {r} » est déjà nommé (ligne {line})",
                    kind.what(),
                    list.key
                ),
                "garder une seule mention",
            );
            continue;
        }
        out.push((r, s));
    }
    out.into_iter().map(|(r, _)| r).collect()
}

fn patterns(ctx: &mut Ctx<'_, '_>, t: &Table<'_, '_>) -> Vec<AddressPattern> {
    let Some(list) = t.strings(&mut ctx.sink, "upn") else {
        return Vec::new();
    };
    let fix = "écrire un motif d'adresse avec son domaine, par exemple \
               \"*@ciusss-exemple.ssss.gouv.qc.ca\" (le joker * remplace n'importe quels \
               caractères)";
    let mut out: Vec<(AddressPattern, usize)> = Vec::new();
    for s in list.value {
        if s.value.trim().is_empty() {
            ctx.sink.error(
                Code::InvalidValue,
                s.at(),
                &s.key,
                format!(
                    "motif vide dans « {} » : il ne retiendrait aucun compte",
                    s.key
                ),
                fix,
            );
            continue;
        }
        let Some(p) = AddressPattern::new(&s.value) else {
            ctx.sink.error(
                Code::InvalidValue,
                s.at(),
                &s.key,
                format!(
                    "motif d'adresse sans partie domaine dans « {} » : un motif se compare à \
                     l'UPN et à l'adresse, nom@domaine",
                    s.key
                ),
                fix,
            );
            continue;
        };
        let line = ctx.sink.source.locate(s.span.start).0;
        if let Some((_, first)) = out.iter().find(|(q, _)| *q == p) {
            ctx.sink.error(
                Code::Duplicate,
                s.at(),
                &s.key,
                format!("motif en double : « {p} » est déjà donné (ligne {first})"),
                "garder une seule mention",
            );
            continue;
        }
        out.push((p, line));
    }
    out.into_iter().map(|(p, _)| p).collect()
}

fn attributes(ctx: &mut Ctx<'_, '_>, t: &Table<'_, '_>) -> Vec<AttributeMatcher> {
    let Some(entries) = t.tables(&mut ctx.sink, "attributs", ATTRIBUTE) else {
        return Vec::new();
    };
    let mut out: Vec<(AttributeMatcher, usize)> = Vec::new();
    for e in entries {
        let attribute = attribute_name(ctx, &e, true);
        let Some(list) = (if e.has("valeurs") {
            e.strings(&mut ctx.sink, "valeurs")
        } else {
            ctx.missing(
                &e,
                "valeurs",
                "valeurs = [\"CIUSSS du Centre-Sud-de-l'Île-de-Montréal\"]",
            );
            None
        }) else {
            continue;
        };
        let mut values: Vec<String> = Vec::new();
        for s in list.value {
            let Some(s) = ctx.non_empty(s, "écrire une valeur, ou retirer l'élément") else {
                continue;
            };
            if values
                .iter()
                .any(|v| v.to_lowercase() == s.value.to_lowercase())
            {
                ctx.sink.error(
                    Code::Duplicate,
                    s.at(),
                    &s.key,
                    format!("valeur en double dans « {} » : « {} »", list.key, s.value),
                    "garder une seule mention (la casse est ignorée)",
                );
                continue;
            }
            values.push(s.value);
        }
        if values.is_empty() {
            ctx.sink.error(
                Code::InvalidValue,
                Some(list.span.clone()),
                &list.key,
                format!(
                    "« {} » est vide : l'attribut ne retiendrait aucun compte",
                    list.key
                ),
                format!("indiquer au moins une valeur, ou retirer « {} »", e.path()),
            );
            continue;
        }
        let Some(attribute) = attribute else {
            continue;
        };
        let line = ctx.sink.source.locate(e.at().unwrap_or(0..0).start).0;
        if let Some((_, first)) = out.iter().find(|(m, _)| m.attribute == attribute) {
            ctx.sink.error(
                Code::Duplicate,
                e.at(),
                e.path(),
                format!(
                    "attribut « {} » en double dans [[{}]] (déjà ligne {first})",
                    attribute.graph_name(),
                    t.key("attributs")
                ),
                "réunir ses valeurs dans une seule entrée",
            );
            continue;
        }
        out.push((AttributeMatcher { attribute, values }, line));
    }
    out.into_iter().map(|(m, _)| m).collect()
}

/// `[[etablissements]]`: the establishments of the provincial mode, each with its name, its
/// code, its register and its perimeter. Names and codes are unique; `[perimetre]` in the
/// same file is refused (`perimeter_given`).
pub(super) fn establishments(
    ctx: &mut Ctx<'_, '_>,
    root: &Table<'_, '_>,
    perimeter_given: bool,
) -> Vec<Establishment> {
    let Some(entries) = root.tables(&mut ctx.sink, "etablissements", ESTABLISHMENT) else {
        return Vec::new();
    };
    if perimeter_given && !entries.is_empty() {
        ctx.sink.error(
            Code::PerimeterAndEstablishments,
            entries[0].at(),
            "etablissements",
            "[perimetre] et [[etablissements]] dans le même fichier : le premier décrit la nuit \
             d'un établissement, le second la nuit provinciale de tous",
            "garder [perimetre] dans la configuration d'un établissement, [[etablissements]] \
             (chacun avec son [etablissements.perimetre]) dans celle de l'équipe provinciale",
        );
        return Vec::new();
    }
    let mut out: Vec<Establishment> = Vec::new();
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    for e in entries {
        let name = ctx.required_string(&e, "nom", "nom = \"CISSS de l'Exemple\"");
        let code = ctx
            .required_string(&e, "code", "code = \"cisss-exemple\"")
            .and_then(|s| {
                let ok = s
                    .value
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if ok && s.value != crate::config::UNATTRIBUTED_CODE {
                    return Some(s);
                }
                ctx.sink.error(
                    Code::InvalidValue,
                    s.at(),
                    &s.key,
                    if ok {
                        format!(
                            "code « {} » réservé aux comptes non attribués du locataire",
                            s.value
                        )
                    } else {
                        format!(
                            "code « {} » : seulement des minuscules sans accent, des chiffres \
                             et des tirets (il nomme le dossier des sorties de l'établissement)",
                            s.value
                        )
                    },
                    "écrire par exemple code = \"cisss-exemple\"",
                );
                None
            });
        let register = e
            .string(&mut ctx.sink, "registre")
            .and_then(|s| ctx.path(&s).map(|p| (s, p)))
            .and_then(|(s, p)| super::sections::register(ctx, &s, &p));
        let perimeter = match e.table(&mut ctx.sink, "perimetre", PERIMETER) {
            Some(t) => perimeter_table(ctx, &t),
            None => {
                ctx.missing(
                    &e,
                    "perimetre",
                    "ajouter [etablissements.perimetre] sous l'établissement, avec au moins un \
                     critère : unites_administratives, groupes, upn ou \
                     [[etablissements.perimetre.attributs]]",
                );
                None
            }
        };
        let (Some(name), Some(code), Some(perimeter)) = (name, code, perimeter) else {
            continue;
        };
        let line = ctx.sink.source.locate(name.span.start).0;
        if let Some((n, c, first)) = seen
            .iter()
            .find(|(n, c, _)| n.to_lowercase() == name.value.to_lowercase() || *c == code.value)
        {
            let (what, value) = if n.to_lowercase() == name.value.to_lowercase() {
                ("nom", n.clone())
            } else {
                ("code", c.clone())
            };
            ctx.sink.error(
                Code::Duplicate,
                e.at(),
                e.path(),
                format!(
                    "établissement en double : le {what} « {value} » est déjà donné (ligne {first})"
                ),
                "un seul [[etablissements]] par établissement, chacun avec son nom et son code",
            );
            continue;
        }
        seen.push((name.value.clone(), code.value.clone(), line));
        out.push(Establishment {
            name: name.value,
            code: code.value,
            register,
            perimeter,
        });
    }
    out
}
