//! The establishment's perimeter during a night (`[perimetre]`): its administrative units and
//! groups resolved into members before the users are read, the accounts it retains handed to
//! the tenant-wide sources through a gate, so that nothing of an account outside is stored.
//!
//! Without a perimeter the gate is open from the start (the whole tenant is the
//! establishment's) and nothing waits. With one, the tenant-wide sources that name accounts
//! (registration details, mailboxes, POP and IMAP mailboxes and sign-ins) wait until the users
//! are read; if the perimeter cannot be resolved or the users not read completely, the gate
//! closes, they store nothing, and the night fails: never the whole tenant, silently.

use std::sync::Arc;

use http::Method;
use tokio::sync::watch;

use super::context::{Ctx, collected, failed, query};
use super::error::CollectError;
use super::paging::odata_escape;
use crate::config::DirectoryRef;
use crate::graph::models as wire;
use crate::graph::{Call, GraphError, Refusal};
use crate::model::PerimeterReason;
use crate::perimeter::Members;
pub(crate) use crate::perimeter::{Scope, Within};
use crate::queries::Query;

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

/// The groups of each perimeter the night resolves (`[perimetre]`, or every
/// establishment's), in the order of [`super::Settings::perimeters`]: their ids and display
/// names (`group-members` reads their transitive members with the classification's and the
/// policies' groups).
pub(crate) async fn groups(ctx: &Ctx) -> Result<Vec<Vec<(String, String)>>, CollectError> {
    let q = query("group-members")?;
    let mut out = Vec::new();
    for p in ctx.settings.perimeters() {
        let mut of = Vec::new();
        for r in &p.groups {
            of.push(find(ctx, q, "groupe", r).await?);
        }
        out.push(of);
    }
    Ok(out)
}

/// The source that reads the members of the perimeters' administrative units.
const UNITS_SOURCE: &str = "administrative-units";

fn reads_units(p: &crate::config::Perimeter) -> bool {
    !p.units.is_empty()
}

/// The sources a night with this perimeter does not start, though a provincial night (every
/// establishment's units) does: the administrative units, when it names none. An
/// establishment's bilan written from a provincial store leaves them out of its coverage.
pub fn sources_not_started(p: &crate::config::Perimeter) -> Vec<&'static str> {
    if reads_units(p) {
        Vec::new()
    } else {
        vec![UNITS_SOURCE]
    }
}

/// The members of each perimeter's administrative units (nothing stored), into `members`
/// (one per perimeter, in the order of [`super::Settings::perimeters`]). A unit several
/// establishments name is read once. Without a unit to read, the source is not started.
pub(crate) async fn units(ctx: &Ctx, members: &mut [Members]) -> Result<(), CollectError> {
    let perimeters = ctx.settings.perimeters();
    if perimeters.iter().all(|p| !reads_units(p)) {
        return Ok(());
    }
    let q = query(UNITS_SOURCE)?;
    ctx.start(&q.name).await?;
    let (mut records, mut pages) = (0i64, 0i64);
    let mut read: Vec<(&DirectoryRef, String, Vec<String>)> = Vec::new();
    for (i, r) in perimeters
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.units.iter().map(move |r| (i, r)))
    {
        if let Some((_, name, ids)) = read.iter().find(|(known, _, _)| *known == r) {
            for id in ids {
                members[i].add(id, PerimeterReason::Unit { name: name.clone() });
            }
            continue;
        }
        let mut ids = Vec::new();
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
                        members[i].add(&m.id, PerimeterReason::Unit { name: name.clone() });
                        ids.push(m.id);
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
        read.push((r, name, ids));
    }
    ctx.finish(&q.name, collected(records, pages, None)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GroupRecipient;
    use crate::perimeter::OUTSIDE_ADDRESS;

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
