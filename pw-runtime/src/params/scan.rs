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
    /// The most entries it can hold.
    fn room(&self) -> usize;
    /// Records an entry; the caller has checked that there is room (an
    /// array that is full panics).
    fn record(&mut self, entry: Entry);
}

impl Entries for Vec<Entry> {
    fn count(&self) -> usize {
        self.len()
    }
    fn room(&self) -> usize {
        usize::MAX
    }
    fn record(&mut self, entry: Entry) {
        self.push(entry);
    }
}

impl<const N: usize> Entries for arrayvec::ArrayVec<Entry, N> {
    fn count(&self) -> usize {
        self.len()
    }
    fn room(&self) -> usize {
        N
    }
    #[inline(always)]
    fn record(&mut self, entry: Entry) {
        let pushed = self.try_push(entry);
        assert!(pushed.is_ok(), "no room for an entry");
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
/// (empty) until it is full.
///
/// The input is read 64 bytes at a time from the start of a pair, as three
/// masks (`&`; `=`; `%`, `+`, `[`, `]`): the pairs that end within those 64
/// bytes (or at the end of the input) are read from them by
/// [`read_block`], a few bit operations a pair, and the next block starts
/// after the last of them. A block holds no `&` only when a pair is longer
/// than 64 bytes: that pair is followed block by block as a [`Pair`], and
/// so is the pair after the last `&` of a block when it fills [`LONG`]
/// bytes or more of it (a `sig` of 64 hex digits, say), from the block
/// after: on the `verify_v3` bench pingback, one block of masks less.
/// Blocks at every 64 bytes, with each pair that runs into the next block
/// followed as a [`Pair`], cost about 100 instructions more a block of a
/// typical pingback than the block this takes more.
pub(super) fn scan_into(
    input: &[u8],
    limits: &Limits,
    entries: &mut impl Entries,
) -> Result<Scanned, ParamsError> {
    debug_assert_eq!(entries.count(), 0);
    let mut out = Out {
        stop: limits.max_parameters.min(entries.room()),
        limit: limits.max_parameters,
        pending: false,
    };
    let mut base = 0;
    while base < input.len() {
        // One bounds check for the masks and the prefixes of the block.
        let window: Option<&[u8; WINDOW]> = input
            .get(base..base + WINDOW)
            .map(|window| window.try_into().expect("a window"));
        let mut marks = match window {
            Some(window) => masks::of(window[..64].try_into().expect("a block")),
            None => masks::at(input, base),
        };
        let left = input.len() - base;
        if left < 64 {
            // The end of the input ends the last pair, as a `&` would.
            marks.amp |= 1 << left;
        }
        let mut pair = if marks.amp != 0 {
            let block = Block::new(&marks);
            let read = match window {
                Some(window) => read_block(&mut out, entries, block, base, Window(window)),
                None => read_block(&mut out, entries, block, base, Tail(input, base)),
            };
            let Some(rest) = read else {
                return out.stopped(entries);
            };
            // Past the last `&` (past the end of the input after the last
            // pair).
            let next = base + rest.start as usize;
            if rest.start as usize > 64 - LONG || next > input.len() {
                base = next;
                continue;
            }
            // The part after the last `&` is `LONG` bytes or more of a
            // pair: followed from the next block on, as a pair longer
            // than a block is, rather than loaded again as the start of a
            // block.
            Pair::rest(base, &rest)
        } else {
            // A pair longer than the block: followed block by block to
            // its end.
            let mut pair = Pair::at(base);
            pair.extend(&marks, base, u64::MAX);
            pair
        };
        loop {
            base += 64;
            if base >= input.len() {
                if !out.close(input, entries, &pair, input.len()) {
                    return out.stopped(entries);
                }
                break;
            }
            let marks = masks::at(input, base);
            let amps = marks.amp;
            // The bits of the block before the first `&` (all without one).
            pair.extend(&marks, base, !amps & amps.wrapping_sub(1));
            if amps != 0 {
                let first = amps.trailing_zeros() as usize;
                if !out.close(input, entries, &pair, base + first) {
                    return out.stopped(entries);
                }
                base += first + 1;
                break;
            }
        }
    }
    Ok(Scanned {
        complete: true,
        pending: out.pending,
    })
}

/// The length from which the pair after the last `&` of a block is
/// followed from the next block on, as a pair longer than a block is,
/// rather than loaded again as the start of the next block: half a block
/// or more of masks (about 96 instructions a block) not computed twice.
const LONG: usize = 32;

/// The bytes a block's prefixes are loaded from: the block and the eight
/// after it.
const WINDOW: usize = 72;

/// `KEEP[n]` keeps the top `n` bytes of a word (all of them from 8 on): the
/// prefix of a name of `n` bytes within a block, with no branch on `n`
/// (names of under and over eight bytes mix in any pingback).
const KEEP: [u64; 64] = {
    let mut keep = [u64::MAX; 64];
    let mut n = 0;
    while n < 8 {
        keep[n] = !(u64::MAX >> (8 * n));
        n += 1;
    }
    keep
};

/// Where [`read_block`] loads the prefixes of a block's names from.
trait Prefixes {
    /// The eight bytes from bit `start` of the block, big-endian (past the
    /// input, zeros).
    fn word(&self, start: u32) -> u64;
}

/// A block with eight more bytes after it: one load, no bounds check.
struct Window<'a>(&'a [u8; WINDOW]);

impl Prefixes for Window<'_> {
    #[inline(always)]
    fn word(&self, start: u32) -> u64 {
        let start = (start & 63) as usize;
        u64::from_be_bytes(self.0[start..start + 8].try_into().expect("eight bytes"))
    }
}

