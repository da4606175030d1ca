//! Digests of a base string then the secret: MD5 for versions 1 and 2,
//! SHA-256 for version 3.
//!
//! The pieces of a base string (a pair at a time for versions 2 and 3,
//! smaller for version 1 and widgets) are gathered into one 64-byte block
//! of our own ([`Blocks`]), compressed by the hash's block function as
//! blocks fill, and padded here at the end. Going through the `Digest`
//! hashers instead (a 512-byte stack buffer zeroed for each digest, then
//! their own buffer, position and padding bookkeeping) cost about 170
//! instructions more per version 3 signature.

use super::base::{BaseString, Sink};
use super::SignatureVersion;
use crate::params::SignedPairs;
use crate::secret::SecretKey;

/// The bytes of a block.
const BLOCK: usize = 64;

/// A hash of the Merkle–Damgård kind over 64-byte blocks, padded with
/// `0x80`, zeros and the length in bits in the last eight bytes: MD5 and
/// SHA-256 alike.
pub(super) trait BlockHash {
    /// The chaining state.
    type State: Copy;
    /// The state before the first block.
    const INITIAL: Self::State;
    /// The bytes of a digest.
    const OUTPUT: usize;
    /// Compresses whole blocks into the state.
    fn compress(state: &mut Self::State, blocks: &[[u8; BLOCK]]);
    /// The length field of the last block, for a message of `bits` bits.
    fn length(bits: u64) -> [u8; 8];
    /// The digest of a final state, in the first [`Self::OUTPUT`] bytes.
    fn output(state: &Self::State) -> [u8; 32];
}

/// MD5 (RFC 1321): little-endian words and length.
pub(super) enum Md5 {}

impl BlockHash for Md5 {
    type State = [u32; 4];
    const INITIAL: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    const OUTPUT: usize = 16;

    #[inline]
    fn compress(state: &mut [u32; 4], blocks: &[[u8; BLOCK]]) {
        md5::block_api::compress(state, blocks);
    }

    #[inline]
    fn length(bits: u64) -> [u8; 8] {
        bits.to_le_bytes()
    }

    #[inline]
    fn output(state: &[u32; 4]) -> [u8; 32] {
        let mut out = [0; 32];
        for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
            bytes.copy_from_slice(&word.to_le_bytes());
        }
        out
    }
}

/// SHA-256 (FIPS 180-4): big-endian words and length.
pub(super) enum Sha256 {}

impl BlockHash for Sha256 {
    type State = [u32; 8];
    const INITIAL: [u32; 8] = [
        0x6a09_e667,
        0xbb67_ae85,
        0x3c6e_f372,
        0xa54f_f53a,
        0x510e_527f,
        0x9b05_688c,
        0x1f83_d9ab,
        0x5be0_cd19,
    ];
    const OUTPUT: usize = 32;

    #[inline]
    fn compress(state: &mut [u32; 8], blocks: &[[u8; BLOCK]]) {
        sha2::block_api::compress256(state, blocks);
    }

    #[inline]
    fn length(bits: u64) -> [u8; 8] {
        bits.to_be_bytes()
    }

