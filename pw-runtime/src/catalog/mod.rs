//! The catalog of Paymentwall pingback parameters: every standard parameter
//! and every system value of a custom pingback parameter, with its value
//! kind, whether it may be empty and which API types carry it.
//!
//! `#[derive(Pingback)]` checks a schema against this same table at compile
//! time (the file is compiled into both crates), so the derive and the
//! runtime cannot disagree. That includes the one rule on custom parameter
//! names ([`PARAMETER_NAME_RULE`], checked by [`parameter_name_problem`]),
//! the names the widget call itself uses ([`WIDGET_PARAMETERS`],
//! [`collides_with_widget_call`]) and
//! the system values no schema can declare ([`UNUSABLE_SYSTEM_VALUES`]).
//!
//! ```
//! use pw_runtime::catalog::{self, ValueKind};
//!
//! let revenue = catalog::system_value("REVENUE_LOCAL").unwrap();
//! assert_eq!(revenue.kind, ValueKind::Decimal);
//! assert!(!revenue.may_be_empty());
//! assert_eq!(catalog::SYSTEM_VALUES.len(), 34);
//! ```

#![allow(clippy::too_many_lines)]

use crate::ApiType;

include!("table.rs");

impl From<ApiType> for ApiSet {
    fn from(api: ApiType) -> ApiSet {
        match api {
            ApiType::VirtualCurrency => ApiSet::VIRTUAL_CURRENCY,
            ApiType::DigitalGoods => ApiSet::DIGITAL_GOODS,
            ApiType::Cart => ApiSet::CART,
        }
    }
}

/// The system value named `name` (`REVENUE_LOCAL`), if there is one.
///
/// ```
/// assert!(pw_runtime::catalog::system_value("USER_IP").is_some());
/// assert!(pw_runtime::catalog::system_value("REVENUE_LOCALE").is_none());
/// ```
pub fn system_value(name: &str) -> Option<&'static CatalogEntry> {
    SYSTEM_VALUES.iter().find(|entry| entry.name == name)
}

/// The standard parameter `name` as the API type `api` carries it, if it
/// does.
///
/// ```
/// use pw_runtime::{catalog, ApiType};
///
/// assert!(catalog::standard_parameter("slength", ApiType::DigitalGoods).is_some());
/// assert!(catalog::standard_parameter("slength", ApiType::Cart).is_none());
/// ```
pub fn standard_parameter(name: &str, api: ApiType) -> Option<&'static CatalogEntry> {
    STANDARD_PARAMETERS
        .iter()
        .find(|entry| entry.name == name && entry.apis.contains(api.into()))
}

/// Whether `name` is reserved for a standard parameter or the signature, so
/// that a custom parameter cannot use it.
///
/// ```
/// assert!(pw_runtime::catalog::is_reserved("sign_version"));
/// assert!(!pw_runtime::catalog::is_reserved("campaign"));
/// ```
pub fn is_reserved(name: &str) -> bool {
    RESERVED_NAMES.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_values_are_sorted_and_unique() {
        assert!(SYSTEM_VALUES.windows(2).all(|w| w[0].name < w[1].name));
    }

    #[test]
    fn every_standard_parameter_is_reserved() {
        for entry in STANDARD_PARAMETERS {
            assert!(is_reserved(entry.name), "{}", entry.name);
        }
    }

    #[test]
    fn the_parameter_name_rule_is_its_text() {
        assert_eq!(parameter_name_problem("my_param_2"), None);
        assert_eq!(parameter_name_problem(""), Some(NameProblem::Empty));
        assert_eq!(parameter_name_problem(&"a".repeat(64)), None);
        assert_eq!(
            parameter_name_problem(&"a".repeat(65)),
            Some(NameProblem::TooLong { chars: 65 })
        );
        for (name, bad) in [
            ("a%20b", '%'),
            ("a+b", '+'),
            ("café", 'é'),
            ("a\0", '\0'),
            ("a-b", '-'),
        ] {
            assert_eq!(
                parameter_name_problem(name),
                Some(NameProblem::Character(bad)),
                "{name}"
            );
        }
        assert!(PARAMETER_NAME_RULE.contains(&PARAMETER_NAME_MAX_LEN.to_string()));
        assert_eq!(
            NameProblem::Character('\0').to_string(),
            "it contains the character '\\0'"
        );
    }

    #[test]
    fn api_names_match_the_api_type() {
        for api in [
            ApiType::VirtualCurrency,
            ApiType::DigitalGoods,
            ApiType::Cart,
        ] {
            assert_eq!(ApiSet::named(api.name()), Some(ApiSet::from(api)));
        }
    }
}
