//! The `config` fuzz target: `fuzz_checks::config` in tests/fuzz_checks/mod.rs says what it
//! tries and what must hold.
#![no_main]

// Each target uses one of the checks.
#[allow(dead_code)]
#[path = "../../tests/fuzz_checks/mod.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::config(data));
