//! What a source hands, page by page, to the sources that depend on it: the accounts in scope
//! from users to sign-ins and sign-in activity, the mailboxes from Exchange to inbox rules.
//!
//! Streaming them (instead of waiting for the whole list) lets a dependent source start after
//! the first page of the one it depends on, so its throttle class is not idle while the other
//! pages. A feed never makes its producer wait: users feed the sign-ins, the night's slowest
//! class, and must not be held back by a slower consumer of another feed. What a feed holds
//! is ids (about 20 MB for 300,000 mailboxes when the inbox rules lag behind the directory).

use std::collections::VecDeque;

use tokio::sync::mpsc;

/// One message of a feed.
#[derive(Debug)]
pub(crate) enum Feed<T> {
    Items(Vec<T>),
    /// The producer read its source completely (`true`) or not.
    End {
        complete: bool,
    },
}

/// The producing side. Sending to a consumer that is gone is not an error: it stopped.
pub(crate) struct FeedTx<T>(mpsc::Sender<Feed<T>>);

impl<T> FeedTx<T> {
    pub async fn items(&self, items: Vec<T>) {
        if !items.is_empty() {
            let _ = self.0.send(Feed::Items(items)).await;
        }
    }

    pub async fn end(&self, complete: bool) {
        let _ = self.0.send(Feed::End { complete }).await;
    }
}

/// A feed that never makes its producer wait.
pub(crate) fn feed<T>() -> (FeedTx<T>, Chunks<T>) {
    let (tx, rx) = mpsc::channel(tokio::sync::Semaphore::MAX_PERMITS);
    (
        FeedTx(tx),
        Chunks {
            rx,
            buf: VecDeque::new(),
            aside: VecDeque::new(),
            end: None,
        },
    )
}

/// The consuming side, read in chunks (15 accounts to a request, 20 mailboxes to a batch).
pub(crate) struct Chunks<T> {
    rx: mpsc::Receiver<Feed<T>>,
    buf: VecDeque<T>,
    /// The items `next_split` set apart, chunked on their own.
    aside: VecDeque<T>,
    end: Option<bool>,
}

impl<T> Chunks<T> {
    /// The next `n` items, fewer at the end; `None` when the feed is over.
    pub async fn next(&mut self, n: usize) -> Option<Vec<T>> {
        self.next_kept(n, |_| true).await
    }

    /// Like `next`, counting only the items `keep` accepts: it sees each item once, as it
    /// arrives, and the others are dropped.
    pub async fn next_kept(
        &mut self,
        n: usize,
        mut keep: impl FnMut(&T) -> bool,
    ) -> Option<Vec<T>> {
        let chunk = self.next_sorted(n, |x| keep(x).then_some(false)).await;
        chunk.map(|(_, c)| c)
    }

    /// Like `next`, with the items `apart` picks (it sees each item once, as it arrives)
    /// chunked on their own: the first chunk of `n` either kind fills, `true` for the items
    /// set apart; at the end, the rest of the others, then the rest of those set apart.
    pub async fn next_split(
        &mut self,
        n: usize,
        mut apart: impl FnMut(&T) -> bool,
    ) -> Option<(bool, Vec<T>)> {
        self.next_sorted(n, |x| Some(apart(x))).await
    }

    /// `sort` sends each item to the others (`Some(false)`), apart (`Some(true)`) or away.
    async fn next_sorted(
        &mut self,
        n: usize,
        mut sort: impl FnMut(&T) -> Option<bool>,
    ) -> Option<(bool, Vec<T>)> {
        let n = n.max(1);
        loop {
            if self.buf.len() >= n {
                return Some((false, self.buf.drain(..n).collect()));
            }
            if self.aside.len() >= n {
                return Some((true, self.aside.drain(..n).collect()));
            }
            if self.end.is_some() {
                if !self.buf.is_empty() {
                    return Some((false, self.buf.drain(..).collect()));
                }
                return (!self.aside.is_empty()).then(|| (true, self.aside.drain(..).collect()));
            }
            match self.rx.recv().await {
                Some(Feed::Items(v)) => {
                    for x in v {
                        match sort(&x) {
                            Some(false) => self.buf.push_back(x),
                            Some(true) => self.aside.push_back(x),
                            None => {}
                        }
                    }
                }
                Some(Feed::End { complete }) => self.end = Some(complete),
                // The producer stopped without saying it was done: it was not.
                None => self.end = Some(false),
            }
        }
    }

