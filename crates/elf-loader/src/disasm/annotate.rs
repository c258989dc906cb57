//! Annotations for one program of a parsed object: what each relocation refers to
//! (`map packets`, `calls helper_fn`, `kfunc bpf_obj_new_impl`), so that an
//! instruction clang left as `r1 = 0x0 ll` reads as the map it will become.

use bpf_sys::Insn;

use super::Annotations;
use crate::object::Object;
use crate::program::Program;
use crate::reloc::{Relocation, Target, resolve};
use crate::section::SectionRole;
use crate::symbol::{SymbolKind, SymbolSection};

/// Notes for every relocation of `program`, keyed by instruction index.
pub fn object_annotations(object: &Object, program: &Program) -> Annotations {
    let mut annotations = Annotations::new();
    for reloc in &program.relocations {
        annotations.note(
            reloc.insn_index,
            describe_relocation(object, program, reloc),
        );
    }
    annotations
}

/// What a relocation of `program` refers to, in a few words: `map packets`,
/// `.bss+8`, `calls helper_fn`, `kfunc bpf_rcu_read_lock`, `extern CONFIG_HZ`.
pub fn describe_relocation(object: &Object, program: &Program, reloc: &Relocation) -> String {
    if let Ok(Target::Map { index }) = resolve(object, program, reloc) {
        if let Some(map) = object.maps().get(index) {
            return format!("map {}", map.name);
        }
    }
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
        SectionRole::GlobalData => format!("variable {} in {section}", symbol.name),
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
    value as i64 + i64::from(insn.imm)
}

/// The byte offset of the function a section-relative call or `ld_imm64` names: a
/// call's immediate counts instructions from the next one, an `ld_imm64`'s counts
/// bytes (libbpf reads them the same way).
fn callee_offset(value: u64, insn: &Insn, is_call: bool) -> i64 {
    if is_call {
        value as i64 + (i64::from(insn.imm) + 1) * Insn::SIZE as i64
    } else {
        value as i64 + i64::from(insn.imm)
    }
}
