//! Preparing `.BTF` for `BPF_BTF_LOAD`. clang writes every `DATASEC` (the type of a
//! data section such as `.data`, `.rodata`, `.maps`) with size 0 and every variable
//! in it at offset 0: only the ELF file knows the section sizes and the symbols'
//! offsets, and the kernel refuses a data section of size 0. The loader fills them in
//! from the ELF section headers and symbol table, then sorts each section's
//! variables by offset, as the kernel requires.
//!
//! Sections that exist only in BTF (`.kconfig`, `.ksyms`: externs) are left as they
//! are; the kernel may then refuse the BTF, and the loader carries on without it.

use crate::btf::{Btf, BtfKind, TypeDetail, VarSecinfo};
use crate::bytes::write_u32;
use crate::error::BtfError;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::tests::blob;
    use crate::object::ByteOrder;

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
        // Unknown sections are left alone.
        let untouched = for_kernel(&btf, |_| None, |_, _| None).unwrap();
        assert_eq!(untouched, data);
    }
}
