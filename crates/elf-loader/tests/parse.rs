//! Parsing objects compiled from `tests/c/` with clang-19, checked against the C
//! sources and against LLVM's own reading of the same files; and parsing garbage,
//! truncated and corrupted files, which must give errors, never panics.

mod common;

use std::path::Path;

use bpf_sys::consts::map_type;
use common::{Target, build, build_with, check_against_llvm, llvm_available, maps_without_data};
use elf_loader::{ByteOrder, MapSource, Object, ParseError, SectionRole, SelectError, SymbolKind};
use rtc_tests::TempDir;

const SOURCES: &[&str] = &[
    "two-maps.c",
    "elf-map.c",
    "short-map.c",
    "static-map.c",
    "global-data.c",
    "btf-map.c",
    "subprog.c",
    "reject.c",
    "version.c",
    "kfunc.c",
    "kconfig.c",
    "core.c",
    "tail-range.c",
    "custom-pin.c",
    "arena.c",
    "map-in-map.c",
    "btf-init.c",
    "globals.c",
    "object-pin.c",
];

fn parse(file: &str) -> Option<Object> {
    let bytes = build(file, Target::Host)?;
    Some(Object::parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e}")))
}

#[test]
fn two_maps_programs_maps_and_relocations() {
    let Some(object) = parse("two-maps.c") else {
        return;
    };
    assert_eq!(object.byte_order(), ByteOrder::host());
    assert_eq!(object.license(), Some("GPL"));
    assert_eq!(object.kern_version(), None);

    let programs: Vec<(&str, &str)> = object
        .programs()
        .iter()
        .map(|p| (p.section.as_str(), p.name.as_str()))
        .collect();
    assert_eq!(
        programs,
        [
            ("ingress", "count_and_judge"),
            ("egress", "first"),
            ("egress", "second")
        ]
    );
    assert_eq!(object.program_sections(), ["ingress", "egress"]);

    let maps: Vec<_> = object
        .maps()
        .iter()
        .map(|m| (m.name.as_str(), m.def))
        .collect();
    assert_eq!(maps.len(), 2);
    assert_eq!(maps[0].0, "counters");
    assert_eq!(
        (
            maps[0].1.map_type,
            maps[0].1.key_size,
            maps[0].1.value_size,
            maps[0].1.max_entries
        ),
        (map_type::ARRAY, 4, 8, 4)
    );
    assert_eq!(maps[1].0, "verdicts");
    assert_eq!(
        (
            maps[1].1.map_type,
            maps[1].1.key_size,
            maps[1].1.value_size,
            maps[1].1.max_entries
        ),
        (map_type::HASH, 4, 4, 16)
    );
    assert_eq!(maps[1].1.map_flags, 1, "BPF_F_NO_PREALLOC");

    // Each lookup's map argument is an ld_imm64 with a relocation naming the map.
    let ingress = &object.programs()[0];
    let named: Vec<&str> = ingress
        .relocations
        .iter()
        .map(|r| r.symbol.name.as_str())
        .collect();
    assert_eq!(named, ["counters", "verdicts"]);
    for reloc in &ingress.relocations {
        assert!(ingress.insns[reloc.insn_index].is_ld_imm64());
        assert_eq!(reloc.r_type, elf_loader::reloc::R_BPF_64_64);
        assert_eq!(reloc.symbol.kind, SymbolKind::Object);
    }
    // The second egress function's relocation is counted from its own start.
    let second = object.find_program("egress", Some("second")).unwrap();
    assert_eq!(second.relocations.len(), 1);
    assert!(second.insns[second.relocations[0].insn_index].is_ld_imm64());
    assert!(
        object
            .find_program("egress", Some("first"))
            .unwrap()
            .relocations
            .is_empty()
    );
}

#[test]
fn every_test_object_matches_llvm() {
    if !llvm_available() {
        return;
    }
    for file in SOURCES {
        for target in [Target::Little, Target::Big] {
            let Some(bytes) = build(file, target) else {
                return;
            };
            let dir = TempDir::new("elf-loader-llvm");
            let path = dir.join(format!("{file}-{target:?}.o"));
            std::fs::write(&path, &bytes).unwrap();
            let object = Object::parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
            let summary = check_against_llvm(&path, &object);
            println!("{file} ({target:?}): {summary}");
        }
    }
}

#[test]
fn big_endian_objects_decode_to_the_same_program() {
    for file in SOURCES {
        let (Some(le), Some(be)) = (build(file, Target::Little), build(file, Target::Big)) else {
            return;
        };
        let le = Object::parse(&le).unwrap();
        let be = Object::parse(&be).unwrap();
        assert_eq!(le.byte_order(), ByteOrder::Little);
        assert_eq!(be.byte_order(), ByteOrder::Big);
        assert_eq!(le.programs(), be.programs(), "{file}: programs differ");
        assert_eq!(le.subprograms(), be.subprograms(), "{file}: .text differs");
        // Global data keeps the object's byte order; everything else must match.
        assert_eq!(
            maps_without_data(&le),
            maps_without_data(&be),
            "{file}: maps differ"
        );
        assert_eq!(le.license(), be.license());
        assert_eq!(le.kern_version(), be.kern_version());
    }
}

