//! Structure-aware mutations of correctly signed pingbacks, with a forgery
//! oracle: the harness signs a pingback (any API, version 1, 2 or 3), then
//! changes it as an attacker could (values, names, order, repeats, arrays,
//! encodings, raw bytes, the signature itself); whatever the verifier then
//! accepts must carry the base string that was signed, in the version that
//! was signed. Anything else would be a forgery.

#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use pw_runtime::signature::{self, sign_pingback, VersionPolicy};
use pw_runtime::{ApiType, Limits, Params, SecretKey, SignatureVersion, Source, Verifier};

const SECRET: &str = "4f8b3c2a1d9e7f6a5b4c3d2e1f0a9b8c";

#[derive(Debug, Arbitrary)]
struct Input {
    api: u8,
    version: u8,
    uid: String,
    reference: String,
    kind: u8,
    goods: Vec<String>,
    subscription: Option<(i16, u8)>,
    is_test: bool,
    customs: Vec<(String, String)>,
    mutations: Vec<Mutation>,
}

#[derive(Debug, Arbitrary)]
enum Mutation {
    /// A new value for a parameter.
    Value { pick: u8, value: String },
    /// A new name for a parameter.
    Rename { pick: u8, name: String },
    /// A parameter left out.
    Remove { pick: u8 },
    /// A parameter repeated, with another value.
    Repeat { pick: u8, value: String },
    /// A new parameter.
    Insert { at: u8, name: String, value: String },
    /// Two parameters swap places (the signature does not depend on order).
    Swap { a: u8, b: u8 },
    /// Two parameters swap values.
    SwapValues { a: u8, b: u8 },
    /// A parameter becomes an array element, or the other way round.
    Array { pick: u8, key: String },
    /// Part of a value moves to the next parameter's value (same bytes, other split).
    Shift { pick: u8, count: u8 },
    /// The signature in capitals, cut, or extended.
    Signature { how: u8 },
    /// The `sign_version` claimed changes.
    Version { value: String },
    /// A raw byte of the encoded query flips.
    Flip { at: u16, bit: u8 },
    /// Raw bytes inserted into the encoded query.
    Bytes { at: u16, bytes: Vec<u8> },
}

const KINDS: [&str; 11] = ["0", "1", "2", "12", "13", "14", "200", "201", "202", "203", "77"];

/// Encodes pairs with one of several encodings of the same text.
fn encode(pairs: &[(String, String)], style: u8) -> String {
    let mut query = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            query.push('&');
        }
        for (part, text) in [(0, name), (1, value)] {
            if part == 1 {
                query.push('=');
            }
            for (j, byte) in text.bytes().enumerate() {
                let plain = byte.is_ascii_alphanumeric() || b"-._~".contains(&byte);
                let escape = !plain || (style & 1 == 1 && (i + j) % 3 == 0);
                match byte {
                    b' ' if style & 2 == 0 => query.push('+'),
                    _ if escape && style & 4 == 0 => query.push_str(&format!("%{byte:02X}")),
                    _ if escape => query.push_str(&format!("%{byte:02x}")),
                    _ => query.push(char::from(byte)),
                }
            }
        }
    }
    query
}

