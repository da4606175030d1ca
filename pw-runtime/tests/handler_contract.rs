//! The handler contract over the listener: every documented pingback type
//! reaches the method of the table in `pw_runtime::handler` and is answered
//! as the table says; an undocumented type is refused (501, logged at error
//! level with its code) until the handler opts in with `unknown_type`.

use std::io::Write;
use std::sync::{Arc, Mutex};

use pw_runtime::ledger::{Claim, Ledger, MemoryLedger};
use pw_runtime::listener::{Listener, Request};
use pw_runtime::{
    ChargebackReason, Delivery, DeliveryKind, Grant, HandlerError, Notice, OriginalPayment,
    Pingback, PingbackType, Reversal, UniqueRef,
};

#[path = "support/pingbacks.rs"]
mod pingbacks;
use pingbacks::*;

const SECRET: &str = "handler-contract-secret";

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Gems {
    #[pingback(own)]
    campaign: String,
}

/// What a handler method saw.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    Deliver(String, DeliveryKind, bool),
    TakeBack(String, Reversal, Option<String>),
    Notice(String, Notice),
    Unknown(String, u32),
}

/// Records every call; accepts undocumented types only when `accept_unknown`.
#[derive(Clone, Default)]
struct Recorder {
    calls: Calls<Call>,
    accept_unknown: bool,
}

impl Recorder {
    fn calls(&self) -> Vec<Call> {
        self.calls.all()
    }

    fn record(&self, call: Call) {
        self.calls.push(call);
    }
}

impl GemsHandler for Recorder {
    async fn deliver(
        &self,
        delivery: &mut Delivery<Gems>,
        grant: Grant,
    ) -> Result<(), HandlerError> {
        let reversed = grant.reversal().is_some();
        self.record(Call::Deliver(
            delivery.reference().to_owned(),
            grant.kind(),
            reversed,
        ));
        Ok(())
    }

    async fn take_back(
        &self,
        delivery: &mut Delivery<Gems>,
        reversal: Reversal,
        original: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        let original = original.map(|o| o.fields::<Gems>().unwrap().campaign);
        self.record(Call::TakeBack(
            delivery.reference().to_owned(),
            reversal,
            original,
        ));
        Ok(())
    }

    async fn notice(
        &self,
        delivery: &mut Delivery<Gems>,
        notice: Notice,
    ) -> Result<(), HandlerError> {
        if delivery.campaign == "unsupported" {
            return Err(HandlerError::unhandled_type(notice.pingback_type()));
        }
        self.record(Call::Notice(delivery.reference().to_owned(), notice));
        Ok(())
    }

    async fn unknown_type(
        &self,
        delivery: &mut Delivery<Gems>,
        code: u32,
    ) -> Result<(), HandlerError> {
        if !self.accept_unknown {
            return Err(HandlerError::unhandled_type(PingbackType::from_code(code)));
        }
        self.record(Call::Unknown(delivery.reference().to_owned(), code));
        Ok(())
    }
}

/// The same handler, relying on the generated default of `unknown_type`.
#[derive(Clone, Default)]
struct Defaults(Recorder);

impl GemsHandler for Defaults {
    async fn deliver(
        &self,
        delivery: &mut Delivery<Gems>,
        grant: Grant,
    ) -> Result<(), HandlerError> {
        self.0.deliver(delivery, grant).await
    }

    async fn take_back(
        &self,
        delivery: &mut Delivery<Gems>,
        reversal: Reversal,
        original: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        self.0.take_back(delivery, reversal, original).await
    }

    async fn notice(
        &self,
        delivery: &mut Delivery<Gems>,
        notice: Notice,
    ) -> Result<(), HandlerError> {
        self.0.notice(delivery, notice).await
    }
}

/// A signed pingback of `kind` for `reference` from a Paymentwall address.
fn pingback(reference: &str, kind: u32, campaign: &str) -> Request {
    gems_pingback(SECRET, reference, kind, campaign, "2")
}

