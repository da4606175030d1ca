//! The `pw-pingback` binary, run as a user runs it: its verdicts agree with
//! every shared vector, what it signs the library accepts, its `check`
//! tells a correct listener from broken ones, and its errors are one line.
//!
//! Every listener here is a thread of this test on 127.0.0.1.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use pw_runtime::{ApiType, Limits, Params, SignatureVersion, Source, SourceCheck, Verifier};
use serde_json::Value;

mod support;
use support::{pw_pingback, stderr, stdout};

const SECRET: &str = "cli-test-secret-4b1d";
const PAYMENTWALL: &str = "174.36.92.186";

/// Asserts a clean error: exit status 2, exactly one line on stderr, no panic.
fn assert_one_line_error(output: &Output, context: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{context}: {err}");
    assert_eq!(err.lines().count(), 1, "{context}: {err:?}");
    assert!(err.starts_with("pw-pingback: "), "{context}: {err:?}");
    assert!(!err.contains("panicked"), "{context}: {err:?}");
}

// ---------------------------------------------------------------- vectors

fn vector_files() -> Vec<PathBuf> {
    // The conformance vectors of pw-runtime, beside this package.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vectors in {}", dir.display());
    files
}

/// Runs the binary on one vector case; `None` when it agrees, else why not.
fn disagreement(case: &Value) -> Option<String> {
    let id = case["id"].as_str().unwrap_or("?");
    let text = |key: &str| case[key].as_str().unwrap_or_else(|| panic!("{id}: {key}"));
    if case["kind"] == "widget" {
        return widget_disagreement(case);
    }
    let output = pw_pingback(&[
        "verify",
        text("query"),
        "--api",
        text("api"),
        "--secret",
        text("secret"),
        "--source",
        text("ip"),
        // The vectors hold the verdicts of Paymentwall's libraries, which
        // accept version 1.
        "--min-version",
        "1",
        "--json",
    ]);
    let verdict: Value = match serde_json::from_slice(&output.stdout) {
        Ok(verdict) => verdict,
        Err(e) => return Some(format!("{id}: not JSON ({e}): {}", stderr(&output))),
    };
    let expected_code = if case["accepted"] == true { 0 } else { 1 };
    let agrees = verdict["signature_valid"] == case["signature_valid"]
        && verdict["accepted"] == case["accepted"]
        && output.status.code() == Some(expected_code);
    (!agrees).then(|| {
        format!(
            "{id}: verify says {verdict}, exit {:?}; expected signature_valid={} accepted={}",
            output.status.code(),
            case["signature_valid"],
            case["accepted"]
        )
    })
}

#[test]
fn verify_and_widget_url_agree_with_every_vector() {
    let mut cases = Vec::new();
    for path in vector_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            cases.push(serde_json::from_str::<Value>(line).expect("a JSON case"));
        }
    }
    let workers = 4;
    let problems: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let cases = &cases;
                scope.spawn(move || {
                    cases
                        .iter()
                        .skip(worker)
                        .step_by(workers)
                        .filter_map(disagreement)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });
    let line = format!(
        "cli vectors: {}/{} cases agree\n",
        cases.len() - problems.len(),
        cases.len()
    );
    std::io::stderr().write_all(line.as_bytes()).unwrap();
    assert!(cases.len() >= 337, "only {} cases", cases.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Runs `widget-url` on one widget vector case: the URL it prints must
/// carry the case's `sign`, and be the case's `url` when it has one.
fn widget_disagreement(case: &Value) -> Option<String> {
    let id = case["id"].as_str().unwrap_or("?");
    let params: Vec<(String, String)> =
        serde_json::from_value(case["params"].clone()).expect("widget params");
    let find = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut args = vec![
        "widget-url".to_owned(),
        "--api".to_owned(),
        case["api"].as_str().unwrap_or("digital_goods").to_owned(),
        "--key".to_owned(),
        find("key"),
        "--widget".to_owned(),
        find("widget"),
        "--version".to_owned(),
        case["sign_version"].to_string(),
        "--secret".to_owned(),
        case["secret"].as_str().expect("secret").to_owned(),
        // Names may start with `-` (`-1`).
        "--".to_owned(),
    ];
    args.extend(
        params
            .iter()
            .filter(|(n, _)| !["key", "widget", "sign_version"].contains(&n.as_str()))
            .map(|(n, v)| format!("{n}={v}")),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = pw_pingback(&args);
    let url = stdout(&output);
    let url = url.strip_suffix('\n').unwrap_or(&url);
    let sign = url.rsplit_once("&sign=").map(|(_, s)| s);
    if sign != case["sign"].as_str() {
        return Some(format!(
            "{id}: widget-url gave {url:?} ({})",
            stderr(&output)
        ));
    }
    match case["url"].as_str() {
        Some(expected) if expected != url => Some(format!(
            "{id}: widget-url gave\n  {url}\nexpected\n  {expected}"
        )),
        _ => None,
    }
}

// ------------------------------------------------------------------- sign

fn standard_pairs(api: ApiType) -> Vec<&'static str> {
    let mut pairs = match api {
        ApiType::VirtualCurrency => vec!["uid=user 1", "currency=250.5"],
        ApiType::DigitalGoods => vec!["uid=user 1", "goodsid=gems", "slength=", "speriod="],
        ApiType::Cart => vec!["uid=user 1", "goodsid[0]=a&b", "goodsid[1]=c"],
    };
    pairs.extend(["type=0", "ref=b42", "is_test=1", "campaign=50% off"]);
    pairs
}

fn versions(api: ApiType) -> Vec<&'static str> {
    match api {
        ApiType::Cart => vec!["2"],
        _ => vec!["1", "2", "3"],
    }
}

