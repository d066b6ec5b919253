//! MFA registration, groups, conditional access policies and named locations.

use super::*;

/// Groups of the tenant.
pub(crate) const GROUPS: &[(&str, &str)] = &[
    (
        "CA-Exclusions-MFA",
        "Comptes exclus de la stratégie MFA générale",
    ),
    (
        "CA-Exclusions-MFA-Tablettes",
        "Tablettes exemptées (groupe imbriqué)",
    ),
    ("GRP-Tablettes-CHSLD", "Tablettes des CHSLD"),
    ("GRP-Personnel-Siège", "Personnel du siège social"),
    (
        "GRP-Medecins-CMDP",
        "Médecins, résidents et externes (conseil des médecins)",
    ),
];
pub(crate) const G_EXCL: usize = 0;
pub(crate) const G_EXCL_TAB: usize = 1;
pub(crate) const G_TAB: usize = 2;
pub(crate) const G_SIEGE: usize = 3;
/// The physicians' group the printed config names in `medecin_groupes`.
pub(crate) const G_MED: usize = 4;

/// Groups nested (as members) in a group.
pub(crate) fn nested_groups(g: usize) -> &'static [usize] {
    match g {
        G_EXCL => &[G_EXCL_TAB],
        _ => &[],
    }
}

/// Teams Devices Administrator (role template id): held by a tablet account that
/// administers the meeting-room devices of its CHSLD, and excluded from the MFA policies.
pub(crate) const ROLE_TEAMS_DEVICES: &str = "3d762c5a-1b6c-493f-843e-55a3b42923d4";

/// Who a policy condition names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UserRef {
    All,
    User(u32),
}

#[derive(Clone, Debug)]
pub(crate) struct Policy {
    pub index: u32,
    pub name: &'static str,
    pub state: &'static str,
    pub include_users: Vec<UserRef>,
    pub exclude_users: Vec<u32>,
    pub include_groups: Vec<usize>,
    pub exclude_groups: Vec<usize>,
    /// `excludeRoles`: role definition ids.
    pub exclude_roles: Vec<&'static str>,
    pub include_apps: Vec<&'static str>,
    /// `excludeApplications`: application ids.
    pub exclude_apps: Vec<&'static str>,
    pub client_app_types: Vec<&'static str>,
    pub built_in: Vec<&'static str>,
    /// `grantControls.operator`: `OR` or `AND`.
    pub operator: &'static str,
    pub auth_strength: bool,
    /// Locations: include `All`, exclude `AllTrusted`.
    pub exclude_trusted_locations: bool,
    pub created_day: i32,
    pub modified_day: i32,
}

impl Policy {
    /// The convention of the ground truth: enabled, MFA or an authentication strength, and
    /// no other control offered instead (`OR` with another control requires nothing).
    pub(crate) fn requires_mfa(&self) -> bool {
        let alternatives = self.built_in.iter().any(|c| *c != "mfa");
        self.state == "enabled"
            && (self.built_in.contains(&"mfa") || self.auth_strength)
            && (self.operator == "AND" || !alternatives)
    }

    /// Whether the policy targets this application (id): included (`All`, `Office365` for
    /// every application, or its id) and not excluded (Teams by any of its ids).
    pub(crate) fn targets_app(&self, app_id: &str) -> bool {
        let teams = |x: &str| {
            [
                "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
                "5e3ce6c0-2b1f-4285-8d4b-75ee78787346",
                "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
            ]
            .contains(&x)
        };
        let names = |x: &str| x == app_id || (teams(x) && teams(app_id));
        let included = self
            .include_apps
            .iter()
            .any(|a| *a == "All" || *a == "Office365" || names(a));
        included && !self.exclude_apps.iter().any(|a| names(a))
    }

    /// A fixed-address block: grant `block`, locations `All` except `AllTrusted`.
    pub(crate) fn is_location_block(&self) -> bool {
        self.built_in.contains(&"block") && self.exclude_trusted_locations
    }
}

#[derive(Clone, Debug)]
pub(crate) struct NamedLocation {
    pub index: u32,
    pub name: &'static str,
    pub trusted: bool,
    /// IP ranges; empty for a country location.
    pub ranges: Vec<String>,
    pub countries: Vec<&'static str>,
    pub created_day: i32,
}

/// A registration-details row.
#[derive(Clone, Debug)]
pub(crate) struct Registration {
    pub registered: bool,
    pub capable: bool,
    pub methods: Vec<&'static str>,
    pub updated: DateTime<Utc>,
    pub admin: bool,
}

