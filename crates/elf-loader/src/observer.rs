//! Hooks that let a caller watch the loader work, step by step, without the library
//! printing anything: `rtc --explain` implements [`Observer`] to narrate a load. Every
//! method has a no-op default, so an observer implements only what it cares about.

use std::path::Path;

use bpf_sys::{Insn, ProgLoadAttr};

use crate::btf::core::CoreOutcome;
use crate::maps::MapDef;
use crate::program::Program;

/// Receives one call per step of a load, in order.
pub trait Observer {
    /// The program chosen by section (and function) name, before anything is created.
    fn program_selected(&self, program: &Program) {
        let _ = program;
    }

    /// A function that `program` calls was appended to it, starting at instruction
    /// `start` (bpf-to-bpf calls, [`crate::subprog`]).
    fn subprog_appended(&self, program: &str, function: &str, start: usize) {
        let _ = (program, function, start);
    }

    /// A CO-RE relocation of `program` was resolved against the kernel's BTF and its
    /// instruction patched (or poisoned): see [`CoreOutcome`].
    fn core_relocated(&self, program: &str, outcome: &CoreOutcome) {
        let _ = (program, outcome);
    }

    /// The object's BTF was loaded into the kernel (`BPF_BTF_LOAD`): `size` bytes.
    fn btf_loaded(&self, fd: i32, size: usize) {
        let _ = (fd, size);
    }

    /// The kernel refused the object's BTF; the load goes on without it (no source
    /// lines in verifier logs, no typed maps). `reason` is the error and BTF log.
    fn btf_refused(&self, reason: &str) {
        let _ = reason;
    }

    /// `path` was not a bpffs, so one was mounted there for pinning.
    fn bpffs_mounted(&self, path: &Path) {
        let _ = path;
    }

    /// A map was created with `BPF_MAP_CREATE`; `fd` is the new descriptor and `name`
    /// the name the kernel was given.
    fn map_created(&self, name: &str, def: &MapDef, fd: i32) {
        let _ = (name, def, fd);
    }

    /// A map pinned by an earlier load was opened and matches the object's
    /// definition, so it is used instead of creating one.
    fn map_reused(&self, name: &str, path: &Path, fd: i32) {
        let _ = (name, path, fd);
    }

    /// A newly created map was pinned at `path`.
    fn map_pinned(&self, name: &str, path: &Path, fd: i32) {
        let _ = (name, path, fd);
    }

    /// A global data map received its section's `bytes`, and was `frozen` if the
    /// section is read-only.
    fn map_filled(&self, name: &str, bytes: usize, frozen: bool) {
        let _ = (name, bytes, frozen);
    }

    /// Slot `key` of the map `map` now holds `what` (an inner map, or a program for
    /// a tail call).
    fn map_slot_set(&self, map: &str, key: u32, what: &str) {
        let _ = (map, key, what);
    }

    /// An `ld_imm64` at `insn_index` (counted from the program's start) that names
    /// `symbol` was rewritten from `before` to `after`.
    fn relocated(&self, insn_index: usize, symbol: &str, before: Insn, after: Insn) {
        let _ = (insn_index, symbol, before, after);
    }

    /// `BPF_PROG_LOAD` is about to be called with these attributes.
    fn prog_loading(&self, attr: &ProgLoadAttr<'_>) {
        let _ = attr;
    }

    /// The kernel accepted the program: its fd and the verifier log (empty unless a log
    /// level was asked for).
    fn prog_loaded(&self, name: &str, fd: i32, log: &str) {
        let _ = (name, fd, log);
    }
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl Observer for NoObserver {}
