//! Widget calls: the signed payment-page URL a merchant sends a user to,
//! for each of Paymentwall's three APIs, with the `OWN` parameters a
//! schema declares. Signed exactly as Paymentwall's official library signs
//! it (see [`crate::signature::widget_signature`]).
//!
//! - [`WidgetCall`]: the builder, made for one API ([`DigitalGoods`],
//!   [`VirtualCurrency`], [`Cart`]), with typed setters.
//! - [`Price`]: an amount in a currency, and the amount rule.
//! - [`Product`] and [`Trial`] (Digital Goods), [`CartItem`] (Cart).
//! - [`Customer`] and [`History`]: the user profile.

mod api;
mod assemble;
mod check;
mod encode;
mod error;
pub(crate) mod names;
mod price;
mod product;
mod profile;

pub use api::{
    Cart, DigitalGoods, VirtualCurrency, WidgetApi, CART_ENDPOINT, DIGITAL_GOODS_ENDPOINT,
    OFFER_ENDPOINT, VIRTUAL_CURRENCY_ENDPOINT,
};
pub use error::WidgetError;
pub use isolang::Language;
pub use price::{AmountError, Price};
pub use product::{CartItem, Product, Trial};
pub use profile::{Customer, History, Sex};

use std::fmt;
use std::marker::PhantomData;

use crate::catalog::{self, ApiSet};
use crate::codes::CountryCode;
use crate::secret::SecretKey;
use crate::signature::SignatureVersion;
use crate::value::ToValue;
use product::PRODUCT_PARAMETERS;

/// The `OWN` parameters of a schema, set together in a widget call so that
/// none is forgotten.
///
/// `#[derive(Pingback)]` generates a struct `<Schema>Own` with one public
/// field per `OWN` field of the schema, implementing this trait.
///
/// ```
/// use pw_runtime::{OwnParams, WidgetCall};
///
/// struct Campaign(&'static str);
///
/// impl OwnParams for Campaign {
///     fn own_params(&self) -> Vec<(&'static str, String)> {
///         vec![("campaign", self.0.to_owned())]
///     }
/// }
///
/// let url = WidgetCall::digital_goods("project-key", "secret")
///     .uid("user1")
///     .widget("p1_1")
///     .own(&Campaign("spring"))
///     .url()
///     .unwrap();
/// assert!(url.contains("campaign=spring"));
/// ```
pub trait OwnParams {
    /// The parameters, as `(name, value)` pairs.
    fn own_params(&self) -> Vec<(&'static str, String)>;
}

/// A widget call being built: the payment page URL of a project for one
/// user, signed with the project's secret key, for the API `A`.
///
/// What it sends is what Paymentwall's official PHP library sends for the
/// same call (`Paymentwall_Widget::getUrl`): the same parameters, in the
/// same order, encoded the same way, signed with the same signature —
/// version 3 by default (version 2 for a cart), `sign_version` always
/// included. Unlike the library, it checks what it sends: required
/// parameters, codes, URLs, flags, and amounts ([`Price`]: never rounded,
/// refused when Paymentwall cannot charge them). Every check happens in
/// [`WidgetCall::url`], which reports the first mistake.
///
/// Version 1 signs only `uid`: with it, a user can change any other
/// parameter, prices included, without breaking the signature.
///
/// ```
/// use pw_runtime::widget::{Price, Product};
/// use pw_runtime::{Currency, Decimal, SubscriptionPeriod, WidgetCall};
///
/// let price = Price::new(Decimal::new(999, 2), Currency::USD)?;
/// let url = WidgetCall::digital_goods("17bd41b0b8bef6bfb63dc051d0c33859", "5f50f77cec859ac1226a938ede520050")
///     .uid("user40012")
///     .widget("p1_1")
///     .product(Product::recurring("gold", price, 1, SubscriptionPeriod::Month).name("Gold Membership"))
///     .ps("paypal")
///     .success_url("https://example.com/ok")
///     .url()?;
/// assert!(url.starts_with(
///     "https://api.paymentwall.com/api/subscription?key=17bd41b0b8bef6bfb63dc051d0c33859\
///      &uid=user40012&widget=p1_1&amount=9.99&currencyCode=USD&ag_name=Gold+Membership\
///      &ag_external_id=gold&ag_type=subscription&ag_period_length=1&ag_period_type=month\
///      &ag_recurring=1&sign_version=3&ps=paypal&success_url=https%3A%2F%2Fexample.com%2Fok&sign="
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct WidgetCall<A: WidgetApi = DigitalGoods> {
    key: String,
    secret: SecretKey,
    version: SignatureVersion,
    endpoint: Option<String>,
    /// Every parameter but `key`, `sign_version` and `sign`, in the order
    /// first set; setting one again replaces its value in place.
    params: Vec<(String, String)>,
    /// The first mistake made while building, reported by `url()`.
    error: Option<WidgetError>,
    api: PhantomData<A>,
}

impl WidgetCall<DigitalGoods> {
    /// A Digital Goods widget call (`/api/subscription`) of the project
    /// with this key (the project key, public) and secret key.
    ///
    /// ```
    /// let call = pw_runtime::WidgetCall::digital_goods("project-key", "secret");
    /// # let _ = call;
    /// ```
    pub fn digital_goods(project_key: impl Into<String>, secret: impl Into<SecretKey>) -> Self {
        WidgetCall::new(project_key, secret)
    }

