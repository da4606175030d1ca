//! Collects every error of one derive, so that a struct's problems are all
//! reported in one compile.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fmt::Display;

/// The errors found so far.
///
/// ```
/// let mut errors = pw_derive_front::Errors::default();
/// assert!(errors.is_empty());
/// errors.at_span(proc_macro2::Span::call_site(), "missing API type");
/// assert_eq!(errors.errors()[0].to_string(), "missing API type");
/// assert!(errors.into_tokens().to_string().contains("compile_error"));
/// ```
#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// Records an error at `tokens`.
    pub fn at(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error at `span`.
    pub fn at_span(&mut self, span: proc_macro2::Span, message: impl Display) {
        self.errors.push(syn::Error::new(span, message));
    }

    /// Records an error already built.
    pub fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// Everything recorded, in the order found.
    pub fn errors(&self) -> &[syn::Error] {
        &self.errors
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Everything recorded, as `compile_error!` invocations (empty when
    /// nothing was).
    pub fn into_tokens(self) -> TokenStream {
        self.errors
            .into_iter()
            .map(|error| error.to_compile_error())
            .collect()
    }
}
