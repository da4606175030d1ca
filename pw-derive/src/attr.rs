//! Stage 1: the `#[pingback(...)]` attributes as written, each value with
//! its token for error spans. Unknown and repeated keys are reported here.

use crate::catalog::did_you_mean;
use crate::ctxt::Errors;
use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitInt, LitStr};

/// The keys a struct attribute takes.
const STRUCT_KEYS: &[&str] = &["api", "min_version", "crate"];
/// The keys a field attribute takes.
const FIELD_KEYS: &[&str] = &["own", "system", "standard", "param", "always_filled"];

/// `#[pingback(...)]` on the struct.
#[derive(Default)]
pub struct StructAttrs {
    /// `api = "digital_goods"`
    pub api: Option<LitStr>,
    /// `min_version = 2`
    pub min_version: Option<LitInt>,
    /// `crate = "path::to::pw_runtime"`
    pub krate: Option<LitStr>,
}

/// `#[pingback(...)]` on a field.
#[derive(Default)]
pub struct FieldAttrs {
    /// `own`
    pub own: Option<Span>,
    /// `system = "REVENUE_LOCAL"`
    pub system: Option<LitStr>,
    /// `standard = "slength"`
    pub standard: Option<LitStr>,
    /// `param = "rev"`
    pub param: Option<LitStr>,
    /// `always_filled`
    pub always_filled: Option<Span>,
}

impl StructAttrs {
    /// Reads every `#[pingback(...)]` of the struct.
    pub fn parse(attrs: &[Attribute], errors: &mut Errors) -> StructAttrs {
        let mut out = StructAttrs::default();
        for attr in pingback_attrs(attrs) {
            let result = attr.parse_nested_meta(|meta| {
                let key = key_of(&meta);
                match key.as_str() {
                    "api" => set(&mut out.api, &meta, errors, |m| m.value()?.parse()),
                    "min_version" => {
                        set(&mut out.min_version, &meta, errors, |m| m.value()?.parse())
                    }
                    "crate" => set(&mut out.krate, &meta, errors, |m| m.value()?.parse()),
                    _ => unknown_key(&meta, &key, STRUCT_KEYS, "struct", errors),
                }
            });
            if let Err(error) = result {
                errors.push(error);
            }
        }
        out
    }
}

impl FieldAttrs {
    /// Reads every `#[pingback(...)]` of a field.
    pub fn parse(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
        let mut out = FieldAttrs::default();
        for attr in pingback_attrs(attrs) {
            let result = attr.parse_nested_meta(|meta| {
                let key = key_of(&meta);
                match key.as_str() {
                    "own" => set(&mut out.own, &meta, errors, flag),
                    "system" => set(&mut out.system, &meta, errors, |m| m.value()?.parse()),
                    "standard" => set(&mut out.standard, &meta, errors, |m| m.value()?.parse()),
                    "param" => set(&mut out.param, &meta, errors, |m| m.value()?.parse()),
                    "always_filled" => set(&mut out.always_filled, &meta, errors, flag),
                    _ => unknown_key(&meta, &key, FIELD_KEYS, "field", errors),
                }
            });
            if let Err(error) = result {
                errors.push(error);
            }
        }
        out
    }
}

fn pingback_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident("pingback"))
}

fn key_of(meta: &ParseNestedMeta<'_>) -> String {
    meta.path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_else(|| {
            let path = &meta.path;
            quote::quote!(#path).to_string().replace(' ', "")
        })
}

/// A key without a value, such as `own`: its span.
fn flag(meta: &ParseNestedMeta<'_>) -> syn::Result<Span> {
    if meta.input.peek(syn::Token![=]) {
        let key = key_of(meta);
        return Err(meta.error(format!("`{key}` takes no value: write `{key}` alone")));
    }
    Ok(meta
        .path
        .get_ident()
        .map_or_else(Span::call_site, syn::Ident::span))
}

/// Stores a key's value, reporting a repeated key.
fn set<T>(
    slot: &mut Option<T>,
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
    parse: impl FnOnce(&ParseNestedMeta<'_>) -> syn::Result<T>,
) -> syn::Result<()> {
    let value = parse(meta)?;
    if slot.is_some() {
        let key = key_of(meta);
        errors.at(&meta.path, format!("`{key}` is given twice: keep one"));
    } else {
        *slot = Some(value);
    }
    Ok(())
}

fn unknown_key(
    meta: &ParseNestedMeta<'_>,
    key: &str,
    known: &[&str],
    place: &str,
    errors: &mut Errors,
) -> syn::Result<()> {
    let list = known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    errors.at(
        &meta.path,
        format!(
            "unknown key `{key}` in a {place} `#[pingback(...)]`{}; the keys are {list}",
            did_you_mean(key, known.iter().copied())
        ),
    );
    // Skip the value, if any, so the remaining keys are still read.
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|_| Ok(()))?;
    }
    Ok(())
}