#[test]
fn what_sign_prints_the_library_and_verify_accept() {
    for api in ApiType::ALL {
        for version in versions(api) {
            let mut args = vec![
                "sign",
                "--api",
                api.name(),
                "--secret",
                SECRET,
                "--version",
                version,
            ];
            let pairs = standard_pairs(api);
            args.extend(pairs.iter().copied());
            let output = pw_pingback(&args);
            assert!(
                output.status.success(),
                "{api} v{version}: {}",
                stderr(&output)
            );
            assert_eq!(stderr(&output), "", "{api} v{version}: no note expected");
            let query = stdout(&output).trim().to_owned();
            assert!(!query.contains(SECRET));

            let number: u8 = version.parse().unwrap();
            let verifier = Verifier::builder(api, SECRET)
                .minimum_version(SignatureVersion::from_number(number).unwrap())
                .build();
            let peer = Source::peer(PAYMENTWALL.parse().unwrap());
            let pingback = verifier
                .verify(query.as_bytes(), &peer)
                .unwrap_or_else(|e| panic!("{api} v{version}: library says {e}: {query}"));
            assert_eq!(pingback.sign_version().number(), number);
            assert_eq!(pingback.params().get("campaign"), Some("50% off"));

            let output = pw_pingback(&[
                "verify",
                &query,
                "--api",
                api.name(),
                "--secret",
                SECRET,
                "--source",
                PAYMENTWALL,
                "--min-version",
                version,
                "--json",
            ]);
            let verdict: Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(verdict["accepted"], true, "{api} v{version}: {verdict}");
            assert_eq!(verdict["signature_valid"], true, "{verdict}");
            assert_eq!(verdict["sign_version"], number, "{verdict}");
            assert_eq!(output.status.code(), Some(0));
        }
    }
}

#[test]
fn sign_notes_a_pingback_pw_would_refuse() {
    let output = pw_pingback(&[
        "sign",
        "--api",
        "digital_goods",
        "--secret",
        SECRET,
        "uid=u",
        "type=0",
    ]);
    assert!(output.status.success());
    assert!(
        stderr(&output).contains("missing parameters: goodsid, ref"),
        "{}",
        stderr(&output)
    );
}

// ----------------------------------------------------------------- verify

