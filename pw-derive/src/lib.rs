//! The `#[derive(Pingback)]` macro of pw. Use it through `pw-runtime`, which
//! re-exports it; this crate is an implementation detail.
//!
//! The derive is a small compiler: its front end, the `pw-derive-front`
//! package (shared with the `pw-pingback` command line), reads the
//! `#[pingback(...)]` attributes, applies every rule and builds the model,
//! collecting all errors; `expand` here writes the code from the model, and
//! `again` decides which of several derives of one struct reports.
//!
//! A schema with errors still expands to the items the user's code refers
//! to (the handler trait, the implementations, the `OWN` struct), so that
//! one mistake is one error.

mod again;
mod expand;

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
    let (schema, errors) = pw_derive_front::schema(&input);
    if !input.generics.params.is_empty() {
        // Nothing can be generated for a generic struct without its
        // parameters: the one error says so.
        return errors.into_tokens().into();
    }
    let mut out = errors.into_tokens();
    out.extend(expand::schema(&schema));
    out.into()
}
