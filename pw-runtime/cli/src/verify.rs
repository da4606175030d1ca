//! `verify`: the verdict of pw's `Verifier` on one pingback, with the
//! signature and the source judged on their own as well.

use std::io::Read;
use std::net::IpAddr;

use pw_runtime::signature::{self, SignatureError};
use pw_runtime::{
    ApiType, Limits, Params, Rejection, SecretKey, SignatureVersion, Source, SourceCheck, Verifier,
    VersionPolicy,
};
use serde_json::json;

use crate::args::VerifyArgs;
use crate::Outcome;

/// What `verify` found.
#[derive(Debug)]
struct Report {
    accepted: bool,
    /// The HTTP status a pw listener would answer with (200 when accepted).
    status: u16,
    /// The first check that failed, as a stable word.
    check_failed: Option<&'static str>,
    /// Why it failed.
    reason: Option<String>,
    /// Is `sig` right for these parameters and this secret, whatever the
    /// source and the required parameters.
    signature_valid: bool,
    /// The signature on its own, in words.
    signature: String,
    /// The version the pingback declares.
    sign_version: Option<SignatureVersion>,
    /// The base string of that version, the secret shown as `***`.
    base_string_masked: Option<String>,
    /// `skipped`, `allowed` or `refused`.
    source: &'static str,
    /// `ref_type` of an accepted pingback.
    unique_ref: Option<String>,
    /// The pingback type of an accepted pingback.
    kind: Option<String>,
}

/// Prints the verdict; exit status 0 when accepted, 1 when rejected.
pub fn run(args: VerifyArgs) -> Result<Outcome, String> {
    let input = read_input(&args.input)?;
    let mut check = SourceCheck::default();
    for network in &args.allow {
        check = check.allow(network).map_err(|err| err.to_string())?;
    }
    let report = judge(
        args.api,
        &args.secret.secret,
        query_of(&input).as_bytes(),
        args.source.map(|peer| (peer, check)),
        args.min_version,
    );
    if args.json {
        println!("{}", to_json(&report));
    } else {
        print_text(&report, args.min_version);
    }
    Ok(if report.accepted {
        Outcome::Success
    } else {
        Outcome::Negative
    })
}

/// The argument itself, or standard input for `-` (one trailing newline
/// dropped).
fn read_input(argument: &str) -> Result<String, String> {
    if argument != "-" {
        return Ok(argument.to_owned());
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|err| format!("reading standard input: {err}"))?;
    let trimmed = text.strip_suffix('\n').unwrap_or(&text);
    Ok(trimmed.strip_suffix('\r').unwrap_or(trimmed).to_owned())
}

/// The query of a URL (`http://…?q`, `/path?q`, `?q`); anything else is
/// taken as the query or form body itself.
fn query_of(input: &str) -> &str {
    if let Some(query) = input.strip_prefix('?') {
        return query;
    }
    let is_url = ["http://", "https://", "/"]
        .iter()
        .any(|prefix| input.starts_with(prefix));
    if !is_url {
        return input;
    }
    let without_fragment = input.split('#').next().unwrap_or_default();
    without_fragment
        .split_once('?')
        .map_or("", |(_, query)| query)
}

