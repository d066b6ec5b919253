//! Sign-ins: what each kind of account does on a sim day.

use super::*;

/// Device kinds of sign-ins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Device {
    IPad,
    Windows,
    IPhone,
    Android,
    Server,
}

/// An Intune managed device of a generic account.
#[derive(Clone, Debug)]
pub(crate) struct ManagedDevice {
    pub id: String,
    /// `azureADDeviceId`: the `deviceId` of its sign-ins.
    pub entra_device_id: String,
    pub name: String,
    pub compliant: bool,
    pub encrypted: bool,
    pub last_sync: DateTime<Utc>,
}

/// One sign-in event.
#[derive(Clone, Debug)]
pub(crate) struct SignIn {
    pub user: u32,
    pub day: i32,
    pub seq: u32,
    pub time: DateTime<Utc>,
    pub app: App,
    pub interactive: bool,
    pub ip: String,
    pub browser: bool,
    pub single_factor: bool,
    pub error_code: u32,
    pub device: Device,
    pub site: Option<usize>,
    /// The legacy mail client (`POP3`, `IMAP4`, `IMAP`) of a POP or IMAP retrieval.
    pub mail_client: Option<&'static str>,
}

impl SignIn {
    pub(crate) fn success(&self) -> bool {
        self.error_code == 0
    }

    /// `clientAppUsed`, as the sign-in logs name it.
    pub(crate) fn client_app(&self) -> &'static str {
        match self.mail_client {
            Some(c) => c,
            None if self.browser => "Browser",
            None => "Mobile Apps and Desktop clients",
        }
    }
}

/// A sign-in before its time is drawn.
struct Attempt {
    app: App,
    interactive: bool,
    ip: String,
    device: Device,
    single: bool,
    err: u32,
    browser: bool,
}

impl Attempt {
    /// Non-interactive (a token refreshed in the background).
    fn background(mut self) -> Self {
        self.interactive = false;
        self
    }
    fn error(mut self, code: u32) -> Self {
        self.err = code;
        self
    }
    fn browser(mut self) -> Self {
        self.browser = true;
        self
    }
    /// Single factor whatever the policies say.
    fn single_factor(mut self) -> Self {
        self.single = true;
        self
    }
}

/// The sign-ins of one account on one sim day, drawn in order from one generator.
struct Day<'a> {
    sc: &'a Scenario,
    acc: &'a Account,
    k: i32,
    t0: DateTime<Utc>,
    r: Rng,
    /// Whether no policy asked this account for MFA today.
    single: bool,
    out: Vec<SignIn>,
}

