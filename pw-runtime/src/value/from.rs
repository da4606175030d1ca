//! The [`FromValue`] implementations for the types pw accepts.

use super::{kind, FromValue, ValueError};
use crate::codes::{CountryCode, Currency};
use crate::kinds::parse_code;
use crate::kinds::{
    ChargebackReason, ChargebackType, PingbackType, Reference, SubscriptionPeriod, UniqueRef,
};
use rust_decimal::Decimal;
use std::net::IpAddr;
use std::str::FromStr;
use time::{OffsetDateTime, PrimitiveDateTime, UtcDateTime};

impl FromValue<kind::Text> for String {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        Ok(text.to_owned())
    }
}

impl FromValue<kind::Decimal> for Decimal {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        // Paymentwall writes plain decimals (`9.99`, `-5.00`); rust_decimal
        // would also take `1e3` or `1_000`, which are not amounts.
        let digits = text.strip_prefix('-').unwrap_or(text);
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
        let plain = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !plain(whole) || !plain(fraction) {
            return Err(ValueError::new("not a plain decimal number"));
        }
        Decimal::from_str_exact(text).map_err(|e| ValueError::new(e.to_string()))
    }
}

/// `YYYY-MM-DD HH:MM:SS`. Read by hand: `time`'s format-description
/// parser took about a third of the 0.3 µs decode budget in the
/// `decode_six_custom` benchmark; this fixed layout needs a few compares.
fn date_time(text: &str) -> Result<PrimitiveDateTime, ValueError> {
    let bytes = text.as_bytes();
    let layout_ok = bytes.len() == 19
        && bytes.iter().enumerate().all(|(i, &b)| match i {
            4 | 7 => b == b'-',
            10 => b == b' ',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        });
    if !layout_ok {
        return Err(ValueError::new("not a date-time `YYYY-MM-DD HH:MM:SS`"));
    }
    let number = |from: usize, to: usize| {
        bytes[from..to]
            .iter()
            .fold(0u16, |n, &digit| n * 10 + u16::from(digit - b'0'))
    };
    let month = time::Month::try_from(u8::try_from(number(5, 7)).unwrap_or(0))
        .map_err(|e| ValueError::new(e.to_string()))?;
    let to_u8 = |n: u16| u8::try_from(n).unwrap_or(u8::MAX);
    let date = time::Date::from_calendar_date(i32::from(number(0, 4)), month, to_u8(number(8, 10)))
        .map_err(|e| ValueError::new(e.to_string()))?;
    let time = time::Time::from_hms(
        to_u8(number(11, 13)),
        to_u8(number(14, 16)),
        to_u8(number(17, 19)),
    )
    .map_err(|e| ValueError::new(e.to_string()))?;
    Ok(PrimitiveDateTime::new(date, time))
}

impl FromValue<kind::DateTime> for PrimitiveDateTime {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        date_time(text)
    }
}

impl FromValue<kind::DateTimeUtc> for PrimitiveDateTime {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        date_time(text)
    }
}

impl FromValue<kind::DateTimeUtc> for OffsetDateTime {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        date_time(text).map(PrimitiveDateTime::assume_utc)
    }
}

impl FromValue<kind::DateTimeUtc> for UtcDateTime {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        date_time(text).map(PrimitiveDateTime::as_utc)
    }
}

impl FromValue<kind::Country> for CountryCode {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        super::codes::country_alpha2(text)
            .ok_or_else(|| ValueError::new("not an ISO 3166-1 alpha-2 country code"))
    }
}

impl FromValue<kind::CountryAlpha3> for CountryCode {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        super::codes::country_alpha3(text)
            .ok_or_else(|| ValueError::new("not an ISO 3166-1 alpha-3 country code"))
    }
}

impl FromValue<kind::Currency> for Currency {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        super::codes::currency(text).ok_or_else(|| ValueError::new("not an ISO 4217 currency code"))
    }
}

impl FromValue<kind::Flag> for bool {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        match text {
            "1" => Ok(true),
            "0" => Ok(false),
            _ => Err(ValueError::new("a flag is `0` or `1`")),
        }
    }
}

impl FromValue<kind::IpAddress> for IpAddr {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        IpAddr::from_str(text).map_err(|e| ValueError::new(e.to_string()))
    }
}

