//! Subprograms (bpf-to-bpf calls): building the one instruction array the kernel
//! loads from a program and the functions it calls.
//!
//! The kernel takes a program and all its subprograms as a single array, the called
//! functions after the caller, each call's immediate being the distance (in
//! instructions) from the call to the callee. In the object, the callees live
//! elsewhere: in `.text`, or further along the same section. Combining copies the
//! program, then walks its instructions; each call (or function address, for
//! callbacks) to a function not placed yet appends that function at the end, and the
//! call is pointed at wherever the callee now starts. The appended functions are
//! walked in turn, so calls of calls are placed too; each function is placed once.
//!
//! A call's target comes from its relocation when it has one (calls into another
//! section, or to a global function), else from the immediate itself (a static
//! function of the same section). Map and variable references met on the way are
//! collected, at their new positions, for [`crate::reloc`] to rewrite.

use bpf_sys::Insn;
use bpf_sys::consts::{BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC};

use crate::btf::core::{CANDIDATE_KINDS, CoreOutcome, CoreReloKind, CoreRelocator};
use crate::btf::ext::CoreRelo;
use crate::btf::{TargetBtf, essential_name};
use crate::error::{BtfError, RelocError};
use crate::externs::resolve::ResolvedExterns;
use crate::kernel::KernelInfo;
use crate::object::Object;
use crate::observer::Observer;
use crate::program::Program;
use crate::reference::{Target, extern_unsupported, program_label, resolve};

/// Most instructions a program with its subprograms may have (the kernel's `BPF_COMPLEXITY_LIMIT_INSNS`).
pub const MAX_INSNS: usize = 1_000_000;

/// A function placed in a combined program.
#[derive(Clone, Copy, Debug)]
pub struct Placed<'o> {
    /// The function.
    pub function: &'o Program,
    /// Index of its first instruction in the combined program.
    pub start: usize,
}

/// A map or variable reference of a combined program, at its new position.
#[derive(Clone, Debug)]
pub struct MapRef {
    /// Index of the `ld_imm64` in the combined program.
    pub at: usize,
    /// The map (and offset) it refers to.
    pub target: Target,
    /// The symbol the relocation named, for messages.
    pub symbol: String,
}

/// An extern reference of a combined program, at its new position.
#[derive(Clone, Debug)]
pub struct ExternRef {
    /// Index of the instruction (a call, or the first half of an `ld_imm64`).
    pub at: usize,
    /// Index of the extern's symbol.
    pub symbol_index: usize,
    /// The extern's name, for messages.
    pub symbol: String,
}

/// What combining needs from outside the object: the kernel to resolve CO-RE
/// relocations for, and how the object's externs resolve on it. Without them,
/// CO-RE relocations and externs are refused.
#[derive(Clone, Copy, Debug, Default)]
pub struct CombineEnv<'a> {
    /// The target kernel.
    pub kernel: Option<&'a KernelInfo>,
    /// The object's externs resolved for that kernel.
    pub externs: Option<&'a ResolvedExterns>,
}

/// A program with the functions it calls appended and its calls pointed at them.
#[derive(Clone, Debug)]
pub struct Combined<'o> {
    /// The instructions, calls fixed, map references not yet rewritten.
    pub insns: Vec<Insn>,
    /// The functions in the order they were placed; the program itself first.
    pub placed: Vec<Placed<'o>>,
    /// The map and variable references to rewrite.
    pub map_refs: Vec<MapRef>,
    /// What each CO-RE relocation did, in the order applied.
    pub core: Vec<CoreOutcome>,
    /// The extern references to rewrite.
    pub extern_refs: Vec<ExternRef>,
}

