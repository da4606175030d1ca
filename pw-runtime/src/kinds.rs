//! What a pingback says happened: its type, a chargeback's reason, a
//! subscription period, and the unique reference `ref_type`.

use std::fmt;
use std::str::FromStr;

/// The pingback `type`: what happened to the payment.
///
/// Codes Paymentwall does not document arrive as [`PingbackType::Unknown`],
/// never as a payment.
///
/// ```
/// use pw_runtime::PingbackType;
///
/// assert_eq!(PingbackType::from_code(0), PingbackType::Payment);
/// assert_eq!(PingbackType::from_code(2), PingbackType::Chargeback);
/// assert_eq!(PingbackType::from_code(7), PingbackType::Unknown(7));
/// assert_eq!(PingbackType::RiskReviewAccepted.code(), 201);
/// assert!(PingbackType::RiskReviewAccepted.is_delivery());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PingbackType {
    /// 0: a payment; deliver once per `ref`.
    Payment,
    /// 1: a goodwill credit from customer service; deliver.
    Goodwill,
    /// 2: a chargeback or refund, with a reason; take the goods of that `ref` back.
    Chargeback,
    /// 12: the user cancelled the subscription; stop renewing.
    SubscriptionCancelled,
    /// 13: the subscription expired; end access.
    SubscriptionExpired,
    /// 14: a renewal payment failed; end access.
    SubscriptionPaymentFailed,
    /// 200: the payment is under risk review; do not deliver yet.
    RiskReviewPending,
    /// 201: the risk review accepted the payment; deliver once per `ref`.
    RiskReviewAccepted,
    /// 202: the risk review declined the payment; do not deliver.
    RiskReviewDeclined,
    /// 203: the authorization was voided (not captured in time); do not deliver.
    AuthorizationVoided,
    /// A code Paymentwall does not document.
    Unknown(u32),
}

/// [`PingbackType::from_code`] of the codes below 15.
const SMALL_TYPES: [PingbackType; 15] = {
    let mut table = [PingbackType::Payment; 15];
    let mut code = 0;
    while code < table.len() {
        table[code] = PingbackType::from_large_code(code as u32);
        code += 1;
    }
    table
};

impl PingbackType {
    /// The type for a code; undocumented codes become [`PingbackType::Unknown`].
    ///
    /// ```
    /// assert_eq!(pw_runtime::PingbackType::from_code(13).code(), 13);
    /// ```
    pub const fn from_code(code: u32) -> Self {
        // The codes below 15 read from a table, one load (through the
        // jump table of a `match`, about 6 instructions more).
        if code < SMALL_TYPES.len() as u32 {
            return SMALL_TYPES[code as usize];
        }
        PingbackType::from_large_code(code)
    }

    /// [`PingbackType::from_code`] of any code, by a `match`.
    const fn from_large_code(code: u32) -> Self {
        match code {
            0 => PingbackType::Payment,
            1 => PingbackType::Goodwill,
            2 => PingbackType::Chargeback,
            12 => PingbackType::SubscriptionCancelled,
            13 => PingbackType::SubscriptionExpired,
            14 => PingbackType::SubscriptionPaymentFailed,
            200 => PingbackType::RiskReviewPending,
            201 => PingbackType::RiskReviewAccepted,
            202 => PingbackType::RiskReviewDeclined,
            203 => PingbackType::AuthorizationVoided,
            other => PingbackType::Unknown(other),
        }
    }

    /// The numeric code sent in the `type` parameter.
    ///
    /// ```
    /// assert_eq!(pw_runtime::PingbackType::Chargeback.code(), 2);
    /// ```
    pub const fn code(self) -> u32 {
        match self {
            PingbackType::Payment => 0,
            PingbackType::Goodwill => 1,
            PingbackType::Chargeback => 2,
            PingbackType::SubscriptionCancelled => 12,
            PingbackType::SubscriptionExpired => 13,
            PingbackType::SubscriptionPaymentFailed => 14,
            PingbackType::RiskReviewPending => 200,
            PingbackType::RiskReviewAccepted => 201,
            PingbackType::RiskReviewDeclined => 202,
            PingbackType::AuthorizationVoided => 203,
            PingbackType::Unknown(code) => code,
        }
    }

