//! The tenant's encryption and audit settings, the mailboxes open to POP or IMAP, the
//! accounts whose mailbox a POP or IMAP client retrieves, and the shared, room and equipment
//! mailboxes whose account was left enabled.
//!
//! | what | when |
//! |---|---|
//! | Azure RMS licensing (OME) off: ENC-EXT-01 | days before 25 |
//! | a transport rule encrypting mail to external recipients (posture) | from day 25 |
//! | mailbox auditing off for the organisation: LOG-AUD-01 | days 10–20 |
//! | unified audit log ingestion off: LOG-AUD-01 | days 35–50 |
//! | POP or IMAP retrievals: FWD-CLI-01 | about 2 % of staff and physicians, four days in ten; svc-billetterie by IMAP4 (permitted) |
//! | shared mailbox with its account enabled: SHR-SIG-01 | about a third of the bulk shared mailboxes, some of them rooms or equipment |

use super::*;

/// The tenant-level settings of a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TenantControls {
    pub azure_rms_licensing: bool,
    pub simplified_client_access: bool,
    pub unified_audit_ingestion: bool,
    pub audit_disabled: bool,
}

/// Discriminators of this module's draws (under `tag::MISC`).
const MAIL_CLIENT: u64 = 7_001;
const MAIL_CLIENT_DAY: u64 = 7_002;
const IMAP_IDLE: u64 = 7_003;
const SHARED_OPEN: u64 = 7_004;
const SHARED_TYPE: u64 = 7_005;

/// The transport rule that encrypts mail to external recipients once OME is available.
pub(crate) const OME_RULE: &str = "Chiffrement des messages vers l'externe";

impl Scenario {
    /// Whether a transport rule applies Office Message Encryption (`ApplyOME`).
    pub(crate) fn applies_ome(&self, r: &TransportRule) -> bool {
        r.name == OME_RULE
    }

    /// The tenant's encryption and audit settings on a day.
    pub(crate) fn tenant_controls(&self, day: i32) -> TenantControls {
        TenantControls {
            azure_rms_licensing: day >= 25,
            simplified_client_access: day >= 25,
            unified_audit_ingestion: !(35..=50).contains(&day),
            audit_disabled: (10..=20).contains(&day),
        }
    }

    /// The client that retrieves account i's mailbox by POP or IMAP, as the sign-in logs
    /// spell it: svc-billetterie (a ticketing system, permitted), and about 2 % of the staff
    /// and physicians.
    pub(crate) fn mail_client(&self, i: u32) -> Option<&'static str> {
        if let Some(k) = key(i) {
            return (k == S::SvcBilletterie).then_some("IMAP4");
        }
        if !matches!(self.kind_of(i), Staff | Physician) {
            return None;
        }
        let x = h(self.seed, &[tag::MISC, MAIL_CLIENT, i as u64]);
        if unit(x) >= 0.02 {
            return None;
        }
        Some(["POP3", "IMAP4", "IMAP"][(x >> 40) as usize % 3])
    }

    /// Whether account i's mail client retrieves its mailbox on sim day k.
    pub(crate) fn retrieves_on(&self, i: u32, k: i32) -> bool {
        key(i).is_some() || unit(h(self.seed, &[tag::MISC, MAIL_CLIENT_DAY, i as u64, d(k)])) < 0.4
    }

    /// (PopEnabled, ImapEnabled) of account i's mailbox: the protocol its client uses, and
    /// IMAP left on, unused, on about 3 % of the other mailboxes.
    pub(crate) fn pop_imap(&self, acc: &Account) -> (bool, bool) {
        match self.mail_client(acc.index) {
            Some(c) if c.starts_with("POP") => (true, false),
            Some(_) => (false, true),
            None => (
                false,
                unit(h(self.seed, &[tag::MISC, IMAP_IDLE, acc.index as u64])) < 0.03,
            ),
        }
    }

    /// Whether a bulk shared mailbox's account was left enabled (about a third of them).
    pub(crate) fn shared_left_open(&self, i: u32) -> bool {
        script(i).is_none()
            && self.kind_of(i) == Shared
            && unit(h(self.seed, &[tag::MISC, SHARED_OPEN, i as u64])) < 0.35
    }

    /// `RecipientTypeDetails` of account i's mailbox.
    pub(crate) fn mailbox_type(&self, acc: &Account) -> &'static str {
        if !acc.is_shared() {
            return "UserMailbox";
        }
        if script(acc.index).is_some() {
            return "SharedMailbox";
        }
        match h(self.seed, &[tag::MISC, SHARED_TYPE, acc.index as u64]) % 5 {
            0 => "RoomMailbox",
            1 => "EquipmentMailbox",
            _ => "SharedMailbox",
        }
    }
}
