//! Maps: creation, the element commands, freezing, and reading a map's info.

use std::os::fd::{AsRawFd, BorrowedFd};

use crate::attr;
use crate::prog::{get_info, next_id};
use crate::syscall::{Cmd, addr, addr_mut, bpf, bpf_fd, fail, name_from_field, object_name};
use crate::{Error, MapFd, Result};

/// Everything `BPF_MAP_CREATE` needs. Build with `..Default::default()`.
#[derive(Default, Debug)]
pub struct MapCreateAttr<'a> {
    /// `BPF_MAP_TYPE_*` (see [`crate::consts::map_type`]).
    pub map_type: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Capacity.
    pub max_entries: u32,
    /// `BPF_F_*` map flags.
    pub map_flags: u32,
    /// Map name; cut to 15 bytes.
    pub name: &'a str,
    /// Template inner map, for map-in-map types.
    pub inner_map_fd: Option<BorrowedFd<'a>>,
    /// NUMA node (with `BPF_F_NUMA_NODE`).
    pub numa_node: u32,
    /// Device to offload to (0 = none).
    pub map_ifindex: u32,
    /// BTF describing key and value.
    pub btf_fd: Option<BorrowedFd<'a>>,
    /// BTF type id of the key.
    pub btf_key_type_id: u32,
    /// BTF type id of the value.
    pub btf_value_type_id: u32,
    /// Type-specific extra (bloom filter hashes, arena address).
    pub map_extra: u64,
}

/// Creates a map.
pub fn map_create(req: &MapCreateAttr<'_>) -> Result<MapFd> {
    let mut attr = attr::MapCreate {
        map_type: req.map_type,
        key_size: req.key_size,
        value_size: req.value_size,
        max_entries: req.max_entries,
        map_flags: req.map_flags,
        inner_map_fd: req.inner_map_fd.map_or(0, |fd| fd.as_raw_fd() as u32),
        numa_node: req.numa_node,
        map_name: object_name(req.name),
        map_ifindex: req.map_ifindex,
        btf_fd: req.btf_fd.map_or(0, |fd| fd.as_raw_fd() as u32),
        btf_key_type_id: req.btf_key_type_id,
        btf_value_type_id: req.btf_value_type_id,
        map_extra: req.map_extra,
        ..Default::default()
    };
    bpf_fd(Cmd::MapCreate, &mut attr)
        .map(MapFd::from)
        .map_err(|e| fail(Cmd::MapCreate, e))
}

/// The sizes the element commands check buffers against, from the map's info.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ElemSizes {
    pub(crate) key: usize,
    pub(crate) value: usize,
}

impl ElemSizes {
    /// The sizes of the map `info` describes (per-CPU values times possible CPUs).
    pub(crate) fn of(info: &MapInfo) -> Result<Self> {
        Ok(ElemSizes {
            key: info.key_size as usize,
            value: value_buffer_size(info)?,
        })
    }

    /// The kernel reads exactly key_size/value_size bytes through the pointers we
    /// pass: check the buffers first so a short buffer can never be overrun.
    pub(crate) fn check(&self, key_len: usize, value_len: Option<usize>) -> Result<()> {
        if key_len != self.key {
            return Err(Error::InvalidInput(format!(
                "key is {key_len} bytes, the map's key size is {}",
                self.key
            )));
        }
        match value_len {
            Some(len) if len != self.value => Err(Error::InvalidInput(format!(
                "value is {len} bytes, the map needs {}",
                self.value
            ))),
            _ => Ok(()),
        }
    }
}

fn elem_attr(map: BorrowedFd<'_>, key: &[u8], value: u64, flags: u64) -> attr::MapElem {
    attr::MapElem {
        map_fd: map.as_raw_fd() as u32,
        key: addr(key),
        value_or_next_key: value,
        flags,
        ..Default::default()
    }
}

/// Reads the value stored under `key` into `value`. Returns `false` if there is no such key.
///
/// `value` must be the map's value size (times the number of possible CPUs for per-CPU
/// maps, each value rounded up to 8 bytes); the kernel writes that many bytes.
/// Reads the map's info first to check that; [`crate::MapHandle`] reads it once.
pub fn map_lookup_elem(map: BorrowedFd<'_>, key: &[u8], value: &mut [u8]) -> Result<bool> {
    let sizes = ElemSizes::of(&map_info(map)?)?;
    lookup_checked(map, sizes, key, value)
}

pub(crate) fn lookup_checked(
    map: BorrowedFd<'_>,
    sizes: ElemSizes,
    key: &[u8],
    value: &mut [u8],
) -> Result<bool> {
    sizes.check(key.len(), Some(value.len()))?;
    let mut attr = elem_attr(map, key, addr_mut(value), 0);
    match bpf(Cmd::MapLookupElem, &mut attr) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(false),
        Err(e) => Err(fail(Cmd::MapLookupElem, e)),
    }
}

