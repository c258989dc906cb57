//! Pinning: giving a BPF object a name in a bpffs so it outlives the process, and
//! opening a pinned object again.

use std::ffi::CString;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::attr;
use crate::syscall::{Cmd, bpf, bpf_fd, fail};
use crate::{Error, Result};

fn c_path(path: &Path) -> Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::InvalidInput(format!("path {} contains a NUL byte", path.display())))
}

/// Pins the object behind `fd` at `path`, which must lie in a bpffs and not exist yet.
pub fn obj_pin(fd: BorrowedFd<'_>, path: &Path) -> Result<()> {
    let path = c_path(path)?;
    let mut attr = attr::ObjPath {
        pathname: path.as_ptr() as usize as u64,
        bpf_fd: fd.as_raw_fd() as u32,
        ..Default::default()
    };
    bpf(Cmd::ObjPin, &mut attr)
        .map(drop)
        .map_err(|e| fail(Cmd::ObjPin, e))
}

/// Opens the object pinned at `path` (a map, program or link: the caller knows which).
pub fn obj_get(path: &Path) -> Result<OwnedFd> {
    let path = c_path(path)?;
    let mut attr = attr::ObjPath {
        pathname: path.as_ptr() as usize as u64,
        ..Default::default()
    };
    bpf_fd(Cmd::ObjGet, &mut attr).map_err(|e| fail(Cmd::ObjGet, e))
}
