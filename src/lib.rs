//! latchkey: a single-binary account service. Sign-up with email verification, log-in with JWT
//! access and refresh tokens, and the account life cycle around them, over one embedded
//! database file.
//!
//! # Layout
//!
//! - [`cli`]: the command line (clap derive): `serve`, `init`, `token`, ...
//! - [`commands`]: what each subcommand does; `main` only calls [`commands::run`].
//! - [`clock`]: wall-clock time, settable in unit tests.
//! - [`jwt`]: the token core. HS256 on `ring`, strict and canonical, no I/O.

pub mod accounts;
pub mod app;
pub mod cli;
pub mod clock;
pub mod codes;
pub mod commands;
pub mod config;
pub mod http;
pub mod input;
pub mod jwt;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod password;
pub mod random;
pub mod revoked;
pub mod secret;
pub mod server;
pub mod store;
