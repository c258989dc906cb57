//! BTF, the BPF Type Format of the `.BTF` section: a header, a table of types and a
//! string table. This module reads it into [`Btf`], enough to
//!
//! * hand it to the kernel (`BPF_BTF_LOAD`) after the fix-ups the kernel needs
//!   ([`fixup`]: data-section sizes and variable offsets, which clang leaves at 0),
//! * read BTF-defined maps from `.maps` (`crate::btf_maps`), which are described only
//!   by types, and
//! * give programs their function and line information ([`ext`], the `.BTF.ext`
//!   section), so a verifier log shows the source lines.
//!
//! Layouts follow `include/uapi/linux/btf.h`. Nothing read from the file is trusted:
//! every offset, length and count is checked and every type id is checked to exist
//! before the parse succeeds, so later lookups cannot fail on a dangling reference.

pub mod core;
pub mod error;
pub mod ext;
pub mod fixup;
pub mod target;
mod types;

pub use target::{QuickTypes, TargetBtf, essential_name};
pub use types::BtfTypes;

use crate::btf::error::BtfError;
use crate::bytes::ByteOrder;
use crate::bytes::{read_u16, read_u32};

/// `BTF_MAGIC`, the first two bytes of `.BTF` and `.BTF.ext` in the object's byte order.
pub const BTF_MAGIC: u16 = 0xeb9f;
/// Size of `struct btf_header`.
const HEADER_SIZE: usize = 24;
/// Size of `struct btf_type` (name_off, info, size/type).
pub(crate) const TYPE_SIZE: usize = 12;
/// How deep type chains (typedef -> const -> ...) are followed before giving up: a
/// hostile file can make them loop.
pub(crate) const MAX_RESOLVE_DEPTH: usize = 32;

/// The kind of a BTF type (`BTF_KIND_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BtfKind {
    /// Type id 0: `void`.
    Void,
    /// An integer (`BTF_KIND_INT`).
    Int,
    /// A pointer.
    Ptr,
    /// An array.
    Array,
    /// A struct.
    Struct,
    /// A union.
    Union,
    /// An enum with 32-bit values.
    Enum,
    /// A forward declaration.
    Fwd,
    /// A typedef.
    Typedef,
    /// `volatile`.
    Volatile,
    /// `const`.
    Const,
    /// `restrict`.
    Restrict,
    /// A function (name and linkage; its type is a `FuncProto`).
    Func,
    /// A function signature.
    FuncProto,
    /// A variable.
    Var,
    /// A data section (`.data`, `.maps`, ...) and the variables in it.
    Datasec,
    /// A floating-point type.
    Float,
    /// A declaration tag.
    DeclTag,
    /// A type tag.
    TypeTag,
    /// An enum with 64-bit values.
    Enum64,
}

impl BtfKind {
    pub(crate) fn from_raw(kind: u32) -> Option<BtfKind> {
        Some(match kind {
            1 => BtfKind::Int,
            2 => BtfKind::Ptr,
            3 => BtfKind::Array,
            4 => BtfKind::Struct,
            5 => BtfKind::Union,
            6 => BtfKind::Enum,
            7 => BtfKind::Fwd,
            8 => BtfKind::Typedef,
            9 => BtfKind::Volatile,
            10 => BtfKind::Const,
            11 => BtfKind::Restrict,
            12 => BtfKind::Func,
            13 => BtfKind::FuncProto,
            14 => BtfKind::Var,
            15 => BtfKind::Datasec,
            16 => BtfKind::Float,
            17 => BtfKind::DeclTag,
            18 => BtfKind::TypeTag,
            19 => BtfKind::Enum64,
            _ => return None,
        })
    }

