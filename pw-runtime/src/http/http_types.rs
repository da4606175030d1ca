//! The translation shared by the adapters built on the `http` crate's
//! types (axum, tower / hyper).

use super::{body_too_large, body_unreadable, Endpoint};
use crate::listener::{Request, Response};
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::error::Error;
use std::net::IpAddr;

/// The listener's request: method, query, headers and peer from `parts`,
/// the body read with the endpoint's [`super::body_limit`]. A body over
/// the limit, or one that cannot be read, is answered at once.
pub(crate) async fn request<B>(
    endpoint: &impl Endpoint,
    parts: &http::request::Parts,
    body: B,
    peer: IpAddr,
) -> Result<Request, Response>
where
    B: http_body::Body,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    let body = match Limited::new(body, super::body_limit(endpoint))
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<LengthLimitError>() => return Err(body_too_large(endpoint)),
        #[cfg(feature = "hyper")]
        Err(error) if error.is::<super::timed_body::BodyReadTimeout>() => {
            return Err(Response::text(408, error.to_string()))
        }
        Err(error) => return Err(body_unreadable(&error)),
    };
    Ok(Request {
        method: parts.method.as_str().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        body: Vec::from(body),
        peer,
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
    })
}

/// The `http` response of the listener's response, with the body as
/// [`Bytes`].
pub(crate) fn response(response: Response) -> http::Response<Bytes> {
    let mut builder = http::Response::builder()
        .status(response.status)
        .header(http::header::CONTENT_TYPE, response.content_type());
    for (name, value) in &response.headers {
        builder = builder.header(*name, value.as_str());
    }
    builder
        .body(Bytes::from(response.body))
        .unwrap_or_else(|error| {
            tracing::error!(%error, "the listener's response is not valid HTTP");
            let mut fallback = http::Response::new(Bytes::from_static(b"invalid response"));
            *fallback.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
}
