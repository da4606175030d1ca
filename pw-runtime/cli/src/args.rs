//! The command line: every command, flag and argument, parsed by clap.

use std::net::IpAddr;

use clap::{Args, Parser, Subcommand};
use pw_runtime::{ApiType, SecretKey, SignatureVersion};

/// Sign, verify, send and check Paymentwall pingbacks with the same code
/// that verifies them in pw.
#[derive(Debug, Parser)]
#[command(name = "pw-pingback", version)]
#[command(after_help = "\
Exit status: 0 success (accepted, answered OK, every check passed); 1 a negative verdict
(rejected, not answered OK, a check failed); 2 an error (bad arguments, unreachable URL).

Examples:
  pw-pingback sign --api digital_goods --secret S uid=u1 goodsid=gems type=0 ref=b1
  pw-pingback verify 'uid=u1&goodsid=gems&type=0&ref=b1&sign_version=2&sig=...' --secret S --api digital_goods
  pw-pingback check http://127.0.0.1:8080/pingback --secret S --api digital_goods
  pw-pingback quarantine list --ledger sqlite:pw-quickstart.db")]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// One command of the tool.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the signed query string of a pingback.
    #[command(after_help = "\
Example:
  pw-pingback sign --api digital_goods --secret S --version 3 \\
      uid=u1 goodsid=gems slength= speriod= type=0 ref=b1 is_test=1
prints
  uid=u1&goodsid=gems&slength=&speriod=&type=0&ref=b1&is_test=1&sign_version=3&sig=...")]
    Sign(SignArgs),
    /// Verify a pingback as pw would, and say which check failed.
    #[command(after_help = "\
Example:
  pw-pingback verify 'https://shop.example/pw?uid=u1&goodsid=gems&type=0&ref=b1&sign_version=2&sig=0f…' \\
      --secret S --api digital_goods --source 174.36.92.186 --json

Without --source the source address check is skipped. The default --min-version is 2, a
pw listener's default: it refuses version 1 (--min-version 1 accepts it, as Paymentwall's
libraries do). Give - to read the query (or a POST body) from standard input.")]
    Verify(VerifyArgs),
    /// Send a signed pingback to a listener and print its answer.
    #[command(after_help = "\
Example:
  pw-pingback send http://127.0.0.1:8080/pingback --secret S --api digital_goods \\
      uid=u1 goodsid=gems slength= speriod= type=0 ref=b1 is_test=1
prints the HTTP status, then the body. Exit status 0 only for 200 with the body OK.")]
    Send(SendArgs),
    /// Run Paymentwall's Test Pingback Tool checklist against a listener.
    #[command(after_help = "\
Example:
  pw-pingback check http://127.0.0.1:8080/pingback --secret S --api digital_goods campaign=spring

Checks: (1) a valid test payment is answered 200 OK; (2) the same pingback again is answered
OK; (3) a wrong signature is not; (4) a chargeback (type 2, reason 9) of that payment is;
(5) a pingback without a required parameter is not. Extra name=value arguments go into
every pingback, -H 'Name: value' headers into every request. A refusal by the source check
(HTTP 403 naming the source address), or one like the valid payment's, fails the check it
stands for: it does not show the signature or the parameters were checked. Exit status 1
when any check fails.")]
    Check(CheckArgs),
    /// Print a signed Paymentwall widget (payment page) URL.
    #[command(after_help = "\
Example:
  pw-pingback widget-url --key K --secret S --widget p1_1 \\
      uid=u1 amount=4.99 currencyCode=USD ag_name='100 gems' ag_external_id=gems ag_type=fixed
prints
  https://api.paymentwall.com/api/subscription?key=K&uid=u1&widget=p1_1&amount=4.99&…&sign_version=3&sign=…

Example (a cart):
  pw-pingback widget-url --api cart --key K --secret S uid=u1 \\
      'external_ids[0]=a' 'prices[0]=3.33' 'currencies[0]=EUR'

The URL is the one pw's WidgetCall builds for the same parameters, checked the same way
(amounts: positive, no more decimals than the currency has, sent in their shortest form).
Put -- before parameters whose name starts with -.")]
    WidgetUrl(WidgetArgs),
    /// Print the Paymentwall settings table of a #[derive(Pingback)] schema in a source file.
    #[command(after_help = "\
Example:
  pw-pingback settings --file src/pingback.rs --schema GemPurchase
