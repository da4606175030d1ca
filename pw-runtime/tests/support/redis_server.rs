//! A Redis server of the test's own, with the persistence `RedisLedger`
//! requires (`appendonly yes`, `appendfsync always`), on a free loopback
//! port and a temporary directory; stopped and removed when dropped.
//!
//! `PW_TEST_REDIS_SERVER` names the `redis-server` binary (default: the one
//! on `PATH`). When it cannot start, the test fails under `CI=true` and is
//! skipped with a notice otherwise.

#![allow(dead_code)]

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server` child process.
pub struct RedisServer {
    child: Child,
    dir: PathBuf,
    /// `redis://127.0.0.1:<port>` (`rediss://` when it serves TLS).
    pub url: String,
    pub port: u16,
}

impl RedisServer {
    /// Starts one; `None` (after a notice) when it cannot start outside CI.
    pub fn start() -> Option<RedisServer> {
        Self::start_with(&["--appendonly", "yes", "--appendfsync", "always"])
    }

    /// Starts one that serves TLS only (`rediss://`), with the server
    /// certificate `cert.pem` and key `key.pem` in `certs`.
    pub fn start_tls(certs: &std::path::Path) -> Option<RedisServer> {
        Self::start_serving(
            &["--appendonly", "yes", "--appendfsync", "always"],
            Some(certs),
        )
    }

    /// Starts one with these persistence settings instead.
    pub fn start_with(persistence: &[&str]) -> Option<RedisServer> {
        Self::start_serving(persistence, None)
    }

    fn start_serving(persistence: &[&str], tls: Option<&std::path::Path>) -> Option<RedisServer> {
        match Self::try_start(persistence, tls) {
            Ok(server) => Some(server),
            Err(error) => {
                let message = format!(
                    "cannot start a redis-server with AOF for this test ({error}); install \
                     redis-server or point PW_TEST_REDIS_SERVER at one"
                );
                if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                    panic!("{message}");
                }
                eprintln!("notice: skipping this test: {message}");
                None
            }
        }
    }

    fn try_start(
        persistence: &[&str],
        tls: Option<&std::path::Path>,
    ) -> Result<RedisServer, String> {
        let binary =
            std::env::var("PW_TEST_REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned());
        let mut last_error = String::new();
        // A port found free may be taken before the server binds it: try a few.
        for _ in 0..5 {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|listener| listener.local_addr())
                .map_err(|error| format!("no free port: {error}"))?
                .port();
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.subsec_nanos());
            let dir = std::env::temp_dir()
                .join(format!("pw-redis-{}-{port}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&dir).map_err(|error| format!("{}: {error}", dir.display()))?;
            let mut command = Command::new(&binary);
            match tls {
                None => command.args(["--port", &port.to_string()]),
                Some(certs) => command
                    .args(["--port", "0", "--tls-port", &port.to_string()])
                    .arg("--tls-cert-file")
                    .arg(certs.join("cert.pem"))
                    .arg("--tls-key-file")
                    .arg(certs.join("key.pem"))
                    .args(["--tls-auth-clients", "no"]),
            };
            let child = command
                .args(["--bind", "127.0.0.1"])
                .args(persistence)
                .args(["--save", "", "--daemonize", "no", "--protected-mode", "yes"])
                .arg("--dir")
                .arg(&dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|error| format!("`{binary}`: {error}"))?;
            let mut server = RedisServer {
                child,
                dir,
                url: format!(
                    "{}://127.0.0.1:{port}",
                    if tls.is_some() { "rediss" } else { "redis" }
                ),
                port,
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = server.child.try_wait() {
                    last_error = format!("`{binary}` exited with {status} (port {port})");
                    break;
                }
                if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
                    return Ok(server);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if last_error.is_empty() {
                last_error = format!("`{binary}` did not listen on port {port} within 10 s");
            }
            let _ = server.child.kill();
        }
        Err(last_error)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
