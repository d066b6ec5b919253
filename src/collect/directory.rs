//! Directory sources: conditional access and named locations, group members, users (with
//! their classification, streamed), MFA registration details, and last sign-in activity of
//! the accounts in scope.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use http::Method;

use super::context::{Ctx, collected, dependency_failed, prefix, query};
use super::error::CollectError;
use super::feed::{Chunks, FeedTx};
use super::paging::{Close, odata_escape, paged};
use crate::classify::{self, Class};
use crate::graph::models as wire;
use crate::model::{Account, Activity, CaPolicy, GroupMember, NamedLocation, Registration};

/// Group memberships of the accounts, for classification: user id → group ids.
pub(super) type Memberships = HashMap<String, HashSet<String>>;

/// The in-scope set for one kind of account, as a lookup.
fn lowercase_set(v: &[String]) -> HashSet<String> {
    v.iter().map(|s| s.to_lowercase()).collect()
}

fn account(u: wire::User) -> Option<Account> {
    if u.removed.is_some() {
        return None;
    }
    let organisation = [
        ("companyName", u.company_name),
        ("department", u.department),
        ("officeLocation", u.office_location),
    ]
    .into_iter()
    .filter_map(|(k, v)| {
        v.map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .map(|v| (k.to_string(), v))
    })
    .collect();
    Some(Account {
        organisation,
        perimeter: Vec::new(),
        attribution: Vec::new(),
        upn: u.user_principal_name.trim().to_lowercase(),
        display_name: u.display_name.unwrap_or_default(),
        mail: u.mail.map(|m| m.trim().to_lowercase()),
        // Selected explicitly: Graph returns it. Absent would mean a proxy stripped it.
        enabled: u.account_enabled.unwrap_or(true),
        guest: u
            .user_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("Guest")),
        employee_type: u.employee_type,
        extension_attributes: u
            .on_premises_extension_attributes
            .into_iter()
            .filter_map(|(k, v)| v.filter(|v| !v.trim().is_empty()).map(|v| (k, v)))
            .collect(),
        created: u.created_date_time,
        last_password_change: u.last_password_change_date_time,
        proxy_addresses: u
            .proxy_addresses
            .into_iter()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        id: u.id,
    })
}

/// Conditional access policies and named locations. Returns the groups and the directory
/// roles the policies name.
pub(crate) async fn conditional_access(
    ctx: &Ctx,
) -> Result<(Vec<String>, Vec<String>), CollectError> {
    let q = query("conditional-access-policies")?;
    ctx.start(&q.name).await?;
    let url = ctx.client.graph_url(&q.path, &[])?;
    let mut groups: Vec<String> = Vec::new();
    let mut roles: Vec<String> = Vec::new();
    let outcome = paged(
        ctx,
        q,
        crate::graph::Call::for_query(q, Method::GET, url),
        |p: wire::ConditionalAccessPolicy| {
            let users = p
                .conditions
                .as_ref()
                .and_then(|c| c.users.clone())
                .unwrap_or_default();
            let apps = p
                .conditions
                .as_ref()
                .and_then(|c| c.applications.clone())
                .unwrap_or_default();
            let grant = p.grant_controls.clone().unwrap_or_default();
            let conditions = p.conditions.clone().unwrap_or_default();
            let locations = conditions.locations.unwrap_or_default();
            let platforms = conditions.platforms.unwrap_or_default();
            Some(CaPolicy {
                id: p.id,
                name: p.display_name,
                state: p.state,
                include_users: users.include_users,
                exclude_users: users.exclude_users,
                include_groups: users.include_groups,
                exclude_groups: users.exclude_groups,
                include_roles: users.include_roles,
                exclude_roles: users.exclude_roles,
                include_applications: apps.include_applications,
                built_in_controls: grant.built_in_controls,
                authentication_strength: grant
                    .authentication_strength
                    .is_some_and(|v| !v.is_null()),
                exclude_applications: apps.exclude_applications,
                client_app_types: conditions.client_app_types,
                include_locations: locations.include_locations,
                exclude_locations: locations.exclude_locations,
                include_platforms: platforms.include_platforms,
                exclude_platforms: platforms.exclude_platforms,
                grant_operator: grant.operator,
                exclude_guests: users
                    .exclude_guests_or_external_users
                    .is_some_and(|v| !v.is_null()),
            })
        },
        Close::All,
        async |page: &[CaPolicy]| {
            for p in page {
                groups.extend(p.include_groups.iter().chain(&p.exclude_groups).cloned());
                roles.extend(p.include_roles.iter().chain(&p.exclude_roles).cloned());
            }
        },
    )
    .await?;
    ctx.finish(
        &q.name,
        outcome.map_or_else(|o| o, |(r, p)| collected(r, p, None)),
    )
    .await?;

    let q = query("named-locations")?;
    ctx.start(&q.name).await?;
    let url = ctx.client.graph_url(&q.path, &[])?;
    let outcome = paged(
        ctx,
        q,
        crate::graph::Call::for_query(q, Method::GET, url),
        |l: wire::NamedLocation| {
            Some(NamedLocation {
                id: l.id,
                name: l.display_name,
                trusted: l.is_trusted.unwrap_or(false),
                cidrs: l
                    .ip_ranges
                    .into_iter()
                    .map(|r| r.cidr_address)
                    .filter(|c| !c.is_empty())
                    .collect(),
            })
        },
        Close::All,
        async |_| {},
    )
    .await?;
    ctx.finish(
        &q.name,
        outcome.map_or_else(|o| o, |(r, p)| collected(r, p, None)),
    )
    .await?;
    groups.sort();
    groups.dedup();
    roles.sort();
    roles.dedup();
    Ok((groups, roles))
}