    /// True for the types that deliver goods: payment (0), goodwill (1) and
    /// risk review accepted (201).
    ///
    /// ```
    /// assert!(!pw_runtime::PingbackType::Chargeback.is_delivery());
    /// ```
    pub const fn is_delivery(self) -> bool {
        matches!(
            self,
            PingbackType::Payment | PingbackType::Goodwill | PingbackType::RiskReviewAccepted
        )
    }
}

impl fmt::Display for PingbackType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            PingbackType::Payment => "payment",
            PingbackType::Goodwill => "goodwill",
            PingbackType::Chargeback => "chargeback",
            PingbackType::SubscriptionCancelled => "subscription cancelled",
            PingbackType::SubscriptionExpired => "subscription expired",
            PingbackType::SubscriptionPaymentFailed => "subscription payment failed",
            PingbackType::RiskReviewPending => "risk review pending",
            PingbackType::RiskReviewAccepted => "risk review accepted",
            PingbackType::RiskReviewDeclined => "risk review declined",
            PingbackType::AuthorizationVoided => "authorization voided",
            PingbackType::Unknown(code) => return write!(f, "unknown type {code}"),
        };
        write!(f, "{name} ({})", self.code())
    }
}

/// The `reason` of a chargeback (type 2).
///
/// ```
/// use pw_runtime::ChargebackReason;
///
/// assert_eq!(ChargebackReason::from_code(9), ChargebackReason::CancelledOrder);
/// assert!(ChargebackReason::from_code(2).recommends_ban());
/// assert_eq!(ChargebackReason::from_code(42), ChargebackReason::Unknown(42));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChargebackReason {
    /// 1: chargeback.
    Chargeback,
    /// 2: credit card fraud; Paymentwall recommends a ban.
    CreditCardFraud,
    /// 3: other fraud; Paymentwall recommends a ban.
    OtherFraud,
    /// 4: bad data entry.
    BadDataEntry,
    /// 5: fake or proxy user.
    FakeProxyUser,
    /// 6: rejected by the advertiser.
    RejectedByAdvertiser,
    /// 7: duplicate conversions.
    DuplicateConversions,
    /// 8: goodwill credit taken back.
    GoodwillTakenBack,
    /// 9: cancelled order (refund).
    CancelledOrder,
    /// 10: partially reversed transaction.
    PartiallyReversed,
    /// A code Paymentwall does not document.
    Unknown(u32),
}

impl ChargebackReason {
    /// The reason for a code; undocumented codes become [`ChargebackReason::Unknown`].
    ///
    /// ```
    /// assert_eq!(pw_runtime::ChargebackReason::from_code(1).code(), 1);
    /// ```
    pub const fn from_code(code: u32) -> Self {
        match code {
            1 => ChargebackReason::Chargeback,
            2 => ChargebackReason::CreditCardFraud,
            3 => ChargebackReason::OtherFraud,
            4 => ChargebackReason::BadDataEntry,
            5 => ChargebackReason::FakeProxyUser,
            6 => ChargebackReason::RejectedByAdvertiser,
            7 => ChargebackReason::DuplicateConversions,
            8 => ChargebackReason::GoodwillTakenBack,
            9 => ChargebackReason::CancelledOrder,
            10 => ChargebackReason::PartiallyReversed,
            other => ChargebackReason::Unknown(other),
        }
    }

    /// The numeric code sent in the `reason` parameter.
    ///
    /// ```
    /// assert_eq!(pw_runtime::ChargebackReason::PartiallyReversed.code(), 10);
    /// ```
    pub const fn code(self) -> u32 {
        match self {
            ChargebackReason::Chargeback => 1,
            ChargebackReason::CreditCardFraud => 2,
            ChargebackReason::OtherFraud => 3,
            ChargebackReason::BadDataEntry => 4,
            ChargebackReason::FakeProxyUser => 5,
            ChargebackReason::RejectedByAdvertiser => 6,
            ChargebackReason::DuplicateConversions => 7,
            ChargebackReason::GoodwillTakenBack => 8,
            ChargebackReason::CancelledOrder => 9,
            ChargebackReason::PartiallyReversed => 10,
            ChargebackReason::Unknown(code) => code,
        }
    }

    /// True for fraud (2 and 3), where Paymentwall recommends banning the user.
    ///
    /// ```
    /// assert!(!pw_runtime::ChargebackReason::CancelledOrder.recommends_ban());
    /// ```
    pub const fn recommends_ban(self) -> bool {
        matches!(
            self,
            ChargebackReason::CreditCardFraud | ChargebackReason::OtherFraud
        )
    }
}

