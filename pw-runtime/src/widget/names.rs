//! The names of a widget call's parameters: `name`, or `name[key]` for an
//! element of the array `name`.

use crate::signing_order::Path;

/// The name `base[key]` split into `base` and `key`; `base` alone for a
/// name without brackets (or with malformed ones: the widget call refuses
/// those before signing).
pub(crate) fn split_name(name: &str) -> (&str, Option<&str>) {
    match name.split_once('[') {
        Some((base, rest)) if !base.is_empty() => match rest.strip_suffix(']') {
            Some(key) => (base, Some(key)),
            None => (name, None),
        },
        _ => (name, None),
    }
}

/// The [signing order](crate::signing_order)'s paths of `names`.
pub(crate) fn paths<'a>(names: &[&'a str]) -> Vec<Path<'a>> {
    names
        .iter()
        .map(|name| {
            let (base, key) = split_name(name);
            (base.as_bytes(), key.map(str::as_bytes))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_base_and_key() {
        assert_eq!(split_name("uid"), ("uid", None));
        assert_eq!(split_name("history[reg]"), ("history", Some("reg")));
        assert_eq!(split_name("a[]"), ("a", Some("")));
        assert_eq!(split_name("a[b"), ("a[b", None));
        assert_eq!(split_name("[b]"), ("[b]", None));
    }
}
