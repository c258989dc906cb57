//! The numbers a relocation puts into the instruction: computed once from the local
//! spec (what clang wrote) and once from the target spec (what the kernel needs), as
//! libbpf's `bpf_core_calc_relo` does.

use crate::btf::BtfKind;
use crate::btf::BtfTypes;
use crate::btf::TypeDetail;
use crate::btf::core::Problem;
use crate::btf::core::kind::{CoreReloKind, KindFamily};
use crate::btf::core::spec::{Spec, array_of, enumerators, member_bitfield_size, members};

/// One side's answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Side {
    value: u64,
    /// Size of the memory access for field byte offsets (0: not a sized access).
    mem_size: u32,
    /// Type of the accessed field, to judge a change of access size.
    type_id: u32,
}

/// The result of a relocation (libbpf's `bpf_core_relo_res`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resolution {
    /// The value clang put in the instruction.
    pub local_value: u64,
    /// The value the kernel needs.
    pub target_value: u64,
    /// The instruction must be made invalid (not found in the kernel).
    pub poison: bool,
    /// Check that the instruction holds `local_value` before patching.
    pub validate: bool,
    /// A load/store whose size would have to change in a way that changes the value
    /// read (signed integers, structs): poisoned when it is a memory access.
    pub bad_size_change: bool,
    /// Memory access size for the local field.
    pub local_size: u32,
    /// Memory access size for the kernel's field.
    pub target_size: u32,
}

/// Why a side could not be computed.
enum Fail {
    /// Not found in the kernel: poison the instruction.
    Poison,
    /// Something is wrong with the relocation itself.
    Problem(Problem),
}

impl From<Problem> for Fail {
    fn from(p: Problem) -> Self {
        Fail::Problem(p)
    }
}

impl From<crate::btf::error::BtfError> for Fail {
    fn from(e: crate::btf::error::BtfError) -> Self {
        Fail::Problem(Problem::Btf(e))
    }
}

/// Size of the innermost element of `id` (arrays of arrays skipped), with its id.
fn element_size(types: &dyn BtfTypes, id: u32) -> Result<(u32, u32), Fail> {
    let mut elem = types.skip_mods(id)?;
    for _ in 0..32 {
        let ty = types.ty(elem)?;
        match array_of(&ty) {
            Some((inner, _)) => elem = types.skip_mods(inner)?,
            None => return Ok((types.size_of(elem)?, elem)),
        }
    }
    Err(Fail::Problem(Problem::Invalid(
        "arrays nest more than 32 levels".to_string(),
    )))
}

/// libbpf's `bpf_core_calc_field_relo`; `validate` is set for the local side only.
fn field(
    types: &dyn BtfTypes,
    spec: Option<&Spec>,
    kind: CoreReloKind,
    validate: &mut bool,
) -> Result<Side, Fail> {
    if kind == CoreReloKind::FieldExists {
        return Ok(Side {
            value: u64::from(spec.is_some()),
            ..Side::default()
        });
    }
    let spec = spec.ok_or(Fail::Poison)?;
    let acc = spec
        .accessors
        .last()
        .ok_or_else(|| Problem::Invalid("empty field access".to_string()))?;
    let Some(_) = acc.name else {
        // The access ends on an array element.
        *validate = true;
        return match kind {
            CoreReloKind::FieldByteOffset => {
                let (size, _) = element_size(types, acc.type_id)?;
                Ok(Side {
                    value: u64::from(spec.bit_offset / 8),
                    mem_size: size,
                    type_id: acc.type_id,
                })
            }
            CoreReloKind::FieldByteSize => Ok(Side {
                value: u64::from(types.size_of(acc.type_id)?),
                ..Side::default()
            }),
            _ => Err(Fail::Problem(Problem::Invalid(format!(
                "a {kind} relocation cannot apply to an array element"
            )))),
        };
    };
    let parent = types.ty(acc.type_id)?;
    let member = members(&parent)
        .get(acc.idx as usize)
        .ok_or_else(|| Problem::Invalid("member index out of range".to_string()))?;
    let field_id = types.skip_mods(member.type_id)?;
    let field_ty = types.ty(field_id)?;
    let bit_off = spec.bit_offset;
    let mut bit_sz = member_bitfield_size(&parent, member);
    let bitfield = bit_sz > 0;
    let (byte_off, byte_sz) = if bitfield {
        let mut byte_sz = field_ty.size_or_type;
        if byte_sz == 0 {
            return Err(Fail::Problem(Problem::Invalid(
                "bitfield of a zero-sized type".to_string(),
            )));
        }
        let mut byte_off = bit_off / 8 / byte_sz * byte_sz;
        // The smallest load that holds every bit of the field.
        while u64::from(bit_off) + u64::from(bit_sz) - u64::from(byte_off) * 8
            > u64::from(byte_sz) * 8
        {
            if byte_sz >= 8 {
                return Err(Fail::Problem(Problem::Invalid(
                    "the bitfield cannot be read with one 64-bit load".to_string(),
                )));
            }
            byte_sz *= 2;
            byte_off = bit_off / 8 / byte_sz * byte_sz;
        }
        (byte_off, byte_sz)
    } else {
        let byte_sz = types.size_of(field_id)?;
        bit_sz = byte_sz.wrapping_mul(8);
        (bit_off / 8, byte_sz)
    };
    *validate = !bitfield;
    let mut side = Side::default();
    match kind {
        CoreReloKind::FieldByteOffset => {
            side.value = u64::from(byte_off);
            if !bitfield {
                let (size, _) = element_size(types, field_id)?;
                side.mem_size = size;
                side.type_id = field_id;
            }
        }
        CoreReloKind::FieldByteSize => side.value = u64::from(byte_sz),
        CoreReloKind::FieldSigned => {
            let signed = match (&field_ty.detail, field_ty.kind) {
                (_, BtfKind::Enum | BtfKind::Enum64) => field_ty.kind_flag,
                (TypeDetail::Int { encoding, .. }, BtfKind::Int) => encoding & 1 != 0,
                _ => false,
            };
            side.value = u64::from(signed);
            *validate = true;
        }
        CoreReloKind::FieldLshiftU64 => {
            // bit_off + bit_sz - byte_off * 8 <= byte_sz * 8 <= 64 by construction.
            let end = u64::from(bit_off) + u64::from(bit_sz) - u64::from(byte_off) * 8;
            side.value = if cfg!(target_endian = "little") {
                64u64.wrapping_sub(end)
            } else {
                (8 - u64::from(byte_sz)) * 8 + (u64::from(bit_off) - u64::from(byte_off) * 8)
            };
        }
        CoreReloKind::FieldRshiftU64 => {
            side.value = 64u64.wrapping_sub(u64::from(bit_sz));
            *validate = true;
        }
        _ => {
            return Err(Fail::Problem(Problem::Invalid(format!(
                "{kind} is not a field relocation"
            ))));
        }
    }
    Ok(side)
}

