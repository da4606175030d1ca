use std::cmp::Ordering;

use proptest::prelude::*;

use super::php::{self, Key};
use super::{fallback, order, Path};

/// The names (`name` or `name[key]`) in signing order, and whether PHP's
/// order is well defined.
fn ordered<'a>(names: &[&'a str]) -> (Vec<&'a str>, bool) {
    let paths: Vec<Path> = names
        .iter()
        .map(|name| match name.split_once('[') {
            Some((base, key)) => (base.as_bytes(), Some(key.trim_end_matches(']').as_bytes())),
            None => (name.as_bytes(), None),
        })
        .collect();
    let order = order(&paths);
    let sorted = order.indices.iter().map(|&i| names[i]).collect();
    (sorted, order.undefined.is_none())
}

fn php(a: &str, b: &str) -> Ordering {
    php::compare(&Key::read(a.as_bytes()), &Key::read(b.as_bytes()))
}

#[test]
fn arrays_sort_by_their_name_then_their_keys() {
    let (sorted, defined) = ordered(&[
        "customerId",
        "customer[lastname]",
        "history2",
        "history[reg2]",
        "customer[firstname]",
        "history[reg]",
    ]);
    assert_eq!(
        sorted,
        [
            "customer[firstname]",
            "customer[lastname]",
            "customerId",
            "history[reg]",
            "history[reg2]",
            "history2",
        ]
    );
    assert!(defined);
    assert_eq!(ordered(&["a[0]", "a", "b"]), (vec!["a", "a[0]", "b"], true));
}

#[test]
fn integer_keys_sort_as_numbers() {
    let names: Vec<String> = (0..=11).rev().map(|i| format!("ids[{i}]")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let expected: Vec<String> = (0..=11).map(|i| format!("ids[{i}]")).collect();
    assert_eq!(
        ordered(&names),
        (expected.iter().map(String::as_str).collect(), true)
    );
}

#[test]
fn numbers_next_to_text_order_as_php_orders_them() {
    assert_eq!(ordered(&["10", "9", "a"]), (vec!["9", "10", "a"], true));
    // Two keys: PHP compares a number with a text by bytes.
    assert_eq!(ordered(&["9", "1z"]), (vec!["1z", "9"], true));
    assert_eq!(ordered(&["1e1", "9"]), (vec!["9", "1e1"], true));
    assert_eq!(ordered(&["+5", "!x", "-1"]), (vec!["!x", "-1", "+5"], true));
}

#[test]
fn keys_php_finds_equal_keep_their_input_order() {
    assert_eq!(ordered(&["1e1", "10"]), (vec!["1e1", "10"], true));
    assert_eq!(ordered(&["10", "1e1"]), (vec!["10", "1e1"], true));
    assert_eq!(
        ordered(&["a[05]", "a[4]", "a[5]", "a[5.0]"]),
        (vec!["a[4]", "a[05]", "a[5]", "a[5.0]"], true)
    );
}

#[test]
fn levels_php_cannot_order_take_the_fallback_order_whatever_the_input_order() {
    // 9 < 1e1 (numbers), 1e1 < 1f (bytes), 1f < 9 (bytes).
    let expected = (vec!["9", "1e1", "1f"], false);
    // 6 < 53 (numbers), 53 < 5z (bytes), 5z < 6 (bytes).
    assert_eq!(ordered(&["5z", "53", "6"]), (vec!["6", "53", "5z"], false));
    for names in [["9", "1e1", "1f"], ["1f", "9", "1e1"], ["1e1", "1f", "9"]] {
        assert_eq!(ordered(&names), expected);
    }
    assert_eq!(
        ordered(&["ids[1f]", "ids[9]", "ids[1e1]", "x"]),
        (vec!["ids[9]", "ids[1e1]", "ids[1f]", "x"], false)
    );
    // Equal as floats, not as integers: 2^53 + 1 and 2^53 against `2^53.0`.
    let names = ["9007199254740993", "9007199254740992.0", "9007199254740992"];
    assert_eq!(
        ordered(&names),
        (
            vec!["9007199254740992", "9007199254740993", "9007199254740992.0"],
            false
        )
    );
}

/// `tests/vectors/php-ksort-pairs.json` holds, for keys chosen at the edges
/// of PHP's rules, the order PHP 8's `ksort` gives every two of them in
/// both input orders (`<`: the row's key first both times, `>`: the
/// column's, `=`: the input order decides, as PHP's comparison says equal).
#[test]
fn the_comparison_is_phps_on_every_pair_php_was_asked() {
    #[derive(serde::Deserialize)]
    struct Pairs {
        php: String,
        keys: Vec<String>,
        order: Vec<String>,
    }
    let pairs: Pairs =
        serde_json::from_str(include_str!("../../tests/vectors/php-ksort-pairs.json")).unwrap();
    assert!(pairs.php.starts_with("8."), "{}", pairs.php);
    let mut wrong = Vec::new();
    let mut compared = 0;
    for (a, row) in pairs.keys.iter().zip(&pairs.order) {
        assert_eq!(row.chars().count(), pairs.keys.len());
        for (b, expected) in pairs.keys.iter().zip(row.chars()) {
            let expected = match expected {
                '<' => Ordering::Less,
                '>' => Ordering::Greater,
                _ => Ordering::Equal,
            };
            compared += 1;
            if php(a, b) != expected {
                wrong.push(format!(
                    "{a:?} {b:?}: PHP {expected:?}, ours {:?}",
                    php(a, b)
                ));
            }
            // The whole order of two keys is PHP's where PHP decides.
            if a != b {
                let sorted = level(&[a.clone(), b.clone()]);
                assert!(sorted.undefined.is_none(), "{a:?} {b:?}");
                let first = usize::from(expected.is_gt());
                assert_eq!(sorted.indices[0], first, "{a:?} {b:?}");
            }
        }
    }
    assert!(compared > 4000, "{compared}");
    assert!(wrong.is_empty(), "{}:\n{}", wrong.len(), wrong.join("\n"));
}

/// Keys as the pingback parser and the widget call see them.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,3}",
        "-?[1-9][0-9]{0,19}",
        "[0-9]{1,2}[a-z]",
        "[ +.-]?[0-9]{1,2}(\\.[0-9])?(e[0-9])?",
        "[!-~&&[^\\[\\]]]{1,3}",
        any::<String>(),
    ]
    .prop_filter("a key", |k| !k.is_empty())
}

