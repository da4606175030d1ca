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

/// A key as PHP 8 holds it in an array: a decimal integer in canonical form
/// (`0`, `-5`, no `+`, no leading zero) becomes an integer key; anything
/// else stays a string. Only the two kinds the tests below make are
/// modelled: integers, and strings that are not numeric.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PhpKey {
    Int(i64),
    Text(String),
}

impl PhpKey {
    fn of(key: &str) -> PhpKey {
        match key.parse::<i64>() {
            Ok(int) if int.to_string() == key => PhpKey::Int(int),
            _ => PhpKey::Text(key.to_owned()),
        }
    }

    /// PHP 8's `ksort` comparison (`SORT_REGULAR`): two integers by value;
    /// a string that is not numeric against anything, by bytes (an integer
    /// written in decimal).
    fn php_cmp(&self, other: &PhpKey) -> std::cmp::Ordering {
        match (self, other) {
            (PhpKey::Int(a), PhpKey::Int(b)) => a.cmp(b),
            (a, b) => a.bytes().cmp(&b.bytes()),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            PhpKey::Int(int) => int.to_string().into_bytes(),
            PhpKey::Text(text) => text.clone().into_bytes(),
        }
    }
}

/// The official library's version 2 base string of `params` (a PHP array:
/// names to a value or to an array of keys to values), without the secret:
/// `ksort` at each level, then `name=value` or `name[key]=value`.
fn php_base_string(params: &[(String, Option<String>, String)]) -> String {
    /// A name, its array elements, its single value.
    type Entry = (PhpKey, Vec<(PhpKey, String)>, Option<String>);
    let mut names: Vec<Entry> = Vec::new();
    for (name, key, value) in params {
        let name = PhpKey::of(name);
        let at = match names.iter().position(|(n, ..)| *n == name) {
            Some(at) => at,
            None => {
                names.push((name, Vec::new(), None));
                names.len() - 1
            }
        };
        match key {
            Some(key) => names[at].1.push((PhpKey::of(key), value.clone())),
            None => names[at].2 = Some(value.clone()),
        }
    }
    // PHP's sort is stable; on these keys the comparison is an order, so
    // the input order does not matter.
    names.sort_by(|a, b| a.0.php_cmp(&b.0));
    let mut base = String::new();
    for (name, mut elements, single) in names {
        let name = String::from_utf8(name.bytes()).unwrap();
        if let Some(value) = single {
            base += &format!("{name}={value}");
        }
        elements.sort_by(|a, b| a.0.php_cmp(&b.0));
        for (key, value) in elements {
            base += &format!(
                "{name}[{}]={value}",
                String::from_utf8(key.bytes()).unwrap()
            );
        }
    }
    base
}

fn int_keys() -> impl Strategy<Value = Vec<String>> {
    let key = prop_oneof![0i64..100, any::<i64>(), -100i64..0];
    prop::collection::hash_set(key, 1..70)
        .prop_map(|keys| keys.iter().map(i64::to_string).collect())
}

/// Text keys PHP does not read as numbers: they start with a letter, `_`
/// or a space then a letter, or digits then a letter other than `e`.
fn text_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z_][^\\[\\]]{0,8}",
        "[0-9]{1,3}[a-df-zA-DF-Z_][a-z0-9]{0,4}",
        " [a-z]{1,3}",
        "[é中][a-z0-9]{0,3}",
    ]
}

fn text_keys() -> impl Strategy<Value = Vec<String>> {
    prop::collection::hash_set(text_key(), 1..70).prop_map(|keys| keys.into_iter().collect())
}

/// Keys where PHP's order is well defined: all integers, all text, or
/// integers next to text that starts with a letter or `_`.
fn well_defined_keys() -> impl Strategy<Value = Vec<String>> {
    let lettered = prop::collection::hash_set("[A-Za-z_][a-z0-9_]{0,6}", 1..30);
    prop_oneof![
        int_keys(),
        text_keys(),
        (int_keys(), lettered).prop_map(|(mut ints, texts)| {
            ints.extend(texts);
            ints
        }),
    ]
}

