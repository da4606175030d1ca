//! Property tests: arbitrary input never panics, sign-then-verify always
//! succeeds, and any change to a signed name or value makes it fail.

use std::net::IpAddr;

use proptest::prelude::*;
use pw_runtime::signature::sign_pingback;
use pw_runtime::{ApiType, Limits, Params, SecretKey, SignatureVersion, Source, Verifier};

const SECRET: &str = "4f8b3c2a1d9e7f6a5b4c3d2e1f0a9b8c";

fn paymentwall() -> IpAddr {
    "216.127.71.8".parse().unwrap()
}

fn verifier(api: ApiType) -> Verifier {
    Verifier::builder(api, SECRET)
        .minimum_version(SignatureVersion::V1)
        .build()
}

const STANDARD: [&str; 13] = [
    "uid",
    "ref",
    "type",
    "goodsid",
    "slength",
    "speriod",
    "currency",
    "is_test",
    "reason",
    "sig",
    "sign_version",
    "sign",
    "key",
];

fn custom_name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_.-]{0,12}"
        .prop_filter("not a standard name", |n| !STANDARD.contains(&n.as_str()))
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[ -~]{0,16}", Just(String::new())]
}

fn non_empty_text() -> impl Strategy<Value = String> {
    text().prop_filter("non-empty", |t| !t.is_empty())
}

/// A valid pingback: (api, version, ordered pairs without sig / sign_version).
fn pingback() -> impl Strategy<Value = (ApiType, SignatureVersion, Vec<(String, String)>)> {
    let api = prop_oneof![
        Just(ApiType::VirtualCurrency),
        Just(ApiType::DigitalGoods),
        Just(ApiType::Cart)
    ];
    let kinds = prop::sample::select(vec![
        "0", "1", "2", "12", "13", "14", "200", "201", "202", "203", "77",
    ]);
    (
        api,
        1u8..=3,
        non_empty_text(),
        non_empty_text(),
        kinds,
        prop::collection::vec(non_empty_text(), 1..4),
        (
            any::<i32>(),
            prop::sample::select(vec!["", "day", "week", "month", "year"]),
        ),
        (0u64..10_000_000, any::<bool>()),
        prop::collection::btree_map(custom_name(), text(), 0..6),
    )
        .prop_map(
            |(
                api,
                version,
                uid,
                reference,
                kind,
                goods,
                (slength, speriod),
                (currency, is_test),
                customs,
            )| {
                let version = if api == ApiType::Cart {
                    SignatureVersion::V2
                } else {
                    SignatureVersion::from_number(version).unwrap()
                };
                let mut pairs = vec![
                    ("uid".to_owned(), uid),
                    ("ref".to_owned(), reference),
                    ("type".to_owned(), kind.to_owned()),
                ];
                match api {
                    ApiType::VirtualCurrency => {
                        pairs.push(("currency".into(), currency.to_string()))
                    }
                    ApiType::DigitalGoods => {
                        pairs.push(("goodsid".into(), goods[0].clone()));
                        pairs.push((
                            "slength".into(),
                            if speriod.is_empty() {
                                String::new()
                            } else {
                                slength.to_string()
                            },
                        ));
                        pairs.push(("speriod".into(), speriod.to_owned()));
                    }
                    ApiType::Cart => {
                        pairs.extend(
                            goods
                                .iter()
                                .enumerate()
                                .map(|(i, g)| (format!("goodsid[{i}]"), g.clone())),
                        );
                    }
                }
                if is_test {
                    pairs.push(("is_test".into(), "1".into()));
                }
                pairs.extend(customs);
                (api, version, pairs)
            },
        )
}

fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Splits a signed query into its pairs.
fn decode(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// The names a signature of `version` covers, among `pairs`.
fn signed_names(api: ApiType, version: SignatureVersion, pairs: &[(String, String)]) -> Vec<usize> {
    (0..pairs.len())
        .filter(|&i| {
            let name = pairs[i].0.as_str();
            let base = name.split('[').next().unwrap();
            name != "sig"
                && (version != SignatureVersion::V1 || api.version1_parameters().contains(&base))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Params::parse(&input, &Limits::default());
        for api in ApiType::ALL {
            let _ = verifier(api).verify(&input, &Source::peer(paymentwall()));
        }
    }

    #[test]
    fn form_like_bytes_never_panic(input in "([a-z%+=&\\[\\]0-9A-F]|%[0-9A-Fa-f]{2}|%[C-F][0-9A-F]){0,80}") {
        let _ = Params::parse(input.as_bytes(), &Limits { max_parameters: 8, max_bytes: 64 });
        for api in ApiType::ALL {
            let _ = verifier(api).verify(input.as_bytes(), &Source::peer(paymentwall()));
        }
    }

    #[test]
    fn arbitrary_parameter_sets_never_panic(pairs in prop::collection::vec((text(), text()), 0..12)) {
        let query = encode(&pairs);
        for api in ApiType::ALL {
            let _ = verifier(api).verify(query.as_bytes(), &Source::peer(paymentwall()));
            let _ = sign_pingback(api, SignatureVersion::V2, &SecretKey::new(SECRET), pairs.iter().map(|(n, v)| (n, v)));
        }
        if let Ok(params) = Params::from_pairs(pairs.iter().map(|(n, v)| (n, v))) {
            let again = Params::parse(params.to_query_string().as_bytes(), &Limits { max_parameters: 1000, max_bytes: 1 << 20 }).unwrap();
            prop_assert_eq!(again.iter().collect::<Vec<_>>(), params.iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn sign_then_verify_succeeds((api, version, pairs) in pingback()) {
        let query = sign_pingback(api, version, &SecretKey::new(SECRET), pairs.iter().map(|(n, v)| (n, v))).unwrap();
        let verified = verifier(api).verify(query.as_bytes(), &Source::peer(paymentwall()));
        let verified = verified.map_err(|e| TestCaseError::fail(format!("{e} for {query}")))?;
        prop_assert_eq!(verified.sign_version(), version);
        prop_assert_eq!(verified.envelope().uid, pairs[0].1.as_str());
    }

    #[test]
    fn changing_a_signed_value_fails(
        (api, version, pairs) in pingback(),
        pick in any::<prop::sample::Index>(),
        replacement in text(),
    ) {
        let query = sign_pingback(api, version, &SecretKey::new(SECRET), pairs.iter().map(|(n, v)| (n, v))).unwrap();
        let mut received = decode(&query);
        let signed = signed_names(api, version, &received);
        let target = signed[pick.index(signed.len())];
        let old = received[target].1.clone();
        received[target].1 = if replacement == old { format!("{old}x") } else { replacement };
        let tampered = encode(&received);
        let result = verifier(api).verify(tampered.as_bytes(), &Source::peer(paymentwall()));
        prop_assert!(result.is_err(), "accepted after changing {} in {}", received[target].0, tampered);
    }

    #[test]
    fn renaming_a_signed_parameter_fails(
        (api, version, pairs) in pingback(),
        pick in any::<prop::sample::Index>(),
        new_name in custom_name(),
    ) {
        let query = sign_pingback(api, version, &SecretKey::new(SECRET), pairs.iter().map(|(n, v)| (n, v))).unwrap();
        let mut received = decode(&query);
        prop_assume!(!received.iter().any(|(n, _)| *n == new_name));
        let signed = signed_names(api, version, &received);
        let target = signed[pick.index(signed.len())];
        // Version 1 signs an absent parameter as `name=` (Paymentwall's
        // definition), so renaming away an empty one signs the same text.
        prop_assume!(version != SignatureVersion::V1 || !received[target].1.is_empty());
        let old_name = std::mem::replace(&mut received[target].0, new_name);
        let tampered = encode(&received);
        let result = verifier(api).verify(tampered.as_bytes(), &Source::peer(paymentwall()));
        prop_assert!(result.is_err(), "accepted after renaming {} in {}", old_name, tampered);
    }
}
