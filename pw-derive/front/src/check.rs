//! Stage 2: every rule about the struct as a whole, and the model. Each
//! problem is recorded with the token it is about; all are reported
//! together. The rules about one field are in `field`, those about a
//! parameter name in `names`, the runtime crate's path in `krate`.

use crate::attr::StructAttrs;
use crate::catalog::{did_you_mean, ApiSet, ApiType, API_NAMES, CART_SIGNATURE_VERSION};
use crate::ctxt::Errors;
use crate::field;
use crate::krate;
use crate::model::{Field, Schema};
use proc_macro2::Span;
use std::collections::HashMap;
use syn::{Data, DeriveInput, Fields, Ident};

/// Checks the input and builds the model, with every error found. A
/// model comes back even with errors (see `model::Schema::valid`).
///
/// ```
/// let input: syn::DeriveInput = syn::parse_quote! {
///     #[pingback(api = "digital_goods", min_version = 4)]
///     struct Purchase {}
/// };
/// let (schema, errors) = pw_derive_front::schema(&input);
/// assert!(!schema.valid);
/// assert!(errors.errors()[0].to_string().contains("is not a signature version"));
/// ```
pub fn schema(input: &DeriveInput) -> (Schema, Errors) {
    let mut errors = Errors::default();
    let attrs = StructAttrs::parse(&input.attrs, &mut errors);
    let api = api(&attrs, input, &mut errors);
    let min_version = min_version(&attrs, api, &mut errors);
    let krate = krate::path(attrs.krate.as_ref(), &mut errors);
    let handler = handler_name(&attrs, &input.ident, &mut errors);
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.at(
            &input.generics,
            "a pingback schema cannot be generic: remove the generic parameters",
        );
    }
    let mut fields = Vec::new();
    for named in named_fields(input, &mut errors) {
        if let Some(field) = field::check(named, api, &mut errors) {
            fields.push(field);
        }
    }
    unique_params(&fields, &mut errors);
    if let Some(version) = &min_version {
        version_one_signs_custom_fields(version, api, &fields, &mut errors);
    }
    let schema = Schema {
        ident: input.ident.clone(),
        vis: input.vis.clone(),
        handler,
        api_variant: api.map_or("DigitalGoods", |(_, variant)| variant),
        min_version: min_version.map_or(2, |(number, _)| number),
        krate,
        fields: fields.into_iter().map(|(field, _)| field).collect(),
        valid: errors.is_empty(),
    };
    (schema, errors)
}

/// The API type and its `ApiType` variant.
fn api(
    attrs: &StructAttrs,
    input: &DeriveInput,
    errors: &mut Errors,
) -> Option<(ApiSet, &'static str)> {
    let Some(api) = &attrs.api else {
        if attrs.broken {
            return None; // the attribute that may have held it is reported
        }
        errors.at(
            &input.ident,
            "missing API type: add `#[pingback(api = \"digital_goods\")]` (or \
             \"virtual_currency\", or \"cart\") to the struct",
        );
        return None;
    };
    let name = api.value();
    let Ok(api_type) = name.parse::<ApiType>() else {
        errors.at(
            api,
            format!(
                "unknown API type `{name}`{}; the API types are `digital_goods`, \
                 `virtual_currency` and `cart`",
                did_you_mean(&name, API_NAMES)
            ),
        );
        return None;
    };
    // The variant the generated code names, as `pw_runtime::ApiType` spells it.
    let variant = match api_type {
        ApiType::VirtualCurrency => "VirtualCurrency",
        ApiType::DigitalGoods => "DigitalGoods",
        ApiType::Cart => "Cart",
    };
    Some((ApiSet::from(api_type), variant))
}

/// The lowest accepted signature version and its token.
fn min_version(
    attrs: &StructAttrs,
    api: Option<(ApiSet, &'static str)>,
    errors: &mut Errors,
) -> Option<(u8, Span)> {
    let literal = attrs.min_version.as_ref()?;
    let version = match literal.base10_parse::<u8>() {
        Ok(version @ 1..=3) => version,
        _ => {
            errors.at(
                literal,
                format!(
                    "`min_version = {literal}` is not a signature version: Paymentwall signs \
                     with versions 1, 2 and 3; write 2 (the default, recommended) or 3"
                ),
            );
            return None;
        }
    };
    // Rule: an API type and a version that can meet. Cart pingbacks carry
    // one version: a higher minimum refuses them all, a lower one accepts
    // only signatures Paymentwall never makes for them (forgeries).
    if api.is_some_and(|(apis, _)| apis == ApiSet::CART) && version != CART_SIGNATURE_VERSION {
        let effect = if version > CART_SIGNATURE_VERSION {
            "would refuse every one of them"
        } else {
            "would also accept a version Paymentwall never signs them with, which only a \
             forged pingback could carry"
        };
        errors.at(
            literal,
            format!(
                "cart pingbacks are always signed with version {CART_SIGNATURE_VERSION}, so \
                 `min_version = {version}` {effect}: remove `min_version` (the default accepts \
                 version {CART_SIGNATURE_VERSION})"
            ),
        );
        return None;
    }
    Some((version, literal.span()))
}

/// The name of the generated handler trait: `<Struct>Handler`, or
/// `handler = "..."`.
fn handler_name(attrs: &StructAttrs, ident: &Ident, errors: &mut Errors) -> Ident {
    // `format_ident!` drops a raw identifier's `r#`: `r#Order` gives
    // `OrderHandler`, as it gives `OrderOwn`.
    let default = quote::format_ident!("{}Handler", ident, span = ident.span());
    let bare = syn::ext::IdentExt::unraw(ident);
    let Some(literal) = &attrs.handler else {
        return default;
    };
    match literal.parse::<Ident>() {
        Ok(name) if name == *ident => {
            errors.at(
                literal,
                "the handler trait cannot have the struct's own name: choose another, such as \
                 `handler = \"ShopHandler\"`",
            );
            default
        }
        Ok(name)
            if name == format!("{bare}Own").as_str()
                || name == format!("{bare}TestPingback").as_str() =>
        {
            errors.at(
                literal,
                format!(
                    "`{name}` is the name of a type `#[derive(Pingback)]` generates for `{ident}`: \
                     choose another name for the handler trait, such as `handler = \"ShopHandler\"`"
                ),
            );
            default
        }
        Ok(name) => name,
        Err(_) => {
            errors.at(
                literal,
                format!(
                    "`{}` is not a trait name: write an identifier, such as `handler = \
                     \"ShopHandler\"`",
                    literal.value()
                ),
            );
            default
        }
    }
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
    // Without a known API type (already reported), cart's list.
    let api_type = ApiType::ALL
        .into_iter()
        .find(|&api_type| api.is_some_and(|(apis, _)| apis == ApiSet::from(api_type)))
        .unwrap_or(ApiType::Cart);
    let signed_by_v1 = api_type.version1_parameters();
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
