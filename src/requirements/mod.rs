//! The requirements the bilan answers for (MSSS-DIR04 art. 14: « l'ensemble des éléments de
//! la présente directive devra faire l'objet d'une reddition de compte »): every element of
//! DIR04 (art. 6 1° to 5°, 7, 8, 9 1° to 4°, 12, 13, 14), every technical and organisational
//! recommendation of the orientation on generic subscriptions in CHSLD, and DIR05's « Teams
//! en priorité ». Each is declared once, here, numbered as its document numbers it.
//!
//! A check says which requirements it evidences (`CheckInfo::requirements`, in the check's
//! own file): the catalogue never names a check, so a new check is still one file. What the
//! tenant's data can show of a requirement is its [`Reach`]; its status for a period is
//! computed by the bilan from the checks that evidence it and the nights they were
//! evaluated.
//!
//! This module sits at the bottom of the crate and imports nothing from it.

/// The document a requirement comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Document {
    /// MSSS-DIR04, directive sur l'utilisation sécuritaire des outils de collaboration par
    /// les médecins.
    Dir04,
    /// Orientation sur l'utilisation des abonnements M365 de type générique en CHSLD.
    Orientation,
    /// MSSS-DIR05, directive sur l'utilisation de la suite O365 dans un contexte de soins
    /// virtuels.
    Dir05,
}

impl Document {
    pub fn label_fr(self) -> &'static str {
        match self {
            Document::Dir04 => "MSSS-DIR04",
            Document::Orientation => "Orientation abonnements génériques en CHSLD",
            Document::Dir05 => "MSSS-DIR05",
        }
    }
}

/// What the tenant's data can show of a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The checks that evidence it show it entirely (vérifié when they ran every night).
    Verifiable,
    /// The checks show part of it; the text says what they cannot show (always partiel).
    Partial(&'static str),
    /// Tenant data cannot show it (hors de portée de l'outil); the text says why. The
    /// establishment attests it in its configuration (`[[attestations]]`).
    Outside(&'static str),
}

/// A posture figure (not a finding) that evidences a requirement, with the sources it is
/// read from (query names of `queries/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figure {
    pub label_fr: &'static str,
    pub sources: &'static [&'static str],
}

/// One element of a directive or one recommendation.
#[derive(Debug, PartialEq, Eq)]
pub struct Requirement {
    /// Stable id: `DIR04-6-5`, `ORI-TEC-04`, `DIR05-TEAMS`.
    pub id: &'static str,
    pub document: Document,
    /// As the document numbers it: « art. 6, 5° », « recommandation technique 4 ».
    pub article: &'static str,
    /// Short French title (one line of the accountability table).
    pub title_fr: &'static str,
    /// The text, quoted or faithfully paraphrased.
    pub text_fr: &'static str,
    pub reach: Reach,
    /// Posture figures that evidence it, besides the checks that name it.
    pub figures: &'static [Figure],
}

macro_rules! requirement {
    ($name:ident, $id:literal, $doc:ident, $article:literal, $title:literal, $text:literal, $reach:expr $(, $fig:expr)* $(,)?) => {
        #[doc = $title]
        pub static $name: Requirement = Requirement {
            id: $id,
            document: Document::$doc,
            article: $article,
            title_fr: $title,
            text_fr: $text,
            reach: $reach,
            figures: &[$($fig),*],
        };
    };
}

const ACCOUNTS: Figure = Figure {
    label_fr: "comptes par classe et par population, chaque nuit",
    sources: &["users"],
};
const MFA_REGISTERED: Figure = Figure {
    label_fr: "comptes avec une MFA enregistrée, chaque nuit",
    sources: &["user-registration-details"],
};
const MFA_POLICIES: Figure = Figure {
    label_fr: "comptes qu'aucune stratégie d'accès conditionnel exigeant la MFA ne vise",
    sources: &["conditional-access-policies"],
};
const POP_IMAP: Figure = Figure {
    label_fr: "boîtes avec POP ou IMAP activé, chaque nuit",
    sources: &["exchange-cas-mailboxes"],
};
const OME_RULES: Figure = Figure {
    label_fr: "règles de transport qui chiffrent les messages vers l'externe",
    sources: &["exchange-transport-rules"],
};
const FORWARDS: Figure = Figure {
    label_fr: "règles de redirection par classe de cible, chaque nuit",
    sources: &["message-rules", "exchange-mailboxes"],
};
const COVERAGE: Figure = Figure {
    label_fr: "nuits collectées et évaluées de la période, source par source",
    sources: &[],
};
const SIGNINS: Figure = Figure {
    label_fr: "connexions lues chaque nuit (journal des connexions d'Entra ID)",
    sources: &["sign-ins"],
};

