//! Microsoft's JSON, written from the simulator's own model with the field names spelled as
//! Microsoft documents them (Graph v1.0/beta and the Exchange admin API). Shares nothing
//! with `crate::graph`.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::hash::{self, h, kind, object_id, tag};
use super::scenario::{
    Account, Contact, Device, GROUPS, InboxRule, Kind, MAIL_DOMAIN, NamedLocation, Policy,
    Recipient, Registration, Scenario, SignIn, UserRef,
};

/// Graph timestamp (`2026-01-05T14:03:11Z`).
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// All user properties the simulator knows (canonical spelling).
pub(crate) const USER_FIELDS: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "jobTitle",
    "department",
    "officeLocation",
    "businessPhones",
    "mobilePhone",
    "preferredLanguage",
    "accountEnabled",
    "userType",
    "employeeType",
    "employeeId",
    "companyName",
    "usageLocation",
    "createdDateTime",
    "lastPasswordChangeDateTime",
    "onPremisesExtensionAttributes",
    "onPremisesSyncEnabled",
    "creationType",
    "externalUserState",
    "otherMails",
    "proxyAddresses",
    "signInActivity",
];

/// Properties returned without `$select` (Graph's default set for users).
pub(crate) const USER_DEFAULT: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

fn opt(s: &Option<String>) -> Value {
    s.as_ref()
        .map(|x| Value::String(x.clone()))
        .unwrap_or(Value::Null)
}

/// A "never" date in one of Microsoft's three spellings.
fn never(seed: u64, i: u32, which: u64) -> Value {
    match h(seed, &[tag::ACTIVITY, i as u64, which]) % 3 {
        0 => Value::Null,
        1 => Value::String(String::new()),
        _ => Value::String("0001-01-01T00:00:00Z".into()),
    }
}

/// signInActivity of an account as of the sim's current instant.
pub(crate) fn sign_in_activity(sc: &Scenario, acc: &Account, day: i32) -> Value {
    let i = acc.index;
    let mut last_int: Option<SignIn> = None;
    let mut last_ni: Option<SignIn> = None;
    let mut last_ok: Option<SignIn> = None;
    for k in (day - 29..=day).rev() {
        if last_int.is_some() && last_ni.is_some() && last_ok.is_some() {
            break;
        }
        let pol = sc.policies(k);
        let mut v = sc.sign_ins(i, k, &pol);
        v.sort_by_key(|b| std::cmp::Reverse(b.time));
        for s in v {
            if s.interactive && last_int.is_none() {
                last_int = Some(s.clone());
            }
            if !s.interactive && last_ni.is_none() {
                last_ni = Some(s.clone());
            }
            if s.success() && last_ok.is_none() {
                last_ok = Some(s.clone());
            }
        }
    }
    let date = |s: &Option<SignIn>, which: u64| match s {
        Some(x) => Value::String(ts(x.time)),
        None => never(sc.seed, i, which),
    };
    let rid = |s: &Option<SignIn>| match s {
        Some(x) => Value::String(sc.sign_in_id(x)),
        None => Value::Null,
    };
    // lastSuccessfulSignInDateTime is not backfilled: null for a fifth of the accounts.
    let not_backfilled = h(sc.seed, &[tag::ACTIVITY, i as u64, 9]).is_multiple_of(5);
    json!({
        "lastSignInDateTime": date(&last_int, 1),
        "lastSignInRequestId": rid(&last_int),
        "lastNonInteractiveSignInDateTime": date(&last_ni, 2),
        "lastNonInteractiveSignInRequestId": rid(&last_ni),
        "lastSuccessfulSignInDateTime": if not_backfilled { Value::Null } else { date(&last_ok, 3) },
        "lastSuccessfulSignInRequestId": if not_backfilled { Value::Null } else { rid(&last_ok) },
    })
}

