//! A virtual-currency listener on actix-web, with the in-memory ledger:
//! credits coins on a payment, takes them back on a chargeback.
//!
//! ```sh
//! cargo run -p pw-examples --example actix_virtual_currency
//! ```
//!
//! It listens on `PW_ADDR` (default `127.0.0.1:8081`), allows loopback
//! besides Paymentwall's addresses (development), and prints a `curl`
//! command that sends it a signed test payment. The memory ledger forgets
//! everything on exit: use `SqliteLedger` (see the quickstart) or
//! `PostgresLedger` for real.

use actix_web::{App, HttpServer};
use pw_runtime::ledger::MemoryLedger;
use pw_runtime::listener::Listener;
use pw_runtime::{
    http, signature, ApiType, ChargebackReason, CountryCode, Decimal, Delivery, Goods,
    HandlerError, OriginalPayment, Pingback, SecretKey, SignatureVersion, SourceCheck,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The custom pingback parameters of a virtual-currency project.
#[derive(Pingback)]
#[pingback(api = "virtual_currency")]
struct CoinPurchase {
    /// The user's country.
    #[pingback(system = "COUNTRY_CODE", param = "country")]
    country: CountryCode,
}

/// Coin balances per user.
#[derive(Default)]
struct Bank {
    balances: Mutex<HashMap<String, Decimal>>,
}

impl Bank {
    fn add(&self, uid: &str, amount: Decimal) -> Decimal {
        let mut balances = self
            .balances
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let balance = balances.entry(uid.to_owned()).or_default();
        *balance += amount;
        *balance
    }
}

fn coins(delivery: &Delivery<CoinPurchase>) -> Decimal {
    match delivery.envelope().goods {
        Goods::VirtualCurrency { currency } => currency,
        _ => Decimal::ZERO,
    }
}

impl CoinPurchaseHandler for Bank {
    async fn payment(&self, payment: &mut Delivery<CoinPurchase>) -> Result<(), HandlerError> {
        let uid = payment.envelope().uid;
        let balance = self.add(uid, coins(payment));
        println!(
            "credited {} coins to {uid} ({}): balance {balance}",
            coins(payment),
            payment.country.alpha2()
        );
        Ok(())
    }

    async fn chargeback(
        &self,
        chargeback: &mut Delivery<CoinPurchase>,
        reason: Option<ChargebackReason>,
        _original: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        // A chargeback's `currency` is the amount taken back (negative).
        let uid = chargeback.envelope().uid;
        let balance = self.add(uid, -coins(chargeback).abs());
        println!("chargeback ({reason:?}) for {uid}: balance {balance}");
        Ok(())
    }
}

fn main() -> std::io::Result<()> {
    let addr = std::env::var("PW_ADDR").unwrap_or_else(|_| "127.0.0.1:8081".into());
    let secret = SecretKey::new(
        std::env::var("PW_SECRET_KEY").unwrap_or_else(|_| "development-secret".into()),
    );
    let check = SourceCheck::default()
        .allow("127.0.0.0/8")
        .and_then(|check| check.allow("::1"))
        .expect("loopback parses");
    let listener = Arc::new(
        Listener::<CoinPurchase, _, _>::builder(
            secret.clone(),
            Bank::default(),
            MemoryLedger::new(),
        )
        .source_check(check)
        .build(),
    );

    let query = signature::sign_pingback(
        ApiType::VirtualCurrency,
        SignatureVersion::V2,
        &secret,
        [
            ("uid", "user_42"),
            ("currency", "500"),
            ("type", "0"),
            ("ref", "vc1"),
            ("is_test", "1"),
            ("country", "DE"),
        ],
    )
    .expect("valid names");
    println!("listening on http://{addr}/pingback (actix-web, virtual currency)");
    println!("try:\n  curl 'http://{addr}/pingback?{query}'");

    actix_web::rt::System::new().block_on(
        HttpServer::new(move || {
            App::new().configure(http::actix::configure("/pingback", Arc::clone(&listener)))
        })
        .workers(1)
        .bind(&addr)?
        .run(),
    )
}
