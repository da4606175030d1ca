//! Paymentwall's Test Pingback Tool checklist (`pw-pingback check`, the
//! real binary) against the quickstart's listener (axum, SQLite ledger,
//! development mode) on `127.0.0.1:0` with a temporary SQLite file: every
//! check passes, and the shop granted and revoked exactly once.

use pw_examples::quickstart::{self, Settings, CHECK_ARGUMENTS, DEVELOPMENT_KEY};
use std::path::PathBuf;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// A SQLite file path of its own in the temporary directory, removed (with
/// its WAL files) on drop.
struct TempDatabase(PathBuf);

impl TempDatabase {
    fn new() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("pw-quickstart-check-{}-{nanos}.db", std::process::id());
        TempDatabase(std::env::temp_dir().join(name))
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

#[test]
fn pw_pingback_check_passes_against_the_quickstart() {
    let database = TempDatabase::new();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let settings = Settings::development("127.0.0.1:0".parse().unwrap(), database.0.clone());
    let server = runtime.block_on(quickstart::start(&settings)).unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_pw-pingback"))
        .args([
            "check",
            &server.url,
            "--secret",
            DEVELOPMENT_KEY,
            "--api",
            "digital_goods",
        ])
        .args(CHECK_ARGUMENTS)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("5 of 5 checks passed"), "{stdout}");
    assert_eq!(stdout.matches("PASS").count(), 5, "{stdout}");

    // One payment granted once (check 2 is its duplicate), then revoked by
    // the chargeback (check 4), in the shop's own table.
    let shop = server.shop.clone();
    let (grants, revoked) = runtime.block_on(async { (shop.grants().await, shop.revoked().await) });
    assert_eq!(grants.unwrap(), 1);
    assert_eq!(revoked.unwrap(), 1);

    // The same checklist with another key fails check 1 (403), and grants nothing.
    let output = Command::new(env!("CARGO_BIN_EXE_pw-pingback"))
        .args([
            "check",
            &server.url,
            "--secret",
            "not-the-key",
            "--api",
            "digital_goods",
        ])
        .args(CHECK_ARGUMENTS)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL  1.") && stdout.contains("HTTP 403"),
        "{stdout}"
    );
    let grants = runtime.block_on(shop.grants()).unwrap();
    assert_eq!(grants, 1);
    server.task.abort();
}
