//! Values, one rule at a time: endpoints, types, unknown and misplaced keys, enumerations,
//! ranges, CIDRs, paths, exceptions, domains, attributes, syntax errors and defaults.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use vigie365::config::{
    self, Code, Config, DirectoryAttribute, DomainPattern, LoadOptions, SignInActivity,
};

mod common;

use common::config_text::{EXTRA_LINE, HEAD, codes, err, ok, options};

#[test]
fn minimal_configuration_gets_every_default() {
    let c = ok("");
    assert_eq!(c.endpoints.graph.as_str(), "https://graph.microsoft.com/");
    assert_eq!(
        c.endpoints.exchange.as_str(),
        "https://outlook.office365.com/"
    );
    assert_eq!(c.retention.raw_sign_ins_days, 90);
    assert_eq!(c.retention.personal_data_days, 400);
    assert_eq!(c.evaluation.window_days, 7);
    assert_eq!(c.evaluation.timezone, chrono_tz::America::Montreal);
    assert_eq!(c.limits.exchange_per_s.get(), 5);
    assert_eq!(c.generic.max_password_age_days, 365);
    assert!(
        c.classification
            .generic
            .display_name
            .iter()
            .any(|r| r.is_match("Tablette 1 CHSLD de Verdun"))
    );
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

#[test]
fn for_tests_is_a_usable_configuration() {
    let mut c = Config::for_tests();
    c.endpoints.graph = url::Url::parse("http://127.0.0.1:9999").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.tenant.tenant_id.to_string().len(), 36);
    assert_eq!(c.collection.concurrent_batches.get(), 8);
}

#[test]
fn http_is_accepted_only_towards_loopback() {
    for url in [
        "http://127.0.0.1:8080",
        "http://127.5.6.7",
        "http://[::1]:9000",
        "http://localhost:3000/",
        "https://graph.microsoft.com",
        "https://graph.microsoft.com/",
    ] {
        let c = ok(&format!("[points_de_terminaison]\ngraph = \"{url}\""));
        assert_eq!(
            c.endpoints.graph.as_str().trim_end_matches('/'),
            url.trim_end_matches('/')
        );
    }
    for (url, expected) in [
        ("http://10.0.0.1", "http:// refusé vers « 10.0.0.1 »"),
        ("http://localhost.example.com", "http:// refusé"),
        ("http://128.0.0.1", "http:// refusé"),
        ("ftp://graph.microsoft.com", "schéma « ftp » refusé"),
        ("graph.microsoft.com", "schéma manquant"),
        ("https://graph.microsoft.com/?x=1", "ni « ?… » ni « #… »"),
    ] {
        let e = err(&format!("[points_de_terminaison]\ngraph = \"{url}\""));
        assert_eq!(e.len(), 1, "{url}: {e}");
        let d = &e.diagnostics[0];
        assert_eq!((d.code, d.line, d.column), (Code::InvalidEndpoint, 11, 9));
        assert!(d.message_fr.contains(expected), "{url}: {}", d.message_fr);
    }
    // A password in a URL is refused and never echoed.
    let e = err(
        "[points_de_terminaison]\nautorite = \"https://moi:Pa55w0rd@login.microsoftonline.com\"",
    );
    let shown = e.to_string();
    assert!(
        shown.contains("nom d'utilisateur ou un mot de passe"),
        "{shown}"
    );
    assert!(!shown.contains("Pa55w0rd"), "{shown}");
}

#[test]
fn wrong_types_are_named() {
    let e = err("[collecte]\nlots_simultanes = \"8\"\ncomptes_suivis = \"a@b.ca\"");
    let shown = e.to_string();
    assert!(
        shown.contains(
            "type incorrect pour « collecte.lots_simultanes » : attendu : un nombre entier, \
             trouvé : une chaîne de caractères"
        ),
        "{shown}"
    );
    assert!(
        shown.contains(
            "correctif : écrire un nombre entier, sans guillemets : lots_simultanes = 90"
        )
    );
    assert!(shown.contains("attendu : une liste, trouvé : une chaîne de caractères"));
    assert_eq!(
        codes("[collecte]\nlots_simultanes = \"8\""),
        vec![(2, Code::WrongType)]
    );
    // A section written as a value (before any header, so at the root).
    let text = format!("evaluation = 7\n{HEAD}");
    let e = Config::from_toml_str(&text, "v.toml", &options()).err();
    let d = e
        .as_ref()
        .map(|e| (e.len(), e.diagnostics[0].line, e.diagnostics[0].code));
    assert_eq!(d, Some((1, 1, Code::WrongType)));
    // [exceptions] instead of [[exceptions]].
    let e = err("[exceptions]\ncontrole = \"GEN-MFA-01\"");
    assert!(
        e.to_string()
            .contains("en-tête [ ] simple au lieu de [[ ]]"),
        "{e}"
    );
}