#[test]
fn verify_reports_the_failed_check_and_masks_the_secret() {
    let signed = pw_pingback(&[
        "sign",
        "--api",
        "digital_goods",
        "--secret",
        SECRET,
        "uid=u1",
        "goodsid=g",
        "type=0",
        "ref=r1",
    ]);
    let query = stdout(&signed).trim().to_owned();
    let json = |args: &[&str]| -> (Value, Option<i32>) {
        let mut all = vec!["verify", &query, "--api", "digital_goods", "--json"];
        all.extend_from_slice(args);
        let output = pw_pingback(&all);
        assert!(!stdout(&output).contains(SECRET));
        (
            serde_json::from_slice(&output.stdout).unwrap(),
            output.status.code(),
        )
    };

    let (skipped, code) = json(&["--secret", SECRET]);
    assert_eq!(code, Some(0));
    assert_eq!(skipped["source"], "skipped");
    assert_eq!(skipped["check_failed"], Value::Null);
    let base = skipped["base_string_masked"].as_str().unwrap();
    assert!(base.ends_with("uid=u1***"), "{base}");

    let (stranger, code) = json(&["--secret", SECRET, "--source", "1.2.3.4"]);
    assert_eq!(code, Some(1));
    assert_eq!(stranger["check_failed"], "source");
    assert_eq!(stranger["signature_valid"], true);
    assert_eq!(stranger["status"], 403);

    let (allowed, _) = json(&[
        "--secret",
        SECRET,
        "--source",
        "1.2.3.4",
        "--allow",
        "1.2.3.0/24",
    ]);
    assert_eq!(allowed["accepted"], true, "{allowed}");

    let (wrong, _) = json(&["--secret", "another", "--source", PAYMENTWALL]);
    assert_eq!(wrong["check_failed"], "signature");
    assert_eq!(wrong["signature_valid"], false);

    let (strict, _) = json(&["--secret", SECRET, "--min-version", "3"]);
    assert_eq!(strict["check_failed"], "signature");
    assert_eq!(
        strict["signature_valid"], false,
        "below the minimum: {strict}"
    );

    let missing = query.replace("goodsid=g&", "");
    let output = pw_pingback(&[
        "verify",
        &missing,
        "--api",
        "digital_goods",
        "--secret",
        SECRET,
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text.contains("failed check: missing_parameters: missing parameters: goodsid"),
        "{text}"
    );
    assert!(text.contains("source:       skipped"), "{text}");
    assert!(!text.contains(SECRET) && text.contains("***"), "{text}");
}

#[test]
fn verify_takes_a_url_or_standard_input() {
    let signed = pw_pingback(&[
        "sign",
        "--api",
        "virtual_currency",
        "--secret",
        SECRET,
        "uid=u1",
        "currency=5",
        "type=0",
        "ref=r1",
    ]);
    let query = stdout(&signed).trim().to_owned();
    let url = format!("http://127.0.0.1/pingback?{query}#top");
    let output = pw_pingback(&[
        "verify",
        &url,
        "--api",
        "virtual_currency",
        "--secret",
        SECRET,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));

    let mut child = Command::new(env!("CARGO_BIN_EXE_pw-pingback"))
        .args(["verify", "-", "--api", "virtual_currency", "--json"])
        .env("PW_SECRET", SECRET)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{query}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let verdict: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(verdict["accepted"], true, "{verdict} {}", stderr(&output));
}

// -------------------------------------------------------------- listeners

/// One request as a listener sees it: its parameters (query or form body).
struct Request {
    method: String,
    params: String,
    /// The headers, names in lower case.
    headers: Vec<(String, String)>,
}

/// Serves HTTP/1.1 on 127.0.0.1 from a thread, one connection at a time,
/// for at most 64 connections; returns the pingback URL.
fn serve(handler: impl Fn(&Request) -> (u16, String) + Send + 'static) -> String {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let url = format!("http://{}/pingback", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(stream) = stream else { continue };
            let _ = answer(stream, &handler);
        }
    });
    url
}

fn answer(stream: TcpStream, handler: &impl Fn(&Request) -> (u16, String)) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut length = 0;
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let params = if method == "POST" {
        String::from_utf8_lossy(&body).into_owned()
    } else {
        target.split_once('?').map_or("", |(_, q)| q).to_owned()
    };
    let (status, text) = handler(&Request {
        method,
        params,
        headers,
    });
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )?;
    stream.flush()
}