/// One user with the given properties (canonical names).
pub(crate) fn user(sc: &Scenario, acc: &Account, fields: &[&str], day: i32) -> Value {
    let mut m = Map::new();
    for f in fields {
        let v = match *f {
            "id" => Value::String(acc.id.clone()),
            "userPrincipalName" => Value::String(acc.upn.clone()),
            "displayName" => Value::String(acc.display_name.clone()),
            "givenName" => opt(&acc.given_name),
            "surname" => opt(&acc.surname),
            "mail" => opt(&acc.mail),
            "jobTitle" => acc.job_title.map(Value::from).unwrap_or(Value::Null),
            "department" => opt(&acc.department),
            "officeLocation" => acc
                .site
                .map(|s| Value::String(sc.sites[s].display()))
                .unwrap_or(Value::Null),
            "businessPhones" => json!([]),
            "mobilePhone" => Value::Null,
            "preferredLanguage" => {
                if acc.guest {
                    Value::Null
                } else {
                    Value::String("fr-CA".into())
                }
            }
            "accountEnabled" => Value::Bool(acc.enabled),
            "userType" => Value::String(if acc.guest { "Guest" } else { "Member" }.into()),
            "employeeType" => acc.employee_type.map(Value::from).unwrap_or(Value::Null),
            "employeeId" => match acc.kind {
                Kind::Staff | Kind::Physician => {
                    Value::String(format!("{:07}", 1_000_000 + acc.index))
                }
                _ => Value::Null,
            },
            "companyName" => acc.company_name.map(Value::from).unwrap_or(Value::Null),
            "usageLocation" => Value::String("CA".into()),
            "createdDateTime" => acc
                .created
                .map(|t| Value::String(ts(t)))
                .unwrap_or(Value::Null),
            "lastPasswordChangeDateTime" => Value::String(ts(acc.last_password_change)),
            "onPremisesExtensionAttributes" => {
                let mut e = Map::new();
                for n in 1..=15 {
                    let v = match (n, acc.kind) {
                        (1, Kind::Tablet | Kind::GenericOther) => {
                            Value::String("Équipement partagé".into())
                        }
                        (2, _) => acc
                            .site
                            .map(|s| Value::String(sc.sites[s].name.into()))
                            .unwrap_or(Value::Null),
                        // The job title, as many establishments copy it from their HR system.
                        (4, Kind::Staff | Kind::Physician) => {
                            acc.job_title.map(Value::from).unwrap_or(Value::Null)
                        }
                        // The establishment's code, in a provincial tenant.
                        (10, _) => opt(&acc.ext10),
                        _ => Value::Null,
                    };
                    e.insert(format!("extensionAttribute{}", n), v);
                }
                Value::Object(e)
            }
            "onPremisesSyncEnabled" => Value::Null,
            "creationType" => {
                if acc.guest {
                    Value::String("Invitation".into())
                } else {
                    Value::Null
                }
            }
            "externalUserState" => {
                if acc.guest {
                    Value::String("Accepted".into())
                } else {
                    Value::Null
                }
            }
            "otherMails" => json!([]),
            "proxyAddresses" => {
                json!(acc.proxy_addresses)
            }
            "signInActivity" => sign_in_activity(sc, acc, day),
            _ => continue,
        };
        m.insert((*f).to_string(), v);
    }
    Value::Object(m)
}

/// A registration-details row.
pub(crate) fn registration(acc: &Account, r: &Registration) -> Value {
    let preferred = if r.methods.contains(&"microsoftAuthenticatorPush") {
        "push"
    } else if r.methods.contains(&"mobilePhone") {
        "sms"
    } else {
        "none"
    };
    let system: Vec<&str> = if r.registered {
        if r.methods.contains(&"fido2") {
            vec!["Fido2"]
        } else if r.methods.contains(&"microsoftAuthenticatorPush") {
            vec!["push"]
        } else {
            vec!["sms"]
        }
    } else {
        vec![]
    };
    json!({
        "id": acc.id,
        "userPrincipalName": acc.upn,
        "userDisplayName": acc.display_name,
        "userType": if acc.guest { "guest" } else { "member" },
        "isAdmin": r.admin,
        "isSsprRegistered": r.registered || r.methods.contains(&"email"),
        "isSsprEnabled": !acc.guest,
        "isSsprCapable": !acc.guest && (r.registered || r.methods.contains(&"email")),
        "isMfaRegistered": r.registered,
        "isMfaCapable": r.capable,
        "isPasswordlessCapable": r.methods.contains(&"fido2"),
        "methodsRegistered": r.methods,
        "isSystemPreferredAuthenticationMethodEnabled": true,
        "systemPreferredAuthenticationMethods": system,
        "userPreferredMethodForSecondaryAuthentication": preferred,
        "lastUpdatedDateTime": ts(r.updated),
    })
}