#[test]
fn unknown_and_misplaced_keys_are_explained() {
    let e = err("[identifiant]\nx = 1");
    assert!(
        e.to_string()
            .contains("section inconnue [identifiant] — vouliez-vous dire [identifiants] ?"),
        "{e}"
    );
    let e = err("[collecte]\nfuseau = \"America/Montreal\"");
    assert!(
        e.to_string()
            .contains("clé « fuseau » mal placée dans [collecte] : elle appartient à [evaluation]"),
        "{e}"
    );
    let e = err("[collecte]\nbidule = 1");
    assert!(
        e.to_string()
            .contains("clé inconnue « bidule » dans [collecte]"),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("clés acceptées : historique_premiere_nuit_jours"),
        "{e}"
    );
    // Inside an inline table and an array of tables too.
    let e =
        err("[classification]\ngenerique_attribut = { nom = \"employeeType\", valeur = [\"G\"] }");
    assert!(
        e.to_string().contains("vouliez-vous dire « valeurs » ?"),
        "{e}"
    );
    // A key written before any section.
    let text = format!("fuseau = \"America/Montreal\"\n{HEAD}");
    let e = Config::from_toml_str(&text, "v.toml", &options())
        .err()
        .map(|e| e.to_string());
    assert!(
        e.unwrap_or_default()
            .contains("clé « fuseau » hors de sa section : elle appartient à [evaluation]")
    );
}

#[test]
fn missing_required_keys_and_sections() {
    let e = Config::from_toml_str("[identifiants]\nsecret_env = \"X\"\n", "v.toml", &options());
    let e = e.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        e.contains("v.toml: erreur: section [locataire] absente"),
        "{e}"
    );

    let text = HEAD.replace("domaine = \"cisss-exemple.onmicrosoft.com\"\n", "");
    let e = Config::from_toml_str(&text, "v.toml", &options()).err();
    let d = e
        .as_ref()
        .map(|e| (e.len(), e.diagnostics[0].line, e.diagnostics[0].code));
    assert_eq!(d, Some((1, 1, Code::Missing)));
}

#[test]
fn enumerations_and_ranges() {
    let c = ok("[collecte]\nactivite_connexion = \"non\"");
    assert_eq!(c.collection.sign_in_activity, SignInActivity::Off);
    let e = err("[collecte]\nactivite_connexion = \"vises\"");
    assert!(
        e.to_string().contains("vouliez-vous dire « visés » ?"),
        "{e}"
    );

    assert_eq!(
        codes("[collecte]\nhistorique_premiere_nuit_jours = 31\nchevauchement_minutes = -1"),
        vec![(2, Code::InvalidValue), (3, Code::InvalidValue)]
    );
    assert!(
        err("[collecte]\nhistorique_premiere_nuit_jours = 31")
            .to_string()
            .contains("doit être entre 1 et 30 (trouvé : 31)")
    );
    assert_eq!(
        codes("[conservation]\nconnexions_brutes_jours = 500\ndonnees_jours = 400"),
        vec![(2, Code::InvalidValue)]
    );
    let c = ok("[limites]\nexchange_par_s = 2\ntentatives_max = 3");
    assert_eq!(
        (c.limits.exchange_per_s.get(), c.limits.max_attempts.get()),
        (2, 3)
    );
}

#[test]
fn the_sign_in_activity_rotation_is_a_number_of_nights_of_at_least_one() {
    assert_eq!(
        ok("").collection.sign_in_activity_rotation_nights.get(),
        7,
        "every account re-read once a week by default"
    );
    let c = ok("[collecte]\nactivite_connexion_rotation_nuits = 1");
    assert_eq!(c.collection.sign_in_activity_rotation_nights.get(), 1);

    let zero = "[collecte]\nactivite_connexion_rotation_nuits = 0";
    assert_eq!(codes(zero), vec![(2, Code::InvalidValue)]);
    let shown = err(zero).to_string();
    assert!(
        shown.contains(
            "« collecte.activite_connexion_rotation_nuits » doit être un nombre entier positif \
             (trouvé : 0)"
        ) && shown.contains("correctif : écrire un nombre entier supérieur ou égal à 1"),
        "{shown}"
    );

    let text = "[collecte]\nactivite_connexion_rotation_nuits = \"7\"";
    assert_eq!(codes(text), vec![(2, Code::WrongType)]);
    let shown = err(text).to_string();
    assert!(
        shown.contains(
            "type incorrect pour « collecte.activite_connexion_rotation_nuits » : attendu : un \
             nombre entier, trouvé : une chaîne de caractères"
        ),
        "{shown}"
    );
}

