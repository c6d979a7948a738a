//! The sweeper: now and then, forgets expired codes, sessions and send records, and re-reads
//! the signing keys. Each step is a small write transaction of its own (`rules::sweep`), so
//! it never holds up requests for long however much has expired; it backs off when the store
//! fails.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::rules::sweep::{self, BATCH, Purged};

/// How often expired records are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Pause between two steps of one sweep: requests waiting for the write path go first.
const BETWEEN_STEPS: Duration = Duration::from_millis(5);

/// Sweeps every [`SWEEP_EVERY`] until `stop`.
pub async fn run(app: Arc<App>, stop: CancellationToken) {
    let mut pause = SWEEP_EVERY;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
        // Keys change without a restart: a staged key starts signing on its own, but a key
        // rotated by another process, or one whose tokens have all expired, is seen here.
        if let Err(e) = app
            .keys
            .reload(&app.config, app.store.as_ref(), app.now())
            .await
        {
            tracing::warn!(error = %e, "reloading the signing keys failed; keeping the ones in use");
        }
        pause = match sweep_all(&app, &stop).await {
            Ok(total) => {
                if total.codes + total.sessions + total.sends + total.audit > 0 {
                    tracing::info!(
                        codes = total.codes,
                        sessions = total.sessions,
                        sends = total.sends,
                        audit_entries = total.audit,
                        "swept expired records"
                    );
                }
                SWEEP_EVERY
            }
            Err(e) => {
                tracing::warn!(error = %e, "sweep failed; trying again later");
                SWEEP_EVERY * 2
            }
        };
    }
}

/// Steps until nothing expired is left (or `stop`).
pub async fn sweep_all(app: &App, stop: &CancellationToken) -> Result<Purged, crate::store::Error> {
    let interval = app.config.codes.resend_interval.as_secs();
    let retention = app.config.audit_retention.as_secs();
    let mut total = Purged::default();
    loop {
        let now = app.now();
        let purged = app
            .write(move |tx, w| sweep::step(tx, w, now, (interval, retention), BATCH))
            .await?;
        total.codes += purged.codes;
        total.sessions += purged.sessions;
        total.sends += purged.sends;
        total.audit += purged.audit;
        if !purged.more(BATCH) || stop.is_cancelled() {
            return Ok(total);
        }
        tokio::time::sleep(BETWEEN_STEPS).await;
    }
}
