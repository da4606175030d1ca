//! [`WidgetCall`]: a signed payment-page URL (Paymentwall's widget call),
//! with the `OWN` parameters a schema declares.

use crate::signature::{widget_signature, SignatureVersion};
use crate::value::ToValue;
use crate::{Currency, Decimal, SecretKey, SubscriptionPeriod};
use std::collections::BTreeMap;
use std::fmt;

/// The address of the Digital Goods payment page.
pub const DIGITAL_GOODS_ENDPOINT: &str = "https://api.paymentwall.com/api/subscription";

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
/// let url = WidgetCall::new("project-key", "secret")
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
/// user, signed with the project's secret key.
///
/// Parameters are signed as Paymentwall defines it (protocol reference,
/// section 4): version 2 by default.
///
/// ```
/// use pw_runtime::{Decimal, SubscriptionPeriod, WidgetCall};
///
/// let url = WidgetCall::new("17bd41b0b8bef6bfb63dc051d0c33859", "5f50f77cec859ac1226a938ede520050")
///     .uid("user40012")
///     .widget("m2_1")
///     .product_id("product301")
///     .product_name("Gold Membership")
///     .amount(Decimal::new(5, 1))
///     .currency(pw_runtime::Currency::EUR)
///     .subscription(1, SubscriptionPeriod::Month, true)
///     .ps("paypal")
///     .success_url("https://example.com/ok")
///     .url()
///     .unwrap();
/// assert!(url.starts_with("https://api.paymentwall.com/api/subscription?"));
/// assert!(url.contains("&sign_version=2&sign="));
/// ```
#[derive(Clone)]
pub struct WidgetCall {
    endpoint: String,
    key: String,
    secret: SecretKey,
    version: SignatureVersion,
    params: BTreeMap<String, String>,
    own_problem: Option<WidgetError>,
}

/// A widget call cannot be signed.
///
/// ```
/// use pw_runtime::{WidgetCall, WidgetError};
/// let error = WidgetCall::new("key", "secret").widget("p1_1").url().unwrap_err();
/// assert_eq!(error, WidgetError::Missing("uid"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WidgetError {
    /// A required parameter (`uid`, `widget`) was not set.
    #[error("the widget call needs `{0}`")]
    Missing(&'static str),
    /// A parameter set with [`WidgetCall::param`] is one the call sets
    /// itself (`key`, `sign`, `sign_version`).
    #[error("`{0}` is set by the widget call itself")]
    Reserved(String),
    /// An `OWN` parameter ([`WidgetCall::own`]) has a name that breaks the
    /// parameter-name rule, or that the widget call itself uses (the
    /// derive refuses both at compile time; a hand-written
    /// [`OwnParams`] is checked here).
    #[error("the OWN parameter {0}")]
    OwnName(String),
}

/// Why an `OWN` parameter cannot be called `name`: the catalog's
/// parameter-name rule and the widget call's own names.
fn own_name_problem(name: &str) -> Option<WidgetError> {
    if let Some(violation) = crate::catalog::NameRuleViolation::of(name) {
        return Some(WidgetError::OwnName(violation.to_string()));
    }
    crate::catalog::is_widget_call_parameter(name).then(|| {
        WidgetError::OwnName(format!(
            "`{name}` is a parameter the widget call itself uses; choose another name"
        ))
    })
}

impl WidgetCall {
    /// A call to the Digital Goods payment page of the project with this
    /// key (the project key, public) and secret key.
    pub fn new(project_key: impl Into<String>, secret: impl Into<SecretKey>) -> Self {
        WidgetCall {
            endpoint: DIGITAL_GOODS_ENDPOINT.to_owned(),
            key: project_key.into(),
            secret: secret.into(),
            version: SignatureVersion::V2,
            params: BTreeMap::new(),
            own_problem: None,
        }
    }

    /// Another payment page address.
    #[must_use]
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// The signature version (2 by default).
    #[must_use]
    pub fn sign_version(mut self, version: SignatureVersion) -> Self {
        self.version = version;
        self
    }

    /// Any parameter, by name. Setting it again replaces the value.
    #[must_use]
    pub fn param(mut self, name: impl Into<String>, value: impl ToValue) -> Self {
        self.params.insert(name.into(), value.to_value());
        self
    }

    /// The `OWN` parameters of a schema.
    #[must_use]
    pub fn own(mut self, own: &impl OwnParams) -> Self {
        for (name, value) in own.own_params() {
            if let Some(problem) = own_name_problem(name) {
                self.own_problem.get_or_insert(problem);
            }
            self.params.insert(name.to_owned(), value);
        }
        self
    }

    /// The merchant's user id, `uid` (required).
    #[must_use]
    pub fn uid(self, uid: impl ToValue) -> Self {
        self.param("uid", uid)
    }

    /// The widget code, `widget` (required), such as `p1_1`.
    #[must_use]
    pub fn widget(self, code: impl ToValue) -> Self {
        self.param("widget", code)
    }

