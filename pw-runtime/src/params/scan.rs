//! The scanner behind [`Params::parse`](super::Params::parse): finds the
//! pairs of `application/x-www-form-urlencoded` input.
//!
//! It reads the input 64 bytes at a time as a bitmask of the bytes that
//! matter (`&`, `=`, and those that need more work: `%`, `+`, `[`, `]`)
//! and looks only at those bytes: a typical pair has two (its `=` and the
//! `&` that ends it), so the cost is per block and per pair, not per byte.
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

/// Finds every non-empty pair of `input`, in input order.
pub(super) fn scan(input: &[u8], limits: &Limits) -> Result<Vec<Entry>, ParamsError> {
    // Room for every real pingback: growing past 16 entries cost a
    // `realloc` (about 480 instructions) for 17 to 32.
    let mut entries = Vec::with_capacity(32);
    let mut pair = Pair::at(0);
    let mut base = 0;
    while base < input.len() {
        let mut bits = masks::at(input, base);
        while bits != 0 {
            let at = base + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            match input.get(at) {
                Some(b'&') => {
                    pair.close(input, at, limits, &mut entries)?;
                    pair = Pair::at(at + 1);
                }
                Some(b'=') if pair.equals == usize::MAX => pair.equals = at,
                Some(b'=') => {}
                _ if pair.equals == usize::MAX => pair.special_name = true,
                _ => pair.special_value = true,
            }
        }
        base += 64;
    }
    pair.close(input, input.len(), limits, &mut entries)?;
    Ok(entries)
}

/// The pair being read.
struct Pair {
    start: usize,
    /// The first `=` of the pair, or `usize::MAX` before it.
    equals: usize,
    /// The name holds `%`, `+`, `[` or `]`.
    special_name: bool,
    /// The value holds one of them.
    special_value: bool,
}

impl Pair {
    fn at(start: usize) -> Pair {
        Pair {
            start,
            equals: usize::MAX,
            special_name: false,
            special_value: false,
        }
    }

    /// Ends the pair at `end` and records it.
    #[inline(always)]
    fn close(
        &self,
        input: &[u8],
        end: usize,
        limits: &Limits,
        entries: &mut Vec<Entry>,
    ) -> Result<(), ParamsError> {
        let start = self.start;
        if end == start {
            return Ok(());
        }
        if entries.len() == limits.max_parameters {
            return Err(ParamsError::TooManyParameters {
                limit: limits.max_parameters,
            });
        }
        let name_end = self.equals.min(end);
        let key = if self.special_name || name_end == start {
            PENDING
        } else if self.special_value {
            ESCAPED_VALUE
        } else {
            NO_KEY
        };
        entries.push(Entry {
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
        });
        Ok(())
    }
}

/// The bitmask of a 64-byte block: bit `i` is set when byte `i` is one of
/// `&`, `=`, `%`, `+`, `[`, `]`. Computed sixteen bytes at a time with SSE2
/// (part of every x86-64 processor; `safe_arch` wraps the instructions), a
/// byte at a time elsewhere; both ways give the same mask.
mod masks {
    /// The bytes the scanner looks at.
    const MARKED: [u8; 6] = *b"&=%+[]";

    /// The mask of the (up to) 64 bytes of `input` from `start`; bits past
    /// the end of the input are clear.
    #[inline(always)]
    pub(super) fn at(input: &[u8], start: usize) -> u64 {
        if let Some(block) = input.get(start..start + 64) {
            return of(block.try_into().expect("64 bytes"));
        }
        if let Some(last) = input.len().checked_sub(64) {
            // The last 64 bytes, which overlap the block before: loading
            // them whole is cheaper than copying the tail to a padded block.
            let block = input[last..].try_into().expect("64 bytes");
            return of(block) >> (start - last);
        }
        let mut padded = [0u8; 64];
        padded[..input.len()].copy_from_slice(input);
        of(&padded)
    }

    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    pub(super) fn of(block: &[u8; 64]) -> u64 {
        use safe_arch::{
            cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i, set_splat_i8_m128i,
        };
        let splat = |byte: u8| set_splat_i8_m128i(i8::from_ne_bytes([byte]));
        let mut mask = 0;
        for (n, chunk) in block.chunks_exact(16).enumerate() {
            let v = load_unaligned_m128i(chunk.try_into().expect("sixteen bytes"));
            let is = |byte: u8| cmp_eq_mask_i8_m128i(v, splat(byte));
            let marked = (is(MARKED[0]) | is(MARKED[1]))
                | (is(MARKED[2]) | is(MARKED[3]))
                | (is(MARKED[4]) | is(MARKED[5]));
            let bits = u32::from_ne_bytes(move_mask_i8_m128i(marked).to_ne_bytes());
            mask |= u64::from(bits) << (16 * n);
        }
        mask
    }

    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    pub(super) fn of(block: &[u8; 64]) -> u64 {
        bytewise(block)
    }

    /// [`of`], one byte at a time.
    #[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
    pub(super) fn bytewise(block: &[u8; 64]) -> u64 {
        block
            .iter()
            .enumerate()
            .filter(|(_, byte)| MARKED.contains(byte))
            .fold(0, |mask, (i, _)| mask | 1 << i)
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

        #[test]
        fn bit_i_is_byte_i() {
            let mut block = [b'a'; 64];
            block[0] = b'&';
            block[17] = b'=';
            block[63] = b'%';
            block[40] = b']';
            assert_eq!(super::of(&block), 1 | 1 << 17 | 1 << 40 | 1 << 63);
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