/// A block near the end of the input (the input and the block's offset).
struct Tail<'a>(&'a [u8], usize);

impl Prefixes for Tail<'_> {
    #[inline(always)]
    fn word(&self, start: u32) -> u64 {
        let start = self.1 + start as usize;
        prefix_at(self.0, start, (self.0.len() - start).min(8))
    }
}

/// The masks of a block to read its pairs from, past the pairs already
/// read.
///
/// A pair is the bits from the end of the one before to the next `&`; the
/// lowest bit of `names` ends its name. Only a pair that holds a bit of
/// `odd` (a special byte, or an `=` or `&` just after a pair's start: an
/// empty name or pair) needs more tests.
struct Block {
    /// The `&` not yet passed.
    amps: u64,
    /// The ends of the names not yet passed: of each pair, its first `=`
    /// or else its `&`.
    names: u64,
    /// The bits of `odd` not yet passed.
    odd: u64,
}

impl Block {
    /// The pairs ending at the `&` of the block, which starts with one.
    #[inline(always)]
    fn new(marks: &masks::Marks) -> Block {
        // The bits where a pair starts: just after a `&`, and the first.
        let starts = marks.amp << 1 | 1;
        let ends = marks.equals | marks.amp;
        Block {
            amps: marks.amp,
            // Subtracting a pair's start bit from `ends` borrows up to
            // the lowest bit of `ends` from it, the end of its name, and no
            // further: that bit is the only one cleared.
            names: ends & !ends.wrapping_sub(starts),
            odd: marks.special | ends & starts,
        }
    }
}

/// What [`read_block`] leaves of a block: the part after its last `&`.
struct Rest {
    /// Its first bit: the bit after the last `&`.
    start: u32,
    /// The bits of the block's `names` not passed: the first `=` of the
    /// part, if any.
    names: u64,
    /// The bits of the block's `odd` not passed: the special bytes of the
    /// part, and its first bit if that is an `=`.
    odd: u64,
}

/// Records the pairs of `block` (of the input at `base`) that end within
/// it; `None` when it must stop first.
///
/// A plain pair is two bit scans and two bit clears, a load of its prefix
/// and its stores: about 34 instructions. Testing each pair's segment of
/// the masks for the name and the special bytes cost about 107 a pair on
/// the `verify_v3` bench pingback.
#[inline(always)]
fn read_block(
    out: &mut Out,
    entries: &mut impl Entries,
    block: Block,
    base: usize,
    prefixes: impl Prefixes,
) -> Option<Rest> {
    let Block {
        mut amps,
        mut names,
        mut odd,
    } = block;
    let mut from = 0;
    let at = to_u32(base);
    loop {
        // The pairs that end before the lowest bit of `odd` are plain (all
        // when there is none): read without testing `odd`.
        let mut plain = amps & odd.wrapping_sub(1) & !odd;
        amps ^= plain;
        while plain != 0 {
            let end = plain.trailing_zeros();
            plain &= plain - 1;
            let start = from;
            from = end + 1;
            let name_end = names.trailing_zeros();
            names &= names.wrapping_sub(1);
            if entries.count() >= out.stop {
                return None;
            }
            entries.record(Entry {
                prefix: prefixes.word(start) & KEEP[((name_end - start) & 63) as usize],
                name: Span {
                    start: at + start,
                    end: at + name_end,
                },
                key: NO_KEY,
                value: Span {
                    start: at + name_end + u32::from(name_end < end),
                    end: at + end,
                },
            });
        }
        if amps == 0 {
            return Some(Rest {
                start: from,
                names,
                odd,
            });
        }
        // The pair that holds the lowest bit of `odd`.
        let end = amps.trailing_zeros();
        let passed = amps ^ (amps - 1);
        amps &= amps - 1;
        let start = from;
        from = end + 1;
        let name_end = names.trailing_zeros();
        names &= names.wrapping_sub(1);
        // The pair's first special byte, or its start when its name is
        // empty (an `=` or `&` there): no other bit of `odd` comes before.
        let first_odd = odd.trailing_zeros();
        odd &= !passed;
        if start == end {
            continue;
        }
        // An odd pair that is not pending holds a special byte in its
        // value (a special byte is never an `=` nor the `&`).
        let pending = first_odd <= name_end;
        let key = if pending { PENDING } else { ESCAPED_VALUE };
        if entries.count() >= out.stop {
            return None;
        }
        out.pending |= pending;
        entries.record(Entry {
            prefix: prefixes.word(start) & KEEP[((name_end - start) & 63) as usize],
            name: Span {
                start: at + start,
                end: at + name_end,
            },
            key,
            value: Span {
                start: at + name_end + u32::from(name_end < end),
                end: at + end,
            },
        });
    }
}

