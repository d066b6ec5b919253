//! The establishment's perimeter in a shared (provincial) tenant: which accounts are its
//! own. `[perimetre]` gives the criteria (`config::Perimeter`); the collection resolves the
//! administrative units and groups into their members ([`Members`]) and keeps, with each
//! account in the perimeter, the criteria that retain it ([`reasons`]). An account no
//! criterion retains is not stored, not checked, not counted, not named.
//!
//! Nothing here depends on there being one establishment: the provincial mode will hold one
//! [`Members`] per establishment and call [`reasons`] for each.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::config::{DirectoryAttribute, Perimeter};
use crate::model::{Account, PerimeterReason};

/// What `evaluate --explain` says of an account outside the perimeter, and nothing more.
/// What a mailbox's `ForwardingAddress` becomes when it names an account of the tenant
/// outside the perimeter (another establishment's mailbox): a recipient of the corporate
/// mail system, internal, that the establishment's outputs do not name.
pub const OUTSIDE_RECIPIENT: &str = "(destinataire du locataire hors du périmètre)";

pub const OUTSIDE_FR: &str = "hors du périmètre : aucun critère ne le retient";

/// The members of the perimeter's administrative units and groups, resolved for one night:
/// user id → the units and groups that retain it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Members(HashMap<String, Vec<PerimeterReason>>);

