//! The handler trait `<Schema>Handler`, one method per pingback type, and
//! the `Dispatch` implementation that calls the right one.

use crate::model::Schema;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// One method of the handler trait.
struct Method {
    name: &'static str,
    /// The `PingbackType` variant it handles.
    variant: &'static str,
    /// Whether it acknowledges by default (payment and chargeback do not:
    /// forgetting one must not compile).
    default: bool,
    doc: &'static str,
}

const METHODS: &[Method] = &[
    Method {
        name: "payment",
        variant: "Payment",
        default: false,
        doc: "Type 0, a payment: deliver the goods. Runs once per `ref`.",
    },
    Method {
        name: "goodwill",
        variant: "Goodwill",
        default: true,
        doc: "Type 1, a goodwill credit from customer service: deliver. Acknowledged without \
              action by default.",
    },
    Method {
        name: "chargeback",
        variant: "Chargeback",
        default: false,
        doc: "Type 2, a chargeback or refund: take the goods of this `ref` back. `reason` is \
              the chargeback reason; `original` is the payment it reverses, when the ledger \
              delivered it.",
    },
    Method {
        name: "subscription_cancelled",
        variant: "SubscriptionCancelled",
        default: true,
        doc: "Type 12, the user cancelled the subscription: stop renewing. Acknowledged \
              without action by default.",
    },
    Method {
        name: "subscription_expired",
        variant: "SubscriptionExpired",
        default: true,
        doc: "Type 13, the subscription expired: end access. Acknowledged without action by \
              default.",
    },
    Method {
        name: "subscription_renewal_failed",
        variant: "SubscriptionPaymentFailed",
        default: true,
        doc: "Type 14, a renewal payment failed: end access. Acknowledged without action by \
              default.",
    },
    Method {
        name: "risk_review_pending",
        variant: "RiskReviewPending",
        default: true,
        doc: "Type 200, the payment is under risk review: do not deliver yet. Acknowledged \
              without action by default.",
    },
    Method {
        name: "risk_review_accepted",
        variant: "RiskReviewAccepted",
        default: true,
        doc: "Type 201, the risk review accepted the payment: deliver, once per `ref`. \
              Acknowledged without action by default: implement it if your project uses \
              risk review.",
    },
    Method {
        name: "risk_review_declined",
        variant: "RiskReviewDeclined",
        default: true,
        doc: "Type 202, the risk review declined the payment: do not deliver. Acknowledged \
              without action by default.",
    },
    Method {
        name: "authorization_voided",
        variant: "AuthorizationVoided",
        default: true,
        doc: "Type 203, the authorization was voided (not captured in time): do not deliver. \
              Acknowledged without action by default.",
    },
];

pub fn expand(schema: &Schema) -> TokenStream {
    let Schema {
        ident, vis, krate, ..
    } = schema;
    let trait_name = format_ident!("{}Handler", ident);
    let delivery = quote!(&mut #krate::Delivery<#ident>);
    let output = quote! {
        impl ::core::future::Future<
            Output = ::core::result::Result<(), #krate::HandlerError>,
        > + ::core::marker::Send
    };
    let chargeback_args = quote! {
        reason: ::core::option::Option<#krate::ChargebackReason>,
        original: ::core::option::Option<#krate::OriginalPayment>,
    };
    let methods = METHODS.iter().map(|method| {
        let name = Ident::new(method.name, Span::call_site());
        let doc = method.doc;
        let extra = if method.name == "chargeback" {
            chargeback_args.clone()
        } else {
            TokenStream::new()
        };
        if method.default {
            quote! {
                #[doc = #doc]
                fn #name(&self, _delivery: #delivery) -> #output {
                    async { ::core::result::Result::Ok(()) }
                }
            }
        } else {
            quote! {
                #[doc = #doc]
                fn #name(&self, delivery: #delivery, #extra) -> #output;
            }
        }
    });
    let arms = METHODS.iter().map(|method| {
        let name = Ident::new(method.name, Span::call_site());
        let variant = Ident::new(method.variant, Span::call_site());
        let extra = if method.name == "chargeback" {
            quote!(, delivery.envelope().reason, original)
        } else {
            TokenStream::new()
        };
        quote! {
            #krate::PingbackType::#variant => handler.#name(delivery #extra).await,
        }
    });
    let trait_doc = format!(
        "Handles the pingbacks of [`{ident}`]: one method per pingback type. \
         Generated by `#[derive(Pingback)]`.\n\n`payment` and `chargeback` have no default, \
         so a handler that forgets refunds does not compile; every other method \
         acknowledges without action unless implemented. A method that returns an error \
         is not acknowledged: Paymentwall sends the pingback again later."
    );
    quote! {
        #[doc = #trait_doc]
        #vis trait #trait_name: ::core::marker::Send + ::core::marker::Sync {
            #(#methods)*

            /// A pingback type Paymentwall does not document, with its code. Acknowledged
            /// without action by default; never treated as a payment.
            fn unknown_type(&self, _delivery: #delivery, _code: u32) -> #output {
                async { ::core::result::Result::Ok(()) }
            }
        }

        #[automatically_derived]
        impl<__H: #trait_name + ?::core::marker::Sized> #krate::Dispatch<__H> for #ident {
            fn dispatch<'__a>(
                handler: &'__a __H,
                delivery: &'__a mut #krate::Delivery<Self>,
                original: ::core::option::Option<#krate::OriginalPayment>,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<(), #krate::HandlerError>,
            > + ::core::marker::Send + '__a {
                async move {
                    match delivery.kind() {
                        #(#arms)*
                        #krate::PingbackType::Unknown(code) => {
                            handler.unknown_type(delivery, code).await
                        }
                    }
                }
            }
        }
    }
}
