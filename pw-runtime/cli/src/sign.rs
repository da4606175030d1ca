//! `sign`: the signed query string of a pingback, from the runtime's own
//! signer.

use pw_runtime::signature::sign_pingback;
use pw_runtime::{ApiType, SecretKey, SignatureVersion, Source, SourceCheck, Verifier};

use crate::args::SignArgs;
use crate::Outcome;

/// Prints the signed query string, and a note on stderr when pw would
/// refuse the pingback anyway (a missing required parameter, a bad `type`).
pub fn run(args: SignArgs) -> Result<Outcome, String> {
    let secret = &args.secret.secret;
    let query = signed(args.api, args.version, secret, &args.params)?;
    if let Some(problem) = refusal(args.api, args.version, secret, &query) {
        eprintln!("note: a pw listener would refuse this pingback: {problem}");
    }
    println!("{query}");
    Ok(Outcome::Success)
}

/// The signed query string of `params` (decoded values, in this order).
pub fn signed(
    api: ApiType,
    version: SignatureVersion,
    secret: &SecretKey,
    params: &[(String, String)],
) -> Result<String, String> {
    sign_pingback(api, version, secret, params.iter().map(|(n, v)| (n, v)))
        .map_err(|err| format!("cannot sign: {err}"))
}

/// Why a pw listener accepting `version` and any source would refuse
/// `query`, if it would.
fn refusal(
    api: ApiType,
    version: SignatureVersion,
    secret: &SecretKey,
    query: &str,
) -> Option<String> {
    let verifier = Verifier::builder(api, secret.clone())
        .minimum_version(version)
        .source_check(SourceCheck::disabled_for_local_development())
        .build();
    let anywhere = Source::peer(std::net::Ipv4Addr::LOCALHOST.into());
    verifier
        .verify(query.as_bytes(), &anywhere)
        .err()
        .map(|rejection| rejection.to_string())
}

/// `query` with its signature (the last `sig=`, where [`signed`] puts it)
/// replaced by a dummy of the same length: every hex digit moved on by one.
pub fn with_dummy_signature(query: &str) -> String {
    match query.rsplit_once("sig=") {
        Some((head, sig)) => {
            let dummy: String = sig
                .chars()
                .map(|c| match c.to_digit(16) {
                    Some(d) => char::from_digit((d + 1) % 16, 16).unwrap_or('0'),
                    None => '0',
                })
                .collect();
            format!("{head}sig={dummy}")
        }
        None => format!("{query}&sig=0"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_signature_differs_in_every_digit() {
        assert_eq!(with_dummy_signature("a=1&sig=09af"), "a=1&sig=1ab0");
        assert_eq!(with_dummy_signature("sig=f"), "sig=0");
    }
}
