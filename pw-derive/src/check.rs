//! Stage 2: every rule a schema must satisfy. Each problem is recorded
//! with the token it is about; all are reported together.

use crate::attr::{FieldAttrs, StructAttrs};
use crate::catalog::{
    self, api_names, did_you_mean, ApiSet, CatalogEntry, ValueKind, API_NAMES, RESERVED_NAMES,
    STANDARD_PARAMETERS, SYSTEM_VALUES,
};
use crate::ctxt::Errors;
use crate::model::{Field, Schema, Source};
use crate::types::{self, Known};
use proc_macro2::{Span, TokenStream};
use std::collections::HashMap;
use syn::{Data, DeriveInput, Fields, LitStr};

/// Checks the input and builds the model, or returns every error.
pub fn schema(input: &DeriveInput) -> Result<Schema, TokenStream> {
    let mut errors = Errors::default();
    let attrs = StructAttrs::parse(&input.attrs, &mut errors);
    let api = api(&attrs, input, &mut errors);
    let min_version = min_version(&attrs, &mut errors);
    let krate = krate(&attrs, &mut errors);
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.at(
            &input.generics,
            "a pingback schema cannot be generic: remove the generic parameters",
        );
    }
    let named = named_fields(input, &mut errors);
    let mut fields = Vec::new();
    for field in named {
        if let Some(field) = self::field(field, api, &mut errors) {
            fields.push(field);
        }
    }
    unique_params(&fields, &mut errors);
    if let Some(version) = &min_version {
        version_one_signs_custom_fields(version, api, &fields, &mut errors);
    }
    errors.finish()?;
    Ok(Schema {
        ident: input.ident.clone(),
        vis: input.vis.clone(),
        api_variant: api.map_or("DigitalGoods", |(_, variant)| variant),
        min_version: min_version.map_or(2, |(number, _)| number),
        krate,
        fields: fields.into_iter().map(|(field, _)| field).collect(),
    })
}

/// The API type and its `ApiType` variant.
fn api(
    attrs: &StructAttrs,
    input: &DeriveInput,
    errors: &mut Errors,
) -> Option<(ApiSet, &'static str)> {
    let Some(api) = &attrs.api else {
        errors.at(
            &input.ident,
            "missing API type: add `#[pingback(api = \"digital_goods\")]` (or \
             \"virtual_currency\", or \"cart\") to the struct",
        );
        return None;
    };
    let name = api.value();
    let variant = match name.as_str() {
        "virtual_currency" => "VirtualCurrency",
        "digital_goods" => "DigitalGoods",
        "cart" => "Cart",
        _ => {
            errors.at(
                api,
                format!(
                    "unknown API type `{name}`{}; the API types are `digital_goods`, \
                     `virtual_currency` and `cart`",
                    did_you_mean(&name, API_NAMES)
                ),
            );
            return None;
        }
    };
    ApiSet::named(&name).map(|set| (set, variant))
}

/// The lowest accepted signature version and its token.
fn min_version(attrs: &StructAttrs, errors: &mut Errors) -> Option<(u8, Span)> {
    let literal = attrs.min_version.as_ref()?;
    match literal.base10_parse::<u8>() {
        Ok(version @ 1..=3) => Some((version, literal.span())),
        _ => {
            errors.at(
                literal,
                format!(
                    "`min_version = {literal}` is not a signature version: Paymentwall signs \
                     with versions 1, 2 and 3; write 2 (the default, recommended) or 3"
                ),
            );
            None
        }
    }
}

/// The runtime crate's path.
fn krate(attrs: &StructAttrs, errors: &mut Errors) -> syn::Path {
    let default = syn::parse_quote!(::pw_runtime);
    let Some(literal) = &attrs.krate else {
        return default;
    };
    literal.parse().unwrap_or_else(|_| {
        errors.at(
            literal,
            "`crate` takes the path of the pw-runtime crate, such as `crate = \"pw\"`",
        );
        default
    })
}

