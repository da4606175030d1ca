//! A user crate as hostile to generated code as a real one can be: the
//! runtime is renamed to `pw` (so `::pw_runtime` does not exist here),
//! unsafe code is forbidden, every warning and `clippy::pedantic` are
//! errors, and `Result`, `Option`, `String`, `Vec`, `Box`, `core` and `std`
//! name types and modules of the user's own. `cargo clippy --all-targets`
//! on the workspace checks the pedantic part.

#![forbid(unsafe_code)]
#![deny(warnings, missing_docs, clippy::all, clippy::pedantic)]

/// The user's own `Result`, shadowing the prelude's.
pub struct Result;
/// The user's own `Option`.
pub struct Option;
/// The user's own `String`.
pub struct String;
/// The user's own `Vec`.
pub struct Vec;
/// The user's own `Box`.
pub struct Box;
/// The user's own `Send`.
pub trait Send {}
/// A module named like the core crate.
pub mod core {}
/// A module named like the standard library.
pub mod std {}

/// A digital-goods schema written against the renamed runtime.
#[derive(pw::Pingback)]
#[pingback(api = "digital_goods", crate = "pw")]
pub struct Purchase {
    /// Net revenue in the payment currency.
    #[pingback(system = "REVENUE_LOCAL", param = "rev")]
    pub revenue: pw::Decimal,
    /// The subscription, when the payment is one.
    #[pingback(system = "SUBSCRIPTION_ID")]
    pub subscription: ::core::option::Option<::std::string::String>,
    /// An `OWN` parameter.
    #[pingback(own)]
    pub campaign: ::std::string::String,
    /// An optional `OWN` parameter.
    #[pingback(own)]
    pub referrer: ::core::option::Option<::std::string::String>,
    /// The cart's product list is not here: this is digital goods.
    #[pingback(standard = "slength")]
    pub length: ::core::option::Option<i32>,
}

/// A cart schema with no custom parameters at all.
#[derive(pw::Pingback)]
#[pingback(api = "cart", crate = "pw")]
pub struct Order {
    /// The products.
    #[pingback(standard = "goodsid")]
    pub products: ::std::vec::Vec<::std::string::String>,
}

/// A handler that records nothing.
pub struct Shop;

impl PurchaseHandler for Shop {
    async fn deliver(
        &self,
        payment: &mut pw::Delivery<Purchase>,
        _grant: pw::Grant,
    ) -> ::core::result::Result<(), pw::HandlerError> {
        let _ = payment.revenue;
        ::core::result::Result::Ok(())
    }

    async fn take_back(
        &self,
        _reversal: &mut pw::Delivery<Purchase>,
        _why: pw::Reversal,
        _original: ::core::option::Option<pw::OriginalPayment>,
    ) -> ::core::result::Result<(), pw::HandlerError> {
        ::core::result::Result::Ok(())
    }

    async fn notice(
        &self,
        _pingback: &mut pw::Delivery<Purchase>,
        _notice: pw::Notice,
    ) -> ::core::result::Result<(), pw::HandlerError> {
        ::core::result::Result::Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Purchase, PurchaseOwn, Shop};
    use pw::{
        signature, ApiType, Delivery, HandledBy, Pingback, SecretKey, SignatureVersion, Source,
    };

    #[tokio::test]
    async fn the_renamed_runtime_decodes_and_dispatches() {
        let secret = SecretKey::new("k");
        let query = signature::sign_pingback(
            ApiType::DigitalGoods,
            SignatureVersion::V2,
            &secret,
            [
                ("uid", "u"),
                ("goodsid", "g"),
                ("type", "0"),
                ("ref", "r"),
                ("rev", "1.5"),
                ("subscription", ""),
                ("campaign", "c"),
            ],
        )
        .unwrap();
        let verified = Purchase::verifier(secret)
            .build()
            .verify(
                query.as_bytes(),
                &Source::peer("174.36.92.186".parse().unwrap()),
            )
            .unwrap();
        let mut delivery = Delivery::<Purchase>::decode(verified).unwrap();
        assert_eq!(delivery.referrer, None);
        Purchase::dispatch(&Shop, &mut delivery, pw::RefHistory::new())
            .await
            .unwrap();

        let own = PurchaseOwn {
            campaign: "c".to_owned(),
            referrer: None,
        };
        let url = Purchase::widget_call("key", "k", &own)
            .uid("u")
            .widget("p1_1")
            .url()
            .unwrap();
        assert!(url.contains("campaign=c") && !url.contains("referrer"));
    }
}
