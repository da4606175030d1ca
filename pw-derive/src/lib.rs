//! The `#[derive(Pingback)]` macro of pw. Use it through `pw-runtime`, which
//! re-exports it; this crate is an implementation detail.
//!
//! The derive is a small compiler front end, one stage per module:
//! `attr` reads the `#[pingback(...)]` attributes, `check` applies the
//! rules about the struct (with `field` for each field, `names` for
//! parameter names and `krate` for the runtime's path) and builds the
//! `model`, collecting all errors (see `ctxt`), and `expand` writes the
//! code. `catalog` is the runtime's table of parameters, compiled in;
//! `types` reads the one thing a type's spelling tells (`Option<...>`).
//!
//! A schema with errors still expands to the items the user's code refers
//! to (the handler trait, the implementations, the `OWN` struct), so that
//! one mistake is one error.

mod again;
mod attr;
mod catalog;
mod check;
mod ctxt;
mod expand;
mod field;
mod krate;
mod model;
mod names;
mod types;

use proc_macro::TokenStream;

#[doc = include_str!("derive.md")]
#[proc_macro_derive(Pingback, attributes(pingback))]
pub fn derive_pingback(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    match again::role(&input.attrs) {
        again::Role::Generate => {}
        again::Role::Report(error) => return error.to_compile_error().into(),
        again::Role::Silent => return TokenStream::new(),
    }
    let (schema, errors) = check::schema(&input);
    if !input.generics.params.is_empty() {
        // Nothing can be generated for a generic struct without its
        // parameters: the one error says so.
        return errors.into_tokens().into();
    }
    let mut out = errors.into_tokens();
    out.extend(expand::schema(&schema));
    out.into()
}
