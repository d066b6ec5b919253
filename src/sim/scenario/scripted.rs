//! The scripted accounts: hand-written accounts that exercise each check of RULES.md.

use super::*;

/// Account kinds (the scenario's intent; the ground truth classifies from the config).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Urgence,
    Tablet,
    GenericOther,
    Appli,
    Staff,
    Physician,
    Guest,
    Shared,
}

/// Keys of the scripted accounts. The index of an account is its position in `SCRIPTED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum S {
    Urgence01,
    Urgence02,
    TabVerdun1,
    TabVerdun2,
    TabVerdun3,
    TabLachine1,
    TabLachine2,
    TabLachine3,
    TabLachine4,
    TabStLaurent1,
    TabStLaurent2,
    TabStLaurent3,
    TabStLaurent4,
    TabLaSalle1,
    TabLaSalle2,
    TabLaSalle3,
    TabVerdun5,
    IpadDorval,
    SvcBilletterie,
    SvcTelesante1,
    SvcTelesante2,
    AppliPharmacie,
    SvcArchivage,
    JulieGagnon,
    LucBouchard,
    SophieRoy,
    MarcPelletier,
    GuestConsultant,
    CaronMed,
    IsabelleMorin,
    PierreGauthier,
    NathalieOuellet,
    EricLavoie,
    ChantalGirard,
    AlainFortin,
    GenevieveBelanger,
    SharedAccueilVerdun,
    SharedDossiersLachine,
    StephaneCote,
    MelaniePoirier,
    DanielMichaud,
    KarineLeblanc,
    SylvieTremblayMed,
    RobertGagne,
    MartineDube,
}

/// Domain of a scripted UPN.
#[derive(Clone, Copy)]
pub(super) enum Dom {
    Tenant,
    Rsss,
}

pub(crate) struct Scripted {
    pub key: S,
    pub kind: Kind,
    pub(super) display: &'static str,
    pub(super) local: &'static str,
    pub(super) dom: Dom,
    pub(super) site: Option<usize>,
    pub(super) etype: Option<&'static str>,
}

const fn sc(
    key: S,
    kind: Kind,
    display: &'static str,
    local: &'static str,
    dom: Dom,
    site: Option<usize>,
    etype: Option<&'static str>,
) -> Scripted {
    Scripted {
        key,
        kind,
        display,
        local,
        dom,
        site,
        etype,
    }
}

use Dom::{Rsss, Tenant};

