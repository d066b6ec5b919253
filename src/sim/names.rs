//! Word lists of the scenario: Québec first and last names, CHSLD sites, applications.

pub(crate) const FIRST: &[&str] = &[
    "Marie",
    "Jean",
    "Pierre",
    "Julie",
    "Sophie",
    "Isabelle",
    "Nathalie",
    "Martin",
    "Luc",
    "Sylvie",
    "Chantal",
    "Stéphane",
    "Éric",
    "Mélanie",
    "Geneviève",
    "François",
    "Alain",
    "Daniel",
    "Karine",
    "Josée",
    "Annie",
    "Caroline",
    "Catherine",
    "Mathieu",
    "Simon",
    "Patrick",
    "Nicolas",
    "Louis",
    "Guillaume",
    "Émilie",
    "Valérie",
    "Véronique",
    "Marc",
    "Michel",
    "André",
    "Claude",
    "Denis",
    "Richard",
    "Robert",
    "Yves",
    "Sébastien",
    "Maxime",
    "Alexandre",
    "Jonathan",
    "Kevin",
    "Audrey",
    "Camille",
    "Léa",
    "Chloé",
    "Gabriel",
    "Samuel",
    "William",
    "Olivier",
    "Félix",
    "Raphaël",
    "Jérôme",
    "Benoît",
    "Hélène",
    "Lucie",
    "Manon",
    "Diane",
    "Johanne",
    "Lise",
    "Nicole",
    "Carole",
    "Ginette",
    "Francine",
    "Danielle",
    "Louise",
    "Suzanne",
    "Amélie",
    "Marie-Ève",
    "Marie-Claude",
    "Anne-Marie",
    "Jean-François",
    "Jean-Philippe",
    "Pier-Luc",
    "Frédéric",
    "Vincent",
    "Hugo",
    "Mélissa",
    "Stéphanie",
    "Vanessa",
    "Jessica",
    "Sarah",
    "Noémie",
    "Rosalie",
    "Justine",
    "Laurence",
    "Zoé",
    "Thomas",
    "Antoine",
    "Étienne",
    "Charles",
    "Philippe",
    "Sylvain",
    "Carl",
    "Dominic",
    "Yannick",
    "Fatima",
    "Mohamed",
    "Amina",
    "Linh",
    "Priya",
    "Carlos",
    "Ana",
];

pub(crate) const LAST: &[&str] = &[
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagné",
    "Ouellet",
    "Pelletier",
    "Bélanger",
    "Lévesque",
    "Bergeron",
    "Leblanc",
    "Paquette",
    "Girard",
    "Simard",
    "Boucher",
    "Caron",
    "Beaulieu",
    "Cloutier",
    "Dubé",
    "Poirier",
    "Fournier",
    "Lapointe",
    "Leclerc",
    "Lefebvre",
    "Poulin",
    "Thibault",
    "Nadeau",
    "Martin",
    "Landry",
    "Martel",
    "Bédard",
    "Grenier",
    "Lessard",
    "Bernier",
    "Richard",
    "Michaud",
    "Hébert",
    "Desjardins",
    "Couture",
    "Turcotte",
    "Lachance",
    "Parent",
    "Blais",
    "Gosselin",
    "Savard",
    "Proulx",
    "Beaudoin",
    "Demers",
    "Perron",
    "Boudreau",
    "Lemieux",
    "Cyr",
    "Perreault",
    "Dufour",
    "Dion",
    "Mercier",
    "Bolduc",
    "Bérubé",
    "Boisvert",
    "Langlois",
    "Ménard",
    "Therrien",
    "Plante",
    "Bilodeau",
    "Blanchette",
    "Dussault",
    "Paradis",
    "Fortier",
    "Vachon",
    "Arsenault",
    "Dupuis",
    "Gingras",
    "Guay",
    "Labbé",
    "Vézina",
    "Giroux",
    "Carrier",
    "Champagne",
    "Lalonde",
    "Desrosiers",
    "Houle",
    "Benoit",
    "Lacroix",
    "Charbonneau",
    "Laroche",
    "Drouin",
    "Rousseau",
    "Lepage",
    "Deschênes",
    "Tessier",
    "Ouellette",
    "Labelle",
    "Sirois",
    "Nguyen",
    "Haddad",
];

