//! [`Networks`]: a set of IPv4 and IPv6 ranges, and Paymentwall's documented
//! pingback sources.

use std::fmt;
use std::net::IpAddr;
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

/// `(network, mask)` of a place in a group of four IPv4 networks that holds
/// none: no address masked by 0 is 1.
const NO_NETWORK: (u32, u32) = (1, 0);

/// True when `bits & mask == network` for one of the `groups` (see
/// [`Networks`]), four networks at a time with SSE2 (`safe_arch`): the six
/// documented sources in two steps without a branch a network (about 9
/// instructions fewer per pingback from 216.127.71.0/24, the last of them,
/// than one network at a time).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
fn contains_v4(groups: &[[[u32; 4]; 2]], bits: u32) -> bool {
    use safe_arch::{cmp_eq_mask_i32_m128i, m128i, move_mask_i8_m128i, set_splat_i32_m128i};
    let address = set_splat_i32_m128i(i32::from_ne_bytes(bits.to_ne_bytes()));
    let mut found = m128i::default();
    for &[networks, masks] in groups {
        found |= cmp_eq_mask_i32_m128i(address & m128i::from(masks), m128i::from(networks));
    }
    move_mask_i8_m128i(found) != 0
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline]
fn contains_v4(groups: &[[[u32; 4]; 2]], bits: u32) -> bool {
    groups
        .iter()
        .any(|[networks, masks]| (0..4).any(|i| bits & masks[i] == networks[i]))
}

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
    /// The IPv4 networks four at a time, `[networks, masks]`, for a check
    /// without branches; the last group is filled up with [`NO_NETWORK`].
    v4: Vec<[[u32; 4]; 2]>,
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

    /// Adds one parsed network (already truncated to its prefix).
    pub(super) fn push(&mut self, net: IpNet) {
        match net {
            IpNet::V4(v4) => {
                let (network, mask) = (v4.network().to_bits(), v4.netmask().to_bits());
                // The places taken: those of the last group that do not
                // hold `NO_NETWORK`, which no network truncated to its mask
                // is (a mask of 0 leaves network 0).
                let count = self.v4.last().map_or(0, |[networks, masks]| {
                    let taken = (0..4)
                        .filter(|&i| (networks[i], masks[i]) != NO_NETWORK)
                        .count();
                    (self.v4.len() - 1) * 4 + taken
                });
                if count.is_multiple_of(4) {
                    self.v4.push([[NO_NETWORK.0; 4], [NO_NETWORK.1; 4]]);
                }
                let group = self.v4.last_mut().expect("a group was pushed");
                group[0][count % 4] = network;
                group[1][count % 4] = mask;
            }
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
        self.contains_canonical(address.to_canonical())
    }

    /// True when no network was added.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// [`Networks::contains`] of an address already canonical (an IPv4
    /// address mapped in IPv6 given as IPv4).
    #[inline]
    pub(super) fn contains_canonical(&self, address: IpAddr) -> bool {
        match address {
            IpAddr::V4(v4) => contains_v4(&self.v4, v4.to_bits()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use ipnet::Ipv4Net;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    proptest! {
        /// Four networks at a time find what one network at a time finds,
        /// for any number of networks (groups full or not) and addresses
        /// inside, at the edge of, or outside them.
        #[test]
        fn an_address_is_inside_when_one_network_holds_it(
            nets in prop::collection::vec((any::<u32>(), 0..=32u8), 0..14),
            address in any::<u32>(),
            pick in any::<(prop::sample::Index, u32)>(),
        ) {
            let mut networks = Networks::empty();
            networks.extend(nets.iter().map(|&(bits, prefix)| {
                IpNet::V4(Ipv4Net::new(Ipv4Addr::from_bits(bits), prefix).unwrap())
            }));
            let mut candidates = vec![address, 0, u32::MAX, 1];
            if !nets.is_empty() {
                // Near a network: its first address, moved by a few bits.
                let (bits, _) = nets[pick.0.index(nets.len())];
                candidates.extend([bits, bits ^ (pick.1 & 0xFF), bits ^ pick.1]);
            }
            for bits in candidates {
                let address = IpAddr::V4(Ipv4Addr::from_bits(bits));
                let reference = networks.iter().any(|net| net.contains(&address));
                prop_assert_eq!(networks.contains(address), reference, "{}", address);
            }
        }
    }

    #[test]
    fn an_empty_place_in_a_group_holds_no_address() {
        let networks: Networks = "10.0.0.0/8".parse().unwrap();
        for address in ["0.0.0.0", "0.0.0.1", "255.255.255.255", "10.255.0.1"] {
            let address: IpAddr = address.parse().unwrap();
            assert_eq!(
                networks.contains(address),
                address.to_string() == "10.255.0.1"
            );
        }
    }
}
