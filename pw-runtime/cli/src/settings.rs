//! `settings`: the settings table of a `#[derive(Pingback)]` schema, read
//! from its source file.
//!
//! The file is parsed, not compiled, so only the rows are read here (each
//! field's `own` or `system = "..."` and `param = "..."`); the derive
//! checks everything else when the crate compiles.

use std::fs;

use pw_runtime::{Setting, SettingValue, SettingsTable};
use syn::{Attribute, Fields, Item, ItemStruct, LitStr};

use crate::args::SettingsArgs;
use crate::Outcome;

/// Prints the table.
pub fn run(args: &SettingsArgs) -> Result<Outcome, String> {
    let path = args.file.display();
    let source = fs::read_to_string(&args.file).map_err(|e| format!("cannot read {path}: {e}"))?;
    let file = syn::parse_file(&source).map_err(|e| format!("{path} is not Rust source: {e}"))?;
    let schemas: Vec<&ItemStruct> = file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Struct(item) if derives_pingback(&item.attrs) => Some(item),
            _ => None,
        })
        .collect();
    let names = || {
        schemas
            .iter()
            .map(|s| s.ident.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let schema = match (&args.schema, schemas.as_slice()) {
        (_, []) => return Err(format!("{path} declares no #[derive(Pingback)] struct")),
        (None, [only]) => *only,
        (None, _) => {
            return Err(format!(
                "{path} declares several schemas ({}): choose one with --schema",
                names()
            ))
        }
        (Some(name), _) => *schemas.iter().find(|s| s.ident == name).ok_or_else(|| {
            format!(
                "{path} has no #[derive(Pingback)] struct {name} (it has {})",
                names()
            )
        })?,
    };
    let rows = rows(schema)?;
    // A table holds `'static` rows, as the derive's constants do; this
    // process prints one table and exits, so the rows may live that long.
    let rows: &'static [Setting] = Box::leak(rows.into_boxed_slice());
    print!("{}", SettingsTable::new(rows));
    Ok(Outcome::Success)
}

fn derives_pingback(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|attr| {
            attr.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|paths| {
                paths
                    .iter()
                    .any(|p| p.segments.last().is_some_and(|s| s.ident == "Pingback"))
            })
        })
}

/// The custom-parameter rows of a schema, in field order.
fn rows(schema: &ItemStruct) -> Result<Vec<Setting>, String> {
    let Fields::Named(fields) = &schema.fields else {
        return Err(format!("{} has no named fields", schema.ident));
    };
    let mut rows = Vec::new();
    for field in &fields.named {
        let (mut own, mut system, mut param) = (false, None, None);
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("pingback")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("own") {
                    own = true;
                } else if meta.path.is_ident("system") {
                    system = Some(meta.value()?.parse::<LitStr>()?.value());
                } else if meta.path.is_ident("param") {
                    param = Some(meta.value()?.parse::<LitStr>()?.value());
                } else if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<syn::Expr>()?;
                }
                Ok(())
            })
            .map_err(|e| format!("{}: {e}", schema.ident))?;
        }
        let value = match (own, system) {
            (true, _) => SettingValue::Own,
            (false, Some(system)) => SettingValue::System(leak(system)),
            (false, None) => continue,
        };
        let name = param.unwrap_or_else(|| {
            field
                .ident
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
                .trim_start_matches("r#")
                .to_owned()
        });
        rows.push(Setting {
            parameter: leak(name),
            value,
        });
    }
    Ok(rows)
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}
