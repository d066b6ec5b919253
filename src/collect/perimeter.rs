//! The establishment's perimeter during a night (`[perimetre]`): its administrative units and
//! groups resolved into members before the users are read, the accounts it retains handed to
//! the tenant-wide sources through a gate, so that nothing of an account outside is stored.
//!
//! Without a perimeter the gate is open from the start (the whole tenant is the
//! establishment's) and nothing waits. With one, the tenant-wide sources that name accounts
//! (registration details, mailboxes, POP and IMAP mailboxes and sign-ins) wait until the users
//! are read; if the perimeter cannot be resolved or the users not read completely, the gate
//! closes, they store nothing, and the night fails: never the whole tenant, silently.

use std::collections::HashSet;
use std::sync::Arc;

use http::Method;
use tokio::sync::watch;

use super::context::{Ctx, collected, failed, query};
use super::error::CollectError;
use super::paging::odata_escape;
use crate::config::DirectoryRef;
use crate::graph::models as wire;
use crate::graph::{Call, GraphError, Refusal};
use crate::model::{Account, PerimeterReason};
use crate::perimeter::Members;
use crate::queries::Query;

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
    /// name, alias or address) becomes [`crate::perimeter::OUTSIDE_RECIPIENT`], internal.
    pub(crate) fn forwarding_address(&self, v: Option<String>) -> Option<String> {
        let Within::Only(scope) = self else {
            return v;
        };
        let value = v?;
        let key = value.trim().to_lowercase();
        if !scope.addresses.contains(&key) && scope.outside.contains(&name_digest(&key)) {
            Some(crate::perimeter::OUTSIDE_RECIPIENT.to_string())
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

/// The gate's state.
#[derive(Debug, Clone)]
pub(crate) enum Gate {
    /// The users are being read.
    Pending,
    Open(Within),
    /// The perimeter could not be resolved, or the users not read completely.
    Closed,
}

/// The gate of a night: open at once without a perimeter.
pub(crate) fn gate(perimeter: bool) -> watch::Sender<Gate> {
    watch::Sender::new(if perimeter {
        Gate::Pending
    } else {
        Gate::Open(Within::Whole)
    })
}

/// Closes the gate when dropped before it was opened (an error, a panic, an early return):
/// the sources waiting on it never wait for ever, never keep what they cannot filter.
pub(crate) struct GateGuard<'a>(pub(crate) &'a watch::Sender<Gate>);

impl Drop for GateGuard<'_> {
    fn drop(&mut self) {
        self.0.send_if_modified(|g| {
            if matches!(g, Gate::Pending) {
                *g = Gate::Closed;
                true
            } else {
                false
            }
        });
    }
}

impl Ctx {
    /// Waits until the perimeter's accounts are known. `None`: they will not be (the source
    /// stores nothing and says why).
    pub(crate) async fn within(&self) -> Option<Within> {
        let mut rx = self.gate.subscribe();
        let state = rx
            .wait_for(|g| !matches!(g, Gate::Pending))
            .await
            .map(|g| g.clone())
            .unwrap_or(Gate::Closed);
        match state {
            Gate::Open(w) => Some(w),
            _ => None,
        }
    }

    /// Opens the gate on the accounts read (`None`: the whole tenant).
    pub(crate) fn open_gate(&self, scope: Option<Scope>) {
        let w = match scope {
            None => Within::Whole,
            Some(s) => Within::Only(Arc::new(s)),
        };
        self.gate.send_replace(Gate::Open(w));
    }
}

/// The outcome of a tenant-wide source that stored nothing because the perimeter's accounts
/// are not known.
pub(crate) fn outside_unknown() -> crate::store::SourceOutcome {
    crate::store::SourceOutcome {
        status: crate::store::SourceStatus::Failed,
        records: 0,
        pages: 0,
        reason: Some(
            "non lue : le périmètre de l'établissement n'a pas pu être établi (comptes non lus \
             en entier), rien n'est gardé d'un compte qui pourrait être hors du périmètre"
                .into(),
        ),
        permission: None,
    }
}

