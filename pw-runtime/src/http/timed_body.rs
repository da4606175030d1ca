//! A request body that must arrive whole before a deadline: what
//! [`ServerLimits::body_read_timeout`](super::hyper::ServerLimits::body_read_timeout)
//! enforces in [`serve`](super::hyper::serve). A per-read timeout would let a
//! client send one byte just before each timeout, for hours.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The body of a request served by [`serve`](super::hyper::serve): the
/// connection's body, which fails with [`BodyReadTimeout`] once the
/// deadline passes before its end.
///
/// A service given to [`serve_service`](super::hyper::serve_service)
/// receives requests with this body:
///
/// ```
/// use pw_runtime::http::hyper::TimedBody;
/// async fn handle(request: http::Request<TimedBody>) -> Result<http::Response<String>, std::convert::Infallible> {
///     Ok(http::Response::new(format!("{} {}", request.method(), request.uri())))
/// }
/// ```
pub struct TimedBody<B = hyper::body::Incoming> {
    body: Pin<Box<B>>,
    deadline: Pin<Box<Sleep>>,
    timeout: Duration,
}

impl<B> TimedBody<B> {
    /// `body`, to be read whole within `timeout` from now.
    pub(crate) fn new(body: B, timeout: Duration) -> Self {
        TimedBody {
            body: Box::pin(body),
            deadline: Box::pin(tokio::time::sleep_until(Instant::now() + timeout)),
            timeout,
        }
    }
}

impl<B> fmt::Debug for TimedBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimedBody")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<B> Body for TimedBody<B>
where
    B: Body,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    type Data = B::Data;
    type Error = Box<dyn Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = self.body.as_mut().poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyReadTimeout {
                timeout: self.timeout,
            })))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The body did not arrive whole within the body-read timeout; the
/// adapter answers 408.
///
/// ```
/// use pw_runtime::http::hyper::BodyReadTimeout;
/// let error = BodyReadTimeout { timeout: std::time::Duration::from_secs(10) };
/// assert_eq!(error.to_string(), "the body was not received whole within 10000 ms");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyReadTimeout {
    /// The timeout that passed.
    pub timeout: Duration,
}

impl fmt::Display for BodyReadTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the body was not received whole within {} ms",
            self.timeout.as_millis()
        )
    }
}

impl Error for BodyReadTimeout {}
