//! Phase 1: the shape of the file. Which sections and keys exist (declared once, here), and
//! typed, spanned access to the parsed TOML that reports unknown keys (with a suggestion) and
//! wrong types (naming the expected one) — without stopping at the first.

use std::ops::Range;

use chrono::NaiveDate;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::{Code, Sink, suggest};

/// Sections of the file and their keys. The single source of truth for "unknown key".
pub(crate) const SECTIONS: &[(&str, &[&str])] = &[
    (
        "locataire",
        &["tenant_id", "domaine", "client_id", "etablissement"],
    ),
    (
        "identifiants",
        &[
            "secret_env",
            "secret_fichier",
            "secret",
            "certificat",
            "cle_privee",
        ],
    ),
    ("points_de_terminaison", &["autorite", "graph", "exchange"]),
    ("stockage", &["base", "sorties"]),
    (
        "conservation",
        &["connexions_brutes_jours", "donnees_jours"],
    ),
    (
        "collecte",
        &[
            "historique_premiere_nuit_jours",
            "chevauchement_minutes",
            "lots_simultanes",
            "activite_connexion",
            "activite_connexion_rotation_nuits",
            "comptes_suivis",
        ],
    ),
    (
        "classification",
        &[
            "generique_nom",
            "generique_upn",
            "generique_groupes",
            "generique_attribut",
            "appli_nom",
            "appli_upn",
            "appli_groupes",
            "appli_attribut",
            "urgence",
            "medecin_upn",
            "medecin_groupes",
            "registre",
            "medecin_courriel",
            "medecin_attribut",
        ],
    ),
    (
        "generiques",
        &[
            "applications_permises",
            "plages_ip",
            "age_max_mot_de_passe_jours",
            "sites",
        ],
    ),
    ("appli", &["clients_permis"]),
    ("evaluation", &["fenetre_connexions_jours", "fuseau"]),
    (
        "domaines",
        &[
            "internes",
            "partenaires",
            "publics_ajout",
            "publics_retrait",
            "reseau",
        ],
    ),
    ("exceptions", EXCEPTION),
    (
        "limites",
        &[
            "annuaire_unites_par_10s",
            "activite_connexion_par_minute",
            "rapports_par_10s",
            "acces_conditionnel_par_s",
            "outlook_simultanees_par_boite",
            "exchange_par_s",
            "tentatives_max",
        ],
    ),
    ("rapport", &["logo", "gabarits"]),
    ("partenaires", PARTNER),
    ("attestations", ATTESTATION),
    ("perimetre", PERIMETER),
    ("etablissements", ESTABLISHMENT),
];

/// Keys of one `[[etablissements]]` entry (the provincial mode).
pub(crate) const ESTABLISHMENT: &[&str] = &["nom", "code", "registre", "perimetre"];

/// Keys of `[perimetre]` and of each `[etablissements.perimetre]`.
pub(crate) const PERIMETER: &[&str] = &[
    "unites_administratives",
    "groupes",
    "upn",
    "attributs",
    "gouverne_controles_locataire",
    "controles_locataire_gouvernes_par",
];

/// Keys of one `[[exceptions]]` entry.
pub(crate) const EXCEPTION: &[&str] = &[
    "controle",
    "sujet",
    "justification",
    "responsable",
    "expiration",
];
/// Keys of one `[[partenaires]]` entry.
pub(crate) const PARTNER: &[&str] = &["domaine", "justification", "responsable", "expiration"];
/// Keys of one `[[attestations]]` entry.
pub(crate) const ATTESTATION: &[&str] = &["exigence", "texte", "responsable", "date"];
/// Keys of one `[[generiques.sites]]` entry.
pub(crate) const SITE: &[&str] = &["motif", "plages_ip"];
/// Keys of `medecin_attribut`.
pub(crate) const ATTRIBUTE_PATTERN: &[&str] = &["nom", "motif"];
/// Keys of `generique_attribut` / `appli_attribut`.
pub(crate) const ATTRIBUTE: &[&str] = &["nom", "valeurs"];

/// The keys of a section.
pub(crate) fn keys_of(section: &str) -> &'static [&'static str] {
    SECTIONS
        .iter()
        .find(|(name, _)| *name == section)
        .map_or(&[], |(_, keys)| *keys)
}

fn section_names() -> Vec<&'static str> {
    SECTIONS.iter().map(|(name, _)| *name).collect()
}

/// A value taken from the file: what it is, where it was written, under which key.
#[derive(Debug, Clone)]
pub(crate) struct Sp<T> {
    pub(crate) value: T,
    pub(crate) span: Range<usize>,
    pub(crate) key: String,
}

