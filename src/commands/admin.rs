//! Administrative subcommands: sent to the running server over its admin socket, or, when no
//! server answers there, carried out on the database directly.

use std::io::Write as _;

use serde_json::Value;

use super::Error;
use crate::admin::{self, Context, Reply, Request, socket};
use crate::app::{App, DB_FILE};
use crate::config::Config;

/// How to print a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Output {
    /// Aligned columns for people.
    Table,
    /// One JSON object per row.
    Json,
    /// `name: value` lines, for one record.
    Record,
}

/// Runs `request` and prints its reply.
pub(super) fn run(config: &Config, request: &Request, output: Output) -> Result<(), Error> {
    let reply = match socket::call(&config.data_dir, request) {
        Some(answer) => answer?,
        None => offline(config, request)?,
    };
    print(&reply, output);
    if reply.failed {
        return Err(admin::Error::Failed(format!("{} found problems", request.name())).into());
    }
    Ok(())
}

fn offline(config: &Config, request: &Request) -> Result<Reply, Error> {
    let file = config.data_dir.join(DB_FILE);
    // Only `user create` and `import` may make the database (accounts before the first
    // start); anything else on a missing database is more likely a wrong --data-dir.
    let creates = matches!(
        request,
        Request::UserCreate { .. } | Request::ImportDjango { .. }
    );
    if !file.exists() && !creates {
        return Err(admin::Error::Usage(format!(
            "no database at {} (is --data-dir right? `latchkey serve` creates it)",
            file.display()
        ))
        .into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            what: "starting the runtime".into(),
            source,
        })?;
    let reply = runtime.block_on(async {
        // The whole service on the database, without serving: every command takes the same
        // paths as on a running server.
        let app = App::build(config.clone()).await.map_err(|e| {
            admin::Error::Failed(format!(
                "{e} (if a server runs on this data dir, its admin socket {} should answer)",
                socket::path(&config.data_dir).display()
            ))
        })?;
        admin::execute(&Context::new(&app, false), request).await
    })?;
    Ok(reply)
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn print(reply: &Reply, output: Output) {
    let mut out = std::io::stdout().lock();
    // A closed stdout (`| head`) is not worth an error of its own.
    match output {
        Output::Json => {
            for row in &reply.rows {
                let _ = writeln!(out, "{}", Value::Object(row.clone()));
            }
        }
        Output::Record => {
            for row in &reply.rows {
                let width = row.keys().map(String::len).max().unwrap_or(0);
                for (name, value) in row {
                    let shown = match value {
                        Value::Object(_) | Value::Array(_) => {
                            serde_json::to_string_pretty(value).unwrap_or_default()
                        }
                        other => text(other),
                    };
                    let _ = writeln!(out, "{name:<width$}  {shown}");
                }
            }
        }
        Output::Table => {
            if let Some(first) = reply.rows.first() {
                let columns: Vec<&String> = first.keys().collect();
                let cells: Vec<Vec<String>> = reply
                    .rows
                    .iter()
                    .map(|r| {
                        columns
                            .iter()
                            .map(|c| r.get(*c).map(text).unwrap_or_default())
                            .collect()
                    })
                    .collect();
                let widths: Vec<usize> = columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        cells
                            .iter()
                            .map(|r| r[i].len())
                            .chain([c.len()])
                            .max()
                            .unwrap_or(0)
                    })
                    .collect();
                let line = |values: Vec<&str>| {
                    let padded: Vec<String> = values
                        .iter()
                        .zip(&widths)
                        .map(|(v, w)| format!("{v:<w$}"))
                        .collect();
                    padded.join("  ").trim_end().to_owned()
                };
                let header = columns.iter().map(|c| c.to_uppercase()).collect::<Vec<_>>();
                let _ = writeln!(out, "{}", line(header.iter().map(String::as_str).collect()));
                for row in &cells {
                    let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
                }
            }
        }
    }
    if let Some(message) = &reply.message {
        // JSON lines stay machine-readable: the sentence for people goes to stderr.
        if output == Output::Json {
            eprintln!("{message}");
        } else {
            let _ = writeln!(out, "{message}");
        }
    }
}
