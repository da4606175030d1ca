//! The `Pingback` implementation: API type, signature policy, settings
//! table and the parser.
//!
//! Each field's type is checked by the compiler where the user wrote it:
//! the parser calls `<FieldType as FromValue<Kind>>` (or `FromValues` for
//! the cart's product ids) with the field type's own tokens, so a type
//! that cannot hold its parameter is one error at that type with the
//! trait's message; `Send + Sync` is a `where` clause spanned the same
//! way; a field that must be an `Option` is checked through
//! `value::Optional`.

use proc_macro2::{Ident, Span, TokenStream};
use pw_catalog::ValueKind;
use pw_derive_front::model::{Field, Schema, Source};
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
    let thread_safe = thread_safe(schema);
    let (settings, body) = if schema.valid {
        let settings: Vec<TokenStream> = fields.iter().filter_map(|f| setting(krate, f)).collect();
        let checks = fields
            .iter()
            .filter_map(|field| optional_check(krate, field));
        let decoders = fields.iter().map(|field| decoder(krate, field));
        let body = quote! {
            #(#checks)*
            ::core::result::Result::Ok(Self {
                #(#decoders,)*
            })
        };
        (settings, body)
    } else {
        // The schema has errors, reported with it: this keeps the items the
        // user's code refers to, is never built into a program, and still
        // has the compiler check the types of the fields it knows, so that
        // every problem is reported at once.
        let checks = fields
            .iter()
            .filter_map(|field| optional_check(krate, field));
        let types = fields.iter().map(|field| type_check(krate, field));
        let body = quote! {
            let _ = params;
            #(#checks)*
            #(#types)*
            ::core::unreachable!("this schema does not compile")
        };
        (Vec::new(), body)
    };
    let nesting = fields.iter().map(|field| nesting_check(krate, field));
    quote! {
        #(#nesting)*

        #[automatically_derived]
        impl #krate::Pingback for #ident #thread_safe {
            const API: #krate::ApiType = #krate::ApiType::#api;
            const MINIMUM_VERSION: #krate::SignatureVersion = #krate::SignatureVersion::#version;
            const SETTINGS: &'static [#krate::Setting] = &[#(#settings),*];

            fn from_params(
                params: &#krate::Params,
            ) -> ::core::result::Result<Self, #krate::DecodeError> {
                #body
            }
        }
    }
}

/// `where FieldType: Send + Sync, ...`: a schema is shared between the
/// listener's threads, and a field type that cannot be is reported at the
/// field rather than at the struct.
pub fn thread_safe(schema: &Schema) -> TokenStream {
    if schema.fields.is_empty() {
        return TokenStream::new();
    }
    let bounds = schema.fields.iter().map(|field| {
        let ty = &field.ty;
        quote_spanned! {ty.span()=>
            #ty: ::core::marker::Send + ::core::marker::Sync
        }
    });
    quote!(where #(#bounds),*)
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

/// The check that a field whose parameter may be empty can hold an empty
/// value, for a type not written `Option<...>`.
fn optional_check(krate: &syn::Path, field: &Field) -> Option<TokenStream> {
    if !field.check_optional {
        return None;
    }
    let ty = &field.ty;
    Some(quote_spanned! {ty.span()=>
        let _: #ty = <#ty as #krate::value::Optional>::NONE;
    })
}

/// The field's type asked whether it holds its kind, without decoding.
fn type_check(krate: &syn::Path, field: &Field) -> TokenStream {
    let ty = &field.ty;
    let marker = Ident::new(field.kind.name(), Span::call_site());
    if field.kind == ValueKind::ProductIds {
        quote_spanned! {ty.span()=>
            let _ = <#ty as #krate::value::FromValues<#krate::value::kind::#marker>>::from_values;
        }
    } else {
        quote_spanned! {ty.span()=>
            let _ = <#ty as #krate::value::FromValue<#krate::value::kind::#marker>>::from_value;
        }
    }
}

/// The check that a field's type is not an `Option` of an `Option` (which
/// would never be `Some(None)`), asked of the type's `HOLDS_EMPTY`, so
/// that a type alias is judged as what it is. A constant, so that the
/// compiler evaluates it in every build, `cargo check` included.
fn nesting_check(krate: &syn::Path, field: &Field) -> TokenStream {
    let ty = &field.ty;
    let marker = Ident::new(field.kind.name(), Span::call_site());
    let holds = if field.kind == ValueKind::ProductIds {
        quote_spanned! {ty.span()=> #krate::value::FromValues<#krate::value::kind::#marker> }
    } else {
        quote_spanned! {ty.span()=> #krate::value::FromValue<#krate::value::kind::#marker> }
    };
    quote_spanned! {ty.span()=>
        const _: () = {
            let _ = <#ty as #holds>::HOLDS_EMPTY;
        };
    }
}

/// `field: <decoded value>`.
fn decoder(krate: &syn::Path, field: &Field) -> TokenStream {
    let Field {
        ident,
        ty,
        param,
        kind,
        ..
    } = field;
    let marker = Ident::new(kind.name(), Span::call_site());
    let kind_ty = quote!(#krate::value::kind::#marker);
    let value = if *kind == ValueKind::ProductIds {
        let holds = quote_spanned! {ty.span()=> <#ty as #krate::value::FromValues<#kind_ty>> };
        quote! {{
            let items = #krate::__private::items(params, #param);
            if items.is_empty() {
                #holds::from_empty()
                    .ok_or_else(|| #krate::__private::missing::<#kind_ty>(#param))?
            } else {
                #holds::from_values(&items).map_err(|error| {
                    #krate::__private::invalid_items::<#kind_ty>(#param, &items, &error)
                })?
            }
        }}
    } else {
        let holds = quote_spanned! {ty.span()=> <#ty as #krate::value::FromValue<#kind_ty>> };
        quote! {
            match #krate::__private::text(params, #param) {
                ::core::option::Option::Some(text) => #holds::from_value(text).map_err(|error| {
                    #krate::__private::invalid::<#kind_ty>(#param, text, &error)
                })?,
                ::core::option::Option::None => #holds::from_empty()
                    .ok_or_else(|| #krate::__private::missing::<#kind_ty>(#param))?,
            }
        }
    };
    quote!(#ident: #value)
}
