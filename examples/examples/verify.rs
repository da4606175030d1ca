//! Signs a test pingback the way Paymentwall does, verifies it, and shows
//! what a listener would answer, then does the same for a forged copy.
//!
//! Run it with `cargo run -p pw-examples --example verify`.

use pw_runtime::signature::sign_pingback;
use pw_runtime::{ApiType, SecretKey, SignatureVersion, Source, Verifier};

fn main() {
    let secret = SecretKey::new(
        std::env::var("PW_SECRET_KEY").unwrap_or_else(|_| "development-secret".into()),
    );
    let query = sign_pingback(
        ApiType::DigitalGoods,
        SignatureVersion::V3,
        &secret,
        [
            ("uid", "user_42"),
            ("goodsid", "gold_membership"),
            ("slength", "1"),
            ("speriod", "month"),
            ("type", "0"),
            ("ref", "b1493096790"),
            ("is_test", "1"),
            ("campaign", "black friday"),
        ],
    )
    .expect("the parameters are well formed");
    let verifier = Verifier::new(ApiType::DigitalGoods, secret);
    let paymentwall = Source::peer("174.36.92.186".parse().expect("an address"));

    println!("pingback: {query}");
    report(&verifier, &query, &paymentwall);

    let forged = query.replace("uid=user_42", "uid=attacker");
    println!("\nforged:   {forged}");
    report(&verifier, &forged, &paymentwall);
}

fn report(verifier: &Verifier, query: &str, source: &Source<'_>) {
    match verifier.verify(query.as_bytes(), source) {
        Ok(pingback) => {
            let envelope = pingback.envelope();
            println!(
                "-> 200 OK: {} for user {} ({:?}), signature version {}",
                envelope.kind,
                envelope.uid,
                envelope.goods,
                pingback.sign_version()
            );
        }
        Err(rejection) => println!("-> {} {rejection}", rejection.status()),
    }
}
