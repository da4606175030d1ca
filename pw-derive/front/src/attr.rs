//! Stage 1: the `#[pingback(...)]` attributes as written, each value with
//! its token for error spans. The attribute's shape is checked here: an
//! unknown, repeated or misplaced key, a key given a value of the wrong
//! form, a malformed attribute. Each such mistake is one error, and the
//! remaining keys are still read.

use crate::catalog::did_you_mean;
use crate::ctxt::Errors;
use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, Lit, LitInt, LitStr, Meta};

/// The keys a struct attribute takes, with an example value.
const STRUCT_KEYS: &[(&str, &str)] = &[
    ("api", "api = \"digital_goods\""),
    ("min_version", "min_version = 2"),
    ("crate", "crate = \"pw\""),
    ("handler", "handler = \"ShopHandler\""),
];
/// The keys a field attribute takes, with an example.
const FIELD_KEYS: &[(&str, &str)] = &[
    ("own", "own"),
    ("system", "system = \"REVENUE_LOCAL\""),
    ("standard", "standard = \"slength\""),
    ("param", "param = \"rev\""),
    ("always_filled", "always_filled"),
];

/// `#[pingback(...)]` on the struct.
#[derive(Default)]
pub struct StructAttrs {
    /// `api = "digital_goods"`
    pub api: Option<LitStr>,
    /// `min_version = 2`
    pub min_version: Option<LitInt>,
    /// `crate = "path::to::pw_runtime"`
    pub krate: Option<LitStr>,
    /// `handler = "ShopHandler"`
    pub handler: Option<LitStr>,
    /// Whether an attribute could not be read to its end (already
    /// reported): a key it held may be missing, and is not reported again.
    pub broken: bool,
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
    /// As [`StructAttrs::broken`].
    pub broken: bool,
}

/// Where a `#[pingback(...)]` stands: the keys it takes, and the other
/// place's keys, which are misplaced here.
struct Place {
    /// `struct` or `field`, as the messages name it.
    name: &'static str,
    keys: &'static [(&'static str, &'static str)],
    other_keys: &'static [(&'static str, &'static str)],
    /// Where a key of the other place belongs.
    other_place: &'static str,
}

const ON_STRUCT: Place = Place {
    name: "struct",
    keys: STRUCT_KEYS,
    other_keys: FIELD_KEYS,
    other_place: "a field's `#[pingback(...)]`, not the struct's",
};

const ON_FIELD: Place = Place {
    name: "field",
    keys: FIELD_KEYS,
    other_keys: STRUCT_KEYS,
    other_place: "the struct's `#[pingback(...)]`, not a field's",
};

/// Reads each key of every `#[pingback(...)]` in `attrs` with `read`, which
/// answers `None` for a key `place` does not take (reported here as
/// misplaced or unknown). Whether an attribute could not be read to its end.
fn read_keys(
    attrs: &[Attribute],
    place: &Place,
    errors: &mut Errors,
    mut read: impl FnMut(&ParseNestedMeta<'_>, &str, &mut Errors) -> Option<syn::Result<()>>,
) -> bool {
    let (lists, mut broken) = pingback_attrs(attrs, errors);
    for attr in lists {
        let result = attr.parse_nested_meta(|meta| {
            let key = key_of(&meta);
            if let Some(result) = read(&meta, &key, errors) {
                return result;
            }
            broken = true;
            if place.other_keys.iter().any(|(k, _)| *k == key) {
                misplaced(&meta, &key, place.other_place, errors)
            } else {
                // The key may have been meant as a missing one: it is not
                // reported missing as well.
                unknown_key(&meta, &key, place.keys, place.name, errors)
            }
        });
        if let Err(error) = result {
            errors.push(reword(error));
            broken = true;
        }
    }
    broken
}

impl StructAttrs {
    /// Reads every `#[pingback(...)]` of the struct.
    pub fn parse(attrs: &[Attribute], errors: &mut Errors) -> StructAttrs {
        let mut out = StructAttrs::default();
        let broken = read_keys(attrs, &ON_STRUCT, errors, |meta, key, errors| {
            Some(match key {
                "api" => set(&mut out.api, meta, errors, string).map(|read| out.broken |= !read),
                "min_version" => set(&mut out.min_version, meta, errors, integer).map(drop),
                "crate" => set(&mut out.krate, meta, errors, string).map(drop),
                "handler" => set(&mut out.handler, meta, errors, string).map(drop),
                _ => return None,
            })
        });
        out.broken |= broken;
        out
    }
}

impl FieldAttrs {
    /// Reads every `#[pingback(...)]` of a field.
    pub fn parse(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
        let mut out = FieldAttrs::default();
        let broken = read_keys(attrs, &ON_FIELD, errors, |meta, key, errors| {
            Some(match key {
                "own" => set(&mut out.own, meta, errors, flag).map(drop),
                "system" => {
                    set(&mut out.system, meta, errors, string).map(|read| out.broken |= !read)
                }
                "standard" => {
                    set(&mut out.standard, meta, errors, string).map(|read| out.broken |= !read)
                }
                "param" => set(&mut out.param, meta, errors, string).map(drop),
                "always_filled" => set(&mut out.always_filled, meta, errors, flag).map(drop),
                _ => return None,
            })
        });
        out.broken |= broken;
        out
    }
}

/// The `#[pingback(...)]` attributes, and whether there was a
/// `#[pingback]` or `#[pingback = ...]` (reported and skipped).
fn pingback_attrs<'a>(attrs: &'a [Attribute], errors: &mut Errors) -> (Vec<&'a Attribute>, bool) {
    let mut lists = Vec::new();
    let mut malformed = false;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("pingback")) {
        match &attr.meta {
            Meta::List(_) => lists.push(attr),
            Meta::Path(_) | Meta::NameValue(_) => {
                malformed = true;
                errors.at(
                    attr,
                    "write the keys in parentheses: `#[pingback(key = \"value\", ...)]`, e.g. \
                     `#[pingback(api = \"digital_goods\")]` or `#[pingback(own)]`",
                );
            }
        }
    }
    (lists, malformed)
}

