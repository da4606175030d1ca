//! Digests of a base string then the secret: MD5 for versions 1 and 2,
//! SHA-256 for version 3.

use md5::Md5;
use sha2::digest;
use sha2::{Digest, Sha256};

use super::base::{BaseString, Sink};
use super::SignatureVersion;
use crate::secret::SecretKey;

/// How many bytes [`Feed`] gathers before it updates the hasher.
const FEED: usize = 512;

/// Feeds a hasher through a stack buffer, so that the many small pieces of
/// a base string (a pair at a time for versions 2 and 3, smaller for
/// version 1 and widgets) cost one `update` per 512 bytes and no
/// allocation.
///
/// The buffer is borrowed rather than held: a `Feed` that held its 576
/// bytes was copied whole as it was built and again as it was finalized
/// (about 100 instructions a digest).
pub(super) struct Feed<'b, D> {
    hasher: D,
    /// [`FEED`] bytes, and room for a 64-byte copy that starts before the end.
    buf: &'b mut [u8; FEED + 64],
    len: usize,
}

impl<'b, D: Digest> Feed<'b, D> {
    fn new(buf: &'b mut [u8; FEED + 64]) -> Self {
        Feed {
            hasher: D::new(),
            buf,
            len: 0,
        }
    }

    fn finalize_into(mut self, out: &mut digest::Output<D>) {
        self.hasher.update(&self.buf[..self.len]);
        self.hasher.finalize_into(out);
    }
}

impl<D: Digest> Sink for Feed<'_, D> {
    fn push(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > FEED {
            self.hasher.update(&self.buf[..self.len]);
            self.len = 0;
            if bytes.len() > FEED {
                self.hasher.update(bytes);
                return;
            }
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// A piece of up to 32 bytes with 32 readable from its start is copied
    /// as 32 (the bytes past it are overwritten by what follows), one of up
    /// to 64 as 64: a copy of its exact length, a call to `memcpy`, cost
    /// about 35 instructions per pair.
    #[inline]
    fn push_within(&mut self, text: &[u8], range: std::ops::Range<usize>) {
        // `end - start` rather than `range.len()`, which saturates; a
        // reversed range is refused by the slice below as it was.
        let (start, len) = (range.start, range.end.wrapping_sub(range.start));
        let at = self.len;
        if len <= 32 && at <= FEED - len {
            if let (Some(chunk), Some(room)) =
                (text.get(start..start + 32), self.buf.get_mut(at..at + 32))
            {
                room.copy_from_slice(chunk);
                self.len = at + len;
                return;
            }
        } else if len <= 64 && at <= FEED - len {
            // A longer pair (a date and time, a sentence) in two moves.
            if let (Some(chunk), Some(room)) =
                (text.get(start..start + 64), self.buf.get_mut(at..at + 64))
            {
                room.copy_from_slice(chunk);
                self.len = at + len;
                return;
            }
        }
        self.push(&text[range]);
    }
}

/// A raw digest: 16 bytes for MD5, 32 for SHA-256.
pub(super) struct RawDigest {
    bytes: [u8; 32],
    len: usize,
}

impl RawDigest {
    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub(super) fn to_hex(&self) -> String {
        hex::encode(self.as_bytes())
    }
}

/// The digest of `base` then the secret.
pub(super) fn digest(
    version: SignatureVersion,
    secret: &SecretKey,
    base: &impl BaseString,
) -> RawDigest {
    fn run<D: Digest>(secret: &SecretKey, base: &impl BaseString, out: &mut [u8]) {
        let secret = secret.expose().as_bytes();
        let mut output = digest::Output::<D>::default();
        let mut buf = [0; FEED + 64];
        let mut feed = Feed::<D>::new(&mut buf);
        base.write(&mut feed);
        feed.push(secret);
        feed.finalize_into(&mut output);
        out.copy_from_slice(&output);
    }
    let mut bytes = [0u8; 32];
    let len = match version {
        SignatureVersion::V1 | SignatureVersion::V2 => {
            run::<Md5>(secret, base, &mut bytes[..16]);
            16
        }
        SignatureVersion::V3 => {
            run::<Sha256>(secret, base, &mut bytes);
            32
        }
    };
    RawDigest { bytes, len }
}
