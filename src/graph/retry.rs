//! When to try a request again, and how long to wait.
//!
//! 429, 502, 503, 504 and broken connections are retried; `Retry-After` is honoured in
//! seconds (fractional, as Graph sends `2.128`) or as an HTTP date; without it the wait grows
//! exponentially with full jitter. The number of attempts is bounded: after the last one the
//! request fails with a typed error, and the source is marked not collected for the night.

use std::time::Duration;

use rand::Rng as _;

/// The retry policy of every request.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// First backoff when the service gives no `Retry-After`.
    pub base_delay: Duration,
    /// Longest single wait, `Retry-After` included (a service asking for an hour would
    /// otherwise stall the night).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt counts from 1), from the service's
    /// `Retry-After` when it sent one, else exponential backoff with full jitter.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(d) => d.min(self.max_delay),
            None => {
                let exp = self
                    .base_delay
                    .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
                let cap = exp.min(self.max_delay);
                // Full jitter between half and all of the cap, so throttled workers spread out
                // without ever retrying immediately.
                let millis = cap.as_millis().max(1) as u64;
                let j = rand::rng().random_range(millis / 2..=millis);
                Duration::from_millis(j)
            }
        }
    }
}

/// Is this status worth another attempt?
pub fn is_transient(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Parses a `Retry-After` value: seconds (possibly fractional) or an HTTP date.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(86_400.0)));
        }
        return None;
    }
    let date = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = date.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// `Retry-After` from response headers.
pub fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let v = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(v, chrono::Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractional_seconds_and_http_dates_are_understood() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .expect("date")
            .with_timezone(&chrono::Utc);
        assert_eq!(
            parse_retry_after("2.128", now),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(
            parse_retry_after(" 0.5 ", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Sun, 01 Mar 2026 12:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
        };
        for attempt in 1..=8 {
            let d = p.delay(attempt, None);
            let cap = Duration::from_secs(1 << (attempt - 1)).min(Duration::from_secs(10));
            assert!(d <= cap && d >= cap / 2, "attempt {attempt}: {d:?}");
        }
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(500))),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for s in [429, 502, 503, 504] {
            assert!(is_transient(s));
        }
        for s in [400, 401, 403, 404, 500] {
            assert!(!is_transient(s));
        }
    }
}