/// Stores `value` under `key`; `flags` is `BPF_ANY`, `BPF_NOEXIST` or `BPF_EXIST`.
pub fn map_update_elem(map: BorrowedFd<'_>, key: &[u8], value: &[u8], flags: u64) -> Result<()> {
    let sizes = ElemSizes::of(&map_info(map)?)?;
    update_checked(map, sizes, key, value, flags)
}

pub(crate) fn update_checked(
    map: BorrowedFd<'_>,
    sizes: ElemSizes,
    key: &[u8],
    value: &[u8],
    flags: u64,
) -> Result<()> {
    sizes.check(key.len(), Some(value.len()))?;
    let mut attr = elem_attr(map, key, addr(value), flags);
    bpf(Cmd::MapUpdateElem, &mut attr)
        .map(drop)
        .map_err(|e| fail(Cmd::MapUpdateElem, e))
}

/// Deletes `key`. Returns `false` if it was not there.
pub fn map_delete_elem(map: BorrowedFd<'_>, key: &[u8]) -> Result<bool> {
    let sizes = ElemSizes::of(&map_info(map)?)?;
    delete_checked(map, sizes, key)
}

pub(crate) fn delete_checked(map: BorrowedFd<'_>, sizes: ElemSizes, key: &[u8]) -> Result<bool> {
    sizes.check(key.len(), None)?;
    let mut attr = elem_attr(map, key, 0, 0);
    match bpf(Cmd::MapDeleteElem, &mut attr) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(false),
        Err(e) => Err(fail(Cmd::MapDeleteElem, e)),
    }
}

/// Writes the key after `key` (or the first key, for `None`) into `next`.
/// Returns `false` when there are no more keys.
pub fn map_get_next_key(map: BorrowedFd<'_>, key: Option<&[u8]>, next: &mut [u8]) -> Result<bool> {
    let sizes = ElemSizes::of(&map_info(map)?)?;
    next_key_checked(map, sizes, key, next)
}

pub(crate) fn next_key_checked(
    map: BorrowedFd<'_>,
    sizes: ElemSizes,
    key: Option<&[u8]>,
    next: &mut [u8],
) -> Result<bool> {
    sizes.check(next.len(), None)?;
    if let Some(key) = key {
        if key.len() != next.len() {
            return Err(Error::InvalidInput(
                "key and next-key buffers differ in size".into(),
            ));
        }
    }
    let mut attr = elem_attr(map, key.unwrap_or(&[]), addr_mut(next), 0);
    match bpf(Cmd::MapGetNextKey, &mut attr) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(false),
        Err(e) => Err(fail(Cmd::MapGetNextKey, e)),
    }
}

/// Makes a map read-only for user space from now on (libbpf does this to `.rodata`).
pub fn map_freeze(map: BorrowedFd<'_>) -> Result<()> {
    let mut attr = attr::MapFd {
        map_fd: map.as_raw_fd() as u32,
    };
    bpf(Cmd::MapFreeze, &mut attr)
        .map(drop)
        .map_err(|e| fail(Cmd::MapFreeze, e))
}

/// Opens a new fd to the map with this id.
pub fn map_get_fd_by_id(id: u32) -> Result<MapFd> {
    let mut attr = attr::ById {
        id,
        ..Default::default()
    };
    bpf_fd(Cmd::MapGetFdById, &mut attr)
        .map(MapFd::from)
        .map_err(|e| fail(Cmd::MapGetFdById, e))
}

/// The id of the next map after `start`, or `None` when there is none.
pub fn map_get_next_id(start: u32) -> Result<Option<u32>> {
    next_id(Cmd::MapGetNextId, start)
}

/// What the kernel reports about a map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapInfo {
    /// `BPF_MAP_TYPE_*`.
    pub map_type: u32,
    /// Kernel-wide map id.
    pub id: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Capacity.
    pub max_entries: u32,
    /// `BPF_F_*` flags.
    pub map_flags: u32,
    /// Map name (up to 15 bytes).
    pub name: String,
    /// Id of the map's BTF, 0 if none.
    pub btf_id: u32,
}

/// Reads a map's info (`BPF_OBJ_GET_INFO_BY_FD`).
pub fn map_info(fd: BorrowedFd<'_>) -> Result<MapInfo> {
    let mut raw = attr::MapInfo::default();
    get_info(fd, &mut raw)?;
    Ok(MapInfo {
        map_type: raw.map_type,
        id: raw.id,
        key_size: raw.key_size,
        value_size: raw.value_size,
        max_entries: raw.max_entries,
        map_flags: raw.map_flags,
        name: name_from_field(&raw.name),
        btf_id: raw.btf_id,
    })
}

/// Bytes a lookup/update value buffer must have for this map: the value size, or for
/// per-CPU maps the value size rounded up to 8 times the number of possible CPUs.
pub fn value_buffer_size(info: &MapInfo) -> Result<usize> {
    let size = info.value_size as usize;
    if crate::consts::map_type::is_per_cpu(info.map_type) {
        Ok(size.div_ceil(8) * 8 * crate::possible_cpus()?)
    } else {
        Ok(size)
    }
}
