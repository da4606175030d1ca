//! `settings`: the settings table of a `#[derive(Pingback)]` schema, read
//! from its source file.
//!
//! The file is parsed, not compiled: the schema is read and checked by the
//! derive's own front end (`pw-derive-front`), so the rows are the ones the
//! derive builds, and a schema the derive would refuse is refused here with
//! its first error.

use std::fs;

use pw_derive_front::model::Source;
use pw_runtime::{Setting, SettingValue, SettingsTable};
use quote::ToTokens;
use syn::{Attribute, DeriveInput, Item, ItemStruct};

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

/// The custom-parameter rows of a schema, in field order, as the derive
/// builds them.
fn rows(schema: &ItemStruct) -> Result<Vec<Setting>, String> {
    let input: DeriveInput =
        syn::parse2(schema.to_token_stream()).map_err(|e| format!("{}: {e}", schema.ident))?;
    let (model, errors) = pw_derive_front::schema(&input);
    if let Some(error) = errors.errors().first() {
        return Err(format!("{}: {error}", schema.ident));
    }
    Ok(model
        .fields
        .into_iter()
        .filter_map(|field| {
            let value = match field.source {
                Source::Own => SettingValue::Own,
                Source::System(entry) => SettingValue::System(entry.name),
                Source::Standard(_) => return None,
            };
            Some(Setting {
                parameter: leak(field.param),
                value,
            })
        })
        .collect())
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}
