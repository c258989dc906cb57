//! Test helper: compiles the C sources of `tests/c/` with clang-19 into a temporary
//! directory. Without clang the test is skipped with a printed reason, unless
//! `RTC_REQUIRE_PRIVILEGED=1` demands that everything runs.
//!
//! Shared by the unit tests (`mod testutil`) and the integration tests
//! (`#[path = "../src/testutil.rs"]`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The compiler the tests use.
pub const CLANG: &str = "clang-19";

/// Which `-target` to build for.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// `-target bpf`: the host's byte order.
    Host,
    /// `-target bpfel`.
    Little,
    /// `-target bpfeb`.
    Big,
}

/// True when a missing tool or privilege must fail the test instead of skipping it.
pub fn require_everything() -> bool {
    std::env::var("RTC_REQUIRE_PRIVILEGED").is_ok_and(|v| v == "1")
}

/// Skips (returns `None` after printing why) or fails, depending on
/// `RTC_REQUIRE_PRIVILEGED`.
pub fn skip<T>(reason: &str) -> Option<T> {
    if require_everything() {
        panic!("RTC_REQUIRE_PRIVILEGED=1 but {reason}");
    }
    eprintln!("skipped: {reason}");
    None
}

/// Directory of the C test sources.
pub fn c_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("c")
}

/// Compiles `tests/c/<file>` for `target` and returns the object's bytes, or `None`
/// (after printing why) when clang-19 is not installed.
pub fn build(file: &str, target: Target) -> Option<Vec<u8>> {
    build_with(file, target, &[])
}

/// Like [`build`], with extra compiler flags.
pub fn build_with(file: &str, target: Target, flags: &[&str]) -> Option<Vec<u8>> {
    if Command::new(CLANG).arg("--version").output().is_err() {
        return skip(&format!("{CLANG} is not installed"));
    }
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "elf-loader-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let out = dir.join("out.o");
    let target_name = match target {
        Target::Host => "bpf",
        Target::Little => "bpfel",
        Target::Big => "bpfeb",
    };
    let arch_include = format!("/usr/include/{}-linux-gnu", std::env::consts::ARCH);
    let output = Command::new(CLANG)
        .args(["-O2", "-g", "-Wall", "-Werror", "-target", target_name])
        .arg(format!("-I{arch_include}"))
        .args(flags)
        .arg("-c")
        .arg(c_dir().join(file))
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run clang");
    assert!(
        output.status.success(),
        "{CLANG} failed on {file}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(&out).expect("read object");
    let _ = std::fs::remove_dir_all(&dir);
    Some(bytes)
}