// MSSS-DIR04, art. 6: obligations of physicians, residents and externs.
requirement!(
    DIR04_6_1,
    "DIR04-6-1",
    Dir04,
    "art. 6, 1°",
    "Adhérer à la solution corporative, dont la messagerie",
    "Adhérer à la solution corporative des outils de collaboration, dont le système de messagerie.",
    Reach::Partial(
        "l'outil voit les comptes et les redirections qui font sortir le courrier, pas l'usage réel d'autres outils"
    ),
    ACCOUNTS,
);
requirement!(
    DIR04_6_2,
    "DIR04-6-2",
    Dir04,
    "art. 6, 2°",
    "Utiliser exclusivement le compte corporatif pour les données confidentielles",
    "Utiliser exclusivement son compte corporatif MSSS, pour tous ses échanges de données confidentielles.",
    Reach::Partial(
        "l'outil voit le courrier corporatif qui sort automatiquement, pas les échanges faits depuis un autre compte"
    ),
);
requirement!(
    DIR04_6_3,
    "DIR04-6-3",
    Dir04,
    "art. 6, 3°",
    "Chiffrement supplémentaire vers un destinataire externe",
    "Appliquer une couche de chiffrement supplémentaire, approuvée par le MSSS ou le RSSS, lors d'échanges de données confidentielles avec un destinataire externe à la plateforme de collaboration corporative.",
    Reach::Partial(
        "l'outil peut voir si le locataire offre un chiffrement, pas le contenu des messages ni leur caractère confidentiel"
    ),
    OME_RULES,
);
requirement!(
    DIR04_6_4,
    "DIR04-6-4",
    Dir04,
    "art. 6, 4°",
    "Délaisser les messageries publiques",
    "Délaisser l'utilisation des autres systèmes de messagerie publics pour ses échanges de données concernant les usagers.",
    Reach::Partial(
        "l'outil voit les redirections vers une messagerie publique, pas l'usage d'une messagerie publique depuis un navigateur (art. 9, 4°)"
    ),
    FORWARDS,
);
requirement!(
    DIR04_6_5,
    "DIR04-6-5",
    Dir04,
    "art. 6, 5°",
    "Aucune redirection automatique ni autre contournement",
    "Éviter de contourner l'utilisation du système de messagerie corporatif par le biais de redirections automatiques de courriels ou tout autre mécanisme de contournement.",
    Reach::Verifiable,
    FORWARDS,
    POP_IMAP,
);
requirement!(
    DIR04_7,
    "DIR04-7",
    Dir04,
    "art. 7",
    "Processus d'affaires validés avant les outils de collaboration",
    "Ne pas recourir aux outils de collaboration pour échanger des informations confidentielles concernant un usager s'il existe des processus d'affaires validés par les médecins et prévus à cet effet.",
    Reach::Outside(
        "les processus d'affaires de l'établissement ne sont pas des données du locataire"
    ),
);
requirement!(
    DIR04_8,
    "DIR04-8",
    Dir04,
    "art. 8",
    "Déclaration des incidents au centre de services",
    "Signaler immédiatement au centre de services de l'établissement tout acte susceptible de constituer une violation réelle ou présumée des règles de sécurité, en vertu de la directive sur la déclaration des incidents (MSSS-DIR01).",
    Reach::Outside("les déclarations d'incident sont tenues hors du locataire Microsoft 365"),
);
// Art. 9: obligations of the establishment.
requirement!(
    DIR04_9_1,
    "DIR04-9-1",
    Dir04,
    "art. 9, 1°",
    "Mettre en œuvre la directive",
    "Tout établissement doit mettre en œuvre la présente directive.",
    Reach::Partial(
        "l'outil voit les contrôles techniques du locataire ; les mesures organisationnelles sont attestées par l'établissement"
    ),
    COVERAGE,
);
requirement!(
    DIR04_9_2,
    "DIR04-9-2",
    Dir04,
    "art. 9, 2°",
    "Sensibiliser les médecins, résidents et externes",
    "Sensibiliser son personnel médecins, résidents et externes à la sécurité de l'information.",
    Reach::Outside("la sensibilisation ne laisse pas de trace dans le locataire"),
);
requirement!(
    DIR04_9_3,
    "DIR04-9-3",
    Dir04,
    "art. 9, 3°",
    "Soutien de premier niveau",
    "Offrir le soutien de premier niveau auprès des médecins, résidents et externes concernant notamment la création des comptes.",
    Reach::Outside("le soutien est rendu par le centre de services, hors du locataire"),
);
requirement!(
    DIR04_9_4,
    "DIR04-9-4",
    Dir04,
    "art. 9, 4°",
    "Filtrage web des messageries publiques",
    "Bloquer, par des mécanismes de filtrage web, les sites de messageries publics ou tout autre outil de collaboration non autorisé sur le réseau informatique des établissements.",
    Reach::Outside(
        "le filtrage web se fait sur le réseau de l'établissement, pas dans Microsoft 365"
    ),
);
requirement!(
    DIR04_12,
    "DIR04-12",
    Dir04,
    "art. 12",
    "Droit de regard sur l'usage des actifs",
    "Le MSSS exerce un droit de regard sur tout usage de ses actifs informationnels, y compris l'utilisation des outils de collaboration par les médecins, résidents et externes.",
    Reach::Partial(
        "l'outil lit le journal des connexions ; la journalisation d'audit des boîtes et du locataire se vérifie à part"
    ),
    SIGNINS,
);
requirement!(
    DIR04_13,
    "DIR04-13",
    Dir04,
    "art. 13",
    "Preuve du respect de la directive en tout temps",
    "Le dirigeant de l'information peut requérir d'un établissement une preuve du respect de la directive en tout temps.",
    Reach::Partial(
        "la preuve vaut pour les nuits collectées et les éléments que l'outil voit ; les autres sont attestés"
    ),
    COVERAGE,
);
requirement!(
    DIR04_14,
    "DIR04-14",
    Dir04,
    "art. 14",
    "Reddition de compte annuelle",
    "L'ensemble des éléments de la directive fait l'objet d'une reddition de compte au dirigeant de l'information, minimalement dans le bilan de sécurité de l'information chaque année.",
    Reach::Partial(
        "ce bilan est la reddition de compte ; sa transmission est attestée par sa signature"
    ),
    COVERAGE,
);