/// A correct listener: pw's `Verifier`, and a set of the unique refs
/// delivered; with `refuse_duplicates`, a duplicate gets an error instead
/// of `OK`.
fn verifying_listener(api: ApiType, refuse_duplicates: bool) -> String {
    let verifier = Verifier::builder(api, SECRET)
        .source_check(SourceCheck::disabled_for_local_development())
        .build();
    let delivered = Arc::new(Mutex::new(HashSet::new()));
    serve(move |request| {
        let peer = Source::peer(Ipv4Addr::LOCALHOST.into());
        match verifier.verify(request.params.as_bytes(), &peer) {
            Ok(pingback) => {
                let fresh = delivered
                    .lock()
                    .unwrap()
                    .insert(pingback.unique_ref().to_string());
                if fresh || !refuse_duplicates {
                    (200, "OK".to_owned())
                } else {
                    (409, "duplicate".to_owned())
                }
            }
            Err(rejection) => (rejection.status(), rejection.to_string()),
        }
    })
}

/// Checks the required parameters, never the signature.
fn unsigned_listener(api: ApiType) -> String {
    serve(move |request| {
        let Ok(params) = Params::parse(request.params.as_bytes(), &Limits::default()) else {
            return (400, "bad".to_owned());
        };
        let complete = api
            .required_parameters()
            .iter()
            .all(|name| params.contains(name) && params.get(name) != Some(""));
        if complete {
            (200, "OK".to_owned())
        } else {
            (400, "missing".to_owned())
        }
    })
}

/// Runs `check`; returns (exit code, the numbers of the FAIL lines, stdout).
fn check(url: &str, api: ApiType, extra: &[&str]) -> (Option<i32>, Vec<u32>, String) {
    let mut args = vec!["check", url, "--api", api.name(), "--secret", SECRET];
    args.extend_from_slice(extra);
    let output = pw_pingback(&args);
    let text = stdout(&output);
    assert!(!text.contains(SECRET) && !stderr(&output).contains(SECRET));
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("PASS") || l.starts_with("FAIL"))
        .collect();
    assert_eq!(
        lines.len(),
        5,
        "one line per check: {text}\n{}",
        stderr(&output)
    );
    let failed = lines
        .iter()
        .filter(|l| l.starts_with("FAIL"))
        .map(|l| l[6..].split('.').next().unwrap().parse().unwrap())
        .collect();
    (output.status.code(), failed, text)
}

#[test]
fn a_correct_listener_passes_every_check() {
    for api in ApiType::ALL {
        for method in [&[][..], &["--post"][..]] {
            let url = verifying_listener(api, false);
            let mut extra = vec!["campaign=spring sale"];
            extra.extend_from_slice(method);
            let (code, failed, text) = check(&url, api, &extra);
            assert_eq!(
                (code, failed),
                (Some(0), vec![]),
                "{api} {method:?}:\n{text}"
            );
            assert!(text.contains("5 of 5 checks passed"), "{text}");
        }
    }
    let url = verifying_listener(ApiType::DigitalGoods, false);
    let (code, failed, text) = check(&url, ApiType::DigitalGoods, &["--version", "3"]);
    assert_eq!((code, failed), (Some(0), vec![]), "{text}");
}

#[test]
fn a_listener_that_acknowledges_everything_fails_checks_3_and_5() {
    let url = serve(|_| (200, "OK".to_owned()));
    let (code, failed, text) = check(&url, ApiType::DigitalGoods, &[]);
    assert_eq!((code, failed), (Some(1), vec![3, 5]), "{text}");
    let wrong_signature = text.lines().find(|l| l.starts_with("FAIL  3.")).unwrap();
    assert!(
        wrong_signature.contains("wrong signature") && wrong_signature.contains("HTTP 200 \"OK\""),
        "{wrong_signature}"
    );
}

#[test]
fn a_listener_that_skips_the_signature_fails_check_3() {
    for api in ApiType::ALL {
        let url = unsigned_listener(api);
        let (code, failed, text) = check(&url, api, &["--post"]);
        assert_eq!((code, failed), (Some(1), vec![3]), "{api}:\n{text}");
    }
}

#[test]
fn a_listener_that_refuses_duplicates_fails_check_2() {
    let url = verifying_listener(ApiType::VirtualCurrency, true);
    let (code, failed, text) = check(&url, ApiType::VirtualCurrency, &[]);
    assert_eq!((code, failed), (Some(1), vec![2]), "{text}");
    let line = text.lines().find(|l| l.starts_with("FAIL  2.")).unwrap();
    assert!(
        line.contains("same pingback again") && line.contains("HTTP 409 \"duplicate\""),
        "{line}"
    );
}

