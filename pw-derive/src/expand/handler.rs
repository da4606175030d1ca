//! The handler trait `<Schema>Handler` (or the name `handler = "..."`
//! gives) and the `HandledBy` implementation that calls the right method
//! of it. The table of which pingback type
//! goes to which method is the runtime's (`pw_runtime::handler::route`);
//! this only writes the trait and the `match` on that table.

use proc_macro2::TokenStream;
use pw_derive_front::model::Schema;
use quote::{format_ident, quote, quote_spanned};

pub fn expand(schema: &Schema) -> TokenStream {
    let Schema {
        ident, vis, krate, ..
    } = schema;
    let trait_name = &schema.handler;
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
    // The same `where` clauses as the `Pingback` implementation: the same
    // errors, reported once.
    let thread_safe = super::decode::thread_safe(schema);
    // At the struct's name: a handler that does not implement the trait is
    // reported as the unmet bound `Shop: <Struct>Handler`, pointing there.
    let handled_by = quote_spanned! {ident.span()=>
        #[automatically_derived]
        impl<#handler_ty: #trait_name + ?::core::marker::Sized> #krate::HandledBy<#handler_ty>
            for #ident
            $($where_clauses)*
        {
            fn dispatch<'a>(
                handler: &'a #handler_ty,
                delivery: &'a mut #krate::Delivery<Self>,
                history: #krate::RefHistory,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<(), #krate::HandlerError>,
            > + ::core::marker::Send + 'a {
                let route = #krate::handler::route(
                    delivery.kind(),
                    delivery.envelope().reason,
                    history,
                );
                $($handle)*(handler, delivery, route)
            }
        }
    };
    let expand_name = format_ident!("pingback_handler_of_{}", ident);
    let handle = quote_spanned! {ident.span()=>
        <#handler_ty as #trait_name>::handle_pingback
    };
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

            /// Calls the method `route` names (the table above). The
            /// listener calls it; there is no reason to implement it.
            #[doc(hidden)]
            fn handle_pingback<'a>(
                &'a self,
                delivery: &'a mut #krate::Delivery<#ident>,
                route: #krate::handler::Route,
            ) -> #krate::handler::HandlerFuture<'a> {
                // Each method's future is `Send` by its declaration, so the
                // choice of one needs nothing more of the schema.
                match route {
                    #krate::handler::Route::Deliver(grant) => {
                        ::std::boxed::Box::pin(self.deliver(delivery, grant))
                    }
                    #krate::handler::Route::TakeBack(reversal, original) => {
                        ::std::boxed::Box::pin(self.take_back(delivery, reversal, original))
                    }
                    #krate::handler::Route::Notice(notice) => {
                        ::std::boxed::Box::pin(self.notice(delivery, notice))
                    }
                    #krate::handler::Route::Unknown(code) => {
                        ::std::boxed::Box::pin(self.unknown_type(delivery, code))
                    }
                }
            }
        }

        // Through a macro of its own: an impl a derive writes directly makes
        // rustc advise implementing `HandledBy` by hand when the bound is
        // unmet, which is not the fix (implementing the handler trait is).
        // The `where` clauses come in as the macro's input, so that their
        // errors are the `Pingback` implementation's, reported once; so
        // does the call of the trait, so that no error names the macro.
        macro_rules! #expand_name {
            ([$($where_clauses:tt)*] $($handle:tt)*) => {
                #handled_by
            };
        }
        #expand_name!([#thread_safe] #handle);

        // A handler that does not implement the trait is reported as the
        // bound `Shop: <Struct>Handler` this adds. No `#[diagnostic::...]`
        // attribute here: a `#![no_implicit_prelude]` module cannot resolve
        // one. The `where` clauses are the `Pingback` implementation's: the
        // same errors, reported once, at the fields.
    }
}

/// The trait's documentation: what each pingback type calls and what the
/// listener answers.
fn trait_doc(schema: &Schema) -> String {
    let ident = &schema.ident;
    let rename = format!(
        "\n\nIts name is `{}`; a schema names it otherwise with \
         `#[pingback(handler = \"...\")]` (when a trait of yours has this name).",
        schema.handler
    );
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
         `pw_runtime::handler` for the types.{rename}"
    )
}
