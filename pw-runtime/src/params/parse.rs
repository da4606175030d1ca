//! The strict `application/x-www-form-urlencoded` scanner and in-place
//! decoder behind [`Params::parse`](super::Params::parse).
//!
//! One pass over the input classifies each byte with a table and records
//! every pair, its first `=`, and whether its name or value holds an escape
//! (`%`, `+`) or its name a bracket. Only the pairs so flagged are decoded.
//! Percent-decoding is written here rather than taken from a crate because
//! the crates we know decode leniently (an invalid escape passes through
//! literally) and we must reject it instead.

use super::order::prefix_at;
use super::{shown, Entry, Limits, ParamsError, Span, NO_KEY};

const ORDINARY: u8 = 0;
const AMPERSAND: u8 = 1;
const EQUALS: u8 = 2;
const ESCAPE: u8 = 3;
const BRACKET: u8 = 4;

static CLASS: [u8; 256] = {
    let mut table = [ORDINARY; 256];
    table[b'&' as usize] = AMPERSAND;
    table[b'=' as usize] = EQUALS;
    table[b'%' as usize] = ESCAPE;
    table[b'+' as usize] = ESCAPE;
    table[b'[' as usize] = BRACKET;
    table[b']' as usize] = BRACKET;
    table
};

// Flags of a scanned pair, kept in `Entry::prefix` until `finish` sets it.
const NAME_ESCAPED: u64 = 1;
const VALUE_ESCAPED: u64 = 2;
const NAME_BRACKET: u64 = 4;

/// An offset into the input, whose length `Params::parse` checked to fit
/// in `u32`.
#[allow(clippy::cast_possible_truncation)]
fn to_u32(offset: usize) -> u32 {
    debug_assert!(u32::try_from(offset).is_ok());
    offset as u32
}

/// Finds every non-empty pair of `buf`, in input order.
pub(super) fn scan(buf: &[u8], limits: &Limits) -> Result<Vec<Entry>, ParamsError> {
    let mut scanner = Scanner {
        entries: Vec::with_capacity(16),
        limits,
        start: 0,
        equals: usize::MAX,
        flags: 0,
    };
    let scanned = special_bytes::visit(buf, |i| scanner.special(CLASS[usize::from(buf[i])], i));
    scanned?;
    scanner.close(buf.len())?;
    Ok(scanner.entries)
}

/// The state of a scan: the pair being read.
struct Scanner<'a> {
    entries: Vec<Entry>,
    limits: &'a Limits,
    start: usize,
    equals: usize,
    flags: u64,
}

impl Scanner<'_> {
    /// Handles the special byte of class `class` at `i`.
    #[inline(always)]
    fn special(&mut self, class: u8, i: usize) -> Result<(), ParamsError> {
        match class {
            AMPERSAND => {
                self.close(i)?;
                (self.start, self.equals, self.flags) = (i + 1, usize::MAX, 0);
            }
            EQUALS => self.equals = self.equals.min(i),
            ESCAPE if self.equals == usize::MAX => self.flags |= NAME_ESCAPED,
            ESCAPE => self.flags |= VALUE_ESCAPED,
            _ if self.equals == usize::MAX => self.flags |= NAME_BRACKET,
            _ => {}
        }
        Ok(())
    }

    /// Ends the pair that ends at `end`.
    #[inline(never)]
    fn close(&mut self, end: usize) -> Result<(), ParamsError> {
        push(
            &mut self.entries,
            self.limits,
            self.start,
            self.equals,
            end,
            self.flags,
        )
    }
}

/// Finds the bytes that are not [`ORDINARY`]: sixteen at a time with SSE2
/// (part of every x86-64 processor; `safe_arch` wraps the instructions),
/// one at a time elsewhere and for the tail. Both ways call `visit` for every such byte, in order, and stop at
/// its first error.
mod special_bytes {
    use super::{CLASS, ORDINARY};

    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    pub(super) fn visit<E>(
        buf: &[u8],
        mut visit: impl FnMut(usize) -> Result<(), E>,
    ) -> Result<(), E> {
        use safe_arch::{
            cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i, set_splat_i8_m128i,
        };
        let splat = |byte: u8| set_splat_i8_m128i(i8::from_ne_bytes([byte]));
        let targets = [
            splat(b'&'),
            splat(b'='),
            splat(b'%'),
            splat(b'+'),
            splat(b'['),
            splat(b']'),
        ];
        let chunks = buf.chunks_exact(16);
        let tail = chunks.remainder();
        for (n, chunk) in chunks.enumerate() {
            let v = load_unaligned_m128i(chunk.try_into().expect("sixteen bytes"));
            let hits = targets
                .iter()
                .fold(cmp_eq_mask_i8_m128i(v, targets[0]), |acc, &t| {
                    acc | cmp_eq_mask_i8_m128i(v, t)
                });
            let mut mask = u32::from_ne_bytes(move_mask_i8_m128i(hits).to_ne_bytes());
            while mask != 0 {
                visit(n * 16 + mask.trailing_zeros() as usize)?;
                mask &= mask - 1;
            }
        }
        visit_bytes(tail, buf.len() - tail.len(), visit)
    }

    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    pub(super) fn visit<E>(buf: &[u8], visit: impl FnMut(usize) -> Result<(), E>) -> Result<(), E> {
        visit_bytes(buf, 0, visit)
    }

