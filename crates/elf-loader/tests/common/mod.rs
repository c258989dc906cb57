//! Helpers shared by this crate's integration tests: building the C sources (from
//! `src/testutil.rs`) and checking a parse against LLVM's own ELF reader
//! (`llvm-readobj-19` and `llvm-objcopy-19`), which knows nothing of this crate.
//! What every crate's tests need (skipping, bpffs, the corpus) is in `rtc_tests`.

#![allow(dead_code)]

#[path = "../../src/testutil.rs"]
pub mod testutil;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use elf_loader::{ByteOrder, Map, Object, SectionRole};
use rtc_tests::TempDir;
use serde_json::Value;

#[allow(unused_imports)]
pub use testutil::{Target, build, build_with};

const READOBJ: &str = "llvm-readobj-19";
const OBJCOPY: &str = "llvm-objcopy-19";

/// True if the LLVM tools the oracle needs are installed (else prints why, or fails
/// under `RTC_REQUIRE_PRIVILEGED=1`).
pub fn llvm_available() -> bool {
    rtc_tests::require_tools(&[READOBJ, OBJCOPY])
}

/// True when running as root (effective uid 0), else skips (printing why) or fails
/// under `RTC_REQUIRE_PRIVILEGED=1`.
pub fn privileged() -> bool {
    rtc_tests::require_root("bpf(2) needs CAP_BPF and CAP_NET_ADMIN")
}

/// The object's maps with the bytes of their initial data zeroed (its length kept):
/// what must be equal between the two byte orders of one source, since global data
/// keeps the object's byte order.
pub fn maps_without_data(object: &Object) -> Vec<Map> {
    object
        .maps()
        .iter()
        .map(|m| {
            let mut m = m.clone();
            m.initial_data = m.initial_data.map(|d| vec![0; d.len()]);
            m
        })
        .collect()
}

fn readobj(path: &Path) -> Value {
    let out = Command::new(READOBJ)
        .args(["--elf-output-style=JSON", "-S", "-s", "-r"])
        .arg(path)
        .output()
        .expect("run llvm-readobj");
    assert!(
        out.status.success(),
        "llvm-readobj failed on {}",
        path.display()
    );
    let value: Value = serde_json::from_slice(&out.stdout).expect("llvm-readobj JSON");
    value[0].clone()
}