    /// The product the user buys: amount, currency, name, id, type and,
    /// for a subscription, its period and trial. Setting another replaces
    /// it. Without one, the user picks among the products stored at
    /// Paymentwall.
    ///
    /// ```
    /// use pw_runtime::widget::{Price, Product};
    /// use pw_runtime::{Currency, Decimal, WidgetCall};
    ///
    /// let gems = Product::fixed("gems_100", Price::new(Decimal::new(499, 2), Currency::USD)?);
    /// let url = WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1").product(gems).url()?;
    /// assert!(url.contains("&amount=4.99&currencyCode=USD&ag_external_id=gems_100&ag_type=fixed&"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn product(mut self, product: Product) -> Self {
        self.params
            .retain(|(name, _)| !PRODUCT_PARAMETERS.contains(&name.as_str()));
        match product.params() {
            Ok(params) => {
                for (name, value) in params {
                    self.set(name.to_owned(), value);
                }
            }
            Err(error) => self.fail(error),
        }
        self
    }
}

impl WidgetCall<VirtualCurrency> {
    /// A Virtual Currency widget call (`/api/ps`; `/api/` for offer
    /// widgets) of the project with this key and secret key.
    ///
    /// ```
    /// let url = pw_runtime::WidgetCall::virtual_currency("k", "s").uid("u").widget("p10").url().unwrap();
    /// assert!(url.starts_with("https://api.paymentwall.com/api/ps?key=k&uid=u&widget=p10&sign_version=3&sign="));
    /// ```
    pub fn virtual_currency(project_key: impl Into<String>, secret: impl Into<SecretKey>) -> Self {
        WidgetCall::new(project_key, secret)
    }
}

impl WidgetCall<Cart> {
    /// A Cart widget call (`/api/cart`) of the project with this key and
    /// secret key. It needs at least one [`CartItem`].
    ///
    /// ```
    /// use pw_runtime::widget::CartItem;
    /// let url = pw_runtime::WidgetCall::cart("k", "s")
    ///     .uid("u")
    ///     .widget("p1_1")
    ///     .item(CartItem::new("product301"))
    ///     .url()
    ///     .unwrap();
    /// assert!(url.starts_with("https://api.paymentwall.com/api/cart?key=k&uid=u&widget=p1_1\
    ///                          &external_ids%5B0%5D=product301&sign_version=2&sign="));
    /// ```
    pub fn cart(project_key: impl Into<String>, secret: impl Into<SecretKey>) -> Self {
        WidgetCall::new(project_key, secret)
    }

