//! Verification on arbitrary bytes, for every API type, with verifiers of
//! minimum version 1, 2 and 3, and fuzzed forwarding headers behind a
//! trusted proxy or none: never a panic, and whatever is accepted is
//! consistent (its signature checks, its envelope reads).
//!
//! Input: one byte of settings, then three lines (`X-Forwarded-For`,
//! `Forwarded`, the peer address; an empty line is an absent header, an
//! unreadable address is Paymentwall's), then the query or body.
//!
//! The settings byte: bits 0-1 the API type (3 is cart again), bits 2-3 the
//! minimum version (0 is 1), bits 4-5 the trusted proxy (none, 10.0.0.0/8
//! writing X-Forwarded-For, or writing Forwarded, or every address
//! writing X-Forwarded-For), bit 6 tight limits.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pw_runtime::signature::{self, VersionPolicy};
use pw_runtime::{
    ApiType, ForwardedHeader, Limits, Networks, SecretKey, SignatureVersion, Source, SourceCheck,
    Verifier,
};

const SECRET: &str = "a7408723eaf4bfa2e3ac49b3cb695046";

fn line(input: &[u8]) -> (&[u8], &[u8]) {
    match input.iter().position(|&b| b == b'\n') {
        Some(end) => (&input[..end], &input[end + 1..]),
        None => (input, &[]),
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&settings, rest)) = input.split_first() else {
        return;
    };
    let (xff, rest) = line(rest);
    let (forwarded, rest) = line(rest);
    let (peer, query) = line(rest);
    let text = |bytes: &[u8]| -> Option<String> {
        (!bytes.is_empty()).then(|| String::from_utf8_lossy(bytes).into_owned())
    };
    let (xff, forwarded) = (text(xff), text(forwarded));
    let peer = std::str::from_utf8(peer)
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| "174.36.92.186".parse().unwrap());

    let api = [ApiType::VirtualCurrency, ApiType::DigitalGoods, ApiType::Cart, ApiType::Cart]
        [usize::from(settings & 3)];
    let minimum = SignatureVersion::from_number(((settings >> 2) & 3).max(1)).unwrap();
    let proxies = |network: &str| Networks::empty().with(network).unwrap();
    let check = match (settings >> 4) & 3 {
        0 => SourceCheck::default(),
        1 => SourceCheck::default().trust_proxies(proxies("10.0.0.0/8")),
        2 => SourceCheck::default()
            .trust_proxies_with(proxies("10.0.0.0/8"), ForwardedHeader::Forwarded),
        _ => SourceCheck::default().trust_proxies(proxies("0.0.0.0/0")),
    };
    let limits = if settings & 64 != 0 {
        Limits {
            max_parameters: 8,
            max_bytes: 256,
        }
    } else {
        Limits::default()
    };
    let verifier = Verifier::builder(api, SECRET)
        .minimum_version(minimum)
        .source_check(check.clone())
        .limits(limits)
        .build();
    let source = Source {
        peer,
        x_forwarded_for: xff.as_deref(),
        forwarded: forwarded.as_deref(),
    };
    let _ = check.check(&source);
    match verifier.verify(query, &source) {
        Ok(pingback) => {
            // Accepted: the signature checks on its own, and every accessor works.
            let policy = VersionPolicy::minimum(minimum);
            let secret = SecretKey::new(SECRET);
            assert_eq!(
                signature::check_pingback(api, pingback.params(), &secret, policy),
                Ok(pingback.sign_version())
            );
            let _ = (pingback.envelope(), pingback.unique_ref(), pingback.client_address());
        }
        Err(rejection) => {
            let _ = (rejection.status(), rejection.to_string());
        }
    }
});