// Orientation on generic subscriptions in CHSLD: technical recommendations, in its order.
requirement!(
    ORI_TEC_01,
    "ORI-TEC-01",
    Orientation,
    "recommandation technique 1",
    "Favoriser les abonnements nommés",
    "Favoriser l'utilisation d'abonnements nommés pour assurer la traçabilité des activités des cliniciens lorsque possible.",
    Reach::Partial(
        "l'outil compte les comptes génériques et leur répertoire, pas les raisons de leur usage"
    ),
    ACCOUNTS,
);
requirement!(
    ORI_TEC_02,
    "ORI-TEC-02",
    Orientation,
    "recommandation technique 2",
    "Circonscrire les abonnements génériques aux consultations virtuelles",
    "L'utilisation d'abonnements génériques devrait être circonscrite à un contexte de consultations virtuelles (avec ou sans patient).",
    Reach::Verifiable,
);
requirement!(
    ORI_TEC_03,
    "ORI-TEC-03",
    Orientation,
    "recommandation technique 3",
    "Consentement de l'usager couvrant l'abonnement générique",
    "S'assurer que le consentement de l'usager aux soins implique tous les intervenants de l'établissement qui auront accès à l'abonnement générique.",
    Reach::Outside("le consentement de l'usager est au dossier clinique, pas dans le locataire"),
);
requirement!(
    ORI_TEC_04,
    "ORI-TEC-04",
    Orientation,
    "recommandation technique 4",
    "Activer la MFA ; type « Appli » réservé aux applications",
    "Activer l'authentification à multiples facteurs ; le type compte de services (« Appli ») utilisé temporairement pour éviter la MFA est réservé aux applications, par exemple les systèmes de billetterie.",
    Reach::Verifiable,
    MFA_REGISTERED,
    MFA_POLICIES,
);
requirement!(
    ORI_TEC_05,
    "ORI-TEC-05",
    Orientation,
    "recommandation technique 5",
    "Associer une adresse IP fixe à l'abonnement générique",
    "Associer une adresse IP fixe à l'abonnement générique lorsque les outils technologiques le permettent.",
    Reach::Verifiable,
);
requirement!(
    ORI_TEC_06,
    "ORI-TEC-06",
    Orientation,
    "recommandation technique 6",
    "Restrictions technologiques sur l'équipement",
    "Appliquer des restrictions technologiques à l'équipement (par exemple le verrouillage automatique de l'appareil mobile au bout de quelques minutes).",
    Reach::Partial(
        "l'outil voit l'état géré ou conforme de l'appareil d'une connexion, pas sa configuration détaillée"
    ),
);
requirement!(
    ORI_TEC_07,
    "ORI-TEC-07",
    Orientation,
    "recommandation technique 7",
    "Chiffrer les données au repos sur l'équipement",
    "Chiffrer les données au repos sur l'équipement.",
    Reach::Partial(
        "l'outil voit la conformité déclarée de l'appareil, pas son chiffrement lui-même"
    ),
);
requirement!(
    ORI_TEC_08,
    "ORI-TEC-08",
    Orientation,
    "recommandation technique 8",
    "Éviter le téléchargement de documents sur l'équipement",
    "Éviter autant que possible le téléchargement de documents sur l'équipement.",
    Reach::Outside("les téléchargements sur l'équipement ne sont pas lus par l'outil"),
);
requirement!(
    ORI_TEC_09,
    "ORI-TEC-09",
    Orientation,
    "recommandation technique 9",
    "Limiter l'accès aux applications essentielles",
    "Limiter l'accès aux applications essentielles sur l'équipement comme Teams, OneDrive, SharePoint, tout en limitant la possibilité d'en installer de nouvelles.",
    Reach::Partial(
        "l'outil voit les applications auxquelles le compte se connecte, pas celles installées sur l'équipement"
    ),
);
requirement!(
    ORI_TEC_10,
    "ORI-TEC-10",
    Orientation,
    "recommandation technique 10",
    "Mot de passe sur les équipements",
    "Mettre un mot de passe sur les équipements de façon qu'ils soient accédés exclusivement par le personnel autorisé.",
    Reach::Partial("l'outil voit la conformité déclarée de l'appareil, pas son mot de passe"),
);
requirement!(
    ORI_TEC_11,
    "ORI-TEC-11",
    Orientation,
    "recommandation technique 11",
    "Sécurité physique des équipements (repérage)",
    "Assurer la sécurité physique des équipements par des outils de repérage lorsque disponibles (par exemple la radio-identification).",
    Reach::Outside("le repérage physique des équipements est hors du locataire"),
);
requirement!(
    ORI_TEC_12,
    "ORI-TEC-12",
    Orientation,
    "recommandation technique 12",
    "Journalisation des accès en tout temps",
    "Assurer la journalisation des accès en tout temps.",
    Reach::Partial(
        "l'outil lit le journal des connexions chaque nuit ; la journalisation d'audit se vérifie à part"
    ),
    SIGNINS,
);
// Organisational recommendations.
requirement!(
    ORI_ORG_01,
    "ORI-ORG-01",
    Orientation,
    "recommandation organisationnelle 1",
    "Analyse de risques",
    "Procéder à l'élaboration d'une analyse de risques impliquant les analyses d'impacts et des solutions de mitigation, avec notamment le responsable de la sécurité de l'information de l'établissement.",
    Reach::Outside("l'analyse de risques est un document de l'établissement"),
);
requirement!(
    ORI_ORG_02,
    "ORI-ORG-02",
    Orientation,
    "recommandation organisationnelle 2",
    "Sensibilisation des utilisateurs des abonnements génériques",
    "Le responsable de sécurité informatique procède à la sensibilisation sur l'utilisation éthique et sécuritaire des technologies mises à disposition des utilisateurs des abonnements génériques.",
    Reach::Outside("la sensibilisation ne laisse pas de trace dans le locataire"),
);
requirement!(
    ORI_ORG_03,
    "ORI-ORG-03",
    Orientation,
    "recommandation organisationnelle 3",
    "Répertoire des utilisateurs et mots de passe changés aux départs",
    "Tenir un répertoire des utilisateurs des abonnements génériques et associer sa gestion aux mouvements de personnel afin, notamment, de modifier les mots de passe lors du départ de professionnels ayant accès aux abonnements génériques.",
    Reach::Verifiable,
);
requirement!(
    ORI_ORG_04,
    "ORI-ORG-04",
    Orientation,
    "recommandation organisationnelle 4",
    "Saine gestion physique des équipements",
    "Assurer une saine gestion physique des équipements (ne pas les laisser sans surveillance dans les aires communes).",
    Reach::Outside("la garde des équipements est hors du locataire"),
);

