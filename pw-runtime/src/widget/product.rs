//! The products of a widget call: [`Product`] (with its [`Trial`]) for the
//! Digital Goods API, [`CartItem`] for the Cart API.

use super::{Price, WidgetError};
use crate::kinds::SubscriptionPeriod;

/// The parameters a [`Product`] sends, in the official library's order.
pub(super) const PRODUCT_PARAMETERS: &[&str] = &[
    "amount",
    "currencyCode",
    "ag_name",
    "ag_external_id",
    "ag_type",
    "ag_period_length",
    "ag_period_type",
    "ag_recurring",
    "ag_trial",
    "ag_post_trial_external_id",
    "ag_post_trial_period_length",
    "ag_post_trial_period_type",
    "ag_post_trial_name",
    "post_trial_amount",
    "post_trial_currencyCode",
];

/// The one product of a Digital Goods widget call: a one-time purchase, a
/// subscription of a fixed length, or a recurring subscription, possibly
/// starting with a [`Trial`].
///
/// It sends `amount`, `currencyCode`, `ag_name` (when named),
/// `ag_external_id`, `ag_type` and, for a subscription,
/// `ag_period_length`, `ag_period_type` and `ag_recurring=1` when it
/// renews, as the official library does (a subscription that does not
/// renew sends no `ag_recurring`).
///
/// ```
/// use pw_runtime::widget::{Price, Product, Trial};
/// use pw_runtime::{Currency, Decimal, SubscriptionPeriod};
///
/// let gold = Price::new(Decimal::new(999, 2), Currency::USD)?;
/// let product = Product::recurring("gold", gold, 1, SubscriptionPeriod::Month)
///     .name("Gold Membership")
///     .trial(Trial::new("gold_trial", Price::new(Decimal::ONE, Currency::USD)?, 7, SubscriptionPeriod::Day));
/// # let _ = product;
/// # Ok::<(), pw_runtime::widget::AmountError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    id: String,
    name: Option<String>,
    price: Price,
    billing: Billing,
    trial: Option<Trial>,
}

/// How a [`Product`] is paid for, its `ag_type`: once, or by subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Billing {
    Fixed,
    Subscription {
        length: u32,
        period: SubscriptionPeriod,
        recurring: bool,
    },
}

/// The trial a recurring subscription starts with: its own product id,
/// price and period, after which the subscription's own price and period
/// apply (`ag_trial=1`, the `ag_post_trial_*` parameters,
/// `post_trial_amount`, `post_trial_currencyCode`).
///
/// ```
/// use pw_runtime::widget::{Price, Trial};
/// use pw_runtime::{Currency, Decimal, SubscriptionPeriod};
///
/// let trial = Trial::new("gold_trial", Price::new(Decimal::ONE, Currency::EUR)?, 7, SubscriptionPeriod::Day)
///     .name("Gold, first week");
/// # let _ = trial;
/// # Ok::<(), pw_runtime::widget::AmountError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trial {
    id: String,
    name: Option<String>,
    price: Price,
    length: u32,
    period: SubscriptionPeriod,
}

impl Product {
    /// A one-time purchase (`ag_type=fixed`).
    ///
    /// ```
    /// use pw_runtime::widget::{Price, Product};
    /// use pw_runtime::{Currency, Decimal};
    /// let gems = Product::fixed("gems_100", Price::new(Decimal::new(499, 2), Currency::USD)?);
    /// # let _ = gems;
    /// # Ok::<(), pw_runtime::widget::AmountError>(())
    /// ```
    pub fn fixed(id: impl Into<String>, price: Price) -> Product {
        Product {
            id: id.into(),
            name: None,
            price,
            billing: Billing::Fixed,
            trial: None,
        }
    }

