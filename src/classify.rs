//! Account classes: generic CHSLD device account, « Appli » service account, break-glass
//! account, named person — each with the rule that decided it, so a reviewer can see why.
//!
//! Classification is a pure function of the collected account, the groups it belongs to and
//! the configured matchers (regexes on display name and UPN, group membership, a directory
//! attribute, and the register of generic accounts). Priority: `urgence` > `generique` >
//! `appli` > `nominatif`; an account that is both generic and « Appli » is `generique` with
//! `also_appli` set (the bypass APP-GEN-01 names). Disabled accounts and guests keep their
//! class and are flagged; checks of active use leave them out.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;
use regex::Regex;
use serde::{Deserialize, Serialize};

pub use crate::finding::Population;
use crate::model::Account;

/// The class of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Generique,
    Appli,
    Urgence,
    Nominatif,
}

impl Class {
    pub const ALL: [Class; 4] = [
        Class::Generique,
        Class::Appli,
        Class::Urgence,
        Class::Nominatif,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Generique => "generique",
            Class::Appli => "appli",
            Class::Urgence => "urgence",
            Class::Nominatif => "nominatif",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Class::Generique => "compte générique",
            Class::Appli => "compte « Appli »",
            Class::Urgence => "compte d'urgence",
            Class::Nominatif => "compte nominatif",
        }
    }
}

/// An account's class, flags, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub user_id: String,
    pub upn: String,
    pub class: Class,
    /// Generic and « Appli » at once (APP-GEN-01).
    pub also_appli: bool,
    pub population: Population,
    pub enabled: bool,
    pub guest: bool,
    /// French: the rule that decided the class ("nom d'affichage « Tablette 2 CHSLD de
    /// Verdun » ~ motif (?i)^tablette…").
    pub reason: String,
    /// French: why the account is a physician ("adresse proxy smtp:… ~ motif …"); `None`
    /// for other staff.
    #[serde(default)]
    pub population_reason: Option<String>,
}

impl Classification {
    /// Active member account: enabled and not a guest (the accounts checks of use look at).
    pub fn active_member(&self) -> bool {
        self.enabled && !self.guest
    }
}

/// Matches a directory attribute (`employeeType` or `extensionAttribute1`..`15`).
#[derive(Debug, Clone)]
pub struct AttributeMatcher {
    pub name: String,
    pub values: Vec<String>,
}

/// One family of matchers (generic, « Appli », physicians).
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    pub display_name: Vec<Regex>,
    pub upn: Vec<Regex>,
    pub groups: Vec<String>,
    pub attribute: Option<AttributeMatcher>,
}

impl Matcher {
    /// The French reason when the account matches.
    fn reason(&self, a: &Account, groups: &HashSet<String>) -> Option<String> {
        if let Some(r) = self
            .display_name
            .iter()
            .find(|r| r.is_match(&a.display_name))
        {
            return Some(format!(
                "nom d'affichage « {} » ~ motif {}",
                a.display_name,
                r.as_str()
            ));
        }
        if let Some(r) = self.upn.iter().find(|r| r.is_match(&a.upn)) {
            return Some(format!("UPN ~ motif {}", r.as_str()));
        }
        if let Some(g) = self.groups.iter().find(|g| groups.contains(*g)) {
            return Some(format!("membre du groupe {g}"));
        }
        if let Some(m) = &self.attribute {
            let value = if m.name.eq_ignore_ascii_case("employeeType") {
                a.employee_type.clone()
            } else {
                a.extension_attributes
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&m.name))
                    .map(|(_, v)| v.clone())
            };
            if let Some(v) = value
                && m.values
                    .iter()
                    .any(|x| x.trim().eq_ignore_ascii_case(v.trim()))
            {
                return Some(format!("attribut {} = « {v} »", m.name));
            }
        }
        None
    }
}

/// Physicians, residents and externs (DIR04, RULES.md « Populations »): each way counts —
/// a regex on the UPN, on the mail address or on any proxy address (`SMTP:` / `smtp:`
/// removed), membership of a group, a directory attribute whose value matches a pattern.
#[derive(Debug, Clone, Default)]
pub struct PhysicianMatcher {
    pub upn: Vec<Regex>,
    /// On `mail` and on each of `proxyAddresses`.
    pub address: Vec<Regex>,
    pub groups: Vec<String>,
    /// Graph name of the attribute, and the pattern its value matches.
    pub attribute: Option<(String, Regex)>,
}

