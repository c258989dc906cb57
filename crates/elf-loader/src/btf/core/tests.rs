//! The engine against this machine's kernel BTF, with a C program built against a
//! `vmlinux.h` generated from it. The expected values come from independent paths:
//! clang's own offsets for `__sk_buff` (the same source built against the uapi
//! header), and `bpftool btf dump`'s raw listing of the kernel's types (libbpf's
//! parser) for offsets, sizes, ids, bitfield positions and enumerator values.

use std::collections::BTreeMap;
use std::path::Path;

use bpf_sys::Insn;
use rtc_tests::{TempDir, bpftool, has_tool, skip};

use super::*;
use crate::btf::{BtfKind, TargetBtf};
use crate::object::Object;
use crate::testutil::{Target, build_with};

const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

/// The kernel's BTF, its `vmlinux.h` and bpftool's raw listing; `None` (skipped)
/// without kernel BTF or bpftool.
struct Kernel {
    dir: TempDir,
    btf: TargetBtf,
    listing: String,
}

fn kernel() -> Option<Kernel> {
    if !Path::new(VMLINUX).exists() {
        return skip("no kernel BTF at /sys/kernel/btf/vmlinux");
    }
    if !has_tool("bpftool") {
        return skip("bpftool is not installed");
    }
    let dir = TempDir::new("core-vmlinux");
    let header =
        bpftool(&["btf", "dump", "file", VMLINUX, "format", "c"]).ok("bpftool btf dump format c");
    std::fs::write(dir.join("vmlinux.h"), header.stdout).unwrap();
    let listing = bpftool(&["btf", "dump", "file", VMLINUX])
        .ok("bpftool btf dump")
        .stdout;
    let btf = TargetBtf::from_file(Path::new(VMLINUX)).unwrap();
    Some(Kernel { dir, btf, listing })
}

impl Kernel {
    fn build(&self, extra: &[&str]) -> Option<Object> {
        let include = format!("-I{}", self.dir.path().display());
        let mut flags = vec![include.as_str()];
        flags.extend_from_slice(extra);
        let bytes = build_with("core-vmlinux.c", Target::Host, &flags)?;
        Some(Object::parse(&bytes).unwrap())
    }

    /// bpftool's block for `KIND 'name'`: the type's id, its header line and the
    /// indented lines below it.
    fn block(&self, kind: &str, name: &str) -> (u32, String, Vec<String>) {
        let needle = format!("] {kind} '{name}' ");
        let mut lines = self.listing.lines();
        let header = lines
            .by_ref()
            .find(|l| l.contains(&needle))
            .unwrap_or_else(|| panic!("bpftool lists no {kind} '{name}'"));
        let id = header[1..header.find(']').unwrap()].parse().unwrap();
        let body = lines
            .take_while(|l| l.starts_with('\t'))
            .map(str::to_string)
            .collect();
        (id, header.to_string(), body)
    }

