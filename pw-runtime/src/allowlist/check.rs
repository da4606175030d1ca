//! [`SourceCheck`]: the allow-list, the trusted proxies and the switch that
//! turns the check off, and why a source was refused ([`SourceRejection`]).

use std::net::IpAddr;

use super::forwarded::client_address;
use super::{ForwardedHeader, InvalidNetwork, Networks, Source};

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
/// The default allows Paymentwall's documented sources
/// ([`PAYMENTWALL_SOURCES`](super::PAYMENTWALL_SOURCES)) and trusts no
/// proxy, so the client is the direct peer. Behind a proxy,
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
    #[inline]
    pub fn check(&self, source: &Source<'_>) -> Result<IpAddr, SourceRejection> {
        let Mode::Enforce {
            allowed,
            proxies,
            header,
        } = &self.0
        else {
            return Ok(source.peer.to_canonical());
        };
        // With no trusted proxy, the client is the peer: no look at the
        // headers, and no search of an empty list.
        let client = if proxies.is_empty() {
            source.peer.to_canonical()
        } else {
            client_address(source, proxies, *header)?
        };
        if allowed.contains_canonical(client) {
            Ok(client)
        } else {
            Err(SourceRejection::NotAllowed { address: client })
        }
    }
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