impl fmt::Display for ChargebackReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ChargebackReason::Chargeback => "chargeback",
            ChargebackReason::CreditCardFraud => "credit card fraud",
            ChargebackReason::OtherFraud => "other fraud",
            ChargebackReason::BadDataEntry => "bad data entry",
            ChargebackReason::FakeProxyUser => "fake / proxy user",
            ChargebackReason::RejectedByAdvertiser => "rejected by advertiser",
            ChargebackReason::DuplicateConversions => "duplicate conversions",
            ChargebackReason::GoodwillTakenBack => "goodwill credit taken back",
            ChargebackReason::CancelledOrder => "cancelled order",
            ChargebackReason::PartiallyReversed => "partially reversed transaction",
            ChargebackReason::Unknown(code) => return write!(f, "unknown reason {code}"),
        };
        write!(f, "{name} ({})", self.code())
    }
}

/// The unit of a subscription length, `speriod`.
///
/// ```
/// use pw_runtime::SubscriptionPeriod;
/// assert_eq!("month".parse::<SubscriptionPeriod>(), Ok(SubscriptionPeriod::Month));
/// assert!("fortnight".parse::<SubscriptionPeriod>().is_err());
/// assert_eq!(SubscriptionPeriod::Year.to_string(), "year");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionPeriod {
    /// `day`
    Day,
    /// `week`
    Week,
    /// `month`
    Month,
    /// `year`
    Year,
}

impl SubscriptionPeriod {
    /// The name sent in `speriod`.
    ///
    /// ```
    /// assert_eq!(pw_runtime::SubscriptionPeriod::Week.name(), "week");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            SubscriptionPeriod::Day => "day",
            SubscriptionPeriod::Week => "week",
            SubscriptionPeriod::Month => "month",
            SubscriptionPeriod::Year => "year",
        }
    }
}

impl fmt::Display for SubscriptionPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`SubscriptionPeriod`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected `day`, `week`, `month` or `year`")]
pub struct InvalidPeriod;

impl SubscriptionPeriod {
    /// The period written `text`, if any.
    #[inline]
    pub(crate) fn from_bytes(text: &[u8]) -> Option<Self> {
        // The first four bytes compared as one word (a `match` on the
        // texts compared them a byte at a time: about 8 instructions more
        // for `month`).
        let word = |bytes: &[u8; 4]| u32::from_le_bytes(*bytes);
        match *text {
            [a, b, c, d] if word(&[a, b, c, d]) == word(b"week") => Some(SubscriptionPeriod::Week),
            [a, b, c, d] if word(&[a, b, c, d]) == word(b"year") => Some(SubscriptionPeriod::Year),
            [a, b, c, d, b'h'] if word(&[a, b, c, d]) == word(b"mont") => {
                Some(SubscriptionPeriod::Month)
            }
            [b'd', b'a', b'y'] => Some(SubscriptionPeriod::Day),
            _ => None,
        }
    }
}

impl FromStr for SubscriptionPeriod {
    type Err = InvalidPeriod;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SubscriptionPeriod::from_bytes(s.as_bytes()).ok_or(InvalidPeriod)
    }
}

/// The unique id of one pingback, `ref` + `_` + type (Paymentwall's
/// `UNIQUE_REF`, e.g. `b1493096790_0`): the same `ref` arrives once as a
/// payment and may arrive again as a chargeback.
///
/// ```
/// use pw_runtime::{PingbackType, UniqueRef};
///
/// let id: UniqueRef = "b1493096790_0".parse().unwrap();
/// assert_eq!(id.reference, "b1493096790");
/// assert_eq!(id.kind, PingbackType::Payment);
/// assert_eq!(id.to_string(), "b1493096790_0");
/// assert!("b1493096790".parse::<UniqueRef>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UniqueRef {
    /// Paymentwall's transaction reference, `ref`.
    pub reference: String,
    /// The pingback type.
    pub kind: PingbackType,
}

impl UniqueRef {
    /// The unique reference of `reference` with `kind`.
    ///
    /// ```
    /// use pw_runtime::{PingbackType, UniqueRef};
    /// assert_eq!(UniqueRef::new("t1", PingbackType::Chargeback).to_string(), "t1_2");
    /// ```
    pub fn new(reference: impl Into<String>, kind: PingbackType) -> Self {
        UniqueRef {
            reference: reference.into(),
            kind,
        }
    }
}