// ------------------------------------------------------------------- send

/// A pw listener behind a reverse proxy on 127.0.0.1 that it trusts: the
/// source check believes the proxy's `X-Forwarded-For`, and refuses the
/// proxy's own address.
fn listener_behind_a_proxy(api: ApiType) -> String {
    let verifier = Verifier::builder(api, SECRET)
        .source_check(SourceCheck::default().trust_proxies("127.0.0.1/32".parse().unwrap()))
        .build();
    serve(move |request| {
        let forwarded = request
            .headers
            .iter()
            .find(|(name, _)| name == "x-forwarded-for")
            .map(|(_, value)| value.as_str());
        let mut source = Source::peer(Ipv4Addr::LOCALHOST.into());
        if let Some(forwarded) = forwarded {
            source = source.with_x_forwarded_for(forwarded);
        }
        match verifier.verify(request.params.as_bytes(), &source) {
            Ok(_) => (200, "OK".to_owned()),
            Err(rejection) => (rejection.status(), rejection.to_string()),
        }
    })
}

#[test]
fn check_says_a_403_came_from_the_source_check_and_takes_headers() {
    let url = listener_behind_a_proxy(ApiType::DigitalGoods);
    let (code, failed, text) = check(&url, ApiType::DigitalGoods, &[]);
    assert_eq!(code, Some(1), "{text}");
    // The required parameters are checked before the source: check 5's
    // refusal (400) is the parameter check's own, so it passes.
    assert_eq!(failed, vec![1, 2, 3, 4], "{text}");
    assert!(
        text.contains("PASS  5.") && text.contains("HTTP 400"),
        "{text}"
    );
    let wrong_signature = text.lines().find(|l| l.starts_with("FAIL  3.")).unwrap();
    assert!(
        wrong_signature.contains("the 403 came from the source check, not the signature check"),
        "{wrong_signature}"
    );
    assert!(
        wrong_signature.contains("-H 'X-Forwarded-For: "),
        "{wrong_signature}"
    );

    let header = "X-Forwarded-For: 174.36.92.186";
    let (code, failed, text) = check(&url, ApiType::DigitalGoods, &["-H", header]);
    assert_eq!((code, failed), (Some(0), vec![]), "{text}");
    let (code, failed, text) = check(&url, ApiType::DigitalGoods, &["--post", "--header", header]);
    assert_eq!((code, failed), (Some(0), vec![]), "{text}");

    // `send` takes the same headers.
    let signed = |extra: &[&str]| {
        let mut args = vec![
            "send",
            url.as_str(),
            "--api",
            "digital_goods",
            "--secret",
            SECRET,
        ];
        args.extend_from_slice(extra);
        args.extend([
            "uid=u1",
            "goodsid=g",
            "slength=",
            "speriod=",
            "type=0",
            "ref=h1",
        ]);
        pw_pingback(&args)
    };
    let refused = signed(&[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stdout(&refused).starts_with("HTTP 403\nsource address 127.0.0.1"),
        "{}",
        stdout(&refused)
    );
    let through = signed(&["-H", header, "-H", "X-Request-Id: 7"]);
    assert_eq!(stdout(&through), "HTTP 200\nOK\n", "{}", stderr(&through));
    for bad in ["no colon", ": value", "Bad Name: v"] {
        assert_one_line_error(&signed(&["-H", bad]), bad);
    }
}

#[test]
fn verify_refuses_version_1_by_default_as_a_listener_does() {
    let query = stdout(&pw_pingback(&[
        "sign",
        "--api",
        "cart",
        "--secret",
        SECRET,
        "uid=u1",
        "goodsid[0]=g",
        "type=0",
        "ref=v1",
    ]));
    let query = query.trim();
    assert!(query.contains("sign_version=2"), "{query}");
    let v1 = stdout(&pw_pingback(&[
        "sign",
        "--api",
        "digital_goods",
        "--secret",
        SECRET,
        "--version",
        "1",
        "uid=u1",
        "goodsid=g",
        "slength=",
        "speriod=",
        "type=0",
        "ref=v1",
    ]));
    let v1 = v1.trim();
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            v1,
            "--api",
            "digital_goods",
            "--secret",
            SECRET,
            "--json",
        ];
        args.extend_from_slice(extra);
        let output = pw_pingback(&args);
        let verdict: Value = serde_json::from_slice(&output.stdout).unwrap();
        (output.status.code(), verdict)
    };
    let (code, verdict) = verify(&[]);
    assert_eq!(code, Some(1), "{verdict}");
    assert_eq!(verdict["accepted"], false, "{verdict}");
    let reason = verdict["reason"].as_str().unwrap();
    assert!(
        reason.contains("signature version 1 is not accepted"),
        "{verdict}"
    );
    assert_eq!(verdict["check_failed"], "signature", "{verdict}");
    let (code, verdict) = verify(&["--min-version", "1"]);
    assert_eq!(code, Some(0), "{verdict}");
    assert_eq!(verdict["accepted"], true, "{verdict}");
    assert_eq!(verdict["signature_valid"], true, "{verdict}");
}

