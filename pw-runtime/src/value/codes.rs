//! Fast lookups of ISO country and currency codes.
//!
//! The code crates (`iso_country`, `iso_currency`) look a code up with a
//! `match` over a few hundred string arms or a search, which is several
//! hundred nanoseconds per lookup in the `decode_six_custom` benchmark,
//! over the 0.3 µs budget of a whole decode. These tables, built once from
//! [`CountryCode::all`] and [`Currency::all`] (checked against the crates),
//! answer in a few nanoseconds.

use crate::codes::{CountryCode, Currency};
use std::sync::OnceLock;

/// The index of a two- or three-letter upper-case code in a dense table.
fn index(code: &str) -> Option<usize> {
    code.bytes().try_fold(0usize, |index, byte| {
        byte.is_ascii_uppercase()
            .then(|| index * 26 + usize::from(byte - b'A'))
    })
}

struct Countries {
    alpha2: Vec<Option<CountryCode>>,
    alpha3: Vec<Option<CountryCode>>,
}

fn countries() -> &'static Countries {
    static TABLE: OnceLock<Countries> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Countries {
            alpha2: vec![None; 26 * 26],
            alpha3: vec![None; 26 * 26 * 26],
        };
        for &country in CountryCode::all() {
            if let Some(i) = index(country.alpha2()) {
                table.alpha2[i] = Some(country);
            }
            if let Some(i) = index(country.alpha3()) {
                table.alpha3[i] = Some(country);
            }
        }
        table
    })
}

/// The country of an ISO 3166-1 alpha-2 code (upper case).
pub(crate) fn country_alpha2(code: &str) -> Option<CountryCode> {
    (code.len() == 2)
        .then(|| index(code))
        .flatten()
        .and_then(|i| countries().alpha2[i])
}

/// The country of an ISO 3166-1 alpha-3 code (upper case).
pub(crate) fn country_alpha3(code: &str) -> Option<CountryCode> {
    (code.len() == 3)
        .then(|| index(code))
        .flatten()
        .and_then(|i| countries().alpha3[i])
}

/// The currency of an ISO 4217 code (upper case).
pub(crate) fn currency(code: &str) -> Option<Currency> {
    static TABLE: OnceLock<Vec<Option<Currency>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = vec![None; 26 * 26 * 26];
        for &currency in Currency::all() {
            if let Some(i) = index(currency.code()) {
                table[i] = Some(currency);
            }
        }
        table
    });
    (code.len() == 3)
        .then(|| index(code))
        .flatten()
        .and_then(|i| table[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_agree_with_the_crates() {
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                let two = String::from_utf8(vec![a, b]).unwrap();
                let crate_alpha2 = two.parse::<iso_country::Country>().ok();
                assert_eq!(
                    country_alpha2(&two).map(CountryCode::alpha2),
                    crate_alpha2.map(|_| two.as_str()),
                    "{two}"
                );
                for c in b'A'..=b'Z' {
                    let three = String::from_utf8(vec![a, b, c]).unwrap();
                    let crate_alpha3 = iso_country::data::all()
                        .into_iter()
                        .find(|entry| entry.alpha3 == three)
                        .map(|entry| entry.alpha2);
                    assert_eq!(
                        country_alpha3(&three).map(CountryCode::alpha2),
                        crate_alpha3
                    );
                    assert_eq!(
                        currency(&three).map(Currency::code),
                        iso_currency::Currency::from_code(&three).map(|c| c.code()),
                        "{three}"
                    );
                }
            }
        }
        for bad in ["", "U", "us", "USAA", "U1", "ÜS"] {
            assert_eq!(country_alpha2(bad), None);
            assert_eq!(currency(bad), None);
        }
    }
}
