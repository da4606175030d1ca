//! [`Price`]: an amount a widget call can charge, and the amount rule.
//!
//! A widget amount is never changed silently:
//!
//! - it must be positive: Paymentwall charges nothing else;
//! - its currency must have minor units (ISO 4217's exponent: 2 for `USD`,
//!   0 for `JPY`, 3 for `KWD`); `XAU` and the other units without them
//!   cannot be charged;
//! - it may have no more decimals than the currency's minor units once
//!   trailing zeros are dropped: `4.999 USD` is refused, not rounded to `5`
//!   as the official library would send it; round it yourself;
//! - it may have at most 15 digits in all: the official libraries carry
//!   amounts as floating-point numbers, which hold 15 digits exactly (and
//!   PHP writes `1.0E+15` from 10^15 on);
//! - it is sent in its shortest form, as the official library writes it:
//!   `4.50` as `4.5`, `10.00` as `10`. The value is the same.

use std::fmt;
use std::str::FromStr;

use crate::codes::Currency;
use rust_decimal::Decimal;

/// The most digits an amount may have.
const MAX_DIGITS: u32 = 15;

/// An amount a widget call can charge, in a currency: positive, with no
/// more decimals than the currency's minor units, at most 15 digits.
///
/// ```
/// use pw_runtime::widget::{AmountError, Price};
/// use pw_runtime::{Currency, Decimal};
///
/// let price = Price::new(Decimal::new(450, 2), Currency::USD)?;
/// assert_eq!(price.to_string(), "4.5 USD");
/// assert_eq!(price.amount_text(), "4.5");
///
/// assert!(matches!(
///     Price::new(Decimal::new(4999, 3), Currency::USD),
///     Err(AmountError::TooPrecise { minor_units: 2, .. })
/// ));
/// assert!(Price::new(Decimal::new(100, 0), Currency::JPY).is_ok());
/// assert!(Price::new(Decimal::new(1005, 1), Currency::JPY).is_err());
/// assert!(Price::new(Decimal::new(1234, 3), Currency::KWD).is_ok());
/// assert!(Price::new(Decimal::ZERO, Currency::EUR).is_err());
/// # Ok::<(), AmountError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Price {
    amount: Decimal,
    currency: Currency,
}

/// Why an amount cannot be charged.
///
/// ```
/// use pw_runtime::widget::{AmountError, Price};
/// use pw_runtime::{Currency, Decimal};
///
/// let error = Price::new(Decimal::new(4999, 3), Currency::USD).unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "4.999 USD has 3 decimals, but USD has 2 minor units: round the amount yourself \
///      (Paymentwall's libraries would round it without telling)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// The amount is zero or negative.
    #[error("the amount {amount} is not positive: Paymentwall charges positive amounts only")]
    NotPositive {
        /// The amount.
        amount: Decimal,
    },
    /// The currency has no minor units (`XAU`, `XDR`, ...).
    #[error("{} has no minor units: Paymentwall cannot charge in it", currency.code())]
    NoMinorUnits {
        /// The currency.
        currency: Currency,
    },
    /// The amount has more decimals than the currency's minor units.
    #[error(
        "{amount} {code} has {decimals} decimals, but {code} has {minor_units} minor units: round \
         the amount yourself (Paymentwall's libraries would round it without telling)",
        code = currency.code()
    )]
    TooPrecise {
        /// The amount.
        amount: Decimal,
        /// The currency.
        currency: Currency,
        /// The decimals of the amount, trailing zeros dropped.
        decimals: u32,
        /// The currency's minor units.
        minor_units: u16,
    },
    /// The amount has more than 15 digits.
    #[error(
        "the amount {amount} has more than 15 digits: the official libraries carry amounts as \
         floating-point numbers, which hold 15 digits exactly"
    )]
    TooLarge {
        /// The amount.
        amount: Decimal,
    },
    /// The text is not a plain decimal number.
    #[error("`{text}` is not a decimal amount such as `9.99` (digits, then `.` and digits)")]
    NotADecimal {
        /// The text (cut to 64 characters).
        text: String,
    },
}

