//! The access specification of a relocation: the access string ("0:1:2") parsed and
//! walked through the local type, as libbpf does it.
//!
//! The raw form has one number per step of the string. The first number indexes the
//! root pointer as an array (`&p->x` is `&p[0].x`); the following ones are member
//! indices in structs and unions or element indices in arrays, after typedefs and
//! qualifiers are skipped. The high-level form ([`Accessor`]s) keeps only the steps
//! that mean something to a reader and to matching: the root index, named members
//! (anonymous structs and unions are stepped through silently) and array elements.

use crate::btf::BtfTypes;
use crate::btf::core::Problem;
use crate::btf::core::kind::{CoreReloKind, KindFamily};
use crate::btf::{BtfKind, BtfType, Member, TypeDetail};

/// libbpf's limit on the number of steps of an access (`BPF_CORE_SPEC_MAX_LEN`).
pub const MAX_SPEC_LEN: usize = 64;

/// One meaningful step of an access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accessor {
    /// The struct, union or enum the step is in (modifiers skipped), or for array steps
    /// the element type.
    pub type_id: u32,
    /// Member, enumerator or element index.
    pub idx: u32,
    /// The member's or enumerator's name; `None` for array elements.
    pub name: Option<String>,
}

/// An access walked through one BTF (the object's or the kernel's).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spec {
    /// The type the access starts from.
    pub root_type_id: u32,
    /// The meaningful steps.
    pub accessors: Vec<Accessor>,
    /// Every step, as in the access string.
    pub raw: Vec<u32>,
    /// Bit offset of the accessed field from the start of the root.
    pub bit_offset: u32,
}

/// Bit offset of member `m` of a struct or union `ty` (the kind flag splits the word).
pub fn member_bit_offset(ty: &BtfType, m: &Member) -> u32 {
    if ty.kind_flag {
        m.offset & 0x00ff_ffff
    } else {
        m.offset
    }
}

/// Bitfield size of member `m` (0: not a bitfield).
pub fn member_bitfield_size(ty: &BtfType, m: &Member) -> u32 {
    if ty.kind_flag { m.offset >> 24 } else { 0 }
}

/// The members of a struct or union (empty for other kinds).
pub fn members(ty: &BtfType) -> &[Member] {
    match &ty.detail {
        TypeDetail::Members(m) => m,
        _ => &[],
    }
}

/// The enumerators of an enum or enum64 as (name offset, value) pairs; 32-bit values
/// are sign-extended as libbpf does (their C type is `int`).
pub fn enumerators(ty: &BtfType) -> Vec<(u32, u64)> {
    match (&ty.detail, ty.kind) {
        (TypeDetail::Enum(values), BtfKind::Enum) => values
            .iter()
            .map(|&(name, v)| (name, i64::from(v as u32 as i32) as u64))
            .collect(),
        (TypeDetail::Enum(values), _) => values.clone(),
        _ => Vec::new(),
    }
}

/// True for structs and unions.
pub fn is_composite(kind: BtfKind) -> bool {
    matches!(kind, BtfKind::Struct | BtfKind::Union)
}

/// True for enums of either width.
pub fn is_any_enum(kind: BtfKind) -> bool {
    matches!(kind, BtfKind::Enum | BtfKind::Enum64)
}

/// Array element type and count, for arrays.
pub fn array_of(ty: &BtfType) -> Option<(u32, u32)> {
    match ty.detail {
        TypeDetail::Array {
            elem_type, nelems, ..
        } if ty.kind == BtfKind::Array => Some((elem_type, nelems)),
        _ => None,
    }
}

/// Parses "0:1:2" into numbers, with libbpf's rules: not empty, no leading ':', every
/// number non-negative and an `int`, at most [`MAX_SPEC_LEN`] of them.
pub fn parse_access(access: &str) -> Result<Vec<u32>, Problem> {
    let bad = |why: &str| Problem::Invalid(format!("access string \"{access}\" {why}"));
    if access.is_empty() || access.starts_with(':') {
        return Err(bad("is empty or starts with ':'"));
    }
    let mut out = Vec::new();
    let mut rest = access;
    while !rest.is_empty() {
        rest = rest.strip_prefix(':').unwrap_or(rest);
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (number, tail) = rest.split_at(digits);
        let value: i32 = number
            .parse()
            .map_err(|_| bad("is not a list of non-negative numbers separated by ':'"))?;
        if out.len() == MAX_SPEC_LEN {
            return Err(bad(&format!("has more than {MAX_SPEC_LEN} steps")));
        }
        out.push(value as u32);
        rest = tail;
    }
    Ok(out)
}

