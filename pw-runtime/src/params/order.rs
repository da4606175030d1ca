//! Sorting the entries of a [`Params`](super::Params) by the bytes of their
//! names, fast for the pingbacks Paymentwall sends (names that start with
//! a letter, at most 32 pairs): for such names, that is the
//! [signing order](crate::signing_order). Any other input is put in
//! signing order by [`crate::signing_order::order`].

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

/// The smallest prefix of a name that starts above `9`: no such name can be
/// a number, so those names are in signing order when their bytes are.
pub(super) const ABOVE_NINE: u64 = (b'9' as u64 + 1) << 56;

/// True when every name of `sorted` (sorted by [`sort_by_bytes`]) is in
/// signing order by its bytes and starts a UTF-8 character: its first byte
/// is above `9` (a letter, `_`, …: no number starts so) and not a
/// continuation byte. Every name Paymentwall sends is such a name. As the
/// entries are sorted by their first bytes, the first and the last tell,
/// unless some names start above ASCII.
pub(super) fn all_start_plainly(sorted: &[Entry]) -> bool {
    const CONTINUATION: std::ops::Range<u64> = 0x80 << 56..0xC0 << 56;
    let (Some(first), Some(last)) = (sorted.first(), sorted.last()) else {
        return true;
    };
    let ascii = last.prefix < CONTINUATION.start;
    first.prefix >= ABOVE_NINE
        && (ascii || {
            let at = sorted.partition_point(|e| e.prefix < CONTINUATION.start);
            sorted.get(at).is_none_or(|e| e.prefix >= CONTINUATION.end)
        })
}

