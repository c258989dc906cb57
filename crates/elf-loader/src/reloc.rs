//! Relocation: turning a program's references to maps into something the kernel
//! understands, without any syscall.
//!
//! clang cannot know a map's file descriptor, so for `bpf_map_lookup_elem(&packets, ...)`
//! it emits an `ld_imm64` with immediate 0 and a relocation naming the symbol `packets`.
//! The loader creates the map, then rewrites that instruction: `src_reg` becomes
//! `BPF_PSEUDO_MAP_FD` and the immediate the map's fd (the second half of the
//! `ld_imm64` gets 0). The verifier then swaps the fd for the map's address.
//!
//! References this loader cannot honour yet (global data, BTF-defined maps, externs,
//! bpf-to-bpf calls) are refused here with an error that names the symbol, the section
//! and the instruction, rather than reaching the verifier as a puzzle.

use std::fmt;

use bpf_sys::Insn;
use bpf_sys::consts::{BPF_CALL, BPF_JMP, BPF_PSEUDO_MAP_FD};

use crate::error::RelocError;
use crate::maps::MapSource;
use crate::object::Object;
use crate::observer::Observer;
use crate::program::Program;
use crate::section::SectionRole;
use crate::symbol::{SymbolKind, SymbolRef, SymbolSection};

/// `R_BPF_64_64`: the relocation clang emits on an `ld_imm64`.
pub const R_BPF_64_64: u32 = 1;
/// `R_BPF_64_32`: the relocation clang emits on a bpf-to-bpf or kfunc call.
pub const R_BPF_64_32: u32 = 10;

/// One relocation of a program: the instruction it patches and the symbol it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relocation {
    /// Index of the patched instruction, counted from the program's first instruction.
    pub insn_index: usize,
    /// `r_offset`: byte offset of that instruction in its section.
    pub offset: u64,
    /// `R_BPF_*` type (see [`R_BPF_64_64`], [`R_BPF_64_32`]).
    pub r_type: u32,
    /// The symbol it names.
    pub symbol: SymbolRef,
}

/// Kinds of reference that the object may make but this loader does not handle yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unsupported {
    /// A global variable or constant in `.data`, `.rodata` or `.bss`.
    GlobalData,
    /// A map declared in `.maps` with BTF.
    BtfMap,
    /// An extern variable resolved at load time (`__kconfig`, `__ksym`).
    ExternVariable,
    /// A call to a function this object does not define: a kernel function (kfunc)
    /// resolved through BTF, or a function of another object to be linked in.
    ExternCall,
    /// A call to another BPF function (needs subprogram linking).
    SubprogramCall,
    /// The address of a BPF function (a callback for `bpf_loop` and friends).
    FunctionPointer,
    /// A reference to a section of another kind.
    Section(SectionRole),
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsupported::GlobalData => f.write_str("global data (.data/.rodata/.bss)"),
            Unsupported::BtfMap => f.write_str("a BTF-defined map (.maps)"),
            Unsupported::ExternVariable => f.write_str("an extern variable (__kconfig/__ksym)"),
            Unsupported::ExternCall => f.write_str(
                "a call to an undefined function (a kfunc, or a function of another object)",
            ),
            Unsupported::SubprogramCall => f.write_str("a bpf-to-bpf call"),
            Unsupported::FunctionPointer => f.write_str("a function pointer (callback)"),
            Unsupported::Section(role) => write!(f, "a reference to {role}"),
        }
    }
}

/// What a relocation resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A map of the object: the index into [`Object::maps`].
    Map {
        /// Index into [`Object::maps`].
        index: usize,
    },
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
    let unsupported = |feature| RelocError::NotSupportedYet {
        program: program_label(program),
        insn: reloc.insn_index,
        symbol: symbol.name.clone(),
        section: symbol.section.describe(),
        feature,
    };
    let role = match &symbol.section {
        SymbolSection::Undefined => {
            return Err(unsupported(if is_call {
                Unsupported::ExternCall
            } else {
                Unsupported::ExternVariable
            }));
        }
        SymbolSection::Defined { role, .. } => role,
        SymbolSection::Absolute | SymbolSection::Common => {
            return Err(unsupported(Unsupported::Section(SectionRole::Other)));
        }
    };
    match role {
        SectionRole::LegacyMaps => {
            if !insn.is_ld_imm64() {
                return Err(RelocError::MapReferenceNotLdImm64 {
                    program: program_label(program),
                    insn: reloc.insn_index,
                    symbol: symbol.name.clone(),
                    code: insn.code,
                });
            }
            // REL semantics: symbol value plus the addend clang left in the immediate.
            // Named map symbols carry 0 there; a section symbol (a `static` map) carries
            // the map's offset.
            let offset = symbol.value as i64 + i64::from(insn.imm);
            // Maps are sorted by offset.
            let maps = object.maps();
            let start = |map: &crate::maps::Map| match map.source {
                MapSource::Legacy { offset, .. } => offset,
            };
            let index = u64::try_from(offset)
                .ok()
                .map(|wanted| (wanted, maps.partition_point(|m| start(m) < wanted)))
                .filter(|&(wanted, i)| maps.get(i).is_some_and(|m| start(m) == wanted))
                .map(|(_, i)| i)
                .ok_or_else(|| RelocError::NoMapAtOffset {
                    program: program_label(program),
                    insn: reloc.insn_index,
                    symbol: symbol.name.clone(),
                    offset,
                })?;
            Ok(Target::Map { index })
        }
        SectionRole::BtfMaps => Err(unsupported(Unsupported::BtfMap)),
        SectionRole::GlobalData => Err(unsupported(Unsupported::GlobalData)),
        SectionRole::Programs | SectionRole::Subprograms => Err(unsupported(if is_call {
            Unsupported::SubprogramCall
        } else {
            Unsupported::FunctionPointer
        })),
        other => Err(unsupported(Unsupported::Section(other.clone()))),
    }
}

