//! The merchant's test kit: a handler that writes in the ledger's
//! transaction, unit-tested in process on a throwaway SQLite ledger
//! (`testing::Harness`), and Paymentwall's Test Pingback Tool checklist run
//! against a `Listener` in process, telling a correct listener from broken
//! ones.

use pw_runtime::ledger::rusqlite::params;
use pw_runtime::ledger::MemoryLedger;
use pw_runtime::listener::Listener;
use pw_runtime::testing::checklist::Checklist;
use pw_runtime::testing::Harness;
use pw_runtime::{
    ApiType, Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal,
    SourceCheck,
};

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct GemPurchase {
    #[pingback(own)]
    campaign: String,
}

/// Grants in the ledger's transaction: one row per payment, deleted by
/// its chargeback; fails for the campaign `broken`.
struct Shop;

impl GemPurchaseHandler for Shop {
    async fn deliver(
        &self,
        delivery: &mut Delivery<GemPurchase>,
        _: Grant,
    ) -> Result<(), HandlerError> {
        if delivery.campaign == "broken" {
            return Err(HandlerError::new("the shop is broken"));
        }
        let (reference, campaign) = (delivery.reference().to_owned(), delivery.campaign.clone());
        let db = delivery.sqlite().await?; // the ledger's transaction
        db.execute(
            "INSERT INTO grants (reference, campaign) VALUES (?1, ?2)",
            params![reference, campaign],
        )?;
        Ok(())
    }

    async fn take_back(
        &self,
        delivery: &mut Delivery<GemPurchase>,
        _: Reversal,
        _: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        let reference = delivery.reference().to_owned();
        let db = delivery.sqlite().await?;
        db.execute(
            "DELETE FROM grants WHERE reference = ?1",
            params![reference],
        )?;
        Ok(())
    }

    async fn notice(&self, _: &mut Delivery<GemPurchase>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}

fn grants(shop: &Harness<GemPurchase, Shop>) -> i64 {
    let count = |db: &pw_runtime::ledger::rusqlite::Connection| {
        db.query_row("SELECT COUNT(*) FROM grants", [], |row| row.get(0))
    };
    shop.ledger().read(count).unwrap()
}

async fn create_grants(shop: &Harness<GemPurchase, Shop>) {
    let create = |db: &pw_runtime::ledger::rusqlite::Connection| {
        db.execute_batch("CREATE TABLE grants (reference TEXT, campaign TEXT)")
    };
    shop.ledger().write(create).await.unwrap();
}

// The README's example, as it is there (at most 15 lines).
#[tokio::test]
async fn a_payment_is_granted_once_in_the_ledger_s_transaction() {
    let shop = Harness::<GemPurchase, _>::new(Shop).await.unwrap();
    create_grants(&shop).await;
    let payment = GemPurchase::test_pingback()
        .set_campaign("spring")
        .reference("b1");
    assert_eq!(shop.send(payment.clone()).await.body, "OK");
    assert_eq!(shop.send(payment).await.body, "OK"); // a duplicate: not granted again
    assert_eq!(grants(&shop), 1);
}

#[tokio::test]
async fn a_failing_handler_writes_nothing_and_a_chargeback_takes_back() {
    let shop = Harness::<GemPurchase, _>::new(Shop).await.unwrap();
    create_grants(&shop).await;
    let broken = GemPurchase::test_pingback()
        .set_campaign("broken")
        .reference("b2");
    assert_eq!(shop.send(broken).await.status, 500);
    assert_eq!(grants(&shop), 0);
    let payment = GemPurchase::test_pingback()
        .set_campaign("spring")
        .reference("b3");
    assert_eq!(shop.send(payment.clone()).await.body, "OK");
    let chargeback = payment
        .kind(pw_runtime::PingbackType::Chargeback)
        .reason(pw_runtime::ChargebackReason::CancelledOrder);
    assert_eq!(shop.send(chargeback).await.body, "OK");
    assert_eq!(grants(&shop), 0);
    let path = shop.path().to_owned();
    assert!(path.exists());
    drop(shop);
    assert!(!path.exists(), "the throwaway ledger is removed");
}

#[tokio::test]
async fn the_checklist_passes_against_a_correct_listener_in_process() {
    let shop = Harness::<GemPurchase, _>::new(Shop).await.unwrap();
    create_grants(&shop).await;
    let checklist = shop.checklist().param("campaign", "spring");
    let report = checklist.run_against(shop.listener()).await.unwrap();
    assert!(report.passed(), "{report}");
    assert_eq!(report.passed_count(), 5);
    // The chargeback of check 4 took back the grant of checks 1 and 2.
    assert_eq!(grants(&shop), 0);
}

/// A handler that acknowledges everything without a ledger of its own.
struct Nothing;

impl GemPurchaseHandler for Nothing {
    async fn deliver(&self, _: &mut Delivery<GemPurchase>, _: Grant) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn take_back(
        &self,
        _: &mut Delivery<GemPurchase>,
        _: Reversal,
        _: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn notice(&self, _: &mut Delivery<GemPurchase>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}

#[tokio::test]
async fn the_checklist_tells_a_source_refusal_from_a_signature_check() {
    // A listener behind a proxy it does not trust: every pingback comes
    // from the proxy's address, refused by the source check.
    let listener =
        Listener::<GemPurchase, _, _>::builder("s", Nothing, MemoryLedger::new()).build();
    let behind_proxy = Checklist::new(ApiType::DigitalGoods, "s")
        .param("campaign", "spring")
        .peer("10.1.2.3".parse().unwrap());
    let report = behind_proxy.run_against(&listener).await.unwrap();
    assert!(!report.passed());
    let text = report.to_string();
    assert!(
        text.contains("FAIL  3. a pingback with a wrong signature"),
        "{text}"
    );
    assert!(
        text.contains("came from the source check, not the signature check"),
        "{text}"
    );

    // Trusting the proxy and forwarding the client's address passes.
    let trusting = Listener::<GemPurchase, _, _>::builder("s", Nothing, MemoryLedger::new())
        .source_check(SourceCheck::default().trust_proxies("10.1.2.3/32".parse().unwrap()))
        .build();
    let forwarded = behind_proxy.header("X-Forwarded-For", "174.36.92.186");
    let report = forwarded.run_against(&trusting).await.unwrap();
    assert!(report.passed(), "{report}");

    // With another key the valid payment is refused too: the wrong
    // signature's refusal then shows nothing; the missing parameter's (400,
    // before the signature) still does.
    let other_key = Checklist::new(ApiType::DigitalGoods, "other").param("campaign", "spring");
    let report = other_key.run_against(&trusting).await.unwrap();
    let passed: Vec<bool> = report.verdicts.iter().map(|v| v.passed).collect();
    assert_eq!(passed, [false, false, false, false, true], "{report}");
    assert!(
        report.to_string().contains("as the valid payment did"),
        "{report}"
    );
}