impl Scenario {
    /// Day from which the account has registered MFA methods.
    pub(super) fn mfa_day(&self, i: u32) -> i32 {
        if let Some(k) = key(i) {
            return match k {
                S::TabVerdun3 => 15,
                S::TabLachine2 | S::TabLachine3 => NEVER,
                S::TabVerdun5 => 11,
                S::SvcBilletterie | S::SvcTelesante1 | S::SvcTelesante2 | S::AppliPharmacie => {
                    NEVER
                }
                S::SvcArchivage | S::GuestConsultant => NEVER,
                S::SharedAccueilVerdun | S::SharedDossiersLachine => NEVER,
                S::JulieGagnon => NEVER,
                _ => ALWAYS,
            };
        }
        let m = h(self.seed, &[tag::MFA, i as u64]);
        let u = unit(m);
        let (arrival, _) = self.lifecycle(i);
        let in_year = if arrival == ALWAYS {
            range(m >> 20, 1, 300) as i32
        } else {
            arrival + range(m >> 20, 1, 14) as i32
        };
        let (before, during) = match self.kind_of(i) {
            Tablet | GenericOther => (0.88, 0.95),
            Staff | Physician => (0.93, 0.98),
            Appli => (0.1, 0.1),
            Urgence => (1.0, 1.0),
            Guest | Shared => (0.0, 0.0),
        };
        if u < before && arrival == ALWAYS {
            ALWAYS
        } else if u < during {
            in_year
        } else {
            NEVER
        }
    }

