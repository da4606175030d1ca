// The tables of the catalog: value kinds, API sets, the standard parameters,
// the system values, the parameter name rule and the widget call's own
// parameters. Laid out one entry a line (rustfmt skips this file).

/// Calls `$callback!` with every value kind, each with its documentation:
/// the one list that [`ValueKind`] here and the marker types of
/// `pw_runtime::value::kind` are made from.
#[doc(hidden)]
#[macro_export]
macro_rules! __value_kinds {
    ($callback:ident) => {
        $callback! {
            /// Free text.
            Text,
            /// A decimal amount, such as `9.99`.
            Decimal,
            /// A date and time `YYYY-MM-DD HH:MM:SS` without a time zone.
            DateTime,
            /// A date and time `YYYY-MM-DD HH:MM:SS` in UTC.
            DateTimeUtc,
            /// An ISO 3166-1 alpha-2 country code, such as `US`.
            Country,
            /// An ISO 3166-1 alpha-3 country code, such as `USA`.
            CountryAlpha3,
            /// An ISO 4217 currency code, such as `USD`.
            Currency,
            /// A flag, `0` or `1`.
            Flag,
            /// An IPv4 or IPv6 address.
            IpAddress,
            /// A Paymentwall transaction reference, such as `b1493096790`.
            Reference,
            /// A unique reference `<ref>_<type>`, such as `b1493096790_0`.
            UniqueReference,
            /// A chargeback reason code, 1 to 10.
            ChargebackReason,
            /// The kind of negative pingback: `refund` or `chargeback`.
            ChargebackType,
            /// A whole number, possibly negative.
            Integer,
            /// A subscription period: `day`, `week`, `month` or `year`.
            Period,
            /// A pingback type code, such as `0` or `202`.
            PingbackType,
            /// The product ids of a cart, `goodsid[0]`, `goodsid[1]`, ...
            ProductIds,
        }
    };
}

/// [`ValueKind`] and its names, from the list of [`__value_kinds`].
macro_rules! value_kind_enum {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// The kind of value a pingback parameter carries.
        ///
        /// Each kind has a marker type of the same name in `pw_runtime::value::kind`
        /// and a list of Rust types that can hold it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ValueKind {
            $($(#[$doc])* $name,)*
        }

        impl ValueKind {
            /// The name of the kind, as its marker type is named.
            pub const fn name(self) -> &'static str {
                match self {
                    $(ValueKind::$name => stringify!($name),)*
                }
            }
        }
    };
}

__value_kinds!(value_kind_enum);

impl ValueKind {
    /// What a value of this kind looks like, for error messages.
    pub const fn description(self) -> &'static str {
        match self {
            ValueKind::Text => "text",
            ValueKind::Decimal => "a decimal amount such as `9.99`",
            ValueKind::DateTime => "a date-time `YYYY-MM-DD HH:MM:SS`",
            ValueKind::DateTimeUtc => "a UTC date-time `YYYY-MM-DD HH:MM:SS`",
            ValueKind::Country => "an ISO 3166-1 alpha-2 country code such as `US`",
            ValueKind::CountryAlpha3 => "an ISO 3166-1 alpha-3 country code such as `USA`",
            ValueKind::Currency => "an ISO 4217 currency code such as `USD`",
            ValueKind::Flag => "a flag `0` or `1`",
            ValueKind::IpAddress => "an IPv4 or IPv6 address",
            ValueKind::Reference => "a Paymentwall reference such as `b1493096790`",
            ValueKind::UniqueReference => "a unique reference `<ref>_<type>` such as `b1493096790_0`",
            ValueKind::ChargebackReason => "a chargeback reason code 1-10",
            ValueKind::ChargebackType => "`refund` or `chargeback`",
            ValueKind::Integer => "a whole number",
            ValueKind::Period => "`day`, `week`, `month` or `year`",
            ValueKind::PingbackType => "a pingback type code such as `0`",
            ValueKind::ProductIds => "a list of product ids `goodsid[0]`, `goodsid[1]`, ...",
        }
    }

    /// The Rust types pw accepts for this kind, by the name a field writes
    /// them with (inside `Option<...>` when the value may be empty). Any
    /// type implementing `FromValue` for the kind is accepted as well.
    pub const fn accepted_types(self) -> &'static [&'static str] {
        match self {
            ValueKind::Text => &["String"],
            ValueKind::Decimal => &["Decimal", "String"],
            ValueKind::DateTime => &["PrimitiveDateTime", "String"],
            ValueKind::DateTimeUtc => &["OffsetDateTime", "UtcDateTime", "PrimitiveDateTime", "String"],
            ValueKind::Country | ValueKind::CountryAlpha3 => &["CountryCode", "String"],
            ValueKind::Currency => &["Currency", "String"],
            ValueKind::Flag => &["bool"],
            ValueKind::IpAddress => &["IpAddr", "String"],
            ValueKind::Reference => &["Reference", "String"],
            ValueKind::UniqueReference => &["UniqueRef", "String"],
            ValueKind::ChargebackReason => &["ChargebackReason"],
            ValueKind::ChargebackType => &["ChargebackType"],
            ValueKind::Integer => &["i64", "i32"],
            ValueKind::Period => &["SubscriptionPeriod"],
            ValueKind::PingbackType => &["PingbackType"],
            ValueKind::ProductIds => &["Vec<String>"],
        }
    }
}