/// What `group_members` read.
pub(crate) struct GroupsRead {
    /// User id → the groups of classification and of the perimeter it belongs to.
    pub memberships: Memberships,
    /// Every group was read (or found missing).
    pub complete: bool,
    /// Groups that answered 404.
    pub missing: Vec<String>,
}

/// The perimeter's members by group, from what `group_members` read. A perimeter group not
/// read (refused, deleted) fails the night: its members cannot be told from the others.
pub(crate) fn perimeter_group_members(
    read: &GroupsRead,
    groups: &[(String, String)],
    members: &mut crate::perimeter::Members,
) -> Result<(), CollectError> {
    if !read.complete {
        let q = query("group-members")?;
        return Err(CollectError::Perimeter {
            message: format!(
                "membres des groupes de [perimetre] illisibles (source « group-members » non \
                 collectée ; autorisation d'application {}). Le périmètre de l'établissement \
                 n'a pas pu être établi : la nuit s'arrête plutôt que d'auditer tout le \
                 locataire",
                q.permissions_fr()
            ),
            configuration: false,
        });
    }
    if let Some((_, name)) = groups.iter().find(|(id, _)| read.missing.contains(id)) {
        return Err(CollectError::Perimeter {
            message: format!(
                "groupe « {name} » de [perimetre] introuvable (supprimé ?) ; correctif : \
                 corriger [perimetre].groupes. La nuit s'arrête plutôt que d'auditer tout le \
                 locataire"
            ),
            configuration: true,
        });
    }
    for (user, of) in &read.memberships {
        for (id, name) in groups {
            if of.contains(id) {
                members.add(
                    user,
                    crate::model::PerimeterReason::Group { name: name.clone() },
                );
            }
        }
    }
    Ok(())
}

/// Transitive members of each group. Returns the memberships of the groups classification
/// and the perimeter (`perimeter_groups`) use (the policies' groups go to the store only).
pub(crate) async fn group_members(
    ctx: &Ctx,
    groups: &[String],
    perimeter_groups: &[String],
) -> Result<GroupsRead, CollectError> {
    let q = query("group-members")?;
    ctx.start(&q.name).await?;
    let wanted: HashSet<String> = ctx
        .settings
        .rules
        .groups()
        .into_iter()
        .chain(perimeter_groups.iter().cloned())
        .collect();
    let mut memberships = Memberships::new();
    let (mut records, mut pages, mut missing) = (0i64, 0i64, Vec::new());
    for gid in groups {
        let path = q.path.replace("{id}", gid);
        let url = ctx.client.graph_url(
            &path,
            &[("$select", &q.select()), ("$top", &q.page_size.to_string())],
        )?;
        let outcome = paged(
            ctx,
            q,
            crate::graph::Call::for_query(q, Method::GET, url),
            |m: wire::DirectoryMember| {
                Some(GroupMember {
                    group_id: gid.clone(),
                    user_id: m.id,
                })
            },
            Close::Prefix(prefix(gid)),
            async |page: &[GroupMember]| {
                if wanted.contains(gid) {
                    for m in page {
                        memberships
                            .entry(m.user_id.clone())
                            .or_default()
                            .insert(gid.clone());
                    }
                }
            },
        )
        .await?;
        match outcome {
            Ok((r, p)) => {
                records += r;
                pages += p;
            }
            Err(o) if o.reason.as_deref().is_some_and(|r| r.contains("HTTP 404")) => {
                // A group a policy still names but that no longer exists: it has no members.
                ctx.close_unseen(crate::model::Kind::GroupMember, Some(prefix(gid)))
                    .await?;
                missing.push(gid.clone());
            }
            Err(o) => {
                ctx.finish(&q.name, o).await?;
                return Ok(GroupsRead {
                    memberships,
                    complete: false,
                    missing,
                });
            }
        }
    }
    let note = (!missing.is_empty()).then(|| {
        format!(
            "groupes introuvables (supprimés ?) : {}",
            missing.join(", ")
        )
    });
    ctx.finish(&q.name, collected(records, pages, note)).await?;
    Ok(GroupsRead {
        memberships,
        complete: true,
        missing,
    })
}

