//! [`Response`]: what the listener answers, independent of any framework.

/// An HTTP response from the listener.
///
/// The body is plain text: `OK` for a processed pingback (the only answer
/// Paymentwall takes as an acknowledgement), otherwise one line saying
/// what failed. It never holds the secret key or the expected signature.
///
/// ```
/// use pw_runtime::listener::Response;
/// let ok = Response::ok();
/// assert_eq!((ok.status, ok.body.as_str()), (200, "OK"));
/// assert!(ok.is_acknowledgement());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The body, plain text.
    pub body: String,
    /// Extra headers, such as `Allow` on a 405.
    pub headers: Vec<(&'static str, String)>,
}

impl Response {
    /// `200 OK`: the pingback is processed (now or before).
    pub fn ok() -> Self {
        Response::text(200, "OK")
    }

    /// A status with a plain-text body.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Response {
            status,
            body: body.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Whether Paymentwall takes this answer as an acknowledgement
    /// (status 200 and body `OK`); any other answer makes it retry.
    pub fn is_acknowledgement(&self) -> bool {
        self.status == 200 && self.body == "OK"
    }

    /// The content type of the body: `text/plain; charset=utf-8`.
    pub fn content_type(&self) -> &'static str {
        "text/plain; charset=utf-8"
    }
}
