use pw_runtime::{Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal};

// One mistake in the schema is one error: the handler trait, the OWN struct
// and the widget call are generated all the same, so the code below them
// compiles.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "REVENUE_LOCALE")]
    revenue: pw_runtime::Decimal,
    #[pingback(own)]
    campaign: String,
}

struct Shop;

impl PurchaseHandler for Shop {
    async fn deliver(&self, _: &mut Delivery<Purchase>, _: Grant) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn take_back(
        &self,
        _: &mut Delivery<Purchase>,
        _: Reversal,
        _: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn notice(&self, _: &mut Delivery<Purchase>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}

fn main() {
    let own = PurchaseOwn { campaign: "spring".into() };
    let _ = Purchase::widget_call("key", "secret", &own).uid("u").widget("p1_1").url();
}
