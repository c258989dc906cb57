//! Reads clang-built BPF ELF objects and loads their programs, as `tc` and `ip` do.
//!
//! Two layers, usable separately:
//!
//! * **Parsing and relocation** (no syscalls, testable without privileges):
//!   [`Object::parse`] turns bytes into [`Program`]s, [`Map`] definitions (legacy
//!   `maps`, iproute2's `struct bpf_elf_map`, BTF-defined `.maps`, global data),
//!   [`Relocation`]s, BTF and the licence; [`reloc::relocate`] appends to a program
//!   the functions it calls ([`subprog`]) and rewrites its map and variable
//!   references given map fds.
//! * **Loading** (bpf(2) through `bpf-sys`): [`load`] plans everything first (every
//!   refusal happens before the first syscall), then loads the BTF, creates or
//!   reuses pinned maps, fills global data, loads the program with its source-line
//!   information, and loads and stores its tail-call programs. It returns owned fds
//!   and the verifier log.
//!
//! Not supported, and refused with an error naming the symbol or relocation and its
//! section: CO-RE relocations, kconfig/ksym externs, kfunc calls, arena and
//! struct_ops maps, iproute2 custom pinning, objects of the other byte order. The
//! library never prints; pass an [`Observer`] to watch.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod btf;
mod btf_info;
mod btf_maps;
mod bytes;
pub mod disasm;
mod error;
pub mod externs;
mod global_data;
pub mod kernel;
mod license;
mod load;
mod map_def;
mod map_fixup;
mod maps;
mod object;
mod observer;
pub mod pin;
mod plan;
mod program;
mod reference;
pub mod reloc;
mod relocation;
mod section;
pub mod subprog;
mod symbol;

#[cfg(test)]
mod testutil;

/// The program type [`LoadOptions::new`] takes, re-exported so that loading needs
/// no direct dependency on bpf-sys.
pub use bpf_sys::ProgType;
pub use btf_info::ProgramBtfInfo;
pub use disasm::{Listing, disassemble};
pub use error::{BtfError, FieldDifference, LoadError, ParseError, RelocError, SelectError};
pub use kernel::KernelInfo;
pub use load::{
    CreatedMap, ExtraProgram, LoadOptions, LoadPlan, LoadedProgram, PlannedExtra, load, plan_load,
    plan_load_for,
};
pub use map_fixup::{MachineFacts, MapFixup, count_cpu_list, fix_map_def, ringbuf_size};
pub use maps::{
    BPF_ELF_MAP_SIZE, InitialSlot, MIN_LEGACY_ENTRY_SIZE, Map, MapDef, MapSource, Pinning,
    SlotTarget, internal_map_name, object_name_of,
};
pub use object::{ByteOrder, EM_BPF, MAX_NAME_LEN, Object, sha1_hex};
pub use observer::{NoObserver, Observer};
pub use pin::PinOptions;
pub use plan::parse_tail_call_section;
pub use program::Program;
pub use reloc::{Relocation, Unsupported};
pub use section::{Section, SectionRole};
pub use symbol::{SymbolKind, SymbolRef, SymbolSection};
