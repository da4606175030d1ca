//! The signing order of parameters: the order in which Paymentwall's
//! official library writes them into a version 2 or 3 base string, made
//! total.
//!
//! The official library sorts the parameters with PHP's `ksort`, and each
//! array's elements with `ksort` again. PHP 8 compares two array keys as
//! numbers when both are numeric (an integer key, or a string such as `05`,
//! ` 7`, `1e1`, `-2.5`), and by their bytes otherwise. That comparison is
//! not an order once numbers and text meet: `6 < 53` (numbers), `53 < 5z`
//! and `5z < 6` (bytes), so what `ksort` returns then depends on the order
//! the keys came in.
//!
//! [`compare_keys`] is that comparison made total:
//!
//! 1. every numeric key comes before every text key;
//! 2. numbers by value (see below), then by their bytes when PHP finds two
//!    of them equal (`5`, `05` and `5.0` are one value to PHP);
//! 3. text keys by their bytes.
//!
//! It agrees with PHP's comparison on every two keys that are both numbers
//! (of distinct values) or both text, and on a number against a text that
//! starts with a byte above `9` (a letter, `_`, …), which covers every
//! parameter name Paymentwall uses. So the order is PHP's whenever the keys
//! of one level are all integers, all text, or numbers next to names that
//! start with a letter. Where PHP's own answer depends on the input order
//! (a number next to a text such as `5z` or `+`, two numbers of equal
//! value), this order is the documented choice above, the same whatever
//! order the keys came in.
//!
//! Values as PHP 8 reads them: a key in integer form (`[+-]?digits`) that
//! fits in a signed 64-bit integer is compared exactly; any other number is
//! a 64-bit float (an integer against a float as PHP does, as a float).
//! Integers too long for 64 bits are floats to PHP, which then falls back
//! to bytes between two of them that round alike, and puts one above every
//! 64-bit integer; this order does the same.

use std::cmp::Ordering;

/// The signing order of two parameters, each given as its path: the name,
/// then the keys of its array element from the outermost (`history`, `reg`
/// for `history[reg]`; `goodsid`, `0` for `goodsid[0]`).
///
/// Paths compare level by level with [`compare_keys`]; a path that is a
/// prefix of the other comes first (a single value before array elements of
/// the same name, which a pingback rejects anyway). This is the order of
/// `ksort` applied to every level, as the official library signs both
/// pingbacks and widget calls.
pub(crate) fn compare_paths<'a, A, B>(a: A, b: B) -> Ordering
where
    A: IntoIterator<Item = &'a [u8]>,
    B: IntoIterator<Item = &'a [u8]>,
{
    let (mut a, mut b) = (a.into_iter(), b.into_iter());
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) => match compare_keys(x, y) {
                Ordering::Equal => {}
                unequal => return unequal,
            },
            (x, y) => return x.is_some().cmp(&y.is_some()),
        }
    }
}

