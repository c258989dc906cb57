//! BPF iterators: a tracing program attached as `BPF_TRACE_ITER` (`BPF_LINK_CREATE`)
//! runs once per kernel object of its kind (programs, maps, tasks...) whenever a
//! reader reads the iterator's fd (`BPF_ITER_CREATE`); what it writes with
//! `bpf_seq_write` is what `read(2)` returns, until a read returns 0.
//!
//! This module only makes the two system calls; the iterator program itself is the
//! caller's (it needs the kernel's BTF to be written).

use std::fs::File;
use std::os::fd::{AsRawFd, BorrowedFd};

use crate::consts::attach_type;
use crate::syscall::{BpfAttr, Cmd, bpf_fd, fail};
use crate::{LinkFd, Result};

/// `BPF_LINK_CREATE` with the `iter` member of its union (`iter_info`,
/// `iter_info_len`), laid out after `include/uapi/linux/bpf.h`.
#[repr(C)]
#[derive(Default)]
struct IterLinkCreate {
    prog_fd: u32,
    target_fd: u32,
    attach_type: u32,
    flags: u32,
    /// Address of a `union bpf_iter_link_info` (map, cgroup or task iterators).
    iter_info: u64,
    iter_info_len: u32,
    /// Explicit tail padding to 8 bytes (zeroed by `Default`).
    _pad: u32,
}

/// `BPF_ITER_CREATE`.
#[repr(C)]
#[derive(Default)]
struct IterCreate {
    link_fd: u32,
    flags: u32,
}

// SAFETY: #[repr(C)], integers only, no implicit padding, laid out as the `link_create`
// member of `union bpf_attr` with its `iter` variant (tested below).
unsafe impl BpfAttr for IterLinkCreate {}
// SAFETY: #[repr(C)], integers only, laid out as the `iter_create` member of
// `union bpf_attr` (tested below).
unsafe impl BpfAttr for IterCreate {}

/// Attaches an iterator program (loaded as `BPF_PROG_TYPE_TRACING` with expected
/// attach type [`attach_type::TRACE_ITER`] and the BTF id of its `bpf_iter_*`
/// function) for the iterator kinds that take no parameters, such as programs and
/// maps (`BPF_LINK_CREATE` without `iter_info`). The link lives as long as the fd.
pub fn iter_link_create(prog: BorrowedFd<'_>) -> Result<LinkFd> {
    let mut raw = IterLinkCreate {
        prog_fd: prog.as_raw_fd() as u32,
        attach_type: attach_type::TRACE_ITER,
        ..Default::default()
    };
    bpf_fd(Cmd::LinkCreate, &mut raw)
        .map(LinkFd::from)
        .map_err(|e| fail(Cmd::LinkCreate, e))
}

/// Starts one pass of an iterator (`BPF_ITER_CREATE` on its link): the returned file
/// yields what the program writes, for every object in turn, and then end of file.
/// Each call is a new pass over the objects as they are then.
pub fn iter_create(link: BorrowedFd<'_>) -> Result<File> {
    let mut raw = IterCreate {
        link_fd: link.as_raw_fd() as u32,
        flags: 0,
    };
    bpf_fd(Cmd::IterCreate, &mut raw)
        .map(File::from)
        .map_err(|e| fail(Cmd::IterCreate, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_uapi() {
        assert_eq!(offset_of!(IterLinkCreate, attach_type), 8);
        assert_eq!(offset_of!(IterLinkCreate, iter_info), 16);
        assert_eq!(offset_of!(IterLinkCreate, iter_info_len), 24);
        assert_eq!(size_of::<IterLinkCreate>(), 32);
        assert_eq!(offset_of!(IterCreate, flags), 4);
        assert_eq!(size_of::<IterCreate>(), 8);
    }
}
