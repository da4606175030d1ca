//! The code `#[derive(Pingback)]` generates, run on real signed pingbacks
//! for each API type: every value kind valid, empty and malformed; the
//! seed's `OWN` example; parameters the schema does not declare; the
//! handler dispatch; the settings table and the widget call.

use pw_runtime::time::{OffsetDateTime, PrimitiveDateTime};
use pw_runtime::{
    signature, ApiType, ChargebackReason, ChargebackType, CountryCode, Currency, Decimal,
    DecodeError, Delivery, Grant, HandledBy, HandlerError, Notice, OriginalPayment, Pingback,
    PingbackType, RecordedReversal, RefHistory, Reference, Rejection, Reversal, SecretKey,
    SignatureVersion, Source, SubscriptionPeriod, UniqueRef, VerifiedPingback,
};
use std::net::IpAddr;
use std::sync::Mutex;
use time::macros::datetime;

const SECRET: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// Signs `pairs` as Paymentwall would and verifies them from a Paymentwall
/// address, so every decode below starts from a real verified pingback.
fn verified(api: ApiType, pairs: &[(&str, &str)]) -> VerifiedPingback {
    verify(api, pairs).unwrap_or_else(|rejection| panic!("{pairs:?}: {rejection}"))
}

fn verify(api: ApiType, pairs: &[(&str, &str)]) -> Result<VerifiedPingback, Rejection> {
    let secret = SecretKey::new(SECRET);
    let version = SignatureVersion::V2;
    let query = signature::sign_pingback(api, version, &secret, pairs.iter().copied()).unwrap();
    pw_runtime::Verifier::new(api, SECRET).verify(
        query.as_bytes(),
        &Source::peer("174.36.92.186".parse().unwrap()),
    )
}

/// A digital-goods schema holding one field of every value kind.
#[derive(Pingback, Debug)]
#[pingback(api = "digital_goods")]
struct Everything {
    #[pingback(system = "REVENUE_LOCAL", param = "rev")]
    revenue: Decimal,
    #[pingback(system = "REVENUE", param = "rev_usd")]
    revenue_text: Option<String>,
    #[pingback(system = "PAYMENT_DATETIME", param = "paid")]
    paid: PrimitiveDateTime,
    #[pingback(system = "PAYMENT_DATETIME_UTC", param = "paid_utc")]
    paid_utc: OffsetDateTime,
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
    length: Option<i32>,
    #[pingback(standard = "speriod")]
    period: Option<SubscriptionPeriod>,
    #[pingback(standard = "type")]
    kind: PingbackType,
    #[pingback(own)]
    campaign: String,
}

/// A valid digital-goods pingback for [`Everything`].
const VALID: &[(&str, &str)] = &[
    ("uid", "user 1"),
    ("goodsid", "gems_100"),
    ("slength", "-5"),
    ("speriod", "month"),
    ("type", "2"),
    ("ref", "b1493096790"),
    ("rev", "9.99"),
    ("rev_usd", "10.50"),
    ("paid", "2024-02-29 23:59:58"),
    ("paid_utc", "2024-03-01 04:59:58"),
    ("country", "US"),
    ("country3", "DEU"),
    ("cur", "EUR"),
    ("recurring", "1"),
    ("ip", "2001:db8::1"),
    ("reference", "b1493096790"),
    ("unique", "b1493096790_2"),
    ("cb_reason", "9"),
    ("cb_type", "refund"),
    ("sub", "sub_42"),
    ("campaign", "spring & summer"),
];

fn with(name: &str, value: &str) -> Vec<(String, String)> {
    VALID
        .iter()
        .map(|&(n, v)| (n.to_owned(), if n == name { value } else { v }.to_owned()))
        .collect()
}

fn decode(pairs: &[(String, String)]) -> Result<Everything, DecodeError> {
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    Delivery::<Everything>::decode(verified(ApiType::DigitalGoods, &pairs))
        .map(Delivery::into_fields)
}

#[test]
fn every_value_kind_decodes_when_valid() {
    let fields = decode(&with("", "")).unwrap();
    assert_eq!(fields.revenue, Decimal::new(999, 2));
    assert_eq!(fields.revenue_text.as_deref(), Some("10.50"));
    assert_eq!(fields.paid, datetime!(2024-02-29 23:59:58));
    assert_eq!(fields.paid_utc, datetime!(2024-03-01 04:59:58 UTC));
    assert_eq!(fields.country, CountryCode::USA);
    assert_eq!(fields.country3, CountryCode::DEU);
    assert_eq!(fields.currency, Currency::EUR);
    assert!(fields.recurring);
    assert_eq!(fields.ip, "2001:db8::1".parse::<IpAddr>().unwrap());
    assert_eq!(fields.reference.as_str(), "b1493096790");
    assert_eq!(
        fields.unique,
        UniqueRef::new("b1493096790", PingbackType::Chargeback)
    );
    assert_eq!(
        fields.chargeback_reason,
        Some(ChargebackReason::CancelledOrder)
    );
    assert_eq!(fields.chargeback_type, Some(ChargebackType::Refund));
    assert_eq!(fields.subscription.as_deref(), Some("sub_42"));
    assert_eq!(fields.length, Some(-5));
    assert_eq!(fields.period, Some(SubscriptionPeriod::Month));
    assert_eq!(fields.kind, PingbackType::Chargeback);
    assert_eq!(fields.campaign, "spring & summer");
}

