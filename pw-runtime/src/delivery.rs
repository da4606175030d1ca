//! [`Delivery`]: one verified, decoded pingback as a handler receives it;
//! [`OriginalPayment`], the payment a reversal takes back; and
//! [`RecordedReversal`], the reversal a delivery of the same `ref` arrives
//! after.

use crate::envelope::Envelope;
use crate::handler::Reversal;
use crate::kinds::{PingbackType, UniqueRef};
use crate::ledger::Lease;
use crate::params::Params;
use crate::schema::{DecodeError, Pingback};
use crate::verify::VerifiedPingback;
use std::ops::Deref;
use std::time::SystemTime;

/// A verified pingback decoded into the schema `P`, as a handler method
/// receives it.
///
/// It dereferences to the schema's fields; the standard envelope and the
/// raw parameters (including any that the schema does not declare) stay
/// available.
///
/// ```
/// use pw_runtime::{signature, ApiType, Delivery, Pingback, SecretKey, SignatureVersion, Source};
///
/// #[derive(Pingback)]
/// #[pingback(api = "digital_goods")]
/// struct Purchase {
///     #[pingback(own)]
///     campaign: String,
/// }
///
/// let secret = SecretKey::new("secret");
/// let query = signature::sign_pingback(
///     ApiType::DigitalGoods,
///     SignatureVersion::V2,
///     &secret,
///     [("uid", "u1"), ("goodsid", "gold"), ("type", "0"), ("ref", "r1"), ("campaign", "spring"), ("extra", "x")],
/// ).unwrap();
/// let verified = Purchase::verifier(secret)
///     .build()
///     .verify(query.as_bytes(), &Source::peer("174.36.92.186".parse().unwrap()))
///     .unwrap();
///
/// let delivery = Delivery::<Purchase>::decode(verified).unwrap();
/// assert_eq!(delivery.campaign, "spring");
/// assert_eq!(delivery.envelope().uid, "u1");
/// assert_eq!(delivery.params().get("extra"), Some("x"));
/// ```
#[derive(Debug)]
pub struct Delivery<P> {
    pingback: VerifiedPingback,
    fields: P,
    lease: Option<Lease>,
}

impl<P: Pingback> Delivery<P> {
    /// Decodes a verified pingback into the schema.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] when a parameter does not fit the schema, or the
    /// pingback was verified for another API type or with a signature
    /// version the schema does not accept.
    pub fn decode(pingback: VerifiedPingback) -> Result<Self, DecodeError> {
        if pingback.api() != P::API {
            return Err(DecodeError::WrongApi {
                schema: P::API,
                verified: pingback.api(),
            });
        }
        if pingback.sign_version() < P::MINIMUM_VERSION {
            return Err(DecodeError::VersionTooLow {
                minimum: P::MINIMUM_VERSION,
                signed: pingback.sign_version(),
            });
        }
        let fields = P::from_params(pingback.params())?;
        Ok(Delivery {
            pingback,
            fields,
            lease: None,
        })
    }
}

impl<P> Delivery<P> {
    /// The schema's fields.
    pub fn fields(&self) -> &P {
        &self.fields
    }

    /// The schema's fields, by value.
    pub fn into_fields(self) -> P {
        self.fields
    }

    /// The verified pingback: envelope, raw parameters, signature version,
    /// client address.
    pub fn pingback(&self) -> &VerifiedPingback {
        &self.pingback
    }

    /// The standard envelope: `uid`, `ref`, type, `is_test`, `reason` and
    /// the goods.
    pub fn envelope(&self) -> Envelope<'_> {
        self.pingback.envelope()
    }

    /// Every verified parameter, including those the schema does not
    /// declare.
    pub fn params(&self) -> &Params {
        self.pingback.params()
    }

    /// The pingback type.
    pub fn kind(&self) -> PingbackType {
        self.pingback.kind()
    }

    /// Paymentwall's transaction reference, `ref`.
    pub fn reference(&self) -> &str {
        self.pingback.reference()
    }

    /// The unique reference `ref_type`.
    pub fn unique_ref(&self) -> UniqueRef {
        self.pingback.unique_ref()
    }

    /// Whether Paymentwall marked this as a test pingback (`is_test=1`).
    pub fn is_test(&self) -> bool {
        self.pingback.envelope().is_test
    }
}