/// The signing order of two keys of one level: two parameter names, or two
/// keys of one array. A total order; see the [module](self) for how it
/// follows PHP 8's `ksort`.
pub(crate) fn compare_keys(a: &[u8], b: &[u8]) -> Ordering {
    if let (Some(x), Some(y)) = (small_integer(a), small_integer(b)) {
        return x.cmp(&y);
    }
    if a.first().is_some_and(|&byte| byte > b'9') && b.first().is_some_and(|&byte| byte > b'9') {
        // No number starts above `9`: text against text.
        return a.cmp(b);
    }
    match (Number::read(a), Number::read(b)) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// The value of `0` or of up to 18 digits without a leading zero, the keys
/// of every real array parameter (`goodsid[0]`, …): compared without
/// reading them as PHP numbers.
fn small_integer(key: &[u8]) -> Option<u64> {
    match key {
        [b'0'] => Some(0),
        [b'1'..=b'9', ..] if key.len() <= 18 && key.iter().all(u8::is_ascii_digit) => {
            Some(key.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
        }
        _ => None,
    }
}

/// A numeric key as PHP 8 compares it. Ordered by `approx`, then `tier`,
/// then integers before other numbers of the same approximate value, then
/// `exact`: a lexicographic, hence total, order.
#[derive(Debug, Clone, Copy)]
struct Number {
    /// The value as a float: what PHP compares unless both are integers.
    approx: f64,
    /// `-1` for an integer below the 64-bit range, `1` above, else `0`:
    /// PHP ranks such an integer below (above) every 64-bit integer even
    /// where the float values are equal.
    tier: i8,
    /// The value of a key in integer form within 64 bits.
    exact: Option<i64>,
}

impl Number {
    /// Reads `key` as a PHP 8 numeric string: optional whitespace, an
    /// optional sign, digits with an optional fraction (or `.` and digits),
    /// an optional exponent, optional whitespace. `None` for text.
    fn read(key: &[u8]) -> Option<Number> {
        let is_space = |byte: &u8| matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C);
        let start = key.iter().position(|b| !is_space(b))?;
        let end = key.iter().rposition(|b| !is_space(b))? + 1;
        let text = &key[start..end];
        let body = match text {
            [b'+' | b'-', rest @ ..] => rest,
            _ => text,
        };
        let digits = |bytes: &[u8]| bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        let whole = digits(body);
        let mut at = whole;
        let mut fraction = 0;
        if body.get(at) == Some(&b'.') {
            fraction = digits(&body[at + 1..]);
            at += 1 + fraction;
        }
        if whole == 0 && fraction == 0 {
            return None;
        }
        let integer_form = at == whole;
        if matches!(body.get(at), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(body.get(at + 1), Some(b'+' | b'-')));
            let exponent = digits(&body[at + 1 + sign..]);
            if exponent == 0 {
                return None;
            }
            at += 1 + sign + exponent;
        }
        if at != body.len() {
            return None;
        }
        // Only ASCII digits, signs, `.` and `e` are left: valid UTF-8.
        let text = std::str::from_utf8(text).ok()?;
        let negative = text.starts_with('-');
        let exact = if integer_form {
            text.parse::<i64>().ok()
        } else {
            None
        };
        #[allow(clippy::cast_precision_loss)]
        // as PHP converts an integer to compare it with a float
        let approx = match exact {
            Some(integer) => integer as f64,
            None => text.parse::<f64>().ok()?,
        };
        // PHP flags an integer part of 20 significant digits or more, or a
        // 19-digit integer beyond the range, as overflowing.
        let significant = body[..whole].iter().skip_while(|&&d| d == b'0').count();
        let overflows = significant >= 20 || (integer_form && exact.is_none());
        let tier = match (overflows, negative) {
            (false, _) => 0,
            (true, true) => -1,
            (true, false) => 1,
        };
        Some(Number {
            approx,
            tier,
            exact,
        })
    }

    fn cmp(&self, other: &Number) -> Ordering {
        self.approx
            .total_cmp(&other.approx)
            .then(self.tier.cmp(&other.tier))
            .then_with(|| match (self.exact, other.exact) {
                (Some(x), Some(y)) => x.cmp(&y),
                (x, y) => y.is_some().cmp(&x.is_some()),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut keys: Vec<&str> = keys.to_vec();
        keys.sort_by(|a, b| compare_keys(a.as_bytes(), b.as_bytes()));
        keys.into_iter().map(str::to_owned).collect()
    }

    #[test]
    fn integers_by_value_text_by_bytes_numbers_first() {
        assert_eq!(sorted(&["10", "9", "0", "100"]), ["0", "9", "10", "100"]);
        assert_eq!(sorted(&["b", "B", "a", "ab"]), ["B", "a", "ab", "b"]);
        assert_eq!(sorted(&["5z", "53", "6"]), ["6", "53", "5z"]);
        assert_eq!(sorted(&["6", "5z", "53"]), ["6", "53", "5z"]);
        assert_eq!(
            sorted(&["x", "-3", "1e1", "9", "2.5"]),
            ["-3", "2.5", "9", "1e1", "x"]
        );
    }

    #[test]
    fn php_numeric_strings_are_numbers() {
        for number in [
            "5", "05", " 5", "5 ", "+5", "-5", "1e1", "1E+1", ".5", "5.", "\t5\n", "-0",
        ] {
            assert!(Number::read(number.as_bytes()).is_some(), "{number:?}");
        }
        for text in [
            "", " ", ".", "1e", "1e+", "0x1A", "inf", "NaN", "1_000", "+-5", "5 5", "٣",
        ] {
            assert!(Number::read(text.as_bytes()).is_none(), "{text:?}");
        }
    }

    #[test]
    fn equal_values_fall_back_to_bytes() {
        assert_eq!(sorted(&["5.0", "5", "05", " 5"]), [" 5", "05", "5", "5.0"]);
    }

    #[test]
    fn integers_beyond_64_bits_rank_beyond_every_64_bit_integer() {
        let max = "9223372036854775807";
        let above = "9223372036854775808";
        assert_eq!(
            compare_keys(max.as_bytes(), above.as_bytes()),
            Ordering::Less
        );
        let min = "-9223372036854775808";
        let below = "-9223372036854775809";
        assert_eq!(
            compare_keys(below.as_bytes(), min.as_bytes()),
            Ordering::Less
        );
        // Large integers 2 apart are exact; two equal floats fall back to bytes.
        assert_eq!(
            compare_keys(b"9007199254740993", b"9007199254740992"),
            Ordering::Greater
        );
    }

    #[test]
    fn paths_compare_level_by_level() {
        let path = |name: &'static str, keys: &'static [&'static str]| {
            std::iter::once(name.as_bytes()).chain(keys.iter().map(|k| k.as_bytes()))
        };
        assert_eq!(
            compare_paths(path("ids", &["2"]), path("ids", &["10"])),
            Ordering::Less
        );
        assert_eq!(
            compare_paths(path("history", &["reg"]), path("history2", &[])),
            Ordering::Less
        );
        assert_eq!(
            compare_paths(path("customer", &["x"]), path("customerId", &[])),
            Ordering::Less
        );
        assert_eq!(
            compare_paths(path("a", &[]), path("a", &["0"])),
            Ordering::Less
        );
        assert_eq!(
            compare_paths(path("a", &["0"]), path("a", &["0"])),
            Ordering::Equal
        );
    }
}

/// The order against PHP itself: `tests/vectors/php-ksort-pairs.json`
/// holds, for keys chosen at the edges of PHP's rules, the order PHP 8's
/// `ksort` gives every two of them in both input orders (`<`: the row's key
/// first both times, `>`: the column's, `=`: the input order decides).
#[cfg(test)]
mod against_php {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Pairs {
        php: String,
        keys: Vec<String>,
        order: Vec<String>,
    }

    #[test]
    fn agrees_with_php_wherever_php_decides() {
        let pairs: Pairs =
            serde_json::from_str(include_str!("../../tests/vectors/php-ksort-pairs.json")).unwrap();
        assert!(pairs.php.starts_with("8."), "{}", pairs.php);
        let mut decided = 0;
        let mut wrong = Vec::new();
        for (a, row) in pairs.keys.iter().zip(&pairs.order) {
            for (b, php) in pairs.keys.iter().zip(row.chars()) {
                let ours = compare_keys(a.as_bytes(), b.as_bytes());
                assert_eq!(
                    ours,
                    compare_keys(b.as_bytes(), a.as_bytes()).reverse(),
                    "{a:?} {b:?}"
                );
                let expected = match php {
                    '<' => Ordering::Less,
                    '>' => Ordering::Greater,
                    _ => continue,
                };
                // Numbers go first even where PHP puts a text such as `5z` or `+` first.
                let (x, y) = (Number::read(a.as_bytes()), Number::read(b.as_bytes()));
                let starts_above_nine =
                    |key: &str| key.as_bytes().first().is_some_and(|&c| c > b'9');
                let promised = match (x, y) {
                    (Some(_), None) => starts_above_nine(b),
                    (None, Some(_)) => starts_above_nine(a),
                    _ => true,
                };
                if !promised {
                    assert_eq!(
                        ours,
                        x.is_none().cmp(&y.is_none()),
                        "numbers first: {a:?} {b:?}"
                    );
                    continue;
                }
                decided += 1;
                if ours != expected {
                    wrong.push(format!("{a:?} {b:?}: PHP {expected:?}, ours {ours:?}"));
                }
            }
        }
        assert!(decided > 3000, "{decided}");
        assert!(
            wrong.is_empty(),
            "{} of {decided}:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }
}