/// Each parameter with a malformed value, and whether its field is an
/// `Option` (empty → `None`) or not (empty → missing).
const CASES: &[(&str, &str, bool)] = &[
    ("rev", "9,99", false),
    ("rev_usd", "1e3", true),
    ("paid", "2024-02-30 00:00:00", false),
    ("paid_utc", "2024-03-01T04:59:58Z", false),
    ("country", "XX", false),
    ("country3", "US", false),
    ("cur", "EURO", false),
    ("recurring", "yes", false),
    ("ip", "300.1.1.1", false),
    ("reference", "b1 2", false),
    ("unique", "b1493096790", false),
    ("cb_reason", "nine", true),
    ("cb_type", "dispute", true),
    ("slength", "+5", true),
    ("speriod", "fortnight", true),
    ("campaign", "", false),
];

/// Standard parameters are typed by the verifier's envelope, before the
/// schema: a malformed one is rejected there, with the same 400.
const STANDARD: &[&str] = &["slength", "speriod"];

#[test]
fn a_malformed_value_names_the_parameter_the_kind_and_the_value() {
    for &(name, bad, _) in CASES.iter().filter(|(_, bad, _)| !bad.is_empty()) {
        if STANDARD.contains(&name) {
            let pairs = with(name, bad);
            let pairs: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let rejection = verify(ApiType::DigitalGoods, &pairs).unwrap_err();
            assert!(
                matches!(rejection, Rejection::Envelope(_)),
                "{name}: {rejection:?}"
            );
            assert!(rejection.to_string().contains(name) && rejection.to_string().contains(bad));
            assert_eq!(rejection.status(), 400);
            continue;
        }
        let error = decode(&with(name, bad)).unwrap_err();
        let DecodeError::Invalid {
            parameter, value, ..
        } = &error
        else {
            panic!("{name}={bad}: {error:?}");
        };
        assert_eq!((*parameter, value.as_str()), (name, bad));
        let message = error.to_string();
        assert!(
            message.contains(&format!("`{name}`")) && message.contains(bad),
            "{message}"
        );
        assert_eq!(error.status(), 400);
    }
}

/// A decode error goes to logs and response bodies: it shows a short
/// prefix of the value received, not all of it.
#[test]
fn a_decode_error_shows_a_short_prefix_of_the_value() {
    let long = format!("{}x", "9".repeat(500));
    let error = decode(&with("rev", &long)).unwrap_err();
    let message = error.to_string();
    let shown = "9".repeat(pw_runtime::SHOWN_VALUE_CHARS);
    assert!(message.contains(&format!("`{shown}…`")), "{message}");
    assert!(message.len() < 200, "{message}");
    let DecodeError::Invalid { value, .. } = error else {
        panic!("{error:?}");
    };
    assert_eq!(value, format!("{shown}…"));
}

#[test]
fn an_empty_value_is_none_in_an_option_and_missing_otherwise() {
    for &(name, _, optional) in CASES {
        let result = decode(&with(name, ""));
        if optional {
            assert!(result.is_ok(), "{name}: {result:?}");
        } else {
            let error = result.unwrap_err();
            assert!(
                matches!(error, DecodeError::Missing { parameter, .. } if parameter == name),
                "{name}: {error:?}"
            );
        }
    }
    // Absent entirely is the same as empty.
    let absent: Vec<(String, String)> = with("", "")
        .into_iter()
        .filter(|(n, _)| n != "sub" && n != "rev")
        .collect();
    let error = decode(&absent).unwrap_err();
    assert_eq!(
        error.to_string(),
        "parameter `rev` is missing or empty: expected a decimal amount such as `9.99`"
    );
}

/// The seed `custom-pingback-parameters.txt`: `my_custom_param = OWN`.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct SeedExample {
    #[pingback(own)]
    my_custom_param: String,
}

