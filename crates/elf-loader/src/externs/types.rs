//! The few BTF questions extern handling asks, over any BTF: the object's own
//! ([`Btf`]) or the kernel's. [`TypeTable`] is what a BTF must answer; the helpers
//! follow typedefs and qualifiers, give alignments and integer encodings, and
//! decide whether two types are compatible the way libbpf's
//! `bpf_core_types_are_compat` does (the check libbpf applies to typed `__ksym`
//! variables and to kfunc prototypes).

use std::borrow::Cow;

use crate::btf::error::BtfError;
use crate::btf::{Btf, BtfKind, BtfType, BtfTypes, TargetBtf, TypeDetail};

/// How deep libbpf follows chains before giving up (its `depth`/`level` of 32).
const MAX_DEPTH: usize = 32;
/// Size of a pointer in BPF programs.
const PTR_SIZE: u32 = 8;
/// `BTF_INT_SIGNED`.
pub const INT_SIGNED: u8 = 1 << 0;
/// `BTF_INT_BOOL`.
pub const INT_BOOL: u8 = 1 << 2;

/// The lookup extern handling needs from a BTF beyond types and strings.
pub trait TypeTable: BtfTypes {
    /// The first type of kind `kind` named `name` (for a module's split BTF, among
    /// its own types only).
    fn find_named(&self, kind: BtfKind, name: &str) -> Option<u32>;
}

impl TypeTable for Btf {
    fn find_named(&self, kind: BtfKind, name: &str) -> Option<u32> {
        self.find(kind, name)
    }
}

impl TypeTable for TargetBtf {
    fn find_named(&self, kind: BtfKind, name: &str) -> Option<u32> {
        self.find(kind, name)
    }
}

/// An `INT`'s encoding bits (`BTF_INT_SIGNED`, `BTF_INT_BOOL`, ...) and bit offset.
pub fn int_encoding(ty: &BtfType) -> Option<(u8, u8)> {
    match ty.detail {
        TypeDetail::Int {
            encoding, offset, ..
        } => Some((encoding, offset)),
        _ => None,
    }
}

/// True for the kinds libbpf's `skip_mods_and_typedefs` skips.
fn is_mod_or_typedef(kind: BtfKind) -> bool {
    matches!(
        kind,
        BtfKind::Typedef
            | BtfKind::Volatile
            | BtfKind::Const
            | BtfKind::Restrict
            | BtfKind::TypeTag
    )
}

/// Follows typedefs and qualifiers from `id`; returns the id reached and its type.
pub fn skip_mods<T: BtfTypes + ?Sized>(
    btf: &T,
    mut id: u32,
) -> Result<(u32, Cow<'_, BtfType>), BtfError> {
    for _ in 0..=MAX_DEPTH {
        let ty = btf.ty(id)?;
        if !is_mod_or_typedef(ty.kind) {
            return Ok((id, ty));
        }
        id = ty.size_or_type;
    }
    Err(BtfError::Resolve {
        id,
        reason: format!("more than {MAX_DEPTH} typedefs and qualifiers in a row"),
    })
}

/// A type described for messages: its kind and name (`struct task_struct`).
pub fn describe<T: BtfTypes + ?Sized>(btf: &T, id: u32) -> String {
    match btf.ty(id) {
        Ok(ty) => {
            let kind = format!("{:?}", ty.kind).to_lowercase();
            let name = btf.str_at(ty.name_off).unwrap_or("");
            if name.is_empty() {
                kind
            } else {
                format!("{kind} {name}")
            }
        }
        Err(_) => format!("type {id}"),
    }
}

/// The alignment of type `id` as libbpf's `btf__align_of` computes it, for the kinds
/// a kconfig extern can have (integers, enums, floats, pointers, arrays, structs
/// and unions, through typedefs and qualifiers).
pub fn align_of<T: BtfTypes + ?Sized>(btf: &T, id: u32) -> Result<u32, BtfError> {
    align_at_depth(btf, id, 0)
}

fn align_at_depth<T: BtfTypes + ?Sized>(btf: &T, id: u32, depth: usize) -> Result<u32, BtfError> {
    let fail = |reason: String| BtfError::Resolve { id, reason };
    if depth > MAX_DEPTH {
        return Err(fail(format!("type chain deeper than {MAX_DEPTH}")));
    }
    let ty = btf.ty(id)?;
    match ty.kind {
        BtfKind::Int | BtfKind::Enum | BtfKind::Enum64 | BtfKind::Float => {
            Ok(ty.size_or_type.min(PTR_SIZE))
        }
        BtfKind::Ptr => Ok(PTR_SIZE),
        kind if is_mod_or_typedef(kind) => align_at_depth(btf, ty.size_or_type, depth + 1),
        BtfKind::Array => match ty.detail {
            TypeDetail::Array { elem_type, .. } => align_at_depth(btf, elem_type, depth + 1),
            _ => Err(fail("array without element type".to_string())),
        },
        BtfKind::Struct | BtfKind::Union => {
            let TypeDetail::Members(members) = &ty.detail else {
                return Err(fail("struct without members".to_string()));
            };
            let mut max = 1;
            for member in members {
                let align = align_at_depth(btf, member.type_id, depth + 1)?;
                if align == 0 {
                    return Err(fail("member of unknown alignment".to_string()));
                }
                max = max.max(align);
                // A member (not a bitfield) off its natural boundary means the
                // struct is packed.
                let bitfield = ty.kind_flag && member.offset >> 24 != 0;
                if !bitfield && member.offset % (8 * align) != 0 {
                    return Ok(1);
                }
            }
            if ty.size_or_type % max != 0 {
                return Ok(1);
            }
            Ok(max)
        }
        kind => Err(fail(format!("a {kind:?} has no alignment"))),
    }
}

/// Whether a local and a kernel type are compatible as libbpf's
/// `bpf_core_types_are_compat` decides: same kind after typedefs and qualifiers
/// (any two enums match), structs, unions, enums and forward declarations match
/// by kind alone (the caller matched names), integers unless they are old-style
/// bitfield integers, pointers and arrays by what they point to or hold, function
/// prototypes by parameter count, each parameter and the return type.
/// An error means a chain too deep or a broken type.
pub fn types_are_compat<L: BtfTypes + ?Sized, R: BtfTypes + ?Sized>(
    local: &L,
    local_id: u32,
    target: &R,
    target_id: u32,
) -> Result<bool, BtfError> {
    // The same check CO-RE's type-based relocations make.
    crate::btf::core::types_compatible(local, local_id, target, target_id, MAX_DEPTH as i32)
        .map_err(|problem| problem.into_btf_error(local_id))
}
