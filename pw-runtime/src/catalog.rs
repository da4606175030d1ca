//! The catalog of Paymentwall pingback parameters: every standard parameter
//! and every system value of a custom pingback parameter, with its value
//! kind, whether it may be empty and which API types carry it, the rule on
//! custom parameter names ([`PARAMETER_NAME_RULE`], checked by
//! [`parameter_name_problem`]), the names the widget call itself uses
//! ([`WIDGET_PARAMETERS`], [`collides_with_widget_call`]) and the system
//! values no schema can declare ([`UNUSABLE_SYSTEM_VALUES`]).
//!
//! These are the tables of the `pw-catalog` crate, which `#[derive(Pingback)]`
//! checks a schema against at compile time, so the derive and the runtime
//! cannot disagree.
//!
//! ```
//! use pw_runtime::catalog::{self, ValueKind};
//!
//! let revenue = catalog::system_value("REVENUE_LOCAL").unwrap();
//! assert_eq!(revenue.kind, ValueKind::Decimal);
//! assert!(!revenue.may_be_empty());
//! assert_eq!(catalog::SYSTEM_VALUES.len(), 34);
//! ```

pub use pw_catalog::{
    collides_with_widget_call, is_reserved, parameter_name_problem, standard_parameter,
    system_value, widget_parameter, ApiSet, CatalogEntry, NameProblem, NameRuleViolation,
    ValueKind, WidgetParameter, WidgetShape, WidgetValueKind, CART_SIGNATURE_VERSION,
    PARAMETER_NAME_MAX_LEN, PARAMETER_NAME_RULE, RESERVED_NAMES, STANDARD_PARAMETERS,
    SYSTEM_VALUES, UNUSABLE_SYSTEM_VALUES, WIDGET_PARAMETERS,
};
