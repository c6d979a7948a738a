//! Where each setting came from: defaults, then the file, then `LATCHKEY_*` variables, then
//! command-line flags, merged into one TOML table and read into a [`FileConfig`]. Every key
//! remembers its source, so an error can name the file, the variable or the flag to fix.

use std::collections::HashMap;
use std::path::Path;

use toml::{Table, Value};

use super::Error;
use super::file::FileConfig;

/// The prefix of every environment variable latchkey reads.
pub const ENV_PREFIX: &str = "LATCHKEY_";

/// Where a key's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Not set anywhere: the default.
    Default,
    /// The configuration file at this path.
    File(String),
    /// This environment variable.
    Env(String),
    /// This command-line flag.
    Flag(&'static str),
}

impl Origin {
    /// How to name the source in a message.
    #[must_use]
    pub fn label(&self) -> &str {
        match self {
            Self::Default => "default",
            Self::File(path) => path,
            Self::Env(name) => name,
            Self::Flag(flag) => flag,
        }
    }
}

/// The source of every key that was set, by dotted path (`mail.smtp.port`).
#[derive(Clone, Debug, Default)]
pub struct Origins(HashMap<String, Origin>);

impl Origins {
    /// The source of the key at `path`.
    #[must_use]
    pub fn of(&self, path: &str) -> &Origin {
        self.0.get(path).unwrap_or(&Origin::Default)
    }
}

/// Values given on the command line, which beat everything else.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `--data-dir`
    pub data_dir: Option<String>,
    /// `serve --listen`
    pub listen: Option<String>,
}

/// Merges the sources and reads the result as a [`FileConfig`].
pub fn merge(
    file: Option<(&Path, &str)>,
    env: impl IntoIterator<Item = (String, String)>,
    flags: &Flags,
) -> Result<(FileConfig, Origins), Error> {
    let defaults = Table::try_from(FileConfig::default())
        .map_err(|e| Error::Internal(format!("defaults do not serialize: {e}")))?;
    let mut table = Table::new();
    let mut origins = Origins::default();
    if let Some((path, text)) = file {
        let label = path.display().to_string();
        table = toml::from_str(text).map_err(|e| Error::Syntax {
            file: label.clone(),
            message: e.to_string(),
        })?;
        record_leaves(&table, "", &Origin::File(label), &mut origins);
    }
    let mut env: Vec<_> = env
        .into_iter()
        .filter(|(name, _)| name.starts_with(ENV_PREFIX))
        .collect();
    env.sort();
    for (name, raw) in env {
        let path: Vec<String> = name[ENV_PREFIX.len()..]
            .split("__")
            .map(str::to_ascii_lowercase)
            .collect();
        let Some(default) = lookup(&defaults, &path) else {
            return Err(Error::UnknownVariable(name));
        };
        let value = typed_like(default, &raw).map_err(|message| Error::Value {
            origin: name.clone(),
            key: path.join("."),
            message,
        })?;
        set(&mut table, &path, value);
        origins.0.insert(path.join("."), Origin::Env(name));
    }
    let flag_values = [
        ("--data-dir", "storage.data_dir", &flags.data_dir),
        ("--listen", "server.listen", &flags.listen),
    ];
    for (flag, key, value) in flag_values {
        if let Some(value) = value {
            let path: Vec<String> = key.split('.').map(str::to_owned).collect();
            set(&mut table, &path, Value::String(value.clone()));
            origins.0.insert(key.to_owned(), Origin::Flag(flag));
        }
    }
    let parsed = serde_path_to_error::deserialize(Value::Table(table)).map_err(|e| {
        let key = e.path().to_string();
        Error::Value {
            origin: origins.of(&key).label().to_owned(),
            key,
            message: e.inner().to_string(),
        }
    })?;
    Ok((parsed, origins))
}

fn record_leaves(table: &Table, prefix: &str, origin: &Origin, origins: &mut Origins) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Table(inner) => record_leaves(inner, &path, origin, origins),
            _ => {
                origins.0.insert(path, origin.clone());
            }
        }
    }
}

/// The default value at `path`, if `path` names a setting (not a section).
fn lookup<'a>(table: &'a Table, path: &[String]) -> Option<&'a Value> {
    let (last, sections) = path.split_last()?;
    let mut table = table;
    for section in sections {
        table = table.get(section)?.as_table()?;
    }
    table.get(last).filter(|v| !v.is_table())
}

fn set(table: &mut Table, path: &[String], value: Value) {
    let Some((last, sections)) = path.split_last() else {
        return;
    };
    let mut table = table;
    for section in sections {
        let entry = table
            .entry(section.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        let Value::Table(inner) = entry else { return };
        table = inner;
    }
    table.insert(last.clone(), value);
}

/// Reads an environment string as the TOML type the default of its key has.
fn typed_like(default: &Value, raw: &str) -> Result<Value, String> {
    match default {
        Value::Integer(_) => raw
            .trim()
            .parse::<i64>()
            .map(Value::Integer)
            .map_err(|_| format!("expected a whole number, got {raw:?}")),
        Value::Boolean(_) => match raw.trim() {
            "true" | "1" => Ok(Value::Boolean(true)),
            "false" | "0" => Ok(Value::Boolean(false)),
            _ => Err(format!("expected true or false, got {raw:?}")),
        },
        Value::Array(_) if raw.trim_start().starts_with('[') => {
            let wrapped: Table =
                toml::from_str(&format!("v = {raw}")).map_err(|e| e.to_string())?;
            Ok(wrapped
                .get("v")
                .cloned()
                .unwrap_or(Value::Array(Vec::new())))
        }
        Value::Array(_) => Ok(Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        )),
        _ => Ok(Value::String(raw.to_owned())),
    }
}
