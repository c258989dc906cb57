//! `rtc obj show`: what an object file holds, gathered into an [`ObjectReport`]
//! (which is also the `-j` output) and laid out as text in aligned tables.

use serde::Serialize;

use elf_loader::btf::TargetBtf;
use elf_loader::disasm::describe_relocation;
use elf_loader::{MapSource, Object, Program};

use super::core::{CoreRelocationReport, ExternReport};
use super::names::{
    libbpf_program_type, map_type_name, pinning_meaning, program_type_label, relocation_type_name,
    section_purpose,
};

/// Everything `obj show` prints.
#[derive(Debug, Serialize)]
pub struct ObjectReport {
    /// The file as named on the command line.
    pub file: String,
    /// Its size in bytes.
    pub size: usize,
    /// SHA-1 of its bytes (names tc's `PIN_OBJECT_NS` directory).
    pub sha1: String,
    /// `little-endian` or `big-endian`.
    pub byte_order: String,
    /// The `license` section's string.
    pub license: Option<String>,
    /// The `version` section's kernel version code.
    pub kern_version: Option<u32>,
    /// BTF presence and size.
    pub btf: BtfReport,
    /// Every section.
    pub sections: Vec<SectionReport>,
    /// Programs (functions of code sections other than `.text`).
    pub programs: Vec<ProgramReport>,
    /// Functions of `.text`.
    pub subprograms: Vec<ProgramReport>,
    /// Map definitions.
    pub maps: Vec<MapReport>,
    /// Relocations of programs and subprograms.
    pub relocations: Vec<RelocationReport>,
    /// Undefined symbols (kfuncs, ksyms, kconfig).
    pub externs: Vec<String>,
    /// The externs described: kind, weak, and what each resolves to.
    pub extern_details: Vec<ExternReport>,
    /// The kernel BTF file CO-RE relocations were resolved against, if any.
    pub target_btf: Option<String>,
    /// CO-RE relocations, resolved against `target_btf` when given.
    pub core_relocations: Vec<CoreRelocationReport>,
}

/// `.BTF` and `.BTF.ext`.
#[derive(Debug, Serialize)]
pub struct BtfReport {
    /// Whether `.BTF` is there.
    pub present: bool,
    /// Number of types in `.BTF`.
    pub types: Option<usize>,
    /// Record counts of `.BTF.ext`, when present.
    pub ext: Option<BtfExtReport>,
}

/// Record counts of `.BTF.ext`.
#[derive(Debug, Serialize)]
pub struct BtfExtReport {
    /// func_info records (one per function).
    pub func_info: usize,
    /// line_info records (source lines).
    pub line_info: usize,
    /// CO-RE relocations.
    pub core_relocations: usize,
}

/// One section.
#[derive(Debug, Serialize)]
pub struct SectionReport {
    /// Index in the section header table.
    pub index: usize,
    /// Name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// What it is for.
    pub role: String,
}

/// One program or subprogram.
#[derive(Debug, Serialize)]
pub struct ProgramReport {
    /// Section.
    pub section: String,
    /// Function symbol (empty for code without one).
    pub function: String,
    /// Byte offset in the section.
    pub offset: u64,
    /// Instruction slots.
    pub insns: usize,
    /// Whether the function symbol is global (libbpf counts only those as programs).
    pub global: bool,
    /// The type libbpf infers from the section name, if it knows the name.
    pub libbpf_type: Option<&'static str>,
    /// What `obj show` prints: libbpf's type or `sched_cls (tc default)`.
    #[serde(rename = "type")]
    pub type_label: String,
    /// Relocations inside it.
    pub relocations: usize,
}

/// One map definition, every field.
#[derive(Debug, Serialize)]
pub struct MapReport {
    /// Symbol name (section name for global data).
    pub name: String,
    /// The name the kernel would get (global data maps get a prefix).
    pub kernel_name: String,
    /// Map type number.
    pub map_type: u32,
    /// Its name.
    pub type_name: String,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum entries.
    pub max_entries: u32,
    /// `BPF_F_*` flags.
    pub flags: u32,
    /// iproute2's `id` field (tail-call map ids).
    pub id: u32,
    /// The `pinning` field.
    pub pinning: u32,
    /// Its name (`none`, `PIN_OBJECT_NS`, `PIN_GLOBAL_NS`, ...).
    pub pinning_name: &'static str,
    /// What it means.
    pub pinning_meaning: String,
    /// Where tc would pin the map.
    pub pin_path: Option<String>,
    /// iproute2's `inner_id` (map-in-map template id).
    pub inner_id: u32,
    /// iproute2's `inner_idx` (index of the inner map template).
    pub inner_idx: u32,
    /// Where the definition is: `maps+20`, `.maps+0`, `global data .rodata`.
    pub defined_in: String,
}

