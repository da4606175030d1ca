//! The scanner behind [`Params::parse`](super::Params::parse): finds the
//! pairs of `application/x-www-form-urlencoded` input.
//!
//! It reads the input 64 bytes at a time as three bitmasks of the bytes
//! that matter (`&`; `=`; those that need more work: `%`, `+`, `[`, `]`)
//! and reads the pairs off the masks: the cost is per block and per pair,
//! not per byte.
//! A pair whose name holds none of the special bytes is finished here; the
//! others are marked for [`decode`](super::decode).

use super::order::prefix_at;
use super::{to_u32, Entry, Limits, ParamsError, Span, NO_KEY};

/// The key span of an entry whose name holds an escape or a bracket, or is
/// empty: [`decode::finish`](super::decode::finish) decodes it before the
/// entries are sorted.
pub(super) const PENDING: Span = Span {
    start: u32::MAX,
    end: 0,
};

/// The key span of an entry with a plain name and escapes in its value:
/// the value is decoded as the pairs are laid out in signing order.
pub(super) const ESCAPED_VALUE: Span = Span {
    start: u32::MAX,
    end: 1,
};

/// Where the scanner records the entries it finds: a `Vec`, or a
/// fixed-capacity array on the stack (no allocation) that may fill up.
pub(super) trait Entries {
    /// How many entries are recorded.
    fn count(&self) -> usize;
    /// Records an entry; false (and nothing recorded) when no more fits.
    fn record(&mut self, entry: Entry) -> bool;
}

impl Entries for Vec<Entry> {
    fn count(&self) -> usize {
        self.len()
    }
    fn record(&mut self, entry: Entry) -> bool {
        self.push(entry);
        true
    }
}

impl<const N: usize> Entries for arrayvec::ArrayVec<Entry, N> {
    fn count(&self) -> usize {
        self.len()
    }
    fn record(&mut self, entry: Entry) -> bool {
        self.try_push(entry).is_ok()
    }
}

/// What [`scan_into`] found besides the entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Scanned {
    /// False when the entries filled up before the input ended: scan again
    /// into a `Vec`.
    pub(super) complete: bool,
    /// Some entry is marked [`PENDING`].
    pub(super) pending: bool,
}

/// Finds every non-empty pair of `input`, in input order.
pub(super) fn scan(input: &[u8], limits: &Limits) -> Result<Vec<Entry>, ParamsError> {
    // Room for every real pingback: growing past 16 entries cost a
    // `realloc` (about 480 instructions) for 17 to 32.
    let mut entries = Vec::with_capacity(32);
    scan_into(input, limits, &mut entries)?;
    Ok(entries)
}

/// Finds the non-empty pairs of `input`, in input order, into `entries`
/// until it is full.
///
/// Each 64-byte block gives three masks (`&`; `=`; `%`, `+`, `[`, `]`),
/// and the pairs are read from them a pair at a time: the next `&` ends
/// the pair, the first `=` before it ends the name, the special bytes on
/// either side of it mark the name or the value. No byte is loaded again;
/// a loop over every marked byte, loading it to tell which it is, cost
/// about 100 instructions per pair.
pub(super) fn scan_into(
    input: &[u8],
    limits: &Limits,
    entries: &mut impl Entries,
) -> Result<Scanned, ParamsError> {
    let mut pair = Pair::at(0);
    let mut pending = false;
    let mut base = 0;
    while base < input.len() {
        let marks = masks::at(input, base);
        let mut amps = marks.amp;
        // The bits of this block that belong to the pair: all of them,
        // then those past each `&`. No branch on the bits but whether the
        // name's end is still to find.
        let mut rest = u64::MAX;
        loop {
            let next = amps & amps.wrapping_neg();
            let segment = rest & next.wrapping_sub(1);
            if pair.equals == usize::MAX {
                let equals = marks.equals & segment;
                let first = equals & equals.wrapping_neg();
                // Up to the first `=`, or the whole segment without one.
                let name = segment & first.wrapping_sub(1);
                pair.special_name |= marks.special & name != 0;
                if first != 0 {
                    pair.equals = base + first.trailing_zeros() as usize;
                }
            }
            pair.special |= marks.special & segment != 0;
            if amps == 0 {
                break;
            }
            let at = base + amps.trailing_zeros() as usize;
            if !pair.close(input, at, limits, entries, &mut pending)? {
                return Ok(Scanned {
                    complete: false,
                    pending,
                });
            }
            pair = Pair::at(at + 1);
            rest = !(amps ^ amps.wrapping_sub(1));
            amps &= amps - 1;
        }
        base += 64;
    }
    let complete = pair.close(input, input.len(), limits, entries, &mut pending)?;
    Ok(Scanned { complete, pending })
}

