//! How [`Params`](super::Params) keeps its text: every pair decoded and
//! written `name=value` (or `name[key]=value`), concatenated in signing
//! order. That is the base string of signature versions 2 and 3 as it
//! stands, so checking a signature hashes at most four slices
//! ([`signed_pieces`]) instead of several small pieces per pair (which,
//! copied through a stack buffer, cost about 1,100 instructions per
//! verification of a typical pingback).

use std::ops::Range;

use super::scan::ESCAPED_VALUE;
use super::{decode, to_u32, Entry, ParamsError, Span, NO_KEY};

/// Writes the pairs of `text` in the order of `entries` (sorted) to a new
/// buffer, and points the entries at it. A pair without `=` gets one, so
/// that every pair reads as its base string piece; the value of an entry
/// marked [`ESCAPED_VALUE`] is decoded on the way.
///
/// # Errors
///
/// An invalid percent escape in such a value.
pub(super) fn concatenate(text: &[u8], entries: &mut [Entry]) -> Result<Vec<u8>, ParamsError> {
    // Room for the last wild copy. Starting from a copy of `text` rather
    // than zeros spares `calloc`, slower than `malloc` and a copy here.
    let mut buf = Vec::with_capacity(text.len() + entries.len() + 32);
    buf.extend_from_slice(text);
    buf.resize(buf.capacity(), 0);
    let mut len = 0;
    for entry in entries {
        let start = entry.name.start;
        let at = to_u32(len);
        let rebase = |span: Span| Span {
            start: span.start - start + at,
            end: span.end - start + at,
        };
        let name_end = match entry.key {
            NO_KEY | ESCAPED_VALUE => entry.name.end,
            key => key.end + 1,
        };
        if entry.key == ESCAPED_VALUE {
            // `name=`, then the value decoded.
            let value = entry.value.range();
            wild_copy(&mut buf, len, text, start as usize..value.start);
            let value_start = len + (value.start - start as usize);
            let room = buf.len();
            len = decode::decode_into(text, &mut buf, value, value_start, room)?;
            entry.key = NO_KEY;
            entry.name = rebase(entry.name);
            entry.value = Span {
                start: to_u32(value_start),
                end: to_u32(len),
            };
            continue;
        }
        if entry.value.start == name_end {
            // No `=`: the value is the empty span after one.
            wild_copy(&mut buf, len, text, start as usize..name_end as usize);
            len += (name_end - start) as usize;
            buf[len] = b'=';
            len += 1;
            entry.value = Span {
                start: to_u32(len),
                end: to_u32(len),
            };
        } else {
            wild_copy(
                &mut buf,
                len,
                text,
                entry.name.start as usize..entry.value.end as usize,
            );
            len += (entry.value.end - start) as usize;
            entry.value = rebase(entry.value);
        }
        entry.name = rebase(entry.name);
        if entry.key != NO_KEY {
            entry.key = rebase(entry.key);
        }
    }
    buf.truncate(len);
    Ok(buf)
}

/// Writes the pairs of `text` (found by the scan, each name plain) in
/// `order` (indices into `entries`) to a new buffer, and returns it with
/// new entries in that order pointing into it: [`concatenate`] for entries
/// that were never decoded, their keys [`NO_KEY`] or [`ESCAPED_VALUE`].
/// Each entry is read where the scan wrote it and written once, in place
/// in the order: sorting the entries themselves first moved each twice.
///
/// # Errors
///
/// An invalid percent escape in a value.
pub(super) fn concatenate_plain(
    text: &[u8],
    entries: &[Entry],
    order: impl ExactSizeIterator<Item = usize>,
) -> Result<(Vec<u8>, Vec<Entry>), ParamsError> {
    let mut buf = Vec::with_capacity(text.len() + entries.len() + 32);
    buf.extend_from_slice(text);
    buf.resize(buf.capacity(), 0);
    let mut laid = Vec::with_capacity(order.len());
    let mut len = 0;
    for index in order {
        let entry = entries[index];
        debug_assert!(entry.key == NO_KEY || entry.key == ESCAPED_VALUE);
        let start = entry.name.start as usize;
        let name_len = (entry.name.end - entry.name.start) as usize;
        let value_start = len + name_len + 1;
        let value_end = if entry.key == ESCAPED_VALUE {
            // `name=`, then the value decoded.
            let value = entry.value.range();
            wild_copy(&mut buf, len, text, start..value.start);
            let room = buf.len();
            decode::decode_into(text, &mut buf, value, value_start, room)?
        } else if entry.value.start == entry.name.end {
            // No `=`: the value is the empty span after one.
            wild_copy(&mut buf, len, text, start..start + name_len);
            buf[len + name_len] = b'=';
            value_start
        } else {
            let end = entry.value.end as usize;
            wild_copy(&mut buf, len, text, start..end);
            len + (end - start)
        };
        laid.push(Entry {
            prefix: entry.prefix,
            name: Span {
                start: to_u32(len),
                end: to_u32(len + name_len),
            },
            key: NO_KEY,
            value: Span {
                start: to_u32(value_start),
                end: to_u32(value_end),
            },
        });
        len = value_end;
    }
    buf.truncate(len);
    Ok((buf, laid))
}

/// Copies `src[range]` to `dst[at..]` in 32-byte chunks, writing up to 31
/// bytes past the end, which the next copy overwrites (`dst` has room for
/// them). Most pairs take one chunk; a loop of sixteen-byte chunks, whose
/// count varies from pair to pair, made parsing about 25 ns slower.
#[inline(always)]
fn wild_copy(dst: &mut [u8], at: usize, src: &[u8], range: Range<usize>) {
    let len = range.len();
    match src.get(range.start..range.start + len.next_multiple_of(32).max(32)) {
        Some(chunks) => {
            for (i, chunk) in chunks.chunks_exact(32).enumerate() {
                dst[at + 32 * i..at + 32 * i + 32].copy_from_slice(chunk);
            }
        }
        // Near the end of `src`: an exact copy.
        None => dst[at..at + len].copy_from_slice(&src[range]),
    }
}

/// The base string pieces of signature versions 2 and 3 in `buf` (laid out
/// by [`concatenate`]): the buffer without the bytes `left_out` (the pairs
/// named `sig`), with `implied` (a pair the pingback lacks but is signed
/// with) inserted at byte `at`, a pair boundary after `left_out`.
pub(super) fn signed_pieces<'a>(
    buf: &'a [u8],
    left_out: Range<usize>,
    implied: Option<(&'a [u8], usize)>,
) -> [&'a [u8]; 4] {
    let (piece, at) = implied.unwrap_or((b"", buf.len()));
    debug_assert!(left_out.end <= at);
    [
        &buf[..left_out.start],
        &buf[left_out.end..at],
        piece,
        &buf[at..],
    ]
}
