//! The catalog of standard parameters and system values (the `pw-catalog`
//! crate, which the runtime decodes with, so that both agree), plus name
//! suggestions.

pub use pw_catalog::*;

/// The closest of `candidates` to `name`, when it is close enough to be a
/// typo of it.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let folded = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let distance = strsim::levenshtein(&folded, &candidate.to_ascii_lowercase());
            (distance, candidate)
        })
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// ` (did you mean `x`?)` for the closest candidate, or nothing.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates).map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"))
}

/// The API type names, in the order a message lists them.
pub const API_NAMES: [&str; 3] = ["digital_goods", "virtual_currency", "cart"];

/// The names of the API types in `apis`.
pub fn api_names(apis: ApiSet) -> String {
    API_NAMES
        .iter()
        .filter(|name| ApiSet::named(name).is_some_and(|api| apis.contains(api)))
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(" and ")
}
