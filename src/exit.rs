//! Exit codes, as documented in the README for whoever reads the cron mail.

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0: the run is complete.
    Complete,
    /// 1: the run failed: no source could be read (the token was refused, the tenant is
    /// unreachable), or the store could not be written. Nothing usable was produced; the night is recorded as failed.
    Failed,
    /// 2: usage or configuration error: nothing was attempted.
    Usage,
    /// 3: the run completed, but some source could not be read (missing permission,
    /// missing licence, Microsoft unavailable): the report says what could not be seen.
    Partial,
    /// 4: findings at or above the `--fail-on` severity.
    Findings,
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Complete => 0,
            Outcome::Failed => 1,
            Outcome::Usage => 2,
            Outcome::Partial => 3,
            Outcome::Findings => 4,
        }
    }

    /// The French meaning, as in the README's table.
    pub fn meaning_fr(self) -> &'static str {
        match self {
            Outcome::Complete => "exécution complète",
            Outcome::Failed => {
                "échec de l'exécution : aucune source lue (jeton refusé, locataire injoignable) ou base inaccessible"
            }
            Outcome::Usage => "erreur d'utilisation ou de configuration",
            Outcome::Partial => {
                "exécution complète, mais une source n'a pas pu être lue (les autres l'ont été)"
            }
            Outcome::Findings => "constats au niveau de --fail-on ou au-dessus",
        }
    }

    pub const ALL: [Outcome; 5] = [
        Outcome::Complete,
        Outcome::Failed,
        Outcome::Usage,
        Outcome::Partial,
        Outcome::Findings,
    ];
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> ExitCode {
        ExitCode::from(o.code())
    }
}