fn unresolved(what: &str, r: &DirectoryRef, e: &GraphError, q: &Query) -> CollectError {
    let (message, configuration) = match e.refusal() {
        Some(Refusal::NotFound) => (
            format!(
                "{what} « {r} » de [perimetre] introuvable dans le locataire ; correctif : \
                 corriger son nom affiché ou son « ID d'objet » dans la configuration \
                 (Entra ID > {})",
                if what.starts_with("unité") {
                    "Unités administratives"
                } else {
                    "Groupes"
                }
            ),
            true,
        ),
        _ if e.is_access_denied() => (
            format!(
                "{what} « {r} » de [perimetre] illisible : l'autorisation d'application {} \
                 n'est pas accordée ; correctif : l'ajouter à l'inscription de vigie365 \
                 (Autorisations d'API) et accorder le consentement d'administrateur",
                q.permissions_fr()
            ),
            false,
        ),
        _ => (
            format!("{what} « {r} » de [perimetre] illisible : {e}"),
            false,
        ),
    };
    CollectError::Perimeter {
        message: format!(
            "{message}. Le périmètre de l'établissement n'a pas pu être établi : la nuit s'arrête \
             plutôt que d'auditer tout le locataire"
        ),
        configuration,
    }
}

/// The unit or group `r` names: its id and display name. By name, exactly one must carry it.
async fn find(
    ctx: &Ctx,
    q: &Query,
    what: &str,
    r: &DirectoryRef,
) -> Result<(String, String), CollectError> {
    let base = q.path.split("/{id}").next().unwrap_or(&q.path).to_string();
    let found: Result<Vec<wire::NamedObject>, GraphError> = match r {
        DirectoryRef::Id(g) => {
            let url = ctx
                .client
                .graph_url(&format!("{base}/{g}"), &[("$select", "id,displayName")])?;
            ctx.client
                .get_json::<wire::NamedObject>(&Call::for_query(q, Method::GET, url))
                .await
                .map(|o| vec![o])
        }
        DirectoryRef::Name(n) => {
            let filter = format!("displayName eq '{}'", odata_escape(n));
            let url = ctx.client.graph_url(
                &base,
                &[("$filter", &filter), ("$select", "id,displayName")],
            )?;
            let mut pager =
                ctx.client
                    .pages::<wire::NamedObject>(Call::for_query(q, Method::GET, url));
            let mut all = Vec::new();
            loop {
                match pager.next_page().await {
                    Ok(Some(p)) => all.extend(p.items),
                    Ok(None) => break Ok(all),
                    Err(e) => break Err(e),
                }
            }
        }
    };
    let found = found.map_err(|e| unresolved(what, r, &e, q))?;
    match &found[..] {
        [one] => Ok((
            one.id.clone(),
            one.display_name.clone().unwrap_or_else(|| r.to_string()),
        )),
        [] => Err(CollectError::Perimeter {
            message: format!(
                "{what} « {r} » de [perimetre] introuvable dans le locataire (aucun objet de ce \
                 nom) ; correctif : corriger son nom affiché ou donner son « ID d'objet ». La \
                 nuit s'arrête plutôt que d'auditer tout le locataire"
            ),
            configuration: true,
        }),
        many => Err(CollectError::Perimeter {
            message: format!(
                "{what} « {r} » de [perimetre] ambigu : {} objets portent ce nom ({}) ; \
                 correctif : le nommer par son « ID d'objet ». La nuit s'arrête plutôt que \
                 d'auditer tout le locataire",
                many.len(),
                many.iter()
                    .map(|o| o.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            configuration: true,
        }),
    }
}

/// The perimeter's groups: their ids and display names (`group-members` reads their
/// transitive members with the classification's and the policies' groups).
pub(crate) async fn groups(ctx: &Ctx) -> Result<Vec<(String, String)>, CollectError> {
    let Some(p) = &ctx.settings.perimeter else {
        return Ok(Vec::new());
    };
    let q = query("group-members")?;
    let mut out = Vec::new();
    for r in &p.groups {
        out.push(find(ctx, q, "groupe", r).await?);
    }
    Ok(out)
}

/// The members of the perimeter's administrative units (nothing stored). Without a unit to
/// read, the source is not started.
pub(crate) async fn units(ctx: &Ctx, members: &mut Members) -> Result<(), CollectError> {
    let Some(p) = ctx
        .settings
        .perimeter
        .as_ref()
        .filter(|p| !p.units.is_empty())
    else {
        return Ok(());
    };
    let q = query("administrative-units")?;
    ctx.start(&q.name).await?;
    let (mut records, mut pages) = (0i64, 0i64);
    for r in &p.units {
        let (id, name) = match find(ctx, q, "unité administrative", r).await {
            Ok(found) => found,
            Err(e) => {
                let outcome = match &e {
                    CollectError::Perimeter { message, .. } => crate::store::SourceOutcome {
                        status: crate::store::SourceStatus::Failed,
                        records,
                        pages,
                        reason: Some(message.clone()),
                        permission: Some(q.permissions_fr()),
                    },
                    _ => outside_unknown(),
                };
                ctx.finish(&q.name, outcome).await?;
                return Err(e);
            }
        };
        let path = q.path.replace("{id}", &id);
        let url = ctx.client.graph_url(
            &path,
            &[("$select", &q.select()), ("$top", &q.page_size.to_string())],
        )?;
        let mut pager =
            ctx.client
                .pages::<wire::DirectoryMember>(Call::for_query(q, Method::GET, url));
        loop {
            match pager.next_page().await {
                Ok(Some(page)) => {
                    pages += 1;
                    records += page.items.len() as i64;
                    ctx.progress.advance(&q.name, page.items.len() as u64);
                    for m in page.items {
                        members.add(&m.id, PerimeterReason::Unit { name: name.clone() });
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    ctx.finish(&q.name, failed(ctx, &e, q, records, pages))
                        .await?;
                    return Err(unresolved("unité administrative", r, &e, q));
                }
            }
        }
    }
    ctx.finish(&q.name, collected(records, pages, None)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GroupRecipient;

    fn within() -> Within {
        let mut a = crate::checks::testing::account("a1", "Marie Roy");
        a.upn = "marie.roy@ciusss-a.ssss.gouv.qc.ca".into();
        a.mail = Some("marie.roy@ssss.gouv.qc.ca".into());
        let mut s = Scope::default();
        s.add(&a);
        s.domain_of(
            "paul.cote@ciusss-b.ssss.gouv.qc.ca",
            Some("paul.cote@ssss.gouv.qc.ca"),
        );
        s.domain_of(&a.upn, a.mail.as_deref());
        Within::Only(Arc::new(s))
    }

    #[test]
    fn senders_outside_are_never_named_and_others_are_kept() {
        let w = within();
        assert_eq!(
            w.senders(vec![
                "paul.cote@ssss.gouv.qc.ca".into(),
                "Marie.Roy@ssss.gouv.qc.ca".into(),
                "anne.bouchard@ssss.gouv.qc.ca".into(),
                "partenaire@gmail.com".into(),
            ]),
            [
                OUTSIDE_ADDRESS,
                "Marie.Roy@ssss.gouv.qc.ca",
                "partenaire@gmail.com"
            ]
        );
        assert!(w.keeps_id("A1") && !w.keeps_id("b1"));
        assert!(Within::Whole.keeps_address("qui@que.ce.soit"));
        assert_eq!(
            Within::Whole.senders(vec!["paul.cote@ssss.gouv.qc.ca".into()]),
            ["paul.cote@ssss.gouv.qc.ca"]
        );
    }

    #[test]
    fn a_mailbox_outside_stays_internal_without_its_name() {
        let w = within();
        let member = |kind: &str, smtp: &str| GroupRecipient {
            identity: "Paul Côté".into(),
            name: "Paul Côté".into(),
            kind: kind.into(),
            primary_smtp: Some(smtp.into()),
            external_address: None,
        };
        let r = w.recipient(member("UserMailbox", "paul.cote@ssss.gouv.qc.ca"));
        assert_eq!(r.name, OUTSIDE_ADDRESS);
        assert_eq!(
            r.primary_smtp.as_deref(),
            Some("hors-du-perimetre@ssss.gouv.qc.ca")
        );
        assert_eq!(r.kind, "UserMailbox");
        let kept = member("UserMailbox", "marie.roy@ssss.gouv.qc.ca");
        assert_eq!(w.recipient(kept.clone()), kept);
        let contact = member("MailContact", "paul.cote@ssss.gouv.qc.ca");
        assert_eq!(w.recipient(contact.clone()), contact);
    }

    #[test]
    fn the_gate_closes_when_its_guard_is_dropped_unopened() {
        let g = gate(true);
        drop(GateGuard(&g));
        assert!(matches!(*g.borrow(), Gate::Closed));
        let g = gate(true);
        g.send_replace(Gate::Open(Within::Whole));
        drop(GateGuard(&g));
        assert!(matches!(*g.borrow(), Gate::Open(Within::Whole)));
        assert!(matches!(*gate(false).borrow(), Gate::Open(Within::Whole)));
    }
}
