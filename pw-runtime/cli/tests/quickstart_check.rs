//! Paymentwall's Test Pingback Tool checklist (`pw-pingback check`, the
//! real binary) against the quickstart's listener (axum, SQLite ledger,
//! development mode) on `127.0.0.1:0` with a temporary SQLite file: every
//! check passes, and the shop granted and revoked exactly once.

use pw_examples::quickstart::{self, CHECK_ARGUMENTS, DEVELOPMENT_KEY};

mod support;
use support::{pw_pingback, Quickstart};

/// `pw-pingback check` of the quickstart's listener at `url`, with `secret`.
fn check(url: &str, secret: &str) -> std::process::Output {
    let mut args = vec!["check", url, "--secret", secret, "--api", "digital_goods"];
    args.extend(CHECK_ARGUMENTS);
    pw_pingback(&args)
}

#[test]
fn pw_pingback_check_passes_against_the_quickstart() {
    let app = Quickstart::start("quickstart-check", 1);
    let (runtime, server) = (&app.runtime, &app.server);

    let output = check(&server.url, DEVELOPMENT_KEY);
    let (stdout, stderr) = (support::stdout(&output), support::stderr(&output));
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("5 of 5 checks passed"), "{stdout}");
    assert_eq!(stdout.matches("PASS").count(), 5, "{stdout}");

    // One payment granted once (check 2 is its duplicate), then revoked by
    // the chargeback (check 4), in the shop's own table.
    let shop = server.shop.clone();
    let (grants, revoked) = runtime.block_on(async { (shop.grants().await, shop.revoked().await) });
    assert_eq!(grants.unwrap(), 1);
    assert_eq!(revoked.unwrap(), 1);

    // The same checklist with another key fails check 1 (403), and grants nothing.
    let output = check(&server.url, "not-the-key");
    let stdout = support::stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL  1.") && stdout.contains("HTTP 403"),
        "{stdout}"
    );
    let grants = runtime.block_on(shop.grants()).unwrap();
    assert_eq!(grants, 1);
}

/// One GET of `url?query` over a plain TCP connection: status and body.
fn get(url: &str, query: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET /{path}?{query} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

/// The quickstart's test payment of `reference`, as pingback type `kind`,
/// signed with the development key.
fn signed(reference: &str, kind: &str) -> String {
    let mut pairs = quickstart::test_payment(reference);
    for (name, value) in &mut pairs {
        if *name == "type" {
            *value = kind.to_owned();
        }
    }
    if kind == "2" {
        pairs.push(("reason", "9".to_owned()));
    }
    pw_runtime::signature::sign_pingback(
        pw_runtime::ApiType::DigitalGoods,
        pw_runtime::SignatureVersion::V2,
        &pw_runtime::SecretKey::new(DEVELOPMENT_KEY),
        pairs.iter().map(|(name, value)| (*name, value.as_str())),
    )
    .unwrap()
}

/// Over HTTP against the quickstart: goodwill credits (1) and accepted risk
/// reviews (201) grant once, a pending review (200) grants nothing,
/// chargebacks (2) and declined reviews (202) revoke, and an undocumented
/// type is not acknowledged.
#[test]
fn the_quickstart_grants_and_revokes_by_pingback_type() {
    let app = Quickstart::start("quickstart-types", 1);
    let (runtime, server) = (&app.runtime, &app.server);
    let shop = server.shop.clone();
    let counts = || {
        runtime.block_on(async { (shop.grants().await.unwrap(), shop.revoked().await.unwrap()) })
    };
    let ok = |reference: &str, kind: &str| {
        let answer = get(&server.url, &signed(reference, kind));
        assert_eq!(answer, (200, "OK".to_owned()), "{reference} type {kind}");
    };

    ok("goodwill1", "1");
    ok("goodwill1", "1");
    assert_eq!(counts(), (1, 0), "a goodwill credit grants once");

    ok("review1", "200");
    assert_eq!(counts(), (1, 0), "a pending review grants nothing");
    ok("review1", "201");
    ok("review1", "201");
    assert_eq!(counts(), (2, 0), "an accepted review grants once");

    ok("review2", "200");
    ok("review2", "202");
    assert_eq!(
        counts(),
        (2, 0),
        "a declined review of nothing granted revokes nothing"
    );

    ok("review3", "201");
    ok("review3", "202");
    assert_eq!(
        counts(),
        (3, 1),
        "a declined review revokes what was granted"
    );

    ok("payment1", "0");
    ok("payment1", "2");
    assert_eq!(counts(), (4, 2), "a chargeback revokes the payment");

    let (status, body) = get(&server.url, &signed("odd1", "99"));
    assert_eq!(status, 501, "{body}");
    assert_eq!(counts(), (4, 2), "an undocumented type grants nothing");
}

/// A payment whose `ref` the ledger recorded as reversed before it arrived
/// reaches the shop as `Grant::AlreadyReversed`, and the shop grants nothing.
#[test]
fn the_quickstart_grants_nothing_for_a_payment_already_reversed() {
    use pw_runtime::{Delivery, HandledBy, Params, Pingback, RecordedReversal, RefHistory, Source};
    let app = Quickstart::start("quickstart-reversed", 1);
    app.runtime.block_on(async {
        let shop = app.server.shop.clone();
        let verified = quickstart::GemPurchase::verifier(DEVELOPMENT_KEY)
            .build()
            .verify(
                signed("late1", "0").as_bytes(),
                &Source::peer("174.36.92.186".parse().unwrap()),
            )
            .unwrap();
        let mut delivery = Delivery::<quickstart::GemPurchase>::decode(verified).unwrap();
        let chargeback = Params::parse(signed("late1", "2").as_bytes(), &Default::default());
        let reversal =
            RecordedReversal::from_params(chargeback.unwrap(), std::time::SystemTime::now());
        assert!(reversal.is_some());
        let history = RefHistory::new().with_reversal(reversal);
        quickstart::GemPurchase::dispatch(&shop, &mut delivery, history)
            .await
            .unwrap();
        assert_eq!(shop.grants().await.unwrap(), 0);
    });
}
