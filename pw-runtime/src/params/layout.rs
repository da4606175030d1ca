//! How [`Params`](super::Params) keeps its text when some name had to be
//! decoded: every pair decoded and written `name=value` (or
//! `name[key]=value`), concatenated in signing order. (Otherwise the text
//! is the input decoded in place.) Either way each pair is one slice of the
//! text, its base string piece but for a missing `=`.

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
