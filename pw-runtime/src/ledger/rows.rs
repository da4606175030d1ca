//! Rows read back from a store, as the ledger's types.

use std::time::SystemTime;

use super::Quarantined;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use crate::kinds::PingbackType;
use crate::kinds::UniqueRef;

/// The pingback type of a kind column.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub(crate) fn kind_of(kind: i64) -> PingbackType {
    PingbackType::from_code(u32::try_from(kind).unwrap_or(u32::MAX))
}

/// A quarantine entry read back from a store; an address that no longer
/// parses reads as the unspecified address (a replay's source check then
/// refuses it).
pub(crate) fn quarantined_row(
    id: UniqueRef,
    query: String,
    client: &str,
    error: String,
    (first_seen, last_seen): (SystemTime, SystemTime),
    attempts: i64,
) -> Quarantined {
    let client = client
        .parse()
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    Quarantined::new(id, query, client, error, last_seen)
        .seen_before(first_seen, u64::try_from(attempts).unwrap_or(1))
}