// MSSS-DIR05.
requirement!(
    DIR05_TEAMS,
    "DIR05-TEAMS",
    Dir05,
    "orientations",
    "Teams en priorité pour les soins virtuels",
    "Les outils de O365, dont Teams, doivent être utilisés en priorité pour la prestation de soins virtuels.",
    Reach::Partial(
        "l'outil voit les applications des comptes génériques, pas les autres solutions de soins virtuels de l'établissement"
    ),
);

/// Every requirement, in the order of the accountability table.
pub static CATALOGUE: &[&Requirement] = &[
    &DIR04_6_1,
    &DIR04_6_2,
    &DIR04_6_3,
    &DIR04_6_4,
    &DIR04_6_5,
    &DIR04_7,
    &DIR04_8,
    &DIR04_9_1,
    &DIR04_9_2,
    &DIR04_9_3,
    &DIR04_9_4,
    &DIR04_12,
    &DIR04_13,
    &DIR04_14,
    &ORI_TEC_01,
    &ORI_TEC_02,
    &ORI_TEC_03,
    &ORI_TEC_04,
    &ORI_TEC_05,
    &ORI_TEC_06,
    &ORI_TEC_07,
    &ORI_TEC_08,
    &ORI_TEC_09,
    &ORI_TEC_10,
    &ORI_TEC_11,
    &ORI_TEC_12,
    &ORI_ORG_01,
    &ORI_ORG_02,
    &ORI_ORG_03,
    &ORI_ORG_04,
    &DIR05_TEAMS,
];