/// One relocation.
#[derive(Debug, Serialize)]
pub struct RelocationReport {
    /// Section of the patched instruction.
    pub section: String,
    /// The function it lies in.
    pub function: String,
    /// Instruction index in that function.
    pub insn: usize,
    /// Byte offset in the section (`r_offset`).
    pub offset: u64,
    /// `R_BPF_*` type name.
    pub r_type: String,
    /// The symbol named.
    pub symbol: String,
    /// What it refers to (`map packets`, `calls helper`, ...).
    pub refers_to: String,
}

/// Gathers the report for `object`, read from `file` (`bytes` long).
pub fn build(
    file: &str,
    bytes: &[u8],
    object: &Object,
    target: Option<(&str, &TargetBtf)>,
) -> ObjectReport {
    let sha1 = elf_loader::sha1_hex(bytes);
    let bpffs = crate::object::tc_bpffs().display().to_string();
    let sections = object
        .sections()
        .iter()
        .map(|s| SectionReport {
            index: s.index,
            name: s.name.clone(),
            size: s.size,
            role: section_purpose(object, s),
        })
        .collect();
    let program = |p: &Program| ProgramReport {
        section: p.section.clone(),
        function: p.name.clone(),
        offset: p.offset,
        insns: p.insns.len(),
        global: p.global,
        libbpf_type: libbpf_program_type(&p.section),
        type_label: program_type_label(&p.section),
        relocations: p.relocations.len(),
    };
    let maps = object
        .maps()
        .iter()
        .map(|m| {
            let (pinning_name, meaning, pin_path) = pinning_meaning(m, &bpffs, &sha1);
            MapReport {
                name: m.name.clone(),
                kernel_name: m.kernel_name(elf_loader::object_name_of(file)),
                map_type: m.def.map_type,
                type_name: map_type_name(m.def.map_type),
                key_size: m.def.key_size,
                value_size: m.def.value_size,
                max_entries: m.def.max_entries,
                flags: m.def.map_flags,
                id: m.def.id,
                pinning: m.def.pinning,
                pinning_name,
                pinning_meaning: meaning,
                pin_path,
                inner_id: m.def.inner_id,
                inner_idx: m.def.inner_idx,
                defined_in: match m.source {
                    MapSource::Legacy { offset, entry_size } => {
                        format!("maps+{offset} ({entry_size}-byte legacy definition)")
                    }
                    MapSource::Btf { offset, .. } => format!(".maps+{offset} (BTF-defined)"),
                    MapSource::GlobalData { .. } => "global data section".to_string(),
                },
            }
        })
        .collect();
    let relocations = object
        .programs()
        .iter()
        .chain(object.subprograms())
        .flat_map(|p| {
            p.relocations.iter().map(move |r| RelocationReport {
                section: p.section.clone(),
                function: p.name.clone(),
                insn: r.insn_index,
                offset: r.offset,
                r_type: relocation_type_name(r.r_type),
                symbol: r.symbol.name.clone(),
                refers_to: describe_relocation(object, p, r),
            })
        })
        .collect();
    ObjectReport {
        file: file.to_string(),
        size: bytes.len(),
        sha1,
        byte_order: object.byte_order().to_string(),
        license: object.license().map(str::to_string),
        kern_version: object.kern_version(),
        btf: BtfReport {
            present: object.btf().is_some(),
            types: object.btf().map(|btf| btf.type_count()),
            ext: object.btf_ext().map(|ext| BtfExtReport {
                func_info: ext.func_info.iter().map(|s| s.records.len()).sum(),
                line_info: ext.line_info.iter().map(|s| s.records.len()).sum(),
                core_relocations: ext.core_relos.iter().map(|s| s.records.len()).sum(),
            }),
        },
        sections,
        programs: object.programs().iter().map(program).collect(),
        subprograms: object.subprograms().iter().map(program).collect(),
        maps,
        relocations,
        externs: object.externs().to_vec(),
        extern_details: super::core::externs(object, target.map(|(_, btf)| btf)),
        target_btf: target.map(|(path, _)| path.to_string()),
        core_relocations: super::core::relocations(object, target.map(|(_, btf)| btf)),
    }
}

