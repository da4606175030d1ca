//! The typed standard envelope: the parameters every pingback of an API
//! type carries, decoded once the signature is verified.

use crate::value::from::integer32;
use crate::value::{kind, FromValue};

use rust_decimal::Decimal;

use crate::kinds::parse_code_bytes;
use crate::kinds::{ChargebackReason, PingbackType, Reference, SubscriptionPeriod};
use crate::params::Params;
use crate::standard::Standard;
use pw_catalog::ApiType;

/// A standard parameter whose value is not of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parameter `{parameter}` is `{value}`; expected {expected}")]
pub struct EnvelopeError {
    /// The parameter name.
    pub parameter: &'static str,
    /// What was expected, in words.
    pub expected: &'static str,
    /// The value received (cut to 64 characters).
    pub value: String,
}

#[cold]
fn invalid(parameter: &'static str, expected: &'static str, value: &str) -> EnvelopeError {
    let value = pw_catalog::shown(value);
    EnvelopeError {
        parameter,
        expected,
        value,
    }
}

/// What was bought, per API type.
///
/// ```
/// use pw_runtime::{Goods, SubscriptionPeriod};
/// let goods = Goods::DigitalGoods { goodsid: "vip", slength: Some(1), speriod: Some(SubscriptionPeriod::Month) };
/// assert!(matches!(goods, Goods::DigitalGoods { slength: Some(1), .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Goods<'a> {
    /// Digital Goods API.
    DigitalGoods {
        /// The product id (`ag_external_id` of the widget call).
        goodsid: &'a str,
        /// The subscription length; negative on some chargebacks; `None` when empty.
        slength: Option<i32>,
        /// The subscription period; `None` when empty.
        speriod: Option<SubscriptionPeriod>,
    },
    /// Virtual Currency API.
    VirtualCurrency {
        /// The amount of virtual currency.
        currency: Decimal,
    },
    /// Cart API.
    Cart {
        /// The product ids, `goodsid[0]`, `goodsid[1]`, ... in key order.
        product_ids: Vec<&'a str>,
    },
}

/// The standard parameters of a verified pingback, typed.
///
/// ```
/// use pw_runtime::{Envelope, Goods, PingbackType};
/// fn describe(envelope: &Envelope<'_>) -> String {
///     match (&envelope.kind, &envelope.goods) {
///         (PingbackType::Payment, Goods::DigitalGoods { goodsid, .. }) => format!("{} bought {goodsid}", envelope.uid),
///         (kind, _) => format!("{kind} for {}", envelope.uid),
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The merchant's user id passed to the widget, `uid`.
    pub uid: &'a str,
    /// Paymentwall's transaction reference, `ref`.
    pub reference: &'a str,
    /// The pingback type.
    pub kind: PingbackType,
    /// True for test pingbacks (`is_test=1`).
    pub is_test: bool,
    /// The chargeback reason, when `reason` is present and non-empty.
    pub reason: Option<ChargebackReason>,
    /// What was bought.
    pub goods: Goods<'a>,
}

/// The decoded envelope, holding entry indices into its [`Params`].
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    uid: u32,
    reference: u32,
    pub(crate) kind: PingbackType,
    is_test: bool,
    reason: Option<ChargebackReason>,
    goods: GoodsFields,
}

#[derive(Debug, Clone)]
enum GoodsFields {
    DigitalGoods {
        goodsid: u32,
        slength: Option<i32>,
        speriod: Option<SubscriptionPeriod>,
    },
    VirtualCurrency {
        currency: Decimal,
    },
    Cart,
}

/// What a `ref` is, for an error.
const REFERENCE: &str = "a transaction reference of at most 1,024 bytes";

/// The value at `slot`, empty if absent, for an error.
#[cold]
fn shown(params: &Params, slot: Option<usize>) -> &str {
    slot.map_or("", |i| params.value_at(i))
}

