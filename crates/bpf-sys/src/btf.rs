//! `BPF_BTF_LOAD`: hands an object's type information to the kernel, so programs can
//! carry func_info/line_info (source lines in verifier logs) and maps can carry types.

use std::os::fd::BorrowedFd;

use crate::attr;
use crate::prog::{get_info, log_text, next_id};
use crate::syscall::{Cmd, addr, bpf_fd, fail};
use crate::{BtfFd, Error, Result};

/// Loads a BTF blob (the `.BTF` section, already fixed up for the kernel). On rejection
/// the error is [`Error::Verifier`] carrying the BTF checker's log.
pub fn btf_load(data: &[u8], log_level: u32) -> Result<BtfFd> {
    let btf_size = u32::try_from(data.len())
        .map_err(|_| Error::InvalidInput("BTF blob larger than 4 GiB".into()))?;
    let mut attr = attr::BtfLoad {
        btf: addr(data),
        btf_size,
        ..Default::default()
    };
    if log_level == 0 {
        if let Ok(fd) = bpf_fd(Cmd::BtfLoad, &mut attr) {
            return Ok(fd.into());
        }
    }
    let mut log = vec![0u8; 1 << 20];
    attr.btf_log_buf = addr(&log);
    attr.btf_log_size = log.len() as u32;
    attr.btf_log_level = log_level.max(1);
    let result = bpf_fd(Cmd::BtfLoad, &mut attr);
    let text = log_text(&mut log);
    result.map(BtfFd::from).map_err(|errno| Error::Verifier {
        what: "BTF",
        errno,
        log: text,
    })
}

/// The id of the next BTF object the kernel holds after `start` (vmlinux, modules,
/// loaded programs' BTF), or `None` when there is none.
pub fn btf_get_next_id(start: u32) -> Result<Option<u32>> {
    next_id(Cmd::BtfGetNextId, start)
}

/// Opens a new fd to the BTF object with this id (needs CAP_SYS_ADMIN).
pub fn btf_get_fd_by_id(id: u32) -> Result<BtfFd> {
    let mut attr = attr::ById {
        id,
        ..Default::default()
    };
    bpf_fd(Cmd::BtfGetFdById, &mut attr)
        .map(BtfFd::from)
        .map_err(|e| fail(Cmd::BtfGetFdById, e))
}

/// What the kernel reports about a BTF object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BtfInfo {
    /// Kernel-wide BTF object id.
    pub id: u32,
    /// `vmlinux`, a module's name, or empty for a program's BTF.
    pub name: String,
    /// True for the kernel's own BTF (vmlinux and modules).
    pub kernel_btf: bool,
    /// Size of the BTF data in bytes.
    pub size: u32,
}

/// Reads a BTF object's info (`BPF_OBJ_GET_INFO_BY_FD`): id, name, whether it is
/// the kernel's.
pub fn btf_info(fd: BorrowedFd<'_>) -> Result<BtfInfo> {
    // The kernel writes the name here: hand it a pointer from a mutable borrow.
    let mut name = [0u8; 64];
    let mut raw = attr::BtfInfo {
        name: name.as_mut_ptr() as usize as u64,
        name_len: name.len() as u32,
        ..Default::default()
    };
    get_info(fd, &mut raw)?;
    Ok(BtfInfo {
        id: raw.id,
        name: crate::syscall::name_from_field(&name),
        kernel_btf: raw.kernel_btf != 0,
        size: raw.btf_size,
    })
}
