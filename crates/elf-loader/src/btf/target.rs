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

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::btf::{BtfKind, BtfType, Layout, TYPE_SIZE, TypeDetail, decode_type, string_in};
use crate::bytes::read_u32;
use crate::error::BtfError;
use crate::object::ByteOrder;

/// Where the running kernel publishes its own BTF.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// A kernel's BTF (vmlinux, or a module's on top of it), decoded lazily.
#[derive(Debug)]
pub struct TargetBtf {
    name: String,
    data: Vec<u8>,
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
        TargetBtf::index("vmlinux", data, None)
    }

    /// Reads a module's split BTF, whose ids and strings continue those of `base`.
    pub fn parse_split(
        name: &str,
        data: Vec<u8>,
        base: Arc<TargetBtf>,
    ) -> Result<TargetBtf, BtfError> {
        TargetBtf::index(name, data, Some(base))
    }

    /// Reads base BTF from a file: a kernel's `/sys/kernel/btf/vmlinux`, or a copy of
    /// another kernel's (libbpf's `btf_custom_path`).
    pub fn from_file(path: &Path) -> Result<TargetBtf, BtfError> {
        let data = std::fs::read(path).map_err(|e| BtfError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        TargetBtf::parse(data)
    }

    /// Reads the running kernel's BTF from [`VMLINUX_BTF`].
    pub fn vmlinux() -> Result<TargetBtf, BtfError> {
        TargetBtf::from_file(Path::new(VMLINUX_BTF))
    }

    fn index(
        name: &str,
        data: Vec<u8>,
        base: Option<Arc<TargetBtf>>,
    ) -> Result<TargetBtf, BtfError> {
        let order = ByteOrder::host();
        let layout = Layout::read(&data, order, base.is_some())?;
        let first_id = base.as_ref().map_or(1, |b| b.type_count());
        let first_string = match &base {
            Some(b) => b.string_count()?,
            None => 0,
        };
        let mut offsets = Vec::new();
        let mut offset = layout.types_start;
        while offset < layout.types_end {
            let id = first_id.saturating_add(offsets.len() as u32);
            let next = record_end(&data, order, id, offset, layout.types_end)?;
            offsets.push(u32::try_from(offset).map_err(|_| BtfError::Type {
                id,
                offset,
                reason: "record beyond 4 GiB".to_string(),
            })?);
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
        let mut found: BTreeMap<String, Vec<u32>> =
            names.iter().map(|n| (n.to_string(), Vec::new())).collect();
        if names.is_empty() {
            return found;
        }
        for (id, record) in self.own_types() {
            let Some(bytes) = self.own_name_bytes(record) else {
                continue;
            };
            for wanted in names {
                if !bytes.starts_with(wanted.as_bytes()) {
                    continue;
                }
                let Ok(full) = std::str::from_utf8(bytes) else {
                    continue;
                };
                if essential_name(full) == *wanted {
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
    let raw_kind = (info >> 24) & 0x1f;
    let kind =
        BtfKind::from_raw(raw_kind).ok_or_else(|| fail(format!("unknown kind {raw_kind}")))?;
    let vlen = (info & 0xffff) as usize;
    let extra = match kind {
        BtfKind::Int | BtfKind::Var | BtfKind::DeclTag => 4,
        BtfKind::Array => 12,
        BtfKind::Struct | BtfKind::Union | BtfKind::Datasec | BtfKind::Enum64 => 12 * vlen,
        BtfKind::Enum | BtfKind::FuncProto => 8 * vlen,
        _ => 0,
    };
    let next = offset + TYPE_SIZE + extra;
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
        let Ok(btf) = TargetBtf::vmlinux() else {
            eprintln!("skipped: no {VMLINUX_BTF}");
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