    /// MFA registration row of an account on a day: `None` when the report does not list it
    /// (disabled accounts, accounts created that day).
    pub(crate) fn registration(&self, acc: &Account, day: i32) -> Option<Registration> {
        if !acc.enabled || acc.created_day >= day {
            return None;
        }
        let i = acc.index;
        let m = h(self.seed, &[tag::MFA, i as u64, 7]);
        let md = self.mfa_day(i);
        let registered = md <= day;
        let methods: Vec<&'static str> = if registered {
            match acc.kind {
                Urgence => vec!["fido2"],
                Tablet | GenericOther => {
                    if m.is_multiple_of(4) {
                        vec!["mobilePhone"]
                    } else {
                        vec!["microsoftAuthenticatorPush"]
                    }
                }
                _ => match m % 5 {
                    0 => vec!["mobilePhone"],
                    1 => vec!["microsoftAuthenticatorPush", "softwareOneTimePasscode"],
                    _ => vec!["microsoftAuthenticatorPush", "mobilePhone"],
                },
            }
        } else if m.is_multiple_of(3) && !acc.guest {
            vec!["email"]
        } else {
            vec![]
        };
        // SMS-only registrations are not MFA capable when the tenant disabled SMS for them.
        let capable = registered && !(methods == ["mobilePhone"] && (m >> 8).is_multiple_of(3));
        let updated_day = if md > day || md == ALWAYS {
            acc.created_day.max(-400)
        } else {
            md
        };
        Some(Registration {
            registered,
            capable,
            methods,
            updated: self.at(updated_day, 12 * 3600 + (m >> 40) as i64 % 3600),
            admin: acc.kind == Urgence,
        })
    }

    // ----- groups and conditional access -----

    /// Direct membership of a user in a group on a day.
    pub(crate) fn member_direct(&self, g: usize, i: u32, day: i32) -> bool {
        if let Some(k) = key(i) {
            return match g {
                G_EXCL => match k {
                    S::SvcBilletterie
                    | S::AppliPharmacie
                    | S::SvcArchivage
                    | S::TabLachine3
                    | S::GuestConsultant => true,
                    S::LucBouchard => day <= 40,
                    _ => false,
                },
                G_EXCL_TAB => match k {
                    S::TabStLaurent1 => true,
                    S::TabVerdun2 => (12..25).contains(&day),
                    _ => false,
                },
                G_TAB => {
                    matches!(script(i).map(|s| s.kind), Some(Tablet | GenericOther))
                        && k != S::TabStLaurent4
                }
                G_SIEGE => k == S::SophieRoy,
                // A physician known only by this group (no `.med` anywhere).
                G_MED => matches!(k, S::DanielMichaud | S::CaronMed),
                _ => false,
            };
        }
        let x = unit(h(self.seed, &[tag::GROUP, i as u64, g as u64]));
        match (g, self.kind_of(i)) {
            (G_EXCL, Appli) => x < 0.8,
            (G_EXCL_TAB, Tablet) => x < 0.02,
            (G_TAB, Tablet | GenericOther) => true,
            (G_SIEGE, Staff) => x < 0.05,
            (G_MED, Physician) => x < 0.3,
            _ => false,
        }
    }

    /// Transitive membership (nested groups resolved).
    pub(crate) fn member(&self, g: usize, i: u32, day: i32) -> bool {
        self.member_direct(g, i, day) || nested_groups(g).iter().any(|n| self.member(*n, i, day))
    }

    pub(crate) fn policies(&self, day: i32) -> Vec<Policy> {
        if self.security_defaults {
            // Security defaults and conditional access are mutually exclusive.
            return Vec::new();
        }
        let u = idx;
        let base = |index: u32, name: &'static str| Policy {
            index,
            name,
            state: "enabled",
            include_users: vec![UserRef::All],
            exclude_users: vec![],
            include_groups: vec![],
            exclude_groups: vec![],
            exclude_roles: vec![],
            include_apps: vec!["All"],
            exclude_apps: vec![],
            client_app_types: vec!["all"],
            built_in: vec!["mfa"],
            operator: "OR",
            auth_strength: false,
            exclude_trusted_locations: false,
            created_day: -700 + index as i32 * 31,
            modified_day: -60 + index as i32 * 3,
        };
        let mut out = Vec::new();
        let mut p = base(0, "CA001 - Exiger la MFA pour tous les utilisateurs");
        p.exclude_users = vec![
            u(S::Urgence01),
            u(S::Urgence02),
            u(S::TabStLaurent3),
            u(S::TabStLaurent4),
            u(S::JulieGagnon),
            u(S::SophieRoy),
            u(S::MarcPelletier),
            u(S::TabLaSalle1),
        ];
        p.exclude_groups = vec![G_EXCL];
        p.exclude_roles = vec![ROLE_TEAMS_DEVICES];
        out.push(p);
        let mut p = base(1, "CA002 - MFA pour les tablettes des CHSLD (Office 365)");
        p.include_users = vec![];
        p.include_groups = vec![G_TAB];
        p.exclude_users = vec![u(S::TabLaSalle1)];
        p.exclude_groups = vec![G_EXCL];
        p.exclude_roles = vec![ROLE_TEAMS_DEVICES];
        p.include_apps = vec!["Office365"];
        p.built_in = vec![];
        p.auth_strength = true;
        out.push(p);
        let mut p = base(2, "CA003 - Bloquer l'authentification héritée");
        p.exclude_users = vec![u(S::Urgence01)];
        p.client_app_types = vec!["exchangeActiveSync", "other"];
        p.built_in = vec!["block"];
        out.push(p);
        let mut p = base(
            3,
            "CA004 - MFA hors des emplacements de confiance (rapport seulement)",
        );
        p.state = "enabledForReportingButNotEnforced";
        p.exclude_users = vec![u(S::Urgence01), u(S::Urgence02)];
        p.exclude_groups = vec![G_EXCL];
        p.exclude_trusted_locations = true;
        out.push(p);
        if day < 50 {
            let mut p = base(4, "CA005 - Ancienne stratégie MFA des médecins");
            p.state = "disabled";
            out.push(p);
        }
        let mut p = base(5, "CA006 - Appareils conformes pour les tablettes");
        p.include_users = vec![];
        p.include_groups = vec![G_TAB];
        p.built_in = vec!["compliantDevice"];
        out.push(p);
        let mut p = base(6, "CA007 - MFA pour le personnel du siège");
        p.include_users = vec![];
        p.include_groups = vec![G_SIEGE];
        out.push(p);
        // A tablet whose only MFA policy leaves Teams, the one application it uses, out.
        let mut p = base(
            7,
            "CA008 - MFA tablette LaSalle 1 (toutes applications sauf Teams)",
        );
        p.include_users = vec![UserRef::User(u(S::TabLaSalle1))];
        p.exclude_apps = vec!["cc15fd57-2c6c-4117-a88c-83b1d56b4bbe"];
        out.push(p);
        // Fixed addresses enforced for the tablets, except LaSalle's (report-only there).
        let lasalle = vec![u(S::TabLaSalle1), u(S::TabLaSalle2), u(S::TabLaSalle3)];
        let mut p = base(
            8,
            "CA009 - Bloquer les tablettes hors des emplacements de confiance",
        );
        p.include_users = vec![];
        p.include_groups = vec![G_TAB];
        p.exclude_users = lasalle.clone();
        p.built_in = vec!["block"];
        p.exclude_trusted_locations = true;
        out.push(p);
        let mut p = base(
            9,
            "CA010 - Bloquer les tablettes de LaSalle hors du site (rapport seulement)",
        );
        p.state = "enabledForReportingButNotEnforced";
        p.include_users = lasalle.into_iter().map(UserRef::User).collect();
        p.built_in = vec!["block"];
        p.exclude_trusted_locations = true;
        out.push(p);
        // MFA offered among alternatives: requires nothing.
        let mut p = base(
            10,
            "CA011 - MFA ou appareil conforme pour les tablettes de Verdun",
        );
        p.include_users = vec![UserRef::User(u(S::TabVerdun2))];
        p.built_in = vec!["mfa", "compliantDevice"];
        out.push(p);
        out
    }

    /// Whether a policy applies to a user (included and not excluded, groups transitive).
    pub(crate) fn policy_applies(&self, p: &Policy, i: u32, day: i32) -> bool {
        let included = p
            .include_users
            .iter()
            .any(|r| *r == UserRef::All || *r == UserRef::User(i))
            || p.include_groups.iter().any(|g| self.member(*g, i, day));
        included && !self.policy_excludes(p, i, day)
    }

    pub(crate) fn policy_excludes(&self, p: &Policy, i: u32, day: i32) -> bool {
        p.exclude_users.contains(&i)
            || p.exclude_groups.iter().any(|g| self.member(*g, i, day))
            || p.exclude_roles.iter().any(|r| self.holds_role(r, i))
    }

    /// Whether user `i` holds the directory role `role` (an active assignment).
    pub(crate) fn holds_role(&self, role: &str, i: u32) -> bool {
        role == ROLE_TEAMS_DEVICES && key(i) == Some(S::TabLachine1)
    }

    /// The users holding `role`, in index order.
    pub(crate) fn role_holders(&self, role: &str) -> Vec<u32> {
        (0..self.accounts)
            .filter(|i| self.holds_role(role, *i))
            .collect()
    }

    /// The per-user MFA state (`perUserMfaState`) of user `i` on `day`: `enforced` from day
    /// 20 on a tablet no conditional access policy covers (tablette4.saintlaurent: GEN-MFA-02
    /// before, not after), `enabled` on a covered one (tablette1.verdun), `disabled` on every
    /// other account.
    pub(crate) fn per_user_mfa(&self, i: u32, day: i32) -> &'static str {
        match key(i) {
            Some(S::TabStLaurent4) if day >= PER_USER_MFA_DAY => "enforced",
            Some(S::TabVerdun1) => "enabled",
            _ => "disabled",
        }
    }

    /// Per-user MFA covers the account (`enforced`, or `enabled`: registration at the next
    /// interactive sign-in, then MFA).
    pub(crate) fn per_user_covered(&self, i: u32, day: i32) -> bool {
        matches!(self.per_user_mfa(i, day), "enforced" | "enabled")
    }

    /// Whether the user's sign-ins satisfy MFA: some MFA-requiring policy applies to it on
    /// every application (a policy leaving an application out lets its sign-ins through with
    /// one factor).
    pub(crate) fn mfa_covered(&self, policies: &[Policy], i: u32, day: i32) -> bool {
        self.security_defaults
            || self.per_user_covered(i, day)
            || policies.iter().any(|p| {
                p.requires_mfa()
                    && p.exclude_apps.is_empty()
                    && p.include_apps
                        .iter()
                        .any(|a| *a == "All" || *a == "Office365")
                    && self.policy_applies(p, i, day)
            })
    }

    pub(crate) fn named_locations(&self, day: i32) -> Vec<NamedLocation> {
        let mut out = vec![
            NamedLocation {
                index: 0,
                name: "Réseau invité des CHSLD",
                trusted: false,
                ranges: vec!["100.96.0.0/16".to_string()],
                countries: vec![],
                created_day: -400,
            },
            NamedLocation {
                index: 1,
                name: "Canada",
                trusted: false,
                ranges: vec![],
                countries: vec!["CA"],
                created_day: -380,
            },
        ];
        if day >= 20 {
            let mut ranges: Vec<String> = self
                .sites
                .iter()
                .filter(|s| !s.configured)
                .map(|s| s.cidr.clone())
                .collect();
            ranges.push("100.127.255.0/24".to_string());
            ranges.push("2001:db8:3a::/48".to_string());
            out.push(NamedLocation {
                index: 2,
                name: "Sites CHSLD sans MDM et siège social (confiance)",
                trusted: true,
                ranges,
                countries: vec![],
                created_day: 20,
            });
        }
        out
    }
}

/// The day per-user MFA is enforced on tablette4.saintlaurent.
pub(crate) const PER_USER_MFA_DAY: i32 = 20;