/// What the scan knows besides the entries.
struct Out {
    /// The count at which to stop: [`Limits::max_parameters`] or the room
    /// of the entries, whichever is lower.
    stop: usize,
    /// [`Limits::max_parameters`].
    limit: usize,
    /// Some entry is marked [`PENDING`].
    pending: bool,
}

impl Out {
    /// Ends `pair` at `end` and records it unless it is empty; false when
    /// it must stop first.
    #[inline(always)]
    fn close(&mut self, input: &[u8], entries: &mut impl Entries, pair: &Pair, end: usize) -> bool {
        let start = pair.start;
        if start == end {
            return true;
        }
        if entries.count() >= self.stop {
            return false;
        }
        let name_end = pair.equals.min(end);
        let pending = pair.special_name || name_end == start;
        self.pending |= pending;
        let key = if pending {
            PENDING
        } else if pair.special {
            ESCAPED_VALUE
        } else {
            NO_KEY
        };
        entries.record(Entry {
            prefix: prefix_at(input, start, name_end - start),
            name: Span {
                start: to_u32(start),
                end: to_u32(name_end),
            },
            key,
            value: Span {
                start: to_u32(name_end + usize::from(name_end < end)),
                end: to_u32(end),
            },
        });
        true
    }

    /// What [`scan_into`] returns when it stopped: the entries are at the
    /// limit, or full.
    #[cold]
    fn stopped(&self, entries: &impl Entries) -> Result<Scanned, ParamsError> {
        if entries.count() == self.limit {
            return Err(ParamsError::TooManyParameters { limit: self.limit });
        }
        Ok(Scanned {
            complete: false,
            pending: self.pending,
        })
    }
}

/// A pair that runs past the block it starts in.
struct Pair {
    start: usize,
    /// The first `=` of the pair, or `usize::MAX` before it.
    equals: usize,
    /// The name holds `%`, `+`, `[` or `]`.
    special_name: bool,
    /// The name or the value holds one of them (read only when the pair
    /// is not pending: [`Pair::rest`] may set it for an empty name).
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

    /// The part of a block after its last `&` (the block at `base`), as
    /// [`Pair::at`] and [`Pair::extend`] with those bits give it (but for
    /// `special` of an empty name).
    #[inline(always)]
    fn rest(base: usize, rest: &Rest) -> Pair {
        // The special bytes, and the start when it is an `=`: that empty
        // name makes the pair pending, whatever `special` says.
        let special = rest.odd;
        let equals = rest.names.trailing_zeros();
        Pair {
            start: base + rest.start as usize,
            equals: if equals < 64 {
                base + equals as usize
            } else {
                usize::MAX
            },
            special_name: special.trailing_zeros() < equals,
            special: special != 0,
        }
    }