#[test]
fn iproute2_map_layout_keeps_all_nine_fields() {
    let Some(object) = parse("elf-map.c") else {
        return;
    };
    let plain = &object.maps()[0];
    let shared = &object.maps()[1];
    assert_eq!(plain.name, "plain");
    assert_eq!(
        plain.source,
        MapSource::Legacy {
            offset: 0,
            entry_size: 36
        }
    );
    assert_eq!((plain.def.id, plain.def.pinning), (7, 0));
    assert_eq!(shared.name, "shared");
    assert_eq!((shared.def.pinning, shared.def.inner_idx), (2, 3));
    assert_eq!(shared.def.max_entries, 8);
}

#[test]
fn four_field_map_layout() {
    let Some(object) = parse("short-map.c") else {
        return;
    };
    let tiny = &object.maps()[0];
    assert_eq!(
        tiny.source,
        MapSource::Legacy {
            offset: 0,
            entry_size: 16
        }
    );
    assert_eq!(
        (
            tiny.def.map_type,
            tiny.def.key_size,
            tiny.def.value_size,
            tiny.def.max_entries
        ),
        (map_type::ARRAY, 4, 4, 1)
    );
    assert_eq!(tiny.def.map_flags, 0);
}

#[test]
fn version_section_and_other_licences() {
    let Some(object) = parse("version.c") else {
        return;
    };
    assert_eq!(object.kern_version(), Some(0x060100));
    assert_eq!(object.license(), Some("Dual BSD/GPL"));
}

#[test]
fn btf_maps_global_data_and_subprograms_are_read() {
    let (Some(btf), Some(data), Some(sub)) = (
        parse("btf-map.c"),
        parse("global-data.c"),
        parse("subprog.c"),
    ) else {
        return;
    };
    assert_eq!(btf.sections_with_role(&SectionRole::BtfMaps).count(), 1);
    assert!(btf.btf().is_some(), "-g emits .BTF");
    assert!(btf.btf_ext().is_some(), "-g emits .BTF.ext");
    // From btf-map.c: ARRAY, max_entries 1, __u32 key, __u64 value.
    let seen = &btf.maps()[0];
    assert_eq!(seen.name, "seen");
    assert!(matches!(seen.source, MapSource::Btf { offset: 0, .. }));
    assert_eq!(
        (
            seen.def.map_type,
            seen.def.key_size,
            seen.def.value_size,
            seen.def.max_entries
        ),
        (map_type::ARRAY, 4, 8, 1)
    );
    let types = btf.btf().unwrap();
    assert_eq!(types.type_name(seen.key_type_id).unwrap(), "__u32");
    assert_eq!(types.type_name(seen.value_type_id).unwrap(), "__u64");

    // global-data.c: `__u64 hits` in .bss, an 8-byte array map without contents.
    let bss = &data.maps()[0];
    assert_eq!(bss.name, ".bss");
    assert_eq!(
        (bss.def.key_size, bss.def.value_size, bss.def.max_entries),
        (4, 8, 1)
    );
    assert_eq!(bss.initial_data, None);
    assert_eq!(bss.kernel_name("global-data"), "global_d.bss");

    let subprograms: Vec<&str> = sub.subprograms().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(subprograms, ["is_arp"]);
    assert_eq!(
        sub.program_sections(),
        ["ingress"],
        ".text functions are not programs"
    );
}

#[test]
fn selecting_a_missing_section_lists_the_existing_ones() {
    let Some(object) = parse("two-maps.c") else {
        return;
    };
    let err = object.find_program("foo", None).unwrap_err();
    assert!(matches!(err, SelectError::SectionNotFound { .. }));
    assert_eq!(
        err.to_string(),
        "section \"foo\" not found; the object has: ingress, egress"
    );

    let err = object.find_program("egress", Some("third")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no program \"third\" in section \"egress\"; it has: first, second"
    );

    let err = object.find_program("maps", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "section \"maps\" holds legacy map definitions, not programs; the object's programs are in: ingress, egress"
    );

    assert_eq!(object.find_program("egress", None).unwrap().name, "first");
    assert_eq!(
        object.find_program("egress", Some("second")).unwrap().name,
        "second"
    );
}

