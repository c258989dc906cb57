//! `rtc obj dump`: the disassembly of the chosen programs, as text (one header per
//! function, then one instruction per line with relocations and source lines) or as
//! JSON (one object per function, one per instruction).

use serde::Serialize;

use elf_loader::Object;
use elf_loader::Program;
use elf_loader::disasm::{Line, Listing, Options, SourceLine, disassemble, object_annotations};

use super::names::program_type_label;

/// One disassembled function, for `-j`.
#[derive(Debug, Serialize)]
pub struct FunctionDump {
    /// Section.
    pub section: String,
    /// Function name (empty when the code has no symbol).
    pub function: String,
    /// `program` or `subprogram` (a function of `.text`).
    pub kind: &'static str,
    /// The type `obj show` gives it.
    #[serde(rename = "type")]
    pub type_label: String,
    /// Its instructions.
    pub insns: Vec<InsnDump>,
}

/// One instruction, for `-j`.
#[derive(Debug, Serialize)]
pub struct InsnDump {
    /// Index of its first slot in the function.
    pub index: usize,
    /// Opcode, as `0x61`.
    pub code: String,
    /// The instruction in the kernel's notation.
    pub text: String,
    /// Absolute index a jump or call points at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<i64>,
    /// Relocation and disassembler notes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The source line it starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceDump>,
    /// Its bytes, when `opcodes` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<String>,
}

/// A source line, for `-j`.
#[derive(Debug, Serialize)]
pub struct SourceDump {
    /// File.
    pub file: String,
    /// Line number.
    pub line: u32,
    /// Column (0 when unknown).
    pub column: u32,
    /// Text.
    pub text: String,
}

/// A function chosen for the dump, with whether it is a `.text` subprogram.
pub struct Chosen<'a> {
    /// The function.
    pub program: &'a Program,
    /// True for a function of `.text`.
    pub subprogram: bool,
}

/// Disassembles one function with its object's annotations.
pub fn listing(object: &Object, program: &Program, opcodes: bool) -> Listing {
    let options = Options {
        show_bytes: opcodes,
        ..Options::default()
    };
    disassemble(
        &program.insns,
        &options,
        &object_annotations(object, program),
    )
}

/// The dump as text: a header per function, then its listing.
pub fn render_text(object: &Object, file: &str, chosen: &[Chosen<'_>], opcodes: bool) -> String {
    if chosen.is_empty() {
        return format!("{file}: no code to disassemble (the object has no functions)\n");
    }
    let mut out = String::new();
    for (i, c) in chosen.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let p = c.program;
        let name = if p.name.is_empty() { "-" } else { &p.name };
        let what = if c.subprogram {
            "subprogram".to_string()
        } else {
            program_type_label(&p.section)
        };
        out.push_str(&format!(
            "{file} [{}] {name}: {} instructions, {what}\n",
            p.section,
            p.insns.len()
        ));
        out.push_str(&listing(object, p, opcodes).to_string());
    }
    out
}

/// The dump as JSON values.
pub fn to_json(object: &Object, chosen: &[Chosen<'_>], opcodes: bool) -> Vec<FunctionDump> {
    chosen
        .iter()
        .map(|c| {
            let listing = listing(object, c.program, opcodes);
            FunctionDump {
                section: c.program.section.clone(),
                function: c.program.name.clone(),
                kind: if c.subprogram {
                    "subprogram"
                } else {
                    "program"
                },
                type_label: program_type_label(&c.program.section),
                insns: listing
                    .lines
                    .iter()
                    .map(|line| insn_json(line, opcodes))
                    .collect(),
            }
        })
        .collect()
}

fn insn_json(line: &Line, opcodes: bool) -> InsnDump {
    InsnDump {
        index: line.index,
        code: format!("{:#04x}", line.insn.code),
        text: line.text.clone(),
        target: line.target,
        notes: line.notes.clone(),
        source: line.source.as_ref().map(source_json),
        bytes: opcodes.then(|| {
            std::iter::once(line.insn)
                .chain(line.second)
                .flat_map(|insn| insn.to_bytes())
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        }),
    }
}

fn source_json(source: &SourceLine) -> SourceDump {
    SourceDump {
        file: source.file.clone(),
        line: source.line,
        column: source.column,
        text: source.text.clone(),
    }
}
