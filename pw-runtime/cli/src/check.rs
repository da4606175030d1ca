//! `check`: the checklist of Paymentwall's Test Pingback Tool (the runtime's
//! `testing::checklist`, which a Rust test runs in process), against a
//! listener on any reachable URL (the dashboard's tool reaches public URLs
//! only).

use pw_runtime::testing::checklist::Checklist;

use crate::args::CheckArgs;
use crate::http::Client;
use crate::Outcome;

/// Runs the five checks in order and prints one line for each.
pub fn run(args: CheckArgs) -> Result<Outcome, String> {
    let target = &args.target;
    let client = Client::for_target(target)?;
    let mut checklist =
        Checklist::new(target.api, target.secret.secret.clone()).version(target.version);
    for (name, value) in &args.params {
        checklist = checklist.param(name, value);
    }
    println!(
        "checking {} ({}, {}, signature version {})",
        client.url(),
        target.api,
        if target.post { "POST" } else { "GET" },
        target.version,
    );
    let report = checklist
        .run(|check| client.deliver(&check.query))
        .map_err(|err| err.to_string())?;
    print!("{report}");
    Ok(if report.passed() {
        Outcome::Success
    } else {
        Outcome::Negative
    })
}
