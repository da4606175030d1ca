//! Where a pingback may come from: the source address allow-list, the
//! trusted proxies whose forwarding headers are believed, and the explicit
//! switch that turns the check off for local development.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use ipnet::IpNet;

/// Paymentwall's documented pingback sources: five addresses and, since
/// November 2018, the range 216.127.71.0/24.
pub const PAYMENTWALL_SOURCES: [&str; 6] = [
    "174.36.92.186/32",
    "174.36.92.187/32",
    "174.36.92.192/32",
    "174.36.96.66/32",
    "174.37.14.28/32",
    "216.127.71.0/24",
];

/// A set of IPv4 and IPv6 networks (CIDR ranges or single addresses).
///
/// ```
/// use pw_runtime::Networks;
///
/// let nets: Networks = "10.0.0.0/8, 2001:db8::/32, 192.0.2.7".parse()?;
/// assert!(nets.contains("10.1.2.3".parse()?));
/// assert!(nets.contains("2001:db8::1".parse()?));
/// assert!(nets.contains("192.0.2.7".parse()?));
/// assert!(!nets.contains("192.0.2.8".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Networks {
    nets: Vec<IpNet>,
    /// `(network, mask)` of each IPv4 network, for a check without branches.
    v4: Vec<(u32, u32)>,
    /// `(network, mask)` of each IPv6 network.
    v6: Vec<(u128, u128)>,
}

/// A network that does not parse as `address` or `address/prefix`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IP address or a CIDR range such as 216.127.71.0/24 or 2001:db8::/32")]
pub struct InvalidNetwork(pub String);

impl Networks {
    /// No network at all.
    ///
    /// ```
    /// assert!(!pw_runtime::Networks::empty().contains("127.0.0.1".parse().unwrap()));
    /// ```
    pub fn empty() -> Self {
        Networks::default()
    }

    fn push(&mut self, net: IpNet) {
        match net {
            IpNet::V4(v4) => self
                .v4
                .push((v4.network().to_bits(), v4.netmask().to_bits())),
            IpNet::V6(v6) => self
                .v6
                .push((v6.network().to_bits(), v6.netmask().to_bits())),
        }
        self.nets.push(net);
    }

    /// Parses one network: an address (`192.0.2.7`, `::1`) or a CIDR range.
    ///
    /// # Errors
    ///
    /// [`InvalidNetwork`] when `text` is neither.
    ///
    /// ```
    /// let net = pw_runtime::Networks::parse_network("216.127.71.0/24").unwrap();
    /// assert_eq!(net.to_string(), "216.127.71.0/24");
    /// assert!(pw_runtime::Networks::parse_network("216.127.71.0/33").is_err());
    /// ```
    pub fn parse_network(text: &str) -> Result<IpNet, InvalidNetwork> {
        let text = text.trim();
        text.parse::<IpNet>()
            .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
            .map(|net| net.trunc())
            .map_err(|_| InvalidNetwork(text.to_owned()))
    }

    /// Adds a network.
    ///
    /// # Errors
    ///
    /// [`InvalidNetwork`] when `network` does not parse.
    ///
    /// ```
    /// let nets = pw_runtime::Networks::empty().with("203.0.113.0/24")?;
    /// assert!(nets.contains("203.0.113.9".parse().unwrap()));
    /// # Ok::<(), pw_runtime::InvalidNetwork>(())
    /// ```
    pub fn with(mut self, network: &str) -> Result<Self, InvalidNetwork> {
        self.push(Self::parse_network(network)?);
        Ok(self)
    }

    /// Adds networks already parsed.
    ///
    /// ```
    /// use pw_runtime::Networks;
    /// let mut nets = Networks::empty();
    /// nets.extend([Networks::parse_network("::1").unwrap()]);
    /// assert!(nets.contains("::1".parse().unwrap()));
    /// ```
    pub fn extend(&mut self, networks: impl IntoIterator<Item = IpNet>) {
        for net in networks {
            self.push(net.trunc());
        }
    }

    /// True when `address` is inside one of the networks. An IPv4 address
    /// mapped into IPv6 (`::ffff:192.0.2.7`, as a dual-stack socket reports
    /// it) counts as the IPv4 address.
    ///
    /// ```
    /// let nets: pw_runtime::Networks = "192.0.2.7".parse().unwrap();
    /// assert!(nets.contains("::ffff:192.0.2.7".parse().unwrap()));
    /// ```
    pub fn contains(&self, address: IpAddr) -> bool {
        match address.to_canonical() {
            IpAddr::V4(v4) => {
                let bits = v4.to_bits();
                self.v4.iter().any(|&(net, mask)| bits & mask == net)
            }
            IpAddr::V6(v6) => {
                let bits = v6.to_bits();
                self.v6.iter().any(|&(net, mask)| bits & mask == net)
            }
        }
    }

