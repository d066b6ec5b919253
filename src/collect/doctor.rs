//! `vigie365 doctor`: what a night needs, in the order a night needs it — a token for each
//! audience, then the cheapest request of each query family (a French verdict per source:
//! what is missing and how to grant it), then the store and the output directory. Nothing
//! it could not verify is called OK.

use std::path::Path;

use http::Method;
use serde::Serialize;
use url::Url;

use crate::config::Config;
use crate::exit::Outcome;
use crate::graph::models as wire;
use crate::graph::{Audience, Call, GraphClient, GraphError, Refusal};
use crate::queries::{self, Api, Query};
use crate::store::Store;

/// What the doctor could say of one thing a night needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Verified, and usable.
    Ok,
    /// Refused for a missing permission or licence: the night reads the other sources.
    Missing,
    /// Verified, and not usable (an error other than a refusal).
    Failed,
    /// Not verified, and why (its token was refused, nothing to try it on).
    Unverified,
}

impl State {
    fn label(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Missing => "MANQUE",
            State::Failed => "ÉCHEC",
            State::Unverified => "NON VÉRIFIÉ",
        }
    }
}

/// The verdict on one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub source: String,
    pub title: String,
    pub permission: String,
    pub licence: String,
    pub state: State,
    /// What is missing and how to fix it, or why it was not verified, when not ok.
    pub detail: String,
}

/// The verdict on a local place a night writes (the store, the output directory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    /// `base` or `sorties`, and the path.
    pub title: String,
    pub state: State,
    /// What was found (ok), or what is wrong and the fix.
    pub detail: String,
}

/// The doctor's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub graph_token: Result<(), String>,
    pub exchange_token: Result<(), String>,
    pub verdicts: Vec<Verdict>,
    pub places: Vec<Place>,
}

impl Report {
    /// How `doctor` ends: 1 when a night would fail (a token refused, the store or the
    /// output directory unusable), 3 when a source would not be read, else 0.
    pub fn outcome(&self) -> Outcome {
        let tokens = self.graph_token.is_ok() && self.exchange_token.is_ok();
        if !tokens || self.places.iter().any(|p| p.state != State::Ok) {
            Outcome::Failed
        } else if self
            .verdicts
            .iter()
            .any(|v| matches!(v.state, State::Missing | State::Failed))
        {
            Outcome::Partial
        } else {
            Outcome::Complete
        }
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
            "{:<44} {:<11} {}\n",
            "source", "état", "autorisation / licence"
        ));
        for v in &self.verdicts {
            let licence = if v.licence.is_empty() {
                String::new()
            } else {
                format!(" ; licence : {}", v.licence)
            };
            out.push_str(&format!(
                "{:<44} {:<11} {}{}\n",
                v.title,
                v.state.label(),
                v.permission,
                licence
            ));
            if v.state != State::Ok {
                out.push_str(&format!("    → {}\n", v.detail));
            }
        }
        out.push('\n');
        for p in &self.places {
            out.push_str(&format!("{} : {}\n", p.title, p.state.label()));
            out.push_str(&format!("    → {}\n", p.detail));
        }
        out
    }
}

/// What a probe found: the source answered, or it could not be tried, and why.
enum Probed {
    Answered,
    Untried(String),
}

