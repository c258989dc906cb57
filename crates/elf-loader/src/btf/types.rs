//! What type-walking code (CO-RE, extern checks) needs from a BTF, whichever side it
//! comes from: the object's own [`Btf`], decoded whole when the object is parsed, or a
//! kernel's [`TargetBtf`], decoded one type at a time on demand.

use std::borrow::Cow;

use crate::btf::error::BtfError;
use crate::btf::{Btf, BtfKind, BtfType, MAX_RESOLVE_DEPTH, TargetBtf, TypeDetail};

/// Types and strings of one BTF, by id and by offset.
pub trait BtfTypes {
    /// The type with this id (id 0 is `void`).
    fn ty(&self, id: u32) -> Result<Cow<'_, BtfType>, BtfError>;

    /// The string at `offset` of the string table.
    fn str_at(&self, offset: u32) -> Result<&str, BtfError>;

    /// The name of a type ("" for anonymous ones).
    fn name_of(&self, id: u32) -> Result<&str, BtfError> {
        let name_off = self.ty(id)?.name_off;
        self.str_at(name_off)
    }

    /// Follows typedefs, qualifiers and type tags to the type they stand for.
    fn skip_mods(&self, mut id: u32) -> Result<u32, BtfError> {
        for _ in 0..MAX_RESOLVE_DEPTH {
            let ty = self.ty(id)?;
            if !ty.kind.is_modifier() {
                return Ok(id);
            }
            id = ty.size_or_type;
        }
        Err(BtfError::Resolve {
            id,
            reason: format!("more than {MAX_RESOLVE_DEPTH} typedefs and qualifiers in a row"),
        })
    }

    /// The size in bytes of a type, as `sizeof` would give it.
    fn size_of(&self, id: u32) -> Result<u32, BtfError> {
        let mut id = id;
        let mut count: u32 = 1;
        for _ in 0..=MAX_RESOLVE_DEPTH {
            let fail = |reason: String| BtfError::Resolve { id, reason };
            let ty = self.ty(id)?;
            let size = match ty.kind {
                BtfKind::Int
                | BtfKind::Struct
                | BtfKind::Union
                | BtfKind::Enum
                | BtfKind::Enum64
                | BtfKind::Float
                | BtfKind::Datasec => ty.size_or_type,
                BtfKind::Ptr => 8,
                kind if kind.is_modifier() || kind == BtfKind::Var => {
                    id = ty.size_or_type;
                    continue;
                }
                BtfKind::Array => {
                    let TypeDetail::Array {
                        elem_type, nelems, ..
                    } = ty.detail
                    else {
                        return Err(fail("array without element type".to_string()));
                    };
                    count = count.checked_mul(nelems).ok_or_else(|| {
                        fail(format!("array of {nelems} elements overflows 32 bits"))
                    })?;
                    id = elem_type;
                    continue;
                }
                kind => return Err(fail(format!("a {kind:?} has no size"))),
            };
            return size
                .checked_mul(count)
                .ok_or_else(|| fail(format!("{count} elements of {size} bytes overflow 32 bits")));
        }
        Err(BtfError::Resolve {
            id,
            reason: format!("type chain deeper than {MAX_RESOLVE_DEPTH}"),
        })
    }
}

impl BtfTypes for Btf {
    fn ty(&self, id: u32) -> Result<Cow<'_, BtfType>, BtfError> {
        self.type_by_id(id).map(Cow::Borrowed)
    }

    fn str_at(&self, offset: u32) -> Result<&str, BtfError> {
        self.string(offset)
    }
}

impl BtfTypes for TargetBtf {
    fn ty(&self, id: u32) -> Result<Cow<'_, BtfType>, BtfError> {
        self.type_by_id(id).map(Cow::Owned)
    }

    fn str_at(&self, offset: u32) -> Result<&str, BtfError> {
        self.string(offset)
    }
}