    /// `key=value` of a bpftool line, as a number.
    fn number(line: &str, key: &str) -> i128 {
        let at = line.find(&format!("{key}=")).unwrap() + key.len() + 1;
        let text: String = line[at..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        text.parse().unwrap()
    }

    /// (bit offset, bitfield size) of member `member` of struct `name`.
    fn member(&self, name: &str, member: &str) -> (u32, u32) {
        let (_, _, body) = self.block("STRUCT", name);
        let line = body
            .iter()
            .find(|l| l.trim_start().starts_with(&format!("'{member}' ")))
            .unwrap_or_else(|| panic!("no member {member} in {name}"));
        let bits = if line.contains("bitfield_size=") {
            Self::number(line, "bitfield_size") as u32
        } else {
            0
        };
        (Self::number(line, "bits_offset") as u32, bits)
    }

    fn size(&self, kind: &str, name: &str) -> u64 {
        Self::number(&self.block(kind, name).1, "size") as u64
    }

    fn enumerator(&self, kind: &str, name: &str, value: &str) -> u64 {
        let (_, _, body) = self.block(kind, name);
        let line = body
            .iter()
            .find(|l| l.trim_start().starts_with(&format!("'{value}' ")))
            .unwrap();
        Self::number(line, "val") as u64
    }
}

/// Relocates function `name` of `object`; its outcomes and relocated instructions.
fn relocate(
    object: &Object,
    target: &dyn CandidateSource,
    name: &str,
) -> (Vec<CoreOutcome>, Vec<Insn>) {
    let program = object
        .programs()
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no program {name}"));
    let btf = object.btf().unwrap();
    let relos = object.btf_ext().unwrap().core_relos_of(&program.section);
    let mut insns = program.insns.clone();
    let mut relocator = CoreRelocator::new(btf, target);
    let ext = object.btf_ext().unwrap();
    relocator.prefetch_all(ext.core_relos.iter().flat_map(|s| &s.records));
    let outcomes = relos
        .iter()
        .map(|relo| {
            let index = ((u64::from(relo.insn_off) - program.offset) / 8) as usize;
            relocator.apply(relo, &mut insns, index).unwrap()
        })
        .collect();
    (outcomes, insns)
}

fn find<'a>(outcomes: &'a [CoreOutcome], kind: CoreReloKind, path: &str) -> &'a CoreOutcome {
    outcomes
        .iter()
        .find(|o| o.kind == kind && o.path == path)
        .unwrap_or_else(|| panic!("no {kind} relocation of {path} in {outcomes:#?}"))
}

#[test]
fn sk_buff_offsets_equal_what_clang_writes_without_core() {
    let Some(kernel) = kernel() else { return };
    let (Some(core), Some(plain)) = (kernel.build(&[]), kernel.build(&["-DPLAIN"])) else {
        return;
    };
    let (outcomes, relocated) = relocate(&core, &kernel.btf, "skb_fields");
    assert_eq!(outcomes.len(), 8, "{outcomes:#?}");
    let data = find(&outcomes, CoreReloKind::FieldByteOffset, "__sk_buff.data");
    assert_eq!(data.candidates.len(), 1);
    assert_eq!(data.chosen, Some(kernel.block("STRUCT", "__sk_buff").0));
    find(&outcomes, CoreReloKind::FieldByteOffset, "__sk_buff.cb[2]");
    let expected = &plain
        .programs()
        .iter()
        .find(|p| p.name == "skb_fields")
        .unwrap()
        .insns;
    assert_eq!(&relocated, expected);
}

#[test]
fn fields_flavors_and_existence_follow_the_kernel() {
    let Some(kernel) = kernel() else { return };
    let Some(object) = kernel.build(&[]) else {
        return;
    };
    let (outcomes, insns) = relocate(&object, &kernel.btf, "task_fields");
    let (pid_bits, _) = kernel.member("task_struct", "pid");
    let (tgid_bits, _) = kernel.member("task_struct", "tgid");
    let pid = find(&outcomes, CoreReloKind::FieldByteOffset, "task_struct.pid");
    assert_eq!(pid.target_value, Some(u64::from(pid_bits / 8)));
    assert_eq!(pid.local_type, "struct task_struct");
    // The flavor `task_struct___mine` finds the kernel's `task_struct`.
    let tgid = find(
        &outcomes,
        CoreReloKind::FieldByteOffset,
        "task_struct___mine.tgid",
    );
    assert_eq!(tgid.target_value, Some(u64::from(tgid_bits / 8)));
    assert_eq!(tgid.local_value, 4);
    assert_eq!(tgid.chosen, Some(kernel.block("STRUCT", "task_struct").0));
    let after = &insns[tgid.insn];
    assert_eq!(after.imm as u64, u64::from(tgid_bits / 8), "{after:?}");
    // pid_t is a signed int of 4 bytes; flags is unsigned; comm is char[16].
    assert_eq!(
        find(&outcomes, CoreReloKind::FieldExists, "task_struct.pid").target_value,
        Some(1)
    );
    assert_eq!(
        find(&outcomes, CoreReloKind::FieldByteSize, "task_struct.pid").target_value,
        Some(4)
    );
    assert_eq!(
        find(&outcomes, CoreReloKind::FieldSigned, "task_struct.pid").target_value,
        Some(1)
    );
    assert_eq!(
        find(&outcomes, CoreReloKind::FieldSigned, "task_struct.flags").target_value,
        Some(0)
    );
    assert_eq!(
        find(&outcomes, CoreReloKind::FieldByteSize, "task_struct.comm").target_value,
        Some(16)
    );
    // A field no kernel has: "exists" is 0, and the guarded access is poisoned.
    let path = "task_struct___old.rtc_not_in_any_kernel";
    assert_eq!(
        find(&outcomes, CoreReloKind::FieldExists, path).target_value,
        Some(0)
    );
    let missing = find(&outcomes, CoreReloKind::FieldByteOffset, path);
    assert_eq!(missing.target_value, None);
    let why = missing.poisoned.as_deref().unwrap();
    assert!(
        why.contains("rtc_not_in_any_kernel") && why.contains("task_struct"),
        "{why}"
    );
    assert_eq!(missing.after, vec![Insn::new(0x85, 0, 0, 0, 0xbad2310)]);
    assert_eq!(insns[missing.insn], Insn::new(0x85, 0, 0, 0, 0xbad2310));
}

