//! latchkey: a single-binary account service. Sign-up with email verification, log-in with JWT
//! access and refresh tokens, and the account life cycle around them, over one embedded
//! database file.
//!
//! # Layout
//!
//! Entry points:
//! - [`cli`]: the command line (clap derive): `serve`, `init`, `check-config`, `token`, `key`.
//! - [`commands`]: what each subcommand does; `main` only calls [`commands::run`].
//! - [`config`]: defaults, `config.toml`, `LATCHKEY_*` and flags, validated into one `Config`.
//! - [`admin`]: administrative commands, run on the database or through the admin socket.
//! - [`app`]: the state every request shares, built once at start-up.
//! - [`server`]: the accept loop, connection limits and the graceful drain.
//!
//! The service:
//! - [`http`]: the route table, handlers, body parsing, cookies, CORS, the error mapping.
//! - [`accounts`]: one function per use case (sign-up, verify, log-in, refresh, reset, ...).
//! - [`rules`]: every decision a write makes (codes, rotation, the outbox, sweeping), once,
//!   over the storage seam.
//! - [`store`]: the storage seam (`Store`, `Tx`, `Changes`, the isolation contract) and its
//!   redb backend with group commit.
//! - [`mail`]: templates, the durable outbox and its worker, transports.
//! - [`sweeper`]: forgets expired records in small steps.
//! - [`audit`]: who caused a write (actor, client address, request id), for its audit entries.
//!
//! Building blocks:
//! - [`jwt`]: the token core. HS256, `EdDSA` and ES256 on `ring`; any conforming spelling, no I/O.
//! - [`codes`]: pending verification codes in moka, written through to the store.
//! - [`revoked`]: ended sessions, checked on every authenticated request.
//! - [`users`]: accounts by id, cached for the request path.
//! - [`password`]: argon2id on dedicated low-priority threads, with admission control.
//! - [`limits`]: per-IP and per-address rate limits with bounded memory.
//! - [`keys`]: the signing keys in use, on the schedule of `rules::keys`, reloadable.
//! - [`json`]: JSON parsing that refuses duplicate member names.
//! - [`input`]: email, nickname and password, checked and normalized at the edge.
//! - [`metrics`]: the Prometheus metrics.
//! - [`random`], [`secret`], [`clock`], [`hex`]: the CSPRNG, redacted secrets, settable time,
//!   hex digits.

pub mod accounts;
pub mod admin;
pub mod app;
pub mod audit;
pub mod cli;
pub mod clock;
pub mod codes;
pub mod commands;
pub mod config;
pub mod hex;
pub mod http;
pub mod input;
pub mod json;
pub mod jwt;
pub mod keys;
pub mod limits;
pub mod mail;
pub mod metrics;
pub mod password;
pub mod random;
pub mod revoked;
pub mod rules;
pub mod secret;
pub mod server;
pub mod store;
pub mod sweeper;
pub mod users;
