//! The default generic-account patterns against realistic names: the device marker is found
//! anywhere in the display name or the UPN (a prefix does not hide it), every device the
//! orientation names is covered, and people, mailboxes and teams whose name only contains a
//! device word are not taken for a device account.

use std::collections::HashSet;

use vigie365::classify::{Class, Rules, classify};
use vigie365::model::Account;

fn account(display_name: &str, upn: &str) -> Account {
    Account {
        id: "id".into(),
        upn: upn.to_lowercase(),
        display_name: display_name.into(),
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

/// Display names of device accounts (the UPN given is a person-like one, so only the name
/// can match).
const DEVICE_NAMES: &[&str] = &[
    "Tablette 1 CHSLD de Verdun",
    "TABLETTE 12 - CHSLD Saint-Laurent",
    "tablette3 chsld lachine",
    "Appli - Tablette 3 CHSLD de LaSalle",
    "GEN - iPad soins",
    "GEN-iPad 2 CHSLD Dorval",
    "iPad 4 salle commune",
    "Tablette soins 2e étage",
    "Téléphone 2 CHSLD de Verdun",
    "Telephone 5 - unité 3B",
    "Cellulaire 1 CHSLD de Lachine",
    "Cellulaire soins palliatifs",
    "Smartphone 3 CHSLD LaSalle",
    "Portable 2 CHSLD de Verdun",
    "Ordinateur portable no 4 CHSLD Lachine",
    "Laptop 7 - LTC Dorval",
    "Tablet 3 LTC Verdun",
    "Shared iPad - Unit 4",
    "Poste partagé soins infirmiers",
    "Générique | Tablette #6 CHSLD Saint-Henri",
    "iPhone 2 CHSLD de Lachine",
    "Appli_Tablette_8 CHSLD",
];

/// UPNs of device accounts (with a display name that says nothing).
const DEVICE_UPNS: &[&str] = &[
    "tablette1.verdun@cisss-exemple.ca",
    "Tablette1.Verdun@cisss-exemple.onmicrosoft.com",
    "appli-tablette3.lasalle@cisss-exemple.ca",
    "gen.ipad2.dorval@cisss-exemple.ca",
    "ipad-soins-2@cisss-exemple.ca",
    "telephone4.chsld.verdun@cisss-exemple.ca",
    "cellulaire_3@cisss-exemple.ca",
    "poste.partage.urgence@cisss-exemple.ca",
];

/// Names (display name, UPN) that only contain a device word: people, mailboxes, teams.
const NOT_DEVICES: &[(&str, &str)] = &[
    ("Marie Tablette", "marie.tablette@cisss-exemple.ca"),
    ("Tablette, Marie", "tablette.marie@cisss-exemple.ca"),
    ("Jean Portable", "jean.portable@cisss-exemple.ca"),
    ("Portable, Jean-François", "jf.portable@cisss-exemple.ca"),
    ("Tableau de bord des soins", "tableau.bord@cisss-exemple.ca"),
    ("Équipe iPadiatrie", "ipadiatrie@cisss-exemple.ca"),
    (
        "Service des téléphonistes",
        "telephonistes@cisss-exemple.ca",
    ),
    (
        "Tablettes CHSLD (commande)",
        "commande.tablettes@cisss-exemple.ca",
    ),
    ("Tablette de Marie Tremblay", "m.tremblay@cisss-exemple.ca"),
    ("Julie Cellulaire", "julie.cellulaire@cisss-exemple.ca"),
    ("Équipe mobile de soins", "equipe.mobile@cisss-exemple.ca"),
    ("Téléphonie IP", "telephonie@cisss-exemple.ca"),
    (
        "Gestion des portables",
        "gestion.portables@cisss-exemple.ca",
    ),
    (
        "Soutien iPad et tablettes",
        "soutien.appareils@cisss-exemple.ca",
    ),
    ("Luc Laptop-Bérubé", "luc.laptop-berube@cisss-exemple.ca"),
    ("Accueil CHSLD de Verdun", "accueil.verdun@cisss-exemple.ca"),
    ("Jean Tremblay", "jean.tremblay@cisss-exemple.ca"),
    ("Appli Billetterie", "svc-billetterie@cisss-exemple.ca"),
    ("Partage de fichiers", "partage@cisss-exemple.ca"),
    ("Poste de garde", "poste.garde@cisss-exemple.ca"),
    (
        "Sophie Smartphone-Roy",
        "sophie.smartphone-roy@cisss-exemple.ca",
    ),
    ("Réservation des tablettes", "reservation@cisss-exemple.ca"),
    (
        "Marc Portable (CHSLD Verdun)",
        "marc.portable@cisss-exemple.ca",
    ),
    (
        "Marie Tablette, soins infirmiers",
        "m.tablette@cisss-exemple.ca",
    ),
    ("Équipe téléphone santé", "telesante@cisss-exemple.ca"),
    ("Les iPads du CHSLD", "ipads@cisss-exemple.ca"),
    ("Tabletterie CHSLD", "tabletterie@cisss-exemple.ca"),
    ("Cellule de crise", "cellule.crise@cisss-exemple.ca"),
    (
        "Ordinateurs portables (inventaire)",
        "inventaire@cisss-exemple.ca",
    ),
    ("Stéphane Poste", "stephane.poste@cisss-exemple.ca"),
];

#[test]
fn devices_are_found_anywhere_in_the_name_and_people_are_not() {
    let rules = Rules::defaults();
    let none = HashSet::new();
    let total = DEVICE_NAMES.len() + DEVICE_UPNS.len() + NOT_DEVICES.len();
    assert!(total >= 40, "{total} names");
    assert!(NOT_DEVICES.len() * 2 >= total, "half must not match");
    let mut wrong = Vec::new();
    for name in DEVICE_NAMES {
        let c = classify(&account(name, "x.y@cisss-exemple.ca"), &none, &rules);
        if c.class != Class::Generique {
            wrong.push(format!("should match (name): {name}"));
        }
    }
    for upn in DEVICE_UPNS {
        let c = classify(&account("Compte", upn), &none, &rules);
        if c.class != Class::Generique {
            wrong.push(format!("should match (UPN): {upn}"));
        }
    }
    for (name, upn) in NOT_DEVICES {
        let c = classify(&account(name, upn), &none, &rules);
        if c.class == Class::Generique {
            wrong.push(format!("should not match: {name} / {upn} ({})", c.reason));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_prefix_does_not_hide_a_tablet_and_appli_is_still_seen() {
    let rules = Rules::defaults();
    let c = classify(
        &account(
            "Appli - Tablette 3 CHSLD de LaSalle",
            "appli-tablette3@x.ca",
        ),
        &HashSet::new(),
        &rules,
    );
    assert_eq!(c.class, Class::Generique);
    assert!(c.also_appli, "{}", c.reason);
}