#[test]
fn an_unguarded_missing_field_is_poisoned_not_an_error() {
    let Some(kernel) = kernel() else { return };
    let Some(object) = kernel.build(&[]) else {
        return;
    };
    let (outcomes, insns) = relocate(&object, &kernel.btf, "missing_field");
    assert_eq!(outcomes.len(), 1);
    let o = &outcomes[0];
    assert_eq!(o.before[0].code, 0x79, "a 64-bit load: {:?}", o.before);
    assert_eq!(insns[o.insn].imm, POISON_HELPER);
    assert!(
        o.poisoned
            .as_deref()
            .unwrap()
            .contains("no field `rtc_not_in_any_kernel`")
    );
}

/// Loads `size` bytes little-endian at `offset` of `memory`, shifts as the
/// relocations say: what `BPF_CORE_READ_BITFIELD` computes.
fn extract(memory: &[u8], offset: u64, size: u64, lshift: u64, rshift: u64) -> u64 {
    let mut word = [0u8; 8];
    let bytes = &memory[offset as usize..(offset + size) as usize];
    word[..bytes.len()].copy_from_slice(bytes);
    (u64::from_le_bytes(word) << lshift) >> rshift
}

#[test]
fn bitfield_loads_extract_exactly_the_kernel_bits() {
    let Some(kernel) = kernel() else { return };
    let Some(object) = kernel.build(&[]) else {
        return;
    };
    let (outcomes, _) = relocate(&object, &kernel.btf, "bitfields");
    let fields = [
        ("sk_buff", "cloned"),
        ("sk_buff", "fclone"),
        ("perf_branch_entry", "cycles"),
        ("perf_branch_entry", "priv"),
        ("ring_buffer_event", "time_delta"),
        ("tcp_sock", "nonagle"),
    ];
    for (parent, field) in fields {
        let (bit_offset, bits) = kernel.member(parent, field);
        assert!(bits > 0, "{field} is a bitfield in bpftool's listing");
        let path = format!("{parent}.{field}");
        let value = |kind| find(&outcomes, kind, &path).target_value.unwrap();
        let offset = value(CoreReloKind::FieldByteOffset);
        let size = value(CoreReloKind::FieldByteSize);
        let (lshift, rshift) = (
            value(CoreReloKind::FieldLshiftU64),
            value(CoreReloKind::FieldRshiftU64),
        );
        assert!([1, 2, 4, 8].contains(&size), "{field}: {size}");
        assert_eq!(rshift, 64 - u64::from(bits));
        assert_eq!(value(CoreReloKind::FieldSigned), 0);
        // Memory where only the field's bits are set reads as all ones; memory
        // where every other bit is set reads as zero.
        let struct_size = kernel.size("STRUCT", parent) as usize;
        let mut only = vec![0u8; struct_size];
        let mut others = vec![0xffu8; struct_size];
        for bit in bit_offset..bit_offset + bits {
            only[(bit / 8) as usize] |= 1 << (bit % 8);
            others[(bit / 8) as usize] &= !(1 << (bit % 8));
        }
        let ones = if bits == 64 {
            u64::MAX
        } else {
            (1 << bits) - 1
        };
        assert_eq!(
            extract(&only, offset, size, lshift, rshift),
            ones,
            "{field}"
        );
        assert_eq!(extract(&others, offset, size, lshift, rshift), 0, "{field}");
    }
}

