//! A future with a time limit. Nothing may hold a pingback forever:
//!
//! - a handler past its deadline is dropped (what it wrote in the ledger's
//!   transaction is rolled back with it), the claim is released and
//!   Paymentwall retries;
//! - a server ledger's call past its response timeout fails as
//!   unavailable (`ledger/sql/server.rs`).
//!
//! The timer is the crate's own [`Sleep`], which needs no particular async
//! runtime, as the listener does not. It is armed only once the future is
//! pending: one that finishes on its first poll costs no timer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::timer::Sleep;

/// Polls `future` until it is ready, or fails with the deadline once
/// `limit` has passed since [`Deadline::new`].
pub(crate) struct Deadline<F> {
    future: Pin<Box<F>>,
    started: Instant,
    /// Made at the first poll that leaves `future` pending, for the end of
    /// `limit`.
    delay: Option<Sleep>,
    limit: Duration,
}

impl<F: Future> Deadline<F> {
    pub(crate) fn new(limit: Duration, future: F) -> Self {
        Deadline {
            future: Box::pin(future),
            started: Instant::now(),
            delay: None,
            limit,
        }
    }
}

impl<F: Future> Future for Deadline<F> {
    type Output = Result<F::Output, Duration>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(output) = self.future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        let (started, limit) = (self.started, self.limit);
        let delay = self.delay.get_or_insert_with(|| Sleep::new(started, limit));
        match Pin::new(delay).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(self.limit)),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_future_done_in_time_gives_its_output() {
        let bounded = Deadline::new(Duration::from_secs(5), async { 7 });
        assert_eq!(bounded.await, Ok(7));
    }

    #[tokio::test]
    async fn the_deadline_counts_from_new_not_from_the_first_poll() {
        let limit = Duration::from_millis(300);
        let started = Instant::now();
        let bounded = Deadline::new(limit, std::future::pending::<()>());
        // First polled after its limit: the deadline has passed already.
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(bounded.await, Err(limit));
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(850),
            "the deadline waited {took:?}: it counted from the first poll"
        );
    }
}
