//! The `#[derive(Pingback)]` macro of pw. Use it through `pw-runtime`, which
//! re-exports it; this crate is an implementation detail.
