//! What `#[derive(Pingback)]` implements: a typed schema of a project's
//! pingbacks, its decoding error and its settings table.

use crate::catalog::NameRuleViolation;
use crate::params::Params;
use crate::secret::SecretKey;
use crate::signature::{SignatureVersion, VersionPolicy};
use crate::verify::{Verifier, VerifierBuilder};
use pw_catalog::ApiType;
use std::fmt;

/// A typed schema of the pingbacks a Paymentwall project sends: the API
/// type, the lowest accepted signature version and the custom parameters.
///
/// Implemented by `#[derive(Pingback)]`; see [the derive](derive@crate::Pingback)
/// for the attribute grammar.
///
/// ```
/// use pw_runtime::{ApiType, Pingback, SignatureVersion};
///
/// #[derive(Pingback)]
/// #[pingback(api = "digital_goods")]
/// struct Purchase {
///     #[pingback(own)]
///     campaign: String,
/// }
///
/// assert_eq!(Purchase::API, ApiType::DigitalGoods);
/// assert_eq!(Purchase::MINIMUM_VERSION, SignatureVersion::V2);
/// assert_eq!(Purchase::SETTINGS[0].parameter, "campaign");
/// ```
pub trait Pingback: Sized + Send + Sync + 'static {
    /// The project's API type.
    const API: ApiType;
    /// The lowest signature version accepted.
    const MINIMUM_VERSION: SignatureVersion;
    /// The custom pingback parameters to enter in Paymentwall, in the
    /// order the struct declares them.
    const SETTINGS: &'static [Setting];

    /// Decodes the schema's fields from verified parameters.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] naming the parameter, the expected kind and the
    /// offending value.
    fn from_params(params: &Params) -> Result<Self, DecodeError>;

    /// The settings table to enter in Paymentwall (Project > Settings >
    /// Custom Pingback Parameters), printable.
    ///
    /// ```
    /// use pw_runtime::Pingback;
    ///
    /// #[derive(Pingback)]
    /// #[pingback(api = "virtual_currency")]
    /// struct Coins {
    ///     #[pingback(system = "USER_IP", param = "ip")]
    ///     ip: std::net::IpAddr,
    /// }
    ///
    /// assert!(Coins::settings_table().to_string().contains("| ip             | USER_IP |"));
    /// ```
    fn settings_table() -> SettingsTable {
        SettingsTable {
            settings: Self::SETTINGS,
        }
    }

    /// A verifier builder for this schema: its API type and signature
    /// policy, with the default source check and limits.
    ///
    /// ```
    /// use pw_runtime::Pingback;
    ///
    /// #[derive(Pingback)]
    /// #[pingback(api = "cart")]
    /// struct Order {}
    ///
    /// let verifier = Order::verifier("secret").build();
    /// assert_eq!(verifier.api(), pw_runtime::ApiType::Cart);
    /// ```
    fn verifier(secret: impl Into<SecretKey>) -> VerifierBuilder {
        Verifier::builder(Self::API, secret).minimum_version(Self::MINIMUM_VERSION)
    }

    /// The signature policy of this schema.
    ///
    /// ```
    /// use pw_runtime::{Pingback, SignatureVersion};
    ///
    /// #[derive(Pingback)]
    /// #[pingback(api = "cart")]
    /// struct Order {}
    ///
    /// assert_eq!(Order::version_policy().lowest(), SignatureVersion::V2);
    /// ```
    fn version_policy() -> VersionPolicy {
        VersionPolicy::minimum(Self::MINIMUM_VERSION)
    }
}

/// One row of the settings table: a custom pingback parameter.
///
/// ```
/// use pw_runtime::{Setting, SettingValue};
/// let row = Setting { parameter: "rev", value: SettingValue::System("REVENUE_LOCAL") };
/// assert_eq!(row.value.to_string(), "REVENUE_LOCAL");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The parameter name the value arrives under.
    pub parameter: &'static str,
    /// Where the value comes from.
    pub value: SettingValue,
}

/// Where a custom parameter's value comes from.
///
/// ```
/// assert_eq!(pw_runtime::SettingValue::Own.to_string(), "OWN");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingValue {
    /// `OWN`: echoed from the widget call.
    Own,
    /// A system value Paymentwall fills in, such as `REVENUE_LOCAL`.
    System(&'static str),
}

impl fmt::Display for SettingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SettingValue::Own => "OWN",
            SettingValue::System(name) => name,
        })
    }
}

/// The settings table of a schema, rendered as the rows to enter in
/// Paymentwall's dashboard.
///
/// A row whose name breaks the parameter-name rule
/// ([`catalog::PARAMETER_NAME_RULE`](crate::catalog::PARAMETER_NAME_RULE),
/// the rule the derive enforces) is followed by a warning stating it, so a
/// table built by hand never hides a name Paymentwall cannot carry:
///
/// ```
/// use pw_runtime::{Setting, SettingValue, SettingsTable};
///
/// let table = SettingsTable::new(&[Setting { parameter: "my%param", value: SettingValue::Own }]);
/// assert!(table.to_string().ends_with(
///     "warning: `my%param` cannot be a Paymentwall parameter name: it contains `%`; \
///      a parameter name is 1 to 64 characters, each an ASCII letter, digit or `_`\n"
/// ));
/// ```
///
/// ```
/// use pw_runtime::{Setting, SettingValue, SettingsTable};
///
/// let table = SettingsTable::new(&[
///     Setting { parameter: "rev", value: SettingValue::System("REVENUE_LOCAL") },
///     Setting { parameter: "campaign", value: SettingValue::Own },
/// ]);
/// assert_eq!(table.to_string(), "\
/// Paymentwall > Project > Settings > Custom Pingback Parameters:
/// | Parameter name | Value         |
/// |----------------|---------------|
/// | rev            | REVENUE_LOCAL |
/// | campaign       | OWN           |
/// ");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingsTable {
    settings: &'static [Setting],
}

