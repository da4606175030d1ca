//! The user profile a widget call may carry for Paymentwall's risk
//! scoring (the User Profile API): [`Customer`] (`customer[...]`) and
//! [`History`] (`history[...]`).

use std::net::IpAddr;

use time::{Date, OffsetDateTime, Time};

use crate::codes::CountryCode;
use rust_decimal::Decimal;

/// The user's sex, `customer[sex]`.
///
/// ```
/// assert_eq!(pw_runtime::widget::Sex::Female.as_str(), "female");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// `male`.
    Male,
    /// `female`.
    Female,
}

impl Sex {
    /// The parameter text.
    pub const fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// Who the user is: the `customer[...]` parameters. Every field is
/// optional; set those you know.
///
/// ```
/// use pw_runtime::widget::{Customer, Sex};
/// use pw_runtime::CountryCode;
///
/// let customer = Customer {
///     firstname: Some("Ada".into()),
///     lastname: Some("Lovelace".into()),
///     sex: Some(Sex::Female),
///     country: Some(CountryCode::GBR),
///     ..Customer::default()
/// };
/// # let _ = customer;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Customer {
    /// `customer[username]`, when it differs from `uid`.
    pub username: Option<String>,
    /// `customer[firstname]`.
    pub firstname: Option<String>,
    /// `customer[lastname]`.
    pub lastname: Option<String>,
    /// `customer[birthday]`, sent as the Unix time stamp of its midnight UTC.
    pub birthday: Option<Date>,
    /// `customer[sex]`.
    pub sex: Option<Sex>,
    /// `customer[address]`.
    pub address: Option<String>,
    /// `customer[city]`.
    pub city: Option<String>,
    /// `customer[state]`, the state or province.
    pub state: Option<String>,
    /// `customer[zip]`.
    pub zip: Option<String>,
    /// `customer[country]`.
    pub country: Option<CountryCode>,
}

/// The user's history with the merchant: the `history[...]` parameters.
/// Every field is optional; Paymentwall asks for `registration_date` at
/// least. Other keys of the User Profile API go through
/// [`WidgetCall::history_field`](super::WidgetCall::history_field).
///
/// ```
/// use pw_runtime::widget::History;
/// use pw_runtime::time::macros::datetime;
///
/// let history = History {
///     registration_date: Some(datetime!(2024-01-31 12:00 UTC)),
///     payments_number: Some(3),
///     ..History::default()
/// };
/// # let _ = history;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// `history[registration_date]`, sent as a Unix time stamp.
    pub registration_date: Option<OffsetDateTime>,
    /// `history[registration_country]`.
    pub registration_country: Option<CountryCode>,
    /// `history[registration_ip]`.
    pub registration_ip: Option<IpAddr>,
    /// `history[registration_email]`.
    pub registration_email: Option<String>,
    /// `history[registration_email_verified]`.
    pub registration_email_verified: Option<bool>,
    /// `history[registration_name]`.
    pub registration_name: Option<String>,
    /// `history[registration_lastname]`.
    pub registration_lastname: Option<String>,
    /// `history[registration_source]`, such as `affiliate_4312`.
    pub registration_source: Option<String>,
    /// `history[registration_age]`.
    pub registration_age: Option<u32>,
    /// `history[membership]`, such as `gold`.
    pub membership: Option<String>,
    /// `history[membership_date]`, sent as a Unix time stamp.
    pub membership_date: Option<OffsetDateTime>,
    /// `history[logins_number]`.
    pub logins_number: Option<u64>,
    /// `history[payments_number]`.
    pub payments_number: Option<u64>,
    /// `history[payments_amount]`, in USD.
    pub payments_amount: Option<Decimal>,
    /// `history[cancelled_payments]`.
    pub cancelled_payments: Option<u64>,
    /// `history[was_banned]`.
    pub was_banned: Option<bool>,
    /// `history[risk_score]`, 0 (reliable) to 100 (fraudulent).
    pub risk_score: Option<u8>,
}

fn flag(value: bool) -> String {
    if value { "1" } else { "0" }.to_owned()
}

fn timestamp(at: &OffsetDateTime) -> String {
    at.unix_timestamp().to_string()
}

/// Pushes `name[key]=value` for every field that is set.
struct Fields {
    name: &'static str,
    out: Vec<(String, String)>,
}

impl Fields {
    fn push(&mut self, key: &str, value: Option<String>) {
        if let Some(value) = value {
            self.out.push((format!("{}[{key}]", self.name), value));
        }
    }
}

impl Customer {
    /// The `customer[...]` parameters of the fields that are set.
    pub(crate) fn params(&self) -> Vec<(String, String)> {
        let mut fields = Fields {
            name: "customer",
            out: Vec::new(),
        };
        fields.push("username", self.username.clone());
        fields.push("firstname", self.firstname.clone());
        fields.push("lastname", self.lastname.clone());
        fields.push(
            "birthday",
            self.birthday
                .map(|date| timestamp(&date.with_time(Time::MIDNIGHT).assume_utc())),
        );
        fields.push("sex", self.sex.map(|sex| sex.as_str().to_owned()));
        fields.push("address", self.address.clone());
        fields.push("city", self.city.clone());
        fields.push("state", self.state.clone());
        fields.push("zip", self.zip.clone());
        fields.push("country", self.country.map(|c| c.alpha2().to_owned()));
        fields.out
    }
}

impl History {
    /// The `history[...]` parameters of the fields that are set.
    pub(crate) fn params(&self) -> Vec<(String, String)> {
        let mut fields = Fields {
            name: "history",
            out: Vec::new(),
        };
        fields.push(
            "registration_date",
            self.registration_date.as_ref().map(timestamp),
        );
        fields.push(
            "registration_country",
            self.registration_country.map(|c| c.alpha2().to_owned()),
        );
        fields.push(
            "registration_ip",
            self.registration_ip.map(|ip| ip.to_string()),
        );
        fields.push("registration_email", self.registration_email.clone());
        fields.push(
            "registration_email_verified",
            self.registration_email_verified.map(flag),
        );
        fields.push("registration_name", self.registration_name.clone());
        fields.push("registration_lastname", self.registration_lastname.clone());
        fields.push("registration_source", self.registration_source.clone());
        fields.push(
            "registration_age",
            self.registration_age.map(|n| n.to_string()),
        );
        fields.push("membership", self.membership.clone());
        fields.push(
            "membership_date",
            self.membership_date.as_ref().map(timestamp),
        );
        fields.push("logins_number", self.logins_number.map(|n| n.to_string()));
        fields.push(
            "payments_number",
            self.payments_number.map(|n| n.to_string()),
        );
        fields.push(
            "payments_amount",
            self.payments_amount.map(|a| a.normalize().to_string()),
        );
        fields.push(
            "cancelled_payments",
            self.cancelled_payments.map(|n| n.to_string()),
        );
        fields.push("was_banned", self.was_banned.map(flag));
        fields.push("risk_score", self.risk_score.map(|n| n.to_string()));
        fields.out
    }
}
