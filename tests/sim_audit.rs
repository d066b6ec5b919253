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

/// A final `*` is a country or regional suffix: one to three labels of two or three letters.
fn is_public(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let suffix = |tail: &[&str]| {
        (1..=3).contains(&tail.len())
            && tail.iter().all(|l| {
                l.starts_with("xn--")
                    || ((2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_lowercase()))
            })
    };
    PUBLIC
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|p| {
            let p: Vec<&str> = p.split('.').collect();
            let (head, any) = match p.split_last() {
                Some((&"*", head)) => (head, true),
                _ => (&p[..], false),
            };
            labels.len() >= head.len()
                && head.iter().zip(&labels).all(|(a, b)| *a == "*" || a == b)
                && if any {
                    suffix(&labels[head.len()..])
                } else {
                    labels.len() == head.len()
                }
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
            || ["ssss.gouv.qc.ca", "msss.gouv.qc.ca"]
                .iter()
                .any(|n| d == *n || d.ends_with(&format!(".{n}")))
        {
            "internal"
        } else if d == "hopitalpartenaire.org" {
            "partner"
        } else {
            "external"
        }
    }
    /// `policy_on`: the outbound policy that applies to the sender says `On`.
    fn blocked(&self, target: &str, policy_on: bool) -> bool {
        let d = target.rsplit_once('@').map(|x| x.1).unwrap_or("");
        let rd = self
            .remote
            .iter()
            .find(|(n, _)| n == d)
            .or_else(|| self.remote.iter().find(|(n, _)| n == "*"));
        !policy_on || rd.is_some_and(|(_, on)| !on)
    }
}

const SEV: [&str; 5] = ["critique", "élevée", "moyenne", "faible", "info"];

fn drop1(s: &str) -> &'static str {
    let i = SEV.iter().position(|x| *x == s).unwrap_or(4);
    SEV[(i + 1).min(4)]
}

