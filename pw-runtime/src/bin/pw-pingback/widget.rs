//! `widget-url`: a signed payment page URL, signed by the runtime's widget
//! signature.

use pw_runtime::signature::widget_signature;

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

/// The signed URL: `key`, `widget`, the parameters in order, `sign_version`, `sign`.
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
    if !args.params.iter().any(|(name, _)| name == "uid") {
        return Err("a widget call needs uid=USER_ID (the user's id in your system)".to_owned());
    }
    let version = args.version.number().to_string();
    let mut params: Vec<(&str, &str)> = vec![("key", &args.key), ("widget", &args.widget)];
    params.extend(args.params.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    params.push(("sign_version", &version));
    let sign = widget_signature(args.version, &params, &args.secret.secret);
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(&params).append_pair("sign", &sign);
    let joint = if args.endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    Ok(format!("{}{joint}{}", args.endpoint, query.finish()))
}
