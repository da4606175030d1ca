//! A handler must not hold a pingback forever: past its deadline, its
//! future is dropped (what it wrote in the ledger's transaction is rolled
//! back with it), the claim is released and Paymentwall retries.
//!
//! The timer is `futures-timer`'s, which needs no particular async runtime,
//! as the listener does not.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_timer::Delay;

/// Polls `future` until it is ready, or fails with the deadline once
/// `limit` has passed.
pub(crate) struct Deadline<F> {
    future: Pin<Box<F>>,
    delay: Delay,
    limit: Duration,
}

impl<F: Future> Deadline<F> {
    pub(crate) fn new(limit: Duration, future: F) -> Self {
        Deadline {
            future: Box::pin(future),
            delay: Delay::new(limit),
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
        match Pin::new(&mut self.delay).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(self.limit)),
            Poll::Pending => Poll::Pending,
        }
    }
}
