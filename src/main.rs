//! The `latchkey` binary: parse the command line, run it, turn failure into an exit code.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
use latchkey::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match latchkey::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let mut message = format!("latchkey: error: {err}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                let _ = write!(message, ": {cause}");
                source = cause.source();
            }
            eprintln!("{message}");
            ExitCode::from(err.exit_code())
        }
    }
}
