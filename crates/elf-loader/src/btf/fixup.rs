//! Preparing `.BTF` for `BPF_BTF_LOAD`. clang writes every `DATASEC` (the type of a
//! data section such as `.data`, `.rodata`, `.maps`) with size 0 and every variable
//! in it at offset 0: only the ELF file knows the section sizes and the symbols'
//! offsets, and the kernel refuses a data section of size 0. The loader fills them in
//! from the ELF section headers and symbol table, then sorts each section's
//! variables by offset, as the kernel requires.
//!
//! Externs are described in BTF too, in ways the kernel refuses: `FUNC`s and `VAR`s
//! with extern linkage, `void` ksym variables, and data sections that exist only in
//! BTF (`.kconfig`, `.ksyms`). Programs using externs are refused before loading, but
//! the other programs of such an object still deserve their source lines, so those
//! types are neutralised in place, without changing any record's size or any type
//! id: extern functions become typedefs of their prototype, extern variables global and `int`-typed, and
//! a BTF-only data section becomes an anonymous union of `int`s. (Only if the object
//! has no `int` to borrow is the BTF left as it is; the kernel may then refuse it,
//! and the loader carries on without it.)

use crate::btf::error::BtfError;
use crate::btf::{Btf, BtfKind, TypeDetail, VarSecinfo};
use crate::bytes::write_u32;

/// Returns a copy of `btf`'s bytes with data-section sizes and variable offsets
/// filled in. `section_size(name)` gives an ELF section's size; `symbol_offset(section,
/// name)` the value of the symbol `name` defined in that section.
pub fn for_kernel(
    btf: &Btf,
    section_size: impl Fn(&str) -> Option<u64>,
    symbol_offset: impl Fn(&str, &str) -> Option<u64>,
) -> Result<Vec<u8>, BtfError> {
    let order = btf.byte_order();
    let mut out = btf.raw().to_vec();
    neutralise_externs(btf, &mut out, &section_size)?;
    for (id, ty) in btf.types() {
        let TypeDetail::Datasec(vars) = &ty.detail else {
            continue;
        };
        if ty.kind != BtfKind::Datasec {
            continue;
        }
        let section = btf.string(ty.name_off)?;
        let Some(size) = section_size(section) else {
            continue;
        };
        let too_big = |what: String| BtfError::Type {
            id,
            offset: ty.record_offset,
            reason: format!("section \"{section}\": {what} does not fit in 32 bits"),
        };
        let size = u32::try_from(size).map_err(|_| too_big(format!("size {size}")))?;
        let mut placed: Vec<VarSecinfo> = Vec::with_capacity(vars.len());
        for var in vars {
            let var_type = btf.type_by_id(var.type_id)?;
            let mut fixed = var.clone();
            if var_type.kind == BtfKind::Var {
                let name = btf.string(var_type.name_off)?;
                if let Some(offset) = symbol_offset(section, name) {
                    fixed.offset = u32::try_from(offset)
                        .map_err(|_| too_big(format!("offset {offset} of \"{name}\"")))?;
                }
            }
            placed.push(fixed);
        }
        placed.sort_by_key(|v| v.offset);
        let written = (ty.size_or_type != 0
            || write_u32(&mut out, ty.record_offset + 8, size, order))
            && placed.iter().enumerate().all(|(i, var)| {
                let at = ty.record_offset + 12 + i * 12;
                write_u32(&mut out, at, var.type_id, order)
                    && write_u32(&mut out, at + 4, var.offset, order)
                    && write_u32(&mut out, at + 8, var.size, order)
            });
        if !written {
            // The parser placed every record inside the section, so this cannot happen.
            return Err(BtfError::Type {
                id,
                offset: ty.record_offset,
                reason: "data section record outside the BTF section".to_string(),
            });
        }
    }
    Ok(out)
}

/// `BTF_FUNC_EXTERN`, `BTF_VAR_GLOBAL_ALLOCATED`, `BTF_VAR_GLOBAL_EXTERN`.
const FUNC_EXTERN: u16 = 2;
const VAR_GLOBAL: u32 = 1;
const VAR_EXTERN: u32 = 2;
/// `BTF_KIND_UNION` and `BTF_KIND_TYPEDEF`.
const KIND_UNION: u32 = 5;
const KIND_TYPEDEF: u32 = 8;

