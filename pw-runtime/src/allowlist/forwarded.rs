//! Forwarding headers: which one a trusted proxy writes ([`ForwardedHeader`]),
//! and reading the client address out of it.

use std::net::{IpAddr, SocketAddr};

use super::{Networks, Source, SourceRejection};

/// Which forwarding header a trusted proxy writes. Only the header your
/// proxy maintains may be believed: a client can send the other one with
/// any content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2`.
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

impl ForwardedHeader {
    /// The header name, for messages.
    ///
    /// ```
    /// assert_eq!(pw_runtime::ForwardedHeader::Forwarded.name(), "Forwarded");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            ForwardedHeader::XForwardedFor => "X-Forwarded-For",
            ForwardedHeader::Forwarded => "Forwarded",
        }
    }
}

/// The client address: the peer, or when the peer is a trusted proxy, the
/// rightmost hop of its header that is not a trusted proxy (the leftmost
/// hop when all are trusted).
pub(super) fn client_address(
    source: &Source<'_>,
    proxies: &Networks,
    header: ForwardedHeader,
) -> Result<IpAddr, SourceRejection> {
    let peer = source.peer.to_canonical();
    if !proxies.contains(peer) {
        return Ok(peer);
    }
    let value = match header {
        ForwardedHeader::XForwardedFor => source.x_forwarded_for,
        ForwardedHeader::Forwarded => source.forwarded,
    };
    let Some(value) = value else {
        return Ok(peer);
    };
    let malformed = SourceRejection::MalformedHeader {
        header: header.name(),
        peer,
    };
    let mut client = peer;
    for hop in value.rsplit(',').map(str::trim) {
        let hop = match header {
            ForwardedHeader::XForwardedFor => Some(hop),
            ForwardedHeader::Forwarded => forwarded_for(hop),
        };
        let Some(hop) = hop else { continue };
        client = parse_hop(hop).ok_or_else(|| malformed.clone())?;
        if !proxies.contains(client) {
            break;
        }
    }
    Ok(client)
}

/// The `for=` value of one `Forwarded` element, unquoted.
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// An address, possibly with a port (`192.0.2.1:80`, `[2001:db8::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let address = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })?;
    Some(address.to_canonical())
}