fn failure_reason(code: u32) -> &'static str {
    match code {
        0 => "Other.",
        50126 => "Error validating credentials due to invalid username or password.",
        53003 => {
            "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance."
        }
        50057 => "The user account is disabled.",
        50074 => "Strong Authentication is required.",
        _ => "Other.",
    }
}

/// One sign-in; `beta` adds the MFA fields and the non-interactive flag.
pub(crate) fn sign_in(sc: &Scenario, acc: &Account, s: &SignIn, beta: bool) -> Value {
    let x = h(
        sc.seed,
        &[
            tag::SIGNIN,
            s.user as u64,
            s.day as i64 as u64,
            s.seq as u64,
            2,
        ],
    );
    let mut m = Map::new();
    sign_in_request(&mut m, sc, acc, s, x);
    if beta {
        m.insert("isInteractive".into(), json!(s.interactive));
    }
    sign_in_outcome(&mut m, sc, s, x);
    m.insert("deviceDetail".into(), sign_in_device(sc, acc, s));
    m.insert("location".into(), sign_in_location(sc, s));
    m.insert("appliedConditionalAccessPolicies".into(), json!([]));
    if beta {
        sign_in_beta_details(&mut m, acc, s);
    }
    Value::Object(m)
}

/// Who signed in to what, from where, and the conditional access status.
fn sign_in_request(m: &mut Map<String, Value>, sc: &Scenario, acc: &Account, s: &SignIn, x: u64) {
    m.insert("id".into(), json!(sc.sign_in_id(s)));
    m.insert("createdDateTime".into(), json!(ts(s.time)));
    m.insert("userDisplayName".into(), json!(acc.display_name));
    m.insert("userPrincipalName".into(), json!(acc.upn.to_lowercase()));
    m.insert("userId".into(), json!(acc.id));
    m.insert("appId".into(), json!(s.app.id));
    m.insert("appDisplayName".into(), json!(s.app.name));
    m.insert("ipAddress".into(), json!(s.ip));
    m.insert("clientAppUsed".into(), json!(s.client_app()));
    m.insert(
        "correlationId".into(),
        json!(hash::guid(x, h(sc.seed, &[x, 1]))),
    );
    m.insert(
        "conditionalAccessStatus".into(),
        json!(match s.error_code {
            53003 => "failure",
            _ if s.single_factor => "notApplied",
            _ => "success",
        }),
    );
}

/// Risk fields (always none), the resource and the status.
fn sign_in_outcome(m: &mut Map<String, Value>, sc: &Scenario, s: &SignIn, x: u64) {
    m.insert("riskDetail".into(), json!("none"));
    m.insert("riskLevelAggregated".into(), json!("none"));
    m.insert("riskLevelDuringSignIn".into(), json!("none"));
    m.insert("riskState".into(), json!("none"));
    m.insert("riskEventTypes".into(), json!([]));
    m.insert("riskEventTypes_v2".into(), json!([]));
    m.insert("resourceDisplayName".into(), json!(s.app.resource));
    m.insert(
        "resourceId".into(),
        json!(hash::guid(h(sc.seed, &[7, x]), x)),
    );
    m.insert(
        "status".into(),
        json!({
            "errorCode": s.error_code,
            "failureReason": failure_reason(s.error_code),
            "additionalDetails": if s.error_code == 0 && !s.single_factor { Value::from("MFA requirement satisfied by claim in the token") } else { Value::Null },
        }),
    );
}