/// CHSLD sites; the first five are used by the scripted accounts.
pub(crate) const SITES: &[&str] = &[
    "Verdun",
    "Lachine",
    "Saint-Laurent",
    "LaSalle",
    "Dorval",
    "Pierrefonds",
    "Côte-Saint-Luc",
    "Saint-Henri",
    "Rosemont",
    "Anjou",
    "Montréal-Nord",
    "Ahuntsic",
    "Saint-Léonard",
    "Rivière-des-Prairies",
    "Pointe-aux-Trembles",
    "Hochelaga",
    "Outremont",
    "Longueuil",
    "Brossard",
    "Boucherville",
    "Laval",
    "Terrebonne",
    "Repentigny",
    "Joliette",
    "Saint-Jérôme",
    "Blainville",
    "Châteauguay",
    "Salaberry-de-Valleyfield",
    "Vaudreuil-Dorion",
    "Granby",
    "Sherbrooke",
    "Magog",
    "Drummondville",
    "Victoriaville",
    "Trois-Rivières",
    "Shawinigan",
    "Gatineau",
    "Rimouski",
    "Matane",
    "Gaspé",
    "Sept-Îles",
    "Baie-Comeau",
    "Chicoutimi",
    "Jonquière",
    "Alma",
    "Roberval",
    "Rouyn-Noranda",
    "Val-d'Or",
    "Amos",
    "Lévis",
    "Beauport",
    "Charlesbourg",
    "Sainte-Foy",
    "Limoilou",
    "Thetford Mines",
    "Saint-Georges",
    "Montmagny",
    "Rivière-du-Loup",
    "Sorel-Tracy",
    "Saint-Hyacinthe",
];

/// Services used for « Appli » accounts and shared mailboxes.
pub(crate) const SERVICES: &[&str] = &[
    "Billetterie",
    "Gestion des lits",
    "Pharmacie",
    "Laboratoire",
    "Imagerie",
    "Paie",
    "Rendez-vous",
    "Numérisation",
    "Télécopie",
    "Archives",
    "Admissions",
    "Approvisionnement",
];

/// Folds French accents and drops everything but ASCII letters, digits, '.', '-'.
pub(crate) fn ascii_slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let m = match c {
            'à' | 'â' | 'ä' | 'À' | 'Â' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
            'î' | 'ï' | 'Î' => 'i',
            'ô' | 'ö' | 'Ô' => 'o',
            'ù' | 'û' | 'ü' | 'Û' => 'u',
            'ç' | 'Ç' => 'c',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            '-' => '-',
            _ => continue,
        };
        out.push(m);
    }
    out
}

/// Site slug for UPNs: letters only ("Saint-Laurent" → "saintlaurent").
pub(crate) fn site_slug(site: &str) -> String {
    ascii_slug(site).replace('-', "")
}

/// An application as it appears in sign-in logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct App {
    pub id: &'static str,
    pub name: &'static str,
    pub resource: &'static str,
}

const fn app(id: &'static str, name: &'static str, resource: &'static str) -> App {
    App { id, name, resource }
}

/// The applications, one a row: id, display name, resource.
#[rustfmt::skip]
mod apps {
    use super::{App, app};

