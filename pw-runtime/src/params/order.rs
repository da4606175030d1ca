//! Signing order: names in byte order, a single value before array
//! elements, array keys ascending (numerically when both are numbers, as
//! PHP's `ksort` orders integer keys).

use std::cmp::Ordering;

use super::{Entry, NO_KEY};

/// The first eight bytes of `name`, big-endian, zero-padded: comparing two
/// prefixes orders the names as their bytes do, or ties.
pub(crate) const fn prefix_of(name: &[u8]) -> u64 {
    let mut prefix = 0u64;
    let mut i = 0;
    while i < 8 {
        let byte = if i < name.len() { name[i] } else { 0 };
        prefix = prefix << 8 | byte as u64;
        i += 1;
    }
    prefix
}

/// [`prefix_of`] the name `buf[start..start + len]`, from one unaligned
/// load when the buffer allows it.
pub(super) fn prefix_at(buf: &[u8], start: usize, len: usize) -> u64 {
    match buf.get(start..start + 8) {
        Some(word) => {
            let word = u64::from_be_bytes(word.try_into().expect("eight bytes"));
            if len >= 8 {
                word
            } else {
                word & !(u64::MAX >> (8 * len))
            }
        }
        None => prefix_of(&buf[start..start + len]),
    }
}

/// Sorts entries in signing order. Up to 32 entries (every real pingback)
/// are sorted as integers, seven bytes of prefix then position, which is
/// several times cheaper than a comparison sort; entries whose seven-byte
/// prefixes tie are then put in order by an insertion pass that is linear
/// on such nearly sorted input.
pub(super) fn sort_entries(buf: &[u8], entries: &mut [Entry]) {
    const SMALL: usize = 32;
    if entries.len() > SMALL {
        entries.sort_unstable_by(|a, b| compare(buf, a, b));
        return;
    }
    let mut keys = [u64::MAX; SMALL];
    for (i, (key, entry)) in keys.iter_mut().zip(entries.iter()).enumerate() {
        *key = entry.prefix & !0xFF | i as u64;
    }
    let keys = &mut keys[..entries.len()];
    keys.sort_unstable();
    let mut original = [NO_ENTRY; SMALL];
    original[..entries.len()].copy_from_slice(entries);
    for (slot, key) in entries.iter_mut().zip(keys.iter()) {
        *slot = original[(key & 0xFF) as usize];
    }
    for i in 1..entries.len() {
        let mut j = i;
        while j > 0
            && entries[j - 1].prefix >> 8 == entries[j].prefix >> 8
            && compare(buf, &entries[j - 1], &entries[j]).is_gt()
        {
            entries.swap(j - 1, j);
            j -= 1;
        }
    }
}

const NO_ENTRY: Entry = Entry {
    prefix: 0,
    name: NO_KEY,
    key: NO_KEY,
    value: NO_KEY,
};

/// The signing order of two entries.
pub(super) fn compare(buf: &[u8], a: &Entry, b: &Entry) -> Ordering {
    a.prefix
        .cmp(&b.prefix)
        .then_with(|| buf[a.name.range()].cmp(&buf[b.name.range()]))
        .then_with(|| match (a.key(), b.key()) {
            (Some(x), Some(y)) => compare_php_keys(&buf[x.range()], &buf[y.range()]),
            (x, y) => x.is_some().cmp(&y.is_some()),
        })
}

/// PHP's `ksort` order of two keys: numerically when both are integers as
/// PHP stores them, else by bytes.
pub(crate) fn compare_php_keys(a: &[u8], b: &[u8]) -> Ordering {
    if is_canonical_number(a) && is_canonical_number(b) {
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    } else {
        a.cmp(b)
    }
}

/// `0`, or digits without a leading zero: the keys PHP stores as integers.
fn is_canonical_number(key: &[u8]) -> bool {
    match key {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit) && key.len() <= 18,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_order_like_bytes() {
        let names: [&[u8]; 6] = [b"B", b"a", b"ab", b"abcdefgh", b"abcdefghi", b"b"];
        for pair in names.windows(2) {
            assert!(prefix_of(pair[0]) <= prefix_of(pair[1]), "{pair:?}");
        }
        let buf = b"uid=1&abcdefghij=2";
        assert_eq!(prefix_at(buf, 0, 3), prefix_of(b"uid"));
        assert_eq!(prefix_at(buf, 6, 10), prefix_of(b"abcdefghij"));
        assert_eq!(prefix_at(buf, 5, 1), prefix_of(b"&"), "one load, masked");
        assert_eq!(
            prefix_at(buf, 17, 1),
            prefix_of(b"2"),
            "near the end: byte by byte"
        );
    }

    #[test]
    fn php_key_order_is_numeric_for_integers() {
        assert!(compare_php_keys(b"10", b"9").is_gt());
        assert!(compare_php_keys(b"010", b"9").is_lt());
        assert!(compare_php_keys(b"a", b"B").is_gt());
    }
}