    /// One more product in the cart: `external_ids[i]`, and `prices[i]`,
    /// `currencies[i]`, `names[i]` when given.
    ///
    /// ```
    /// use pw_runtime::widget::{CartItem, Price};
    /// use pw_runtime::{Currency, Decimal, WidgetCall};
    ///
    /// let eur = |cents| Price::new(Decimal::new(cents, 2), Currency::EUR);
    /// let url = WidgetCall::cart("k", "s")
    ///     .uid("u")
    ///     .widget("p1_1")
    ///     .item(CartItem::new("product301").price(eur(333)?).name("Product 1"))
    ///     .item(CartItem::new("product607").price(eur(777)?).name("Product 2"))
    ///     .url()?;
    /// assert!(url.contains(
    ///     "&external_ids%5B0%5D=product301&external_ids%5B1%5D=product607\
    ///      &prices%5B0%5D=3.33&prices%5B1%5D=7.77&currencies%5B0%5D=EUR&currencies%5B1%5D=EUR\
    ///      &names%5B0%5D=Product+1&names%5B1%5D=Product+2&sign_version=2&"
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn item(mut self, item: CartItem) -> Self {
        let next = self
            .params
            .iter()
            .filter_map(|(name, _)| {
                name.strip_prefix("external_ids[")?
                    .strip_suffix(']')?
                    .parse::<usize>()
                    .ok()
            })
            .max()
            .map_or(0, |last| last + 1);
        for (name, value) in item.params(next) {
            self.set(name, value);
        }
        self
    }

    /// Every item of `items`, in order (see [`WidgetCall::item`]).
    ///
    /// ```
    /// use pw_runtime::widget::CartItem;
    /// let call = pw_runtime::WidgetCall::cart("k", "s").items([CartItem::new("a"), CartItem::new("b")]);
    /// assert!(call.uid("u").widget("p1_1").url().unwrap().contains("external_ids%5B1%5D=b"));
    /// ```
    #[must_use]
    pub fn items(self, items: impl IntoIterator<Item = CartItem>) -> Self {
        items.into_iter().fold(self, WidgetCall::item)
    }
}

impl<A: WidgetApi> WidgetCall<A> {
    /// A widget call for the API `A` of the project with this key (the
    /// project key, public) and secret key; the same as
    /// [`WidgetCall::digital_goods`], [`WidgetCall::virtual_currency`] or
    /// [`WidgetCall::cart`].
    ///
    /// ```
    /// use pw_runtime::widget::Cart;
    /// use pw_runtime::WidgetCall;
    /// let call = WidgetCall::<Cart>::new("project-key", "secret");
    /// # let _ = call;
    /// ```
    pub fn new(project_key: impl Into<String>, secret: impl Into<SecretKey>) -> Self {
        WidgetCall {
            key: project_key.into(),
            secret: secret.into(),
            version: A::DEFAULT_VERSION,
            endpoint: None,
            params: Vec::new(),
            error: None,
            api: PhantomData,
        }
    }

    /// Keeps the first mistake, for `url()`.
    fn fail(&mut self, error: WidgetError) {
        self.error.get_or_insert(error);
    }

    /// Sets `name` to `value`, in place when it is already set.
    fn set(&mut self, name: String, value: String) {
        match self.params.iter_mut().find(|(other, _)| *other == name) {
            Some((_, slot)) => *slot = value,
            None => self.params.push((name, value)),
        }
    }

    /// Another payment page address (a test server, say) than the API's.
    ///
    /// ```
    /// let url = pw_runtime::WidgetCall::digital_goods("k", "s")
    ///     .endpoint("http://127.0.0.1:8080/widget")
    ///     .uid("u").widget("p1_1").url().unwrap();
    /// assert!(url.starts_with("http://127.0.0.1:8080/widget?key=k&"));
    /// ```
    #[must_use]
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The signature version: 3 by default (2 for a cart), as the official
    /// library. `sign_version` is sent whatever the version, 1 included.
    ///
    /// ```
    /// use pw_runtime::{SignatureVersion, WidgetCall};
    /// let url = WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1")
    ///     .sign_version(SignatureVersion::V1).url().unwrap();
    /// assert!(url.contains("&sign_version=1&sign="));
    /// ```
    #[must_use]
    pub fn sign_version(mut self, version: SignatureVersion) -> Self {
        self.version = version;
        self
    }