prints the rows to enter in Paymentwall > Project > Settings > Custom Pingback Parameters:
  | Parameter name | Value         |
  |----------------|---------------|
  | rev            | REVENUE_LOCAL |
  | campaign       | OWN           |

From a build script, run it on your schema's file; in Rust code, `GemPurchase::settings_table()`
prints the same table. The file is read, not compiled: the derive checks the schema.")]
    Settings(SettingsArgs),
    /// List the verified pingbacks a listener's schema could not decode, or replay them.
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
}

/// The project's secret key, also read from `PW_SECRET`.
#[derive(Debug, Args)]
pub struct SecretArg {
    /// The project's secret key (or set PW_SECRET); it is never printed.
    #[arg(long, env = "PW_SECRET", hide_env_values = true, value_parser = secret)]
    pub secret: SecretKey,
}

/// `sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The project's API type: virtual_currency, digital_goods or cart.
    #[arg(long, value_parser = api)]
    pub api: ApiType,
    #[command(flatten)]
    pub secret: SecretArg,
    /// The signature version: 1, 2 or 3 (cart: 2 only).
    #[arg(long, default_value = "2", value_parser = version)]
    pub version: SignatureVersion,
    /// The pingback parameters, `name=value`, decoded (the help text, with
    /// the array syntax, is the `help` below: rustdoc reads brackets as links).
    #[arg(
        value_name = "NAME=VALUE",
        value_parser = pair,
        help = "The pingback parameters, name=value (decoded values; goodsid[0]=a for arrays)"
    )]
    pub params: Vec<(String, String)>,
}

/// `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The query string, a whole URL, a POST body, or - for standard input.
    #[arg(value_name = "QUERY_OR_URL")]
    pub input: String,
    #[command(flatten)]
    pub secret: SecretArg,
    /// The project's API type: virtual_currency, digital_goods or cart.
    #[arg(long, value_parser = api)]
    pub api: ApiType,
    /// The address the pingback came from; without it the source check is skipped.
    #[arg(long, value_name = "IP")]
    pub source: Option<IpAddr>,
    /// Extra addresses or CIDR ranges allowed besides Paymentwall's (repeatable).
    #[arg(long, value_name = "NETWORK", requires = "source")]
    pub allow: Vec<String>,
    /// The lowest signature version accepted: 2 as a pw listener by default (1 to accept
    /// version 1, as Paymentwall's libraries do).
    #[arg(long, default_value = "2", value_parser = version)]
    pub min_version: SignatureVersion,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What `send` and `check` need to reach a listener.
#[derive(Debug, Args)]
pub struct Target {
    /// The listener's pingback URL (http://..., or https://... with the feature `tls`, on by default).
    pub url: String,
    #[command(flatten)]
    pub secret: SecretArg,
    /// The project's API type: virtual_currency, digital_goods or cart.
    #[arg(long, value_parser = api)]
    pub api: ApiType,
    /// Send the parameters as a form body by POST instead of a GET query.
    #[arg(long)]
    pub post: bool,
    /// The signature version: 1, 2 or 3 (cart: 2 only).
    #[arg(long, default_value = "2", value_parser = version)]
    pub version: SignatureVersion,
    /// Seconds to wait for an answer.
    #[arg(long, default_value = "10", value_name = "SECONDS")]
    pub timeout: u64,
    /// A header sent with every request, 'Name: value' (repeatable), such as
    /// -H 'X-Forwarded-For: 174.36.92.186' for a listener behind a reverse proxy.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = header)]
    pub headers: Vec<(String, String)>,
}

/// `send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub target: Target,
    /// Replace the signature with a dummy value, as the Test Pingback Tool can.
    #[arg(long)]
    pub dummy_signature: bool,
    /// The pingback parameters, name=value (decoded values).
    #[arg(value_name = "NAME=VALUE", value_parser = pair)]
    pub params: Vec<(String, String)>,
}

/// `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub target: Target,
    /// Custom parameters added to every pingback, name=value.
    #[arg(value_name = "NAME=VALUE", value_parser = pair)]
    pub params: Vec<(String, String)>,
}

