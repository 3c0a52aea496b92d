//! Accepting connections: Brigade's own loop around hyper's HTTP/1 server, because
//! axum's `serve` sets no limits on the connection itself.
//!
//! - A client has `--header-timeout-secs` (5 s) to send a request's head, and as long to
//!   start the next request on a kept-alive connection; then the connection is closed. A
//!   connection that opens and sends nothing, or sends one header line a second
//!   (slowloris), holds nothing for long. The body has the request timeout (30 s).
//! - Each client IP may hold `--max-connections-per-ip` connections at once; one more is
//!   closed as soon as it is accepted. Behind a trusted proxy every connection comes from
//!   the proxy, so the cap is the proxy's to set and is not applied here.
//! - On shutdown the listener stops accepting, connections finish the request they are
//!   in, and WebSockets are told goodbye by the hub.

use crate::AppState;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Open connections per client IP.
#[derive(Default)]
struct PerIp(Mutex<HashMap<IpAddr, usize>>);

/// One connection counted against its IP until dropped.
struct Slot {
    ip: IpAddr,
    counts: Arc<PerIp>,
}

impl PerIp {
    fn take(self: &Arc<Self>, ip: IpAddr, cap: usize) -> Option<Slot> {
        let mut open = self.0.lock();
        let n = open.entry(ip).or_default();
        if cap > 0 && *n >= cap {
            return None;
        }
        *n += 1;
        Some(Slot { ip, counts: self.clone() })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.counts.0.lock();
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then waits for open requests.
pub async fn serve(
    state: &AppState,
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let header_timeout = Duration::from_secs(state.config.header_timeout_secs);
    let cap = if state.config.trust_proxy { 0 } else { state.config.max_connections_per_ip };
    let counts = Arc::new(PerIp::default());
    // Shutdown tells every connection to finish; each holds a `done` sender, so the
    // receiver ends when the last one has.
    let (closing, _) = tokio::sync::watch::channel(false);
    let (done, mut all_done) = tokio::sync::mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(slot) = counts.take(peer.ip(), cap) else {
            tracing::debug!(ip = %peer.ip(), "too many connections from one address; closed");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let mut closing = closing.subscribe();
        let done = done.clone();
        tokio::spawn(async move {
            tokio::pin!(conn);
            let ended = tokio::select! {
                ended = conn.as_mut() => ended,
                _ = closing.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop((slot, done));
        });
    }
    drop(listener);
    let _ = closing.send(true);
    drop(done);
    let _ = all_done.recv().await;
    Ok(())
}