impl Day<'_> {
    /// An address of the account's site (a fixed block when it has none).
    fn site_ip(&self, host: u32) -> String {
        self.acc
            .site
            .map(|s| self.sc.sites[s].ip(host))
            .unwrap_or_else(|| format!("100.127.255.{}", 10 + host % 200))
    }

    /// An address outside every site (documentation ranges).
    fn outside(&mut self) -> String {
        if self.r.unit() < 0.5 {
            format!("198.51.100.{}", self.r.range(2, 250))
        } else {
            format!("203.0.113.{}", self.r.range(2, 250))
        }
    }

    /// An interactive, successful, non-browser attempt with today's MFA coverage.
    fn attempt(&self, app: App, ip: String, device: Device) -> Attempt {
        Attempt {
            app,
            interactive: true,
            ip,
            device,
            single: self.single,
            err: 0,
            browser: false,
        }
    }

    fn push(&mut self, a: Attempt) {
        let secs = self.r.range(3600, 22 * 3600);
        let seq = self.out.len() as u32;
        self.out.push(SignIn {
            user: self.acc.index,
            day: self.k,
            seq,
            time: self.t0 + Duration::seconds(secs),
            app: a.app,
            interactive: a.interactive,
            ip: a.ip,
            browser: a.browser,
            single_factor: a.single,
            error_code: a.err,
            device: a.device,
            site: self.acc.site,
            mail_client: None,
        });
    }

    /// Today's POP or IMAP retrieval of the account's mailbox, if its client runs today:
    /// single factor (a legacy protocol), from outside; a service's is non-interactive.
    fn mail_client(&mut self, i: u32) {
        let Some(client) = self.sc.mail_client(i) else {
            return;
        };
        if !self.sc.retrieves_on(i, self.k) {
            return;
        }
        let (ip, device) = if self.acc.kind == Appli {
            (format!("100.127.10.{}", 10 + i % 200), Device::Server)
        } else {
            (self.outside(), Device::IPhone)
        };
        let mut a = self.attempt(names::EXCHANGE, ip, device).single_factor();
        a.interactive = self.acc.kind != Appli;
        self.push(a);
        if let Some(last) = self.out.last_mut() {
            last.mail_client = Some(client);
        }
    }

    /// Today's draw of the bulk misuse of account `i`: whether it misuses today, and how
    /// prone to misuse the account is.
    fn misuse(&self, i: u32, today_rate: f64) -> (bool, f64) {
        let seed = self.sc.seed;
        let m = unit(h(seed, &[tag::MISUSE, i as u64]));
        let today = unit(h(seed, &[tag::MISUSE, i as u64, d(self.k)])) < today_rate;
        (today, m)
    }

    fn tablet(&mut self, i: u32) {
        let host = i;
        // ipad.dorval only opens OneDrive (an allowed application: no GEN-APP-01).
        let main = if key(i) == Some(S::IpadDorval) {
            names::ONEDRIVE
        } else {
            names::TEAMS
        };
        for _ in 0..self.r.range(2, 6) {
            let a = self.attempt(main, self.site_ip(host), Device::IPad);
            self.push(a);
        }
        for _ in 0..self.r.range(2, 5) {
            let app = if self.r.unit() < 0.6 {
                main
            } else {
                names::BROKER
            };
            let a = self.attempt(app, self.site_ip(host), Device::IPad);
            self.push(a.background());
        }
        let k = self.k;
        let site = self.site_ip(host);
        match key(i) {
            Some(S::TabVerdun1) => {
                let a = self.attempt(names::OFFICE_HOME, site, Device::IPad);
                self.push(a.error(53003).browser());
            }
            Some(S::TabVerdun2) => {
                if (3..=9).contains(&k) {
                    // From a personal phone: outside the fixed addresses and unmanaged.
                    let ip = self.outside();
                    self.push(self.attempt(names::TEAMS, ip, Device::IPhone));
                }
                let a = self.attempt(names::TEAMS, "203.0.113.7".into(), Device::IPad);
                self.push(a.error(50126));
            }
            Some(S::TabLachine4) if (2..=20).contains(&k) => {
                let a = self.attempt(names::OFFICE_HOME, site.clone(), Device::IPad);
                self.push(a.browser());
                let a = self.attempt(names::EXCHANGE, site, Device::IPad);
                self.push(a.background());
            }
            Some(S::TabLaSalle2) => {
                if (5..=12).contains(&k) {
                    let a = self.attempt(names::TEAMS, site.clone(), Device::IPad);
                    self.push(a.single_factor());
                }
                let a = self.attempt(names::TEAMS, site, Device::IPad);
                self.push(a.single_factor().error(50126));
            }
            None => {
                let (today, m) = self.misuse(i, 0.2);
                if today && m < 0.04 {
                    let ip = self.outside();
                    self.push(self.attempt(names::TEAMS, ip, Device::IPad));
                } else if today && m < 0.09 {
                    let app = *self.r.pick(&[
                        names::OFFICE_HOME,
                        names::OUTLOOK_MOBILE,
                        names::SHAREPOINT,
                    ]);
                    self.push(self.attempt(app, site, Device::IPad));
                } else if today && m < 0.11 {
                    let a = self.attempt(names::TEAMS, site, Device::IPad);
                    self.push(a.single_factor());
                } else if today && m < 0.13 {
                    // A personal Android phone at the site: unmanaged (GEN-DEV-01).
                    self.push(self.attempt(names::TEAMS, site, Device::Android));
                }
            }
            _ => {}
        }
    }

    fn appli(&mut self, i: u32) {
        let sk = key(i);
        let app = match sk {
            Some(S::SvcBilletterie) => names::BILLETTERIE,
            Some(S::AppliPharmacie) => names::PHARMA,
            _ => *self
                .r
                .pick(&[names::BILLETTERIE, names::LITS, names::PHARMA]),
        };
        let server = format!("100.127.10.{}", 10 + i % 200);
        for _ in 0..self.r.range(10, 30) {
            let a = self.attempt(app, server.clone(), Device::Server);
            self.push(a.background());
        }
        let misuse = match sk {
            Some(S::SvcTelesante1 | S::SvcTelesante2) => true,
            Some(_) => false,
            None => {
                let (today, m) = self.misuse(i, 0.3);
                m < 0.1 && today
            }
        };
        if misuse {
            for _ in 0..self.r.range(2, 4) {
                let ip = self.outside();
                self.push(self.attempt(names::TEAMS, ip, Device::IPad));
            }
        }
        match sk {
            Some(S::AppliPharmacie) => {
                let a = self.attempt(names::OFFICE_HOME, server, Device::Windows);
                self.push(a.single_factor().error(50126).browser());
            }
            Some(S::SvcArchivage) if (20..=26).contains(&self.k) => {
                let ip = self.outside();
                let a = self.attempt(names::AZURE_PORTAL, ip, Device::Windows);
                self.push(a.browser());
            }
            _ => {}
        }
    }

    fn person(&mut self, i: u32, weekend: bool) {
        let n_int = if weekend {
            self.r.range(0, 1)
        } else {
            self.r.range(0, 3)
        };
        for _ in 0..n_int {
            let app = *self.r.pick(&[
                names::TEAMS,
                names::OUTLOOK_MOBILE,
                names::OFFICE_HOME,
                names::SHAREPOINT,
                names::TEAMS_WEB,
            ]);
            let (ip, dev) = if self.r.unit() < 0.7 {
                (self.site_ip(i / 7), Device::Windows)
            } else if self.r.unit() < 0.5 {
                (self.outside(), Device::IPhone)
            } else {
                (self.outside(), Device::Android)
            };
            let err = if self.r.unit() < 0.03 { 50126 } else { 0 };
            let mut a = self.attempt(app, ip, dev).error(err);
            a.browser = app == names::OFFICE_HOME || app == names::TEAMS_WEB;
            self.push(a);
        }
        for _ in 0..self.r.range(1, 4) {
            let app = *self.r.pick(&[names::TEAMS, names::ONEDRIVE, names::BROKER]);
            let a = self.attempt(app, self.site_ip(i / 7), Device::Windows);
            self.push(a.background());
        }
    }
}