fn decode(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

fn at(len: usize, pick: u8) -> Option<usize> {
    (len > 0).then(|| usize::from(pick) % len)
}

fuzz_target!(|input: Input| {
    let api = [ApiType::VirtualCurrency, ApiType::DigitalGoods, ApiType::Cart][usize::from(input.api % 3)];
    let version = match api {
        ApiType::Cart => SignatureVersion::V2,
        _ => SignatureVersion::from_number(input.version % 3 + 1).unwrap(),
    };
    let mut pairs = vec![
        ("uid".to_owned(), input.uid),
        ("ref".to_owned(), input.reference),
        ("type".to_owned(), KINDS[usize::from(input.kind) % KINDS.len()].to_owned()),
    ];
    match api {
        ApiType::VirtualCurrency => pairs.push(("currency".into(), "100".into())),
        ApiType::DigitalGoods => {
            pairs.push(("goodsid".into(), input.goods.first().cloned().unwrap_or_default()));
            let (length, period) = match input.subscription {
                Some((length, period)) => (length.to_string(), ["day", "week", "month", "year"][usize::from(period % 4)]),
                None => (String::new(), ""),
            };
            pairs.push(("slength".into(), length));
            pairs.push(("speriod".into(), period.into()));
        }
        ApiType::Cart => pairs.extend(
            input.goods.iter().take(40).enumerate().map(|(i, g)| (format!("goodsid[{i}]"), g.clone())),
        ),
    }
    if input.is_test {
        pairs.push(("is_test".into(), "1".into()));
    }
    pairs.extend(input.customs.into_iter().take(40));

    let secret = SecretKey::new(SECRET);
    let Ok(signed_query) = sign_pingback(api, version, &secret, pairs.iter().map(|(n, v)| (n, v))) else {
        return; // a name the parser rejects cannot be signed
    };
    let unlimited = Limits { max_parameters: 100_000, max_bytes: 1 << 24 };
    let signed = Params::parse(signed_query.as_bytes(), &unlimited).expect("a signed query parses");
    let signed_base = signature::base_string(api, version, &signed);
    let policy = VersionPolicy::minimum(SignatureVersion::V1);
    assert_eq!(
        signature::check_pingback(api, &signed, &secret, policy),
        Ok(version),
        "a signed pingback is not accepted: {signed_query}"
    );

    let mut received = decode(&signed_query);
    let mut style = 0u8;
    let mut raw: Vec<(usize, Option<u8>, Vec<u8>)> = Vec::new();
    for mutation in input.mutations.into_iter().take(8) {
        let len = received.len();
        match mutation {
            Mutation::Value { pick, value } => {
                if let Some(i) = at(len, pick) {
                    received[i].1 = value;
                }
            }
            Mutation::Rename { pick, name } => {
                if let Some(i) = at(len, pick) {
                    received[i].0 = name;
                }
            }
            Mutation::Remove { pick } => {
                if let Some(i) = at(len, pick) {
                    received.remove(i);
                }
            }
            Mutation::Repeat { pick, value } => {
                if let Some(i) = at(len, pick) {
                    let name = received[i].0.clone();
                    received.insert(i, (name, value));
                }
            }
            Mutation::Insert { at: place, name, value } => {
                received.insert(usize::from(place) % (len + 1), (name, value));
            }
            Mutation::Swap { a, b } => {
                if let (Some(a), Some(b)) = (at(len, a), at(len, b)) {
                    received.swap(a, b);
                }
            }
            Mutation::SwapValues { a, b } => {
                if let (Some(a), Some(b)) = (at(len, a), at(len, b)) {
                    let value = std::mem::take(&mut received[a].1);
                    received[a].1 = std::mem::replace(&mut received[b].1, value);
                }
            }
            Mutation::Array { pick, key } => {
                if let Some(i) = at(len, pick) {
                    let name = &mut received[i].0;
                    *name = match name.split_once('[') {
                        Some((base, _)) => base.to_owned(),
                        None => format!("{name}[{key}]"),
                    };
                }
            }
            Mutation::Shift { pick, count } => {
                if let Some(i) = at(len.saturating_sub(1), pick) {
                    let value = &mut received[i].1;
                    let mut cut = value.len().saturating_sub(usize::from(count));
                    while !value.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    let moved = value.split_off(cut);
                    received[i + 1].1.insert_str(0, &moved);
                }
            }
            Mutation::Signature { how } => {
                if let Some(sig) = received.iter_mut().find(|(n, _)| n == "sig") {
                    match how % 4 {
                        0 => sig.1 = sig.1.to_uppercase(),
                        1 => {
                            sig.1.pop();
                        }
                        2 => sig.1.push('0'),
                        _ => sig.1.insert(0, ' '),
                    }
                }
            }
            Mutation::Version { value } => {
                match received.iter_mut().find(|(n, _)| n == "sign_version") {
                    Some(claimed) => claimed.1 = value,
                    None => received.push(("sign_version".into(), value)),
                }
            }
            Mutation::Flip { at, bit } => raw.push((usize::from(at), Some(1 << (bit % 8)), Vec::new())),
            Mutation::Bytes { at, bytes } => raw.push((usize::from(at), None, bytes)),
        }
        style = style.wrapping_add(1);
    }
    let mut query = encode(&received, style).into_bytes();
    for (place, flip, bytes) in raw {
        if query.is_empty() {
            query.extend_from_slice(&bytes);
            continue;
        }
        let place = place % query.len();
        match flip {
            Some(bit) => query[place] ^= bit,
            None => {
                query.splice(place..place, bytes.into_iter().take(64));
            }
        }
    }

    // The oracle, on the signature check and on the whole verification.
    let accepted = |params: &Params, by: SignatureVersion| {
        let base = signature::base_string(api, by, params);
        assert_eq!(by, version, "accepted with another version: {}", String::from_utf8_lossy(&query));
        assert_eq!(base, signed_base, "forgery: {}", String::from_utf8_lossy(&query));
    };
    if let Ok(params) = Params::parse(&query, &unlimited) {
        if let Ok(by) = signature::check_pingback(api, &params, &secret, policy) {
            accepted(&params, by);
        }
    }
    let verifier = Verifier::builder(api, SECRET).minimum_version(SignatureVersion::V1).build();
    if let Ok(pingback) = verifier.verify(&query, &Source::peer("174.36.92.186".parse().unwrap())) {
        accepted(pingback.params(), pingback.sign_version());
    }
});