#[test]
fn the_seed_example_own_parameter_arrives_signed() {
    let pingback = verified(
        ApiType::DigitalGoods,
        &[
            ("goodsid", "gold_membership"),
            ("is_test", "1"),
            ("my_custom_param", "my custom value"),
            ("ref", "b1493096790"),
            ("slength", "1"),
            ("speriod", "month"),
            ("type", "0"),
            ("uid", "pwuser"),
        ],
    );
    let delivery = Delivery::<SeedExample>::decode(pingback).unwrap();
    assert_eq!(delivery.my_custom_param, "my custom value");
    assert!(delivery.is_test());
    assert_eq!(
        SeedExample::settings_table().to_string(),
        "Paymentwall > Project > Settings > Custom Pingback Parameters:\n\
         | Parameter name  | Value |\n\
         |-----------------|-------|\n\
         | my_custom_param | OWN   |\n"
    );
}

#[test]
fn an_undeclared_signed_parameter_is_accepted_and_visible() {
    let pingback = verified(
        ApiType::DigitalGoods,
        &[
            ("uid", "u"),
            ("goodsid", "g"),
            ("type", "0"),
            ("ref", "r"),
            ("my_custom_param", "v"),
            ("NEW_PAYMENTWALL_PARAM", "added later"),
        ],
    );
    let delivery = Delivery::<SeedExample>::decode(pingback).unwrap();
    assert_eq!(
        delivery.params().get("NEW_PAYMENTWALL_PARAM"),
        Some("added later")
    );
}

/// A virtual-currency schema.
#[derive(Pingback, Debug)]
#[pingback(api = "virtual_currency", min_version = 3)]
struct Coins {
    #[pingback(standard = "currency")]
    amount: Decimal,
    #[pingback(system = "VIRTUAL_CURRENCY_UNDISCOUNTED", param = "before_bonus")]
    before_bonus: Decimal,
    #[pingback(system = "USER_PAYMENT_ACCOUNT_COUNTRY_CODE", param = "card_country")]
    card_country: Option<CountryCode>,
}

#[test]
fn virtual_currency_schema_decodes_and_enforces_its_version() {
    let pairs = [
        ("uid", "u"),
        ("currency", "150.5"),
        ("type", "0"),
        ("ref", "r"),
        ("before_bonus", "100"),
        ("card_country", ""),
    ];
    let secret = SecretKey::new(SECRET);
    let v3 = signature::sign_pingback(
        ApiType::VirtualCurrency,
        SignatureVersion::V3,
        &secret,
        pairs,
    )
    .unwrap();
    let peer = Source::peer("174.36.92.186".parse().unwrap());
    let pingback = Coins::verifier(SECRET)
        .build()
        .verify(v3.as_bytes(), &peer)
        .unwrap();
    let coins = Delivery::<Coins>::decode(pingback).unwrap();
    assert_eq!(coins.amount, Decimal::new(1505, 1));
    assert_eq!(coins.before_bonus, Decimal::new(100, 0));
    assert_eq!(coins.card_country, None);

    // Version 2 is below this schema's policy: its verifier refuses it, and
    // a pingback verified elsewhere at version 2 does not decode.
    let v2 = verified(ApiType::VirtualCurrency, &pairs);
    assert!(Coins::verifier(SECRET)
        .build()
        .verify(v2.params().to_query_string().as_bytes(), &peer)
        .is_err());
    let error = Delivery::<Coins>::decode(v2).unwrap_err();
    assert!(
        matches!(error, DecodeError::VersionTooLow { .. }),
        "{error:?}"
    );
    assert_eq!(error.status(), 403);
}

/// A cart schema binding the product list.
#[derive(Pingback, Debug)]
#[pingback(api = "cart")]
struct Order {
    #[pingback(standard = "goodsid")]
    products: Vec<String>,
    #[pingback(own, param = "order_id")]
    order: String,
}

#[test]
fn cart_schema_decodes_the_product_list() {
    let pingback = verified(
        ApiType::Cart,
        &[
            ("uid", "u"),
            ("goodsid[0]", "sword"),
            ("goodsid[1]", "shield"),
            ("type", "0"),
            ("ref", "r"),
            ("order_id", "o-17"),
        ],
    );
    let order = Delivery::<Order>::decode(pingback).unwrap();
    assert_eq!(order.products, ["sword", "shield"]);
    assert_eq!(order.order, "o-17");
}

#[test]
fn a_pingback_of_another_api_does_not_decode() {
    let pingback = verified(
        ApiType::DigitalGoods,
        &[("uid", "u"), ("goodsid", "g"), ("type", "0"), ("ref", "r")],
    );
    let error = Delivery::<Order>::decode(pingback).unwrap_err();
    assert!(matches!(error, DecodeError::WrongApi { .. }), "{error:?}");
}

/// Records which handler method ran, with its argument.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<String>>,
}

impl Recorder {
    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }
}