#[test]
fn type_relocations_give_ids_sizes_and_existence() {
    let Some(kernel) = kernel() else { return };
    let Some(object) = kernel.build(&[]) else {
        return;
    };
    let (outcomes, _) = relocate(&object, &kernel.btf, "types");
    let local_btf = object.btf().unwrap();
    let local_id = local_btf.find(BtfKind::Struct, "task_struct").unwrap();
    let kernel_id = kernel.block("STRUCT", "task_struct").0;
    let get = |kind, path| find(&outcomes, kind, path).target_value;
    assert_eq!(
        get(CoreReloKind::TypeIdLocal, "task_struct"),
        Some(u64::from(local_id))
    );
    assert_eq!(
        get(CoreReloKind::TypeIdTarget, "task_struct"),
        Some(u64::from(kernel_id))
    );
    assert_eq!(get(CoreReloKind::TypeExists, "task_struct"), Some(1));
    assert_eq!(get(CoreReloKind::TypeExists, "rtc_no_such_type"), Some(0));
    assert_eq!(
        get(CoreReloKind::TypeSize, "task_struct"),
        Some(kernel.size("STRUCT", "task_struct"))
    );
    assert_eq!(get(CoreReloKind::TypeSize, "rtc_no_such_type"), Some(0));
    assert_eq!(get(CoreReloKind::TypeMatches, "sk_buff___small"), Some(1));
    assert_eq!(get(CoreReloKind::TypeMatches, "sk_buff___bad"), Some(0));
    let missing = find(&outcomes, CoreReloKind::TypeExists, "rtc_no_such_type");
    assert!(missing.candidates.is_empty() && missing.poisoned.is_none());
}

#[test]
fn enum_values_of_both_widths() {
    let Some(kernel) = kernel() else { return };
    let Some(object) = kernel.build(&[]) else {
        return;
    };
    let (outcomes, insns) = relocate(&object, &kernel.btf, "enums");
    let get = |kind, path| find(&outcomes, kind, path).target_value;
    let ktime = kernel.enumerator("ENUM", "bpf_func_id", "BPF_FUNC_ktime_get_ns");
    assert_eq!(
        get(
            CoreReloKind::EnumValue,
            "bpf_func_id::BPF_FUNC_ktime_get_ns"
        ),
        Some(ktime)
    );
    assert_eq!(
        get(
            CoreReloKind::EnumValueExists,
            "bpf_func_id::BPF_FUNC_ktime_get_ns"
        ),
        Some(1)
    );
    assert_eq!(
        get(
            CoreReloKind::EnumValueExists,
            "bpf_func_id___future::BPF_FUNC_rtc_future"
        ),
        Some(0)
    );
    let max = kernel.enumerator("ENUM64", "perf_callchain_context", "PERF_CONTEXT_MAX");
    let big = find(
        &outcomes,
        CoreReloKind::EnumValue,
        "perf_callchain_context::PERF_CONTEXT_MAX",
    );
    assert_eq!(big.target_value, Some(max));
    // A 64-bit value goes into both halves of an ld_imm64.
    assert!(insns[big.insn].is_ld_imm64());
    let imm =
        u64::from(insns[big.insn].imm as u32) | (u64::from(insns[big.insn + 1].imm as u32) << 32);
    assert_eq!(imm, max);
    // A missing enumerator's value poisons both halves of its ld_imm64.
    let path = "perf_callchain_context___future::PERF_CONTEXT_RTC_FUTURE";
    assert_eq!(get(CoreReloKind::EnumValueExists, path), Some(0));
    let future = find(&outcomes, CoreReloKind::EnumValue, path);
    assert!(
        future
            .poisoned
            .as_deref()
            .unwrap()
            .contains("no enumerator")
    );
    assert_eq!(future.after.len(), 2);
    for insn in &future.after {
        assert_eq!(*insn, Insn::new(0x85, 0, 0, 0, POISON_HELPER));
    }
}

