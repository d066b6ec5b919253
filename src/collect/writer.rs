//! The store, written from one blocking thread.
//!
//! SQLite writes are synchronous and, on a large tenant, take most of a night's CPU (a page
//! of 1,000 sign-ins is 1,000 inserts and 1,000 daily-aggregate upserts). Done inline, they
//! would stall every collector between two requests, and a throttle class would sit idle
//! while its pager writes. So every store access of a night goes through one writer thread,
//! in the order it was submitted: a collector submits a page and goes on to request the next
//! one, and awaits the write only to bound what is in flight (and to surface its error).

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use super::error::CollectError;
use crate::store::{Store, StoreError};

type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// Submits jobs to the writer thread.
pub(crate) struct Writer {
    tx: Mutex<Option<mpsc::UnboundedSender<Job>>>,
    thread: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// A submitted job: await it for its result.
pub(crate) struct Pending<R>(oneshot::Receiver<Result<R, StoreError>>);

impl<R> Pending<R> {
    pub async fn wait(self) -> Result<R, CollectError> {
        match self.0.await {
            Ok(r) => Ok(r?),
            Err(_) => Err(CollectError::Writer),
        }
    }
}

impl Writer {
    /// Starts the writer thread on `store`.
    pub fn start(store: Arc<Mutex<Store>>) -> Writer {
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        let thread = tokio::task::spawn_blocking(move || {
            while let Some(job) = rx.blocking_recv() {
                // A poisoned lock means a job panicked mid-write; SQLite's transaction
                // already rolled back, so the connection is still sound.
                let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
                job(&mut guard);
            }
        });
        Writer {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        }
    }

    /// Queues `f` after every job submitted before it.
    pub fn submit<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
    ) -> Pending<R> {
        let (done, rx) = oneshot::channel();
        let job: Job = Box::new(move |s: &mut Store| {
            let _ = done.send(f(s));
        });
        if let Some(tx) = self.tx.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            // A closed channel drops the job and its sender: the caller sees `Writer`.
            let _ = tx.send(job);
        }
        Pending(rx)
    }

    /// Runs `f` after every job submitted before it and returns its result.
    pub async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, CollectError> {
        self.submit(f).wait().await
    }

    /// Lets the thread finish what was submitted, and waits for it.
    pub async fn close(&self) {
        drop(self.tx.lock().unwrap_or_else(|p| p.into_inner()).take());
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = thread {
            let _ = t.await;
        }
    }
}

/// At most `depth` submitted writes not yet awaited: a pager goes on reading while its last
/// pages are written, and a failed write stops it within `depth` pages.
pub(crate) struct InFlight<R> {
    depth: usize,
    queue: std::collections::VecDeque<Pending<R>>,
}

impl<R> InFlight<R> {
    pub fn new(depth: usize) -> Self {
        InFlight {
            depth: depth.max(1),
            queue: std::collections::VecDeque::new(),
        }
    }

    /// Adds a write; waits for the oldest ones beyond the depth. Returns their results.
    pub async fn push(&mut self, p: Pending<R>) -> Result<Vec<R>, CollectError> {
        self.queue.push_back(p);
        let mut done = Vec::new();
        while self.queue.len() > self.depth {
            if let Some(oldest) = self.queue.pop_front() {
                done.push(oldest.wait().await?);
            }
        }
        Ok(done)
    }

    /// Waits for every write still in flight.
    pub async fn drain(&mut self) -> Result<Vec<R>, CollectError> {
        let mut done = Vec::new();
        while let Some(p) = self.queue.pop_front() {
            done.push(p.wait().await?);
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_in_submission_order_and_in_flight_writes_are_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("s.sqlite")).expect("store");
        let as_of = chrono::DateTime::parse_from_rfc3339("2026-03-01T08:00:00Z")
            .expect("date")
            .with_timezone(&chrono::Utc);
        let run = store.begin_run(as_of, as_of.date_naive()).expect("run");
        let writer = Writer::start(Arc::new(Mutex::new(store)));
        let mut writes = InFlight::new(2);
        let mut done = Vec::new();
        for i in 0..5 {
            let p = writer.submit(move |s| s.set_watermark(run, "w", &i.to_string()).map(|_| i));
            done.extend(writes.push(p).await.expect("write"));
            assert!(writes.queue.len() <= 2);
        }
        done.extend(writes.drain().await.expect("write"));
        assert_eq!(done, vec![0, 1, 2, 3, 4]);
        let last = writer.run(|s| s.watermark("w")).await.expect("read");
        assert_eq!(last.as_deref(), Some("4"), "the last submitted wrote last");
        writer.close().await;
        let late = writer.run(|s| s.watermark("w")).await;
        assert!(
            matches!(late, Err(CollectError::Writer)),
            "closed: {late:?}"
        );
    }
}
