//! The establishment's perimeter in a shared (provincial) tenant: which accounts are its
//! own. `[perimetre]` gives the criteria (`config::Perimeter`); the collection resolves the
//! administrative units and groups into their members ([`Members`]) and keeps, with each
//! account in the perimeter, the criteria that retain it ([`reasons`]). An account no
//! criterion retains is not stored, not checked, not counted, not named.
//!
//! Nothing here depends on there being one establishment: the provincial mode will hold one
//! [`Members`] per establishment and call [`reasons`] for each.

use std::collections::HashMap;

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