    /// Any parameter, by name (`name` or `name[key]`). Setting it again
    /// replaces the value. It is checked like the typed setters' values:
    /// an `amount` must be an amount Paymentwall can charge in its
    /// `currencyCode` (and is sent in its shortest form), a `lang` a
    /// language code, and so on. `key`, `sign` and `sign_version` are the
    /// call's own.
    ///
    /// ```
    /// use pw_runtime::WidgetCall;
    /// let url = WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1")
    ///     .param("history[reg]", "2024").param("campaign", "spring *sale*")
    ///     .url().unwrap();
    /// assert!(url.contains("&history%5Breg%5D=2024&campaign=spring+%2Asale%2A&"));
    /// ```
    #[must_use]
    pub fn param(mut self, name: impl Into<String>, value: impl ToValue) -> Self {
        let name = name.into();
        // `key`, `sign` and `sign_version`: the call sets them itself.
        let reserved = catalog::WIDGET_PARAMETERS
            .iter()
            .any(|p| p.kind == catalog::WidgetValueKind::Reserved && p.name == name);
        if reserved {
            self.fail(WidgetError::Reserved(name));
            return self;
        }
        self.set(name, value.to_value());
        self
    }

    /// The `OWN` parameters of a schema. A name the widget call itself
    /// uses (`email`, `ps`, `ag_name`, `customer`, ...) is refused: the
    /// derive refuses such a schema already.
    ///
    /// ```
    /// use pw_runtime::{OwnParams, WidgetCall, WidgetError};
    /// struct Own;
    /// impl OwnParams for Own {
    ///     fn own_params(&self) -> Vec<(&'static str, String)> { vec![("email", "x".into())] }
    /// }
    /// let error = WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1").own(&Own).url().unwrap_err();
    /// assert_eq!(error, WidgetError::OwnCollision("email".into()));
    /// ```
    #[must_use]
    pub fn own(mut self, own: &impl OwnParams) -> Self {
        for (name, value) in own.own_params() {
            if catalog::collides_with_widget_call(name, ApiSet::from(A::API)) {
                self.fail(WidgetError::OwnCollision(name.to_owned()));
            } else if let Some(violation) = catalog::NameRuleViolation::of(name) {
                // The parameter-name rule the derive enforces, for an
                // `OwnParams` written by hand.
                self.fail(WidgetError::OwnName(violation.to_string()));
            } else {
                self.set(name.to_owned(), value);
            }
        }
        self
    }

    /// The merchant's user id, `uid` (required).
    ///
    /// ```
    /// let url = pw_runtime::WidgetCall::digital_goods("k", "s").uid("user 1").widget("p1_1").url().unwrap();
    /// assert!(url.contains("&uid=user+1&"));
    /// ```
    #[must_use]
    pub fn uid(mut self, uid: impl ToValue) -> Self {
        self.set("uid".to_owned(), uid.to_value());
        self
    }

    /// The widget code, `widget` (required), such as `p1_1`.
    ///
    /// ```
    /// let url = pw_runtime::WidgetCall::digital_goods("k", "s").uid("u").widget("m2_1").url().unwrap();
    /// assert!(url.contains("&widget=m2_1&"));
    /// ```
    #[must_use]
    pub fn widget(mut self, code: impl ToValue) -> Self {
        self.set("widget".to_owned(), code.to_value());
        self
    }

    /// The payment system short code, `ps` (`all` at Paymentwall when
    /// absent), such as `paypal`.
    ///
    /// ```
    /// let url = pw_runtime::WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1").ps("paypal").url().unwrap();
    /// assert!(url.contains("&ps=paypal&"));
    /// ```
    #[must_use]
    pub fn ps(mut self, code: impl ToValue) -> Self {
        self.set("ps".to_owned(), code.to_value());
        self
    }

    /// The user's email address, `email`.
    ///
    /// ```
    /// let url = pw_runtime::WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1")
    ///     .email("user@example.com").url().unwrap();
    /// assert!(url.contains("&email=user%40example.com&"));
    /// ```
    #[must_use]
    pub fn email(mut self, email: impl ToValue) -> Self {
        self.set("email".to_owned(), email.to_value());
        self
    }

    /// The language of the payment page, `lang`, as its ISO 639-1 code (see
    /// [`WidgetCall::lang_with_region`] for `pt_BR`, `zh_CN`). A language
    /// without one is refused.
    ///
    /// ```
    /// use pw_runtime::widget::Language;
    /// let url = pw_runtime::WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1")
    ///     .lang(Language::Deu).url().unwrap();
    /// assert!(url.contains("&lang=de&"));
    /// ```
    #[must_use]
    pub fn lang(mut self, language: Language) -> Self {
        match language.to_639_1() {
            Some(code) => self.set("lang".to_owned(), code.to_owned()),
            None => self.fail(WidgetError::InvalidValue {
                name: "lang".to_owned(),
                expected: catalog::WidgetValueKind::Language.description(),
            }),
        }
        self
    }

