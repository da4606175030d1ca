//! `widget-url`: a signed payment page URL, built by the runtime's
//! `WidgetCall` from the parameters given, so that the tool, the builder
//! and a schema's `widget_call` send the same URL for the same call.

use pw_runtime::widget::{Cart, DigitalGoods, VirtualCurrency, WidgetApi};
use pw_runtime::{ApiType, WidgetCall, WidgetError};

use crate::args::WidgetArgs;
use crate::Outcome;

/// Parameters that have their own flag.
const FLAGGED: [(&str, &str); 4] = [
    ("key", "--key"),
    ("widget", "--widget"),
    ("sign_version", "--version"),
    ("sign", "nothing: it is computed"),
];

/// Prints the URL.
pub fn run(args: WidgetArgs) -> Result<Outcome, String> {
    println!("{}", url(&args)?);
    Ok(Outcome::Success)
}

/// The signed URL, for the API of `--api`.
fn url(args: &WidgetArgs) -> Result<String, String> {
    for (name, _) in &args.params {
        if let Some((_, flag)) = FLAGGED.iter().find(|(flagged, _)| flagged == name) {
            return Err(format!("give `{name}` with {flag}, not as {name}=..."));
        }
        if args
            .params
            .iter()
            .filter(|(other, _)| other == name)
            .count()
            > 1
        {
            return Err(format!("parameter `{name}` is given more than once"));
        }
    }
    match args.api {
        ApiType::DigitalGoods => build::<DigitalGoods>(args),
        ApiType::VirtualCurrency => build::<VirtualCurrency>(args),
        ApiType::Cart => build::<Cart>(args),
    }
    .map_err(|error| match error {
        WidgetError::Missing("uid") => {
            "a widget call needs uid=USER_ID (the user's id in your system)".to_owned()
        }
        WidgetError::Missing("external_ids") => {
            "a cart widget call needs its products: external_ids[0]=PRODUCT_ID ...".to_owned()
        }
        other => other.to_string(),
    })
}

fn build<A: WidgetApi>(args: &WidgetArgs) -> Result<String, WidgetError> {
    let mut call =
        WidgetCall::<A>::new(args.key.as_str(), args.secret.secret.clone()).widget(&args.widget);
    if let Some(version) = args.version {
        call = call.sign_version(version);
    }
    if let Some(endpoint) = &args.endpoint {
        call = call.endpoint(endpoint.as_str());
    }
    for (name, value) in &args.params {
        call = call.param(name.as_str(), value.as_str());
    }
    call.url()
}
