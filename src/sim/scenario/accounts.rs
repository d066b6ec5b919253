//! Accounts: identity, lifecycle, passwords and the register of generic accounts.

use super::*;

/// A CHSLD site.
#[derive(Clone, Debug)]
pub(crate) struct Site {
    pub name: &'static str,
    pub slug: String,
    /// IPv4 /24 of the site's egress.
    pub cidr: String,
    /// Whether the printed config has a `[[generiques.sites]]` entry with this range.
    pub configured: bool,
}

impl Site {
    pub(crate) fn display(&self) -> String {
        format!("CHSLD de {}", self.name)
    }
    pub(super) fn ip(&self, host: u32) -> String {
        let base = self.cidr.trim_end_matches(".0/24");
        format!("{}.{}", base, 10 + host % 200)
    }
}

/// One account as it is on a given day.
#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub index: u32,
    pub id: String,
    pub upn: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail: Option<String>,
    pub kind: Kind,
    pub site: Option<usize>,
    pub employee_type: Option<&'static str>,
    pub job_title: Option<&'static str>,
    pub department: Option<String>,
    pub enabled: bool,
    pub guest: bool,
    /// `None` renders as `null` (very old accounts, a Graph quirk).
    pub created: Option<DateTime<Utc>>,
    /// Day the account came into existence (`ALWAYS` when before the scenario).
    pub created_day: i32,
    pub last_password_change: DateTime<Utc>,
    /// `proxyAddresses`: `SMTP:` primary, `smtp:` aliases; none for a guest.
    pub proxy_addresses: Vec<String>,
    /// `companyName`: the establishment's name (every member of a single-establishment
    /// tenant; in a provincial tenant, only where its establishment marks it so).
    pub company_name: Option<&'static str>,
    /// `extensionAttribute10` (`ETAB-NN`, provincial tenant only).
    pub ext10: Option<String>,
    /// Its establishment in a provincial tenant (`None`: « non attribué », or a
    /// single-establishment tenant).
    pub establishment: Option<usize>,
}

impl Account {
    pub(crate) fn has_mailbox(&self) -> bool {
        !self.guest
    }
    pub(crate) fn is_shared(&self) -> bool {
        self.kind == Kind::Shared
    }
}

/// A person of the register of generic accounts.
#[derive(Clone, Debug)]
pub(crate) struct RegisterRow {
    pub compte: String,
    pub site: String,
    pub utilisateur: String,
    pub arrivee: NaiveDate,
    pub depart: Option<NaiveDate>,
}

/// Names and directory attributes of an account, before its lifecycle applies.
struct Identity {
    upn: String,
    display: String,
    mail: Option<String>,
    site: Option<usize>,
    employee_type: Option<&'static str>,
    given: Option<String>,
    surname: Option<String>,
    job_title: Option<&'static str>,
    department: Option<String>,
}

impl Identity {
    /// An identity whose mail is its UPN, with no other attribute.
    fn mailbox(upn: String, display: String) -> Self {
        Identity {
            mail: Some(upn.clone()),
            upn,
            display,
            site: None,
            employee_type: None,
            given: None,
            surname: None,
            job_title: None,
            department: None,
        }
    }
}

/// The identity of a scripted account, as its script spells it.
fn scripted_identity(s: &Scripted) -> Identity {
    let domain = match s.dom {
        Dom::Tenant => TENANT_DOMAIN,
        Dom::Rsss => RSSS_DOMAIN,
    };
    let upn = format!("{}@{}", s.local, domain);
    let mail = match s.key {
        S::GuestConsultant => "yves.lamarre@groupe-conseil-tri.ca".to_string(),
        // A physician whose UPN lacks `.med` but whose mail has it (RULES.md, Populations).
        S::PierreGauthier => format!("{}.med@{}", s.local, domain),
        _ => upn.clone(),
    };
    let mut who = Identity {
        mail: Some(mail),
        site: s.site,
        employee_type: s.etype,
        ..Identity::mailbox(upn, s.display.to_string())
    };
    if matches!(s.kind, Staff | Physician) {
        let mut parts = s.display.splitn(2, ' ');
        who.given = parts.next().map(str::to_string);
        who.surname = parts.next().map(str::to_string);
        who.job_title = Some(if s.kind == Physician {
            "Médecin"
        } else if s.key == S::StephaneCote {
            // A resident known only by the directory attribute the config names.
            "Médecin résident"
        } else {
            "Infirmière clinicienne"
        });
    }
    who
}