    /// The kind's `BTF_KIND_*` number (0 for [`BtfKind::Void`]), as the kernel's BTF
    /// helpers and the type records' info word spell it.
    pub fn number(self) -> u32 {
        match self {
            BtfKind::Void => 0,
            BtfKind::Int => 1,
            BtfKind::Ptr => 2,
            BtfKind::Array => 3,
            BtfKind::Struct => 4,
            BtfKind::Union => 5,
            BtfKind::Enum => 6,
            BtfKind::Fwd => 7,
            BtfKind::Typedef => 8,
            BtfKind::Volatile => 9,
            BtfKind::Const => 10,
            BtfKind::Restrict => 11,
            BtfKind::Func => 12,
            BtfKind::FuncProto => 13,
            BtfKind::Var => 14,
            BtfKind::Datasec => 15,
            BtfKind::Float => 16,
            BtfKind::DeclTag => 17,
            BtfKind::TypeTag => 18,
            BtfKind::Enum64 => 19,
        }
    }

    /// True for kinds whose third word is another type's id rather than a size.
    pub(crate) fn refers_to_type(self) -> bool {
        matches!(
            self,
            BtfKind::Ptr
                | BtfKind::Typedef
                | BtfKind::Volatile
                | BtfKind::Const
                | BtfKind::Restrict
                | BtfKind::Func
                | BtfKind::FuncProto
                | BtfKind::Var
                | BtfKind::DeclTag
                | BtfKind::TypeTag
        )
    }

    /// True for the kinds that only qualify another type (skipped when looking for
    /// what a type really is).
    pub fn is_modifier(self) -> bool {
        matches!(
            self,
            BtfKind::Typedef
                | BtfKind::Volatile
                | BtfKind::Const
                | BtfKind::Restrict
                | BtfKind::TypeTag
        )
    }
}

/// A member of a struct or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Offset of the name in the string table (0: anonymous).
    pub name_off: u32,
    /// The member's type id.
    pub type_id: u32,
    /// Offset in bits (with the kind flag set: bitfield size in the top 8 bits).
    pub offset: u32,
}

/// A variable of a data section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarSecinfo {
    /// The `Var` type's id.
    pub type_id: u32,
    /// Offset of the variable in the section.
    pub offset: u32,
    /// Its size in bytes.
    pub size: u32,
}

/// What follows a type record, depending on its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeDetail {
    /// Nothing beyond the 12-byte record (or nothing this loader needs).
    None,
    /// An integer's encoding word.
    Int {
        /// `BTF_INT_ENCODING`: 1 signed, 2 char, 4 bool.
        encoding: u8,
        /// `BTF_INT_OFFSET`: bit offset of the value (0 except in old bitfield encodings).
        offset: u8,
        /// `BTF_INT_BITS`: number of bits of the value.
        bits: u8,
    },
    /// An array: element type, index type, number of elements.
    Array {
        /// Element type id.
        elem_type: u32,
        /// Index type id.
        index_type: u32,
        /// Number of elements.
        nelems: u32,
    },
    /// Struct or union members.
    Members(Vec<Member>),
    /// Function parameters: (name offset, type id) pairs.
    Params(Vec<(u32, u32)>),
    /// A variable's linkage (0 static, 1 global, 2 extern).
    Var {
        /// `BTF_VAR_*` linkage.
        linkage: u32,
    },
    /// The variables of a data section.
    Datasec(Vec<VarSecinfo>),
    /// Enumerators: (name offset, value). 32-bit values are zero-extended.
    Enum(Vec<(u32, u64)>),
}

/// One type of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfType {
    /// The kind.
    pub kind: BtfKind,
    /// Offset of the name in the string table (0: anonymous).
    pub name_off: u32,
    /// `vlen`: number of members, parameters, values or variables; for a `Func`, its
    /// linkage.
    pub vlen: u16,
    /// The kind flag (bitfield members, forward-declared unions, ...).
    pub kind_flag: bool,
    /// Size in bytes, or the id of the type referred to (see [`BtfType::type_ref`]).
    pub size_or_type: u32,
    /// Kind-specific data.
    pub detail: TypeDetail,
    /// Offset of the 12-byte record in the section, for the fix-ups.
    pub(crate) record_offset: usize,
}

impl BtfType {
    /// The type this one refers to (pointee, aliased, qualified, the variable's or
    /// function's type), for kinds that refer to one.
    pub fn type_ref(&self) -> Option<u32> {
        self.kind.refers_to_type().then_some(self.size_or_type)
    }
}

