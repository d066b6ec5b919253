//! Throttle classes and their limiters.
//!
//! Microsoft throttles per service and per kind of request (GRAPH-NOTES.md, "Throttling").
//! Each class gets its own `governor` limiter, sized from the published limit, so that
//! sources hitting different classes run side by side and a night costs about its slowest
//! class. The limiters space requests evenly (no burst): Graph counts some classes over a
//! sliding window, and a burst followed by a steady rate would overrun it.
//!
//! Those sliding-window classes are spaced a little wider than their limit
//! (`WINDOW_MARGIN`): requests that leave exactly one interval apart arrive with a few
//! milliseconds of jitter, and then the sixth request of a "5 per 10 s" class lands inside
//! the window of the first and is refused. A 429 of a class whose limit is tenant-wide also
//! holds back the whole class for its `Retry-After`, not only the refused request.
//!
//! The limiters run on tokio's clock, not the wall clock, so tests can pause time and count
//! requests in a window deterministically.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use crate::queries::ThrottleClass;

/// The limits the limiters are sized from: Microsoft's published values by default,
/// overridable in the configuration (section `[limites]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Directory resource units per 10 seconds (8,000 for a tenant over 500 users).
    pub directory_units_per_10s: u32,
    pub sign_in_activity_per_minute: u32,
    pub reports_per_10s: u32,
    pub conditional_access_per_s: u32,
    /// Outlook requests per second for the whole app (the global 130,000 per 10 s).
    pub outlook_per_s: u32,
    pub exchange_per_s: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            directory_units_per_10s: 8_000,
            sign_in_activity_per_minute: 10,
            reports_per_10s: 5,
            conditional_access_per_s: 1,
            outlook_per_s: 13_000,
            exchange_per_s: 5,
        }
    }
}

/// How much wider than its limit a sliding-window class is spaced: 3 % (0.3 s over the 10 s
/// window of the identity reports class) absorbs the jitter of a loaded machine and network
/// for 3 % of the class's throughput.
pub const WINDOW_MARGIN: f64 = 0.03;

/// The jitter a sliding window must absorb, whatever its length: a request's arrival drifts
/// by tens of milliseconds (scheduling, TLS, the network), not by a share of the window. 3 %
/// of the 1-second windows (Exchange admin, conditional access) is only 30 ms, and one
/// Exchange request in twenty-two came back 429 on a loaded machine; those classes are
/// spaced `JITTER / window` wider instead (10 %), a cost nobody sees since neither class is
/// ever a night's slowest.
pub const JITTER: Duration = Duration::from_millis(100);

impl Limits {
    /// The interval between two units of that class as the limiter spaces them: the
    /// published limit, widened by `WINDOW_MARGIN` for sliding-window classes.
    pub fn interval(&self, class: ThrottleClass) -> Duration {
        let (count, window) = self.rate(class);
        let even = window / count.max(1);
        if class.sliding_window() {
            even.mul_f64(1.0 + Self::margin(window))
        } else {
            even
        }
    }

    /// The margin of a sliding window: `WINDOW_MARGIN`, or more on a window so short that
    /// `JITTER` is a larger share of it.
    pub fn margin(window: Duration) -> f64 {
        WINDOW_MARGIN.max(JITTER.as_secs_f64() / window.as_secs_f64().max(f64::EPSILON))
    }

    /// The limit of a class as (units, window).
    pub fn rate(&self, class: ThrottleClass) -> (u32, Duration) {
        match class {
            ThrottleClass::Directory => (self.directory_units_per_10s, Duration::from_secs(10)),
            ThrottleClass::SignInActivity => {
                (self.sign_in_activity_per_minute, Duration::from_secs(60))
            }
            ThrottleClass::IdentityReports => (self.reports_per_10s, Duration::from_secs(10)),
            ThrottleClass::ConditionalAccess => {
                (self.conditional_access_per_s, Duration::from_secs(1))
            }
            ThrottleClass::Outlook => (self.outlook_per_s, Duration::from_secs(1)),
            ThrottleClass::ExchangeAdmin => (self.exchange_per_s, Duration::from_secs(1)),
        }
    }
}

/// governor's time source, read from tokio's clock (pausable in tests).
#[derive(Debug, Clone)]
pub struct TokioClock {
    origin: tokio::time::Instant,
}