impl fmt::Display for UniqueRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.reference, self.kind.code())
    }
}

/// The error of parsing a [`UniqueRef`] that is not `<ref>_<type>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "expected `<ref>_<type>` with a ref of 1 to 1,024 bytes and a numeric type, e.g. `b1493096790_0`"
)]
pub struct InvalidUniqueRef;

impl FromStr for UniqueRef {
    type Err = InvalidUniqueRef;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (reference, code) = s.rsplit_once('_').ok_or(InvalidUniqueRef)?;
        let code = parse_code(code).ok_or(InvalidUniqueRef)?;
        if reference.is_empty() || reference.len() > Reference::MAX_BYTES {
            return Err(InvalidUniqueRef);
        }
        Ok(UniqueRef::new(reference, PingbackType::from_code(code)))
    }
}

/// A Paymentwall transaction reference, `ref` (e.g. `b1493096790`).
///
/// Not empty, at most [`Reference::MAX_BYTES`] bytes, and free of
/// whitespace and control characters.
///
/// ```
/// use pw_runtime::Reference;
///
/// let reference: Reference = "b1493096790".parse().unwrap();
/// assert_eq!(reference.as_str(), "b1493096790");
/// assert!("".parse::<Reference>().is_err());
/// assert!("b1 2".parse::<Reference>().is_err());
/// assert!("b".repeat(Reference::MAX_BYTES + 1).parse::<Reference>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference(String);

impl Reference {
    /// The longest `ref` pw takes, in bytes (1,024): every ledger keeps
    /// one this long, so a pingback is kept or refused the same way on
    /// each. The verifier refuses a longer `ref` (400, before any ledger
    /// sees it); Paymentwall's own are about a dozen characters.
    ///
    /// ```
    /// assert_eq!(pw_runtime::Reference::MAX_BYTES, 1024);
    /// ```
    pub const MAX_BYTES: usize = 1024;

    /// The reference as text.
    ///
    /// ```
    /// let reference: pw_runtime::Reference = "t1".parse().unwrap();
    /// assert_eq!(reference.as_str(), "t1");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Reference {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The error of parsing a [`Reference`] that is empty, longer than
/// [`Reference::MAX_BYTES`] or holds whitespace or control characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a reference is 1 to 1,024 bytes long and holds no whitespace or control characters")]
pub struct InvalidReference;

impl FromStr for Reference {
    type Err = InvalidReference;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty()
            || s.len() > Reference::MAX_BYTES
            || s.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(InvalidReference);
        }
        Ok(Reference(s.to_owned()))
    }
}

/// What kind of negative pingback a type 2 is (system value
/// `CHARGEBACK_TYPE`).
///
/// ```
/// use pw_runtime::ChargebackType;
/// assert_eq!("refund".parse::<ChargebackType>(), Ok(ChargebackType::Refund));
/// assert_eq!(ChargebackType::Chargeback.to_string(), "chargeback");
/// assert!("Refund".parse::<ChargebackType>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChargebackType {
    /// `refund`: the merchant or Paymentwall refunded the payment.
    Refund,
    /// `chargeback`: the payer disputed the payment with their bank.
    Chargeback,
}

impl fmt::Display for ChargebackType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChargebackType::Refund => "refund",
            ChargebackType::Chargeback => "chargeback",
        })
    }
}

/// The error of parsing a [`ChargebackType`] other than `refund` or
/// `chargeback`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected `refund` or `chargeback`")]
pub struct InvalidChargebackType;

impl FromStr for ChargebackType {
    type Err = InvalidChargebackType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "refund" => Ok(ChargebackType::Refund),
            "chargeback" => Ok(ChargebackType::Chargeback),
            _ => Err(InvalidChargebackType),
        }
    }
}

/// A code as Paymentwall writes it: ASCII digits only (no sign, no space).
pub(crate) fn parse_code(text: &str) -> Option<u32> {
    parse_code_bytes(text.as_bytes())
}