impl FromValue<kind::Reference> for Reference {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        text.parse()
            .map_err(|e: crate::kinds::InvalidReference| ValueError::new(e.to_string()))
    }
}

impl FromValue<kind::UniqueReference> for UniqueRef {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        text.parse()
            .map_err(|e: crate::kinds::InvalidUniqueRef| ValueError::new(e.to_string()))
    }
}

impl FromValue<kind::ChargebackReason> for ChargebackReason {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        parse_code(text)
            .map(ChargebackReason::from_code)
            .ok_or_else(|| ValueError::new("a reason is a number"))
    }
}

impl FromValue<kind::ChargebackType> for ChargebackType {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        text.parse()
            .map_err(|e: crate::kinds::InvalidChargebackType| ValueError::new(e.to_string()))
    }
}

impl FromValue<kind::Integer> for i64 {
    #[inline]
    fn from_value(text: &str) -> Result<Self, ValueError> {
        integer(text.as_bytes()).map_err(|error| ValueError::new(error.message()))
    }
}

/// Why a text is not an integer of `i64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntegerError {
    /// Not digits with an optional minus.
    NotDigits,
    /// Digits beyond `i64`.
    OutOfRange,
}

impl IntegerError {
    fn message(self) -> &'static str {
        match self {
            IntegerError::NotDigits => "not a whole number",
            IntegerError::OutOfRange => "out of range",
        }
    }
}

/// Digits with an optional minus, as an `i64` (`i64::from_str` would also
/// take `+5`). Up to 18 digits, which cannot overflow, are read one at a
/// time; longer ones by `str::parse`. (The check of the digits then
/// `str::parse` cost about 55 instructions for a one-digit length, this
/// about 15.)
#[inline]
pub(crate) fn integer(text: &[u8]) -> Result<i64, IntegerError> {
    let (negative, digits) = split_sign(text);
    if digits.is_empty() {
        return Err(IntegerError::NotDigits);
    }
    let mut value = 0i64;
    for &byte in digits {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return Err(IntegerError::NotDigits);
        }
        value = value.wrapping_mul(10).wrapping_add(i64::from(digit));
    }
    if digits.len() <= 18 {
        return Ok(if negative { -value } else { value });
    }
    std::str::from_utf8(text)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or(IntegerError::OutOfRange)
}

impl FromValue<kind::Integer> for i32 {
    #[inline]
    fn from_value(text: &str) -> Result<Self, ValueError> {
        integer32(text.as_bytes()).map_err(|error| ValueError::new(error.message()))
    }
}

/// [`integer`] within `i32`. Up to nine digits, which fit, are read in a
/// 32-bit register without the test of the range (a length such as `1`:
/// about 10 instructions fewer); longer ones by [`integer`].
#[inline]
pub(crate) fn integer32(text: &[u8]) -> Result<i32, IntegerError> {
    let (negative, digits) = split_sign(text);
    if digits.is_empty() || digits.len() > 9 {
        return i32::try_from(integer(text)?).map_err(|_| IntegerError::OutOfRange);
    }
    let mut value = 0i32;
    for &byte in digits {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return Err(IntegerError::NotDigits);
        }
        value = value * 10 + i32::from(digit);
    }
    Ok(if negative { -value } else { value })
}

/// Whether `text` starts with `-`, and the digits after it.
#[inline(always)]
fn split_sign(text: &[u8]) -> (bool, &[u8]) {
    match text {
        [b'-', digits @ ..] => (true, digits),
        digits => (false, digits),
    }
}

impl FromValue<kind::Period> for SubscriptionPeriod {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        text.parse()
            .map_err(|_| ValueError::new("a period is day, week, month or year"))
    }
}

impl FromValue<kind::PingbackType> for PingbackType {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        parse_code(text)
            .map(PingbackType::from_code)
            .ok_or_else(|| ValueError::new("a type is a number"))
    }
}

/// `String` holds the text of a kind that has a textual form, after
/// checking that it is a value of the kind.
macro_rules! validated_text {
    ($($kind:ident => $typed:ty),* $(,)?) => {$(
        impl FromValue<kind::$kind> for String {
            fn from_value(text: &str) -> Result<Self, ValueError> {
                <$typed as FromValue<kind::$kind>>::from_value(text)?;
                Ok(text.to_owned())
            }
        }
    )*};
}