impl PhysicianMatcher {
    /// The French reason when the account is a physician.
    pub fn reason(&self, a: &Account, groups: &HashSet<String>) -> Option<String> {
        if let Some(r) = self.upn.iter().find(|r| r.is_match(&a.upn)) {
            return Some(format!("UPN ~ motif {}", r.as_str()));
        }
        if let Some(mail) = a.mail.as_deref()
            && let Some(r) = self.address.iter().find(|r| r.is_match(mail.trim()))
        {
            return Some(format!("adresse {} ~ motif {}", mail.trim(), r.as_str()));
        }
        for p in &a.proxy_addresses {
            let Some(bare) = smtp_address(p) else {
                continue;
            };
            if let Some(r) = self.address.iter().find(|r| r.is_match(bare)) {
                return Some(format!("adresse proxy {} ~ motif {}", p.trim(), r.as_str()));
            }
        }
        if let Some(g) = self.groups.iter().find(|g| groups.contains(*g)) {
            return Some(format!("membre du groupe {g}"));
        }
        if let Some((name, pattern)) = &self.attribute
            && let Some(v) = attribute_value(a, name)
            && pattern.is_match(v.trim())
        {
            return Some(format!(
                "attribut {name} = « {} » ~ motif {}",
                v.trim(),
                pattern.as_str()
            ));
        }
        None
    }
}

/// The address of an SMTP proxy address (`SMTP:` primary or `smtp:` alias, any case, or
/// no prefix); `None` for the other types (`x500:`, `sip:`, `spo:`…), which are not mail
/// addresses.
pub(crate) fn smtp_address(p: &str) -> Option<&str> {
    let p = p.trim();
    match p.split_once(':') {
        Some((kind, rest)) if kind.eq_ignore_ascii_case("smtp") => Some(rest.trim()),
        Some(_) => None,
        None => Some(p),
    }
}

/// The value of `employeeType` or of `extensionAttributeN`.
fn attribute_value(a: &Account, name: &str) -> Option<String> {
    if name.eq_ignore_ascii_case("employeeType") {
        a.employee_type.clone()
    } else {
        a.extension_attributes
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

/// The classification rules, built from the configuration.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub generic: Matcher,
    pub appli: Matcher,
    /// Break-glass accounts (lowercase UPNs).
    pub urgence: Vec<String>,
    pub medecin: PhysicianMatcher,
    pub register: Option<Register>,
}

impl Rules {
    /// The defaults of the configuration: names like "Tablette 1 CHSLD de Verdun",
    /// `employeeType` "Appli", physicians' `.med` addresses.
    pub fn defaults() -> Rules {
        // The default classification reads no register, so this cannot fail.
        Rules::from_config(&crate::config::Classification::default()).unwrap_or_default()
    }

    /// The rules of a configuration; the register file is read now.
    pub fn from_config(c: &crate::config::Classification) -> Result<Rules, RegisterError> {
        let matcher = |m: &crate::config::Matchers| Matcher {
            display_name: m.display_name.clone(),
            upn: m.upn.clone(),
            groups: m.groups.iter().map(|g| g.to_string()).collect(),
            attribute: m.attribute.as_ref().map(|a| AttributeMatcher {
                name: a.attribute.graph_name(),
                values: a.values.clone(),
            }),
        };
        Ok(Rules {
            generic: matcher(&c.generic),
            appli: matcher(&c.appli),
            urgence: c.break_glass.iter().map(|u| u.to_lowercase()).collect(),
            medecin: PhysicianMatcher {
                upn: c.physician_upn.clone(),
                address: c.physician_address.clone(),
                groups: c.physician_groups.iter().map(|g| g.to_string()).collect(),
                attribute: c
                    .physician_attribute
                    .as_ref()
                    .map(|a| (a.attribute.graph_name(), a.pattern.clone())),
            },
            register: match &c.register {
                Some(r) => Some(Register::load(&r.path)?),
                None => None,
            },
        })
    }

    /// The groups classification needs the members of.
    pub fn groups(&self) -> Vec<String> {
        let mut g: Vec<String> = self
            .generic
            .groups
            .iter()
            .chain(&self.appli.groups)
            .chain(&self.medecin.groups)
            .cloned()
            .collect();
        g.sort();
        g.dedup();
        g
    }
}

/// Classifies one account. `groups` are the ids of the groups it belongs to (transitively).
pub fn classify(a: &Account, groups: &HashSet<String>, rules: &Rules) -> Classification {
    let population_reason = rules.medecin.reason(a, groups);
    let population = if population_reason.is_some() {
        Population::Medecin
    } else {
        Population::Personnel
    };
    let in_register = rules.register.as_ref().is_some_and(|r| r.contains(&a.upn));
    let generic = rules.generic.reason(a, groups).or_else(|| {
        in_register.then(|| "inscrit au répertoire des comptes génériques".to_string())
    });
    let appli = rules.appli.reason(a, groups);
    let (class, reason) = if rules.urgence.iter().any(|u| u.eq_ignore_ascii_case(&a.upn)) {
        (
            Class::Urgence,
            "compte d'urgence déclaré dans [classification].urgence".to_string(),
        )
    } else if let Some(r) = &generic {
        (Class::Generique, r.clone())
    } else if let Some(r) = &appli {
        (Class::Appli, r.clone())
    } else {
        (
            Class::Nominatif,
            "aucun motif de compte générique, « Appli » ou d'urgence".to_string(),
        )
    };
    let also_appli = class == Class::Generique && appli.is_some();
    let reason = match (&appli, also_appli) {
        (Some(r), true) => format!("{reason} ; et type « Appli » : {r}"),
        _ => reason,
    };
    Classification {
        user_id: a.id.clone(),
        upn: a.upn.clone(),
        class,
        also_appli,
        population,
        enabled: a.enabled,
        guest: a.guest,
        reason,
        population_reason,
    }
}

/// One row of the register of generic accounts: who uses which account, since and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRow {
    /// Lowercase UPN of the generic account.
    pub compte: String,
    pub site: String,
    pub utilisateur: String,
    pub arrivee: Option<NaiveDate>,
    pub depart: Option<NaiveDate>,
    /// Line in the CSV file (for messages).
    pub line: u64,
}