/// A set of API types, as a bit set (1 = `virtual_currency`,
/// 2 = `digital_goods`, 4 = `cart`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiSet(pub u8);

impl ApiSet {
    /// `virtual_currency` only.
    pub const VIRTUAL_CURRENCY: ApiSet = ApiSet(1);
    /// `digital_goods` only.
    pub const DIGITAL_GOODS: ApiSet = ApiSet(2);
    /// `cart` only.
    pub const CART: ApiSet = ApiSet(4);
    /// Every API type.
    pub const ALL: ApiSet = ApiSet(7);

    /// The set holding the API type named `name` (`virtual_currency`,
    /// `digital_goods`, `cart`), if it is one.
    pub const fn named(name: &str) -> Option<ApiSet> {
        match name.as_bytes() {
            b"virtual_currency" => Some(ApiSet::VIRTUAL_CURRENCY),
            b"digital_goods" => Some(ApiSet::DIGITAL_GOODS),
            b"cart" => Some(ApiSet::CART),
            _ => None,
        }
    }

    /// Whether every API type of `other` is in this set.
    pub const fn contains(self, other: ApiSet) -> bool {
        self.0 & other.0 == other.0
    }
}

/// One parameter of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogEntry {
    /// The standard parameter's name (`slength`) or the system value
    /// (`REVENUE_LOCAL`).
    pub name: &'static str,
    /// The kind of value it carries.
    pub kind: ValueKind,
    /// When the value may be empty (`None`: never).
    pub empty_when: Option<&'static str>,
    /// The API types whose pingbacks carry it.
    pub apis: ApiSet,
    /// What it means.
    pub meaning: &'static str,
}

impl CatalogEntry {
    /// Whether the value may arrive empty.
    pub const fn may_be_empty(&self) -> bool {
        self.empty_when.is_some()
    }
}

const fn entry(
    name: &'static str,
    kind: ValueKind,
    empty_when: Option<&'static str>,
    apis: ApiSet,
    meaning: &'static str,
) -> CatalogEntry {
    CatalogEntry { name, kind, empty_when, apis, meaning }
}

const ALWAYS: Option<&str> = Some("it may always be empty");
const NOT_CHARGEBACK: Option<&str> = Some("it is empty unless the pingback is a chargeback (type 2)");
const NOT_RECURRING: Option<&str> = Some("it is empty unless the payment is recurring");
const NOT_SUBSCRIPTION: Option<&str> = Some("it is empty unless the payment is a subscription");

/// The standard pingback parameters a field may bind with
/// `#[pingback(standard = "...")]`.
pub const STANDARD_PARAMETERS: &[CatalogEntry] = &[
    entry("uid", ValueKind::Text, None, ApiSet::ALL, "the merchant's user id"),
    entry("goodsid", ValueKind::Text, None, ApiSet::DIGITAL_GOODS, "the product id"),
    entry("goodsid", ValueKind::ProductIds, None, ApiSet::CART, "the product ids of the cart"),
    entry("slength", ValueKind::Integer, NOT_SUBSCRIPTION, ApiSet::DIGITAL_GOODS, "the subscription length"),
    entry("speriod", ValueKind::Period, NOT_SUBSCRIPTION, ApiSet::DIGITAL_GOODS, "the subscription period"),
    entry("currency", ValueKind::Decimal, None, ApiSet::VIRTUAL_CURRENCY, "the amount of virtual currency"),
    entry("type", ValueKind::PingbackType, None, ApiSet::ALL, "the pingback type"),
    entry("ref", ValueKind::Reference, None, ApiSet::ALL, "Paymentwall's transaction reference"),
    entry("is_test", ValueKind::Flag, Some("it is absent on live pingbacks"), ApiSet::ALL, "whether this is a test pingback"),
    entry("reason", ValueKind::ChargebackReason, NOT_CHARGEBACK, ApiSet::ALL, "the chargeback reason"),
];

