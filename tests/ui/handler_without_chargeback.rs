use pw_runtime::{Delivery, HandlerError, Pingback};

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own)]
    campaign: String,
}

struct Shop;

impl PurchaseHandler for Shop {
    async fn payment(&self, _payment: &mut Delivery<Purchase>) -> Result<(), HandlerError> {
        Ok(())
    }
}

fn main() {}