/// Combines `program` with the functions it calls: see the module documentation. Each function appended is reported
/// to `observer`.
pub fn combine<'o>(
    object: &'o Object,
    program: &'o Program,
    env: CombineEnv<'_>,
    observer: &dyn Observer,
) -> Result<Combined<'o>, RelocError> {
    let kernel = env.kernel;
    let mut combined = Combined {
        insns: program.insns.clone(),
        placed: vec![Placed {
            function: program,
            start: 0,
        }],
        map_refs: Vec::new(),
        core: Vec::new(),
        extern_refs: Vec::new(),
    };
    let mut relocator = None;
    // libbpf's order: functions are walked depth first. The first call to a function
    // not placed yet appends it and walks it at once (its own first calls likewise),
    // before the caller's walk goes on; the layout, and so the program tag, is then
    // the one libbpf (and tc) produces. A stack of (function, where it starts, next
    // instruction to look at) replaces libbpf's recursion.
    let mut stack: Vec<(&'o Program, usize, usize)> = Vec::new();
    let mut enter = |function: &'o Program,
                     start: usize,
                     combined: &mut Combined<'o>,
                     stack: &mut Vec<(&'o Program, usize, usize)>|
     -> Result<(), RelocError> {
        let core = CoreStep {
            object,
            program,
            function,
            start,
            kernel,
        };
        core.apply(combined, &mut relocator, observer)
            .map_err(|e| in_function(program, function, e))?;
        stack.push((function, start, 0));
        Ok(())
    };
    enter(program, 0, &mut combined, &mut stack)?;
    while let Some(&(function, start, from)) = stack.last() {
        let step = walk_function(
            object,
            program,
            function,
            start,
            from,
            &mut combined,
            env,
            observer,
        )
        .map_err(|e| in_function(program, function, e))?;
        match step {
            Some((resume, placed)) => {
                if let Some(top) = stack.last_mut() {
                    top.2 = resume;
                }
                enter(placed.function, placed.start, &mut combined, &mut stack)?;
            }
            None => {
                stack.pop();
            }
        }
    }
    Ok(combined)
}

/// An error inside `function` of `program`, naming the function when it is not the
/// program itself.
fn in_function(program: &Program, function: &Program, error: RelocError) -> RelocError {
    if std::ptr::eq(function, program) {
        error
    } else {
        RelocError::InFunction {
            program: program_label(program),
            function: program_label(function),
            source: Box::new(error),
        }
    }
}

/// Handles the calls and references of one placed function from its instruction
/// `from` on. Stops after a call that placed a new function, returning where to
/// resume and the function placed (to be walked first); `None` at the end.
#[allow(clippy::too_many_arguments)]
fn walk_function<'o>(
    object: &'o Object,
    program: &'o Program,
    function: &'o Program,
    start: usize,
    from: usize,
    combined: &mut Combined<'o>,
    env: CombineEnv<'_>,
    observer: &dyn Observer,
) -> Result<Option<(usize, Placed<'o>)>, RelocError> {
    let mut relocations = function.relocations.iter().peekable();
    for (i, insn) in function.insns.iter().enumerate().skip(from) {
        let at = start + i;
        let mut reloc = None;
        while let Some(r) = relocations.next_if(|r| r.insn_index <= i) {
            if r.insn_index == i {
                reloc = Some(r);
            }
        }
        let has_second_half = i + 1 < function.insns.len();
        let target = match reloc {
            Some(reloc) => match resolve(object, function, reloc)? {
                target @ (Target::Map { .. } | Target::MapValue { .. }) => {
                    if !has_second_half {
                        return Err(RelocError::MapReferenceNotLdImm64 {
                            program: program_label(function),
                            insn: i,
                            symbol: reloc.symbol.name.clone(),
                            code: insn.code,
                        });
                    }
                    combined.map_refs.push(MapRef {
                        at,
                        target,
                        symbol: reloc.symbol.name.clone(),
                    });
                    continue;
                }
                Target::Extern { symbol_index } => {
                    let known = env
                        .externs
                        .and_then(|e| e.by_symbol(symbol_index))
                        .is_some();
                    if !known {
                        return Err(extern_unsupported(function, i, insn, &reloc.symbol));
                    }
                    combined.extern_refs.push(ExternRef {
                        at,
                        symbol_index,
                        symbol: reloc.symbol.name.clone(),
                    });
                    continue;
                }
                other => other,
            },
            None if insn.is_pseudo_call() || is_pseudo_func(insn) => {
                // No relocation: a static function of the same section, `imm`
                // instructions after the next one.
                let offset = (function.first_insn() as i64 + i as i64 + 1 + i64::from(insn.imm))
                    .saturating_mul(8);
                let Ok(offset) = u64::try_from(offset) else {
                    return Err(RelocError::CallTargetNotAFunction {
                        program: program_label(function),
                        insn: i,
                        section: function.section.clone(),
                        offset,
                    });
                };
                Target::function(function.section_index, offset, insn.is_pseudo_call())
            }
            None => continue,
        };
        let (section_index, offset, is_call) = match target {
            Target::Call {
                section_index,
                offset,
            } => (section_index, offset, true),
            Target::FunctionAddress {
                section_index,
                offset,
            } => (section_index, offset, false),
            _ => continue,
        };
        if !is_call && !has_second_half {
            return Err(RelocError::BadFunctionReference {
                program: program_label(function),
                insn: i,
                symbol: reloc.map(|r| r.symbol.name.clone()).unwrap_or_default(),
                value: offset,
                imm: insn.imm,
            });
        }
        let callee = object.function_at(section_index, offset).ok_or_else(|| {
            RelocError::CallTargetNotAFunction {
                program: program_label(function),
                insn: i,
                section: object
                    .sections()
                    .get(section_index)
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                offset: i64::try_from(offset).unwrap_or(i64::MAX),
            }
        })?;
        let placed_before = combined.placed.len();
        let callee_start = place(combined, program, callee, observer)?;
        let newly_placed = (combined.placed.len() > placed_before).then_some(Placed {
            function: callee,
            start: callee_start,
        });
        let distance = i32::try_from(callee_start as i64 - at as i64 - 1).map_err(|_| {
            RelocError::TooLong {
                program: program_label(program),
                count: combined.insns.len(),
            }
        })?;
        if let Some(slot) = combined.insns.get_mut(at) {
            slot.imm = distance;
            slot.set_src_reg(if is_call {
                BPF_PSEUDO_CALL
            } else {
                BPF_PSEUDO_FUNC
            });
        }
        if !is_call {
            if let Some(second) = combined.insns.get_mut(at + 1) {
                second.imm = 0;
            }
        }
        if let Some(placed) = newly_placed {
            return Ok(Some((i + 1, placed)));
        }
    }
    Ok(None)
}

