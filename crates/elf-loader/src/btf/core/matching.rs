//! libbpf's compatibility rules: whether a candidate kernel type satisfies a local
//! spec, and the target spec it gives when it does.
//!
//! * Field accesses ([`match_spec`]): every named member of the local access must be
//!   found by name in the candidate (anonymous structs and unions are searched
//!   through), the member types must be compatible ([`fields_compatible`]: any two
//!   structs/unions, pointers, floats; enums and forward declarations whose
//!   essential names agree or one is anonymous; integers of any size and sign unless
//!   an old-style bitfield integer; arrays of compatible elements, whatever their
//!   length) and array indices must be within the candidate's bounds (flexible
//!   arrays excepted).
//! * Type kinds ([`types_compatible`]): modifiers skipped, same kind, pointers and
//!   arrays recursively, function prototypes parameter by parameter.
//! * `type matches` ([`types_match`]): the stricter relation of
//!   `bpf_core_types_match`: names agree, integers of the same size and sign, struct
//!   and union members found by name and matching recursively (only by kind behind a
//!   pointer), enum values found by name, arrays of the same length.
//! * Enum values: the enumerator's essential name is found in the candidate enum.

use crate::btf::BtfTypes;
use crate::btf::core::Problem;
use crate::btf::core::candidates::kinds_compatible;
use crate::btf::core::kind::{CoreReloKind, KindFamily};
use crate::btf::core::spec::{
    Accessor, MAX_SPEC_LEN, Spec, add_bits, array_of, enumerators, index_bits, is_any_enum,
    is_composite, is_flex_array, member_bit_offset, members,
};
use crate::btf::essential_name;
use crate::btf::{BtfKind, TypeDetail};

/// How deep the recursive relations go before giving up (libbpf's limit).
const MAX_LEVEL: i32 = 32;

fn too_deep() -> Problem {
    Problem::Invalid("types nest more than 32 levels deep".to_string())
}

/// The int's bit offset (non-zero only for old bitfield encodings) and encoding.
fn int_parts(detail: &TypeDetail) -> (u8, u8) {
    match detail {
        TypeDetail::Int {
            offset, encoding, ..
        } => (*offset, *encoding),
        _ => (0, 0),
    }
}

/// libbpf's `bpf_core_fields_are_compat`.
pub fn fields_compatible(
    local: &dyn BtfTypes,
    mut local_id: u32,
    target: &dyn BtfTypes,
    mut target_id: u32,
) -> Result<bool, Problem> {
    for _ in 0..MAX_LEVEL {
        local_id = local.skip_mods(local_id)?;
        target_id = target.skip_mods(target_id)?;
        let lt = local.ty(local_id)?;
        let tt = target.ty(target_id)?;
        if is_composite(lt.kind) && is_composite(tt.kind) {
            return Ok(true);
        }
        if !kinds_compatible(lt.kind, tt.kind) {
            return Ok(false);
        }
        match lt.kind {
            BtfKind::Ptr | BtfKind::Float => return Ok(true),
            BtfKind::Fwd | BtfKind::Enum | BtfKind::Enum64 => {
                let ln = essential_name(local.str_at(lt.name_off)?);
                let tn = essential_name(target.str_at(tt.name_off)?);
                return Ok(ln.is_empty() || tn.is_empty() || ln == tn);
            }
            BtfKind::Int => {
                return Ok(int_parts(&lt.detail).0 == 0 && int_parts(&tt.detail).0 == 0);
            }
            BtfKind::Array => {
                let (Some((le, _)), Some((te, _))) = (array_of(&lt), array_of(&tt)) else {
                    return Ok(false);
                };
                local_id = le;
                target_id = te;
            }
            _ => return Ok(false),
        }
    }
    Err(too_deep())
}