/// The maps `program` refers to, as indices into [`Object::maps`], sorted and without
/// repeats. Fails on the first reference that cannot be relocated, so a caller can
/// find out before creating anything in the kernel.
pub fn referenced_maps(object: &Object, program: &Program) -> Result<Vec<usize>, RelocError> {
    let mut indices = Vec::new();
    for reloc in &program.relocations {
        match resolve(object, program, reloc)? {
            Target::Map { index } => indices.push(index),
        }
    }
    indices.sort_unstable();
    indices.dedup();
    Ok(indices)
}

/// Produces the instructions to load for `program`: every map reference rewritten to
/// `BPF_PSEUDO_MAP_FD` with the fd that `map_fd` gives for the map's index in
/// [`Object::maps`]. Each rewrite is reported to `observer`.
///
/// Also refuses a program that calls outside itself (bpf-to-bpf calls to other
/// functions need linking, which is not supported yet).
pub fn relocate(
    object: &Object,
    program: &Program,
    map_fd: impl Fn(usize) -> Option<i32>,
    observer: &dyn Observer,
) -> Result<Vec<Insn>, RelocError> {
    let mut insns = program.insns.clone();
    for reloc in &program.relocations {
        match resolve(object, program, reloc)? {
            Target::Map { index } => {
                let map_name = object
                    .maps()
                    .get(index)
                    .map(|map| map.name.clone())
                    .unwrap_or_default();
                let fd = map_fd(index).ok_or_else(|| RelocError::MissingMapFd {
                    program: program_label(program),
                    map: map_name,
                })?;
                let i = reloc.insn_index;
                let not_ld_imm64 = |code| RelocError::MapReferenceNotLdImm64 {
                    program: program_label(program),
                    insn: i,
                    symbol: reloc.symbol.name.clone(),
                    code,
                };
                // resolve() checked that insns[i] is an ld_imm64 and the parser that
                // its second half exists; look them up without indexing anyway.
                let before = insns.get(i).copied().ok_or_else(|| not_ld_imm64(0))?;
                if insns.get(i + 1).is_none() {
                    return Err(not_ld_imm64(before.code));
                }
                let mut after = before;
                after.set_src_reg(BPF_PSEUDO_MAP_FD);
                after.imm = fd;
                if let Some(slot) = insns.get_mut(i) {
                    *slot = after;
                }
                if let Some(second) = insns.get_mut(i + 1) {
                    second.imm = 0;
                }
                observer.relocated(i, &reloc.symbol.name, before, after);
            }
        }
    }
    check_calls_stay_inside(program, &insns)?;
    Ok(insns)
}

/// A bpf-to-bpf call whose target lies inside the program itself (a `static`
/// function clang placed in the same range) works as is; any other needs linking.
fn check_calls_stay_inside(program: &Program, insns: &[Insn]) -> Result<(), RelocError> {
    for (i, insn) in insns.iter().enumerate() {
        if insn.is_pseudo_call() {
            let target = i as i64 + 1 + i64::from(insn.imm);
            if target < 0 || target >= insns.len() as i64 {
                return Err(RelocError::CallOutsideProgram {
                    program: program_label(program),
                    insn: i,
                    target,
                });
            }
        }
    }
    Ok(())
}

/// The program's name for messages: its function name, or its section if it has none.
pub(crate) fn program_label(program: &Program) -> String {
    if program.name.is_empty() {
        format!("[{}]", program.section)
    } else {
        program.name.clone()
    }
}