impl TokioClock {
    fn new() -> Self {
        TokioClock {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        tokio::time::Instant::now().saturating_duration_since(self.origin)
    }
}

type Gcra = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>;

struct ClassLimiter {
    limiter: Gcra,
    clock: TokioClock,
    /// Largest cost the limiter accepts at once (its burst); larger costs are taken in parts.
    burst: u32,
    /// No request of the class before this instant (set by a 429).
    held_until: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl ClassLimiter {
    fn new(interval: Duration, burst: u32) -> Self {
        let clock = TokioClock::new();
        let interval = interval.max(Duration::from_nanos(1));
        let burst = burst.max(1);
        let quota = Quota::with_period(interval)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        ClassLimiter {
            limiter: RateLimiter::direct_with_clock(quota, clock.clone()),
            clock,
            burst,
            held_until: std::sync::Mutex::new(None),
        }
    }

    fn held_until(&self) -> Option<tokio::time::Instant> {
        *self.held_until.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn hold(&self, wait: Duration) {
        let until = tokio::time::Instant::now() + wait;
        let mut held = self.held_until.lock().unwrap_or_else(|p| p.into_inner());
        if held.is_none_or(|h| h < until) {
            *held = Some(until);
        }
    }

    async fn acquire(&self, mut units: u32) {
        while let Some(until) = self.held_until() {
            if until <= tokio::time::Instant::now() {
                break;
            }
            tokio::time::sleep_until(until).await;
        }
        while units > 0 {
            let part = units.min(self.burst);
            let Some(n) = NonZeroU32::new(part) else {
                return;
            };
            loop {
                match self.limiter.check_n(n) {
                    Ok(Ok(())) => break,
                    Ok(Err(not_until)) => {
                        let wait = not_until.wait_time_from(self.clock.now());
                        tokio::time::sleep(wait.max(Duration::from_micros(1))).await;
                    }
                    // Cannot happen (part <= burst); never loop forever on it.
                    Err(_) => break,
                }
            }
            units -= part;
        }
    }
}

/// The place of a class in `Limiters::classes` (built in the order of `ThrottleClass::ALL`).
fn slot(class: ThrottleClass) -> usize {
    class as usize
}

/// One limiter per throttle class.
pub struct Limiters {
    classes: Vec<ClassLimiter>,
    limits: Limits,
}

impl Limiters {
    pub fn new(limits: Limits) -> Self {
        let classes = ThrottleClass::ALL
            .iter()
            .map(|&c| {
                // Directory units come in bulk (a page costs one or two); allow a burst of a
                // tenth of the bucket so concurrent pagers do not serialise on it. Every other
                // class is spaced evenly.
                let burst = match c {
                    ThrottleClass::Directory => (limits.directory_units_per_10s / 10).max(1),
                    ThrottleClass::Outlook => (limits.outlook_per_s / 10).max(1),
                    _ => 1,
                };
                ClassLimiter::new(limits.interval(c), burst)
            })
            .collect();
        Limiters { classes, limits }
    }

    /// Waits until `units` of that class may be spent.
    pub async fn acquire(&self, class: ThrottleClass, units: u32) {
        if let Some(l) = self.classes.get(slot(class)) {
            l.acquire(units).await;
        }
    }

    /// The service refused a request of that class for `wait`: when the class is limited
    /// tenant-wide, no request of it leaves before `wait` is over.
    pub fn hold(&self, class: ThrottleClass, wait: Duration) {
        if class.tenant_wide()
            && let Some(l) = self.classes.get(slot(class))
        {
            l.hold(wait);
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn reports_class_is_spaced_at_five_per_ten_seconds() {
        let limiters = Limiters::new(Limits::default());
        let start = tokio::time::Instant::now();
        let mut stamps = Vec::new();
        for _ in 0..11 {
            limiters.acquire(ThrottleClass::IdentityReports, 1).await;
            stamps.push(start.elapsed());
        }
        // Any 10-second window holds at most 5 requests.
        for (i, t) in stamps.iter().enumerate() {
            let in_window = stamps[i..]
                .iter()
                .filter(|u| **u < *t + Duration::from_secs(10))
                .count();
            assert!(in_window <= 5, "window from {t:?} holds {in_window}");
        }
        // Spaced 2 s apart, plus the margin.
        assert_eq!(
            stamps[10],
            Duration::from_secs(20).mul_f64(1.0 + WINDOW_MARGIN)
        );
    }

    #[test]
    fn short_windows_get_a_wider_margin_than_long_ones() {
        let limits = Limits::default();
        // 5 per 10 s: 2 s, plus 3 %.
        assert_eq!(
            limits.interval(ThrottleClass::IdentityReports),
            Duration::from_millis(2_060)
        );
        // 5 per second: 200 ms, plus 100 ms of jitter over the 1-second window (10 %).
        assert_eq!(
            limits.interval(ThrottleClass::ExchangeAdmin),
            Duration::from_millis(220)
        );
        // Token buckets are not widened.
        assert_eq!(
            limits.interval(ThrottleClass::Directory),
            Duration::from_micros(1_250)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_holds_back_the_whole_class_but_not_outlook() {
        let limiters = Limiters::new(Limits::default());
        limiters.acquire(ThrottleClass::Directory, 1).await;
        let t = tokio::time::Instant::now();
        limiters.hold(ThrottleClass::Directory, Duration::from_secs(3));
        limiters.acquire(ThrottleClass::Directory, 1).await;
        assert_eq!(t.elapsed(), Duration::from_secs(3));
        let t = tokio::time::Instant::now();
        limiters.hold(ThrottleClass::Outlook, Duration::from_secs(3));
        limiters.acquire(ThrottleClass::Outlook, 1).await;
        assert_eq!(t.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn classes_do_not_wait_for_each_other() {
        let limiters = Limiters::new(Limits::default());
        limiters.acquire(ThrottleClass::ConditionalAccess, 1).await;
        let t = tokio::time::Instant::now();
        limiters.acquire(ThrottleClass::IdentityReports, 1).await;
        limiters.acquire(ThrottleClass::Directory, 2).await;
        assert_eq!(t.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cost_larger_than_the_burst_is_paid_in_parts() {
        let limits = Limits {
            directory_units_per_10s: 100,
            ..Limits::default()
        };
        let limiters = Limiters::new(limits);
        let t = tokio::time::Instant::now();
        limiters.acquire(ThrottleClass::Directory, 30).await;
        // Burst 10, then 20 more units at 100 ms each.
        assert_eq!(t.elapsed(), Duration::from_secs(2));
    }
}
