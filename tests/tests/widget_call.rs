//! The widget call `#[derive(Pingback)]` generates, for each API: it is the
//! builder's call for the schema's API (same URL for the same parameters),
//! it carries the typed `OWN` values, and those values come back from a
//! pingback that echoes them as the same typed values.

use pw_runtime::value::{kind, FromValue, ToValue, ValueError};
use pw_runtime::widget::{Cart, CartItem, DigitalGoods, Price, Product, VirtualCurrency};
use pw_runtime::{
    signature, ApiType, Currency, Decimal, Delivery, Pingback, SecretKey, SignatureVersion, Source,
    SubscriptionPeriod, WidgetCall,
};

const SECRET: &str = "6274def95b105f1c92d341a8d3bc2e77";

/// A merchant's own type for an `OWN` value: it goes out with `ToValue`
/// and comes back with `FromValue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    Gold,
    Silver,
}

impl ToValue for Tier {
    fn to_value(&self) -> String {
        match self {
            Tier::Gold => "gold",
            Tier::Silver => "silver",
        }
        .to_owned()
    }
}

impl FromValue<kind::Text> for Tier {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        match text {
            "gold" => Ok(Tier::Gold),
            "silver" => Ok(Tier::Silver),
            _ => Err(ValueError::new("not a tier")),
        }
    }
}

/// A game server number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Server(u16);

impl ToValue for Server {
    fn to_value(&self) -> String {
        self.0.to_string()
    }
}

impl FromValue<kind::Text> for Server {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        text.parse()
            .map(Server)
            .map_err(|_| ValueError::new("not a server"))
    }
}

#[derive(Pingback, Debug)]
#[pingback(api = "digital_goods")]
struct Membership {
    #[pingback(own)]
    campaign: String,
    #[pingback(own, param = "member_tier")]
    tier: Tier,
    #[pingback(own)]
    coupon: Option<String>,
}

#[derive(Pingback, Debug)]
#[pingback(api = "virtual_currency")]
struct Gems {
    #[pingback(own)]
    server: Server,
}

#[derive(Pingback, Debug)]
#[pingback(api = "cart")]
struct Order {
    #[pingback(own, param = "order_id")]
    order: String,
    #[pingback(own)]
    note: Option<String>,
}

/// The parameters a URL carries, decoded.
fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').expect("a query").1;
    query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap();
            (form_decode(name), form_decode(value))
        })
        .collect()
}

/// `+` as a space, `%XX` as its byte.
fn form_decode(text: &str) -> String {
    let bytes = text.replace('+', " ");
    let mut out = Vec::new();
    let mut rest = bytes.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = std::str::from_utf8(&tail[..2]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            rest = &tail[2..];
        } else {
            out.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The parameters of a pingback Paymentwall would send after this widget
/// call: the standard ones and the `OWN` values echoed.
fn echo(standard: &[(&str, &str)], url: &str, own: &[&str]) -> Vec<(String, String)> {
    let sent = query_pairs(url);
    let mut pairs: Vec<(String, String)> = standard
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    for name in own {
        if let Some(pair) = sent.iter().find(|(n, _)| n == name) {
            pairs.push(pair.clone());
        }
    }
    pairs
}

/// The pingback's signed query string.
fn signed(api: ApiType, pairs: &[(String, String)]) -> String {
    signature::sign_pingback(
        api,
        SignatureVersion::V2,
        &SecretKey::new(SECRET),
        pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())),
    )
    .unwrap()
}

fn paymentwall() -> Source<'static> {
    Source::peer("174.36.92.186".parse().unwrap())
}