    #[inline]
    fn output(state: &[u32; 8]) -> [u8; 32] {
        let mut out = [0; 32];
        for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

/// The bytes [`Blocks`] gathers before it compresses them: three blocks.
/// With the room past them, 256 bytes to zero, in 16 stores (the 320 of
/// four blocks took a call to `memset`, about 35 instructions).
const GATHER: usize = 3 * BLOCK;

/// A hash being computed: the state and the blocks being filled.
///
/// Three blocks are gathered, then compressed by one call (a call a block
/// cost about 25 instructions more a block: the call, the hash's check of
/// the processor's features, the move of the spill). The buffer has 64
/// bytes of room past them, so that a piece of up to 64 bytes is copied in
/// one fixed-size move wherever the end stands (a copy of its exact
/// length, a call to `memcpy`, cost about 35 instructions per pair); what
/// spills past the three blocks starts the next ones.
pub(super) struct Blocks<H: BlockHash> {
    state: H::State,
    /// The blocks being filled, then room for a spill.
    buf: [u8; GATHER + BLOCK],
    /// The bytes filled: below [`GATHER`] between pushes.
    len: usize,
    /// The blocks compressed so far.
    blocks: u64,
}

impl<H: BlockHash> Blocks<H> {
    /// A hash of nothing yet.
    #[inline]
    pub(super) fn new() -> Self {
        Blocks {
            state: H::INITIAL,
            buf: [0; GATHER + BLOCK],
            len: 0,
            blocks: 0,
        }
    }

    /// Compresses the first `len` bytes of the buffer, whole blocks.
    #[inline(always)]
    fn compress(&mut self, len: usize) {
        let (blocks, _) = self.buf[..len].as_chunks::<BLOCK>();
        H::compress(&mut self.state, blocks);
        self.blocks += blocks.len() as u64;
    }

    /// Compresses the three full blocks and moves what spilled past them
    /// (up to 64 bytes) to the start.
    #[inline(never)]
    fn next_blocks(&mut self) {
        self.compress(GATHER);
        let (start, spill) = self.buf.split_at_mut(GATHER);
        start[..BLOCK].copy_from_slice(spill);
    }

    /// Counts `len` more bytes (of at most 64) written at the end, and
    /// compresses the blocks once they are full.
    #[inline(always)]
    fn advance(&mut self, len: usize) {
        self.len += len;
        if self.len >= GATHER {
            self.next_blocks();
            self.len -= GATHER;
        }
    }

    /// Copies `text[start..start + len]` to `at` (below [`GATHER`]) in one
    /// move of 32 or 64 bytes, when the piece is that short and `text` that
    /// long past its start; false when it is not.
    #[inline(always)]
    fn copy_short(&mut self, at: usize, text: &[u8], start: usize, len: usize) -> bool {
        let at = at.min(GATHER - 1);
        if len <= 32 {
            if let Some(chunk) = text.get(start..start + 32) {
                self.buf[at..at + 32].copy_from_slice(chunk);
                return true;
            }
        } else if len <= 64 {
            // A longer pair (a date and time, a sentence) in two moves.
            if let Some(chunk) = text.get(start..start + 64) {
                self.buf[at..at + 64].copy_from_slice(chunk);
                return true;
            }
        }
        false
    }

    /// The digest of everything pushed, in the first [`BlockHash::OUTPUT`]
    /// bytes. (Taken by reference: taken by value, the hash was copied
    /// whole by a call to `memcpy`.)
    #[inline]
    pub(super) fn finish(&mut self) -> [u8; 32] {
        let len = self.len.min(GATHER - 1);
        let bits = (self.blocks * BLOCK as u64 + len as u64).wrapping_mul(8);
        // `0x80` then zeros up to 64 bytes past the message: four stores
        // of zeros and one of `0x80` (a copy of the whole padding loaded
        // it first, 2 instructions more); the length in the last eight
        // bytes of the block after it, or of the next one when fewer than
        // eight bytes are left.
        self.buf[len..len + BLOCK].fill(0);
        self.buf[len] = 0x80;
        let end = (len + 8) / BLOCK * BLOCK + BLOCK;
        self.buf[end - 8..end].copy_from_slice(&H::length(bits));
        self.compress(end);
        H::output(&self.state)
    }
}

impl<H: BlockHash> Sink for Blocks<H> {
    fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let at = self.len.min(GATHER - 1);
            let take = bytes.len().min(GATHER - at);
            let (piece, rest) = bytes.split_at(take);
            self.buf[at..at + take].copy_from_slice(piece);
            self.advance(take);
            bytes = rest;
        }
    }

    /// A piece of up to 32 bytes with 32 readable from its start is copied
    /// as 32 (the bytes past it are overwritten by what follows), one of up
    /// to 64 as 64.
    #[inline(always)]
    fn push_within(&mut self, text: &[u8], range: std::ops::Range<usize>) {
        // `end - start` rather than `range.len()`, which saturates; a
        // reversed range is refused by the slice below as it was.
        let (start, len) = (range.start, range.end.wrapping_sub(range.start));
        if self.copy_short(self.len, text, start, len) {
            self.advance(len);
        } else {
            self.push(&text[range]);
        }
    }

    /// [`Sink::push_pairs`] with the length filled kept in a register
    /// across the pairs (through `self`, it was loaded and stored at each
    /// pair), and no call in the loop that fills the blocks: with one,
    /// even on a path never taken, the loop's values were reloaded from
    /// the stack at each pair (about 33 instructions a pair either way,
    /// 23 like this).
    #[inline(always)]
    fn push_pairs(&mut self, text: &[u8], pairs: SignedPairs<'_>) {
        for run in pairs.into_runs() {
            self.push_run(text, run);
        }
    }
}