/// Names a custom parameter may not take: the standard parameters and the
/// signature's own parameters.
pub const RESERVED_NAMES: &[&str] = &[
    "uid", "goodsid", "slength", "speriod", "type", "ref", "sig", "sign_version", "is_test",
    "reason", "currency",
];

/// The system values of custom pingback parameters (Project > Settings >
/// Custom Pingback Parameters), in alphabetical order.
pub const SYSTEM_VALUES: &[CatalogEntry] = &[
    entry("CHARGEBACK_REASON", ValueKind::ChargebackReason, NOT_CHARGEBACK, ApiSet::ALL, "reason code of a negative pingback"),
    entry("CHARGEBACK_REASON_VERBAL", ValueKind::Text, NOT_CHARGEBACK, ApiSet::ALL, "verbal reason of a negative pingback"),
    entry("CHARGEBACK_TYPE", ValueKind::ChargebackType, NOT_CHARGEBACK, ApiSet::ALL, "refund or chargeback"),
    entry("CLICK_TYPE", ValueKind::Text, None, ApiSet::ALL, "transaction type, e.g. payment"),
    entry("COUNTRY_CODE", ValueKind::Country, None, ApiSet::ALL, "user country, alpha-2"),
    entry("COUNTRY_CODE_ALPHA3", ValueKind::CountryAlpha3, None, ApiSet::ALL, "user country, alpha-3"),
    entry("COUNTRY_CODE_NAME", ValueKind::Text, None, ApiSet::ALL, "user country name"),
    entry("CURRENCY_CODE", ValueKind::Currency, None, ApiSet::ALL, "currency the user paid in"),
    entry("GOODSID", ValueKind::Text, None, ApiSet::DIGITAL_GOODS, "product id (same as goodsid)"),
    entry("PAYMENT_DATETIME", ValueKind::DateTime, None, ApiSet::ALL, "time of the payment"),
    entry("PAYMENT_DATETIME_UTC", ValueKind::DateTimeUtc, None, ApiSet::ALL, "time of the payment in UTC"),
    entry("PAYMENT_TYPE", ValueKind::Text, None, ApiSet::ALL, "Offer, Credit Card, Mobile, ..."),
    entry("PRODUCT_CURRENCY_CODE", ValueKind::Currency, None, ApiSet::DIGITAL_GOODS, "product currency"),
    entry("PRODUCT_CUSTOM_FIELD", ValueKind::Text, ALWAYS, ApiSet::DIGITAL_GOODS, "custom field of the product"),
    entry("PRODUCT_PRICE", ValueKind::Decimal, None, ApiSet::DIGITAL_GOODS, "product price"),
    entry("RECURRING_BILLING_ACTIVE", ValueKind::Flag, None, ApiSet::ALL, "whether recurring billing is active"),
    entry("RECURRING_BILLING_INITIAL_REF", ValueKind::Reference, NOT_RECURRING, ApiSet::ALL, "reference of the first payment"),
    entry("RECURRING_BILLING_NEXT_DATE", ValueKind::DateTime, NOT_RECURRING, ApiSet::ALL, "date of the next recurring payment"),
    entry("RECURRING_PAYMENT", ValueKind::Flag, None, ApiSet::ALL, "whether this is an automatic recurring payment"),
    entry("REFERENCE_ID", ValueKind::Reference, None, ApiSet::ALL, "reference (same as ref)"),
    entry("REVENUE", ValueKind::Decimal, None, ApiSet::ALL, "net revenue in USD"),
    entry("REVENUE_LOCAL", ValueKind::Decimal, None, ApiSet::ALL, "net revenue in the payment currency"),
    entry("REVENUE_PAYMENT", ValueKind::Decimal, None, ApiSet::ALL, "what the user paid, in USD"),
    entry("REVENUE_PAYMENT_LOCAL", ValueKind::Decimal, None, ApiSet::ALL, "what the user paid, in local currency"),
    entry("SIGNATURE", ValueKind::Text, None, ApiSet::ALL, "the pingback signature (same as sig)"),
    entry("STORED_CC", ValueKind::Flag, None, ApiSet::ALL, "whether a stored card was used"),
    entry("SUBSCRIPTION_ID", ValueKind::Text, NOT_SUBSCRIPTION, ApiSet::ALL, "id of the subscription"),
    entry("UNIQUE_REF", ValueKind::UniqueReference, None, ApiSet::ALL, "ref_type of this pingback"),
    entry("UNIQUE_REF_INITIAL", ValueKind::UniqueReference, NOT_CHARGEBACK, ApiSet::ALL, "ref_type of the original payment"),
    entry("USER_ID", ValueKind::Text, None, ApiSet::ALL, "the merchant's user id (same as uid)"),
    entry("USER_IP", ValueKind::IpAddress, None, ApiSet::ALL, "the user's IP address"),
    entry("USER_PAYMENT_ACCOUNT_COUNTRY_CODE", ValueKind::Country, ALWAYS, ApiSet::ALL, "country of the bank account or card BIN"),
    entry("VIRTUAL_CURRENCY", ValueKind::Decimal, None, ApiSet::VIRTUAL_CURRENCY, "virtual currency received"),
    entry("VIRTUAL_CURRENCY_UNDISCOUNTED", ValueKind::Decimal, None, ApiSet::VIRTUAL_CURRENCY, "virtual currency before bonuses and discounts"),
];