#[test]
fn not_elf_and_not_bpf() {
    assert!(matches!(
        Object::parse(b""),
        Err(ParseError::NotElf { len: 0 })
    ));
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    assert!(matches!(
        Object::parse(&noise),
        Err(ParseError::NotElf { .. })
    ));
    assert!(matches!(
        Object::parse(b"\x7fELF"),
        Err(ParseError::Malformed { .. })
    ));

    let host_binary = Path::new("/bin/true");
    if host_binary.exists() {
        let bytes = std::fs::read(host_binary).unwrap();
        let err = Object::parse(&bytes).unwrap_err();
        println!("/bin/true: {err}");
        assert!(matches!(err, ParseError::NotBpf { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("not a BPF object: ELF machine is ")
        );
    }

    let Some(mut bytes) = build("two-maps.c", Target::Host) else {
        return;
    };
    bytes[4] = 1; // ELFCLASS32
    assert!(matches!(
        Object::parse(&bytes),
        Err(ParseError::NotElf64 { class: 1 })
    ));
}

#[test]
fn truncated_objects_give_errors_not_panics() {
    for file in ["two-maps.c", "elf-map.c", "subprog.c"] {
        let Some(bytes) = build(file, Target::Host) else {
            return;
        };
        let mut ok = 0;
        for len in 0..bytes.len() {
            match Object::parse(&bytes[..len]) {
                Ok(_) => ok += 1,
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
        // Section headers sit at the end of the file: every cut loses them.
        assert_eq!(ok, 0, "{file}: a truncated object parsed");
    }
}

#[test]
fn corrupted_bytes_give_errors_not_panics() {
    for file in ["two-maps.c", "static-map.c"] {
        // Without debug information, so most bytes are structure rather than DWARF.
        let Some(bytes) = build_with(file, Target::Host, &["-g0"]) else {
            return;
        };
        let mut errors = 0;
        for position in 0..bytes.len() {
            for value in [0x00, 0xff, 0x80, 0x07] {
                let mut copy = bytes.clone();
                if copy[position] == value {
                    continue;
                }
                copy[position] = value;
                if Object::parse(&copy).is_err() {
                    errors += 1;
                }
            }
        }
        println!(
            "{file}: {} bytes x 4 corruptions, {errors} rejected, no panic",
            bytes.len()
        );
        assert!(errors > 0);
    }
}

#[test]
fn unaligned_input_buffer_parses() {
    let Some(bytes) = build("two-maps.c", Target::Host) else {
        return;
    };
    let mut shifted = vec![0u8];
    shifted.extend_from_slice(&bytes);
    let object = Object::parse(&shifted[1..]).unwrap();
    assert_eq!(object.programs().len(), 3);
}

/// The byte ranges of the file that hold `.BTF` and `.BTF.ext`: each starts with the
/// BTF magic (0xeb9f, little-endian here) and version 1, and is at most as long as
/// the larger of the two sections.
fn btf_ranges(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let object = Object::parse(bytes).unwrap();
    let longest = object
        .sections()
        .iter()
        .filter(|s| matches!(s.role, SectionRole::Btf | SectionRole::BtfExt))
        .map(|s| s.size as usize)
        .max()
        .unwrap_or(0);
    let magic = [0x9f, 0xeb, 0x01, 0x00];
    bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == magic)
        .map(|(start, _)| start..(start + longest).min(bytes.len()))
        .collect()
}

#[test]
fn corrupted_btf_gives_errors_not_panics() {
    for file in ["btf-init.c", "globals.c", "subprog.c"] {
        let Some(bytes) = build(file, Target::Host) else {
            return;
        };
        let ranges = btf_ranges(&bytes);
        assert!(!ranges.is_empty(), "{file}: no BTF found");
        let (mut tried, mut errors, mut relocated) = (0, 0, 0);
        for range in ranges {
            for position in range {
                for value in [0x00, 0xff, 0x80, 0x07, 0x10] {
                    let mut copy = bytes.clone();
                    if copy[position] == value {
                        continue;
                    }
                    copy[position] = value;
                    tried += 1;
                    match Object::parse(&copy) {
                        Err(e) => {
                            assert!(!e.to_string().is_empty());
                            errors += 1;
                        }
                        Ok(object) => {
                            for program in object.programs() {
                                let fds = |i: usize| Some(i as i32 + 3);
                                if elf_loader::reloc::relocate(
                                    &object,
                                    program,
                                    fds,
                                    &elf_loader::NoObserver,
                                )
                                .is_ok()
                                {
                                    relocated += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        println!(
            "{file}: {tried} corruptions of .BTF/.BTF.ext bytes, {errors} rejected, {relocated} programs still relocated, no panic"
        );
        assert!(errors > 0);
    }
}

#[test]
fn truncated_btf_objects_give_errors_not_panics() {
    for file in ["btf-init.c", "globals.c"] {
        let Some(bytes) = build(file, Target::Host) else {
            return;
        };
        for len in 0..bytes.len() {
            if let Err(e) = Object::parse(&bytes[..len]) {
                assert!(!e.to_string().is_empty());
            }
        }
    }
}