#[test]
fn cidrs_parse_and_normalise() {
    let c = ok(r#"[generiques]
plages_ip = ["10.20.0.0/16", "192.0.2.7", "2001:db8::/48", "10.30.5.1/16"]
[[generiques.sites]]
motif = '(?i)CHSLD de Verdun'
plages_ip = ["10.40.0.0/24"]"#);
    let ranges: Vec<String> = c
        .generic
        .ip_ranges
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        ranges,
        [
            "10.20.0.0/16",
            "192.0.2.7/32",
            "2001:db8::/48",
            "10.30.0.0/16"
        ]
    );
    // Host bits are dropped, with a remark.
    assert!(
        c.notes
            .iter()
            .any(|n| n.message_fr.contains("elle vaut 10.30.0.0/16"))
    );
    assert_eq!(c.generic.sites.len(), 1);
    let site = &c.generic.sites[0];
    assert!(site.pattern.is_match("Tablette 2 CHSLD de Verdun"));
    assert!(
        site.ip_ranges[0].contains(
            &"10.40.0.9"
                .parse::<IpAddr>()
                .unwrap_or(IpAddr::from([0; 4]))
        )
    );

    assert_eq!(
        codes("[generiques]\nplages_ip = [\"10.0.0.0/33\", \"pas-une-ip\"]"),
        vec![(2, Code::InvalidCidr), (2, Code::InvalidCidr)]
    );
    assert_eq!(
        codes("[[generiques.sites]]\nmotif = '(?i)Verdun'"),
        vec![(1, Code::Missing)]
    );
}

#[test]
fn regex_errors_are_french_and_placed() {
    let e = err("[classification]\nappli_upn = ['^(?!svc)']");
    let d = &e.diagnostics[0];
    assert_eq!((d.code, d.line), (Code::InvalidRegex, 11));
    assert_eq!(d.key, "classification.appli_upn[1]");
    assert!(
        d.message_fr
            .contains("n'existent pas en syntaxe Rust regex"),
        "{}",
        d.message_fr
    );
    // An unbalanced parenthesis, at its column: `appli_nom = ['(?i)(appli'`, the '(' of
    // "(appli" is the 5th character of the pattern, which starts at column 15.
    let e = err("[classification]\nappli_nom = ['(?i)(appli']");
    assert_eq!((e.diagnostics[0].line, e.diagnostics[0].column), (11, 19));
}

#[test]
fn paths_are_resolved_against_the_configuration_directory() {
    let c = ok("[stockage]\nbase = \"donnees/vigie365.sqlite\"\nsorties = \"/var/tmp/sorties\"");
    assert_eq!(
        c.storage.database,
        Path::new("/etc/vigie365/donnees/vigie365.sqlite")
    );
    assert_eq!(c.storage.outputs, Path::new("/var/tmp/sorties"));
    let note = c.notes.iter().find(|n| n.code == Code::RelativePath);
    let note = note.map(ToString::to_string).unwrap_or_default();
    assert_eq!(
        note,
        "/etc/vigie365/vigie365.toml:11:8: remarque: chemin relatif « donnees/vigie365.sqlite » \
         résolu par rapport au répertoire du fichier de configuration : \
         /etc/vigie365/donnees/vigie365.sqlite"
    );
    let e = err("[stockage]\nbase = \"~/vigie365.sqlite\"");
    assert!(e.to_string().contains("« ~ » n'est pas développé"), "{e}");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let e = err(&format!("[stockage]\nbase = \"{}\"", dir.path().display()));
    assert!(e.to_string().contains("attendu : le fichier SQLite"), "{e}");
}

