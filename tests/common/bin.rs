//! Running the built `vigie365` binary from the async tests, whose simulated tenant serves on
//! the same runtime meanwhile.

#![allow(dead_code)] // Each test binary uses its own subset of these helpers.

use std::process::{Command, Output};

/// The binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_vigie365");

/// Runs `cmd` to its end and returns its output. The waiting worker hands its other tasks
/// (the simulated tenant) to the runtime's other threads: call it from a multi-thread runtime.
pub fn output(cmd: &mut Command) -> Output {
    tokio::task::block_in_place(|| cmd.output()).expect("run vigie365")
}
