//! A test kit for a merchant's own tests (feature `testing`): real
//! pingbacks, signed as Paymentwall signs them, built from typed values in
//! a few lines instead of a list of string pairs ([`TestPingback`]); a
//! listener on a throwaway SQLite ledger to run a handler in process
//! ([`Harness`], with the feature `sqlite`); and Paymentwall's Test Pingback
//! Tool checklist ([`checklist`]), the one `pw-pingback check` runs.
//!
//! With the feature, `#[derive(Pingback)]` gives each schema
//! `<Schema>::test_pingback()`, a [`TestPingback`] for its API type with one
//! typed setter `set_<field>` per field of the schema, beside the standard
//! parameters, the pingback type and the signature version:
//!
//! ```
//! use pw_runtime::{CountryCode, Decimal, Pingback, PingbackType, SignatureVersion};
//!
//! #[derive(Pingback)]
//! #[pingback(api = "digital_goods")]
//! struct GemPurchase {
//!     #[pingback(system = "REVENUE_LOCAL", param = "rev")]
//!     revenue: Decimal,
//!     #[pingback(system = "COUNTRY_CODE", param = "country")]
//!     country: CountryCode,
//!     #[pingback(own)]
//!     campaign: String,
//! }
//!
//! let signed = GemPurchase::test_pingback()
//!     .set_revenue(Decimal::new(499, 2))
//!     .set_country(CountryCode::USA)
//!     .set_campaign("spring")
//!     .uid("user_42")
//!     .reference("b1")
//!     .kind(PingbackType::Goodwill)
//!     .version(SignatureVersion::V3)
//!     .sign("secret")
//!     .unwrap();
//! assert!(signed.query().contains("rev=4.99&country=US&campaign=spring"));
//! let request = signed.request(); // a GET from a Paymentwall address, for `Listener::handle`
//! # let _ = request;
//! ```

pub mod checklist;
#[cfg(feature = "sqlite")]
mod harness;

#[cfg(feature = "sqlite")]
pub use harness::Harness;

use crate::kinds::{ChargebackReason, PingbackType, SubscriptionPeriod};
use crate::listener::Request;
use crate::secret::SecretKey;
use crate::signature::SignatureVersion;
use crate::signature::{sign_pingback, SignError};
use crate::value::ToValue;
use pw_catalog::ApiType;
use rust_decimal::Decimal;
use std::net::IpAddr;

/// The address test requests come from: one of Paymentwall's documented
/// ones, so the default source check allows them.
pub const PAYMENTWALL_ADDRESS: &str = "174.36.92.186";

/// A pingback being built for a test: its API type, its parameters in the
/// order they are set, the signature version.
///
/// It starts as a test payment (`type=0`, `is_test=1`) of `uid=test_user`,
/// `ref=test_ref`, with the API type's goods (`goodsid=test_product`, empty
/// `slength` and `speriod`; `currency=100`; the cart's `goodsid[0]`),
/// signed with version 2. Setting a parameter again replaces it.
///
/// ```
/// use pw_runtime::testing::TestPingback;
/// use pw_runtime::{ApiType, ChargebackReason, PingbackType};
///
/// let signed = TestPingback::new(ApiType::VirtualCurrency)
///     .kind(PingbackType::Chargeback)
///     .reason(ChargebackReason::CancelledOrder)
///     .param("campaign", "spring")
///     .sign("secret")
///     .unwrap();
/// assert!(signed.query().starts_with("uid=test_user&currency=100&type=2&ref=test_ref&is_test=1&reason=9&campaign=spring&sign_version=2&sig="));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestPingback {
    api: ApiType,
    version: SignatureVersion,
    params: Vec<(String, String)>,
}

impl TestPingback {
    /// A test payment of the API type `api`.
    pub fn new(api: ApiType) -> Self {
        let goods: &[(&str, &str)] = match api {
            ApiType::DigitalGoods => &[
                ("goodsid", "test_product"),
                ("slength", ""),
                ("speriod", ""),
            ],
            ApiType::VirtualCurrency => &[("currency", "100")],
            ApiType::Cart => &[("goodsid[0]", "test_product")],
        };
        let mut params = vec![("uid".to_owned(), "test_user".to_owned())];
        params.extend(
            goods
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        );
        params.extend(
            [("type", "0"), ("ref", "test_ref"), ("is_test", "1")]
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        );
        TestPingback {
            api,
            version: SignatureVersion::V2,
            params,
        }
    }

