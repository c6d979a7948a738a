//! latchkey's integration tests: one binary, driving the real `latchkey` executable over HTTP
//! with a real SMTP listener.

mod client;
mod harness;
mod smtp;

mod cli;
mod codes;
mod concurrency;
mod flow;
mod http;
mod link;
mod mail;
mod restart;
mod tokens;