/// The signature version of every cart pingback: Paymentwall signs cart
/// pingbacks with version 2 only, so a cart schema cannot require 3.
///
/// ```
/// assert_eq!(pw_catalog::CART_SIGNATURE_VERSION, 2);
/// ```
pub const CART_SIGNATURE_VERSION: u8 = 2;

/// System values a schema cannot declare, and why.
///
/// ```
/// let (name, why) = pw_catalog::UNUSABLE_SYSTEM_VALUES[0];
/// assert_eq!(name, "SIGNATURE");
/// assert!(why.contains("cannot sign itself"));
/// ```
pub const UNUSABLE_SYSTEM_VALUES: &[(&str, &str)] = &[(
    "SIGNATURE",
    "a signature cannot sign itself: Paymentwall's libraries sign every parameter except \
     `sig`, so a copy of the signature under another name is inside the signed text and no \
     pingback carrying it can ever verify; remove the field (the listener checks `sig` before \
     your code runs) and remove the parameter from Paymentwall's settings",
)];

/// The longest custom parameter name pw accepts.
///
/// ```
/// assert_eq!(pw_catalog::PARAMETER_NAME_MAX_LEN, 64);
/// ```
pub const PARAMETER_NAME_MAX_LEN: usize = 64;

/// The rule every custom pingback parameter name follows, as each message
/// states it: the derive's errors, the settings table and the runtime's
/// checks.
///
/// ```
/// assert!(pw_catalog::PARAMETER_NAME_RULE.contains("ASCII letter, digit or `_`"));
/// ```
pub const PARAMETER_NAME_RULE: &str = "1 to 64 characters, each an ASCII letter, digit or `_`";

/// Why a name breaks [`PARAMETER_NAME_RULE`].
///
/// ```
/// use pw_catalog::NameProblem;
/// assert_eq!(NameProblem::Character('%').to_string(), "it contains `%`");
/// assert_eq!(NameProblem::TooLong { chars: 70 }.to_string(), "it is 70 characters long, more than 64");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    /// The name is empty.
    Empty,
    /// The name is longer than [`PARAMETER_NAME_MAX_LEN`] characters.
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// The name holds a character other than an ASCII letter, digit or `_`
    /// (the first one).
    Character(char),
}

impl core::fmt::Display for NameProblem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("it is empty"),
            NameProblem::TooLong { chars } => write!(
                f,
                "it is {chars} characters long, more than {PARAMETER_NAME_MAX_LEN}"
            ),
            NameProblem::Character(' ') => f.write_str("it contains a space"),
            NameProblem::Character(c) if c.is_control() || c.is_whitespace() => {
                write!(f, "it contains the character {:?}", c)
            }
            NameProblem::Character(c) if !c.is_ascii() => {
                write!(f, "it contains `{c}`, which is not ASCII")
            }
            NameProblem::Character(c) => write!(f, "it contains `{c}`"),
        }
    }
}

