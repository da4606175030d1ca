//! What the tests of `pw-pingback` share: running the binary, and the
//! quickstart's listener (development mode) on `127.0.0.1:0` with a SQLite
//! ledger file of its own.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use pw_examples::quickstart::{self, Server, Settings};
use tokio::runtime::Runtime;

/// Runs the binary with `args` (and no `PW_SECRET` from the environment).
pub fn pw_pingback(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pw-pingback"))
        .args(args)
        .env_remove("PW_SECRET")
        .output()
        .expect("the binary runs")
}

/// What the binary printed on standard output.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

/// What the binary printed on standard error.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 output")
}

/// A SQLite file path of its own in the temporary directory, removed (with
/// its WAL files) on drop.
pub struct TempDatabase(pub PathBuf);

impl TempDatabase {
    /// A path named after `test`, this process and the time.
    pub fn new(test: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("pw-{test}-{}-{nanos}.db", std::process::id());
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

/// The quickstart serving on a runtime of its own; its server task is
/// stopped, and its ledger file removed, on drop.
pub struct Quickstart {
    pub server: Server,
    pub settings: Settings,
    pub runtime: Runtime,
    pub database: TempDatabase,
}

impl Quickstart {
    /// Starts the quickstart in development mode on `127.0.0.1:0` with a
    /// ledger file named after `test`, on `workers` runtime threads.
    pub fn start(test: &str, workers: usize) -> Self {
        let database = TempDatabase::new(test);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .unwrap();
        let settings = Settings::development("127.0.0.1:0".parse().unwrap(), database.0.clone());
        let server = runtime.block_on(quickstart::start(&settings)).unwrap();
        Quickstart {
            server,
            settings,
            runtime,
            database,
        }
    }
}

impl Drop for Quickstart {
    fn drop(&mut self) {
        self.server.task.abort();
    }
}