/// The register of generic accounts kept by the establishment (orientation: "tenir un
/// répertoire des utilisateurs des abonnements génériques").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Register {
    pub rows: Vec<RegisterRow>,
}

/// The register's columns, in any order (`;` or `,` separated, UTF-8 with or without BOM).
pub const REGISTER_COLUMNS: [&str; 5] = ["compte", "site", "utilisateur", "arrivee", "depart"];

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("répertoire {path} : {detail}\n  correctif : {fix}")]
    Invalid {
        path: String,
        detail: String,
        fix: String,
    },
}

impl Register {
    pub fn contains(&self, upn: &str) -> bool {
        self.rows.iter().any(|r| r.compte.eq_ignore_ascii_case(upn))
    }

    /// The latest departure recorded for that account.
    pub fn latest_departure(&self, upn: &str) -> Option<NaiveDate> {
        self.rows
            .iter()
            .filter(|r| r.compte.eq_ignore_ascii_case(upn))
            .filter_map(|r| r.depart)
            .max()
    }

    /// Distinct accounts of the register (lowercase UPNs), sorted.
    pub fn accounts(&self) -> Vec<String> {
        let mut v: Vec<String> = self.rows.iter().map(|r| r.compte.clone()).collect();
        v.sort();
        v.dedup();
        v
    }

    pub fn load(path: &Path) -> Result<Register, RegisterError> {
        let bytes = std::fs::read(path).map_err(|e| RegisterError::Invalid {
            path: path.display().to_string(),
            detail: format!("lecture impossible ({e})"),
            fix: "vérifiez [classification].registre et les droits du fichier".into(),
        })?;
        Register::parse(&bytes, &path.display().to_string())
    }

