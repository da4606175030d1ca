//! Cost of the verification entry point on a realistic digital-goods
//! pingback with five custom parameters, against its floor: the bare digest
//! (MD5 for version 2, SHA-256 for version 3) of the same base string.
//! `verify_v3_extra/N` and `floor_sha256_extra/N` repeat the pair with `N`
//! more custom parameters, for the cost of each parameter.

use std::hint::black_box;

use criterion::{criterion_main, Criterion};
use md5::Md5;
use pw_runtime::signature::{self, sign_pingback};
use pw_runtime::{
    ApiType, CountryCode, Currency, Decimal, Delivery, Limits, Params, Pingback, SecretKey,
    SignatureVersion, Source, Verifier,
};
use sha2::{Digest, Sha256};

const SECRET: &str = "a7408723eaf4bfa2e3ac49b3cb695046";

/// A pingback as Paymentwall sends it for a subscription bought with a
/// card, with five custom parameters configured in the project settings.
const PINGBACK: [(&str, &str); 12] = [
    ("uid", "user_84213"),
    ("goodsid", "gold_membership"),
    ("slength", "1"),
    ("speriod", "month"),
    ("type", "0"),
    ("ref", "b1493096790"),
    ("is_test", "1"),
    ("REVENUE_LOCAL", "9.99"),
    ("CURRENCY_CODE", "USD"),
    ("PAYMENT_DATETIME_UTC", "2026-11-21 10:20:30"),
    ("SUBSCRIPTION_ID", "sub_0f3a9c1e"),
    ("campaign", "black friday 50% off"),
];

/// The pingback above with a sixth custom parameter, for the cost of the
/// typed decode on top of verification.
fn pingback_six() -> Vec<(&'static str, &'static str)> {
    let mut pairs = PINGBACK.to_vec();
    pairs.push(("COUNTRY_CODE", "US"));
    pairs
}

/// Six custom parameters of five value kinds.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
#[allow(dead_code)]
struct Subscription {
    #[pingback(system = "REVENUE_LOCAL", param = "REVENUE_LOCAL")]
    revenue: Decimal,
    #[pingback(system = "CURRENCY_CODE", param = "CURRENCY_CODE")]
    currency: Currency,
    #[pingback(system = "PAYMENT_DATETIME_UTC", param = "PAYMENT_DATETIME_UTC")]
    paid: pw_runtime::time::OffsetDateTime,
    #[pingback(system = "SUBSCRIPTION_ID", param = "SUBSCRIPTION_ID")]
    subscription: Option<String>,
    #[pingback(own)]
    campaign: String,
    #[pingback(system = "COUNTRY_CODE", param = "COUNTRY_CODE")]
    country: CountryCode,
}

/// The pingback above with `extra` more custom parameters, each named and
/// valued like a typical one (`order_note_07=gift+card+07`).
fn pingback_with(extra: usize) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = PINGBACK
        .iter()
        .map(|&(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    pairs.extend((1..=extra).map(|i| (format!("order_note_{i:02}"), format!("gift card {i:02}"))));
    pairs
}

fn bench(c: &mut Criterion) {
    let secret = SecretKey::new(SECRET);
    let peer = "216.127.71.20".parse().unwrap();
    let verifier = Verifier::new(ApiType::DigitalGoods, secret.clone());
    let mut group = c.benchmark_group("verify");
    for version in [SignatureVersion::V2, SignatureVersion::V3] {
        let query = sign_pingback(ApiType::DigitalGoods, version, &secret, PINGBACK).unwrap();
        let params = Params::parse(query.as_bytes(), &Limits::default()).unwrap();
        let base = signature::base_string(ApiType::DigitalGoods, version, &params) + SECRET;
        assert!(verifier
            .verify(query.as_bytes(), &Source::peer(peer))
            .is_ok());
        let v = version.number();
        if v == 2 {
            group.bench_function("floor_md5", |b| {
                b.iter(|| Md5::digest(black_box(base.as_bytes())))
            });
        } else {
            group.bench_function("floor_sha256", |b| {
                b.iter(|| Sha256::digest(black_box(base.as_bytes())))
            });
        }
        group.bench_function(format!("parse_v{v}"), |b| {
            b.iter(|| Params::parse(black_box(query.as_bytes()), &Limits::default()).unwrap())
        });
        group.bench_function(format!("verify_v{v}"), |b| {
            b.iter(|| {
                verifier
                    .verify(black_box(query.as_bytes()), &Source::peer(peer))
                    .unwrap()
            })
        });
        println!(
            "v{v}: query {} bytes, base string {} bytes",
            query.len(),
            base.len()
        );
    }
    let query = sign_pingback(
        ApiType::DigitalGoods,
        SignatureVersion::V3,
        &secret,
        pingback_six(),
    )
    .unwrap();
    let verified = verifier
        .verify(query.as_bytes(), &Source::peer(peer))
        .unwrap();
    assert!(Delivery::<Subscription>::decode(verified.clone()).is_ok());
    group.bench_function("verify_six_custom_v3", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(query.as_bytes()), &Source::peer(peer))
                .unwrap()
        })
    });
    group.bench_function("decode_six_custom", |b| {
        b.iter(|| Subscription::from_params(black_box(verified.params())).unwrap())
    });
    for extra in [5, 10, 20] {
        let query = sign_pingback(
            ApiType::DigitalGoods,
            SignatureVersion::V3,
            &secret,
            pingback_with(extra),
        )
        .unwrap();
        let params = Params::parse(query.as_bytes(), &Limits::default()).unwrap();
        let base =
            signature::base_string(ApiType::DigitalGoods, SignatureVersion::V3, &params) + SECRET;
        assert!(verifier
            .verify(query.as_bytes(), &Source::peer(peer))
            .is_ok());
        group.bench_function(format!("floor_sha256_extra/{extra}"), |b| {
            b.iter(|| Sha256::digest(black_box(base.as_bytes())))
        });
        group.bench_function(format!("verify_v3_extra/{extra}"), |b| {
            b.iter(|| {
                verifier
                    .verify(black_box(query.as_bytes()), &Source::peer(peer))
                    .unwrap()
            })
        });
    }
    group.finish();
}

mod group {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(group::benches);
