//! `pw-pingback quarantine list` and `replay` (the real binary) against the
//! quickstart's SQLite ledger: a correctly signed pingback whose currency
//! the quickstart's schema rejects is listed with its signature masked, and
//! a replay to a listener whose schema accepts it delivers it once.

use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use pw_examples::quickstart::{self, DEVELOPMENT_KEY};
use pw_runtime::ledger::{LedgerOptions, SqliteLedger};
use pw_runtime::listener::{Listener, Request};
use pw_runtime::{
    signature, ApiType, Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal,
    SecretKey, SignatureVersion,
};

mod support;
use support::{pw_pingback, stderr, stdout, Quickstart};

/// What the binary printed: standard output and standard error.
fn text(output: &Output) -> (String, String) {
    (stdout(output), stderr(output))
}

/// The quickstart's schema after a fix: `paid_currency` as any text.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Fixed {
    #[pingback(own)]
    paid_currency: String,
}

#[derive(Clone, Default)]
struct Shop(Arc<AtomicUsize>);

impl FixedHandler for Shop {
    async fn deliver(&self, payment: &mut Delivery<Fixed>, _: Grant) -> Result<(), HandlerError> {
        assert_eq!(payment.paid_currency, "BTC");
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    async fn take_back(
        &self,
        _: &mut Delivery<Fixed>,
        _: Reversal,
        _: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn notice(&self, _: &mut Delivery<Fixed>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}

#[test]
fn quarantined_pingbacks_are_listed_without_secrets_and_replayed_once() {
    let app = Quickstart::start("quarantine-cli", 2);
    let (runtime, settings, server) = (&app.runtime, &app.settings, &app.server);
    let database = &app.database;

    let pairs = [
        ("uid", "user_42"),
        ("goodsid", "gems_100"),
        ("slength", ""),
        ("speriod", ""),
        ("type", "0"),
        ("ref", "cli1"),
        ("revenue", "4.99"),
        ("paid_currency", "BTC"),
        ("campaign", "spring"),
    ];
    let key = SecretKey::new(DEVELOPMENT_KEY);
    let query =
        signature::sign_pingback(ApiType::DigitalGoods, SignatureVersion::V2, &key, pairs).unwrap();
    let sig = query.rsplit_once("sig=").unwrap().1.to_owned();
    let peer = "127.0.0.1".parse().unwrap();
    let listener = quickstart::listener(
        settings,
        server.shop.clone(),
        runtime
            .block_on(SqliteLedger::open(&database.0, LedgerOptions::new()))
            .unwrap(),
    );
    let answer = runtime.block_on(listener.handle(Request::get(query.clone(), peer)));
    assert_eq!(answer.status, 400, "{answer:?}");

    let ledger = format!("sqlite:{}", database.0.display());
    let listed = pw_pingback(&["quarantine", "list", "--ledger", &ledger]);
    let (stdout, stderr) = text(&listed);
    assert!(listed.status.success(), "{stdout}{stderr}");
    for expected in [
        "1 quarantined pingback",
        "cli1_0",
        "attempts 1",
        "paid_currency",
        "sig=***",
        "from 127.0.0.1",
    ] {
        assert!(stdout.contains(expected), "{expected} not in {stdout}");
    }
    assert!(
        !stdout.contains(&sig) && !stdout.contains(DEVELOPMENT_KEY),
        "{stdout}"
    );
    let json = pw_pingback(&["quarantine", "list", "--ledger", &ledger, "--json"]);
    let (stdout, _) = text(&json);
    let entries: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(entries[0]["id"], "cli1_0");
    assert_eq!(entries[0]["type"], 0);
    assert!(!stdout.contains(&sig), "{stdout}");

    // A listener whose schema accepts it, on the same ledger, over HTTP.
    let shop = Shop::default();
    let fixed_ledger = runtime
        .block_on(SqliteLedger::open(&database.0, LedgerOptions::new()))
        .unwrap();
    let fixed = Arc::new(
        Listener::<Fixed, _, _>::builder(DEVELOPMENT_KEY, shop.clone(), fixed_ledger)
            .source_check(quickstart::source_check(false))
            .build(),
    );
    let tcp = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/pingback", tcp.local_addr().unwrap());
    let served = runtime.spawn(pw_runtime::http::hyper::serve(fixed, tcp));

    let replay = |which: &str| {
        pw_pingback(&[
            "quarantine",
            "replay",
            "--ledger",
            &ledger,
            "--to",
            &url,
            which,
        ])
    };
    let replayed = replay("--all");
    let (stdout, stderr) = text(&replayed);
    assert!(replayed.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("cli1_0  acknowledged: HTTP 200"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 of 1 replayed pingbacks answered OK"),
        "{stdout}"
    );
    assert_eq!(shop.0.load(Ordering::SeqCst), 1);

    let (stdout, _) = text(&pw_pingback(&["quarantine", "list", "--ledger", &ledger]));
    assert!(stdout.contains("no quarantined pingbacks"), "{stdout}");
    // Gone from quarantine: naming it is an error; Paymentwall's retry is acknowledged, once.
    let again = replay("cli1_0");
    assert_eq!(again.status.code(), Some(2), "{:?}", text(&again));
    assert!(
        text(&again).1.contains("not in quarantine"),
        "{:?}",
        text(&again)
    );
    let retry = runtime.block_on(listener.handle(Request::get(query, peer)));
    assert!(retry.is_acknowledgement(), "{retry:?}");
    assert_eq!(shop.0.load(Ordering::SeqCst), 1);

    let missing = pw_pingback(&[
        "quarantine",
        "list",
        "--ledger",
        "sqlite:/nonexistent-pw/x.db",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    served.abort();
}