impl Scenario {
    /// The account at index i on a day, or `None` if it does not exist (yet).
    pub(crate) fn account(&self, i: u32, day: i32) -> Option<Account> {
        if !self.exists(i, day) {
            return None;
        }
        let (arrival, leave) = self.lifecycle(i);
        let kind = self.kind_of(i);
        let id = object_id(self.seed, kind::USER, i);
        let mut who = match script(i) {
            Some(s) => scripted_identity(s),
            None => self.generated_identity(i, kind),
        };
        if who.department.is_none() {
            who.department = who.site.map(|s| self.sites[s].display());
        }
        let created_day = arrival.max(ALWAYS);
        let created = self.created(i, arrival);
        let guest = kind == Guest;
        let attribution = self.attribution(i);
        if let Some(domain) = &attribution.upn_domain {
            let suffix = format!("@{RSSS_DOMAIN}");
            if let Some(local) = who.upn.strip_suffix(&suffix) {
                who.upn = format!("{local}@{domain}");
                who.mail = Some(who.upn.clone());
            }
        }
        if attribution.department
            && let Some(e) = attribution.establishment
        {
            who.department = Some(self.establishments[e].name.to_string());
        }
        let company_name = if self.provincial() {
            attribution
                .establishment
                .filter(|_| attribution.company)
                .map(|e| self.establishments[e].name)
        } else if guest {
            None
        } else {
            Some(ESTABLISHMENT)
        };
        if self.hostile {
            who.display = self.spelled(&who.display);
            if guest {
                // A guest's names come from another tenant: one of them is huge.
                who.display.push_str(&"\u{202E}x".repeat(50_000));
                who.upn = who.upn.replacen('#', "\u{202E}\u{1b}[2J#", 1);
            }
        }
        let enabled = leave > day && (kind != Shared || self.shared_left_open(i));
        let last_password_change = self.last_password_change(i, day, created_day);
        let proxy_addresses = if guest {
            Vec::new()
        } else {
            let local = who.upn.split('@').next().unwrap_or("").to_string();
            let primary = who.mail.clone().unwrap_or_else(|| who.upn.clone());
            let mut v = vec![
                format!("SMTP:{}", primary),
                format!("smtp:{}@{}", local, MAIL_DOMAIN),
            ];
            if key(i) == Some(S::IsabelleMorin) {
                // A physician known only by a `.med` alias among her proxy addresses.
                v.push(format!("smtp:{}.med@{}", local, RSSS_DOMAIN));
            }
            v
        };
        Some(Account {
            index: i,
            id,
            upn: who.upn,
            display_name: who.display,
            given_name: who.given,
            surname: who.surname,
            mail: who.mail,
            kind,
            site: who.site,
            employee_type: who.employee_type,
            job_title: who.job_title,
            department: who.department,
            enabled,
            guest,
            created,
            created_day,
            last_password_change,
            proxy_addresses,
            company_name,
            ext10: attribution.ext10,
            establishment: attribution.establishment,
        })
    }

    /// `createdDateTime`: `None` for about 1 % of the generated accounts older than the
    /// scenario, as Graph returns for very old accounts.
    fn created(&self, i: u32, arrival: i32) -> Option<DateTime<Utc>> {
        if arrival != ALWAYS {
            return Some(self.at(arrival, 9 * 3600 + (i % 3000) as i64));
        }
        let c = h(self.seed, &[tag::CREATED, i as u64]);
        if i >= SCRIPTED.len() as u32 && unit(c) < 0.01 {
            None
        } else {
            Some(self.at(
                -(range(c >> 8, 20, 3600) as i32),
                range(c >> 30, 8 * 3600, 17 * 3600),
            ))
        }
    }

    /// The identity of a generated account, drawn from its own name stream.
    fn generated_identity(&self, i: u32, kind: Kind) -> Identity {
        let mut r = Rng::new(self.seed, &[tag::NAME, i as u64]);
        match kind {
            Tablet | GenericOther => self.tablet_identity(i),
            Appli => {
                let svc = r.pick(names::SERVICES);
                let upn = format!("svc-{}-{}@{}", names::site_slug(svc), i, TENANT_DOMAIN);
                Identity {
                    employee_type: Some("Appli"),
                    ..Identity::mailbox(upn, format!("Appli {} {}", svc, i))
                }
            }
            Shared => {
                let svc = r.pick(names::SERVICES);
                let s = (i % self.n_sites()) as usize;
                let upn = format!("bal.{}.{}@{}", names::site_slug(svc), i, TENANT_DOMAIN);
                let display = format!("Boîte partagée {} – {}", svc, self.sites[s].name);
                Identity {
                    site: Some(s),
                    ..Identity::mailbox(upn, display)
                }
            }
            Guest => self.guest_identity(i, &mut r),
            _ => self.person_identity(i, kind, &mut r),
        }
    }

