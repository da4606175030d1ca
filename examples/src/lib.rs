//! Runnable examples of pw live in `examples/`.
