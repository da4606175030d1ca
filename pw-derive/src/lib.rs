//! The `#[derive(Pingback)]` macro of pw. Use it through `pw-runtime`, which
//! re-exports it; this crate is an implementation detail.
//!
//! The derive is a small compiler front end, one stage per module:
//! `attr` reads the `#[pingback(...)]` attributes, `check` applies every
//! rule and builds the `model` (collecting all errors, see `ctxt`), and
//! `expand` writes the code. `catalog` is the runtime's table of
//! parameters, compiled in; `types` reads field types.

mod attr;
mod catalog;
mod check;
mod ctxt;
mod expand;
mod model;
mod types;

use proc_macro::TokenStream;

#[doc = include_str!("derive.md")]
#[proc_macro_derive(Pingback, attributes(pingback))]
pub fn derive_pingback(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    match check::schema(&input) {
        Ok(schema) => expand::schema(&schema).into(),
        Err(errors) => errors.into(),
    }
}