    fn tablet_identity(&self, i: u32) -> Identity {
        let (s, n) = self.tablet_site_number(i);
        let st = &self.sites[s];
        let upn = format!("tablette{}.{}@{}", n, st.slug, TENANT_DOMAIN);
        let display = format!("Tablette {} CHSLD de {}", n, st.name);
        Identity {
            site: Some(s),
            department: Some(st.display()),
            ..Identity::mailbox(upn, display)
        }
    }

    fn guest_identity(&self, i: u32, r: &mut Rng) -> Identity {
        let (f, l, n) = self.person_name(i);
        let dom = r.pick(&[
            "gmail.com",
            PARTNER_DOMAIN,
            "consultants-sante.com",
            "outlook.com",
            "umontreal.ca",
        ]);
        let local = format!(
            "{}.{}{}",
            names::ascii_slug(f),
            names::ascii_slug(l),
            suffix(n)
        );
        Identity {
            upn: format!("{}_{}#EXT#@{}", local, dom, TENANT_DOMAIN),
            display: format!("{} {} (externe)", f, l),
            mail: Some(format!("{}@{}", local, dom)),
            site: None,
            employee_type: None,
            given: Some(f.to_string()),
            surname: Some(l.to_string()),
            job_title: None,
            department: None,
        }
    }

    /// A named member of staff or a physician.
    fn person_identity(&self, i: u32, kind: Kind, r: &mut Rng) -> Identity {
        let (f, l, n) = self.person_name(i);
        let med = if kind == Physician { ".med" } else { "" };
        let upn = format!(
            "{}.{}{}{}@{}",
            names::ascii_slug(f),
            names::ascii_slug(l),
            suffix(n),
            med,
            RSSS_DOMAIN
        );
        let job_title = *r.pick(if kind == Physician {
            &["Médecin", "Médecin résident", "Externe en médecine"][..]
        } else {
            &[
                "Infirmière",
                "Infirmière auxiliaire",
                "Préposé aux bénéficiaires",
                "Technicienne en administration",
                "Agente administrative",
                "Travailleuse sociale",
                "Ergothérapeute",
                "Conseiller en sécurité de l'information",
            ][..]
        });
        let site = (r.next() % self.n_sites() as u64) as usize;
        Identity {
            site: Some(site),
            given: Some(f.to_string()),
            surname: Some(l.to_string()),
            job_title: Some(job_title),
            ..Identity::mailbox(upn, format!("{} {}", f, l))
        }
    }

    // ----- passwords and the register -----

    /// Password change events of a generic account (days), and its register rows.
    pub(super) fn generic_history(&self, i: u32) -> (Vec<i32>, Vec<PersonRow>) {
        let p = |n: &str, a: i32, dep: Option<i32>| (n.to_string(), a, dep);
        if let Some(k) = key(i) {
            return match k {
                S::TabVerdun1 => (
                    vec![-42, 200],
                    vec![
                        p("Marie Côté", -610, Some(-47)),
                        p("Lucie Fortin", -46, None),
                    ],
                ),
                S::TabVerdun2 => (vec![-113, 150], vec![p("Paul Gagnon", -306, None)]),
                S::TabVerdun3 => (vec![-31], vec![p("Nicole Roy", -214, None)]),
                S::TabLachine1 => (
                    vec![-88, 14],
                    vec![
                        p("Jean Lévesque", -334, Some(8)),
                        p("Anne Paquette", -334, None),
                    ],
                ),
                S::TabLachine2 => (vec![-120], vec![p("Claude Simard", -1087, Some(-123))]),
                S::TabLachine3 => (vec![-73], vec![p("Hélène Morin", -457, None)]),
                S::TabLachine4 => (vec![-17], vec![]),
                S::TabStLaurent1 => (vec![-61], vec![p("Guy Bolduc", -351, None)]),
                S::TabStLaurent2 => (
                    vec![-214, 45],
                    vec![
                        p("Nadia Bergeron", -700, Some(-22)),
                        p("Marc Dion", -21, None),
                    ],
                ),
                S::TabStLaurent3 => (vec![-12], vec![p("Julie Houle", -275, None)]),
                S::TabStLaurent4 => (vec![-10], vec![p("Sarah Cyr", -241, None)]),
                S::TabLaSalle1 => (vec![-83], vec![p("René Proulx", -365, None)]),
                S::TabLaSalle2 => (vec![-51], vec![p("Ginette Dufour", -304, None)]),
                S::TabLaSalle3 => (vec![-407, 60], vec![p("Yvon Perron", -976, None)]),
                S::TabVerdun5 => (vec![10], vec![p("Émilie Roy", 16, None)]),
                S::IpadDorval => (vec![-114], vec![p("Louise Blais", -346, None)]),
                _ => (vec![], vec![]),
            };
        }
        let mut r = Rng::new(self.seed, &[tag::REGISTER, i as u64]);
        let (arrival, _) = self.lifecycle(i);
        let first = if arrival == ALWAYS {
            -(r.range(60, 900) as i32)
        } else {
            arrival
        };
        let mut rows = Vec::new();
        if r.unit() >= 0.04 {
            let np = r.range(1, 4);
            for _ in 0..np {
                let (f, l, _) = self.person_name(r.next() as u32 % 100_000);
                let arr = if arrival == ALWAYS {
                    first - r.range(0, 400) as i32
                } else {
                    arrival + r.range(0, 8) as i32
                };
                let u = r.unit();
                let dep = if u < 0.35 {
                    let lo = (arr + 30).min(-2);
                    Some(r.range(lo as i64, -2) as i32)
                } else if u < 0.5 {
                    Some(r.range((arr + 10).max(1) as i64, 360) as i32)
                } else {
                    None
                };
                rows.push((format!("{} {}", f, l), arr, dep));
            }
        }
        // Password events: at creation, periodic, and (usually) a few days after departures.
        let period = r.range(150, 420) as i32;
        let mut events = vec![first];
        let mut e = first + period;
        while e < 400 {
            events.push(e);
            e += period;
        }
        let deps: Vec<i32> = rows.iter().filter_map(|r| r.2).collect();
        for ev in events.iter_mut() {
            if deps.iter().any(|dp| (*ev - dp).abs() <= 1) {
                *ev += 3;
            }
        }
        for dp in &deps {
            if r.unit() < 0.8 {
                events.push(dp + r.range(2, 20) as i32);
            }
        }
        (events, rows)
    }

