//! Latency: the seeded delay of one request (top level or `$batch` step), and the sleep
//! that applies it. Used by the transport (faults) and by the router (handlers).

use std::time::Duration;

use super::{Rq, Shared};
use crate::sim::hash::{self, h, tag};

/// The seeded latency of a request, scaled by the simulator's clock.
pub(super) fn latency_for(st: &Shared, rq: Rq) -> Duration {
    let (lo, hi) = (st.latency.min_ms, st.latency.max_ms.max(st.latency.min_ms));
    if hi == 0 {
        return Duration::ZERO;
    }
    let ms = hash::range(
        h(st.sc.seed, &[tag::LATENCY, rq.n, rq.j]),
        lo as i64,
        hi as i64,
    );
    Duration::from_secs_f64(ms as f64 / 1000.0 / st.scale)
}

/// Sleeps `d`; returns at once when it is zero.
pub(super) async fn sleep(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}
