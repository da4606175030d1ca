//! Signed pingbacks as Paymentwall sends them, and what a test asks of the
//! listener's answer, shared by the listener tests (`listener.rs`,
//! `order_of_arrival.rs`, `handler_contract.rs`, `leases.rs`,
//! `quarantine.rs`).

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use pw_runtime::listener::{Request, Response};
use pw_runtime::{signature, ApiType, SecretKey, SignatureVersion};

/// One of Paymentwall's documented pingback addresses.
pub const PAYMENTWALL_IP: &str = "174.36.92.186";

/// `pairs` as a Digital Goods query signed (version 2) with `secret`.
pub fn signed_query(secret: &str, pairs: &[(&str, &str)]) -> String {
    signature::sign_pingback(
        ApiType::DigitalGoods,
        SignatureVersion::V2,
        &SecretKey::new(secret),
        pairs.iter().copied(),
    )
    .unwrap()
}

/// `pairs` signed with `secret`, sent by GET from a Paymentwall address.
pub fn signed_request(secret: &str, pairs: &[(&str, &str)]) -> Request {
    Request::get(signed_query(secret, pairs), PAYMENTWALL_IP.parse().unwrap())
}

/// A pingback of the tests' `Gems` schema (`campaign` the merchant's own
/// parameter) for `reference` with type `kind`, signed with `secret`; a
/// chargeback (type 2) carries `chargeback_reason`.
pub fn gems_pingback(
    secret: &str,
    reference: &str,
    kind: u32,
    campaign: &str,
    chargeback_reason: &str,
) -> Request {
    let kind = kind.to_string();
    let mut pairs = vec![
        ("uid", "user1"),
        ("goodsid", "gems_100"),
        ("type", kind.as_str()),
        ("ref", reference),
        ("campaign", campaign),
    ];
    if kind == "2" {
        pairs.push(("reason", chargeback_reason));
    }
    signed_request(secret, &pairs)
}

/// Asserts the listener acknowledged (answered Paymentwall's `OK`).
pub fn assert_ok(response: &Response) {
    assert!(response.is_acknowledgement(), "{response:?}");
}

/// What a test handler saw, in order; clones share one record.
#[derive(Debug)]
pub struct Calls<T>(Arc<Mutex<Vec<T>>>);

impl<T> Default for Calls<T> {
    fn default() -> Self {
        Calls(Arc::default())
    }
}

impl<T> Clone for Calls<T> {
    fn clone(&self) -> Self {
        Calls(Arc::clone(&self.0))
    }
}

impl<T: Clone> Calls<T> {
    /// Every call so far.
    pub fn all(&self) -> Vec<T> {
        self.0.lock().unwrap().clone()
    }

    /// Records one more call.
    pub fn push(&self, call: T) {
        self.0.lock().unwrap().push(call);
    }
}
