//! A lease must outlive the handler that holds it, yet expire soon after a
//! process dies: while the handler runs, its lease is renewed every third
//! of the lease, so a short lease frees a dead process's pingback quickly
//! and never expires under a live handler. The handler's own deadline
//! (`deadline.rs`) still bounds how long it may run.
//!
//! The timer is `futures-timer`'s, which needs no particular async runtime.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_timer::Delay;

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
    tick: Delay,
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
            tick: Delay::new(every),
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
            match Pin::new(&mut this.tick).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(()) => {
                    this.tick.reset(this.every);
                    if this.in_flight.is_none() {
                        this.in_flight = Some((Instant::now(), (this.renew)()));
                    }
                }
            }
        }
    }
}