impl Price {
    /// The price `amount` in `currency`.
    ///
    /// # Errors
    ///
    /// [`AmountError`] for an amount that is not positive, has more
    /// decimals than `currency`'s minor units or more than 15 digits, and
    /// for a currency without minor units.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Price, AmountError> {
        if amount <= Decimal::ZERO {
            return Err(AmountError::NotPositive { amount });
        }
        let minor_units = currency
            .exponent()
            .ok_or(AmountError::NoMinorUnits { currency })?;
        let normalized = amount.normalize();
        let decimals = normalized.scale();
        if decimals > u32::from(minor_units) {
            return Err(AmountError::TooPrecise {
                amount,
                currency,
                decimals,
                minor_units,
            });
        }
        if digits(normalized) > MAX_DIGITS {
            return Err(AmountError::TooLarge { amount });
        }
        Ok(Price {
            amount: normalized,
            currency,
        })
    }

    /// [`Price::new`] from the text of an amount, as a widget parameter
    /// carries it (`4.50`): digits, optionally a `.` and digits.
    ///
    /// # Errors
    ///
    /// [`AmountError::NotADecimal`] for other text, and every error of
    /// [`Price::new`].
    ///
    /// ```
    /// use pw_runtime::widget::Price;
    /// use pw_runtime::Currency;
    ///
    /// assert_eq!(Price::parse("10.00", Currency::EUR).unwrap().amount_text(), "10");
    /// assert!(Price::parse("1e3", Currency::EUR).is_err());
    /// assert!(Price::parse("-1", Currency::EUR).is_err());
    /// ```
    pub fn parse(text: &str, currency: Currency) -> Result<Price, AmountError> {
        Price::new(parse_amount(text)?, currency)
    }

    /// The amount, trailing zeros dropped.
    ///
    /// ```
    /// use pw_runtime::{widget::Price, Currency, Decimal};
    /// let price = Price::new(Decimal::new(1000, 2), Currency::EUR).unwrap();
    /// assert_eq!(price.amount(), Decimal::new(10, 0));
    /// ```
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    ///
    /// ```
    /// use pw_runtime::{widget::Price, Currency, Decimal};
    /// assert_eq!(Price::new(Decimal::ONE, Currency::EUR).unwrap().currency(), Currency::EUR);
    /// ```
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount as the widget call sends it: its shortest form.
    ///
    /// ```
    /// use pw_runtime::{widget::Price, Currency, Decimal};
    /// assert_eq!(Price::new(Decimal::new(1010, 2), Currency::EUR).unwrap().amount_text(), "10.1");
    /// ```
    pub fn amount_text(&self) -> String {
        self.amount.to_string()
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency.code())
    }
}

/// The digits of a normalised decimal, from its first significant digit to
/// its last.
fn digits(amount: Decimal) -> u32 {
    let mantissa = amount.mantissa().unsigned_abs();
    mantissa.checked_ilog10().map_or(1, |log| log + 1)
}

/// A plain decimal number: digits, optionally `.` and digits.
fn parse_amount(text: &str) -> Result<Decimal, AmountError> {
    let not_a_decimal = || AmountError::NotADecimal {
        text: text.chars().take(64).collect(),
    };
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || !fraction.is_none_or(all_digits) {
        return Err(not_a_decimal());
    }
    Decimal::from_str(text).map_err(|_| not_a_decimal())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(text: &str, currency: Currency) -> Result<String, AmountError> {
        Price::parse(text, currency).map(|price| price.amount_text())
    }

    #[test]
    fn accepted_amounts_are_sent_in_their_shortest_form() {
        for (text, currency, sent) in [
            ("4.5", Currency::USD, "4.5"),
            ("4.50", Currency::USD, "4.5"),
            ("10.00", Currency::USD, "10"),
            ("10.10", Currency::USD, "10.1"),
            ("0.01", Currency::USD, "0.01"),
            ("100", Currency::JPY, "100"),
            ("100.000", Currency::JPY, "100"),
            ("1.234", Currency::KWD, "1.234"),
            ("0.0001", Currency::CLF, "0.0001"),
            ("999999999999.99", Currency::USD, "999999999999.99"),
            ("999999999999999", Currency::JPY, "999999999999999"),
            ("007.50", Currency::EUR, "7.5"),
        ] {
            assert_eq!(
                price(text, currency).as_deref(),
                Ok(sent),
                "{text} {currency}"
            );
        }
    }

    #[test]
    fn amounts_paymentwall_cannot_charge_are_refused() {
        let too_precise = |text: &str, currency| {
            matches!(price(text, currency), Err(AmountError::TooPrecise { .. }))
        };
        assert!(too_precise("4.999", Currency::USD));
        assert!(too_precise("0.001", Currency::EUR));
        assert!(too_precise("100.5", Currency::JPY));
        assert!(too_precise("1.2345", Currency::KWD));
        for text in ["0", "0.00"] {
            assert!(matches!(
                price(text, Currency::USD),
                Err(AmountError::NotPositive { .. })
            ));
        }
        assert!(matches!(
            Price::new(Decimal::new(-1, 0), Currency::USD),
            Err(AmountError::NotPositive { .. })
        ));
        for currency in [Currency::XAU, Currency::XDR, Currency::XXX] {
            assert_eq!(
                price("1", currency),
                Err(AmountError::NoMinorUnits { currency })
            );
        }
        for text in ["1000000000000000", "99999999999999.99"] {
            assert!(matches!(
                price(text, Currency::USD),
                Err(AmountError::TooLarge { .. })
            ));
        }
        for text in [
            "", ".5", "5.", "-1", "+1", "1e3", "1_000", " 1", "1,5", "٣", "1.2.3",
        ] {
            assert!(
                matches!(
                    price(text, Currency::USD),
                    Err(AmountError::NotADecimal { .. })
                ),
                "{text:?}"
            );
        }
    }
}