    /// The payment system short code, `ps` (`all` by default at
    /// Paymentwall).
    #[must_use]
    pub fn ps(self, code: impl ToValue) -> Self {
        self.param("ps", code)
    }

    /// Where the user goes after paying, `success_url`.
    #[must_use]
    pub fn success_url(self, url: impl ToValue) -> Self {
        self.param("success_url", url)
    }

    /// Where the user goes after a failed payment, `failure_url`.
    #[must_use]
    pub fn failure_url(self, url: impl ToValue) -> Self {
        self.param("failure_url", url)
    }

    /// The user's email address, `email`.
    #[must_use]
    pub fn email(self, email: impl ToValue) -> Self {
        self.param("email", email)
    }

    /// The product id, `ag_external_id` (arrives as `goodsid`).
    #[must_use]
    pub fn product_id(self, id: impl ToValue) -> Self {
        self.param("ag_external_id", id)
    }

    /// The product name, `ag_name`.
    #[must_use]
    pub fn product_name(self, name: impl ToValue) -> Self {
        self.param("ag_name", name)
    }

    /// The price, `amount`.
    #[must_use]
    pub fn amount(self, amount: Decimal) -> Self {
        self.param("amount", amount)
    }

    /// The price's currency, `currencyCode`.
    #[must_use]
    pub fn currency(self, currency: Currency) -> Self {
        self.param("currencyCode", currency)
    }

    /// A subscription of `length` `period`s (`ag_type=subscription`,
    /// `ag_period_length`, `ag_period_type`, `ag_recurring`).
    #[must_use]
    pub fn subscription(self, length: u32, period: SubscriptionPeriod, recurring: bool) -> Self {
        self.param("ag_type", "subscription")
            .param("ag_period_length", length)
            .param("ag_period_type", period)
            .param("ag_recurring", recurring)
    }

    /// A one-time purchase (`ag_type=fixed`).
    #[must_use]
    pub fn fixed(self) -> Self {
        self.param("ag_type", "fixed")
    }

    /// The signed URL.
    ///
    /// # Errors
    ///
    /// [`WidgetError`] when `uid` or `widget` is missing, or a reserved
    /// parameter was set by name.
    pub fn url(&self) -> Result<String, WidgetError> {
        if let Some(problem) = &self.own_problem {
            return Err(problem.clone());
        }
        for required in ["uid", "widget"] {
            if !self.params.contains_key(required) {
                return Err(WidgetError::Missing(required));
            }
        }
        if let Some(name) = ["key", "sign", "sign_version"]
            .into_iter()
            .find(|name| self.params.contains_key(*name))
        {
            return Err(WidgetError::Reserved(name.to_owned()));
        }
        let mut pairs: Vec<(&str, &str)> = vec![("key", &self.key)];
        pairs.extend(self.params.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let number = self.version.number().to_string();
        if self.version != SignatureVersion::V1 {
            pairs.push(("sign_version", &number));
        }
        let sign = widget_signature(self.version, &pairs, &self.secret);
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(&pairs).append_pair("sign", &sign);
        Ok(format!("{}?{}", self.endpoint, query.finish()))
    }
}

impl fmt::Debug for WidgetCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WidgetCall")
            .field("endpoint", &self.endpoint)
            .field("key", &self.key)
            .field("secret", &self.secret)
            .field("version", &self.version)
            .field("params", &self.params)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_signature_verifies_with_the_runtime() {
        let call = WidgetCall::new("k", "s3cr3t")
            .uid("u 1")
            .widget("p1_1")
            .param("x", "a&b");
        let url = call.url().unwrap();
        let query = url.split_once('?').unwrap().1;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let (sign, rest): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(n, _)| n == "sign");
        assert_eq!(
            sign[0].1,
            widget_signature(SignatureVersion::V2, &rest, &SecretKey::new("s3cr3t"))
        );
        assert!(!format!("{call:?}").contains("s3cr3t"));
    }

    #[test]
    fn own_names_follow_the_rule_and_avoid_the_call_s_own() {
        struct Own(&'static str);
        impl OwnParams for Own {
            fn own_params(&self) -> Vec<(&'static str, String)> {
                vec![(self.0, "v".to_owned())]
            }
        }
        let url = |name| {
            WidgetCall::new("k", "s")
                .uid("u")
                .widget("w")
                .own(&Own(name))
                .url()
        };
        assert!(url("campaign").is_ok());
        for name in ["my%param", "email", "ag_name", ""] {
            let error = url(name).unwrap_err();
            assert!(
                matches!(error, WidgetError::OwnName(_)),
                "{name}: {error:?}"
            );
        }
        assert!(url("my%param")
            .unwrap_err()
            .to_string()
            .contains("1 to 64 characters"));
    }

    #[test]
    fn reserved_names_are_refused() {
        let call = WidgetCall::new("k", "s")
            .uid("u")
            .widget("w")
            .param("sign", "x");
        assert_eq!(call.url(), Err(WidgetError::Reserved("sign".into())));
    }
}