fn verdict(q: &Query, result: Result<Probed, GraphError>) -> Verdict {
    let (state, detail) = match result {
        Ok(Probed::Answered) => (State::Ok, String::new()),
        Ok(Probed::Untried(why)) => (State::Unverified, format!("non vérifié : {why}")),
        Err(e) if super::intune::intune_not_licensed(&e) => (
            State::Missing,
            format!(
                "licence manquante dans le locataire : {} (source facultative : GEN-DEV-01 est \
                 alors jugé sur les seuls journaux de connexion)",
                q.licence
            ),
        ),
        Err(e) => match e.refusal() {
            Some(Refusal::Permission) => (
                State::Missing,
                format!(
                    "autorisation manquante : accordez {} à l'application (type Application) puis le consentement administrateur",
                    q.permissions.join(" et ")
                ),
            ),
            Some(Refusal::Licence) => (
                State::Missing,
                format!("licence manquante dans le locataire : {}", q.licence),
            ),
            _ => (State::Failed, e.to_string()),
        },
    };
    Verdict {
        source: q.name.clone(),
        title: q.title.clone(),
        permission: q.permissions.join(", "),
        licence: q.licence.clone(),
        state,
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

/// Gets both tokens, probes every query family whose token was obtained with its cheapest
/// request, then checks the store and the output directory of `config`.
pub async fn run(client: &GraphClient, config: &Config) -> Report {
    let graph_token = token(client, Audience::Graph).await;
    let exchange_token = token(client, Audience::Exchange).await;
    let mut probe = Probe {
        client,
        some_user: None,
        ca_groups: Vec::new(),
        units: config
            .perimeter
            .as_ref()
            .is_some_and(|p| !p.units.is_empty()),
    };
    let mut verdicts = Vec::new();
    for q in queries::all() {
        let (refused, name) = match q.api {
            Api::Exchange => (exchange_token.is_err(), "Exchange Online"),
            _ => (graph_token.is_err(), "Microsoft Graph"),
        };
        let result = if refused {
            Ok(Probed::Untried(format!(
                "jeton {name} refusé (cause et correctif ci-dessus)"
            )))
        } else {
            probe.probe(q).await
        };
        verdicts.push(verdict(q, result));
    }
    let places = vec![
        store_place(&config.storage.database),
        outputs_place(&config.storage.outputs),
    ];
    Report {
        graph_token,
        exchange_token,
        verdicts,
        places,
    }
}

/// The store as a night opens it: its directory writable, and the base (when it exists)
/// with its history, sound and writable.
fn store_place(path: &Path) -> Place {
    let title = format!("base {}", path.display());
    let dir = path.parent().unwrap_or(Path::new("."));
    let result = writable_dir(dir)
        .map_err(|e| format!("répertoire {} : {e}\n      correctif : créez-le, ou donnez au compte de vigie365 le droit d'y écrire, ou corrigez [stockage].base", dir.display()))
        .and_then(|()| Store::check(path).map_err(|e| e.to_string()));
    match result {
        Ok(None) => Place {
            title,
            state: State::Ok,
            detail: "absente : la première nuit la créera (répertoire accessible en écriture)"
                .into(),
        },
        Ok(Some(runs)) => Place {
            title,
            state: State::Ok,
            detail: format!(
                "ouverte, intègre (quick_check), accessible en écriture ; {runs} exécution(s) enregistrée(s)"
            ),
        },
        Err(detail) => Place {
            title,
            state: State::Failed,
            detail,
        },
    }
}

/// The output directory: writable, or creatable.
fn outputs_place(dir: &Path) -> Place {
    let title = format!("sorties {}", dir.display());
    match writable_dir(dir) {
        Ok(()) => Place {
            title,
            state: State::Ok,
            detail: if dir.is_dir() {
                "accessible en écriture".into()
            } else {
                "absent : la première nuit le créera (parent accessible en écriture)".into()
            },
        },
        Err(e) => Place {
            title,
            state: State::Failed,
            detail: format!(
                "{e}\n      correctif : créez le répertoire, ou donnez au compte de vigie365 le droit d'y écrire, ou corrigez [stockage].sorties"
            ),
        },
    }
}

/// Whether a file can be created in `dir`, or in its nearest existing ancestor when it does
/// not exist yet (a night creates it): a file is created there and removed.
fn writable_dir(dir: &Path) -> Result<(), String> {
    let mut at = dir;
    while !at.as_os_str().is_empty() && std::fs::symlink_metadata(at).is_err() {
        match at.parent() {
            Some(parent) => at = parent,
            None => break,
        }
    }
    let at = if at.as_os_str().is_empty() {
        Path::new(".")
    } else {
        at
    };
    if !at.is_dir() {
        return Err(format!("{} n'est pas un répertoire", at.display()));
    }
    let probe = at.join(format!(".vigie365-doctor-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| format!("{} : {}", at.display(), crate::config::io_error_fr(&e)))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
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
    /// A few users, once the users probe answered: the inbox rules probe reads one of their
    /// mailboxes.
    some_user: Option<Vec<String>>,
    /// Groups the conditional access policies name: the group-members probe reads one of them.
    ca_groups: Vec<String>,
    /// `[perimetre]` names administrative units: their permission is needed.
    units: bool,
}

impl Probe<'_> {
    /// The cheapest request of a query family.
    async fn probe(&mut self, q: &Query) -> Result<Probed, GraphError> {
        let client = self.client;
        match (q.api, q.name.as_str()) {
            (Api::Exchange, "exchange-group-members") => {
                // The cmdlet needs a group: a name no group carries answers "not found" when
                // the role allows the cmdlet, 403 when it does not.
                let call =
                    client.exchange_call_with(q, &[("Identity", "vigie365-sonde-doctor")])?;
                match first_page::<serde_json::Value>(client, call).await {
                    Err(e) if e.refusal() == Some(crate::graph::Refusal::NotFound) => {
                        Ok(Probed::Answered)
                    }
                    other => other.map(|_| Probed::Answered),
                }
            }
            (Api::Exchange, _) => self.exchange(q).await,
            (_, "users") => {
                let url = client.graph_url(&q.path, &[("$select", "id"), ("$top", "5")])?;
                let users: Vec<wire::DirectoryMember> =
                    first_page(client, Call::for_query(q, Method::GET, url)).await?;
                self.some_user = Some(users.into_iter().map(|u| u.id).collect());
                Ok(Probed::Answered)
            }
            (_, "users-sign-in-activity") => {
                let url = client
                    .graph_url(&q.path, &[("$select", "id,signInActivity"), ("$top", "1")])?;
                self.answers(q, url).await
            }
            (_, "group-members") => self.group_members(q).await,
            (_, "administrative-units") if !self.units => Ok(Probed::Untried(
                "aucune unité administrative dans [perimetre] : autorisation non requise".into(),
            )),
            (_, "administrative-units") => {
                // The units themselves, with the permission their members need.
                let base = q.path.split("/{id}").next().unwrap_or(&q.path);
                let url = client.graph_url(base, &[("$select", "id"), ("$top", "1")])?;
                self.answers(q, url).await
            }
            (_, "conditional-access-policies") => self.conditional_access(q).await,
            (_, "message-rules") => self.message_rules(q).await,
            (_, "role-assignments") => {
                // Global Administrator (role template id): every tenant has it.
                let filter = q
                    .filter
                    .as_deref()
                    .unwrap_or("roleDefinitionId eq '{ids}'")
                    .replace("{ids}", "62e90394-69f5-4237-9190-012177145e10");
                let url = client.graph_url(&q.path, &[("$filter", &filter)])?;
                self.answers(q, url).await
            }
            (_, "security-defaults") => {
                // One object, not a collection.
                let url = client.graph_url(&q.path, &[])?;
                client
                    .get_json::<serde_json::Value>(&Call::for_query(q, Method::GET, url))
                    .await
                    .map(|_| Probed::Answered)
            }
            (_, "per-user-mfa") => self.per_user_mfa(q).await,
            (_, "sign-ins" | "sign-ins-mail-clients") => {
                let url = client.graph_url(&q.path, &[("$top", "1")])?;
                self.answers(q, url).await
            }
            (_, "managed-devices") => {
                let url = client.graph_url(&q.path, &[("$select", "id"), ("$top", "1")])?;
                self.answers(q, url).await
            }
            _ => {
                let url = client.graph_url(&q.path, &[])?;
                let mut pager =
                    client.pages::<serde_json::Value>(Call::for_query(q, Method::GET, url));
                pager.next_page().await.map(|_| Probed::Answered)
            }
        }
    }

    /// Whether the first page of a GET comes back.
    async fn answers(&self, q: &Query, url: Url) -> Result<Probed, GraphError> {
        first_page::<serde_json::Value>(self.client, Call::for_query(q, Method::GET, url))
            .await
            .map(|_| Probed::Answered)
    }

    /// An Exchange cmdlet, asked for one result when it takes a size.
    async fn exchange(&self, q: &Query) -> Result<Probed, GraphError> {
        let mut call = self.client.exchange_call(q)?;
        if let Some(body) = call.body.as_mut()
            && q.parameters.contains_key("ResultSize")
        {
            body["CmdletInput"]["Parameters"]["ResultSize"] = serde_json::json!(1);
        }
        first_page::<serde_json::Value>(self.client, call)
            .await
            .map(|_| Probed::Answered)
    }

    /// The members of a group the policies name, or else of the tenant's first group.
    async fn group_members(&self, q: &Query) -> Result<Probed, GraphError> {
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
            None => Ok(Probed::Untried("aucun groupe dans le locataire".into())),
        }
    }

    /// The policies, keeping the groups they name.
    async fn conditional_access(&mut self, q: &Query) -> Result<Probed, GraphError> {
        let url = self.client.graph_url(&q.path, &[])?;
        let policies: Vec<wire::ConditionalAccessPolicy> =
            first_page(self.client, Call::for_query(q, Method::GET, url)).await?;
        for p in &policies {
            if let Some(u) = p.conditions.as_ref().and_then(|c| c.users.as_ref()) {
                self.ca_groups
                    .extend(u.exclude_groups.iter().chain(&u.include_groups).cloned());
            }
        }
        Ok(Probed::Answered)
    }

    /// The inbox rules of a user: one without a mailbox answers 404, so try the first few.
    async fn message_rules(&self, q: &Query) -> Result<Probed, GraphError> {
        let Some(users) = &self.some_user else {
            return Ok(Probed::Untried(
                "aucun compte lu (voir « Comptes de l'annuaire »)".into(),
            ));
        };
        let mut last = Ok(Probed::Untried("aucun compte dans le locataire".into()));
        for id in users {
            let url = self.client.graph_url(&q.path.replace("{id}", id), &[])?;
            last = self.answers(q, url).await;
            match &last {
                Err(e) if e.refusal() == Some(Refusal::NotFound) => continue,
                _ => break,
            }
        }
        last
    }

    /// The per-user MFA state of one account the users probe read (one object).
    async fn per_user_mfa(&self, q: &Query) -> Result<Probed, GraphError> {
        let Some(id) = self.some_user.as_ref().and_then(|u| u.first()) else {
            return Ok(Probed::Untried(
                "aucun compte lu (voir « Comptes de l'annuaire »)".into(),
            ));
        };
        let url = self.client.graph_url(&q.path.replace("{id}", id), &[])?;
        self.client
            .get_json::<serde_json::Value>(&Call::for_query(q, Method::GET, url))
            .await
            .map(|_| Probed::Answered)
    }
}
