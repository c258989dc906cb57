//! Relocation: turning a program's references to maps, global variables and other
//! functions into something the kernel understands, without any syscall.
//!
//! clang cannot know a map's file descriptor, so for `bpf_map_lookup_elem(&packets, ...)`
//! it emits an `ld_imm64` with immediate 0 and a relocation naming the symbol `packets`.
//! The loader creates the map, then rewrites that instruction: `src_reg` becomes
//! `BPF_PSEUDO_MAP_FD` and the immediate the map's fd (the second half of the
//! `ld_imm64` gets 0). The verifier then swaps the fd for the map's address. A global
//! variable becomes `BPF_PSEUDO_MAP_VALUE`: the fd of its section's map, and in the
//! second half its offset in the map's value.
//!
//! Calls to other BPF functions are resolved by [`crate::subprog`], which appends the
//! called functions to the program; [`resolve`] tells it where a call goes.
//!
//! References this loader cannot honour (externs such as kfuncs, `__ksym` and
//! `__kconfig` variables, CO-RE) are refused with an error that names the symbol, the
//! section and the instruction, rather than reaching the verifier as a puzzle.

use bpf_sys::Insn;
use bpf_sys::consts::{BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE};

use crate::error::RelocError;
pub use crate::error::Unsupported;
use crate::externs::resolve::{
    ExternFds, LibbpfVersion, Resolution, ResolvedExterns, patch_extern_ref,
};
use crate::kernel::KernelInfo;
use crate::object::Object;
use crate::observer::Observer;
use crate::program::Program;
pub use crate::reference::{Target, program_label, resolve};
pub use crate::relocation::{R_BPF_64_32, R_BPF_64_64, Relocation};
use crate::subprog::{CombineEnv, combine};

/// The maps `program` refers to (itself and through the functions it calls), as
/// indices into [`Object::maps`], sorted and without repeats. Fails on the first
/// reference that cannot be relocated, so a caller can find out before creating
/// anything in the kernel.
pub fn referenced_maps(object: &Object, program: &Program) -> Result<Vec<usize>, RelocError> {
    let combined = combine(
        object,
        program,
        CombineEnv::default(),
        &crate::observer::NoObserver,
    )?;
    let mut indices: Vec<usize> = combined
        .map_refs
        .iter()
        .map(|r| match r.target {
            Target::Map { index } | Target::MapValue { index, .. } => index,
            _ => usize::MAX,
        })
        .filter(|&i| i != usize::MAX)
        .collect();
    indices.sort_unstable();
    indices.dedup();
    Ok(indices)
}

/// Produces the instructions to load for `program`: the functions it calls appended
/// and the calls pointed at them ([`crate::subprog`]), every map reference rewritten to
/// `BPF_PSEUDO_MAP_FD` and every global variable reference to `BPF_PSEUDO_MAP_VALUE`,
/// with the fd that `map_fd` gives for the map's index in [`Object::maps`]. Each
/// rewrite is reported to `observer`. CO-RE relocations and externs are refused: see
/// [`relocate_for`] to resolve them for a kernel.
pub fn relocate(
    object: &Object,
    program: &Program,
    map_fd: impl Fn(usize) -> Option<i32>,
    observer: &dyn Observer,
) -> Result<Vec<Insn>, RelocError> {
    relocate_with(object, program, None, map_fd, observer)
}

/// [`relocate`], with CO-RE relocations and externs resolved for `kernel` (whose BTF
/// may be another kernel's, read from a file: nothing is loaded). `map_fd` is also
/// asked for the `.kconfig` map (index `object.maps().len()`) when the program reads
/// a `__kconfig` extern.
pub fn relocate_for(
    object: &Object,
    program: &Program,
    kernel: &KernelInfo,
    map_fd: impl Fn(usize) -> Option<i32>,
    observer: &dyn Observer,
) -> Result<Vec<Insn>, RelocError> {
    relocate_with(object, program, Some(kernel), map_fd, observer)
}

fn relocate_with(
    object: &Object,
    program: &Program,
    kernel: Option<&KernelInfo>,
    map_fd: impl Fn(usize) -> Option<i32>,
    observer: &dyn Observer,
) -> Result<Vec<Insn>, RelocError> {
    let resolved = match kernel {
        Some(kernel) => kernel.resolve_externs(object)?,
        None => None,
    };
    let env = CombineEnv {
        kernel,
        externs: resolved.as_ref(),
    };
    let mut combined = combine(object, program, env, observer)?;
    // The `.kconfig` map, which is not one of the object's maps, gets the index
    // after them.
    let kconfig_fd = map_fd(object.maps().len());
    apply_map_references(object, program, &mut combined, &map_fd, observer)?;
    apply_extern_references(
        program,
        &mut combined,
        resolved.as_ref(),
        kconfig_fd,
        observer,
    )?;
    Ok(combined.insns)
}