    /// The networks, in the order added.
    ///
    /// ```
    /// let nets: pw_runtime::Networks = "::1, 10.0.0.0/8".parse().unwrap();
    /// assert_eq!(nets.iter().count(), 2);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &IpNet> {
        self.nets.iter()
    }
}

impl FromStr for Networks {
    type Err = InvalidNetwork;

    /// Comma- or whitespace-separated networks.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|part| !part.is_empty())
            .map(Networks::parse_network)
            .collect::<Result<Vec<_>, _>>()
            .map(|nets| {
                let mut networks = Networks::empty();
                networks.extend(nets);
                networks
            })
    }
}

impl fmt::Display for Networks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, net) in self.nets.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{net}")?;
        }
        Ok(())
    }
}

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

/// Why a source address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceRejection {
    /// The client address is not in the allow-list.
    #[error("source address {address} is not allowed to send pingbacks")]
    NotAllowed {
        /// The client address that was checked.
        address: IpAddr,
    },
    /// A trusted proxy's forwarding header has a hop that is not an address.
    #[error("the {header} header from trusted proxy {peer} has a hop that is not an IP address")]
    MalformedHeader {
        /// The header that was read.
        header: &'static str,
        /// The trusted proxy that sent it.
        peer: IpAddr,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    Enforce {
        allowed: Networks,
        proxies: Networks,
        header: ForwardedHeader,
    },
    Disabled,
}

/// The source address check.
///
/// The default allows Paymentwall's documented sources ([`PAYMENTWALL_SOURCES`])
/// and trusts no proxy, so the client is the direct peer. Behind a proxy,
/// name it with [`SourceCheck::trust_proxies`]: the client address is then
/// the rightmost hop of its forwarding header that is not itself a trusted
/// proxy. The check is off only through
/// [`SourceCheck::disabled_for_local_development`].
///
/// ```
/// use pw_runtime::{SourceCheck, Source};
///
/// let check = SourceCheck::default()
///     .allow("198.51.100.0/24")?
///     .trust_proxies("10.0.0.0/8".parse()?);
///
/// let direct = Source::peer("174.36.92.186".parse()?);
/// assert!(check.check(&direct).is_ok());
///
/// let proxied = Source::peer("10.0.0.2".parse()?).with_x_forwarded_for("1.1.1.1, 198.51.100.9, 10.0.0.1");
/// assert_eq!(check.check(&proxied)?, "198.51.100.9".parse::<std::net::IpAddr>()?);
///
/// let spoofed = Source::peer("1.1.1.1".parse()?).with_x_forwarded_for("174.36.92.186");
/// assert!(check.check(&spoofed).is_err(), "headers from an untrusted peer are ignored");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCheck(Mode);

impl Default for SourceCheck {
    fn default() -> Self {
        SourceCheck::allowing(Networks::paymentwall())
    }
}

impl Networks {
    /// Paymentwall's documented pingback sources.
    ///
    /// ```
    /// let nets = pw_runtime::Networks::paymentwall();
    /// assert!(nets.contains("216.127.71.77".parse().unwrap()));
    /// assert!(!nets.contains("216.127.72.1".parse().unwrap()));
    /// ```
    pub fn paymentwall() -> Self {
        PAYMENTWALL_SOURCES
            .iter()
            .map(|net| net.parse::<IpNet>().expect("documented sources parse"))
            .fold(Networks::empty(), |mut nets, net| {
                nets.push(net);
                nets
            })
    }
}

impl SourceCheck {
    /// Allows exactly `allowed`, replacing Paymentwall's list.
    ///
    /// ```
    /// use pw_runtime::{Networks, Source, SourceCheck};
    /// let check = SourceCheck::allowing("203.0.113.0/24".parse().unwrap());
    /// assert!(check.check(&Source::peer("174.36.92.186".parse().unwrap())).is_err());
    /// ```
    pub fn allowing(allowed: Networks) -> Self {
        SourceCheck(Mode::Enforce {
            allowed,
            proxies: Networks::empty(),
            header: ForwardedHeader::default(),
        })
    }

    /// Turns the check off: every source is allowed. For a listener on a
    /// developer's machine; never the default.
    ///
    /// ```
    /// use pw_runtime::{Source, SourceCheck};
    /// let check = SourceCheck::disabled_for_local_development();
    /// assert!(check.check(&Source::peer("127.0.0.1".parse().unwrap())).is_ok());
    /// assert!(check.is_disabled());
    /// ```
    pub fn disabled_for_local_development() -> Self {
        SourceCheck(Mode::Disabled)
    }