impl Scenario {
    /// Sign-ins of account i during sim day k, unsorted.
    pub(crate) fn sign_ins(&self, i: u32, k: i32, policies: &[Policy]) -> Vec<SignIn> {
        let acc = match self.account(i, k) {
            Some(a) => a,
            None => return vec![],
        };
        let mut day = Day {
            sc: self,
            acc: &acc,
            k,
            t0: self.day_start(k),
            r: Rng::new(self.seed, &[tag::SIGNIN, i as u64, d(k)]),
            single: true,
            out: Vec::new(),
        };
        if !acc.enabled {
            if acc.kind != Shared && day.r.unit() < 0.1 {
                let ip = day.outside();
                let a = day.attempt(names::OFFICE_HOME, ip, Device::Windows);
                day.push(a.error(50057).browser());
            }
            return day.out;
        }
        day.single = !self.mfa_covered(policies, i, k);
        let weekend = matches!(self.date(k).format("%u").to_string().as_str(), "6" | "7");
        match acc.kind {
            Tablet | GenericOther => day.tablet(i),
            Appli => day.appli(i),
            Staff | Physician => day.person(i, weekend),
            Guest => {
                if day.r.unit() < 0.3 {
                    let ip = day.outside();
                    let a = day.attempt(names::TEAMS_WEB, ip, Device::Windows);
                    day.push(a.browser());
                }
            }
            Urgence | Shared => {}
        }
        day.mail_client(i);
        day.out
    }

    /// What `deviceDetail` says of the device of a sign-in: (`isManaged`, `isCompliant`).
    /// The tablets' iPads are enrolled in Intune and compliant, except
    /// tablette3.saintlaurent's, out of compliance on days 5 to 40; every other device (a
    /// phone, a computer, the unenrolled iPad of ipad.dorval) is neither.
    pub(crate) fn device_state(&self, acc: &Account, s: &SignIn) -> (bool, bool) {
        let managed = s.device == Device::IPad && acc.kind == Tablet;
        let lapsed = key(s.user) == Some(S::TabStLaurent3) && (5..=40).contains(&s.day);
        (managed, managed && !lapsed)
    }

    /// The Intune managed devices of account `acc` on day `k`: a tablet account's iPad (the
    /// device of its sign-ins, same Entra ID device id and name), and for tablette1.verdun
    /// the iPad it replaced, still enrolled. tablette3.saintlaurent's iPad is non-compliant
    /// on days 5 to 40 (as its sign-ins say); tablette1.lachine's iPad is compliant but not
    /// encrypted (what only Intune tells). Every device synced on day `k`.
    pub(crate) fn managed_devices(&self, acc: &Account, k: i32) -> Vec<ManagedDevice> {
        if acc.kind != Tablet {
            return Vec::new();
        }
        let i = acc.index;
        let seed = self.seed;
        let synced = self.day_start(k) + Duration::seconds(2 * 3600 + i64::from(i % 3600));
        let lapsed = key(i) == Some(S::TabStLaurent3) && (5..=40).contains(&k);
        let mut v = vec![ManagedDevice {
            id: hash::guid(h(seed, &[10, i as u64]), h(seed, &[11, i as u64])),
            entra_device_id: hash::guid(h(seed, &[8, i as u64]), h(seed, &[9, i as u64])),
            name: format!("IPAD-{i}"),
            compliant: !lapsed,
            encrypted: key(i) != Some(S::TabLachine1),
            last_sync: synced,
        }];
        if key(i) == Some(S::TabVerdun1) {
            v.push(ManagedDevice {
                id: hash::guid(h(seed, &[12, i as u64]), h(seed, &[13, i as u64])),
                entra_device_id: hash::guid(h(seed, &[14, i as u64]), h(seed, &[15, i as u64])),
                name: format!("IPAD-{i}-ANCIEN"),
                compliant: true,
                encrypted: true,
                last_sync: synced - Duration::hours(1),
            });
        }
        v
    }

    /// Id of a sign-in.
    pub(crate) fn sign_in_id(&self, s: &SignIn) -> String {
        let x = h(
            self.seed,
            &[tag::SIGNIN, s.user as u64, d(s.day), s.seq as u64, 1],
        );
        hash::guid(x, h(self.seed, &[x]))
    }
}