/// The entry index of a required single value. (Indices are kept as `u32`
/// so that a verified pingback moves in a few registers' worth of copies:
/// there are fewer entries than input bytes, whose count fits.)
#[inline]
fn scalar(
    slot: Option<usize>,
    is_array: bool,
    name: &'static str,
    expected: &'static str,
) -> Result<u32, EnvelopeError> {
    match slot {
        Some(index) => Ok(u32::try_from(index).expect("fewer entries than input bytes")),
        None => Err(absent(is_array, name, expected)),
    }
}

/// The error for a required value that is absent or an array.
#[cold]
fn absent(is_array: bool, name: &'static str, expected: &'static str) -> EnvelopeError {
    invalid(name, expected, if is_array { "an array" } else { "" })
}

impl Fields {
    /// The typed standard parameters of `params` for `api`, each value
    /// read as bytes (see [`Params::value_bytes_at`]); the texts only for
    /// an error.
    #[inline]
    pub(crate) fn decode(
        api: ApiType,
        params: &Params,
        found: &Standard,
    ) -> Result<Fields, EnvelopeError> {
        let uid = scalar(found.uid(), false, "uid", "a user id")?;
        let reference = scalar(found.reference(), false, "ref", REFERENCE)?;
        // Longer than every ledger keeps: refused here, the same on each
        // backend, rather than failing one ledger's insert (500, retried
        // for days) and passing on another. (Empty, it is missing.)
        if params.value_bytes_at(reference as usize).len() > Reference::MAX_BYTES {
            return Err(invalid(
                "ref",
                REFERENCE,
                params.value_at(reference as usize),
            ));
        }
        let kind = match parse_code_bytes(found.pingback_type_bytes(params)) {
            Some(code) => PingbackType::from_code(code),
            None => {
                let text = shown(params, found.pingback_type());
                return Err(invalid("type", "a pingback type code such as 0 or 2", text));
            }
        };
        let is_test = match found.is_test_bytes(params) {
            b"" | b"0" => false,
            b"1" => true,
            _ => {
                let text = shown(params, found.is_test());
                return Err(invalid("is_test", "`1`, `0` or empty", text));
            }
        };
        let reason = match Some(found.reason_bytes(params)).filter(|text| !text.is_empty()) {
            None => None,
            Some(text) => match parse_code_bytes(text) {
                Some(code) => Some(ChargebackReason::from_code(code)),
                None => {
                    let text = shown(params, found.reason());
                    return Err(invalid(
                        "reason",
                        "a chargeback reason code such as 1 or 9",
                        text,
                    ));
                }
            },
        };
        let goods = match api {
            ApiType::DigitalGoods => GoodsFields::DigitalGoods {
                goodsid: scalar(
                    found.goodsid(),
                    found.goodsid_array,
                    "goodsid",
                    "a product id",
                )?,
                // The same strict rule as the schema's integer kind: digits
                // with an optional minus, no `+` or spaces.
                slength: match Some(found.slength_bytes(params)).filter(|text| !text.is_empty()) {
                    None => None,
                    Some(text) => match integer32(text) {
                        Ok(length) => Some(length),
                        Err(_) => {
                            let text = shown(params, found.slength());
                            return Err(invalid(
                                "slength",
                                "a whole number of periods, or empty",
                                text,
                            ));
                        }
                    },
                },
                speriod: match Some(found.speriod_bytes(params)).filter(|text| !text.is_empty()) {
                    None => None,
                    Some(text) => match SubscriptionPeriod::from_bytes(text) {
                        Some(period) => Some(period),
                        None => {
                            let text = shown(params, found.speriod());
                            return Err(invalid(
                                "speriod",
                                "`day`, `week`, `month`, `year` or empty",
                                text,
                            ));
                        }
                    },
                },
            },
            ApiType::VirtualCurrency => {
                let text = shown(params, found.currency());
                // The same rule as the schema's decimal kind: plain digits.
                let currency =
                    <Decimal as FromValue<kind::Decimal>>::from_value(text).map_err(|_| {
                        invalid("currency", "a decimal amount of virtual currency", text)
                    })?;
                GoodsFields::VirtualCurrency { currency }
            }
            ApiType::Cart => {
                if !found.goodsid_array {
                    let shown = shown(params, found.goodsid());
                    return Err(invalid(
                        "goodsid",
                        "an array goodsid[0], goodsid[1], ...",
                        shown,
                    ));
                }
                GoodsFields::Cart
            }
        };
        Ok(Fields {
            uid,
            reference,
            kind,
            is_test,
            reason,
            goods,
        })
    }