fn listener<H: GemsHandler>(handler: H) -> Listener<Gems, H, MemoryLedger> {
    Listener::builder(SECRET, handler, MemoryLedger::new()).build()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Sends the pingbacks `(ref, type, campaign)` one after the other to a
/// listener over `shop`, each acknowledged; what `shop` saw.
fn calls_after(shop: Recorder, pingbacks: &[(&str, u32, &str)]) -> Vec<Call> {
    let listener = listener(shop.clone());
    runtime().block_on(async {
        for &(reference, kind, campaign) in pingbacks {
            assert_ok(&listener.handle(pingback(reference, kind, campaign)).await);
        }
    });
    shop.calls()
}

/// The table of `pw_runtime::handler`, row by row.
#[test]
fn every_documented_type_reaches_its_method_and_is_acknowledged() {
    let shop = Recorder::default();
    let listener = listener(shop.clone());
    runtime().block_on(async {
        let rows: [(u32, Call); 10] = [
            (0, Call::Deliver("r0".into(), DeliveryKind::Payment, false)),
            (1, Call::Deliver("r1".into(), DeliveryKind::Goodwill, false)),
            (
                201,
                Call::Deliver("r201".into(), DeliveryKind::RiskReviewAccepted, false),
            ),
            (
                2,
                Call::TakeBack(
                    "r2".into(),
                    Reversal::Chargeback {
                        reason: Some(ChargebackReason::CreditCardFraud),
                    },
                    None,
                ),
            ),
            (
                202,
                Call::TakeBack("r202".into(), Reversal::RiskReviewDeclined, None),
            ),
            (200, Call::Notice("r200".into(), Notice::RiskReviewPending)),
            (
                203,
                Call::Notice("r203".into(), Notice::AuthorizationVoided),
            ),
            (
                12,
                Call::Notice("r12".into(), Notice::SubscriptionCancelled),
            ),
            (13, Call::Notice("r13".into(), Notice::SubscriptionExpired)),
            (
                14,
                Call::Notice("r14".into(), Notice::SubscriptionRenewalFailed),
            ),
        ];
        for (kind, call) in rows {
            let reference = format!("r{kind}");
            let response = listener.handle(pingback(&reference, kind, "spring")).await;
            assert_ok(&response);
            assert_eq!(shop.calls().last(), Some(&call), "type {kind}");
            // Recorded: a duplicate is acknowledged without a second call.
            let before = shop.calls().len();
            assert_ok(&listener.handle(pingback(&reference, kind, "spring")).await);
            assert_eq!(shop.calls().len(), before, "type {kind} ran twice");
        }
    });
}

/// A merchant's payment code serves goodwill credits and accepted risk
/// reviews: they reach `deliver` with their kind, and each grants once.
#[test]
fn goodwill_and_risk_accepted_reach_deliver_with_their_kind() {
    let calls = calls_after(
        Recorder::default(),
        &[
            ("g1", 1, "spring"),
            ("g1", 1, "spring"),
            ("k1", 200, "spring"),
            ("k1", 201, "spring"),
            ("k1", 201, "spring"),
        ],
    );
    assert_eq!(
        calls,
        [
            Call::Deliver("g1".into(), DeliveryKind::Goodwill, false),
            Call::Notice("k1".into(), Notice::RiskReviewPending),
            Call::Deliver("k1".into(), DeliveryKind::RiskReviewAccepted, false),
        ]
    );
}

/// `take_back` receives the payment it reverses, for a chargeback (2) and
/// a declined review (202) alike, when the ledger delivered it.
#[test]
fn take_back_receives_the_delivered_payment() {
    let calls = calls_after(
        Recorder::default(),
        &[
            ("p1", 0, "spring"),
            ("p1", 2, "chargeback"),
            ("p2", 201, "summer"),
            ("p2", 202, "declined"),
        ],
    );
    assert_eq!(
        calls[1],
        Call::TakeBack(
            "p1".into(),
            Reversal::Chargeback {
                reason: Some(ChargebackReason::CreditCardFraud)
            },
            Some("spring".into())
        )
    );
    assert_eq!(
        calls[3],
        Call::TakeBack(
            "p2".into(),
            Reversal::RiskReviewDeclined,
            Some("summer".into())
        )
    );
}

/// Everything this test binary logged so far, without colours. One global
/// subscriber: a per-test one races with the other tests' threads over
/// `tracing`'s cached interest of each call site.
fn log() -> String {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    static BUFFER: std::sync::OnceLock<Buffer> = std::sync::OnceLock::new();
    let buffer = BUFFER.get_or_init(|| {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .init();
        buffer
    });
    let bytes = buffer.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

/// Type 99 with the generated default: not acknowledged, 501, logged at
/// error level with its code, nothing recorded, refused again on retry.
#[test]
fn an_undocumented_type_is_answered_501_and_logged_at_error_level() {
    let shop = Defaults::default();
    let listener = listener(shop.clone());
    log();
    let responses = runtime().block_on(async {
        [
            listener
                .handle(pingback("undocumented1", 99, "spring"))
                .await,
            listener
                .handle(pingback("undocumented1", 99, "spring"))
                .await,
        ]
    });
    let log = log();
    for response in &responses {
        assert!(!response.is_acknowledgement(), "{response:?}");
        assert_eq!(response.status, 501, "{response:?}");
        assert!(response.body.contains("type 99"), "{response:?}");
    }
    let error_line = log
        .lines()
        .find(|line| {
            line.contains("ERROR") && line.contains("code=99") && line.contains("undocumented1")
        })
        .unwrap_or_else(|| panic!("no error line with the code:\n{log}"));
    assert!(error_line.contains("not handled"), "{error_line}");
    assert!(shop.0.calls().is_empty());
    // Nothing recorded: the ledger hands out a fresh claim.
    runtime().block_on(async {
        let id = UniqueRef::new("undocumented1", PingbackType::Unknown(99));
        match listener.ledger().claim(&id).await.unwrap() {
            Claim::Fresh(lease) => listener.ledger().release(lease).await.unwrap(),
            other => panic!("expected nothing recorded, got {other:?}"),
        }
    });
}

/// A handler that implements `unknown_type` acknowledges type 99, once.
#[test]
fn opting_in_acknowledges_an_undocumented_type() {
    let shop = Recorder {
        accept_unknown: true,
        ..Recorder::default()
    };
    let calls = calls_after(
        shop,
        &[
            ("u2", 99, "spring"),
            ("u2", 99, "spring"),
            ("u3", 4_000_000_000, "spring"),
        ],
    );
    assert_eq!(
        calls,
        [
            Call::Unknown("u2".into(), 99),
            Call::Unknown("u3".into(), 4_000_000_000)
        ]
    );
}

/// A documented type the merchant's code declares unhandled is answered
/// 501 too, and handled once the code accepts it.
#[test]
fn a_method_can_refuse_a_type_it_does_not_handle() {
    let shop = Recorder::default();
    let listener = listener(shop.clone());
    runtime().block_on(async {
        let refused = listener.handle(pingback("s1", 12, "unsupported")).await;
        assert_eq!(refused.status, 501, "{refused:?}");
        assert!(refused.body.contains("type 12"), "{refused:?}");
        assert_ok(&listener.handle(pingback("s1", 12, "spring")).await);
    });
    assert_eq!(
        shop.calls(),
        [Call::Notice("s1".into(), Notice::SubscriptionCancelled)]
    );
}
