//! Verification: the declared version, the policy, then a constant-time
//! comparison with the expected signature.

use subtle::ConstantTimeEq;

use super::base::PingbackBase;
use super::digest::digest;
use super::{SignatureError, SignatureVersion, VersionPolicy};
use crate::params::Params;
use crate::secret::SecretKey;
use pw_catalog::ApiType;

/// Checks the `sig` of a pingback: its declared version, the policy, then a
/// constant-time comparison with the expected signature. Returns the
/// version that matched.
///
/// # Errors
///
/// Every [`SignatureError`]: `sig` missing, an unknown or refused version, a
/// signature that does not match.
///
/// ```
/// use pw_runtime::{signature, ApiType, Limits, Params, SecretKey, SignatureVersion, VersionPolicy};
/// let query = "uid=test_user&goodsid=test_product&slength=5&speriod=month&type=0&ref=t123\
///              &is_test=1&sign_version=2&sig=754cff93c0eb859f6054bef143ad253c";
/// let params = Params::parse(query.as_bytes(), &Limits::default()).unwrap();
/// let secret = SecretKey::new("a7408723eaf4bfa2e3ac49b3cb695046");
/// let policy = VersionPolicy::default();
/// assert_eq!(
///     signature::check_pingback(ApiType::DigitalGoods, &params, &secret, policy),
///     Ok(SignatureVersion::V2),
/// );
/// let other = SecretKey::new("another key");
/// assert!(signature::check_pingback(ApiType::DigitalGoods, &params, &other, policy).is_err());
/// ```
pub fn check_pingback(
    api: ApiType,
    params: &Params,
    secret: &SecretKey,
    policy: VersionPolicy,
) -> Result<SignatureVersion, SignatureError> {
    let with_bytes = |index: usize| (index, params.value_bytes_at(index));
    let declared = params.scalar_index("sign_version").map(with_bytes);
    let received = params.scalar_index("sig").map(with_bytes);
    check(api, params, secret, policy, declared, received, false)
}

/// [`check_pingback`] with the entries of `sign_version` and `sig` already
/// found, each as its index and the bytes of its value (see
/// [`Params::value_bytes_at`]). `sig_alone` is true when no `sig[...]` is
/// given besides `received`.
#[inline]
pub(crate) fn check(
    api: ApiType,
    params: &Params,
    secret: &SecretKey,
    policy: VersionPolicy,
    declared: Option<(usize, &[u8])>,
    received: Option<(usize, &[u8])>,
    sig_alone: bool,
) -> Result<SignatureVersion, SignatureError> {
    // The bytes decide a version they accept; any other value is read as
    // text, whose error names it (the two agree, a proptest checks).
    let version = match SignatureVersion::from_declared_bytes(api, declared.map(|(_, bytes)| bytes))
    {
        Some(version) => version,
        None => SignatureVersion::from_declared(api, declared.map(|(i, _)| params.value_at(i)))?,
    };
    if !policy.accepts(version) {
        return Err(SignatureError::VersionNotAccepted {
            version,
            minimum: policy.lowest(),
        });
    }
    let (received, received_bytes) = received.ok_or(SignatureError::Missing)?;
    let base = PingbackBase {
        api,
        version,
        params,
        implied_version: api == ApiType::Cart && declared.is_none(),
        sig: Some(received).filter(|_| sig_alone),
    };
    let expected = digest(version, secret, &base);
    if hex_equals(received_bytes, expected.as_bytes()) {
        Ok(version)
    } else {
        Err(SignatureError::Mismatch { version })
    }
}

/// True when `received` is the lowercase hex of `expected`, as the
/// official libraries compare (uppercase does not match). The comparison
/// runs in constant time, every character compared; only the length,
/// which the sender knows anyway, decides early.
fn hex_equals(received: &[u8], expected: &[u8]) -> bool {
    if received.len() != 2 * expected.len() {
        return false;
    }
    hex_difference(received, expected).ct_eq(&0).into()
}