#[test]
fn relocating_against_the_objects_own_btf_changes_nothing() {
    let Some(kernel) = kernel() else { return };
    let Some(object) = kernel.build(&[]) else {
        return;
    };
    let btf = object.btf().unwrap();
    for program in object.programs() {
        if program.name == "task_fields" || program.name == "types" {
            // Flavors of task_struct and sk_buff are candidates too: see below.
            continue;
        }
        let relos = object.btf_ext().unwrap().core_relos_of(&program.section);
        let mut insns = program.insns.clone();
        let mut relocator = CoreRelocator::new(btf, btf);
        for relo in relos {
            let index = ((u64::from(relo.insn_off) - program.offset) / 8) as usize;
            let outcome = relocator.apply(relo, &mut insns, index).unwrap();
            if outcome.poisoned.is_none() && outcome.kind != CoreReloKind::TypeIdTarget {
                assert_eq!(
                    outcome.target_value,
                    Some(outcome.local_value),
                    "{outcome:#?}"
                );
            }
        }
    }
}

#[test]
fn flavors_in_the_target_that_disagree_are_ambiguous() {
    // Against the object's own BTF, `task_struct` has the candidates `task_struct`
    // and `task_struct___mine`, whose `tgid` lie at different offsets: libbpf
    // refuses that, and so does the relocator, naming both.
    let Some(kernel) = kernel() else { return };
    let Some(object) = kernel.build(&[]) else {
        return;
    };
    let btf = object.btf().unwrap();
    let program = object
        .programs()
        .iter()
        .find(|p| p.name == "task_fields")
        .unwrap();
    let relos = object.btf_ext().unwrap().core_relos_of(&program.section);
    let mut insns = program.insns.clone();
    let mut relocator = CoreRelocator::new(btf, btf);
    let errors: Vec<String> = relos
        .iter()
        .filter_map(|relo| {
            let index = ((u64::from(relo.insn_off) - program.offset) / 8) as usize;
            relocator
                .apply(relo, &mut insns, index)
                .err()
                .map(|e| e.to_string())
        })
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("ambiguous")
            && e.contains("struct task_struct ")
            && e.contains("struct task_struct___mine")),
        "{errors:#?}"
    );
}

