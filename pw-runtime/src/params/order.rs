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
    let mut places = [0u8; MOST];
    order_by_bytes(buf, entries, &mut places);
    let original = entries.to_vec();
    for (entry, &place) in original.iter().zip(&places) {
        entries[usize::from(place)] = *entry;
    }
}

/// The most entries [`order_by_bytes`] orders.
pub(super) const MOST: usize = 64;

/// Puts in `places` the place of each of `entries` (at most [`MOST`]) in
/// the order of the bytes of their names: `places[i]` is where the `i`-th
/// goes. True when two entries may be the same name and key: two of them
/// compared equal while their ties were resolved (see [`resolve_ties`]).
///
/// Each entry's place is how many entries have a smaller 32-bit key, the
/// first four bytes of its name: counted with no branch to mispredict, on
/// four keys at once ([`rank`]); an insertion sort of the 14 entries of a
/// typical pingback cost about 60 ns, mostly in mispredicted branches;
/// `sort_unstable_by` of 34 entries cost about 8,800 instructions, this
/// about 3,900 (20 of them sharing their first four bytes). When no two
/// keys are the same, which the sum of the counts tells, the counts are
/// the places: nothing is sorted and no name can repeat. For the 14
/// entries of a typical pingback this costs about 350 instructions, where
/// keys with the position in their low bits, written at their places to
/// find the ties between neighbours, then a pass over neighbours for
/// repeats, cost about 810. Otherwise [`resolve_ties`] orders the entries
/// of each key.
pub(super) fn order_by_bytes(buf: &[u8], entries: &[Entry], places: &mut [u8; MOST]) -> bool {
    let sum = match entries.len() {
        0..=8 => rank_small::<8, 2>(entries, places),
        9..=16 => rank_small::<16, 4>(entries, places),
        17..=32 => rank_small::<32, 8>(entries, places),
        33..=48 => rank_small::<48, 12>(entries, places),
        _ => rank_small::<64, 16>(entries, places),
    };
    // Distinct ranks are `0..len`; ties rank alike, and lower.
    let len = entries.len() as u32;
    if sum == len * len.saturating_sub(1) / 2 {
        return false;
    }
    resolve_ties(buf, entries, places)
}

/// Ranks up to `N` entries (`N = 4 * V`) by their keys ([`key_of`]): puts in
/// `ranks[i]` how many keys are smaller than that of the `i`-th, and
/// returns the sum of the ranks.
#[inline(always)]
fn rank_small<const N: usize, const V: usize>(entries: &[Entry], ranks: &mut [u8; MOST]) -> u32 {
    debug_assert!(entries.len() <= N && N <= MOST);
    // Padding ranks below every key: it ranks 0 and counts for none.
    let mut keys = [i32::MIN; N];
    for (key, entry) in keys.iter_mut().zip(entries) {
        *key = key_of(entry);
    }
    rank::ranks::<N, V>(&keys, entries.len(), ranks)
}

/// The first four bytes of the name, as an `i32` that orders like them.
#[inline(always)]
fn key_of(entry: &Entry) -> i32 {
    i32::from_ne_bytes(((entry.prefix >> 32) as u32 ^ 1 << 31).to_ne_bytes())
}

