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
/// from the input. The freed bytes (two per escape) are cleared sixteen at
/// once, which that copy overwrites past the end (a call to `memset` for
/// them cost about 30 instructions per value).
#[inline(always)]
pub(super) fn value_in_place(
    input: &[u8],
    buf: &mut [u8],
    entry: &mut Entry,
) -> Result<(), ParamsError> {
    let (read, end) = (entry.value.start as usize, entry.value.end as usize);
    // Sixteen bytes of room after the value, in the input and the buffer,
    // checked once: the offsets in `u32` (the input's length fits), each
    // chunk's bounds follow from `i < end` with no test of their own
    // (a chunk checked against both ends cost 8 instructions a step).
    let (Some(window), Some(out)) = (input.get(..end + 16), buf.get_mut(..end + 16)) else {
        return value_near_the_end(input, buf, entry);
    };
    let (read, end) = (to_u32(read), to_u32(end));
    let (mut i, mut at) = (read, read);
    while i < end {
        let chunk: &[u8; 16] = window[i as usize..i as usize + 16]
            .try_into()
            .expect("sixteen bytes");
        let (plain, run) = plain::run(chunk);
        let written: &mut [u8; 16] = (&mut out[at as usize..at as usize + 16])
            .try_into()
            .expect("sixteen bytes");
        // All sixteen are written; those past the run are written again
        // by what follows, or restored below.
        *written = plain;
        let (run, left) = (run as u32, end - i);
        if run >= left {
            at += left;
            break;
        }
        if run == 16 {
            (i, at) = (i + 16, at + 16);
            continue;
        }
        // `chunk[run]` is the `%` that ended the run; its digits must be
        // in the value.
        let digit = (i + run) as usize;
        let Some(&[high, low]) = window[..end as usize].get(digit + 1..digit + 3) else {
            return Err(ParamsError::InvalidPercentEscape { offset: digit });
        };
        let (high, low) = (HEX[usize::from(high)], HEX[usize::from(low)]);
        if high | low >= NOT_HEX {
            return Err(ParamsError::InvalidPercentEscape { offset: digit });
        }
        written[run as usize] = high << 4 | low;
        (i, at) = (i + run + 3, at + run + 1);
    }
    let (value_end, end) = (at as usize, end as usize);
    if end - value_end <= 16 {
        let freed: &mut [u8; 16] = (&mut out[value_end..value_end + 16])
            .try_into()
            .expect("sixteen bytes");
        *freed = [0; 16];
        let kept: &mut [u8; 16] = (&mut out[end..end + 16]).try_into().expect("sixteen bytes");
        *kept = window[end..end + 16].try_into().expect("sixteen bytes");
    } else {
        restore_tail(input, buf, value_end, end);
    }
    entry.value.end = to_u32(value_end);
    entry.key = NO_KEY;
    Ok(())
}

/// [`value_in_place`] of a value less than sixteen bytes from the end of
/// the input.
#[cold]
#[inline(never)]
fn value_near_the_end(input: &[u8], buf: &mut [u8], entry: &mut Entry) -> Result<(), ParamsError> {
    let (read, end) = (entry.value.start as usize, entry.value.end as usize);
    let value_end = decode_into(input, buf, read..end, read, buf.len())?;
    restore_tail(input, buf, value_end, end);
    entry.value.end = to_u32(value_end);
    entry.key = NO_KEY;
    Ok(())
}

/// Clears `buf[value_end..end]` and copies the input back from `end`, up
/// to sixteen bytes: near the end of the input, or after a value of more
/// than eight escapes (apart, so that the common case stays a few moves).
#[cold]
#[inline(never)]
fn restore_tail(input: &[u8], buf: &mut [u8], value_end: usize, end: usize) {
    buf[value_end..end].fill(0);
    let tail = (end + 16).min(input.len());
    buf[end..tail].copy_from_slice(&input[end..tail]);
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

/// The value of each hexadecimal digit, [`NOT_HEX`] for any other byte.
static HEX: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// What [`HEX`] gives a byte that is no hexadecimal digit: `|` with any
/// digit's value, over 15.
const NOT_HEX: u8 = 0x10;

/// The byte of the escape `%` at `value[i]`.
#[inline(always)]
fn escape(value: &[u8], i: usize) -> Result<u8, ParamsError> {
    if let Some(&[high, low]) = value.get(i + 1..).and_then(<[u8]>::first_chunk) {
        let (high, low) = (HEX[usize::from(high)], HEX[usize::from(low)]);
        if high | low < NOT_HEX {
            return Ok(high << 4 | low);
        }
    }
    Err(ParamsError::InvalidPercentEscape { offset: i })
}

/// Decodes `input[read]` into `buf[write..]` and returns where the
/// decoded bytes end. Bytes of `buf` from there up to `room` may be
/// overwritten: `room` is the end of the pair for a decode in place, and
/// the end of `buf` where what follows is yet to be written.
///
/// Each step writes sixteen bytes, up to the next `%` ([`plain::run`]),
/// and decodes that escape. The sixteen bytes may reach past the end of
/// `read` (the run is cut at that end) while the input and `room` have
/// them; only near the end of either does it go a byte at a time. A loop
/// over every byte mispredicted its branches on `+` and `%` and cost 40 ns
/// for the two escaped values of a typical pingback; copying the short
/// tail through a stack buffer stalled on store forwarding; a byte at a
/// time for the last fifteen bytes of each value cost about 250
/// instructions per short escaped value; a step for each run and another
/// for each escape, hexadecimal digits by `match`, about 310 for the two
/// escaped values of a typical pingback, this (inlined) about 220.
#[inline(always)]
pub(super) fn decode_into(
    input: &[u8],
    buf: &mut [u8],
    read: std::ops::Range<usize>,
    write: usize,
    room: usize,
) -> Result<usize, ParamsError> {
    let (value, end) = (&input[..read.end], read.end);
    // Offsets below 2^32 (the input's length is checked to fit): adding
    // sixteen cannot overflow, which spares the checks for it.
    let (mut i, mut at) = (to_u32(read.start) as usize, to_u32(write) as usize);
    let room = &mut buf[..room];
    while i < end {
        let chunk = input.get(i..i + 16);
        let out = room.get_mut(at..at + 16);
        let (Some(chunk), Some(out)) = (chunk, out) else {
            return decode_bytewise(value, buf, i, at);
        };
        let (plain, run) = plain::run(chunk.try_into().expect("sixteen bytes"));
        // All sixteen are written (there is room up to `room`); those
        // past the run are written again by what follows.
        out.copy_from_slice(&plain);
        if run >= end - i {
            return Ok(at + (end - i));
        }
        (i, at) = (i + run, at + run);
        if run < 16 {
            // `value[i]` is the `%` that ended the run.
            out[run] = escape(value, i)?;
            (i, at) = (i + 3, at + 1);
        }
    }
    Ok(at)
}

/// [`decode_into`] of `value[i..]` to `buf[at..]` a byte at a time, near
/// the end of the input or of the room.
#[cold]
#[inline(never)]
fn decode_bytewise(
    value: &[u8],
    buf: &mut [u8],
    mut i: usize,
    mut at: usize,
) -> Result<usize, ParamsError> {
    while let Some(&byte) = value.get(i) {
        if byte == b'%' {
            buf[at] = escape(value, i)?;
            (i, at) = (i + 3, at + 1);
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
