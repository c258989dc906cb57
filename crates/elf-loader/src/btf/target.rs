//! The kernel's BTF, the target of CO-RE relocations and of `__ksym`/kfunc externs.
//!
//! `/sys/kernel/btf/vmlinux` is several megabytes and well over a hundred thousand
//! types, of which a load needs a handful. So [`TargetBtf`] keeps the bytes as read,
//! walks the type records once to learn where each starts (an index of offsets, no
//! decoding), and decodes a type only when asked for it. Name look-ups are one pass
//! over the records comparing raw name bytes, for all the names a load needs at once
//! ([`TargetBtf::find_by_essential_names`]).
//!
//! A module's BTF (`/sys/kernel/btf/<module>`) is *split* BTF: its type ids and string
//! offsets continue those of vmlinux, which [`TargetBtf::parse_split`] takes as base.

mod names_first;

pub use names_first::QuickTypes;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::btf::error::BtfError;
use crate::btf::{BtfKind, BtfType, Layout, TYPE_SIZE, TypeDetail, decode_type, string_in};
use crate::bytes::ByteOrder;
use crate::bytes::read_u32;

/// Where the running kernel publishes its own BTF.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The bytes of a BTF blob: the kernel's own pages, or a copy.
#[derive(Debug)]
enum Bytes {
    Mapped(bpf_sys::MappedKernelFile),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(mapped) => mapped,
            Bytes::Owned(bytes) => bytes,
        }
    }
}

/// A kernel's BTF (vmlinux, or a module's on top of it), decoded lazily.
#[derive(Debug)]
pub struct TargetBtf {
    name: String,
    data: Bytes,
    order: ByteOrder,
    base: Option<Arc<TargetBtf>>,
    /// Id of the first type of this blob (1 for vmlinux; after the base's for a module).
    first_id: u32,
    /// Byte offset of each type record of this blob, by `id - first_id`.
    offsets: Vec<u32>,
    types_end: usize,
    strings_start: usize,
    strings_len: usize,
    /// String offsets below this one are the base's.
    first_string: u32,
    /// Essential names already looked up: the kinds looked among (a bit per raw
    /// kind) and the ids found.
    known: Mutex<BTreeMap<String, (u32, Vec<u32>)>>,
}

/// The name a CO-RE relocation matches types by: `name` without a `___flavor`
/// suffix, cut at the last `___` that has something other than `_` on both sides
/// (`task_struct___v2` is a `task_struct`).
pub fn essential_name(name: &str) -> &str {
    let bytes = name.as_bytes();
    let mut i = bytes.len().saturating_sub(5) as isize;
    while i >= 0 {
        let at = i as usize;
        if let Some(window) = bytes.get(at..at + 5) {
            if window[0] != b'_' && &window[1..4] == b"___" && window[4] != b'_' {
                return name.get(..at + 1).unwrap_or(name);
            }
        }
        i -= 1;
    }
    name
}

impl TargetBtf {
    /// Reads base BTF (vmlinux's) from its bytes, in the host's byte order.
    pub fn parse(data: Vec<u8>) -> Result<TargetBtf, BtfError> {
        TargetBtf::index("vmlinux", Bytes::Owned(data), None, &[], &[])
    }

    /// Reads a module's split BTF, whose ids and strings continue those of `base`.
    pub fn parse_split(
        name: &str,
        data: Vec<u8>,
        base: Arc<TargetBtf>,
    ) -> Result<TargetBtf, BtfError> {
        TargetBtf::index(name, Bytes::Owned(data), Some(base), &[], &[])
    }

    /// Reads base BTF from a file: a kernel's `/sys/kernel/btf/vmlinux`, or a copy of
    /// another kernel's (libbpf's `btf_custom_path`).
    /// The kernel's own files are mapped rather than copied where the kernel allows.
    pub fn from_file(path: &Path) -> Result<TargetBtf, BtfError> {
        TargetBtf::from_file_with_names(path, &[], &[])
    }