/// Why `name` cannot be a custom pingback parameter name, or `None` when
/// it follows [`PARAMETER_NAME_RULE`].
///
/// ```
/// use pw_catalog::{parameter_name_problem, NameProblem};
/// assert_eq!(parameter_name_problem("utm_source"), None);
/// assert_eq!(parameter_name_problem("utm%5Fsource"), Some(NameProblem::Character('%')));
/// ```
pub fn parameter_name_problem(name: &str) -> Option<NameProblem> {
    if name.is_empty() {
        return Some(NameProblem::Empty);
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Some(NameProblem::Character(c));
    }
    let chars = name.len();
    if chars > PARAMETER_NAME_MAX_LEN {
        return Some(NameProblem::TooLong { chars });
    }
    None
}

/// A name that breaks [`PARAMETER_NAME_RULE`], displayed as every message
/// of pw states it: `` `my%param` cannot be a Paymentwall parameter name:
/// it contains `%`; a parameter name is 1 to 64 characters, each an ASCII
/// letter, digit or `_` ``.
///
/// ```
/// use pw_catalog::NameRuleViolation;
/// let violation = NameRuleViolation::of("a+b").unwrap();
/// assert!(violation.to_string().starts_with("`a+b` cannot be a Paymentwall parameter name: it contains `+`"));
/// assert!(NameRuleViolation::of("ok_name").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameRuleViolation<'a> {
    /// The name.
    pub name: &'a str,
    /// What is wrong with it.
    pub problem: NameProblem,
}

impl<'a> NameRuleViolation<'a> {
    /// The violation of `name`, or `None` when it follows the rule.
    pub fn of(name: &'a str) -> Option<Self> {
        parameter_name_problem(name).map(|problem| NameRuleViolation { name, problem })
    }
}

impl core::fmt::Display for NameRuleViolation<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "`{}` cannot be a Paymentwall parameter name: {}; a parameter name is {}",
            self.name.escape_debug(),
            self.problem,
            PARAMETER_NAME_RULE
        )
    }
}

// ---------------------------------------------------------------------------
// Widget-call parameters
// ---------------------------------------------------------------------------

/// The kind of value a widget-call parameter carries, as the widget call
/// checks it before signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WidgetValueKind {
    /// Set by the widget call itself (`key`, `sign`, `sign_version`): never
    /// given by name.
    Reserved,
    /// Free text.
    Text,
    /// A price: a positive decimal with at most the currency's minor units.
    Amount,
    /// An ISO 4217 currency code with minor units, such as `USD`.
    Currency,
    /// An ISO 3166-1 alpha-2 country code, such as `US`.
    Country,
    /// An ISO 639-1 language code, such as `en`, optionally with an ISO
    /// 3166-1 alpha-2 region, such as `pt_BR` or `zh_CN`.
    Language,
    /// An absolute `http://` or `https://` URL.
    Url,
    /// A flag, `0` or `1`.
    Flag,
    /// A whole number of periods, at least 1.
    Length,
    /// A subscription period: `day`, `week`, `month` or `year`.
    Period,
    /// A product type: `fixed` or `subscription`.
    ProductType,
    /// A Unix time stamp in seconds.
    Timestamp,
    /// A whole number, 0 or more.
    Count,
    /// A decimal number, 0 or more.
    Decimal,
    /// A score from 0 to 100.
    Score,
    /// An IPv4 or IPv6 address.
    IpAddress,
    /// `male` or `female`.
    Sex,
}

impl WidgetValueKind {
    /// What a value of this kind looks like, for error messages.
    pub const fn description(self) -> &'static str {
        match self {
            WidgetValueKind::Reserved => "nothing: the widget call sets it itself",
            WidgetValueKind::Text => "text",
            WidgetValueKind::Amount => "a positive decimal amount such as `9.99`",
            WidgetValueKind::Currency => "an ISO 4217 currency code such as `USD`",
            WidgetValueKind::Country => "an ISO 3166-1 alpha-2 country code such as `US`",
            WidgetValueKind::Language => "an ISO 639-1 language code such as `en`, or one with a region such as `pt_BR`",
            WidgetValueKind::Url => "an absolute http:// or https:// URL",
            WidgetValueKind::Flag => "a flag `0` or `1`",
            WidgetValueKind::Length => "a whole number of periods, 1 or more",
            WidgetValueKind::Period => "`day`, `week`, `month` or `year`",
            WidgetValueKind::ProductType => "`fixed` or `subscription`",
            WidgetValueKind::Timestamp => "a Unix time stamp in seconds",
            WidgetValueKind::Count => "a whole number, 0 or more",
            WidgetValueKind::Decimal => "a decimal number, 0 or more",
            WidgetValueKind::Score => "a whole number from 0 to 100",
            WidgetValueKind::IpAddress => "an IPv4 or IPv6 address",
            WidgetValueKind::Sex => "`male` or `female`",
        }
    }
}