/// Where `callee` starts in the combined program, appending it if it is not there yet.
fn place<'o>(
    combined: &mut Combined<'o>,
    program: &'o Program,
    callee: &'o Program,
    observer: &dyn Observer,
) -> Result<usize, RelocError> {
    if let Some(placed) = combined
        .placed
        .iter()
        .find(|p| std::ptr::eq(p.function, callee))
    {
        return Ok(placed.start);
    }
    let start = combined.insns.len();
    let count = start + callee.insns.len();
    if count > MAX_INSNS {
        return Err(RelocError::TooLong {
            program: program_label(program),
            count,
        });
    }
    combined.insns.extend_from_slice(&callee.insns);
    combined.placed.push(Placed {
        function: callee,
        start,
    });
    observer.subprog_appended(&program_label(program), &program_label(callee), start);
    Ok(start)
}

/// `ld_imm64` already marked as a function address (hand-written code).
fn is_pseudo_func(insn: &Insn) -> bool {
    insn.is_ld_imm64() && insn.src_reg() == BPF_PSEUDO_FUNC
}

/// The CO-RE relocations of one placed function.
struct CoreStep<'a, 'o> {
    object: &'o Object,
    program: &'o Program,
    function: &'o Program,
    /// Where the function starts in the combined program.
    start: usize,
    kernel: Option<&'a KernelInfo>,
}

