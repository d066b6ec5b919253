//! The throttle model of GRAPH-NOTES.md, enforced in scaled time: with `time_scale` K,
//! every window lasts `window / K` real seconds (the limits per window are unchanged).
//!
//! - directory: token bucket of resource units (8,000 / 10 s above 500 accounts, 5,000 for
//!   50–500, 3,500 below); a request costs 2 units, 1 with `$select`.
//! - sign_in_activity: 10 requests per sliding 60 s.
//! - identity_reports: 5 requests per sliding 10 s (signIns and userRegistrationDetails).
//! - conditional_access: 1 request per sliding 1 s; its 429 carries no `Retry-After`.
//! - outlook: per mailbox, 4 concurrent and 10,000 per sliding 600 s.
//! - exchange_admin: undocumented by Microsoft; the simulator uses 10 requests per sliding
//!   1 s, with `Retry-After`.
//!
//! Only admitted requests consume a window; a 429 does not.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Throttle classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ThrottleClass {
    Directory,
    SignInActivity,
    IdentityReports,
    ConditionalAccess,
    Outlook,
    ExchangeAdmin,
}

impl ThrottleClass {
    pub const ALL: [ThrottleClass; 6] = [
        ThrottleClass::Directory,
        ThrottleClass::SignInActivity,
        ThrottleClass::IdentityReports,
        ThrottleClass::ConditionalAccess,
        ThrottleClass::Outlook,
        ThrottleClass::ExchangeAdmin,
    ];

    /// Name used in stats and in `queries/*.toml`.
    pub fn name(self) -> &'static str {
        match self {
            ThrottleClass::Directory => "directory",
            ThrottleClass::SignInActivity => "sign_in_activity",
            ThrottleClass::IdentityReports => "identity_reports",
            ThrottleClass::ConditionalAccess => "conditional_access",
            ThrottleClass::Outlook => "outlook",
            ThrottleClass::ExchangeAdmin => "exchange_admin",
        }
    }
}

/// Limits per class (defaults: Microsoft's published values; Exchange: our choice).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThrottleLimits {
    /// Directory resource units per 10 s; `None` = by tenant size (8,000 / 5,000 / 3,500).
    pub directory_units_per_10s: Option<u64>,
    pub sign_in_activity_per_minute: u64,
    pub identity_reports_per_10s: u64,
    pub conditional_access_per_second: u64,
    pub outlook_concurrent_per_mailbox: u64,
    pub outlook_per_10min_per_mailbox: u64,
    pub exchange_per_second: u64,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        ThrottleLimits {
            directory_units_per_10s: None,
            sign_in_activity_per_minute: 10,
            identity_reports_per_10s: 5,
            conditional_access_per_second: 1,
            outlook_concurrent_per_mailbox: 4,
            outlook_per_10min_per_mailbox: 10_000,
            exchange_per_second: 10,
        }
    }
}

impl ThrottleLimits {
    /// Directory units for a tenant of `accounts` accounts.
    pub fn directory_units(&self, accounts: u32) -> u64 {
        self.directory_units_per_10s.unwrap_or(if accounts > 500 {
            8_000
        } else if accounts >= 50 {
            5_000
        } else {
            3_500
        })
    }
}

/// Counters of one class.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassStats {
    /// Requests routed to the class (admitted, throttled, or refused before admission).
    pub requests: u64,
    /// Requests that passed the limiter.
    pub admitted: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Directory resource units consumed by admitted requests.
    pub resource_units: u64,
    /// Limit per window (requests, or units for the directory; per mailbox for Outlook).
    pub limit: u64,
    /// Window length in sim seconds (divide by `time_scale` for real seconds).
    pub window_seconds: f64,
}

/// Result of asking the limiter.
pub(crate) enum Admission {
    Admitted {
        /// Fraction of the directory bucket in use after this request.
        used_fraction: f64,
    },
    /// 429; `retry_after` in real seconds, `None` where Graph sends no header.
    Throttled { retry_after: Option<f64> },
}

struct Window {
    limit: u64,
    len: Duration,
    hits: VecDeque<Instant>,
}