impl<H: BlockHash> Blocks<H> {
    /// [`Sink::push_pairs`] of one run of pairs.
    #[inline(always)]
    fn push_run(&mut self, text: &[u8], mut pairs: SignedPairs<'_>) {
        let mut at = self.len;
        'blocks: loop {
            let mut long = None;
            while at < GATHER {
                let Some(pair) = pairs.next() else {
                    break 'blocks;
                };
                let len = pair.end.wrapping_sub(pair.start);
                if !self.copy_short(at, text, pair.start, len) {
                    long = Some(pair);
                    break;
                }
                at += len;
                if pair.equals {
                    // Below `GATHER + 64` after a copy of up to 64 bytes.
                    self.buf[at.min(GATHER + BLOCK - 1)] = b'=';
                    at += 1;
                }
            }
            match long {
                Some(pair) => {
                    self.len = at;
                    self.push(&text[pair.start..pair.end]);
                    if pair.equals {
                        self.push(b"=");
                    }
                    at = self.len;
                }
                // Up to 64 bytes past the blocks (the loop above then
                // fills on from there).
                None => {
                    self.next_blocks();
                    at -= GATHER;
                }
            }
        }
        self.len = at;
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
    #[inline(always)]
    fn run<H: BlockHash>(secret: &SecretKey, base: &impl BaseString) -> RawDigest {
        let mut blocks = Blocks::<H>::new();
        base.write(&mut blocks);
        let secret = secret.expose().as_bytes();
        blocks.push_within(secret, 0..secret.len());
        RawDigest {
            bytes: blocks.finish(),
            len: H::OUTPUT,
        }
    }
    match version {
        SignatureVersion::V1 | SignatureVersion::V2 => run::<Md5>(secret, base),
        SignatureVersion::V3 => run::<Sha256>(secret, base),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha2::Digest;

    /// The digest of `message` pushed in pieces cut at `cuts` (offsets
    /// taken modulo its length), each piece as `push_within` of a text that
    /// holds the whole message, so that the bytes past a piece are readable
    /// and differ from what follows in the block.
    fn pieces<H: BlockHash>(message: &[u8], cuts: &[usize], within: bool) -> Vec<u8> {
        let mut cuts: Vec<usize> = cuts
            .iter()
            .map(|&c| c % (message.len() + 1))
            .chain([0, message.len()])
            .collect();
        cuts.sort_unstable();
        let mut blocks = Blocks::<H>::new();
        for pair in cuts.windows(2) {
            if within {
                blocks.push_within(message, pair[0]..pair[1]);
            } else {
                blocks.push(&message[pair[0]..pair[1]]);
            }
        }
        blocks.finish()[..H::OUTPUT].to_vec()
    }

    proptest! {
        #[test]
        fn sha256_of_pieces_is_sha256_of_the_whole(
            message in prop::collection::vec(any::<u8>(), 0..800),
            cuts in prop::collection::vec(any::<usize>(), 0..40),
            within in any::<bool>(),
        ) {
            prop_assert_eq!(
                pieces::<Sha256>(&message, &cuts, within),
                sha2::Sha256::digest(&message).to_vec()
            );
        }

        #[test]
        fn md5_of_pieces_is_md5_of_the_whole(
            message in prop::collection::vec(any::<u8>(), 0..800),
            cuts in prop::collection::vec(any::<usize>(), 0..40),
            within in any::<bool>(),
        ) {
            prop_assert_eq!(
                pieces::<Md5>(&message, &cuts, within),
                md5::Md5::digest(&message).to_vec()
            );
        }
    }

    #[test]
    fn every_length_around_the_block_edges_pads_right() {
        // Lengths where the length field fits in the last block or needs
        // a block of its own, and whole blocks.
        for len in 0..700 {
            let message: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            assert_eq!(
                pieces::<Sha256>(&message, &[], true),
                sha2::Sha256::digest(&message).to_vec(),
                "{len}"
            );
            assert_eq!(
                pieces::<Md5>(&message, &[], false),
                md5::Md5::digest(&message).to_vec(),
                "{len}"
            );
        }
    }
}