/// [`parse_code`] of the bytes of a text: the digits read one at a time,
/// `None` past `u32::MAX`. (`str::parse` after the check of the digits
/// cost about 35 instructions for a one-digit type, this about 10.)
#[inline]
pub(crate) fn parse_code_bytes(text: &[u8]) -> Option<u32> {
    // One digit, the usual type or reason, without the loop's tests of
    // overflow (about 6 instructions fewer).
    if let [byte] = *text {
        let digit = byte.wrapping_sub(b'0');
        return (digit <= 9).then_some(u32::from(digit));
    }
    if text.is_empty() {
        return None;
    }
    let mut code = 0u32;
    for &byte in text {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        code = code.checked_mul(10)?.checked_add(u32::from(digit))?;
    }
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Codes read by hand are what `str::parse` reads of digits alone.
        #[test]
        fn codes_are_digits_read_as_parse_does(text in "[0-9]{0,12}|[0-9+ a:/-]{0,4}|429496729[0-9]") {
            let reference = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
                text.parse::<u32>().ok()
            } else {
                None
            };
            proptest::prop_assert_eq!(parse_code(&text), reference);
        }

        /// Periods read a word at a time are the four texts and no other,
        /// near misses included (a byte changed, cut or added).
        #[test]
        fn periods_are_the_four_texts(
            text in "(day|week|month|year)|[dwmyeaonthrk]{0,6}|(day|week|month|year)[a-z\\x00]",
            flip in proptest::prelude::any::<(proptest::sample::Index, u8)>(),
        ) {
            let reference = |text: &[u8]| match text {
                b"day" => Some(SubscriptionPeriod::Day),
                b"week" => Some(SubscriptionPeriod::Week),
                b"month" => Some(SubscriptionPeriod::Month),
                b"year" => Some(SubscriptionPeriod::Year),
                _ => None,
            };
            let mut bytes = text.into_bytes();
            proptest::prop_assert_eq!(SubscriptionPeriod::from_bytes(&bytes), reference(&bytes));
            if !bytes.is_empty() {
                let at = flip.0.index(bytes.len());
                bytes[at] ^= flip.1 | 1;
                proptest::prop_assert_eq!(SubscriptionPeriod::from_bytes(&bytes), reference(&bytes));
            }
        }
    }

    #[test]
    fn a_code_of_one_byte_is_a_digit() {
        for byte in 0..=u8::MAX {
            let reference = char::from(byte)
                .to_digit(10)
                .filter(|_| byte.is_ascii_digit());
            assert_eq!(parse_code_bytes(&[byte]), reference, "{byte}");
        }
    }

    #[test]
    fn the_table_of_types_is_the_match() {
        for code in (0..300).chain([u32::MAX]) {
            assert_eq!(
                PingbackType::from_code(code),
                PingbackType::from_large_code(code),
                "{code}"
            );
        }
    }

    #[test]
    fn every_documented_type_round_trips() {
        for code in [0, 1, 2, 12, 13, 14, 200, 201, 202, 203] {
            let kind = PingbackType::from_code(code);
            assert!(!matches!(kind, PingbackType::Unknown(_)), "{code}");
            assert_eq!(kind.code(), code);
        }
        assert_eq!(PingbackType::from_code(3).to_string(), "unknown type 3");
    }

    #[test]
    fn every_documented_reason_round_trips() {
        for code in 1..=10 {
            let reason = ChargebackReason::from_code(code);
            assert!(!matches!(reason, ChargebackReason::Unknown(_)));
            assert_eq!(reason.code(), code);
        }
        assert_eq!(ChargebackReason::from_code(0), ChargebackReason::Unknown(0));
    }

    #[test]
    fn unique_ref_splits_at_the_last_underscore() {
        let id: UniqueRef = "my_ref_2".parse().unwrap();
        assert_eq!(id, UniqueRef::new("my_ref", PingbackType::Chargeback));
        for bad in ["_0", "x_", "x_-1", "x_+1", "x_ 1", "x_a"] {
            assert!(bad.parse::<UniqueRef>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_ref_is_at_most_max_bytes_as_a_reference_and_in_a_unique_ref() {
        let longest = "\u{e9}".repeat(Reference::MAX_BYTES / 2);
        assert!(longest.parse::<Reference>().is_ok());
        assert!(format!("{longest}_0").parse::<UniqueRef>().is_ok());
        assert!(format!("{longest}r").parse::<Reference>().is_err());
        assert!(format!("{longest}r_0").parse::<UniqueRef>().is_err());
    }
}
