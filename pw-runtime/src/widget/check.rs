//! The checks of a widget call's parameters before signing: names
//! Paymentwall can receive, values of the kind each parameter takes (the
//! catalog's widget table), amounts with their currencies, carts whose
//! items agree.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::str::FromStr;

use super::names::split_name;
use super::{AmountError, Price, WidgetError};
use crate::catalog::{self, ApiSet, WidgetShape, WidgetValueKind};
use crate::codes::{CountryCode, Currency};
use crate::kinds::SubscriptionPeriod;
use pw_catalog::{shown, ApiType};
use rust_decimal::Decimal;

/// Checks a parameter name: a base of ASCII letters, digits, `_` and `-`,
/// then at most one `[key]` with a non-empty key without brackets.
pub(crate) fn check_name(name: &str) -> Result<(), WidgetError> {
    let invalid = |reason| WidgetError::InvalidName {
        name: shown(name),
        reason,
    };
    let (base, key) = match name.find('[') {
        Some(at) => (&name[..at], Some(&name[at..])),
        None => (name, None),
    };
    if base.is_empty() {
        return Err(invalid("the name is empty"));
    }
    if !base
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(invalid(
            "a name is ASCII letters, digits, `_` and `-` (PHP would rewrite other characters, \
             such as `.` or a space, before verifying the signature)",
        ));
    }
    if let Some(key) = key {
        let inner = key
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .filter(|inner| !inner.contains(['[', ']']));
        match inner {
            None => {
                return Err(invalid(
                    "an array element is written `name[key]`, one level deep (the official \
                     library cannot sign deeper arrays)",
                ))
            }
            Some("") => {
                return Err(invalid(
                    "an array element needs its key, as in `external_ids[0]`",
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The widget-table entry of `name` for `api`, if the call knows it.
fn entry(api: ApiType, name: &str) -> Option<&'static catalog::WidgetParameter> {
    catalog::widget_parameter(name, ApiSet::from(api))
}

/// Checks `value` against the kind `name` takes for `api`; returns the text
/// to send (an amount in its shortest form, anything else as given).
/// `currency` is the currency that goes with an amount.
fn check_value(
    api: ApiType,
    name: &str,
    value: &str,
    currency: Option<Currency>,
) -> Result<String, WidgetError> {
    let Some(entry) = entry(api, name) else {
        return Ok(value.to_owned());
    };
    let (_, key) = split_name(name);
    match (entry.shape, key) {
        (WidgetShape::Single, None) | (WidgetShape::Prefix | WidgetShape::Either, _) => {}
        (WidgetShape::Single, Some(_)) if entry.name.contains('[') => {}
        (WidgetShape::Array, Some(_)) => {}
        (WidgetShape::Array, None) => {
            return Err(WidgetError::InvalidValue {
                name: shown(name),
                expected: "an array: give its elements as `name[key]`",
            })
        }
        (WidgetShape::Single, Some(_)) => {
            return Err(WidgetError::InvalidValue {
                name: shown(name),
                expected: "a single value, not an array",
            })
        }
    }
    let kind = entry.kind;
    let invalid = || WidgetError::InvalidValue {
        name: shown(name),
        expected: kind.description(),
    };
    let valid = match kind {
        WidgetValueKind::Reserved => return Err(WidgetError::Reserved(shown(name))),
        WidgetValueKind::Text => true,
        WidgetValueKind::Amount => {
            let currency = currency.ok_or_else(invalid)?;
            return Price::parse(value, currency)
                .map(|price| price.amount_text())
                .map_err(|error| WidgetError::Amount {
                    name: shown(name),
                    error,
                });
        }
        WidgetValueKind::Currency => {
            let currency = Currency::from_code(value).ok_or_else(invalid)?;
            if currency.exponent().is_none() {
                return Err(WidgetError::Amount {
                    name: shown(name),
                    error: AmountError::NoMinorUnits { currency },
                });
            }
            true
        }
        WidgetValueKind::Country => CountryCode::for_alpha2(value).is_ok(),
        WidgetValueKind::Language => is_language(value),
        WidgetValueKind::Url => is_web_url(value),
        WidgetValueKind::Flag => matches!(value, "0" | "1"),
        WidgetValueKind::Length => plain_integer(value).is_some_and(|n| n >= 1),
        WidgetValueKind::Period => SubscriptionPeriod::from_str(value).is_ok(),
        WidgetValueKind::ProductType => matches!(value, "fixed" | "subscription"),
        WidgetValueKind::Timestamp => {
            let digits = value.strip_prefix('-').unwrap_or(value);
            plain_integer(digits).is_some()
        }
        WidgetValueKind::Count => plain_integer(value).is_some(),
        WidgetValueKind::Score => plain_integer(value).is_some_and(|n| n <= 100),
        WidgetValueKind::Decimal => is_plain_decimal(value),
        WidgetValueKind::IpAddress => IpAddr::from_str(value).is_ok(),
        WidgetValueKind::Sex => matches!(value, "male" | "female"),
    };
    if valid {
        Ok(value.to_owned())
    } else {
        Err(invalid())
    }
}

/// An ISO 639-1 code (`en`), or one with an ISO 3166-1 alpha-2 region
/// (`pt_BR`, `zh_CN`), as Paymentwall's own SDKs send.
fn is_language(text: &str) -> bool {
    let (language, region) = match text.split_once('_') {
        Some((language, region)) => (language, Some(region)),
        None => (text, None),
    };
    isolang::Language::from_639_1(language).is_some()
        && region.is_none_or(|region| CountryCode::for_alpha2(region).is_ok())
}

/// Digits only, as a number that fits `u64`.
fn plain_integer(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Digits, optionally `.` and digits.
fn is_plain_decimal(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    plain_integer_digits(whole) && plain_integer_digits(fraction) && Decimal::from_str(text).is_ok()
}

fn plain_integer_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// An absolute `http://` or `https://` URL with a host.
fn is_web_url(text: &str) -> bool {
    url::Url::parse(text)
        .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
}

/// The currency parameter that goes with the amount `name`, if `name` is an
/// amount.
fn currency_of(name: &str) -> Option<String> {
    match split_name(name) {
        ("amount", None) => Some("currencyCode".to_owned()),
        ("post_trial_amount", None) => Some("post_trial_currencyCode".to_owned()),
        ("prices", Some(key)) => Some(format!("currencies[{key}]")),
        _ => None,
    }
}

/// The amount parameter that goes with the currency `name`, if `name` is a
/// currency.
fn amount_of(name: &str) -> Option<String> {
    match split_name(name) {
        ("currencyCode", None) => Some("amount".to_owned()),
        ("post_trial_currencyCode", None) => Some("post_trial_amount".to_owned()),
        ("currencies", Some(key)) => Some(format!("prices[{key}]")),
        _ => None,
    }
}

/// Checks every parameter of a call for `api` and returns them as they
/// are sent (amounts in their shortest form), in the same order.
pub(crate) fn check_params(
    api: ApiType,
    params: &[(String, String)],
) -> Result<Vec<(String, String)>, WidgetError> {
    let value_of = |name: &str| {
        params
            .iter()
            .find(|(other, _)| other == name)
            .map(|(_, value)| value.as_str())
    };
    let mut singles = BTreeSet::new();
    let mut arrays = BTreeSet::new();
    for (name, _) in params {
        check_name(name)?;
        match split_name(name) {
            (base, None) => singles.insert(base),
            (base, Some(_)) => arrays.insert(base),
        };
    }
    if let Some(both) = singles.intersection(&arrays).next() {
        return Err(WidgetError::ScalarAndArray(shown(both)));
    }
    let mut checked = Vec::with_capacity(params.len());
    for (name, value) in params {
        let pair = |other: String| (value_of(&other), other);
        let currency = match currency_of(name).filter(|_| entry(api, name).is_some()) {
            Some(currency_name) => match pair(currency_name) {
                (Some(code), _) => Currency::from_code(code),
                (None, missing) => {
                    return Err(WidgetError::Unpaired {
                        given: shown(name),
                        missing,
                    })
                }
            },
            None => None,
        };
        if let Some(amount_name) = amount_of(name).filter(|_| entry(api, name).is_some()) {
            if let (None, missing) = pair(amount_name) {
                return Err(WidgetError::Unpaired {
                    given: shown(name),
                    missing,
                });
            }
        }
        checked.push((name.clone(), check_value(api, name, value, currency)?));
    }
    if api == ApiType::Cart {
        check_cart(params)?;
    }
    Ok(checked)
}

/// A cart has products, every cart element belongs to one, and either
/// every product carries its price or none does.
fn check_cart(params: &[(String, String)]) -> Result<(), WidgetError> {
    let keys_of = |array: &str| -> BTreeSet<&str> {
        params
            .iter()
            .filter_map(|(name, _)| match split_name(name) {
                (base, Some(key)) if base == array => Some(key),
                _ => None,
            })
            .collect()
    };
    let products = keys_of("external_ids");
    if products.is_empty() {
        return Err(WidgetError::Missing("external_ids"));
    }
    for array in ["prices", "currencies", "names"] {
        if let Some(stray) = keys_of(array).difference(&products).next() {
            return Err(WidgetError::CartElement(shown(&format!(
                "{array}[{stray}]"
            ))));
        }
    }
    let priced = keys_of("prices");
    if !priced.is_empty() && priced != products {
        return Err(WidgetError::CartPrices);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn check(api: ApiType, list: &[(&str, &str)]) -> Result<Vec<(String, String)>, WidgetError> {
        check_params(api, &pairs(list))
    }

    #[test]
    fn names_paymentwall_cannot_receive_are_refused() {
        for name in [
            "uid",
            "history[reg]",
            "ids[0]",
            "9",
            "1e1",
            "a-b",
            "customer[first name]",
        ] {
            assert_eq!(check_name(name), Ok(()), "{name}");
        }
        for name in [
            "", "a.b", "a b", "é", "[0]", "a[", "a[]", "a[b][c]", "a[b]c", "a+b",
        ] {
            assert!(
                matches!(check_name(name), Err(WidgetError::InvalidName { .. })),
                "{name:?}"
            );
        }
    }

    #[test]
    fn values_are_checked_by_the_kind_their_parameter_takes() {
        let dg = ApiType::DigitalGoods;
        assert!(check(
            dg,
            &[("lang", "de"), ("country_code", "DE"), ("evaluation", "1")]
        )
        .is_ok());
        for lang in ["pt_BR", "zh_CN", "zh_TW"] {
            assert!(check(dg, &[("lang", lang)]).is_ok(), "{lang}");
        }
        assert!(check(dg, &[("display_goodsid", "a"), ("hide_goodsid[0]", "b")]).is_ok());
        for (name, value) in [
            ("lang", "xx"),
            ("lang", "EN"),
            ("lang", "pt_br"),
            ("lang", "pt-BR"),
            ("lang", "xx_BR"),
            ("ts", "yesterday"),
            ("country_code", "ZZ"),
            ("evaluation", "yes"),
            ("success_url", "example.com/ok"),
            ("pingback_url", "ftp://example.com/"),
            ("ag_type", "monthly"),
            ("ag_period_length", "0"),
            ("ag_period_type", "fortnight"),
            ("customer[sex]", "other"),
            ("customer[birthday]", "1990-01-01"),
            ("history[registration_ip]", "not an address"),
            ("history[risk_score]", "101"),
            ("history[payments_amount]", "-1"),
        ] {
            assert!(
                matches!(
                    check(dg, &[(name, value)]),
                    Err(WidgetError::InvalidValue { .. })
                ),
                "{name}={value}"
            );
        }
        assert_eq!(
            check(dg, &[("customer[birthday]", "-315619200")]).map(|p| p.len()),
            Ok(1)
        );
        // Unknown names are the merchant's own: any text.
        assert!(check(dg, &[("campaign", "50% off *now*")]).is_ok());
        // A Cart parameter on a Digital Goods call is the merchant's own too.
        assert!(check(dg, &[("prices", "x")]).is_ok());
    }

    #[test]
    fn amounts_go_with_their_currency_and_are_sent_shortest() {
        let dg = ApiType::DigitalGoods;
        assert_eq!(
            check(dg, &[("amount", "4.50"), ("currencyCode", "USD")]),
            Ok(pairs(&[("amount", "4.5"), ("currencyCode", "USD")]))
        );
        assert!(matches!(
            check(dg, &[("amount", "4.999"), ("currencyCode", "USD")]),
            Err(WidgetError::Amount {
                error: AmountError::TooPrecise { .. },
                ..
            })
        ));
        assert_eq!(
            check(dg, &[("amount", "4.5")]),
            Err(WidgetError::Unpaired {
                given: "amount".into(),
                missing: "currencyCode".into()
            })
        );
        assert_eq!(
            check(dg, &[("post_trial_currencyCode", "USD")]),
            Err(WidgetError::Unpaired {
                given: "post_trial_currencyCode".into(),
                missing: "post_trial_amount".into()
            })
        );
        assert!(matches!(
            check(dg, &[("amount", "1"), ("currencyCode", "XAU")]),
            Err(WidgetError::Amount { .. })
        ));
        assert!(matches!(
            check(dg, &[("amount", "1"), ("currencyCode", "usd")]),
            Err(WidgetError::InvalidValue { .. })
        ));
    }

    #[test]
    fn carts_need_products_and_agree_on_prices() {
        let cart = ApiType::Cart;
        assert!(check(cart, &[("external_ids[0]", "a"), ("external_ids[1]", "b")]).is_ok());
        assert!(check(
            cart,
            &[
                ("external_ids[0]", "a"),
                ("prices[0]", "1.50"),
                ("currencies[0]", "EUR"),
                ("names[0]", "A")
            ]
        )
        .is_ok());
        assert_eq!(
            check(cart, &[("uid", "u")]),
            Err(WidgetError::Missing("external_ids"))
        );
        assert_eq!(
            check(
                cart,
                &[
                    ("external_ids[0]", "a"),
                    ("external_ids[1]", "b"),
                    ("prices[0]", "1"),
                    ("currencies[0]", "EUR")
                ]
            ),
            Err(WidgetError::CartPrices)
        );
        assert_eq!(
            check(cart, &[("external_ids[0]", "a"), ("names[1]", "B")]),
            Err(WidgetError::CartElement("names[1]".into()))
        );
        assert_eq!(
            check(cart, &[("external_ids[0]", "a"), ("prices[0]", "1")]),
            Err(WidgetError::Unpaired {
                given: "prices[0]".into(),
                missing: "currencies[0]".into()
            })
        );
        assert_eq!(
            check(cart, &[("external_ids", "a")]),
            Err(WidgetError::InvalidValue {
                name: "external_ids".into(),
                expected: "an array: give its elements as `name[key]`"
            })
        );
    }

    #[test]
    fn a_name_is_a_single_value_or_an_array() {
        assert_eq!(
            check(ApiType::VirtualCurrency, &[("x", "1"), ("x[0]", "2")]),
            Err(WidgetError::ScalarAndArray("x".into()))
        );
        assert_eq!(
            check(ApiType::VirtualCurrency, &[("uid[0]", "u")]),
            Err(WidgetError::InvalidValue {
                name: "uid[0]".into(),
                expected: "a single value, not an array"
            })
        );
    }
}
