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
pub const API_NAMES: [&str; 3] = [
    ApiType::DigitalGoods.name(),
    ApiType::VirtualCurrency.name(),
    ApiType::Cart.name(),
];

/// The names of the API types in `apis`.
pub fn api_names(apis: ApiSet) -> String {
    API_NAMES
        .iter()
        .filter(|name| ApiSet::named(name).is_some_and(|api| apis.contains(api)))
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The names of the standard parameters, once each, in the catalog's
/// order: `uid, goodsid, ..., is_test and reason`.
pub fn standard_names() -> String {
    let mut names: Vec<&str> = Vec::new();
    for entry in STANDARD_PARAMETERS {
        if !names.contains(&entry.name) {
            names.push(entry.name);
        }
    }
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_names_list_each_standard_parameter_once() {
        assert_eq!(
            standard_names(),
            "uid, goodsid, slength, speriod, currency, type, ref, is_test and reason"
        );
    }

    #[test]
    fn api_names_are_every_api_type() {
        let mut names = API_NAMES.to_vec();
        names.sort_unstable();
        let mut all: Vec<&str> = ApiType::ALL.iter().map(|api| api.name()).collect();
        all.sort_unstable();
        assert_eq!(names, all);
    }
}
