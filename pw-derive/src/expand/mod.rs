//! Stage 3: the code generated from a checked schema. Every path in it is
//! fully qualified, so it works whatever the user's crate names `Result`,
//! `Option` or `String`.

mod decode;
mod handler;
#[cfg(feature = "testing")]
mod testing;
mod widget;

use proc_macro2::TokenStream;
use pw_derive_front::model::Schema;
use quote::quote;

/// Everything `#[derive(Pingback)]` generates for `schema`.
pub fn schema(schema: &Schema) -> TokenStream {
    let decode = decode::expand(schema);
    let handler = handler::expand(schema);
    let widget = widget::expand(schema);
    #[cfg(feature = "testing")]
    let testing = testing::expand(schema);
    #[cfg(not(feature = "testing"))]
    let testing = TokenStream::new();
    quote! {
        #decode
        #handler
        #widget
        #testing
    }
}