    /// True when the check was turned off.
    ///
    /// ```
    /// assert!(!pw_runtime::SourceCheck::default().is_disabled());
    /// ```
    pub fn is_disabled(&self) -> bool {
        self.0 == Mode::Disabled
    }

    /// Adds a network to the allow-list (no effect when disabled).
    ///
    /// # Errors
    ///
    /// [`InvalidNetwork`] when `network` does not parse.
    ///
    /// ```
    /// let check = pw_runtime::SourceCheck::default().allow("2001:db8::/32")?;
    /// # Ok::<(), pw_runtime::InvalidNetwork>(())
    /// ```
    pub fn allow(mut self, network: &str) -> Result<Self, InvalidNetwork> {
        let network = Networks::parse_network(network)?;
        if let Mode::Enforce { allowed, .. } = &mut self.0 {
            allowed.push(network);
        }
        Ok(self)
    }

    /// Believes the `X-Forwarded-For` header of requests whose direct peer
    /// is inside `proxies` (no effect when disabled).
    ///
    /// ```
    /// let check = pw_runtime::SourceCheck::default().trust_proxies("10.0.0.0/8".parse().unwrap());
    /// ```
    pub fn trust_proxies(self, proxies: Networks) -> Self {
        self.trust_proxies_with(proxies, ForwardedHeader::XForwardedFor)
    }

    /// Believes `header` of requests whose direct peer is inside `proxies`.
    ///
    /// ```
    /// use pw_runtime::{ForwardedHeader, Source, SourceCheck};
    /// let check = SourceCheck::default()
    ///     .trust_proxies_with("10.0.0.0/8".parse().unwrap(), ForwardedHeader::Forwarded);
    /// let source = Source::peer("10.0.0.1".parse().unwrap())
    ///     .with_forwarded(r#"for=174.36.92.186;proto=https, for="10.0.0.3:8080""#);
    /// assert!(check.check(&source).is_ok());
    /// ```
    pub fn trust_proxies_with(mut self, proxies: Networks, header: ForwardedHeader) -> Self {
        if let Mode::Enforce {
            proxies: trusted,
            header: which,
            ..
        } = &mut self.0
        {
            *trusted = proxies;
            *which = header;
        }
        self
    }

    /// Checks a source and returns the client address it resolved (the peer
    /// itself when the check is disabled).
    ///
    /// # Errors
    ///
    /// [`SourceRejection`]: the client address is not allowed, or a trusted
    /// proxy's header is malformed.
    ///
    /// ```
    /// use pw_runtime::{Source, SourceCheck, SourceRejection};
    /// let peer = "1.2.3.4".parse().unwrap();
    /// assert_eq!(
    ///     SourceCheck::default().check(&Source::peer(peer)),
    ///     Err(SourceRejection::NotAllowed { address: peer }),
    /// );
    /// ```
    pub fn check(&self, source: &Source<'_>) -> Result<IpAddr, SourceRejection> {
        let Mode::Enforce {
            allowed,
            proxies,
            header,
        } = &self.0
        else {
            return Ok(source.peer.to_canonical());
        };
        let client = client_address(source, proxies, *header)?;
        if allowed.contains(client) {
            Ok(client)
        } else {
            Err(SourceRejection::NotAllowed { address: client })
        }
    }
}

