use pw_runtime::{Delivery, Grant, HandlerError, Notice, Pingback};

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own)]
    campaign: String,
}

struct Shop;

// A handler that delivers but never takes anything back does not compile.
impl PurchaseHandler for Shop {
    async fn deliver(&self, _: &mut Delivery<Purchase>, _: Grant) -> Result<(), HandlerError> {
        Ok(())
    }

    async fn notice(&self, _: &mut Delivery<Purchase>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}

fn main() {}
