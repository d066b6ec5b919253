//! TOML syntax errors in French: what is wrong, and how to write it instead. A key that is
//! not a valid bare key (an accent, a space) gets the real key it most likely means.

use std::ops::Range;

use crate::config::diag::suggest;
use crate::config::schema::SECTIONS;

/// The general fix: how TOML writes strings.
const STRINGS: &str = "corriger la syntaxe TOML (https://toml.io/fr/v1.0.0) ; les chaînes \
     s'écrivent entre guillemets \"…\", ou entre apostrophes '…' pour les regex et les chemins";

/// A bare key: ASCII letters, digits, `-` and `_` only.
const BARE_KEY: &str = "une clé sans guillemets ne s'écrit qu'avec des lettres sans accent \
     (a-z), des chiffres, « - » et « _ » : pas d'accent ni d'espace";

/// The toml crate's messages (the part before « , expected … »), in French, with their fix.
const KNOWN: &[(&str, &str, &str)] = &[
    (
        "duplicate key",
        "clé ou section en double",
        "garder une seule des deux",
    ),
    (
        "unclosed array table",
        "en-tête [[…]] non fermé (il manque « ]] »)",
        "fermer l'en-tête par « ]] »",
    ),
    (
        "unclosed table",
        "en-tête de section non fermé (il manque « ] »)",
        "fermer l'en-tête par « ] »",
    ),
    (
        "unclosed inline table",
        "table { … } non fermée",
        "fermer la table par « } » sur la même ligne",
    ),
    (
        "unclosed array",
        "liste [ … ] non fermée",
        "fermer la liste par « ] »",
    ),
    (
        "missing value for key",
        "valeur manquante après « = »",
        "écrire la valeur après « = » (texte entre guillemets, nombre, true/false, [liste])",
    ),
    (
        "key with no value",
        "clé sans « = » ni valeur",
        "écrire « clé = valeur » ; une clé ne contient pas d'espace",
    ),
    (
        "missing value",
        "valeur manquante",
        "écrire la valeur (texte entre guillemets, nombre, true/false, [liste])",
    ),
    (
        "invalid basic string",
        "chaîne entre guillemets invalide (guillemet fermant manquant, ou « \\ » suivi d'un \
         caractère qui n'est pas un échappement TOML)",
        "fermer le guillemet ; écrire regex et chemins entre apostrophes '…'",
    ),
    (
        "invalid literal string",
        "chaîne entre apostrophes non fermée",
        "fermer l'apostrophe sur la même ligne",
    ),
    (
        "missing escaped value",
        "« \\ » suivi d'un caractère qui n'est pas un échappement TOML",
        "écrire regex et chemins entre apostrophes '…' (aucun échappement), ou doubler « \\\\ »",
    ),
    (
        "invalid date-time",
        "date ou heure invalide",
        "écrire la date AAAA-MM-JJ (par exemple 2026-12-31)",
    ),
    (
        "string values must be quoted",
        "valeur texte sans guillemets",
        "écrire le texte entre guillemets \"…\"",
    ),
    (
        "invalid string",
        "valeur invalide : le texte s'écrit entre guillemets",
        "écrire le texte entre guillemets \"…\"",
    ),
    ("invalid unquoted key", "clé invalide", BARE_KEY),
    (
        "unquoted keys cannot be empty",
        "clé vide",
        "écrire le nom de la clé avant « = »",
    ),
    ("invalid key", "nom de clé invalide", BARE_KEY),
    (
        "missing assignment between key-value pairs",
        "« = » manquant entre la clé et la valeur",
        "écrire « clé = valeur »",
    ),
    (
        "extra assignment between key-value pairs",
        "« = » en trop",
        "une seule « clé = valeur » par ligne",
    ),
    (
        "extra `=`",
        "« = » en trop",
        "une seule « clé = valeur » par ligne",
    ),
    (
        "missing comma between array elements",
        "virgule manquante entre deux éléments de la liste",
        "séparer les éléments par « , »",
    ),
    (
        "missing comma between key-value pairs",
        "virgule manquante dans la table { … }",
        "séparer les paires par « , »",
    ),
    (
        "extra comma in inline table",
        "virgule en trop dans la table { … }",
        "retirer la dernière virgule",
    ),
    (
        "invalid comment character",
        "caractère interdit dans un commentaire",
        "retirer le caractère de contrôle du commentaire",
    ),
    (
        "unexpected content",
        "contenu inattendu après la valeur",
        "une seule « clé = valeur » par ligne ; un commentaire commence par « # »",
    ),
    (
        "unexpected key or value",
        "clé ou valeur inattendue",
        "écrire « clé = valeur », ou un en-tête de section [section]",
    ),
    (
        "invalid value",
        "valeur invalide",
        "texte entre guillemets \"…\", nombre, true/false, date AAAA-MM-JJ ou [liste]",
    ),
    (
        "unexpected leading zero",
        "zéro en tête d'un nombre",
        "retirer le zéro, ou écrire la valeur entre guillemets",
    ),
];

