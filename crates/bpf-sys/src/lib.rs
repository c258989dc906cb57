//! Typed, safe access to the bpf(2) system call.
//!
//! One function per bpf command that rtc needs, each taking plain Rust values and
//! returning owned file descriptors or decoded structs. Every attribute block passed to
//! the kernel is a `#[repr(C)]` struct laid out after `include/uapi/linux/bpf.h` and
//! zeroed to its full size first, because the kernel rejects unknown non-zero bytes.
//!
//! This crate is the only place in rtc that contains `unsafe` code: the raw syscall in
//! `syscall`, the `uname(2)` call in [`sysinfo`] and the kernel BTF mapping in
//! [`mapped`].
//!
//! Layers above: `elf-loader` builds instructions and calls [`prog_load`] and
//! [`map_create`]; the CLI calls [`prog_info`] to print `filter show` lines.

#![warn(missing_docs)]

mod attr;
mod btf;
pub mod consts;
mod error;
mod fd;
mod insn;
mod map;
pub mod mapped;
mod obj;
mod prog;
mod syscall;
pub mod sysinfo;

pub use btf::btf_load;
pub use error::Error;
pub use fd::{BtfFd, MapFd, ProgFd};
pub use insn::Insn;
pub use map::{
    MapCreateAttr, MapInfo, map_create, map_delete_elem, map_freeze, map_get_fd_by_id,
    map_get_next_id, map_get_next_key, map_info, map_lookup_elem, map_update_elem,
    value_buffer_size,
};
pub use mapped::MappedKernelFile;
pub use obj::{obj_get, obj_pin};
pub use prog::{
    LoadedProg, ProgInfo, ProgLoadAttr, prog_get_fd_by_id, prog_get_next_id, prog_info, prog_load,
};
pub use sysinfo::{kernel_version_code, possible_cpus};

/// Result type of every function in this crate.
pub type Result<T> = std::result::Result<T, Error>;