/// The pair being read.
struct Pair {
    start: usize,
    /// The first `=` of the pair, or `usize::MAX` before it.
    equals: usize,
    /// The name holds `%`, `+`, `[` or `]`.
    special_name: bool,
    /// The name or the value holds one of them.
    special: bool,
}

impl Pair {
    fn at(start: usize) -> Pair {
        Pair {
            start,
            equals: usize::MAX,
            special_name: false,
            special: false,
        }
    }

    /// Ends the pair at `end` and records it (sets `pending` when it is
    /// marked so). False when there is no room left.
    #[inline(always)]
    fn close(
        &self,
        input: &[u8],
        end: usize,
        limits: &Limits,
        entries: &mut impl Entries,
        pending: &mut bool,
    ) -> Result<bool, ParamsError> {
        let start = self.start;
        if end == start {
            return Ok(true);
        }
        if entries.count() == limits.max_parameters {
            return Err(ParamsError::TooManyParameters {
                limit: limits.max_parameters,
            });
        }
        let name_end = self.equals.min(end);
        let key = if self.special_name || name_end == start {
            *pending = true;
            PENDING
        } else if self.special {
            ESCAPED_VALUE
        } else {
            NO_KEY
        };
        Ok(entries.record(Entry {
            prefix: prefix_at(input, start, name_end - start),
            name: Span {
                start: to_u32(start),
                end: to_u32(name_end),
            },
            key,
            value: Span {
                start: to_u32((name_end + 1).min(end)),
                end: to_u32(end),
            },
        }))
    }
}

