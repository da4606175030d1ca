//! How [`Params`](super::Params) keeps its text when some name had to be
//! decoded: every pair decoded and written `name=value` (or
//! `name[key]=value`), concatenated in signing order. (Otherwise the text
//! is the input decoded in place.) Either way each pair is one slice of the
//! text, its base string piece but for a missing `=`.

use std::ops::Range;

use super::{to_u32, Entry, Span, NO_KEY};

/// Writes the pairs of `text` (each decoded, in the text as
/// [`decode::finish`](super::decode::finish) left it) in the order of
/// `entries` (sorted) to a new buffer, and points the entries at it. A pair
/// without `=` gets one, so that every pair reads as its base string piece.
pub(super) fn concatenate(text: &[u8], entries: &mut [Entry]) -> Vec<u8> {
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
            NO_KEY => entry.name.end,
            key => key.end + 1,
        };
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
    buf
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
