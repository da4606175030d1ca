//! [`Request`]: an HTTP request as the listener needs it, independent of
//! any framework.

use std::net::IpAddr;

/// An HTTP request, as a framework adapter hands it to the listener.
///
/// ```
/// use pw_runtime::listener::Request;
///
/// let peer = "174.36.92.186".parse().unwrap();
/// let get = Request::get("uid=u1&type=0", peer);
/// assert_eq!(get.method, "GET");
///
/// let post = Request::post(b"uid=u1&type=0".to_vec(), peer)
///     .header("Content-Type", "application/x-www-form-urlencoded");
/// assert_eq!(post.content_type(), Some("application/x-www-form-urlencoded"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, such as `GET` or `POST`.
    pub method: String,
    /// The query string, without the `?`.
    pub query: String,
    /// The body.
    pub body: Vec<u8>,
    /// The address of the connection's peer.
    pub peer: IpAddr,
    /// The headers, as `(name, value)`; names in any case.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// A request with this method, query string and peer, no body and no
    /// headers.
    pub fn new(method: impl Into<String>, query: impl Into<String>, peer: IpAddr) -> Self {
        Request {
            method: method.into(),
            query: query.into(),
            body: Vec::new(),
            peer,
            headers: Vec::new(),
        }
    }

    /// A `GET` with this query string.
    pub fn get(query: impl Into<String>, peer: IpAddr) -> Self {
        Request::new("GET", query, peer)
    }

    /// A `POST` with this body (set its `Content-Type` with
    /// [`Request::header`]).
    pub fn post(body: impl Into<Vec<u8>>, peer: IpAddr) -> Self {
        Request {
            body: body.into(),
            ..Request::new("POST", "", peer)
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The values of the header `name` (any case), joined with `,` as HTTP
    /// allows for repeated headers; `None` when absent.
    ///
    /// ```
    /// use pw_runtime::listener::Request;
    /// let request = Request::get("", "10.0.0.1".parse().unwrap())
    ///     .header("X-Forwarded-For", "1.2.3.4")
    ///     .header("x-forwarded-for", "10.0.0.2");
    /// assert_eq!(request.header_value("x-forwarded-for").as_deref(), Some("1.2.3.4,10.0.0.2"));
    /// ```
    pub fn header_value(&self, name: &str) -> Option<String> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        let first = values.next()?;
        Some(values.fold(first.to_owned(), |mut all, value| {
            all.push(',');
            all.push_str(value);
            all
        }))
    }

    /// The media type of the body (`Content-Type` without parameters such
    /// as `; charset=UTF-8`).
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map(|(_, value)| value.split(';').next().unwrap_or_default().trim())
    }
}