    /// Sets the parameter `name` to `value` (replacing it, or adding it
    /// last): any parameter, standard or custom.
    ///
    /// ```
    /// # use pw_runtime::{testing::TestPingback, ApiType};
    /// let pingback = TestPingback::new(ApiType::Cart).param("order_id", "A-7");
    /// assert_eq!(pingback.get("order_id"), Some("A-7"));
    /// ```
    #[must_use]
    pub fn param(mut self, name: &str, value: impl ToValue) -> Self {
        let value = value.to_value();
        match self.params.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.params.push((name.to_owned(), value)),
        }
        self
    }

    /// Leaves the parameter `name` out (to test a pingback without it).
    ///
    /// ```
    /// # use pw_runtime::{testing::TestPingback, ApiType};
    /// assert_eq!(TestPingback::new(ApiType::Cart).without("is_test").get("is_test"), None);
    /// ```
    #[must_use]
    pub fn without(mut self, name: &str) -> Self {
        self.params.retain(|(n, _)| n != name);
        self
    }

    /// The value set for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }

    /// The merchant's user id, `uid`.
    #[must_use]
    pub fn uid(self, uid: impl ToValue) -> Self {
        self.param("uid", uid)
    }

    /// Paymentwall's reference, `ref`.
    #[must_use]
    pub fn reference(self, reference: impl ToValue) -> Self {
        self.param("ref", reference)
    }

    /// The pingback type, `type`.
    ///
    /// ```
    /// # use pw_runtime::{testing::TestPingback, ApiType, PingbackType};
    /// let pingback = TestPingback::new(ApiType::DigitalGoods).kind(PingbackType::Unknown(99));
    /// assert_eq!(pingback.get("type"), Some("99"));
    /// ```
    #[must_use]
    pub fn kind(self, kind: PingbackType) -> Self {
        self.param("type", kind)
    }

    /// A chargeback's `reason`.
    #[must_use]
    pub fn reason(self, reason: ChargebackReason) -> Self {
        self.param("reason", reason)
    }

    /// A live pingback: without `is_test=1`.
    #[must_use]
    pub fn live(self) -> Self {
        self.without("is_test")
    }

    /// The product, `goodsid` (digital goods).
    #[must_use]
    pub fn goodsid(self, goodsid: impl ToValue) -> Self {
        self.param("goodsid", goodsid)
    }

    /// A subscription's `slength` and `speriod` (digital goods).
    #[must_use]
    pub fn subscription(self, length: i32, period: SubscriptionPeriod) -> Self {
        self.param("slength", length).param("speriod", period)
    }

    /// The amount of virtual currency, `currency` (virtual currency).
    #[must_use]
    pub fn currency(self, amount: Decimal) -> Self {
        self.param("currency", amount)
    }

    /// The cart's products, `goodsid[0]`, `goodsid[1]`, ... (cart), in the
    /// place of the ones set before.
    ///
    /// ```
    /// # use pw_runtime::{testing::TestPingback, ApiType};
    /// let pingback = TestPingback::new(ApiType::Cart).product_ids(["sword", "shield"]);
    /// assert_eq!((pingback.get("goodsid[0]"), pingback.get("goodsid[1]")), (Some("sword"), Some("shield")));
    /// ```
    #[must_use]
    pub fn product_ids<T: ToValue>(mut self, ids: impl IntoIterator<Item = T>) -> Self {
        self.params
            .retain(|(name, _)| !name.starts_with("goodsid["));
        for (index, id) in ids.into_iter().enumerate() {
            self = self.param(&format!("goodsid[{index}]"), id);
        }
        self
    }

    /// The signature version (2 by default; cart pingbacks are always 2).
    #[must_use]
    pub fn version(mut self, version: SignatureVersion) -> Self {
        self.version = version;
        self
    }

    /// The pingback signed with the project's secret key, as Paymentwall
    /// would send it.
    ///
    /// # Errors
    ///
    /// A parameter name the parser rejects, or a cart pingback with another
    /// version than 2 ([`SignError`]).
    pub fn sign(&self, secret: impl Into<SecretKey>) -> Result<SignedPingback, SignError> {
        let query = sign_pingback(
            self.api,
            self.version,
            &secret.into(),
            self.params.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        )?;
        Ok(SignedPingback { query })
    }
}

/// A signed test pingback: its query string, or a ready listener request.
///
/// ```
/// use pw_runtime::{testing::TestPingback, ApiType};
///
/// let signed = TestPingback::new(ApiType::DigitalGoods).sign("secret").unwrap();
/// assert!(signed.query().contains("&sign_version=2&sig="));
/// assert_eq!(signed.request().method, "GET");
/// assert_eq!(signed.post_request().body, signed.query().as_bytes());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPingback {
    query: String,
}

impl SignedPingback {
    /// The query string (or form body), with `sign_version` and `sig`.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The query string, by value.
    pub fn into_query(self) -> String {
        self.query
    }

    /// A GET request of the pingback from one of Paymentwall's addresses
    /// ([`PAYMENTWALL_ADDRESS`]), for [`Listener::handle`](crate::listener::Listener::handle).
    pub fn request(&self) -> Request {
        Request::get(self.query.clone(), paymentwall())
    }

    /// The same pingback as a POST with a form body
    /// (`application/x-www-form-urlencoded`).
    pub fn post_request(&self) -> Request {
        Request::post(self.query.clone().into_bytes(), paymentwall())
            .header("Content-Type", "application/x-www-form-urlencoded")
    }
}

fn paymentwall() -> IpAddr {
    PAYMENTWALL_ADDRESS
        .parse()
        .expect("Paymentwall's documented address parses")
}
