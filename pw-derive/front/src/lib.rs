//! The front end of pw's `#[derive(Pingback)]`: it reads a schema's
//! `#[pingback(...)]` attributes, applies every rule about them and builds
//! the checked [`model`]. The derive (`pw-derive`) writes the code from
//! that model; the `pw-pingback` command line prints a schema's settings
//! table from it, so both read a schema the same way. Use it through
//! `pw-runtime`; this crate is an implementation detail.
//!
//! One stage per module: `attr` reads the attributes, `check` applies the
//! rules about the struct (with `field` for each field, `names` for
//! parameter names and `krate` for the runtime's path) and builds the
//! `model`, collecting all errors (see [`Errors`]). `catalog` is the
//! runtime's table of parameters, with name suggestions; `types` reads the
//! one thing a type's spelling tells (`Option<...>`).
//!
//! ```
//! use pw_derive_front::model::Source;
//!
//! let input: syn::DeriveInput = syn::parse_quote! {
//!     #[pingback(api = "digital_goods")]
//!     struct Purchase {
//!         #[pingback(own, param = "campaign_id")]
//!         campaign: String,
//!     }
//! };
//! let (schema, errors) = pw_derive_front::schema(&input);
//! assert!(errors.is_empty() && schema.valid);
//! assert_eq!(schema.fields[0].param, "campaign_id");
//! assert!(matches!(schema.fields[0].source, Source::Own));
//! ```

mod attr;
mod catalog;
mod check;
mod ctxt;
mod field;
mod krate;
pub mod model;
mod names;
mod types;

pub use check::schema;
pub use ctxt::Errors;