/// Sorts entries by the bytes of their names, their signing order when
/// [`all_start_plainly`] holds of the result.
///
/// Up to 64 entries (every real pingback) are put in order of a 32-bit key,
/// the top bits of the prefix then the position (27 and 5 bits up to 32
/// entries, 26 and 6 up to 64), by counting for each key how many are
/// smaller: that count is its place. The counting has no branch to
/// mispredict and runs on four keys at once ([`rank`]); an insertion sort
/// of the 14 entries of a typical pingback cost about 60 ns, mostly in
/// mispredicted branches, this about 40 with the moves; `sort_unstable_by`
/// of 34 entries cost about 8,800 instructions, this about 2,500. Entries
/// whose kept prefix bits tie are then put in order by an insertion pass
/// that is linear on such nearly sorted input. More entries are sorted by
/// [`compare_bytes`].
pub(super) fn sort_by_bytes(buf: &[u8], entries: &mut [Entry]) {
    let kept = match entries.len() {
        0..=16 => sort_small::<16, 4, 5>(entries),
        17..=32 => sort_small::<32, 8, 5>(entries),
        33..=64 => sort_small::<64, 16, 6>(entries),
        _ => {
            entries.sort_unstable_by(|a, b| compare_bytes(buf, a, b));
            return;
        }
    };
    for i in 1..entries.len() {
        let mut j = i;
        while j > 0
            && entries[j - 1].prefix >> (64 - kept) == entries[j].prefix >> (64 - kept)
            && compare_bytes(buf, &entries[j - 1], &entries[j]).is_gt()
        {
            entries.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Sorts up to `N` entries (`N = 4 * V`, at most `2^P`) by their 32-bit
/// keys, the top `32 - P` bits of the prefix then the position in `P`
/// bits, and returns how many bits of the prefix it kept.
fn sort_small<const N: usize, const V: usize, const P: u32>(entries: &mut [Entry]) -> u32 {
    debug_assert!(entries.len() <= N && N <= 1 << P);
    let mut keys = [u32::MAX; N];
    for (i, (key, entry)) in keys.iter_mut().zip(entries.iter()).enumerate() {
        *key = (entry.prefix >> 32) as u32 >> P << P | i as u32;
    }
    let ranks = rank::ranks::<N, V>(&keys, entries.len());
    let mut order = [0u8; N];
    for (i, &rank) in ranks.iter().enumerate().take(entries.len()) {
        order[rank as usize] = i as u8;
    }
    let original: [Entry; N] = std::array::from_fn(|i| entries.get(i).copied().unwrap_or(FILLER));
    for (slot, &i) in entries.iter_mut().zip(&order) {
        *slot = original[usize::from(i)];
    }
    32 - P
}

/// Fills the unused places of a copy of the entries.
const FILLER: Entry = Entry {
    prefix: 0,
    name: NO_KEY,
    key: NO_KEY,
    value: NO_KEY,
};

/// The rank of every key among the first `len`: how many of them are
/// smaller. The keys must be distinct.
mod rank {
    /// SSE2 (`safe_arch`): for each of the `len` keys, one compare with
    /// every key, four at a time.
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    pub(super) fn ranks<const N: usize, const V: usize>(keys: &[u32; N], len: usize) -> [u32; N] {
        use safe_arch::{cmp_gt_mask_i32_m128i, m128i, set_splat_i32_m128i, sub_i32_m128i};
        debug_assert_eq!(N, 4 * V);
        // The compare is signed: flipping the top bit orders unsigned keys.
        let signed = |key: u32| i32::from_ne_bytes((key ^ 1 << 31).to_ne_bytes());
        let vectors: [m128i; V] = std::array::from_fn(|v| {
            m128i::from(std::array::from_fn::<i32, 4, _>(|l| {
                signed(keys[4 * v + l])
            }))
        });
        let mut counts = [m128i::default(); V];
        for &key in &keys[..len] {
            let key = set_splat_i32_m128i(signed(key));
            for (count, &vector) in counts.iter_mut().zip(&vectors) {
                // The lanes greater than `key` count one more smaller key (`-1` is true).
                *count = sub_i32_m128i(*count, cmp_gt_mask_i32_m128i(vector, key));
            }
        }
        let mut ranks = [0u32; N];
        for (chunk, count) in ranks.chunks_exact_mut(4).zip(counts) {
            let count: [i32; 4] = count.into();
            for (rank, count) in chunk.iter_mut().zip(count) {
                *rank = count.unsigned_abs();
            }
        }
        ranks
    }

    /// One key at a time.
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    pub(super) fn ranks<const N: usize, const V: usize>(keys: &[u32; N], len: usize) -> [u32; N] {
        scalar(keys, len)
    }

    #[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
    pub(super) fn scalar<const N: usize>(keys: &[u32; N], len: usize) -> [u32; N] {
        std::array::from_fn(|i| keys[..len].iter().filter(|&&k| k < keys[i]).count() as u32)
    }

    #[cfg(test)]
    mod tests {
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn both_ways_rank_alike(keys in prop::collection::hash_set(any::<u32>(), 0..=16)) {
                let len = keys.len();
                let mut array = [u32::MAX; 16];
                for (slot, key) in array.iter_mut().zip(keys) {
                    *slot = key;
                }
                let ranks = super::ranks::<16, 4>(&array, len);
                prop_assert_eq!(&ranks[..len], &super::scalar(&array, len)[..len]);
                let mut sorted: Vec<u32> = ranks[..len].to_vec();
                sorted.sort_unstable();
                prop_assert_eq!(sorted, (0..len as u32).collect::<Vec<_>>());
            }
        }
    }
}

/// Two entries by the bytes of their names (mostly decided by the
/// prefixes), then of their keys (a single value first).
pub(super) fn compare_bytes(buf: &[u8], a: &Entry, b: &Entry) -> Ordering {
    a.prefix
        .cmp(&b.prefix)
        .then_with(|| buf[a.name.range()].cmp(&buf[b.name.range()]))
        .then_with(|| {
            let key = |e: &Entry| e.key().map(|k| &buf[k.range()]);
            key(a).cmp(&key(b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Whatever the count (each way of sorting: up to 16, 32, 64, more),
        /// the entries end in the order of their bytes.
        #[test]
        fn sort_by_bytes_is_the_order_of_the_bytes(
            names in proptest::collection::vec("[a-c_A]{1,11}", 0..80),
        ) {
            let query: Vec<String> = names.iter().map(|name| format!("{name}=1")).collect();
            let query = query.join("&");
            let limits = crate::Limits::default();
            let mut entries = super::super::scan::scan(query.as_bytes(), &limits).unwrap();
            let mut expected = entries.clone();
            expected.sort_by(|a, b| compare_bytes(query.as_bytes(), a, b));
            sort_by_bytes(query.as_bytes(), &mut entries);
            let names = |entries: &[Entry]| {
                entries.iter().map(|e| &query[e.name.range()]).collect::<Vec<_>>()
            };
            proptest::prop_assert_eq!(names(&entries), names(&expected));
        }
    }

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
}