/// Non-zero when `received` (twice as long as `expected`) is not the
/// lowercase hex of `expected`, sixteen bytes (32 characters) at a time
/// with SSE2 (`safe_arch`): the nibbles spread to one a byte, `0`–`9` or
/// `a`–`f` added, all of it compared and the difference accumulated, never
/// tested early. Eight characters at a time in a general register cost
/// about 160 instructions per version 3 signature, this about 50. A digest
/// is 16 or 32 bytes; any tail past a multiple of 16 is compared eight
/// characters at a time.
///
/// The two lengths of a digest are dispatched to copies of fixed length,
/// unrolled, without the loop's bookkeeping or the empty tail (about 40
/// instructions per version 3 signature).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn hex_difference(received: &[u8], expected: &[u8]) -> u64 {
    if let (Ok(received), Ok(expected)) = (
        <&[u8; 64]>::try_from(received),
        <&[u8; 32]>::try_from(expected),
    ) {
        hex_difference_sse(received, expected)
    } else if let (Ok(received), Ok(expected)) = (
        <&[u8; 32]>::try_from(received),
        <&[u8; 16]>::try_from(expected),
    ) {
        hex_difference_sse(received, expected)
    } else {
        hex_difference_sse(received, expected)
    }
}

/// [`hex_difference`] for any length, inlined where the length is known.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn hex_difference_sse(received: &[u8], expected: &[u8]) -> u64 {
    use safe_arch::{
        add_i8_m128i, cmp_eq_mask_i8_m128i, cmp_gt_mask_i8_m128i, load_unaligned_m128i, m128i,
        move_mask_i8_m128i, set_splat_i8_m128i, shr_imm_u16_m128i, unpack_high_i8_m128i,
        unpack_low_i8_m128i,
    };
    let splat = |byte: u8| set_splat_i8_m128i(i8::from_ne_bytes([byte]));
    let load = |bytes: &[u8]| load_unaligned_m128i(bytes.try_into().expect("sixteen bytes"));
    // Nibbles 0..=15 to their lowercase hex digits.
    let digits = |nibbles: m128i| {
        let letters = cmp_gt_mask_i8_m128i(nibbles, splat(9)) & splat(b'a' - b'0' - 10);
        add_i8_m128i(add_i8_m128i(nibbles, splat(b'0')), letters)
    };
    let mut difference = m128i::default();
    let whole = expected.len() / 16 * 16;
    for (expected, received) in expected[..whole]
        .chunks_exact(16)
        .zip(received.chunks_exact(32))
    {
        let bytes = load(expected);
        let high = shr_imm_u16_m128i::<4>(bytes) & splat(0x0F);
        let low = bytes & splat(0x0F);
        // Each byte's high nibble first: bytes 0..8, then 8..16.
        let first = digits(unpack_low_i8_m128i(high, low));
        let second = digits(unpack_high_i8_m128i(high, low));
        difference |= (first ^ load(&received[..16])) | (second ^ load(&received[16..]));
    }
    let same = move_mask_i8_m128i(cmp_eq_mask_i8_m128i(difference, m128i::default()));
    u64::from(!(same as u32) & 0xFFFF)
        | hex_difference_bytewise(&received[2 * whole..], &expected[whole..])
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn hex_difference(received: &[u8], expected: &[u8]) -> u64 {
    hex_difference_bytewise(received, expected)
}

/// [`hex_difference`] eight characters at a time, in a general register.
fn hex_difference_bytewise(received: &[u8], expected: &[u8]) -> u64 {
    let mut difference = 0u64;
    for (received, expected) in received.chunks_exact(8).zip(expected.chunks_exact(4)) {
        let expected: [u8; 4] = expected.try_into().expect("four bytes");
        let received: [u8; 8] = received.try_into().expect("eight bytes");
        difference |= u64::from_le_bytes(received) ^ hex_word(expected);
    }
    // A tail of fewer than four bytes (no digest has one), a byte at a time.
    let done = expected.len() / 4 * 4;
    for (i, &byte) in expected[done..].iter().enumerate() {
        let pair = hex_word([byte, 0, 0, 0]) & 0xFFFF;
        let at = 2 * (done + i);
        difference |= u64::from(u16::from_le_bytes([received[at], received[at + 1]])) ^ pair;
    }
    difference
}