/// How a widget-call parameter is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WidgetShape {
    /// `name=value`.
    Single,
    /// `name[key]=value`: an array; every element has the entry's kind
    /// unless the table has an entry for `name[key]` itself.
    Array,
    /// Either `name=value` or an array `name[key]=value`.
    Either,
    /// Every name that starts with the entry's name (`ag_`): Paymentwall's
    /// product parameters.
    Prefix,
}

/// One parameter of a widget call (the payment page URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WidgetParameter {
    /// The name: `uid`, `customer[birthday]`, `external_ids` (an array),
    /// `ag_` (a prefix).
    pub name: &'static str,
    /// How it is written.
    pub shape: WidgetShape,
    /// The kind of value.
    pub kind: WidgetValueKind,
    /// The API types whose widget calls send it.
    pub apis: ApiSet,
    /// What it means.
    pub meaning: &'static str,
}

const fn widget(
    name: &'static str,
    shape: WidgetShape,
    kind: WidgetValueKind,
    apis: ApiSet,
    meaning: &'static str,
) -> WidgetParameter {
    WidgetParameter { name, shape, kind, apis, meaning }
}

/// The Digital Goods API, whose widget call carries one product.
const GOODS: ApiSet = ApiSet::DIGITAL_GOODS;

/// The parameters of a widget call, for every API type: what the widget
/// call itself sends and checks. A custom (`OWN`) parameter may not take
/// any of these names, nor start with `ag_`, nor be the name of one of
/// these arrays (`history`, `customer`, `external_ids`, ...).
pub const WIDGET_PARAMETERS: &[WidgetParameter] = &[
    // Set by the call itself.
    widget("key", WidgetShape::Single, WidgetValueKind::Reserved, ApiSet::ALL, "the project key"),
    widget("sign", WidgetShape::Single, WidgetValueKind::Reserved, ApiSet::ALL, "the widget signature"),
    widget("sign_version", WidgetShape::Single, WidgetValueKind::Reserved, ApiSet::ALL, "the signature version"),
    // Every API type.
    widget("uid", WidgetShape::Single, WidgetValueKind::Text, ApiSet::ALL, "the merchant's user id"),
    widget("widget", WidgetShape::Single, WidgetValueKind::Text, ApiSet::ALL, "the widget code, such as `p1_1`"),
    widget("ps", WidgetShape::Single, WidgetValueKind::Text, ApiSet::ALL, "the payment system short code"),
    widget("email", WidgetShape::Single, WidgetValueKind::Text, ApiSet::ALL, "the user's email address"),
    widget("lang", WidgetShape::Single, WidgetValueKind::Language, ApiSet::ALL, "the language of the payment page"),
    widget("country_code", WidgetShape::Single, WidgetValueKind::Country, ApiSet::ALL, "the user's country"),
    widget("evaluation", WidgetShape::Single, WidgetValueKind::Flag, ApiSet::ALL, "show the widget before the project is live"),
    widget("success_url", WidgetShape::Single, WidgetValueKind::Url, ApiSet::ALL, "where the user goes after paying"),
    widget("failure_url", WidgetShape::Single, WidgetValueKind::Url, ApiSet::ALL, "where the user goes after a failed payment"),
    widget("pingback_url", WidgetShape::Single, WidgetValueKind::Url, ApiSet::ALL, "where the pingbacks of this payment go"),
    widget("ts", WidgetShape::Single, WidgetValueKind::Timestamp, ApiSet::ALL, "when the call was made (the page refuses old calls)"),
    // The older user profile parameters, still read by Paymentwall.
    widget("firstname", WidgetShape::Single, WidgetValueKind::Text, ApiSet::ALL, "the user's given name"),
    widget("lastname", WidgetShape::Single, WidgetValueKind::Text, ApiSet::ALL, "the user's family name"),
    widget("birthday", WidgetShape::Single, WidgetValueKind::Text, ApiSet::ALL, "the user's birthday"),
    widget("sex", WidgetShape::Single, WidgetValueKind::Text, ApiSet::ALL, "the user's sex"),
    widget("age", WidgetShape::Single, WidgetValueKind::Text, ApiSet::ALL, "the user's age"),
    widget("location", WidgetShape::Array, WidgetValueKind::Text, ApiSet::ALL, "the user's address"),
    // User Profile API.
    widget("customer", WidgetShape::Array, WidgetValueKind::Text, ApiSet::ALL, "the user's profile"),
    widget("customer[birthday]", WidgetShape::Single, WidgetValueKind::Timestamp, ApiSet::ALL, "the user's birthday"),
    widget("customer[sex]", WidgetShape::Single, WidgetValueKind::Sex, ApiSet::ALL, "the user's sex"),
    widget("customer[country]", WidgetShape::Single, WidgetValueKind::Country, ApiSet::ALL, "the user's country"),
    widget("history", WidgetShape::Array, WidgetValueKind::Text, ApiSet::ALL, "the user's history with the merchant"),
    widget("history[registration_date]", WidgetShape::Single, WidgetValueKind::Timestamp, ApiSet::ALL, "when the user registered"),
    widget("history[membership_date]", WidgetShape::Single, WidgetValueKind::Timestamp, ApiSet::ALL, "when the membership last changed"),
    widget("history[registration_country]", WidgetShape::Single, WidgetValueKind::Country, ApiSet::ALL, "the country the user registered from"),
    widget("history[registration_ip]", WidgetShape::Single, WidgetValueKind::IpAddress, ApiSet::ALL, "the address the user registered from"),
    widget("history[registration_email_verified]", WidgetShape::Single, WidgetValueKind::Flag, ApiSet::ALL, "whether the registration email was verified"),
    widget("history[registration_age]", WidgetShape::Single, WidgetValueKind::Count, ApiSet::ALL, "the age given at registration"),
    widget("history[logins_number]", WidgetShape::Single, WidgetValueKind::Count, ApiSet::ALL, "how many times the user logged in"),
    widget("history[payments_number]", WidgetShape::Single, WidgetValueKind::Count, ApiSet::ALL, "how many payments the user made"),
    widget("history[payments_amount]", WidgetShape::Single, WidgetValueKind::Decimal, ApiSet::ALL, "how much the user paid so far, in USD"),
    widget("history[cancelled_payments]", WidgetShape::Single, WidgetValueKind::Count, ApiSet::ALL, "how many payments the user cancelled"),
    widget("history[was_banned]", WidgetShape::Single, WidgetValueKind::Flag, ApiSet::ALL, "whether the user was ever banned"),
    widget("history[risk_score]", WidgetShape::Single, WidgetValueKind::Score, ApiSet::ALL, "the merchant's risk score, 0 (reliable) to 100"),
    // Products (Digital Goods). `amount` and `currencyCode` are reserved for
    // every API type, where a custom parameter so named would read as a price.
    widget("amount", WidgetShape::Single, WidgetValueKind::Amount, ApiSet::ALL, "the price"),
    widget("currencyCode", WidgetShape::Single, WidgetValueKind::Currency, ApiSet::ALL, "the price's currency"),
    widget("ag_", WidgetShape::Prefix, WidgetValueKind::Text, ApiSet::ALL, "Paymentwall's product parameters"),
    widget("ag_name", WidgetShape::Single, WidgetValueKind::Text, GOODS, "the product name"),
    widget("ag_external_id", WidgetShape::Single, WidgetValueKind::Text, GOODS, "the product id"),
    widget("ag_type", WidgetShape::Single, WidgetValueKind::ProductType, GOODS, "fixed or subscription"),
    widget("ag_period_length", WidgetShape::Single, WidgetValueKind::Length, GOODS, "the subscription length"),
    widget("ag_period_type", WidgetShape::Single, WidgetValueKind::Period, GOODS, "the subscription period"),
    widget("ag_recurring", WidgetShape::Single, WidgetValueKind::Flag, GOODS, "whether the subscription renews"),
    widget("ag_trial", WidgetShape::Single, WidgetValueKind::Flag, GOODS, "whether the subscription starts with a trial"),
    widget("ag_post_trial_external_id", WidgetShape::Single, WidgetValueKind::Text, GOODS, "the product id after the trial"),
    widget("ag_post_trial_period_length", WidgetShape::Single, WidgetValueKind::Length, GOODS, "the subscription length after the trial"),
    widget("ag_post_trial_period_type", WidgetShape::Single, WidgetValueKind::Period, GOODS, "the subscription period after the trial"),
    widget("ag_post_trial_name", WidgetShape::Single, WidgetValueKind::Text, GOODS, "the product name after the trial"),
    widget("post_trial_amount", WidgetShape::Single, WidgetValueKind::Amount, GOODS, "the price after the trial"),
    widget("post_trial_currencyCode", WidgetShape::Single, WidgetValueKind::Currency, GOODS, "the currency of the price after the trial"),
    // Which stored products the page shows (Digital Goods).
    widget("default_goodsid", WidgetShape::Single, WidgetValueKind::Text, GOODS, "the stored product selected first"),
    widget("display_goodsid", WidgetShape::Either, WidgetValueKind::Text, GOODS, "the stored products shown"),
    widget("hide_goodsid", WidgetShape::Either, WidgetValueKind::Text, GOODS, "the stored products hidden"),
    widget("hide_post_trial_good", WidgetShape::Single, WidgetValueKind::Text, GOODS, "hide the product after the trial"),
    widget("show_trial_recurring", WidgetShape::Single, WidgetValueKind::Text, GOODS, "show recurring trials"),
    widget("show_trial_non_recurring", WidgetShape::Single, WidgetValueKind::Text, GOODS, "show trials that do not renew"),
    widget("show_post_trial_recurring", WidgetShape::Single, WidgetValueKind::Text, GOODS, "show recurring products after trials"),
    widget("show_post_trial_non_recurring", WidgetShape::Single, WidgetValueKind::Text, GOODS, "show products after trials that do not renew"),
    // Cart.
    widget("external_ids", WidgetShape::Array, WidgetValueKind::Text, ApiSet::CART, "the product ids of the cart"),
    widget("prices", WidgetShape::Array, WidgetValueKind::Amount, ApiSet::CART, "the prices of the cart's products"),
    widget("currencies", WidgetShape::Array, WidgetValueKind::Currency, ApiSet::CART, "the currencies of the prices"),
    widget("names", WidgetShape::Array, WidgetValueKind::Text, ApiSet::CART, "the names of the cart's products"),
];