/// True when the array reached by the step after `prev` may be indexed past its
/// declared length: a zero-length array that is the last member of its struct.
pub fn is_flex_array(
    types: &dyn BtfTypes,
    prev: Option<&Accessor>,
    nelems: u32,
) -> Result<bool, Problem> {
    let Some(prev) = prev else {
        return Ok(false);
    };
    if prev.name.is_none() || nelems > 0 {
        return Ok(false);
    }
    let parent = types.ty(prev.type_id)?;
    Ok(u32::from(parent.vlen) == prev.idx + 1)
}

/// Multiplies an index by an element size in bits, refusing what overflows 32 bits.
pub fn index_bits(index: u32, size: u32) -> Result<u32, Problem> {
    u64::from(index)
        .checked_mul(u64::from(size))
        .and_then(|v| v.checked_mul(8))
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| {
            Problem::Invalid(format!(
                "element {index} of {size}-byte elements is beyond 2^32 bits"
            ))
        })
}

/// Adds bit offsets, refusing what overflows 32 bits.
pub fn add_bits(a: u32, b: u32) -> Result<u32, Problem> {
    a.checked_add(b)
        .ok_or_else(|| Problem::Invalid("bit offset overflows 32 bits".to_string()))
}

/// Walks the access `raw` of kind `kind` through the local type `root` (libbpf's
/// `bpf_core_parse_spec`).
pub fn parse_spec(
    types: &dyn BtfTypes,
    root: u32,
    access: &str,
    kind: CoreReloKind,
) -> Result<Spec, Problem> {
    let raw = parse_access(access)?;
    let mut spec = Spec {
        root_type_id: root,
        ..Spec::default()
    };
    if kind.family() == KindFamily::Type {
        if access != "0" {
            return Err(Problem::Invalid(format!(
                "access string \"{access}\" of a type relocation is not \"0\""
            )));
        }
        return Ok(spec);
    }
    let first = raw.first().copied().unwrap_or(0);
    let mut id = types.skip_mods(root)?;
    spec.accessors.push(Accessor {
        type_id: id,
        idx: first,
        name: None,
    });
    spec.raw = raw.clone();
    if kind.family() == KindFamily::EnumValue {
        let ty = types.ty(id)?;
        if !is_any_enum(ty.kind) {
            return Err(Problem::Invalid(format!(
                "enum value relocation on a {:?}, not an enum",
                ty.kind
            )));
        }
        let values = enumerators(&ty);
        let (name_off, _) = match (raw.len(), values.get(first as usize)) {
            (1, Some(v)) => *v,
            _ => {
                return Err(Problem::Invalid(format!(
                    "access string \"{access}\" is not one index below the enum's {} values",
                    values.len()
                )));
            }
        };
        let name = types.str_at(name_off)?.to_string();
        if let Some(acc) = spec.accessors.first_mut() {
            acc.name = Some(name);
        }
        return Ok(spec);
    }
    spec.bit_offset = index_bits(first, types.size_of(id)?)?;
    for (step, &index) in raw.iter().enumerate().skip(1) {
        id = types.skip_mods(id)?;
        let ty = types.ty(id)?;
        if is_composite(ty.kind) {
            let member = members(&ty).get(index as usize).ok_or_else(|| {
                Problem::Invalid(format!(
                    "step {step} is member {index} of a type with {} members",
                    ty.vlen
                ))
            })?;
            spec.bit_offset = add_bits(spec.bit_offset, member_bit_offset(&ty, member))?;
            if member.name_off != 0 {
                let name = types.str_at(member.name_off)?;
                if name.is_empty() {
                    return Err(Problem::Invalid(format!(
                        "member {index} of type {id} has an empty name"
                    )));
                }
                spec.accessors.push(Accessor {
                    type_id: id,
                    idx: index,
                    name: Some(name.to_string()),
                });
            }
            id = member.type_id;
        } else if let Some((elem, nelems)) = array_of(&ty) {
            id = types.skip_mods(elem)?;
            let flex = is_flex_array(types, spec.accessors.last(), nelems)?;
            if !flex && index >= nelems {
                return Err(Problem::Invalid(format!(
                    "step {step} is element {index} of an array of {nelems}"
                )));
            }
            spec.accessors.push(Accessor {
                type_id: id,
                idx: index,
                name: None,
            });
            spec.bit_offset = add_bits(spec.bit_offset, index_bits(index, types.size_of(id)?)?)?;
        } else {
            return Err(Problem::Invalid(format!(
                "step {step} goes into type {id}, a {:?}, which has neither members nor elements",
                ty.kind
            )));
        }
    }
    Ok(spec)
}

