//! What a relocation refers to: a map, a global variable, a function to call or take
//! the address of, or an extern ([`Target`], worked out by [`resolve`]). Shared by
//! combining subprograms ([`crate::subprog`]) and rewriting ([`crate::reloc`]),
//! neither of which this module knows.

use bpf_sys::Insn;
use bpf_sys::consts::{BPF_CALL, BPF_JMP};

use crate::error::{RelocError, Unsupported};
use crate::object::Object;
use crate::program::Program;
use crate::relocation::Relocation;
use crate::section::SectionRole;
use crate::symbol::{SymbolRef, SymbolSection};

/// What a relocation resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A map of the object (`BPF_PSEUDO_MAP_FD`): the index into [`Object::maps`].
    Map {
        /// Index into [`Object::maps`].
        index: usize,
    },
    /// A global variable (`BPF_PSEUDO_MAP_VALUE`): its section's map and its offset
    /// in the map's value.
    MapValue {
        /// Index into [`Object::maps`].
        index: usize,
        /// Byte offset in the value.
        offset: u32,
    },
    /// A bpf-to-bpf call to the function starting at byte `offset` of a code section.
    Call {
        /// Index of the code section.
        section_index: usize,
        /// Byte offset of the called function.
        offset: u64,
    },
    /// An extern (`__kconfig`, `__ksym` variable or kfunc), resolved against the
    /// kernel when the program is linked: the symbol's index in the symbol table.
    Extern {
        /// Index of the extern's symbol.
        symbol_index: usize,
    },
    /// The address of the function starting at byte `offset` of a code section (a
    /// callback, `BPF_PSEUDO_FUNC`).
    FunctionAddress {
        /// Index of the code section.
        section_index: usize,
        /// Byte offset of the function.
        offset: u64,
    },
}

impl Target {
    /// The function starting at byte `offset` of code section `section_index`:
    /// called ([`Target::Call`]) when `is_call`, else its address taken
    /// ([`Target::FunctionAddress`]).
    pub fn function(section_index: usize, offset: u64, is_call: bool) -> Target {
        if is_call {
            Target::Call {
                section_index,
                offset,
            }
        } else {
            Target::FunctionAddress {
                section_index,
                offset,
            }
        }
    }
}

/// Works out what one relocation of `program` refers to, or why it cannot be handled.
pub fn resolve(
    object: &Object,
    program: &Program,
    reloc: &Relocation,
) -> Result<Target, RelocError> {
    let insn = program
        .insns
        .get(reloc.insn_index)
        .copied()
        .unwrap_or_default();
    let is_call = insn.code == BPF_JMP | BPF_CALL;
    let symbol = &reloc.symbol;
    let unsupported = |feature| RelocError::NotSupported {
        program: program_label(program),
        insn: reloc.insn_index,
        symbol: symbol.name.clone(),
        section: symbol.section.describe(),
        feature,
    };
    let (section_index, role) = match &symbol.section {
        SymbolSection::Undefined => {
            // Only the linker knows whether it can resolve the extern (it needs the
            // kernel); it refuses with `extern_unsupported` when it cannot.
            return Ok(Target::Extern {
                symbol_index: symbol.index,
            });
        }
        SymbolSection::Defined { index, role, .. } => (*index, role),
        SymbolSection::Absolute | SymbolSection::Common => {
            return Err(unsupported(Unsupported::Section(SectionRole::Other)));
        }
    };
    // REL semantics: symbol value plus the addend clang left in the immediate. Named
    // symbols carry 0 there; a section symbol (a `static` map or variable) carries
    // the offset in its section.
    let addressed = i64::try_from(symbol.value)
        .ok()
        .and_then(|v| v.checked_add(i64::from(insn.imm)));
    let not_ld_imm64 = || RelocError::MapReferenceNotLdImm64 {
        program: program_label(program),
        insn: reloc.insn_index,
        symbol: symbol.name.clone(),
        code: insn.code,
    };
    let no_map = |section: &str| RelocError::NoMapAtOffset {
        program: program_label(program),
        insn: reloc.insn_index,
        symbol: symbol.name.clone(),
        section: section.to_string(),
        offset: addressed.unwrap_or(i64::MAX),
    };
    let offset = || addressed.and_then(|o| u64::try_from(o).ok());
    match role {
        SectionRole::LegacyMaps | SectionRole::BtfMaps => {
            if !insn.is_ld_imm64() {
                return Err(not_ld_imm64());
            }
            let (found, section) = if *role == SectionRole::LegacyMaps {
                (offset().and_then(|o| object.legacy_map_at(o)), "maps")
            } else {
                (offset().and_then(|o| object.btf_map_at(o)), ".maps")
            };
            let index = found.ok_or_else(|| no_map(section))?;
            Ok(Target::Map { index })
        }
        SectionRole::GlobalData => {
            if !insn.is_ld_imm64() {
                return Err(not_ld_imm64());
            }
            let section_name = match &symbol.section {
                SymbolSection::Defined { name, .. } => name.as_str(),
                _ => "",
            };
            let index = object
                .data_map_of(section_index)
                .ok_or_else(|| no_map(section_name))?;
            let size = object
                .maps()
                .get(index)
                .map_or(0, |m| u64::from(m.def.value_size));
            let offset = offset()
                .filter(|&o| o < size)
                .and_then(|o| u32::try_from(o).ok())
                .ok_or_else(|| RelocError::DataOffsetOutOfRange {
                    program: program_label(program),
                    insn: reloc.insn_index,
                    symbol: symbol.name.clone(),
                    section: section_name.to_string(),
                    offset: addressed.unwrap_or(i64::MAX),
                    size,
                })?;
            Ok(Target::MapValue { index, offset })
        }
        SectionRole::Programs | SectionRole::Subprograms => {
            let bad = || RelocError::BadFunctionReference {
                program: program_label(program),
                insn: reloc.insn_index,
                symbol: symbol.name.clone(),
                value: symbol.value,
                imm: insn.imm,
            };
            let offset = if is_call {
                // The call's immediate counts instructions from the next one: for a
                // global function clang leaves -1, for a static one (section symbol)
                // the target's index minus one.
                let index = (symbol.value % 8 == 0)
                    .then(|| i64::try_from(symbol.value / 8).ok())
                    .flatten()
                    .and_then(|v| v.checked_add(i64::from(insn.imm) + 1));
                index
                    .and_then(|i| u64::try_from(i).ok())
                    .and_then(|i| i.checked_mul(8))
                    .ok_or_else(bad)?
            } else if insn.is_ld_imm64() {
                offset().filter(|o| o % 8 == 0).ok_or_else(bad)?
            } else {
                return Err(bad());
            };
            Ok(Target::function(section_index, offset, is_call))
        }
        other => Err(unsupported(Unsupported::Section(other.clone()))),
    }
}

/// The error for an extern reference that cannot be resolved (no kernel to resolve
/// it against, or a symbol that is not an extern of the object's BTF).
pub(crate) fn extern_unsupported(
    program: &Program,
    insn_index: usize,
    insn: &Insn,
    symbol: &SymbolRef,
) -> RelocError {
    RelocError::NotSupported {
        program: program_label(program),
        insn: insn_index,
        symbol: symbol.name.clone(),
        section: symbol.section.describe(),
        feature: if insn.code == BPF_JMP | BPF_CALL {
            Unsupported::ExternCall
        } else {
            Unsupported::ExternVariable
        },
    }
}

/// The program's name for messages: its function name, or its section if it has none.
pub fn program_label(program: &Program) -> String {
    if program.name.is_empty() {
        format!("[{}]", program.section)
    } else {
        program.name.clone()
    }
}
