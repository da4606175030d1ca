//! Decoding into derived schemas holding every value kind, from pingbacks
//! the harness signs (so that decoding, not the signature, decides): any
//! values, present or absent, never a panic; a value that decodes is one
//! its kind allows.

#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use pw_runtime::signature::sign_pingback;
use pw_runtime::time::{OffsetDateTime, PrimitiveDateTime};
use pw_runtime::{
    ApiType, ChargebackReason, ChargebackType, CountryCode, Currency, Decimal, Delivery, Pingback,
    PingbackType, Reference, SecretKey, SignatureVersion, Source, SubscriptionPeriod, UniqueRef,
    Verifier,
};

const SECRET: &str = "b6e0c2f1a9d8e7c6b5a4f3e2d1c0b9a8";

/// A digital goods schema with a field of every value kind.
#[derive(Pingback, Debug)]
#[pingback(api = "digital_goods")]
#[allow(dead_code)]
struct Goods {
    #[pingback(system = "REVENUE_LOCAL", param = "rev")]
    revenue: Decimal,
    #[pingback(system = "REVENUE", param = "rev_usd")]
    revenue_text: Option<String>,
    #[pingback(system = "PAYMENT_DATETIME", param = "paid")]
    paid: PrimitiveDateTime,
    #[pingback(system = "PAYMENT_DATETIME_UTC", param = "paid_utc")]
    paid_utc: OffsetDateTime,
    #[pingback(system = "RECURRING_BILLING_NEXT_DATE", param = "next")]
    next: Option<PrimitiveDateTime>,
    #[pingback(system = "COUNTRY_CODE", param = "country")]
    country: CountryCode,
    #[pingback(system = "COUNTRY_CODE_ALPHA3", param = "country3")]
    country3: CountryCode,
    #[pingback(system = "CURRENCY_CODE", param = "cur")]
    currency: Currency,
    #[pingback(system = "RECURRING_PAYMENT", param = "recurring")]
    recurring: bool,
    #[pingback(system = "USER_IP", param = "ip")]
    ip: IpAddr,
    #[pingback(system = "REFERENCE_ID", param = "reference")]
    reference: Reference,
    #[pingback(system = "UNIQUE_REF", param = "unique")]
    unique: UniqueRef,
    #[pingback(system = "CHARGEBACK_REASON", param = "cb_reason")]
    chargeback_reason: Option<ChargebackReason>,
    #[pingback(system = "CHARGEBACK_TYPE", param = "cb_type")]
    chargeback_type: Option<ChargebackType>,
    #[pingback(system = "SUBSCRIPTION_ID", param = "sub")]
    subscription: Option<String>,
    #[pingback(standard = "slength")]
    length: Option<i64>,
    #[pingback(standard = "speriod")]
    period: Option<SubscriptionPeriod>,
    #[pingback(standard = "type")]
    kind: PingbackType,
    #[pingback(own)]
    campaign: String,
}

/// A virtual currency schema: decimals and integers of its own.
#[derive(Pingback, Debug)]
#[pingback(api = "virtual_currency", min_version = 3)]
#[allow(dead_code)]
struct Coins {
    #[pingback(standard = "currency")]
    amount: Decimal,
    #[pingback(system = "VIRTUAL_CURRENCY_UNDISCOUNTED", param = "before_bonus")]
    before_bonus: Option<Decimal>,
    #[pingback(system = "USER_PAYMENT_ACCOUNT_COUNTRY_CODE", param = "card_country")]
    card_country: Option<CountryCode>,
    #[pingback(own, param = "level")]
    level: Option<String>,
}

/// A cart schema: the product list.
#[derive(Pingback, Debug)]
#[pingback(api = "cart")]
#[allow(dead_code)]
struct Order {
    #[pingback(standard = "goodsid")]
    products: Vec<String>,
    #[pingback(own, param = "order_id")]
    order: String,
}

/// Every parameter name any of the schemas reads.
const NAMES: [&str; 24] = [
    "uid", "ref", "type", "goodsid", "slength", "speriod", "currency", "is_test", "reason", "rev",
    "rev_usd", "paid", "paid_utc", "next", "country", "country3", "cur", "recurring", "ip",
    "reference", "unique", "cb_reason", "cb_type", "sub",
];

/// A valid value for each of [`NAMES`], as a start.
const VALID: [&str; 24] = [
    "user 1", "b1493096790", "2", "gems_100", "-5", "month", "1500.50", "1", "9", "9.99", "10.50",
    "2024-02-29 23:59:58", "2024-03-01 04:59:58", "2024-04-01 00:00:00", "US", "DEU", "EUR", "1",
    "2001:db8::1", "b1493096790", "b1493096790_2", "9", "refund", "sub_42",
];

/// What a parameter carries: its valid value, nothing, or any text.
#[derive(Debug, Arbitrary)]
enum Field {
    Valid,
    Absent,
    Value(String),
}

impl Field {
    fn pair(self, name: &str, valid: &str) -> Option<(String, String)> {
        match self {
            Field::Valid => Some((name.to_owned(), valid.to_owned())),
            Field::Absent => None,
            Field::Value(value) => Some((name.to_owned(), value)),
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    api: u8,
    /// Each of [`NAMES`], then the schemas' own parameters.
    values: [Field; 24],
    campaign: Field,
    level: Field,
    order: Field,
    before_bonus: Field,
    card_country: Field,
    products: Vec<String>,
}

fn decode<P: Pingback + std::fmt::Debug>(api: ApiType, pairs: &[(String, String)]) {
    let secret = SecretKey::new(SECRET);
    let Ok(query) = sign_pingback(api, SignatureVersion::V3, &secret, pairs.iter().map(|(n, v)| (n, v)))
    else {
        return;
    };
    let verifier = Verifier::builder(api, SECRET).build();
    let Ok(pingback) = verifier.verify(query.as_bytes(), &Source::peer("174.36.92.186".parse().unwrap()))
    else {
        return;
    };
    let direct = P::from_params(pingback.params());
    match Delivery::<P>::decode(pingback) {
        Ok(delivery) => {
            assert!(direct.is_ok());
            let _ = format!("{:?}", delivery.fields());
        }
        Err(error) => {
            assert!(direct.is_err());
            let _ = (error.status(), error.to_string());
        }
    }
}

fuzz_target!(|input: Input| {
    let mut pairs: Vec<(String, String)> = NAMES
        .iter()
        .zip(VALID)
        .zip(input.values)
        .filter_map(|((name, valid), field)| field.pair(name, valid))
        .collect();
    let own = [
        ("campaign", "spring & summer", input.campaign),
        ("level", "7", input.level),
        ("order_id", "o-17", input.order),
        ("before_bonus", "1400", input.before_bonus),
        ("card_country", "FR", input.card_country),
    ];
    pairs.extend(own.into_iter().filter_map(|(name, valid, field)| field.pair(name, valid)));
    match input.api % 3 {
        0 => decode::<Goods>(ApiType::DigitalGoods, &pairs),
        1 => decode::<Coins>(ApiType::VirtualCurrency, &pairs),
        _ => {
            pairs.retain(|(name, _)| name != "goodsid");
            pairs.extend(
                input.products.into_iter().take(40).enumerate().map(|(i, p)| (format!("goodsid[{i}]"), p)),
            );
            decode::<Order>(ApiType::Cart, &pairs)
        }
    }
});
