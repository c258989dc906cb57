//! Annotations for one program of a parsed object: what each relocation refers to
//! (`map packets`, `calls helper_fn`, `kfunc bpf_obj_new_impl`), the CO-RE
//! relocations of `.BTF.ext`, and the source lines of its BTF line information, so
//! that an instruction clang left as `r1 = 0x0 ll` reads as the map it will become.

use bpf_sys::Insn;

use super::{Annotations, SourceLine};
use crate::btf::Btf;
use crate::object::Object;
use crate::program::Program;
use crate::reference::{Target, resolve};
use crate::relocation::Relocation;
use crate::section::SectionRole;
use crate::symbol::{SymbolKind, SymbolSection};

/// Notes for every relocation (ELF and CO-RE) of `program`, and the source lines
/// `.BTF.ext` gives for its instructions, keyed by instruction index.
pub fn object_annotations(object: &Object, program: &Program) -> Annotations {
    let mut annotations = Annotations::new();
    for reloc in &program.relocations {
        annotations.note(
            reloc.insn_index,
            describe_relocation(object, program, reloc),
        );
    }
    let (Some(btf), Some(ext)) = (object.btf(), object.btf_ext()) else {
        return annotations;
    };
    for relo in ext.core_relos_of(&program.section) {
        if let Some(index) = index_in(program, relo.insn_off) {
            let note = describe_core_relo(btf, relo.kind, relo.type_id, relo.access_str_off);
            annotations.note(index, note);
        }
    }
    for line in ext.line_info_of(&program.section) {
        if let Some(index) = index_in(program, line.insn_off) {
            let string = |offset| btf.string(offset).unwrap_or("?").to_string();
            annotations.source(
                index,
                SourceLine {
                    file: string(line.file_name_off),
                    // `line_col`: line number in the upper 22 bits, column in the
                    // lower 10 (BPF_LINE_INFO_LINE_NUM / _LINE_COL).
                    line: line.line_col >> 10,
                    column: line.line_col & 0x3ff,
                    text: string(line.line_off),
                },
            );
        }
    }
    annotations
}

/// The index in `program` of the instruction at byte `insn_off` of its section.
fn index_in(program: &Program, insn_off: u32) -> Option<usize> {
    let relative = u64::from(insn_off).checked_sub(program.offset)?;
    let index = usize::try_from(relative / Insn::SIZE as u64).ok()?;
    (relative % Insn::SIZE as u64 == 0 && index < program.insns.len()).then_some(index)
}

/// A CO-RE relocation in a few words: `CO-RE byte_off struct iphdr 0:9`.
fn describe_core_relo(btf: &Btf, kind: u32, type_id: u32, access_str_off: u32) -> String {
    // `enum bpf_core_relo_kind`, named as libbpf and LLVM name them.
    let kind = match kind {
        0 => "byte_off",
        1 => "byte_sz",
        2 => "field_exists",
        3 => "signed",
        4 => "lshift_u64",
        5 => "rshift_u64",
        6 => "local_type_id",
        7 => "target_type_id",
        8 => "type_exists",
        9 => "type_size",
        10 => "enumval_exists",
        11 => "enumval_value",
        12 => "type_matches",
        _ => "unknown kind",
    };
    let name = match btf.type_name(type_id) {
        Ok("") => format!("[{type_id}]"),
        Ok(name) => name.to_string(),
        Err(_) => format!("[{type_id}]"),
    };
    let access = btf.string(access_str_off).unwrap_or("?");
    format!("CO-RE {kind} {name} {access}")
}

/// What a relocation of `program` refers to, in a few words: `map packets`,
/// `counter (.bss+8)`, `calls helper_fn`, `kfunc bpf_rcu_read_lock`,
/// `extern CONFIG_HZ`.
pub fn describe_relocation(object: &Object, program: &Program, reloc: &Relocation) -> String {
    let symbol = &reloc.symbol;
    let named = symbol.kind != SymbolKind::Section;
    let function = |section_index, offset| {
        object
            .function_at(section_index, offset)
            .map(|f| f.name.clone())
            .filter(|name| !name.is_empty())
    };
    match resolve(object, program, reloc) {
        Ok(Target::Map { index }) => {
            if let Some(map) = object.maps().get(index) {
                return format!("map {}", map.name);
            }
        }
        Ok(Target::MapValue { index, offset }) => {
            if let Some(map) = object.maps().get(index) {
                return if named {
                    format!("{} ({}+{offset})", symbol.name, map.name)
                } else {
                    format!("{}+{offset}", map.name)
                };
            }
        }
        Ok(Target::Call {
            section_index,
            offset,
        }) => {
            if let Some(name) = function(section_index, offset) {
                return format!("calls {name}");
            }
        }
        Ok(Target::FunctionAddress {
            section_index,
            offset,
        }) => {
            if let Some(name) = function(section_index, offset) {
                return format!("address of {name}");
            }
        }
        // An extern, or not loadable (an unsupported reference): described by symbol.
        Ok(Target::Extern { .. }) | Err(_) => {}
    }
    by_symbol(program, reloc)
}

/// Describes a relocation from its symbol alone.
fn by_symbol(program: &Program, reloc: &Relocation) -> String {
    let insn = program
        .insns
        .get(reloc.insn_index)
        .copied()
        .unwrap_or_default();
    let is_call = insn.code == super::opcode::CLASS_JMP | super::opcode::OP_CALL;
    let symbol = &reloc.symbol;
    let (section, role) = match &symbol.section {
        SymbolSection::Undefined if is_call => return format!("kfunc {}", symbol.name),
        SymbolSection::Undefined => return format!("extern {}", symbol.name),
        SymbolSection::Defined { name, role, .. } => (name.as_str(), role),
        SymbolSection::Absolute | SymbolSection::Common => {
            return format!("symbol {}", symbol.name);
        }
    };
    let by_section = symbol.kind == SymbolKind::Section;
    match role {
        SectionRole::LegacyMaps | SectionRole::BtfMaps if by_section => {
            format!(
                "map at {section}+{}",
                offset_in_section(symbol.value, &insn)
            )
        }
        SectionRole::LegacyMaps | SectionRole::BtfMaps => format!("map {}", symbol.name),
        SectionRole::GlobalData if by_section => {
            format!("{section}+{}", offset_in_section(symbol.value, &insn))
        }
        SectionRole::GlobalData => format!("{} ({section})", symbol.name),
        SectionRole::Programs | SectionRole::Subprograms => {
            let verb = if is_call { "calls" } else { "address of" };
            if by_section {
                format!(
                    "{verb} {section}+{:#x}",
                    callee_offset(symbol.value, &insn, is_call)
                )
            } else {
                format!("{verb} {}", symbol.name)
            }
        }
        other => format!("{} ({other})", symbol.name),
    }
}

/// REL semantics for data: the symbol's value plus the addend clang left in `imm`.
fn offset_in_section(value: u64, insn: &Insn) -> i64 {
    // Wrapping: a hostile symbol value must not overflow (the result only labels).
    (value as i64).wrapping_add(i64::from(insn.imm))
}

/// The byte offset of the function a section-relative call or `ld_imm64` names: a
/// call's immediate counts instructions from the next one, an `ld_imm64`'s counts
/// bytes (libbpf reads them the same way).
fn callee_offset(value: u64, insn: &Insn, is_call: bool) -> i64 {
    let relative = if is_call {
        (i64::from(insn.imm) + 1) * Insn::SIZE as i64
    } else {
        i64::from(insn.imm)
    };
    (value as i64).wrapping_add(relative)
}
