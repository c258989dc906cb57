//! An eBPF disassembler: instructions in, one line of text per instruction out, in
//! the notation of the kernel verifier's log and `bpftool prog dump xlated`.
//!
//! ```text
//!    0: (b7) r1 = 0
//!    1: (63) *(u32 *)(r10 -4) = r1
//!    4: (18) r1 = 0x0 ll  ; map packets
//!    6: (85) call bpf_map_lookup_elem#1
//!    7: (15) if r0 == 0x0 goto pc+2  ; -> 10
//! ```
//!
//! It is a pure function of the instructions ([`disassemble`]), with optional
//! [`Annotations`]: notes per instruction (what a relocation refers to), source lines
//! (from BTF line information) and labels. [`object_annotations`] derives them from a
//! parsed [`Object`](crate::Object). Every opcode byte decodes to something: what no
//! kernel accepts reads `unknown opcode`, never a panic.
//!
//! * [`opcode`]: the fields of an opcode and [`opcode::decode`].
//! * [`helpers`]: helper names by id.
//! * `format`: one instruction as text.
//! * `annotate`: notes for a program of an object (relocations, source lines).

mod annotate;
mod format;
pub mod helpers;
pub mod opcode;

use std::collections::BTreeMap;
use std::fmt;

use bpf_sys::Insn;

pub use annotate::{describe_relocation, object_annotations};
pub use helpers::helper_name;
pub use opcode::Op;

/// Where the instructions come from, which decides how some fields read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// An object file, or instructions as a loader passes them to `BPF_PROG_LOAD`:
    /// map references hold file descriptors (`r1 = map[fd:5]`).
    #[default]
    Loader,
    /// Read back from the kernel (`BPF_OBJ_GET_INFO_BY_FD`'s translated instructions,
    /// what `bpftool prog dump xlated` shows): map references hold map ids
    /// (`r1 = map[id:42]`), and a bpf-to-bpf call of a JIT-compiled program keeps
    /// its relative target in `off` (the kernel reuses `imm` for the callee's index).
    Kernel,
}

/// How to disassemble and print.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Where the instructions come from.
    pub origin: Origin,
    /// Print each instruction's bytes under it (as `bpftool ... opcodes` does).
    pub show_bytes: bool,
}

/// A line of source code that an instruction was compiled from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// Source file name.
    pub file: String,
    /// Line number (1-based).
    pub line: u32,
    /// Column (1-based; 0 when unknown).
    pub column: u32,
    /// The text of the line, as stored in BTF.
    pub text: String,
}

impl fmt::Display for SourceLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}:{}", self.text.trim(), self.file, self.line)?;
        if self.column > 0 {
            write!(f, ":{}", self.column)?;
        }
        f.write_str("]")
    }
}

/// Extra information shown with the instructions, keyed by instruction index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Annotations {
    notes: BTreeMap<usize, Vec<String>>,
    source: BTreeMap<usize, SourceLine>,
    labels: BTreeMap<usize, String>,
}

impl Annotations {
    /// No annotations.
    pub fn new() -> Self {
        Annotations::default()
    }

    /// Adds a note after instruction `index` (`r1 = 0x0 ll  ; map packets`).
    pub fn note(&mut self, index: usize, note: impl Into<String>) {
        self.notes.entry(index).or_default().push(note.into());
    }

    /// Shows `line` before instruction `index`.
    pub fn source(&mut self, index: usize, line: SourceLine) {
        self.source.insert(index, line);
    }

    /// Shows `label:` before instruction `index` (a function's name).
    pub fn label(&mut self, index: usize, label: impl Into<String>) {
        self.labels.insert(index, label.into());
    }

    /// The notes of instruction `index`.
    pub fn notes_of(&self, index: usize) -> &[String] {
        self.notes.get(&index).map_or(&[], Vec::as_slice)
    }

    /// The source line shown before instruction `index`.
    pub fn source_of(&self, index: usize) -> Option<&SourceLine> {
        self.source.get(&index)
    }
}

/// One disassembled instruction (two slots for `ld_imm64`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Index of the (first) instruction slot.
    pub index: usize,
    /// The instruction.
    pub insn: Insn,
    /// The second slot of an `ld_imm64`.
    pub second: Option<Insn>,
    /// What the instruction is.
    pub op: Op,
    /// The instruction in the kernel's notation, without the `(code)` prefix.
    pub text: String,
    /// Absolute index a jump, bpf-to-bpf call or function address points at
    /// (may lie outside the instructions, or be negative, in a broken program).
    /// `None` for a call whose target a relocation gives (see the notes).
    pub target: Option<i64>,
    /// Notes: from the annotations first, then the disassembler's own (jump targets,
    /// fields the kernel would refuse).
    pub notes: Vec<String>,
    /// The source line shown before it.
    pub source: Option<SourceLine>,
    /// The label shown before it.
    pub label: Option<String>,
}

impl Line {
    /// False for an instruction no kernel accepts (unknown opcode or atomic
    /// operation, `ld_imm64` missing its second half).
    pub fn is_known(&self) -> bool {
        match self.op {
            Op::Unknown => false,
            Op::LoadImm64 { .. } => self.second.is_some(),
            _ => true,
        }
    }

    /// Instruction slots taken: 2 for a complete `ld_imm64`, else 1.
    pub fn slots(&self) -> usize {
        1 + usize::from(self.second.is_some())
    }