/// A parse error of the attribute, in the words of this derive where
/// syn's are terse.
fn reword(error: syn::Error) -> syn::Error {
    if error.to_string() == "expected `,`" {
        return syn::Error::new(
            error.span(),
            "expected `,` between two keys: write `#[pingback(key = value, other = value)]`",
        );
    }
    error
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

/// The example of a key, as a message shows it.
fn example(key: &str) -> &'static str {
    STRUCT_KEYS
        .iter()
        .chain(FIELD_KEYS)
        .find(|(k, _)| *k == key)
        .map_or("", |(_, example)| example)
}

/// A key without a value, such as `own`: its span.
fn flag(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<Span>> {
    let key = key_of(meta);
    let span = meta
        .path
        .get_ident()
        .map_or_else(Span::call_site, syn::Ident::span);
    // A value is reported, and the key still counts: one mistake, one error.
    if meta.input.peek(syn::Token![=]) {
        let value: Expr = meta.value()?.parse()?;
        errors.at(
            &value,
            format!("`{key}` takes no value: write `{key}` alone"),
        );
    } else if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
        let rest: proc_macro2::TokenTree = meta.input.parse()?;
        skip_to_comma(meta)?;
        errors.at(
            &rest,
            format!("`{key}` takes no value: write `{key}` alone"),
        );
    }
    Ok(Some(span))
}

/// The value of `key = ...`, any expression, or `None` (reported) when the
/// key has no `= value`.
fn value_of(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<Expr>> {
    let key = key_of(meta);
    if !meta.input.peek(syn::Token![=]) {
        skip_to_comma(meta)?;
        errors.at(
            &meta.path,
            format!("`{key}` needs a value: write `{}`", example(&key)),
        );
        return Ok(None);
    }
    Ok(Some(meta.value()?.parse()?))
}

/// The value of a key that takes a string.
fn string(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<LitStr>> {
    let Some(value) = value_of(meta, errors)? else {
        return Ok(None);
    };
    if let Expr::Lit(syn::ExprLit {
        lit: Lit::Str(literal),
        ..
    }) = value
    {
        return Ok(Some(literal));
    }
    let key = key_of(meta);
    errors.at(
        &value,
        format!(
            "`{key}` takes a string in quotes: write `{}`",
            example(&key)
        ),
    );
    // Read on as if it were quoted, so that this is the only error.
    let text = quote::quote!(#value).to_string().replace(' ', "");
    let text = text.trim_matches('"');
    Ok(Some(LitStr::new(text, syn::spanned::Spanned::span(&value))))
}

/// The value of a key that takes a whole number.
fn integer(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<LitInt>> {
    let Some(value) = value_of(meta, errors)? else {
        return Ok(None);
    };
    let key = key_of(meta);
    let span = syn::spanned::Spanned::span(&value);
    match value {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(literal),
            ..
        }) => Ok(Some(literal)),
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(text),
            ..
        }) => {
            errors.at(
                &text,
                format!(
                    "`{key}` takes a number without quotes: write `{}`",
                    example(&key)
                ),
            );
            // Read on with the number in quotes, if it is one.
            Ok(text
                .value()
                .parse::<u8>()
                .ok()
                .map(|number| LitInt::new(&number.to_string(), span)))
        }
        other => {
            let text = quote::quote!(#other).to_string().replace(' ', "");
            errors.at(
                &other,
                format!(
                    "`{key} = {text}` is not a signature version: write 1, 2 or 3, a whole \
                     number without quotes, such as `{}`",
                    example(&key)
                ),
            );
            Ok(None)
        }
    }
}

/// Stores a key's value, reporting a repeated key. Whether a value was
/// read: a key whose value could not be (reported) is not reported missing
/// as well, where its absence is a mistake (`api`, a field's source).
fn set<T>(
    slot: &mut Option<T>,
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
    parse: impl FnOnce(&ParseNestedMeta<'_>, &mut Errors) -> syn::Result<Option<T>>,
) -> syn::Result<bool> {
    let Some(value) = parse(meta, errors)? else {
        return Ok(false);
    };
    if slot.is_some() {
        let key = key_of(meta);
        errors.at(&meta.path, format!("`{key}` is given twice: keep one"));
    } else {
        *slot = Some(value);
    }
    Ok(true)
}

/// Skips the value of a key, if any, so the remaining keys are still read.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<Expr>()?;
    }
    skip_to_comma(meta)
}

/// Skips whatever follows a key up to the next `,`, so that one malformed
/// key is one error.
fn skip_to_comma(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    while !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
        meta.input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

/// A struct key on a field, or a field key on the struct.
fn misplaced(
    meta: &ParseNestedMeta<'_>,
    key: &str,
    place: &str,
    errors: &mut Errors,
) -> syn::Result<()> {
    errors.at(
        &meta.path,
        format!("`{key}` belongs on {place}: move it there"),
    );
    skip_value(meta)
}

fn unknown_key(
    meta: &ParseNestedMeta<'_>,
    key: &str,
    known: &[(&str, &str)],
    place: &str,
    errors: &mut Errors,
) -> syn::Result<()> {
    let list = known
        .iter()
        .map(|(k, _)| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    errors.at(
        &meta.path,
        format!(
            "unknown key `{key}` in a {place} `#[pingback(...)]`{}; the keys are {list}",
            did_you_mean(key, known.iter().map(|(k, _)| *k))
        ),
    );
    skip_value(meta)
}