/// Judges one pingback. Without a source, the source check is skipped.
fn judge(
    api: ApiType,
    secret: &SecretKey,
    query: &[u8],
    source: Option<(IpAddr, SourceCheck)>,
    minimum: SignatureVersion,
) -> Report {
    let limits = Limits::default();
    let (peer, check) = match &source {
        Some((peer, check)) => (*peer, check.clone()),
        None => (
            IpAddr::from([127, 0, 0, 1]),
            SourceCheck::disabled_for_local_development(),
        ),
    };
    let source_verdict = match &source {
        None => "skipped",
        Some(_) if check.check(&Source::peer(peer)).is_ok() => "allowed",
        Some(_) => "refused",
    };
    let verifier = Verifier::builder(api, secret.clone())
        .minimum_version(minimum)
        .source_check(check)
        .limits(limits)
        .build();
    let verdict = verifier.verify(query, &Source::peer(peer));
    let (sign_version, base_string_masked, signature_valid, signature) =
        match Params::parse(query, &limits) {
            Ok(params) => {
                let version = SignatureVersion::of_pingback(api, &params).ok();
                let base = version
                    .map(|version| format!("{}***", signature::base_string(api, version, &params)));
                let checked = signature::check_pingback(
                    api,
                    &params,
                    secret,
                    VersionPolicy::minimum(minimum),
                );
                (version, base, checked.is_ok(), describe(&checked))
            }
            Err(err) => (None, None, false, format!("not checked ({err})")),
        };
    let mut report = Report {
        accepted: verdict.is_ok(),
        status: 200,
        check_failed: None,
        reason: None,
        signature_valid,
        signature,
        sign_version,
        base_string_masked,
        source: source_verdict,
        unique_ref: None,
        kind: None,
    };
    match verdict {
        Ok(pingback) => {
            report.unique_ref = Some(pingback.unique_ref().to_string());
            report.kind = Some(pingback.kind().to_string());
        }
        Err(rejection) => {
            report.status = rejection.status();
            report.check_failed = Some(check_name(&rejection));
            report.reason = Some(rejection.to_string());
        }
    }
    report
}

/// The signature on its own, in words.
fn describe(checked: &Result<SignatureVersion, SignatureError>) -> String {
    match checked {
        Ok(version) => format!("valid (version {version})"),
        Err(SignatureError::Missing) => "missing (no sig parameter)".to_owned(),
        Err(SignatureError::Mismatch { version }) => format!("wrong (version {version})"),
        Err(other) => format!("not accepted: {other}"),
    }
}

/// A stable word for the check a rejection names.
fn check_name(rejection: &Rejection) -> &'static str {
    match rejection {
        Rejection::Params(_) => "parameters",
        Rejection::MissingParameters(_) => "missing_parameters",
        Rejection::Source(_) => "source",
        Rejection::Signature(_) => "signature",
        Rejection::Envelope(_) => "standard_parameters",
    }
}

fn to_json(report: &Report) -> serde_json::Value {
    json!({
        "accepted": report.accepted,
        "signature_valid": report.signature_valid,
        "status": report.status,
        "check_failed": report.check_failed,
        "reason": report.reason,
        "signature": report.signature,
        "sign_version": report.sign_version.map(SignatureVersion::number),
        "base_string_masked": report.base_string_masked,
        "source": report.source,
        "unique_ref": report.unique_ref,
        "type": report.kind,
    })
}

fn print_text(report: &Report, minimum: SignatureVersion) {
    match (&report.check_failed, &report.reason) {
        (Some(check), Some(reason)) => {
            println!("verdict:      rejected (HTTP {})", report.status);
            println!("failed check: {check}: {reason}");
        }
        _ => println!("verdict:      accepted (HTTP 200 OK)"),
    }
    if let (Some(unique_ref), Some(kind)) = (&report.unique_ref, &report.kind) {
        println!("pingback:     {kind}, unique ref {unique_ref}");
    }
    let source = match report.source {
        "skipped" => "skipped (no --source given)",
        other => other,
    };
    println!("source:       {source}");
    println!(
        "signature:    {} (lowest version accepted: {minimum})",
        report.signature
    );
    if let Some(version) = report.sign_version {
        println!("sign_version: {version}");
    }
    if let Some(base) = &report.base_string_masked {
        println!("base string:  {base}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_their_query_and_bare_queries_stay_whole() {
        assert_eq!(query_of("http://h/p?a=1&b=2#frag"), "a=1&b=2");
        assert_eq!(query_of("/p?a=1"), "a=1");
        assert_eq!(query_of("?a=1"), "a=1");
        assert_eq!(query_of("https://h/p"), "");
        assert_eq!(query_of("a=1&q=x?y#z"), "a=1&q=x?y#z");
    }
}
