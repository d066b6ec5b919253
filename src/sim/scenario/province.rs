//! The provincial tenant (`vigie365 sim --etablissements N`): the generated accounts split
//! among N establishments of the RSSS, each identifiable the way its perimeter says.
//!
//! An account's establishment is a pure function of (seed, index): break-glass accounts
//! and about 2 % of the generated accounts belong to none (« non attribué »). What an
//! establishment's accounts carry depends on its index modulo 4 ([`Marking`]), so that
//! every matcher of `[perimetre]` is exercised and each one is necessary:
//!
//! | index mod 4 | staff (generated, not physicians) | every other account of it | perimeter |
//! |---|---|---|---|
//! | 0 | UPN `@<slug>.ssss.gouv.qc.ca` | `companyName` = name | `upn` + `companyName` |
//! | 1 | administrative unit | administrative unit | `unites_administratives` (name) |
//! | 2 | `extensionAttribute10` = `ETAB-NN` | the same | `extensionAttribute10` |
//! | 3 | UPN `@<slug>.ssss.gouv.qc.ca` | administrative unit | `upn` + unit (by id) |
//!
//! except that an establishment whose index is 6 modulo 8 is known by `department` (its
//! name, instead of the CHSLD site) rather than `extensionAttribute10`.
//!
//! Physicians keep `prenom.nom.med@ssss.gouv.qc.ca`: they are found only by unit or
//! attribute. Without `--etablissements` the tenant is the single establishment of before,
//! byte for byte.

use super::*;

/// Most establishments a provincial tenant may have.
pub const MAX_ESTABLISHMENTS: u32 = 40;

/// Share of generated accounts attributable to no establishment.
const UNATTRIBUTED: f64 = 0.02;

/// (name, slug) of the establishments, in order: CISSS and CIUSSS of real regions, then
/// non-merged establishments of the network.
pub(crate) const ESTABLISHMENTS: &[(&str, &str)] = &[
    (
        "CIUSSS du Centre-Sud-de-l'Île-de-Montréal",
        "ciusss-centre-sud",
    ),
    ("CISSS de la Montérégie-Centre", "cisss-monteregie-centre"),
    (
        "CIUSSS de la Capitale-Nationale",
        "ciusss-capitale-nationale",
    ),
    ("CISSS des Laurentides", "cisss-laurentides"),
    ("CIUSSS de l'Estrie – CHUS", "ciusss-estrie-chus"),
    ("CISSS de Laval", "cisss-laval"),
    (
        "CIUSSS du Saguenay–Lac-Saint-Jean",
        "ciusss-saguenay-lac-saint-jean",
    ),
    ("CISSS de Lanaudière", "cisss-lanaudiere"),
    ("CIUSSS de l'Ouest-de-l'Île-de-Montréal", "ciusss-ouest-ile"),
    ("CISSS de l'Outaouais", "cisss-outaouais"),
    (
        "CIUSSS de la Mauricie-et-du-Centre-du-Québec",
        "ciusss-mauricie-centre-du-quebec",
    ),
    (
        "CISSS de Chaudière-Appalaches",
        "cisss-chaudiere-appalaches",
    ),
    (
        "CIUSSS du Centre-Ouest-de-l'Île-de-Montréal",
        "ciusss-centre-ouest",
    ),
    ("CISSS du Bas-Saint-Laurent", "cisss-bas-saint-laurent"),
    ("CIUSSS de l'Est-de-l'Île-de-Montréal", "ciusss-est-ile"),
    (
        "CISSS de l'Abitibi-Témiscamingue",
        "cisss-abitibi-temiscamingue",
    ),
    ("CIUSSS du Nord-de-l'Île-de-Montréal", "ciusss-nord-ile"),
    ("CISSS de la Montérégie-Est", "cisss-monteregie-est"),
    ("CISSS de la Montérégie-Ouest", "cisss-monteregie-ouest"),
    ("CISSS de la Côte-Nord", "cisss-cote-nord"),
    ("CISSS de la Gaspésie", "cisss-gaspesie"),
    ("CISSS des Îles", "cisss-iles"),
    ("CHU de Québec – Université Laval", "chu-quebec"),
    ("CHU Sainte-Justine", "chu-sainte-justine"),
    ("Centre hospitalier de l'Université de Montréal", "chum"),
    ("Centre universitaire de santé McGill", "cusm"),
    ("Institut de cardiologie de Montréal", "icm"),
    (
        "Institut universitaire de cardiologie et de pneumologie de Québec",
        "iucpq",
    ),
    (
        "Institut national de psychiatrie légale Philippe-Pinel",
        "pinel",
    ),
    (
        "Centre régional de santé et de services sociaux de la Baie-James",
        "crsss-baie-james",
    ),
    (
        "Conseil cri de la santé et des services sociaux de la Baie James",
        "ccsss-baie-james",
    ),
    (
        "Régie régionale de la santé et des services sociaux du Nunavik",
        "rrsss-nunavik",
    ),
    ("Centre de santé Inuulitsivik", "inuulitsivik"),
    ("Centre de santé Tulattavik de l'Ungava", "tulattavik"),
    ("Corporation d'urgences-santé", "urgences-sante"),
    ("Institut national de santé publique du Québec", "inspq"),
    ("Héma-Québec", "hema-quebec"),
    (
        "Institut national d'excellence en santé et en services sociaux",
        "inesss",
    ),
    ("CHSLD Vigi Santé", "vigi-sante"),
    ("Santé Québec", "sante-quebec"),
];