/// Where users hand the accounts in scope (generic, « Appli », tracked), page by page.
pub(crate) struct UserFeeds {
    pub sign_ins: FeedTx<(String, String)>,
    pub activity: FeedTx<(String, String)>,
    /// The generic accounts, for their Intune managed devices.
    pub devices: FeedTx<(String, String)>,
    /// Member accounts (not guests): the mailboxes whose inbox rules are read. Exchange's
    /// mailbox list is filtered to those that forward, so the directory gives this one.
    pub mailboxes: FeedTx<String>,
}

/// The attributes only a perimeter reads: selected when it names them (they add some 13 % to
/// the bytes of every account read, measured on the simulated tenant).
const PERIMETER_ONLY: [crate::config::DirectoryAttribute; 3] = [
    crate::config::DirectoryAttribute::CompanyName,
    crate::config::DirectoryAttribute::Department,
    crate::config::DirectoryAttribute::OfficeLocation,
];

/// The users' `$select`: the catalogue's fields, less the perimeter's attributes it does not
/// read.
pub(crate) fn users_select(
    q: &crate::queries::Query,
    perimeters: &[&crate::config::Perimeter],
) -> String {
    let unread: Vec<String> = PERIMETER_ONLY
        .iter()
        .filter(|a| !perimeters.iter().any(|p| p.reads(**a)))
        .map(|a| a.graph_name())
        .collect();
    q.fields
        .iter()
        .map(|f| f.name.as_str())
        .filter(|f| !unread.iter().any(|u| u == f))
        .collect::<Vec<_>>()
        .join(",")
}

/// Users, classified as they stream; the accounts in scope go to the sign-in sources page by
/// page. Returns whether users were read completely.
pub(crate) async fn users(
    ctx: &Ctx,
    memberships: &Memberships,
    members: &[crate::perimeter::Members],
    feeds: UserFeeds,
) -> Result<bool, CollectError> {
    let q = query("users")?;
    ctx.start(&q.name).await?;
    let url = ctx.client.graph_url(
        &q.path,
        &[
            ("$select", &users_select(q, &ctx.settings.perimeters())),
            ("$top", &q.page_size.to_string()),
        ],
    )?;
    let tracked: HashSet<String> = lowercase_set(&ctx.settings.tracked_upns);
    let empty = HashSet::new();
    let mut in_scope = 0usize;
    let perimeter = ctx.settings.perimeter.as_ref();
    let establishments = &ctx.settings.establishments;
    let (mut outside, mut scope) = (0usize, super::perimeter::Scope::default());
    // Outside the perimeter, an account is dropped here: never stored, never handed on.
    let mut domains = super::perimeter::Scope::default();
    let keep = |u: wire::User| {
        let mut a = account(u)?;
        if perimeter.is_some() {
            domains.domain_of(&a.upn, a.mail.as_deref());
        }
        match perimeter {
            None if establishments.is_empty() => a.organisation.clear(),
            // The provincial mode keeps every account, with the establishments that retain it.
            None => {
                for ((code, p), m) in establishments.iter().zip(members) {
                    let reasons = crate::perimeter::reasons(p, m, &a);
                    if !reasons.is_empty() {
                        a.attribution.push(crate::model::Attribution {
                            code: code.clone(),
                            reasons,
                        });
                    }
                }
                a.organisation.retain(|k, _| {
                    establishments
                        .iter()
                        .any(|(_, p)| p.attributes.iter().any(|m| m.attribute.graph_name() == *k))
                });
            }
            Some(p) => {
                a.perimeter = crate::perimeter::reasons(p, &members[0], &a);
                if a.perimeter.is_empty() {
                    domains.outside(&a);
                    outside += 1;
                    return None;
                }
                a.organisation
                    .retain(|k, _| p.attributes.iter().any(|m| m.attribute.graph_name() == *k));
            }
        }
        Some(a)
    };
    let outcome = paged(
        ctx,
        q,
        crate::graph::Call::for_query(q, Method::GET, url),
        keep,
        Close::All,
        async |page: &[Account]| {
            if perimeter.is_some() {
                page.iter().for_each(|a| scope.add(a));
            }
            let mut generic = Vec::new();
            let scope: Vec<(String, String)> = page
                .iter()
                .filter(|a| {
                    let groups = memberships.get(&a.id).unwrap_or(&empty);
                    let c = classify::classify(a, groups, &ctx.settings.rules);
                    if c.class == Class::Generique {
                        generic.push((a.id.clone(), a.upn.clone()));
                    }
                    matches!(c.class, Class::Generique | Class::Appli) || tracked.contains(&a.upn)
                })
                .map(|a| (a.id.clone(), a.upn.clone()))
                .collect();
            in_scope += scope.len();
            feeds.devices.items(generic).await;
            let members: Vec<String> = page
                .iter()
                .filter(|a| !a.guest)
                .map(|a| a.id.clone())
                .collect();
            feeds.mailboxes.items(members).await;
            feeds.activity.items(scope.clone()).await;
            feeds.sign_ins.items(scope).await;
        },
    )
    .await?;
    // The consumers learn the end only now, after the last page is in the store.
    let complete = outcome.is_ok();
    if complete {
        if perimeter.is_some() {
            tracing::info!(
                dans = scope.len(),
                hors = outside,
                "périmètre de l'établissement : comptes retenus, comptes écartés"
            );
        }
        scope.absorb(domains);
        ctx.open_gate(perimeter.map(|_| scope));
    }
    feeds.sign_ins.end(complete).await;
    feeds.activity.end(complete).await;
    feeds.devices.end(complete).await;
    feeds.mailboxes.end(complete).await;
    match outcome {
        Ok((r, p)) => {
            ctx.finish(&q.name, collected(r, p, None)).await?;
            tracing::info!(in_scope, "comptes visés par les journaux de connexion");
        }
        Err(o) => ctx.finish(&q.name, o).await?,
    }
    Ok(complete)
}