/// libbpf's `bpf_core_types_are_compat`, for type-based relocations.
pub fn types_compatible<L: BtfTypes + ?Sized, R: BtfTypes + ?Sized>(
    local: &L,
    local_id: u32,
    target: &R,
    target_id: u32,
    level: i32,
) -> Result<bool, Problem> {
    if !kinds_compatible(local.ty(local_id)?.kind, target.ty(target_id)?.kind) {
        return Ok(false);
    }
    let (mut local_id, mut target_id) = (local_id, target_id);
    for _ in 0..MAX_LEVEL {
        local_id = local.skip_mods(local_id)?;
        target_id = target.skip_mods(target_id)?;
        let lt = local.ty(local_id)?;
        let tt = target.ty(target_id)?;
        if !kinds_compatible(lt.kind, tt.kind) {
            return Ok(false);
        }
        match lt.kind {
            BtfKind::Void
            | BtfKind::Struct
            | BtfKind::Union
            | BtfKind::Enum
            | BtfKind::Enum64
            | BtfKind::Fwd => return Ok(true),
            BtfKind::Int => {
                return Ok(int_parts(&lt.detail).0 == 0 && int_parts(&tt.detail).0 == 0);
            }
            BtfKind::Ptr => {
                local_id = lt.size_or_type;
                target_id = tt.size_or_type;
            }
            BtfKind::Array => {
                let (Some((le, _)), Some((te, _))) = (array_of(&lt), array_of(&tt)) else {
                    return Ok(false);
                };
                local_id = le;
                target_id = te;
            }
            BtfKind::FuncProto => {
                let (TypeDetail::Params(lp), TypeDetail::Params(tp)) = (&lt.detail, &tt.detail)
                else {
                    return Ok(false);
                };
                if lp.len() != tp.len() {
                    return Ok(false);
                }
                for (&(_, l), &(_, t)) in lp.iter().zip(tp.iter()) {
                    if level <= 0 {
                        return Err(too_deep());
                    }
                    let l = local.skip_mods(l)?;
                    let t = target.skip_mods(t)?;
                    if !types_compatible(local, l, target, t, level - 1)? {
                        return Ok(false);
                    }
                }
                local_id = local.skip_mods(lt.size_or_type)?;
                target_id = target.skip_mods(tt.size_or_type)?;
            }
            _ => return Ok(false),
        }
    }
    Err(too_deep())
}

/// libbpf's `bpf_core_names_match`: an anonymous target matches only an anonymous
/// local; otherwise essential names must be equal.
fn names_match(
    local: &dyn BtfTypes,
    local_off: u32,
    target: &dyn BtfTypes,
    target_off: u32,
) -> Result<bool, Problem> {
    let ln = local.str_at(local_off)?;
    let tn = target.str_at(target_off)?;
    if tn.is_empty() {
        return Ok(ln.is_empty());
    }
    Ok(essential_name(ln) == essential_name(tn))
}