/// "struct foo", "union bar", "enum baz", "typedef t", "int", ... for messages.
pub fn describe(types: &dyn BtfTypes, id: u32) -> String {
    let Ok(ty) = types.ty(id) else {
        return format!("type {id}");
    };
    let name = types.str_at(ty.name_off).unwrap_or("");
    let name = if name.is_empty() { "<anon>" } else { name };
    let word = match ty.kind {
        BtfKind::Void => return "void".to_string(),
        BtfKind::Struct => "struct",
        BtfKind::Union => "union",
        BtfKind::Enum | BtfKind::Enum64 => "enum",
        BtfKind::Typedef => "typedef",
        BtfKind::Fwd if ty.kind_flag => "union (forward)",
        BtfKind::Fwd => "struct (forward)",
        BtfKind::Ptr => "pointer",
        BtfKind::Array => "array",
        BtfKind::Const => "const",
        BtfKind::Volatile => "volatile",
        BtfKind::Restrict => "restrict",
        BtfKind::TypeTag => "type tag",
        BtfKind::Func => "func",
        BtfKind::FuncProto => "func proto",
        BtfKind::Var => "var",
        BtfKind::Datasec => "datasec",
        BtfKind::DeclTag => "decl tag",
        BtfKind::Int | BtfKind::Float => return name.to_string(),
    };
    format!("{word} {name}")
}

/// The human form of a spec, as libbpf prints it: `task_struct.__state`,
/// `foo.arr[3].x`, `enum_name::VALUE`, or just the type's name.
pub fn path(types: &dyn BtfTypes, spec: &Spec, kind: CoreReloKind) -> String {
    let root = types.name_of(spec.root_type_id).unwrap_or("");
    let mut out = if root.is_empty() {
        "<anon>".to_string()
    } else {
        root.to_string()
    };
    match kind.family() {
        KindFamily::Type => {}
        KindFamily::EnumValue => {
            if let Some(name) = spec.accessors.first().and_then(|a| a.name.as_deref()) {
                out.push_str("::");
                out.push_str(name);
            }
        }
        KindFamily::Field => {
            for (i, acc) in spec.accessors.iter().enumerate() {
                match &acc.name {
                    Some(name) => {
                        out.push('.');
                        out.push_str(name);
                    }
                    None if i > 0 || acc.idx > 0 => out.push_str(&format!("[{}]", acc.idx)),
                    None => {}
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_strings_follow_libbpf_rules() {
        assert_eq!(parse_access("0").unwrap(), vec![0]);
        assert_eq!(parse_access("0:12:3").unwrap(), vec![0, 12, 3]);
        for bad in ["", ":0", "0:", "0::1", "a", "0:-1", "0:99999999999", "0 1"] {
            assert!(parse_access(bad).is_err(), "{bad}");
        }
        let long = vec!["1"; MAX_SPEC_LEN + 1].join(":");
        assert!(parse_access(&long).is_err());
        let max = vec!["1"; MAX_SPEC_LEN].join(":");
        assert_eq!(parse_access(&max).unwrap().len(), MAX_SPEC_LEN);
    }
}
