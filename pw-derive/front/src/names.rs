//! The rules on the name a custom parameter arrives under: the catalog's
//! one parameter-name rule (charset and length, shared with the runtime
//! and the settings table), the names the standard parameters and the
//! signature take, and, for an `OWN` parameter, the names the widget call
//! itself uses.

use crate::catalog::{
    widget_parameter, ApiSet, NameRuleViolation, WidgetShape, RESERVED_NAMES, STANDARD_PARAMETERS,
};
use crate::ctxt::Errors;
use proc_macro2::Span;

/// Where a custom parameter's name came from, for the fix a message gives.
pub enum Given {
    /// The field's name (no `param = "..."`).
    FieldName,
    /// `param = "..."`.
    Param,
}

/// Checks the name `name` of a custom parameter given at `span`; for an
/// `OWN` one (`own_in` is then the schema's API type, when known), also
/// against the widget call of that API (the catalog's
/// `WIDGET_PARAMETERS`).
pub fn check(name: &str, span: Span, given: &Given, own_in: Option<ApiSet>, errors: &mut Errors) {
    let choose = match given {
        Given::FieldName => "rename the field or choose a name with `param = \"...\"`",
        Given::Param => "choose another name",
    };
    if let Some(violation) = NameRuleViolation::of(name) {
        errors.at_span(span, format!("{violation}; {choose}"));
    } else if RESERVED_NAMES.contains(&name) {
        let bind = if STANDARD_PARAMETERS.iter().any(|entry| entry.name == name) {
            format!(", or bind the standard one with `standard = \"{name}\"`")
        } else {
            String::new()
        };
        errors.at_span(
            span,
            format!(
                "`{name}` is a standard Paymentwall parameter, so a custom parameter cannot use \
                 the name: {choose}{bind}"
            ),
        );
    } else if let Some(entry) = own_in.and_then(|apis| widget_parameter(name, apis)) {
        let which = match entry.shape {
            WidgetShape::Prefix => format!(
                "names starting with `{}` are the widget call's own (its product parameters), \
                 so an OWN parameter cannot be called `{name}`",
                entry.name
            ),
            WidgetShape::Array | WidgetShape::Either if entry.name != name => format!(
                "`{name}` is part of the widget call's own parameter `{}`, so an OWN parameter \
                 cannot take the name",
                entry.name
            ),
            _ => format!(
                "`{name}` is a parameter of the widget call itself, so an OWN parameter cannot \
                 take the name"
            ),
        };
        errors.at_span(
            span,
            format!(
                "{which}: the widget call would overwrite it, or it would change what the \
                 payment page does; {choose}"
            ),
        );
    }
}