fn section_bytes(path: &Path, section: &str) -> Vec<u8> {
    let dir = TempDir::new("llvm-objcopy");
    let dump = dir.join(format!("{}.bin", section.replace('/', "_")));
    let sink = dir.join("sink.o");
    let out = Command::new(OBJCOPY)
        .arg(format!("--dump-section={section}={}", dump.display()))
        .arg(path)
        .arg(&sink)
        .output()
        .expect("run llvm-objcopy");
    assert!(
        out.status.success(),
        "llvm-objcopy failed on {} [{section}]: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&dump).unwrap()
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for key in path {
        cur = &cur[*key];
    }
    cur.as_str()
        .unwrap_or_else(|| panic!("no string at {path:?} in {v}"))
}

fn u64_at(v: &Value, path: &[&str]) -> u64 {
    let mut cur = v;
    for key in path {
        cur = &cur[*key];
    }
    cur.as_u64()
        .unwrap_or_else(|| panic!("no number at {path:?} in {v}"))
}

/// Compares what `Object::parse` found in the file at `path` with LLVM's view of it:
/// section names and sizes, programs (function symbols in code sections), legacy map
/// symbols, relocations of code sections, and every instruction's bytes.
/// Returns a one-line summary of what was compared.
pub fn check_against_llvm(path: &Path, object: &Object) -> String {
    let llvm = readobj(path);
    let sections: Vec<(u64, String, u64, u64, u64, u64)> = llvm["Sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let s = &s["Section"];
            (
                u64_at(s, &["Index"]),
                str_at(s, &["Name", "Name"]).to_string(),
                u64_at(s, &["Type", "Value"]),
                u64_at(s, &["Flags", "Value"]),
                u64_at(s, &["Size"]),
                u64_at(s, &["Info"]),
            )
        })
        .collect();

    // Sections: same names and sizes at the same indices.
    let ours: Vec<(u64, String, u64)> = object
        .sections()
        .iter()
        .map(|s| (s.index as u64, s.name.clone(), s.size))
        .collect();
    let theirs: Vec<(u64, String, u64)> = sections
        .iter()
        .map(|(i, n, _, _, size, _)| (*i, n.clone(), *size))
        .collect();
    assert_eq!(ours, theirs, "{}: sections", path.display());

    let code: Vec<&(u64, String, u64, u64, u64, u64)> = sections
        .iter()
        .filter(|(_, _, ty, flags, _, _)| *ty == 1 && flags & 4 != 0)
        .collect();
    let name_of = |index: u64| -> Option<&str> {
        sections.iter().find(|s| s.0 == index).map(|s| s.1.as_str())
    };

    // Functions: FUNC symbols in code sections, split into programs and .text.
    let symbols = llvm["Symbols"].as_array().unwrap();
    let mut expected_programs = BTreeSet::new();
    let mut expected_subprograms = BTreeSet::new();
    let mut expected_maps = BTreeSet::new();
    let mut expected_btf_maps = BTreeSet::new();
    let maps_index = sections.iter().find(|s| s.1 == "maps").map(|s| s.0);
    let btf_maps_index = sections.iter().find(|s| s.1 == ".maps").map(|s| s.0);
    for symbol in symbols {
        let symbol = &symbol["Symbol"];
        let name = str_at(symbol, &["Name", "Name"]).to_string();
        let kind = u64_at(symbol, &["Type", "Value"]);
        let shndx = u64_at(symbol, &["Section", "Value"]);
        let value = u64_at(symbol, &["Value"]);
        if kind == 2 {
            if let Some(section) = code.iter().find(|c| c.0 == shndx) {
                let entry = (section.1.clone(), name.clone(), value);
                if section.1 == ".text" {
                    expected_subprograms.insert(entry);
                } else {
                    expected_programs.insert(entry);
                }
            }
        }
        if (kind == 0 || kind == 1) && !name.is_empty() && Some(shndx) == maps_index {
            expected_maps.insert((name.clone(), value));
        }
        if kind == 1 && Some(shndx) == btf_maps_index {
            expected_btf_maps.insert((name, value));
        }
    }
    for section in &code {
        let has_function = expected_programs.iter().any(|p| p.0 == section.1);
        if section.1 != ".text" && !has_function && section.4 > 0 {
            expected_programs.insert((section.1.clone(), String::new(), 0));
        }
    }
    let found_programs: BTreeSet<(String, String, u64)> = object
        .programs()
        .iter()
        .map(|p| (p.section.clone(), p.name.clone(), p.offset))
        .collect();
    assert_eq!(
        found_programs,
        expected_programs,
        "{}: programs",
        path.display()
    );
    let found_subprograms: BTreeSet<(String, String, u64)> = object
        .subprograms()
        .iter()
        .map(|p| (p.section.clone(), p.name.clone(), p.offset))
        .collect();
    assert_eq!(
        found_subprograms,
        expected_subprograms,
        "{}: .text functions",
        path.display()
    );
    let found_maps: BTreeSet<(String, u64)> = object
        .maps()
        .iter()
        .filter_map(|m| match m.source {
            elf_loader::MapSource::Legacy { offset, .. } => Some((m.name.clone(), offset)),
            _ => None,
        })
        .collect();
    assert_eq!(found_maps, expected_maps, "{}: maps", path.display());
    // BTF-defined maps: one per OBJECT symbol of .maps, at the symbol's offset.
    let found_btf_maps: BTreeSet<(String, u64)> = object
        .maps()
        .iter()
        .filter_map(|m| match m.source {
            elf_loader::MapSource::Btf { offset, .. } => Some((m.name.clone(), offset)),
            _ => None,
        })
        .collect();
    assert_eq!(
        found_btf_maps,
        expected_btf_maps,
        "{}: BTF maps",
        path.display()
    );
    // Global data: one map per non-empty .data/.rodata/.bss section, of its size.
    let found_data: BTreeSet<(String, u64)> = object
        .maps()
        .iter()
        .filter(|m| matches!(m.source, elf_loader::MapSource::GlobalData { .. }))
        .map(|m| (m.name.clone(), u64::from(m.def.value_size)))
        .collect();
    let expected_data: BTreeSet<(String, u64)> = sections
        .iter()
        .filter(|(_, name, _, _, size, _)| {
            *size > 0
                && [".data", ".rodata", ".bss"].iter().any(|base| {
                    name == base
                        || name
                            .strip_prefix(base)
                            .is_some_and(|rest| rest.starts_with('.'))
                })
        })
        .map(|(_, name, _, _, size, _)| (name.clone(), *size))
        .collect();
    assert_eq!(
        found_data,
        expected_data,
        "{}: global data maps",
        path.display()
    );

    // Relocations of code sections.
    let mut expected_relocs = BTreeSet::new();
    for group in llvm["Relocations"].as_array().into_iter().flatten() {
        let rel_index = u64_at(group, &["SectionIndex"]);
        let target = sections
            .iter()
            .find(|s| s.0 == rel_index)
            .map(|s| s.5)
            .unwrap();
        if !code.iter().any(|c| c.0 == target) {
            continue;
        }
        let target_name = name_of(target).unwrap().to_string();
        for reloc in group["Relocs"].as_array().unwrap() {
            let reloc = &reloc["Relocation"];
            // Linked objects can keep code that no function symbol covers any more;
            // relocations there belong to no program and are not kept.
            let offset = u64_at(reloc, &["Offset"]);
            let covered = object
                .programs()
                .iter()
                .chain(object.subprograms())
                .any(|p| {
                    p.section == target_name
                        && (p.offset..p.offset + p.insns.len() as u64 * 8).contains(&offset)
                });
            if !covered {
                continue;
            }
            expected_relocs.insert((
                target_name.clone(),
                u64_at(reloc, &["Offset"]),
                str_at(reloc, &["Symbol", "Name"]).to_string(),
                u64_at(reloc, &["Type", "Value"]) as u32,
            ));
        }
    }
    let found_relocs: BTreeSet<(String, u64, String, u32)> = object
        .programs()
        .iter()
        .chain(object.subprograms())
        .flat_map(|p| {
            p.relocations.iter().map(move |r| {
                assert_eq!(
                    r.offset,
                    p.offset + r.insn_index as u64 * 8,
                    "{}: relocation index of {}",
                    path.display(),
                    r.symbol.name
                );
                (p.section.clone(), r.offset, r.symbol.name.clone(), r.r_type)
            })
        })
        .collect();
    assert_eq!(
        found_relocs,
        expected_relocs,
        "{}: relocations",
        path.display()
    );

    // Instructions, byte for byte, re-encoded in the object's byte order.
    let mut insn_count = 0;
    for program in object.programs().iter().chain(object.subprograms()) {
        let raw = section_bytes(path, &program.section);
        let start = program.offset as usize;
        let expected = &raw[start..start + program.insns.len() * 8];
        let encoded: Vec<u8> = program
            .insns
            .iter()
            .flat_map(|insn| match object.byte_order() {
                ByteOrder::Little => insn.to_bytes(),
                ByteOrder::Big => {
                    let mut b = [0u8; 8];
                    b[0] = insn.code;
                    b[1] = insn.regs.rotate_left(4);
                    b[2..4].copy_from_slice(&insn.off.to_be_bytes());
                    b[4..8].copy_from_slice(&insn.imm.to_be_bytes());
                    b
                }
            })
            .collect();
        assert_eq!(
            encoded,
            expected,
            "{}: instructions of {}",
            path.display(),
            program.name
        );
        insn_count += program.insns.len();
    }

    let roles = object
        .sections()
        .iter()
        .filter(|s| s.role == SectionRole::Programs)
        .count();
    format!(
        "{} code sections, {} functions, {} maps, {} relocations, {} instructions match LLVM",
        roles,
        found_programs.len() + found_subprograms.len(),
        found_maps.len() + found_btf_maps.len() + found_data.len(),
        found_relocs.len(),
        insn_count
    )
}