/// A syntax error of `text` at `span`: its French message and fix.
pub(super) fn syntax_fr(message: &str, text: &str, span: &Range<usize>) -> (String, String) {
    let head = message.split(", expected").next().unwrap_or(message);
    let (fr, fix) = KNOWN
        .iter()
        .find(|(en, _, _)| head.starts_with(en))
        .map_or((None, STRINGS), |(_, fr, fix)| (Some(*fr), *fix));
    let mut message = match fr {
        Some(fr) => format!("syntaxe TOML invalide : {fr}"),
        None => format!("syntaxe TOML invalide ({message})"),
    };
    let mut fix = fix.to_string();
    if head.contains("key")
        && let Some(word) = word_at(text, span.start)
        && let Some(real) = suggest(word, &known_names())
        && real != word
    {
        message.push_str(&format!(" « {word} » — vouliez-vous dire « {real} » ?"));
        fix = format!("remplacer « {word} » par « {real} » ; {fix}");
    } else if head.contains("key")
        && let Some(word) = word_at(text, span.start)
    {
        message.push_str(&format!(" « {word} »"));
    }
    (message, fix)
}

/// Every section and key name of the configuration.
fn known_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = SECTIONS
        .iter()
        .flat_map(|(s, keys)| std::iter::once(*s).chain(keys.iter().copied()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The key-like word around byte `at` of `text`: up to spaces, `=`, brackets, quotes, dots.
fn word_at(text: &str, at: usize) -> Option<&str> {
    let at = (0..=at.min(text.len()))
        .rev()
        .find(|i| text.is_char_boundary(*i))?;
    let stop = |c: char| c.is_whitespace() || "=[]\"'.#,{}".contains(c);
    let start = text[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| stop(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = text[at..].find(stop).map_or(text.len(), |i| at + i);
    let word = &text[start..end];
    (!word.is_empty() && word.chars().count() <= 64).then_some(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accented_key_gets_the_real_key() {
        let text = "[collecte]\nlots_simultanés = 4\n";
        let at = text.find('é').unwrap_or(0);
        let (message, fix) = syntax_fr(
            "invalid unquoted key, expected letters, numbers, `-`, `_`",
            text,
            &(at..at + 2),
        );
        assert_eq!(
            message,
            "syntaxe TOML invalide : clé invalide « lots_simultanés » — vouliez-vous dire « lots_simultanes » ?"
        );
        assert!(
            fix.starts_with("remplacer « lots_simultanés » par « lots_simultanes »"),
            "{fix}"
        );
        assert!(!message.contains("expected"));
    }

    #[test]
    fn every_known_message_is_french() {
        for (en, _, _) in KNOWN {
            let (message, fix) = syntax_fr(&format!("{en}, expected `=`"), "", &(0..0));
            assert!(!message.contains(en), "{message}");
            assert!(!fix.is_empty());
        }
    }
}