/// libbpf's `bpf_core_calc_type_relo`: 0 when the kernel has no such type.
fn type_based(types: &dyn BtfTypes, spec: Option<&Spec>, kind: CoreReloKind) -> Result<u64, Fail> {
    let Some(spec) = spec else {
        return Ok(0);
    };
    Ok(match kind {
        CoreReloKind::TypeIdTarget | CoreReloKind::TypeIdLocal => u64::from(spec.root_type_id),
        CoreReloKind::TypeExists | CoreReloKind::TypeMatches => 1,
        CoreReloKind::TypeSize => u64::from(types.size_of(spec.root_type_id)?),
        _ => {
            return Err(Fail::Problem(Problem::Invalid(format!(
                "{kind} is not a type relocation"
            ))));
        }
    })
}

/// libbpf's `bpf_core_calc_enumval_relo`.
fn enum_based(types: &dyn BtfTypes, spec: Option<&Spec>, kind: CoreReloKind) -> Result<u64, Fail> {
    match kind {
        CoreReloKind::EnumValueExists => Ok(u64::from(spec.is_some())),
        CoreReloKind::EnumValue => {
            let acc = spec.ok_or(Fail::Poison)?.accessors.first().ok_or_else(|| {
                Problem::Invalid("enum value relocation without an enumerator".to_string())
            })?;
            let ty = types.ty(acc.type_id)?;
            let values = enumerators(&ty);
            let (_, value) = values
                .get(acc.idx as usize)
                .ok_or_else(|| Problem::Invalid("enumerator index out of range".to_string()))?;
            Ok(*value)
        }
        _ => Err(Fail::Problem(Problem::Invalid(format!(
            "{kind} is not an enum value relocation"
        )))),
    }
}

/// True when a change of load size keeps the value: pointers to pointers, unsigned
/// integers to unsigned integers.
fn size_change_is_safe(
    local: &dyn BtfTypes,
    local_id: u32,
    target: &dyn BtfTypes,
    target_id: u32,
) -> Result<bool, Problem> {
    let l = local.ty(local_id)?;
    let t = target.ty(target_id)?;
    let unsigned_int = |ty: &crate::btf::BtfType| {
        ty.kind == BtfKind::Int && !matches!(ty.detail, TypeDetail::Int { encoding: 1, .. })
    };
    Ok(
        (l.kind == BtfKind::Ptr && t.kind == BtfKind::Ptr)
            || (unsigned_int(&l) && unsigned_int(&t)),
    )
}

/// Computes both values of a relocation (libbpf's `bpf_core_calc_relo`); `target`
/// is `None` when no candidate matched.
pub fn resolve(
    local: &dyn BtfTypes,
    local_spec: &Spec,
    target: &dyn BtfTypes,
    target_spec: Option<&Spec>,
    kind: CoreReloKind,
) -> Result<Resolution, Problem> {
    let mut res = Resolution {
        validate: true,
        ..Resolution::default()
    };
    let outcome: Result<(), Fail> = (|| {
        match kind.family() {
            KindFamily::Field => {
                let mut validate = true;
                let l = field(local, Some(local_spec), kind, &mut validate)?;
                res.validate = validate;
                res.local_value = l.value;
                res.local_size = l.mem_size;
                let t = field(target, target_spec, kind, &mut true)?;
                res.target_value = t.value;
                res.target_size = t.mem_size;
                if l.mem_size != t.mem_size {
                    res.bad_size_change =
                        !size_change_is_safe(local, l.type_id, target, t.type_id)?;
                }
            }
            KindFamily::Type => {
                res.local_value = type_based(local, Some(local_spec), kind)?;
                // Type ids change with linking: never checked against the instruction.
                res.validate = kind != CoreReloKind::TypeIdTarget;
                res.target_value = type_based(target, target_spec, kind)?;
            }
            KindFamily::EnumValue => {
                res.local_value = enum_based(local, Some(local_spec), kind)?;
                res.target_value = enum_based(target, target_spec, kind)?;
            }
        }
        Ok(())
    })();
    match outcome {
        Ok(()) => Ok(res),
        Err(Fail::Poison) => {
            res.poison = true;
            Ok(res)
        }
        Err(Fail::Problem(p)) => Err(p),
    }
}
