//! The thirteen kinds of CO-RE relocation (`enum bpf_core_relo_kind`) and the three
//! families they fall into.

use std::fmt;

/// What a CO-RE relocation asks for (`enum bpf_core_relo_kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CoreReloKind {
    /// Byte offset of a field (`BPF_CORE_FIELD_BYTE_OFFSET`, 0).
    FieldByteOffset,
    /// Size in bytes of a field (1).
    FieldByteSize,
    /// 1 if the field exists in the kernel, else 0 (2).
    FieldExists,
    /// 1 if the field is a signed integer or signed enum (3).
    FieldSigned,
    /// Left shift that moves a bitfield to the top of a u64 (4).
    FieldLshiftU64,
    /// Right shift that then moves it to the bottom (5).
    FieldRshiftU64,
    /// The type's id in the object's own BTF (6).
    TypeIdLocal,
    /// The type's id in the kernel's BTF (7).
    TypeIdTarget,
    /// 1 if a compatible type exists in the kernel (8).
    TypeExists,
    /// Size in bytes of the kernel's type (9).
    TypeSize,
    /// 1 if the enumerator exists in the kernel's enum (10).
    EnumValueExists,
    /// The kernel's value of the enumerator (11).
    EnumValue,
    /// 1 if the kernel's type matches the local one member by member (12).
    TypeMatches,
}

/// The three families, which parse their access strings differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindFamily {
    /// Walks fields and array elements.
    Field,
    /// Only the root type matters; the access string is "0".
    Type,
    /// The access string is the index of an enumerator.
    EnumValue,
}

impl CoreReloKind {
    /// All kinds, in the order of their numbers.
    pub const ALL: [CoreReloKind; 13] = [
        CoreReloKind::FieldByteOffset,
        CoreReloKind::FieldByteSize,
        CoreReloKind::FieldExists,
        CoreReloKind::FieldSigned,
        CoreReloKind::FieldLshiftU64,
        CoreReloKind::FieldRshiftU64,
        CoreReloKind::TypeIdLocal,
        CoreReloKind::TypeIdTarget,
        CoreReloKind::TypeExists,
        CoreReloKind::TypeSize,
        CoreReloKind::EnumValueExists,
        CoreReloKind::EnumValue,
        CoreReloKind::TypeMatches,
    ];

    /// The kind with this number in a `.BTF.ext` record.
    pub fn from_raw(raw: u32) -> Option<CoreReloKind> {
        CoreReloKind::ALL.get(raw as usize).copied()
    }

    /// Its number in a `.BTF.ext` record.
    pub fn raw(self) -> u32 {
        self as u32
    }

    /// A name for messages ("field byte offset", ...).
    pub fn name(self) -> &'static str {
        match self {
            CoreReloKind::FieldByteOffset => "field byte offset",
            CoreReloKind::FieldByteSize => "field byte size",
            CoreReloKind::FieldExists => "field exists",
            CoreReloKind::FieldSigned => "field signed",
            CoreReloKind::FieldLshiftU64 => "field lshift_u64",
            CoreReloKind::FieldRshiftU64 => "field rshift_u64",
            CoreReloKind::TypeIdLocal => "local type id",
            CoreReloKind::TypeIdTarget => "target type id",
            CoreReloKind::TypeExists => "type exists",
            CoreReloKind::TypeSize => "type size",
            CoreReloKind::EnumValueExists => "enum value exists",
            CoreReloKind::EnumValue => "enum value",
            CoreReloKind::TypeMatches => "type matches",
        }
    }

    /// Which family the kind belongs to.
    pub fn family(self) -> KindFamily {
        match self {
            CoreReloKind::FieldByteOffset
            | CoreReloKind::FieldByteSize
            | CoreReloKind::FieldExists
            | CoreReloKind::FieldSigned
            | CoreReloKind::FieldLshiftU64
            | CoreReloKind::FieldRshiftU64 => KindFamily::Field,
            CoreReloKind::TypeIdLocal
            | CoreReloKind::TypeIdTarget
            | CoreReloKind::TypeExists
            | CoreReloKind::TypeSize
            | CoreReloKind::TypeMatches => KindFamily::Type,
            CoreReloKind::EnumValueExists | CoreReloKind::EnumValue => KindFamily::EnumValue,
        }
    }

    /// True for the kinds whose answer to "not in the kernel" is the value 0 rather
    /// than a poisoned instruction.
    pub fn zero_when_missing(self) -> bool {
        matches!(
            self,
            CoreReloKind::FieldExists
                | CoreReloKind::EnumValueExists
                | CoreReloKind::TypeExists
                | CoreReloKind::TypeMatches
                | CoreReloKind::TypeSize
                | CoreReloKind::TypeIdTarget
        )
    }
}

impl fmt::Display for CoreReloKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for (i, kind) in CoreReloKind::ALL.iter().enumerate() {
            assert_eq!(CoreReloKind::from_raw(i as u32), Some(*kind));
            assert_eq!(kind.raw(), i as u32);
        }
        assert_eq!(CoreReloKind::from_raw(13), None);
    }
}