/// A list of strings, each with its position.
pub(crate) type StringList = Sp<Vec<Sp<String>>>;

impl<T> Sp<T> {
    pub(crate) fn at(&self) -> Option<Range<usize>> {
        Some(self.span.clone())
    }
}

/// The French name of a TOML type, as "attendu : …" / "trouvé : …" use it.
fn type_fr(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "une chaîne de caractères",
        DeValue::Integer(_) => "un nombre entier",
        DeValue::Float(_) => "un nombre décimal",
        DeValue::Boolean(_) => "un booléen",
        DeValue::Datetime(_) => "une date ou une heure",
        DeValue::Array(_) => "une liste",
        DeValue::Table(_) => "une table",
    }
}

/// What a key expects, for the wrong-type message and its fix.
#[derive(Clone, Copy)]
enum Expected {
    String,
    Boolean,
    Integer,
    Date,
    Array,
    Table,
    TableArray,
}

impl Expected {
    fn name(self) -> &'static str {
        match self {
            Expected::String => "une chaîne de caractères",
            Expected::Boolean => "un booléen (true ou false)",
            Expected::Integer => "un nombre entier",
            Expected::Date => "une date (AAAA-MM-JJ)",
            Expected::Array => "une liste",
            Expected::Table => "une table",
            Expected::TableArray => "une liste de tables",
        }
    }

    fn fix(self, key: &str, leaf: &str) -> String {
        match self {
            Expected::String => format!("mettre la valeur entre guillemets : {leaf} = \"…\""),
            Expected::Boolean => format!("écrire true ou false, sans guillemets : {leaf} = false"),
            Expected::Integer => format!("écrire un nombre entier, sans guillemets : {leaf} = 90"),
            Expected::Date => {
                format!(
                    "écrire la date sans guillemets, au format AAAA-MM-JJ : {leaf} = 2027-03-31"
                )
            }
            Expected::Array => format!("écrire une liste entre crochets : {leaf} = [\"…\"]"),
            Expected::Table => format!("écrire une section [{key}] ou {leaf} = {{ … }}"),
            Expected::TableArray => {
                format!("écrire chaque élément sous son propre en-tête [[{key}]]")
            }
        }
    }
}

type Value<'i> = Spanned<DeValue<'i>>;

fn wrong_type(sink: &mut Sink<'_>, v: &Value<'_>, key: &str, expected: Expected) {
    let leaf = key.rsplit('.').next().unwrap_or(key);
    let leaf = leaf.split('[').next().unwrap_or(leaf);
    let mut message = format!(
        "type incorrect pour « {key} » : attendu : {}, trouvé : {}",
        expected.name(),
        type_fr(v.get_ref())
    );
    if matches!(expected, Expected::Date) && v.get_ref().is_str() {
        message.push_str(" (une date TOML s'écrit sans guillemets)");
    }
    if matches!(expected, Expected::TableArray) && v.get_ref().is_table() {
        message.push_str(" (en-tête [ ] simple au lieu de [[ ]])");
    }
    sink.error(
        Code::WrongType,
        Some(v.span()),
        key,
        message,
        expected.fix(key, leaf),
    );
}

/// A table of the file (a section, an inline table or an element of an array of tables),
/// opened against the keys it may contain. Opening it reports every unknown key.
pub(crate) struct Table<'t, 'i> {
    table: Option<&'t DeTable<'i>>,
    /// Dotted path of the table, `""` for the document root.
    path: String,
    /// Where the table starts (header or inline table); `None` when it is absent.
    span: Option<Range<usize>>,
}

