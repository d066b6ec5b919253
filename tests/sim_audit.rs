//! A miniature, independent auditor: reads the simulated tenant over HTTP only (Graph,
//! `$batch`, Exchange admin API, the register CSV) and recomputes the forwarding checks
//! and the registration/register checks with the conventions of the ground truth. Its
//! findings must equal the ground truth's: this proves the JSON served carries what the
//! truth was computed from.

mod sim_support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use sim_support::*;

const PUBLIC: &str = include_str!("../queries/public-webmail.txt");

fn norm(raw: &str) -> String {
    let s = raw.trim().to_lowercase();
    let s = s.strip_prefix("smtp:").unwrap_or(&s).trim().to_string();
    match s.rsplit_once('@') {
        Some((l, d)) => format!(
            "{l}@{}",
            idna::domain_to_ascii(d).unwrap_or_else(|_| d.to_string())
        ),
        None => s,
    }
}

fn is_public(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    PUBLIC
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|p| {
            let p: Vec<&str> = p.split('.').collect();
            p.len() == labels.len() && p.iter().zip(&labels).all(|(a, b)| *a == "*" || a == b)
        })
}

struct Tenant {
    accepted: Vec<String>,
    remote: Vec<(String, bool)>,
    default_on: bool,
}

impl Tenant {
    /// "public", "internal", "partner", "external".
    fn class(&self, target: &str) -> &'static str {
        let d = target.rsplit_once('@').map(|x| x.1).unwrap_or("");
        if is_public(d) {
            "public"
        } else if self
            .accepted
            .iter()
            .any(|a| d == a || d.ends_with(&format!(".{a}")))
            || d.ends_with(".gouv.qc.ca")
        {
            "internal"
        } else if d == "hopitalpartenaire.org" {
            "partner"
        } else {
            "external"
        }
    }
    fn blocked(&self, target: &str) -> bool {
        let d = target.rsplit_once('@').map(|x| x.1).unwrap_or("");
        let rd = self
            .remote
            .iter()
            .find(|(n, _)| n == d)
            .or_else(|| self.remote.iter().find(|(n, _)| n == "*"));
        !self.default_on || rd.is_some_and(|(_, on)| !on)
    }
}

const SEV: [&str; 5] = ["critique", "élevée", "moyenne", "faible", "info"];

fn drop1(s: &str) -> &'static str {
    let i = SEV.iter().position(|x| *x == s).unwrap_or(4);
    SEV[(i + 1).min(4)]
}

fn recipients(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().flat_map(recipients).collect(),
        Value::Object(_) => v["emailAddress"]["address"]
            .as_str()
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
        _ => vec![],
    }
}

