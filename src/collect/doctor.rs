//! `vigie365 doctor`: the configuration, both tokens, and the cheapest request of each
//! query family, with a French verdict per source (what is missing and how to grant it).

use http::Method;
use serde::Serialize;
use url::Url;

use crate::graph::models as wire;
use crate::graph::{Audience, Call, GraphClient, GraphError, Refusal};
use crate::queries::{self, Api, Query};

/// The verdict on one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub source: String,
    pub title: String,
    pub permission: String,
    pub licence: String,
    pub ok: bool,
    /// What is missing and how to fix it, when not ok.
    pub detail: String,
}

/// The doctor's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub graph_token: Result<(), String>,
    pub exchange_token: Result<(), String>,
    pub verdicts: Vec<Verdict>,
}

impl Report {
    pub fn all_ok(&self) -> bool {
        self.graph_token.is_ok()
            && self.exchange_token.is_ok()
            && self.verdicts.iter().all(|v| v.ok)
    }

    /// The French table printed by `vigie365 doctor`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let token = |name: &str, r: &Result<(), String>| match r {
            Ok(()) => format!("jeton {name} : obtenu\n"),
            Err(e) => format!("jeton {name} : ÉCHEC\n  {e}\n"),
        };
        out.push_str(&token("Microsoft Graph", &self.graph_token));
        out.push_str(&token("Exchange Online", &self.exchange_token));
        out.push('\n');
        out.push_str(&format!(
            "{:<44} {:<6} {}\n",
            "source", "état", "autorisation / licence"
        ));
        for v in &self.verdicts {
            let licence = if v.licence.is_empty() {
                String::new()
            } else {
                format!(" ; licence : {}", v.licence)
            };
            out.push_str(&format!(
                "{:<44} {:<6} {}{}\n",
                v.title,
                if v.ok { "OK" } else { "MANQUE" },
                v.permission,
                licence
            ));
            if !v.ok {
                out.push_str(&format!("    → {}\n", v.detail));
            }
        }
        out
    }
}

fn verdict(q: &Query, result: Result<(), GraphError>) -> Verdict {
    let (ok, detail) = match result {
        Ok(()) => (true, String::new()),
        Err(e) => {
            let fix = match e.refusal() {
                Some(Refusal::Permission) => format!(
                    "autorisation manquante : accordez {} à l'application (type Application) puis le consentement administrateur",
                    q.permissions.join(" et ")
                ),
                Some(Refusal::Licence) => {
                    format!("licence manquante dans le locataire : {}", q.licence)
                }
                _ => e.to_string(),
            };
            (false, fix)
        }
    };
    Verdict {
        source: q.name.clone(),
        title: q.title.clone(),
        permission: q.permissions.join(", "),
        licence: q.licence.clone(),
        ok,
        detail,
    }
}

async fn first_page<T: serde::de::DeserializeOwned>(
    client: &GraphClient,
    call: Call,
) -> Result<Vec<T>, GraphError> {
    Ok(client
        .pages::<T>(call)
        .next_page()
        .await?
        .map(|p| p.items)
        .unwrap_or_default())
}

/// Probes every query family with its cheapest request.
pub async fn run(client: &GraphClient) -> Report {
    let graph_token = token(client, Audience::Graph).await;
    let exchange_token = token(client, Audience::Exchange).await;
    let mut probe = Probe {
        client,
        some_user: Vec::new(),
        ca_groups: Vec::new(),
    };
    let mut verdicts = Vec::new();
    for q in queries::all() {
        let result = probe.probe(q).await;
        verdicts.push(verdict(q, result));
    }
    Report {
        graph_token,
        exchange_token,
        verdicts,
    }
}

/// Whether a token of that audience can be obtained (why not, in French).
async fn token(client: &GraphClient, audience: Audience) -> Result<(), String> {
    client
        .tokens()
        .bearer(audience)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The probes of one `doctor` run, in catalogue order: what an earlier probe found feeds a
/// later one.
struct Probe<'c> {
    client: &'c GraphClient,
    /// A few users: the inbox rules probe reads one of their mailboxes.
    some_user: Vec<String>,
    /// Groups the conditional access policies name: the group-members probe reads one of them.
    ca_groups: Vec<String>,
}

