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
pub(super) struct Feed<D> {
    hasher: D,
    /// [`FEED`] bytes, and room for a 32-byte copy that starts before the end.
    buf: [u8; FEED + 32],
    len: usize,
}

impl<D: Digest> Feed<D> {
    fn new() -> Self {
        Feed {
            hasher: D::new(),
            buf: [0; FEED + 32],
            len: 0,
        }
    }

    fn finalize_into(mut self, out: &mut digest::Output<D>) {
        self.hasher.update(&self.buf[..self.len]);
        self.hasher.finalize_into(out);
    }
}

impl<D: Digest> Sink for Feed<D> {
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
    /// as 32 (the bytes past it are overwritten by what follows): a copy
    /// of its exact length, a call to `memcpy`, cost about 35 instructions
    /// per pair.
    #[inline]
    fn push_within(&mut self, text: &[u8], range: std::ops::Range<usize>) {
        let len = range.len();
        if len <= 32 && self.len + len <= FEED {
            if let Some(chunk) = text.get(range.start..range.start + 32) {
                self.buf[self.len..self.len + 32].copy_from_slice(chunk);
                self.len += len;
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
        let mut feed = Feed::<D>::new();
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
