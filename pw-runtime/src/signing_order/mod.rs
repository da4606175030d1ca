//! The signing order: the order in which Paymentwall's official library
//! writes parameters into a version 2 or 3 base string, for pingbacks and
//! widget calls alike. The one place that decides it.
//!
//! The official library sorts the parameters with PHP's `ksort`, then the
//! elements of each array with `ksort` again. So does this order, level by
//! level: the names (an array is one name, `history` for `history[reg]`),
//! then the keys of each array. A single value comes before array elements
//! of the same name (an input both sides refuse anyway).
//!
//! **The rule, where PHP's order is well defined.** PHP 8 compares two keys
//! as numbers when both are numeric (an integer key, or a string such as
//! `05`, ` 7`, `1e1`, `-2.5`), and by their bytes otherwise
//! ([`php::compare`]); `ksort` is stable, so keys it finds equal (`10` and
//! `1e1`) keep their input order. When that comparison is transitive on
//! the keys of a level (a total preorder: every level of all integers, of
//! all text, of numbers next to names that start with a letter, and most
//! others), every correct stable sort gives one result, PHP's, and this is
//! that result: `{"9", "1z"}` orders `1z` first (bytes), `{"9", "10"}`
//! orders `9` first (numbers).
//!
//! **The rule, where it is not.** Once numbers and text mix, PHP's
//! comparison may contradict itself (`9 < 1e1` as numbers, `1e1 < 1f` and
//! `1f < 9` as bytes), and so may numbers whose 64-bit float values lose
//! digits; what `ksort` returns then depends on its algorithm and on the
//! input order. Such a level is put in the [`fallback`] order instead, a
//! total order the same whatever order the keys came in: numbers first, by
//! value, equal values by bytes; then the other keys by bytes. [`Order`]
//! reports such a level, so that a widget call can refuse to sign what the
//! official signer may order otherwise; a pingback is verified in this
//! order (Paymentwall itself only sends names that start with a letter).

mod fallback;
mod php;

use std::cmp::Ordering;

use php::Key;

/// A parameter's path: its name, and the key of its array element (`0` for
/// `goodsid[0]`), as bytes.
pub(crate) type Path<'a> = (&'a [u8], Option<&'a [u8]>);

/// Parameters in signing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Order {
    /// Indices into the paths given, in signing order.
    pub indices: Vec<usize>,
    /// When a level's PHP comparison is not transitive, so that PHP's own
    /// order is not defined and the [`fallback`] order was used: two
    /// parameters (indices into the paths) PHP may order either way.
    pub undefined: Option<(usize, usize)>,
}

/// The signing order of `paths`, given in input order (the order of the
/// query string, or the order in which the official library builds the
/// call): names sorted, each array's keys sorted, see the [module](self).
pub(crate) fn order(paths: &[Path]) -> Order {
    // The groups of one name, in the order their first member appears.
    let mut groups: Vec<(&[u8], Vec<usize>)> = Vec::new();
    for (index, &(name, _)) in paths.iter().enumerate() {
        match groups.iter_mut().find(|(group, _)| *group == name) {
            Some((_, members)) => members.push(index),
            None => groups.push((name, vec![index])),
        }
    }
    let names: Vec<&[u8]> = groups.iter().map(|(name, _)| *name).collect();
    let sorted = sort_level(&names);
    let first_member = |group: usize| groups[group].1[0];
    let mut undefined = sorted
        .undefined
        .map(|(a, b)| (first_member(a), first_member(b)));
    let mut indices = Vec::with_capacity(paths.len());
    for group in sorted.indices {
        let members = &groups[group].1;
        // A single value first, in input order, then the keys in order.
        indices.extend(members.iter().filter(|&&m| paths[m].1.is_none()));
        let keyed: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&m| paths[m].1.is_some())
            .collect();
        let keys: Vec<&[u8]> = keyed.iter().filter_map(|&m| paths[m].1).collect();
        let sorted = sort_level(&keys);
        undefined = undefined.or(sorted.undefined.map(|(a, b)| (keyed[a], keyed[b])));
        indices.extend(sorted.indices.into_iter().map(|k| keyed[k]));
    }
    Order { indices, undefined }
}

/// The signing order of the keys of one level, in input order: indices
/// into `keys`, and two keys PHP may order either way when its comparison
/// is not transitive on them.
fn sort_level(keys: &[&[u8]]) -> Order {
    let read: Vec<Key> = keys.iter().map(|key| Key::read(key)).collect();
    let mut indices: Vec<usize> = (0..keys.len()).collect();
    // Fast and certainly transitive: all text (bytes), all integers (values).
    if read.iter().all(|key| !key.is_number()) {
        indices.sort_by(|&a, &b| keys[a].cmp(keys[b]));
        return Order {
            indices,
            undefined: None,
        };
    }
    if read
        .iter()
        .all(|key| matches!(key.number, Some(php::Number::Integer(_))))
    {
        indices.sort_by(|&a, &b| php::compare(&read[a], &read[b]));
        return Order {
            indices,
            undefined: None,
        };
    }
    // A stable insertion sort by PHP's comparison: correct whenever the
    // comparison is transitive, and never fails when it is not.
    let php = |a: usize, b: usize| php::compare(&read[a], &read[b]);
    let mut sorted: Vec<usize> = Vec::with_capacity(keys.len());
    for index in 0..keys.len() {
        let at = sorted
            .iter()
            .rposition(|&before| php(before, index).is_le())
            .map_or(0, |at| at + 1);
        sorted.insert(at, index);
    }
    match contradiction(&sorted, php) {
        None => Order {
            indices: sorted,
            undefined: None,
        },
        Some(pair) => {
            indices.sort_by(|&a, &b| fallback::compare(&read[a], &read[b]));
            Order {
                indices,
                undefined: Some(pair),
            }
        }
    }
}

/// Two items of `sorted` that show `compare` is not a total preorder on
/// them, if any; none means `sorted` is sorted and so is every correct sort.
///
/// Sorted by a total preorder, the items fall into runs of neighbours that
/// compare equal, each pair within a run equal and each pair across runs
/// in order; a sequence that is so shows the relation is that preorder.
fn contradiction(
    sorted: &[usize],
    compare: impl Fn(usize, usize) -> Ordering,
) -> Option<(usize, usize)> {
    let mut runs = Vec::with_capacity(sorted.len());
    let mut run = 0usize;
    for (i, &item) in sorted.iter().enumerate() {
        if i > 0 && compare(sorted[i - 1], item).is_ne() {
            run += 1;
        }
        runs.push(run);
    }
    for (i, &a) in sorted.iter().enumerate() {
        for (j, &b) in sorted.iter().enumerate().skip(i + 1) {
            let expected = if runs[i] == runs[j] {
                Ordering::Equal
            } else {
                Ordering::Less
            };
            if compare(a, b) != expected {
                return Some((a, b));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
