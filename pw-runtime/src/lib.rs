//! # pw-runtime
//!
//! Typed, verified, exactly-once Paymentwall pingbacks.
//!
//! This crate is everything pw does at run time: the strict parameter parser
//! ([`Params`]), the pingback and widget signatures ([`signature`]), the
//! source address allow-list ([`SourceCheck`]), the pingback kinds as types
//! ([`PingbackType`], [`ChargebackReason`], [`UniqueRef`]) and the one
//! verification entry point that combines them ([`Verifier`]), and the
//! delivery [`ledger`] that handles each pingback exactly once.
//!
//! ```
//! use pw_runtime::{ApiType, Source, Verifier};
//!
//! let verifier = Verifier::new(ApiType::DigitalGoods, "a7408723eaf4bfa2e3ac49b3cb695046");
//! let query = "uid=test_user&goodsid=test_product&slength=5&speriod=month&type=0&ref=t123\
//!              &is_test=1&sign_version=2&sig=754cff93c0eb859f6054bef143ad253c";
//! let peer = "174.36.92.186".parse().unwrap();
//! match verifier.verify(query.as_bytes(), &Source::peer(peer)) {
//!     Ok(pingback) => println!("deliver {} to {}", pingback.unique_ref(), pingback.envelope().uid),
//!     Err(rejection) => println!("HTTP {}: {rejection}", rejection.status()),
//! }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod allowlist;
#[doc = include_str!("docs/architecture.md")]
pub mod architecture {}
pub mod catalog;
mod codes;
mod deadline;
mod delivery;
mod envelope;
pub mod handler;
pub mod http;
mod kinds;
pub mod ledger;
pub mod listener;
mod params;
mod schema;
mod secret;
pub mod signature;
mod signing_order;
mod standard;
#[cfg(feature = "testing")]
pub mod testing;
mod timer;
pub mod value;
mod verify;
pub mod widget;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use allowlist::{
    ForwardedHeader, InvalidNetwork, Networks, Source, SourceCheck, SourceRejection,
    PAYMENTWALL_SOURCES,
};
pub use codes::{CountryCode, Currency, UnknownCountryCode};
pub use delivery::{Delivery, OriginalPayment, RecordedReversal};
pub use envelope::{Envelope, EnvelopeError, Goods};
pub use handler::{DeliveryKind, Grant, HandledBy, HandlerError, Notice, RefHistory, Reversal};
pub use kinds::{
    ChargebackReason, ChargebackType, InvalidChargebackType, InvalidPeriod, InvalidReference,
    InvalidUniqueRef, PingbackType, Reference, SubscriptionPeriod, UniqueRef,
};
pub use params::{Limits, Param, Params, ParamsError};
pub use pw_catalog::{ApiType, UnknownApiType};
pub use pw_derive::Pingback;
pub use rust_decimal::Decimal;
pub use schema::{DecodeError, Pingback, Setting, SettingValue, SettingsTable, SHOWN_VALUE_CHARS};
pub use secret::SecretKey;
pub use signature::{SignatureError, SignatureVersion, VersionPolicy};
pub use time;
pub use verify::{Rejection, VerifiedPingback, Verifier, VerifierBuilder};
pub use widget::{OwnParams, WidgetCall, WidgetError};

/// The examples of `README.md`, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
