//! The three widget APIs, as types: a [`WidgetCall`](super::WidgetCall) is
//! made for one of them, and offers the setters that API has.

use crate::signature::SignatureVersion;
use pw_catalog::ApiType;

/// The address of Virtual Currency offer widgets (codes starting with `w`,
/// `s` or `mw`).
pub const OFFER_ENDPOINT: &str = "https://api.paymentwall.com/api/";

/// The address of the Digital Goods payment page.
pub const DIGITAL_GOODS_ENDPOINT: &str = "https://api.paymentwall.com/api/subscription";

/// The address of the Virtual Currency payment page.
pub const VIRTUAL_CURRENCY_ENDPOINT: &str = "https://api.paymentwall.com/api/ps";

/// The address of the Cart payment page.
pub const CART_ENDPOINT: &str = "https://api.paymentwall.com/api/cart";

mod sealed {
    pub trait Sealed {}
}

/// The API a widget call is for: [`DigitalGoods`], [`VirtualCurrency`] or
/// [`Cart`].
///
/// ```
/// use pw_runtime::widget::{Cart, WidgetApi};
/// use pw_runtime::{ApiType, SignatureVersion};
///
/// assert_eq!(Cart::API, ApiType::Cart);
/// assert_eq!(Cart::DEFAULT_VERSION, SignatureVersion::V2);
/// assert_eq!(Cart::endpoint("p1_1"), "https://api.paymentwall.com/api/cart");
/// ```
pub trait WidgetApi: sealed::Sealed + Send + Sync + 'static {
    /// The API type.
    const API: ApiType;
    /// The signature version the official library signs with by default:
    /// 3, and 2 for the Cart API.
    const DEFAULT_VERSION: SignatureVersion;
    /// The payment page that serves the widget `code`.
    fn endpoint(code: &str) -> &'static str;
}

/// The Digital Goods API (`/api/subscription`): one product, fixed or a
/// subscription, possibly with a trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DigitalGoods;

/// The Virtual Currency API (`/api/ps`, and `/api/` for offer widgets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct VirtualCurrency;

/// The Cart API (`/api/cart`): a list of products, each with its own price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Cart;

impl sealed::Sealed for DigitalGoods {}
impl sealed::Sealed for VirtualCurrency {}
impl sealed::Sealed for Cart {}

impl WidgetApi for DigitalGoods {
    const API: ApiType = ApiType::DigitalGoods;
    const DEFAULT_VERSION: SignatureVersion = SignatureVersion::V3;

    fn endpoint(_code: &str) -> &'static str {
        DIGITAL_GOODS_ENDPOINT
    }
}

impl WidgetApi for VirtualCurrency {
    const API: ApiType = ApiType::VirtualCurrency;
    const DEFAULT_VERSION: SignatureVersion = SignatureVersion::V3;

    /// Offer widgets (codes starting with `w`, `s` or `mw`) are served
    /// from `/api/`, payment widgets from `/api/ps`.
    fn endpoint(code: &str) -> &'static str {
        if ["w", "s", "mw"]
            .iter()
            .any(|prefix| code.starts_with(prefix))
        {
            OFFER_ENDPOINT
        } else {
            VIRTUAL_CURRENCY_ENDPOINT
        }
    }
}

impl WidgetApi for Cart {
    const API: ApiType = ApiType::Cart;
    const DEFAULT_VERSION: SignatureVersion = SignatureVersion::V2;

    fn endpoint(_code: &str) -> &'static str {
        CART_ENDPOINT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_the_api_and_the_widget_code() {
        assert_eq!(DigitalGoods::endpoint("w1"), DIGITAL_GOODS_ENDPOINT);
        assert_eq!(VirtualCurrency::endpoint("p1_1"), VIRTUAL_CURRENCY_ENDPOINT);
        assert_eq!(VirtualCurrency::endpoint("m2_1"), VIRTUAL_CURRENCY_ENDPOINT);
        for offer in ["w1", "s3", "mw1_1"] {
            assert_eq!(VirtualCurrency::endpoint(offer), OFFER_ENDPOINT);
        }
        assert_eq!(Cart::endpoint("p1_1"), CART_ENDPOINT);
        assert_eq!(DigitalGoods::DEFAULT_VERSION, SignatureVersion::V3);
        assert_eq!(VirtualCurrency::DEFAULT_VERSION, SignatureVersion::V3);
    }
}