async fn audit(c: &Client, h: &vigie365::sim::SimHandle) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    let (acc, _) = c.exo_all("Get-AcceptedDomain", 1000).await;
    let (rem, _) = c.exo_all("Get-RemoteDomain", 1000).await;
    let (pol, _) = c.exo_all("Get-HostedOutboundSpamFilterPolicy", 1000).await;
    let t = Tenant {
        accepted: acc
            .iter()
            .filter_map(|a| a["DomainName"].as_str().map(str::to_lowercase))
            .collect(),
        remote: rem
            .iter()
            .map(|r| {
                (
                    r["DomainName"].as_str().unwrap_or("").to_lowercase(),
                    r["AutoForwardEnabled"] == json!(true),
                )
            })
            .collect(),
        default_on: pol
            .iter()
            .any(|p| p["IsDefault"] == json!(true) && p["AutoForwardingMode"] == json!("On")),
    };
    let mut push = |check: &str, subject: String, sev: &str| {
        out.insert((check.to_string(), subject, sev.to_string()));
    };
    let fwd = |t: &Tenant, target: &str, enabled: bool| -> Option<(&'static str, &'static str)> {
        let (check, sev) = match (t.class(target), enabled) {
            ("public", true) => ("FWD-PUB-01", "critique"),
            ("external", true) => ("FWD-EXT-01", "élevée"),
            ("public" | "external", false) => ("FWD-DIS-01", "faible"),
            _ => return None,
        };
        Some((check, if t.blocked(target) { drop1(sev) } else { sev }))
    };
    // Inbox rules of every member mailbox, 20 per $batch.
    let (users, _) = c
        .all("/v1.0/users?$select=id,userPrincipalName,userType&$top=999")
        .await;
    let members: Vec<&Value> = users
        .iter()
        .filter(|u| u["userType"] == json!("Member"))
        .collect();
    for chunk in members.chunks(20) {
        let reqs: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, u)| json!({"id": i.to_string(), "method": "GET", "url": format!("/users/{}/mailFolders/inbox/messageRules", u["id"].as_str().unwrap_or(""))}))
            .collect();
        let r: Value = c
            .http
            .post(c.url("/v1.0/$batch"))
            .bearer_auth(&c.graph)
            .json(&json!({"requests": reqs}))
            .send()
            .await
            .expect("batch")
            .json()
            .await
            .expect("json");
        for resp in r["responses"].as_array().cloned().unwrap_or_default() {
            assert_eq!(resp["status"], json!(200), "{resp}");
            let i: usize = resp["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let upn = chunk[i]["userPrincipalName"]
                .as_str()
                .unwrap_or("")
                .to_lowercase();
            for rule in resp["body"]["value"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                let a = &rule["actions"];
                let mut targets = BTreeSet::new();
                for k in ["forwardTo", "forwardAsAttachmentTo", "redirectTo"] {
                    for r in recipients(&a[k]) {
                        targets.insert(norm(&r));
                    }
                }
                let enabled = rule["isEnabled"] == json!(true);
                for tg in targets {
                    if let Some((check, sev)) = fwd(&t, &tg, enabled) {
                        push(
                            check,
                            format!("{upn}#regle:{}>{tg}", rule["id"].as_str().unwrap_or("")),
                            sev,
                        );
                    }
                }
            }
        }
    }
    // Mailbox forwarding, contacts resolved by name.
    let (contacts, _) = c.exo_all("Get-MailContact", 1000).await;
    let by_name: BTreeMap<String, String> = contacts
        .iter()
        .map(|x| {
            (
                x["Name"].as_str().unwrap_or("").to_string(),
                x["ExternalEmailAddress"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let (mbx, _) = c.exo_all("Get-Mailbox", 1000).await;
    for m in mbx {
        let upn = m["UserPrincipalName"].as_str().unwrap_or("").to_lowercase();
        let mut targets = BTreeSet::new();
        if let Some(s) = m["ForwardingSmtpAddress"].as_str() {
            targets.insert(norm(s));
        }
        if let Some(n) = m["ForwardingAddress"].as_str() {
            targets.insert(norm(by_name.get(n).map(String::as_str).unwrap_or("")));
        }
        for tg in targets {
            if let Some((check, sev)) = fwd(&t, &tg, true) {
                push(check, format!("{upn}#boite>{tg}"), sev);
            }
        }
    }
    // Transport rules.
    let (tr, _) = c.exo_all("Get-TransportRule", 1000).await;
    for r in tr {
        if r["State"] != json!("Enabled") {
            continue;
        }
        let mut targets = BTreeSet::new();
        for k in ["RedirectMessageTo", "CopyTo", "BlindCopyTo"] {
            for a in r[k].as_array().cloned().unwrap_or_default() {
                targets.insert(norm(a.as_str().unwrap_or("")));
            }
        }
        for tg in targets {
            if matches!(t.class(&tg), "public" | "external" | "partner") {
                push(
                    "FWD-TRN-01",
                    format!("transport:{}>{tg}", r["Name"].as_str().unwrap_or("")),
                    "élevée",
                );
            }
        }
    }
    // Tenant layers.
    let remote_on = t.remote.iter().any(|(_, on)| *on);
    match (t.default_on, remote_on) {
        (true, true) => push("FWD-ORG-01", "locataire".into(), "élevée"),
        (true, false) | (false, true) => push("FWD-ORG-01", "locataire".into(), "moyenne"),
        _ => {}
    }
    // Register: generic accounts (by the printed regexes) without a row, rows without account.
    let reg = h.register_csv(h.day());
    let rows: BTreeSet<String> = reg
        .lines()
        .skip(1)
        .filter_map(|l| l.split(';').next().map(str::to_lowercase))
        .collect();
    let (all, _) = c
        .all("/v1.0/users?$select=id,userPrincipalName,displayName,accountEnabled,userType,employeeType&$top=999")
        .await;
    let upns: BTreeSet<String> = all
        .iter()
        .filter_map(|u| u["userPrincipalName"].as_str().map(str::to_lowercase))
        .collect();
    let gen_name = regex::Regex::new(r"(?i)^tablette\s*\d+\b.*\bchsld\b").expect("re");
    for u in &all {
        let upn = u["userPrincipalName"].as_str().unwrap_or("").to_lowercase();
        let generic = gen_name.is_match(u["displayName"].as_str().unwrap_or(""))
            || upn.starts_with("tablette")
            || matches!(u["employeeType"].as_str(), Some("Generique" | "Générique"));
        if generic
            && u["accountEnabled"] == json!(true)
            && u["userType"] == json!("Member")
            && !rows.contains(&upn)
        {
            push("GEN-REG-01", upn, "faible");
        }
    }
    for r in rows.difference(&upns) {
        push("GEN-REG-01", r.clone(), "faible");
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_independent_reader_of_the_http_api_finds_the_ground_truth() {
    // 3,000 accounts: enough bulk mailboxes for the random forwarding rules and quirks.
    let mut o = opts(61);
    o.accounts = 3000;
    o.limits.outlook_concurrent_per_mailbox = 1000;
    let h = start(o).await;
    let c = Client::new(&h).await;
    for day in [0u32, 12, 45, 160] {
        h.set_day(day);
        let got = audit(&c, &h).await;
        let want: BTreeSet<(String, String, String)> = h
            .ground_truth(day)
            .findings
            .into_iter()
            .filter(|f| f.check.starts_with("FWD-") || f.check == "GEN-REG-01")
            .map(|f| (f.check, f.subject, f.severity))
            .collect();
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "day {day}: missing {missing:?}, extra {extra:?}"
        );
        assert!(want.len() > 10, "day {day}: {} findings", want.len());
    }
    h.shutdown().await;
}