    /// [`TargetBtf::from_file`], looking up `names` among types of `kinds` (see
    /// [`TargetBtf::find_by_essential_names_of`]) in the same pass over the types that
    /// indexes them, so that asking for them later costs nothing: one walk over the
    /// megabytes of vmlinux BTF instead of two.
    pub fn from_file_with_names(
        path: &Path,
        names: &[&str],
        kinds: &[BtfKind],
    ) -> Result<TargetBtf, BtfError> {
        if let Ok(mapped) = bpf_sys::MappedKernelFile::open(path) {
            return TargetBtf::index("vmlinux", Bytes::Mapped(mapped), None, names, kinds);
        }
        let data = std::fs::read(path).map_err(|e| BtfError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        TargetBtf::index("vmlinux", Bytes::Owned(data), None, names, kinds)
    }

    /// Reads the running kernel's BTF from [`VMLINUX_BTF`].
    pub fn vmlinux() -> Result<TargetBtf, BtfError> {
        TargetBtf::from_file(Path::new(VMLINUX_BTF))
    }

    fn index(
        name: &str,
        data: Bytes,
        base: Option<Arc<TargetBtf>>,
        names: &[&str],
        kinds: &[BtfKind],
    ) -> Result<TargetBtf, BtfError> {
        let mask = kind_mask(kinds);
        let order = ByteOrder::host();
        let layout = Layout::read(&data, order, base.is_some())?;
        let first_id = base.as_ref().map_or(1, |b| b.type_count());
        let first_string = match &base {
            Some(b) => b.string_count()?,
            None => 0,
        };
        if u32::try_from(layout.types_end).is_err() {
            return Err(BtfError::Header {
                section: ".BTF",
                reason: "type section beyond 4 GiB".to_string(),
            });
        }
        // Records are at least 12 bytes; most vmlinux ones are 12 to 16.
        let mut offsets = Vec::with_capacity((layout.types_end - layout.types_start) / 16);
        let mut known: BTreeMap<String, (u32, Vec<u32>)> = names
            .iter()
            .map(|n| (n.to_string(), (mask, Vec::new())))
            .collect();
        let strings = data
            .get(layout.strings_start..layout.strings_start + layout.strings_len)
            .unwrap_or_default();
        let mut offset = layout.types_start;
        while offset < layout.types_end {
            let id = first_id.saturating_add(offsets.len() as u32);
            let next = record_end(&data, order, id, offset, layout.types_end)?;
            let info = read_u32(&data, offset + 4, order).unwrap_or(0);
            if !names.is_empty() && mask & (1 << ((info >> 24) & 0x1f)) != 0 {
                let name_off = read_u32(&data, offset, order).unwrap_or(0);
                if let Some(name) = name_off
                    .checked_sub(first_string)
                    .filter(|_| name_off != 0)
                    .and_then(|off| strings.get(off as usize..))
                {
                    for wanted in names {
                        if has_essential_name(name, wanted.as_bytes()) {
                            if let Some((_, ids)) = known.get_mut(*wanted) {
                                ids.push(id);
                            }
                        }
                    }
                }
            }
            offsets.push(offset as u32);
            offset = next;
        }
        Ok(TargetBtf {
            name: name.to_string(),
            data,
            order,
            base,
            first_id,
            offsets,
            types_end: layout.types_end,
            strings_start: layout.strings_start,
            strings_len: layout.strings_len,
            first_string,
            known: Mutex::new(known),
        })
    }

    /// "vmlinux", or the module's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The BTF this one is split from (vmlinux for a module).
    pub fn base(&self) -> Option<&TargetBtf> {
        self.base.as_deref()
    }

    /// Number of type ids in use, counting `void` and the base's types: valid ids
    /// are `0..type_count()`.
    pub fn type_count(&self) -> u32 {
        self.first_id.saturating_add(self.offsets.len() as u32)
    }

    /// Id of the first type this blob itself defines.
    pub fn first_own_id(&self) -> u32 {
        self.first_id
    }

    fn string_count(&self) -> Result<u32, BtfError> {
        u32::try_from(self.strings_len)
            .ok()
            .and_then(|len| len.checked_add(self.first_string))
            .ok_or_else(|| BtfError::String {
                offset: self.first_string,
                reason: "string table beyond 4 GiB".to_string(),
            })
    }

    fn strings(&self) -> &[u8] {
        self.data
            .get(self.strings_start..self.strings_start + self.strings_len)
            .unwrap_or_default()
    }

    /// The type with this id, decoded now.
    pub fn type_by_id(&self, id: u32) -> Result<BtfType, BtfError> {
        if id == 0 {
            return Ok(BtfType {
                kind: BtfKind::Void,
                name_off: 0,
                vlen: 0,
                kind_flag: false,
                size_or_type: 0,
                detail: TypeDetail::None,
                record_offset: 0,
            });
        }
        if id < self.first_id {
            if let Some(base) = &self.base {
                return base.type_by_id(id);
            }
        }
        let offset = self.own_offset(id)?;
        let strings = self.first_string as usize + self.strings_len;
        decode_type(&self.data, self.order, strings, id, offset, self.types_end).map(|(t, _)| t)
    }

    /// The kind of a type, without decoding the rest of it.
    pub fn kind_of(&self, id: u32) -> Result<BtfKind, BtfError> {
        if id == 0 {
            return Ok(BtfKind::Void);
        }
        if id < self.first_id {
            if let Some(base) = &self.base {
                return base.kind_of(id);
            }
        }
        let offset = self.own_offset(id)?;
        let info = read_u32(&self.data, offset + 4, self.order).unwrap_or(0);
        BtfKind::from_raw((info >> 24) & 0x1f).ok_or_else(|| BtfError::Type {
            id,
            offset,
            reason: "unknown kind".to_string(),
        })
    }

    fn own_offset(&self, id: u32) -> Result<usize, BtfError> {
        id.checked_sub(self.first_id)
            .and_then(|i| self.offsets.get(i as usize))
            .map(|&o| o as usize)
            .ok_or_else(|| BtfError::Resolve {
                id,
                reason: format!(
                    "no such type in the {} BTF (there are {})",
                    self.name,
                    self.type_count()
                ),
            })
    }

    /// The string at `offset` (the base's strings first, then this blob's).
    pub fn string(&self, offset: u32) -> Result<&str, BtfError> {
        if offset < self.first_string {
            if let Some(base) = &self.base {
                return base.string(offset);
            }
        }
        string_in(self.strings(), offset - self.first_string).map_err(|e| match e {
            BtfError::String { reason, .. } => BtfError::String { offset, reason },
            other => other,
        })
    }

    /// The name of a type ("" for anonymous ones).
    pub fn type_name(&self, id: u32) -> Result<&str, BtfError> {
        self.string(self.type_by_id(id)?.name_off)
    }

    /// The raw name bytes of this blob's type at `offset` (without NUL), or `None`
    /// for an anonymous type or a name that is not this blob's.
    fn own_name_bytes(&self, record: usize) -> Option<&[u8]> {
        let name_off = read_u32(&self.data, record, self.order)?;
        if name_off == 0 {
            return None;
        }
        let rest = self
            .strings()
            .get(name_off.checked_sub(self.first_string)? as usize..)?;
        let len = rest.iter().position(|&b| b == 0)?;
        rest.get(..len)
    }

    /// The first type of this blob (not its base) of kind `kind` named `name`.
    pub fn find(&self, kind: BtfKind, name: &str) -> Option<u32> {
        self.own_types().find_map(|(id, record)| {
            (self.own_name_bytes(record) == Some(name.as_bytes())
                && self.kind_of(id).ok() == Some(kind))
            .then_some(id)
        })
    }

    /// For each of `names` (essential names: see [`essential_name`]), the ids of this
    /// blob's types (not its base's) of any kind whose essential name equals it, in id
    /// order. One pass over the types, comparing raw name bytes.
    pub fn find_by_essential_names(&self, names: &[&str]) -> BTreeMap<String, Vec<u32>> {
        self.find_by_essential_names_of(names, &[])
    }

    /// [`TargetBtf::find_by_essential_names`] among types of `kinds` only (all kinds
    /// when empty): names of other types are not even read, which is most of the cost.
    /// Names looked up before (or when the BTF was opened) are answered from memory.
    pub fn find_by_essential_names_of(
        &self,
        names: &[&str],
        kinds: &[BtfKind],
    ) -> BTreeMap<String, Vec<u32>> {
        let mask = kind_mask(kinds);
        let of_kind = |id: &u32| self.kind_of(*id).is_ok_and(|k| mask & (1 << k as u32) != 0);
        let mut found = BTreeMap::new();
        let mut unknown = Vec::new();
        {
            let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
            for name in names {
                match known.get(*name) {
                    Some((looked_in, ids)) if looked_in & mask == mask => {
                        let ids = ids.iter().copied().filter(of_kind).collect();
                        found.insert(name.to_string(), ids);
                    }
                    _ => unknown.push(*name),
                }
            }
        }
        if unknown.is_empty() {
            return found;
        }
        let scanned = self.scan(&unknown, kinds);
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        for (name, ids) in &scanned {
            known.insert(name.clone(), (mask, ids.clone()));
        }
        found.extend(scanned);
        found
    }

    /// One pass over this blob's types of `kinds` (all when empty) for `names`.
    fn scan(&self, names: &[&str], kinds: &[BtfKind]) -> BTreeMap<String, Vec<u32>> {
        let mask = kind_mask(kinds);
        let mut found: BTreeMap<String, Vec<u32>> =
            names.iter().map(|n| (n.to_string(), Vec::new())).collect();
        let strings = self.strings();
        let data: &[u8] = &self.data;
        for (id, record) in self.own_types() {
            let (Some(name_off), Some(info)) = (
                read_u32(data, record, self.order),
                read_u32(data, record + 4, self.order),
            ) else {
                continue;
            };
            if name_off < self.first_string || name_off == 0 {
                continue;
            }
            if mask & (1 << ((info >> 24) & 0x1f)) == 0 {
                continue;
            }
            let Some(name) = strings.get((name_off - self.first_string) as usize..) else {
                continue;
            };
            for wanted in names {
                if has_essential_name(name, wanted.as_bytes()) {
                    if let Some(ids) = found.get_mut(*wanted) {
                        ids.push(id);
                    }
                }
            }
        }
        found
    }

    /// This blob's types: (id, record offset).
    fn own_types(&self) -> impl Iterator<Item = (u32, usize)> + '_ {
        self.offsets
            .iter()
            .enumerate()
            .map(|(i, &o)| (self.first_id.saturating_add(i as u32), o as usize))
    }
}

