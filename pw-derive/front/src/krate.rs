//! The path of the runtime crate in the generated code: `::pw_runtime`, or
//! the path `crate = "..."` names. A dependency renamed in `Cargo.toml`
//! without `crate = "..."` would make every generated path fail, so the
//! manifest is read (only for that) and the mistake is one error that
//! names the line to add.

use crate::ctxt::Errors;
use proc_macro2::Span;
use proc_macro_crate::FoundCrate;
use syn::{LitStr, Path};

/// The package the generated code refers to.
const PACKAGE: &str = "pw-runtime";

/// The runtime crate's path.
pub fn path(literal: Option<&LitStr>, errors: &mut Errors) -> Path {
    let default: Path = syn::parse_quote!(::pw_runtime);
    let Some(literal) = literal else {
        if let Some(name) = renamed() {
            errors.at_span(
                Span::call_site(),
                format!(
                    "this package depends on `{PACKAGE}` under the name `{name}`, so the \
                     derive cannot find it as `pw_runtime`: add `crate = \"{name}\"` to the \
                     struct's `#[pingback(...)]`"
                ),
            );
        }
        return default;
    };
    let text = literal.value();
    if text.contains('-') {
        errors.at(
            literal,
            format!(
                "`crate` takes the crate's Rust name, with `_` for `-`: write `crate = \"{}\"`",
                text.replace('-', "_")
            ),
        );
        return default;
    }
    literal.parse().unwrap_or_else(|_| {
        errors.at(
            literal,
            "`crate` takes the path of the pw-runtime crate in this package, such as \
             `crate = \"pw\"` or `crate = \"my_facade::pw_runtime\"`",
        );
        default
    })
}

/// The name this package gives `pw-runtime` in its manifest, when it is
/// not `pw_runtime`. `None` when the manifest cannot tell (a build without
/// Cargo, a facade crate re-exporting the runtime): the default path is
/// used then, as it is when the name is `pw_runtime`.
fn renamed() -> Option<String> {
    match proc_macro_crate::crate_name(PACKAGE).ok()? {
        // The runtime's own tests, examples and doctests reach it by name.
        FoundCrate::Itself => None,
        FoundCrate::Name(name) if name == "pw_runtime" => None,
        FoundCrate::Name(name) => Some(name),
    }
}