/// libbpf's `bpf_core_types_match` (for `type matches`).
pub fn types_match(
    local: &dyn BtfTypes,
    local_id: u32,
    target: &dyn BtfTypes,
    target_id: u32,
    behind_ptr: bool,
    level: i32,
) -> Result<bool, Problem> {
    if level <= 0 {
        return Err(too_deep());
    }
    let (mut local_id, mut target_id, mut behind_ptr) = (local_id, target_id, behind_ptr);
    for _ in 0..MAX_LEVEL {
        local_id = local.skip_mods(local_id)?;
        target_id = target.skip_mods(target_id)?;
        let lt = local.ty(local_id)?;
        let tt = target.ty(target_id)?;
        if !names_match(local, lt.name_off, target, tt.name_off)? {
            return Ok(false);
        }
        let (lk, tk) = (lt.kind, tt.kind);
        match lk {
            BtfKind::Void => return Ok(lk == tk),
            BtfKind::Fwd => {
                let lf = lt.kind_flag;
                return Ok(if behind_ptr && lk != tk {
                    (tk == BtfKind::Struct && !lf) || (tk == BtfKind::Union && lf)
                } else {
                    lk == tk && lf == tt.kind_flag
                });
            }
            BtfKind::Enum | BtfKind::Enum64 => {
                if !is_any_enum(tk) || lt.size_or_type != tt.size_or_type {
                    return Ok(false);
                }
                let lv = enumerators(&lt);
                let tv = enumerators(&tt);
                if lv.len() > tv.len() {
                    return Ok(false);
                }
                for &(ln, _) in &lv {
                    let mut found = false;
                    for &(tn, _) in &tv {
                        if names_match(local, ln, target, tn)? {
                            found = true;
                            break;
                        }
                    }
                    if !found {
                        return Ok(false);
                    }
                }
                return Ok(true);
            }
            BtfKind::Struct | BtfKind::Union => {
                if behind_ptr {
                    if lk == tk {
                        return Ok(true);
                    }
                    return Ok(tk == BtfKind::Fwd && (lk == BtfKind::Union) == tt.kind_flag);
                }
                if lk != tk {
                    return Ok(false);
                }
                let lm = members(&lt);
                let tm = members(&tt);
                if lm.len() > tm.len() {
                    return Ok(false);
                }
                for l in lm {
                    let mut found = false;
                    for t in tm {
                        if !names_match(local, l.name_off, target, t.name_off)? {
                            continue;
                        }
                        if types_match(local, l.type_id, target, t.type_id, behind_ptr, level - 1)?
                        {
                            found = true;
                            break;
                        }
                    }
                    if !found {
                        return Ok(false);
                    }
                }
                return Ok(true);
            }
            BtfKind::Int => {
                if lk != tk {
                    return Ok(false);
                }
                let ls = int_parts(&lt.detail).1 & 1;
                let ts = int_parts(&tt.detail).1 & 1;
                return Ok(lt.size_or_type == tt.size_or_type && ls == ts);
            }
            BtfKind::Ptr => {
                if lk != tk {
                    return Ok(false);
                }
                behind_ptr = true;
                local_id = lt.size_or_type;
                target_id = tt.size_or_type;
            }
            BtfKind::Array => {
                let (Some((le, ln)), Some((te, tn))) = (array_of(&lt), array_of(&tt)) else {
                    return Ok(false);
                };
                if ln != tn {
                    return Ok(false);
                }
                local_id = le;
                target_id = te;
            }
            BtfKind::FuncProto => {
                let (TypeDetail::Params(lp), TypeDetail::Params(tp)) = (&lt.detail, &tt.detail)
                else {
                    return Ok(false);
                };
                if lk != tk || lp.len() != tp.len() {
                    return Ok(false);
                }
                for (&(_, l), &(_, t)) in lp.iter().zip(tp.iter()) {
                    if !types_match(local, l, target, t, behind_ptr, level - 1)? {
                        return Ok(false);
                    }
                }
                local_id = lt.size_or_type;
                target_id = tt.size_or_type;
            }
            _ => return Ok(false),
        }
    }
    Err(too_deep())
}

/// Finds the local accessor's member by name in the target struct or union
/// `target_id`, searching anonymous members recursively; extends `spec` on success
/// and returns the member's type (libbpf's `bpf_core_match_member`).
fn match_member(
    local: &dyn BtfTypes,
    local_acc: &Accessor,
    target: &dyn BtfTypes,
    target_id: u32,
    spec: &mut Spec,
    depth: usize,
) -> Result<Option<u32>, Problem> {
    if depth > MAX_SPEC_LEN {
        return Err(too_deep());
    }
    let target_id = target.skip_mods(target_id)?;
    let tt = target.ty(target_id)?;
    if !is_composite(tt.kind) {
        return Ok(None);
    }
    let lt = local.ty(local_acc.type_id)?;
    let local_member = members(&lt)
        .get(local_acc.idx as usize)
        .ok_or_else(|| Problem::Invalid("local member index out of range".to_string()))?;
    let local_name = local.str_at(local_member.name_off)?;
    for (i, m) in members(&tt).iter().enumerate() {
        let bit_offset = member_bit_offset(&tt, m);
        if spec.raw.len() == MAX_SPEC_LEN {
            return Err(Problem::Invalid(format!(
                "the kernel's type nests more than {MAX_SPEC_LEN} levels"
            )));
        }
        spec.bit_offset = add_bits(spec.bit_offset, bit_offset)?;
        spec.raw.push(i as u32);
        let name = target.str_at(m.name_off)?;
        if name.is_empty() {
            if let Some(found) = match_member(local, local_acc, target, m.type_id, spec, depth + 1)?
            {
                return Ok(Some(found));
            }
        } else if name == local_name {
            if !fields_compatible(local, local_member.type_id, target, m.type_id)? {
                return Ok(None);
            }
            spec.accessors.push(Accessor {
                type_id: target_id,
                idx: i as u32,
                name: Some(name.to_string()),
            });
            return Ok(Some(m.type_id));
        }
        // Not this member: undo its own step (as libbpf does, by subtraction).
        spec.bit_offset = spec.bit_offset.wrapping_sub(bit_offset);
        spec.raw.pop();
    }
    Ok(None)
}