/// MFA registration details of every account (of the perimeter: the report is tenant-wide,
/// the rows of accounts outside are dropped as they are read).
pub(crate) async fn registration(ctx: &Ctx) -> Result<(), CollectError> {
    let q = query("user-registration-details")?;
    ctx.start(&q.name).await?;
    let Some(within) = ctx.within().await else {
        return ctx
            .finish(&q.name, super::perimeter::outside_unknown())
            .await;
    };
    let url = ctx.client.graph_url(&q.path, &[])?;
    let outcome = paged(
        ctx,
        q,
        crate::graph::Call::for_query(q, Method::GET, url),
        |r: wire::RegistrationDetail| {
            if !within.keeps_id(&r.id) {
                return None;
            }
            Some(Registration {
                user_id: r.id,
                upn: r.user_principal_name.to_lowercase(),
                mfa_registered: r.is_mfa_registered,
                mfa_capable: r.is_mfa_capable,
                methods: r.methods_registered,
            })
        },
        Close::All,
        async |_| {},
    )
    .await?;
    ctx.finish(
        &q.name,
        outcome.map_or_else(|o| o, |(r, p)| collected(r, p, None)),
    )
    .await?;
    Ok(())
}

/// Whether `night` is an account's turn to have its `signInActivity` read again, when each
/// account is read once every `period` nights: FNV-1a of its id, modulo `period`, against the
/// night's day number since 1970-01-01. Stable across runs and builds (not `DefaultHasher`),
/// so a rerun of a night reads the same accounts and the reads spread evenly over the nights.
pub fn sign_in_activity_turn(id: &str, night: NaiveDate, period: u32) -> bool {
    let period = i64::from(period.max(1));
    let fnv = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let day = night
        .signed_duration_since(chrono::DateTime::UNIX_EPOCH.date_naive())
        .num_days();
    (fnv % period as u64) as i64 == day.rem_euclid(period)
}