/// Which identifiers an establishment's accounts carry (its index modulo 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Marking {
    /// Staff by UPN suffix, everyone else by `companyName`.
    UpnCompany,
    /// Everyone by administrative unit (perimeter names the unit).
    Unit,
    /// Everyone by `extensionAttribute10`.
    Attribute,
    /// Everyone by `department` (the establishment's name).
    Department,
    /// Staff by UPN suffix, everyone else by administrative unit (perimeter gives its id).
    UpnUnitId,
}

/// One establishment of the provincial tenant.
#[derive(Clone, Debug)]
pub(crate) struct Establishment {
    pub index: usize,
    pub name: &'static str,
    pub slug: &'static str,
    pub marking: Marking,
}

impl Establishment {
    /// `ETAB-NN` (1-based), the value of `extensionAttribute10`.
    pub(crate) fn code(&self) -> String {
        format!("ETAB-{:02}", self.index + 1)
    }
    /// The UPN domain of its staff: `<slug>.ssss.gouv.qc.ca`.
    pub(crate) fn domain(&self) -> String {
        format!("{}.{}", self.slug, RSSS_DOMAIN)
    }
    /// Display name of its administrative unit (the establishment's name).
    pub(crate) fn unit_name(&self) -> &'static str {
        self.name
    }
    /// Whether its staff carry the UPN suffix.
    pub(crate) fn by_upn(&self) -> bool {
        matches!(self.marking, Marking::UpnCompany | Marking::UpnUnitId)
    }
}

/// The establishments of a provincial tenant of `n` establishments.
pub(crate) fn establishments(n: u32) -> Vec<Establishment> {
    let n = (n as usize).min(ESTABLISHMENTS.len());
    ESTABLISHMENTS[..n]
        .iter()
        .enumerate()
        .map(|(index, (name, slug))| Establishment {
            index,
            name,
            slug,
            marking: match index % 4 {
                0 => Marking::UpnCompany,
                1 => Marking::Unit,
                2 if index % 8 == 6 => Marking::Department,
                2 => Marking::Attribute,
                _ => Marking::UpnUnitId,
            },
        })
        .collect()
}

/// What an account carries to say whose it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Attribution {
    /// Index of its establishment, if any.
    pub establishment: Option<usize>,
    /// Its UPN and mail use the establishment's domain.
    pub upn_domain: Option<String>,
    /// `companyName` set to the establishment's name.
    pub company: bool,
    /// `extensionAttribute10`.
    pub ext10: Option<String>,
    /// `department` set to the establishment's name.
    pub department: bool,
    /// Member of the establishment's administrative unit.
    pub unit: bool,
}

impl Scenario {
    /// Whether the tenant is provincial (`--etablissements`).
    pub(crate) fn provincial(&self) -> bool {
        !self.establishments.is_empty()
    }

    /// The establishment of account i (`None`: break-glass, « non attribué », or a
    /// single-establishment tenant).
    pub(crate) fn establishment_of(&self, i: u32) -> Option<usize> {
        if !self.provincial() || self.kind_of(i) == Urgence {
            return None;
        }
        let x = h(self.seed, &[tag::ETAB, i as u64]);
        if i >= SCRIPTED.len() as u32 && unit(x) < UNATTRIBUTED {
            return None;
        }
        Some((hash::mix(x) % self.establishments.len() as u64) as usize)
    }

    /// The identifiers account i carries (all empty for a single-establishment tenant).
    pub(crate) fn attribution(&self, i: u32) -> Attribution {
        let Some(e) = self.establishment_of(i) else {
            return Attribution::default();
        };
        let est = &self.establishments[e];
        let staff = script(i).is_none() && self.kind_of(i) == Staff;
        let by_upn = staff && est.by_upn();
        let mut a = Attribution {
            establishment: Some(e),
            ..Attribution::default()
        };
        if by_upn {
            a.upn_domain = Some(est.domain());
            return a;
        }
        match est.marking {
            Marking::UpnCompany => a.company = true,
            Marking::Unit | Marking::UpnUnitId => a.unit = true,
            Marking::Attribute => a.ext10 = Some(est.code()),
            Marking::Department => a.department = true,
        }
        a
    }

    /// Whether account i is a member of establishment e's administrative unit on a day.
    pub(crate) fn unit_member(&self, e: usize, i: u32, day: i32) -> bool {
        self.exists(i, day) && {
            let a = self.attribution(i);
            a.unit && a.establishment == Some(e)
        }
    }
}
