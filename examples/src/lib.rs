//! Runnable examples of pw live in `examples/`; this library holds what
//! they share with the tests.
//!
//! - [`quickstart`]: the quickstart's shop, listener and server, which the
//!   `quickstart` example runs and the tests start on `127.0.0.1:0`.

pub mod quickstart;
