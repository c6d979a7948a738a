//! The admin socket: a Unix socket in the data directory that only the owner of the files can
//! use. Permissions are its only authentication (anyone who can open it could read the
//! database file anyway), so it is created owner-only from the start: bound inside a fresh
//! 0700 directory, set to 0600, and only then renamed into place.
//!
//! The protocol is one JSON [`Request`] per connection, on one line, answered by one JSON line:
//! `{"Ok": Reply}` or `{"Err": Error}`. Requests are small; anything that is not one complete
//! line of at most [`MAX_REQUEST`] bytes within [`READ_TIMEOUT`] gets an error answer.

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;

use super::{Context, Error, Reply, Request, execute};
use crate::app::App;

/// The socket's file name inside the data directory.
pub const SOCKET: &str = "admin.sock";
/// The largest request accepted.
pub const MAX_REQUEST: u64 = 64 * 1024;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the CLI waits for an answer (a rotation or a listing of many users).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// Where the socket of the data directory `data_dir` is.
#[must_use]
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET)
}

/// Binds the socket owner-only, replacing a stale one a crashed server left.
pub fn bind(data_dir: &Path) -> std::io::Result<UnixListener> {
    let target = path(data_dir);
    if target.exists() {
        if std::os::unix::net::UnixStream::connect(&target).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!("{} is answered by another process", target.display()),
            ));
        }
        std::fs::remove_file(&target)?;
    }
    let staging = data_dir.join(format!(".admin-{}", &crate::random::id()[..12]));
    std::fs::DirBuilder::new().mode(0o700).create(&staging)?;
    let bound = (|| {
        let inner = staging.join(SOCKET);
        let listener = UnixListener::bind(&inner)?;
        std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o600))?;
        std::fs::rename(&inner, &target)?;
        Ok(listener)
    })();
    let _ = std::fs::remove_dir_all(&staging);
    bound
}

/// Answers requests on `listener` until `stop`, then removes the socket file.
pub async fn serve(listener: UnixListener, app: Arc<App>, stop: CancellationToken) {
    loop {
        let stream = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "admin socket: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let app = app.clone();
        tokio::spawn(async move {
            if let Err(e) = answer(stream, &app).await {
                tracing::debug!(error = %e, "admin socket: connection ended early");
            }
        });
    }
    let _ = std::fs::remove_file(path(&app.config.data_dir));
}

async fn answer(stream: UnixStream, app: &App) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = Vec::new();
    let mut limited = tokio::io::BufReader::new(read).take(MAX_REQUEST + 1);
    let read = tokio::time::timeout(READ_TIMEOUT, limited.read_until(b'\n', &mut line)).await;
    let answer: Result<Reply, Error> = match read {
        Err(_) => Err(Error::Usage("the request did not arrive in time".into())),
        Ok(Err(e)) => return Err(e),
        Ok(Ok(_)) if line.len() as u64 > MAX_REQUEST => Err(Error::Usage(format!(
            "the request is larger than {MAX_REQUEST} bytes"
        ))),
        Ok(Ok(_)) if !line.ends_with(b"\n") => Err(Error::Usage(
            "the request ended before its end of line".into(),
        )),
        Ok(Ok(_)) => match serde_json::from_slice::<Request>(&line) {
            Err(e) => Err(Error::Usage(format!("not a request: {e}"))),
            Ok(request) => {
                tracing::info!(op = request.name(), "admin request");
                let cx = Context::new(app, true);
                execute(&cx, &request).await
            }
        },
    };
    let mut text = serde_json::to_vec(&answer).unwrap_or_default();
    text.push(b'\n');
    write.write_all(&text).await?;
    write.shutdown().await
}

/// Sends `request` to the server answering on `data_dir`'s socket. `None` when no server
/// answers there (there is no socket, or it is stale): the caller then opens the database.
#[must_use]
pub fn call(data_dir: &Path, request: &Request) -> Option<Result<Reply, Error>> {
    let socket = path(data_dir);
    let mut stream = match std::os::unix::net::UnixStream::connect(&socket) {
        Ok(stream) => stream,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Some(Err(Error::Failed(format!(
                "{} refuses this user ({e}): run the command as the user the server runs as",
                socket.display()
            ))));
        }
        Err(_) => return None,
    };
    let failed = |e: &dyn std::fmt::Display| Some(Err(Error::Failed(format!("admin socket: {e}"))));
    let mut text = match serde_json::to_vec(request) {
        Ok(text) => text,
        Err(e) => return failed(&e),
    };
    text.push(b'\n');
    if let Err(e) = stream
        .set_read_timeout(Some(ANSWER_TIMEOUT))
        .and_then(|()| stream.write_all(&text))
    {
        return failed(&e);
    }
    let mut line = String::new();
    // The answer can be long (a listing); it is bounded by what the server sends.
    match BufReader::new(&mut stream).read_line(&mut line) {
        Ok(0) => failed(&"the server closed the connection without an answer"),
        Ok(_) => match serde_json::from_str::<Result<Reply, Error>>(&line) {
            Ok(answer) => Some(answer),
            Err(e) => failed(&format!("unreadable answer: {e}")),
        },
        Err(e) => failed(&e),
    }
}