#[test]
fn send_delivers_by_get_and_post_and_prints_the_answer() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let verifier = Verifier::builder(ApiType::DigitalGoods, SECRET)
        .source_check(SourceCheck::disabled_for_local_development())
        .build();
    let url = serve(move |request| {
        log.lock().unwrap().push(request.method.clone());
        match verifier.verify(
            request.params.as_bytes(),
            &Source::peer(Ipv4Addr::LOCALHOST.into()),
        ) {
            Ok(_) => (200, "OK".to_owned()),
            Err(rejection) => (rejection.status(), rejection.to_string()),
        }
    });
    let pairs = [
        "uid=u1",
        "goodsid=g",
        "slength=",
        "speriod=",
        "type=0",
        "ref=s1",
    ];
    for extra in [&[][..], &["--post"][..], &["--dummy-signature"][..]] {
        let mut args = vec![
            "send",
            &url,
            "--api",
            "digital_goods",
            "--secret",
            SECRET,
            "--version",
            "3",
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&pairs);
        let output = pw_pingback(&args);
        let text = stdout(&output);
        if extra == ["--dummy-signature"] {
            assert_eq!(output.status.code(), Some(1), "{text}");
            assert!(text.starts_with("HTTP 403\nwrong signature"), "{text}");
        } else {
            assert_eq!(
                output.status.code(),
                Some(0),
                "{extra:?}: {text} {}",
                stderr(&output)
            );
            assert_eq!(text, "HTTP 200\nOK\n");
        }
    }
    assert_eq!(*seen.lock().unwrap(), ["GET", "POST", "GET"]);
}

// ----------------------------------------------------------------- errors

#[test]
fn an_unreachable_listener_is_one_line_and_exit_2() {
    let closed = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let url = format!("http://{}/pingback", closed.local_addr().unwrap());
    drop(closed);
    let send = pw_pingback(&[
        "send",
        &url,
        "--api",
        "cart",
        "--secret",
        SECRET,
        "uid=u",
        "goodsid[0]=g",
        "type=0",
        "ref=r",
    ]);
    assert_one_line_error(&send, "send");
    assert!(stderr(&send).contains("cannot reach"), "{}", stderr(&send));
    let check = pw_pingback(&["check", &url, "--api", "cart", "--secret", SECRET]);
    assert_one_line_error(&check, "check");
    let https_url = url.replace("http://", "https://");
    let https = pw_pingback(&["check", &https_url, "--api", "cart", "--secret", SECRET]);
    assert_one_line_error(&https, "https");
    let expected = if cfg!(feature = "tls") {
        "cannot reach"
    } else {
        "built without TLS"
    };
    assert!(stderr(&https).contains(expected), "{}", stderr(&https));
    let no_scheme = pw_pingback(&["send", "127.0.0.1:1", "--api", "cart", "--secret", SECRET]);
    assert_one_line_error(&no_scheme, "no scheme");
}