/// One row per scripted account: key, kind, display name, UPN local part, UPN domain,
/// site (index in `names::SITES`) and `employeeType`.
#[rustfmt::skip]
pub(crate) const SCRIPTED: &[Scripted] = &[
    sc(S::Urgence01,              Urgence,       "Compte d'urgence 01",                 "urgence01",                                Tenant,  None,     None),
    sc(S::Urgence02,              Urgence,       "Compte d'urgence 02",                 "urgence02",                                Tenant,  None,     None),
    sc(S::TabVerdun1,             Tablet,        "Tablette 1 CHSLD de Verdun",          "tablette1.verdun",                         Tenant,  Some(0),  None),
    sc(S::TabVerdun2,             Tablet,        "Tablette 2 CHSLD de Verdun",          "tablette2.verdun",                         Tenant,  Some(0),  None),
    sc(S::TabVerdun3,             Tablet,        "Tablette 3 CHSLD de Verdun",          "tablette3.verdun",                         Tenant,  Some(0),  None),
    sc(S::TabLachine1,            Tablet,        "Tablette 1 CHSLD de Lachine",         "tablette1.lachine",                        Tenant,  Some(1),  None),
    sc(S::TabLachine2,            Tablet,        "Tablette 2 CHSLD de Lachine",         "tablette2.lachine",                        Tenant,  Some(1),  None),
    sc(S::TabLachine3,            Tablet,        "Appli - Tablette 3 CHSLD de Lachine", "tablette3.lachine",                        Tenant,  Some(1),  Some("Appli")),
    sc(S::TabLachine4,            Tablet,        "Tablette 4 CHSLD de Lachine",         "tablette4.lachine",                        Tenant,  Some(1),  None),
    sc(S::TabStLaurent1,          Tablet,        "Tablette 1 CHSLD de Saint-Laurent",   "tablette1.saintlaurent",                   Tenant,  Some(2),  None),
    sc(S::TabStLaurent2,          Tablet,        "Tablette 2 CHSLD de Saint-Laurent",   "tablette2.saintlaurent",                   Tenant,  Some(2),  None),
    sc(S::TabStLaurent3,          Tablet,        "Tablette 3 CHSLD de Saint-Laurent",   "tablette3.saintlaurent",                   Tenant,  Some(2),  None),
    sc(S::TabStLaurent4,          Tablet,        "Tablette 4 CHSLD de Saint-Laurent",   "tablette4.saintlaurent",                   Tenant,  Some(2),  None),
    sc(S::TabLaSalle1,            Tablet,        "Tablette 1 CHSLD de LaSalle",         "tablette1.lasalle",                        Tenant,  Some(3),  None),
    sc(S::TabLaSalle2,            Tablet,        "Tablette 2 CHSLD de LaSalle",         "tablette2.lasalle",                        Tenant,  Some(3),  None),
    sc(S::TabLaSalle3,            Tablet,        "Tablette 3 CHSLD de LaSalle",         "tablette3.lasalle",                        Tenant,  Some(3),  None),
    sc(S::TabVerdun5,             Tablet,        "GEN - Tablette 5 CHSLD de Verdun",    "tablette5.verdun",                         Tenant,  Some(0),  None),
    sc(S::IpadDorval,             GenericOther,  "GEN - iPad soins CHSLD de Dorval",    "ipad.dorval",                              Tenant,  Some(4),  Some("Générique")),
    sc(S::SvcBilletterie,         Appli,         "Appli Billetterie",                   "svc-billetterie",                          Tenant,  None,     Some("Appli")),
    sc(S::SvcTelesante1,          Appli,         "Appli Télésanté 1",                   "svc-telesante1",                           Tenant,  None,     Some("Appli")),
    sc(S::SvcTelesante2,          Appli,         "Appli Télésanté 2",                   "svc-telesante2",                           Tenant,  None,     Some("Appli")),
    sc(S::AppliPharmacie,         Appli,         "Appli Pharmacie",                     "appli.pharmacie",                          Tenant,  None,     Some("Appli")),
    sc(S::SvcArchivage,           Appli,         "Archivage Appli",                     "svc-archivage",                            Tenant,  None,     Some("Appli")),
    sc(S::JulieGagnon,            Staff,         "Julie Gagnon-Lapierre",               "julie.gagnon-lapierre",                    Rsss,    Some(0),  None),
    sc(S::LucBouchard,            Staff,         "Luc Bouchard-Hamel",                  "luc.bouchard-hamel",                       Rsss,    Some(1),  None),
    sc(S::SophieRoy,              Staff,         "Sophie Roy-Castonguay",               "sophie.roy-castonguay",                    Rsss,    None,     None),
    sc(S::MarcPelletier,          Staff,         "Marc Pelletier-Dion",                 "marc.pelletier-dion",                      Rsss,    None,     None),
    sc(S::GuestConsultant,        Guest,         "Yves Lamarre (Groupe Conseil TRI)",   "yves.lamarre_groupe-conseil-tri.ca#EXT#",  Tenant,  None,     None),
    sc(S::CaronMed,               Physician,     "François Caron-Blais",                "francois.caron-blais.med",                 Rsss,    Some(1),  None),
    sc(S::IsabelleMorin,          Staff,         "Isabelle Morin-Giguère",              "isabelle.morin-giguere",                   Rsss,    Some(0),  None),
    sc(S::PierreGauthier,         Staff,         "Pierre Gauthier-Roy",                 "pierre.gauthier-roy",                      Rsss,    Some(2),  None),
    sc(S::NathalieOuellet,        Staff,         "Nathalie Ouellet-Fortin",             "nathalie.ouellet-fortin",                  Rsss,    None,     None),
    sc(S::EricLavoie,             Staff,         "Éric Lavoie-Poulin",                  "eric.lavoie-poulin",                       Rsss,    None,     None),
    sc(S::ChantalGirard,          Staff,         "Chantal Girard-Moreau",               "chantal.girard-moreau",                    Rsss,    None,     None),
    sc(S::AlainFortin,            Staff,         "Alain Fortin-Lemay",                  "alain.fortin-lemay",                       Rsss,    Some(3),  None),
    sc(S::GenevieveBelanger,      Staff,         "Geneviève Bélanger-Roy",              "genevieve.belanger-roy",                   Rsss,    None,     None),
    sc(S::SharedAccueilVerdun,    Shared,        "Accueil CHSLD de Verdun",             "accueil.verdun",                           Tenant,  Some(0),  None),
    sc(S::SharedDossiersLachine,  Shared,        "Dossiers patients Lachine",           "dossiers.lachine",                         Tenant,  Some(1),  None),
    sc(S::StephaneCote,           Staff,         "Stéphane Côté-Néron",                 "stephane.cote-neron",                      Rsss,    None,     None),
    sc(S::MelaniePoirier,         Staff,         "Mélanie Poirier-Hudon",               "melanie.poirier-hudon",                    Rsss,    None,     None),
    sc(S::DanielMichaud,          Staff,         "Daniel Michaud-Sauvé",                "daniel.michaud-sauve",                     Rsss,    None,     None),
    sc(S::KarineLeblanc,          Staff,         "Karine Leblanc-Vigneault",            "karine.leblanc-vigneault",                 Rsss,    None,     None),
    sc(S::SylvieTremblayMed,      Physician,     "Sylvie Tremblay-Houde",               "sylvie.tremblay-houde.med",                Rsss,    Some(2),  None),
    sc(S::RobertGagne,            Staff,         "Robert Gagné-Allard",                 "robert.gagne-allard",                      Rsss,    None,     None),
    sc(S::MartineDube,            Staff,         "Martine Dubé-Pilon",                  "martine.dube-pilon",                       Rsss,    None,     None),
];

pub(crate) fn idx(key: S) -> u32 {
    SCRIPTED.iter().position(|s| s.key == key).unwrap_or(0) as u32
}

pub(super) fn script(i: u32) -> Option<&'static Scripted> {
    SCRIPTED.get(i as usize)
}

pub(super) fn key(i: u32) -> Option<S> {
    script(i).map(|s| s.key)
}
