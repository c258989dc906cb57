//! Programs: the functions of a code section, cut out of it by their symbols, with
//! their instructions decoded into host form and the relocations that fall inside them.

use bpf_sys::Insn;

use crate::bytes::ByteOrder;
use crate::error::ParseError;
use crate::relocation::Relocation;

/// One function of a code section: a program (or, in `.text`, a subprogram).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// Name of the section it is in (the `SEC("...")` of the source).
    pub section: String,
    /// Index of that section.
    pub section_index: usize,
    /// The function's symbol name, which becomes the kernel's program name. Empty when
    /// the section has no function symbol (hand-written assembly): the whole section is
    /// then one program.
    pub name: String,
    /// Byte offset of the first instruction in the section.
    pub offset: u64,
    /// The instructions, decoded from the object's byte order into host form.
    pub insns: Vec<Insn>,
    /// Relocations that fall inside this function; their `insn_index` counts from the
    /// function's first instruction. (Relocations of code that no function symbol
    /// covers, as linked objects can have, belong to no program and are not kept.)
    pub relocations: Vec<Relocation>,
    /// True for a global (non-`static`) function: libbpf and tc treat only those as
    /// programs of their section, the static ones being subprograms they call.
    pub global: bool,
}

impl Program {
    /// Index of the program's first instruction within its section.
    pub fn first_insn(&self) -> usize {
        (self.offset / Insn::SIZE as u64) as usize
    }
}

/// A function symbol found in a code section, before it is cut out.
#[derive(Clone, Debug)]
pub(crate) struct FunctionSymbol {
    pub name: String,
    pub offset: u64,
    pub size: u64,
    pub global: bool,
}

/// Decodes a code section. The caller has checked the size is a multiple of 8.
pub(crate) fn decode_insns(data: &[u8], order: ByteOrder) -> Vec<Insn> {
    data.chunks_exact(Insn::SIZE)
        .map(|chunk| {
            let mut bytes = [0u8; Insn::SIZE];
            bytes.copy_from_slice(chunk);
            match order {
                ByteOrder::Little => Insn::from_le_bytes(bytes),
                ByteOrder::Big => Insn::from_be_bytes(bytes),
            }
        })
        .collect()
}

/// Cuts a code section into one program per function symbol, in offset order. A
/// symbol of size 0 extends to the next function or the section's end. Functions may
/// not overlap (clang never emits that), which also bounds the instructions copied to
/// the section's size.
pub(crate) fn split_functions(
    section: &str,
    section_index: usize,
    insns: &[Insn],
    mut functions: Vec<FunctionSymbol>,
) -> Result<Vec<Program>, ParseError> {
    let section_size = insns.len() as u64 * Insn::SIZE as u64;
    functions.sort_by(|a, b| a.offset.cmp(&b.offset).then_with(|| a.name.cmp(&b.name)));

    let starts: Vec<u64> = functions.iter().map(|f| f.offset).collect();
    let mut programs: Vec<Program> = Vec::with_capacity(functions.len());
    for function in functions {
        let size = if function.size > 0 {
            function.size
        } else {
            let next = starts
                .iter()
                .copied()
                .find(|&start| start > function.offset)
                .unwrap_or(section_size);
            next.saturating_sub(function.offset)
        };
        let out_of_bounds = || ParseError::FunctionOutOfBounds {
            section: section.to_string(),
            function: function.name.clone(),
            offset: function.offset,
            size,
            section_size,
        };
        let end = function
            .offset
            .checked_add(size)
            .ok_or_else(out_of_bounds)?;
        let step = Insn::SIZE as u64;
        if function.offset % step != 0 || size % step != 0 || end > section_size {
            return Err(out_of_bounds());
        }
        if let Some(previous) = programs.last() {
            let previous_end = previous.offset + previous.insns.len() as u64 * step;
            if function.offset < previous_end {
                return Err(ParseError::FunctionsOverlap {
                    section: section.to_string(),
                    first: previous.name.clone(),
                    second: function.name,
                    offset: function.offset,
                });
            }
        }
        let first = (function.offset / step) as usize;
        let last = (end / step) as usize;
        let body = insns.get(first..last).ok_or_else(out_of_bounds)?;
        programs.push(Program {
            section: section.to_string(),
            section_index,
            name: function.name,
            offset: function.offset,
            insns: body.to_vec(),
            relocations: Vec::new(),
            global: function.global,
        });
    }
    Ok(programs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insns(n: usize) -> Vec<Insn> {
        (0..n).map(|i| Insn::new(0xb7, 0, 0, 0, i as i32)).collect()
    }

    fn function(name: &str, offset: u64, size: u64) -> FunctionSymbol {
        FunctionSymbol {
            name: name.to_string(),
            offset,
            size,
            global: true,
        }
    }

    #[test]
    fn splits_by_symbol_in_offset_order() {
        let code = insns(5);
        let programs = split_functions(
            "s",
            3,
            &code,
            vec![function("second", 16, 24), function("first", 0, 16)],
        )
        .unwrap();
        assert_eq!(programs.len(), 2);
        assert_eq!(programs[0].name, "first");
        assert_eq!(programs[0].insns, code[0..2]);
        assert_eq!(programs[1].name, "second");
        assert_eq!(programs[1].first_insn(), 2);
        assert_eq!(programs[1].insns, code[2..5]);
    }

    #[test]
    fn size_zero_extends_to_next_function_or_end() {
        let code = insns(4);
        let programs = split_functions(
            "s",
            1,
            &code,
            vec![function("a", 0, 0), function("b", 8, 0)],
        )
        .unwrap();
        assert_eq!(programs[0].insns.len(), 1);
        assert_eq!(programs[1].insns.len(), 3);
    }

    #[test]
    fn rejects_functions_outside_or_across_instructions() {
        let code = insns(2);
        for (offset, size) in [(0, 24), (4, 8), (0, 12), (u64::MAX - 7, 16), (16, 8)] {
            let err = split_functions("sec", 1, &code, vec![function("f", offset, size)]);
            assert!(
                matches!(err, Err(ParseError::FunctionOutOfBounds { .. })),
                "offset {offset} size {size}: {err:?}"
            );
        }
    }

    #[test]
    fn rejects_overlapping_functions() {
        let code = insns(4);
        for (a, b) in [((0, 16), (8, 16)), ((0, 16), (0, 16)), ((0, 32), (8, 8))] {
            let err = split_functions(
                "s",
                1,
                &code,
                vec![function("a", a.0, a.1), function("b", b.0, b.1)],
            );
            assert!(
                matches!(err, Err(ParseError::FunctionsOverlap { .. })),
                "{a:?} {b:?}: {err:?}"
            );
        }
    }

    #[test]
    fn big_endian_decoding_swaps_registers() {
        // r1 = r2 (mov64 reg, 0xbf) with off 1 and imm 2, in both byte orders.
        let le = [0xbf, 0x21, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00];
        let be = [0xbf, 0x12, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02];
        let a = decode_insns(&le, ByteOrder::Little);
        let b = decode_insns(&be, ByteOrder::Big);
        assert_eq!(a, b);
        assert_eq!(
            (a[0].dst_reg(), a[0].src_reg(), a[0].off, a[0].imm),
            (1, 2, 1, 2)
        );
    }
}