/// The eight lowercase hex characters of four bytes, the first character
/// in the lowest byte, computed in a register: each byte spread to two,
/// one nibble in each, then `0`–`9` or `a`–`f` added without a table or a
/// branch. (Looking each nibble up in a table of digits cost about 260
/// instructions per version 3 signature, this about 90.)
fn hex_word(bytes: [u8; 4]) -> u64 {
    const NIBBLES: u64 = 0x000F_000F_000F_000F;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut spread = u64::from(u32::from_le_bytes(bytes));
    spread = (spread | spread << 16) & 0x0000_FFFF_0000_FFFF;
    spread = (spread | spread << 8) & 0x00FF_00FF_00FF_00FF;
    // The high nibble of each byte first, then the low one.
    let nibbles = (spread >> 4) & NIBBLES | (spread & NIBBLES) << 8;
    // 1 in each byte whose nibble is 10 or more (no byte carries into the next).
    let letters = ((nibbles + 6 * ONES) >> 4) & ONES;
    nibbles + u64::from(b'0') * ONES + letters * u64::from(b'a' - b'0' - 10)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn hex_word_is_lowercase_hex(bytes in any::<[u8; 4]>()) {
            let word = super::hex_word(bytes);
            prop_assert_eq!(word.to_le_bytes().to_vec(), hex::encode(bytes).into_bytes());
        }

        #[test]
        fn hex_equals_matches_only_the_lowercase_hex(bytes in any::<[u8; 32]>(), flip in 0..64usize) {
            let hex = hex::encode(bytes);
            prop_assert!(super::hex_equals(hex.as_bytes(), &bytes));
            prop_assert!(!super::hex_equals(hex.to_uppercase().as_bytes(), &bytes) || !hex.bytes().any(|b| b.is_ascii_alphabetic()));
            let mut other = hex.into_bytes();
            other[flip] = if other[flip] == b'0' { b'1' } else { b'0' };
            prop_assert!(!super::hex_equals(&other, &bytes));
            prop_assert!(!super::hex_equals(hex::encode(&bytes[..16]).as_bytes(), &bytes));
        }

        #[test]
        fn a_16_byte_digest_matches_only_its_lowercase_hex(bytes in any::<[u8; 16]>(), flip in 0..32usize) {
            let hex = hex::encode(bytes);
            prop_assert!(super::hex_equals(hex.as_bytes(), &bytes));
            prop_assert_eq!(super::hex_difference(hex.as_bytes(), &bytes), 0);
            let mut other = hex.into_bytes();
            other[flip] = if other[flip] == b'0' { b'1' } else { b'0' };
            prop_assert!(!super::hex_equals(&other, &bytes));
            prop_assert_ne!(super::hex_difference(&other, &bytes), 0);
        }

        #[test]
        fn both_ways_find_the_same_difference(bytes in prop::collection::vec(any::<u8>(), 0..40), flip in any::<prop::sample::Index>()) {
            let mut hex = hex::encode(&bytes).into_bytes();
            prop_assert_eq!(super::hex_difference(&hex, &bytes), 0);
            prop_assert_eq!(super::hex_difference_bytewise(&hex, &bytes), 0);
            if !hex.is_empty() {
                let at = flip.index(hex.len());
                hex[at] = if hex[at] == b'0' { b'1' } else { b'0' };
                prop_assert_ne!(super::hex_difference(&hex, &bytes), 0);
                prop_assert_ne!(super::hex_difference_bytewise(&hex, &bytes), 0);
            }
        }
    }
}