fn level(keys: &[String]) -> super::Order {
    let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
    super::sort_level(&keys)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// All integers: by value, as PHP orders them.
    #[test]
    fn integers_order_by_value(keys in prop::collection::hash_set(any::<i64>(), 0..60)) {
        let keys: Vec<String> = keys.into_iter().map(|k| k.to_string()).collect();
        let order = level(&keys);
        prop_assert!(order.undefined.is_none());
        let sorted: Vec<i64> = order.indices.iter().map(|&i| keys[i].parse().unwrap()).collect();
        prop_assert!(sorted.windows(2).all(|w| w[0] < w[1]), "{:?}", sorted);
    }

    /// All text (no key PHP reads as a number): by bytes, as PHP orders them.
    #[test]
    fn text_orders_by_bytes(keys in prop::collection::hash_set(
        any::<String>().prop_filter("text", |k| Key::read(k.as_bytes()).number.is_none()), 0..60,
    )) {
        let keys: Vec<String> = keys.into_iter().collect();
        let order = level(&keys);
        prop_assert!(order.undefined.is_none());
        let sorted: Vec<&[u8]> = order.indices.iter().map(|&i| keys[i].as_bytes()).collect();
        prop_assert!(sorted.windows(2).all(|w| w[0] < w[1]));
    }

    /// Any keys: a permutation; PHP's order (each pair as PHP compares it,
    /// equal keys in input order) when reported well defined, else the
    /// fallback order; the same again when given in that order; the same
    /// whatever the input order unless PHP finds two keys equal.
    #[test]
    fn any_keys_order_deterministically(
        keys in prop::collection::hash_set(key(), 1..60),
        seed in any::<u64>(),
    ) {
        let keys: Vec<String> = keys.into_iter().collect();
        let order = level(&keys);
        let mut seen = order.indices.clone();
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..keys.len()).collect::<Vec<_>>());
        let read: Vec<Key> = keys.iter().map(|k| Key::read(k.as_bytes())).collect();
        for (i, &a) in order.indices.iter().enumerate() {
            for &b in &order.indices[i + 1..] {
                match order.undefined {
                    None => {
                        let php = php::compare(&read[a], &read[b]);
                        prop_assert!(php.is_lt() || (php.is_eq() && a < b), "{:?} {:?}", keys[a], keys[b]);
                    }
                    Some(_) => prop_assert!(fallback::compare(&read[a], &read[b]).is_lt()),
                }
            }
        }
        let sorted: Vec<String> = order.indices.iter().map(|&i| keys[i].clone()).collect();
        let again = level(&sorted);
        prop_assert_eq!(&again.indices, &(0..keys.len()).collect::<Vec<_>>());
        prop_assert_eq!(again.undefined.is_none(), order.undefined.is_none());
        let ties = (0..keys.len()).any(|a| (a + 1..keys.len()).any(|b| php::compare(&read[a], &read[b]).is_eq()));
        if !ties {
            let mut shuffled = keys.clone();
            let len = shuffled.len();
            shuffled.rotate_left(seed as usize % len);
            shuffled.reverse();
            let other = level(&shuffled);
            let other: Vec<&String> = other.indices.iter().map(|&i| &shuffled[i]).collect();
            prop_assert_eq!(other, sorted.iter().collect::<Vec<_>>());
        }
    }
}