impl Members {
    /// Records that `user_id` is a member of the unit or group `reason` names.
    pub fn add(&mut self, user_id: &str, reason: PerimeterReason) {
        let v = self.0.entry(user_id.to_ascii_lowercase()).or_default();
        if !v.contains(&reason) {
            v.push(reason);
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn of(&self, user_id: &str) -> &[PerimeterReason] {
        self.0
            .get(&user_id.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }
}

/// The value of a directory attribute of an account, as read.
pub fn attribute_value(a: &Account, attribute: DirectoryAttribute) -> Option<&str> {
    let name = attribute.graph_name();
    match attribute {
        DirectoryAttribute::EmployeeType => a.employee_type.as_deref(),
        DirectoryAttribute::ExtensionAttribute(_) => a
            .extension_attributes
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.as_str()),
        DirectoryAttribute::CompanyName
        | DirectoryAttribute::Department
        | DirectoryAttribute::OfficeLocation => a.organisation.get(&name).map(String::as_str),
    }
}

fn same_text(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Every criterion of `p` that retains the account (empty: outside), in the order of the
/// configuration: units and groups, then address patterns, then attributes.
pub fn reasons(p: &Perimeter, members: &Members, a: &Account) -> Vec<PerimeterReason> {
    let mut out: Vec<PerimeterReason> = members.of(&a.id).to_vec();
    for pattern in &p.addresses {
        if pattern.matches(&a.upn) {
            out.push(PerimeterReason::Pattern {
                pattern: pattern.to_string(),
                field: "upn".into(),
            });
        } else if a.mail.as_deref().is_some_and(|m| pattern.matches(m)) {
            out.push(PerimeterReason::Pattern {
                pattern: pattern.to_string(),
                field: "mail".into(),
            });
        }
    }
    for m in &p.attributes {
        if let Some(v) = attribute_value(a, m.attribute)
            && m.values.iter().any(|w| same_text(w, v))
        {
            out.push(PerimeterReason::Attribute {
                name: m.attribute.graph_name(),
                value: v.trim().to_string(),
            });
        }
    }
    out
}

/// One criterion, in French.
pub fn reason_fr(r: &PerimeterReason) -> String {
    match r {
        PerimeterReason::Unit { name } => format!("membre de l'unité administrative « {name} »"),
        PerimeterReason::Group { name } => format!("membre du groupe « {name} »"),
        PerimeterReason::Pattern { pattern, field } => format!(
            "{} correspond au motif « {pattern} »",
            if field == "mail" {
                "l'adresse"
            } else {
                "l'UPN"
            }
        ),
        PerimeterReason::Attribute { name, value } => format!("{name} = « {value} »"),
    }
}

/// « dans le périmètre parce que … » with every criterion that retains the account.
pub fn explain_fr(reasons: &[PerimeterReason]) -> String {
    if reasons.is_empty() {
        return "dans le périmètre (critères non relevés : compte lu avant la section \
                [perimetre])"
            .into();
    }
    let parts: Vec<String> = reasons.iter().map(reason_fr).collect();
    format!("dans le périmètre parce que {}", parts.join(" ; "))
}

/// The accounts of the perimeter, as the tenant-wide sources filter on them.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    ids: HashSet<String>,
    /// UPNs, mail and SMTP proxy addresses, lower case.
    addresses: HashSet<String>,
    /// The domains of every account read (the perimeter's or not): an address there that
    /// is not the perimeter's is an account outside it.
    pub(crate) tenant_domains: HashSet<String>,
    /// What names an account outside the perimeter (UPN, mail, their local parts, display
    /// name; lower case), held for the night only as 64-bit digests ([`name_digest`]): a
    /// mailbox's `ForwardingAddress` naming one is internal without naming it. Digests, not
    /// the names: in a 300,000-account provincial tenant the names of the 280,000 accounts
    /// outside an establishment held some 90 MB.
    outside: HashSet<u64>,
}

/// The digest of a name of an account outside the perimeter (SipHash with fixed keys:
/// the same name, the same digest, within the night). A collision would make one
/// `ForwardingAddress` of the establishment read as another establishment's mailbox, one
/// chance in 2^64 per pair of names.
fn name_digest(name: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    name.hash(&mut h);
    h.finish()
}

impl Scope {
    /// Adds an account the perimeter retains.
    pub(crate) fn add(&mut self, a: &Account) {
        self.ids.insert(a.id.to_ascii_lowercase());
        self.addresses.insert(a.upn.clone());
        self.addresses.extend(a.mail.clone());
        self.addresses.extend(
            a.proxy_addresses
                .iter()
                .filter_map(|p| crate::classify::smtp_address(p))
                .map(str::to_lowercase),
        );
    }

    /// Notes the domain of an account read, in the perimeter or not.
    pub(crate) fn domain_of(&mut self, upn: &str, mail: Option<&str>) {
        for a in std::iter::once(upn).chain(mail) {
            if let Some((_, d)) = a.rsplit_once('@')
                && !self.tenant_domains.contains(d)
            {
                self.tenant_domains.insert(d.to_lowercase());
            }
        }
    }

    /// Notes an account the perimeter does not retain.
    pub(crate) fn outside(&mut self, a: &Account) {
        let local = |x: &str| x.split('@').next().unwrap_or_default().to_string();
        for name in [
            a.upn.clone(),
            local(&a.upn),
            a.display_name.trim().to_lowercase(),
        ]
        .into_iter()
        .chain(
            a.mail
                .iter()
                .flat_map(|m| [m.to_lowercase(), local(&m.to_lowercase())]),
        ) {
            if !name.is_empty() {
                self.outside.insert(name_digest(&name));
            }
        }
    }

    /// Takes the accounts outside noted in `other`, and its domains.
    pub(crate) fn absorb(&mut self, other: Scope) {
        self.tenant_domains = other.tenant_domains;
        self.outside = other.outside;
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

/// What the tenant-wide sources may keep.
#[derive(Debug, Clone)]
pub(crate) enum Within {
    /// No perimeter: everything.
    Whole,
    /// Only the perimeter's accounts.
    Only(Arc<Scope>),
}

impl Within {
    pub(crate) fn keeps_id(&self, id: &str) -> bool {
        match self {
            Within::Whole => true,
            Within::Only(s) => s.ids.contains(&id.to_ascii_lowercase()),
        }
    }

    /// Whether `name` (a UPN, an address, a display name) names an account of the tenant
    /// outside the perimeter.
    pub(crate) fn names_outside(&self, name: &str) -> bool {
        match self {
            Within::Whole => false,
            Within::Only(s) => {
                let key = name.trim().to_lowercase();
                !s.addresses.contains(&key) && s.outside.contains(&name_digest(&key))
            }
        }
    }

    pub(crate) fn keeps_address(&self, address: &str) -> bool {
        match self {
            Within::Whole => true,
            Within::Only(s) => s.addresses.contains(&address.trim().to_lowercase()),
        }
    }
}

/// What an address of an account outside the perimeter becomes where a tenant setting names
/// it (an outbound spam rule's senders): it matches no mailbox, and names no one.
pub(crate) const OUTSIDE_ADDRESS: &str = "(adresse hors du périmètre)";

impl Within {
    /// Senders a tenant setting names: an address of an account outside the perimeter is
    /// replaced by [`OUTSIDE_ADDRESS`] (once); other values (external addresses, the
    /// perimeter's) are kept as written.
    pub(crate) fn senders(&self, v: Vec<String>) -> Vec<String> {
        let Within::Only(scope) = self else {
            return v;
        };
        let mut out: Vec<String> = Vec::new();
        for s in v {
            let a = s.trim().to_lowercase();
            let account_outside = a.contains('@')
                && !scope.addresses.contains(&a)
                && scope
                    .tenant_domains
                    .iter()
                    .any(|d| a.ends_with(&format!("@{d}")));
            let kept = if account_outside {
                OUTSIDE_ADDRESS.to_string()
            } else {
                s
            };
            if !out.contains(&kept) {
                out.push(kept);
            }
        }
        out
    }
}

impl Within {
    /// A mailbox's `ForwardingAddress`: one naming an account outside the perimeter (by
    /// name, alias or address) becomes [`OUTSIDE_RECIPIENT`], internal.
    pub(crate) fn forwarding_address(&self, v: Option<String>) -> Option<String> {
        let Within::Only(scope) = self else {
            return v;
        };
        let value = v?;
        let key = value.trim().to_lowercase();
        if !scope.addresses.contains(&key) && scope.outside.contains(&name_digest(&key)) {
            Some(OUTSIDE_RECIPIENT.to_string())
        } else {
            Some(value)
        }
    }
}

impl Within {
    /// A member of a distribution group: the mailbox of an account outside the perimeter
    /// keeps its kind and its domain (it stays internal) but not its name nor its address;
    /// contacts, mail users and groups are kept as read (their external address decides).
    pub(crate) fn recipient(
        &self,
        m: crate::model::GroupRecipient,
    ) -> crate::model::GroupRecipient {
        let Within::Only(scope) = self else {
            return m;
        };
        let address = m
            .primary_smtp
            .as_deref()
            .map(|a| a.trim().to_lowercase())
            .unwrap_or_default();
        let Some((_, domain)) = address.rsplit_once('@') else {
            return m;
        };
        if m.is_group()
            || !m.kind.to_ascii_lowercase().contains("mailbox")
            || scope.addresses.contains(&address)
            || !scope.tenant_domains.contains(domain)
        {
            return m;
        }
        crate::model::GroupRecipient {
            identity: OUTSIDE_ADDRESS.into(),
            name: OUTSIDE_ADDRESS.into(),
            kind: m.kind,
            primary_smtp: Some(format!("hors-du-perimetre@{domain}")),
            external_address: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AddressPattern, AttributeMatcher};

    fn account(upn: &str, mail: Option<&str>) -> Account {
        let mut a = crate::checks::testing::account(upn, upn);
        a.upn = upn.to_string();
        a.mail = mail.map(str::to_string);
        a
    }

    fn perimeter() -> Perimeter {
        Perimeter {
            units: Vec::new(),
            groups: Vec::new(),
            addresses: vec![AddressPattern::new("*@CIUSSS-centre-sud.ssss.gouv.qc.ca").unwrap()],
            attributes: vec![AttributeMatcher {
                attribute: DirectoryAttribute::CompanyName,
                values: vec!["CIUSSS du Centre-Sud-de-l'Île-de-Montréal".into()],
            }],
            governs_tenant_controls: false,
            tenant_governor: None,
        }
    }

    #[test]
    fn each_criterion_retains_and_says_why() {
        let p = perimeter();
        let mut m = Members::default();
        let by_upn = account("a.b@ciusss-centre-sud.ssss.gouv.qc.ca", None);
        assert_eq!(
            explain_fr(&reasons(&p, &m, &by_upn)),
            "dans le périmètre parce que l'UPN correspond au motif \
             « *@ciusss-centre-sud.ssss.gouv.qc.ca »"
        );
        let by_mail = account(
            "x@tenant.onmicrosoft.com",
            Some("X@Ciusss-Centre-Sud.ssss.gouv.qc.ca"),
        );
        assert!(
            matches!(&reasons(&p, &m, &by_mail)[..], [PerimeterReason::Pattern { field, .. }] if field == "mail")
        );
        let mut by_company = account("y@ssss.gouv.qc.ca", None);
        by_company.organisation.insert(
            "companyName".into(),
            "ciusss du centre-sud-de-l'île-de-montréal".into(),
        );
        assert_eq!(reasons(&p, &m, &by_company).len(), 1);
        let outside = account("z.med@ssss.gouv.qc.ca", None);
        assert!(reasons(&p, &m, &outside).is_empty());
        m.add(
            &outside.id,
            PerimeterReason::Unit {
                name: "CIUSSS du Centre-Sud".into(),
            },
        );
        assert_eq!(
            explain_fr(&reasons(&p, &m, &outside)),
            "dans le périmètre parce que membre de l'unité administrative « CIUSSS du Centre-Sud »"
        );
    }

    #[test]
    fn patterns_need_a_domain_and_match_with_jokers() {
        assert!(AddressPattern::new("*").is_none());
        assert!(AddressPattern::new("jean@").is_none());
        assert!(AddressPattern::new("*@*").is_none());
        assert!(AddressPattern::new("@ssss.gouv.qc.ca").is_none());
        let p = AddressPattern::new("*.med@*.ssss.gouv.qc.ca").unwrap();
        assert!(p.matches("Jean.Tremblay.MED@ciusss-x.ssss.gouv.qc.ca"));
        assert!(!p.matches("jean.tremblay.med@ssss.gouv.qc.ca"));
        let q = AddressPattern::new("*@ssss.gouv.qc.ca").unwrap();
        assert!(q.matches("a@ssss.gouv.qc.ca"));
        assert!(!q.matches("a@x.ssss.gouv.qc.ca.evil.com"));
        assert!(!q.matches("a@ssss.gouv.qc.ca.evil.com"));
    }
}