    /// `(code) text`, exactly as the verifier log and bpftool print it.
    pub fn kernel_text(&self) -> String {
        format!("({:02x}) {}", self.insn.code, self.text)
    }
}

/// A disassembled instruction sequence; `Display` prints it one line per
/// instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    /// The instructions, in order.
    pub lines: Vec<Line>,
    /// Print instruction bytes.
    pub show_bytes: bool,
}

impl Listing {
    /// How many instructions no kernel would accept.
    pub fn unknown_count(&self) -> usize {
        self.lines.iter().filter(|line| !line.is_known()).count()
    }
}

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            if let Some(label) = &line.label {
                writeln!(f, "{label}:")?;
            }
            if let Some(source) = &line.source {
                writeln!(f, "; {source}")?;
            }
            write!(f, "{:4}: {}", line.index, line.kernel_text())?;
            if !line.notes.is_empty() {
                write!(f, "  ; {}", line.notes.join("; "))?;
            }
            writeln!(f)?;
            if self.show_bytes {
                let bytes = std::iter::once(line.insn)
                    .chain(line.second)
                    .flat_map(|insn| insn.to_bytes())
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                writeln!(f, "      {bytes}")?;
            }
        }
        Ok(())
    }
}

/// The text of the instruction at `index` (its `ld_imm64` second half taken from
/// `index + 1`), or `None` past the end. For one-off use, such as showing an
/// instruction before and after a rewrite.
pub fn insn_text(insns: &[Insn], index: usize, origin: Origin) -> Option<String> {
    let insn = insns.get(index)?;
    let op = opcode::decode(insn);
    Some(format::insn_text(insn, op, insns.get(index + 1), origin))
}

/// Disassembles `insns`: one [`Line`] per instruction, the second slot of each
/// `ld_imm64` folded into the first.
pub fn disassemble(insns: &[Insn], options: &Options, annotations: &Annotations) -> Listing {
    let mut lines = Vec::with_capacity(insns.len());
    let mut index = 0;
    while let Some(insn) = insns.get(index) {
        let op = opcode::decode(insn);
        let second = match op {
            Op::LoadImm64 { .. } => insns.get(index + 1).copied(),
            _ => None,
        };
        let text = format::insn_text(insn, op, second.as_ref(), options.origin);
        let mut notes = annotations.notes_of(index).to_vec();
        // A call or function address with a relocation still holds clang's
        // placeholder: the relocation, not the immediate, says where it goes.
        let placeholder = !notes.is_empty()
            && matches!(
                op,
                Op::Call {
                    kind: opcode::CALL_PSEUDO
                } | Op::LoadImm64 {
                    pseudo: opcode::PSEUDO_FUNC
                }
            );
        let target = target_of(index, insn, op, options.origin).filter(|_| !placeholder);
        notes.extend(own_notes(insn, op, second.as_ref(), target, insns.len()));
        lines.push(Line {
            index,
            insn: *insn,
            second,
            op,
            text,
            target,
            notes,
            source: annotations.source_of(index).cloned(),
            label: annotations.labels.get(&index).cloned(),
        });
        index += 1 + usize::from(second.is_some());
    }
    Listing {
        lines,
        show_bytes: options.show_bytes,
    }
}

/// Where a jump, call or function address at `index` points (pc-relative: from the
/// next instruction).
fn target_of(index: usize, insn: &Insn, op: Op, origin: Origin) -> Option<i64> {
    let relative = match op {
        Op::Goto | Op::MayGoto | Op::Branch { .. } => i64::from(insn.off),
        Op::GotoLong => i64::from(insn.imm),
        Op::Call {
            kind: opcode::CALL_PSEUDO,
        } => i64::from(format::call_offset(insn, origin)),
        Op::LoadImm64 {
            pseudo: opcode::PSEUDO_FUNC,
        } => i64::from(insn.imm),
        _ => return None,
    };
    Some(index as i64 + 1 + relative)
}

/// What the disassembler itself has to say about an instruction.
fn own_notes(
    insn: &Insn,
    op: Op,
    second: Option<&Insn>,
    target: Option<i64>,
    len: usize,
) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(target) = target {
        if (0..len as i64).contains(&target) {
            notes.push(format!("-> {target}"));
        } else if !matches!(op, Op::Call { .. } | Op::LoadImm64 { .. }) {
            // Calls and function addresses reach other functions of the object; a
            // jump must stay inside its program.
            notes.push(format!("-> {target} (outside the program)"));
        }
    }
    if let Op::LoadImm64 { pseudo } = op {
        match second {
            Some(half) if half.code != 0 || half.regs != 0 || half.off != 0 => notes.push(
                "second half has code, registers or offset set (the kernel refuses this)"
                    .to_string(),
            ),
            _ => {}
        }
        match pseudo {
            opcode::PSEUDO_BTF_ID => notes.push(format!("kernel variable, BTF id {}", insn.imm)),
            opcode::PSEUDO_NONE
            | opcode::PSEUDO_MAP_FD
            | opcode::PSEUDO_MAP_VALUE
            | opcode::PSEUDO_FUNC
            | opcode::PSEUDO_MAP_IDX
            | opcode::PSEUDO_MAP_IDX_VALUE => {}
            other => notes.push(format!("unknown pseudo source {other}")),
        }
    }
    notes
}

#[cfg(test)]
mod tests;