impl<P> Delivery<P> {
    /// The ledger's lease on this pingback while a handler runs (`None`
    /// outside a listener).
    pub fn lease(&mut self) -> Option<&mut Lease> {
        self.lease.as_mut()
    }

    pub(crate) fn set_lease(&mut self, lease: Lease) {
        self.lease = Some(lease);
    }

    pub(crate) fn take_lease(&mut self) -> Option<Lease> {
        self.lease.take()
    }

    /// The SQLite ledger's connection inside this pingback's transaction:
    /// the handler's writes here commit together with the ledger record, or
    /// not at all when the handler fails. From the first call the lease
    /// holds SQLite's one writer (see [`Lease::sqlite`]): do slow work
    /// before it.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Config`](crate::ledger::LedgerError::Config) outside a listener; the errors of
    /// [`Lease::sqlite`].
    #[cfg(feature = "sqlite")]
    pub async fn sqlite(
        &mut self,
    ) -> Result<&crate::ledger::rusqlite::Connection, crate::ledger::LedgerError> {
        self.lease.as_mut().ok_or_else(no_lease)?.sqlite().await
    }

    /// The PostgreSQL ledger's transaction for this pingback: the
    /// handler's writes here commit together with the ledger record, or
    /// not at all when the handler fails.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Config`](crate::ledger::LedgerError::Config) outside a listener; the errors of
    /// [`Lease::postgres`].
    #[cfg(feature = "postgres")]
    pub async fn postgres(
        &mut self,
    ) -> Result<&mut crate::ledger::sqlx::PgConnection, crate::ledger::LedgerError> {
        self.lease.as_mut().ok_or_else(no_lease)?.postgres().await
    }