validated_text!(
    Decimal => Decimal,
    DateTime => PrimitiveDateTime,
    DateTimeUtc => PrimitiveDateTime,
    Country => CountryCode,
    CountryAlpha3 => CountryCode,
    Currency => Currency,
    IpAddress => IpAddr,
    Reference => Reference,
    UniqueReference => UniqueRef,
);

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<K: super::super::Kind, T: FromValue<K>>(text: &str) -> Option<T> {
        T::from_value(text).ok()
    }

    #[test]
    fn decimals_are_plain() {
        assert_eq!(
            parse::<kind::Decimal, Decimal>("9.99"),
            Some(Decimal::new(999, 2))
        );
        assert_eq!(
            parse::<kind::Decimal, Decimal>("-5"),
            Some(Decimal::new(-5, 0))
        );
        for bad in ["", "1e3", "1_000", "+1", ".5", "5.", "1.2.3", "abc", " 1"] {
            assert_eq!(parse::<kind::Decimal, Decimal>(bad), None, "{bad}");
            assert_eq!(parse::<kind::Decimal, String>(bad), None, "{bad}");
        }
    }

    #[test]
    fn date_times_are_paymentwall_format() {
        let utc = parse::<kind::DateTimeUtc, OffsetDateTime>("2024-02-29 23:59:58").unwrap();
        assert_eq!(utc.offset(), time::UtcOffset::UTC);
        assert_eq!((utc.year(), utc.day(), utc.second()), (2024, 29, 58));
        for bad in [
            "2023-02-29 00:00:00",
            "2024-01-01T00:00:00",
            "2024-01-01",
            "",
        ] {
            assert_eq!(
                parse::<kind::DateTime, PrimitiveDateTime>(bad),
                None,
                "{bad}"
            );
        }
    }

    #[test]
    fn codes_are_validated() {
        assert_eq!(
            parse::<kind::Country, CountryCode>("US"),
            Some(CountryCode::USA)
        );
        assert_eq!(
            parse::<kind::CountryAlpha3, CountryCode>("USA"),
            Some(CountryCode::USA)
        );
        assert_eq!(parse::<kind::Country, CountryCode>("us"), None);
        assert_eq!(parse::<kind::Country, CountryCode>("XX"), None);
        assert_eq!(
            parse::<kind::Currency, Currency>("EUR"),
            Some(Currency::EUR)
        );
        assert_eq!(parse::<kind::Currency, String>("EUX"), None);
    }

    proptest::proptest! {
        /// Integers read by hand are what the digit check then `str::parse`
        /// read, errors alike.
        #[test]
        fn integers_are_read_as_parse_does(
            text in "-?[0-9]{0,22}|[-+0-9 a]{0,4}|-?92233720368547758[0-9]{2}",
        ) {
            let digits = text.strip_prefix('-').unwrap_or(&text);
            let reference = if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                Err(IntegerError::NotDigits)
            } else {
                text.parse::<i64>().map_err(|_| IntegerError::OutOfRange)
            };
            proptest::prop_assert_eq!(integer(text.as_bytes()), reference);
            let narrow = reference.and_then(|wide| i32::try_from(wide).map_err(|_| IntegerError::OutOfRange));
            proptest::prop_assert_eq!(integer32(text.as_bytes()), narrow);
        }
    }

    #[test]
    fn flags_integers_and_codes() {
        assert_eq!(parse::<kind::Flag, bool>("1"), Some(true));
        assert_eq!(parse::<kind::Flag, bool>("true"), None);
        assert_eq!(parse::<kind::Integer, i32>("-5"), Some(-5));
        assert_eq!(parse::<kind::Integer, i32>("+5"), None);
        assert_eq!(parse::<kind::Integer, i32>("99999999999"), None);
        assert_eq!(
            parse::<kind::ChargebackReason, ChargebackReason>("9"),
            Some(ChargebackReason::CancelledOrder)
        );
        assert_eq!(parse::<kind::PingbackType, PingbackType>("x"), None);
        assert_eq!(
            parse::<kind::ChargebackType, ChargebackType>("refund"),
            Some(ChargebackType::Refund)
        );
        assert!(parse::<kind::IpAddress, IpAddr>("2001:db8::1").is_some());
        assert_eq!(parse::<kind::IpAddress, String>("1.2.3"), None);
    }
}
