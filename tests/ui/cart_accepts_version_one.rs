use pw_runtime::Pingback;

// Cart pingbacks are signed with version 2 only: accepting version 1 could
// only let a forged pingback in.
#[derive(Pingback)]
#[pingback(api = "cart", min_version = 1)]
struct Order {}

fn main() {}
