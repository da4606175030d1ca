//! Stage 2, one field: where its value comes from (exactly one of `own`,
//! `system`, `standard`, each value checked against the catalog), the name
//! it arrives under, and whether it may be empty. What the field's type
//! can hold is not decided here: the generated code asks the compiler
//! (the type's `FromValue` implementations), so a type alias or a type of
//! the user's named like one of pw's is judged by what it is.

use crate::attr::FieldAttrs;
use crate::catalog::{
    self, api_names, did_you_mean, ApiSet, CatalogEntry, ValueKind, STANDARD_PARAMETERS,
    SYSTEM_VALUES, UNUSABLE_SYSTEM_VALUES,
};
use crate::ctxt::Errors;
use crate::model::{Field, Source};
use crate::names::{self, Given};
use crate::types;
use proc_macro2::Span;
use syn::LitStr;

/// Checks one field; `None` when its source could not be decided. The
/// span is the token that names its parameter, for later rules.
pub fn check(
    field: &syn::Field,
    api: Option<(ApiSet, &'static str)>,
    errors: &mut Errors,
) -> Option<(Field, Span)> {
    let ident = field.ident.clone()?;
    let attrs = FieldAttrs::parse(&field.attrs, errors);
    let (source, source_span) = source(&ident, &attrs, api, errors)?;
    let (param, param_span) = param_name(&ident, &attrs, &source, api, errors);
    let kind = match &source {
        Source::Own => ValueKind::Text,
        Source::System(entry) | Source::Standard(entry) => entry.kind,
    };
    let check_optional = emptiness(field, &attrs, &source, errors);
    Some((
        Field {
            ident,
            ty: field.ty.clone(),
            source,
            param,
            kind,
            check_optional,
        },
        param_span.unwrap_or(source_span),
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
        [] if attrs.broken => return None, // the attribute is reported
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
        return system(literal, api, errors).map(|source| (source, literal.span()));
    }
    let literal = attrs.standard.as_ref()?;
    standard(literal, api, errors).map(|source| (source, literal.span()))
}

/// The standard parameter named `name`, ignoring case, if any.
fn standard_named(name: &str) -> Option<&'static CatalogEntry> {
    STANDARD_PARAMETERS
        .iter()
        .find(|entry| entry.name.eq_ignore_ascii_case(name))
}

/// The system value named `name`, ignoring case, if any.
fn system_named(name: &str) -> Option<&'static CatalogEntry> {
    SYSTEM_VALUES
        .iter()
        .find(|entry| entry.name.eq_ignore_ascii_case(name))
}

