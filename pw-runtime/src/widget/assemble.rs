//! The parameters of a widget URL, checked, in the official library's
//! order, signed: `key`, `uid`, `widget`, the product parameters,
//! `sign_version`, every other parameter in the order it was set (the
//! elements of an array together, where its first one was set), `sign`.

use super::check::check_params;
use super::names::{paths, split_name};
use super::product::PRODUCT_PARAMETERS;
use super::WidgetError;
use crate::secret::SecretKey;
use crate::signature::widget_signature;
use crate::signature::SignatureVersion;
use crate::signing_order;
use pw_catalog::ApiType;

/// The parameters the official library writes before `sign_version`, in
/// its order, for each API (array names stand for all their elements).
fn leading(api: ApiType) -> Vec<&'static str> {
    let products: &[&str] = match api {
        ApiType::VirtualCurrency => &[],
        ApiType::DigitalGoods => PRODUCT_PARAMETERS,
        ApiType::Cart => &["external_ids", "prices", "currencies", "names"],
    };
    ["uid", "widget"].iter().chain(products).copied().collect()
}

/// `params` (every parameter but `key`, `sign_version` and `sign`) checked
/// and in URL order, with `key`, `sign_version` and `sign`.
pub(super) fn signed_pairs(
    api: ApiType,
    key: &str,
    version: SignatureVersion,
    params: &[(String, String)],
    secret: &SecretKey,
) -> Result<Vec<(String, String)>, WidgetError> {
    for required in ["uid", "widget"] {
        if !params.iter().any(|(name, _)| name == required) {
            return Err(WidgetError::Missing(required));
        }
    }
    let checked = check_params(api, params)?;
    let base_of = |name: &str| split_name(name).0.to_owned();
    let leading = leading(api);
    let mut pairs = vec![("key".to_owned(), key.to_owned())];
    for &base in &leading {
        pairs.extend(
            checked
                .iter()
                .filter(|(name, _)| base_of(name) == base)
                .cloned(),
        );
    }
    pairs.push(("sign_version".to_owned(), version.number().to_string()));
    // The rest, each array's elements together at its first element.
    let mut rest: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for pair in checked {
        let base = base_of(&pair.0);
        if leading.contains(&base.as_str()) {
            continue;
        }
        match rest.iter_mut().find(|(name, _)| *name == base) {
            Some((_, members)) => members.push(pair),
            None => rest.push((base, vec![pair])),
        }
    }
    pairs.extend(rest.into_iter().flat_map(|(_, members)| members));
    if version != SignatureVersion::V1 {
        let names: Vec<&str> = pairs.iter().map(|(name, _)| name.as_str()).collect();
        if let Some((a, b)) = signing_order::order(&paths(&names)).undefined {
            return Err(WidgetError::AmbiguousOrder(format!(
                "`{}` and `{}`",
                names[a], names[b]
            )));
        }
    }
    let sign = widget_signature(version, &pairs, secret);
    pairs.push(("sign".to_owned(), sign));
    Ok(pairs)
}