/// A bit per raw kind number of `kinds`; every kind when empty.
fn kind_mask(kinds: &[BtfKind]) -> u32 {
    if kinds.is_empty() {
        return u32::MAX;
    }
    kinds.iter().fold(0, |mask, &k| mask | 1 << k as u32)
}

/// Whether the NUL-terminated name at the start of `name` has essential name
/// `wanted`: it is `wanted`, or `wanted` with a flavor suffix.
fn has_essential_name(name: &[u8], wanted: &[u8]) -> bool {
    if wanted.is_empty() || !name.starts_with(wanted) {
        return false;
    }
    match name.get(wanted.len()) {
        Some(0) => true,
        Some(b'_') => {
            let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            std::str::from_utf8(name.get(..len).unwrap_or_default())
                .is_ok_and(|full| essential_name(full).as_bytes() == wanted)
        }
        _ => false,
    }
}

/// Bytes after the 12-byte record, by raw kind: (fixed, per `vlen` entry); `None` for
/// kinds that do not exist.
const RECORD_EXTRA: [Option<(usize, usize)>; 20] = [
    None,          // 0: void is never written
    Some((4, 0)),  // int
    Some((0, 0)),  // ptr
    Some((12, 0)), // array
    Some((0, 12)), // struct
    Some((0, 12)), // union
    Some((0, 8)),  // enum
    Some((0, 0)),  // fwd
    Some((0, 0)),  // typedef
    Some((0, 0)),  // volatile
    Some((0, 0)),  // const
    Some((0, 0)),  // restrict
    Some((0, 0)),  // func
    Some((0, 8)),  // func_proto
    Some((4, 0)),  // var
    Some((0, 12)), // datasec
    Some((0, 0)),  // float
    Some((4, 0)),  // decl_tag
    Some((0, 0)),  // type_tag
    Some((0, 12)), // enum64
];

