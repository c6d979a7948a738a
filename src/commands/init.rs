//! `latchkey init`: a commented configuration with a fresh signing secret.

use std::io::Write as _;
use std::path::Path;

use super::Error;
use crate::config::{EXAMPLE, encode_secret};
use crate::random;

/// Writes the example configuration to `out` with a new 32-byte secret, readable by the owner
/// only. Refuses to overwrite unless `force`.
pub(super) fn run(out: &Path, force: bool) -> Result<(), Error> {
    let secret = encode_secret(&random::bytes::<32>());
    let text = EXAMPLE.replacen("secret = \"\"", &format!("secret = \"{secret}\""), 1);
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(out).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Exists(out.display().to_string())
        } else {
            Error::Io {
                what: format!("writing {}", out.display()),
                source,
            }
        }
    })?;
    file.write_all(text.as_bytes())
        .map_err(|source| Error::Io {
            what: format!("writing {}", out.display()),
            source,
        })?;
    println!(
        "wrote {} (with a new signing secret; keep it private)",
        out.display()
    );
    Ok(())
}
