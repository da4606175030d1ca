//! Digests of a base string then the secret: MD5 for versions 1 and 2,
//! SHA-256 for version 3.

use md5::Md5;
use sha2::digest;
use sha2::{Digest, Sha256};

use super::base::{BaseString, Sink};
use super::SignatureVersion;
use crate::secret::SecretKey;

/// Feeds a hasher through a stack buffer, so that the many small pieces of
/// a version 1 or widget base string cost one `update` per 512 bytes and no
/// allocation.
pub(super) struct Feed<D> {
    hasher: D,
    buf: [u8; 512],
    len: usize,
}

impl<D: Digest> Feed<D> {
    fn new() -> Self {
        Feed {
            hasher: D::new(),
            buf: [0; 512],
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
        if self.len + bytes.len() > self.buf.len() {
            self.hasher.update(&self.buf[..self.len]);
            self.len = 0;
            if bytes.len() > self.buf.len() {
                self.hasher.update(bytes);
                return;
            }
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
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

/// Hashes every piece as it comes.
struct Direct<D>(D);

impl<D: Digest> Sink for Direct<D> {
    fn push(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
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
        if base.in_large_pieces() {
            let mut direct = Direct(D::new());
            base.write(&mut direct);
            direct.push(secret);
            direct.0.finalize_into(&mut output);
        } else {
            let mut feed = Feed::<D>::new();
            base.write(&mut feed);
            feed.push(secret);
            feed.finalize_into(&mut output);
        }
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