/// `deviceDetail`: the tablets' iPads are registered and (mostly) compliant, nothing else is
/// ([`Scenario::device_state`]).
fn sign_in_device(sc: &Scenario, acc: &Account, s: &SignIn) -> Value {
    let (os, browser_name) = match s.device {
        Device::IPad => ("Ios 17.5.1", "Mobile Safari 17.5"),
        Device::IPhone => ("Ios 18.1", "Mobile Safari 18.1"),
        Device::Android => ("Android 14", "Chrome Mobile 131.0.6778"),
        Device::Windows => ("Windows10", "Edge 131.0.0"),
        Device::Server => ("", ""),
    };
    let (managed, compliant) = sc.device_state(acc, s);
    json!({
        "deviceId": if managed { hash::guid(h(sc.seed, &[8, s.user as u64]), h(sc.seed, &[9, s.user as u64])) } else { String::new() },
        "displayName": if managed { format!("IPAD-{}", s.user) } else { String::new() },
        "operatingSystem": os,
        "browser": if s.browser { browser_name } else { "" },
        "isCompliant": compliant,
        "isManaged": managed,
        "trustType": if managed { "Azure AD registered" } else { "" },
    })
}

/// `location`: the site's town, or Montréal for addresses outside the sites.
fn sign_in_location(sc: &Scenario, s: &SignIn) -> Value {
    let outside = s.ip.starts_with("198.51.") || s.ip.starts_with("203.0.");
    let city = match (s.site, outside) {
        (Some(site), false) => sc.sites[site].name.to_string(),
        _ => "Montréal".to_string(),
    };
    json!({
        "city": city,
        "state": "Quebec",
        "countryOrRegion": "CA",
        "geoCoordinates": { "altitude": null, "latitude": 45.5, "longitude": -73.6 },
    })
}

/// The beta-only fields: authentication requirement, event type, token details.
fn sign_in_beta_details(m: &mut Map<String, Value>, acc: &Account, s: &SignIn) {
    m.insert(
        "authenticationRequirement".into(),
        json!(if s.single_factor {
            "singleFactorAuthentication"
        } else {
            "multiFactorAuthentication"
        }),
    );
    m.insert(
        "signInEventTypes".into(),
        json!([if s.interactive {
            "interactiveUser"
        } else {
            "nonInteractiveUser"
        }]),
    );
    m.insert(
        "userType".into(),
        json!(if acc.guest { "guest" } else { "member" }),
    );
    m.insert("tokenIssuerType".into(), json!("AzureAD"));
    m.insert("tokenIssuerName".into(), json!(""));
    m.insert("crossTenantAccessType".into(), json!("none"));
    m.insert("incomingTokenType".into(), json!("none"));
    m.insert("clientCredentialType".into(), json!("none"));
    m.insert(
        "authenticationDetails".into(),
        if s.interactive {
            json!([{
                "authenticationStepDateTime": ts(s.time),
                "authenticationMethod": "Password",
                "authenticationMethodDetail": "Password in the cloud",
                "succeeded": s.error_code != 50126,
                "authenticationStepResultDetail": if s.error_code == 50126 { "Invalid username or password or Invalid on-premise username or password." } else { "Correct password" },
                "authenticationStepRequirement": "Primary authentication",
            }])
        } else {
            json!([])
        },
    );
}

fn users_of(sc: &Scenario, refs: &[UserRef]) -> Vec<String> {
    refs.iter()
        .map(|r| match r {
            UserRef::All => "All".to_string(),
            UserRef::User(i) => object_id(sc.seed, kind::USER, *i),
        })
        .collect()
}