/// A parsed `.BTF` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Btf {
    order: ByteOrder,
    data: Vec<u8>,
    /// `types[id]`; `types[0]` is `void`.
    types: Vec<BtfType>,
    strings_start: usize,
    strings_len: usize,
}

impl Btf {
    /// Reads a `.BTF` section of an object of byte order `order`.
    pub fn parse(data: &[u8], order: ByteOrder) -> Result<Btf, BtfError> {
        let Layout {
            types_start,
            types_end,
            strings_start,
            strings_len,
        } = Layout::read(data, order, false)?;
        let mut btf = Btf {
            order,
            data: data.to_vec(),
            types: vec![BtfType {
                kind: BtfKind::Void,
                name_off: 0,
                vlen: 0,
                kind_flag: false,
                size_or_type: 0,
                detail: TypeDetail::None,
                record_offset: 0,
            }],
            strings_start,
            strings_len,
        };
        let mut offset = types_start;
        while offset < types_end {
            let id = btf.types.len() as u32;
            let (ty, next) = btf.read_type(id, offset, types_end)?;
            btf.types.push(ty);
            offset = next;
        }
        btf.check_references()?;
        Ok(btf)
    }

    /// Reads the type record at `offset` (type id `id`); returns it and where the next
    /// record starts.
    fn read_type(&self, id: u32, offset: usize, end: usize) -> Result<(BtfType, usize), BtfError> {
        decode_type(&self.data, self.order, self.strings_len, id, offset, end)
    }