/// Version of the catalogue, printed in the signature block: bumped when a requirement is
/// added, removed or reworded.
pub const VERSION: &str = "2026.1";

/// The requirement with that id.
pub fn get(id: &str) -> Option<&'static Requirement> {
    CATALOGUE.iter().copied().find(|r| r.id == id)
}

/// Every id, in catalogue order (what an `[[attestations]]` entry may name).
pub fn ids() -> Vec<&'static str> {
    CATALOGUE.iter().map(|r| r.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_element_of_dir04_is_there() {
        let mut ids = ids();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate requirement id");
        for id in [
            "DIR04-6-1",
            "DIR04-6-2",
            "DIR04-6-3",
            "DIR04-6-4",
            "DIR04-6-5",
            "DIR04-7",
            "DIR04-8",
            "DIR04-9-1",
            "DIR04-9-2",
            "DIR04-9-3",
            "DIR04-9-4",
            "DIR04-12",
            "DIR04-13",
            "DIR04-14",
            "DIR05-TEAMS",
        ] {
            assert!(get(id).is_some(), "{id}");
        }
        // The orientation: 12 technical and 4 organisational recommendations.
        assert_eq!(ids.iter().filter(|i| i.starts_with("ORI-TEC-")).count(), 12);
        assert_eq!(ids.iter().filter(|i| i.starts_with("ORI-ORG-")).count(), 4);
    }

    #[test]
    fn outside_and_partial_say_what_the_tool_cannot_see() {
        for r in CATALOGUE {
            match r.reach {
                Reach::Partial(why) | Reach::Outside(why) => assert!(!why.is_empty(), "{}", r.id),
                Reach::Verifiable => {}
            }
            assert!(!r.title_fr.is_empty() && !r.text_fr.is_empty(), "{}", r.id);
        }
    }
}