#[test]
fn ambiguous_candidates_that_disagree_are_an_error_naming_both() {
    // Local BTF: struct s { int a; int b; } used as the root; target BTF has two
    // flavors of `s` with `b` at different offsets.
    use crate::btf::tests::blob;
    let info = |kind: u32, vlen: u32| (kind << 24) | vlen;
    // strings: 0 "" 1 "int" 5 "s" 7 "a" 9 "b" 11 "s___x" 17 "s___y" 23 "0:1"
    let strings = b"\0int\0s\0a\0b\0s___x\0s___y\x000:1\0";
    let int = [1, info(1, 0), 4, (1 << 24) | 32];
    let local = blob(
        &[&int[..], &[5, info(4, 2), 8, 7, 1, 0, 9, 1, 32]].concat(),
        strings,
    );
    let target = blob(
        &[
            &int[..],
            &[11, info(4, 2), 8, 7, 1, 0, 9, 1, 32],
            &[17, info(4, 2), 12, 7, 1, 0, 9, 1, 64],
        ]
        .concat(),
        strings,
    );
    let local = Btf::parse(&local, crate::bytes::ByteOrder::Little).unwrap();
    let target = Btf::parse(&target, crate::bytes::ByteOrder::Little).unwrap();
    let relo = CoreRelo {
        insn_off: 0,
        type_id: 2,
        access_str_off: 23,
        kind: 0,
    };
    let mut insns = [Insn::new(0x61, 0, 1, 4, 0)];
    let err = CoreRelocator::new(&local, &target)
        .apply(&relo, &mut insns, 0)
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("ambiguous"), "{message}");
    assert!(
        message.contains("struct s___x") && message.contains("struct s___y"),
        "{message}"
    );
    assert!(
        message.contains("instruction 0") && message.contains("\"0:1\""),
        "{message}"
    );
    // With one flavor only, the offset is patched.
    let single = blob(
        &[&int[..], &[17, info(4, 2), 12, 7, 1, 0, 9, 1, 64]].concat(),
        strings,
    );
    let single = Btf::parse(&single, crate::bytes::ByteOrder::Little).unwrap();
    let outcome = CoreRelocator::new(&local, &single)
        .apply(&relo, &mut insns, 0)
        .unwrap();
    assert_eq!((outcome.target_value, insns[0].off), (Some(8), 8));
    assert_eq!(outcome.path, "s.b");
}

#[test]
fn corrupted_objects_never_panic() {
    let Some(kernel) = kernel() else { return };
    let include = format!("-I{}", kernel.dir.path().display());
    let Some(bytes) = build_with("core-vmlinux.c", Target::Host, &[include.as_str()]) else {
        return;
    };
    let object = Object::parse(&bytes).unwrap();
    // Corrupt the records and the local BTF's bytes the relocations read, at every
    // byte of .BTF.ext's core_relo records and many of .BTF, then relocate.
    let mut relos_by_section: BTreeMap<String, Vec<CoreRelo>> = BTreeMap::new();
    for section in &object.btf_ext().unwrap().core_relos {
        relos_by_section.insert(section.section.clone(), section.records.clone());
    }
    let btf_raw = object.btf().unwrap().raw().to_vec();
    let mut variants = Vec::new();
    // About 900 variants spread over the whole section (a debug build parses each).
    let step = (btf_raw.len() / 300).max(1);
    for position in (0..btf_raw.len()).step_by(step) {
        for value in [0x00, 0xff, 0x01] {
            let mut copy = btf_raw.clone();
            copy[position] = value;
            variants.push(copy);
        }
    }
    // The target is the object's own intact BTF: small, so every variant is cheap.
    let target = object.btf().unwrap();
    let mut applied = 0;
    for raw in variants {
        let Ok(local) = Btf::parse(&raw, crate::bytes::ByteOrder::Little) else {
            continue;
        };
        for program in object.programs() {
            let Some(relos) = relos_by_section.get(&program.section) else {
                continue;
            };
            let mut relocator = CoreRelocator::new(&local, target);
            let mut insns = program.insns.clone();
            for relo in relos {
                let index = ((u64::from(relo.insn_off) - program.offset) / 8) as usize;
                let _ = relocator.apply(relo, &mut insns, index);
                applied += 1;
            }
        }
    }
    assert!(applied > 0);
    // Records with arbitrary fields.
    let btf = object.btf().unwrap();
    let program = &object.programs()[0];
    let mut relocator = CoreRelocator::new(btf, &kernel.btf);
    for kind in 0..15 {
        for type_id in [0, 1, 2, 3, 50, u32::MAX] {
            for access_str_off in [0, 1, 5, 200, u32::MAX] {
                let relo = CoreRelo {
                    insn_off: 0,
                    type_id,
                    access_str_off,
                    kind,
                };
                let mut insns = program.insns.clone();
                for index in [0, 1, insns.len() - 1, insns.len(), usize::MAX] {
                    let _ = relocator.apply(&relo, &mut insns, index);
                }
            }
        }
    }
}

