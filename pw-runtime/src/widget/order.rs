//! The signing order of a widget call, the official library's: the
//! parameters sorted by name, then the elements of each array sorted by
//! key (`ksort`, then `ksort` of every array), each comparison PHP 8's
//! ([`php_keys::compare`]).
//!
//! Names that compare equal (`10` and `1e1`) keep the order of the URL, as
//! PHP's stable sort keeps them in the order it parsed them. When PHP's
//! comparisons contradict each other within one call (`9 < 1e1 < 1f < 9`),
//! the order PHP ends with depends on its sort algorithm: the order here
//! is then still deterministic (an insertion sort in URL order), and
//! [`SigningOrder::contradiction`] names two parameters PHP may order
//! either way, so that the widget call can refuse to sign what Paymentwall
//! might verify differently.

use std::cmp::Ordering;

// The one comparison of names and keys the signing order uses.
use super::php_keys::compare;

/// The pairs of a widget call in signing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SigningOrder {
    /// Indices into the pairs given, in signing order.
    pub indices: Vec<usize>,
    /// When PHP's comparisons of these names contradict each other, so
    /// that PHP's own order is not defined: two of them (indices into the
    /// pairs) that this order puts in an order PHP's comparison denies.
    pub contradiction: Option<(usize, usize)>,
}

/// The name `base[key]` split into `base` and `key`; `base` alone for a
/// name without brackets (or with malformed ones: the widget call refuses
/// those before signing).
pub(crate) fn split_name(name: &str) -> (&str, Option<&str>) {
    match name.split_once('[') {
        Some((base, rest)) if !base.is_empty() => match rest.strip_suffix(']') {
            Some(key) => (base, Some(key)),
            None => (name, None),
        },
        _ => (name, None),
    }
}

/// A parameter of a group: its index among the pairs, its array key.
type Member<'a> = (usize, Option<&'a str>);

/// The signing order of parameters named `names` (in URL order): groups of
/// one base name (a single value, or the elements of an array) sorted by
/// that name, the elements of each array sorted by key.
pub(crate) fn signing_order(names: &[&str]) -> SigningOrder {
    // The groups, in the order their first member appears.
    let mut groups: Vec<(&str, Vec<Member>)> = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let (base, key) = split_name(name);
        match groups.iter_mut().find(|(name, _)| *name == base) {
            Some((_, members)) => members.push((index, key)),
            None => groups.push((base, vec![(index, key)])),
        }
    }
    let group_order = stable_sort(&groups, |(a, _), (b, _)| compare(a, b));
    let first_member = |group: usize| groups[group].1[0].0;
    let mut contradiction = group_order
        .1
        .map(|(a, b)| (first_member(a), first_member(b)));
    let mut indices = Vec::with_capacity(names.len());
    for group in group_order.0 {
        let members = &groups[group].1;
        // A single value before array elements of the same name (a call
        // the widget call refuses anyway), then keys in order.
        let order = stable_sort(members, |(_, a), (_, b)| match (a, b) {
            (Some(a), Some(b)) => compare(a, b),
            (a, b) => a.is_some().cmp(&b.is_some()),
        });
        contradiction = contradiction.or(order.1.map(|(a, b)| (members[a].0, members[b].0)));
        indices.extend(order.0.into_iter().map(|member| members[member].0));
    }
    SigningOrder {
        indices,
        contradiction,
    }
}

/// A stable insertion sort of `items` by `compare`, which need not be
/// transitive: the indices in sorted order, and two items the result puts
/// out of order, if any (when none is, every correct sort, PHP's included,
/// ends with the same order).
fn stable_sort<T>(
    items: &[T],
    compare: impl Fn(&T, &T) -> Ordering,
) -> (Vec<usize>, Option<(usize, usize)>) {
    let mut order: Vec<usize> = Vec::with_capacity(items.len());
    for index in 0..items.len() {
        let mut at = order.len();
        while at > 0 && compare(&items[order[at - 1]], &items[index]).is_gt() {
            at -= 1;
        }
        order.insert(at, index);
    }
    // In order: each pair compares less, or equal with the earlier first
    // (a stable sort keeps equal items in their first order).
    let contradiction = order.iter().enumerate().find_map(|(i, &a)| {
        order[i + 1..]
            .iter()
            .find(|&&b| match compare(&items[a], &items[b]) {
                Ordering::Less => false,
                Ordering::Equal => a > b,
                Ordering::Greater => true,
            })
            .map(|&b| (a, b))
    });
    (order, contradiction)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordered<'a>(names: &[&'a str]) -> (Vec<&'a str>, bool) {
        let order = signing_order(names);
        let sorted = order.indices.iter().map(|&i| names[i]).collect();
        (sorted, order.contradiction.is_none())
    }

    #[test]
    fn arrays_sort_by_their_name_then_their_keys() {
        let (sorted, well_defined) = ordered(&[
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
        assert!(well_defined);
    }

    #[test]
    fn integer_keys_sort_as_numbers() {
        let names: Vec<String> = (0..=11).rev().map(|i| format!("ids[{i}]")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let (sorted, well_defined) = ordered(&names);
        let expected: Vec<String> = (0..=11).map(|i| format!("ids[{i}]")).collect();
        assert_eq!(sorted, expected);
        assert!(well_defined);
    }

    #[test]
    fn numeric_names_sort_as_numbers_and_ties_keep_the_url_order() {
        assert_eq!(ordered(&["10", "9", "a"]), (vec!["9", "10", "a"], true));
        assert_eq!(ordered(&["1e1", "9"]), (vec!["9", "1e1"], true));
        assert_eq!(ordered(&["1e1", "10"]), (vec!["1e1", "10"], true));
        assert_eq!(ordered(&["10", "1e1"]), (vec!["10", "1e1"], true));
        // Consistent although numbers and text mix.
        assert_eq!(ordered(&["+5", "!x", "-1"]), (vec!["!x", "-1", "+5"], true));
    }

    #[test]
    fn contradictory_comparisons_are_detected_and_still_deterministic() {
        // 9 < 1e1 (numbers), 1e1 < 1f (bytes), 1f < 9 (bytes).
        let first = ordered(&["9", "1e1", "1f"]);
        assert!(!first.1);
        assert_eq!(first, ordered(&["9", "1e1", "1f"]));
        let keys = ordered(&["ids[9]", "ids[1e1]", "ids[1f]"]);
        assert!(!keys.1);
    }

    #[test]
    fn names_split_into_base_and_key() {
        assert_eq!(split_name("uid"), ("uid", None));
        assert_eq!(split_name("history[reg]"), ("history", Some("reg")));
        assert_eq!(split_name("a[]"), ("a", Some("")));
        assert_eq!(split_name("a[b"), ("a[b", None));
        assert_eq!(split_name("[b]"), ("[b]", None));
    }
}