    /// A subscription of `length` `period`s that does not renew
    /// (`ag_type=subscription`, no `ag_recurring`). `length` must be at
    /// least 1.
    ///
    /// ```
    /// use pw_runtime::widget::{Price, Product};
    /// use pw_runtime::{Currency, Decimal, SubscriptionPeriod};
    /// let pass = Product::subscription("pass", Price::new(Decimal::new(5, 0), Currency::EUR)?, 3, SubscriptionPeriod::Day);
    /// # let _ = pass;
    /// # Ok::<(), pw_runtime::widget::AmountError>(())
    /// ```
    pub fn subscription(
        id: impl Into<String>,
        price: Price,
        length: u32,
        period: SubscriptionPeriod,
    ) -> Product {
        Product::subscribed(id.into(), price, length, period, false)
    }

    /// A subscription that renews every `length` `period`s
    /// (`ag_recurring=1`). `length` must be at least 1.
    ///
    /// ```
    /// use pw_runtime::widget::{Price, Product};
    /// use pw_runtime::{Currency, Decimal, SubscriptionPeriod};
    /// let gold = Product::recurring("gold", Price::new(Decimal::new(999, 2), Currency::USD)?, 1, SubscriptionPeriod::Month);
    /// # let _ = gold;
    /// # Ok::<(), pw_runtime::widget::AmountError>(())
    /// ```
    pub fn recurring(
        id: impl Into<String>,
        price: Price,
        length: u32,
        period: SubscriptionPeriod,
    ) -> Product {
        Product::subscribed(id.into(), price, length, period, true)
    }

    /// A subscription of `length` `period`s, renewing when `recurring`.
    fn subscribed(
        id: String,
        price: Price,
        length: u32,
        period: SubscriptionPeriod,
        recurring: bool,
    ) -> Product {
        Product {
            id,
            name: None,
            price,
            billing: Billing::Subscription {
                length,
                period,
                recurring,
            },
            trial: None,
        }
    }

    /// The product's name, `ag_name` (the payment page shows it).
    ///
    /// ```
    /// use pw_runtime::widget::{Price, Product};
    /// use pw_runtime::{Currency, Decimal};
    /// let gems = Product::fixed("gems_100", Price::new(Decimal::new(499, 2), Currency::USD)?).name("100 gems");
    /// # let _ = gems;
    /// # Ok::<(), pw_runtime::widget::AmountError>(())
    /// ```
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Product {
        self.name = Some(name.into());
        self
    }

    /// A trial the subscription starts with. Only a recurring
    /// subscription ([`Product::recurring`]) has one: the widget call
    /// refuses a trial on another product.
    ///
    /// ```
    /// use pw_runtime::widget::{Price, Product, Trial};
    /// use pw_runtime::{Currency, Decimal, SubscriptionPeriod};
    /// let trial = Trial::new("t", Price::new(Decimal::ONE, Currency::USD)?, 7, SubscriptionPeriod::Day);
    /// let gold = Product::recurring("gold", Price::new(Decimal::TEN, Currency::USD)?, 1, SubscriptionPeriod::Month)
    ///     .trial(trial);
    /// # let _ = gold;
    /// # Ok::<(), pw_runtime::widget::AmountError>(())
    /// ```
    #[must_use]
    pub fn trial(mut self, trial: Trial) -> Product {
        self.trial = Some(trial);
        self
    }

    /// The widget parameters of the product, in the official library's
    /// order.
    pub(crate) fn params(&self) -> Result<Vec<(&'static str, String)>, WidgetError> {
        let trial = &self.trial;
        let Billing::Subscription {
            length,
            period,
            recurring,
        } = self.billing
        else {
            if trial.is_some() {
                return Err(WidgetError::TrialNotRecurring);
            }
            return Ok(head(&self.price, self.name.as_deref(), &self.id, "fixed"));
        };
        // With a trial, the product the user pays first is the trial; the
        // subscription follows it.
        let (first_price, first_name, first_id, first_length, first_period) = match trial {
            Some(trial) => (
                &trial.price,
                trial.name.as_deref(),
                &trial.id,
                trial.length,
                trial.period,
            ),
            None => (&self.price, self.name.as_deref(), &self.id, length, period),
        };
        if trial.is_some() && !recurring {
            return Err(WidgetError::TrialNotRecurring);
        }
        let mut params = head(first_price, first_name, first_id, "subscription");
        params.push(("ag_period_length", first_length.to_string()));
        params.push(("ag_period_type", first_period.to_string()));
        if recurring {
            params.push(("ag_recurring", "1".to_owned()));
        }
        if trial.is_some() {
            params.push(("ag_trial", "1".to_owned()));
            params.push(("ag_post_trial_external_id", self.id.clone()));
            params.push(("ag_post_trial_period_length", length.to_string()));
            params.push(("ag_post_trial_period_type", period.to_string()));
            if let Some(name) = &self.name {
                params.push(("ag_post_trial_name", name.clone()));
            }
            params.push(("post_trial_amount", self.price.amount_text()));
            params.push((
                "post_trial_currencyCode",
                self.price.currency().code().to_owned(),
            ));
        }
        Ok(params)
    }
}