    /// The language of the payment page with a region, `lang`, as
    /// Paymentwall writes it: `pt_BR` (Brazilian Portuguese), `zh_CN`
    /// (simplified Chinese), `zh_TW` (traditional Chinese). A language
    /// without an ISO 639-1 code is refused.
    ///
    /// ```
    /// use pw_runtime::widget::Language;
    /// use pw_runtime::CountryCode;
    /// let url = pw_runtime::WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1")
    ///     .lang_with_region(Language::Zho, CountryCode::CHN).url().unwrap();
    /// assert!(url.contains("&lang=zh_CN&"));
    /// ```
    #[must_use]
    pub fn lang_with_region(mut self, language: Language, region: CountryCode) -> Self {
        match language.to_639_1() {
            Some(code) => self.set("lang".to_owned(), format!("{code}_{}", region.alpha2())),
            None => self.fail(WidgetError::InvalidValue {
                name: "lang".to_owned(),
                expected: catalog::WidgetValueKind::Language.description(),
            }),
        }
        self
    }

    /// The user's country, `country_code` (Paymentwall finds it from the
    /// user's address when absent).
    ///
    /// ```
    /// use pw_runtime::CountryCode;
    /// let url = pw_runtime::WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1")
    ///     .country_code(CountryCode::DEU).url().unwrap();
    /// assert!(url.contains("&country_code=DE&"));
    /// ```
    #[must_use]
    pub fn country_code(mut self, country: CountryCode) -> Self {
        self.set("country_code".to_owned(), country.alpha2().to_owned());
        self
    }

    /// Where the user goes after paying, `success_url`: an absolute
    /// `http://` or `https://` URL, sent as written.
    ///
    /// ```
    /// use pw_runtime::{WidgetCall, WidgetError};
    /// let call = WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1");
    /// assert!(call.clone().success_url("https://example.com/ok?order=1").url().is_ok());
    /// assert!(matches!(call.success_url("/ok").url(), Err(WidgetError::InvalidValue { .. })));
    /// ```
    #[must_use]
    pub fn success_url(mut self, url: impl AsRef<str>) -> Self {
        self.set("success_url".to_owned(), url.as_ref().to_owned());
        self
    }

    /// Where the user goes after a failed payment, `failure_url`: an
    /// absolute `http://` or `https://` URL.
    ///
    /// ```
    /// let url = pw_runtime::WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1")
    ///     .failure_url("https://example.com/failed").url().unwrap();
    /// assert!(url.contains("&failure_url=https%3A%2F%2Fexample.com%2Ffailed&"));
    /// ```
    #[must_use]
    pub fn failure_url(mut self, url: impl AsRef<str>) -> Self {
        self.set("failure_url".to_owned(), url.as_ref().to_owned());
        self
    }

    /// Where the pingbacks of this payment go, `pingback_url`, instead of
    /// the project's pingback URL: an absolute `http://` or `https://` URL.
    ///
    /// ```
    /// let url = pw_runtime::WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1")
    ///     .pingback_url("https://shop.example.com/pingback").url().unwrap();
    /// assert!(url.contains("&pingback_url=https%3A%2F%2Fshop.example.com%2Fpingback&"));
    /// ```
    #[must_use]
    pub fn pingback_url(mut self, url: impl AsRef<str>) -> Self {
        self.set("pingback_url".to_owned(), url.as_ref().to_owned());
        self
    }

    /// Whether the widget loads before the project is live, `evaluation`:
    /// `true` sends `evaluation=1`, `false` sends nothing.
    ///
    /// ```
    /// let call = pw_runtime::WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1");
    /// assert!(call.clone().evaluation(true).url().unwrap().contains("&evaluation=1&"));
    /// assert!(!call.evaluation(false).url().unwrap().contains("evaluation"));
    /// ```
    #[must_use]
    pub fn evaluation(mut self, on: bool) -> Self {
        if on {
            self.set("evaluation".to_owned(), "1".to_owned());
        } else {
            self.params.retain(|(name, _)| name != "evaluation");
        }
        self
    }

