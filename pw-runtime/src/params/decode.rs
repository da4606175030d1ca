//! Percent-decoding, strict: an invalid escape is an error, where the
//! crates we know pass it through literally. Decoding reads the input and
//! writes a buffer at or before the same place (an escape only shrinks).

use super::order::prefix_at;
use super::{to_u32, Entry, ParamsError, Span, NO_KEY};

/// Decodes an entry the scan marked (its name or value holds an escape or
/// a bracket, or its name is empty) in place, splits `name[key]`, sets the
/// prefix.
///
/// `buf` starts as a copy of `input`. The decoded pair stays contiguous,
/// `name=value` (or `name[key]=value`); the bytes it frees at its end are
/// set to NUL so that the buffer stays valid UTF-8 around each pair.
pub(super) fn finish(input: &[u8], buf: &mut [u8], entry: &mut Entry) -> Result<(), ParamsError> {
    let start = entry.name.start as usize;
    let has_equals = entry.value.start == entry.name.end + 1;
    // The pair is rewritten up to its end, where the next one starts.
    let pair_end = entry.value.end as usize;
    let name_end = decode_into(input, buf, start..entry.name.end as usize, start, pair_end)?;
    let mut value_start = name_end;
    if has_equals {
        buf[value_start] = b'=';
        value_start += 1;
    }
    let (read, end) = (entry.value.start as usize, entry.value.end as usize);
    let value_end = decode_into(input, buf, read..end, value_start, end)?;
    buf[value_end..end].fill(0);
    entry.name.end = to_u32(name_end);
    entry.value = Span {
        start: to_u32(value_start),
        end: to_u32(value_end),
    };
    entry.key = NO_KEY;
    if name_end == start {
        return Err(ParamsError::EmptyName { offset: start });
    }
    let name = &buf[start..name_end];
    if name.iter().any(|&b| b == b'[' || b == b']') {
        let (name_len, key_start, key_len) =
            split_array_name(name).ok_or_else(|| ParamsError::InvalidName {
                name: pw_catalog::shown(&String::from_utf8_lossy(name)),
            })?;
        entry.key = Span {
            start: to_u32(start + key_start),
            end: to_u32(start + key_start + key_len),
        };
        entry.name.end = to_u32(start + name_len);
    }
    entry.prefix = prefix_at(buf, start, (entry.name.end - entry.name.start) as usize);
    Ok(())
}

/// Decodes the value of an entry the scan marked
/// [`ESCAPED_VALUE`](super::scan::ESCAPED_VALUE) (a plain name, escapes in
/// its value) in place: `buf` is a copy of `input` up to the values decoded
/// before, which come earlier in it. The bytes the value frees at its end
/// are set to NUL.
///
/// The value is decoded sixteen bytes at a time even near its end (a byte
/// at a time for the last fifteen cost about 250 instructions per short
/// value): the up to fifteen bytes written past its end are copied back
/// from the input.
#[inline]
pub(super) fn value_in_place(
    input: &[u8],
    buf: &mut [u8],
    entry: &mut Entry,
) -> Result<(), ParamsError> {
    let (read, end) = (entry.value.start as usize, entry.value.end as usize);
    let value_end = decode_into(input, buf, read..end, read, buf.len())?;
    if value_end < end {
        buf[value_end..end].fill(0);
    }
    match (buf.get_mut(end..end + 16), input.get(end..end + 16)) {
        (Some(written), Some(kept)) => {
            let written: &mut [u8; 16] = written.try_into().expect("sixteen bytes");
            *written = kept.try_into().expect("sixteen bytes");
        }
        _ => restore_tail(input, buf, end),
    }
    entry.value.end = to_u32(value_end);
    entry.key = NO_KEY;
    Ok(())
}