impl<'t, 'i> Table<'t, 'i> {
    /// The document root: reports unknown sections and keys written outside any section.
    pub(crate) fn root(sink: &mut Sink<'_>, table: &'t DeTable<'i>) -> Self {
        let sections = section_names();
        for (k, _) in table.iter() {
            let name = k.get_ref().as_ref();
            if sections.contains(&name) {
                continue;
            }
            let home = SECTIONS
                .iter()
                .find(|(_, keys)| keys.contains(&name))
                .map(|(s, _)| *s);
            let (message, fix) = match (suggest(name, &sections), home) {
                (Some(s), _) => (
                    format!("section inconnue [{name}] — vouliez-vous dire [{s}] ?"),
                    format!("renommer [{name}] en [{s}]"),
                ),
                (None, Some(h)) => (
                    format!("clé « {name} » hors de sa section : elle appartient à [{h}]"),
                    format!("déplacer « {name} » sous l'en-tête [{h}]"),
                ),
                (None, None) => (
                    format!("section ou clé inconnue « {name} »"),
                    format!(
                        "la retirer ; sections acceptées : {}",
                        sections
                            .iter()
                            .map(|s| format!("[{s}]"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            };
            sink.error(Code::UnknownKey, Some(k.span()), name, message, fix);
        }
        Self {
            table: Some(table),
            path: String::new(),
            span: Some(0..0),
        }
    }

    fn open(
        sink: &mut Sink<'_>,
        table: &'t DeTable<'i>,
        path: String,
        span: Range<usize>,
        allowed: &[&str],
    ) -> Self {
        for (k, _) in table.iter() {
            let name = k.get_ref().as_ref();
            if allowed.contains(&name) {
                continue;
            }
            let key = format!("{path}.{name}");
            let elsewhere = SECTIONS
                .iter()
                .find(|(s, keys)| keys.contains(&name) && !path.starts_with(s))
                .map(|(s, _)| *s);
            let (message, fix) = match (suggest(name, allowed), elsewhere) {
                (Some(s), _) => (
                    format!("clé inconnue « {name} » dans [{path}] — vouliez-vous dire « {s} » ?"),
                    format!("remplacer « {name} » par « {s} »"),
                ),
                (None, Some(h)) => (
                    format!("clé « {name} » mal placée dans [{path}] : elle appartient à [{h}]"),
                    format!("déplacer « {name} » sous l'en-tête [{h}]"),
                ),
                (None, None) => (
                    format!("clé inconnue « {name} » dans [{path}]"),
                    format!("la retirer ; clés acceptées : {}", allowed.join(", ")),
                ),
            };
            sink.error(Code::UnknownKey, Some(k.span()), &key, message, fix);
        }
        Self {
            table: Some(table),
            path,
            span: Some(span),
        }
    }

    /// A section of the root, absent or present; wrong types are reported.
    pub(crate) fn section(&self, sink: &mut Sink<'_>, name: &'static str) -> Table<'t, 'i> {
        let allowed = keys_of(name);
        match self.get(name) {
            None => Table {
                table: None,
                path: name.to_string(),
                span: None,
            },
            Some(v) => match v.get_ref() {
                DeValue::Table(t) => Table::open(sink, t, name.to_string(), v.span(), allowed),
                _ => {
                    wrong_type(sink, v, name, Expected::Table);
                    Table {
                        table: None,
                        path: name.to_string(),
                        span: None,
                    }
                }
            },
        }
    }

    /// Whether the table is written in the file.
    pub(crate) fn is_present(&self) -> bool {
        self.table.is_some()
    }

    /// Where the table starts, for "missing key" diagnostics (`None`: the whole file).
    pub(crate) fn at(&self) -> Option<Range<usize>> {
        self.span.clone()
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The dotted path of a key of this table.
    pub(crate) fn key(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    fn get(&self, name: &str) -> Option<&'t Value<'i>> {
        self.table.and_then(|t| t.get(name))
    }

    /// Where a key is written (the key itself, not its value).
    pub(crate) fn key_span(&self, name: &str) -> Option<Range<usize>> {
        self.table
            .and_then(|t| t.get_key_value(name))
            .map(|(k, _)| k.span())
    }

    /// Whether the key is written (whatever its type).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub(crate) fn string(&self, sink: &mut Sink<'_>, name: &str) -> Option<Sp<String>> {
        let v = self.get(name)?;
        string_value(sink, v, self.key(name))
    }

    pub(crate) fn boolean(&self, sink: &mut Sink<'_>, name: &str) -> Option<Sp<bool>> {
        let v = self.get(name)?;
        let key = self.key(name);
        match v.get_ref() {
            DeValue::Boolean(b) => Some(Sp {
                value: *b,
                span: v.span(),
                key,
            }),
            _ => {
                wrong_type(sink, v, &key, Expected::Boolean);
                None
            }
        }
    }

    pub(crate) fn integer(&self, sink: &mut Sink<'_>, name: &str) -> Option<Sp<i64>> {
        let v = self.get(name)?;
        let key = self.key(name);
        match v.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Some(Sp {
                    value: n,
                    span: v.span(),
                    key,
                }),
                Err(_) => {
                    sink.error(
                        Code::InvalidValue,
                        Some(v.span()),
                        &key,
                        format!("nombre trop grand pour « {key} »"),
                        "écrire un nombre entier plus petit",
                    );
                    None
                }
            },
            _ => {
                wrong_type(sink, v, &key, Expected::Integer);
                None
            }
        }
    }

    /// A TOML local date (`2027-03-31`, no quotes, no time).
    pub(crate) fn date(&self, sink: &mut Sink<'_>, name: &str) -> Option<Sp<NaiveDate>> {
        let v = self.get(name)?;
        let key = self.key(name);
        let DeValue::Datetime(dt) = v.get_ref() else {
            wrong_type(sink, v, &key, Expected::Date);
            return None;
        };
        let date = match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
            }
            _ => None,
        };
        match date {
            Some(d) => Some(Sp {
                value: d,
                span: v.span(),
                key,
            }),
            None => {
                sink.error(
                    Code::InvalidDate,
                    Some(v.span()),
                    &key,
                    format!("« {key} » doit être une date seule (jour), sans heure ni fuseau"),
                    format!("écrire {name} = AAAA-MM-JJ, par exemple {name} = 2027-03-31"),
                );
                None
            }
        }
    }

    /// A list of strings; non-string elements are reported one by one and skipped.
    pub(crate) fn strings(&self, sink: &mut Sink<'_>, name: &str) -> Option<StringList> {
        let v = self.get(name)?;
        let key = self.key(name);
        strings_value(sink, v, key)
    }

    /// An inline table or sub-table, opened against its keys.
    pub(crate) fn table(
        &self,
        sink: &mut Sink<'_>,
        name: &str,
        allowed: &[&str],
    ) -> Option<Table<'t, 'i>> {
        let v = self.get(name)?;
        let key = self.key(name);
        match v.get_ref() {
            DeValue::Table(t) => Some(Table::open(sink, t, key, v.span(), allowed)),
            _ => {
                wrong_type(sink, v, &key, Expected::Table);
                None
            }
        }
    }

    /// An array of tables (`[[x]]` or `x = [{…}, {…}]`), each opened against its keys.
    pub(crate) fn tables(
        &self,
        sink: &mut Sink<'_>,
        name: &str,
        allowed: &[&str],
    ) -> Option<Vec<Table<'t, 'i>>> {
        let v = self.get(name)?;
        let key = self.key(name);
        let DeValue::Array(items) = v.get_ref() else {
            wrong_type(sink, v, &key, Expected::TableArray);
            return None;
        };
        let mut out = Vec::new();
        for (n, item) in items.iter().enumerate() {
            let item_key = format!("{key}[{}]", n + 1);
            match item.get_ref() {
                DeValue::Table(t) => out.push(Table::open(sink, t, item_key, item.span(), allowed)),
                _ => wrong_type(sink, item, &item_key, Expected::Table),
            }
        }
        Some(out)
    }

    /// A table whose keys are data (e.g. UPN → list of applications), not names of the format.
    pub(crate) fn string_lists_by_key(
        &self,
        sink: &mut Sink<'_>,
        name: &str,
    ) -> Option<Vec<(Sp<String>, StringList)>> {
        let v = self.get(name)?;
        let key = self.key(name);
        let DeValue::Table(t) = v.get_ref() else {
            wrong_type(sink, v, &key, Expected::Table);
            return None;
        };
        let mut out = Vec::new();
        for (k, item) in t.iter() {
            let item_key = format!("{key}.\"{}\"", k.get_ref());
            if let Some(list) = strings_value(sink, item, item_key.clone()) {
                out.push((
                    Sp {
                        value: k.get_ref().to_string(),
                        span: k.span(),
                        key: item_key,
                    },
                    list,
                ));
            }
        }
        Some(out)
    }
}

fn string_value(sink: &mut Sink<'_>, v: &Value<'_>, key: String) -> Option<Sp<String>> {
    match v.get_ref() {
        DeValue::String(s) => Some(Sp {
            value: s.to_string(),
            span: v.span(),
            key,
        }),
        _ => {
            wrong_type(sink, v, &key, Expected::String);
            None
        }
    }
}

fn strings_value(sink: &mut Sink<'_>, v: &Value<'_>, key: String) -> Option<StringList> {
    let DeValue::Array(items) = v.get_ref() else {
        wrong_type(sink, v, &key, Expected::Array);
        return None;
    };
    let mut out = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let item_key = format!("{key}[{}]", n + 1);
        if let Some(s) = string_value(sink, item, item_key) {
            out.push(s);
        }
    }
    Some(Sp {
        value: out,
        span: v.span(),
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_has_distinct_keys() {
        for (name, keys) in SECTIONS {
            let mut k: Vec<_> = keys.to_vec();
            k.sort_unstable();
            let n = k.len();
            k.dedup();
            assert_eq!(k.len(), n, "duplicate key in [{name}]");
        }
    }
}