impl Window {
    fn new(limit: u64, len: Duration) -> Self {
        Window {
            limit: limit.max(1),
            len,
            hits: VecDeque::new(),
        }
    }
    fn try_hit(&mut self, now: Instant) -> Result<(), Duration> {
        while let Some(front) = self.hits.front() {
            if now.duration_since(*front) >= self.len {
                self.hits.pop_front();
            } else {
                break;
            }
        }
        if (self.hits.len() as u64) < self.limit {
            self.hits.push_back(now);
            Ok(())
        } else {
            let oldest = self.hits.front().copied().unwrap_or(now);
            Err((oldest + self.len).saturating_duration_since(now))
        }
    }
}

struct Mailbox {
    window: Window,
    in_flight: Vec<Instant>,
}

struct State {
    bucket_tokens: f64,
    bucket_last: Instant,
    bucket_capacity: f64,
    bucket_rate: f64,
    windows: HashMap<ThrottleClass, Window>,
    mailboxes: HashMap<u32, Mailbox>,
    last_sweep: Instant,
    stats: BTreeMap<ThrottleClass, ClassStats>,
}

/// The limiter of every class.
pub(crate) struct Throttle {
    limits: ThrottleLimits,
    scale: f64,
    state: Mutex<State>,
}

fn scaled(secs: f64, scale: f64) -> Duration {
    Duration::from_secs_f64((secs / scale).max(0.0))
}

impl Throttle {
    pub(crate) fn new(limits: ThrottleLimits, accounts: u32, scale: f64) -> Self {
        let now = Instant::now();
        let units = limits.directory_units(accounts) as f64;
        let mut windows = HashMap::new();
        windows.insert(
            ThrottleClass::SignInActivity,
            Window::new(limits.sign_in_activity_per_minute, scaled(60.0, scale)),
        );
        windows.insert(
            ThrottleClass::IdentityReports,
            Window::new(limits.identity_reports_per_10s, scaled(10.0, scale)),
        );
        windows.insert(
            ThrottleClass::ConditionalAccess,
            Window::new(limits.conditional_access_per_second, scaled(1.0, scale)),
        );
        windows.insert(
            ThrottleClass::ExchangeAdmin,
            Window::new(limits.exchange_per_second, scaled(1.0, scale)),
        );
        let mut stats = BTreeMap::new();
        for c in ThrottleClass::ALL {
            let (limit, window) = match c {
                ThrottleClass::Directory => (limits.directory_units(accounts), 10.0),
                ThrottleClass::SignInActivity => (limits.sign_in_activity_per_minute, 60.0),
                ThrottleClass::IdentityReports => (limits.identity_reports_per_10s, 10.0),
                ThrottleClass::ConditionalAccess => (limits.conditional_access_per_second, 1.0),
                ThrottleClass::Outlook => (limits.outlook_per_10min_per_mailbox, 600.0),
                ThrottleClass::ExchangeAdmin => (limits.exchange_per_second, 1.0),
            };
            stats.insert(
                c,
                ClassStats {
                    limit,
                    window_seconds: window,
                    ..Default::default()
                },
            );
        }
        Throttle {
            state: Mutex::new(State {
                bucket_tokens: units,
                bucket_last: now,
                bucket_capacity: units,
                bucket_rate: units / (10.0 / scale),
                windows,
                mailboxes: HashMap::new(),
                last_sweep: now,
                stats,
            }),
            limits,
            scale,
        }
    }

    /// Counts a request of the class that never reached the limiter (bad token, fault).
    pub(crate) fn count_only(&self, class: ThrottleClass) {
        if let Ok(mut st) = self.state.lock()
            && let Some(s) = st.stats.get_mut(&class)
        {
            s.requests += 1;
        }
    }

