use pw_runtime::{Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal};

#[derive(Pingback)]
#[pingback]
struct Order {}

#[derive(Pingback)]
#[pingback = "cart"]
struct Basket {}

#[derive(Pingback)]
#[pingback(api = "cart" min_version = 2)]
struct Cart {}

// Each schema above is one error: the handler trait and the rest are
// still generated, so the code that uses them compiles.
struct Shop;

impl OrderHandler for Shop {
    async fn deliver(&self, _: &mut Delivery<Order>, _: Grant) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn take_back(
        &self,
        _: &mut Delivery<Order>,
        _: Reversal,
        _: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn notice(&self, _: &mut Delivery<Order>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}

fn main() {
    let _ = (BasketOwn {}, CartOwn {});
}
