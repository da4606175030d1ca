//! A complete pingback listener: axum, a ledger chosen by one URL (SQLite
//! in `pw-quickstart.db` by default, PostgreSQL or Redis for several
//! instances), a digital-goods schema with an `OWN` and two system custom
//! parameters, and a shop that grants and revokes in its own table inside
//! the ledger's transaction (exactly once).
//!
//! ```sh
//! cargo run -p pw-examples --example quickstart
//! ```
//!
//! It prints the settings to enter in Paymentwall and, with the development
//! key only, `curl` commands that send it a signed test payment (with
//! `PW_SECRET_KEY` set, it prints no pingback signed with the project's
//! key). Environment:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PW_ADDR` | `127.0.0.1:8080` | the address to listen on |
//! | `PW_SECRET_KEY` | a development key, printed | the project's secret key |
//! | `PW_ENV` | development | `production`: only Paymentwall's addresses may send pingbacks (development also allows loopback) |
//! | `PW_LEDGER_URL` | `sqlite:pw-quickstart.db` | the ledger: `sqlite:PATH` (one instance), `postgres://USER@HOST/DATABASE` or `redis://HOST:PORT` (any number of instances sharing it) |
//! | `PW_LEDGER_PREFIX` | `pw_` | the prefix of the ledger's and the shop's tables (`pw_ledger`, `pw_grants`) or keys |
//! | `PW_TRUSTED_PROXIES` | none | comma-separated networks of reverse proxies / load balancers whose `X-Forwarded-For` is believed |
//! | `PW_HANDLER_DELAY_MS` | `0` | an artificial wait in the handler before it writes, standing for an external call (for the benchmark) |
//! | `PW_LOG` | `info` | `error`, `warn`, `info` or `debug` |

use pw_examples::quickstart::{self, GemPurchase, Settings};
use pw_runtime::Pingback;
use std::process::ExitCode;
use tracing::Level;

#[tokio::main]
async fn main() -> ExitCode {
    let level = match std::env::var("PW_LOG").as_deref() {
        Ok("error") => Level::ERROR,
        Ok("warn") => Level::WARN,
        Ok("debug") => Level::DEBUG,
        _ => Level::INFO,
    };
    tracing_subscriber::fmt().with_max_level(level).init();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let server = match quickstart::start(&settings).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };

    println!("{}", GemPurchase::settings_table());
    println!("Pingback URL: {} (GET or POST)", server.url);
    if settings.development_key {
        println!(
            "Secret key:   {} -- a DEVELOPMENT key (set PW_SECRET_KEY to your project's)",
            quickstart::DEVELOPMENT_KEY
        );
    } else {
        println!("Secret key:   from PW_SECRET_KEY");
    }
    if settings.production {
        println!("Mode:         production: only Paymentwall's addresses may send pingbacks");
    } else {
        println!(
            "Mode:         development: Paymentwall's addresses and loopback (127.0.0.0/8, ::1) \
             may send pingbacks (PW_ENV=production allows only Paymentwall's)"
        );
    }
    println!("Ledger:       {}", settings.ledger);
    if !settings.handler_delay.is_zero() {
        println!(
            "Handler:      waits {} ms before each grant (PW_HANDLER_DELAY_MS)",
            settings.handler_delay.as_millis()
        );
    }
    let reference = quickstart::fresh_reference();
    println!(
        "\n{}",
        quickstart::try_it(&settings, &server.url, &reference)
    );

    tokio::select! {
        result = server.task => match result {
            Ok(Ok(())) => ExitCode::SUCCESS,
            Ok(Err(error)) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        },
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}
