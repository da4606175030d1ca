//! Conformance with Paymentwall's official PHP library: every line of every
//! `pw-runtime/tests/vectors/*.jsonl` file, and of every file named in `PW_VECTORS`
//! (paths separated by `:`), must agree with pw.
//!
//! Pingback cases: `signature_valid` (is `sig` right, whatever the source) and
//! `accepted` (the whole verification) must both agree. The official library
//! accepts signature version 1, so this test verifies with
//! `minimum_version(V1)`; pw's default refuses it. Widget cases: `sign` must
//! match.

use std::path::{Path, PathBuf};

use pw_runtime::signature::{self, widget_signature};
use pw_runtime::{
    ApiType, Limits, Params, SecretKey, SignatureVersion, Source, Verifier, VersionPolicy,
};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(untagged)]
enum Case {
    Widget(WidgetCase),
    Pingback(PingbackCase),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WidgetCase {
    id: String,
    kind: WidgetKind,
    secret: String,
    sign_version: u8,
    params: Vec<(String, String)>,
    sign: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum WidgetKind {
    Widget,
}

#[derive(Deserialize)]
struct PingbackCase {
    id: String,
    api: String,
    secret: String,
    ip: String,
    query: String,
    signature_valid: bool,
    accepted: bool,
}

/// What pw says of a pingback case: (signature_valid, accepted).
fn judge_pingback(case: &PingbackCase) -> Result<(bool, bool), String> {
    let api: ApiType = case.api.parse().map_err(|e| format!("{e}"))?;
    let peer = case
        .ip
        .parse()
        .map_err(|e| format!("bad ip `{}`: {e}", case.ip))?;
    let secret = SecretKey::new(case.secret.as_str());
    let signature_valid = Params::parse(case.query.as_bytes(), &Limits::default())
        .map(|params| {
            signature::check_pingback(
                api,
                &params,
                &secret,
                VersionPolicy::minimum(SignatureVersion::V1),
            )
            .is_ok()
        })
        .unwrap_or(false);
    let verifier = Verifier::builder(api, secret)
        .minimum_version(SignatureVersion::V1)
        .build();
    let accepted = verifier
        .verify(case.query.as_bytes(), &Source::peer(peer))
        .is_ok();
    Ok((signature_valid, accepted))
}

/// Runs one file; returns (passed, total, disagreements).
fn run_file(path: &Path) -> Result<(usize, usize, Vec<String>), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: unreadable: {e}", path.display()))?;
    let (mut passed, mut total, mut failures) = (0, 0, Vec::new());
    for (number, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        total += 1;
        let at = format!("{}:{}", path.display(), number + 1);
        let case: Case =
            serde_json::from_str(line).map_err(|e| format!("{at}: not a vector case: {e}"))?;
        let verdict = match &case {
            Case::Widget(w) => {
                let WidgetKind::Widget = w.kind;
                let version = SignatureVersion::from_number(w.sign_version).ok_or_else(|| {
                    format!("{at}: sign_version {} is not 1, 2 or 3", w.sign_version)
                })?;
                let sign = widget_signature(version, &w.params, &SecretKey::new(w.secret.as_str()));
                (sign == w.sign).then_some(()).ok_or(format!(
                    "{at} {}: widget sign {sign}, expected {}",
                    w.id, w.sign
                ))
            }
            Case::Pingback(p) => {
                let (signature_valid, accepted) =
                    judge_pingback(p).map_err(|e| format!("{at}: {e}"))?;
                (signature_valid == p.signature_valid && accepted == p.accepted)
                    .then_some(())
                    .ok_or(format!(
                        "{at} {}: pw says signature_valid={signature_valid} accepted={accepted}, \
                     expected signature_valid={} accepted={}",
                        p.id, p.signature_valid, p.accepted
                    ))
            }
        };
        match verdict {
            Ok(()) => passed += 1,
            Err(failure) => failures.push(failure),
        }
    }
    Ok((passed, total, failures))
}

fn vector_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the vectors directory {} is unreadable: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *.jsonl file in {}", dir.display());
    if let Ok(extra) = std::env::var("PW_VECTORS") {
        files.extend(
            extra
                .split(':')
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
        );
    }
    files
}

#[test]
fn every_vector_agrees_with_the_official_library() {
    let mut problems = Vec::new();
    for path in vector_files() {
        match run_file(&path) {
            Ok((passed, total, failures)) => {
                // Written to the stderr handle itself, so that the counts show
                // in a normal `cargo test` run, where printing is captured.
                let line = format!(
                    "conformance {}: {passed}/{total} cases passed\n",
                    path.display()
                );
                std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes()).expect("stderr");
                problems.extend(failures);
            }
            Err(unreadable) => problems.push(unreadable),
        }
    }
    assert!(
        problems.is_empty(),
        "{} disagreement(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn a_wrong_expectation_is_caught() {
    let dir = std::env::temp_dir().join(format!("pw-vectors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wrong.jsonl");
    let line = r#"{"id": "flipped", "api": "virtual_currency", "secret": "6274def95b105f1c92d341a8d3bc2e77", "ip": "174.36.92.186", "query": "uid=test_user&currency=1000&type=0&ref=t555&is_test=1&sig=efaacb488ab8ee19321ad513b6908574", "signature_valid": true, "accepted": false}"#;
    std::fs::write(&path, format!("{line}\n")).unwrap();
    let (passed, total, failures) = run_file(&path).unwrap();
    assert_eq!((passed, total, failures.len()), (0, 1, 1), "{failures:?}");
    std::fs::write(&path, "{not json\n").unwrap();
    assert!(run_file(&path).is_err());
    assert!(run_file(&dir.join("absent.jsonl")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
