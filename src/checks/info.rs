//! What a check declares about itself, next to its logic (`pub static CHECK: CheckInfo` in
//! each check's file): everything the rest of the tool knows about a check is read from
//! there, through the [`registry`](super::registry).

use super::{Finding, Severity, Snapshot};
use crate::config::Config;
use crate::requirements::Requirement;

/// A check of the catalogue, as declared in its own file.
pub struct CheckInfo {
    /// Stable id (RULES.md).
    pub id: &'static str,
    /// The family it belongs to (its folder, its section of the bilan).
    pub family: Family,
    /// A state (open until fixed) or an event (happened on a date): RULES.md, "Events and
    /// states".
    pub kind: Kind,
    /// Default severity (some checks lower or raise it per finding, as RULES.md says).
    pub severity: Severity,
    /// As shown to users.
    pub title_fr: &'static str,
    /// The directive article or recommendation it enforces.
    pub reference: &'static str,
    /// French, two or three sentences: what it looks at, what it must not flag.
    pub doc: &'static str,
    /// French, how to fix a finding: the admin centre path or the PowerShell cmdlet, and
    /// what to declare in the configuration when the finding is legitimate. `vigie365 checks
    /// <ID>` ends with it (« Correction : … »).
    pub fix_fr: &'static str,
    /// Sources (query names) that must have been collected for the check to be evaluated.
    pub needs: &'static [&'static str],
    /// The properties other parts of the tool ask about.
    pub tags: &'static [Tag],
    /// The requirements it evidences (`crate::requirements`): the bilan's accountability
    /// table reads them from here, so a new check is still one file.
    pub requirements: &'static [&'static Requirement],
    pub run: fn(&Snapshot, &Config) -> Vec<Finding>,
}

impl CheckInfo {
    /// Whether the check declares that tag.
    pub fn has(&self, tag: Tag) -> bool {
        self.tags.contains(&tag)
    }
}

impl std::fmt::Debug for CheckInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckInfo").field("id", &self.id).finish()
    }
}

/// The families of RULES.md, in catalogue order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Generic CHSLD accounts (`src/checks/generic/`).
    Generiques,
    /// « Appli » service accounts and MFA exemptions (`src/checks/appli/`).
    Appli,
    /// Mail forwarding (`src/checks/forwarding/`).
    Redirections,
    /// Shared accounts and access logging (`src/checks/shared/`).
    Partages,
}

impl Family {
    pub const ALL: [Family; 4] = [
        Family::Generiques,
        Family::Appli,
        Family::Redirections,
        Family::Partages,
    ];

    /// Its id in the bilan's JSON document and sections: `generiques`, `appli`,
    /// `redirections`, `partages`.
    pub fn id(self) -> &'static str {
        match self {
            Family::Generiques => "generiques",
            Family::Appli => "appli",
            Family::Redirections => "redirections",
            Family::Partages => "partages",
        }
    }
}

/// RULES.md, "Events and states".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Stays open until someone fixes it; its fix is a « correction » with a delay (an
    /// account without MFA, a rule that forwards).
    State,
    /// Happened on a date; counted and listed per period, never « corrigé » because quiet
    /// nights passed (a sign-in outside the fixed addresses).
    Event,
}

/// Properties of a check that other parts of the tool ask about, instead of reading them
/// from its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    /// Selects accounts by their class (generic, « Appli », named): when the classification
    /// names groups, it also needs the members of groups, or an account of such a group
    /// would silently read as named and pass.
    ByAccountClass,
    /// Its findings say whether the tenant's forwarding controls would block them
    /// (`blocked_by_tenant`; unknown when those controls were not read).
    TenantCanBlock,
    /// Sends mail outside the network now (an enabled forward to a public or external
    /// domain): the bilan's forwarding « trouvées / corrigées ».
    SendsOutside,
    /// A setting of the whole tenant (outbound spam policies, remote domains, transport
    /// rules, audit, encryption), not of one account or mailbox. In a shared tenant whose
    /// settings the establishment does not govern (`[perimetre]`,
    /// `gouverne_controles_locataire = false`), its findings are « contrôles du locataire »:
    /// shown with who governs them, never counted among the establishment's own.
    TenantLevel,
    /// Each piece of evidence needs its own sources (forwarding: an inbox rule, a mailbox, a
    /// recipient to resolve): `needs` lists only what every piece needs; a missing source
    /// blinds only the evidence that needs it, which is listed as not evaluated with the
    /// reason while the rest is judged.
    ByEvidence,
}
