//! Stage 2: the checked model of a schema, from which the code is written.

use crate::catalog::{CatalogEntry, ValueKind};
use syn::{Ident, Path, Type, Visibility};

/// A `#[derive(Pingback)]` struct, checked.
pub struct Schema {
    /// The struct's name.
    pub ident: Ident,
    /// The struct's visibility, given to the generated trait and types.
    pub vis: Visibility,
    /// The API type's variant name in `pw_runtime::ApiType`.
    pub api_variant: &'static str,
    /// The lowest accepted signature version, 1 to 3.
    pub min_version: u8,
    /// The path of the runtime crate (`::pw_runtime`, or `crate = "..."`).
    pub krate: Path,
    /// The fields, in declaration order.
    pub fields: Vec<Field>,
}

/// A field of the schema, checked.
pub struct Field {
    /// The field's name.
    pub ident: Ident,
    /// The field's type as written.
    pub ty: Type,
    /// `T` of `Option<T>`, or the type itself.
    pub value_ty: Type,
    /// Whether the field is an `Option`.
    pub optional: bool,
    /// Where the value comes from.
    pub source: Source,
    /// The pingback parameter the value arrives under.
    pub param: String,
    /// The kind of value.
    pub kind: ValueKind,
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