impl<'a, 'o> CoreStep<'a, 'o> {
    /// The function's CO-RE records with their instruction index in the function.
    fn records(&self) -> Vec<(usize, CoreRelo)> {
        let Some(ext) = self.object.btf_ext() else {
            return Vec::new();
        };
        let start = self.function.offset;
        let end = start + (self.function.insns.len() * Insn::SIZE) as u64;
        ext.core_relos_of(&self.function.section)
            .iter()
            .filter(|r| (start..end).contains(&u64::from(r.insn_off)))
            .map(|r| {
                (
                    ((u64::from(r.insn_off) - start) / Insn::SIZE as u64) as usize,
                    *r,
                )
            })
            .collect()
    }

    /// Applies them to the combined program, creating the relocator (and reading the
    /// kernel's BTF) on first need; each outcome goes to `observer` and `combined.core`.
    fn apply(
        &self,
        combined: &mut Combined<'_>,
        relocator: &mut Option<CoreRelocator<'a>>,
        observer: &dyn Observer,
    ) -> Result<(), RelocError>
    where
        'o: 'a,
    {
        let records = self.records();
        let Some(&(first_insn, first)) = records.first() else {
            return Ok(());
        };
        let (Some(kernel), Some(local)) = (self.kernel, self.object.btf()) else {
            return Err(self.refusal(first_insn, &first));
        };
        if relocator.is_none() {
            let btf =
                kernel_btf_for(self.object, kernel).map_err(|source| RelocError::KernelBtf {
                    what: format!(
                        "program \"{}\" (its CO-RE relocations)",
                        program_label(self.program)
                    ),
                    source,
                })?;
            let mut fresh = CoreRelocator::new(local, btf);
            if let Some(ext) = self.object.btf_ext() {
                fresh.prefetch_all(ext.core_relos.iter().flat_map(|s| &s.records));
            }
            *relocator = Some(fresh);
        }
        let Some(relocator) = relocator.as_mut() else {
            return Ok(());
        };
        for (index, record) in records {
            let outcome = relocator
                .apply(&record, &mut combined.insns, self.start + index)
                .map_err(|source| RelocError::Core {
                    program: program_label(self.function),
                    source: Box::new(source),
                })?;
            observer.core_relocated(&program_label(self.program), &outcome);
            combined.core.push(outcome);
        }
        Ok(())
    }

    /// The error for a CO-RE relocation that cannot be resolved for want of a kernel
    /// (or of the object's own BTF).
    fn refusal(&self, insn: usize, relo: &CoreRelo) -> RelocError {
        let btf = self.object.btf();
        let name = |id| btf.and_then(|b| b.type_name(id).ok()).unwrap_or("?");
        let access = btf
            .and_then(|b| b.string(relo.access_str_off).ok())
            .unwrap_or("?");
        RelocError::CoreRelocation {
            program: program_label(self.function),
            insn,
            section: self.function.section.clone(),
            relocation: format!(
                "{} of type \"{}\", access \"{}\"",
                CoreReloKind::from_raw(relo.kind)
                    .map_or_else(|| format!("kind {}", relo.kind), |k| k.to_string()),
                name(relo.type_id),
                access,
            ),
        }
    }
}

/// The kernel's BTF, opened (on first use) with the candidates of every CO-RE root
/// type of `object` looked up in the same pass.
fn kernel_btf_for<'k>(object: &Object, kernel: &'k KernelInfo) -> Result<&'k TargetBtf, BtfError> {
    let mut names: Vec<&str> = Vec::new();
    if let (Some(ext), Some(btf)) = (object.btf_ext(), object.btf()) {
        for relo in ext.core_relos.iter().flat_map(|s| &s.records) {
            if let Ok(name) = btf.type_name(relo.type_id) {
                let name = essential_name(name);
                if !name.is_empty() && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    kernel.btf_with_names(&names, &CANDIDATE_KINDS)
}
