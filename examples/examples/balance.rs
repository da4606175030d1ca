//! A round-robin TCP balancer in front of several quickstart instances, to
//! run a small fleet on one machine (see the README, "Several instances").
//!
//! ```sh
//! cargo run -p pw-examples --example balance -- 127.0.0.1:8080 127.0.0.1:8081 127.0.0.1:8082
//! ```
//!
//! The first address is the one to listen on, the others are the
//! instances; each connection goes to the next instance in turn.

use std::net::SocketAddr;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().init();
    let addrs: Result<Vec<SocketAddr>, _> = std::env::args().skip(1).map(|a| a.parse()).collect();
    let (front, backends) = match addrs.as_deref() {
        Ok([front, backends @ ..]) if !backends.is_empty() => (*front, backends.to_vec()),
        _ => {
            eprintln!("usage: balance LISTEN_ADDR BACKEND_ADDR... (e.g. 127.0.0.1:8080 127.0.0.1:8081 127.0.0.1:8082)");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(front).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("error: {front}: {error}");
            return ExitCode::from(2);
        }
    };
    let list: Vec<String> = backends.iter().map(ToString::to_string).collect();
    println!("balancing {front} over {}", list.join(", "));
    tokio::select! {
        result = pw_examples::balance::run(listener, backends) => match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        },
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}
