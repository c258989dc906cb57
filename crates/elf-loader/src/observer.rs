//! Hooks that let a caller watch the loader work, step by step, without the library
//! printing anything: `rtc --explain` implements [`Observer`] to narrate a load. Every
//! method has a no-op default, so an observer implements only what it cares about.

use bpf_sys::{Insn, ProgLoadAttr};

use crate::maps::MapDef;
use crate::program::Program;

/// Receives one call per step of a load, in order.
pub trait Observer {
    /// The program chosen by section (and function) name, before anything is created.
    fn program_selected(&self, program: &Program) {
        let _ = program;
    }

    /// A map was created with `BPF_MAP_CREATE`; `fd` is the new descriptor.
    fn map_created(&self, name: &str, def: &MapDef, fd: i32) {
        let _ = (name, def, fd);
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
