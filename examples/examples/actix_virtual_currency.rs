//! A virtual-currency listener on actix-web, with the in-memory ledger:
//! credits coins on a payment, a goodwill credit or an accepted risk
//! review, takes them back on a chargeback.
//!
//! ```sh
//! cargo run -p pw-examples --example actix_virtual_currency
//! ```
//!
//! It listens on `PW_ADDR` (default `127.0.0.1:8081`), allows loopback
//! besides Paymentwall's addresses (development), and, without
//! `PW_SECRET_KEY`, prints a `curl` command that sends it a test payment
//! signed with a development key. The memory ledger forgets
//! everything on exit: use `SqliteLedger` (see the quickstart) or
//! `PostgresLedger` for real.

use actix_web::{App, HttpServer};
use pw_runtime::ledger::MemoryLedger;
use pw_runtime::listener::Listener;
use pw_runtime::{
    http, signature, ApiType, CountryCode, Decimal, Delivery, Goods, Grant, HandlerError, Notice,
    OriginalPayment, Pingback, Reversal, SecretKey, SignatureVersion, SourceCheck,
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
    async fn deliver(
        &self,
        payment: &mut Delivery<CoinPurchase>,
        grant: Grant,
    ) -> Result<(), HandlerError> {
        let uid = payment.envelope().uid;
        if let Grant::AlreadyReversed { .. } = grant {
            println!("not credited to {uid}: the payment was reversed before it arrived");
            return Ok(());
        }
        let balance = self.add(uid, coins(payment));
        println!(
            "credited {} coins to {uid} ({}, {:?}): balance {balance}",
            coins(payment),
            payment.country.alpha2(),
            grant.kind()
        );
        Ok(())
    }

    async fn take_back(
        &self,
        reversal: &mut Delivery<CoinPurchase>,
        why: Reversal,
        original: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        let uid = reversal.envelope().uid;
        // A declined risk review was never credited: nothing to take back
        // unless the ledger delivered the payment.
        if why == Reversal::RiskReviewDeclined && original.is_none() {
            println!("risk review declined for {uid}: nothing was credited");
            return Ok(());
        }
        // A chargeback's `currency` is the amount taken back (negative).
        let balance = self.add(uid, -coins(reversal).abs());
        println!("{why:?} for {uid}: balance {balance}");
        Ok(())
    }

    async fn notice(
        &self,
        pingback: &mut Delivery<CoinPurchase>,
        notice: Notice,
    ) -> Result<(), HandlerError> {
        println!("{notice:?} for {}: no coins move", pingback.envelope().uid);
        Ok(())
    }
}

fn main() -> std::io::Result<()> {
    let addr = std::env::var("PW_ADDR").unwrap_or_else(|_| "127.0.0.1:8081".into());
    let project_key = std::env::var("PW_SECRET_KEY").ok();
    let development = project_key.is_none();
    let secret = SecretKey::new(project_key.unwrap_or_else(|| "development-secret".into()));
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
    // Never print a pingback signed with the project's own key.
    if development {
        println!("try:\n  curl 'http://{addr}/pingback?{query}'");
    }

    actix_web::rt::System::new().block_on(
        HttpServer::new(move || {
            App::new().configure(http::actix::configure("/pingback", Arc::clone(&listener)))
        })
        .workers(1)
        .bind(&addr)?
        .run(),
    )
}
