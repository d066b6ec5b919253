//! The register of generic accounts (CSV), fed arbitrary bytes: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vigie365::classify::Register::parse(data, "registre.csv");
});