/// A digital goods pingback with an array `name[...]` of the given keys in
/// the given order, and custom parameters whose names may be numbers.
fn ordered_pingback() -> impl Strategy<Value = Vec<(String, Option<String>, String)>> {
    (
        "[a-z][a-z_]{0,6}",
        well_defined_keys().prop_shuffle(),
        prop::collection::hash_set(0u32..1000, 0..6),
        prop::collection::vec(text(), 70),
    )
        .prop_filter("not a standard name", |(name, ..)| {
            !STANDARD.contains(&name.as_str())
        })
        .prop_map(|(array, keys, numbers, values)| {
            let mut params: Vec<(String, Option<String>, String)> = [
                ("uid", "u1"),
                ("goodsid", "gems"),
                ("type", "0"),
                ("ref", "b1"),
                ("sign_version", "2"),
            ]
            .iter()
            .map(|(n, v)| (n.to_string(), None, v.to_string()))
            .collect();
            for (key, value) in keys.into_iter().zip(values.iter().cycle()) {
                params.push((array.clone(), Some(key), value.clone()));
            }
            for number in numbers {
                params.push((number.to_string(), None, format!("n{number}")));
            }
            params
        })
}

fn flat(params: &[(String, Option<String>, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(name, key, value)| match key {
            Some(key) => (format!("{name}[{key}]"), value.clone()),
            None => (name.clone(), value.clone()),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The signing order is the official library's wherever PHP's is well
    /// defined: array keys all integers, all text, or integers next to
    /// names; names that are numbers next to names that are not.
    #[test]
    fn signing_order_is_the_official_librarys(params in ordered_pingback()) {
        let pairs = flat(&params);
        let parsed = Params::parse(encode(&pairs).as_bytes(), &Limits::default()).unwrap();
        prop_assert_eq!(
            pw_runtime::signature::base_string(ApiType::DigitalGoods, SignatureVersion::V2, &parsed),
            php_base_string(&params)
        );
        let query = sign_pingback(ApiType::DigitalGoods, SignatureVersion::V3, &SecretKey::new(SECRET), pairs).unwrap();
        prop_assert!(verifier(ApiType::DigitalGoods).verify(query.as_bytes(), &Source::peer(paymentwall())).is_ok());
    }

    /// Any keys, numbers and text mixed (where PHP's `ksort` result may
    /// depend on the input order): unless PHP finds two keys equal (`10`
    /// and `1e1`, which it keeps in input order), one order whatever the
    /// input order; and it is a sort (parsing the parameters in that order
    /// keeps it).
    #[test]
    fn signing_order_of_mixed_keys_is_deterministic(
        keys in prop::collection::hash_set(prop_oneof![
            "[0-9]{1,3}", "[0-9]{1,2}[a-z]", "[ +.-]?[0-9]{1,2}(\\.[0-9])?(e[0-9])?", "[!-~&&[^\\[\\]]]{1,3}", any::<String>(),
        ].prop_filter("a key", |k| !k.is_empty() && !k.contains(['[', ']'])), 1..80),
        seed in any::<u64>(),
    ) {
        // Keep one key of each numeric value (as 64-bit floats: PHP finds
        // no two of the others equal).
        let mut values = Vec::new();
        let keys: Vec<String> = keys
            .into_iter()
            .filter(|k| match k.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']).parse::<f64>() {
                // Adding zero makes `-0` and `0` one value.
                Ok(value) if values.contains(&(value + 0.0).to_bits()) => false,
                Ok(value) => {
                    values.push((value + 0.0).to_bits());
                    true
                }
                Err(_) => true,
            })
            .collect();
        let mut shuffled = keys.clone();
        // A fixed permutation chosen by the seed: rotate, then reverse.
        let len = shuffled.len();
        shuffled.rotate_left(seed as usize % len);
        shuffled.reverse();
        let parse = |keys: &[String]| {
            let pairs: Vec<(String, String)> = keys.iter().map(|k| (format!("a[{k}]"), k.clone())).collect();
            Params::from_pairs(pairs).unwrap()
        };
        let (one, two) = (parse(&keys), parse(&shuffled));
        prop_assert_eq!(one.iter().collect::<Vec<_>>(), two.iter().collect::<Vec<_>>());
        let again = Params::parse(one.to_query_string().as_bytes(), &Limits::default()).unwrap();
        prop_assert_eq!(again.iter().collect::<Vec<_>>(), one.iter().collect::<Vec<_>>());
    }
}
