//! PHP 8's comparison of two array keys, as `ksort` applies it: two
//! numeric strings compare as numbers, anything else compares as bytes.
//!
//! The official library signs a widget call after `ksort` of its
//! parameters (and of each array among them), so this comparison decides
//! the signing order. An integer key compares as its decimal text, so one
//! comparison of strings covers integer and text keys alike.

use std::cmp::Ordering;

/// PHP 8's comparison of the array keys `a` and `b`, as `ksort` compares
/// them: numerically when both are numeric strings (`9`, `1e1`, ` 5`,
/// `-0.5`, `007`), else by bytes.
///
/// PHP stores a key that is an integer written canonically (`0`, `-5`,
/// `10`, within 64 bits) as an integer, and compares an integer key with a
/// text key slightly differently from two text keys (no special case for
/// numbers too long for an integer), so both are modelled.
///
/// It is not transitive once numeric and other keys mix (`9 < 1e1`,
/// `1e1 < 1f`, `1f < 9`); the widget call refuses such a set of names
/// instead of guessing the order PHP's sort would leave them in.
pub(crate) fn compare(a: &str, b: &str) -> Ordering {
    match (integer_key(a), integer_key(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(x), None) => compare_integer_to_text(x, b),
        (None, Some(y)) => compare_integer_to_text(y, a).reverse(),
        (None, None) => compare_texts(a, b),
    }
}

/// The integer PHP stores the key `key` as, if it does: `0`, or an
/// optional `-` and digits without a leading zero, within 64 bits.
fn integer_key(key: &str) -> Option<i64> {
    let digits = key.strip_prefix('-').unwrap_or(key);
    let canonical = match digits.as_bytes() {
        [b'0'] => digits.len() == key.len(),
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    canonical.then(|| key.parse().ok()).flatten()
}

/// An integer key against a text key (`compare_longs_to_string`).
fn compare_integer_to_text(integer: i64, text: &str) -> Ordering {
    match numeric(text.as_bytes()) {
        Some(Number::Integer(other)) => integer.cmp(&other),
        Some(Number::Float(other, _)) => {
            let integer = integer as f64;
            if integer == other {
                Ordering::Equal
            } else if integer < other {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        None => integer.to_string().as_bytes().cmp(text.as_bytes()),
    }
}

/// Two text keys (`zendi_smart_strcmp`).
fn compare_texts(a: &str, b: &str) -> Ordering {
    let (Some(x), Some(y)) = (numeric(a.as_bytes()), numeric(b.as_bytes())) else {
        return a.as_bytes().cmp(b.as_bytes());
    };
    match (x, y) {
        (Number::Integer(x), Number::Integer(y)) => x.cmp(&y),
        (Number::Integer(x), Number::Float(y, overflow)) => {
            if overflow != 0 {
                return sign(-overflow);
            }
            difference(x as f64, y)
        }
        (Number::Float(x, overflow), Number::Integer(y)) => {
            if overflow != 0 {
                return sign(overflow);
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
                a.as_bytes().cmp(b.as_bytes())
            } else {
                difference(x, y)
            }
        }
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

fn sign(value: i8) -> Ordering {
    value.cmp(&0)
}

/// A numeric string's value: an integer, or a float with the side it
/// overflowed the integers on (`1`, `-1`; `0` when it is a float by its
/// writing, such as `1.5` or `1e3`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Number {
    Integer(i64),
    Float(f64, i8),
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
    let mut fraction = None;
    if unsigned.get(at) == Some(&b'.') {
        let count = digits(at + 1);
        if whole == 0 && count == 0 {
            return None;
        }
        fraction = Some(count);
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
    let significant = unsigned[..whole].iter().skip_while(|&&b| b == b'0').count();
    let as_float = || {
        std::str::from_utf8(body)
            .ok()
            .and_then(|text| text.parse::<f64>().ok())
    };
    let overflow = if negative { -1 } else { 1 };
    // PHP counts at most 19 significant digits of the integer part before
    // it gives up on an integer, whatever follows them.
    if significant >= 20 {
        return as_float().map(|value| Number::Float(value, overflow));
    }
    if fraction.is_some() || exponent {
        return as_float().map(|value| Number::Float(value, 0));
    }
    let magnitude: i128 = std::str::from_utf8(&unsigned[..whole]).ok()?.parse().ok()?;
    let value = if negative { -magnitude } else { magnitude };
    match i64::try_from(value) {
        Ok(value) => Some(Number::Integer(value)),
        Err(_) => as_float().map(|value| Number::Float(value, overflow)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "1..2", "1e1.5", "١",
        ] {
            assert_eq!(numeric(text.as_bytes()), None, "{text:?}");
        }
    }

    #[test]
    fn integer_keys_are_those_php_stores_as_integers() {
        for (key, integer) in [("0", Some(0)), ("-5", Some(-5)), ("10", Some(10))] {
            assert_eq!(integer_key(key), integer, "{key}");
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
            assert_eq!(integer_key(key), None, "{key}");
        }
        assert_eq!(integer_key("-9223372036854775808"), Some(i64::MIN));
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
            assert_eq!(compare(a, b), expected, "{a:?} vs {b:?}");
        }
    }
}
