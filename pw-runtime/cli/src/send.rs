//! `send`: one signed pingback to a listener, its answer printed.

use crate::args::SendArgs;
use crate::http::Client;
use crate::sign::signed;
use crate::Outcome;
use pw_runtime::testing::checklist::with_dummy_signature;

/// Sends the pingback; prints the status line, then the body.
pub fn run(args: SendArgs) -> Result<Outcome, String> {
    let target = &args.target;
    let client = Client::for_target(target)?;
    let mut query = signed(
        target.api,
        target.version,
        &target.secret.secret,
        &args.params,
    )?;
    if args.dummy_signature {
        query = with_dummy_signature(&query);
    }
    let answer = client.deliver(&query)?;
    println!("HTTP {}", answer.status);
    println!("{}", answer.body);
    Ok(if answer.acknowledged() {
        Outcome::Success
    } else {
        Outcome::Negative
    })
}
