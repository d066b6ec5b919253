//! Checks that were once in the catalogue and are no longer: their ids stay readable.
//!
//! A store keeps years of findings. When a check leaves the catalogue (merged into another,
//! or the directive changed), the rows it wrote stay in the store, and a bilan or a nightly
//! file of a period that saw them must still load. Removing a check from the registry
//! therefore means adding it here, with its last title and the reason, never reusing its id
//! (clippy keeps its deprecated lints the same way). An id the store holds that is neither
//! here nor in the registry comes from a newer version of vigie365, or from a hand-edited
//! store, and reading it is an error that names the row.

/// A check removed from the catalogue.
#[derive(Debug)]
pub struct Retired {
    pub id: &'static str,
    /// Its title as the last version that ran it gave it.
    pub title_fr: &'static str,
    /// The vigie365 version that removed it.
    pub since: &'static str,
    /// Why, in French: what replaces it.
    pub why_fr: &'static str,
}

/// Every retired check, oldest first. Empty so far: no check has left the catalogue.
pub static RETIRED: &[Retired] = &[];

/// The retired check of that id.
pub fn get(id: &str) -> Option<&'static Retired> {
    RETIRED.iter().find(|r| r.id == id)
}
