//! The one thing the derive reads from a field's type tokens: whether it
//! is written `Option<...>`. Everything a type can hold is decided by its
//! trait implementations, which the generated code asks the compiler
//! about; this only lets a message be precise where the spelling is
//! unambiguous (an `Option` written out), and is never the reason a type
//! is refused (a type alias of an `Option` passes the trait check).

use syn::{GenericArgument, PathArguments, Type};

/// Whether the type is written `Option<T>` (with any path to it).
pub fn is_written_option(ty: &Type) -> bool {
    match ty {
        Type::Group(group) => is_written_option(&group.elem),
        Type::Paren(paren) => is_written_option(&paren.elem),
        Type::Path(path) if path.qself.is_none() => {
            path.path.segments.last().is_some_and(|segment| {
                segment.ident == "Option"
                    && matches!(
                        &segment.arguments,
                        PathArguments::AngleBracketed(arguments)
                            if arguments.args.len() == 1
                                && matches!(arguments.args[0], GenericArgument::Type(_))
                    )
            })
        }
        _ => false,
    }
}