impl SettingsTable {
    /// The table of these rows.
    ///
    /// ```
    /// assert!(pw_runtime::SettingsTable::new(&[]).rows().is_empty());
    /// ```
    pub const fn new(settings: &'static [Setting]) -> Self {
        SettingsTable { settings }
    }

    /// The rows.
    ///
    /// ```
    /// assert_eq!(pw_runtime::SettingsTable::new(&[]).rows().len(), 0);
    /// ```
    pub const fn rows(&self) -> &'static [Setting] {
        self.settings
    }
}

impl fmt::Display for SettingsTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAME: &str = "Parameter name";
        const VALUE: &str = "Value";
        writeln!(
            f,
            "Paymentwall > Project > Settings > Custom Pingback Parameters:"
        )?;
        if self.settings.is_empty() {
            return writeln!(f, "(none: this schema uses only the standard parameters)");
        }
        let values: Vec<String> = self.settings.iter().map(|s| s.value.to_string()).collect();
        let name_width = self
            .settings
            .iter()
            .map(|s| s.parameter.len())
            .chain([NAME.len()])
            .max()
            .unwrap_or_default();
        let value_width = values
            .iter()
            .map(String::len)
            .chain([VALUE.len()])
            .max()
            .unwrap_or_default();
        writeln!(f, "| {NAME:name_width$} | {VALUE:value_width$} |")?;
        writeln!(
            f,
            "|{}|{}|",
            "-".repeat(name_width + 2),
            "-".repeat(value_width + 2)
        )?;
        for (setting, value) in self.settings.iter().zip(&values) {
            writeln!(
                f,
                "| {:name_width$} | {value:value_width$} |",
                setting.parameter
            )?;
        }
        // A table built by hand (not by the derive, which refuses such
        // names) says which rows Paymentwall could never send back.
        for setting in self.settings {
            if let Some(violation) = NameRuleViolation::of(setting.parameter) {
                writeln!(f, "warning: {violation}")?;
            }
        }
        Ok(())
    }
}

/// A verified pingback does not fit the schema.
///
/// Names the parameter, what it should hold and the offending value.
///
/// ```
/// use pw_runtime::DecodeError;
///
/// let error = DecodeError::Invalid {
///     parameter: "rev",
///     expected: "a decimal amount such as `9.99`",
///     value: "abc".into(),
///     reason: "not a plain decimal number".into(),
/// };
/// assert_eq!(
///     error.to_string(),
///     "parameter `rev` should be a decimal amount such as `9.99`, got `abc` (not a plain decimal number)",
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A parameter the schema requires is absent (or empty, for a field
    /// that is not an `Option`).
    #[error("parameter `{parameter}` is missing or empty: expected {expected}")]
    Missing {
        /// The parameter name.
        parameter: &'static str,
        /// What the value should be.
        expected: &'static str,
    },
    /// A parameter's value is not of its kind.
    #[error("parameter `{parameter}` should be {expected}, got `{value}` ({reason})")]
    Invalid {
        /// The parameter name.
        parameter: &'static str,
        /// What the value should be.
        expected: &'static str,
        /// The offending value, cut to its first [`SHOWN_VALUE_CHARS`]
        /// characters (then `…`): the error goes to logs and response
        /// bodies, which need not repeat a long received value.
        value: String,
        /// Why it is not of the kind.
        reason: String,
    },
    /// The pingback was verified for another API type than the schema's.
    #[error("the pingback was verified as {verified}, but the schema is for {schema}")]
    WrongApi {
        /// The schema's API type.
        schema: ApiType,
        /// The verifier's API type.
        verified: ApiType,
    },
    /// The pingback's signature version is below the schema's minimum.
    #[error("the pingback is signed with version {signed}, but the schema accepts version {minimum} and later")]
    VersionTooLow {
        /// The schema's lowest accepted version.
        minimum: SignatureVersion,
        /// The pingback's version.
        signed: SignatureVersion,
    },
}

impl DecodeError {
    /// The HTTP status for this error: 400 for a missing or ill-typed
    /// parameter, 403 for a signature version the schema does not accept,
    /// 500 for a verifier built for another API type (a configuration
    /// error: Paymentwall retries until it is fixed).
    ///
    /// ```
    /// let missing = pw_runtime::DecodeError::Missing { parameter: "x", expected: "text" };
    /// assert_eq!(missing.status(), 400);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            DecodeError::Missing { .. } | DecodeError::Invalid { .. } => 400,
            DecodeError::VersionTooLow { .. } => 403,
            DecodeError::WrongApi { .. } => 500,
        }
    }
}

/// How many characters of a received value a [`DecodeError`] shows.
///
/// ```
/// assert_eq!(pw_runtime::SHOWN_VALUE_CHARS, 32);
/// ```
pub const SHOWN_VALUE_CHARS: usize = 32;

/// `text` as a [`DecodeError`] shows it: its first [`SHOWN_VALUE_CHARS`]
/// characters, then `…` when it is longer.
pub(crate) fn shown_value(text: &str) -> String {
    match text.char_indices().nth(SHOWN_VALUE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shown_value_is_cut_on_a_character_boundary() {
        assert_eq!(shown_value("9,99"), "9,99");
        let exact = "x".repeat(SHOWN_VALUE_CHARS);
        assert_eq!(shown_value(&exact), exact);
        let long = "é".repeat(100);
        let shown = shown_value(&long);
        assert_eq!(shown.chars().count(), SHOWN_VALUE_CHARS + 1);
        assert!(shown.ends_with('…'));
    }
}
