use md5::{Digest, Md5};

use super::*;
use crate::params::{Limits, Params};
use crate::secret::SecretKey;
use pw_catalog::ApiType;

fn parse(query: &str) -> Params {
    Params::parse(query.as_bytes(), &Limits::default()).unwrap()
}

#[test]
fn version_2_base_string_matches_the_protocol_example() {
    let params = parse(
        "uid=userid&goodsid=no1234&slength=&speriod=&type=0&ref=b1491808025&sign_version=2&sig=x",
    );
    assert_eq!(
        base_string(ApiType::DigitalGoods, SignatureVersion::V2, &params),
        "goodsid=no1234ref=b1491808025sign_version=2slength=speriod=type=0uid=userid"
    );
}

#[test]
fn cart_arrays_sit_at_the_place_of_their_name_and_imply_version_2() {
    let params = parse("uid=u&goodsid%5B1%5D=b&goodsid%5B0%5D=a&type=0&ref=r&sig=x");
    assert_eq!(
        SignatureVersion::of_pingback(ApiType::Cart, &params),
        Ok(SignatureVersion::V2)
    );
    assert_eq!(
        base_string(ApiType::Cart, SignatureVersion::V2, &params),
        "goodsid[0]=agoodsid[1]=bref=rsign_version=2type=0uid=u"
    );
    let late = parse("a=1&sig=x");
    assert_eq!(
        base_string(ApiType::Cart, SignatureVersion::V2, &late),
        "a=1sign_version=2"
    );
    let only = parse("z=1");
    assert_eq!(
        base_string(ApiType::Cart, SignatureVersion::V2, &only),
        "sign_version=2z=1"
    );
}

#[test]
fn sig_is_left_out_of_the_base_string_even_as_an_array() {
    for query in ["a=1&sig=x&z=2", "a=1&sig%5B0%5D=x&z=2"] {
        let params = parse(query);
        assert_eq!(
            base_string(ApiType::DigitalGoods, SignatureVersion::V2, &params),
            "a=1z=2",
            "{query}"
        );
    }
    let signature_like = parse("a=1&sigma=x");
    assert_eq!(
        base_string(ApiType::DigitalGoods, SignatureVersion::V2, &signature_like),
        "a=1sigma=x"
    );
}

#[test]
fn version_1_covers_only_its_subset_and_fills_missing_with_empty() {
    let params = parse("uid=u&currency=5&type=0&ref=r&is_test=1&custom=x");
    assert_eq!(
        base_string(ApiType::VirtualCurrency, SignatureVersion::V1, &params),
        "uid=ucurrency=5type=0ref=r"
    );
    assert_eq!(
        base_string(ApiType::DigitalGoods, SignatureVersion::V1, &params),
        "uid=ugoodsid=slength=speriod=type=0ref=r"
    );
}

#[test]
fn unknown_and_cart_versions_are_rejected() {
    let secret = SecretKey::new("k");
    for value in ["4", "0", "", "2 ", "v2"] {
        let params = Params::from_pairs([("sign_version", value), ("sig", "x")]).unwrap();
        assert_eq!(
            check_pingback(
                ApiType::DigitalGoods,
                &params,
                &secret,
                VersionPolicy::default()
            ),
            Err(SignatureError::UnknownVersion {
                value: value.into()
            })
        );
    }
    let params = Params::from_pairs([("sign_version", "3"), ("sig", "x")]).unwrap();
    assert_eq!(
        check_pingback(ApiType::Cart, &params, &secret, VersionPolicy::default()),
        Err(SignatureError::CartVersion { value: "3".into() })
    );
}

#[test]
fn policy_refuses_low_versions_before_comparing() {
    let secret = SecretKey::new("k");
    let query = sign_pingback(
        ApiType::DigitalGoods,
        SignatureVersion::V1,
        &secret,
        [("uid", "u")],
    )
    .unwrap();
    let params = parse(&query);
    assert_eq!(
        check_pingback(
            ApiType::DigitalGoods,
            &params,
            &secret,
            VersionPolicy::default()
        ),
        Err(SignatureError::VersionNotAccepted {
            version: SignatureVersion::V1,
            minimum: SignatureVersion::V2
        })
    );
    let v1 = VersionPolicy::minimum(SignatureVersion::V1);
    assert_eq!(
        check_pingback(ApiType::DigitalGoods, &params, &secret, v1),
        Ok(SignatureVersion::V1)
    );
}