/// Turns the ranks of [`rank_small`], where entries whose names start
/// with the same four bytes tie, into places: those entries go at their
/// rank and after, in the order of [`compare_bytes`], decided by an
/// insertion sort of each group (mostly by their prefixes or the next eight
/// bytes, inline: a call to `compare_bytes` cost about 80 instructions).
/// Apart from [`order_by_bytes`], whose common case then keeps a small
/// frame.
///
/// True when two entries compared equal. Two equal entries are
/// neighbours once sorted, and an insertion sort has compared every two
/// neighbours of a group (the later of the two to reach its place was
/// compared with the other on the way): when none compared equal, no two
/// are the same, and the pass over neighbours for repeats is spared
/// (about 1,000 instructions for 20 names sharing their first eight
/// bytes).
#[inline(never)]
fn resolve_ties(buf: &[u8], entries: &[Entry], places: &mut [u8; MOST]) -> bool {
    let len = entries.len();
    // `order[k]`: the entry at place `k`; `group[k]`: its rank.
    let (mut order, mut group, mut seen) = ([0u8; MOST], [0u8; MOST], [0u8; MOST]);
    for (i, &rank) in places[..len].iter().enumerate() {
        let rank = usize::from(rank) % MOST;
        let place = (rank + usize::from(seen[rank])) % MOST;
        seen[rank] += 1;
        order[place] = i as u8;
        group[place] = rank as u8;
    }
    let next = |e: &Entry| {
        let len = (e.name.end - e.name.start) as usize;
        if len > 8 {
            prefix_at(buf, e.name.start as usize + 8, len - 8)
        } else {
            0
        }
    };
    let mut equal = false;
    let mut after = |a: u8, b: u8| {
        let (a, b) = (&entries[usize::from(a)], &entries[usize::from(b)]);
        let order = a
            .prefix
            .cmp(&b.prefix)
            .then_with(|| next(a).cmp(&next(b)))
            .then_with(|| compare_bytes(buf, a, b));
        equal |= order.is_eq();
        order.is_gt()
    };
    let order = &mut order[..len];
    for i in 1..len {
        // Each group starts in input order, mostly already sorted.
        let mut j = i;
        while j > 0 && group[j - 1] == group[j] && after(order[j - 1], order[j]) {
            order.swap(j - 1, j);
            j -= 1;
        }
    }
    for (place, &i) in order.iter().enumerate() {
        places[usize::from(i)] = place as u8;
    }
    equal
}

/// The rank of every key among the first `len`: how many of them are
/// smaller.
mod rank {
    use super::MOST;

    /// SSE2 (`safe_arch`): for each of the `len` keys, one compare with
    /// every key, four at a time; the counts packed to bytes, and summed,
    /// sixteen at a time.
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    #[inline(always)]
    pub(super) fn ranks<const N: usize, const V: usize>(
        keys: &[i32; N],
        len: usize,
        ranks: &mut [u8; MOST],
    ) -> u32 {
        use safe_arch::{
            add_i64_m128i, cmp_gt_mask_i32_m128i, m128i, pack_i16_to_u8_m128i,
            pack_i32_to_i16_m128i, set_splat_i32_m128i, store_unaligned_m128i, sub_i32_m128i,
            sum_of_u8_abs_diff_m128i,
        };
        debug_assert_eq!(N, 4 * V);
        let vectors: [m128i; V] = std::array::from_fn(|v| {
            m128i::from(std::array::from_fn::<i32, 4, _>(|l| keys[4 * v + l]))
        });
        let mut counts = [m128i::default(); V];
        let mut count = |key: i32| {
            let key = set_splat_i32_m128i(key);
            for (count, &vector) in counts.iter_mut().zip(&vectors) {
                // The lanes greater than `key` count one more smaller key (`-1` is true).
                *count = sub_i32_m128i(*count, cmp_gt_mask_i32_m128i(vector, key));
            }
        };
        // Two keys a step: the loop's own instructions once for both.
        let pairs = keys[..len].chunks_exact(2);
        if let [last] = pairs.remainder() {
            count(*last);
        }
        for pair in pairs {
            count(pair[0]);
            count(pair[1]);
        }
        let zero = m128i::default();
        let mut sums = zero;
        for (bytes, four) in ranks.chunks_exact_mut(16).zip(counts.chunks(4)) {
            let count = |i: usize| four.get(i).copied().unwrap_or(zero);
            // Counts up to 63: the saturating packs keep them.
            let packed = pack_i16_to_u8_m128i(
                pack_i32_to_i16_m128i(count(0), count(1)),
                pack_i32_to_i16_m128i(count(2), count(3)),
            );
            store_unaligned_m128i(bytes.try_into().expect("sixteen bytes"), packed);
            sums = add_i64_m128i(sums, sum_of_u8_abs_diff_m128i(packed, zero));
        }
        let sums: [u64; 2] = sums.into();
        (sums[0] + sums[1]) as u32
    }

