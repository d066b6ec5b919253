//! Paged reads into the store, and running workers side by side on one task.

use std::future::Future;

use super::context::{Ctx, failed};
use super::error::CollectError;
use super::writer;
use crate::graph::Call;
use crate::model::Record;
use crate::queries::Query;
use crate::store::SourceOutcome;

/// Page writes a pager may have in flight (submitted, not yet written).
pub(super) const WRITE_DEPTH: usize = 2;

/// Which records a completely read source lets the store close.
pub(crate) enum Close {
    /// Every record of the kind not seen this run has vanished.
    All,
    /// Only those under this key prefix (one group, one mailbox).
    Prefix(String),
    /// None (the read covered only part of the kind: the caller closes later).
    Nothing,
}

/// Reads every page of `call`, converts each item, writes each page in one transaction, and
/// closes the records not seen when the source was read completely. Pages are written by
/// the store's thread while the next one is requested.
pub(crate) async fn paged<W, R>(
    ctx: &Ctx,
    query: &Query,
    call: Call,
    mut convert: impl FnMut(W) -> Option<R>,
    close: Close,
    mut on_page: impl AsyncFnMut(&[R]),
) -> Result<Result<(i64, i64), SourceOutcome>, CollectError>
where
    W: serde::de::DeserializeOwned,
    R: Record + Send + 'static,
{
    let mut pager = ctx.client.pages::<W>(call);
    let (mut records, mut pages) = (0i64, 0i64);
    let mut writes = writer::InFlight::new(WRITE_DEPTH);
    let run = ctx.run;
    loop {
        match pager.next_page().await {
            Ok(Some(page)) => {
                let items: Vec<R> = page.items.into_iter().filter_map(&mut convert).collect();
                on_page(&items).await;
                let n = items.len();
                writes
                    .push(ctx.submit(move |s| s.write_page(run, &items)))
                    .await?;
                records += n as i64;
                pages += 1;
                tracing::debug!(source = %query.name, page = pages, records = n, "page écrite");
                ctx.progress.advance(&query.name, n as u64);
            }
            Ok(None) => break,
            Err(e) => {
                writes.drain().await?;
                return Ok(Err(failed(ctx, &e, query, records, pages)));
            }
        }
    }
    writes.drain().await?;
    match close {
        Close::All => ctx.close_unseen(R::KIND, None).await?,
        Close::Prefix(p) => ctx.close_unseen(R::KIND, Some(p)).await?,
        Close::Nothing => 0,
    };
    Ok(Ok((records, pages)))
}

/// Runs `n` copies of a worker future to completion, concurrently on this task.
pub(crate) async fn join_workers<F, Fut, T>(n: usize, make: F) -> Vec<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = T>,
{
    let futs: Vec<_> = (0..n.max(1)).map(|_| Box::pin(make())).collect();
    join_all(futs).await
}

async fn join_all<Fut: Future + Unpin>(mut futs: Vec<Fut>) -> Vec<Fut::Output> {
    let mut out: Vec<Option<Fut::Output>> = (0..futs.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in futs.iter_mut().enumerate() {
            if out[i].is_none() {
                match std::pin::Pin::new(f).poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

/// Escapes a value for an OData string literal (`'` is doubled).
pub(super) fn odata_escape(s: &str) -> String {
    s.replace('\'', "''")
}