/// Rewrites the map and global-variable references of a combined program.
pub(crate) fn apply_map_references(
    object: &Object,
    program: &Program,
    combined: &mut crate::subprog::Combined<'_>,
    map_fd: impl Fn(usize) -> Option<i32>,
    observer: &dyn Observer,
) -> Result<(), RelocError> {
    for reference in &combined.map_refs {
        let (index, value_offset) = match reference.target {
            Target::Map { index } => (index, None),
            Target::MapValue { index, offset } => (index, Some(offset)),
            _ => continue,
        };
        let map_name = object
            .maps()
            .get(index)
            .map(|map| map.name.clone())
            .unwrap_or_default();
        let fd = map_fd(index).ok_or_else(|| RelocError::MissingMapFd {
            program: program_label(program),
            map: map_name,
        })?;
        let i = reference.at;
        let not_ld_imm64 = |code| RelocError::MapReferenceNotLdImm64 {
            program: program_label(program),
            insn: i,
            symbol: reference.symbol.clone(),
            code,
        };
        // resolve() checked that insns[i] is an ld_imm64 and the parser that its
        // second half exists; look them up without indexing anyway.
        let before = combined
            .insns
            .get(i)
            .copied()
            .ok_or_else(|| not_ld_imm64(0))?;
        if !before.is_ld_imm64() || combined.insns.get(i + 1).is_none() {
            return Err(not_ld_imm64(before.code));
        }
        let mut after = before;
        after.set_src_reg(match value_offset {
            None => BPF_PSEUDO_MAP_FD,
            Some(_) => BPF_PSEUDO_MAP_VALUE,
        });
        after.imm = fd;
        if let Some(slot) = combined.insns.get_mut(i) {
            *slot = after;
        }
        if let Some(second) = combined.insns.get_mut(i + 1) {
            // For a value reference the second half carries the offset as an
            // unsigned 32-bit number (checked to be below the value size).
            second.imm = value_offset.map_or(0, |o| o as i32);
        }
        observer.relocated(i, &reference.symbol, before, after);
    }
    Ok(())
}

/// Rewrites the extern references of a combined program as libbpf does (see
/// [`crate::externs::resolve::patch_extern_ref`]); `kconfig_fd` is the `.kconfig`
/// map's fd, needed only if the program reads a `__kconfig` extern.
pub(crate) fn apply_extern_references(
    program: &Program,
    combined: &mut crate::subprog::Combined<'_>,
    externs: Option<&ResolvedExterns>,
    kconfig_fd: Option<i32>,
    observer: &dyn Observer,
) -> Result<(), RelocError> {
    for reference in &combined.extern_refs {
        let i = reference.at;
        let Some((ext, resolution)) = externs.and_then(|e| e.by_symbol(reference.symbol_index))
        else {
            continue;
        };
        let before = combined.insns.get(i).copied().unwrap_or_default();
        if let Resolution::Kconfig { offset } = resolution {
            // A value in the `.kconfig` map, like any global variable.
            let fd = kconfig_fd.ok_or_else(|| RelocError::MissingMapFd {
                program: program_label(program),
                map: ".kconfig".to_string(),
            })?;
            if !before.is_ld_imm64() || combined.insns.get(i + 1).is_none() {
                return Err(RelocError::MapReferenceNotLdImm64 {
                    program: program_label(program),
                    insn: i,
                    symbol: reference.symbol.clone(),
                    code: before.code,
                });
            }
            if let Some(first) = combined.insns.get_mut(i) {
                first.set_src_reg(BPF_PSEUDO_MAP_VALUE);
                first.imm = fd;
            }
            if let Some(second) = combined.insns.get_mut(i + 1) {
                second.imm = offset as i32;
            }
        } else {
            patch_extern_ref(
                &mut combined.insns,
                i,
                ext,
                resolution,
                &ExternFds::default(),
                LibbpfVersion::V1_1,
            )
            .map_err(|source| RelocError::Extern {
                source: Box::new(source),
            })?;
        }
        let after = combined.insns.get(i).copied().unwrap_or_default();
        observer.relocated(i, &reference.symbol, before, after);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::NoObserver;
    use crate::symbol::SymbolKind;
    use crate::testutil::{Target as Arch, build};
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

    #[test]
    fn global_data_becomes_pseudo_map_value() {
        let Some(bytes) = build("global-data.c", Arch::Host) else {
            return;
        };
        let object = Object::parse(&bytes).unwrap();
        let program = object.find_program("ingress", None).unwrap();
        let bss = object.map_index(".bss").unwrap();
        assert_eq!(referenced_maps(&object, program).unwrap(), [bss]);
        let insns = relocate(&object, program, |i| Some(40 + i as i32), &NoObserver).unwrap();
        let reloc = &program.relocations[0];
        let first = insns[reloc.insn_index];
        assert_eq!(first.src_reg(), BPF_PSEUDO_MAP_VALUE);
        assert_eq!(first.imm, 40 + bss as i32);
        assert_eq!(insns[reloc.insn_index + 1].imm, 0, "hits is at offset 0");
    }

    #[test]
    fn btf_maps_become_pseudo_map_fd() {
        let Some(bytes) = build("btf-map.c", Arch::Host) else {
            return;
        };
        let object = Object::parse(&bytes).unwrap();
        let program = object.find_program("ingress", None).unwrap();
        let seen = object.map_index("seen").unwrap();
        let insns = relocate(&object, program, |i| Some(9 + i as i32), &NoObserver).unwrap();
        let reloc = &program.relocations[0];
        assert_eq!(insns[reloc.insn_index].src_reg(), BPF_PSEUDO_MAP_FD);
        assert_eq!(insns[reloc.insn_index].imm, 9 + seen as i32);
    }

    #[test]
    fn subprogram_calls_are_linked() {
        let Some(bytes) = build("subprog.c", Arch::Host) else {
            return;
        };
        let object = Object::parse(&bytes).unwrap();
        let program = object.find_program("ingress", None).unwrap();
        let insns = relocate(&object, program, |_| Some(3), &NoObserver).unwrap();
        let is_arp = &object.subprograms()[0];
        assert_eq!(insns.len(), program.insns.len() + is_arp.insns.len());
        assert_eq!(&insns[program.insns.len()..], &is_arp.insns[..]);
        let call = program.relocations[0].insn_index;
        assert!(insns[call].is_pseudo_call());
        assert_eq!(
            call as i64 + 1 + i64::from(insns[call].imm),
            program.insns.len() as i64
        );
    }
}