    /// One key at a time.
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    pub(super) fn ranks<const N: usize, const V: usize>(
        keys: &[i32; N],
        len: usize,
        ranks: &mut [u8; MOST],
    ) -> u32 {
        scalar(keys, len, ranks)
    }

    #[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
    pub(super) fn scalar<const N: usize>(
        keys: &[i32; N],
        len: usize,
        ranks: &mut [u8; MOST],
    ) -> u32 {
        let mut sum = 0;
        for (rank, key) in ranks.iter_mut().zip(&keys[..len]) {
            *rank = keys[..len].iter().filter(|&k| k < key).count() as u8;
            sum += u32::from(*rank);
        }
        sum
    }

    #[cfg(test)]
    mod tests {
        use super::MOST;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn both_ways_rank_alike(
                keys in prop::collection::vec(
                    prop_oneof![-3i32..3, any::<i32>(), Just(i32::MIN), Just(i32::MAX)],
                    0..=16,
                ),
            ) {
                let len = keys.len();
                let mut array = [i32::MIN; 16];
                array[..len].copy_from_slice(&keys);
                let (mut fast, mut slow) = ([0u8; MOST], [0u8; MOST]);
                let sum = super::ranks::<16, 4>(&array, len, &mut fast);
                prop_assert_eq!(sum, super::scalar(&array, len, &mut slow));
                prop_assert_eq!(&fast[..len], &slow[..len]);
                let distinct = keys.iter().collect::<std::collections::HashSet<_>>().len() == len;
                prop_assert_eq!(distinct, sum as usize == len * len.saturating_sub(1) / 2);
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

    /// `name=1` for each of `names`, joined by `&`, and its entries as the
    /// scan finds them.
    fn scanned(names: &[String]) -> (String, Vec<Entry>) {
        let query: Vec<String> = names.iter().map(|name| format!("{name}=1")).collect();
        let query = query.join("&");
        let entries =
            super::super::scan::scan(query.as_bytes(), &crate::Limits::default()).unwrap();
        (query, entries)
    }

    proptest::proptest! {
        /// Whatever the count (each way of sorting: up to 16, 32, 64, more),
        /// the entries end in the order of their bytes.
        #[test]
        fn sort_by_bytes_is_the_order_of_the_bytes(
            names in proptest::collection::vec("[a-c_A]{1,11}", 0..80),
        ) {
            let (query, mut entries) = scanned(&names);
            let mut expected = entries.clone();
            expected.sort_by(|a, b| compare_bytes(query.as_bytes(), a, b));
            sort_by_bytes(query.as_bytes(), &mut entries);
            let names = |entries: &[Entry]| {
                entries.iter().map(|e| &query[e.name.range()]).collect::<Vec<_>>()
            };
            proptest::prop_assert_eq!(names(&entries), names(&expected));
        }
    }

    proptest::proptest! {
        /// `order_by_bytes` tells of a repeated name exactly when there is
        /// one, whatever the input order, with names that mostly share
        /// their first four or eight bytes (ties to resolve).
        #[test]
        fn a_repeat_is_told_exactly_when_there_is_one(
            names in proptest::collection::vec("(ab|abcdefgh)?[ab]{1,3}", 0..40),
        ) {
            let (query, entries) = scanned(&names);
            let mut places = [0u8; MOST];
            let told = order_by_bytes(query.as_bytes(), &entries, &mut places);
            let mut distinct = names.clone();
            distinct.sort();
            distinct.dedup();
            proptest::prop_assert_eq!(told, distinct.len() < names.len(), "{}", query);
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
