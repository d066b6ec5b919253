//! The configuration loader, fed arbitrary text: every problem is a diagnostic, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = vigie365::config::Config::from_toml_str(text, "fuzz.toml");
    }
});