/// `amount`, `currencyCode`, `ag_name`, `ag_external_id`, `ag_type`.
fn head(
    price: &Price,
    name: Option<&str>,
    id: &str,
    ag_type: &'static str,
) -> Vec<(&'static str, String)> {
    let mut params = vec![
        ("amount", price.amount_text()),
        ("currencyCode", price.currency().code().to_owned()),
    ];
    if let Some(name) = name {
        params.push(("ag_name", name.to_owned()));
    }
    params.push(("ag_external_id", id.to_owned()));
    params.push(("ag_type", ag_type.to_owned()));
    params
}

impl Trial {
    /// A trial of `length` `period`s at `price`, under its own product id.
    /// `length` must be at least 1.
    pub fn new(
        id: impl Into<String>,
        price: Price,
        length: u32,
        period: SubscriptionPeriod,
    ) -> Trial {
        Trial {
            id: id.into(),
            name: None,
            price,
            length,
            period,
        }
    }

    /// The trial's name, `ag_name` while the trial lasts.
    ///
    /// ```
    /// use pw_runtime::widget::{Price, Trial};
    /// use pw_runtime::{Currency, Decimal, SubscriptionPeriod};
    /// let trial = Trial::new("t", Price::new(Decimal::ONE, Currency::USD)?, 7, SubscriptionPeriod::Day).name("First week");
    /// # let _ = trial;
    /// # Ok::<(), pw_runtime::widget::AmountError>(())
    /// ```
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Trial {
        self.name = Some(name.into());
        self
    }
}

/// One product of a Cart widget call: `external_ids[i]`, and, when its
/// price is given for this call, `prices[i]` and `currencies[i]`; when
/// named, `names[i]`.
///
/// Either every item of a cart carries its price or none does (the
/// prices stored at Paymentwall apply): the widget call refuses a cart
/// that mixes both, where the official library would send `0` as the
/// price of the items without one.
///
/// ```
/// use pw_runtime::widget::{CartItem, Price};
/// use pw_runtime::{Currency, Decimal};
///
/// let item = CartItem::new("product301")
///     .price(Price::new(Decimal::new(333, 2), Currency::EUR)?)
///     .name("Product 1");
/// # let _ = item;
/// # Ok::<(), pw_runtime::widget::AmountError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartItem {
    id: String,
    price: Option<Price>,
    name: Option<String>,
}

impl CartItem {
    /// The product with this id (set up in Paymentwall's Products section).
    pub fn new(id: impl Into<String>) -> CartItem {
        CartItem {
            id: id.into(),
            price: None,
            name: None,
        }
    }

    /// Its price for this call, `prices[i]` and `currencies[i]`.
    #[must_use]
    pub fn price(mut self, price: Price) -> CartItem {
        self.price = Some(price);
        self
    }

    /// Its name, `names[i]`.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> CartItem {
        self.name = Some(name.into());
        self
    }

    /// The widget parameters of the item at `index`.
    pub(crate) fn params(&self, index: usize) -> Vec<(String, String)> {
        let mut params = vec![(format!("external_ids[{index}]"), self.id.clone())];
        if let Some(price) = &self.price {
            params.push((format!("prices[{index}]"), price.amount_text()));
            params.push((
                format!("currencies[{index}]"),
                price.currency().code().to_owned(),
            ));
        }
        if let Some(name) = &self.name {
            params.push((format!("names[{index}]"), name.clone()));
        }
        params
    }
}