#[test]
fn digital_goods_widget_call_carries_typed_own_values_there_and_back() {
    let own = MembershipOwn {
        campaign: "spring *sale*".to_owned(),
        tier: Tier::Silver,
        coupon: None,
    };
    let price = Price::new(Decimal::new(999, 2), Currency::USD).unwrap();
    let product = Product::recurring("gold", price, 1, SubscriptionPeriod::Month).name("Gold");
    let derived: WidgetCall<DigitalGoods> = Membership::widget_call("key", SECRET, &own)
        .uid("user 1")
        .widget("p1_1")
        .product(product.clone());
    let built = WidgetCall::digital_goods("key", SECRET)
        .uid("user 1")
        .widget("p1_1")
        .product(product)
        .param("campaign", "spring *sale*")
        .param("member_tier", "silver");
    let url = derived.url().unwrap();
    assert_eq!(url, built.url().unwrap());
    assert!(url.starts_with("https://api.paymentwall.com/api/subscription?key=key&uid=user+1&"));
    assert!(url.contains("&sign_version=3&campaign=spring+%2Asale%2A&member_tier=silver&sign="));

    let pairs = echo(
        &[
            ("uid", "user 1"),
            ("goodsid", "gold"),
            ("slength", "1"),
            ("speriod", "month"),
            ("type", "0"),
            ("ref", "b1"),
        ],
        &url,
        &["campaign", "member_tier", "coupon"],
    );
    let verified = Membership::verifier(SECRET)
        .build()
        .verify(
            signed(ApiType::DigitalGoods, &pairs).as_bytes(),
            &paymentwall(),
        )
        .unwrap();
    let delivery = Delivery::<Membership>::decode(verified).unwrap();
    assert_eq!(delivery.campaign, own.campaign);
    assert_eq!(delivery.tier, Tier::Silver);
    assert_eq!(delivery.coupon, None);
}

#[test]
fn virtual_currency_widget_call_is_the_builders() {
    let own = GemsOwn { server: Server(3) };
    let derived: WidgetCall<VirtualCurrency> = Gems::widget_call("key", SECRET, &own)
        .uid("u")
        .widget("p10");
    let built = WidgetCall::virtual_currency("key", SECRET)
        .uid("u")
        .widget("p10")
        .param("server", 3);
    let url = derived.url().unwrap();
    assert_eq!(url, built.url().unwrap());
    assert!(url.starts_with(
        "https://api.paymentwall.com/api/ps?key=key&uid=u&widget=p10&sign_version=3&server=3&sign="
    ));

    let pairs = echo(
        &[
            ("uid", "u"),
            ("currency", "100"),
            ("type", "0"),
            ("ref", "b2"),
        ],
        &url,
        &["server"],
    );
    let verified = Gems::verifier(SECRET)
        .build()
        .verify(
            signed(ApiType::VirtualCurrency, &pairs).as_bytes(),
            &paymentwall(),
        )
        .unwrap();
    let delivery = Delivery::<Gems>::decode(verified).unwrap();
    assert_eq!(delivery.server, Server(3));
}

#[test]
fn cart_widget_call_is_the_builders() {
    let own = OrderOwn {
        order: "o-17".to_owned(),
        note: Some("gift & wrap".to_owned()),
    };
    let eur = |cents| Price::new(Decimal::new(cents, 2), Currency::EUR).unwrap();
    let items = [
        CartItem::new("product301")
            .price(eur(333))
            .name("Product 1"),
        CartItem::new("product607")
            .price(eur(777))
            .name("Product 2"),
    ];
    let derived: WidgetCall<Cart> = Order::widget_call("key", SECRET, &own)
        .uid("u")
        .widget("p1_1")
        .items(items.clone());
    let built = WidgetCall::cart("key", SECRET)
        .uid("u")
        .widget("p1_1")
        .items(items)
        .param("order_id", "o-17")
        .param("note", "gift & wrap");
    let url = derived.url().unwrap();
    assert_eq!(url, built.url().unwrap());
    assert!(url.starts_with(
        "https://api.paymentwall.com/api/cart?key=key&uid=u&widget=p1_1\
         &external_ids%5B0%5D=product301&external_ids%5B1%5D=product607\
         &prices%5B0%5D=3.33&prices%5B1%5D=7.77&currencies%5B0%5D=EUR&currencies%5B1%5D=EUR\
         &names%5B0%5D=Product+1&names%5B1%5D=Product+2&sign_version=2\
         &order_id=o-17&note=gift+%26+wrap&sign="
    ));

    let pairs = echo(
        &[
            ("uid", "u"),
            ("goodsid[0]", "product301"),
            ("goodsid[1]", "product607"),
            ("type", "0"),
            ("ref", "b3"),
        ],
        &url,
        &["order_id", "note"],
    );
    let verified = Order::verifier(SECRET)
        .build()
        .verify(signed(ApiType::Cart, &pairs).as_bytes(), &paymentwall())
        .unwrap();
    let delivery = Delivery::<Order>::decode(verified).unwrap();
    assert_eq!(delivery.order, "o-17");
    assert_eq!(delivery.note, own.note);
}