/// The named fields of a struct; any other shape is an error.
fn named_fields<'a>(input: &'a DeriveInput, errors: &mut Errors) -> Vec<&'a syn::Field> {
    let problem = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => return named.named.iter().collect(),
            Fields::Unnamed(_) => (data.struct_token.span, "a tuple struct"),
            Fields::Unit => (data.struct_token.span, "a unit struct"),
        },
        Data::Enum(data) => (data.enum_token.span, "an enum"),
        Data::Union(data) => (data.union_token.span, "a union"),
    };
    errors.at_span(
        problem.0,
        format!(
            "`#[derive(Pingback)]` needs a struct with named fields, not {}: each field names \
             the pingback parameter it holds, e.g. `struct Purchase {{ #[pingback(own)] \
             campaign: String }}`",
            problem.1
        ),
    );
    Vec::new()
}

/// Checks one field; `None` when its source could not be decided.
fn field(
    field: &syn::Field,
    api: Option<(ApiSet, &'static str)>,
    errors: &mut Errors,
) -> Option<(Field, Span)> {
    let ident = field.ident.clone()?;
    let attrs = FieldAttrs::parse(&field.attrs, errors);
    let (source, source_span) = source(&ident, &attrs, api, errors)?;
    let param = param_name(&ident, &attrs, &source, errors);
    let kind = match &source {
        Source::Own => ValueKind::Text,
        Source::System(entry) | Source::Standard(entry) => entry.kind,
    };
    let inner = types::option_inner(&field.ty);
    let value_ty = inner.unwrap_or(&field.ty).clone();
    field_type(&field.ty, &value_ty, kind, &source, errors);
    emptiness(field, inner.is_some(), &attrs, &source, errors);
    Some((
        Field {
            ident,
            ty: field.ty.clone(),
            value_ty,
            optional: inner.is_some(),
            source,
            param: param.0,
            kind,
        },
        param.1.unwrap_or(source_span),
    ))
}

/// Where the field's value comes from: exactly one of `own`, `system`,
/// `standard`.
fn source(
    ident: &syn::Ident,
    attrs: &FieldAttrs,
    api: Option<(ApiSet, &'static str)>,
    errors: &mut Errors,
) -> Option<(Source, Span)> {
    let given: Vec<(&str, Span)> = [
        attrs.own.map(|span| ("own", span)),
        attrs.system.as_ref().map(|lit| ("system", lit.span())),
        attrs.standard.as_ref().map(|lit| ("standard", lit.span())),
    ]
    .into_iter()
    .flatten()
    .collect();
    match given.as_slice() {
        [] => {
            errors.at(
                ident,
                format!(
                    "field `{ident}` has no source: say where its value comes from with \
                     `#[pingback(own)]` (an OWN custom parameter), \
                     `#[pingback(system = \"REVENUE_LOCAL\")]` (a system value) or \
                     `#[pingback(standard = \"slength\")]` (a standard parameter)"
                ),
            );
            return None;
        }
        [_] => {}
        [first, second, ..] => {
            errors.at_span(
                second.1,
                format!(
                    "`{}` conflicts with `{}`: a field has exactly one source; keep one of them",
                    second.0, first.0
                ),
            );
            return None;
        }
    }
    if let Some(span) = attrs.own {
        return Some((Source::Own, span));
    }
    if let Some(literal) = &attrs.system {
        return system(literal, api, errors).map(|entry| (Source::System(entry), literal.span()));
    }
    let literal = attrs.standard.as_ref()?;
    standard(literal, api, errors).map(|entry| (Source::Standard(entry), literal.span()))
}

fn system(
    literal: &LitStr,
    api: Option<(ApiSet, &'static str)>,
    errors: &mut Errors,
) -> Option<&'static CatalogEntry> {
    let name = literal.value();
    let Some(entry) = catalog::system_value(&name) else {
        let hint = catalog::closest(&name, SYSTEM_VALUES.iter().map(|e| e.name)).map_or_else(
            || "; the system values are listed in `pw_runtime::catalog::SYSTEM_VALUES`".to_owned(),
            |closest| format!(": did you mean `{closest}`?"),
        );
        errors.at(literal, format!("unknown system value `{name}`{hint}"));
        return None;
    };
    if let Some((apis, _)) = api {
        if !entry.apis.contains(apis) {
            errors.at(
                literal,
                format!(
                    "Paymentwall sends `{name}` only with {} pingbacks, not with this \
                     schema's API type: remove the field",
                    api_names(entry.apis)
                ),
            );
            return None;
        }
    }
    Some(entry)
}

fn standard(
    literal: &LitStr,
    api: Option<(ApiSet, &'static str)>,
    errors: &mut Errors,
) -> Option<&'static CatalogEntry> {
    let name = literal.value();
    let named: Vec<&'static CatalogEntry> = STANDARD_PARAMETERS
        .iter()
        .filter(|e| e.name == name)
        .collect();
    if named.is_empty() {
        let reserved = if ["sig", "sign_version"].contains(&name.as_str()) {
            format!("; `{name}` belongs to the signature, which pw checks before decoding")
        } else {
            did_you_mean(&name, STANDARD_PARAMETERS.iter().map(|e| e.name))
        };
        errors.at(
            literal,
            format!(
                "`{name}` is not a standard parameter a field can bind{reserved}; the standard \
                 parameters are uid, goodsid, slength, speriod, currency, type, ref, is_test \
                 and reason"
            ),
        );
        return None;
    }
    let (apis, _) = api?;
    let found = named.iter().copied().find(|e| e.apis.contains(apis));
    if found.is_none() {
        let carriers = named
            .iter()
            .fold(ApiSet(0), |all, e| ApiSet(all.0 | e.apis.0));
        errors.at(
            literal,
            format!(
                "this schema's API type has no standard parameter `{name}`: only {} pingbacks \
                 carry it; remove the field or change `api`",
                api_names(carriers)
            ),
        );
    }
    found
}

/// The parameter name and the token that gave it (`param = "..."`).
fn param_name(
    ident: &syn::Ident,
    attrs: &FieldAttrs,
    source: &Source,
    errors: &mut Errors,
) -> (String, Option<Span>) {
    if let Source::Standard(entry) = source {
        if let Some(literal) = &attrs.param {
            errors.at(
                literal,
                format!(
                    "a standard parameter always arrives under its own name `{}`: remove \
                     `param`",
                    entry.name
                ),
            );
        }
        return (entry.name.to_owned(), None);
    }
    let (name, span) = match &attrs.param {
        Some(literal) => (literal.value(), literal.span()),
        None => (
            ident.to_string().trim_start_matches("r#").to_owned(),
            ident.span(),
        ),
    };
    if let Some(bad) = unfit_character(&name) {
        errors.at_span(
            span,
            format!(
                "`{name}` cannot be a Paymentwall parameter name: {bad}; choose a name of \
                 letters, digits and `_`{}",
                if attrs.param.is_some() {
                    ""
                } else {
                    " with `param = \"...\"`"
                }
            ),
        );
    } else if RESERVED_NAMES.contains(&name.as_str()) {
        errors.at_span(
            span,
            format!(
                "`{name}` is a standard Paymentwall parameter, so a custom parameter cannot \
                 use the name: choose another with `param = \"...\"`{}",
                if STANDARD_PARAMETERS.iter().any(|e| e.name == name) {
                    format!(", or bind the standard one with `standard = \"{name}\"`")
                } else {
                    String::new()
                }
            ),
        );
    }
    (name, Some(span))
}

/// Why a name cannot travel as a parameter name, if it cannot.
fn unfit_character(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".to_owned());
    }
    name.chars()
        .find(|c| matches!(c, '[' | ']' | '=' | '&' | '#') || c.is_whitespace())
        .map(|c| match c {
            ' ' => "it contains a space".to_owned(),
            c if c.is_whitespace() => format!("it contains the whitespace {c:?}"),
            c => format!("it contains `{c}`"),
        })
}

/// Rule: the field type can hold the kind.
fn field_type(
    ty: &syn::Type,
    value_ty: &syn::Type,
    kind: ValueKind,
    source: &Source,
    errors: &mut Errors,
) {
    let what = match source {
        Source::Own => "an OWN parameter (text)".to_owned(),
        Source::System(entry) => format!("`{}` ({})", entry.name, kind.description()),
        Source::Standard(entry) => format!("`{}` ({})", entry.name, kind.description()),
    };
    let accepted = kind
        .accepted_types()
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let implement = if kind == ValueKind::ProductIds {
        String::new()
    } else {
        format!(
            ", or a type of yours implementing `FromValue<pw_runtime::value::kind::{}>`",
            kind.name()
        )
    };
    match types::classify(value_ty) {
        Known::Float(name) => errors.at(
            ty,
            format!(
                "`{name}` cannot hold {what}: money and amounts are never floats; use one of \
                 {accepted}{implement}"
            ),
        ),
        Known::Type(name) if !types::accepts(kind, &name) => errors.at(
            ty,
            format!("`{name}` cannot hold {what}; use one of {accepted}{implement}"),
        ),
        Known::Type(_) | Known::Unknown => {
            if kind == ValueKind::ProductIds && !types::is_vec_of_string(value_ty) {
                errors.at(ty, "the cart's product ids are a list: use `Vec<String>`");
            }
        }
    }
}

/// Rule: a value that may be empty sits in an `Option`, unless the field
/// says the merchant's setup always fills it.
fn emptiness(
    field: &syn::Field,
    optional: bool,
    attrs: &FieldAttrs,
    source: &Source,
    errors: &mut Errors,
) {
    let entry = match source {
        Source::Own => None,
        Source::System(entry) | Source::Standard(entry) => Some(entry),
    };
    let empty_when = entry.and_then(|e| e.empty_when);
    match (empty_when, optional, attrs.always_filled) {
        (Some(when), false, None) => {
            let entry = entry.map_or("", |e| e.name);
            errors.at(
                &field.ty,
                format!(
                    "`{entry}` may be empty ({when}), so this field must be an `Option<...>`; \
                     if your Paymentwall setup always fills it, add `always_filled` to the \
                     field's `#[pingback(...)]`"
                ),
            );
        }
        (_, true, Some(span)) => errors.at_span(
            span,
            "`always_filled` has no effect on an `Option` field: remove it, or make the field \
             a plain type",
        ),
        (None, false, Some(span)) => errors.at_span(
            span,
            "`always_filled` is for values that may be empty, and this one never is: remove it",
        ),
        _ => {}
    }
}

/// Rule: no two fields bind the same pingback parameter.
fn unique_params(fields: &[(Field, Span)], errors: &mut Errors) {
    let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
    for (field, span) in fields {
        if let Some(first) = seen.get(field.param.as_str()) {
            errors.at_span(
                *span,
                format!(
                    "fields `{first}` and `{}` both read the pingback parameter `{}`: a \
                     parameter fills one field; give one of them another `param = \"...\"`",
                    field.ident, field.param
                ),
            );
        } else {
            seen.insert(&field.param, &field.ident);
        }
    }
}

/// Rule: version 1 signs only a fixed subset, so a schema that accepts it
/// cannot trust any other parameter.
fn version_one_signs_custom_fields(
    (version, span): &(u8, Span),
    api: Option<(ApiSet, &'static str)>,
    fields: &[(Field, Span)],
    errors: &mut Errors,
) {
    if *version != 1 {
        return;
    }
    let signed_by_v1: &[&str] = match api {
        Some((apis, _)) if apis == ApiSet::VIRTUAL_CURRENCY => &["uid", "currency", "type", "ref"],
        Some((apis, _)) if apis == ApiSet::DIGITAL_GOODS => {
            &["uid", "goodsid", "slength", "speriod", "type", "ref"]
        }
        _ => &["uid", "goodsid", "type", "ref"],
    };
    let unsigned: Vec<String> = fields
        .iter()
        .filter(|(field, _)| !signed_by_v1.contains(&field.param.as_str()))
        .map(|(field, _)| format!("`{}`", field.ident))
        .collect();
    if !unsigned.is_empty() {
        errors.at_span(
            *span,
            format!(
                "signature version 1 does not sign custom parameters (nor `is_test` and \
                 `reason`), so the values of {} could be forged while `min_version = 1` \
                 accepts it: remove `min_version` (the default accepts versions 2 and 3)",
                unsigned.join(", ")
            ),
        );
    }
}
