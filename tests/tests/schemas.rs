//! Valid schemas the derive judges by meaning, not spelling: type aliases
//! (of a list, of money, of an `Option`), types of the user's own named
//! like pw's, raw identifiers, a schema in nested modules, an `OWN` field
//! of a type of the user's, a system parameter named like a widget-call
//! parameter, a module without the prelude, a schema in a function body
//! beside other derives, a name of the longest length. Each decodes real
//! signed pingbacks, through a listener where it has a handler. (The
//! renamed runtime crate is `tests/user-crate`.)

use pw_runtime::ledger::MemoryLedger;
use pw_runtime::listener::{Listener, Request};
use pw_runtime::value::{kind, FromValue, ToValue, ValueError};
use pw_runtime::{
    signature, ApiType, Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal,
    SecretKey, SignatureVersion, Source, VerifiedPingback,
};
use std::sync::Mutex;

const SECRET: &str = "schemas-by-meaning";

fn signed(api: ApiType, pairs: &[(&str, &str)]) -> String {
    signature::sign_pingback(
        api,
        SignatureVersion::V2,
        &SecretKey::new(SECRET),
        pairs.iter().copied(),
    )
    .unwrap()
}

fn verified<P: Pingback>(pairs: &[(&str, &str)]) -> VerifiedPingback {
    P::verifier(SECRET)
        .build()
        .verify(
            signed(P::API, pairs).as_bytes(),
            &Source::peer("174.36.92.186".parse().unwrap()),
        )
        .unwrap()
}

/// Types of the user's CRM, named like pw's types.
mod crm {
    use super::{kind, FromValue, ToValue, ValueError};

    /// The CRM's own reference: an `OWN` parameter, any text.
    #[derive(Debug, PartialEq, Eq)]
    pub struct Reference(pub String);

    impl FromValue<kind::Text> for Reference {
        fn from_value(text: &str) -> Result<Self, ValueError> {
            text.strip_prefix("crm-")
                .map(|id| Reference(id.to_owned()))
                .ok_or_else(|| ValueError::new("a CRM reference starts with `crm-`"))
        }
    }

    impl ToValue for Reference {
        fn to_value(&self) -> String {
            format!("crm-{}", self.0)
        }
    }

    /// The CRM's own amount type, in cents.
    #[derive(Debug, PartialEq, Eq)]
    pub struct Decimal(pub i64);

    impl FromValue<kind::Decimal> for Decimal {
        fn from_value(text: &str) -> Result<Self, ValueError> {
            let amount = <pw_runtime::Decimal as FromValue<kind::Decimal>>::from_value(text)?;
            let cents = (amount * pw_runtime::Decimal::ONE_HUNDRED).trunc();
            i64::try_from(cents)
                .map(Decimal)
                .map_err(|_| ValueError::new("out of range"))
        }
    }
}

/// The cart's product ids, by another name.
type Ids = Vec<String>;
/// Money, by another name.
type Money = pw_runtime::Decimal;
/// An `Option`, by another name.
type MaybeText = Option<String>;

/// A cart schema written with aliases and the CRM's types.
#[derive(Pingback, Debug)]
#[pingback(api = "cart")]
struct Order {
    #[pingback(standard = "goodsid")]
    products: Ids,
    #[pingback(own)]
    crm_ref: crm::Reference,
    #[pingback(system = "REVENUE", param = "usd")]
    usd: Money,
    #[pingback(system = "REVENUE_LOCAL", param = "cents")]
    cents: crm::Decimal,
    /// May be empty: an alias of an `Option` holds it.
    #[pingback(system = "SUBSCRIPTION_ID", param = "sub")]
    subscription: MaybeText,
    /// Named like a widget-call parameter, but a system value: it never
    /// travels in a widget call.
    #[pingback(system = "USER_ID", param = "email")]
    user: String,
}

#[test]
fn aliases_and_the_user_s_own_types_decode() {
    let pingback = verified::<Order>(&[
        ("uid", "u1"),
        ("goodsid[0]", "sword"),
        ("goodsid[1]", "shield"),
        ("type", "0"),
        ("ref", "o1"),
        ("crm_ref", "crm-4711"),
        ("usd", "12.50"),
        ("cents", "9.99"),
        ("sub", ""),
        ("email", "u1"),
    ]);
    let order = Delivery::<Order>::decode(pingback).unwrap();
    assert_eq!(order.products, ["sword", "shield"]);
    assert_eq!(order.crm_ref, crm::Reference("4711".into()));
    assert_eq!(order.usd, Money::new(1250, 2));
    assert_eq!(order.cents, crm::Decimal(999));
    assert_eq!(order.subscription, None);
    assert_eq!(order.user, "u1");
    let own = OrderOwn {
        crm_ref: crm::Reference("4711".into()),
    };
    let url = Order::widget_call("key", SECRET, &own)
        .uid("u1")
        .widget("p1_1")
        .item(pw_runtime::widget::CartItem::new("sword"))
        .url()
        .unwrap();
    assert!(url.contains("crm_ref=crm-4711"), "{url}");
}