    /// The MySQL / MariaDB ledger's transaction for this pingback: the
    /// handler's writes here commit together with the ledger record, or
    /// not at all when the handler fails.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Config`](crate::ledger::LedgerError::Config) outside a listener; the errors of
    /// [`Lease::mysql`].
    #[cfg(feature = "mysql")]
    pub async fn mysql(
        &mut self,
    ) -> Result<&mut crate::ledger::sqlx::MySqlConnection, crate::ledger::LedgerError> {
        self.lease.as_mut().ok_or_else(no_lease)?.mysql().await
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
fn no_lease() -> crate::ledger::LedgerError {
    crate::ledger::LedgerError::Config(
        "this delivery holds no ledger lease: it is not running in a listener".into(),
    )
}

impl<P> Deref for Delivery<P> {
    type Target = P;

    fn deref(&self) -> &P {
        &self.fields
    }
}

/// The payment (type 0, 1 or 201) a chargeback or a declined risk review
/// takes back, as the ledger recorded it when it was delivered.
///
/// ```
/// use pw_runtime::{Limits, OriginalPayment, Params, PingbackType, UniqueRef};
/// use std::time::SystemTime;
///
/// let params = Params::parse(b"uid=u1&goodsid=gold&type=0&ref=r1", &Limits::default()).unwrap();
/// let original = OriginalPayment::new(UniqueRef::new("r1", PingbackType::Payment), params, SystemTime::now());
/// assert_eq!(original.params().get("goodsid"), Some("gold"));
/// ```
#[derive(Debug, Clone)]
pub struct OriginalPayment {
    unique_ref: UniqueRef,
    params: Params,
    delivered_at: SystemTime,
}

impl OriginalPayment {
    /// The payment a ledger recorded, or `None` when its stored parameters
    /// no longer parse.
    pub(crate) fn from_record(record: &crate::ledger::PaymentRecord) -> Option<Self> {
        let params = record.params().ok()?;
        Some(OriginalPayment::new(
            record.id().clone(),
            params,
            record.delivered_at(),
        ))
    }

    /// The payment recorded under `unique_ref` with its verified
    /// parameters, delivered at `delivered_at`.
    pub fn new(unique_ref: UniqueRef, params: Params, delivered_at: SystemTime) -> Self {
        OriginalPayment {
            unique_ref,
            params,
            delivered_at,
        }
    }

    /// The payment's unique reference (its type is 0, 1 or 201).
    pub fn unique_ref(&self) -> &UniqueRef {
        &self.unique_ref
    }

    /// The payment's verified parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// When the payment was delivered.
    pub fn delivered_at(&self) -> SystemTime {
        self.delivered_at
    }

    /// The payment's fields, decoded with the schema `P`.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] when the recorded parameters do not fit the
    /// schema (for example after the schema changed).
    pub fn fields<P: Pingback>(&self) -> Result<P, DecodeError> {
        P::from_params(&self.params)
    }
}

/// A reversal of a `ref` (a chargeback, type 2, or a declined risk review,
/// type 202) that the ledger recorded before a delivery (type 0, 1 or 201)
/// of the same `ref` arrived: the generated `deliver` method receives it in
/// [`Grant::AlreadyReversed`](crate::Grant::AlreadyReversed), so goods are
/// not granted after their refund.
///
/// ```
/// use pw_runtime::{ChargebackReason, Params, RecordedReversal, Reversal};
/// use std::time::SystemTime;
///
/// let params = Params::from_pairs([("uid", "u1"), ("type", "2"), ("ref", "r1"), ("reason", "9")]).unwrap();
/// let reversal = RecordedReversal::from_params(params, SystemTime::UNIX_EPOCH).unwrap();
/// assert_eq!(reversal.reversal(), Reversal::Chargeback { reason: Some(ChargebackReason::CancelledOrder) });
/// assert_eq!(reversal.unique_ref().to_string(), "r1_2");
/// ```
#[derive(Debug, Clone)]
pub struct RecordedReversal {
    unique_ref: UniqueRef,
    reversal: Reversal,
    params: Params,
    recorded_at: SystemTime,
}

impl RecordedReversal {
    /// The reversal whose verified parameters are `params`, recorded at
    /// `recorded_at`; `None` unless their `type` is 2 or 202 and they carry
    /// a `ref`.
    ///
    /// ```
    /// use pw_runtime::{Params, RecordedReversal};
    /// let payment = Params::from_pairs([("type", "0"), ("ref", "r1")]).unwrap();
    /// assert!(RecordedReversal::from_params(payment, std::time::SystemTime::now()).is_none());
    /// ```
    pub fn from_params(params: Params, recorded_at: SystemTime) -> Option<Self> {
        let code = crate::kinds::parse_code(params.get("type")?)?;
        let kind = PingbackType::from_code(code);
        let reason = params
            .get("reason")
            .and_then(crate::kinds::parse_code)
            .map(crate::ChargebackReason::from_code);
        let reversal = Reversal::from_type(kind, reason)?;
        let reference = params.get("ref").filter(|r| !r.is_empty())?;
        Some(RecordedReversal {
            unique_ref: UniqueRef::new(reference, kind),
            reversal,
            params,
            recorded_at,
        })
    }

    /// The reversal a ledger recorded, or `None` when its stored
    /// parameters no longer parse or are not a reversal's.
    pub(crate) fn from_record(record: &crate::ledger::PaymentRecord) -> Option<Self> {
        RecordedReversal::from_params(record.params().ok()?, record.delivered_at())
    }

    /// The reversal's unique reference (its type is 2 or 202).
    pub fn unique_ref(&self) -> &UniqueRef {
        &self.unique_ref
    }

    /// What reversed the `ref`: a chargeback with its reason, or a declined
    /// risk review.
    pub fn reversal(&self) -> Reversal {
        self.reversal
    }

    /// The reversal's verified parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// When the ledger recorded the reversal.
    pub fn recorded_at(&self) -> SystemTime {
        self.recorded_at
    }
}