    /// Takes in the bits `within` of the block at `base` (the part of the
    /// block that belongs to the pair).
    #[inline(always)]
    fn extend(&mut self, marks: &masks::Marks, base: usize, within: u64) {
        let special = marks.special & within;
        if self.equals == usize::MAX {
            // 64 when the block holds none.
            let equals = (marks.equals & within).trailing_zeros();
            self.special_name |= special.trailing_zeros() < equals;
            if equals < 64 {
                self.equals = base + equals as usize;
            }
        }
        self.special |= special != 0;
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
        let left = input.len().saturating_sub(start);
        if left > 48 {
            if let Some(end) = input.get(input.len().wrapping_sub(64)..) {
                // Four chunks to load either way: the last 64 bytes of the
                // input at once, without the chunk loop (about 20
                // instructions less).
                return of(end.try_into().expect("64 bytes")).shifted(64 - left);
            }
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
            add_i8_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i,
            set_splat_i8_m128i, zeroed_m128i,
        };
        let splat = |byte: u8| set_splat_i8_m128i(i8::from_ne_bytes([byte]));
        let bits = |mask| u64::from(u32::from_ne_bytes(move_mask_i8_m128i(mask).to_ne_bytes()));
        let v = load_unaligned_m128i(chunk);
        let is = |byte: u8| cmp_eq_mask_i8_m128i(v, splat(byte));
        // `[` and `]` are two apart: less `[`, the byte is 0 or 2, and no
        // other byte is 0 with the bit of 2 cleared. One compare less a
        // chunk: about 25 instructions a `verify_v3` call.
        let brackets = add_i8_m128i(v, splat(SPECIAL[2].wrapping_neg())) & splat(!2);
        let brackets = cmp_eq_mask_i8_m128i(brackets, zeroed_m128i());
        let special = (is(SPECIAL[0]) | is(SPECIAL[1])) | brackets;
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
        fn every_byte_value_is_marked_as_bytewise_marks_it() {
            for first in 0..=255u8 {
                // Each value at every lane of a chunk, next to every other.
                let block: [u8; 64] =
                    std::array::from_fn(|i| first.wrapping_add((i as u8).wrapping_mul(5)));
                assert_eq!(super::of(&block), super::bytewise(&block), "{first}");
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

    /// What a scan gives: its entries as `(prefix, name, key, value)`, and
    /// [`Scanned`].
    type Found = Result<(Vec<(u64, Span, Span, Span)>, Scanned), ParamsError>;

    /// What [`scan_into`] gives, found the plain way; `room` is the most
    /// entries that fit.
    fn plain_scan(input: &[u8], max_parameters: usize, room: usize) -> Found {
        let mut entries = Vec::new();
        let mut pending = false;
        let mut start = 0;
        for piece in input.split(|&b| b == b'&') {
            let end = start + piece.len();
            if !piece.is_empty() {
                if entries.len() == max_parameters {
                    return Err(ParamsError::TooManyParameters {
                        limit: max_parameters,
                    });
                }
                if entries.len() == room {
                    let complete = false;
                    return Ok((entries, Scanned { complete, pending }));
                }
                let name_len = piece.iter().position(|&b| b == b'=').unwrap_or(piece.len());
                let special = |bytes: &[u8]| bytes.iter().any(|b| b"%+[]".contains(b));
                let key = if name_len == 0 || special(&piece[..name_len]) {
                    pending = true;
                    PENDING
                } else if special(&piece[name_len..]) {
                    ESCAPED_VALUE
                } else {
                    NO_KEY
                };
                let name_end = start + name_len;
                let span = |start: usize, end: usize| Span {
                    start: start as u32,
                    end: end as u32,
                };
                entries.push((
                    super::super::order::prefix_of(&piece[..name_len]),
                    span(start, name_end),
                    key,
                    span((name_end + 1).min(end), end),
                ));
            }
            start = end + 1;
        }
        let complete = true;
        Ok((entries, Scanned { complete, pending }))
    }

    /// [`scan_into`] an array of `N` entries, as [`plain_scan`] gives it.
    fn scanned<const N: usize>(input: &[u8], max_parameters: usize) -> Found {
        let limits = Limits {
            max_parameters,
            ..Limits::default()
        };
        let mut entries = arrayvec::ArrayVec::<Entry, N>::new();
        let scanned = scan_into(input, &limits, &mut entries)?;
        let entries = entries
            .iter()
            .map(|e| (e.prefix, e.name, e.key, e.value))
            .collect();
        Ok((entries, scanned))
    }

    /// Input of pairs of any length (within a block, across one or more),
    /// names of up to and past eight bytes, every kind of byte the scan
    /// marks, anywhere, and empty pairs and names.
    fn pairs() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            4 => "[a-z]{1,12}",
            1 => "[a-z0-9_]{20,90}",
            3 => "[&=%+\\[\\]]",
            1 => "[&=]{1,3}",
        ];
        prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat().into_bytes())
    }