    /// The user's profile, `customer[...]`: the fields that are set.
    ///
    /// ```
    /// use pw_runtime::widget::Customer;
    /// let customer = Customer { firstname: Some("Ada".into()), ..Customer::default() };
    /// let url = pw_runtime::WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1")
    ///     .customer(&customer).url().unwrap();
    /// assert!(url.contains("&customer%5Bfirstname%5D=Ada&"));
    /// ```
    #[must_use]
    pub fn customer(mut self, customer: &Customer) -> Self {
        for (name, value) in customer.params() {
            self.set(name, value);
        }
        self
    }

    /// The user's history with the merchant, `history[...]`: the fields
    /// that are set.
    ///
    /// ```
    /// use pw_runtime::widget::History;
    /// use pw_runtime::time::macros::datetime;
    /// let history = History { registration_date: Some(datetime!(2024-01-31 0:00 UTC)), ..History::default() };
    /// let url = pw_runtime::WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1")
    ///     .history(&history).url().unwrap();
    /// assert!(url.contains("&history%5Bregistration_date%5D=1706659200&"));
    /// ```
    #[must_use]
    pub fn history(mut self, history: &History) -> Self {
        for (name, value) in history.params() {
            self.set(name, value);
        }
        self
    }

    /// One `customer[key]` parameter that [`Customer`] has no field for.
    ///
    /// ```
    /// let url = pw_runtime::WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1")
    ///     .customer_field("nickname", "ada").url().unwrap();
    /// assert!(url.contains("&customer%5Bnickname%5D=ada&"));
    /// ```
    #[must_use]
    pub fn customer_field(self, key: &str, value: impl ToValue) -> Self {
        self.param(format!("customer[{key}]"), value)
    }

    /// One `history[key]` parameter that [`History`] has no field for,
    /// such as `followers` or `complaints`.
    ///
    /// ```
    /// let url = pw_runtime::WidgetCall::digital_goods("k", "s").uid("u").widget("p1_1")
    ///     .history_field("followers", 120).url().unwrap();
    /// assert!(url.contains("&history%5Bfollowers%5D=120&"));
    /// ```
    #[must_use]
    pub fn history_field(self, key: &str, value: impl ToValue) -> Self {
        self.param(format!("history[{key}]"), value)
    }

    /// The parameters as the URL carries them, `sign` last, unencoded.
    ///
    /// # Errors
    ///
    /// As [`WidgetCall::url`].
    ///
    /// ```
    /// let pairs = pw_runtime::WidgetCall::virtual_currency("k", "s").uid("u").widget("p1_1").pairs().unwrap();
    /// let names: Vec<&str> = pairs.iter().map(|(name, _)| name.as_str()).collect();
    /// assert_eq!(names, ["key", "uid", "widget", "sign_version", "sign"]);
    /// ```
    pub fn pairs(&self) -> Result<Vec<(String, String)>, WidgetError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        assemble::signed_pairs(A::API, &self.key, self.version, &self.params, &self.secret)
    }

    /// The signed URL.
    ///
    /// # Errors
    ///
    /// The first [`WidgetError`]: `uid` or `widget` missing (or, for a
    /// cart, every product), a reserved parameter given by name, a name or
    /// value the parameter cannot take, an amount Paymentwall cannot
    /// charge, names whose signing order PHP does not define.
    pub fn url(&self) -> Result<String, WidgetError> {
        let pairs = self.pairs()?;
        let code = self
            .params
            .iter()
            .find(|(name, _)| name == "widget")
            .map_or("", |(_, code)| code.as_str());
        let endpoint = self.endpoint.as_deref().unwrap_or(A::endpoint(code));
        let joint = if endpoint.contains('?') { '&' } else { '?' };
        let query = encode::query(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        Ok(format!("{endpoint}{joint}{query}"))
    }
}

impl<A: WidgetApi> fmt::Debug for WidgetCall<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WidgetCall")
            .field("api", &A::API)
            .field("endpoint", &self.endpoint)
            .field("key", &self.key)
            .field("secret", &self.secret)
            .field("version", &self.version)
            .field("params", &self.params)
            .field("error", &self.error)
            .finish()
    }
}

#[cfg(test)]
mod tests;
