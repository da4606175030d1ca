//! The `Pingback` implementation: API type, signature policy, settings
//! table and the parser.

use crate::catalog::ValueKind;
use crate::model::{Field, Schema, Source};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

pub fn expand(schema: &Schema) -> TokenStream {
    let Schema {
        ident,
        krate,
        api_variant,
        min_version,
        fields,
        ..
    } = schema;
    let api = Ident::new(api_variant, Span::call_site());
    let version = Ident::new(&format!("V{min_version}"), Span::call_site());
    let settings = fields.iter().filter_map(|field| setting(krate, field));
    let decoders = fields.iter().map(|field| decoder(krate, field));
    quote! {
        #[automatically_derived]
        impl #krate::Pingback for #ident {
            const API: #krate::ApiType = #krate::ApiType::#api;
            const MINIMUM_VERSION: #krate::SignatureVersion = #krate::SignatureVersion::#version;
            const SETTINGS: &'static [#krate::Setting] = &[#(#settings),*];

            fn from_params(
                params: &#krate::Params,
            ) -> ::core::result::Result<Self, #krate::DecodeError> {
                ::core::result::Result::Ok(Self {
                    #(#decoders,)*
                })
            }
        }
    }
}

/// The settings-table row of a custom parameter.
fn setting(krate: &syn::Path, field: &Field) -> Option<TokenStream> {
    let value = match &field.source {
        Source::Own => quote!(#krate::SettingValue::Own),
        Source::System(entry) => {
            let name = entry.name;
            quote!(#krate::SettingValue::System(#name))
        }
        Source::Standard(_) => return None,
    };
    let parameter = &field.param;
    Some(quote!(#krate::Setting { parameter: #parameter, value: #value }))
}

/// `field: <decoded value>?`. The `FromValue` bound is spanned at the
/// field's type, so a type that cannot hold the kind is reported there.
fn decoder(krate: &syn::Path, field: &Field) -> TokenStream {
    let Field {
        ident,
        value_ty,
        optional,
        param,
        kind,
        ty,
        ..
    } = field;
    let call = if *kind == ValueKind::ProductIds {
        let function = if *optional {
            quote!(optional_array)
        } else {
            quote!(required_array)
        };
        quote!(#krate::__private::#function(params, #param))
    } else {
        let function = if *optional {
            quote!(optional)
        } else {
            quote!(required)
        };
        let kind = Ident::new(kind.name(), Span::call_site());
        quote_spanned! {ty.span()=>
            #krate::__private::#function::<#krate::value::kind::#kind, #value_ty>(params, #param)
        }
    };
    quote!(#ident: #call?)
}