/// Copies the input back from `end` to its end, fewer than sixteen bytes
/// (apart, so that the common copy of sixteen stays a few moves).
#[cold]
#[inline(never)]
fn restore_tail(input: &[u8], buf: &mut [u8], end: usize) {
    buf[end..].copy_from_slice(&input[end..]);
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

/// Decodes `input[read]` into `buf[write..]` and returns where the
/// decoded bytes end. Bytes of `buf` from there up to `room` may be
/// overwritten: `room` is the end of the pair for a decode in place, and
/// the end of `buf` where what follows is yet to be written.
///
/// It goes sixteen bytes at a time up to the next `%` ([`plain::run`]).
/// The sixteen bytes may reach past the end of `read` (the run is cut at
/// that end) while the input and `room` have them; only near the end of
/// either does it go a byte at a time. A loop over every byte
/// mispredicted its branches on `+` and `%` and cost 40 ns for the two
/// escaped values of a typical pingback; copying the short tail through a
/// stack buffer stalled on store forwarding; a byte at a time for the last
/// fifteen bytes of each value cost about 250 instructions per short
/// escaped value.
pub(super) fn decode_into(
    input: &[u8],
    buf: &mut [u8],
    read: std::ops::Range<usize>,
    write: usize,
    room: usize,
) -> Result<usize, ParamsError> {
    let end = read.end;
    let (mut i, mut at) = (read.start, write);
    while let Some(&byte) = input[..end].get(i) {
        if byte == b'%' {
            buf[at] = input[..end]
                .get(i + 1..i + 3)
                .and_then(|hex| Some(hex_digit(hex[0])? << 4 | hex_digit(hex[1])?))
                .ok_or(ParamsError::InvalidPercentEscape { offset: i })?;
            (i, at) = (i + 3, at + 1);
        } else if let (Some(chunk), true) = (input.get(i..i + 16), at + 16 <= room) {
            let (plain, run) = plain::run(chunk.try_into().expect("sixteen bytes"));
            // All sixteen are written (there is room up to `room`); those
            // past the run are written again by what follows.
            buf[at..at + 16].copy_from_slice(&plain);
            let run = run.min(end - i);
            (i, at) = (i + run, at + run);
        } else {
            buf[at] = if byte == b'+' { b' ' } else { byte };
            (i, at) = (i + 1, at + 1);
        }
    }
    Ok(at)
}

/// The plain run at the start of sixteen bytes: the bytes with `+` turned
/// into a space, and how many come before the first `%` (16 when none).
/// SSE2 through `safe_arch` on x86-64, a byte at a time elsewhere.
mod plain {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    pub(super) fn run(chunk: &[u8; 16]) -> ([u8; 16], usize) {
        use safe_arch::{
            cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i, set_splat_i8_m128i,
        };
        let splat = |byte: u8| set_splat_i8_m128i(i8::from_ne_bytes([byte]));
        let v = load_unaligned_m128i(chunk);
        let plus = cmp_eq_mask_i8_m128i(v, splat(b'+'));
        let plain = v ^ (plus & splat(b'+' ^ b' '));
        let percent = move_mask_i8_m128i(cmp_eq_mask_i8_m128i(v, splat(b'%')));
        let run = (percent | 1 << 16).trailing_zeros() as usize;
        (plain.into(), run)
    }

    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    pub(super) fn run(chunk: &[u8; 16]) -> ([u8; 16], usize) {
        bytewise(chunk)
    }

    #[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
    pub(super) fn bytewise(chunk: &[u8; 16]) -> ([u8; 16], usize) {
        let plain = chunk.map(|byte| if byte == b'+' { b' ' } else { byte });
        let run = chunk.iter().position(|&byte| byte == b'%').unwrap_or(16);
        (plain, run)
    }

    #[cfg(test)]
    mod tests {
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn both_ways_agree(chunk in prop::array::uniform16(prop::sample::select(b"a+% Z\xff0".to_vec()))) {
                prop_assert_eq!(super::run(&chunk), super::bytewise(&chunk));
            }
        }
    }
}
