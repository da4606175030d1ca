//! Pingback and widget signatures: base strings, digests, constant-time
//! verification, signing, and the version policy.
//!
//! - Version 1: MD5 of a fixed subset of parameters (see
//!   [`ApiType::version1_parameters`](pw_catalog::ApiType::version1_parameters)) then the secret. It does not cover
//!   custom parameters, `is_test` or `reason`.
//! - Version 2: MD5 of every parameter but `sig`, in signing order, each as
//!   `name=value`, then the secret. Array elements are written
//!   `name[key]=value` at the place of `name`, keys ascending. Signing order
//!   is the official library's (PHP's `ksort` of names, then of each
//!   array's keys: numbers compared as numbers, anything else as bytes),
//!   made deterministic where PHP's is not defined (see `signing_order`).
//! - Version 3: version 2 with SHA-256.
//!
//! Cart pingbacks are always version 2: as Paymentwall's libraries do, a cart
//! pingback without `sign_version` is verified as if it carried
//! `sign_version=2`.

mod base;
mod check;
mod digest;
mod error;
mod policy;
mod sign;
mod version;
mod widget;

pub use base::base_string;
pub(crate) use check::check;
pub use check::check_pingback;
pub use error::SignatureError;
pub use policy::VersionPolicy;
pub use sign::{pingback_signature, sign_pingback, SignError};
pub use version::SignatureVersion;
pub use widget::{widget_base_string, widget_signature};

#[cfg(test)]
mod tests;
