//! Stage 2: the checked model of a schema, from which the code is written.
//! A schema with errors still has a model (the fields whose source could
//! be decided), so that the items the rest of the user's code refers to
//! are still generated and one mistake gives one error.

use crate::catalog::{CatalogEntry, ValueKind};
use syn::{Ident, Path, Type, Visibility};

/// A `#[derive(Pingback)]` struct, checked.
pub struct Schema {
    /// The struct's name.
    pub ident: Ident,
    /// The struct's visibility, given to the generated trait and types.
    pub vis: Visibility,
    /// The name of the generated handler trait.
    pub handler: Ident,
    /// The API type's variant name in `pw_runtime::ApiType`.
    pub api_variant: &'static str,
    /// The lowest accepted signature version, 1 to 3.
    pub min_version: u8,
    /// The path of the runtime crate (`::pw_runtime`, or `crate = "..."`).
    pub krate: Path,
    /// The fields, in declaration order.
    pub fields: Vec<Field>,
    /// Whether every rule held: only then is the parser generated (a
    /// schema with errors gets a parser that is never compiled into a
    /// program, since the errors stop the build).
    pub valid: bool,
}

/// A field of the schema, checked.
pub struct Field {
    /// The field's name.
    pub ident: Ident,
    /// The field's type as written.
    pub ty: Type,
    /// Where the value comes from.
    pub source: Source,
    /// The pingback parameter the value arrives under.
    pub param: String,
    /// The kind of value.
    pub kind: ValueKind,
    /// Whether the type must hold an empty value (the parameter may be
    /// empty, the field does not say `always_filled`, and its type is not
    /// written `Option<...>`): the compiler then checks it is an `Option`.
    pub check_optional: bool,
}

/// Where a field's value comes from.
pub enum Source {
    /// An `OWN` custom parameter, echoed from the widget call.
    Own,
    /// A custom parameter with a system value.
    System(&'static CatalogEntry),
    /// A standard parameter.
    Standard(&'static CatalogEntry),
}
