//! Conformance with Paymentwall's official PHP library: every line of every
//! `pw-runtime/tests/vectors/*.jsonl` file, and of every file named in `PW_VECTORS`
//! (paths separated by `:`), must agree with pw.
//!
//! Pingback cases: `signature_valid` (is `sig` right, whatever the source) and
//! `accepted` (the whole verification) must both agree. The official library
//! accepts signature version 1, so this test verifies with
//! `minimum_version(V1)`; pw's default refuses it. Widget cases: `sign` must
//! match, computed from `params` by the widget signer and by a `WidgetCall`
//! given the same parameters; when the case has its `url` (the official
//! library's `getUrl()`), the `WidgetCall`'s URL must be that URL, byte for
//! byte.

use std::path::{Path, PathBuf};

use pw_runtime::signature::{self, widget_signature};
use pw_runtime::widget::{Cart, DigitalGoods, VirtualCurrency, WidgetApi};
use pw_runtime::{
    ApiType, Limits, Params, SecretKey, SignatureVersion, Source, Verifier, VersionPolicy,
    WidgetCall,
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
    /// The API (`digital_goods` when absent).
    #[serde(default)]
    api: Option<String>,
    secret: String,
    sign_version: u8,
    /// Every parameter of the URL but `sign`, decoded, in URL order.
    params: Vec<(String, String)>,
    sign: String,
    /// The whole URL, when the case comes from the library's `getUrl()`.
    #[serde(default)]
    url: Option<String>,
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

/// A `WidgetCall` for the API `A` with the case's parameters, `key` and
/// `sign_version` as the call's own.
fn widget_call<A: WidgetApi>(case: &WidgetCase, version: SignatureVersion) -> WidgetCall<A> {
    let key = case
        .params
        .iter()
        .find(|(name, _)| name == "key")
        .map_or("", |(_, key)| key.as_str());
    case.params
        .iter()
        .filter(|(name, _)| name != "key" && name != "sign_version")
        .fold(
            WidgetCall::<A>::new(key, case.secret.as_str()).sign_version(version),
            |call, (name, value)| call.param(name.as_str(), value.as_str()),
        )
}

/// What pw says of a widget case: its sign from the signer, its sign and
/// URL from a `WidgetCall`.
fn judge_widget(case: &WidgetCase) -> Result<(), String> {
    let version = SignatureVersion::from_number(case.sign_version)
        .ok_or_else(|| format!("sign_version {} is not 1, 2 or 3", case.sign_version))?;
    let sign = widget_signature(version, &case.params, &SecretKey::new(case.secret.as_str()));
    if sign != case.sign {
        return Err(format!("widget sign {sign}, expected {}", case.sign));
    }
    let api: ApiType = case
        .api
        .as_deref()
        .unwrap_or("digital_goods")
        .parse()
        .map_err(|e| format!("{e}"))?;
    let (pairs, url) = match api {
        ApiType::DigitalGoods => {
            let call = widget_call::<DigitalGoods>(case, version);
            (call.pairs(), call.url())
        }
        ApiType::VirtualCurrency => {
            let call = widget_call::<VirtualCurrency>(case, version);
            (call.pairs(), call.url())
        }
        ApiType::Cart => {
            let call = widget_call::<Cart>(case, version);
            (call.pairs(), call.url())
        }
    };
    let pairs = pairs.map_err(|e| format!("the WidgetCall refuses the case: {e}"))?;
    let built_sign = pairs.last().map(|(_, sign)| sign.as_str());
    if built_sign != Some(case.sign.as_str()) {
        return Err(format!(
            "WidgetCall sign {built_sign:?}, expected {}",
            case.sign
        ));
    }
    match (&case.url, url) {
        (Some(expected), Ok(url)) if url != *expected => {
            Err(format!("WidgetCall URL\n  {url}\nexpected\n  {expected}"))
        }
        (_, Err(e)) => Err(format!("the WidgetCall refuses the case: {e}")),
        _ => Ok(()),
    }
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
                judge_widget(w).map_err(|e| format!("{at} {}: {e}", w.id))
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
fn the_widget_vectors_cover_every_api_with_whole_urls() {
    let mut per_api = std::collections::BTreeMap::new();
    for path in vector_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if let Ok(Case::Widget(case)) = serde_json::from_str::<Case>(line) {
                if case.url.is_some() {
                    *per_api.entry(case.api.unwrap_or_default()).or_insert(0) += 1;
                }
            }
        }
    }
    let total: usize = per_api.values().sum();
    assert!(total >= 100, "{per_api:?}");
    for api in ["digital_goods", "virtual_currency", "cart"] {
        assert!(per_api.get(api).is_some_and(|&n| n >= 20), "{per_api:?}");
    }
}

#[test]
fn a_wrong_widget_expectation_is_caught() {
    let dir = std::env::temp_dir().join(format!("pw-widget-vectors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wrong.jsonl");
    let right = r#"{"kind":"widget","id":"w","api":"virtual_currency","secret":"s","sign_version":2,"params":[["key","k"],["uid","u"],["widget","p10"],["sign_version","2"]],"sign":"SIGN","url":"https://api.paymentwall.com/api/ps?key=k&uid=u&widget=p10&sign_version=2&sign=SIGN"}"#;
    let sign = widget_signature(
        SignatureVersion::V2,
        &[
            ("key", "k"),
            ("uid", "u"),
            ("widget", "p10"),
            ("sign_version", "2"),
        ],
        &SecretKey::new("s"),
    );
    let right = right.replace("SIGN", &sign);
    let cases = [
        (right.clone(), 1),
        (right.replace("api/ps?", "api/subscription?"), 0),
        (right.replace("widget=p10", "widget=p1_1"), 0),
        (right.replace(r#""secret":"s""#, r#""secret":"t""#), 0),
        (
            right.replace(r#""api":"virtual_currency""#, r#""api":"cart""#),
            0,
        ),
    ];
    for (line, passes) in cases {
        std::fs::write(&path, format!("{line}\n")).unwrap();
        let (passed, total, failures) = run_file(&path).unwrap();
        assert_eq!((passed, total), (passes, 1), "{line}: {failures:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
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
