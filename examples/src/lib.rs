//! Runnable examples of pw live in `examples/`; this library holds what
//! they share with the tests.
//!
//! - [`quickstart`]: the quickstart's shop, listener and server, which the
//!   `quickstart` example runs and the tests start on `127.0.0.1:0`.
//! - [`balance`]: a round-robin TCP balancer, to put several quickstart
//!   instances behind one address (the `balance` example).

pub mod balance;
pub mod quickstart;