/// A conditional access policy.
pub(crate) fn policy(sc: &Scenario, p: &Policy) -> Value {
    let gid = |g: &usize| object_id(sc.seed, kind::GROUP, *g as u32);
    let strength = if p.auth_strength {
        json!({
            "id": "00000000-0000-0000-0000-000000000002",
            "createdDateTime": "2021-12-01T00:00:00Z",
            "modifiedDateTime": "2021-12-01T00:00:00Z",
            "displayName": "Multifactor authentication",
            "description": "Combinations of methods that satisfy strong authentication, such as a password + SMS",
            "policyType": "builtIn",
            "requirementsSatisfied": "mfa",
            "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor", "deviceBasedPush", "password,microsoftAuthenticatorPush", "password,softwareOath", "password,hardwareOath", "password,sms", "password,voice"],
        })
    } else {
        Value::Null
    };
    json!({
        "id": object_id(sc.seed, kind::POLICY, p.index),
        "templateId": null,
        "displayName": p.name,
        "createdDateTime": ts(sc.at(p.created_day, 14 * 3600)),
        "modifiedDateTime": ts(sc.at(p.modified_day, 15 * 3600)),
        "state": p.state,
        "sessionControls": null,
        "conditions": {
            "userRiskLevels": [],
            "signInRiskLevels": [],
            "clientAppTypes": p.client_app_types,
            "servicePrincipalRiskLevels": [],
            "insiderRiskLevels": null,
            "platforms": null,
            "locations": if p.exclude_trusted_locations { json!({"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]}) } else { Value::Null },
            "times": null,
            "deviceStates": null,
            "devices": null,
            "clientApplications": null,
            "applications": {
                "includeApplications": p.include_apps,
                "excludeApplications": p.exclude_apps,
                "includeUserActions": [],
                "includeAuthenticationContextClassReferences": [],
                "applicationFilter": null,
            },
            "users": {
                "includeUsers": users_of(sc, &p.include_users),
                "excludeUsers": p.exclude_users.iter().map(|i| object_id(sc.seed, kind::USER, *i)).collect::<Vec<_>>(),
                "includeGroups": p.include_groups.iter().map(gid).collect::<Vec<_>>(),
                "excludeGroups": p.exclude_groups.iter().map(gid).collect::<Vec<_>>(),
                "includeRoles": [],
                "excludeRoles": p.exclude_roles,
                "includeGuestsOrExternalUsers": null,
                "excludeGuestsOrExternalUsers": null,
            },
        },
        "grantControls": {
            "operator": p.operator,
            "builtInControls": p.built_in,
            "customAuthenticationFactors": [],
            "termsOfUse": [],
            "authenticationStrength@odata.context": if p.auth_strength { Value::from("https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies('id')/grantControls/authenticationStrength/$entity") } else { Value::Null },
            "authenticationStrength": strength,
        },
    })
}

/// A named location (polymorphic).
pub(crate) fn named_location(sc: &Scenario, l: &NamedLocation) -> Value {
    let id = object_id(sc.seed, kind::LOCATION, l.index);
    let created = ts(sc.at(l.created_day, 13 * 3600));
    if l.countries.is_empty() {
        json!({
            "@odata.type": "#microsoft.graph.ipNamedLocation",
            "id": id,
            "displayName": l.name,
            "modifiedDateTime": created,
            "createdDateTime": created,
            "isTrusted": l.trusted,
            "ipRanges": l.ranges.iter().map(|r| json!({
                "@odata.type": if r.contains(':') { "#microsoft.graph.iPv6CidrRange" } else { "#microsoft.graph.iPv4CidrRange" },
                "cidrAddress": r,
            })).collect::<Vec<_>>(),
        })
    } else {
        json!({
            "@odata.type": "#microsoft.graph.countryNamedLocation",
            "id": id,
            "displayName": l.name,
            "modifiedDateTime": created,
            "createdDateTime": created,
            "countriesAndRegions": l.countries,
            "includeUnknownCountriesAndRegions": false,
            "countryLookupMethod": "clientIpAddress",
        })
    }
}

/// A nested group as a directory object.
pub(crate) fn group(sc: &Scenario, g: usize) -> Value {
    let (name, desc) = GROUPS.get(g).copied().unwrap_or(("", ""));
    json!({
        "@odata.type": "#microsoft.graph.group",
        "id": object_id(sc.seed, kind::GROUP, g as u32),
        "displayName": name,
        "description": desc,
        "securityEnabled": true,
        "mailEnabled": false,
    })
}

fn recipients(v: &[Recipient]) -> Value {
    Value::Array(
        v.iter()
            .map(|r| json!({"emailAddress": {"name": r.name, "address": r.address}}))
            .collect(),
    )
}

/// An inbox rule.
pub(crate) fn message_rule(r: &InboxRule) -> Value {
    let mut actions = Map::new();
    if !r.forward_to.is_empty() {
        actions.insert("forwardTo".into(), recipients(&r.forward_to));
    }
    if !r.forward_as_attachment_to.is_empty() {
        actions.insert(
            "forwardAsAttachmentTo".into(),
            recipients(&r.forward_as_attachment_to),
        );
    }
    if !r.redirect_to.is_empty() {
        let v = recipients(&r.redirect_to);
        let v = match (r.redirect_as_object, v) {
            (true, Value::Array(mut a)) if a.len() == 1 => a.remove(0),
            (_, v) => v,
        };
        actions.insert("redirectTo".into(), v);
    }
    if r.move_to_folder {
        actions.insert("moveToFolder".into(), json!("AAMkAGI2TGuLAAA="));
        actions.insert("markAsRead".into(), json!(true));
    }
    actions.insert("stopProcessingRules".into(), json!(true));
    let mut conditions = Map::new();
    if let Some(s) = &r.subject_contains {
        conditions.insert("subjectContains".into(), json!([s]));
    }
    json!({
        "id": r.id,
        "displayName": r.name,
        "sequence": r.sequence,
        "isEnabled": r.enabled,
        "hasError": false,
        "isReadOnly": false,
        "conditions": Value::Object(conditions),
        "actions": Value::Object(actions),
    })
}

fn exo_guid(sc: &Scenario, what: u64, i: u64) -> String {
    let x = h(sc.seed, &[tag::MISC, what, i]);
    hash::guid(x, h(sc.seed, &[x]))
}

fn exo_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Get-Mailbox object.
pub(crate) fn mailbox(sc: &Scenario, acc: &Account, day: i32) -> Value {
    let f = sc.mailbox_forwarding(acc, day);
    let local = acc.upn.split('@').next().unwrap_or("").to_string();
    let contact = f.contact.and_then(|c| sc.contact(c));
    let created = acc.created.unwrap_or_else(|| sc.at(-3000, 12 * 3600));
    let mut m = json!({
        "Name": local,
        "Alias": local,
        "DisplayName": acc.display_name,
        "Identity": local,
        "Guid": exo_guid(sc, 1, acc.index as u64),
        "ExternalDirectoryObjectId": acc.id,
        "UserPrincipalName": acc.upn,
        "PrimarySmtpAddress": acc.mail.clone().unwrap_or_else(|| acc.upn.clone()),
        "EmailAddresses": [format!("SMTP:{}", acc.upn), format!("smtp:{}@{}", local, MAIL_DOMAIN)],
        "RecipientType": "UserMailbox",
        "RecipientTypeDetails": sc.mailbox_type(acc),
        "ForwardingAddress": contact
            .map(|c| Value::String(c.name))
            .or_else(|| f.named.map(Value::from))
            .unwrap_or(Value::Null),
        "ForwardingSmtpAddress": f.smtp.map(Value::String).unwrap_or(Value::Null),
        "DeliverToMailboxAndForward": f.deliver_and_forward,
        "AccountDisabled": !acc.enabled,
        "IsMailboxEnabled": true,
        "HiddenFromAddressListsEnabled": false,
        "WhenCreatedUTC": exo_date(created),
    });
    // The ~190 other properties Exchange returns: a mailbox is 10–20 KB of JSON.
    if let Value::Object(map) = &mut m {
        super::mailbox_props::fill(map, sc.seed, acc.index, &local, &exo_date(created));
    }
    m
}

/// Get-MailContact object.
pub(crate) fn mail_contact(sc: &Scenario, c: &Contact) -> Value {
    let external = c.external.clone();
    let addr = external.trim_start_matches("SMTP:").to_string();
    json!({
        "Identity": c.name,
        "Name": c.name,
        "DisplayName": c.name,
        "Alias": format!("contact{}", c.index),
        "Guid": exo_guid(sc, 2, c.index as u64),
        "ExternalEmailAddress": external,
        "PrimarySmtpAddress": addr,
        "RecipientType": "MailContact",
        "RecipientTypeDetails": "MailContact",
        "HiddenFromAddressListsEnabled": true,
    })
}

/// The remaining Exchange collections of a day (small, materialised).
pub(crate) fn exchange_small(sc: &Scenario, cmdlet: &str, day: i32) -> Option<Vec<Value>> {
    let changed = exo_date(sc.at(day.min(0) - 20, 11 * 3600));
    Some(match cmdlet {
        "get-remotedomain" => sc
            .remote_domains(day)
            .iter()
            .enumerate()
            .map(|(n, r)| {
                json!({
                    "Identity": r.name,
                    "Name": r.name,
                    "DomainName": r.domain,
                    "AutoForwardEnabled": r.auto_forward,
                    "AutoReplyEnabled": true,
                    "AllowedOOFType": "External",
                    "DeliveryReportEnabled": true,
                    "IsInternal": false,
                    "TNEFEnabled": null,
                    "Guid": exo_guid(sc, 3, n as u64),
                    "WhenChangedUTC": changed,
                })
            })
            .collect(),
        "get-hostedoutboundspamfilterpolicy" => sc
            .outbound_policies(day)
            .iter()
            .enumerate()
            .map(|(n, p)| {
                json!({
                    "Identity": p.name,
                    "Name": p.name,
                    "IsDefault": p.is_default,
                    "AutoForwardingMode": p.mode,
                    "RecipientLimitExternalPerHour": 0,
                    "RecipientLimitInternalPerHour": 0,
                    "RecipientLimitPerDay": 0,
                    "ActionWhenThresholdReached": "BlockUserForToday",
                    "NotifyOutboundSpam": false,
                    "Guid": exo_guid(sc, 4, n as u64),
                    "WhenChangedUTC": changed,
                })
            })
            .collect(),
        "get-transportrule" => sc
            .transport_rules(day)
            .iter()
            .map(|r| {
                let list = |v: &Vec<&str>| {
                    if v.is_empty() {
                        Value::Null
                    } else {
                        json!(v)
                    }
                };
                json!({
                    "Identity": r.name,
                    "Name": r.name,
                    "Guid": r.guid,
                    "State": if r.enabled { "Enabled" } else { "Disabled" },
                    "Mode": "Enforce",
                    "Priority": r.priority,
                    "RedirectMessageTo": list(&r.redirect),
                    "CopyTo": list(&r.copy),
                    "BlindCopyTo": list(&r.bcc),
                    "ApplyOME": sc.applies_ome(r),
                    "ApplyRightsProtectionTemplate": Value::Null,
                    "SentToScope": if r.redirect.is_empty() && r.copy.is_empty() && r.bcc.is_empty() { Value::from("NotInOrganization") } else { Value::Null },
                    "Description": format!("Règle « {} »", r.name),
                    "WhenChanged": changed,
                })
            })
            .collect(),
        "get-accepteddomain" => sc
            .accepted_domains()
            .iter()
            .enumerate()
            .map(|(n, a)| {
                json!({
                    "Identity": a.name,
                    "Name": a.name,
                    "DomainName": a.domain,
                    "DomainType": "Authoritative",
                    "Default": a.default,
                    "InitialDomain": a.initial,
                    "MatchSubDomains": false,
                    "Guid": exo_guid(sc, 5, n as u64),
                })
            })
            .collect(),
        _ => return None,
    })
}

/// innerError date from the sim clock (deterministic).
pub(crate) fn sim_clock(sc: &Scenario, day: i32) -> DateTime<Utc> {
    sc.as_of(day) + Duration::seconds(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn a_mailbox_is_as_big_as_exchange_makes_it() {
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
        let sc = Scenario::new(3, 400, start);
        let acc = (60..400)
            .find_map(|i| sc.account(i, 0).filter(|a| a.has_mailbox()))
            .expect("a mailbox");
        let m = mailbox(&sc, &acc, 0);
        let props = m
            .as_object()
            .map_or(0, |o| o.keys().filter(|k| !k.contains('@')).count());
        let bytes = serde_json::to_vec(&m).map_or(0, |v| v.len());
        assert!((180..=260).contains(&props), "{props} properties");
        assert!((10_000..=20_000).contains(&bytes), "{bytes} bytes");
    }
}
