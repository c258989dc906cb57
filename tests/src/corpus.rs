//! The corpus of public BPF objects vendored in `tests/corpus/` (each folder with its
//! licence and provenance in `tests/corpus/README.md`): objects this project did not
//! write, which the parser, the disassembler and the loader must handle or refuse
//! with a reason.

use std::path::{Path, PathBuf};

use crate::skip::skip;
use crate::workspace_root;

/// The corpus directory.
pub fn corpus_dir() -> PathBuf {
    workspace_root().join("tests/corpus")
}

/// Every object file (`*.o`, `*.elf`) anywhere below [`corpus_dir`], sorted;
/// `None` (after printing why) when the corpus is not there.
pub fn corpus_objects() -> Option<Vec<PathBuf>> {
    let dir = corpus_dir();
    if !dir.is_dir() {
        return skip(&format!("corpus directory {} is missing", dir.display()));
    }
    let mut files = Vec::new();
    let mut pending = vec![dir];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("read a corpus directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "elf" || e == "o") {
                files.push(path);
            }
        }
    }
    files.sort();
    Some(files)
}

/// How a table names a corpus object: its path below [`corpus_dir`]
/// (`cilium-ebpf/loader-el.elf`), or the whole path for a file elsewhere.
pub fn corpus_name(path: &Path) -> String {
    path.strip_prefix(corpus_dir())
        .unwrap_or(path)
        .display()
        .to_string()
}
