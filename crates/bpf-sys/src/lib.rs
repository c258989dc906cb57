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
//! [`map_create`]; the CLI calls [`prog_info`] to print `filter show` lines;
//! netlink-tc's `tcx` and `bpf_link` modules attach through [`prog_attach`] and
//! [`link_create`].

#![warn(missing_docs)]

mod attach;
mod attr;
mod btf;
pub mod consts;
mod error;
mod fd;
mod hex;
mod insn;
mod iter;
mod link;
mod map;
mod map_handle;
pub mod mapped;
mod obj;
mod prog;
mod prog_type;
mod syscall;
pub mod sysinfo;
mod test_run;

pub use attach::{
    Anchor, ChainEntry, ChainQuery, Placement, ProgAttachAttr, prog_attach, prog_detach, prog_query,
};
pub use btf::{BtfInfo, btf_get_fd_by_id, btf_get_next_id, btf_info, btf_load};
pub use error::Error;
pub use fd::{BtfFd, LinkFd, MapFd, ProgFd};
pub use hex::hex;
pub use insn::Insn;
pub use iter::{iter_create, iter_link_create};
pub use link::{
    LinkCreateAttr, LinkInfo, link_create, link_detach, link_get_fd_by_id, link_get_next_id,
    link_info,
};
pub use map::{
    MapCreateAttr, MapInfo, map_create, map_delete_elem, map_freeze, map_get_fd_by_id,
    map_get_next_id, map_get_next_key, map_info, map_lookup_elem, map_update_elem,
    value_buffer_size,
};
pub use map_handle::{BatchCursor, BatchRead, MapHandle, batch_unsupported};
pub use mapped::MappedKernelFile;
pub use obj::{obj_get, obj_pin};
pub use prog::{
    LoadedProg, ProgInfo, ProgLoadAttr, prog_get_fd_by_id, prog_get_next_id, prog_info, prog_load,
};
pub use prog_type::ProgType;
pub use sysinfo::{kernel_version_code, possible_cpus};
pub use test_run::{TestRunAttr, TestRunOutput, prog_run_syscall, prog_test_run};

/// Result type of every function in this crate.
pub type Result<T> = std::result::Result<T, Error>;