impl Probe<'_> {
    /// The cheapest request of a query family.
    async fn probe(&mut self, q: &Query) -> Result<(), GraphError> {
        let client = self.client;
        match (q.api, q.name.as_str()) {
            (Api::Exchange, _) => self.exchange(q).await,
            (_, "users") => {
                let url = client.graph_url(&q.path, &[("$select", "id"), ("$top", "5")])?;
                let users: Vec<wire::DirectoryMember> =
                    first_page(client, Call::for_query(q, Method::GET, url)).await?;
                self.some_user = users.into_iter().map(|u| u.id).collect();
                Ok(())
            }
            (_, "users-sign-in-activity") => {
                let url = client
                    .graph_url(&q.path, &[("$select", "id,signInActivity"), ("$top", "1")])?;
                self.answers(q, url).await
            }
            (_, "group-members") => self.group_members(q).await,
            (_, "conditional-access-policies") => self.conditional_access(q).await,
            (_, "message-rules") => self.message_rules(q).await,
            (_, "sign-ins") => {
                let url = client.graph_url(&q.path, &[("$top", "1")])?;
                self.answers(q, url).await
            }
            _ => {
                let url = client.graph_url(&q.path, &[])?;
                let mut pager =
                    client.pages::<serde_json::Value>(Call::for_query(q, Method::GET, url));
                pager.next_page().await.map(|_| ())
            }
        }
    }

    /// Whether the first page of a GET comes back.
    async fn answers(&self, q: &Query, url: Url) -> Result<(), GraphError> {
        first_page::<serde_json::Value>(self.client, Call::for_query(q, Method::GET, url))
            .await
            .map(|_| ())
    }

    /// An Exchange cmdlet, asked for one result when it takes a size.
    async fn exchange(&self, q: &Query) -> Result<(), GraphError> {
        let mut call = self.client.exchange_call(q)?;
        if let Some(body) = call.body.as_mut()
            && q.parameters.contains_key("ResultSize")
        {
            body["CmdletInput"]["Parameters"]["ResultSize"] = serde_json::json!(1);
        }
        first_page::<serde_json::Value>(self.client, call)
            .await
            .map(|_| ())
    }

    /// The members of a group the policies name, or else of the tenant's first group.
    async fn group_members(&self, q: &Query) -> Result<(), GraphError> {
        let client = self.client;
        let group = match self.ca_groups.first() {
            Some(g) => Some(g.clone()),
            None => {
                let groups_url =
                    client.graph_url("/v1.0/groups", &[("$select", "id"), ("$top", "1")])?;
                let groups: Vec<wire::DirectoryMember> =
                    first_page(client, Call::for_query(q, Method::GET, groups_url)).await?;
                groups.first().map(|g| g.id.clone())
            }
        };
        match group {
            Some(g) => {
                let url = client.graph_url(
                    &q.path.replace("{id}", &g),
                    &[("$select", "id"), ("$top", "1")],
                )?;
                self.answers(q, url).await
            }
            None => Ok(()),
        }
    }

    /// The policies, keeping the groups they name.
    async fn conditional_access(&mut self, q: &Query) -> Result<(), GraphError> {
        let url = self.client.graph_url(&q.path, &[])?;
        let policies: Vec<wire::ConditionalAccessPolicy> =
            first_page(self.client, Call::for_query(q, Method::GET, url)).await?;
        for p in &policies {
            if let Some(u) = p.conditions.as_ref().and_then(|c| c.users.as_ref()) {
                self.ca_groups
                    .extend(u.exclude_groups.iter().chain(&u.include_groups).cloned());
            }
        }
        Ok(())
    }

    /// The inbox rules of a user: one without a mailbox answers 404, so try the first few.
    async fn message_rules(&self, q: &Query) -> Result<(), GraphError> {
        let mut last = Ok(());
        for id in &self.some_user {
            let url = self.client.graph_url(&q.path.replace("{id}", id), &[])?;
            last = self.answers(q, url).await;
            match &last {
                Err(e) if e.refusal() == Some(Refusal::NotFound) => continue,
                _ => break,
            }
        }
        last
    }
}
