//! The three Paymentwall API types a project can use.

use std::fmt;
use std::str::FromStr;

use crate::table::ApiSet;

/// The API type of a Paymentwall project: it decides which standard
/// parameters a pingback carries and how a version 1 signature is computed.
///
/// ```
/// use pw_catalog::ApiType;
///
/// let api: ApiType = "digital_goods".parse().unwrap();
/// assert_eq!(api, ApiType::DigitalGoods);
/// assert_eq!(api.to_string(), "digital_goods");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiType {
    /// Virtual Currency API: the pingback carries `currency`, the amount of
    /// virtual currency bought.
    VirtualCurrency,
    /// Digital Goods API: the pingback carries `goodsid` and, for
    /// subscriptions, `slength` and `speriod`.
    DigitalGoods,
    /// Cart API: the pingback carries `goodsid[0]`, `goodsid[1]`, ...
    Cart,
}

impl ApiType {
    /// Every API type, in documentation order.
    pub const ALL: [ApiType; 3] = [
        ApiType::VirtualCurrency,
        ApiType::DigitalGoods,
        ApiType::Cart,
    ];

    /// The name used in Paymentwall's libraries and in pw's attributes:
    /// `virtual_currency`, `digital_goods` or `cart`.
    ///
    /// ```
    /// assert_eq!(pw_catalog::ApiType::Cart.name(), "cart");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            ApiType::VirtualCurrency => "virtual_currency",
            ApiType::DigitalGoods => "digital_goods",
            ApiType::Cart => "cart",
        }
    }

    /// The parameters a pingback of this API type must carry, non-empty,
    /// before anything else is checked (the same list as Paymentwall's
    /// official libraries).
    ///
    /// ```
    /// use pw_catalog::ApiType;
    /// assert_eq!(
    ///     ApiType::VirtualCurrency.required_parameters(),
    ///     &["uid", "currency", "type", "ref", "sig"]
    /// );
    /// ```
    pub const fn required_parameters(self) -> &'static [&'static str] {
        match self {
            ApiType::VirtualCurrency => &["uid", "currency", "type", "ref", "sig"],
            ApiType::DigitalGoods | ApiType::Cart => &["uid", "goodsid", "type", "ref", "sig"],
        }
    }

    /// The parameters a version 1 signature covers, in signing order.
    ///
    /// ```
    /// use pw_catalog::ApiType;
    /// assert_eq!(
    ///     ApiType::DigitalGoods.version1_parameters(),
    ///     &["uid", "goodsid", "slength", "speriod", "type", "ref"]
    /// );
    /// ```
    pub const fn version1_parameters(self) -> &'static [&'static str] {
        match self {
            ApiType::VirtualCurrency => &["uid", "currency", "type", "ref"],
            ApiType::DigitalGoods => &["uid", "goodsid", "slength", "speriod", "type", "ref"],
            ApiType::Cart => &["uid", "goodsid", "type", "ref"],
        }
    }
}

impl fmt::Display for ApiType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an [`ApiType`] from a name that is not one.
///
/// ```
/// let err = "digitalgoods".parse::<pw_catalog::ApiType>().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "unknown API type `digitalgoods`: expected `virtual_currency`, `digital_goods` or `cart`"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownApiType(pub String);

impl fmt::Display for UnknownApiType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown API type `{}`: expected `virtual_currency`, `digital_goods` or `cart`",
            self.0
        )
    }
}

impl std::error::Error for UnknownApiType {}

impl FromStr for ApiType {
    type Err = UnknownApiType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ApiType::ALL
            .into_iter()
            .find(|api| api.name() == s)
            .ok_or_else(|| UnknownApiType(s.to_owned()))
    }
}

impl From<ApiType> for ApiSet {
    fn from(api: ApiType) -> ApiSet {
        match api {
            ApiType::VirtualCurrency => ApiSet::VIRTUAL_CURRENCY,
            ApiType::DigitalGoods => ApiSet::DIGITAL_GOODS,
            ApiType::Cart => ApiSet::CART,
        }
    }
}
