//! Regular expressions of the configuration, compiled with their error told in French and
//! placed at the offending character when the pattern is written as a literal string.

use regex::Regex;
use regex_syntax::ast::ErrorKind as AstKind;
use regex_syntax::hir::ErrorKind as HirKind;

/// A pattern that does not compile: what is wrong, and at which byte of the pattern.
pub(crate) struct PatternError {
    pub(crate) message_fr: String,
    pub(crate) offset: Option<usize>,
}

fn ast_kind_fr(kind: &AstKind) -> String {
    match kind {
        AstKind::ClassUnclosed => "classe de caractères non fermée (il manque « ] »)".into(),
        AstKind::ClassRangeInvalid => "intervalle inversé dans une classe (par ex. [z-a])".into(),
        AstKind::ClassEscapeInvalid | AstKind::ClassRangeLiteral => {
            "intervalle de classe invalide".into()
        }
        AstKind::GroupUnclosed => "groupe non fermé (il manque « ) »)".into(),
        AstKind::GroupUnopened => "« ) » sans « ( » correspondante".into(),
        AstKind::GroupNameDuplicate { .. } => "nom de groupe en double".into(),
        AstKind::GroupNameEmpty | AstKind::GroupNameInvalid | AstKind::GroupNameUnexpectedEof => {
            "nom de groupe invalide".into()
        }
        AstKind::RepetitionMissing => "répétition (*, +, ?) sans rien à répéter".into(),
        AstKind::RepetitionCountInvalid => "bornes de répétition {m,n} inversées".into(),
        AstKind::RepetitionCountUnclosed | AstKind::RepetitionCountDecimalEmpty => {
            "répétition {m,n} incomplète".into()
        }
        AstKind::EscapeUnrecognized => "séquence d'échappement inconnue".into(),
        AstKind::EscapeUnexpectedEof => "« \\ » en fin de motif".into(),
        AstKind::EscapeHexEmpty | AstKind::EscapeHexInvalid | AstKind::EscapeHexInvalidDigit => {
            "échappement hexadécimal invalide".into()
        }
        AstKind::FlagUnrecognized => {
            "option inconnue dans (?…) (options : i, m, s, x, U, u)".into()
        }
        AstKind::FlagDuplicate { .. } | AstKind::FlagRepeatedNegation { .. } => {
            "option répétée dans (?…)".into()
        }
        AstKind::FlagDanglingNegation | AstKind::FlagUnexpectedEof => {
            "groupe d'options (?…) incomplet".into()
        }
        AstKind::UnsupportedLookAround => {
            "les assertions avant/arrière ((?=…), (?!…), (?<=…), (?<!…)) n'existent pas en \
             syntaxe Rust regex"
                .into()
        }
        AstKind::UnsupportedBackreference => {
            "les références arrière (\\1) n'existent pas en syntaxe Rust regex".into()
        }
        AstKind::UnicodeClassInvalid => "classe Unicode \\p{…} invalide".into(),
        AstKind::NestLimitExceeded(_) => "imbrication trop profonde".into(),
        other => format!("syntaxe invalide ({other})"),
    }
}

fn hir_kind_fr(kind: &HirKind) -> String {
    match kind {
        HirKind::UnicodePropertyNotFound
        | HirKind::UnicodePropertyValueNotFound
        | HirKind::UnicodePerlClassNotFound => "propriété Unicode \\p{…} inconnue".into(),
        HirKind::UnicodeCaseUnavailable => "insensibilité à la casse Unicode indisponible".into(),
        other => format!("motif refusé ({other})"),
    }
}

/// Compiles a pattern as `regex::Regex::new` does, with a French error.
pub(crate) fn compile(pattern: &str) -> Result<Regex, PatternError> {
    if let Err(e) = regex_syntax::Parser::new().parse(pattern) {
        return Err(match e {
            regex_syntax::Error::Parse(e) => PatternError {
                message_fr: ast_kind_fr(e.kind()),
                offset: Some(e.span().start.offset),
            },
            regex_syntax::Error::Translate(e) => PatternError {
                message_fr: hir_kind_fr(e.kind()),
                offset: Some(e.span().start.offset),
            },
            other => PatternError {
                message_fr: format!("motif invalide ({other})"),
                offset: None,
            },
        });
    }
    Regex::new(pattern).map_err(|e| PatternError {
        message_fr: match e {
            regex::Error::CompiledTooBig(_) => "motif trop gros une fois compilé".into(),
            other => format!("motif invalide ({other})"),
        },
        offset: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_french_and_placed() {
        let e = compile("(?i)^tablette[0-9").err();
        let e = e.map(|e| (e.message_fr, e.offset));
        assert_eq!(
            e,
            Some((
                "classe de caractères non fermée (il manque « ] »)".to_string(),
                Some(13)
            ))
        );
        let e = compile("^(?!svc)").err().map(|e| e.message_fr);
        assert!(e.is_some_and(|m| m.contains("assertions avant/arrière")));
        assert!(compile(r"(?i)^tablette\s*\d+\b.*\bchsld\b").is_ok());
    }
}