#[test]
fn bad_arguments_are_one_line_and_exit_2() {
    let cases: &[&[&str]] = &[
        &["sign", "--api", "nope", "--secret", SECRET, "uid=u"],
        &["sign", "--api", "cart", "uid=u"],
        &[
            "sign",
            "--api",
            "cart",
            "--secret",
            SECRET,
            "--version",
            "3",
            "uid=u",
        ],
        &[
            "sign",
            "--api",
            "digital_goods",
            "--secret",
            SECRET,
            "--version",
            "4",
        ],
        &[
            "sign",
            "--api",
            "digital_goods",
            "--secret",
            SECRET,
            "no-equals-sign",
        ],
        &[
            "sign",
            "--api",
            "digital_goods",
            "--secret",
            SECRET,
            "uid=a",
            "uid=b",
        ],
        &[
            "verify",
            "uid=u",
            "--api",
            "cart",
            "--secret",
            SECRET,
            "--source",
            "not-an-ip",
        ],
        &[
            "verify", "uid=u", "--api", "cart", "--secret", SECRET, "--source", "1.2.3.4",
            "--allow", "x/99",
        ],
        &["widget-url", "--key", "k", "--secret", SECRET, "ag_name=x"],
        &[
            "widget-url",
            "--key",
            "k",
            "--secret",
            SECRET,
            "uid=u",
            "sign_version=3",
        ],
        &[
            "check",
            "http://127.0.0.1:9/",
            "--api",
            "cart",
            "--secret",
            SECRET,
            "ref=mine",
        ],
        &["frobnicate"],
    ];
    for args in cases {
        let output = pw_pingback(args);
        assert_one_line_error(&output, &format!("{args:?}"));
        assert!(!stderr(&output).contains(SECRET), "{args:?}");
    }
}

#[test]
fn every_command_has_help_with_an_example() {
    for command in ["sign", "verify", "send", "check", "widget-url"] {
        let output = pw_pingback(&[command, "--help"]);
        assert!(output.status.success(), "{command}");
        let text = stdout(&output);
        assert!(
            text.contains("Example:") && text.contains(&format!("pw-pingback {command}")),
            "{command}: {text}"
        );
    }
    let top = pw_pingback(&["--help"]);
    assert!(stdout(&top).contains("Examples:"));
}

#[test]
fn widget_url_sends_what_the_builder_sends() {
    use pw_runtime::widget::{Cart, DigitalGoods, VirtualCurrency, WidgetApi};
    use pw_runtime::WidgetCall;

    fn built<A: WidgetApi>(params: &[(&str, &str)]) -> String {
        params
            .iter()
            .fold(
                WidgetCall::<A>::new("K1", SECRET).widget("p1_1"),
                |call, (name, value)| call.param(*name, *value),
            )
            .url()
            .unwrap()
    }
    let calls: [(&str, Vec<(&str, &str)>); 3] = [
        (
            "digital_goods",
            vec![
                ("uid", "u 1"),
                ("amount", "4.50"),
                ("currencyCode", "USD"),
                ("ag_external_id", "gems"),
                ("ag_type", "subscription"),
                ("ag_period_length", "1"),
                ("ag_period_type", "month"),
                ("history[registration_date]", "1700000000"),
                ("campaign", "*spring*"),
            ],
        ),
        ("virtual_currency", vec![("uid", "u"), ("lang", "de")]),
        (
            "cart",
            vec![
                ("uid", "u"),
                ("external_ids[0]", "a"),
                ("prices[0]", "3.30"),
                ("currencies[0]", "EUR"),
            ],
        ),
    ];
    for (api, params) in calls {
        let mut args = vec![
            "widget-url",
            "--api",
            api,
            "--key",
            "K1",
            "--secret",
            SECRET,
        ];
        let pairs: Vec<String> = params.iter().map(|(n, v)| format!("{n}={v}")).collect();
        args.extend(pairs.iter().map(String::as_str));
        let output = pw_pingback(&args);
        assert!(output.status.success(), "{api}: {}", stderr(&output));
        let url = stdout(&output).trim().to_owned();
        let expected = match api {
            "digital_goods" => built::<DigitalGoods>(&params),
            "virtual_currency" => built::<VirtualCurrency>(&params),
            _ => built::<Cart>(&params),
        };
        assert_eq!(url, expected, "{api}");
        // The official library's defaults: version 3, and 2 for a cart;
        // the amount in its shortest form; no ag_recurring for a
        // subscription that does not renew.
        let version = if api == "cart" { "2" } else { "3" };
        assert!(url.contains(&format!("&sign_version={version}&")), "{url}");
        assert!(!url.contains("ag_recurring"), "{url}");
        assert!(!url.contains("4.50") && !url.contains("3.30"), "{url}");
    }
    let v1 = pw_pingback(&[
        "widget-url",
        "--key",
        "K1",
        "--secret",
        SECRET,
        "--version",
        "1",
        "uid=u",
    ]);
    assert!(
        stdout(&v1).contains("&sign_version=1&sign="),
        "{}",
        stdout(&v1)
    );
}

