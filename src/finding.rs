//! The vocabulary of a finding that checks, the store and the reports share: which check
//! ([`CheckId`]), how severe ([`Severity`]), whom it concerns ([`Population`]) and what a
//! night did to it ([`Event`]). Each has one stable string, the one the store keeps; reading
//! a string back is a strict parse (`from_stored`, `known`) that the store turns into an
//! error naming the row, never a default.
//!
//! This module sits below `checks`, `classify` and `store` and imports none of them, so the
//! store can keep these types without importing the checks (which import the store).

use serde::{Deserialize, Serialize};

/// The id of a check of the catalogue (RULES.md), stable once released: `GEN-MFA-01`.
///
/// Only two ways to get one: [`CheckId::declared`] for an id written in a check's own
/// declaration, and [`CheckId::known`] for a string read back (from the store), which
/// must be one of the ids the reader knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CheckId(&'static str);

impl CheckId {
    /// The id of a check, as its declaration (or a finding it made) writes it.
    pub const fn declared(id: &'static str) -> CheckId {
        CheckId(id)
    }

    /// `s` when it is one of `known` (the registry's ids): `None` for an id this version
    /// does not have.
    pub fn known(known: &[&'static str], s: &str) -> Option<CheckId> {
        known.iter().find(|k| **k == s).map(|k| CheckId(k))
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<str> for CheckId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for CheckId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Severities of RULES.md, from the most to the least severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critique,
    Elevee,
    Moyenne,
    Faible,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critique,
        Severity::Elevee,
        Severity::Moyenne,
        Severity::Faible,
        Severity::Info,
    ];

    /// As shown to users, and as the store keeps it: `critique`, `élevée`, `moyenne`,
    /// `faible`, `info`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Critique => "critique",
            Severity::Elevee => "élevée",
            Severity::Moyenne => "moyenne",
            Severity::Faible => "faible",
            Severity::Info => "info",
        }
    }

    /// One step less severe (a forwarding the tenant's controls would block).
    pub fn lower(self) -> Severity {
        match self {
            Severity::Critique => Severity::Elevee,
            Severity::Elevee => Severity::Moyenne,
            Severity::Moyenne => Severity::Faible,
            Severity::Faible | Severity::Info => Severity::Info,
        }
    }

    /// Parses what a person typed, with or without accents (`elevee`, `élevée`).
    pub fn parse(s: &str) -> Option<Severity> {
        let s = s.trim().to_lowercase().replace('é', "e");
        Severity::ALL
            .into_iter()
            .find(|x| x.label().replace('é', "e") == s)
    }

    /// The severity whose stored string ([`Severity::label`]) is exactly `s`.
    pub fn from_stored(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|x| x.label() == s)
    }
}

/// Who DIR04 binds directly (physicians, residents, externs) versus other staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Population {
    Medecin,
    Personnel,
    /// Tenant-wide subjects (transport rules, tenant controls).
    Tous,
}

impl Population {
    pub const ALL: [Population; 3] = [Population::Medecin, Population::Personnel, Population::Tous];

    /// Its id, as the store keeps it: `medecin`, `personnel`, `tous`.
    pub fn as_str(self) -> &'static str {
        match self {
            Population::Medecin => "medecin",
            Population::Personnel => "personnel",
            Population::Tous => "tous",
        }
    }

    /// As shown to people: `médecin`, `personnel`, `locataire`.
    pub fn label_fr(self) -> &'static str {
        match self {
            Population::Medecin => "médecin",
            Population::Personnel => "personnel",
            Population::Tous => "locataire",
        }
    }

    /// The population whose stored id ([`Population::as_str`]) is exactly `s`.
    pub fn from_stored(s: &str) -> Option<Population> {
        Population::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What a night did to a finding (its lifecycle: RULES.md, "Events and states").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Seen for the first time.
    New,
    /// Seen again after it was resolved.
    Reopened,
    /// Not seen by a night that evaluated its check.
    Resolved,
    /// An event finding (RULES.md, "Events and states") no longer seen in the evaluation
    /// window: it stopped happening, nobody fixed anything, so it is never « corrigé ».
    Ended,
}

impl Event {
    pub const ALL: [Event; 4] = [Event::New, Event::Reopened, Event::Resolved, Event::Ended];

    /// As the store keeps it: `new`, `reopened`, `resolved`, `ended`.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::New => "new",
            Event::Reopened => "reopened",
            Event::Resolved => "resolved",
            Event::Ended => "ended",
        }
    }

    /// The event whose stored string is exactly `s`.
    pub fn from_stored(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_and_lower() {
        assert!(Severity::Critique < Severity::Info);
        assert_eq!(Severity::Critique.lower(), Severity::Elevee);
        assert_eq!(Severity::Info.lower(), Severity::Info);
        assert_eq!(Severity::parse("élevée"), Some(Severity::Elevee));
        assert_eq!(Severity::parse("ELEVEE"), Some(Severity::Elevee));
        assert_eq!(Severity::parse("grave"), None);
    }

    #[test]
    fn stored_strings_read_back_exactly() {
        for s in Severity::ALL {
            assert_eq!(Severity::from_stored(s.label()), Some(s));
        }
        assert_eq!(
            Severity::from_stored("elevee"),
            None,
            "the store writes the label"
        );
        for p in Population::ALL {
            assert_eq!(Population::from_stored(p.as_str()), Some(p));
        }
        assert_eq!(Population::from_stored("invite"), None);
        for e in Event::ALL {
            assert_eq!(Event::from_stored(e.as_str()), Some(e));
        }
        assert_eq!(Event::from_stored("closed"), None);
        assert_eq!(
            CheckId::known(&["GEN-MFA-01"], "GEN-MFA-01"),
            Some(CheckId::declared("GEN-MFA-01"))
        );
        assert_eq!(CheckId::known(&["GEN-MFA-01"], "GEN-MFA-99"), None);
    }
}
