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
