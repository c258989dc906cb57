//! Test helper: compiles the C sources of `tests/c/` with clang-19 (through
//! `rtc_tests::clang`, the workspace's one way of building test objects). Without
//! clang the test is skipped with a printed reason, unless
//! `RTC_REQUIRE_PRIVILEGED=1` demands that everything runs.
//!
//! Shared by the unit tests (`mod testutil`) and the integration tests
//! (`#[path = "../src/testutil.rs"]`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub use rtc_tests::Target;

/// Directory of the C test sources.
pub fn c_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c")
}

/// Compiles `tests/c/<file>` for `target` and returns the object's bytes, or `None`
/// (after printing why) when clang-19 is not installed.
pub fn build(file: &str, target: Target) -> Option<Vec<u8>> {
    build_with(file, target, &[])
}

/// Like [`build`], with extra compiler flags.
pub fn build_with(file: &str, target: Target, flags: &[&str]) -> Option<Vec<u8>> {
    rtc_tests::build_bytes(&c_dir().join(file), target, flags)
}