    pub(crate) const TEAMS:          App = app("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams",                 "Microsoft Teams Services");
    pub(crate) const TEAMS_WEB:      App = app("5e3ce6c0-2b1f-4285-8d4b-75ee78787346", "Microsoft Teams Web Client",      "Microsoft Teams Services");
    pub(crate) const BROKER:         App = app("29d9ed98-a469-4536-ade2-f981bc1d605e", "Microsoft Authentication Broker", "Microsoft Graph");
    pub(crate) const EXCHANGE:       App = app("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online",      "Office 365 Exchange Online");
    pub(crate) const OFFICE_HOME:    App = app("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome",                      "Office 365 SharePoint Online");
    pub(crate) const OUTLOOK_MOBILE: App = app("27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile",                  "Office 365 Exchange Online");
    pub(crate) const SHAREPOINT:     App = app("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online",    "Office 365 SharePoint Online");
    pub(crate) const ONEDRIVE:       App = app("ab9b8c07-8f02-4f72-87fa-80105867a763", "OneDrive SyncEngine",             "Office 365 SharePoint Online");
    pub(crate) const AZURE_PORTAL:   App = app("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal",                    "Windows Azure Service Management API");
    pub(crate) const BILLETTERIE:    App = app("7d1f5a3e-2c44-4b8e-9a61-0e2f4c8b9d17", "Billetterie Octopus",             "Microsoft Graph");
    pub(crate) const LITS:           App = app("b2e94c71-6a0d-4f3b-8c25-51d7e0a9f3c4", "Connecteur Gestion des lits",     "Office 365 Exchange Online");
    pub(crate) const PHARMA:         App = app("e8c3a9d5-4f17-4b62-a0d8-93c15e7b2f60", "Connecteur Pharmacie",            "Office 365 Exchange Online");
}
pub(crate) use apps::*;

/// The application of this display name, among those the simulator knows.
pub(crate) fn known_app(name: &str) -> Option<App> {
    [
        TEAMS,
        TEAMS_WEB,
        BROKER,
        EXCHANGE,
        OFFICE_HOME,
        OUTLOOK_MOBILE,
        SHAREPOINT,
        ONEDRIVE,
        AZURE_PORTAL,
        BILLETTERIE,
        LITS,
        PHARMA,
    ]
    .into_iter()
    .find(|a| a.name.eq_ignore_ascii_case(name.trim()))
}

/// Applications a generic device account is allowed to use (printed in the config), by
/// appId: Teams, OneDrive, SharePoint and their sign-in dependencies (the tool's defaults,
/// written again here so that a wrong default is not echoed by the simulator).
pub(crate) const GENERIC_ALLOWED: &[&str] = &[
    "1fec8e78-bce4-4aaf-ab1b-5451cc387264", // Microsoft Teams
    "5e3ce6c0-2b1f-4285-8d4b-75ee78787346", // Microsoft Teams Web Client
    "b26aadf8-566f-4478-926f-589f601d9c74", // OneDrive
    "ab9b8c07-8f02-4f72-87fa-80105867a763", // OneDrive SyncEngine
    "af124e86-4e96-495a-b70a-90f90ab96707", // OneDrive iOS App
    "00000003-0000-0ff1-ce00-000000000000", // Office 365 SharePoint Online
    "d326c1ce-6cc6-4de2-bebc-4591e5e13ef0", // SharePoint
    "29d9ed98-a469-4536-ade2-f981bc1d605e", // Microsoft Authentication Broker
    "4813382a-8fa7-425e-ab75-3b753aab3abb", // Microsoft Authenticator App
    "9ba1a5c7-f17a-4de9-a1f1-6178c8d51223", // Microsoft Intune Company Portal
    "d4ebce55-015a-49b5-a083-c84d1797ae8c", // Microsoft Intune Enrollment
    "0000000a-0000-0000-c000-000000000000", // Microsoft Intune
    "89bee1f7-5e6e-4d8a-9f3d-ecd601259da7", // Office365 Shell WCSS-Client
];

/// Public webmail domains used as forwarding targets.
pub(crate) const PUBLIC_TARGETS: &[&str] = &[
    "gmail.com",
    "hotmail.com",
    "outlook.com",
    "yahoo.ca",
    "icloud.com",
    "videotron.ca",
    "live.ca",
    "proton.me",
    "hotmail.fr",
];

/// External, non-public domains used as forwarding targets.
pub(crate) const EXTERNAL_TARGETS: &[&str] = &[
    "consultants-sante.com",
    "clinique-familiale-rive.ca",
    "labo-prive.com",
    "groupe-conseil-tri.ca",
];