/// Where the record of type `id` at `offset` ends, from its kind and `vlen` alone.
fn record_end(
    data: &[u8],
    order: ByteOrder,
    id: u32,
    offset: usize,
    end: usize,
) -> Result<usize, BtfError> {
    let fail = |reason: String| BtfError::Type { id, offset, reason };
    let info = read_u32(data, offset + 4, order)
        .ok_or_else(|| fail("the type record runs past the end of the type section".into()))?;
    let raw_kind = ((info >> 24) & 0x1f) as usize;
    let (fixed, per_entry) = RECORD_EXTRA
        .get(raw_kind)
        .copied()
        .flatten()
        .ok_or_else(|| fail(format!("unknown kind {raw_kind}")))?;
    let next = offset + TYPE_SIZE + fixed + per_entry * (info & 0xffff) as usize;
    if next > end {
        return Err(fail(
            "the type record runs past the end of the type section".into(),
        ));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::tests::sample;
    use crate::btf::{Btf, BtfTypes};

    #[test]
    fn essential_names_drop_flavors() {
        assert_eq!(essential_name("task_struct___v2"), "task_struct");
        assert_eq!(essential_name("a___b___c"), "a___b");
        assert_eq!(essential_name("task_struct"), "task_struct");
        assert_eq!(essential_name("___x"), "___x");
        assert_eq!(essential_name("x____y"), "x____y");
        assert_eq!(essential_name(""), "");
        assert_eq!(essential_name("é___v"), "é");
    }

    #[test]
    fn decodes_the_same_types_as_the_eager_reader() {
        let eager = Btf::parse(&sample(), ByteOrder::Little).unwrap();
        let lazy = TargetBtf::parse(sample()).unwrap();
        assert_eq!(lazy.type_count() as usize, eager.type_count());
        for id in 0..lazy.type_count() {
            assert_eq!(&lazy.type_by_id(id).unwrap(), eager.type_by_id(id).unwrap());
            assert_eq!(
                lazy.kind_of(id).unwrap(),
                eager.type_by_id(id).unwrap().kind
            );
            assert_eq!(lazy.size_of(id).ok(), eager.resolve_size(id).ok(), "{id}");
        }
        assert!(lazy.type_by_id(lazy.type_count()).is_err());
        assert_eq!(lazy.find(BtfKind::Struct, "s"), Some(5));
        assert_eq!(lazy.find(BtfKind::Union, "s"), None);
        let found = lazy.find_by_essential_names(&["s", "int", "none"]);
        assert_eq!(found["s"], [5]);
        assert_eq!(found["int"], [1]);
        assert!(found["none"].is_empty());
    }

    #[test]
    fn corrupting_any_byte_gives_no_panic() {
        let data = sample();
        for position in 0..data.len() {
            for value in [0x00, 0xff, 0x80, 0x13] {
                let mut copy = data.clone();
                copy[position] = value;
                if let Ok(btf) = TargetBtf::parse(copy) {
                    for id in 0..btf.type_count() + 2 {
                        let _ = btf.type_by_id(id);
                        let _ = btf.type_name(id);
                        let _ = btf.size_of(id);
                    }
                    let _ = btf.find_by_essential_names(&["s", "int"]);
                }
            }
        }
    }

    #[test]
    fn reads_this_kernels_btf() {
        let btf = TargetBtf::vmlinux();
        let Ok(btf) = btf.map_err(|_| rtc_tests::skip::<()>("the kernel publishes no BTF")) else {
            return;
        };
        let found = btf.find_by_essential_names(&["__sk_buff", "task_struct"]);
        let skb = found["__sk_buff"]
            .iter()
            .copied()
            .find(|&id| btf.kind_of(id).ok() == Some(BtfKind::Struct))
            .expect("struct __sk_buff in vmlinux");
        assert_eq!(btf.type_name(skb).unwrap(), "__sk_buff");
        // uapi: struct __sk_buff starts with `__u32 len`, and is 192 bytes.
        let TypeDetail::Members(members) = btf.type_by_id(skb).unwrap().detail else {
            panic!("no members");
        };
        assert_eq!(btf.string(members[0].name_off).unwrap(), "len");
        assert_eq!(btf.size_of(skb).unwrap(), 192);
        assert_eq!(btf.find(BtfKind::Struct, "__sk_buff"), Some(skb));
    }
}
