//! The handler trait `<Schema>Handler` and the `Dispatch` implementation
//! that calls the right method of it. The table of which pingback type
//! goes to which method is the runtime's (`pw_runtime::handler::route`);
//! this only writes the trait and the `match` on that table.

use crate::model::Schema;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// The name of the handler trait generated for `schema`.
pub fn trait_name(schema: &Schema) -> Ident {
    format_ident!("{}Handler", schema.ident)
}

pub fn expand(schema: &Schema) -> TokenStream {
    let Schema {
        ident, vis, krate, ..
    } = schema;
    let trait_name = trait_name(schema);
    // The handler type's parameter, named so that it cannot be the schema.
    let handler_ty = if ident == "H" {
        format_ident!("Hnd")
    } else {
        format_ident!("H")
    };
    let delivery = quote!(&mut #krate::Delivery<#ident>);
    let output = quote! {
        impl ::core::future::Future<
            Output = ::core::result::Result<(), #krate::HandlerError>,
        > + ::core::marker::Send
    };
    let trait_doc = trait_doc(schema);
    quote! {
        #[doc = #trait_doc]
        #vis trait #trait_name: ::core::marker::Send + ::core::marker::Sync {
            /// Types 0 (payment), 1 (goodwill credit) and 201 (risk review
            /// accepted): deliver the goods of this `ref`. `grant` says which
            /// type it is, or that the ledger recorded a chargeback or a
            /// declined review of this `ref` before it arrived
            /// (`Grant::AlreadyReversed`: do not deliver). Runs once per
            /// `ref_type`; `OK` is answered once it returns `Ok`.
            fn deliver(&self, delivery: #delivery, grant: #krate::Grant) -> #output;

            /// Types 2 (chargeback or refund, with its reason) and 202 (risk
            /// review declined): take the goods of this `ref` back.
            /// `original` is the payment it reverses, when the ledger
            /// delivered one (a reversal can arrive before its payment:
            /// that payment then reaches `deliver` as
            /// `Grant::AlreadyReversed`).
            fn take_back(
                &self,
                delivery: #delivery,
                reversal: #krate::Reversal,
                original: ::core::option::Option<#krate::OriginalPayment>,
            ) -> #output;

            /// Types 200 (risk review pending), 203 (authorization voided),
            /// 12 (subscription cancelled), 13 (subscription expired) and 14
            /// (subscription renewal failed): no goods to deliver; act on
            /// the `notice` (record a pending order, stop renewing, end
            /// access).
            fn notice(&self, delivery: #delivery, notice: #krate::Notice) -> #output;

            /// A pingback type Paymentwall does not document, with its code.
            /// By default it is refused: logged at error level with its code
            /// and answered 501, so Paymentwall sends it again until your
            /// code handles it. Implement this method to accept such
            /// pingbacks; it is never treated as a payment.
            fn unknown_type(&self, delivery: #delivery, code: u32) -> #output {
                let _ = delivery;
                async move {
                    ::core::result::Result::Err(#krate::HandlerError::unhandled_type(
                        #krate::PingbackType::from_code(code),
                    ))
                }
            }
        }

        #[automatically_derived]
        impl<#handler_ty: #trait_name + ?::core::marker::Sized> #krate::Dispatch<#handler_ty>
            for #ident
        {
            fn dispatch<'a>(
                handler: &'a #handler_ty,
                delivery: &'a mut #krate::Delivery<Self>,
                history: #krate::RefHistory,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<(), #krate::HandlerError>,
            > + ::core::marker::Send + 'a {
                async move {
                    let route = #krate::handler::route(
                        delivery.kind(),
                        delivery.envelope().reason,
                        history,
                    );
                    match route {
                        #krate::handler::Route::Deliver(grant) => {
                            handler.deliver(delivery, grant).await
                        }
                        #krate::handler::Route::TakeBack(reversal, original) => {
                            handler.take_back(delivery, reversal, original).await
                        }
                        #krate::handler::Route::Notice(notice) => {
                            handler.notice(delivery, notice).await
                        }
                        #krate::handler::Route::Unknown(code) => {
                            handler.unknown_type(delivery, code).await
                        }
                    }
                }
            }
        }
    }
}

/// The trait's documentation: what each pingback type calls and what the
/// listener answers.
fn trait_doc(schema: &Schema) -> String {
    let ident = &schema.ident;
    format!(
        "Handles the pingbacks of [`{ident}`]: every pingback type that moves goods or money \
         reaches a method you wrote. Generated by `#[derive(Pingback)]`.\n\n\
         | `type` | method | argument | the listener answers |\n\
         |---|---|---|---|\n\
         | 0 payment | `deliver` | `Grant::Deliver(DeliveryKind::Payment)` | `OK` once the \
         method returns `Ok` and the ledger recorded it; 500 (Paymentwall retries) on `Err` |\n\
         | 1 goodwill credit | `deliver` | `Grant::Deliver(DeliveryKind::Goodwill)` | as 0 |\n\
         | 201 risk review accepted | `deliver` | \
         `Grant::Deliver(DeliveryKind::RiskReviewAccepted)` | as 0 |\n\
         | 0, 1, 201 of a `ref` already reversed | `deliver` | `Grant::AlreadyReversed` \
         (do not deliver) | as 0 |\n\
         | 2 chargeback | `take_back` | `Reversal::Chargeback {{ reason }}`, the original \
         payment if delivered | as 0 |\n\
         | 202 risk review declined | `take_back` | `Reversal::RiskReviewDeclined`, the \
         original payment if delivered | as 0 |\n\
         | 200 risk review pending | `notice` | `Notice::RiskReviewPending` | as 0 |\n\
         | 203 authorization voided | `notice` | `Notice::AuthorizationVoided` | as 0 |\n\
         | 12, 13, 14 subscription cancelled, expired, renewal failed | `notice` | \
         `Notice::SubscriptionCancelled`, `SubscriptionExpired`, `SubscriptionRenewalFailed` \
         | as 0 |\n\
         | any other (undocumented) | `unknown_type` | the code | refused by default: \
         logged at error level, answered 501 (Paymentwall retries) |\n\n\
         `deliver`, `take_back` and `notice` have no default, so a handler that compiles \
         says what it does with each of them. Each method runs once per `ref_type`, inside \
         the ledger's claim; a method that returns an error is not acknowledged, and the \
         pingback is handled again when Paymentwall sends it again. See \
         `pw_runtime::handler` for the types."
    )
}
