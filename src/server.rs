//! The accept loop: connection cap, timeouts, HTTP/1.1 and h2c, and a graceful drain.
//!
//! `serve` takes the shutdown trigger as any future, so `main` passes SIGINT/SIGTERM and tests
//! can pass their own. On the trigger the listener is dropped (no new connections), in-flight
//! requests get up to `server.shutdown_grace` to finish, and `serve` returns, dropping its
//! handle on the [`App`].

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use crate::app::App;
use crate::http;

/// Serves `app` on `listener` until `shutdown` completes, then drains.
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    accept(listener, &app, &graceful, shutdown).await;
    drain(graceful, app.config.server.shutdown_grace).await;
}

/// The HTTP/1.1 and HTTP/2 settings every connection gets.
fn protocols(limits: &crate::config::Server) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // Without a timer hyper silently ignores the header read timeout.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes);
    // HTTP/2 peers that stop answering pings are dropped after the same delay.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_timeout)
        .keep_alive_timeout(limits.header_timeout)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
    builder
}

/// The listener: accepts until `shutdown`, at most `server.max_connections` at once, and
/// hands each connection to [`connection`]. The listener is dropped on return.
async fn accept(
    listener: TcpListener,
    app: &Arc<App>,
    graceful: &GracefulShutdown,
    shutdown: impl Future<Output = ()>,
) {
    let limits = &app.config.server;
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let builder = protocols(limits);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        // The semaphore is never closed.
        let Ok(slot) = slot else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        connection(stream, peer, app.clone(), &builder, graceful, slot);
    }
}

/// One connection, on a task of its own: errors are logged there and never end the accept
/// loop; its slot is freed when it closes.
fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Arc<App>,
    builder: &auto::Builder<TokioExecutor>,
    graceful: &GracefulShutdown,
    slot: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let first_deadline = app.config.server.header_timeout;
    let first_request = Arc::new(Notify::new());
    let arrived = first_request.clone();
    let service = service_fn(move |req| {
        let app = app.clone();
        arrived.notify_one();
        async move { Ok::<_, Infallible>(http::handle(&app, req, peer).await) }
    });
    let connection = graceful.watch(
        builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned(),
    );
    tokio::spawn(async move {
        let mut connection = std::pin::pin!(connection);
        // hyper's header timer starts only once it knows the protocol; a client that sends
        // nothing at all would hold its slot forever without this deadline.
        let outcome = tokio::select! {
            outcome = &mut connection => Some(outcome),
            () = first_request.notified() => None,
            () = tokio::time::sleep(first_deadline) => {
                tracing::debug!(peer = %peer, "no request in time: closing");
                drop(slot);
                return;
            }
        };
        let outcome = match outcome {
            Some(outcome) => outcome,
            None => connection.await,
        };
        if let Err(e) = outcome {
            tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
        }
        drop(slot);
    });
}

/// The drain: in-flight requests get up to `grace` to finish.
async fn drain(graceful: GracefulShutdown, grace: std::time::Duration) {
    tracing::info!(
        grace_secs = grace.as_secs(),
        "shutting down: draining requests"
    );
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all requests finished"),
        () = tokio::time::sleep(grace) => tracing::warn!("shutdown grace elapsed with requests still running"),
    }
}
