//! Building the C test sources into BPF objects with clang-19, the way every
//! crate's tests do it: one set of flags, a fresh temporary directory per build,
//! and a skip (see [`crate::skip()`]) when clang-19 is not installed.
//!
//! Test sources may `#include "iproute2.h"` (and the other headers of `bpf-src/`),
//! so that a definition such as iproute2's `struct bpf_elf_map` exists once.

use std::path::{Path, PathBuf};

use crate::skip::{has_tool, skip};
use crate::tempdir::TempDir;
use crate::{run, workspace_root};

/// The compiler the tests use.
pub const CLANG: &str = "clang-19";

/// Which `-target` to build for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `-target bpf`: the host's byte order.
    Host,
    /// `-target bpfel`.
    Little,
    /// `-target bpfeb`.
    Big,
}

impl Target {
    /// clang's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Target::Host => "bpf",
            Target::Little => "bpfel",
            Target::Big => "bpfeb",
        }
    }
}

/// True when clang-19 is installed; otherwise skips (or fails under
/// `RTC_REQUIRE_PRIVILEGED=1`).
pub fn clang_available() -> bool {
    has_tool(CLANG) || skip::<()>(&format!("{CLANG} is not installed")).is_some()
}

/// Compiles `source` into `out` with `-O2 -g -Wall -Werror -target TARGET`, the
/// multiarch include directory and `bpf-src/` as include paths, and `flags`.
/// Panics with clang's messages when it fails.
pub fn compile(source: &Path, target: Target, flags: &[&str], out: &Path) {
    let arch_include = format!("-I/usr/include/{}-linux-gnu", std::env::consts::ARCH);
    let bpf_src_include = format!("-I{}", workspace_root().join("bpf-src").display());
    let (source_arg, out_arg) = (source.to_string_lossy(), out.to_string_lossy());
    let mut args = vec!["-O2", "-g", "-Wall", "-Werror", "-target", target.name()];
    args.extend([arch_include.as_str(), bpf_src_include.as_str()]);
    args.extend_from_slice(flags);
    args.extend(["-c", &source_arg, "-o", &out_arg]);
    let compiled = run(CLANG, &args);
    assert!(
        compiled.success(),
        "{CLANG} failed on {}:\n{}",
        source.display(),
        compiled.stderr
    );
}

/// Compiles `source` (see [`compile`]) into a fresh temporary directory that lives
/// as long as the returned guard, and returns the object's path; `None` (after
/// printing why) when clang-19 is not installed.
pub fn build_object(source: &Path, target: Target, flags: &[&str]) -> Option<(TempDir, PathBuf)> {
    if !clang_available() {
        return None;
    }
    let dir = TempDir::new("clang");
    let stem = source.file_stem().unwrap_or(source.as_os_str());
    let out = dir.join(Path::new(stem).with_extension("o"));
    compile(source, target, flags, &out);
    Some((dir, out))
}

/// Like [`build_object`], returning the object's bytes (the directory is gone).
pub fn build_bytes(source: &Path, target: Target, flags: &[&str]) -> Option<Vec<u8>> {
    let (_dir, out) = build_object(source, target, flags)?;
    let bytes =
        std::fs::read(&out).unwrap_or_else(|e| panic!("cannot read {}: {e}", out.display()));
    Some(bytes)
}

/// Runs `make -s -C bpf-src OUT=out`: every program of `bpf-src/` built (or
/// brought up to date) in `out`, the CO-RE programs of `bpf-src/core/` in
/// `out/core/`. Returns `make`'s messages when it fails.
pub fn make_bpf_src(out: &Path) -> Result<(), String> {
    make_bpf_src_target(out, "all")
}

/// Like [`make_bpf_src`] for one target of bpf-src/Makefile: `all`, `uapi` (the
/// programs of `bpf-src/` itself) or `core` (those of `bpf-src/core/`).
pub fn make_bpf_src_target(out: &Path, target: &str) -> Result<(), String> {
    let made = run(
        "make",
        &[
            "-s",
            "-C",
            &workspace_root().join("bpf-src").to_string_lossy(),
            &format!("OUT={}", out.display()),
            target,
        ],
    );
    if made.success() {
        Ok(())
    } else {
        Err(made.to_string())
    }
}

/// Every object of `bpf-src/` (not the CO-RE programs of `bpf-src/core/`), freshly
/// built into a temporary directory that lives as long as the returned guard,
/// sorted by path; `None` (after printing why) when clang-19 is not installed.
pub fn bpf_src_objects() -> Option<(TempDir, Vec<PathBuf>)> {
    if !clang_available() {
        return None;
    }
    let dir = TempDir::new("bpf-src");
    if let Err(e) = make_bpf_src_target(dir.path(), "uapi") {
        panic!("make -C bpf-src failed:\n{e}");
    }
    let mut objects: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("read the bpf-src build directory")
        .map(|e| e.expect("read a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "o"))
        .collect();
    objects.sort();
    assert!(!objects.is_empty(), "bpf-src built nothing");
    Some((dir, objects))
}
