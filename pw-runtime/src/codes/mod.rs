//! ISO country and currency codes as pw's own types: validated on the way
//! in, `Copy`, printed as their codes. The data (which codes exist, their
//! names, a currency's minor units) comes from the `iso_currency` crate and
//! its `iso_country`, kept out of pw's public API so that their releases
//! are not pw's breaking changes.

mod country;
mod currency;

pub use country::{CountryCode, UnknownCountryCode};
pub use currency::Currency;
