//! A round-robin TCP balancer: one address in front of several listener
//! instances, the smallest stand-in for a load balancer, to run two
//! quickstart instances behind one address on one machine
//! (`examples/balance.rs`; the tests use it too).
//!
//! Each accepted connection goes to the next backend in turn, or to the one
//! after it when that one does not accept: a connection is never split
//! between instances, so HTTP keep-alive works as it does behind a real
//! balancer. It forwards bytes only (no `X-Forwarded-For`): the instances
//! see the balancer's address as the peer.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let front = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let backends = vec!["127.0.0.1:8081".parse().unwrap(), "127.0.0.1:8082".parse().unwrap()];
//! pw_examples::balance::run(front, backends).await?;
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};

/// Accepts connections on `front` forever and forwards each to the next
/// of `backends` that accepts it (round robin).
///
/// # Errors
///
/// When `front` fails to accept; a backend that fails only loses its turn.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let front = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// println!("balancing on {}", front.local_addr()?);
/// pw_examples::balance::run(front, vec!["127.0.0.1:8081".parse().unwrap()]).await?;
/// # Ok(()) }
/// ```
pub async fn run(front: TcpListener, backends: Vec<SocketAddr>) -> std::io::Result<()> {
    let backends: Arc<[SocketAddr]> = backends.into();
    let mut turn = 0;
    loop {
        let (client, _) = front.accept().await?;
        let first = turn;
        turn = (turn + 1) % backends.len().max(1);
        tokio::spawn(forward(client, Arc::clone(&backends), first));
    }
}

/// Connects to the backend of turn `first` (or the next that accepts) and
/// copies bytes both ways until either side closes.
async fn forward(mut client: TcpStream, backends: Arc<[SocketAddr]>, first: usize) {
    let _ = client.set_nodelay(true);
    for offset in 0..backends.len() {
        let backend = backends[(first + offset) % backends.len()];
        if let Ok(mut upstream) = TcpStream::connect(backend).await {
            let _ = upstream.set_nodelay(true);
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            return;
        }
        tracing::warn!(%backend, "backend refused the connection; trying the next");
    }
    tracing::warn!("no backend accepted the connection");
}