/// Last sign-in of the accounts in scope (10 requests a minute: never the whole tenant).
/// An account with a record in the store is read on its turn only (once every
/// `sign_in_activity_rotation_nights`); the others keep their record, marked seen.
pub(crate) async fn sign_in_activity(
    ctx: &Ctx,
    mut in_scope: Chunks<(String, String)>,
) -> Result<(), CollectError> {
    let q = query("users-sign-in-activity")?;
    if !ctx.settings.sign_in_activity {
        in_scope.close();
        return Ok(());
    }
    ctx.start(&q.name).await?;
    let per = q.ids_per_request.unwrap_or(15).max(1);
    let (night, period) = (
        ctx.settings.night,
        ctx.settings.sign_in_activity_rotation_nights,
    );
    let known: HashSet<String> = if period > 1 {
        let current = ctx.store(|s| s.current::<Activity>()).await?;
        current.into_iter().map(|a| a.user_id).collect()
    } else {
        HashSet::new()
    };
    let (mut records, mut pages) = (0i64, 0i64);
    let (mut read, mut carried, mut kept) = (0usize, 0usize, Vec::new());
    loop {
        let tonight = |(id, _): &(String, String)| {
            let turn = !known.contains(id) || sign_in_activity_turn(id, night, period);
            if !turn {
                kept.push(id.clone());
            }
            turn
        };
        let chunk = in_scope.next_kept(per, tonight).await;
        if !kept.is_empty() {
            let keys = std::mem::take(&mut kept);
            carried += keys.len();
            let run = ctx.run;
            ctx.store(move |s| s.mark_seen(run, crate::model::Kind::Activity, &keys))
                .await?;
        }
        let Some(chunk) = chunk else { break };
        read += chunk.len();
        let ids: Vec<String> = chunk
            .iter()
            .map(|(id, _)| format!("'{}'", odata_escape(id)))
            .collect();
        let filter = q
            .filter
            .clone()
            .unwrap_or_default()
            .replace("{ids}", &ids.join(","));
        let url = ctx
            .client
            .graph_url(&q.path, &[("$filter", &filter), ("$select", &q.select())])?;
        let convert = |u: wire::UserActivity| {
            let a = u.sign_in_activity.unwrap_or_default();
            Some(Activity {
                user_id: u.id,
                last_interactive: a.last_sign_in_date_time,
                last_non_interactive: a.last_non_interactive_sign_in_date_time,
                last_successful: a.last_successful_sign_in_date_time,
            })
        };
        // Records of other chunks are not closed: only what this chunk asked for.
        match paged(
            ctx,
            q,
            crate::graph::Call::for_query(q, Method::GET, url),
            convert,
            Close::Nothing,
            async |_| {},
        )
        .await?
        {
            Ok((r, p)) => {
                records += r;
                pages += p;
            }
            Err(o) => {
                in_scope.close();
                ctx.finish(&q.name, o).await?;
                return Ok(());
            }
        }
    }
    tracing::info!(
        read,
        carried,
        period,
        "activité de connexion : comptes relus cette nuit, les autres gardent leur relevé"
    );
    if !in_scope.complete() {
        ctx.finish(&q.name, dependency_failed("users", records, pages))
            .await?;
        return Ok(());
    }
    ctx.close_unseen(crate::model::Kind::Activity, None).await?;
    ctx.finish(&q.name, collected(records, pages, None)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u32) -> Vec<String> {
        (0..n)
            .map(|i| {
                format!(
                    "{:08x}-4b2d-4e5f-8a7b-{:012x}",
                    i.wrapping_mul(2_654_435_761),
                    i
                )
            })
            .collect()
    }

    #[test]
    fn every_account_has_exactly_one_turn_in_any_period_of_nights() {
        let first = NaiveDate::from_ymd_opt(2026, 12, 27).expect("date");
        for period in [1u32, 2, 7, 30] {
            for start in 0..3 {
                let nights: Vec<NaiveDate> = (0..period)
                    .map(|d| first + chrono::Days::new(u64::from(start + d)))
                    .collect();
                for id in ids(500) {
                    let turns = nights
                        .iter()
                        .filter(|n| sign_in_activity_turn(&id, **n, period))
                        .count();
                    assert_eq!(turns, 1, "{id}, every {period} nights");
                }
            }
        }
    }

    #[test]
    fn one_night_period_reads_every_account_and_turns_are_stable_and_even() {
        let night = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
        assert!(
            ids(500)
                .iter()
                .all(|id| sign_in_activity_turn(id, night, 1))
        );
        // Written out, not the process's hasher: FNV-1a of this id is 0x6962cc90290a8603,
        // 2 modulo 7; 2026-03-01 is day 20 513, 3 modulo 7; its turn comes six nights later.
        let id = "3c9a6f0e-1b2d-4e5f-8a7b-9c0d1e2f3a4b";
        let on: Vec<u64> = (0..7)
            .filter(|d| sign_in_activity_turn(id, night + chrono::Days::new(*d), 7))
            .collect();
        assert_eq!(on, vec![6]);
        // 2 000 accounts over 7 nights: about 286 a night, none far off.
        for d in 0..7 {
            let n = ids(2000)
                .iter()
                .filter(|id| sign_in_activity_turn(id, night + chrono::Days::new(d), 7))
                .count();
            assert!((230..=340).contains(&n), "night {d}: {n} accounts");
        }
    }
}