    pub(crate) fn envelope<'a>(&self, params: &'a Params) -> Envelope<'a> {
        Envelope {
            uid: params.value_at(self.uid as usize),
            reference: params.value_at(self.reference as usize),
            kind: self.kind,
            is_test: self.is_test,
            reason: self.reason,
            goods: match self.goods {
                GoodsFields::DigitalGoods {
                    goodsid,
                    slength,
                    speriod,
                } => Goods::DigitalGoods {
                    goodsid: params.value_at(goodsid as usize),
                    slength,
                    speriod,
                },
                GoodsFields::VirtualCurrency { currency } => Goods::VirtualCurrency { currency },
                GoodsFields::Cart => Goods::Cart {
                    product_ids: params
                        .get_array("goodsid")
                        .map(|items| items.map(|(_, id)| id).collect())
                        .unwrap_or_default(),
                },
            },
        }
    }

    pub(crate) fn reference<'a>(&self, params: &'a Params) -> &'a str {
        params.value_at(self.reference as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(api: ApiType, pairs: &[(&str, &str)]) -> Result<Fields, EnvelopeError> {
        let params = Params::from_pairs(pairs.iter().copied()).unwrap();
        Fields::decode(api, &params, &Standard::find(&params))
    }

    const BASE: [(&str, &str); 3] = [("uid", "u"), ("ref", "r"), ("type", "0")];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut pairs = BASE.to_vec();
        pairs.retain(|(name, _)| !extra.iter().any(|(n, _)| n == name));
        pairs.extend_from_slice(extra);
        pairs
    }

    /// The base pairs with `extra`, as parameters.
    fn params_with(extra: &[(&'static str, &'static str)]) -> Params {
        Params::from_pairs(with(extra)).unwrap()
    }

    /// The envelope of `params`, which decode for `api`.
    fn envelope_of(api: ApiType, params: &Params) -> Envelope<'_> {
        Fields::decode(api, params, &Standard::find(params))
            .unwrap()
            .envelope(params)
    }

    #[test]
    fn digital_goods_empty_subscription_fields_are_none_and_negative_length_is_kept() {
        let params = params_with(&[("goodsid", "g"), ("slength", ""), ("speriod", "")]);
        let envelope = envelope_of(ApiType::DigitalGoods, &params);
        assert_eq!(
            envelope.goods,
            Goods::DigitalGoods {
                goodsid: "g",
                slength: None,
                speriod: None
            }
        );
        let params = params_with(&[
            ("goodsid", "g"),
            ("slength", "-5"),
            ("speriod", "week"),
            ("type", "2"),
            ("reason", "9"),
        ]);
        let envelope = envelope_of(ApiType::DigitalGoods, &params);
        assert_eq!(
            envelope.goods,
            Goods::DigitalGoods {
                goodsid: "g",
                slength: Some(-5),
                speriod: Some(SubscriptionPeriod::Week)
            }
        );
        assert_eq!(envelope.kind, PingbackType::Chargeback);
        assert_eq!(envelope.reason, Some(ChargebackReason::CancelledOrder));
    }

    #[test]
    fn bad_standard_values_name_the_parameter() {
        let cases: [(&[(&str, &str)], &str); 8] = [
            (&[("type", "x")], "type"),
            (&[("type", "-1")], "type"),
            (&[("is_test", "yes")], "is_test"),
            (&[("reason", "fraud")], "reason"),
            (&[("slength", "1.5")], "slength"),
            (&[("slength", "+5")], "slength"),
            (&[("speriod", "fortnight")], "speriod"),
            (&[("goodsid[0]", "a")], "goodsid"),
        ];
        for (extra, parameter) in cases {
            let mut pairs = with(extra);
            if !pairs.iter().any(|(n, _)| n.starts_with("goodsid")) {
                pairs.push(("goodsid", "g"));
            }
            let err = decode(ApiType::DigitalGoods, &pairs).unwrap_err();
            assert_eq!(err.parameter, parameter, "{extra:?}");
        }
    }

    #[test]
    fn a_ref_is_at_most_max_bytes_long_counted_after_decoding() {
        let longest = "\u{e9}".repeat(Reference::MAX_BYTES / 2);
        for (reference, taken) in [
            ("r", true),
            (longest.as_str(), true),
            (&longest[..Reference::MAX_BYTES - 2], true),
            (&format!("{longest}r"), false),
        ] {
            let pairs = [
                ("uid", "u"),
                ("goodsid", "g"),
                ("type", "0"),
                ("ref", reference),
            ];
            let result = decode(ApiType::DigitalGoods, &pairs);
            match result {
                Ok(_) => assert!(taken, "{} bytes taken", reference.len()),
                Err(err) => {
                    assert!(!taken, "{} bytes: {err}", reference.len());
                    assert_eq!(err.parameter, "ref");
                    assert!(err.to_string().contains("1,024 bytes"), "{err}");
                }
            }
        }
        // Percent-encoded, the longest is three times as long on the wire.
        let query = format!(
            "uid=u&goodsid=g&type=0&ref={}",
            "%41".repeat(Reference::MAX_BYTES)
        );
        let params = Params::parse(query.as_bytes(), &crate::Limits::default()).unwrap();
        assert!(Fields::decode(ApiType::DigitalGoods, &params, &Standard::find(&params)).is_ok());
        // The words say the limit the code checks.
        let (thousands, rest) = (Reference::MAX_BYTES / 1000, Reference::MAX_BYTES % 1000);
        assert!(REFERENCE.ends_with(&format!(" at most {thousands},{rest:03} bytes")));
    }

    #[test]
    fn virtual_currency_amount_is_a_decimal() {
        let params = params_with(&[("currency", "12.50")]);
        let envelope = envelope_of(ApiType::VirtualCurrency, &params);
        assert_eq!(
            envelope.goods,
            Goods::VirtualCurrency {
                currency: Decimal::new(1250, 2)
            }
        );
        for bad in ["1e3", "1_000", "+5", ".5", ""] {
            assert_eq!(
                decode(ApiType::VirtualCurrency, &with(&[("currency", bad)]))
                    .unwrap_err()
                    .parameter,
                "currency",
                "{bad}"
            );
        }
    }

    #[test]
    fn cart_product_ids_are_in_key_order() {
        let params = params_with(&[("goodsid[1]", "b"), ("goodsid[0]", "a")]);
        let envelope = envelope_of(ApiType::Cart, &params);
        assert_eq!(
            envelope.goods,
            Goods::Cart {
                product_ids: vec!["a", "b"]
            }
        );
        assert_eq!(
            decode(ApiType::Cart, &with(&[("goodsid", "a")]))
                .unwrap_err()
                .parameter,
            "goodsid"
        );
    }

    #[test]
    fn test_flag_and_unknown_types() {
        let params = params_with(&[("goodsid", "g"), ("is_test", "1"), ("type", "99")]);
        let envelope = envelope_of(ApiType::DigitalGoods, &params);
        assert!(envelope.is_test);
        assert_eq!(envelope.kind, PingbackType::Unknown(99));
    }
}
