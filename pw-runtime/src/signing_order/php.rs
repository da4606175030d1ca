//! PHP 8's comparison of two array keys, as `ksort` (flag `SORT_REGULAR`)
//! applies it: two numeric keys compare as numbers, anything else compares
//! as bytes.
//!
//! PHP stores a key written as a canonical integer (`0`, `-5`, `10`, within
//! 64 bits) as an integer and any other key as a string, and compares an
//! integer key with a string key slightly differently from two string keys
//! (no special case for numbers too long for an integer): [`Key`] keeps
//! what the comparison needs, read once, so that sorting compares without
//! parsing.

use std::cmp::Ordering;

/// An array key as PHP 8 compares it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Key<'a> {
    /// The key as written.
    pub bytes: &'a [u8],
    /// True when PHP stores the key as an integer (`0`, `-5`, `10`).
    pub integer_key: bool,
    /// The key's value when PHP deems it numeric (`is_numeric`).
    pub number: Option<Number>,
}

/// A numeric key's value: an integer, or a float with the side on which
/// its integer part overflowed the 64-bit integers (`1`, `-1`; `0` when it
/// is a float by its writing, such as `1.5` or `1e3`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Number {
    Integer(i64),
    Float(f64, i8),
}

impl<'a> Key<'a> {
    /// Reads `bytes` as PHP does.
    pub fn read(bytes: &'a [u8]) -> Key<'a> {
        // No numeric string starts above `9`: most names end here.
        if bytes.first().is_none_or(|&byte| byte > b'9') {
            return Key {
                bytes,
                integer_key: false,
                number: None,
            };
        }
        let integer_key = is_integer_key(bytes);
        Key {
            bytes,
            integer_key,
            number: numeric(bytes),
        }
    }

    /// True when PHP deems the key numeric.
    pub fn is_number(&self) -> bool {
        self.number.is_some()
    }
}

/// PHP 8's comparison of two keys, as `ksort` compares them.
///
/// Not transitive once numeric and other keys mix (`9 < 1e1` as numbers,
/// `1e1 < 1f` and `1f < 9` as bytes), nor among numbers where 64-bit floats
/// lose digits: the [signing order](super) decides what to do then.
pub(super) fn compare(a: &Key, b: &Key) -> Ordering {
    match (a.integer_key, b.integer_key) {
        (true, true) => integer(a).cmp(&integer(b)),
        (true, false) => integer_to_string(a, b),
        (false, true) => integer_to_string(b, a).reverse(),
        (false, false) => strings(a, b),
    }
}

/// The value of an integer key (which is always numeric).
fn integer(key: &Key) -> i64 {
    match key.number {
        Some(Number::Integer(value)) => value,
        _ => 0,
    }
}

/// True when PHP stores `key` as an integer key: `0`, or an optional `-`
/// and digits without a leading zero, within 64 bits.
fn is_integer_key(key: &[u8]) -> bool {
    let digits = key.strip_prefix(b"-").unwrap_or(key);
    let canonical = match digits {
        [b'0'] => digits.len() == key.len(),
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    canonical
        && std::str::from_utf8(key)
            .ok()
            .and_then(|text| text.parse::<i64>().ok())
            .is_some()
}

/// An integer key against a string key (`zend_compare_long_to_string`):
/// as numbers when the string is numeric, else the integer's decimal text
/// (the integer key as written) against the string by bytes.
fn integer_to_string(key: &Key, text: &Key) -> Ordering {
    let integer = integer(key);
    match text.number {
        Some(Number::Integer(other)) => integer.cmp(&other),
        // `as f64`, as PHP converts it.
        Some(Number::Float(other, _)) => three_way(integer as f64, other),
        None => key.bytes.cmp(text.bytes),
    }
}

/// Two string keys (`zendi_smart_strcmp`).
fn strings(a: &Key, b: &Key) -> Ordering {
    let (Some(x), Some(y)) = (a.number, b.number) else {
        return a.bytes.cmp(b.bytes);
    };
    // Integers to `f64` as PHP converts them.
    match (x, y) {
        (Number::Integer(x), Number::Integer(y)) => x.cmp(&y),
        (Number::Integer(x), Number::Float(y, overflow)) => {
            if overflow != 0 {
                return 0.cmp(&overflow);
            }
            difference(x as f64, y)
        }
        (Number::Float(x, overflow), Number::Integer(y)) => {
            if overflow != 0 {
                return overflow.cmp(&0);
            }
            difference(x, y as f64)
        }
        (Number::Float(x, x_overflow), Number::Float(y, y_overflow)) => {
            // Both too long for an integer, on the same side, and equal as
            // floats: the float comparison lost the digits that differ.
            let same_overflow = x_overflow != 0 && x_overflow == y_overflow && x - y == 0.0;
            // Both infinite, with the same sign.
            let same_infinity = x == y && !x.is_finite();
            if same_overflow || same_infinity {
                a.bytes.cmp(b.bytes)
            } else {
                difference(x, y)
            }
        }
    }
}

/// `ZEND_THREEWAY_COMPARE` of two floats.
fn three_way(x: f64, y: f64) -> Ordering {
    if x == y {
        Ordering::Equal
    } else if x < y {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

/// The sign of `x - y` as PHP normalises it (a NaN difference is 0).
fn difference(x: f64, y: f64) -> Ordering {
    let difference = x - y;
    if difference > 0.0 {
        Ordering::Greater
    } else if difference < 0.0 {
        Ordering::Less
    } else {
        Ordering::Equal
    }
}

/// The value of `text` if PHP 8 deems it numeric (`is_numeric`): optional
/// leading and trailing whitespace, an optional sign, then digits with an
/// optional fraction and exponent (`5`, `-5`, `+.5`, `5.`, `1e3`, `1.5E-3`).
fn numeric(text: &[u8]) -> Option<Number> {
    let is_space = |byte: &u8| matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let start = text.iter().position(|b| !is_space(b))?;
    let end = text.len() - text.iter().rev().position(|b| !is_space(b))?;
    let body = &text[start..end];
    let (negative, unsigned) = match body.first() {
        Some(b'-') => (true, &body[1..]),
        Some(b'+') => (false, &body[1..]),
        _ => (false, body),
    };
    let digits = |from: usize| {
        unsigned[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let whole = digits(0);
    let mut at = whole;
    let mut fraction = false;
    if unsigned.get(at) == Some(&b'.') {
        let count = digits(at + 1);
        if whole == 0 && count == 0 {
            return None;
        }
        fraction = true;
        at += 1 + count;
    } else if whole == 0 {
        return None;
    }
    let mut exponent = false;
    if matches!(unsigned.get(at), Some(b'e' | b'E')) {
        let signed = matches!(unsigned.get(at + 1), Some(b'+' | b'-'));
        let from = at + 1 + usize::from(signed);
        let count = digits(from);
        if count == 0 {
            return None;
        }
        exponent = true;
        at = from + count;
    }
    if at != unsigned.len() {
        return None;
    }
    // Only ASCII digits, signs, `.` and `e` are left: valid UTF-8.
    let as_float = || {
        std::str::from_utf8(body)
            .ok()
            .and_then(|text| text.parse::<f64>().ok())
    };
    let overflow = if negative { -1 } else { 1 };
    let leading_zeros = unsigned[..whole].iter().take_while(|&&b| b == b'0').count();
    let significant = &unsigned[leading_zeros..whole];
    // PHP reads at most 19 significant digits of the integer part before
    // it gives up on an integer, whatever follows them.
    if significant.len() >= 20 {
        return as_float().map(|value| Number::Float(value, overflow));
    }
    if fraction || exponent {
        return as_float().map(|value| Number::Float(value, 0));
    }
    if significant.len() == 19 {
        // PHP compares the 19 digits and what follows them (trailing
        // whitespace) with the magnitude of the smallest integer.
        let rest = &text[end - significant.len()..];
        let beyond = match rest.cmp(b"9223372036854775808") {
            Ordering::Less => false,
            Ordering::Equal => !negative,
            Ordering::Greater => true,
        };
        if beyond {
            return as_float().map(|value| Number::Float(value, overflow));
        }
    }
    let magnitude = significant
        .iter()
        .fold(0i128, |n, &d| n * 10 + i128::from(d - b'0'));
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).ok().map(Number::Integer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(&Key::read(a.as_bytes()), &Key::read(b.as_bytes()))
    }

    #[test]
    fn numeric_strings_are_recognised_as_php_does() {
        for (text, number) in [
            ("0", Number::Integer(0)),
            ("007", Number::Integer(7)),
            ("-0", Number::Integer(0)),
            ("+5", Number::Integer(5)),
            (" 5", Number::Integer(5)),
            ("5 ", Number::Integer(5)),
            ("\n5\t", Number::Integer(5)),
            ("9223372036854775807", Number::Integer(i64::MAX)),
            ("-9223372036854775808", Number::Integer(i64::MIN)),
            (
                "9223372036854775808",
                Number::Float(9.223_372_036_854_776e18, 1),
            ),
            // The digits and the trailing space, against `9223372036854775808`.
            (
                "-9223372036854775808 ",
                Number::Float(-9.223_372_036_854_776e18, -1),
            ),
            ("-99999999999999999999", Number::Float(-1e20, -1)),
            ("1e1", Number::Float(10.0, 0)),
            ("1E+1", Number::Float(10.0, 0)),
            ("1.", Number::Float(1.0, 0)),
            (".5", Number::Float(0.5, 0)),
            ("-.5e-1", Number::Float(-0.05, 0)),
            ("1.e2", Number::Float(100.0, 0)),
        ] {
            assert_eq!(numeric(text.as_bytes()), Some(number), "{text:?}");
        }
        for text in [
            "", " ", "-", "+", ".", "e1", "1e", "1e+", "1 1", "0x1A", "1a", "inf", "NAN", "- 1",
            "1..2", "1e1.5", "١", "+-5", "1_000",
        ] {
            assert_eq!(numeric(text.as_bytes()), None, "{text:?}");
        }
    }

    #[test]
    fn integer_keys_are_those_php_stores_as_integers() {
        for key in ["0", "-5", "10", "-9223372036854775808"] {
            assert!(is_integer_key(key.as_bytes()), "{key}");
        }
        for key in [
            "-0",
            "00",
            "007",
            "+5",
            " 5",
            "1e1",
            "9223372036854775808",
            "",
            "-",
        ] {
            assert!(!is_integer_key(key.as_bytes()), "{key}");
        }
    }

    #[test]
    fn numbers_compare_as_numbers_and_the_rest_as_bytes() {
        use Ordering::{Equal, Greater, Less};
        for (a, b, expected) in [
            ("9", "10", Less),
            ("10", "9", Greater),
            ("9", "1e1", Less),
            ("1e1", "10", Equal),
            ("1.0", "1", Equal),
            ("-1", "+5", Less),
            ("010", "9", Greater),
            ("10", "9a", Less),
            ("9", "9a", Less),
            ("9", "1z", Greater),
            ("a", "B", Greater),
            ("reg", "reg2", Less),
            ("customer", "customerId", Less),
            ("99999999999999999998", "99999999999999999999", Less),
            ("1e400", "2e400", Less),
            ("1e400", "-1e400", Greater),
            ("5", "99999999999999999999", Less),
            ("-99999999999999999999", "5", Less),
            // An integer key against a number too long for one: as floats.
            ("9223372036854775807", "9223372036854775808", Equal),
            ("00", "9223372036854775808", Less),
        ] {
            assert_eq!(cmp(a, b), expected, "{a:?} vs {b:?}");
            assert_eq!(cmp(b, a), expected.reverse(), "{b:?} vs {a:?}");
        }
    }
}