/// Whether `symbol` can name a legacy map: an object or untyped symbol, not a section,
/// file or function symbol.
pub(crate) fn is_map_symbol(symbol: &SymbolRef) -> bool {
    matches!(symbol.kind, SymbolKind::Object | SymbolKind::NoType) && !symbol.name.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::NoObserver;
    use crate::testutil::{Target as Arch, build};
    use bpf_sys::consts::BPF_PSEUDO_MAP_FD;
    use std::cell::RefCell;

    #[derive(Default)]
    struct Recorder(RefCell<Vec<(usize, String, Insn, Insn)>>);

    impl Observer for Recorder {
        fn relocated(&self, insn_index: usize, symbol: &str, before: Insn, after: Insn) {
            self.0
                .borrow_mut()
                .push((insn_index, symbol.to_string(), before, after));
        }
    }

    #[test]
    fn map_references_become_pseudo_map_fd() {
        let Some(bytes) = build("two-maps.c", Arch::Host) else {
            return;
        };
        let object = Object::parse(&bytes).unwrap();
        let program = object.find_program("ingress", None).unwrap();
        let used = referenced_maps(&object, program).unwrap();
        let names: Vec<&str> = used
            .iter()
            .map(|&i| object.maps()[i].name.as_str())
            .collect();
        assert_eq!(names, ["counters", "verdicts"]);

        let fds = |index: usize| Some(100 + index as i32);
        let recorder = Recorder::default();
        let insns = relocate(&object, program, fds, &recorder).unwrap();
        let rewrites = recorder.0.into_inner();
        assert_eq!(rewrites.len(), program.relocations.len());
        assert!(rewrites.len() >= 2);
        for (index, symbol, before, after) in rewrites {
            let map = object.maps().iter().position(|m| m.name == symbol).unwrap();
            assert!(before.is_ld_imm64());
            assert_eq!(before.src_reg(), 0, "clang leaves src_reg 0");
            assert_eq!(after.src_reg(), BPF_PSEUDO_MAP_FD);
            assert_eq!(after.dst_reg(), before.dst_reg());
            assert_eq!(after.imm, 100 + map as i32);
            assert_eq!(insns[index], after);
            assert_eq!(insns[index + 1].imm, 0);
        }
        // Everything that was not relocated is untouched.
        let patched: Vec<usize> = program.relocations.iter().map(|r| r.insn_index).collect();
        for (i, (a, b)) in program.insns.iter().zip(&insns).enumerate() {
            if !patched.contains(&i) {
                assert_eq!(a, b, "instruction {i} changed");
            }
        }
    }

    #[test]
    fn missing_fd_is_an_error() {
        let Some(bytes) = build("two-maps.c", Arch::Host) else {
            return;
        };
        let object = Object::parse(&bytes).unwrap();
        let program = object.find_program("ingress", None).unwrap();
        let err = relocate(&object, program, |_| None, &NoObserver).unwrap_err();
        assert!(matches!(err, RelocError::MissingMapFd { .. }), "{err}");
    }

    #[test]
    fn static_map_through_section_symbol() {
        let Some(bytes) = build("static-map.c", Arch::Host) else {
            return;
        };
        let object = Object::parse(&bytes).unwrap();
        let program = object.find_program("ingress", None).unwrap();
        // clang names the section, not the map, and puts the offset in the immediate.
        assert!(
            program
                .relocations
                .iter()
                .any(|r| r.symbol.kind == SymbolKind::Section)
        );
        let used = referenced_maps(&object, program).unwrap();
        let names: Vec<&str> = used
            .iter()
            .map(|&i| object.maps()[i].name.as_str())
            .collect();
        assert_eq!(names, ["hidden"]);
        let insns = relocate(&object, program, |i| Some(i as i32 + 7), &NoObserver).unwrap();
        let reloc = &program.relocations[0];
        assert_eq!(insns[reloc.insn_index].imm, used[0] as i32 + 7);
    }

    fn unsupported_feature(file: &str, section: &str) -> Option<(Unsupported, String)> {
        let bytes = build(file, Arch::Host)?;
        let object = Object::parse(&bytes).unwrap();
        let program = object.find_program(section, None).unwrap();
        let err = relocate(&object, program, |_| Some(3), &NoObserver).unwrap_err();
        let message = err.to_string();
        match err {
            RelocError::NotSupportedYet { feature, .. } => Some((feature, message)),
            other => panic!("{file}: expected NotSupportedYet, got {other}"),
        }
    }

    #[test]
    fn global_data_is_not_supported_yet() {
        if let Some((feature, message)) = unsupported_feature("global-data.c", "ingress") {
            assert_eq!(feature, Unsupported::GlobalData);
            assert!(message.contains("hits"), "{message}");
            assert!(message.contains("not supported yet"), "{message}");
        }
    }

    #[test]
    fn btf_maps_are_not_supported_yet() {
        if let Some((feature, message)) = unsupported_feature("btf-map.c", "ingress") {
            assert_eq!(feature, Unsupported::BtfMap);
            assert!(message.contains("\"seen\""), "{message}");
            assert!(message.contains("section \".maps\""), "{message}");
        }
    }

    #[test]
    fn subprogram_calls_are_not_supported_yet() {
        if let Some((feature, message)) = unsupported_feature("subprog.c", "ingress") {
            assert_eq!(feature, Unsupported::SubprogramCall);
            assert!(message.contains("is_arp"), "{message}");
            assert!(message.contains("section \".text\""), "{message}");
        }
    }
}
