//! The catalog of Paymentwall pingbacks, the one source of every list pw
//! knows: the API types ([`ApiType`]), the parameters each requires and signs
//! with version 1, every standard parameter and every system value of a
//! custom pingback parameter (with its value kind, whether it may be empty
//! and which API types carry it), the rule on custom parameter names
//! ([`PARAMETER_NAME_RULE`]), the names the widget call itself uses
//! ([`WIDGET_PARAMETERS`]) and the system values no schema can declare
//! ([`UNUSABLE_SYSTEM_VALUES`]).
//!
//! `pw-derive` checks a schema against these tables at compile time,
//! `pw-runtime` decodes and signs with them at run time (it re-exports them
//! as `pw_runtime::catalog`) and the `pw-pingback` command line prints them,
//! so the three cannot disagree. Use it through `pw-runtime`.
//!
//! ```
//! use pw_catalog::{ApiType, ValueKind};
//!
//! let revenue = pw_catalog::system_value("REVENUE_LOCAL").unwrap();
//! assert_eq!(revenue.kind, ValueKind::Decimal);
//! assert!(!revenue.may_be_empty());
//! assert_eq!(pw_catalog::SYSTEM_VALUES.len(), 34);
//! assert_eq!(ApiType::Cart.version1_parameters(), &["uid", "goodsid", "type", "ref"]);
//! ```

mod api;
#[rustfmt::skip]
mod table;

pub use api::{ApiType, UnknownApiType};
pub use table::*;

/// The system value named `name` (`REVENUE_LOCAL`), if there is one.
///
/// ```
/// assert!(pw_catalog::system_value("USER_IP").is_some());
/// assert!(pw_catalog::system_value("REVENUE_LOCALE").is_none());
/// ```
pub fn system_value(name: &str) -> Option<&'static CatalogEntry> {
    SYSTEM_VALUES.iter().find(|entry| entry.name == name)
}

/// The standard parameter `name` as the API type `api` carries it, if it
/// does.
///
/// ```
/// use pw_catalog::ApiType;
///
/// assert!(pw_catalog::standard_parameter("slength", ApiType::DigitalGoods).is_some());
/// assert!(pw_catalog::standard_parameter("slength", ApiType::Cart).is_none());
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
/// assert!(pw_catalog::is_reserved("sign_version"));
/// assert!(!pw_catalog::is_reserved("campaign"));
/// ```
pub fn is_reserved(name: &str) -> bool {
    RESERVED_NAMES.contains(&name)
}

/// `text` as an error message shows a received name or value: its first 64
/// characters, then `…` when it is longer (cut on a character boundary).
///
/// ```
/// assert_eq!(pw_catalog::shown("goodsid"), "goodsid");
/// let long = "é".repeat(70);
/// assert_eq!(pw_catalog::shown(&long), format!("{}…", "é".repeat(64)));
/// ```
pub fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// How many characters of a received name or value [`shown`] keeps.
const SHOWN_CHARS: usize = 64;

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
    fn shown_cuts_after_64_characters_only() {
        let exact = "n".repeat(64);
        assert_eq!(shown(&exact), exact);
        assert_eq!(shown(&"n".repeat(65)), format!("{exact}…"));
        assert_eq!(shown(""), "");
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