    /// Parses the CSV; every problem names its line.
    pub fn parse(bytes: &[u8], name: &str) -> Result<Register, RegisterError> {
        let invalid = |detail: String, fix: &str| RegisterError::Invalid {
            path: name.into(),
            detail,
            fix: fix.into(),
        };
        let text = std::str::from_utf8(bytes).map_err(|e| {
            invalid(
                format!("pas en UTF-8 ({e})"),
                "enregistrez le fichier en CSV UTF-8",
            )
        })?;
        let text = text.trim_start_matches('\u{feff}');
        let first = text.lines().next().unwrap_or("");
        let delimiter = if first.matches(';').count() >= first.matches(',').count() {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(false)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| {
                invalid(
                    format!("en-tête illisible ({e})"),
                    "la première ligne doit nommer les colonnes",
                )
            })?
            .clone();
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        for col in REGISTER_COLUMNS {
            match headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(col))
            {
                Some(i) => {
                    index.insert(col, i);
                }
                None => {
                    return Err(invalid(
                        format!(
                            "colonne « {col} » absente (colonnes lues : {})",
                            headers.iter().collect::<Vec<_>>().join(", ")
                        ),
                        "l'en-tête doit être : compte;site;utilisateur;arrivee;depart",
                    ));
                }
            }
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                invalid(
                    format!("ligne illisible ({e})"),
                    "corrigez la ligne indiquée",
                )
            })?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let get = |c: &str| {
                index
                    .get(c)
                    .and_then(|&i| record.get(i))
                    .unwrap_or("")
                    .trim()
                    .to_string()
            };
            let date = |c: &str| -> Result<Option<NaiveDate>, RegisterError> {
                let v = get(c);
                if v.is_empty() {
                    return Ok(None);
                }
                NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| {
                        invalid(
                            format!("ligne {line} : date « {v} » illisible dans la colonne {c}"),
                            "dates au format AAAA-MM-JJ",
                        )
                    })
            };
            let compte = get("compte").to_lowercase();
            if compte.is_empty() {
                return Err(invalid(
                    format!("ligne {line} : colonne compte vide"),
                    "indiquez l'UPN du compte générique",
                ));
            }
            rows.push(RegisterRow {
                compte,
                site: get("site"),
                utilisateur: get("utilisateur"),
                arrivee: date("arrivee")?,
                depart: date("depart")?,
                line,
            });
        }
        Ok(Register { rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(name: &str, upn: &str) -> Account {
        Account {
            id: upn.into(),
            upn: upn.into(),
            display_name: name.into(),
            mail: None,
            enabled: true,
            guest: false,
            employee_type: None,
            extension_attributes: Default::default(),
            created: None,
            last_password_change: None,
            proxy_addresses: Vec::new(),
            organisation: Default::default(),
            perimeter: Vec::new(),
            attribution: Vec::new(),
        }
    }

    #[test]
    fn tablet_names_are_generic_by_default() {
        let rules = Rules::defaults();
        let none = HashSet::new();
        for name in [
            "Tablette 1 CHSLD de Verdun",
            "TABLETTE 12 - CHSLD Saint-Laurent",
            "tablette3 chsld lachine",
        ] {
            let c = classify(&account(name, "t@x.ca"), &none, &rules);
            assert_eq!(c.class, Class::Generique, "{name}");
            assert!(c.reason.contains("nom d'affichage"), "{}", c.reason);
        }
        for name in [
            "Marie Tablette",
            "Tablettes CHSLD (commande)",
            "Jean Tremblay",
        ] {
            assert_eq!(
                classify(&account(name, "p@x.ca"), &none, &rules).class,
                Class::Nominatif,
                "{name}"
            );
        }
    }

    #[test]
    fn appli_and_generic_together_is_flagged() {
        let rules = Rules::defaults();
        let mut a = account("Tablette 4 CHSLD de Lachine", "tab4@x.ca");
        a.employee_type = Some("Appli".into());
        let c = classify(&a, &HashSet::new(), &rules);
        assert_eq!(c.class, Class::Generique);
        assert!(c.also_appli);
        let mut b = account("Appli Billetterie", "svc@x.ca");
        b.employee_type = Some(" appli ".into());
        let c = classify(&b, &HashSet::new(), &rules);
        assert_eq!(c.class, Class::Appli);
        assert!(!c.also_appli);
    }

    #[test]
    fn break_glass_wins_and_physicians_are_recognised() {
        let mut rules = Rules::defaults();
        rules.urgence = vec!["urgence01@x.ca".into()];
        let c = classify(
            &account("Tablette 1 CHSLD X", "URGENCE01@x.ca"),
            &HashSet::new(),
            &rules,
        );
        assert_eq!(c.class, Class::Urgence);
        let d = classify(
            &account("Dre Roy", "julie.roy.med@ssss.gouv.qc.ca"),
            &HashSet::new(),
            &rules,
        );
        assert_eq!(
            (d.class, d.population),
            (Class::Nominatif, Population::Medecin)
        );
    }

    #[test]
    fn physicians_are_found_every_way() {
        let mut rules = Rules::defaults();
        rules.medecin.groups = vec!["g-medecins".into()];
        rules.medecin.attribute = Some((
            "extensionAttribute5".into(),
            Regex::new("(?i)^(médecin|résident|externe)").expect("regex"),
        ));
        let none = HashSet::new();
        let physician = |a: &Account, groups: &HashSet<String>| {
            let c = classify(a, groups, &rules);
            (c.population, c.population_reason.unwrap_or_default())
        };
        // By UPN.
        let (p, why) = physician(&account("Dre Roy", "julie.roy.med@ssss.gouv.qc.ca"), &none);
        assert_eq!(p, Population::Medecin);
        assert!(why.starts_with("UPN"), "{why}");
        // The UPN lacks .med, the mail has it.
        let mut by_mail = account("Dr Gagnon", "paul.gagnon@cisss-x.ca");
        by_mail.mail = Some("Paul.Gagnon.MED@ssss.gouv.qc.ca".into());
        let (p, why) = physician(&by_mail, &none);
        assert_eq!(p, Population::Medecin);
        assert!(why.starts_with("adresse Paul.Gagnon.MED@"), "{why}");
        // Only an alias among the proxy addresses, whatever the prefix's case.
        for proxy in [
            "smtp:paul.gagnon.med@ssss.gouv.qc.ca",
            "SMTP:Paul.Gagnon.Med@ssss.gouv.qc.ca",
        ] {
            let mut by_proxy = account("Dr Gagnon", "paul.gagnon@cisss-x.ca");
            by_proxy.mail = Some("paul.gagnon@cisss-x.ca".into());
            by_proxy.proxy_addresses = vec!["SMTP:paul.gagnon@cisss-x.ca".into(), proxy.into()];
            let (p, why) = physician(&by_proxy, &none);
            assert_eq!(p, Population::Medecin, "{proxy}");
            assert!(why.starts_with("adresse proxy"), "{why}");
        }
        // Group membership.
        let groups: HashSet<String> = ["g-medecins".to_string()].into();
        let (p, why) = physician(&account("Dr Côté", "m.cote@cisss-x.ca"), &groups);
        assert_eq!(p, Population::Medecin);
        assert_eq!(why, "membre du groupe g-medecins");
        // Directory attribute.
        let mut by_attr = account("Dre Lévesque", "a.levesque@cisss-x.ca");
        by_attr.extension_attributes.insert(
            "extensionAttribute5".into(),
            " Résidente en médecine ".into(),
        );
        let (p, why) = physician(&by_attr, &none);
        assert_eq!(p, Population::Medecin);
        assert!(why.contains("extensionAttribute5"), "{why}");
        // Not physicians: other staff, a .med elsewhere than before the @, other proxy types.
        let mut staff = account("Infirmière", "i.roy@cisss-x.ca");
        staff.mail = Some("i.roy@medecine.ca".into());
        staff.proxy_addresses = vec![
            "x500:/o=ExchangeLabs/cn=i.roy.med@x".into(),
            "sip:i.roy.med@ssss.gouv.qc.ca".into(),
        ];
        staff
            .extension_attributes
            .insert("extensionAttribute5".into(), "Infirmière".into());
        let c = classify(&staff, &HashSet::from(["g-autre".to_string()]), &rules);
        assert_eq!(
            (c.population, c.population_reason),
            (Population::Personnel, None)
        );
    }

    #[test]
    fn group_and_register_matchers() {
        let mut rules = Rules::defaults();
        rules.generic.groups = vec!["g-tablettes".into()];
        let groups: HashSet<String> = ["g-tablettes".to_string()].into();
        assert_eq!(
            classify(&account("Poste soins 3e", "p3@x.ca"), &groups, &rules).class,
            Class::Generique
        );
        rules.register = Some(
            Register::parse(
                "compte;site;utilisateur;arrivee;depart\nposte4@x.ca;Verdun;Inf. A;2025-01-01;\n"
                    .as_bytes(),
                "r.csv",
            )
            .expect("register"),
        );
        let c = classify(&account("Poste 4", "Poste4@x.ca"), &HashSet::new(), &rules);
        assert_eq!(c.class, Class::Generique);
        assert!(c.reason.contains("répertoire"));
    }

    #[test]
    fn register_parses_bom_commas_any_order_and_reports_lines() {
        let csv = "\u{feff}site,compte,depart,arrivee,utilisateur\nVerdun,Tab1@X.ca,2026-02-01,2025-01-01,Inf. A\nVerdun,tab1@x.ca,2026-05-03,2025-06-01,Inf. B\n";
        let r = Register::parse(csv.as_bytes(), "r.csv").expect("valid");
        assert_eq!(r.rows.len(), 2);
        assert_eq!(
            r.latest_departure("TAB1@x.ca"),
            NaiveDate::from_ymd_opt(2026, 5, 3)
        );
        assert_eq!(r.accounts(), vec!["tab1@x.ca".to_string()]);
        let bad = "compte;site;utilisateur;arrivee;depart\nt@x;V;A;hier;\n";
        let e = Register::parse(bad.as_bytes(), "r.csv")
            .expect_err("bad date")
            .to_string();
        assert!(e.contains("ligne 2") && e.contains("hier"), "{e}");
        let missing = "compte;site;utilisateur\n";
        let e = Register::parse(missing.as_bytes(), "r.csv")
            .expect_err("missing")
            .to_string();
        assert!(e.contains("arrivee"), "{e}");
    }
}
