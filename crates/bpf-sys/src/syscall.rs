//! The one raw entry point into the kernel: `syscall(SYS_bpf, cmd, attr, size)`.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// bpf(2) command numbers (`enum bpf_cmd`), with the name used in error messages.
#[derive(Clone, Copy, Debug)]
#[repr(u32)]
pub(crate) enum Cmd {
    MapCreate = 0,
    MapLookupElem = 1,
    MapUpdateElem = 2,
    MapDeleteElem = 3,
    MapGetNextKey = 4,
    ProgLoad = 5,
    ObjPin = 6,
    ObjGet = 7,
    ProgAttach = 8,
    ProgDetach = 9,
    ProgTestRun = 10,
    ProgGetNextId = 11,
    MapGetNextId = 12,
    ProgGetFdById = 13,
    MapGetFdById = 14,
    ObjGetInfoByFd = 15,
    ProgQuery = 16,
    BtfLoad = 18,
    BtfGetFdById = 19,
    MapFreeze = 22,
    BtfGetNextId = 23,
    MapLookupBatch = 24,
    LinkCreate = 28,
    LinkGetFdById = 30,
    LinkGetNextId = 31,
    IterCreate = 33,
    LinkDetach = 34,
}

impl Cmd {
    /// The uapi name, for error messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Cmd::MapCreate => "BPF_MAP_CREATE",
            Cmd::MapLookupElem => "BPF_MAP_LOOKUP_ELEM",
            Cmd::MapUpdateElem => "BPF_MAP_UPDATE_ELEM",
            Cmd::MapDeleteElem => "BPF_MAP_DELETE_ELEM",
            Cmd::MapGetNextKey => "BPF_MAP_GET_NEXT_KEY",
            Cmd::ProgLoad => "BPF_PROG_LOAD",
            Cmd::ObjPin => "BPF_OBJ_PIN",
            Cmd::ObjGet => "BPF_OBJ_GET",
            Cmd::ProgAttach => "BPF_PROG_ATTACH",
            Cmd::ProgDetach => "BPF_PROG_DETACH",
            Cmd::ProgTestRun => "BPF_PROG_TEST_RUN",
            Cmd::ProgGetNextId => "BPF_PROG_GET_NEXT_ID",
            Cmd::MapGetNextId => "BPF_MAP_GET_NEXT_ID",
            Cmd::ProgGetFdById => "BPF_PROG_GET_FD_BY_ID",
            Cmd::MapGetFdById => "BPF_MAP_GET_FD_BY_ID",
            Cmd::ObjGetInfoByFd => "BPF_OBJ_GET_INFO_BY_FD",
            Cmd::ProgQuery => "BPF_PROG_QUERY",
            Cmd::BtfLoad => "BPF_BTF_LOAD",
            Cmd::BtfGetFdById => "BPF_BTF_GET_FD_BY_ID",
            Cmd::BtfGetNextId => "BPF_BTF_GET_NEXT_ID",
            Cmd::MapLookupBatch => "BPF_MAP_LOOKUP_BATCH",
            Cmd::MapFreeze => "BPF_MAP_FREEZE",
            Cmd::LinkCreate => "BPF_LINK_CREATE",
            Cmd::LinkGetFdById => "BPF_LINK_GET_FD_BY_ID",
            Cmd::LinkGetNextId => "BPF_LINK_GET_NEXT_ID",
            Cmd::IterCreate => "BPF_ITER_CREATE",
            Cmd::LinkDetach => "BPF_LINK_DETACH",
        }
    }
}

/// Marker for the attribute structs of `attr.rs`: plain `#[repr(C)]` data whose every
/// pointer field is a `u64` address that the caller keeps valid for the call.
///
/// # Safety
/// Implementors must be `#[repr(C)]`, contain only integer fields, and be laid out as
/// the kernel's `union bpf_attr` member for the commands they are used with.
pub(crate) unsafe trait BpfAttr: Sized {}

/// Marker for the info structs (`struct bpf_prog_info`, `struct bpf_map_info`) that
/// `BPF_OBJ_GET_INFO_BY_FD` writes into.
///
/// # Safety
/// Implementors must be `#[repr(C)]` integer-only structs laid out as the kernel's.
pub(crate) unsafe trait InfoStruct: Sized {}

/// Issues one bpf(2) command and returns its non-negative result.
pub(crate) fn bpf<A: BpfAttr>(cmd: Cmd, attr: &mut A) -> io::Result<i64> {
    loop {
        // SAFETY: `attr` is a live, exclusively borrowed #[repr(C)] attribute block of
        // `size_of::<A>()` bytes (guaranteed by the BpfAttr contract); every address it
        // holds points into buffers the caller borrows for the duration of this call.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                cmd as u32 as libc::c_long,
                attr as *mut A as *mut libc::c_void,
                std::mem::size_of::<A>() as libc::c_long,
            )
        };
        if ret >= 0 {
            return Ok(ret as i64);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Issues a bpf(2) command whose result is a new file descriptor, and takes ownership of it.
pub(crate) fn bpf_fd<A: BpfAttr>(cmd: Cmd, attr: &mut A) -> io::Result<OwnedFd> {
    let fd = bpf(cmd, attr)?;
    let fd = i32::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: on success these commands return a new file descriptor that nothing else
    // owns; wrapping it immediately makes it closed exactly once.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Converts an errno into this crate's error, naming the command.
pub(crate) fn fail(cmd: Cmd, source: io::Error) -> crate::Error {
    crate::Error::Syscall {
        cmd: cmd.name(),
        source,
    }
}

/// The address of a slice as the kernel expects it in an attribute (`__aligned_u64`).
pub(crate) fn addr<T>(slice: &[T]) -> u64 {
    if slice.is_empty() {
        0
    } else {
        slice.as_ptr() as usize as u64
    }
}

/// The address of a buffer the kernel writes into (`__aligned_u64`), taken from a
/// mutable borrow so that the writes are allowed.
pub(crate) fn addr_mut<T>(slice: &mut [T]) -> u64 {
    if slice.is_empty() {
        0
    } else {
        slice.as_mut_ptr() as usize as u64
    }
}

/// Copies `name` into a kernel object-name field: at most 15 bytes and a NUL.
pub(crate) fn object_name(name: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    let bytes = name.as_bytes();
    let n = bytes.len().min(15);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

/// Reads a NUL-terminated kernel name field back into a String.
pub(crate) fn name_from_field(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}