/// What libbpf did to each relocation, from `bpftool -d prog loadall`'s debug log:
/// program → (relocation number, instruction, `Some(new value)` or `None` when it
/// poisoned the instruction).
fn libbpf_decisions(log: &str) -> BTreeMap<String, Vec<(usize, usize, Option<u64>)>> {
    let mut out: BTreeMap<String, Vec<(usize, usize, Option<u64>)>> = BTreeMap::new();
    for line in log.lines() {
        let Some(rest) = line.strip_prefix("libbpf: prog '") else {
            continue;
        };
        let Some((program, rest)) = rest.split_once("': relo #") else {
            continue;
        };
        let Some((relo, rest)) = rest.split_once(": ") else {
            continue;
        };
        let relo: usize = relo.parse().unwrap();
        let number = |s: &str| -> usize {
            s.trim_start_matches('#')
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        let decision = if let Some(r) = rest.strip_prefix("patched insn ") {
            if r.contains("mem_sz") {
                continue;
            }
            let value: u64 = r.rsplit("-> ").next().unwrap().trim().parse().unwrap();
            (relo, number(r), Some(value))
        } else if let Some(r) = rest.strip_prefix("substituting insn ") {
            (relo, number(r), None)
        } else {
            continue;
        };
        let list = out.entry(program.to_string()).or_default();
        // A poisoned ld_imm64 is logged twice (both halves): keep the first.
        if list.last().map(|d| d.0) != Some(relo) {
            list.push(decision);
        }
    }
    out
}

#[test]
fn libbpf_patches_the_same_values() {
    let Some(kernel) = kernel() else { return };
    let include = format!("-I{}", kernel.dir.path().display());
    let Some((_dir, path)) = rtc_tests::build_object(
        &crate::testutil::c_dir().join("core-vmlinux.c"),
        Target::Host,
        &[include.as_str()],
    ) else {
        return;
    };
    // Pinning into a directory that is not a bpffs: libbpf relocates every program
    // first (and logs each decision), and nothing stays loaded.
    let pin = kernel.dir.join("not-a-bpffs");
    let object_arg = path.to_string_lossy().to_string();
    let log = bpftool(&["-d", "prog", "loadall", &object_arg, &pin.to_string_lossy()]).stderr;
    let decisions = libbpf_decisions(&log);
    if decisions.is_empty() {
        skip::<()>(&format!("bpftool -d logged no CO-RE decisions:\n{log}"));
        return;
    }
    let object = Object::parse(&std::fs::read(&path).unwrap()).unwrap();
    let mut compared = 0;
    for program in object.programs() {
        let (outcomes, _) = relocate(&object, &kernel.btf, &program.name);
        let ours: Vec<(usize, usize, Option<u64>)> = outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| (i, o.insn, o.target_value))
            .collect();
        let theirs = decisions.get(&program.name).cloned().unwrap_or_default();
        assert_eq!(ours, theirs, "program {}", program.name);
        compared += ours.len();
    }
    assert!(compared > 50, "{compared}");
}

/// `struct s { T x; }` over one integer type of `size` bytes and `encoding`.
fn one_field_struct(size: u32, encoding: u32) -> Btf {
    use crate::btf::tests::blob;
    let info = |kind: u32, vlen: u32| (kind << 24) | vlen;
    // strings: 0 "" 1 "t" 3 "s" 5 "x" 7 "0:0"
    let strings = b"\0t\0s\0x\x000:0\0";
    let words = [
        1,
        info(1, 0),
        size,
        (encoding << 24) | (size * 8),
        3,
        info(4, 1),
        size,
        5,
        1,
        0,
    ];
    Btf::parse(&blob(&words, strings), crate::bytes::ByteOrder::Little).unwrap()
}