#[test]
fn widget_url_refuses_what_paymentwall_cannot_charge() {
    for (args, message) in [
        (
            vec!["amount=4.999", "currencyCode=USD"],
            "`amount`: 4.999 USD has 3 decimals, but USD has 2 minor units",
        ),
        (vec!["amount=0", "currencyCode=USD"], "is not positive"),
        (vec!["amount=5"], "`amount` needs `currencyCode`"),
        (
            vec!["lang=english"],
            "`lang` must be an ISO 639-1 language code",
        ),
        (vec!["success_url=/ok"], "`success_url` must be an absolute"),
        (vec!["sign=x"], "give `sign` with nothing"),
    ] {
        let mut all = vec!["widget-url", "--key", "K", "--secret", SECRET, "uid=u"];
        all.extend(args.iter().copied());
        let output = pw_pingback(&all);
        assert_one_line_error(&output, message);
        assert!(stderr(&output).contains(message), "{}", stderr(&output));
    }
    let output = pw_pingback(&["widget-url", "--key", "K", "--secret", SECRET]);
    assert_one_line_error(&output, "uid");
    assert!(stderr(&output).contains("uid=USER_ID"));
    let cart = pw_pingback(&[
        "widget-url",
        "--api",
        "cart",
        "--key",
        "K",
        "--secret",
        SECRET,
        "uid=u",
    ]);
    assert_one_line_error(&cart, "cart");
    assert!(stderr(&cart).contains("external_ids[0]=PRODUCT_ID"));
}

/// The schema `settings` reads from source, compiled here too: both
/// tables must be the same.
mod settings_schema {
    pub const SOURCE: &str = r#"
use pw_runtime::{CountryCode, Decimal, Pingback};

/// Gems bought through the widget.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
pub struct GemPurchase {
    #[pingback(system = "REVENUE_LOCAL", param = "rev")]
    pub revenue: Decimal,
    #[pingback(standard = "slength")]
    pub length: Option<i32>,
    #[pingback(system = "COUNTRY_CODE")]
    pub country: CountryCode,
    #[pingback(own)]
    pub campaign: String,
}

#[derive(Pingback)]
#[pingback(api = "cart")]
pub struct Order {
    #[pingback(own, param = "order_id")]
    pub order: String,
}
"#;

    use pw_runtime::{CountryCode, Decimal, Pingback};

    #[derive(Pingback)]
    #[pingback(api = "digital_goods")]
    #[allow(dead_code)]
    pub struct GemPurchase {
        #[pingback(system = "REVENUE_LOCAL", param = "rev")]
        pub revenue: Decimal,
        #[pingback(standard = "slength")]
        pub length: Option<i32>,
        #[pingback(system = "COUNTRY_CODE")]
        pub country: CountryCode,
        #[pingback(own)]
        pub campaign: String,
    }
}

#[test]
fn settings_prints_the_table_the_derive_builds() {
    use pw_runtime::Pingback;
    let file = std::env::temp_dir().join(format!("pw-settings-{}.rs", std::process::id()));
    std::fs::write(&file, settings_schema::SOURCE).unwrap();
    let path = file.to_str().unwrap();

    let output = pw_pingback(&["settings", "--file", path, "--schema", "GemPurchase"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        settings_schema::GemPurchase::settings_table().to_string()
    );

    // Two schemas and no --schema, an unknown schema, a missing file: one line, exit 2.
    for args in [
        vec!["settings", "--file", path],
        vec!["settings", "--file", path, "--schema", "Nope"],
        vec!["settings", "--file", "/nonexistent/pingback.rs"],
    ] {
        let output = pw_pingback(&args);
        assert_eq!(output.status.code(), Some(2));
        assert_one_line_error(&output, &args.join(" "));
    }
    std::fs::remove_file(file).unwrap();
}
