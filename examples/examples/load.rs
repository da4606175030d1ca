//! A load generator for the quickstart: UNIQUE signed test payments over N
//! keep-alive HTTP/1.1 connections, on loopback only; prints pingbacks per
//! second, latency percentiles (p50, p90, p99, max) and the answers that
//! were not `200 OK`, then one `summary:` line of `name=value` pairs for
//! scripts (the benchmark in `examples/bench/` reads it).
//!
//! ```sh
//! cargo run --release -p pw-examples --example quickstart &   # PW_LOG=warn to keep it quiet
//! cargo run --release -p pw-examples --example load -- --connections 32 --requests 20000
//! ```
//!
//! Options: `--url URL` (default `http://127.0.0.1:8080/pingback`; only
//! loopback addresses are accepted), `--connections N` (default 32),
//! `--requests N` (default 20000), `--post` (form bodies instead of query
//! strings). The key is `PW_SECRET_KEY`, or the quickstart's development
//! key. All requests are signed before the clock starts. Any listener that
//! accepts the quickstart's test payment can be loaded (the benchmark's
//! Express baseline does).
//!
//! Exit status: 0 when every pingback was answered `200 OK`, 1 otherwise,
//! 2 for bad arguments.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use pw_examples::quickstart;
use pw_runtime::SecretKey;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Options {
    url: String,
    connections: usize,
    requests: usize,
    post: bool,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        url: "http://127.0.0.1:8080/pingback".into(),
        connections: 32,
        requests: 20_000,
        post: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--url" => options.url = value("--url")?,
            "--connections" => {
                options.connections = value("--connections")?
                    .parse()
                    .map_err(|_| "--connections takes a number")?;
            }
            "--requests" => {
                options.requests = value("--requests")?
                    .parse()
                    .map_err(|_| "--requests takes a number")?;
            }
            "--post" => options.post = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if options.connections == 0 || options.requests == 0 {
        return Err("--connections and --requests must be above 0".into());
    }
    Ok(options)
}

/// The address and path of an `http://host:port/path` URL, refused unless
/// the host is a loopback address.
fn target(url: &str) -> Result<(SocketAddr, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("the URL must start with http://")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr = authority
        .to_socket_addrs()
        .map_err(|error| format!("{authority}: {error}"))?
        .next()
        .ok_or(format!("{authority} resolves to no address"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "{addr} is not a loopback address: this tool loads this machine only"
        ));
    }
    Ok((
        addr,
        if path.is_empty() {
            "/".into()
        } else {
            path.into()
        },
    ))
}

/// What one connection saw.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: Vec<String>,
}

async fn connection(
    addr: SocketAddr,
    host: String,
    requests: Arc<Vec<http::Request<Full<Bytes>>>>,
    next: Arc<AtomicUsize>,
) -> Tally {
    let mut tally = Tally::default();
    let stream = match tokio::net::TcpStream::connect(addr).await {
        Ok(stream) => stream,
        Err(error) => {
            tally.errors.push(format!("connect: {error}"));
            return tally;
        }
    };
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = match http1::handshake(TokioIo::new(stream)).await {
        Ok(handshake) => handshake,
        Err(error) => {
            tally.errors.push(format!("handshake: {error}"));
            return tally;
        }
    };
    tokio::spawn(conn);
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(template) = requests.get(index) else {
            return tally;
        };
        let mut request = http::Request::builder()
            .method(template.method())
            .uri(template.uri())
            .header(http::header::HOST, &host);
        for (name, value) in template.headers() {
            request = request.header(name, value);
        }
        let request = request
            .body(template.body().clone())
            .expect("a request built from a valid one");
        let started = Instant::now();
        if sender.ready().await.is_err() {
            tally.errors.push("the connection closed".into());
            return tally;
        }
        match sender.send_request(request).await {
            Ok(response) => {
                let status = response.status();
                let body = response.into_body().collect().await.map(|b| b.to_bytes());
                tally.latencies.push(started.elapsed());
                match body {
                    Ok(body) if status == 200 && body == "OK" => {}
                    Ok(body) => tally
                        .errors
                        .push(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))),
                    Err(error) => tally.errors.push(format!("body: {error}")),
                }
            }
            Err(error) => {
                tally.errors.push(format!("request: {error}"));
                return tally;
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let (options, (addr, path)) = match options().and_then(|o| target(&o.url).map(|t| (o, t))) {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("error: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    let secret = SecretKey::new(
        std::env::var("PW_SECRET_KEY").unwrap_or_else(|_| quickstart::DEVELOPMENT_KEY.into()),
    );
    let run = quickstart::fresh_reference();
    let requests: Vec<_> = (0..options.requests)
        .map(|i| {
            let query = quickstart::signed_test_payment(&secret, &format!("{run}_{i}"));
            if options.post {
                http::Request::post(path.as_str())
                    .header(
                        http::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(Full::new(Bytes::from(query)))
            } else {
                http::Request::get(format!("{path}?{query}")).body(Full::new(Bytes::new()))
            }
            .expect("a valid request")
        })
        .collect();
    println!(
        "{} unique signed pingbacks ({}) to {} over {} connections",
        options.requests,
        if options.post { "POST" } else { "GET" },
        options.url,
        options.connections
    );
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let host = addr.to_string();
    let started = Instant::now();
    let tasks: Vec<_> = (0..options.connections)
        .map(|_| {
            tokio::spawn(connection(
                addr,
                host.clone(),
                Arc::clone(&requests),
                Arc::clone(&next),
            ))
        })
        .collect();
    let mut latencies = Vec::with_capacity(options.requests);
    let mut errors = Vec::new();
    for task in tasks {
        match task.await {
            Ok(tally) => {
                latencies.extend(tally.latencies);
                errors.extend(tally.errors);
            }
            Err(error) => errors.push(format!("task: {error}")),
        }
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let answered = latencies.len();
    let rate = answered as f64 / elapsed.as_secs_f64();
    let millis = |p: f64| percentile(&latencies, p).as_secs_f64() * 1000.0;
    println!(
        "{answered} answered in {:.2} s: {rate:.0} pingbacks/s",
        elapsed.as_secs_f64()
    );
    println!(
        "latency: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        millis(0.5),
        millis(0.9),
        millis(0.99),
        millis(1.0),
    );
    println!(
        "errors: {} (answers other than 200 OK, or failures)",
        errors.len()
    );
    for (error, count) in tally_errors(&errors).iter().take(5) {
        println!("  {count} x {error}");
    }
    println!(
        "summary: sent={} answered={answered} connections={} seconds={:.3} rate={rate:.1} \
         p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} max_ms={:.3} errors={}",
        options.requests,
        options.connections,
        elapsed.as_secs_f64(),
        millis(0.5),
        millis(0.9),
        millis(0.99),
        millis(1.0),
        errors.len()
    );
    if errors.is_empty() && answered == options.requests {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

/// The distinct errors with how often each occurred, most frequent first.
fn tally_errors(errors: &[String]) -> Vec<(&str, usize)> {
    let mut counts = std::collections::HashMap::<&str, usize>::new();
    for error in errors {
        *counts.entry(error).or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    counts
}
