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
}

impl SignIn {
    pub(crate) fn success(&self) -> bool {
        self.error_code == 0
    }
}

impl Scenario {
    /// Sign-ins of account i during sim day k, unsorted.
    pub(crate) fn sign_ins(&self, i: u32, k: i32, policies: &[Policy]) -> Vec<SignIn> {
        let acc = match self.account(i, k) {
            Some(a) => a,
            None => return vec![],
        };
        let mut out = Vec::new();
        let mut r = Rng::new(self.seed, &[tag::SIGNIN, i as u64, d(k)]);
        let sk = key(i);
        let t0 = self.day_start(k);
        let site_ip = |host: u32| {
            acc.site
                .map(|s| self.sites[s].ip(host))
                .unwrap_or_else(|| format!("100.127.255.{}", 10 + host % 200))
        };
        let outside = |r: &mut Rng| {
            if r.unit() < 0.5 {
                format!("198.51.100.{}", r.range(2, 250))
            } else {
                format!("203.0.113.{}", r.range(2, 250))
            }
        };
        let mut push = |r: &mut Rng,
                        app: App,
                        interactive: bool,
                        ip: String,
                        device: Device,
                        single: bool,
                        err: u32,
                        browser: bool| {
            let secs = r.range(3600, 22 * 3600);
            let seq = out.len() as u32;
            out.push(SignIn {
                user: i,
                day: k,
                seq,
                time: t0 + Duration::seconds(secs),
                app,
                interactive,
                ip,
                browser,
                single_factor: single,
                error_code: err,
                device,
                site: acc.site,
            });
        };
        if !acc.enabled {
            if acc.kind != Shared && r.unit() < 0.1 {
                let ip = outside(&mut r);
                push(
                    &mut r,
                    names::OFFICE_HOME,
                    true,
                    ip,
                    Device::Windows,
                    true,
                    50057,
                    true,
                );
            }
            return out;
        }
        let covered = self.mfa_covered(policies, i, k);
        let single = !covered;
        let weekend = matches!(self.date(k).format("%u").to_string().as_str(), "6" | "7");
        match acc.kind {
            Tablet | GenericOther => {
                let host = i;
                for _ in 0..r.range(2, 6) {
                    push(
                        &mut r,
                        names::TEAMS,
                        true,
                        site_ip(host),
                        Device::IPad,
                        single,
                        0,
                        false,
                    );
                }
                for _ in 0..r.range(2, 5) {
                    let app = if r.unit() < 0.6 {
                        names::TEAMS
                    } else {
                        names::BROKER
                    };
                    push(
                        &mut r,
                        app,
                        false,
                        site_ip(host),
                        Device::IPad,
                        single,
                        0,
                        false,
                    );
                }
                match sk {
                    Some(S::TabVerdun1) => {
                        push(
                            &mut r,
                            names::OFFICE_HOME,
                            true,
                            site_ip(host),
                            Device::IPad,
                            single,
                            53003,
                            true,
                        );
                    }
                    Some(S::TabVerdun2) => {
                        if (3..=9).contains(&k) {
                            let ip = outside(&mut r);
                            push(
                                &mut r,
                                names::TEAMS,
                                true,
                                ip,
                                Device::IPad,
                                single,
                                0,
                                false,
                            );
                        }
                        push(
                            &mut r,
                            names::TEAMS,
                            true,
                            "203.0.113.7".into(),
                            Device::IPad,
                            single,
                            50126,
                            false,
                        );
                    }
                    Some(S::TabLachine4) if (2..=20).contains(&k) => {
                        push(
                            &mut r,
                            names::OFFICE_HOME,
                            true,
                            site_ip(host),
                            Device::IPad,
                            single,
                            0,
                            true,
                        );
                        push(
                            &mut r,
                            names::EXCHANGE,
                            false,
                            site_ip(host),
                            Device::IPad,
                            single,
                            0,
                            false,
                        );
                    }
                    Some(S::TabLaSalle2) => {
                        if (5..=12).contains(&k) {
                            push(
                                &mut r,
                                names::TEAMS,
                                true,
                                site_ip(host),
                                Device::IPad,
                                true,
                                0,
                                false,
                            );
                        }
                        push(
                            &mut r,
                            names::TEAMS,
                            true,
                            site_ip(host),
                            Device::IPad,
                            true,
                            50126,
                            false,
                        );
                    }
                    None => {
                        let m = unit(h(self.seed, &[tag::MISUSE, i as u64]));
                        let today = unit(h(self.seed, &[tag::MISUSE, i as u64, d(k)])) < 0.2;
                        if today && m < 0.04 {
                            let ip = outside(&mut r);
                            push(
                                &mut r,
                                names::TEAMS,
                                true,
                                ip,
                                Device::IPad,
                                single,
                                0,
                                false,
                            );
                        } else if today && m < 0.09 {
                            let app = *r.pick(&[
                                names::OFFICE_HOME,
                                names::OUTLOOK_MOBILE,
                                names::SHAREPOINT,
                            ]);
                            push(
                                &mut r,
                                app,
                                true,
                                site_ip(host),
                                Device::IPad,
                                single,
                                0,
                                false,
                            );
                        } else if today && m < 0.11 {
                            push(
                                &mut r,
                                names::TEAMS,
                                true,
                                site_ip(host),
                                Device::IPad,
                                true,
                                0,
                                false,
                            );
                        }
                    }
                    _ => {}
                }
            }
            Appli => {
                let app = match sk {
                    Some(S::SvcBilletterie) => names::BILLETTERIE,
                    Some(S::AppliPharmacie) => names::PHARMA,
                    _ => *r.pick(&[names::BILLETTERIE, names::LITS, names::PHARMA]),
                };
                let server = format!("100.127.10.{}", 10 + i % 200);
                for _ in 0..r.range(10, 30) {
                    push(
                        &mut r,
                        app,
                        false,
                        server.clone(),
                        Device::Server,
                        single,
                        0,
                        false,
                    );
                }
                let misuse = match sk {
                    Some(S::SvcTelesante1 | S::SvcTelesante2) => true,
                    Some(_) => false,
                    None => {
                        unit(h(self.seed, &[tag::MISUSE, i as u64])) < 0.1
                            && unit(h(self.seed, &[tag::MISUSE, i as u64, d(k)])) < 0.3
                    }
                };
                if misuse {
                    for _ in 0..r.range(2, 4) {
                        let ip = outside(&mut r);
                        push(
                            &mut r,
                            names::TEAMS,
                            true,
                            ip,
                            Device::IPad,
                            single,
                            0,
                            false,
                        );
                    }
                }
                match sk {
                    Some(S::AppliPharmacie) => {
                        push(
                            &mut r,
                            names::OFFICE_HOME,
                            true,
                            server.clone(),
                            Device::Windows,
                            true,
                            50126,
                            true,
                        );
                    }
                    Some(S::SvcArchivage) if (20..=26).contains(&k) => {
                        let ip = outside(&mut r);
                        push(
                            &mut r,
                            names::AZURE_PORTAL,
                            true,
                            ip,
                            Device::Windows,
                            single,
                            0,
                            true,
                        );
                    }
                    _ => {}
                }
            }
            Staff | Physician => {
                let n_int = if weekend {
                    r.range(0, 1)
                } else {
                    r.range(0, 3)
                };
                for _ in 0..n_int {
                    let app = *r.pick(&[
                        names::TEAMS,
                        names::OUTLOOK_MOBILE,
                        names::OFFICE_HOME,
                        names::SHAREPOINT,
                        names::TEAMS_WEB,
                    ]);
                    let (ip, dev) = if r.unit() < 0.7 {
                        (site_ip(i / 7), Device::Windows)
                    } else if r.unit() < 0.5 {
                        (outside(&mut r), Device::IPhone)
                    } else {
                        (outside(&mut r), Device::Android)
                    };
                    let err = if r.unit() < 0.03 { 50126 } else { 0 };
                    let browser = app == names::OFFICE_HOME || app == names::TEAMS_WEB;
                    push(&mut r, app, true, ip, dev, single, err, browser);
                }
                for _ in 0..r.range(1, 4) {
                    let app = *r.pick(&[names::TEAMS, names::ONEDRIVE, names::BROKER]);
                    push(
                        &mut r,
                        app,
                        false,
                        site_ip(i / 7),
                        Device::Windows,
                        single,
                        0,
                        false,
                    );
                }
            }
            Guest => {
                if r.unit() < 0.3 {
                    let ip = outside(&mut r);
                    push(
                        &mut r,
                        names::TEAMS_WEB,
                        true,
                        ip,
                        Device::Windows,
                        single,
                        0,
                        true,
                    );
                }
            }
            Urgence | Shared => {}
        }
        out
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
