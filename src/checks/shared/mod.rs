//! Shared accounts and access logging — orientation on generic subscriptions (a generic
//! account is an exception, for CHSLD and after a risk analysis; « journalisation des accès en
//! tout temps ») and MSSS-DIR04 art. 12.
//!
//! SHR-SIG-01 looks at the shared, room and equipment mailboxes of the snapshot (whatever way
//! `Get-Mailbox` was read, their `RecipientTypeDetails` says what they are) joined to their
//! directory account; LOG-AUD-01 at the tenant's audit settings.

pub mod log_aud_01;
pub mod shr_sig_01;

/// Whether a mailbox's `RecipientTypeDetails` is a shared, room or equipment mailbox: a
/// mailbox many people use, whose account nobody should sign in with.
pub fn is_shared_kind(kind: &str) -> bool {
    ["SharedMailbox", "RoomMailbox", "EquipmentMailbox"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(kind.trim()))
}

/// The French name of a shared mailbox type, for the evidence.
pub fn kind_fr(kind: &str) -> &'static str {
    match kind.trim().to_ascii_lowercase().as_str() {
        "roommailbox" => "boîte de salle",
        "equipmentmailbox" => "boîte d'équipement",
        _ => "boîte partagée",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_kinds_in_any_case() {
        assert!(is_shared_kind("SharedMailbox"));
        assert!(is_shared_kind(" roommailbox "));
        assert!(is_shared_kind("EquipmentMailbox"));
        assert!(!is_shared_kind("UserMailbox"));
        assert!(!is_shared_kind(""));
        assert_eq!(kind_fr("RoomMailbox"), "boîte de salle");
    }
}