#[test]
fn uppercase_or_extended_signatures_do_not_match() {
    let secret = SecretKey::new("k");
    let query = sign_pingback(
        ApiType::VirtualCurrency,
        SignatureVersion::V3,
        &secret,
        [("uid", "u")],
    )
    .unwrap();
    let (head, sig) = query.rsplit_once("sig=").unwrap();
    for bad in [
        sig.to_uppercase(),
        format!("{sig}0"),
        sig[..63].to_owned(),
        String::new(),
    ] {
        let params = parse(&format!("{head}sig={bad}"));
        assert_eq!(
            check_pingback(
                ApiType::VirtualCurrency,
                &params,
                &secret,
                VersionPolicy::default()
            ),
            Err(SignatureError::Mismatch {
                version: SignatureVersion::V3
            })
        );
    }
}

#[test]
fn missing_sig_is_reported() {
    let params = parse("uid=u&sign_version=3");
    assert_eq!(
        check_pingback(
            ApiType::VirtualCurrency,
            &params,
            &SecretKey::new("k"),
            VersionPolicy::default()
        ),
        Err(SignatureError::Missing)
    );
}

#[test]
fn errors_never_show_the_expected_signature() {
    let secret = SecretKey::new("k");
    let params = parse("uid=u&sign_version=2&sig=0");
    let expected = pingback_signature(
        ApiType::VirtualCurrency,
        SignatureVersion::V2,
        &params,
        &secret,
    );
    let err = check_pingback(
        ApiType::VirtualCurrency,
        &params,
        &secret,
        VersionPolicy::default(),
    )
    .unwrap_err();
    assert!(!err.to_string().contains(&expected));
    assert!(!format!("{err:?}").contains(&expected));
}

#[test]
fn widget_version_1_is_uid_then_secret() {
    let secret = SecretKey::new("s");
    let expected = hex::encode(Md5::digest(b"user1s"));
    assert_eq!(
        widget_signature(
            SignatureVersion::V1,
            &[("key", "k"), ("uid", "user1")],
            &secret
        ),
        expected
    );
    let empty: [(&str, &str); 0] = [];
    assert_eq!(
        widget_signature(SignatureVersion::V1, &empty, &secret),
        hex::encode(Md5::digest(b"s"))
    );
}

proptest::proptest! {
    /// The digest fed pair by pair from where each pair stands in the
    /// parameters' text (whole moves reading past a pair, pairs given
    /// without `=`, the implied `sign_version` of a cart pingback, names and
    /// values longer than a move, a secret of any length) is the digest of
    /// the base string written out then the secret.
    #[test]
    fn signatures_are_the_digest_of_the_base_string_then_the_secret(
        pairs in proptest::collection::vec(
            ("[a-z_]{1,3}|[A-Za-z_]{60,70}", proptest::option::of("[a-z0-9 %&=]{0,3}|[a-z0-9 ]{28,70}")),
            0..24,
        ),
        cart in proptest::bool::ANY,
        secret in "[a-z0-9]{0,80}",
    ) {
        let named = |(i, (name, value)): (usize, &(String, Option<String>))| {
            // Names made distinct by their place; some are `sig` and
            // `sign_version`.
            let name = match i {
                3 => "sig".to_owned(),
                5 => "sign_version".to_owned(),
                _ => format!("{name}{i}"),
            };
            (name, value.clone())
        };
        let query: Vec<String> = pairs
            .iter()
            .enumerate()
            .map(named)
            .map(|(name, value)| match value {
                Some(value) => {
                    let value: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
                    format!("{name}={value}")
                }
                None => name,
            })
            .collect();
        let params = Params::parse(query.join("&").as_bytes(), &Limits::default()).unwrap();
        let api = if cart { ApiType::Cart } else { ApiType::DigitalGoods };
        let key = SecretKey::new(secret.clone());
        for version in [SignatureVersion::V2, SignatureVersion::V3] {
            let whole = base_string(api, version, &params) + &secret;
            let expected = match version {
                SignatureVersion::V3 => hex::encode(sha2::Sha256::digest(whole.as_bytes())),
                _ => hex::encode(Md5::digest(whole.as_bytes())),
            };
            proptest::prop_assert_eq!(pingback_signature(api, version, &params, &key), expected);
        }
    }
}

