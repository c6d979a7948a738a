//! latchkey's integration tests: one binary, driving the real `latchkey` executable.

mod cli;
