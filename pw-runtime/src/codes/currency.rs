//! [`Currency`]: an ISO 4217 currency.

use std::fmt;

/// An ISO 4217 currency, such as `Currency::USD`: one constant per
/// currency, printed as its code.
///
/// ```
/// use pw_runtime::Currency;
///
/// assert_eq!(Currency::from_code("EUR"), Some(Currency::EUR));
/// assert_eq!(Currency::from_code("eur"), None, "codes are upper case");
/// assert_eq!(Currency::JPY.exponent(), Some(0));
/// assert_eq!(Currency::KWD.exponent(), Some(3));
/// assert_eq!(Currency::XAU.exponent(), None, "gold has no minor unit");
/// assert_eq!(Currency::USD.to_string(), "USD");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// The currency of a code (`USD`, upper case).
    ///
    /// ```
    /// assert_eq!(pw_runtime::Currency::from_code("CHF"), Some(pw_runtime::Currency::CHF));
    /// ```
    pub fn from_code(code: &str) -> Option<Currency> {
        crate::value::codes::currency(code)
    }

    /// The currency of a numeric code (`840` for `USD`).
    ///
    /// ```
    /// assert_eq!(pw_runtime::Currency::from_numeric(840), Some(pw_runtime::Currency::USD));
    /// ```
    pub fn from_numeric(numeric: u16) -> Option<Currency> {
        iso_currency::Currency::from_numeric(numeric).map(Currency)
    }

    /// The code, such as `USD`.
    ///
    /// ```
    /// assert_eq!(pw_runtime::Currency::USD.code(), "USD");
    /// ```
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// The numeric code, such as `840`.
    ///
    /// ```
    /// assert_eq!(pw_runtime::Currency::EUR.numeric(), 978);
    /// ```
    pub fn numeric(self) -> u16 {
        self.0.numeric()
    }

    /// The English name.
    ///
    /// ```
    /// assert_eq!(pw_runtime::Currency::JPY.name(), "Japanese yen");
    /// ```
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// The number of decimal places of the minor unit (`2` for `USD`,
    /// `0` for `JPY`), `None` for a currency without one (gold, `XXX`).
    ///
    /// ```
    /// assert_eq!(pw_runtime::Currency::USD.exponent(), Some(2));
    /// ```
    pub fn exponent(self) -> Option<u16> {
        self.0.exponent()
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The constant's name, as `Currency::EUR` is written.
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The constants and [`Currency::all`] from one list of codes (checked
/// against `iso_currency` below).
macro_rules! currencies {
    ($($code:ident)*) => {
        impl Currency {
            $(
                #[doc = concat!("`", stringify!($code), "`.")]
                pub const $code: Currency = Currency(iso_currency::Currency::$code);
            )*

            /// Every currency, in the order of their codes (a function: `ALL` is
            /// the Albanian lek).
            ///
            /// ```
            /// assert!(pw_runtime::Currency::all().contains(&pw_runtime::Currency::EUR));
            /// ```
            pub const fn all() -> &'static [Currency] {
                &[$(Currency::$code),*]
            }
        }
    };
}

currencies! {
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD
    BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP
    CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR
    ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
    KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR
    MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK
    PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP
    SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
    TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAD
    XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS
    XUA XXX YER ZAR ZMW ZWG ZWL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_iso_currency_s() {
        let numeric: Vec<Currency> = (0..1000).filter_map(Currency::from_numeric).collect();
        assert_eq!(numeric.len(), Currency::all().len());
        for currency in numeric {
            assert!(Currency::all().contains(&currency), "{currency}");
            assert_eq!(Currency::from_code(currency.code()), Some(currency));
        }
        assert!(Currency::all()
            .windows(2)
            .all(|w| w[0].code() < w[1].code()));
    }
}
