//! An open map with its info read once: the element commands check buffer sizes
//! against it without asking the kernel again (the free functions in `map` pay a
//! `BPF_OBJ_GET_INFO_BY_FD` per call), and whole-map reads with
//! `BPF_MAP_LOOKUP_BATCH`.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use crate::attr;
use crate::map::{
    ElemSizes, MapInfo, delete_checked, lookup_checked, map_info, next_key_checked, update_checked,
};
use crate::syscall::{Cmd, addr, addr_mut, bpf, fail};
use crate::{Error, Result};

/// An owned map fd and the map's info, read once when the handle is made.
#[derive(Debug)]
pub struct MapHandle {
    fd: OwnedFd,
    info: MapInfo,
    sizes: ElemSizes,
}

impl MapHandle {
    /// Takes `fd` (a map fd) and reads its info.
    pub fn new(fd: OwnedFd) -> Result<Self> {
        let info = map_info(fd.as_fd())?;
        let sizes = ElemSizes::of(&info)?;
        Ok(MapHandle { fd, info, sizes })
    }

    /// The map's info, as read when the handle was made.
    pub fn info(&self) -> &MapInfo {
        &self.info
    }

    /// Bytes a value buffer must have (per-CPU maps: every possible CPU's value,
    /// each rounded up to 8).
    pub fn value_len(&self) -> usize {
        self.sizes.value
    }

    /// Gives the fd back.
    pub fn into_fd(self) -> OwnedFd {
        self.fd
    }

    /// [`crate::map_lookup_elem`] without re-reading the info.
    pub fn lookup(&self, key: &[u8], value: &mut [u8]) -> Result<bool> {
        lookup_checked(self.fd.as_fd(), self.sizes, key, value)
    }

    /// [`crate::map_update_elem`] without re-reading the info.
    pub fn update(&self, key: &[u8], value: &[u8], flags: u64) -> Result<()> {
        update_checked(self.fd.as_fd(), self.sizes, key, value, flags)
    }

    /// [`crate::map_delete_elem`] without re-reading the info.
    pub fn delete(&self, key: &[u8]) -> Result<bool> {
        delete_checked(self.fd.as_fd(), self.sizes, key)
    }

    /// [`crate::map_get_next_key`] without re-reading the info.
    pub fn next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<bool> {
        next_key_checked(self.fd.as_fd(), self.sizes, key, next)
    }

    /// A cursor at the start of the map, for [`MapHandle::lookup_batch`].
    pub fn batch_cursor(&self) -> BatchCursor {
        // Hash maps keep a u32 bucket index in the token, the generic (array) walk
        // a key; 8 bytes at least covers both.
        let len = self.sizes.key.max(8);
        BatchCursor {
            position: vec![0; len],
            next: vec![0; len],
            started: false,
            finished: false,
        }
    }

    /// One `BPF_MAP_LOOKUP_BATCH`: copies the next elements after `cursor` into
    /// `keys` (key size each) and `values` ([`MapHandle::value_len`] each), as many
    /// as both buffers hold, and moves the cursor past them.
    ///
    /// Errors carry the kernel's errno: `EINVAL`/`ENOTSUPP` (524)/`EOPNOTSUPP` for a
    /// map type without batch lookup, `ENOSPC` when a hash bucket holds more elements
    /// than the buffers (nothing was copied; retry with larger buffers, the cursor
    /// has not moved).
    pub fn lookup_batch(
        &self,
        cursor: &mut BatchCursor,
        keys: &mut [u8],
        values: &mut [u8],
    ) -> Result<BatchRead> {
        if cursor.finished {
            return Ok(BatchRead {
                count: 0,
                done: true,
            });
        }
        let key_size = self.sizes.key.max(1);
        let value_size = self.sizes.value.max(1);
        let room = (keys.len() / key_size).min(values.len() / value_size);
        let count = u32::try_from(room).unwrap_or(u32::MAX);
        if count == 0 {
            return Err(Error::InvalidInput(
                "batch buffers hold no element of this map".into(),
            ));
        }
        let mut attr = attr::MapBatch {
            in_batch: if cursor.started {
                addr(&cursor.position)
            } else {
                0
            },
            out_batch: addr_mut(&mut cursor.next),
            keys: addr_mut(keys),
            values: addr_mut(values),
            count,
            map_fd: self.fd.as_raw_fd() as u32,
            ..Default::default()
        };
        let done = match bpf(Cmd::MapLookupBatch, &mut attr) {
            Ok(_) => false,
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => true,
            Err(e) => return Err(fail(Cmd::MapLookupBatch, e)),
        };
        // The kernel never reports more than it was given room for; clamp anyway.
        let count = (attr.count as usize).min(room);
        std::mem::swap(&mut cursor.position, &mut cursor.next);
        cursor.started = true;
        cursor.finished = done;
        Ok(BatchRead { count, done })
    }
}

impl AsFd for MapHandle {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Where a batched walk of a map stands (the kernel's opaque position token).
#[derive(Debug)]
pub struct BatchCursor {
    position: Vec<u8>,
    next: Vec<u8>,
    started: bool,
    finished: bool,
}

/// What one [`MapHandle::lookup_batch`] read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchRead {
    /// Elements copied into the buffers (the first `count` keys and values).
    pub count: usize,
    /// The walk reached the end of the map (`ENOENT`): no further call needed.
    pub done: bool,
}

/// Whether `e` says the map type has no batch lookup (fall back to
/// get-next-key and lookup per element).
pub fn batch_unsupported(e: &Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL) | Some(libc::EOPNOTSUPP) | Some(ENOTSUPP)
    )
}

/// The kernel-internal `ENOTSUPP` that bpf(2) returns for a missing map operation.
const ENOTSUPP: i32 = 524;