    proptest! {
        #[test]
        fn every_field_is_what_a_plain_split_finds(input in pairs(), max in 0usize..80) {
            let input = &input[..];
            prop_assert_eq!(scanned::<64>(input, max), plain_scan(input, max, 64));
            prop_assert_eq!(scanned::<5>(input, max), plain_scan(input, max, 5));
            prop_assert_eq!(scanned::<64>(input, usize::MAX), plain_scan(input, usize::MAX, 64));
            let mut all = Vec::new();
            let limits = Limits { max_parameters: max, ..Limits::default() };
            let found = scan_into(input, &limits, &mut all).map(|scanned| {
                let all = all.iter().map(|e| (e.prefix, e.name, e.key, e.value)).collect();
                (all, scanned)
            });
            prop_assert_eq!(found, plain_scan(input, max, usize::MAX));
        }
    }

    #[test]
    fn pairs_at_block_edges_are_what_a_plain_split_finds() {
        // Every pair length around the block size, every place of the
        // `=`, the input ending with `&` or `=` or not.
        for first in [0, 1, 7, 8, 9, 55, 56, 62, 63, 64, 65, 70] {
            for len in [1, 2, 8, 9, 62, 63, 64, 65, 66, 127, 128, 129, 200] {
                let places = [None, Some(0), Some(1), Some(8), Some(len - 1)];
                for equals in places.into_iter().filter(|at| at.is_none_or(|at| at < len)) {
                    for end in ["", "&", "=", "&x", "&x=%", "[", "&&"] {
                        let mut input = vec![b'a'; first];
                        if first > 0 {
                            input.push(b'&');
                        }
                        let mut pair = vec![b'b'; len];
                        if let Some(at) = equals {
                            pair[at] = b'=';
                        }
                        input.extend_from_slice(&pair);
                        input.extend_from_slice(end.as_bytes());
                        for max in [0, 1, 2, 3, 300] {
                            assert_eq!(
                                scanned::<64>(&input, max),
                                plain_scan(&input, max, 64),
                                "{first} {len} {equals:?} {end:?} {max}"
                            );
                            assert_eq!(
                                scanned::<2>(&input, max),
                                plain_scan(&input, max, 2),
                                "{first} {len} {equals:?} {end:?} {max}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_long_pair_after_the_last_amp_of_a_block_is_what_a_plain_split_finds() {
        // The pair after the last `&` of a block, from every place in the
        // block, of every length around the block size: its `=`, a special
        // byte in its name or value, the pairs after it.
        for first in 0..64 {
            for len in [1, 2, 30, 31, 32, 33, 40, 63, 64, 65, 66, 90, 128, 140] {
                let places = [None, Some(0), Some(1), Some(7), Some(30), Some(len - 1)];
                let equals = places.into_iter().filter(|at| at.is_none_or(|at| at < len));
                for equals in equals {
                    let specials = places.into_iter().filter(|at| at.is_none_or(|at| at < len));
                    for special in specials.filter(|&at| at.is_none() || at != equals) {
                        for end in ["", "&", "&x=1", "&&y=%2", "=&z"] {
                            let mut input = vec![b'a'; first];
                            input.push(b'&');
                            let mut pair = vec![b'b'; len];
                            if let Some(at) = equals {
                                pair[at] = b'=';
                            }
                            if let Some(at) = special {
                                pair[at] = b'+';
                            }
                            input.extend_from_slice(&pair);
                            input.extend_from_slice(end.as_bytes());
                            for max in [1, 2, 300] {
                                assert_eq!(
                                    scanned::<64>(&input, max),
                                    plain_scan(&input, max, 64),
                                    "{first} {len} {equals:?} {special:?} {end:?} {max}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_limit_is_told_below_and_above_the_array_size() {
        let input: Vec<String> = (0..100).map(|i| format!("n{i}=v")).collect();
        let input = input.join("&");
        for max in [0, 1, 63, 64, 65, 99, 100, 101] {
            assert_eq!(
                scanned::<64>(input.as_bytes(), max),
                plain_scan(input.as_bytes(), max, 64),
                "{max}"
            );
            let mut all = Vec::new();
            let limits = Limits {
                max_parameters: max,
                ..Limits::default()
            };
            let found = scan_into(input.as_bytes(), &limits, &mut all).map(|s| s.complete);
            let expected = plain_scan(input.as_bytes(), max, usize::MAX).map(|(_, s)| s.complete);
            assert_eq!(found, expected, "{max}");
        }
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