    /// Whether the producer said it read its source completely (after `next` gave `None`).
    pub fn complete(&self) -> bool {
        self.end == Some(true)
    }

    /// Stops reading: the producer's further pages are dropped.
    pub fn close(&mut self) {
        self.rx.close();
        self.buf.clear();
        self.aside.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_cross_pages_and_the_end_flushes_the_rest() {
        let (tx, mut rx) = feed::<u32>();
        tx.items((0..7).collect()).await;
        tx.items((7..12).collect()).await;
        tx.end(true).await;
        assert_eq!(rx.next(5).await, Some(vec![0, 1, 2, 3, 4]));
        assert_eq!(rx.next(5).await, Some(vec![5, 6, 7, 8, 9]));
        assert_eq!(rx.next(5).await, Some(vec![10, 11]));
        assert_eq!(rx.next(5).await, None);
        assert!(rx.complete());
    }

    #[tokio::test]
    async fn kept_chunks_are_full_and_each_item_is_judged_once() {
        let (tx, mut rx) = feed::<u32>();
        tx.items((0..7).collect()).await;
        tx.items((7..12).collect()).await;
        tx.end(true).await;
        let mut dropped = Vec::new();
        let mut chunks = Vec::new();
        loop {
            let odd = |x: &u32| {
                let keep = x % 2 == 1;
                if !keep {
                    dropped.push(*x);
                }
                keep
            };
            let Some(c) = rx.next_kept(4, odd).await else {
                break;
            };
            chunks.push(c);
        }
        assert_eq!(chunks, vec![vec![1, 3, 5, 7], vec![9, 11]]);
        assert_eq!(dropped, vec![0, 2, 4, 6, 8, 10]);
        assert!(rx.complete());
    }

    #[tokio::test]
    async fn split_chunks_fill_each_kind_on_its_own_and_the_end_flushes_both() {
        let (tx, mut rx) = feed::<u32>();
        tx.items((0..7).collect()).await;
        tx.items((7..12).collect()).await;
        tx.end(true).await;
        let mut seen = Vec::new();
        let mut chunks = Vec::new();
        loop {
            let apart = |x: &u32| {
                seen.push(*x);
                x.is_multiple_of(3)
            };
            let Some(c) = rx.next_split(3, apart).await else {
                break;
            };
            chunks.push(c);
        }
        assert_eq!(
            chunks,
            vec![
                (false, vec![1, 2, 4]),
                (true, vec![0, 3, 6]),
                (false, vec![5, 7, 8]),
                (false, vec![10, 11]),
                (true, vec![9]),
            ]
        );
        assert_eq!(seen, (0..12).collect::<Vec<_>>(), "each item judged once");
        assert!(rx.complete());
    }

    #[tokio::test]
    async fn a_producer_that_stops_without_an_end_left_the_feed_incomplete() {
        let (tx, mut rx) = feed::<u32>();
        let producer = async move {
            tx.items(vec![1, 2]).await;
            tx.items(vec![3]).await;
            // dropped here without `end`
        };
        let consumer = async {
            let mut got = Vec::new();
            while let Some(c) = rx.next(2).await {
                got.extend(c);
            }
            got
        };
        let ((), got) = tokio::join!(producer, consumer);
        assert_eq!(got, vec![1, 2, 3]);
        assert!(!rx.complete());
    }

    #[tokio::test(start_paused = true)]
    async fn a_producer_never_waits_for_a_slow_consumer() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (tx, mut rx) = feed::<u32>();
        let sent = AtomicUsize::new(0);
        let producer = async {
            for page in 0..10u32 {
                tx.items(vec![page; 1000]).await;
                sent.fetch_add(1, Ordering::Relaxed);
            }
            tx.end(true).await;
        };
        // No consumer yet: the producer still sends every page and its end.
        tokio::time::timeout(std::time::Duration::from_secs(60), producer)
            .await
            .expect("the producer does not wait for the consumer");
        assert_eq!(sent.load(Ordering::Relaxed), 10);
        let consumer = async {
            let mut n = 0;
            while let Some(c) = rx.next(20).await {
                n += c.len();
            }
            n
        };
        assert_eq!(consumer.await, 10_000);
        assert!(rx.complete());
    }
}