/// Matches the local spec against candidate `target_id`; the target spec when it
/// matches (libbpf's `bpf_core_spec_match`).
pub fn match_spec(
    local: &dyn BtfTypes,
    local_spec: &Spec,
    kind: CoreReloKind,
    target: &dyn BtfTypes,
    target_id: u32,
) -> Result<Option<Spec>, Problem> {
    let mut spec = Spec {
        root_type_id: target_id,
        ..Spec::default()
    };
    match kind.family() {
        KindFamily::Type => {
            let ok = if kind == CoreReloKind::TypeMatches {
                types_match(
                    local,
                    local_spec.root_type_id,
                    target,
                    target_id,
                    false,
                    MAX_LEVEL,
                )?
            } else {
                types_compatible(local, local_spec.root_type_id, target, target_id, MAX_LEVEL)?
            };
            Ok(ok.then_some(spec))
        }
        KindFamily::EnumValue => {
            let target_id = target.skip_mods(target_id)?;
            let tt = target.ty(target_id)?;
            if !is_any_enum(tt.kind) {
                return Ok(None);
            }
            let wanted = local_spec
                .accessors
                .first()
                .and_then(|a| a.name.as_deref())
                .map(essential_name)
                .unwrap_or("");
            for (i, (name_off, _)) in enumerators(&tt).into_iter().enumerate() {
                let name = target.str_at(name_off)?;
                if essential_name(name) == wanted {
                    spec.accessors.push(Accessor {
                        type_id: target_id,
                        idx: i as u32,
                        name: Some(name.to_string()),
                    });
                    spec.raw.push(i as u32);
                    return Ok(Some(spec));
                }
            }
            Ok(None)
        }
        KindFamily::Field => {
            let mut id = target_id;
            for (i, local_acc) in local_spec.accessors.iter().enumerate() {
                id = target.skip_mods(id)?;
                if local_acc.name.is_some() {
                    match match_member(local, local_acc, target, id, &mut spec, 0)? {
                        Some(next) => id = next,
                        None => return Ok(None),
                    }
                    continue;
                }
                if i > 0 {
                    let tt = target.ty(id)?;
                    let Some((elem, nelems)) = array_of(&tt) else {
                        return Ok(None);
                    };
                    let flex = is_flex_array(target, spec.accessors.last(), nelems)?;
                    if !flex && local_acc.idx >= nelems {
                        return Ok(None);
                    }
                    id = target.skip_mods(elem)?;
                }
                if spec.raw.len() == MAX_SPEC_LEN {
                    return Err(Problem::Invalid(format!(
                        "the kernel's type nests more than {MAX_SPEC_LEN} levels"
                    )));
                }
                spec.accessors.push(Accessor {
                    type_id: id,
                    idx: local_acc.idx,
                    name: None,
                });
                spec.raw.push(local_acc.idx);
                spec.bit_offset = add_bits(
                    spec.bit_offset,
                    index_bits(local_acc.idx, target.size_of(id)?)?,
                )?;
            }
            Ok(Some(spec))
        }
    }
}
