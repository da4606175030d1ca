//! `quarantine list` and `quarantine replay`: the verified pingbacks a
//! listener's schema could not decode, read from its ledger, and sent to
//! the listener again (for example after a schema fix).
//!
//! The command only reads the ledger; the listener that receives a replay
//! delivers it (and takes it out of quarantine) through its own ledger
//! claim, so a replay and Paymentwall's own retry deliver once.

use std::time::{Duration, SystemTime};

use pw_runtime::ledger::{
    Ledger, LedgerError, LedgerOptions, PostgresLedger, Quarantined, RedisLedger, SqliteLedger,
};
use pw_runtime::time::format_description::well_known::Rfc3339;
use pw_runtime::time::OffsetDateTime;
use pw_runtime::UniqueRef;

use crate::args::{LedgerArgs, QuarantineCommand, ReplayArgs};
use crate::http::Client;
use crate::Outcome;

/// Runs `quarantine list` or `quarantine replay`.
pub fn run(command: QuarantineCommand) -> Result<Outcome, String> {
    match command {
        QuarantineCommand::List { ledger, json } => {
            let kept = read(&ledger)?;
            if json {
                println!("{}", as_json(&kept));
            } else {
                print!("{}", as_text(&kept));
            }
            Ok(Outcome::Success)
        }
        QuarantineCommand::Replay(args) => replay(&args),
    }
}

/// Sends the chosen quarantined pingbacks to the listener, one at a time,
/// and prints each answer.
fn replay(args: &ReplayArgs) -> Result<Outcome, String> {
    let kept = read(&args.ledger)?;
    let wanted: Vec<UniqueRef> = args
        .ids
        .iter()
        .map(|id| {
            id.parse()
                .map_err(|err| format!("`{id}` is not a ref_type such as b7_0: {err}"))
        })
        .collect::<Result<_, _>>()?;
    let chosen: Vec<&Quarantined> = kept
        .iter()
        .filter(|entry| args.all || wanted.contains(entry.id()))
        .collect();
    for id in &wanted {
        if !kept.iter().any(|entry| entry.id() == id) {
            return Err(format!(
                "{id} is not in quarantine (delivered already, or never kept); \
                 `pw-pingback quarantine list` shows what is"
            ));
        }
    }
    let client = Client::new(&args.to, args.post, Duration::from_secs(args.timeout), &[])?;
    let mut acknowledged = 0;
    for entry in &chosen {
        let answer = client.deliver(entry.query())?;
        let verdict = if answer.acknowledged() {
            acknowledged += 1;
            "acknowledged"
        } else {
            "not acknowledged, still in quarantine"
        };
        println!("{}  {verdict}: {}", entry.id(), answer.summary());
    }
    println!(
        "{acknowledged} of {} replayed pingbacks answered OK",
        chosen.len()
    );
    Ok(if acknowledged == chosen.len() {
        Outcome::Success
    } else {
        Outcome::Negative
    })
}

/// The quarantine of the ledger `args` names.
fn read(args: &LedgerArgs) -> Result<Vec<Quarantined>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the runtime: {err}"))?;
    let url = args.ledger.as_str();
    let shown = shown_url(url);
    let failed = |err: LedgerError| format!("the ledger {shown}: {err}");
    let mut options = LedgerOptions::new().prefix(args.prefix.as_str());
    if let Some(schema) = &args.schema {
        options = options.schema(schema.as_str());
    }
    runtime.block_on(async {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if !std::path::Path::new(path).exists() {
                return Err(format!("the ledger {shown}: no such file"));
            }
            // Read only: the listener's process owns the ledger file.
            SqliteLedger::quarantined_in_file(path, &options).map_err(failed)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let ledger = PostgresLedger::connect(url, options)
                .await
                .map_err(failed)?;
            ledger.quarantined().await.map_err(failed)
        } else if url.starts_with("redis://") || url.starts_with("rediss://") {
            // Only read here: the listener's own ledger keeps the promise.
            let ledger = RedisLedger::connect(url, options.accept_redis_data_loss())
                .await
                .map_err(failed)?;
            ledger.quarantined().await.map_err(failed)
        } else {
            Err(format!(
                "--ledger {shown}: expected sqlite:PATH, postgres://USER@HOST/DATABASE or \
                 redis://HOST:PORT, the ledger URL the listener uses"
            ))
        }
    })
}

/// The URL with any password replaced by `***`.
fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

fn timestamp(time: SystemTime) -> String {
    OffsetDateTime::from(time)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "?".to_owned())
}

/// One block per pingback; the signature masked.
fn as_text(kept: &[Quarantined]) -> String {
    let mut text = match kept.len() {
        0 => "no quarantined pingbacks\n".to_owned(),
        1 => "1 quarantined pingback\n".to_owned(),
        n => format!("{n} quarantined pingbacks\n"),
    };
    for entry in kept {
        text.push_str(&format!(
            "\n{}  attempts {}  first seen {}  last seen {}  from {}\n  error:  {}\n  params: {}\n",
            entry.id(),
            entry.attempts(),
            timestamp(entry.first_seen()),
            timestamp(entry.last_seen()),
            entry.client(),
            entry.error(),
            entry.masked_query(),
        ));
    }
    text
}

/// One JSON array; the signature masked.
fn as_json(kept: &[Quarantined]) -> String {
    let entries: Vec<serde_json::Value> = kept
        .iter()
        .map(|entry| {
            serde_json::json!({
                "id": entry.id().to_string(),
                "ref": entry.id().reference,
                "type": entry.id().kind.code(),
                "attempts": entry.attempts(),
                "first_seen": timestamp(entry.first_seen()),
                "last_seen": timestamp(entry.last_seen()),
                "client": entry.client().to_string(),
                "error": entry.error(),
                "params": entry.masked_query(),
            })
        })
        .collect();
    serde_json::Value::Array(entries).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_ledger_url_is_not_shown() {
        assert_eq!(
            shown_url("postgres://shop:hunter2@db/shop"),
            "postgres://shop:***@db/shop"
        );
        assert_eq!(shown_url("sqlite:pw.db"), "sqlite:pw.db");
    }

    #[test]
    fn a_listing_masks_the_signature() {
        let entry = Quarantined::new(
            "b7_0".parse().unwrap(),
            "uid=u1&type=0&ref=b7&sig=0123456789abcdef",
            [127, 0, 0, 1].into(),
            "parameter `paid_currency` ...",
            SystemTime::UNIX_EPOCH,
        );
        for shown in [as_text(std::slice::from_ref(&entry)), as_json(&[entry])] {
            assert!(shown.contains("b7_0"), "{shown}");
            assert!(shown.contains("sig=***"), "{shown}");
            assert!(!shown.contains("0123456789abcdef"), "{shown}");
        }
    }
}
