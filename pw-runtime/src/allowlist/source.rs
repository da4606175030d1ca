//! [`Source`]: where a request came from, as the HTTP server saw it.

use std::net::IpAddr;

/// Where a request came from, as the HTTP server saw it.
///
/// Several header lines of the same name are joined with `,` by the caller.
///
/// ```
/// use pw_runtime::Source;
/// let source = Source::peer("10.0.0.2".parse().unwrap())
///     .with_x_forwarded_for("174.36.92.186, 10.0.0.1");
/// assert_eq!(source.peer.to_string(), "10.0.0.2");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source<'a> {
    /// The address of the direct peer of the connection.
    pub peer: IpAddr,
    /// The `X-Forwarded-For` header, if any.
    pub x_forwarded_for: Option<&'a str>,
    /// The `Forwarded` header, if any.
    pub forwarded: Option<&'a str>,
}

impl<'a> Source<'a> {
    /// A request from `peer` with no forwarding header.
    ///
    /// ```
    /// let source = pw_runtime::Source::peer("127.0.0.1".parse().unwrap());
    /// assert!(source.x_forwarded_for.is_none());
    /// ```
    pub fn peer(peer: IpAddr) -> Self {
        Source {
            peer,
            x_forwarded_for: None,
            forwarded: None,
        }
    }

    /// Adds the `X-Forwarded-For` header.
    ///
    /// ```
    /// let source = pw_runtime::Source::peer("10.0.0.1".parse().unwrap()).with_x_forwarded_for("1.2.3.4");
    /// assert_eq!(source.x_forwarded_for, Some("1.2.3.4"));
    /// ```
    pub fn with_x_forwarded_for(mut self, value: &'a str) -> Self {
        self.x_forwarded_for = Some(value);
        self
    }

    /// Adds the `Forwarded` header.
    ///
    /// ```
    /// let source = pw_runtime::Source::peer("10.0.0.1".parse().unwrap()).with_forwarded("for=1.2.3.4");
    /// assert_eq!(source.forwarded, Some("for=1.2.3.4"));
    /// ```
    pub fn with_forwarded(mut self, value: &'a str) -> Self {
        self.forwarded = Some(value);
        self
    }
}