    pub(super) fn last_password_change(&self, i: u32, day: i32, created_day: i32) -> DateTime<Utc> {
        let t = h(self.seed, &[tag::PWD, i as u64]);
        let secs = range(t >> 40, 10 * 3600, 16 * 3600);
        let k = self.kind_of(i);
        let ev_day = if matches!(k, Tablet | GenericOther) {
            let (events, _) = self.generic_history(i);
            events
                .into_iter()
                .filter(|e| *e <= day)
                .max()
                .unwrap_or(created_day.max(-2000))
        } else {
            let period = range(t, 90, 400) as i32;
            let phase = -(range(t >> 16, 1, period as i64) as i32);
            let start = if created_day == ALWAYS {
                phase
            } else {
                created_day
            };
            if day < start {
                start
            } else {
                start + ((day - start) / period) * period
            }
        };
        self.at(ev_day, secs)
    }

    /// The register of generic accounts as it stands on a day (arrivals and departures up to
    /// that date), sorted.
    pub(crate) fn register(&self, day: i32) -> Vec<RegisterRow> {
        let mut out = Vec::new();
        for i in 0..self.accounts {
            if !matches!(self.kind_of(i), Tablet | GenericOther) {
                continue;
            }
            // Rows exist for accounts created by now (and for decommissioned ones).
            if self.lifecycle(i).0 > day {
                continue;
            }
            let acc = match self.account(i, day) {
                Some(a) => a,
                None => continue,
            };
            let (_, rows) = self.generic_history(i);
            let site = acc
                .site
                .map(|s| self.sites[s].display())
                .unwrap_or_default();
            let compte = if key(i) == Some(S::TabVerdun1) {
                "Tablette1.Verdun@cisss-troisrives.onmicrosoft.com".to_string()
            } else {
                acc.upn.clone()
            };
            for (who, arr, dep) in rows {
                if arr > day {
                    continue;
                }
                out.push(RegisterRow {
                    compte: compte.clone(),
                    site: site.clone(),
                    utilisateur: who,
                    arrivee: self.date(arr),
                    depart: dep.filter(|dp| *dp <= day).map(|dp| self.date(dp)),
                });
            }
        }
        // A row for an account that does not exist in the tenant.
        out.push(RegisterRow {
            compte: format!("tablette9.verdun@{}", TENANT_DOMAIN),
            site: "CHSLD de Verdun".to_string(),
            utilisateur: "Pierre Lavoie".to_string(),
            arrivee: self.date(-731),
            depart: Some(self.date(-185)),
        });
        out
    }
}

pub(super) fn suffix(n: u32) -> String {
    if n == 0 {
        String::new()
    } else {
        (n + 1).to_string()
    }
}

/// A register person: (name, arrival day, departure day).
pub(super) type PersonRow = (String, i32, Option<i32>);
