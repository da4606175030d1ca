//! `pw-pingback`: sign, verify, send and check Paymentwall pingbacks from the
//! command line, with the very functions pw's listeners verify with.
//!
//! Install with `cargo install pw-pingback` (or `cargo install --path
//! pw-runtime/cli` from a checkout); run `pw-pingback --help` for the
//! commands.

// One module a job.
mod args;
mod check;
mod http;
mod quarantine;
mod send;
mod settings;
mod sign;
mod verify;
mod widget;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

use args::{Cli, Command};

/// How a command that ran to its end concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Accepted, answered `OK`, every check passed: exit status 0.
    Success,
    /// Rejected, not answered `OK`, a check failed: exit status 1.
    Negative,
}

/// The exit status of an error (bad arguments, unreachable URL).
const ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    let result = match cli.command {
        Command::Sign(args) => sign::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Send(args) => send::run(args),
        Command::Check(args) => check::run(args),
        Command::WidgetUrl(args) => widget::run(args),
        Command::Settings(args) => settings::run(&args),
        Command::Quarantine(command) => quarantine::run(command),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Negative) => ExitCode::from(1),
        Err(message) => {
            eprintln!("pw-pingback: error: {message}");
            ExitCode::from(ERROR)
        }
    }
}

/// Help and version are printed as clap writes them; any other argument
/// error becomes one line on stderr.
fn usage_error(err: clap::Error) -> ExitCode {
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = err.print();
        return ExitCode::from(if err.use_stderr() { ERROR } else { 0 });
    }
    eprintln!(
        "pw-pingback: {} (see --help)",
        one_line(&err.render().to_string())
    );
    ExitCode::from(ERROR)
}

/// clap's message without its usage and hint lines, joined on one line.
fn one_line(rendered: &str) -> String {
    rendered
        .lines()
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_messages_fold_to_one_line() {
        let rendered = "error: the following required arguments were not provided:\n  --secret <SECRET>\n\nUsage: pw-pingback sign --api <API>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered),
            "error: the following required arguments were not provided: --secret <SECRET>"
        );
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
