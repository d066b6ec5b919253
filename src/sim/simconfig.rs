//! The configuration the simulator prints (same format as `vigie365.exemple.toml`) and the
//! values the ground truth evaluates with. One struct feeds both, so they cannot disagree.

use std::fmt::Write as _;
use std::path::Path;

use chrono::NaiveDate;

use super::scenario::{self, S, Scenario, TENANT_DOMAIN};

/// An accepted risk of the printed config.
#[derive(Clone, Debug)]
pub(crate) struct Exception {
    pub controle: &'static str,
    pub sujet: String,
    pub justification: &'static str,
    pub responsable: &'static str,
    pub expiration: NaiveDate,
}

/// A declared partner domain of the printed config (`[[partenaires]]`).
#[derive(Clone, Debug)]
pub(crate) struct PartnerDecl {
    pub domaine: &'static str,
    pub justification: &'static str,
    pub responsable: &'static str,
    pub expiration: NaiveDate,
}

/// `generique_nom` and `generique_upn`: a device word anywhere, followed by its number or a
/// care place, or a shared workstation (the tool's defaults, written again here).
const GENERIC_PATTERNS: &[&str] = &[
    r"(?i)(?:^|[^\p{L}\p{N}])(?:tablette|tablet|ipad|iphone|t[ée]l[ée]phone|smartphone|cellulaire|portable|laptop)(?:[\s\-–_#:.]*(?:n[o°º]\.?\s*)?\d|[\s\-–_#:.]+(?:chsld|soins|unit[ée]|[ée]tage|ltc|ward|site)(?:[^\p{L}\p{N}]|$))",
    r"(?i)(?:^|[^\p{L}\p{N}])(?:poste|appareil|[ée]quipement|ordinateur|tablette|ipad)[\s\-_.]+partag[ée]e?(?:[^\p{L}\p{N}]|$)",
    r"(?i)(?:^|[^\p{L}\p{N}])shared[\s\-_.]+(?:ipad|tablet|device|laptop|phone|computer|workstation)(?:[^\p{L}\p{N}]|$)",
];

