//! Reads clang-built BPF ELF objects and loads their programs, as `tc` and `ip` do.
//!
//! Two layers, usable separately:
//!
//! * **Parsing and relocation** (no syscalls, testable without privileges):
//!   [`Object::parse`] turns bytes into [`Program`]s, [`Map`] definitions,
//!   [`Relocation`]s and the licence; [`reloc::relocate`] rewrites a program's map
//!   references into `BPF_PSEUDO_MAP_FD` instructions given map fds.
//! * **Loading** (bpf(2) through `bpf-sys`): [`load`] creates the maps a program
//!   uses, relocates it and calls `BPF_PROG_LOAD`, returning owned fds and the verifier
//!   log.
//!
//! Supported today: programs in named sections, legacy `maps` definitions
//! (`struct bpf_map_def` and iproute2's `struct bpf_elf_map`). BTF-defined maps, global
//! data, bpf-to-bpf calls, externs, pinning and tail calls are recognised and refused
//! with an error that says so. The library never prints; pass an [`Observer`] to watch.

#![warn(missing_docs)]

pub mod disasm;
mod error;
mod license;
mod load;
mod maps;
mod object;
mod observer;
mod program;
pub mod reloc;
mod section;
mod symbol;

#[cfg(test)]
mod testutil;

pub use disasm::{Listing, disassemble};
pub use error::{LoadError, ParseError, RelocError, SelectError};
pub use load::{CreatedMap, LoadOptions, LoadedProgram, load};
pub use maps::{BPF_ELF_MAP_SIZE, MIN_LEGACY_ENTRY_SIZE, Map, MapDef, MapSource};
pub use object::{ByteOrder, EM_BPF, MAX_NAME_LEN, Object};
pub use observer::{NoObserver, Observer};
pub use program::Program;
pub use reloc::{Relocation, Unsupported};
pub use section::{Section, SectionRole};
pub use symbol::{SymbolKind, SymbolRef, SymbolSection};
