//! The query string of a widget URL, encoded as the official library's
//! `http_build_query` encodes it: letters, digits, `-`, `_` and `.` as they
//! are, a space as `+`, every other byte as `%XX` (so `*` is `%2A` and `~`
//! is `%7E`, where a WHATWG form encoder leaves `*` as it is).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// The bytes PHP's `urlencode` escapes.
const PHP_URLENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// `text` as PHP's `urlencode` writes it.
pub(crate) fn urlencode(text: &str) -> String {
    // A space is escaped as `%20` first; a `%20` in the text itself is
    // `%2520` by then, so the replacement touches only spaces.
    utf8_percent_encode(text, PHP_URLENCODE)
        .to_string()
        .replace("%20", "+")
}

/// `name=value&...`, each side [`urlencode`]d.
pub(crate) fn query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&urlencode(name));
        out.push('=');
        out.push_str(&urlencode(value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_php_urlencode() {
        assert_eq!(urlencode("a-b_c.d~e*f g"), "a-b_c.d%7Ee%2Af+g");
        assert_eq!(urlencode("x=1&y=2%20"), "x%3D1%26y%3D2%2520");
        assert_eq!(urlencode("history[reg]"), "history%5Breg%5D");
        assert_eq!(urlencode("日本"), "%E6%97%A5%E6%9C%AC");
        assert_eq!(query([("a", "1"), ("b c", "+")]), "a=1&b+c=%2B");
    }
}
