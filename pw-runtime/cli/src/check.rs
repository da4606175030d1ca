//! `check`: the checklist of Paymentwall's Test Pingback Tool, run against
//! a listener on any reachable URL (the dashboard's tool reaches public URLs
//! only).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pw_runtime::ApiType;

use crate::args::CheckArgs;
use crate::http::{Answer, Client};
use crate::sign::{signed, with_dummy_signature};
use crate::Outcome;

/// What a check expects of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// HTTP 200 with the body `OK`.
    Acknowledged,
    /// Anything but that.
    Refused,
}

/// One line of the checklist.
struct Check {
    title: String,
    query: String,
    expect: Expect,
}

/// Runs the five checks in order and prints one line for each.
pub fn run(args: CheckArgs) -> Result<Outcome, String> {
    let target = &args.target;
    let client = Client::new(
        &target.url,
        target.post,
        Duration::from_secs(target.timeout),
    )?;
    let checks = checklist(&args)?;
    println!(
        "checking {} ({}, {}, signature version {})",
        client.url(),
        target.api,
        if target.post { "POST" } else { "GET" },
        target.version,
    );
    let mut failed = 0;
    for (index, check) in checks.iter().enumerate() {
        let answer = match client.deliver(&check.query) {
            Ok(answer) => Ok(answer),
            // Nothing to check against when the listener cannot be reached.
            Err(unreachable) if index == 0 => return Err(unreachable),
            Err(other) => Err(other),
        };
        let (passed, detail) = judge(check.expect, &answer);
        if !passed {
            failed += 1;
        }
        let mark = if passed { "PASS" } else { "FAIL" };
        let line = format!("{mark}  {}. {}", index + 1, check.title);
        match detail {
            Some(detail) => println!("{line}: {detail}"),
            None => println!("{line}"),
        }
    }
    println!(
        "{} of {} checks passed",
        checks.len() - failed,
        checks.len()
    );
    Ok(if failed == 0 {
        Outcome::Success
    } else {
        Outcome::Negative
    })
}

/// Whether `answer` meets `expect`, and what to show beside the verdict
/// (the answer, on a failure).
fn judge(expect: Expect, answer: &Result<Answer, String>) -> (bool, Option<String>) {
    match (expect, answer) {
        (Expect::Acknowledged, Ok(answer)) if answer.acknowledged() => (true, None),
        (Expect::Acknowledged, Ok(answer)) => (false, Some(format!("got {}", answer.summary()))),
        (Expect::Acknowledged, Err(err)) => (false, Some(err.clone())),
        (Expect::Refused, Ok(answer)) if answer.acknowledged() => (
            false,
            Some(format!("got {}, which acknowledges it", answer.summary())),
        ),
        (Expect::Refused, Ok(answer)) => (true, Some(format!("got {}", answer.summary()))),
        (Expect::Refused, Err(err)) => (true, Some(format!("no answer ({err})"))),
    }
}

/// Parameters each check sets itself.
const RESERVED: [&str; 6] = ["type", "ref", "reason", "is_test", "sign_version", "sig"];

/// The five pingbacks, signed.
fn checklist(args: &CheckArgs) -> Result<Vec<Check>, String> {
    if let Some((name, _)) = args
        .params
        .iter()
        .find(|(n, _)| RESERVED.contains(&n.as_str()))
    {
        return Err(format!(
            "`{name}` is set by each check itself; give only custom parameters (or uid, goodsid, ...)"
        ));
    }
    let target = &args.target;
    let (api, version, secret) = (target.api, target.version, &target.secret.secret);
    let sign = |params: &[(String, String)]| signed(api, version, secret, params);
    let payment_ref = fresh_ref();
    let payment = pingback(api, &payment_ref, "0", &args.params);
    let payment_query = sign(&payment)?;
    let mut chargeback = pingback(api, &payment_ref, "2", &args.params);
    set(&mut chargeback, "reason", "9");
    let product = product_parameter(api);
    let mut incomplete = pingback(api, &fresh_ref(), "0", &args.params);
    incomplete.retain(|(name, _)| name != product);
    Ok(vec![
        Check {
            title: format!("a valid test payment (type 0, ref {payment_ref}) is answered 200 OK"),
            query: payment_query.clone(),
            expect: Expect::Acknowledged,
        },
        Check {
            title: "the same pingback again is answered 200 OK (duplicates are acknowledged)"
                .to_owned(),
            query: payment_query,
            expect: Expect::Acknowledged,
        },
        Check {
            title: "a pingback with a wrong signature is not answered OK".to_owned(),
            query: with_dummy_signature(&sign(&pingback(api, &fresh_ref(), "0", &args.params))?),
            expect: Expect::Refused,
        },
        Check {
            title: format!(
                "a chargeback (type 2, reason 9) of ref {payment_ref} is answered 200 OK"
            ),
            query: sign(&chargeback)?,
            expect: Expect::Acknowledged,
        },
        Check {
            title: format!("a pingback without the required `{product}` is not answered OK"),
            query: sign(&incomplete)?,
            expect: Expect::Refused,
        },
    ])
}

/// The standard parameters of a test pingback of `api`, then `custom`
/// (a custom parameter of a standard name replaces its value).
fn pingback(
    api: ApiType,
    reference: &str,
    kind: &str,
    custom: &[(String, String)],
) -> Vec<(String, String)> {
    let standard: &[(&str, &str)] = match api {
        ApiType::VirtualCurrency => &[("uid", "pw-check-user"), ("currency", "100")],
        ApiType::DigitalGoods => &[
            ("uid", "pw-check-user"),
            ("goodsid", "pw-check-product"),
            ("slength", ""),
            ("speriod", ""),
        ],
        ApiType::Cart => &[("uid", "pw-check-user"), ("goodsid[0]", "pw-check-product")],
    };
    let mut params: Vec<(String, String)> = standard
        .iter()
        .map(|&(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    for (name, value) in [("type", kind), ("ref", reference), ("is_test", "1")] {
        params.push((name.to_owned(), value.to_owned()));
    }
    for (name, value) in custom {
        set(&mut params, name, value);
    }
    params
}

/// The required parameter the fifth check leaves out.
fn product_parameter(api: ApiType) -> &'static str {
    match api {
        ApiType::VirtualCurrency => "currency",
        ApiType::DigitalGoods => "goodsid",
        ApiType::Cart => "goodsid[0]",
    }
}

/// Sets `name` to `value`, in place or at the end.
fn set(params: &mut Vec<(String, String)>, name: &str, value: &str) {
    match params.iter_mut().find(|(n, _)| n == name) {
        Some((_, v)) => *v = value.to_owned(),
        None => params.push((name.to_owned(), value.to_owned())),
    }
}

/// A reference no listener has seen: `pwcheck` and 16 random hex digits.
fn fresh_ref() -> String {
    let mut hasher = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    format!("pwcheck{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_refs_differ() {
        assert_ne!(fresh_ref(), fresh_ref());
    }

    #[test]
    fn custom_parameters_join_or_replace() {
        let custom = [
            ("campaign".to_owned(), "x".to_owned()),
            ("uid".to_owned(), "me".to_owned()),
        ];
        let params = pingback(ApiType::VirtualCurrency, "r1", "0", &custom);
        assert_eq!(params[0], ("uid".to_owned(), "me".to_owned()));
        assert_eq!(
            params.last().unwrap(),
            &("campaign".to_owned(), "x".to_owned())
        );
    }
}