proptest::proptest! {
    /// A signed pingback checks out whether the entry of `sig` is given
    /// (the runs around it hashed) or looked up, and a changed value fails
    /// both ways.
    #[test]
    fn the_known_sig_entry_and_the_looked_up_one_check_alike(
        values in proptest::collection::vec("[a-z0-9 ]{0,40}", 1..16),
        version in proptest::sample::select(vec![SignatureVersion::V2, SignatureVersion::V3]),
        cart in proptest::bool::ANY,
    ) {
        let api = if cart { ApiType::Cart } else { ApiType::DigitalGoods };
        let version = if cart { SignatureVersion::V2 } else { version };
        let secret = SecretKey::new("k");
        // Names on both sides of `sig` and `sign_version`.
        let names = ["a", "sia", "sigma", "signz", "sz", "uid", "SIG", "sh"];
        let pairs: Vec<(String, String)> = values
            .iter()
            .enumerate()
            .map(|(i, value)| (format!("{}{i}", names[i % names.len()]), value.clone()))
            .collect();
        let query = sign_pingback(api, version, &secret, pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))).unwrap();
        let mut params = parse(&query);
        let policy = VersionPolicy::default();
        for round in 0..2 {
            let with_bytes = |index: usize| (index, params.value_bytes_at(index));
            let declared = params.scalar_index("sign_version").map(with_bytes);
            let received = params.scalar_index("sig").map(with_bytes);
            let known = check::check(api, &params, &secret, policy, declared, received, true);
            let looked_up = check::check(api, &params, &secret, policy, declared, received, false);
            proptest::prop_assert_eq!(&known, &looked_up);
            proptest::prop_assert_eq!(known.is_ok(), round == 0);
            // Then the same pingback with one value changed.
            let changed = query.replacen(&format!("{}=", pairs[0].0), &format!("{}=x", pairs[0].0), 1);
            params = parse(&changed);
        }
    }
}

mod pushed_pairs {
    use super::super::base::{implies_version, PingbackBase};
    use super::super::digest::digest;
    use super::*;
    use proptest::prelude::*;

    /// The base string of versions 2 and 3 built plainly: every pair but
    /// `sig`, with `sign_version=2` for a cart pingback without it, sorted
    /// by name, concatenated.
    fn plain_base_string(api: ApiType, pairs: &[(String, String)]) -> String {
        let mut signed: Vec<(&str, &str)> = pairs
            .iter()
            .filter(|(name, _)| name != "sig")
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        if api == ApiType::Cart && !pairs.iter().any(|(name, _)| name == "sign_version") {
            signed.push(("sign_version", "2"));
        }
        signed.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        signed
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect()
    }

    proptest! {
        /// The pairs on both sides of `sig` (given to a sink as one set of
        /// two runs) make the plain base string, written into a buffer or
        /// hashed, whether the entry of `sig` is known or looked up.
        #[test]
        fn both_runs_around_sig_make_the_plain_base_string(
            names in prop::collection::btree_set("(sig|sign_version|[a-z_]{1,12})", 0..14),
            values in prop::collection::vec("[a-zA-Z0-9 .:-]{0,70}", 14),
            cart in any::<bool>(),
        ) {
            let pairs: Vec<(String, String)> =
                names.iter().cloned().zip(values.iter().cloned()).collect();
            let params =
                Params::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))).unwrap();
            let api = if cart { ApiType::Cart } else { ApiType::DigitalGoods };
            let expected = plain_base_string(api, &pairs);
            prop_assert_eq!(&base_string(api, SignatureVersion::V3, &params), &expected);
            let secret = SecretKey::new("k");
            let message = format!("{expected}k");
            for sig in [None, params.scalar_index("sig")] {
                for version in [SignatureVersion::V2, SignatureVersion::V3] {
                    let base = PingbackBase {
                        api,
                        version,
                        params: &params,
                        implied_version: implies_version(api, &params),
                        sig,
                    };
                    let hashed = digest(version, &secret, &base);
                    let reference = match version {
                        SignatureVersion::V3 => sha2::Sha256::digest(message.as_bytes()).to_vec(),
                        _ => Md5::digest(message.as_bytes()).to_vec(),
                    };
                    prop_assert_eq!(hashed.as_bytes(), &reference[..]);
                }
            }
        }
    }
}