/// An Exchange list: one string, a list, or null.
fn strs(v: &Value) -> Vec<String> {
    match v {
        Value::String(x) => vec![x.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => vec![],
    }
}

/// The direct members of a distribution group, or `None` when Exchange knows no such group.
async fn group_members(c: &Client, identity: &str) -> Option<Vec<Value>> {
    let url = format!("{}/adminapi/beta/{}/InvokeCommand", c.base, c.tenant);
    let body = json!({"CmdletInput": {"CmdletName": "Get-DistributionGroupMember", "Parameters": {"ResultSize": "Unlimited", "Identity": identity}}});
    let r = c
        .http
        .post(url)
        .bearer_auth(&c.exo)
        .header("X-ResponseFormat", "json")
        .json(&body)
        .send()
        .await
        .expect("exchange request");
    if r.status().as_u16() == 404 {
        return None;
    }
    assert!(r.status().is_success(), "{identity}: {}", r.status());
    let v: Value = r.json().await.expect("json");
    Some(v["value"].as_array().cloned().unwrap_or_default())
}

/// Members are groups when their type says so.
fn is_group(m: &Value) -> bool {
    m["RecipientTypeDetails"]
        .as_str()
        .is_some_and(|t| t.contains("Group"))
}

/// Whether `addrs` (lower case) is a member of group `g`, through nested groups.
fn in_group(groups: &BTreeMap<String, Option<Vec<Value>>>, g: &str, addrs: &[String]) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![g.to_string()];
    while let Some(x) = stack.pop() {
        if !seen.insert(x.clone()) {
            continue;
        }
        for m in groups.get(&x).cloned().flatten().unwrap_or_default() {
            if is_group(&m) {
                stack.push(m["Identity"].as_str().unwrap_or("").to_string());
            } else if m["PrimarySmtpAddress"]
                .as_str()
                .is_some_and(|a| addrs.contains(&a.to_lowercase()))
            {
                return true;
            }
        }
    }
    false
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
    // The outbound spam rules, the mail users, the contacts, the mailboxes, and every group
    // a rule or a ForwardingAddress names (nested ones too).
    let (rules, _) = c.exo_all("Get-HostedOutboundSpamFilterRule", 1000).await;
    let (mail_users, _) = c.exo_all("Get-MailUser", 1000).await;
    let (contacts, _) = c.exo_all("Get-MailContact", 1000).await;
    let (mbx, _) = c.exo_all("Get-Mailbox", 1000).await;
    let mut groups: BTreeMap<String, Option<Vec<Value>>> = BTreeMap::new();
    let mut ask: Vec<String> = rules
        .iter()
        .flat_map(|r| strs(&r["FromMemberOf"]))
        .chain(
            mbx.iter()
                .filter_map(|m| m["ForwardingAddress"].as_str().map(String::from)),
        )
        .collect();
    while let Some(g) = ask.pop() {
        if groups.contains_key(&g) {
            continue;
        }
        let members = group_members(c, &g).await;
        for m in members.iter().flatten().filter(|m| is_group(m)) {
            ask.push(m["Identity"].as_str().unwrap_or("").to_string());
        }
        groups.insert(g, members);
    }
    let mut ordered: Vec<&Value> = rules
        .iter()
        .filter(|r| r["State"] == json!("Enabled"))
        .collect();
    ordered.sort_by_key(|r| r["Priority"].as_i64().unwrap_or(0));
    // Whether the policy that applies to a sender (its addresses, lower case) says `On`.
    let policy_on = |addrs: &[String]| -> bool {
        let mode = |name: &str| {
            pol.iter()
                .find(|p| p["Name"].as_str() == Some(name))
                .is_some_and(|p| p["AutoForwardingMode"] == json!("On"))
        };
        for r in &ordered {
            let from = strs(&r["From"]);
            let groups_of = strs(&r["FromMemberOf"]);
            let domains = strs(&r["SenderDomainIs"]);
            let matches = (from.is_empty()
                || from.iter().any(|f| addrs.contains(&f.to_lowercase())))
                && (groups_of.is_empty() || groups_of.iter().any(|g| in_group(&groups, g, addrs)))
                && (domains.is_empty()
                    || domains.iter().any(|d| {
                        addrs.iter().any(|a| {
                            let ad = a.rsplit_once('@').map(|x| x.1).unwrap_or("");
                            ad == d.to_lowercase()
                                || ad.ends_with(&format!(".{}", d.to_lowercase()))
                        })
                    }))
                && !strs(&r["ExceptIfFrom"])
                    .iter()
                    .any(|f| addrs.contains(&f.to_lowercase()));
            if matches {
                return mode(r["HostedOutboundSpamFilterPolicy"].as_str().unwrap_or(""));
            }
        }
        t.default_on
    };
    let fwd = |t: &Tenant,
               target: &str,
               enabled: bool,
               on: bool|
     -> Option<(&'static str, &'static str)> {
        let (check, sev) = match (t.class(target), enabled) {
            ("public", true) => ("FWD-PUB-01", "critique"),
            ("external" | "partner", true) => ("FWD-EXT-01", "élevée"),
            ("public" | "external" | "partner", false) => ("FWD-DIS-01", "faible"),
            _ => return None,
        };
        Some((
            check,
            if t.blocked(target, on) {
                drop1(sev)
            } else {
                sev
            },
        ))
    };
    // Inbox rules of every member mailbox, 20 per $batch.
    let (users, _) = c
        .all("/v1.0/users?$select=id,userPrincipalName,mail,userType&$top=999")
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
            let mut addrs = vec![upn.clone()];
            addrs.extend(chunk[i]["mail"].as_str().map(str::to_lowercase));
            let on = policy_on(&addrs);
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
                    if let Some((check, sev)) = fwd(&t, &tg, enabled, on) {
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
    // Mailbox forwarding; a name is a contact, a mail user, a group (its members,
    // transitively), a mailbox's alias (internal), or nothing (external, as given).
    let ext_of = |n: &str| -> Option<String> {
        contacts
            .iter()
            .find(|x| x["Name"].as_str() == Some(n))
            .or_else(|| {
                mail_users
                    .iter()
                    .find(|x| x["Name"].as_str() == Some(n) || x["Alias"].as_str() == Some(n))
            })
            .map(|x| x["ExternalEmailAddress"].as_str().unwrap_or("").to_string())
    };
    let aliases: BTreeSet<String> = mbx
        .iter()
        .filter_map(|m| m["Alias"].as_str().map(String::from))
        .collect();
    for m in &mbx {
        let upn = m["UserPrincipalName"].as_str().unwrap_or("").to_lowercase();
        let mut addrs = vec![upn.clone()];
        addrs.extend(m["PrimarySmtpAddress"].as_str().map(str::to_lowercase));
        let on = policy_on(&addrs);
        let mut targets = BTreeSet::new();
        if let Some(s) = m["ForwardingSmtpAddress"].as_str() {
            targets.insert(norm(s));
        }
        if let Some(n) = m["ForwardingAddress"].as_str() {
            if let Some(e) = ext_of(n) {
                targets.insert(norm(&e));
            } else if let Some(Some(_)) = groups.get(n) {
                let mut seen = BTreeSet::new();
                let mut stack = vec![n.to_string()];
                while let Some(g) = stack.pop() {
                    if !seen.insert(g.clone()) {
                        continue;
                    }
                    for x in groups.get(&g).cloned().flatten().unwrap_or_default() {
                        if is_group(&x) {
                            stack.push(x["Identity"].as_str().unwrap_or("").to_string());
                        } else {
                            let a = x["ExternalEmailAddress"]
                                .as_str()
                                .filter(|a| !a.is_empty())
                                .or(x["PrimarySmtpAddress"].as_str())
                                .unwrap_or("");
                            targets.insert(norm(a));
                        }
                    }
                }
            } else if !aliases.contains(n) {
                targets.insert(norm(n));
            }
        }
        for tg in targets {
            if let Some((check, sev)) = fwd(&t, &tg, true, on) {
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
    let outbound_on = pol.iter().any(|p| {
        p["AutoForwardingMode"] == json!("On")
            && (p["IsDefault"] == json!(true)
                || ordered
                    .iter()
                    .any(|r| r["HostedOutboundSpamFilterPolicy"] == p["Name"]))
    });
    match (outbound_on, remote_on) {
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
            // FWD-CLI-01 reads sign-ins, not forwarding settings: checks_match_sim_truth
            // covers it through the real collection.
            .filter(|f| {
                (f.check.starts_with("FWD-") && f.check != "FWD-CLI-01") || f.check == "GEN-REG-01"
            })
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

fn in_cidr(ip: &str, cidr: &str) -> bool {
    let (net, bits) = cidr.split_once('/').unwrap_or((cidr, "128"));
    let bits: u32 = bits.parse().unwrap_or(128);
    match (
        ip.parse::<std::net::IpAddr>(),
        net.parse::<std::net::IpAddr>(),
    ) {
        (Ok(std::net::IpAddr::V4(a)), Ok(std::net::IpAddr::V4(n))) => {
            let m = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits.min(32))
            };
            u32::from(a) & m == u32::from(n) & m
        }
        (Ok(std::net::IpAddr::V6(a)), Ok(std::net::IpAddr::V6(n))) => {
            let m = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits.min(128))
            };
            u128::from(a) & m == u128::from(n) & m
        }
        _ => false,
    }
}

fn tstrings(v: &toml::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Account checks from HTTP only, with the printed configuration.
async fn audit_accounts(
    c: &Client,
    h: &vigie365::sim::SimHandle,
) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    let dir = std::env::temp_dir();
    let cfg: toml::Value = toml::from_str(&h.config_text(&dir)).expect("config");
    let cl = &cfg["classification"];
    let res = |k: &str| -> Vec<regex::Regex> {
        tstrings(&cl[k])
            .iter()
            .filter_map(|p| regex::Regex::new(p).ok())
            .collect()
    };
    let (gen_nom, gen_upn, app_nom, app_upn) = (
        res("generique_nom"),
        res("generique_upn"),
        res("appli_nom"),
        res("appli_upn"),
    );
    let gen_vals = tstrings(&cl["generique_attribut"]["valeurs"]);
    let app_vals = tstrings(&cl["appli_attribut"]["valeurs"]);
    let urgence: BTreeSet<String> = tstrings(&cl["urgence"])
        .into_iter()
        .map(|u| u.to_lowercase())
        .collect();
    let g = &cfg["generiques"];
    let allowed = tstrings(&g["applications_permises"]);
    let age_max = g["age_max_mot_de_passe_jours"].as_integer().unwrap_or(365);
    let sites: Vec<(regex::Regex, Vec<String>)> = g["sites"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|s| {
            Some((
                regex::Regex::new(s["motif"].as_str()?).ok()?,
                tstrings(&s["plages_ip"]),
            ))
        })
        .collect();
    let global = tstrings(&g["plages_ip"]);
    let clients = cfg["appli"]["clients_permis"]
        .as_table()
        .cloned()
        .unwrap_or_default();

    let as_of = chrono::DateTime::parse_from_rfc3339(&h.as_of(h.day()))
        .expect("as_of")
        .with_timezone(&chrono::Utc);
    let from = as_of - chrono::Duration::days(7);
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();

    let (users, _) = c
        .all("/v1.0/users?$select=id,userPrincipalName,displayName,accountEnabled,userType,employeeType,lastPasswordChangeDateTime&$top=999")
        .await;
    let (regs, _) = c
        .all("/v1.0/reports/authenticationMethods/userRegistrationDetails")
        .await;
    let reg: BTreeMap<String, bool> = regs
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or("").to_string(),
                r["isMfaRegistered"] == json!(true),
            )
        })
        .collect();
    let (_, _, p) = c.get("/v1.0/identity/conditionalAccess/policies").await;
    let mfa: Vec<Value> = p["value"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| {
            p["state"] == json!("enabled")
                && (strings(&p["grantControls"]["builtInControls"]).contains(&"mfa".to_string())
                    || !p["grantControls"]["authenticationStrength"].is_null())
                && strings(&p["conditions"]["applications"]["includeApplications"])
                    .iter()
                    .any(|a| a == "All" || a == "Office365")
        })
        .collect();
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for pol in &mfa {
        for k in ["includeGroups", "excludeGroups"] {
            for gid in strings(&pol["conditions"]["users"][k]) {
                if groups.contains_key(&gid) {
                    continue;
                }
                let (m, _) = c
                    .all(&format!("/v1.0/groups/{gid}/transitiveMembers/microsoft.graph.user?$select=id&$top=999"))
                    .await;
                groups.insert(
                    gid,
                    m.iter()
                        .filter_map(|x| x["id"].as_str().map(str::to_string))
                        .collect(),
                );
            }
        }
    }
    let in_groups = |pol: &Value, k: &str, id: &str| {
        strings(&pol["conditions"]["users"][k])
            .iter()
            .any(|g| groups.get(g).is_some_and(|m| m.contains(id)))
    };
    let excluded = |pol: &Value, id: &str| {
        strings(&pol["conditions"]["users"]["excludeUsers"])
            .iter()
            .any(|u| u == id)
            || in_groups(pol, "excludeGroups", id)
    };
    let applies = |pol: &Value, id: &str| {
        let inc = strings(&pol["conditions"]["users"]["includeUsers"]);
        (inc.iter().any(|u| u == "All" || u == id) || in_groups(pol, "includeGroups", id))
            && !excluded(pol, id)
    };
    let (_, _, nl) = c
        .get("/v1.0/identity/conditionalAccess/namedLocations")
        .await;
    let trusted: Vec<String> = nl["value"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|l| l["isTrusted"] == json!(true))
        .flat_map(|l| l["ipRanges"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r["cidrAddress"].as_str().map(str::to_string))
        .collect();
    let register = h.register_csv(h.day());
    let mut departs: BTreeMap<String, chrono::NaiveDate> = BTreeMap::new();
    for l in register.lines().skip(1) {
        let f: Vec<&str> = l.split(';').collect();
        if let Some(d) = f
            .get(4)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        {
            let e = departs.entry(f[0].to_lowercase()).or_insert(d);
            *e = (*e).max(d);
        }
    }

    let mut scope = Vec::new();
    for u in &users {
        if u["accountEnabled"] != json!(true) || u["userType"] != json!("Member") {
            continue;
        }
        let upn = u["userPrincipalName"].as_str().unwrap_or("").to_lowercase();
        let name = u["displayName"].as_str().unwrap_or("");
        let et = u["employeeType"].as_str().unwrap_or("").to_string();
        let generic = gen_nom.iter().any(|r| r.is_match(name))
            || gen_upn.iter().any(|r| r.is_match(&upn))
            || gen_vals.contains(&et);
        let appli = app_nom.iter().any(|r| r.is_match(name))
            || app_upn.iter().any(|r| r.is_match(&upn))
            || app_vals.contains(&et);
        let id = u["id"].as_str().unwrap_or("").to_string();
        let mut covered = mfa.iter().any(|p| applies(p, &id));
        if !covered && (generic || appli || mfa.iter().any(|p| excluded(p, &id))) {
            // Per-user MFA enforced (or enabled) covers outside conditional access.
            let (_, _, v) = c
                .get(&format!("/beta/users/{id}/authentication/requirements"))
                .await;
            covered = matches!(v["perUserMfaState"].as_str(), Some("enforced" | "enabled"));
        }
        let class = if urgence.contains(&upn) {
            "urgence"
        } else if generic {
            "generique"
        } else if appli {
            "appli"
        } else {
            "nominatif"
        };
        if class == "nominatif" && mfa.iter().any(|p| excluded(p, &id)) && !covered {
            out.insert(("APP-MFA-01".into(), upn.clone(), "moyenne".into()));
        }
        if class == "generique" || class == "appli" {
            scope.push((
                id,
                upn,
                name.to_string(),
                class,
                generic && appli,
                covered,
                u.clone(),
            ));
        }
    }
    let mut signins: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for chunk in scope.chunks(15) {
        let group = chunk
            .iter()
            .map(|s| format!("userId eq '{}'", s.0))
            .collect::<Vec<_>>()
            .join(" or ");
        let (v, _) = c
            .all(&format!(
                "/beta/auditLogs/signIns?$filter=createdDateTime ge {} and createdDateTime lt {} and ({group}) and signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser')",
                fmt(from),
                fmt(as_of)
            ))
            .await;
        for s in v {
            if s["status"]["errorCode"] == json!(0) {
                signins
                    .entry(s["userId"].as_str().unwrap_or("").to_string())
                    .or_default()
                    .push(s);
            }
        }
    }
    let allowed_app = |list: &[String], s: &Value| {
        list.iter().any(|a| {
            Some(a.as_str()) == s["appDisplayName"].as_str()
                || Some(a.as_str()) == s["appId"].as_str()
        })
    };
    for (id, upn, name, class, both, covered, u) in scope {
        let mine = signins.get(&id).cloned().unwrap_or_default();
        let mut push = |c: &str, s: &str| {
            out.insert((c.to_string(), upn.clone(), s.to_string()));
        };
        if class == "appli" {
            let permitted: Vec<String> = clients.get(&upn).map(tstrings).unwrap_or_default();
            if mine
                .iter()
                .any(|s| s["isInteractive"] == json!(true) && !allowed_app(&permitted, s))
            {
                push("APP-INT-01", "élevée");
            }
            continue;
        }
        if both {
            push("APP-GEN-01", "critique");
        }
        if reg.get(&id) == Some(&false) {
            push("GEN-MFA-01", "critique");
        }
        if !covered
            || mine
                .iter()
                .any(|s| s["authenticationRequirement"] == json!("singleFactorAuthentication"))
        {
            push("GEN-MFA-02", "élevée");
        }
        if mine.iter().any(|s| !allowed_app(&allowed, s)) {
            push("GEN-APP-01", "moyenne");
        }
        let mut ranges: Vec<String> = sites
            .iter()
            .filter(|(r, _)| r.is_match(&name) || r.is_match(&upn))
            .flat_map(|(_, p)| p.clone())
            .collect();
        ranges.extend(global.clone());
        ranges.extend(trusted.clone());
        if ranges.is_empty() {
            push("GEN-IP-01", "info");
        } else if mine.iter().any(|s| {
            !ranges
                .iter()
                .any(|r| in_cidr(s["ipAddress"].as_str().unwrap_or(""), r))
        }) {
            push("GEN-IP-01", "moyenne");
        }
        let pwd = u["lastPasswordChangeDateTime"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc));
        if let Some(pwd) = pwd {
            let before_dep = departs.get(&upn).is_some_and(|d| {
                let start = chrono::TimeZone::from_local_datetime(
                    &chrono_tz::America::Montreal,
                    &d.and_hms_opt(0, 0, 0).unwrap_or_default(),
                )
                .earliest()
                .map(|t| t.with_timezone(&chrono::Utc));
                start.is_some_and(|s| pwd < s)
            });
            if before_dep || as_of - pwd > chrono::Duration::days(age_max) {
                push("GEN-PWD-01", "moyenne");
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_independent_reader_finds_the_account_findings() {
    let mut o = opts(62);
    o.accounts = 3000;
    let h = start(o).await;
    let c = Client::new(&h).await;
    let account_checks = [
        "GEN-MFA-01",
        "GEN-MFA-02",
        "GEN-APP-01",
        "GEN-IP-01",
        "GEN-PWD-01",
        "APP-GEN-01",
        "APP-INT-01",
        "APP-MFA-01",
    ];
    for day in [0u32, 6, 12, 22, 60] {
        h.set_day(day);
        let got = audit_accounts(&c, &h).await;
        let want: BTreeSet<(String, String, String)> = h
            .ground_truth(day)
            .findings
            .into_iter()
            .filter(|f| account_checks.contains(&f.check.as_str()))
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