/// Rewrites extern functions, extern variables and BTF-only data sections into forms
/// the kernel accepts (see the module documentation).
fn neutralise_externs(
    btf: &Btf,
    out: &mut [u8],
    section_size: &impl Fn(&str) -> Option<u64>,
) -> Result<(), BtfError> {
    let order = btf.byte_order();
    let int = btf
        .types()
        .find(|(_, t)| t.kind == BtfKind::Int && t.size_or_type == 4)
        .map(|(id, _)| id);
    let broken = |id: u32, offset: usize| BtfError::Type {
        id,
        offset,
        reason: "record outside the BTF section".to_string(),
    };
    for (id, ty) in btf.types() {
        let at = ty.record_offset;
        let info = |kind: u32, vlen: usize| (kind << 24) | vlen as u32;
        let written = match (&ty.kind, &ty.detail) {
            // A typedef of the prototype: same record size, same name, nothing for
            // the kernel to check against a function body.
            (BtfKind::Func, _) if ty.vlen == FUNC_EXTERN => {
                write_u32(out, at + 4, info(KIND_TYPEDEF, 0), order)
            }
            (BtfKind::Var, TypeDetail::Var { linkage }) if *linkage == VAR_EXTERN => {
                // `void` and `const void` (untyped ksyms) have no size: as `int`.
                let void = btf.skip_modifiers(ty.size_or_type).is_ok_and(|t| t == 0);
                let retyped = match (void, int) {
                    (true, Some(int)) => write_u32(out, at + 8, int, order),
                    _ => true,
                };
                retyped && write_u32(out, at + 12, VAR_GLOBAL, order)
            }
            (BtfKind::Datasec, TypeDetail::Datasec(vars))
                if !vars.is_empty() && section_size(btf.string(ty.name_off)?).is_none() =>
            {
                let Some(int) = int else { continue };
                write_u32(out, at, 0, order)
                    && write_u32(out, at + 4, info(KIND_UNION, vars.len()), order)
                    && write_u32(out, at + 8, 4, order)
                    && (0..vars.len()).all(|i| {
                        let member = at + 12 + i * 12;
                        write_u32(out, member, 0, order)
                            && write_u32(out, member + 4, int, order)
                            && write_u32(out, member + 8, 0, order)
                    })
            }
            _ => true,
        };
        if !written {
            return Err(broken(id, at));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::tests::blob;
    use crate::bytes::ByteOrder;

    #[test]
    fn fills_sizes_and_sorts_variables_by_symbol_offset() {
        let info = |kind: u32, vlen: u32| (kind << 24) | vlen;
        // int (1), VAR a (2), VAR b (3), DATASEC .data { a @0, b @0 } size 0 (4).
        let strings = b"\0int\0a\0b\0.data\0";
        let data = blob(
            &[
                1,
                info(1, 0),
                4,
                32,
                5,
                info(14, 0),
                1,
                1,
                7,
                info(14, 0),
                1,
                1,
                9,
                info(15, 2),
                0,
                2,
                0,
                4,
                3,
                0,
                4,
            ],
            strings,
        );
        let btf = Btf::parse(&data, ByteOrder::Little).unwrap();
        let fixed = for_kernel(
            &btf,
            |s| (s == ".data").then_some(8),
            |s, n| match (s, n) {
                (".data", "a") => Some(4),
                (".data", "b") => Some(0),
                _ => None,
            },
        )
        .unwrap();
        let again = Btf::parse(&fixed, ByteOrder::Little).unwrap();
        let datasec = again.type_by_id(4).unwrap();
        assert_eq!(datasec.size_or_type, 8);
        let TypeDetail::Datasec(vars) = &datasec.detail else {
            panic!("not a datasec");
        };
        let order: Vec<(u32, u32)> = vars.iter().map(|v| (v.type_id, v.offset)).collect();
        assert_eq!(order, [(3, 0), (2, 4)]);
        // Variables without a symbol keep their offset.
        let unplaced = for_kernel(&btf, |s| (s == ".data").then_some(8), |_, _| None).unwrap();
        let unplaced = Btf::parse(&unplaced, ByteOrder::Little).unwrap();
        let TypeDetail::Datasec(vars) = &unplaced.type_by_id(4).unwrap().detail else {
            panic!("not a datasec");
        };
        assert!(vars.iter().all(|v| v.offset == 0));
    }

    #[test]
    fn externs_are_neutralised_in_place() {
        let info = |kind: u32, vlen: u32| (kind << 24) | vlen;
        // int (1); FUNC_PROTO int(void) (2); FUNC kf extern (3); VAR ks void extern (4);
        // DATASEC .ksyms { kf, ks } (5), a section the ELF file does not have.
        let strings = b"\0int\0kf\0ks\0.ksyms\0";
        let data = blob(
            &[
                1,
                info(1, 0),
                4,
                32,
                0,
                info(13, 0),
                1,
                5,
                info(12, 2),
                2,
                8,
                info(14, 0),
                0,
                2,
                11,
                info(15, 2),
                0,
                3,
                0,
                0,
                4,
                0,
                0,
            ],
            strings,
        );
        let btf = Btf::parse(&data, ByteOrder::Little).unwrap();
        let fixed = for_kernel(&btf, |_| None, |_, _| None).unwrap();
        assert_eq!(fixed.len(), data.len(), "no record changes size");
        let fixed = Btf::parse(&fixed, ByteOrder::Little).unwrap();
        let kf = fixed.type_by_id(3).unwrap();
        assert_eq!((kf.kind, kf.size_or_type), (BtfKind::Typedef, 2));
        assert_eq!(fixed.type_name(3).unwrap(), "kf");
        let ks = fixed.type_by_id(4).unwrap();
        assert_eq!(ks.size_or_type, 1, "void extern variable typed int");
        assert_eq!(ks.detail, TypeDetail::Var { linkage: 1 });
        let ksyms = fixed.type_by_id(5).unwrap();
        assert_eq!(
            (ksyms.kind, ksyms.name_off, ksyms.size_or_type),
            (BtfKind::Union, 0, 4)
        );
        let TypeDetail::Members(members) = &ksyms.detail else {
            panic!("not a union");
        };
        assert!(
            members
                .iter()
                .all(|m| (m.name_off, m.type_id, m.offset) == (0, 1, 0))
        );
    }
}