impl SeedExampleHandler for Recorder {
    async fn deliver(
        &self,
        payment: &mut Delivery<SeedExample>,
        grant: Grant,
    ) -> Result<(), HandlerError> {
        let reversed = grant.reversal().map(|r| r.unique_ref().to_string());
        self.record(format!(
            "deliver {} {:?} reversed={reversed:?}",
            payment.my_custom_param,
            grant.kind()
        ));
        Ok(())
    }

    async fn take_back(
        &self,
        reversal: &mut Delivery<SeedExample>,
        why: Reversal,
        original: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        let original = original.map(|o| o.fields::<SeedExample>().unwrap().my_custom_param);
        self.record(format!(
            "take_back {} {why:?} {original:?}",
            reversal.reference()
        ));
        Ok(())
    }

    async fn notice(
        &self,
        _: &mut Delivery<SeedExample>,
        notice: Notice,
    ) -> Result<(), HandlerError> {
        if notice == Notice::SubscriptionRenewalFailed {
            return Err(HandlerError::new("renewal failed"));
        }
        self.record(format!("notice {notice:?}"));
        Ok(())
    }
}

fn seed_pingback(kind: &str, reason: &str, campaign: &str) -> VerifiedPingback {
    let mut pairs = vec![
        ("uid", "u"),
        ("goodsid", "g"),
        ("type", kind),
        ("ref", "r1"),
        ("my_custom_param", campaign),
    ];
    if !reason.is_empty() {
        pairs.push(("reason", reason));
    }
    verified(ApiType::DigitalGoods, &pairs)
}

async fn dispatch(
    handler: &Recorder,
    kind: &str,
    reason: &str,
    history: RefHistory,
) -> Result<(), HandlerError> {
    let mut delivery = Delivery::<SeedExample>::decode(seed_pingback(kind, reason, "c")).unwrap();
    SeedExample::dispatch(handler, &mut delivery, history).await
}

#[tokio::test]
async fn each_pingback_type_reaches_its_handler_method() {
    let handler = Recorder::default();
    for kind in ["0", "1", "201", "200", "203", "12", "13"] {
        dispatch(&handler, kind, "", RefHistory::new())
            .await
            .unwrap();
    }
    let payment = seed_pingback("0", "", "orig");
    let original = OriginalPayment::new(
        payment.unique_ref(),
        payment.into_params(),
        std::time::SystemTime::now(),
    );
    let with_original = RefHistory::new().with_original(Some(original));
    dispatch(&handler, "2", "9", with_original.clone())
        .await
        .unwrap();
    dispatch(&handler, "2", "", RefHistory::new())
        .await
        .unwrap();
    dispatch(&handler, "202", "", with_original).await.unwrap();
    // A delivery after a recorded reversal of its ref says so.
    let chargeback = seed_pingback("2", "2", "c").into_params();
    let reversal = RecordedReversal::from_params(chargeback, std::time::SystemTime::now());
    assert!(reversal.is_some());
    dispatch(
        &handler,
        "201",
        "",
        RefHistory::new().with_reversal(reversal),
    )
    .await
    .unwrap();
    // A method's error is the dispatch's error.
    let error = dispatch(&handler, "14", "", RefHistory::new())
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "renewal failed");
    assert_eq!(
        *handler.calls.lock().unwrap(),
        [
            "deliver c Payment reversed=None",
            "deliver c Goodwill reversed=None",
            "deliver c RiskReviewAccepted reversed=None",
            "notice RiskReviewPending",
            "notice AuthorizationVoided",
            "notice SubscriptionCancelled",
            "notice SubscriptionExpired",
            "take_back r1 Chargeback { reason: Some(CancelledOrder) } Some(\"orig\")",
            "take_back r1 Chargeback { reason: None } None",
            "take_back r1 RiskReviewDeclined Some(\"orig\")",
            "deliver c RiskReviewAccepted reversed=Some(\"r1_2\")",
        ]
    );
}

#[tokio::test]
async fn an_undocumented_type_is_refused_by_default() {
    let handler = Recorder::default();
    let error = dispatch(&handler, "99", "", RefHistory::new())
        .await
        .unwrap_err();
    assert_eq!(error.unhandled(), Some(PingbackType::Unknown(99)));
    assert!(handler.calls.lock().unwrap().is_empty());
}

#[test]
fn the_widget_call_carries_the_own_parameters() {
    let own = SeedExampleOwn {
        my_custom_param: "my custom value".to_owned(),
    };
    let url = SeedExample::widget_call("project-key", SECRET, &own)
        .uid("pwuser")
        .widget("p1_1")
        .ps("all")
        .success_url("https://example.com/ok")
        .failure_url("https://example.com/failed")
        .url()
        .unwrap();
    assert!(url.contains("my_custom_param=my+custom+value"), "{url}");
    assert!(
        url.contains("success_url=https%3A%2F%2Fexample.com%2Fok"),
        "{url}"
    );
    assert!(!url.contains(SECRET));
}