/// The evaluation settings of the printed config.
#[derive(Clone, Debug)]
pub(crate) struct PrintedConfig {
    pub generique_nom: Vec<&'static str>,
    pub generique_upn: Vec<&'static str>,
    pub generique_valeurs: Vec<&'static str>,
    pub appli_nom: Vec<&'static str>,
    pub appli_upn: Vec<&'static str>,
    pub appli_valeurs: Vec<&'static str>,
    pub urgence: Vec<String>,
    pub medecin_upn: Vec<&'static str>,
    /// `medecin_courriel`: on `mail` and each SMTP proxy address.
    pub medecin_courriel: Vec<&'static str>,
    /// `medecin_groupes`: the physicians' group (id).
    pub medecin_groupes: Vec<String>,
    /// `medecin_attribut`: (attribute, pattern).
    pub medecin_attribut: (&'static str, &'static str),
    pub applications_permises: Vec<&'static str>,
    pub plages_ip: Vec<String>,
    pub age_max_jours: i64,
    /// `[[generiques.sites]]`: (motif, plages).
    pub sites: Vec<(String, Vec<String>)>,
    /// `[appli] clients_permis`: (UPN, clients).
    pub clients_permis: Vec<(String, Vec<&'static str>)>,
    /// `[domaines].reseau`: each domain with its subdomains.
    pub reseau: Vec<&'static str>,
    pub internes: Vec<&'static str>,
    pub partenaires: Vec<PartnerDecl>,
    pub exceptions: Vec<Exception>,
    pub fenetre_jours: i64,
}

/// Limits printed in `[limites]` (already multiplied by the time scale).
#[derive(Clone, Debug)]
pub(crate) struct PrintedLimits {
    pub annuaire_unites_par_10s: u64,
    pub activite_connexion_par_minute: u64,
    pub rapports_par_10s: u64,
    pub acces_conditionnel_par_s: u64,
    pub outlook_simultanees_par_boite: u64,
    pub exchange_par_s: u64,
}

impl PrintedConfig {
    pub(crate) fn new(sc: &Scenario) -> Self {
        let upn = |k: S| {
            sc.account(scenario::idx(k), 400)
                .map(|a| a.upn.to_lowercase())
                .unwrap_or_default()
        };
        let sites = sc
            .sites
            .iter()
            .filter(|s| s.configured)
            .map(|s| {
                (
                    format!("(?i)CHSLD de {}", regex::escape(s.name)),
                    vec![s.cidr.clone()],
                )
            })
            .collect();
        let start = sc.start;
        let nath_rule = sc
            .account(scenario::idx(S::NathalieOuellet), 0)
            .map(|a| {
                let rules = sc.inbox_rules(&a, 0);
                format!(
                    "{}#regle:{}>n.ouellet@consultants-sante.com",
                    a.upn.to_lowercase(),
                    rules.first().map(|r| r.id.clone()).unwrap_or_default()
                )
            })
            .unwrap_or_default();
        PrintedConfig {
            generique_nom: GENERIC_PATTERNS.to_vec(),
            generique_upn: GENERIC_PATTERNS.to_vec(),
            generique_valeurs: vec!["Generique", "Générique"],
            appli_nom: vec![r"(?i)^appli\b", r"(?i)\bappli$"],
            appli_upn: vec![r"(?i)^(svc|appli)[-_.]"],
            appli_valeurs: vec!["Appli"],
            urgence: vec![upn(S::Urgence01), upn(S::Urgence02)],
            medecin_upn: vec![r"(?i)\.med@"],
            medecin_courriel: vec![r"(?i)\.med@"],
            medecin_groupes: vec![super::hash::object_id(
                sc.seed,
                super::hash::kind::GROUP,
                scenario::G_MED as u32,
            )],
            medecin_attribut: ("extensionAttribute4", r"(?i)^(médecin|résident|externe)"),
            applications_permises: super::names::GENERIC_ALLOWED.to_vec(),
            plages_ip: vec![],
            age_max_jours: 365,
            sites,
            clients_permis: vec![
                (upn(S::SvcTelesante2), vec!["Microsoft Teams"]),
                (upn(S::SvcBilletterie), vec!["Billetterie Octopus", "IMAP4"]),
            ],
            reseau: vec!["ssss.gouv.qc.ca", "msss.gouv.qc.ca"],
            internes: vec![],
            partenaires: vec![PartnerDecl {
                domaine: scenario::PARTNER_DOMAIN,
                justification: "Entente de garde partagée entre les deux établissements",
                responsable: "Direction des services professionnels, É. Lavoie",
                expiration: start + chrono::Duration::days(20),
            }],
            exceptions: vec![
                Exception {
                    controle: "GEN-MFA-01",
                    sujet: upn(S::TabVerdun3),
                    justification: "Tablette en remplacement, MFA prévue au déploiement MDM",
                    responsable: "RSI, J. Tremblay",
                    expiration: start + chrono::Duration::days(10),
                },
                Exception {
                    controle: "APP-MFA-01",
                    sujet: upn(S::JulieGagnon),
                    justification: "Médecin-conseil sans téléphone professionnel, jeton matériel commandé",
                    responsable: "Direction des ressources informationnelles, M. Gagné",
                    expiration: start + chrono::Duration::days(454),
                },
                Exception {
                    controle: "FWD-EXT-01",
                    sujet: nath_rule,
                    justification: "Mandat d'évaluation externe encadré par une entente de confidentialité",
                    responsable: "Commissaire aux plaintes, N. Ouellet",
                    expiration: start + chrono::Duration::days(364),
                },
            ],
            fenetre_jours: 7,
        }
    }
}

pub(super) fn q(s: &str) -> String {
    // TOML basic string.
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn lit(s: &str) -> String {
    // TOML literal string (regexes), as in the example file.
    format!("'{}'", s)
}

pub(super) fn list<T: AsRef<str>>(items: &[T], f: fn(&str) -> String) -> String {
    let v: Vec<String> = items.iter().map(|s| f(s.as_ref())).collect();
    format!("[{}]", v.join(", "))
}

/// Everything the printed config needs besides the evaluation settings.
pub(crate) struct ConfigPaths<'a> {
    pub base_url: &'a str,
    pub secret: &'a str,
    pub dir: &'a Path,
}

/// Whose configuration a file is: the establishment's name and the files it names.
pub(crate) struct Owner {
    /// `[locataire] etablissement`.
    pub name: String,
    /// File name stem of its database and outputs (`vigie365`: `vigie365.sqlite`,
    /// `sorties`), `None` for the single establishment's names.
    pub stem: Option<String>,
    /// File name of its register of generic accounts.
    pub register: String,
}

impl Owner {
    /// The single establishment of a tenant, with the file names of before.
    pub(crate) fn tenant(sc: &Scenario) -> Self {
        Owner {
            name: sc.establishment(),
            stem: None,
            register: "registre-generiques.csv".into(),
        }
    }
}

/// Renders the configuration file.
pub(crate) fn render(
    sc: &Scenario,
    cfg: &PrintedConfig,
    limits: &PrintedLimits,
    paths: &ConfigPaths<'_>,
) -> String {
    render_for(sc, cfg, limits, paths, &Owner::tenant(sc))
}

/// Renders the configuration file of `owner`.
pub(crate) fn render_for(
    sc: &Scenario,
    cfg: &PrintedConfig,
    limits: &PrintedLimits,
    paths: &ConfigPaths<'_>,
    owner: &Owner,
) -> String {
    let dir = paths.dir.display().to_string();
    let mut t = String::new();
    write_connection(&mut t, sc, paths, &dir, owner);
    write_collection(&mut t);
    write_classification(&mut t, cfg, &dir, &owner.register);
    write_generics_and_applis(&mut t, cfg);
    write_evaluation_and_domains(&mut t, cfg);
    write_exceptions(&mut t, cfg);
    write_limits(&mut t, limits);
    let _ = writeln!(t, "[rapport]");
    write_attestations(&mut t);
    t
}

/// Two `[[attestations]]` for elements outside the tool's reach (the others stay
/// « attestation à fournir » in the demo's bilan).
fn write_attestations(t: &mut String) {
    for (id, text, date) in [
        (
            "DIR04-9-4",
            "Les sites de messagerie publique (Gmail, Outlook.com, Yahoo Mail) sont bloqués par le filtrage web du pare-feu de l'établissement depuis 2021 ; règle revue chaque trimestre.",
            "2025-03-15",
        ),
        (
            "DIR04-8",
            "Les incidents sont déclarés au centre de services selon la procédure MSSS-DIR01 ; registre des déclarations tenu par la sécurité de l'information.",
            "2025-03-15",
        ),
    ] {
        let _ = writeln!(t, "\n[[attestations]]");
        let _ = writeln!(t, "exigence = {}", q(id));
        let _ = writeln!(t, "texte = {}", q(text));
        let _ = writeln!(
            t,
            "responsable = {}",
            q("Responsable de la sécurité de l'information")
        );
        let _ = writeln!(t, "date = {date}");
    }
}

/// Header, `[locataire]`, `[identifiants]`, `[points_de_terminaison]` and `[stockage]`.
fn write_connection(
    t: &mut String,
    sc: &Scenario,
    paths: &ConfigPaths<'_>,
    dir: &str,
    owner: &Owner,
) {
    let _ = writeln!(
        t,
        "# vigie365 — configuration écrite par « vigie365 sim » (locataire simulé, graine {}, {} comptes).",
        sc.seed, sc.accounts
    );
    let _ = writeln!(
        t,
        "# Contient le secret du simulateur en clair : fichier en mode 0600.\n"
    );
    let _ = writeln!(t, "[locataire]");
    let _ = writeln!(t, "tenant_id = {}", q(&sc.tenant_id));
    let _ = writeln!(t, "domaine = {}", q(TENANT_DOMAIN));
    let _ = writeln!(t, "client_id = {}", q(&sc.client_id));
    let _ = writeln!(t, "etablissement = {}\n", q(&owner.name));
    let _ = writeln!(t, "[identifiants]");
    let _ = writeln!(t, "secret = {}\n", q(paths.secret));
    let _ = writeln!(t, "[points_de_terminaison]");
    let _ = writeln!(t, "autorite = {}", q(paths.base_url));
    let _ = writeln!(t, "graph = {}", q(paths.base_url));
    let _ = writeln!(t, "exchange = {}\n", q(paths.base_url));
    let _ = writeln!(t, "[stockage]");
    let (base, sorties) = match &owner.stem {
        None => ("vigie365.sqlite".to_string(), "sorties".to_string()),
        Some(stem) => (format!("{stem}.sqlite"), format!("sorties-{stem}")),
    };
    let _ = writeln!(t, "base = {}", q(&format!("{}/{}", dir, base)));
    let _ = writeln!(t, "sorties = {}\n", q(&format!("{}/{}", dir, sorties)));
}

/// `[conservation]` and `[collecte]`: fixed values.
fn write_collection(t: &mut String) {
    let _ = writeln!(t, "[conservation]");
    let _ = writeln!(t, "connexions_brutes_jours = 90");
    let _ = writeln!(t, "donnees_jours = 400\n");
    let _ = writeln!(t, "[collecte]");
    let _ = writeln!(t, "historique_premiere_nuit_jours = 30");
    let _ = writeln!(t, "chevauchement_minutes = 120");
    let _ = writeln!(t, "lots_simultanes = 8");
    let _ = writeln!(t, "activite_connexion = \"visés\"");
    let _ = writeln!(t, "activite_connexion_rotation_nuits = 7");
    let _ = writeln!(t, "comptes_suivis = []\n");
}

/// `[classification]`.
fn write_classification(t: &mut String, cfg: &PrintedConfig, dir: &str, register: &str) {
    let _ = writeln!(t, "[classification]");
    let _ = writeln!(t, "generique_nom = {}", list(&cfg.generique_nom, lit));
    let _ = writeln!(t, "generique_upn = {}", list(&cfg.generique_upn, lit));
    let _ = writeln!(t, "generique_groupes = []");
    let _ = writeln!(
        t,
        "generique_attribut = {{ nom = \"employeeType\", valeurs = {} }}",
        list(&cfg.generique_valeurs, q)
    );
    let _ = writeln!(t, "appli_nom = {}", list(&cfg.appli_nom, lit));
    let _ = writeln!(t, "appli_upn = {}", list(&cfg.appli_upn, lit));
    let _ = writeln!(t, "appli_groupes = []");
    let _ = writeln!(
        t,
        "appli_attribut = {{ nom = \"employeeType\", valeurs = {} }}",
        list(&cfg.appli_valeurs, q)
    );
    let _ = writeln!(t, "urgence = {}", list(&cfg.urgence, q));
    let _ = writeln!(t, "medecin_upn = {}", list(&cfg.medecin_upn, lit));
    let _ = writeln!(t, "medecin_courriel = {}", list(&cfg.medecin_courriel, lit));
    let _ = writeln!(t, "medecin_groupes = {}", list(&cfg.medecin_groupes, q));
    let _ = writeln!(
        t,
        "medecin_attribut = {{ nom = {}, motif = {} }}",
        q(cfg.medecin_attribut.0),
        lit(cfg.medecin_attribut.1)
    );
    let _ = writeln!(t, "registre = {}\n", q(&format!("{}/{}", dir, register)));
}

/// `[generiques]` with its `[[generiques.sites]]`, and `[appli]`.
fn write_generics_and_applis(t: &mut String, cfg: &PrintedConfig) {
    let _ = writeln!(t, "[generiques]");
    let _ = writeln!(
        t,
        "applications_permises = {}",
        list(&cfg.applications_permises, q)
    );
    let _ = writeln!(t, "plages_ip = {}", list(&cfg.plages_ip, q));
    let _ = writeln!(t, "age_max_mot_de_passe_jours = {}", cfg.age_max_jours);
    for (motif, plages) in &cfg.sites {
        let _ = writeln!(t, "\n[[generiques.sites]]");
        let _ = writeln!(t, "motif = {}", q(motif));
        let _ = writeln!(t, "plages_ip = {}", list(plages, q));
    }
    let _ = writeln!(t, "\n[appli]");
    let clients: Vec<String> = cfg
        .clients_permis
        .iter()
        .map(|(u, c)| format!("{} = {}", q(u), list(c, q)))
        .collect();
    let _ = writeln!(t, "clients_permis = {{ {} }}\n", clients.join(", "));
}

/// `[evaluation]` and `[domaines]`.
fn write_evaluation_and_domains(t: &mut String, cfg: &PrintedConfig) {
    let _ = writeln!(t, "[evaluation]");
    let _ = writeln!(t, "fenetre_connexions_jours = {}", cfg.fenetre_jours);
    let _ = writeln!(t, "fuseau = \"America/Montreal\"\n");
    let _ = writeln!(t, "[domaines]");
    let _ = writeln!(t, "reseau = {}", list(&cfg.reseau, q));
    let _ = writeln!(t, "internes = {}", list(&cfg.internes, q));
    let _ = writeln!(t, "publics_ajout = []");
    let _ = writeln!(t, "publics_retrait = []");
    for p in &cfg.partenaires {
        let _ = writeln!(t, "\n[[partenaires]]");
        let _ = writeln!(t, "domaine = {}", q(p.domaine));
        let _ = writeln!(t, "justification = {}", q(p.justification));
        let _ = writeln!(t, "responsable = {}", q(p.responsable));
        let _ = writeln!(t, "expiration = {}", p.expiration.format("%Y-%m-%d"));
    }
}

/// One `[[exceptions]]` table per accepted risk.
fn write_exceptions(t: &mut String, cfg: &PrintedConfig) {
    for e in &cfg.exceptions {
        let _ = writeln!(t, "\n[[exceptions]]");
        let _ = writeln!(t, "controle = {}", q(e.controle));
        let _ = writeln!(t, "sujet = {}", q(&e.sujet));
        let _ = writeln!(t, "justification = {}", q(e.justification));
        let _ = writeln!(t, "responsable = {}", q(e.responsable));
        let _ = writeln!(t, "expiration = {}", e.expiration.format("%Y-%m-%d"));
    }
}

/// `[limites]`, already scaled.
fn write_limits(t: &mut String, limits: &PrintedLimits) {
    let _ = writeln!(t, "\n[limites]");
    let _ = writeln!(
        t,
        "# Limites publiées (GRAPH-NOTES), multipliées par le facteur d'accélération du simulateur."
    );
    let _ = writeln!(
        t,
        "annuaire_unites_par_10s = {}",
        limits.annuaire_unites_par_10s
    );
    let _ = writeln!(
        t,
        "activite_connexion_par_minute = {}",
        limits.activite_connexion_par_minute
    );
    let _ = writeln!(t, "rapports_par_10s = {}", limits.rapports_par_10s);
    let _ = writeln!(
        t,
        "acces_conditionnel_par_s = {}",
        limits.acces_conditionnel_par_s
    );
    let _ = writeln!(
        t,
        "outlook_simultanees_par_boite = {}",
        limits.outlook_simultanees_par_boite
    );
    let _ = writeln!(t, "exchange_par_s = {}", limits.exchange_par_s);
    let _ = writeln!(t, "tentatives_max = 6\n");
}