/// `a.b.c` for a `KERNEL_VERSION(a, b, c)` code.
fn version_text(code: u32) -> String {
    format!("{}.{}.{}", code >> 16, (code >> 8) & 0xff, code & 0xff)
}

/// Left-aligned columns two spaces apart, each line indented by two spaces;
/// columns listed in `right` are right-aligned (numbers).
fn table(headers: &[&str], rows: &[Vec<String>], right: &[usize]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::from(" ");
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            text.push(' ');
            if right.contains(&i) {
                text.push_str(&format!("{cell:>width$}"));
            } else {
                text.push_str(&format!("{cell:<width$}"));
            }
            text.push(' ');
        }
        format!("{}\n", text.trim_end())
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// The report as text.
pub fn render(report: &ObjectReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{}: BPF object, {}, {} bytes, sha1 {}\n",
        report.file, report.byte_order, report.size, report.sha1
    ));
    out.push_str(&format!(
        "license: {}\n",
        report
            .license
            .as_deref()
            .map_or("none (GPL-only helpers will be refused)".to_string(), |l| {
                format!("\"{l}\"")
            })
    ));
    if let Some(code) = report.kern_version {
        out.push_str(&format!(
            "kernel version: {} ({code:#x})\n",
            version_text(code)
        ));
    }
    out.push_str(&match (&report.btf.types, &report.btf.ext) {
        (None, _) => "BTF: none\n".to_string(),
        (Some(types), None) => format!("BTF: {types} types, no .BTF.ext\n"),
        (Some(types), Some(ext)) => format!(
            "BTF: {types} types; .BTF.ext: {} func_info, {} line_info, {} CO-RE relocations\n",
            ext.func_info, ext.line_info, ext.core_relocations
        ),
    });

    out.push_str("\nSections:\n");
    let rows: Vec<Vec<String>> = report
        .sections
        .iter()
        .filter(|s| s.index != 0)
        .map(|s| {
            vec![
                s.index.to_string(),
                s.name.clone(),
                s.size.to_string(),
                s.role.clone(),
            ]
        })
        .collect();
    out.push_str(&table(&["idx", "name", "size", "role"], &rows, &[0, 2]));

    out.push_str("\nPrograms:\n");
    if report.programs.is_empty() {
        out.push_str("  none\n");
    } else {
        let rows: Vec<Vec<String>> = report
            .programs
            .iter()
            .map(|p| {
                vec![
                    p.section.clone(),
                    display_name(&p.function),
                    p.insns.to_string(),
                    p.type_label.clone(),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "section",
                "function",
                "insns",
                "type (from the section name)",
            ],
            &rows,
            &[2],
        ));
        out.push_str(
            "  (`tc filter ... bpf` loads any of them as sched_cls, `action bpf` as sched_act,\n   \
             `ip link ... xdp` as xdp.)\n",
        );
    }
    if !report.subprograms.is_empty() {
        out.push_str("\nSubprograms (.text, called by programs):\n");
        let rows: Vec<Vec<String>> = report
            .subprograms
            .iter()
            .map(|p| vec![display_name(&p.function), p.insns.to_string()])
            .collect();
        out.push_str(&table(&["function", "insns"], &rows, &[1]));
    }

    out.push_str("\nMaps:\n");
    if report.maps.is_empty() {
        out.push_str("  none\n");
    } else {
        let rows: Vec<Vec<String>> = report
            .maps
            .iter()
            .map(|m| {
                vec![
                    m.name.clone(),
                    m.type_name.clone(),
                    m.key_size.to_string(),
                    m.value_size.to_string(),
                    m.max_entries.to_string(),
                    format!("{:#x}", m.flags),
                    m.id.to_string(),
                    format!("{} ({})", m.pinning, m.pinning_name),
                    m.inner_id.to_string(),
                    m.inner_idx.to_string(),
                    m.defined_in.clone(),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "name",
                "type",
                "key",
                "value",
                "max_entries",
                "flags",
                "id",
                "pinning",
                "inner_id",
                "inner_idx",
                "defined in",
            ],
            &rows,
            &[2, 3, 4, 6, 8, 9],
        ));
        for m in &report.maps {
            if m.kernel_name != m.name {
                out.push_str(&format!(
                    "  {}: created in the kernel as \"{}\"\n",
                    m.name, m.kernel_name
                ));
            }
            if m.pinning != 0 {
                out.push_str(&format!("  {}: {}", m.name, m.pinning_meaning));
                if let Some(path) = &m.pin_path {
                    out.push_str(&format!(";\n    tc pins it at {path}"));
                }
                out.push('\n');
            }
        }
    }

    out.push_str("\nRelocations:\n");
    if report.relocations.is_empty() {
        out.push_str("  none\n");
    } else {
        let rows: Vec<Vec<String>> = report
            .relocations
            .iter()
            .map(|r| {
                vec![
                    r.section.clone(),
                    display_name(&r.function),
                    r.insn.to_string(),
                    format!("{:#x}", r.offset),
                    r.r_type.clone(),
                    r.symbol.clone(),
                    r.refers_to.clone(),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "section",
                "function",
                "insn",
                "offset",
                "type",
                "symbol",
                "refers to",
            ],
            &rows,
            &[2, 3],
        ));
    }
    if !report.core_relocations.is_empty() {
        render_core(&mut out, report);
    }
    if !report.extern_details.is_empty() {
        out.push_str(&match &report.target_btf {
            Some(path) => format!("\nExterns (kernel BTF from {path}):\n"),
            None => "\nExterns (resolved against the kernel at load time):\n".to_string(),
        });
        let rows: Vec<Vec<String>> = report
            .extern_details
            .iter()
            .map(|e| {
                vec![
                    e.name.clone(),
                    e.kind.clone(),
                    if e.weak { "weak" } else { "" }.to_string(),
                    e.resolves_to.clone(),
                ]
            })
            .collect();
        out.push_str(&table(&["name", "kind", "", "resolves to"], &rows, &[]));
    } else if !report.externs.is_empty() {
        out.push_str(&format!(
            "\nExterns (resolved against the kernel at load time): {}\n",
            report.externs.join(", ")
        ));
    }
    out
}

