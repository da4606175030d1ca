//! A lease must outlive the handler that holds it, yet expire soon after a
//! process dies: while the handler runs, its lease is renewed every third
//! of the lease, so a short lease frees a dead process's pingback quickly
//! and never expires under a live handler. The handler's own deadline
//! (`deadline.rs`) still bounds how long it may run.
//!
//! The timer is the crate's own [`Sleep`], which needs no particular async
//! runtime; it is armed only once the handler is pending (a handler done on
//! its first poll costs no timer).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::timer::Sleep;

use crate::ledger::LedgerError;

/// One renewal of the lease, in flight.
pub(crate) type Renewal<'a> = Pin<Box<dyn Future<Output = Result<(), LedgerError>> + Send + 'a>>;

/// Polls `future` to its end and, every `every`, starts the renewal `renew`
/// gives and polls it alongside. Its output is the future's with the time
/// of the last renewal that succeeded.
pub(crate) struct Renewing<'a, F, R> {
    future: Pin<Box<F>>,
    renew: R,
    every: Duration,
    started: Instant,
    /// Made at the first poll that leaves the future pending, for the
    /// first renewal `every` after [`Renewing::new`].
    tick: Option<Sleep>,
    in_flight: Option<(Instant, Renewal<'a>)>,
    renewed: Option<Instant>,
}

impl<'a, F: Future, R: FnMut() -> Renewal<'a>> Renewing<'a, F, R> {
    pub(crate) fn new(every: Duration, future: F, renew: R) -> Self {
        let every = every.max(Duration::from_millis(1));
        Renewing {
            future: Box::pin(future),
            renew,
            every,
            started: Instant::now(),
            tick: None,
            in_flight: None,
            renewed: None,
        }
    }
}

impl<'a, F: Future, R: FnMut() -> Renewal<'a> + Unpin> Future for Renewing<'a, F, R> {
    type Output = (F::Output, Option<Instant>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Poll::Ready(output) = this.future.as_mut().poll(cx) {
            return Poll::Ready((output, this.renewed));
        }
        loop {
            if let Some((started, renewal)) = &mut this.in_flight {
                match renewal.as_mut().poll(cx) {
                    Poll::Pending => {}
                    Poll::Ready(Ok(())) => {
                        this.renewed = Some(*started);
                        this.in_flight = None;
                    }
                    Poll::Ready(Err(error)) => {
                        tracing::warn!(%error, "renewing the lease failed; retrying at the next renewal");
                        this.in_flight = None;
                    }
                }
            }
            let (started, every) = (this.started, this.every);
            let tick = this.tick.get_or_insert_with(|| Sleep::new(started, every));
            match Pin::new(&mut *tick).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(()) => {
                    tick.reset(Instant::now(), every);
                    if this.in_flight.is_none() {
                        this.in_flight = Some((Instant::now(), (this.renew)()));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn the_first_renewal_is_due_one_period_after_new_not_after_the_first_poll() {
        let renewals = AtomicUsize::new(0);
        let renew = || -> Renewal<'_> {
            renewals.fetch_add(1, Ordering::SeqCst);
            Box::pin(async { Ok(()) })
        };
        // The handler runs 100 ms from its first poll, which comes 500 ms
        // after `new`: the renewal due at 200 ms starts at that poll.
        let handler = async { tokio::time::sleep(Duration::from_millis(100)).await };
        let renewing = Renewing::new(Duration::from_millis(200), handler, renew);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let ((), renewed) = renewing.await;
        assert!(
            renewed.is_some(),
            "no renewal: the period counted from the first poll"
        );
        assert_eq!(renewals.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_handler_done_at_once_is_not_renewed() {
        let renewals = AtomicUsize::new(0);
        let renew = || -> Renewal<'_> {
            renewals.fetch_add(1, Ordering::SeqCst);
            Box::pin(async { Ok(()) })
        };
        let (output, renewed) = Renewing::new(Duration::from_millis(200), async { 7 }, renew).await;
        assert_eq!((output, renewed), (7, None));
        assert_eq!(renewals.load(Ordering::SeqCst), 0);
    }
}