#[test]
fn loads_are_resized_only_for_unsigned_integers_and_pointers() {
    let local = one_field_struct(8, 0);
    let relo = CoreRelo {
        insn_off: 0,
        type_id: 2,
        access_str_off: 7,
        kind: 0,
    };
    // r0 = *(u64 *)(r1 + 0) against a kernel whose field is a u32: becomes a u32 load.
    let unsigned = one_field_struct(4, 0);
    let mut insns = [Insn::new(0x79, 0, 1, 0, 0)];
    let outcome = CoreRelocator::new(&local, &unsigned)
        .apply(&relo, &mut insns, 0)
        .unwrap();
    assert_eq!(outcome.poisoned, None);
    assert_eq!(insns[0], Insn::new(0x61, 0, 1, 0, 0));
    // A signed int cannot be read with a narrower load: poisoned, with the reason.
    let signed = one_field_struct(4, 1);
    let mut insns = [Insn::new(0x79, 0, 1, 0, 0)];
    let outcome = CoreRelocator::new(&local, &signed)
        .apply(&relo, &mut insns, 0)
        .unwrap();
    assert!(outcome.poisoned.unwrap().contains("size differs"));
    assert_eq!(insns[0].imm, POISON_HELPER);
    // A load of the wrong size for the local field is refused.
    let mut insns = [Insn::new(0x61, 0, 1, 0, 0)];
    let err = CoreRelocator::new(&local, &unsigned)
        .apply(&relo, &mut insns, 0)
        .unwrap_err();
    assert!(
        err.to_string().contains("accesses 4 bytes, expected 8"),
        "{err}"
    );
}

#[test]
fn module_btf_is_searched_when_vmlinux_has_no_candidate() {
    use crate::btf::tests::blob;
    use std::sync::Arc;
    let info = |kind: u32, vlen: u32| (kind << 24) | vlen;
    let int = [1, info(1, 0), 4, (1 << 24) | 32];
    // "vmlinux": int (1), struct other (2).
    let base = blob(&[&int[..], &[5, info(4, 0), 0]].concat(), b"\0int\0other\0");
    let base = Arc::new(TargetBtf::parse(base).unwrap());
    // The module: struct modstruct { int x; int y; } (3), strings after the base's 11 bytes.
    let module = blob(
        &[11, info(4, 2), 8, 21, 1, 0, 23, 1, 32],
        b"modstruct\0x\0y\0",
    );
    let module = TargetBtf::parse_split("mod", module, Arc::clone(&base)).unwrap();
    // The object: struct modstruct { int y; }, reading y ("0:0").
    let local = blob(
        &[&int[..], &[5, info(4, 1), 4, 15, 1, 0]].concat(),
        b"\0int\0modstruct\0y\x000:0\0",
    );
    let local = Btf::parse(&local, crate::bytes::ByteOrder::Little).unwrap();
    let relo = CoreRelo {
        insn_off: 0,
        type_id: 2,
        access_str_off: 17,
        kind: 0,
    };
    // vmlinux alone: no candidate, poisoned.
    let mut insns = [Insn::new(0x61, 0, 1, 0, 0)];
    let outcome = CoreRelocator::new(&local, base.as_ref())
        .apply(&relo, &mut insns, 0)
        .unwrap();
    assert!(outcome.poisoned.is_some());
    // With the module: found there, at offset 4.
    let mut insns = [Insn::new(0x61, 0, 1, 0, 0)];
    let modules: [&dyn CandidateSource; 1] = [&module];
    let outcome = CoreRelocator::new(&local, base.as_ref())
        .with_modules(&modules)
        .apply(&relo, &mut insns, 0)
        .unwrap();
    assert_eq!(outcome.poisoned, None);
    assert_eq!(insns[0].off, 4);
    assert_eq!(outcome.chosen, Some(3));
    assert_eq!(outcome.target_btf.as_deref(), Some("mod"));
    assert_eq!(
        outcome.candidates,
        vec![(3, "struct modstruct in mod".to_string())]
    );
}