/// The widget-call parameter that `name` (`uid`, `ag_name`,
/// `customer[zip]`, `external_ids[0]`) is for the API types `apis`, if it
/// is one: the entry of that name, else the entry of its base name (the
/// array `customer` for `customer[zip]`; the single `uid` for `uid[0]`,
/// which is then misused), else the prefix it starts with (`ag_`).
pub const fn widget_parameter(name: &str, apis: ApiSet) -> Option<&'static WidgetParameter> {
    let name = name.as_bytes();
    let base = match find_byte(name, b'[') {
        Some(at) => split_at(name, at),
        None => name,
    };
    let mut by_base: Option<&'static WidgetParameter> = None;
    let mut prefix: Option<&'static WidgetParameter> = None;
    let mut i = 0;
    while i < WIDGET_PARAMETERS.len() {
        let entry = &WIDGET_PARAMETERS[i];
        i += 1;
        if entry.apis.0 & apis.0 == 0 {
            continue;
        }
        let entry_name = entry.name.as_bytes();
        match entry.shape {
            WidgetShape::Single | WidgetShape::Array | WidgetShape::Either => {
                if bytes_equal(entry_name, name) {
                    return Some(entry);
                }
                if bytes_equal(entry_name, base) {
                    by_base = Some(entry);
                }
            }
            WidgetShape::Prefix => {
                if starts_with(name, entry_name) {
                    prefix = Some(entry);
                }
            }
        }
    }
    match by_base {
        Some(entry) => Some(entry),
        None => prefix,
    }
}

/// Whether a custom (`OWN`) parameter named `name` would collide with a
/// parameter of the widget call of the API types `apis`: its name is one of
/// [`WIDGET_PARAMETERS`], the name of one of their arrays, an element of one,
/// or starts with `ag_`.
pub const fn collides_with_widget_call(name: &str, apis: ApiSet) -> bool {
    widget_parameter(name, apis).is_some()
}

const fn find_byte(bytes: &[u8], byte: u8) -> Option<usize> {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == byte {
            return Some(i);
        }
        i += 1;
    }
    None
}

const fn split_at(bytes: &[u8], len: usize) -> &[u8] {
    bytes.split_at(len).0
}

const fn bytes_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn starts_with(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes_equal(split_at(bytes, prefix.len()), prefix)
}