/// The source `system = "..."` names. A value that is plainly another key's
/// (`OWN`, a standard parameter) is reported and read as that key's, so
/// that the mistake is one error.
fn system(
    literal: &LitStr,
    api: Option<(ApiSet, &'static str)>,
    errors: &mut Errors,
) -> Option<Source> {
    let name = literal.value();
    if name.eq_ignore_ascii_case("OWN") {
        errors.at(
            literal,
            "`OWN` is not a system value but the other kind of custom parameter: write \
             `#[pingback(own)]` instead of `system = \"OWN\"`",
        );
        return Some(Source::Own);
    }
    let Some(entry) = catalog::system_value(&name) else {
        let hint = if let Some(standard) = STANDARD_PARAMETERS.iter().find(|e| e.name == name) {
            // A standard parameter's own name: `goodsid`, not `GOODSID`.
            let also = system_named(&name).map_or_else(String::new, |entry| {
                format!(
                    " (or, for a custom parameter, the system value `{}`)",
                    entry.name
                )
            });
            return standard_given_as_system(standard, &also, literal, api, errors);
        } else if let Some(entry) = system_named(&name) {
            if UNUSABLE_SYSTEM_VALUES.iter().any(|(n, _)| *n == entry.name) {
                // The value cannot be used at all: say why, not how to
                // spell it.
                return system_entry(entry, literal, api, errors).map(Source::System);
            }
            format!(
                ": system values are written in capitals, `system = \"{}\"`",
                entry.name
            )
        } else if let Some(standard) = standard_named(&name) {
            return standard_given_as_system(standard, "", literal, api, errors);
        } else if let Some(closest) = catalog::closest(&name, SYSTEM_VALUES.iter().map(|e| e.name))
        {
            format!(": did you mean `{closest}`?")
        } else {
            "; the system values are listed in `pw_runtime::catalog::SYSTEM_VALUES`".to_owned()
        };
        errors.at(literal, format!("unknown system value `{name}`{hint}"));
        return None;
    };
    system_entry(entry, literal, api, errors).map(Source::System)
}

/// `system = "..."` naming the standard parameter `standard`: reported
/// (`also` ends the message), and read as `standard = "..."` where the
/// schema's API has it.
fn standard_given_as_system(
    standard: &'static CatalogEntry,
    also: &str,
    literal: &LitStr,
    api: Option<(ApiSet, &'static str)>,
    errors: &mut Errors,
) -> Option<Source> {
    let name = literal.value();
    errors.at(
        literal,
        format!(
            "`{name}` is a standard parameter, not a system value: bind it with \
             `standard = \"{}\"`{also}",
            standard.name
        ),
    );
    let entry = api.and_then(|(apis, _)| {
        STANDARD_PARAMETERS
            .iter()
            .find(|e| e.name == standard.name && e.apis.contains(apis))
    });
    entry.map(Source::Standard)
}

/// A system value of the catalog, checked for this schema.
fn system_entry(
    entry: &'static CatalogEntry,
    literal: &LitStr,
    api: Option<(ApiSet, &'static str)>,
    errors: &mut Errors,
) -> Option<&'static CatalogEntry> {
    let name = entry.name;
    if let Some((_, why)) = UNUSABLE_SYSTEM_VALUES.iter().find(|(n, _)| *n == name) {
        errors.at(
            literal,
            format!("`{name}` cannot be a custom parameter of a schema: {why}"),
        );
        return None;
    }
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

/// The source `standard = "..."` names; a system value or `OWN` is
/// reported and read as such.
fn standard(
    literal: &LitStr,
    api: Option<(ApiSet, &'static str)>,
    errors: &mut Errors,
) -> Option<Source> {
    let name = literal.value();
    let named: Vec<&'static CatalogEntry> = STANDARD_PARAMETERS
        .iter()
        .filter(|e| e.name == name)
        .collect();
    if named.is_empty() {
        if name.eq_ignore_ascii_case("OWN") {
            errors.at(
                literal,
                "`OWN` is not a standard parameter but the other kind of custom parameter: \
                 write `#[pingback(own)]` instead of `standard = \"OWN\"`",
            );
            return Some(Source::Own);
        }
        if let Some(entry) = system_named(&name) {
            errors.at(
                literal,
                format!(
                    "`{name}` is a system value of a custom parameter, not a standard \
                     parameter: write `system = \"{}\"`",
                    entry.name
                ),
            );
            return system_entry(entry, literal, api, &mut Errors::default()).map(Source::System);
        }
        // Reserved but not a standard parameter: `sig` and `sign_version`.
        let hint = if catalog::is_reserved(&name) {
            format!("; `{name}` belongs to the signature, which pw checks before decoding")
        } else {
            did_you_mean(&name, STANDARD_PARAMETERS.iter().map(|e| e.name))
        };
        errors.at(
            literal,
            format!(
                "`{name}` is not a standard parameter a field can bind{hint}; the standard \
                 parameters are {}",
                catalog::standard_names()
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
    found.map(Source::Standard)
}

/// The parameter name and the token that gave it (`param = "..."`).
fn param_name(
    ident: &syn::Ident,
    attrs: &FieldAttrs,
    source: &Source,
    api: Option<(ApiSet, &'static str)>,
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
    let (name, span, given) = match &attrs.param {
        Some(literal) => (literal.value(), literal.span(), Given::Param),
        None => (
            // A raw identifier `r#type` names the parameter `type`.
            syn::ext::IdentExt::unraw(ident).to_string(),
            ident.span(),
            Given::FieldName,
        ),
    };
    // An OWN name is checked against the widget call of the schema's API
    // type; with the API type unknown (already reported), it is not.
    let own_in = match source {
        Source::Own => api.map(|(apis, _)| apis),
        _ => None,
    };
    names::check(&name, span, &given, own_in, errors);
    (name, Some(span))
}

/// Rule: a value that may be empty sits in an `Option`, unless the field
/// says the merchant's setup always fills it. Returns whether the compiler
/// must check the field's type is an `Option` (its type is not written
/// `Option<...>`, so the derive cannot tell: a type alias may be one).
fn emptiness(field: &syn::Field, attrs: &FieldAttrs, source: &Source, errors: &mut Errors) -> bool {
    let entry = match source {
        Source::Own => None,
        Source::System(entry) | Source::Standard(entry) => Some(entry),
    };
    let may_be_empty = entry.is_some_and(|e| e.empty_when.is_some());
    let written_option = types::is_written_option(&field.ty);
    match (may_be_empty, written_option, attrs.always_filled) {
        // A key that could not be read may have been `always_filled`.
        (true, false, None) => !attrs.broken,
        (_, true, Some(span)) => {
            errors.at_span(
                span,
                "`always_filled` has no effect on an `Option` field: remove it, or make the \
                 field a plain type",
            );
            false
        }
        (false, _, Some(span)) => {
            errors.at_span(
                span,
                "`always_filled` is for values that may be empty, and this one never is: \
                 remove it",
            );
            false
        }
        _ => false,
    }
}
