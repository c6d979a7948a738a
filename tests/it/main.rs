//! latchkey's integration tests: one binary, driving the real `latchkey` executable over HTTP
//! with a real SMTP listener.

mod client;
mod harness;
mod smtp;

mod abuse;
mod admin_cli;
mod backup;
mod cli;
mod codes;
mod conceal;
mod concurrency;
mod conformance;
mod cookies;
mod cors;
mod disk;
mod django_import;
mod djoser;
mod durability;
mod enumeration;
mod flow;
mod forward;
mod forward_nginx;
mod http;
mod injection;
mod interop;
mod keys;
mod lifecycle;
mod link;
mod mail;
mod pyjwt;
mod restart;
mod tokens;
mod users_cli;