/// The client address: the peer, or when the peer is a trusted proxy, the
/// rightmost hop of its header that is not a trusted proxy (the leftmost
/// hop when all are trusted).
fn client_address(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn behind(proxies: &str) -> SourceCheck {
        SourceCheck::default().trust_proxies(proxies.parse().unwrap())
    }

    #[test]
    fn documented_addresses_and_range_are_allowed_by_default() {
        let check = SourceCheck::default();
        for allowed in [
            "174.36.92.186",
            "174.36.92.187",
            "174.36.92.192",
            "174.36.96.66",
            "174.37.14.28",
            "216.127.71.0",
            "216.127.71.255",
            "::ffff:174.36.92.186",
        ] {
            assert_eq!(
                check.check(&Source::peer(ip(allowed))),
                Ok(ip(allowed).to_canonical()),
                "{allowed}"
            );
        }
        for refused in [
            "174.36.92.185",
            "216.127.72.1",
            "127.0.0.1",
            "10.0.0.1",
            "::1",
            "1.2.3.4",
        ] {
            assert_eq!(
                check.check(&Source::peer(ip(refused))),
                Err(SourceRejection::NotAllowed {
                    address: ip(refused)
                }),
                "{refused}"
            );
        }
    }

    #[test]
    fn allow_list_is_replaceable_and_extendable_with_ipv6() {
        let replaced = SourceCheck::allowing("2001:db8::/32".parse().unwrap());
        assert!(replaced.check(&Source::peer(ip("2001:db8::5"))).is_ok());
        assert!(replaced.check(&Source::peer(ip("174.36.92.186"))).is_err());
        let extended = SourceCheck::default().allow("203.0.113.0/25").unwrap();
        assert!(extended.check(&Source::peer(ip("203.0.113.127"))).is_ok());
        assert!(extended.check(&Source::peer(ip("203.0.113.128"))).is_err());
        assert!(extended.check(&Source::peer(ip("174.36.92.186"))).is_ok());
        assert!(SourceCheck::default().allow("not an address").is_err());
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_peers() {
        let check = behind("10.0.0.0/8");
        let spoofed = Source::peer(ip("1.2.3.4")).with_x_forwarded_for("174.36.92.186");
        assert_eq!(
            check.check(&spoofed),
            Err(SourceRejection::NotAllowed {
                address: ip("1.2.3.4")
            })
        );
        let trusted = Source::peer(ip("10.0.0.1")).with_x_forwarded_for("174.36.92.186");
        assert_eq!(check.check(&trusted), Ok(ip("174.36.92.186")));
    }

    #[test]
    fn rightmost_untrusted_hop_is_the_client() {
        let check = behind("10.0.0.0/8, fd00::/8");
        let chain = Source::peer(ip("10.0.0.9"))
            .with_x_forwarded_for("174.36.92.186, 6.6.6.6 , 10.1.1.1, fd00::1");
        assert_eq!(
            check.check(&chain),
            Err(SourceRejection::NotAllowed {
                address: ip("6.6.6.6")
            })
        );
        let prepended =
            Source::peer(ip("10.0.0.9")).with_x_forwarded_for("6.6.6.6, 174.36.92.186:443");
        assert_eq!(check.check(&prepended), Ok(ip("174.36.92.186")));
        let all_trusted = Source::peer(ip("10.0.0.9")).with_x_forwarded_for("10.0.0.1, 10.0.0.2");
        assert_eq!(
            check.check(&all_trusted),
            Err(SourceRejection::NotAllowed {
                address: ip("10.0.0.1")
            })
        );
        let no_header = Source::peer(ip("10.0.0.9"));
        assert_eq!(
            check.check(&no_header),
            Err(SourceRejection::NotAllowed {
                address: ip("10.0.0.9")
            })
        );
    }

    #[test]
    fn malformed_hop_from_a_trusted_proxy_is_refused() {
        let check = behind("10.0.0.0/8");
        for header in ["garbage", "174.36.92.186, , 10.0.0.1", "unknown"] {
            let source = Source::peer(ip("10.0.0.9")).with_x_forwarded_for(header);
            assert_eq!(
                check.check(&source),
                Err(SourceRejection::MalformedHeader {
                    header: "X-Forwarded-For",
                    peer: ip("10.0.0.9")
                }),
                "{header}"
            );
        }
    }

    #[test]
    fn forwarded_header_is_read_only_when_chosen() {
        let proxies: Networks = "10.0.0.0/8".parse().unwrap();
        let source = Source::peer(ip("10.0.0.9"))
            .with_forwarded(r#"for=174.36.92.186, For="[2001:db8::1]:80";proto=https"#)
            .with_x_forwarded_for("174.36.92.186");
        let xff = SourceCheck::default().trust_proxies(proxies.clone());
        assert_eq!(xff.check(&source), Ok(ip("174.36.92.186")));
        let fwd =
            SourceCheck::default().trust_proxies_with(proxies.clone(), ForwardedHeader::Forwarded);
        assert_eq!(
            fwd.check(&source),
            Err(SourceRejection::NotAllowed {
                address: ip("2001:db8::1")
            })
        );
        let fwd_ok = Source::peer(ip("10.0.0.9")).with_forwarded("for=174.36.92.186;by=10.0.0.9");
        assert_eq!(fwd.check(&fwd_ok), Ok(ip("174.36.92.186")));
        let hidden = Source::peer(ip("10.0.0.9")).with_forwarded("for=_hidden");
        assert!(matches!(
            fwd.check(&hidden),
            Err(SourceRejection::MalformedHeader { .. })
        ));
    }

    #[test]
    fn disabled_allows_everything_and_ignores_additions() {
        let check = SourceCheck::disabled_for_local_development()
            .allow("10.0.0.0/8")
            .unwrap();
        assert!(check.is_disabled());
        assert_eq!(
            check.check(&Source::peer(ip("127.0.0.1"))),
            Ok(ip("127.0.0.1"))
        );
    }
}