#[test]
fn the_user_s_own_type_judges_its_value() {
    let pingback = verified::<Order>(&[
        ("uid", "u1"),
        ("goodsid[0]", "sword"),
        ("type", "0"),
        ("ref", "o2"),
        ("crm_ref", "4711"),
        ("usd", "1"),
        ("cents", "1"),
        ("email", "u1"),
    ]);
    let error = Delivery::<Order>::decode(pingback).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("a CRM reference starts with `crm-`"),
        "{error}"
    );
}

/// Raw identifiers: the field `r#match` is the parameter `match`.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Raw {
    #[pingback(own)]
    r#match: String,
    #[pingback(own, param = "kind")]
    r#type: Option<String>,
}

#[test]
fn raw_identifiers_name_their_parameter_without_the_prefix() {
    assert_eq!(Raw::SETTINGS[0].parameter, "match");
    let pingback = verified::<Raw>(&[
        ("uid", "u"),
        ("goodsid", "g"),
        ("type", "0"),
        ("ref", "r"),
        ("match", "final"),
    ]);
    let raw = Delivery::<Raw>::decode(pingback).unwrap();
    assert_eq!(raw.r#match, "final");
    assert_eq!(raw.r#type, None);
}

/// A schema deep in modules: the generated items sit beside it, and the
/// generated code names everything by its full path.
mod shop {
    pub mod billing {
        #[derive(pw_runtime::Pingback)]
        #[pingback(api = "virtual_currency")]
        pub struct Coins {
            #[pingback(standard = "currency")]
            pub amount: pw_runtime::Decimal,
        }
    }
}

/// Records what it delivered.
#[derive(Default)]
struct Bank {
    credited: Mutex<Vec<String>>,
}

impl shop::billing::CoinsHandler for Bank {
    async fn deliver(
        &self,
        delivery: &mut Delivery<shop::billing::Coins>,
        grant: Grant,
    ) -> Result<(), HandlerError> {
        let entry = format!("{} {:?}", delivery.amount, grant.kind());
        self.credited.lock().unwrap().push(entry);
        Ok(())
    }
    async fn take_back(
        &self,
        _: &mut Delivery<shop::billing::Coins>,
        _: Reversal,
        _: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn notice(
        &self,
        _: &mut Delivery<shop::billing::Coins>,
        _: Notice,
    ) -> Result<(), HandlerError> {
        Ok(())
    }
}

#[tokio::test]
async fn a_schema_in_nested_modules_runs_through_a_listener() {
    let listener = Listener::<shop::billing::Coins, _, _>::builder(
        SECRET,
        Bank::default(),
        MemoryLedger::new(),
    )
    .build();
    for (reference, kind) in [("c1", "0"), ("c2", "1"), ("c3", "201")] {
        let query = signed(
            ApiType::VirtualCurrency,
            &[
                ("uid", "u"),
                ("currency", "150"),
                ("type", kind),
                ("ref", reference),
            ],
        );
        let response = listener
            .handle(Request::get(query, "174.36.92.186".parse().unwrap()))
            .await;
        assert!(response.is_acknowledgement(), "{response:?}");
    }
    assert_eq!(
        *listener.handler().credited.lock().unwrap(),
        ["150 Payment", "150 Goodwill", "150 RiskReviewAccepted"]
    );
}

/// A schema that names its handler trait (for a crate with a trait of that
/// name already).
#[derive(Pingback)]
#[pingback(api = "digital_goods", handler = "StoreKeeping")]
struct Store {}

/// The user's own trait, of the name the generated trait would have had.
trait StoreHandler {
    fn open(&self) -> bool;
}

struct Keeper;

impl StoreHandler for Keeper {
    fn open(&self) -> bool {
        true
    }
}

impl StoreKeeping for Keeper {
    async fn deliver(&self, _: &mut Delivery<Store>, _: Grant) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn take_back(
        &self,
        _: &mut Delivery<Store>,
        _: Reversal,
        _: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn notice(&self, _: &mut Delivery<Store>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}

#[tokio::test]
async fn a_handler_trait_named_by_the_schema_handles_it() {
    assert!(Keeper.open());
    let listener = Listener::<Store, _, _>::builder(SECRET, Keeper, MemoryLedger::new()).build();
    let query = signed(
        ApiType::DigitalGoods,
        &[("uid", "u"), ("goodsid", "g"), ("type", "0"), ("ref", "k1")],
    );
    let response = listener
        .handle(Request::get(query, "174.36.92.186".parse().unwrap()))
        .await;
    assert!(response.is_acknowledgement(), "{response:?}");
}

/// A schema in a module without the prelude: every path the derive
/// generates is written in full (`::core::...`, `::std::...`), and nothing
/// in it needs a tool attribute, which such a module cannot resolve.
#[no_implicit_prelude]
mod bare {
    #[derive(::pw_runtime::Pingback, ::core::fmt::Debug)]
    #[pingback(api = "cart")]
    pub struct Order {
        #[pingback(standard = "goodsid")]
        pub products: ::std::vec::Vec<::std::string::String>,
        #[pingback(own)]
        pub campaign: ::std::string::String,
        #[pingback(system = "SUBSCRIPTION_ID")]
        pub subscription: ::core::option::Option<::std::string::String>,
        #[pingback(system = "REVENUE_LOCAL", param = "rev")]
        pub revenue: ::pw_runtime::Decimal,
    }
}

#[test]
fn a_schema_without_the_prelude_decodes_and_calls_the_widget() {
    let pingback = verified::<bare::Order>(&[
        ("uid", "u"),
        ("goodsid[0]", "sword"),
        ("goodsid[1]", "shield"),
        ("type", "0"),
        ("ref", "b1"),
        ("campaign", "spring"),
        ("subscription", ""),
        ("rev", "4.99"),
    ]);
    let order = Delivery::<bare::Order>::decode(pingback).unwrap();
    assert_eq!(order.products, ["sword", "shield"]);
    assert_eq!(order.campaign, "spring");
    assert_eq!(order.subscription, None);
    assert_eq!(order.revenue, pw_runtime::Decimal::new(499, 2));
    let own = bare::OrderOwn {
        campaign: "spring".into(),
    };
    let url = bare::Order::widget_call("key", SECRET, &own)
        .item(pw_runtime::widget::CartItem::new("sword"))
        .uid("u")
        .widget("p1")
        .url()
        .unwrap();
    assert!(url.contains("campaign=spring"), "{url}");
}

#[test]
fn a_schema_declared_in_a_function_body_decodes() {
    /// Beside other derives in the same list, `Pingback` once.
    #[derive(Debug, Pingback, PartialEq)]
    #[pingback(api = "digital_goods", min_version = 3, crate = "::pw_runtime")]
    struct Local {
        #[pingback(
            own,
            param = "a_name_of_sixty_four_characters_which_is_the_longest_allowed_xyz"
        )]
        long: String,
    }

    assert_eq!(
        Local::SETTINGS[0].parameter.len(),
        pw_runtime::catalog::PARAMETER_NAME_MAX_LEN
    );
    let query = signature::sign_pingback(
        ApiType::DigitalGoods,
        SignatureVersion::V3,
        &SecretKey::new(SECRET),
        [
            ("uid", "u"),
            ("goodsid", "g"),
            ("type", "0"),
            ("ref", "l1"),
            (Local::SETTINGS[0].parameter, "yes"),
        ],
    )
    .unwrap();
    let verified = Local::verifier(SECRET)
        .build()
        .verify(
            query.as_bytes(),
            &Source::peer("174.36.92.186".parse().unwrap()),
        )
        .unwrap();
    let local = Delivery::<Local>::decode(verified).unwrap();
    assert_eq!(local.long, "yes");
    // Version 2 is below the schema's minimum: refused.
    let v2 = signed(
        ApiType::DigitalGoods,
        &[
            ("uid", "u"),
            ("goodsid", "g"),
            ("type", "0"),
            ("ref", "l2"),
            (Local::SETTINGS[0].parameter, "yes"),
        ],
    );
    assert!(Local::verifier(SECRET)
        .build()
        .verify(
            v2.as_bytes(),
            &Source::peer("174.36.92.186".parse().unwrap())
        )
        .is_err());
}

/// A struct named with a raw identifier: the generated names drop the `r#`.
#[derive(Pingback)]
#[pingback(api = "cart")]
struct r#Basket {
    #[pingback(standard = "goodsid")]
    products: Vec<String>,
}

#[test]
fn a_raw_struct_name_gives_plain_generated_names() {
    fn handles<T: BasketHandler>() {}
    let _ = handles::<Keeper2>;
    let _ = BasketOwn {};
    let pingback = verified::<r#Basket>(&[
        ("uid", "u"),
        ("goodsid[0]", "apple"),
        ("type", "0"),
        ("ref", "bk1"),
    ]);
    let basket = Delivery::<r#Basket>::decode(pingback).unwrap();
    assert_eq!(basket.products, ["apple"]);
}

struct Keeper2;

impl BasketHandler for Keeper2 {
    async fn deliver(&self, _: &mut Delivery<Basket>, _: Grant) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn take_back(
        &self,
        _: &mut Delivery<Basket>,
        _: Reversal,
        _: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn notice(&self, _: &mut Delivery<Basket>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}