    /// Asks the limiter; `busy_until` is when this request will have been answered (for the
    /// Outlook concurrency limit).
    pub(crate) fn admit(
        &self,
        class: ThrottleClass,
        cost: u64,
        mailbox: Option<u32>,
        busy_until: Instant,
    ) -> Admission {
        let now = Instant::now();
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let st = &mut *guard;
        let result = match class {
            ThrottleClass::Directory => {
                let elapsed = now.duration_since(st.bucket_last).as_secs_f64();
                st.bucket_tokens =
                    (st.bucket_tokens + elapsed * st.bucket_rate).min(st.bucket_capacity);
                st.bucket_last = now;
                let c = cost as f64;
                if st.bucket_tokens >= c {
                    st.bucket_tokens -= c;
                    Admission::Admitted {
                        used_fraction: 1.0 - st.bucket_tokens / st.bucket_capacity,
                    }
                } else {
                    let wait = (c - st.bucket_tokens) / st.bucket_rate;
                    Admission::Throttled {
                        retry_after: Some(wait),
                    }
                }
            }
            ThrottleClass::Outlook => {
                let key = mailbox.unwrap_or(u32::MAX);
                if now.duration_since(st.last_sweep) > scaled(600.0, self.scale) {
                    st.mailboxes.retain(|_, m| {
                        m.in_flight.retain(|t| *t > now);
                        !m.in_flight.is_empty()
                            || m.window
                                .hits
                                .back()
                                .is_some_and(|t| now.duration_since(*t) < m.window.len)
                    });
                    st.last_sweep = now;
                }
                let limits = &self.limits;
                let scale = self.scale;
                let m = st.mailboxes.entry(key).or_insert_with(|| Mailbox {
                    window: Window::new(limits.outlook_per_10min_per_mailbox, scaled(600.0, scale)),
                    in_flight: Vec::new(),
                });
                m.in_flight.retain(|t| *t > now);
                if m.in_flight.len() as u64 >= self.limits.outlook_concurrent_per_mailbox {
                    let first = m.in_flight.iter().min().copied().unwrap_or(now);
                    Admission::Throttled {
                        retry_after: Some(first.saturating_duration_since(now).as_secs_f64()),
                    }
                } else {
                    match m.window.try_hit(now) {
                        Ok(()) => {
                            m.in_flight.push(busy_until.max(now));
                            Admission::Admitted { used_fraction: 0.0 }
                        }
                        Err(wait) => Admission::Throttled {
                            retry_after: Some(wait.as_secs_f64()),
                        },
                    }
                }
            }
            other => match st.windows.get_mut(&other) {
                Some(w) => match w.try_hit(now) {
                    Ok(()) => Admission::Admitted { used_fraction: 0.0 },
                    Err(wait) => Admission::Throttled {
                        retry_after: if other == ThrottleClass::ConditionalAccess {
                            None
                        } else {
                            Some(wait.as_secs_f64())
                        },
                    },
                },
                None => Admission::Admitted { used_fraction: 0.0 },
            },
        };
        if let Some(s) = st.stats.get_mut(&class) {
            s.requests += 1;
            match &result {
                Admission::Admitted { .. } => {
                    s.admitted += 1;
                    if class == ThrottleClass::Directory {
                        s.resource_units += cost;
                    }
                }
                Admission::Throttled { .. } => s.throttled += 1,
            }
        }
        result
    }

    pub(crate) fn stats(&self) -> BTreeMap<String, ClassStats> {
        let st = match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        st.stats
            .iter()
            .map(|(k, v)| (k.name().to_string(), v.clone()))
            .collect()
    }
}

/// `Retry-After` value: seconds with up to three decimals (`2.128`), never 0.
pub(crate) fn retry_after_value(secs: f64) -> String {
    let v = (secs * 1000.0).ceil() / 1000.0;
    let v = v.max(0.001);
    let s = format!("{:.3}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_retry_after() {
        let t = Throttle::new(ThrottleLimits::default(), 300, 1.0);
        let far = Instant::now();
        for _ in 0..5 {
            assert!(matches!(
                t.admit(ThrottleClass::IdentityReports, 1, None, far),
                Admission::Admitted { .. }
            ));
        }
        match t.admit(ThrottleClass::IdentityReports, 1, None, far) {
            Admission::Throttled {
                retry_after: Some(s),
            } => assert!(s > 9.0 && s <= 10.0),
            _ => panic!("expected a 429 with Retry-After"),
        }
        assert!(matches!(
            t.admit(ThrottleClass::ConditionalAccess, 1, None, far),
            Admission::Admitted { .. }
        ));
        assert!(matches!(
            t.admit(ThrottleClass::ConditionalAccess, 1, None, far),
            Admission::Throttled { retry_after: None }
        ));
        assert_eq!(retry_after_value(2.1271), "2.128");
        assert_eq!(retry_after_value(0.0), "0.001");
        assert_eq!(retry_after_value(3.0), "3");
        let s = t.stats();
        assert_eq!(s["identity_reports"].throttled, 1);
        assert_eq!(s["identity_reports"].admitted, 5);
    }
}