#[test]
fn exceptions_are_typed_and_checked() {
    let entry = |id: &str, subject: &str| {
        format!(
            "[[exceptions]]\ncontrole = \"{id}\"\nsujet = \"{subject}\"\n\
             justification = \"Tablette en remplacement\"\nresponsable = \"RSI, J. Tremblay\"\n\
             expiration = 2027-03-31\n"
        )
    };
    let c = ok(&(entry("GEN-MFA-01", "t3@x.ca") + &entry("FWD-PUB-01", "t3@x.ca")));
    assert_eq!(c.exceptions.len(), 2);
    assert_eq!(c.exceptions[0].check_id, "GEN-MFA-01");
    assert_eq!(
        c.exceptions[0].expires,
        chrono::NaiveDate::from_ymd_opt(2027, 3, 31).unwrap_or_default()
    );
    assert_eq!(
        codes(&(entry("GEN-MFA-01", "t3@x.ca") + &entry("GEN-MFA-01", "T3@x.ca"))),
        vec![(7, Code::Duplicate)]
    );
    let e = err(r#"[[exceptions]]
controle = "GEN-MFA-01"
sujet = "x"
justification = "j"
responsable = " ""#);
    let got: Vec<(usize, Code, String)> = e
        .diagnostics
        .iter()
        .map(|d| (d.line + 1 - EXTRA_LINE, d.code, d.key.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, Code::Missing, "exceptions[1].expiration".into()),
            (5, Code::InvalidValue, "exceptions[1].responsable".into())
        ]
    );
    assert_eq!(
        codes(
            r#"[[exceptions]]
controle = "GEN-MFA-01"
sujet = "x"
justification = "j"
responsable = "r"
expiration = 2027-03-31T10:00:00"#
        ),
        vec![(6, Code::InvalidDate)]
    );
    // The known ids can come from elsewhere (the checks registry).
    let text = format!("{HEAD}\n{}", entry("NEW-01", "x"));
    let options = LoadOptions {
        known_checks: &["NEW-01"],
    };
    assert!(Config::from_toml_str(&text, "v.toml", &options).is_ok());
}

