//! Where a pingback may come from: the source address allow-list, the
//! trusted proxies whose forwarding headers are believed, and the explicit
//! switch that turns the check off for local development.
//!
//! One job per file:
//!
//! - `networks`: [`Networks`], a set of CIDR ranges, and Paymentwall's
//!   documented sources ([`PAYMENTWALL_SOURCES`]);
//! - `source`: [`Source`], the peer address and forwarding headers of a request;
//! - `forwarded`: [`ForwardedHeader`] and reading the client address out of a
//!   trusted proxy's header;
//! - `check`: [`SourceCheck`], the check itself, and [`SourceRejection`].

mod check;
mod forwarded;
mod networks;
mod source;

pub use check::{SourceCheck, SourceRejection};
pub use forwarded::ForwardedHeader;
pub use networks::{InvalidNetwork, Networks, PAYMENTWALL_SOURCES};
pub use source::Source;
