//! Tests of the widget-call builder: each typed setter, the amount rule,
//! the defaults, and what the official library does differently.

use super::*;
use crate::codes::Currency;
use crate::kinds::SubscriptionPeriod;
use crate::signature::widget_signature;
use rust_decimal::Decimal;
use time::macros::{date, datetime};

fn dg() -> WidgetCall<DigitalGoods> {
    WidgetCall::digital_goods("k", "s3cr3t")
        .uid("u")
        .widget("p1_1")
}

fn price(amount: &str, currency: Currency) -> Price {
    Price::parse(amount, currency).unwrap()
}

/// The parameters sent, without `key`, `uid`, `widget`, `sign_version`
/// and `sign`.
fn sent<A: WidgetApi>(call: &WidgetCall<A>) -> Vec<(String, String)> {
    call.pairs()
        .unwrap()
        .into_iter()
        .filter(|(name, _)| {
            !["key", "uid", "widget", "sign_version", "sign"].contains(&name.as_str())
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn the_signature_is_the_widget_signature_of_the_url_parameters() {
    let call = dg().param("x", "a&b").sign_version(SignatureVersion::V2);
    let url = call.url().unwrap();
    let query = url.split_once('?').unwrap().1;
    let decoded: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let (sign, rest) = decoded.split_last().unwrap();
    assert_eq!(sign.0, "sign");
    assert_eq!(
        sign.1,
        widget_signature(SignatureVersion::V2, rest, &SecretKey::new("s3cr3t"))
    );
    assert_eq!(call.pairs().unwrap(), decoded);
    assert!(!format!("{call:?}").contains("s3cr3t"));
    assert!(!url.contains("s3cr3t"));
}

#[test]
fn defaults_are_the_official_librarys() {
    let version = |pairs: Vec<(String, String)>| {
        pairs
            .into_iter()
            .find(|(name, _)| name == "sign_version")
            .map(|(_, v)| v)
    };
    assert_eq!(version(dg().pairs().unwrap()).as_deref(), Some("3"));
    let vc = WidgetCall::virtual_currency("k", "s")
        .uid("u")
        .widget("p10");
    assert_eq!(version(vc.pairs().unwrap()).as_deref(), Some("3"));
    let cart = WidgetCall::cart("k", "s")
        .uid("u")
        .widget("p1_1")
        .item(CartItem::new("a"));
    assert_eq!(version(cart.pairs().unwrap()).as_deref(), Some("2"));
    for v in [
        SignatureVersion::V1,
        SignatureVersion::V2,
        SignatureVersion::V3,
    ] {
        let sent = version(dg().sign_version(v).pairs().unwrap());
        assert_eq!(
            sent,
            Some(v.number().to_string()),
            "sent whatever the version"
        );
    }
    // Version 1 signs `uid` only.
    let v1 = |amount: &str| {
        dg().sign_version(SignatureVersion::V1)
            .product(Product::fixed("p", price(amount, Currency::USD)))
            .pairs()
            .unwrap()
            .pop()
    };
    assert_eq!(v1("1"), v1("2"));
}

#[test]
fn uid_and_widget_are_required() {
    let bare = WidgetCall::digital_goods("k", "s");
    assert_eq!(
        bare.clone().widget("w").url(),
        Err(WidgetError::Missing("uid"))
    );
    assert_eq!(bare.uid("u").url(), Err(WidgetError::Missing("widget")));
}

#[test]
fn reserved_names_are_refused() {
    for name in ["key", "sign", "sign_version"] {
        assert_eq!(
            dg().param(name, "x").url(),
            Err(WidgetError::Reserved(name.into()))
        );
    }
}

#[test]
fn setting_a_parameter_again_replaces_it_in_place() {
    let call = dg().param("a", "1").param("b", "2").param("a", "3");
    assert_eq!(sent(&call), pairs(&[("a", "3"), ("b", "2")]));
    let call = dg().ps("cc").ps("paypal");
    assert_eq!(sent(&call), pairs(&[("ps", "paypal")]));
}

#[test]
fn text_setters_send_their_text() {
    let call = dg()
        .ps("paypal")
        .email("user@example.com")
        .uid("user 40012");
    assert_eq!(
        call.pairs().unwrap()[1],
        ("uid".to_owned(), "user 40012".to_owned())
    );
    assert_eq!(
        sent(&call),
        pairs(&[("ps", "paypal"), ("email", "user@example.com")])
    );
}

#[test]
fn lang_and_country_code_send_their_codes() {
    let call = dg()
        .lang(Language::Por)
        .country_code(crate::CountryCode::BRA);
    assert_eq!(
        sent(&call),
        pairs(&[("lang", "pt"), ("country_code", "BR")])
    );
    let regional = dg().lang_with_region(Language::Por, crate::CountryCode::BRA);
    assert_eq!(sent(&regional), pairs(&[("lang", "pt_BR")]));
    // A language without an ISO 639-1 code (Klingon has only 639-3) is refused.
    let error = dg().lang(Language::Tlh).url().unwrap_err();
    assert!(matches!(error, WidgetError::InvalidValue { ref name, .. } if name == "lang"));
    let error = dg()
        .lang_with_region(Language::Tlh, crate::CountryCode::USA)
        .url()
        .unwrap_err();
    assert!(matches!(error, WidgetError::InvalidValue { ref name, .. } if name == "lang"));
    assert!(matches!(
        dg().param("country_code", "de").url(),
        Err(WidgetError::InvalidValue { .. })
    ));
}

#[test]
fn url_setters_take_absolute_web_urls_as_written() {
    let call = dg()
        .success_url("https://example.com/ok?x=1&y=2")
        .failure_url("http://example.com/fail")
        .pingback_url("https://example.com/päth?q=a b");
    assert_eq!(
        sent(&call),
        pairs(&[
            ("success_url", "https://example.com/ok?x=1&y=2"),
            ("failure_url", "http://example.com/fail"),
            ("pingback_url", "https://example.com/päth?q=a b"),
        ])
    );
    for bad in [
        "/ok",
        "example.com",
        "ftp://example.com/",
        "https://",
        "mailto:a@b.c",
        "",
    ] {
        for call in [
            dg().success_url(bad),
            dg().failure_url(bad),
            dg().pingback_url(bad),
        ] {
            assert!(
                matches!(call.url(), Err(WidgetError::InvalidValue { .. })),
                "{bad:?}"
            );
        }
    }
}

#[test]
fn evaluation_is_a_flag() {
    assert_eq!(sent(&dg().evaluation(true)), pairs(&[("evaluation", "1")]));
    assert_eq!(sent(&dg().evaluation(true).evaluation(false)), pairs(&[]));
    assert!(matches!(
        dg().param("evaluation", "true").url(),
        Err(WidgetError::InvalidValue { .. })
    ));
}

#[test]
fn customer_and_history_send_the_fields_that_are_set() {
    let customer = Customer {
        username: Some("ada".into()),
        firstname: Some("Ada".into()),
        lastname: Some("Lovelace".into()),
        birthday: Some(date!(1815 - 12 - 10)),
        sex: Some(Sex::Female),
        address: Some("12 St James's Square".into()),
        city: Some("London".into()),
        state: Some("Greater London".into()),
        zip: Some("SW1Y 4JH".into()),
        country: Some(crate::CountryCode::GBR),
    };
    assert_eq!(
        sent(&dg().customer(&customer)),
        pairs(&[
            ("customer[username]", "ada"),
            ("customer[firstname]", "Ada"),
            ("customer[lastname]", "Lovelace"),
            ("customer[birthday]", "-4861728000"),
            ("customer[sex]", "female"),
            ("customer[address]", "12 St James's Square"),
            ("customer[city]", "London"),
            ("customer[state]", "Greater London"),
            ("customer[zip]", "SW1Y 4JH"),
            ("customer[country]", "GB"),
        ])
    );
    let history = History {
        registration_date: Some(datetime!(2023-11-14 22:13:20 UTC)),
        registration_country: Some(crate::CountryCode::USA),
        registration_ip: Some("192.0.2.1".parse().unwrap()),
        registration_email: Some("a@example.com".into()),
        registration_email_verified: Some(true),
        registration_name: Some("Ada".into()),
        registration_lastname: Some("L".into()),
        registration_source: Some("affiliate_4312".into()),
        registration_age: Some(36),
        membership: Some("gold".into()),
        membership_date: Some(datetime!(2024-01-01 0:00 +1)),
        logins_number: Some(12),
        payments_number: Some(3),
        payments_amount: Some(Decimal::new(35500, 2)),
        cancelled_payments: Some(0),
        was_banned: Some(false),
        risk_score: Some(7),
    };
    assert_eq!(
        sent(&dg().history(&history)),
        pairs(&[
            ("history[registration_date]", "1700000000"),
            ("history[registration_country]", "US"),
            ("history[registration_ip]", "192.0.2.1"),
            ("history[registration_email]", "a@example.com"),
            ("history[registration_email_verified]", "1"),
            ("history[registration_name]", "Ada"),
            ("history[registration_lastname]", "L"),
            ("history[registration_source]", "affiliate_4312"),
            ("history[registration_age]", "36"),
            ("history[membership]", "gold"),
            ("history[membership_date]", "1704063600"),
            ("history[logins_number]", "12"),
            ("history[payments_number]", "3"),
            ("history[payments_amount]", "355"),
            ("history[cancelled_payments]", "0"),
            ("history[was_banned]", "0"),
            ("history[risk_score]", "7"),
        ])
    );
    assert_eq!(sent(&dg().customer(&Customer::default())), pairs(&[]));
    let risky = History {
        risk_score: Some(101),
        ..History::default()
    };
    assert!(matches!(
        dg().history(&risky).url(),
        Err(WidgetError::InvalidValue { .. })
    ));
    let extra = dg()
        .history_field("followers", 120)
        .customer_field("nickname", "ada");
    assert_eq!(
        sent(&extra),
        pairs(&[("history[followers]", "120"), ("customer[nickname]", "ada")])
    );
}

#[test]
fn profile_arrays_sit_together_in_the_url_and_sort_as_the_library_signs() {
    let call = dg()
        .param("customerId", "c1")
        .customer(&Customer {
            lastname: Some("L".into()),
            ..Customer::default()
        })
        .param("history2", "z")
        .history_field("reg2", "y")
        .customer_field("firstname", "A")
        .history_field("reg", "x");
    assert_eq!(
        sent(&call),
        pairs(&[
            ("customerId", "c1"),
            ("customer[lastname]", "L"),
            ("customer[firstname]", "A"),
            ("history2", "z"),
            ("history[reg2]", "y"),
            ("history[reg]", "x"),
        ])
    );
    let names: Vec<(String, String)> = call.pairs().unwrap();
    let unsigned = &names[..names.len() - 1];
    assert_eq!(
        crate::signature::widget_base_string(SignatureVersion::V3, unsigned),
        "customer[firstname]=Acustomer[lastname]=LcustomerId=c1history[reg]=xhistory[reg2]=y\
         history2=zkey=ksign_version=3uid=uwidget=p1_1"
    );
}

#[test]
fn a_fixed_product_sends_what_the_library_sends() {
    let call =
        dg().product(Product::fixed("gems_100", price("4.99", Currency::USD)).name("100 gems"));
    assert_eq!(
        sent(&call),
        pairs(&[
            ("amount", "4.99"),
            ("currencyCode", "USD"),
            ("ag_name", "100 gems"),
            ("ag_external_id", "gems_100"),
            ("ag_type", "fixed"),
        ])
    );
    // Without a name, no `ag_name`.
    let unnamed = dg().product(Product::fixed("gems_100", price("4.99", Currency::USD)));
    assert!(sent(&unnamed).iter().all(|(name, _)| name != "ag_name"));
}

#[test]
fn a_subscription_that_does_not_renew_sends_no_ag_recurring() {
    let call = dg().product(Product::subscription(
        "pass",
        price("5", Currency::EUR),
        3,
        SubscriptionPeriod::Day,
    ));
    assert_eq!(
        sent(&call),
        pairs(&[
            ("amount", "5"),
            ("currencyCode", "EUR"),
            ("ag_external_id", "pass"),
            ("ag_type", "subscription"),
            ("ag_period_length", "3"),
            ("ag_period_type", "day"),
        ])
    );
}

#[test]
fn a_recurring_subscription_and_its_trial() {
    let gold = Product::recurring(
        "gold",
        price("9.99", Currency::USD),
        1,
        SubscriptionPeriod::Month,
    )
    .name("Gold");
    assert_eq!(
        sent(&dg().product(gold.clone())),
        pairs(&[
            ("amount", "9.99"),
            ("currencyCode", "USD"),
            ("ag_name", "Gold"),
            ("ag_external_id", "gold"),
            ("ag_type", "subscription"),
            ("ag_period_length", "1"),
            ("ag_period_type", "month"),
            ("ag_recurring", "1"),
        ])
    );
    let trial = Trial::new(
        "gold_trial",
        price("1.00", Currency::USD),
        7,
        SubscriptionPeriod::Day,
    )
    .name("First week");
    assert_eq!(
        sent(&dg().product(gold.trial(trial.clone()))),
        pairs(&[
            ("amount", "1"),
            ("currencyCode", "USD"),
            ("ag_name", "First week"),
            ("ag_external_id", "gold_trial"),
            ("ag_type", "subscription"),
            ("ag_period_length", "7"),
            ("ag_period_type", "day"),
            ("ag_recurring", "1"),
            ("ag_trial", "1"),
            ("ag_post_trial_external_id", "gold"),
            ("ag_post_trial_period_length", "1"),
            ("ag_post_trial_period_type", "month"),
            ("ag_post_trial_name", "Gold"),
            ("post_trial_amount", "9.99"),
            ("post_trial_currencyCode", "USD"),
        ])
    );
    // A trial needs a recurring subscription.
    for product in [
        Product::fixed("x", price("1", Currency::USD)),
        Product::subscription("x", price("1", Currency::USD), 1, SubscriptionPeriod::Week),
    ] {
        assert_eq!(
            dg().product(product.trial(trial.clone())).url(),
            Err(WidgetError::TrialNotRecurring)
        );
    }
    // A length of zero periods is refused.
    let none = Product::recurring("x", price("1", Currency::USD), 0, SubscriptionPeriod::Week);
    assert!(matches!(
        dg().product(none).url(),
        Err(WidgetError::InvalidValue { ref name, .. }) if name == "ag_period_length"
    ));
}

#[test]
fn another_product_replaces_the_first() {
    let trial = Trial::new("t", price("1", Currency::USD), 7, SubscriptionPeriod::Day);
    let first = Product::recurring(
        "gold",
        price("9.99", Currency::USD),
        1,
        SubscriptionPeriod::Month,
    )
    .trial(trial);
    let call = dg()
        .ps("cc")
        .product(first)
        .product(Product::fixed("gems", price("2", Currency::EUR)));
    assert_eq!(
        sent(&call),
        pairs(&[
            ("amount", "2"),
            ("currencyCode", "EUR"),
            ("ag_external_id", "gems"),
            ("ag_type", "fixed"),
            ("ps", "cc"),
        ])
    );
}

#[test]
fn the_amount_rule_accepts_sends_and_refuses() {
    // Accepted, and sent in the shortest form.
    for (amount, currency, text) in [
        ("4.50", Currency::USD, "4.5"),
        ("10.00", Currency::USD, "10"),
        ("0.01", Currency::EUR, "0.01"),
        ("1500", Currency::JPY, "1500"),
        ("1.234", Currency::KWD, "1.234"),
    ] {
        let typed = dg().product(Product::fixed("p", price(amount, currency)));
        let raw = dg()
            .param("amount", amount)
            .param("currencyCode", currency.code());
        for call in [typed, raw] {
            let sent = sent(&call);
            assert_eq!(
                sent[0],
                ("amount".to_owned(), text.to_owned()),
                "{amount} {currency:?}"
            );
        }
    }
    // Refused, never rounded.
    for (amount, currency) in [
        ("4.999", "USD"),
        ("100.5", "JPY"),
        ("1.2345", "KWD"),
        ("0", "USD"),
        ("1", "XAU"),
        ("1000000000000000", "USD"),
        ("1e3", "USD"),
        ("-5", "USD"),
    ] {
        let error = dg()
            .param("amount", amount)
            .param("currencyCode", currency)
            .url()
            .unwrap_err();
        assert!(
            matches!(error, WidgetError::Amount { ref name, .. } if name == "amount"),
            "{amount} {currency}: {error}"
        );
    }
    // The same rule for the post-trial amount and for cart prices.
    let trial_amount = dg()
        .param("post_trial_amount", "9.999")
        .param("post_trial_currencyCode", "USD")
        .url();
    assert!(matches!(trial_amount, Err(WidgetError::Amount { .. })));
    let cart = WidgetCall::cart("k", "s")
        .uid("u")
        .widget("p1_1")
        .param("external_ids[0]", "a")
        .param("prices[0]", "3.333")
        .param("currencies[0]", "EUR")
        .url();
    assert!(matches!(cart, Err(WidgetError::Amount { ref name, .. }) if name == "prices[0]"));
}

#[test]
fn cart_items_send_their_arrays_grouped() {
    let call = WidgetCall::cart("k", "s")
        .uid("u")
        .widget("p1_1")
        .item(
            CartItem::new("a")
                .price(price("3.30", Currency::EUR))
                .name("A"),
        )
        .item(CartItem::new("b").price(price("7", Currency::USD)))
        .param("campaign", "c");
    assert_eq!(
        sent(&call),
        pairs(&[
            ("external_ids[0]", "a"),
            ("external_ids[1]", "b"),
            ("prices[0]", "3.3"),
            ("prices[1]", "7"),
            ("currencies[0]", "EUR"),
            ("currencies[1]", "USD"),
            ("names[0]", "A"),
            ("campaign", "c"),
        ])
    );
    let stored = WidgetCall::cart("k", "s")
        .uid("u")
        .widget("p1_1")
        .items((0..12).map(|i| CartItem::new(format!("p{i}"))));
    let sent = sent(&stored);
    assert_eq!(sent.len(), 12);
    assert_eq!(sent[11], ("external_ids[11]".to_owned(), "p11".to_owned()));
    // Some priced, some not: refused (the library would send price 0).
    let mixed = WidgetCall::cart("k", "s")
        .uid("u")
        .widget("p1_1")
        .item(CartItem::new("a").price(price("1", Currency::EUR)))
        .item(CartItem::new("b"));
    assert_eq!(mixed.url(), Err(WidgetError::CartPrices));
    let empty = WidgetCall::cart("k", "s").uid("u").widget("p1_1");
    assert_eq!(empty.url(), Err(WidgetError::Missing("external_ids")));
}

#[test]
fn names_php_cannot_order_are_refused() {
    // 9 < 1e1 as numbers, 1e1 < 1f and 1f < 9 as bytes.
    let call = dg().param("9", "a").param("1e1", "b").param("1f", "c");
    assert!(matches!(call.url(), Err(WidgetError::AmbiguousOrder(_))));
    // Version 1 signs `uid` only: no order to agree on.
    assert!(call.sign_version(SignatureVersion::V1).url().is_ok());
    // Numeric names that order well are signed as PHP orders them.
    let fine = dg().param("10", "ten").param("9", "nine");
    let pairs = fine.pairs().unwrap();
    let base =
        crate::signature::widget_base_string(SignatureVersion::V3, &pairs[..pairs.len() - 1]);
    assert!(base.starts_with("9=nine10=ten"), "{base}");
}

#[test]
fn malformed_names_are_refused() {
    for name in ["a.b", "a b", "a[b][c]", "a[]", "é", ""] {
        assert!(
            matches!(
                dg().param(name, "x").url(),
                Err(WidgetError::InvalidName { .. })
            ),
            "{name:?}"
        );
    }
    assert_eq!(
        dg().param("ps[0]", "x").url(),
        Err(WidgetError::InvalidValue {
            name: "ps[0]".into(),
            expected: "a single value, not an array"
        })
    );
    assert_eq!(
        dg().param("x", "1").param("x[0]", "2").url(),
        Err(WidgetError::ScalarAndArray("x".into()))
    );
}

#[test]
fn own_parameters_may_not_take_widget_names() {
    struct Own(&'static str);
    impl OwnParams for Own {
        fn own_params(&self) -> Vec<(&'static str, String)> {
            vec![(self.0, "v".to_owned())]
        }
    }
    for name in [
        "email",
        "widget",
        "ag_custom",
        "customer",
        "history[reg]",
        "amount",
    ] {
        assert_eq!(
            dg().own(&Own(name)).url(),
            Err(WidgetError::OwnCollision(name.into())),
            "{name}"
        );
    }
    // `post_trial_amount` is a parameter of Digital Goods calls only, `prices`
    // of carts only; `amount` of every call.
    let vc = WidgetCall::virtual_currency("k", "s")
        .uid("u")
        .widget("p10");
    assert!(vc.clone().own(&Own("post_trial_amount")).url().is_ok());
    assert_eq!(
        vc.own(&Own("amount")).url(),
        Err(WidgetError::OwnCollision("amount".into()))
    );
    assert!(dg().own(&Own("prices")).url().is_ok());
    assert_eq!(
        WidgetCall::cart("k", "s")
            .uid("u")
            .widget("p1_1")
            .item(CartItem::new("a"))
            .own(&Own("prices"))
            .url(),
        Err(WidgetError::OwnCollision("prices".into()))
    );
    assert_eq!(
        sent(&dg().own(&Own("campaign"))),
        pairs(&[("campaign", "v")])
    );
}

#[test]
fn the_endpoint_follows_the_api_and_may_be_replaced() {
    let starts = |url: Result<String, WidgetError>, with: &str| url.unwrap().starts_with(with);
    assert!(starts(
        dg().url(),
        "https://api.paymentwall.com/api/subscription?key=k&"
    ));
    let vc = WidgetCall::virtual_currency("k", "s").uid("u");
    assert!(starts(
        vc.clone().widget("p1_1").url(),
        "https://api.paymentwall.com/api/ps?"
    ));
    assert!(starts(
        vc.clone().widget("w1").url(),
        "https://api.paymentwall.com/api/?"
    ));
    assert!(starts(
        vc.widget("p1_1").endpoint("http://127.0.0.1/w?a=1").url(),
        "http://127.0.0.1/w?a=1&key=k&"
    ));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever text a parameter holds, the URL carries it encoded as
        /// PHP's `urlencode` would (only letters, digits, `-_.+%`), and
        /// decodes back to the parameters that were signed.
        #[test]
        fn any_text_survives_the_url(
            value in any::<String>(),
            key in "[^\\[\\]]{1,12}",
            uid in any::<String>(),
        ) {
            let call = dg()
                .uid(uid.as_str())
                .param("note", value.as_str())
                .history_field(&key, value.as_str());
            let url = call.url().unwrap();
            let query = url.split_once('?').unwrap().1;
            prop_assert!(query.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.+%=&".contains(&b)));
            let decoded: Vec<(String, String)> =
                form_urlencoded::parse(query.as_bytes()).into_owned().collect();
            prop_assert_eq!(&decoded, &call.pairs().unwrap());
            let (sign, rest) = decoded.split_last().unwrap();
            prop_assert_eq!(&sign.1, &widget_signature(SignatureVersion::V3, rest, &SecretKey::new("s3cr3t")));
        }

        /// An amount with at most the currency's decimals is accepted and
        /// sent as the same number; one with more is refused.
        #[test]
        fn amounts_are_kept_or_refused_never_rounded(
            mantissa in 1i64..10_000_000_000_000_000,
            scale in 0u32..6,
        ) {
            let amount = Decimal::new(mantissa, scale);
            for currency in [Currency::USD, Currency::JPY, Currency::KWD] {
                let minor = u32::from(currency.exponent().unwrap());
                match Price::new(amount, currency) {
                    Ok(price) => {
                        prop_assert_eq!(price.amount(), amount);
                        let sent: Decimal = price.amount_text().parse().unwrap();
                        prop_assert_eq!(sent, amount);
                        prop_assert!(amount.normalize().scale() <= minor);
                    }
                    Err(AmountError::TooPrecise { .. }) => {
                        prop_assert!(amount.normalize().scale() > minor);
                    }
                    Err(AmountError::TooLarge { .. }) => {
                        prop_assert!(amount.normalize().mantissa() >= 1_000_000_000_000_000);
                    }
                    Err(other) => prop_assert!(false, "{other}"),
                }
            }
        }
    }
}

#[test]
fn the_catalog_lists_every_name_the_widget_call_uses() {
    use crate::catalog::{collides_with_widget_call, widget_parameter, ApiSet, WidgetValueKind};
    let all = [
        ApiSet::VIRTUAL_CURRENCY,
        ApiSet::DIGITAL_GOODS,
        ApiSet::CART,
    ];
    for name in [
        "key",
        "uid",
        "widget",
        "sign",
        "sign_version",
        "email",
        "ps",
        "lang",
        "country_code",
        "evaluation",
        "success_url",
        "failure_url",
        "pingback_url",
        "amount",
        "currencyCode",
        "ag_name",
        "ag_anything",
        "customer",
        "customer[zip]",
        "history",
        "history[reg]",
        "ts",
        "firstname",
        "location",
        "location[city]",
    ] {
        for api in all {
            assert!(collides_with_widget_call(name, api), "{name} {api:?}");
        }
    }
    for name in [
        "post_trial_amount",
        "post_trial_currencyCode",
        "display_goodsid",
        "hide_goodsid[1]",
    ] {
        assert!(
            collides_with_widget_call(name, ApiSet::DIGITAL_GOODS),
            "{name}"
        );
        assert!(!collides_with_widget_call(name, ApiSet::CART), "{name}");
    }
    for name in ["external_ids", "prices", "currencies[0]", "names"] {
        assert!(collides_with_widget_call(name, ApiSet::CART), "{name}");
        assert!(
            !collides_with_widget_call(name, ApiSet::DIGITAL_GOODS),
            "{name}"
        );
    }
    for name in [
        "campaign",
        "customerId",
        "history2",
        "ag",
        "uid2",
        "my_amount",
    ] {
        for api in all {
            assert!(!collides_with_widget_call(name, api), "{name} {api:?}");
        }
    }
    let entry = widget_parameter("customer[birthday]", ApiSet::ALL).unwrap();
    assert_eq!(entry.kind, WidgetValueKind::Timestamp);
    let element = widget_parameter("customer[nickname]", ApiSet::ALL).unwrap();
    assert_eq!(
        (element.name, element.kind),
        ("customer", WidgetValueKind::Text)
    );
    assert_eq!(
        widget_parameter("sign", ApiSet::CART).map(|e| e.kind),
        Some(WidgetValueKind::Reserved)
    );
}

#[test]
fn own_parameter_names_follow_the_parameter_name_rule() {
    struct Own(&'static str);
    impl OwnParams for Own {
        fn own_params(&self) -> Vec<(&'static str, String)> {
            vec![(self.0, "v".to_owned())]
        }
    }
    for name in ["my%param", "a+b", "café", ""] {
        let error = dg().own(&Own(name)).url().unwrap_err();
        assert!(
            matches!(error, WidgetError::OwnName(_)),
            "{name}: {error:?}"
        );
        assert!(
            error
                .to_string()
                .contains(crate::catalog::PARAMETER_NAME_RULE),
            "{error}"
        );
    }
}