#[test]
fn domains_and_accounts() {
    let c = ok(r#"[domaines]
internes = ["*.gouv.qc.ca", "CISSS-Exemple.ca"]
[classification]
urgence = ["Urgence01@cisss-exemple.onmicrosoft.com"]
[appli]
clients_permis = { "svc-billetterie@cisss-exemple.onmicrosoft.com" = ["ServiceNow"] }"#);
    assert_eq!(
        c.domains.internal,
        vec![
            DomainPattern::Subdomains("gouv.qc.ca".into()),
            DomainPattern::Exact("cisss-exemple.ca".into())
        ]
    );
    assert_eq!(
        c.classification.break_glass,
        ["urgence01@cisss-exemple.onmicrosoft.com"]
    );
    assert_eq!(
        c.appli
            .allowed_clients
            .get("svc-billetterie@cisss-exemple.onmicrosoft.com"),
        Some(&vec!["ServiceNow".to_string()])
    );
    assert_eq!(
        codes(
            r#"[domaines]
internes = ["gmail.*", "a b.ca"]
[classification]
urgence = ["urgence01"]"#
        ),
        vec![
            (2, Code::InvalidDomain),
            (2, Code::InvalidDomain),
            (4, Code::InvalidValue)
        ]
    );
}

#[test]
fn directory_attributes_and_groups() {
    let c = ok(r#"[classification]
generique_attribut = { nom = "extensionAttribute7", valeurs = ["CHSLD"] }
appli_groupes = ["0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"]"#);
    let a = c
        .classification
        .generic
        .attribute
        .unwrap_or_else(|| panic!("no attribute"));
    assert_eq!(a.attribute, DirectoryAttribute::ExtensionAttribute(7));
    assert_eq!(a.attribute.graph_name(), "extensionAttribute7");
    assert_eq!(
        c.classification.appli.groups[0].to_string(),
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    );
    let e = err(
        "[classification]\nappli_attribut = { nom = \"extensionAttribute16\", valeurs = [\"A\"] }",
    );
    assert!(
        e.to_string()
            .contains("attribut d'annuaire inconnu « extensionAttribute16 »"),
        "{e}"
    );
    assert_eq!(
        codes("[classification]\nmedecin_groupes = [\"pas-un-guid\"]"),
        vec![(2, Code::InvalidGuid)]
    );
}

#[test]
fn syntax_errors_are_all_reported_and_stop_there() {
    let e = err(r#"[evaluation]
fuseau = "America/Montreal"
fuseau = "UTC"
[limites]
tentatives_max = "#);
    let got: Vec<(usize, Code)> = e.diagnostics.iter().map(|d| (d.line, d.code)).collect();
    assert_eq!(got, vec![(12, Code::Syntax), (14, Code::Syntax)], "{e}");
    assert!(
        e.to_string()
            .contains("syntaxe TOML invalide : clé ou section en double"),
        "{e}"
    );
    let e = err("[classification]\ngenerique_nom = [\"(?i)^tablette\\s*\\d+\"]");
    assert!(
        e.to_string()
            .contains("écrire regex et chemins entre apostrophes"),
        "{e}"
    );
}

#[test]
fn a_syntax_error_is_french_located_and_names_the_real_key() {
    let e = err("[collecte]\nlots_simultanés = 4");
    let d = &e.diagnostics[0];
    assert_eq!((d.line, d.column, d.code), (11, 14, Code::Syntax), "{e}");
    assert!(
        d.message_fr
            .contains("clé invalide « lots_simultanés » — vouliez-vous dire « lots_simultanes » ?"),
        "{e}"
    );
    assert!(
        d.fix_fr
            .starts_with("remplacer « lots_simultanés » par « lots_simultanes »"),
        "{}",
        d.fix_fr
    );
    for extra in [
        "[collecte]\nlots_simultanés = 4",
        "[collecte]\nlots simultanes = 4",
        "[collecte]\nlots_simultanes = [1, 2",
        "[collecte]\nlots_simultanes = 4 5",
        "[collecte]\nlots_simultanes = quatre",
        "[collecte\nlots_simultanes = 4",
    ] {
        for d in err(extra).diagnostics {
            let text = format!("{} / {}", d.message_fr, d.fix_fr);
            assert!(
                !["expected", "invalid ", "missing", "unclosed", "unquoted"]
                    .iter()
                    .any(|en| text.contains(en)),
                "English left in: {text}"
            );
        }
    }
}

#[test]
fn the_configuration_file_is_located() {
    let cli = PathBuf::from("/srv/vigie365.toml");
    assert_eq!(config::resolve_path_with(Some(&cli), None), cli);
    assert_eq!(
        config::resolve_path_with(None, Some("/opt/v.toml".into())),
        PathBuf::from("/opt/v.toml")
    );
    assert_eq!(
        config::resolve_path_with(None, None),
        PathBuf::from("/etc/vigie365/vigie365.toml")
    );
}

#[test]
fn the_network_is_the_perimeter_not_every_government_domain() {
    let c = ok("");
    assert_eq!(c.domains.network, ["ssss.gouv.qc.ca", "msss.gouv.qc.ca"]);
    assert!(c.domains.internal.is_empty());
    assert!(!c.notes.iter().any(|n| n.code == Code::PerimeterTooWide));
    let c = ok(r#"[domaines]
reseau = ["SSSS.gouv.qc.ca", "*.msss.gouv.qc.ca", "santemontreal.qc.ca"]
internes = ["cisss-exemple.ca", "*.cisss-exemple.ca"]"#);
    assert_eq!(
        c.domains.network,
        ["ssss.gouv.qc.ca", "msss.gouv.qc.ca", "santemontreal.qc.ca"]
    );
    assert!(!c.notes.iter().any(|n| n.code == Code::PerimeterTooWide));
    // Every way of still calling every government domain internal is a warning, with a fix;
    // the configuration stays valid (the night goes on).
    let c = ok(r#"[domaines]
internes = ["*.gouv.qc.ca", "*.qc.ca"]
reseau = ["ssss.gouv.qc.ca", "gouv.qc.ca"]"#);
    let wide: Vec<_> = c
        .notes
        .iter()
        .filter(|n| n.code == Code::PerimeterTooWide)
        .collect();
    let keys: Vec<&str> = wide.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "domaines.internes[1]",
            "domaines.internes[2]",
            "domaines.reseau[2]"
        ]
    );
    assert_eq!(wide[0].line, EXTRA_LINE + 1);
    assert!(
        wide[0].message_fr.contains("ministère"),
        "{}",
        wide[0].message_fr
    );
    assert!(
        wide[0].fix_fr.contains("[domaines].reseau"),
        "{}",
        wide[0].fix_fr
    );
    assert!(wide[0].to_string().contains("remarque"));
    assert_eq!(Code::PerimeterTooWide.id(), "perimetre-trop-large");
    assert_eq!(
        codes("[domaines]\nreseau = [\"a b.ca\", \"\"]"),
        vec![(2, Code::InvalidDomain), (2, Code::InvalidDomain)]
    );
}

#[test]
fn partners_are_declared_like_exceptions() {
    let c = ok(r#"[[partenaires]]
domaine = "Hôpital-Partenaire.ca"
justification = "Entente de garde partagée"
responsable = "DSP, É. Lavoie"
expiration = 2027-03-31

[[partenaires]]
domaine = "*.labos.ca"
justification = "Résultats de laboratoire"
responsable = "RSI"
expiration = 2026-12-31"#);
    let p = &c.domains.partners;
    assert_eq!(p.len(), 2);
    assert_eq!(
        p[0].domain,
        DomainPattern::Exact("xn--hpital-partenaire-yyb.ca".into())
    );
    assert_eq!(p[0].owner, "DSP, É. Lavoie");
    assert_eq!(p[1].domain, DomainPattern::Subdomains("labos.ca".into()));
    assert_eq!(
        p[1].expires,
        chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("date")
    );
    // Every missing part, a bad domain, a quoted date and a duplicate: all at once.
    assert_eq!(
        codes(
            r#"[[partenaires]]
domaine = "a b.ca"
[[partenaires]]
domaine = "x.ca"
justification = "j"
responsable = "r"
expiration = "2027-03-31"
[[partenaires]]
domaine = "X.ca"
justification = "j"
responsable = "r"
expiration = 2027-03-31
cle = 1"#
        ),
        vec![
            (1, Code::Missing),
            (1, Code::Missing),
            (1, Code::Missing),
            (2, Code::InvalidDomain),
            (7, Code::WrongType),
            (8, Code::Duplicate),
            (13, Code::UnknownKey),
        ]
    );
}

#[test]
fn the_old_silent_partner_list_is_refused_with_the_new_form() {
    let e = err(r#"[domaines]
partenaires = ["hopitalpartenaire.org"]"#);
    let d: Vec<_> = e.with_code(Code::Replaced).collect();
    assert_eq!(d.len(), 1, "{e}");
    assert_eq!(d[0].key, "domaines.partenaires");
    assert_eq!(d[0].line, EXTRA_LINE + 1);
    assert!(d[0].fix_fr.contains("[[partenaires]]"), "{}", d[0].fix_fr);
    assert!(d[0].fix_fr.contains("expiration"), "{}", d[0].fix_fr);
    assert_eq!(Code::Replaced.id(), "forme-remplacee");
    // Even empty: the key no longer means anything.
    assert_eq!(
        codes("[domaines]\npartenaires = []"),
        vec![(2, Code::Replaced)]
    );
}

#[test]
fn physicians_matchers_every_way() {
    let c = ok(r#"[classification]
medecin_upn = ['(?i)\.med@']
medecin_courriel = ['(?i)\.med@', '(?i)@cmq\.org$']
medecin_groupes = ["0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"]
medecin_attribut = { nom = "extensionAttribute4", motif = '(?i)^(médecin|résident|externe)' }"#);
    let p = &c.classification;
    assert_eq!(p.physician_address.len(), 2);
    assert_eq!(p.physician_groups.len(), 1);
    let a = p.physician_attribute.as_ref().expect("attribute");
    assert_eq!(a.attribute, DirectoryAttribute::ExtensionAttribute(4));
    assert!(a.pattern.is_match("Médecin résident"));
    // Defaults: the .med address anywhere, no attribute.
    let d = ok("").classification;
    assert!(
        d.physician_address
            .iter()
            .any(|r| r.is_match("jean.roy.med@ssss.gouv.qc.ca"))
    );
    assert!(d.physician_attribute.is_none());
    // Every problem at once: unknown attribute, bad regex, missing pattern, unknown key.
    assert_eq!(
        codes(
            r#"[classification]
medecin_courriel = ['(']
medecin_attribut = { nom = "jobTitle", motif = '[' }
appli_attribut = { nom = "employeeType", valeurs = ["Appli"] }
generique_attribut = { nom = "employeeType", valeurs = ["G"], motif = "x" }"#
        ),
        vec![
            (2, Code::InvalidRegex),
            (3, Code::InvalidValue),
            (3, Code::InvalidRegex),
            (5, Code::UnknownKey),
        ]
    );
    assert_eq!(
        codes("[classification]\nmedecin_attribut = { nom = \"employeeType\" }"),
        vec![(2, Code::Missing)]
    );
}
