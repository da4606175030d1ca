//! The order of a level of keys whose PHP comparison is not transitive, so
//! that the order `ksort` ends with depends on its sorting algorithm and on
//! the input order: a total order of our own, the same whatever order the
//! keys came in.
//!
//! 1. Every key PHP reads as a number comes before every other key.
//! 2. Numbers by value; PHP's equal values (`5`, `05`, `5.0`) by bytes.
//! 3. The other keys by bytes.
//!
//! Values are PHP's: an integer exactly, any other number as a 64-bit
//! float; an integer part too long for 64 bits ranks below (negative) or
//! above (positive) every 64-bit integer of the same float value, and an
//! integer before a float of the same value.

use std::cmp::Ordering;

use super::php::{Key, Number};

/// The fallback order of two keys: a total order (equal only for equal bytes).
pub(super) fn compare(a: &Key, b: &Key) -> Ordering {
    match (a.number, b.number) {
        (Some(x), Some(y)) => value(x).cmp(&value(y)).then_with(|| a.bytes.cmp(b.bytes)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.bytes.cmp(b.bytes),
    }
}

/// A number's place: lexicographic, hence total.
fn value(number: Number) -> (TotalF64, i8, u8, i64) {
    // The integer to `f64`, as PHP compares an integer to a float.
    match number {
        Number::Integer(integer) => (TotalF64(integer as f64), 0, 0, integer),
        Number::Float(float, overflow) => (TotalF64(float), overflow, 1, 0),
    }
}

/// A float ordered by value, `-0` equal to `0` (never NaN here).
#[derive(Debug, Clone, Copy)]
struct TotalF64(f64);

impl PartialEq for TotalF64 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for TotalF64 {}

impl PartialOrd for TotalF64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TotalF64 {
    fn cmp(&self, other: &Self) -> Ordering {
        // Adding zero turns `-0` into `0`.
        (self.0 + 0.0).total_cmp(&(other.0 + 0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut keys: Vec<&str> = keys.to_vec();
        keys.sort_by(|a, b| compare(&Key::read(a.as_bytes()), &Key::read(b.as_bytes())));
        keys.into_iter().map(str::to_owned).collect()
    }

    #[test]
    fn numbers_first_by_value_then_text_by_bytes() {
        assert_eq!(sorted(&["10", "9", "0", "100"]), ["0", "9", "10", "100"]);
        assert_eq!(sorted(&["b", "B", "a", "ab"]), ["B", "a", "ab", "b"]);
        assert_eq!(sorted(&["5z", "53", "6"]), ["6", "53", "5z"]);
        assert_eq!(sorted(&["1f", "9", "1e1"]), ["9", "1e1", "1f"]);
        assert_eq!(
            sorted(&["x", "-3", "1e1", "9", "2.5"]),
            ["-3", "2.5", "9", "1e1", "x"]
        );
    }

    #[test]
    fn equal_values_fall_back_to_bytes() {
        assert_eq!(sorted(&["5.0", "5", "05", " 5"]), [" 5", "05", "5", "5.0"]);
        assert_eq!(sorted(&["0", "-0.0", "0.0"]), ["0", "-0.0", "0.0"]);
    }

    #[test]
    fn integers_beyond_64_bits_rank_beyond_every_64_bit_integer() {
        assert_eq!(
            sorted(&["9223372036854775808", "9223372036854775807"]),
            ["9223372036854775807", "9223372036854775808"]
        );
        assert_eq!(
            sorted(&["-9223372036854775808", "-9223372036854775809"]),
            ["-9223372036854775809", "-9223372036854775808"]
        );
        assert_eq!(
            sorted(&["9007199254740993", "9007199254740992"]),
            ["9007199254740992", "9007199254740993"]
        );
    }
}
