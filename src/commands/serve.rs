//! `latchkey serve`: start-up, the background tasks, and the shutdown order.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::Error;
use crate::app::App;
use crate::config::{Config, LogFormat};
use crate::{admin, server, sweeper};

/// Sets up logging to stderr from `[log]`.
fn init_logging(config: &Config) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(&config.log.level).unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (only possible in tests) keeps the first subscriber.
    let _ = match config.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Runs the service until SIGINT or SIGTERM.
pub(super) fn run(mut config: Config) -> Result<(), Error> {
    init_logging(&config);
    let io = |what: &str| {
        let what = what.to_owned();
        move |source| Error::Io { what, source }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(io("starting the runtime"))?;
    runtime.block_on(async {
        let listen = config.server.listen;
        let listener = TcpListener::bind(listen)
            .await
            .map_err(io(&format!("listening on {listen}")))?;
        let addr = listener
            .local_addr()
            .map_err(io("reading the listen address"))?;
        if config.server.public_url_from_listen {
            config.server.public_url = format!("http://{addr}");
        }
        let app = Arc::new(App::build(config).await?);
        let stop = CancellationToken::new();
        // Bound before the service says it listens, so that whoever waits for that line can
        // administer it at once.
        let admin = match admin::socket::bind(&app.config.data_dir) {
            Ok(socket) => Some(tokio::spawn(admin::socket::serve(
                socket,
                app.clone(),
                stop.clone(),
            ))),
            Err(e) => {
                // Serving matters more than administering: the CLI says what is wrong.
                tracing::error!(error = %e, "admin socket unavailable; administrative commands cannot reach this server");
                None
            }
        };
        println!("listening on http://{addr}");
        println!("data in {}", app.config.data_dir.display());
        println!("mail goes to {}", app.outbox.describe());
        tracing::info!(%addr, "latchkey started");
        let worker = tokio::spawn(
            app.outbox
                .clone()
                .run(stop.clone(), app.config.server.shutdown_grace),
        );
        let sweeper = tokio::spawn(sweeper::run(app.clone(), stop.clone()));
        server::serve(listener, app.clone(), shutdown_signal()).await;
        stop.cancel();
        let _ = tokio::join!(worker, sweeper);
        if let Some(admin) = admin {
            let _ = admin.await;
        }
        // Last handle: the store closes here, before the process exits.
        drop(app);
        tracing::info!("stopped");
        Ok(())
    })
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