    /// One byte at a time; `offset` is the position of `bytes` in the input.
    pub(super) fn visit_bytes<E>(
        bytes: &[u8],
        offset: usize,
        mut visit: impl FnMut(usize) -> Result<(), E>,
    ) -> Result<(), E> {
        for (i, &byte) in bytes.iter().enumerate() {
            if CLASS[usize::from(byte)] != ORDINARY {
                visit(offset + i)?;
            }
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use proptest::prelude::*;

        fn collect(buf: &[u8], vectorised: bool) -> Vec<usize> {
            let mut found = Vec::new();
            let record = |i| {
                found.push(i);
                Ok::<(), ()>(())
            };
            if vectorised {
                super::visit(buf, record).unwrap();
            } else {
                super::visit_bytes(buf, 0, record).unwrap();
            }
            found
        }

        proptest! {
            #[test]
            fn both_ways_find_the_same_bytes(buf in "[a-z&=%+\\[\\]]{0,70}") {
                prop_assert_eq!(collect(buf.as_bytes(), true), collect(buf.as_bytes(), false));
            }
        }

        #[test]
        fn finds_every_special_byte_across_chunks() {
            let buf = b"aaaaaaaaaaaaaaa&=bbbbbbbbbbbbb%+[]cc";
            assert_eq!(collect(buf, true), [15, 16, 30, 31, 32, 33]);
        }
    }
}

fn push(
    entries: &mut Vec<Entry>,
    limits: &Limits,
    start: usize,
    equals: usize,
    end: usize,
    flags: u64,
) -> Result<(), ParamsError> {
    if end == start {
        return Ok(());
    }
    if entries.len() == limits.max_parameters {
        return Err(ParamsError::TooManyParameters {
            limit: limits.max_parameters,
        });
    }
    let name_end = equals.min(end);
    entries.push(Entry {
        prefix: flags,
        name: Span {
            start: to_u32(start),
            end: to_u32(name_end),
        },
        key: NO_KEY,
        value: Span {
            start: to_u32((name_end + 1).min(end)),
            end: to_u32(end),
        },
    });
    Ok(())
}

/// Decodes a flagged entry in place, splits `name[key]`, sets the prefix.
///
/// The decoded pair stays contiguous, `name=value` (or `name[key]=value`)
/// exactly as a base string writes it; the bytes it frees at its end are
/// set to NUL so that the buffer stays valid UTF-8 around each pair.
#[inline]
pub(super) fn finish(buf: &mut [u8], entry: &mut Entry) -> Result<(), ParamsError> {
    let flags = entry.prefix;
    if flags == 0 && entry.name.start != entry.name.end {
        let len = (entry.name.end - entry.name.start) as usize;
        entry.prefix = prefix_at(buf, entry.name.start as usize, len);
        return Ok(());
    }
    finish_flagged(buf, entry)
}

/// [`finish`] of an entry with an escape or a bracket, or an empty name.
fn finish_flagged(buf: &mut [u8], entry: &mut Entry) -> Result<(), ParamsError> {
    let flags = entry.prefix;
    let start = entry.name.start as usize;
    if flags & (NAME_ESCAPED | VALUE_ESCAPED) != 0 {
        let has_equals = entry.value.start == entry.name.end + 1;
        let name_end = decode_into(buf, start, entry.name.end as usize, start)?;
        let mut value_start = name_end;
        if has_equals {
            buf[value_start] = b'=';
            value_start += 1;
        }
        let (read, end) = (entry.value.start as usize, entry.value.end as usize);
        let value_end = decode_into(buf, read, end, value_start)?;
        buf[value_end..end].fill(0);
        entry.name.end = to_u32(name_end);
        entry.value = Span {
            start: to_u32(value_start),
            end: to_u32(value_end),
        };
    }
    if entry.name.start == entry.name.end {
        return Err(ParamsError::EmptyName { offset: start });
    }
    let name = &buf[entry.name.range()];
    if flags & (NAME_ESCAPED | NAME_BRACKET) != 0 && memchr::memchr2(b'[', b']', name).is_some() {
        let (name_len, key_start, key_len) =
            split_array_name(name).ok_or_else(|| ParamsError::InvalidName { name: shown(name) })?;
        entry.key = Span {
            start: to_u32(start + key_start),
            end: to_u32(start + key_start + key_len),
        };
        entry.name.end = to_u32(start + name_len);
    }
    entry.prefix = prefix_at(buf, start, (entry.name.end - entry.name.start) as usize);
    Ok(())
}

/// For `name[key]` with a non-empty name and key and no other bracket:
/// `(name length, key offset, key length)`.
fn split_array_name(name: &[u8]) -> Option<(usize, usize, usize)> {
    let open = name.iter().position(|&b| b == b'[')?;
    let (&last, inner) = name[open + 1..].split_last()?;
    let valid = open > 0
        && last == b']'
        && !inner.is_empty()
        && !inner.iter().any(|&b| b == b'[' || b == b']');
    valid.then_some((open, open + 1, inner.len()))
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `buf[read..end]` to `buf[write..]` (`write <= read`: decoding
/// only shrinks) and returns where the decoded bytes end.
fn decode_into(
    buf: &mut [u8],
    read: usize,
    end: usize,
    write: usize,
) -> Result<usize, ParamsError> {
    let plain = memchr::memchr2(b'%', b'+', &buf[read..end]).unwrap_or(end - read);
    buf.copy_within(read..read + plain, write);
    let (mut read, mut write) = (read + plain, write + plain);
    while read < end {
        let byte = match buf[read] {
            b'+' => b' ',
            b'%' => {
                let decoded = buf
                    .get(read + 1..read + 3)
                    .filter(|_| read + 3 <= end)
                    .and_then(|hex| Some(hex_digit(hex[0])? << 4 | hex_digit(hex[1])?))
                    .ok_or(ParamsError::InvalidPercentEscape { offset: read })?;
                read += 2;
                decoded
            }
            other => other,
        };
        buf[write] = byte;
        read += 1;
        write += 1;
    }
    Ok(write)
}