/// The bitmasks of a 64-byte block: bit `i` of each is set when byte `i`
/// is `&`, `=`, or one of `%`, `+`, `[`, `]`. Computed sixteen bytes at a
/// time with SSE2 (part of every x86-64 processor; `safe_arch` wraps the
/// instructions), a byte at a time elsewhere; both ways give the same masks.
mod masks {
    /// The masks of one block.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) struct Marks {
        /// The `&` that end pairs.
        pub(super) amp: u64,
        /// The `=` (the first of a pair ends its name).
        pub(super) equals: u64,
        /// `%`, `+`, `[` and `]`: the pair needs decoding.
        pub(super) special: u64,
    }

    impl Marks {
        fn shifted(self, by: usize) -> Marks {
            Marks {
                amp: self.amp >> by,
                equals: self.equals >> by,
                special: self.special >> by,
            }
        }
    }

    /// The bytes marked special.
    const SPECIAL: [u8; 4] = *b"%+[]";

    /// The masks of the (up to) 64 bytes of `input` from `start`; bits past
    /// the end of the input are clear.
    #[inline(always)]
    pub(super) fn at(input: &[u8], start: usize) -> Marks {
        if let Some(block) = input.get(start..start + 64) {
            return of(block.try_into().expect("64 bytes"));
        }
        let Some(last) = input.len().checked_sub(16) else {
            let mut padded = [0u8; 16];
            padded[..input.len()].copy_from_slice(input);
            return of16(&padded);
        };
        // The tail, sixteen bytes at a time, the last sixteen of the input
        // for the part of a chunk that ends it: a tail of a few bytes costs
        // one chunk, where loading the last 64 bytes cost four.
        let mut marks = Marks {
            amp: 0,
            equals: 0,
            special: 0,
        };
        let mut chunk = start;
        while chunk < input.len() {
            let found = match input.get(chunk..chunk + 16) {
                Some(bytes) => of16(bytes.try_into().expect("sixteen bytes")),
                None => {
                    of16(input[last..].try_into().expect("sixteen bytes")).shifted(chunk - last)
                }
            };
            let by = chunk - start;
            marks.amp |= found.amp << by;
            marks.equals |= found.equals << by;
            marks.special |= found.special << by;
            chunk += 16;
        }
        marks
    }

    /// The masks of a 64-byte block, sixteen bytes at a time.
    #[inline(always)]
    pub(super) fn of(block: &[u8; 64]) -> Marks {
        let mut marks = Marks {
            amp: 0,
            equals: 0,
            special: 0,
        };
        for (n, chunk) in block.chunks_exact(16).enumerate() {
            let found = of16(chunk.try_into().expect("sixteen bytes"));
            marks.amp |= found.amp << (16 * n);
            marks.equals |= found.equals << (16 * n);
            marks.special |= found.special << (16 * n);
        }
        marks
    }

    /// The masks of sixteen bytes, in the low bits.
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    #[inline(always)]
    fn of16(chunk: &[u8; 16]) -> Marks {
        use safe_arch::{
            cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i, set_splat_i8_m128i,
        };
        let splat = |byte: u8| set_splat_i8_m128i(i8::from_ne_bytes([byte]));
        let bits = |mask| u64::from(u32::from_ne_bytes(move_mask_i8_m128i(mask).to_ne_bytes()));
        let v = load_unaligned_m128i(chunk);
        let is = |byte: u8| cmp_eq_mask_i8_m128i(v, splat(byte));
        let special = (is(SPECIAL[0]) | is(SPECIAL[1])) | (is(SPECIAL[2]) | is(SPECIAL[3]));
        Marks {
            amp: bits(is(b'&')),
            equals: bits(is(b'=')),
            special: bits(special),
        }
    }

    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    fn of16(chunk: &[u8; 16]) -> Marks {
        let mut block = [0u8; 64];
        block[..16].copy_from_slice(chunk);
        bytewise(&block)
    }

    /// [`of`], one byte at a time.
    #[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
    pub(super) fn bytewise(block: &[u8; 64]) -> Marks {
        let mask = |test: &dyn Fn(u8) -> bool| {
            block
                .iter()
                .enumerate()
                .filter(|&(_, &byte)| test(byte))
                .fold(0, |mask, (i, _)| mask | 1 << i)
        };
        Marks {
            amp: mask(&|byte| byte == b'&'),
            equals: mask(&|byte| byte == b'='),
            special: mask(&|byte| SPECIAL.contains(&byte)),
        }
    }

    #[cfg(test)]
    mod tests {
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn both_ways_find_the_same_bytes(block in prop::array::uniform32("[a-z&=%+\\[\\]\u{80}-\u{ff}]")) {
                let mut bytes = [0u8; 64];
                for (i, c) in block.iter().enumerate() {
                    let c = c.as_bytes();
                    bytes[2 * i] = c[0];
                    bytes[2 * i + 1] = *c.last().unwrap();
                }
                prop_assert_eq!(super::of(&bytes), super::bytewise(&bytes));
            }
        }

        proptest! {
            #[test]
            fn a_tail_block_has_the_bits_of_its_bytes(input in prop::collection::vec(prop::sample::select(b"a&=%+[]".to_vec()), 0..200), start in 0usize..200) {
                let start = start.min(input.len()) / 64 * 64;
                let mut block = [0u8; 64];
                let end = input.len().min(start + 64);
                block[..end - start].copy_from_slice(&input[start..end]);
                prop_assert_eq!(super::at(&input, start), super::bytewise(&block));
            }
        }

        #[test]
        fn bit_i_is_byte_i() {
            let mut block = [b'a'; 64];
            block[0] = b'&';
            block[17] = b'=';
            block[63] = b'%';
            block[40] = b']';
            block[41] = b'&';
            let marks = super::of(&block);
            assert_eq!(marks.amp, 1 | 1 << 41);
            assert_eq!(marks.equals, 1 << 17);
            assert_eq!(marks.special, 1 << 40 | 1 << 63);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The pairs of `input` found the plain way: `(start, first '=', end,
    /// key end)`.
    fn reference(input: &[u8]) -> Vec<(u32, u32, u32, u32)> {
        let mut pairs = Vec::new();
        let mut start = 0;
        for piece in input.split(|&b| b == b'&') {
            let end = start + piece.len();
            if !piece.is_empty() {
                let name_len = piece.iter().position(|&b| b == b'=').unwrap_or(piece.len());
                let special = |bytes: &[u8]| bytes.iter().any(|b| b"%+[]".contains(b));
                let key_end = if name_len == 0 || special(&piece[..name_len]) {
                    PENDING.end
                } else if special(&piece[name_len..]) {
                    ESCAPED_VALUE.end
                } else {
                    NO_KEY.end
                };
                pairs.push((start as u32, (start + name_len) as u32, end as u32, key_end));
            }
            start = end + 1;
        }
        pairs
    }

    proptest! {
        #[test]
        fn an_array_that_fills_up_holds_the_first_pairs(input in "([a-z0-9]{0,12}|[&=%+\\[\\]])*") {
            let all = scan(input.as_bytes(), &Limits::default()).unwrap();
            let mut few = arrayvec::ArrayVec::<Entry, 4>::new();
            let scanned = scan_into(input.as_bytes(), &Limits::default(), &mut few).unwrap();
            prop_assert_eq!(scanned.complete, all.len() <= 4);
            let spans = |entries: &[Entry]| -> Vec<_> {
                entries.iter().map(|e| (e.prefix, e.name, e.key, e.value)).collect()
            };
            prop_assert_eq!(spans(&few), spans(&all[..all.len().min(4)]));
            if scanned.complete {
                prop_assert_eq!(scanned.pending, all.iter().any(|e| e.key == PENDING));
            }
        }

        #[test]
        fn finds_the_pairs_a_plain_split_finds(input in "([a-z0-9]{0,40}|[&=%+\\[\\]])*") {
            let entries = scan(input.as_bytes(), &Limits::default()).unwrap();
            let found: Vec<_> = entries
                .iter()
                .map(|e| (e.name.start, e.name.end, e.value.end, e.key.end))
                .collect();
            prop_assert_eq!(found, reference(input.as_bytes()));
        }
    }
}