/// `widget-url`.
#[derive(Debug, Args)]
pub struct WidgetArgs {
    /// The project's API type: virtual_currency, digital_goods or cart.
    #[arg(long, default_value = "digital_goods", value_parser = api)]
    pub api: ApiType,
    /// The project key.
    #[arg(long)]
    pub key: String,
    #[command(flatten)]
    pub secret: SecretArg,
    /// The signature version: 1, 2 or 3 (default 3, and 2 for cart, as Paymentwall's libraries).
    #[arg(long, value_parser = version)]
    pub version: Option<SignatureVersion>,
    /// The widget code.
    #[arg(long, default_value = "p1_1")]
    pub widget: String,
    /// Where the payment page is served (default: the API's payment page).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// The widget parameters, `name=value` (the help text, with the array
    /// syntax, is the `help` below: rustdoc reads brackets as links).
    #[arg(
        value_name = "NAME=VALUE",
        value_parser = pair,
        help = "The widget parameters, name=value: uid (required), amount, currencyCode, \
                external_ids[0], history[registration_date], ..."
    )]
    pub params: Vec<(String, String)>,
}

/// `settings`.
#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// The Rust source file that declares the schema.
    #[arg(long)]
    pub file: std::path::PathBuf,
    /// The schema struct's name (needed when the file declares several).
    #[arg(long)]
    pub schema: Option<String>,
}

fn api(text: &str) -> Result<ApiType, String> {
    text.parse().map_err(|e| format!("{e}"))
}

fn version(text: &str) -> Result<SignatureVersion, String> {
    text.parse::<u8>()
        .ok()
        .and_then(SignatureVersion::from_number)
        .ok_or_else(|| "expected 1, 2 or 3".to_owned())
}

fn secret(text: &str) -> Result<SecretKey, String> {
    if text.is_empty() {
        return Err("the secret key is empty".to_owned());
    }
    Ok(SecretKey::new(text))
}

/// `Name: value`, split at the first `:`, the value trimmed.
fn header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| "expected 'Name: value'".to_owned())?;
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(format!("`{name}` is not a header name"));
    }
    let value = value.trim();
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err("a header value cannot hold a control character".to_owned());
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// `name=value`, split at the first `=`; the value may be empty.
fn pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some(("", _)) => Err("the name before `=` is empty".to_owned()),
        Some((name, value)) => Ok((name.to_owned(), value.to_owned())),
        None => Err("expected name=value (use name= for an empty value)".to_owned()),
    }
}

/// `quarantine`: its two commands.
#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// List the quarantined pingbacks (signature masked).
    #[command(after_help = "\
Example:
  pw-pingback quarantine list --ledger sqlite:pw-quickstart.db
prints, for each pingback: its ref_type, attempts, first and last seen, the address it came
from, the decode error, and its parameters with the signature masked. --json prints one
array of objects with the same fields.")]
    List {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// Print one JSON array instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Send quarantined pingbacks to a listener again, exactly as received.
    #[command(after_help = "\
Example:
  pw-pingback quarantine replay --ledger sqlite:pw-quickstart.db --to http://127.0.0.1:8080/pingback --all
  pw-pingback quarantine replay --ledger postgres://shop@db/shop --to http://127.0.0.1:8080/pingback b7_0

The listener verifies each one as any pingback (its source check must allow this machine:
in production, run the replay from an allowed address, or call Listener::replay in your
own program), decodes it with its schema, and delivers it once: a pingback delivered
meanwhile, or by Paymentwall's retry at the same moment, is only acknowledged again.
Exit status 1 when any answer is not OK (the pingback stays in quarantine).")]
    Replay(ReplayArgs),
}

/// The listener's ledger, read only.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// The listener's ledger: sqlite:PATH, postgres://USER@HOST/DATABASE or
    /// redis://HOST:PORT (or set PW_LEDGER_URL); a password in it is never printed.
    #[arg(long, env = "PW_LEDGER_URL", hide_env_values = true)]
    pub ledger: String,
    /// The prefix of the ledger's tables or keys, as the listener's `LedgerOptions::prefix`.
    #[arg(long, default_value = "pw_")]
    pub prefix: String,
    /// PostgreSQL: the schema of the ledger's tables, as the listener's `LedgerOptions::schema`.
    #[arg(long)]
    pub schema: Option<String>,
}

/// `quarantine replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// The listener's pingback URL.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Send each one by POST (form body) instead of GET.
    #[arg(long)]
    pub post: bool,
    /// Seconds to wait for each answer.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Replay every quarantined pingback, the oldest first.
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
    /// The ref_type of each pingback to replay (as listed), e.g. b7_0.
    #[arg(value_name = "REF_TYPE", required_unless_present = "all")]
    pub ids: Vec<String>,
}
