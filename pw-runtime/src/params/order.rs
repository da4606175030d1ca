//! Sorting the entries of a [`Params`](super::Params) by the bytes of their
//! names, fast for the pingbacks Paymentwall sends (names that start with
//! a letter, at most 32 pairs): for such names, that is the
//! [signing order](crate::signing_order). Any other input is put in
//! signing order by [`crate::signing_order::order`].

use std::cmp::Ordering;

use super::Entry;

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
#[inline(always)]
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

/// True when every name of `entries` is in signing order by its bytes and
/// starts a UTF-8 character: its first byte is above `9` (a letter, `_`,
/// …: no number starts so) and not a continuation byte. Every name
/// Paymentwall sends is such a name. `lowest` and `highest` are the
/// entries that sort first and last: their prefixes tell, unless some
/// names start above ASCII.
pub(super) fn all_start_plainly(entries: &[Entry], lowest: &Entry, highest: &Entry) -> bool {
    const CONTINUATION: std::ops::Range<u64> = 0x80 << 56..0xC0 << 56;
    let ascii = highest.prefix < CONTINUATION.start;
    lowest.prefix >= ABOVE_NINE
        && (ascii || !entries.iter().any(|e| CONTINUATION.contains(&e.prefix)))
}

/// Sorts entries by the bytes of their names, their signing order when
/// [`all_start_plainly`] holds of the result: [`order_by_bytes`] up to 64
/// entries, [`compare_bytes`] for more.
#[cfg(test)]
pub(super) fn sort_by_bytes(buf: &[u8], entries: &mut [Entry]) {
    if entries.len() > MOST {
        entries.sort_unstable_by(|a, b| compare_bytes(buf, a, b));
        return;
    }
    let mut order = [0u8; MOST];
    order_by_bytes(buf, entries, &mut order);
    let original = entries.to_vec();
    for (slot, &i) in entries.iter_mut().zip(&order) {
        *slot = original[usize::from(i)];
    }
}

/// The most entries [`order_by_bytes`] orders.
pub(super) const MOST: usize = 64;

/// Puts in `order` the indices of `entries` (at most [`MOST`]) in the order
/// of the bytes of their names: `order[k]` is the index of the `k`-th.
///
/// The entries are put in order of a 32-bit key, the top bits of the
/// prefix then the position (27 and 5 bits up to 32 entries, 26 and 6 up
/// to 64), by counting for each key how many are smaller: that count is its
/// place. The counting has no branch to mispredict and runs on four keys
/// at once ([`rank`]); an insertion sort of the 14 entries of a typical
/// pingback cost about 60 ns, mostly in mispredicted branches, this about
/// 40; `sort_unstable_by` of 34 entries cost about 8,800 instructions, this
/// about 2,500. The keys are written at their places, so that the indices
/// are their low bits and neighbours whose kept prefix bits tie are seen
/// from two adjacent keys (looking at both entries for every neighbour cost
/// about 25 instructions a pair). Such ties are then put in order by an
/// insertion pass that is linear on such nearly sorted input. Only the
/// one-byte indices move: the entries are written once, in order, as they
/// are laid out.
pub(super) fn order_by_bytes(buf: &[u8], entries: &[Entry], order: &mut [u8; MOST]) {
    let mut sorted = [0u32; MOST];
    let position_bits = match entries.len() {
        0..=16 => rank_small::<16, 4, 5>(entries, &mut sorted),
        17..=24 => rank_small::<24, 6, 5>(entries, &mut sorted),
        25..=32 => rank_small::<32, 8, 5>(entries, &mut sorted),
        33..=48 => rank_small::<48, 12, 6>(entries, &mut sorted),
        _ => rank_small::<64, 16, 6>(entries, &mut sorted),
    };
    let len = entries.len();
    let low = (1u32 << position_bits) - 1;
    let mut tied = false;
    for k in 0..len {
        order[k] = (sorted[k] & low) as u8;
        // Bit set when the key before has the same prefix bits.
        tied |= k > 0 && (sorted[k - 1] ^ sorted[k]) <= low;
    }
    if !tied {
        return;
    }
    let order = &mut order[..len];
    // Ties of the kept bits are mostly decided by the whole prefixes or
    // the next eight bytes, inline (a call to `compare_bytes` cost about 80
    // instructions).
    let next = |e: &Entry| {
        let len = (e.name.end - e.name.start) as usize;
        if len > 8 {
            prefix_at(buf, e.name.start as usize + 8, len - 8)
        } else {
            0
        }
    };
    let after = |a: u8, b: u8| {
        let (a, b) = (&entries[usize::from(a)], &entries[usize::from(b)]);
        a.prefix
            .cmp(&b.prefix)
            .then_with(|| next(a).cmp(&next(b)))
            .then_with(|| compare_bytes(buf, a, b))
            .is_gt()
    };
    for i in 1..len {
        // The kept bits of `sorted[j]` are those of the entry now at `j`:
        // only entries of the same kept bits are swapped.
        let mut j = i;
        while j > 0 && (sorted[j - 1] ^ sorted[j]) <= low && after(order[j - 1], order[j]) {
            order.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Ranks up to `N` entries (`N = 4 * V`, at most `2^P`) by their 32-bit
/// keys, the top `32 - P` bits of the prefix then the position in `P`
/// bits, writes each key at its place in `sorted`, and returns `P`.
fn rank_small<const N: usize, const V: usize, const P: u32>(
    entries: &[Entry],
    sorted: &mut [u32; MOST],
) -> u32 {
    debug_assert!(entries.len() <= N && N <= 1 << P && N <= MOST);
    let mut keys = [u32::MAX; N];
    for (i, (key, entry)) in keys.iter_mut().zip(entries.iter()).enumerate() {
        *key = (entry.prefix >> 32) as u32 >> P << P | i as u32;
    }
    let ranks = rank::ranks::<N, V>(&keys, entries.len());
    for (&key, &rank) in keys.iter().zip(ranks.iter()).take(entries.len()) {
        sorted[rank as usize % MOST] = key;
    }
    P
}

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
/// prefixes, or else by the next eight bytes), then of their keys (a
/// single value first).
pub(super) fn compare_bytes(buf: &[u8], a: &Entry, b: &Entry) -> Ordering {
    a.prefix.cmp(&b.prefix).then_with(|| {
        let (x, y) = (a.name.range(), b.name.range());
        // Both longer than eight bytes, the first eight of each the same:
        // the next eight (zero-padded) order them unless they tie too.
        if x.len() > 8 && y.len() > 8 {
            let next =
                |name: std::ops::Range<usize>| prefix_at(buf, name.start + 8, name.len() - 8);
            let order = next(x.clone()).cmp(&next(y.clone()));
            if order.is_ne() {
                return order;
            }
        }
        buf[x].cmp(&buf[y]).then_with(|| {
            let key = |e: &Entry| e.key().map(|k| &buf[k.range()]);
            key(a).cmp(&key(b))
        })
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