/// The CO-RE table: what each relocation accesses and, with a target BTF, what it
/// becomes on that kernel.
fn render_core(out: &mut String, report: &ObjectReport) {
    match &report.target_btf {
        Some(path) => out.push_str(&format!(
            "\nCO-RE relocations (resolved against {path}):\n"
        )),
        None => out.push_str(
            "\nCO-RE relocations (resolved against the kernel at load time; add \"btf FILE\" to resolve them for a kernel now):\n",
        ),
    }
    let rows: Vec<Vec<String>> = report
        .core_relocations
        .iter()
        .map(|r| {
            let mut row = vec![
                r.section.clone(),
                display_name(&r.function),
                r.insn.to_string(),
                r.kind.clone(),
                if r.path.is_empty() {
                    format!("{} \"{}\"", r.local_type, r.access)
                } else {
                    r.path.clone()
                },
                r.local_value.to_string(),
            ];
            if report.target_btf.is_some() {
                row.push(match (&r.error, &r.target) {
                    (Some(error), _) => format!("error: {error}"),
                    (None, Some(t)) => match (&t.poisoned, t.value, &t.matched) {
                        (Some(why), _, _) => format!("poisoned: {why}"),
                        (None, Some(value), Some(matched)) => format!("{value}  {matched}"),
                        (None, Some(value), None) => value.to_string(),
                        (None, None, _) => "-".to_string(),
                    },
                    (None, None) => "-".to_string(),
                });
            } else if let Some(error) = &r.error {
                row.push(format!("error: {error}"));
            }
            row
        })
        .collect();
    let mut headers = vec!["section", "function", "insn", "kind", "access", "object"];
    if report.target_btf.is_some() {
        headers.push("kernel");
    } else if report.core_relocations.iter().any(|r| r.error.is_some()) {
        headers.push("problem");
    }
    out.push_str(&table(&headers, &rows, &[2, 5]));
}

/// A function name for a table cell (`-` for code without a symbol).
fn display_name(name: &str) -> String {
    if name.is_empty() {
        "-".to_string()
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let text = table(
            &["name", "n"],
            &[
                vec!["a".into(), "10".into()],
                vec!["long".into(), "2".into()],
            ],
            &[1],
        );
        assert_eq!(text, "  name   n\n  a     10\n  long   2\n");
    }

    #[test]
    fn version_codes_read_as_releases() {
        assert_eq!(version_text(0x0004_1300), "4.19.0");
    }
}
