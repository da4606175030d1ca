//! What the derive can tell about a field's type from its tokens alone:
//! whether it is an `Option`, and whether a well-known type can hold a
//! value kind. Types it does not know are checked by the compiler through
//! the `FromValue` bound instead.

use crate::catalog::ValueKind;
use syn::{GenericArgument, PathArguments, Type};

/// The last path segment of a type, with its generic arguments.
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        Type::Group(group) => last_segment(&group.elem),
        Type::Paren(paren) => last_segment(&paren.elem),
        _ => None,
    }
}

/// The single generic type argument of a segment, as in `Option<T>`.
fn single_argument(segment: &syn::PathSegment) -> Option<&Type> {
    let PathArguments::AngleBracketed(arguments) = &segment.arguments else {
        return None;
    };
    let mut types = arguments.args.iter().filter_map(|argument| match argument {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    let first = types.next()?;
    types.next().is_none().then_some(first)
}

/// `T` when the type is `Option<T>`.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let segment = last_segment(ty)?;
    if segment.ident != "Option" {
        return None;
    }
    single_argument(segment)
}

/// Whether the type reads `Vec<String>`.
pub fn is_vec_of_string(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|segment| {
        segment.ident == "Vec"
            && single_argument(segment)
                .and_then(last_segment)
                .is_some_and(|inner| inner.ident == "String" && inner.arguments.is_none())
    })
}

/// What pw knows about a type named by its last segment.
pub enum Known {
    /// A type pw knows: it holds exactly the kinds whose accepted types
    /// list its name.
    Type(String),
    /// A floating-point type: never money.
    Float(String),
    /// A type pw does not know: the compiler decides through `FromValue`.
    Unknown,
}

/// Every type name any kind accepts, plus the primitive types.
fn known_names() -> impl Iterator<Item = &'static str> {
    const PRIMITIVES: &[&str] = &[
        "bool", "char", "str", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32",
        "u64", "u128", "usize", "String", "Vec",
    ];
    const KINDS: &[ValueKind] = &[
        ValueKind::Text,
        ValueKind::Decimal,
        ValueKind::DateTime,
        ValueKind::DateTimeUtc,
        ValueKind::Country,
        ValueKind::Currency,
        ValueKind::Flag,
        ValueKind::IpAddress,
        ValueKind::Reference,
        ValueKind::UniqueReference,
        ValueKind::ChargebackReason,
        ValueKind::ChargebackType,
        ValueKind::Integer,
        ValueKind::Period,
        ValueKind::PingbackType,
    ];
    PRIMITIVES.iter().copied().chain(
        KINDS
            .iter()
            .flat_map(|kind| kind.accepted_types().iter().copied()),
    )
}

/// Classifies a field type (the `T` of `Option<T>` already taken out).
pub fn classify(ty: &Type) -> Known {
    let Some(segment) = last_segment(ty) else {
        return Known::Unknown;
    };
    let name = segment.ident.to_string();
    if name == "f32" || name == "f64" {
        return Known::Float(name);
    }
    if known_names().any(|known| known == name) {
        let shown = if name == "Vec" && is_vec_of_string(ty) {
            "Vec<String>".to_owned()
        } else {
            name
        };
        return Known::Type(shown);
    }
    Known::Unknown
}

/// Whether the kind accepts a known type named `name`.
pub fn accepts(kind: ValueKind, name: &str) -> bool {
    kind.accepted_types().contains(&name)
}
