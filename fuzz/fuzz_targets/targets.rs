//! Forwarding targets as Microsoft gives them (`smtp:` prefixes, IDN, spaces): never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = vigie365::checks::domains::Target::parse(s);
    }
});
