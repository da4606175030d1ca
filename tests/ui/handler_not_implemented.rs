use pw_runtime::ledger::MemoryLedger;
use pw_runtime::listener::Listener;
use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "cart")]
struct Order {}

/// Not a handler of `Order`.
struct Shop;

fn main() {
    let _listener = Listener::<Order, _, _>::builder("secret", Shop, MemoryLedger::new()).build();
}