    /// Checks that every type id mentioned anywhere exists, and that every name offset
    /// in members and parameters lies in the string table.
    fn check_references(&self) -> Result<(), BtfError> {
        let count = self.types.len() as u32;
        for (id, ty) in self.types.iter().enumerate().skip(1) {
            let id = id as u32;
            let fail = |reason: String| BtfError::Type {
                id,
                offset: ty.record_offset,
                reason,
            };
            let check = |what: &str, target: u32| {
                if target < count {
                    Ok(())
                } else {
                    Err(fail(format!(
                        "{what} refers to type {target}, but there are only {count} types"
                    )))
                }
            };
            if let Some(target) = ty.type_ref() {
                check("its type", target)?;
            }
            match &ty.detail {
                TypeDetail::Array {
                    elem_type,
                    index_type,
                    ..
                } => {
                    check("the element type", *elem_type)?;
                    check("the index type", *index_type)?;
                }
                TypeDetail::Members(members) => {
                    for member in members {
                        check("a member", member.type_id)?;
                        self.check_string(member.name_off)
                            .map_err(|r| fail(format!("member name: {r}")))?;
                    }
                }
                TypeDetail::Params(params) => {
                    for &(name_off, type_id) in params {
                        check("a parameter", type_id)?;
                        self.check_string(name_off)
                            .map_err(|r| fail(format!("parameter name: {r}")))?;
                    }
                }
                TypeDetail::Datasec(vars) => {
                    for var in vars {
                        check("a section variable", var.type_id)?;
                    }
                }
                TypeDetail::Enum(values) => {
                    for &(name_off, _) in values {
                        self.check_string(name_off)
                            .map_err(|r| fail(format!("enumerator name: {r}")))?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn check_string(&self, offset: u32) -> Result<(), String> {
        check_string(self.strings_len, offset)
    }

    /// The byte order the section is written in.
    pub fn byte_order(&self) -> ByteOrder {
        self.order
    }

    /// The section's bytes as found in the object.
    pub fn raw(&self) -> &[u8] {
        &self.data
    }

    /// Number of types, counting `void` (id 0).
    pub fn type_count(&self) -> usize {
        self.types.len()
    }

    /// The type with this id.
    pub fn type_by_id(&self, id: u32) -> Result<&BtfType, BtfError> {
        self.types
            .get(id as usize)
            .ok_or_else(|| BtfError::Resolve {
                id,
                reason: format!("no such type (there are {})", self.types.len()),
            })
    }

    /// The string at `offset` of the string table, up to its NUL.
    pub fn string(&self, offset: u32) -> Result<&str, BtfError> {
        let table = self
            .data
            .get(self.strings_start..self.strings_start + self.strings_len)
            .unwrap_or_default();
        string_in(table, offset)
    }

    /// The name of a type ("" for anonymous ones).
    pub fn type_name(&self, id: u32) -> Result<&str, BtfError> {
        self.string(self.type_by_id(id)?.name_off)
    }

    /// Follows typedefs and qualifiers to the type they stand for.
    pub fn skip_modifiers(&self, id: u32) -> Result<u32, BtfError> {
        self.skip_mods(id)
    }

    /// The size in bytes of a type, as `sizeof` would give it.
    pub fn resolve_size(&self, id: u32) -> Result<u32, BtfError> {
        self.size_of(id)
    }

    /// The id of the first type of kind `kind` named `name`.
    pub fn find(&self, kind: BtfKind, name: &str) -> Option<u32> {
        self.types
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, ty)| ty.kind == kind && self.string(ty.name_off).ok() == Some(name))
            .map(|(id, _)| id as u32)
    }

    /// Every type with its id, `void` excluded.
    pub fn types(&self) -> impl Iterator<Item = (u32, &BtfType)> {
        self.types
            .iter()
            .enumerate()
            .skip(1)
            .map(|(id, ty)| (id as u32, ty))
    }
}

/// Where the type records and the string table lie in a `.BTF` blob.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layout {
    /// First byte of the type records.
    pub types_start: usize,
    /// End of the type records.
    pub types_end: usize,
    /// First byte of the string table.
    pub strings_start: usize,
    /// Length of the string table.
    pub strings_len: usize,
}

impl Layout {
    /// Checks the header of a BTF blob and returns where its parts lie. `split` is
    /// true for split BTF, whose string table need not start with a NUL byte.
    pub(crate) fn read(data: &[u8], order: ByteOrder, split: bool) -> Result<Layout, BtfError> {
        let header = |reason: String| BtfError::Header {
            section: ".BTF",
            reason,
        };
        let (flags, hdr_len) = read_preamble(data, order, ".BTF", HEADER_SIZE)?;
        if flags != 0 {
            return Err(header(format!("flags {flags:#x}, none are known")));
        }
        // The preamble checked that `HEADER_SIZE` bytes are there.
        let field = |offset| read_u32(data, offset, order).map_or(0, |v| v as usize);
        let (type_off, type_len) = (field(8), field(12));
        let (str_off, str_len) = (field(16), field(20));
        let region = |what: &str, off: usize, len: usize| {
            hdr_len
                .checked_add(off)
                .and_then(|start| Some((start, start.checked_add(len)?)))
                .filter(|&(_, end)| end <= data.len())
                .ok_or_else(|| {
                    header(format!(
                        "{what} at offset {off} length {len} (after a {hdr_len}-byte header) runs past the section's {} bytes",
                        data.len()
                    ))
                })
        };
        let (types_start, types_end) = region("type section", type_off, type_len)?;
        let (strings_start, strings_end) = region("string section", str_off, str_len)?;
        if type_off % 4 != 0 {
            return Err(header(format!(
                "type section offset {type_off} is not 4-byte aligned"
            )));
        }
        if types_start < strings_end && strings_start < types_end {
            return Err(header("type and string sections overlap".to_string()));
        }
        let strings = data.get(strings_start..strings_end).unwrap_or_default();
        // Split BTF (a module's, on top of vmlinux) continues the base's strings.
        if (!split && strings.first() != Some(&0)) || strings.last() != Some(&0) {
            return Err(header(
                "string section does not start and end with a NUL byte".to_string(),
            ));
        }
        Ok(Layout {
            types_start,
            types_end,
            strings_start,
            strings_len: str_len,
        })
    }
}

/// Checks what `struct btf_header` (`.BTF`) and `struct btf_ext_header` (`.BTF.ext`)
/// begin with: the magic in `order`, version 1, and a header length of at least
/// `min_len` bytes that fits in `data`. Returns the flags byte and the header length;
/// errors name `section`.
pub(crate) fn read_preamble(
    data: &[u8],
    order: ByteOrder,
    section: &'static str,
    min_len: usize,
) -> Result<(u8, usize), BtfError> {
    let header = |reason: String| BtfError::Header { section, reason };
    let short = || header(format!("{} bytes, too short for a header", data.len()));
    let magic = read_u16(data, 0, order).ok_or_else(short)?;
    if magic != BTF_MAGIC {
        return Err(header(format!(
            "magic {magic:#06x} is not {BTF_MAGIC:#06x} in the object's byte order ({order})"
        )));
    }
    let version = data.get(2).copied().unwrap_or(0);
    if version != 1 {
        return Err(header(format!("version {version}, only 1 is known")));
    }
    let flags = data.get(3).copied().unwrap_or(0);
    let hdr_len = read_u32(data, 4, order).ok_or_else(short)? as usize;
    if hdr_len < min_len || hdr_len > data.len() {
        return Err(header(format!(
            "header length {hdr_len} is below {min_len} or beyond the section's {} bytes",
            data.len()
        )));
    }
    Ok((flags, hdr_len))
}

/// The NUL-terminated string at `offset` of a string table.
pub(crate) fn string_in(table: &[u8], offset: u32) -> Result<&str, BtfError> {
    let bad = |reason: String| BtfError::String { offset, reason };
    let bytes = table
        .get(offset as usize..)
        .filter(|rest| !rest.is_empty())
        .ok_or_else(|| bad(format!("outside the {}-byte string section", table.len())))?;
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let bytes = bytes.get(..len).unwrap_or_default();
    if len > crate::bytes::MAX_NAME_LEN * 8 {
        return Err(bad(format!("{len} bytes long")));
    }
    std::str::from_utf8(bytes).map_err(|e| bad(format!("not UTF-8: {e}")))
}

/// Decodes the type record at `offset` of `data` (type id `id`), whose string table
/// holds `strings_len` bytes; returns it and where the next record starts. Shared by
/// the object's [`Btf`] and the kernel's [`target::TargetBtf`].
pub(crate) fn decode_type(
    data: &[u8],
    order: ByteOrder,
    strings_len: usize,
    id: u32,
    offset: usize,
    end: usize,
) -> Result<(BtfType, usize), BtfError> {
    let data = data.get(..end).unwrap_or_default();
    let short = |what: &str| BtfError::Type {
        id,
        offset,
        reason: format!("{what} runs past the end of the type section"),
    };
    let word = |at: usize| read_u32(data, at, order);
    let (Some(name_off), Some(info), Some(size_or_type)) =
        (word(offset), word(offset + 4), word(offset + 8))
    else {
        return Err(short("the type record"));
    };
    let raw_kind = (info >> 24) & 0x1f;
    let kind = BtfKind::from_raw(raw_kind).ok_or_else(|| BtfError::Type {
        id,
        offset,
        reason: format!("unknown kind {raw_kind}"),
    })?;
    let vlen = (info & 0xffff) as u16;
    check_string(strings_len, name_off).map_err(|reason| BtfError::Type {
        id,
        offset,
        reason: format!("name: {reason}"),
    })?;
    let body = offset + TYPE_SIZE;
    let count = usize::from(vlen);
    // Each entry needs its bytes in the section, which bounds every allocation
    // below by the section size.
    let entries = |size: usize, what: &str| {
        let bytes = count * size;
        if body + bytes > end {
            Err(short(what))
        } else {
            Ok(body + bytes)
        }
    };
    let (detail, next) = match kind {
        BtfKind::Int | BtfKind::Var | BtfKind::DeclTag => {
            let next = entries(0, "")?;
            if next + 4 > end {
                return Err(short("the kind's extra word"));
            }
            let extra = word(body).unwrap_or(0);
            let detail = match kind {
                BtfKind::Var => TypeDetail::Var { linkage: extra },
                BtfKind::Int => TypeDetail::Int {
                    encoding: ((extra >> 24) & 0x0f) as u8,
                    offset: ((extra >> 16) & 0xff) as u8,
                    bits: (extra & 0xff) as u8,
                },
                _ => TypeDetail::None,
            };
            (detail, next + 4)
        }
        BtfKind::Array => {
            let (Some(elem_type), Some(index_type), Some(nelems)) =
                (word(body), word(body + 4), word(body + 8))
            else {
                return Err(short("the array description"));
            };
            (
                TypeDetail::Array {
                    elem_type,
                    index_type,
                    nelems,
                },
                body + 12,
            )
        }
        BtfKind::Struct | BtfKind::Union => {
            let next = entries(12, "the members")?;
            let members = (0..count)
                .map(|i| {
                    let at = body + i * 12;
                    Member {
                        name_off: word(at).unwrap_or(0),
                        type_id: word(at + 4).unwrap_or(0),
                        offset: word(at + 8).unwrap_or(0),
                    }
                })
                .collect();
            (TypeDetail::Members(members), next)
        }
        BtfKind::Enum => {
            let next = entries(8, "the enum values")?;
            let values = (0..count)
                .map(|i| {
                    let at = body + i * 8;
                    (word(at).unwrap_or(0), u64::from(word(at + 4).unwrap_or(0)))
                })
                .collect();
            (TypeDetail::Enum(values), next)
        }
        BtfKind::Enum64 => {
            let next = entries(12, "the enum values")?;
            let values = (0..count)
                .map(|i| {
                    let at = body + i * 12;
                    let low = u64::from(word(at + 4).unwrap_or(0));
                    let high = u64::from(word(at + 8).unwrap_or(0));
                    (word(at).unwrap_or(0), (high << 32) | low)
                })
                .collect();
            (TypeDetail::Enum(values), next)
        }
        BtfKind::FuncProto => {
            let next = entries(8, "the parameters")?;
            let params = (0..count)
                .map(|i| {
                    let at = body + i * 8;
                    (word(at).unwrap_or(0), word(at + 4).unwrap_or(0))
                })
                .collect();
            (TypeDetail::Params(params), next)
        }
        BtfKind::Datasec => {
            let next = entries(12, "the section's variables")?;
            let vars = (0..count)
                .map(|i| {
                    let at = body + i * 12;
                    VarSecinfo {
                        type_id: word(at).unwrap_or(0),
                        offset: word(at + 4).unwrap_or(0),
                        size: word(at + 8).unwrap_or(0),
                    }
                })
                .collect();
            (TypeDetail::Datasec(vars), next)
        }
        _ => (TypeDetail::None, body),
    };
    Ok((
        BtfType {
            kind,
            name_off,
            vlen,
            kind_flag: info >> 31 != 0,
            size_or_type,
            detail,
            record_offset: offset,
        },
        next,
    ))
}

/// Checks that a name offset lies in a string table of `strings_len` bytes.
fn check_string(strings_len: usize, offset: u32) -> Result<(), String> {
    if (offset as usize) < strings_len {
        Ok(())
    } else {
        Err(format!(
            "string offset {offset} is outside the {strings_len}-byte string section"
        ))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn kind_numbers_round_trip() {
        for raw in 1..=19 {
            assert_eq!(BtfKind::from_raw(raw).map(BtfKind::number), Some(raw));
        }
        assert_eq!(BtfKind::from_raw(20), None);
        assert_eq!(BtfKind::Void.number(), 0);
    }

    /// Builds a little-endian BTF blob from type records (as u32 words) and strings.
    pub(crate) fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
        let type_bytes: Vec<u8> = types.iter().flat_map(|w| w.to_le_bytes()).collect();
        let mut out = Vec::new();
        out.extend_from_slice(&BTF_MAGIC.to_le_bytes());
        out.extend_from_slice(&[1, 0]);
        for word in [24u32, 0, type_bytes.len() as u32, type_bytes.len() as u32] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        out.extend_from_slice(&type_bytes);
        out.extend_from_slice(strings);
        out
    }

    fn info(kind: u32, vlen: u32) -> u32 {
        (kind << 24) | vlen
    }

    /// `int` (id 1), `int[4]` (id 2), `typedef arr_t` (id 3), `const arr_t` (id 4),
    /// `struct s { arr_t a; int *p; }` (id 5), `int *` (id 6).
    pub(crate) fn sample() -> Vec<u8> {
        let strings = b"\0int\0arr_t\0s\0a\0p\0";
        blob(
            &[
                1,
                info(1, 0),
                4,
                32, // int
                0,
                info(3, 0),
                0,
                1,
                1,
                4, // int[4]
                5,
                info(8, 0),
                2, // typedef arr_t
                0,
                info(10, 0),
                3, // const arr_t
                11,
                info(4, 2),
                24,
                13,
                4,
                0,
                15,
                6,
                128, // struct s
                0,
                info(2, 0),
                1, // int *
            ],
            strings,
        )
    }

    #[test]
    fn parses_and_resolves_sizes() {
        let btf = Btf::parse(&sample(), ByteOrder::Little).unwrap();
        assert_eq!(btf.type_count(), 7);
        assert_eq!(btf.type_name(1).unwrap(), "int");
        assert_eq!(btf.resolve_size(2).unwrap(), 16);
        assert_eq!(btf.resolve_size(4).unwrap(), 16);
        assert_eq!(btf.skip_modifiers(4).unwrap(), 2);
        assert_eq!(btf.resolve_size(5).unwrap(), 24);
        assert_eq!(btf.resolve_size(6).unwrap(), 8);
        assert_eq!(btf.find(BtfKind::Struct, "s"), Some(5));
        let TypeDetail::Members(members) = &btf.type_by_id(5).unwrap().detail else {
            panic!("struct without members");
        };
        assert_eq!(btf.string(members[1].name_off).unwrap(), "p");
        assert_eq!(members[1].offset, 128);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let data = sample();
        for len in 0..data.len() {
            assert!(
                Btf::parse(&data[..len], ByteOrder::Little).is_err(),
                "{len}"
            );
        }
        assert!(Btf::parse(&data, ByteOrder::Big).is_err());
    }

    #[test]
    fn dangling_references_and_loops_are_errors() {
        // A pointer to type 9, which does not exist.
        let dangling = blob(&[0, info(2, 0), 9], b"\0");
        let err = Btf::parse(&dangling, ByteOrder::Little).unwrap_err();
        assert!(err.to_string().contains("refers to type 9"), "{err}");
        // typedef a -> typedef b -> typedef a.
        let looping = blob(&[1, info(8, 0), 2, 1, info(8, 0), 1], b"\0a\0");
        let btf = Btf::parse(&looping, ByteOrder::Little).unwrap();
        assert!(btf.resolve_size(1).is_err());
        assert!(btf.skip_modifiers(1).is_err());
        // An array whose size overflows.
        let huge = blob(
            &[1, info(1, 0), 4, 32, 0, info(3, 0), 0, 1, 1, u32::MAX],
            b"\0i\0",
        );
        let btf = Btf::parse(&huge, ByteOrder::Little).unwrap();
        assert!(btf.resolve_size(2).is_err());
        // Unknown kind, name outside the strings, vlen past the end.
        for bad in [
            blob(&[0, info(31, 0), 0], b"\0"),
            blob(&[99, info(1, 0), 4, 32], b"\0"),
            blob(&[0, info(4, 200), 4], b"\0"),
        ] {
            assert!(Btf::parse(&bad, ByteOrder::Little).is_err());
        }
    }

    #[test]
    fn corrupting_any_byte_gives_no_panic() {
        let data = sample();
        for position in 0..data.len() {
            for value in [0x00, 0xff, 0x80, 0x13] {
                let mut copy = data.clone();
                copy[position] = value;
                if let Ok(btf) = Btf::parse(&copy, ByteOrder::Little) {
                    for (id, _) in btf.types() {
                        let _ = btf.resolve_size(id);
                        let _ = btf.type_name(id);
                    }
                }
            }
        }
    }
}
