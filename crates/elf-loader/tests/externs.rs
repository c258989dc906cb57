//! Externs of objects built against this kernel's vmlinux.h, checked against
//! independent oracles: libbpf 1.1 itself through bpftool 7.1 (its skeleton
//! generator for the `.kconfig` order; `bpftool prog load` for the `.kconfig`
//! map's name, flags, BTF layout and contents, the offsets in the loaded
//! instructions and the program's tag, which the same program rewritten by us
//! must share) and `bpftool btf dump` of `/sys/kernel/btf/vmlinux` for the BTF ids
//! of ksyms and kfuncs.

mod common;

use std::collections::BTreeMap;
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::OnceLock;

use bpf_sys::Insn;
use bpf_sys::consts::{
    BPF_CALL, BPF_JMP, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_VALUE,
};
use common::{Target, build_with};
use elf_loader::Object;
use elf_loader::btf::TargetBtf;
use elf_loader::externs::kallsyms::Kallsyms;
use elf_loader::externs::kconfig::{Kconfig, kernel_facts};
use elf_loader::externs::resolve::{
    BtfObject, ExternFds, ExternTarget, LibbpfVersion, POISON_CALL_KFUNC_BASE, Resolution,
    needs_module_btfs, patch_extern_ref, resolve_each, resolve_externs,
};
use elf_loader::externs::{ExternKind, Externs, KconfigType, system};
use rtc_tests::{Bpffs, TempDir, bpftool};
use serde_json::Value;

const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

/// A directory holding `vmlinux.h` dumped from this kernel's BTF by bpftool, or
/// `None` (skipped) without bpftool or kernel BTF.
fn vmlinux_h() -> Option<TempDir> {
    if !rtc_tests::require_tools(&["bpftool"])
        || !rtc_tests::require(Path::new(VMLINUX).exists(), "the kernel has no BTF")
    {
        return None;
    }
    let dir = TempDir::new("vmlinux-h");
    let dumped = bpftool(&["btf", "dump", "file", VMLINUX, "format", "c"]).ok("bpftool btf dump");
    std::fs::write(dir.join("vmlinux.h"), dumped.stdout).unwrap();
    Some(dir)
}

/// `tests/c/<file>` built against vmlinux.h with `flags`: a directory to write
/// files in and the object's bytes. vmlinux.h is dumped once per test process.
fn build_core_with(file: &str, flags: &[&str]) -> Option<(TempDir, Vec<u8>)> {
    static HEADER: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    let header = HEADER.get_or_init(|| {
        let dir = vmlinux_h()?;
        Some(std::fs::read(dir.join("vmlinux.h")).unwrap())
    });
    let dir = TempDir::new("externs");
    std::fs::write(dir.join("vmlinux.h"), header.as_ref()?).unwrap();
    let include = format!("-I{}", dir.path().display());
    let mut all = vec![include.as_str()];
    all.extend_from_slice(flags);
    let bytes = build_with(file, Target::Host, &all)?;
    Some((dir, bytes))
}

fn build_core(file: &str) -> Option<(TempDir, Vec<u8>)> {
    build_core_with(file, &[])
}

/// `[ID] KIND 'NAME'` lines of `bpftool btf dump file vmlinux`: (kind, name) → id.
fn vmlinux_ids(wanted: &[(&str, &str)]) -> BTreeMap<(String, String), u32> {
    let dump = bpftool(&["btf", "dump", "file", VMLINUX]).ok("bpftool btf dump");
    let mut found = BTreeMap::new();
    for line in dump.stdout.lines().filter(|l| l.starts_with('[')) {
        let mut words = line.split_whitespace();
        let (Some(id), Some(kind), Some(name)) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        let name = name.trim_matches('\'');
        if wanted.contains(&(kind, name)) {
            let id: u32 = id.trim_matches(['[', ']']).parse().unwrap();
            found
                .entry((kind.to_string(), name.to_string()))
                .or_insert(id);
        }
    }
    found
}

fn kconfig_names(externs: &Externs) -> Vec<&str> {
    externs
        .iter()
        .filter(|e| matches!(e.kind, ExternKind::Kconfig(_)))
        .map(|e| e.name.as_str())
        .collect()
}

#[test]
fn kconfig_order_matches_libbpf_skeleton() {
    let Some((dir, bytes)) = build_core("externs.c") else {
        return;
    };
    let object = Object::parse(&bytes).unwrap();
    let externs = Externs::collect(&object).unwrap();

    // libbpf 1.1 (bpftool's) lays out the .kconfig struct of its skeleton in its
    // sorted extern order.
    let path = dir.join("externs.o");
    std::fs::write(&path, &bytes).unwrap();
    let skeleton =
        bpftool(&["gen", "skeleton", &path.to_string_lossy()]).ok("bpftool gen skeleton");
    let body: Vec<&str> = skeleton
        .stdout
        .lines()
        .skip_while(|l| !l.contains("struct externs__kconfig {"))
        .skip(1)
        .take_while(|l| !l.contains("} *kconfig;"))
        .collect();
    let libbpf_order: Vec<&str> = body
        .iter()
        .filter(|l| !l.contains("__pad"))
        .filter_map(|l| {
            let decl = l.trim().trim_end_matches(';');
            let decl = decl.split('[').next()?;
            decl.rsplit([' ', '*']).next()
        })
        .collect();
    assert!(
        !libbpf_order.is_empty(),
        "no kconfig struct in:\n{}",
        skeleton.stdout
    );
    assert_eq!(kconfig_names(&externs), libbpf_order);

    // The kinds, as the C source declares them.
    let kind = |name: &str| externs.get(name).unwrap().kind.clone();
    let ty = |name: &str| match kind(name) {
        ExternKind::Kconfig(slot) => (slot.ty, slot.size, slot.align),
        other => panic!("{name} is {other:?}"),
    };
    assert_eq!(
        ty("CONFIG_NR_CPUS"),
        (KconfigType::Int { signed: false }, 8, 8)
    );
    assert_eq!(ty("CONFIG_HZ"), (KconfigType::Int { signed: true }, 4, 4));
    assert_eq!(
        ty("CONFIG_LOG_BUF_SHIFT"),
        (KconfigType::Int { signed: true }, 2, 2)
    );
    assert_eq!(ty("CONFIG_NET_CLS_BPF"), (KconfigType::Tristate, 4, 4));
    assert_eq!(ty("CONFIG_BPF_SYSCALL"), (KconfigType::Bool, 1, 1));
    assert_eq!(ty("CONFIG_BPF_JIT"), (KconfigType::Char, 1, 1));
    assert_eq!(ty("CONFIG_LOCALVERSION"), (KconfigType::CharArray, 8, 1));
    assert!(externs.get("CONFIG_LOCALVERSION").unwrap().weak);
    assert!(!externs.get("CONFIG_HZ").unwrap().weak);
    assert_eq!(
        kind("_stext"),
        ExternKind::Ksym {
            typed: false,
            type_id: 0
        }
    );
    assert!(matches!(
        kind("bpf_dynptr_from_skb"),
        ExternKind::Kfunc { .. }
    ));
    // kconfig externs first, then the ksyms by name; indices follow the order.
    let ksyms: Vec<&str> = externs
        .iter()
        .skip(libbpf_order.len())
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(
        ksyms,
        [
            "_stext",
            "bpf_dynptr_from_skb",
            "bpf_rtc_surely_not_a_kfunc",
            "rtc_surely_not_a_symbol"
        ]
    );
    assert!(externs.iter().enumerate().all(|(i, e)| e.index == i));
    assert!(externs.needs_kconfig() && externs.needs_kallsyms() && externs.needs_kernel_btf());
    assert_eq!(Externs::kconfig_map_name("externs"), "externs.kconfig");
}

#[test]
fn ksyms_and_kfuncs_resolve_to_vmlinux_ids() {
    let Some((_dir, bytes)) = build_core("ksym-typed.c") else {
        return;
    };
    let Some((_dir2, extern_bytes)) = build_core("externs.c") else {
        return;
    };
    let ids = vmlinux_ids(&[
        ("VAR", "bpf_prog_active"),
        ("VAR", "runqueues"),
        ("FUNC", "bpf_rcu_read_lock"),
        ("FUNC", "bpf_dynptr_from_skb"),
    ]);
    let id = |kind: &str, name: &str| ids[&(kind.to_string(), name.to_string())];
    let vmlinux = TargetBtf::vmlinux().unwrap();
    let target = ExternTarget {
        vmlinux: Some(&vmlinux),
        modules: &[],
        kconfig: None,
        kallsyms: None,
        facts: Default::default(),
        libbpf: LibbpfVersion::V1_1,
    };

    let object = Object::parse(&bytes).unwrap();
    let resolved = resolve_externs(&object, &target).unwrap();
    let of = |name: &str| {
        resolved
            .iter()
            .find(|(e, _)| e.name == name)
            .map(|(_, r)| r)
            .unwrap()
    };
    assert_eq!(
        of("bpf_prog_active"),
        Resolution::KsymBtf {
            btf_id: id("VAR", "bpf_prog_active"),
            btf: BtfObject::Vmlinux
        }
    );
    assert_eq!(
        of("runqueues"),
        Resolution::KsymBtf {
            btf_id: id("VAR", "runqueues"),
            btf: BtfObject::Vmlinux
        }
    );
    assert_eq!(of("rtc_surely_not_a_variable"), Resolution::Missing);
    assert_eq!(
        of("bpf_rcu_read_lock"),
        Resolution::Kfunc {
            btf_id: id("FUNC", "bpf_rcu_read_lock"),
            btf: BtfObject::Vmlinux,
            fd_index: 0
        }
    );

    // Every ld_imm64 naming a ksym, patched as libbpf does.
    let program = object.find_program("tc", None).unwrap();
    let mut insns = program.insns.clone();
    for reloc in &program.relocations {
        if let Some((ext, resolution)) = resolved.by_symbol(reloc.symbol.index) {
            patch_extern_ref(
                &mut insns,
                reloc.insn_index,
                ext,
                resolution,
                &ExternFds::default(),
                LibbpfVersion::Latest,
            )
            .unwrap();
            let (first, second) = (insns[reloc.insn_index], insns[reloc.insn_index + 1]);
            match resolution {
                Resolution::KsymBtf { btf_id, .. } | Resolution::Kfunc { btf_id, .. } => {
                    assert_eq!(first.src_reg(), BPF_PSEUDO_BTF_ID, "{}", ext.name);
                    assert_eq!(first.imm as u32, btf_id);
                    assert_eq!(second.imm, 0, "vmlinux: no BTF fd");
                }
                Resolution::Missing => {
                    assert_eq!((first.src_reg(), first.imm, second.imm), (0, 0, 0));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    // A kfunc call, and a weak kfunc the kernel lacks (poisoned as libbpf ≥ 1.2
    // does, or left a kfunc call with id 0 as libbpf 1.1 does).
    let object = Object::parse(&extern_bytes).unwrap();
    let kallsyms = Kallsyms::parse("ffffffff81000000 T _stext\n", ["_stext"]).unwrap();
    let config = Kconfig::parse("CONFIG_HZ=250\nCONFIG_BPF_SYSCALL=y\nCONFIG_NET_CLS_BPF=m\nCONFIG_BPF_JIT=y\nCONFIG_NR_CPUS=64\nCONFIG_LOG_BUF_SHIFT=17\n").unwrap();
    let target = ExternTarget {
        kconfig: Some(&config),
        kallsyms: Some(&kallsyms),
        facts: elf_loader::externs::kconfig::KernelFacts::new(0x061200, true, true),
        ..target
    };
    let resolved = resolve_externs(&object, &target).unwrap();
    let program = object.find_program("tc", None).unwrap();
    let calls: Vec<_> = program
        .relocations
        .iter()
        .filter(|r| program.insns[r.insn_index].code == BPF_JMP | BPF_CALL)
        .collect();
    assert_eq!(calls.len(), 2, "one kfunc call, one weak kfunc call");
    for style in [LibbpfVersion::Latest, LibbpfVersion::V1_1] {
        let mut insns = program.insns.clone();
        for reloc in &calls {
            let (ext, resolution) = resolved.by_symbol(reloc.symbol.index).unwrap();
            patch_extern_ref(
                &mut insns,
                reloc.insn_index,
                ext,
                resolution,
                &ExternFds::default(),
                style,
            )
            .unwrap();
            let call: Insn = insns[reloc.insn_index];
            match (ext.name.as_str(), style) {
                ("bpf_dynptr_from_skb", _) => {
                    assert_eq!(call.src_reg(), BPF_PSEUDO_KFUNC_CALL);
                    assert_eq!(call.imm as u32, id("FUNC", "bpf_dynptr_from_skb"));
                    assert_eq!(call.off, 0);
                }
                ("bpf_rtc_surely_not_a_kfunc", LibbpfVersion::Latest) => {
                    assert_eq!(
                        call,
                        Insn::new(
                            BPF_JMP | BPF_CALL,
                            0,
                            0,
                            0,
                            POISON_CALL_KFUNC_BASE + ext.index as i32
                        )
                    );
                }
                ("bpf_rtc_surely_not_a_kfunc", _) => {
                    assert_eq!(
                        (call.src_reg(), call.imm, call.off),
                        (BPF_PSEUDO_KFUNC_CALL, 0, 0)
                    );
                }
                (other, _) => panic!("call to {other}"),
            }
        }
    }
    let (_, stext) = resolved.iter().find(|(e, _)| e.name == "_stext").unwrap();
    assert_eq!(stext, Resolution::KsymAddr(0xffffffff81000000));
    let value = resolved.kconfig_value();
    let slot = |name: &str| match resolved.externs().get(name).unwrap().kind {
        ExternKind::Kconfig(slot) => slot.offset as usize,
        _ => panic!(),
    };
    assert_eq!(
        value[slot("CONFIG_NET_CLS_BPF")..][..4],
        2u32.to_ne_bytes(),
        "m"
    );
    assert_eq!(
        value[slot("LINUX_KERNEL_VERSION")..][..4],
        0x061200u32.to_ne_bytes()
    );
    assert_eq!(
        &value[slot("CONFIG_LOCALVERSION")..][..8],
        &[0; 8],
        "weak, absent"
    );
}

#[test]
fn strong_externs_the_kernel_lacks_are_errors() {
    let Some((_dir, bytes)) = build_core("externs.c") else {
        return;
    };
    let object = Object::parse(&bytes).unwrap();
    let vmlinux = TargetBtf::vmlinux().unwrap();
    let kallsyms = Kallsyms::parse("ffffffff81000000 T _stext\n", ["_stext"]).unwrap();
    let full = Kconfig::parse("CONFIG_HZ=250\nCONFIG_BPF_SYSCALL=y\nCONFIG_NET_CLS_BPF=m\nCONFIG_BPF_JIT=y\nCONFIG_NR_CPUS=64\nCONFIG_LOG_BUF_SHIFT=17\n").unwrap();
    let no_hz = Kconfig::parse("CONFIG_BPF_SYSCALL=y\nCONFIG_NET_CLS_BPF=m\nCONFIG_BPF_JIT=y\nCONFIG_NR_CPUS=64\nCONFIG_LOG_BUF_SHIFT=17\n").unwrap();
    let target = ExternTarget {
        vmlinux: Some(&vmlinux),
        modules: &[],
        kconfig: Some(&full),
        kallsyms: Some(&kallsyms),
        facts: elf_loader::externs::kconfig::KernelFacts::new(0x061200, true, true),
        libbpf: LibbpfVersion::V1_1,
    };
    assert!(resolve_externs(&object, &target).is_ok());
    let cases = [
        (
            ExternTarget {
                kconfig: Some(&no_hz),
                ..target
            },
            "CONFIG_HZ",
        ),
        (
            ExternTarget {
                kconfig: None,
                ..target
            },
            "CONFIG_",
        ),
        (
            ExternTarget {
                kallsyms: None,
                ..target
            },
            "_stext",
        ),
        (
            ExternTarget {
                vmlinux: None,
                ..target
            },
            "bpf_dynptr_from_skb",
        ),
        (
            ExternTarget {
                facts: elf_loader::externs::kconfig::KernelFacts::new(0, true, true),
                ..target
            },
            "LINUX_KERNEL_VERSION",
        ),
    ];
    for (case, name) in cases {
        let err = resolve_externs(&object, &case).unwrap_err().to_string();
        assert!(err.contains(name), "{err} should name {name}");
    }
    let empty = Kallsyms::parse("", ["_stext"]).unwrap();
    let err = resolve_externs(
        &object,
        &ExternTarget {
            kallsyms: Some(&empty),
            ..target
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("_stext") && err.contains("strong"), "{err}");
}

/// Loads `path` with bpftool (libbpf 1.1) into `bpffs`; returns its
/// `bpftool prog show` JSON.
fn libbpf_load(path: &Path, bpffs: &Bpffs) -> Value {
    let pin = bpffs.path().join("prog");
    bpftool(&[
        "prog",
        "load",
        &path.to_string_lossy(),
        &pin.to_string_lossy(),
        "type",
        "classifier",
    ])
    .ok("bpftool prog load");
    let shown = bpftool(&["prog", "show", "pinned", &pin.to_string_lossy(), "-j"]).ok("prog show");
    serde_json::from_str(&shown.stdout).unwrap()
}

#[test]
fn rewriting_matches_what_libbpf_loads() {
    if !common::privileged() {
        return;
    }
    let Some((dir, bytes)) = build_core("externs.c") else {
        return;
    };
    let path = dir.join("externs.o");
    std::fs::write(&path, &bytes).unwrap();
    let bpffs = Bpffs::new();
    let prog = libbpf_load(&path, &bpffs);

    // The .kconfig map libbpf created: name, flags, size, contents.
    let map_ids: Vec<u64> = prog["map_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let maps: Vec<Value> = map_ids
        .iter()
        .map(|id| {
            serde_json::from_str(
                &bpftool(&["map", "show", "id", &id.to_string(), "-j"])
                    .ok("map show")
                    .stdout,
            )
            .unwrap()
        })
        .collect();
    let kconfig = maps
        .iter()
        .find(|m| m["name"].as_str().unwrap().ends_with(".kconfig"))
        .expect("a .kconfig map");
    let object = Object::parse(&bytes).unwrap();
    let externs = Externs::collect(&object).unwrap();
    let def = externs.kconfig_map_def().unwrap();
    assert_eq!(kconfig["name"], Externs::kconfig_map_name("externs"));
    assert_eq!(kconfig["flags"].as_u64().unwrap(), u64::from(def.map_flags));
    assert_eq!(
        kconfig["bytes_value"].as_u64().unwrap(),
        u64::from(externs.kconfig_size())
    );
    assert_eq!(
        kconfig["bytes_key"].as_u64().unwrap(),
        u64::from(def.key_size)
    );
    assert_eq!(
        kconfig["max_entries"].as_u64().unwrap(),
        u64::from(def.max_entries)
    );
    let map_id = kconfig["id"].as_u64().unwrap().to_string();
    let dump: Value = serde_json::from_str(
        &bpftool(&["map", "dump", "id", &map_id, "-j"])
            .ok("map dump")
            .stdout,
    )
    .unwrap();
    let libbpf_value: Vec<u8> = dump[0]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| u8::from_str_radix(b.as_str().unwrap().trim_start_matches("0x"), 16).unwrap())
        .collect();

    // The .kconfig DATASEC of the BTF libbpf loaded and of ours, as bpftool prints
    // them: same size, same variables at the same offsets.
    let datasec = |btf_id: &str| {
        let dump = bpftool(&["btf", "dump", "id", btf_id]).ok("bpftool btf dump");
        let lines: Vec<String> = dump
            .stdout
            .lines()
            .skip_while(|l| !l.contains("DATASEC '.kconfig'"))
            .take_while(|l| l.contains("DATASEC '.kconfig'") || l.starts_with('\t'))
            .map(str::to_string)
            .collect();
        assert!(
            !lines.is_empty(),
            "no .kconfig in BTF {btf_id}:\n{}",
            dump.stdout
        );
        lines
    };
    let libbpf_btf = kconfig["btf_id"].to_string();
    let our_btf =
        bpf_sys::btf_load(object.kernel_btf().unwrap(), 0).expect("the kernel takes our BTF");
    let fdinfo = std::fs::read_to_string(format!(
        "/proc/self/fdinfo/{}",
        std::os::fd::AsRawFd::as_raw_fd(&our_btf.as_fd())
    ))
    .unwrap();
    let our_btf_id = fdinfo
        .lines()
        .find_map(|l| l.strip_prefix("btf_id:"))
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(datasec(&our_btf_id), datasec(&libbpf_btf));
    assert!(
        datasec(&our_btf_id)[0].contains(&format!("size={}", externs.kconfig_size())),
        "{:?}",
        datasec(&our_btf_id)
    );
    assert!(datasec(&libbpf_btf)[0].starts_with(&format!("[{}]", externs.kconfig_value_type_id())));

    // Ours, from this machine's config, version and BTF.
    let config = system::read_kconfig("CONFIG_HZ").unwrap();
    let vmlinux = TargetBtf::vmlinux().unwrap();
    let facts = kernel_facts(
        &externs,
        system::running_kernel_version(),
        Some(&vmlinux),
        system::kprobes_available(),
    );
    let ours = elf_loader::externs::kconfig::fill_kconfig(&externs, Some(&config), &facts).unwrap();
    assert_eq!(ours, libbpf_value);

    // Each kconfig read in the loaded program, in order, at the offset we give it.
    let xlated =
        bpftool(&["prog", "dump", "xlated", "id", &prog["id"].to_string()]).ok("dump xlated");
    let marker = format!("map[id:{map_id}][0]+");
    let libbpf_offsets: Vec<u32> = xlated
        .stdout
        .lines()
        .filter_map(|l| l.split(&marker).nth(1))
        .map(|o| o.trim().parse().unwrap())
        .collect();
    let program = object.find_program("tc", None).unwrap();
    let kallsyms = system::read_kallsyms(externs.kallsyms_names()).unwrap();
    let target = ExternTarget {
        vmlinux: Some(&vmlinux),
        modules: &[],
        kconfig: Some(&config),
        kallsyms: Some(&kallsyms),
        facts,
        libbpf: LibbpfVersion::V1_1,
    };
    let resolved = resolve_externs(&object, &target).unwrap();
    let memfd = std::fs::File::open("/dev/null").unwrap();
    let fds = ExternFds {
        kconfig_map: Some(memfd.as_fd()),
        module_btfs: &[],
    };
    let mut insns = program.insns.clone();
    let mut ours = Vec::new();
    for reloc in &program.relocations {
        if let Some((ext, resolution)) = resolved.by_symbol(reloc.symbol.index) {
            patch_extern_ref(
                &mut insns,
                reloc.insn_index,
                ext,
                resolution,
                &fds,
                LibbpfVersion::V1_1,
            )
            .unwrap();
            let first = insns[reloc.insn_index];
            if first.is_ld_imm64() && first.src_reg() == BPF_PSEUDO_MAP_VALUE {
                ours.push(insns[reloc.insn_index + 1].imm as u32);
            }
        }
    }
    assert_eq!(ours, libbpf_offsets);
    // The same program loaded with our rewriting (into maps of our own) has the
    // tag of the one libbpf loaded: the kernel hashes the instructions as loaded,
    // map fds masked, so kfunc calls, ksym addresses and kconfig offsets all count.
    let kconfig_def = externs.kconfig_map_def().unwrap();
    let kconfig_map = bpf_sys::map_create(&bpf_sys::MapCreateAttr {
        map_type: kconfig_def.map_type,
        key_size: kconfig_def.key_size,
        value_size: kconfig_def.value_size,
        max_entries: kconfig_def.max_entries,
        map_flags: kconfig_def.map_flags,
        name: "externs.kconfig",
        ..Default::default()
    })
    .unwrap();
    bpf_sys::map_update_elem(
        kconfig_map.as_fd(),
        &0u32.to_ne_bytes(),
        resolved.kconfig_value(),
        0,
    )
    .unwrap();
    bpf_sys::map_freeze(kconfig_map.as_fd()).unwrap();
    let bss = object.map_index(".bss").unwrap();
    let bss_def = object.maps()[bss].def;
    let bss_map = bpf_sys::map_create(&bpf_sys::MapCreateAttr {
        map_type: bss_def.map_type,
        key_size: bss_def.key_size,
        value_size: bss_def.value_size,
        max_entries: bss_def.max_entries,
        map_flags: bss_def.map_flags,
        name: "externs.bss",
        ..Default::default()
    })
    .unwrap();
    let fds = ExternFds {
        kconfig_map: Some(kconfig_map.as_fd()),
        module_btfs: &[],
    };
    let mut insns = program.insns.clone();
    for reloc in &program.relocations {
        let patched = resolved
            .patch(&mut insns, reloc.insn_index, reloc.symbol.index, &fds)
            .unwrap();
        if !patched {
            // `seen` in .bss, the object's only other reference.
            assert_eq!(reloc.symbol.name, "seen");
            let offset = reloc.symbol.value as i32 + insns[reloc.insn_index].imm;
            insns[reloc.insn_index].set_src_reg(BPF_PSEUDO_MAP_VALUE);
            insns[reloc.insn_index].imm = std::os::fd::AsRawFd::as_raw_fd(&bss_map.as_fd());
            insns[reloc.insn_index + 1].imm = offset;
        }
    }
    let loaded = bpf_sys::prog_load(&bpf_sys::ProgLoadAttr {
        prog_type: bpf_sys::consts::prog_type::SCHED_CLS,
        insns: &insns,
        license: "GPL",
        name: "uses_externs",
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("the kernel refused our rewriting: {e}"));
    let info = bpf_sys::prog_info(loaded.fd.as_fd()).unwrap();
    assert_eq!(info.tag_hex(), prog["tag"].as_str().unwrap());
    // libbpf ≥ 1.2's poisoned call to the absent weak kfunc is dead code: the
    // kernel takes it too.
    for reloc in &program.relocations {
        if let Some((ext, resolution)) = resolved.by_symbol(reloc.symbol.index) {
            if matches!(ext.kind, ExternKind::Kfunc { .. }) {
                patch_extern_ref(
                    &mut insns,
                    reloc.insn_index,
                    ext,
                    resolution,
                    &fds,
                    LibbpfVersion::Latest,
                )
                .unwrap();
            }
        }
    }
    assert!(
        insns
            .iter()
            .any(|i| i.code == BPF_JMP | BPF_CALL && i.imm >= POISON_CALL_KFUNC_BASE)
    );
    bpf_sys::prog_load(&bpf_sys::ProgLoadAttr {
        prog_type: bpf_sys::consts::prog_type::SCHED_CLS,
        insns: &insns,
        license: "GPL",
        name: "uses_externs",
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("the kernel refused the poisoned call: {e}"));
    // The untyped ksym's address, as libbpf wrote it into the program.
    let stext = format!("{:#x}", kallsyms.address("_stext").unwrap());
    assert!(
        xlated.stdout.contains(&stext),
        "{stext} not in\n{}",
        xlated.stdout
    );
}

#[test]
fn incompatible_types_are_refused_as_libbpf_does() {
    let Ok(vmlinux) = TargetBtf::vmlinux() else {
        rtc_tests::skip::<()>("no kernel BTF");
        return;
    };
    let target = ExternTarget {
        vmlinux: Some(&vmlinux),
        modules: &[],
        kconfig: None,
        kallsyms: None,
        facts: Default::default(),
        libbpf: LibbpfVersion::V1_1,
    };
    let resolve_as = |flags: &[&str], libbpf| {
        let (_dir, bytes) = build_core_with("extern-mismatch.c", flags)?;
        let object = Object::parse(&bytes).unwrap();
        Some(resolve_externs(&object, &ExternTarget { libbpf, ..target }))
    };
    let resolve = |flags: &[&str]| resolve_as(flags, LibbpfVersion::V1_1);
    // A ksym variable of the wrong type is an error, weak or not.
    for flags in [&[][..], &["-DWEAK"][..]] {
        let Some(result) = resolve(flags) else {
            return;
        };
        let err = result.unwrap_err().to_string();
        assert!(
            err.contains("bpf_prog_active")
                && err.contains("incompatible")
                && err.contains("struct rq"),
            "{err}"
        );
    }
    // A kfunc of the wrong prototype: an error, weak or not, for libbpf 1.1 (as
    // bpftool 7.1 says: "func_proto [19] incompatible with kernel"); absent when
    // weak for later libbpf.
    for flags in [&["-DKFUNC"][..], &["-DKFUNC", "-DWEAK"][..]] {
        let err = resolve(flags).unwrap().unwrap_err().to_string();
        assert!(
            err.contains("bpf_dynptr_from_skb") && err.contains("incompatible"),
            "{err}"
        );
    }
    let weak = resolve_as(&["-DKFUNC", "-DWEAK"], LibbpfVersion::Latest)
        .unwrap()
        .unwrap();
    let (ext, resolution) = weak.iter().next().unwrap();
    assert_eq!(
        (ext.name.as_str(), resolution),
        ("bpf_dynptr_from_skb", Resolution::Missing)
    );
}

/// The `.kconfig` value of an object loaded by libbpf 1.1 (`bpftool prog
/// loadall` into a private bpffs): its map name and value bytes.
fn libbpf_kconfig_value(path: &Path) -> (String, Vec<u8>) {
    let bpffs = Bpffs::new();
    let pins = bpffs.path().join("progs");
    bpftool(&[
        "prog",
        "loadall",
        &path.to_string_lossy(),
        &pins.to_string_lossy(),
    ])
    .ok("bpftool prog loadall");
    let pin = std::fs::read_dir(&pins)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let shown = bpftool(&["prog", "show", "pinned", &pin.to_string_lossy(), "-j"]).ok("prog show");
    let prog: Value = serde_json::from_str(&shown.stdout).unwrap();
    for id in prog["map_ids"].as_array().unwrap() {
        let id = id.to_string();
        let map: Value = serde_json::from_str(
            &bpftool(&["map", "show", "id", &id, "-j"])
                .ok("map show")
                .stdout,
        )
        .unwrap();
        let name = map["name"].as_str().unwrap().to_string();
        if !name.ends_with(".kconfig") {
            continue;
        }
        let dump: Value = serde_json::from_str(
            &bpftool(&["map", "dump", "id", &id, "-j"])
                .ok("map dump")
                .stdout,
        )
        .unwrap();
        let value = dump[0]["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| u8::from_str_radix(b.as_str().unwrap().trim_start_matches("0x"), 16).unwrap())
            .collect();
        return (name, value);
    }
    panic!("{} has no .kconfig map", path.display());
}

#[test]
fn corpus_kconfig_value_matches_libbpf() {
    if !common::privileged() || !rtc_tests::require_tools(&["bpftool"]) {
        return;
    }
    // cilium/ebpf's kconfig test object: a tristate, an int, LINUX_KERNEL_VERSION
    // as an int, a one-byte string and LINUX_HAS_SYSCALL_WRAPPER.
    let path = rtc_tests::corpus_dir().join("cilium-ebpf/kconfig-el.elf");
    let (name, libbpf_value) = libbpf_kconfig_value(&path);
    let object = Object::parse(&std::fs::read(&path).unwrap()).unwrap();
    let externs = Externs::collect(&object).unwrap();
    assert_eq!(name, Externs::kconfig_map_name("kconfig"));
    let vmlinux = TargetBtf::vmlinux().unwrap();
    let facts = kernel_facts(
        &externs,
        system::running_kernel_version(),
        Some(&vmlinux),
        system::kprobes_available(),
    );
    let config = system::read_kconfig("CONFIG_HZ").unwrap();
    let ours = elf_loader::externs::kconfig::fill_kconfig(&externs, Some(&config), &facts).unwrap();
    assert_eq!(ours, libbpf_value);
}

#[test]
fn module_btfs_are_the_kernel_ones_bpftool_lists() {
    if !common::privileged() || !rtc_tests::require_tools(&["bpftool"]) {
        return;
    }
    let listed = bpftool(&["btf", "list"]).ok("bpftool btf list");
    let expected: Vec<String> = listed
        .stdout
        .lines()
        .filter_map(|line| {
            Some(
                line.split_once(": name [")?
                    .1
                    .split_once(']')?
                    .0
                    .to_string(),
            )
        })
        .filter(|name| name != "vmlinux")
        .collect();
    let vmlinux = std::sync::Arc::new(TargetBtf::vmlinux().unwrap());
    let modules = system::module_btfs(&vmlinux).unwrap();
    let names: Vec<String> = modules.iter().map(|m| m.name.clone()).collect();
    assert_eq!(names, expected);
}

/// A module's split BTF on top of `base`, holding one kfunc `name(int)`
/// returning void: a FUNC_PROTO and a FUNC, the name its only string.
fn module_with_kfunc(base: &std::sync::Arc<TargetBtf>, name: &str) -> TargetBtf {
    let vmlinux_bytes = std::fs::read(VMLINUX).unwrap();
    let base_strings = u32::from_ne_bytes(vmlinux_bytes[20..24].try_into().unwrap());
    let first_id = base.type_count();
    let int = base.find(elf_loader::btf::BtfKind::Int, "int").unwrap();
    let types: Vec<u32> = vec![
        0,
        (13 << 24) | 1, // FUNC_PROTO, one parameter
        0,              // returns void
        0,
        int, // (int)
        base_strings,
        (12 << 24) | 1, // FUNC, global linkage
        first_id,
    ];
    let type_bytes: Vec<u8> = types.iter().flat_map(|w| w.to_ne_bytes()).collect();
    let strings = format!("{name}\0");
    let mut blob = Vec::new();
    blob.extend_from_slice(&0xeb9fu16.to_ne_bytes());
    blob.extend_from_slice(&[1, 0]);
    for word in [
        24u32,
        0,
        type_bytes.len() as u32,
        type_bytes.len() as u32,
        strings.len() as u32,
    ] {
        blob.extend_from_slice(&word.to_ne_bytes());
    }
    blob.extend_from_slice(&type_bytes);
    blob.extend_from_slice(strings.as_bytes());
    TargetBtf::parse_split("rtc_testmod", blob, std::sync::Arc::clone(base)).unwrap()
}

#[test]
fn kfuncs_of_modules_go_through_fd_array() {
    if !rtc_tests::require(Path::new(VMLINUX).exists(), "the kernel has no BTF") {
        return;
    }
    // cilium/ebpf's object calling bpf_testmod_test_mod_kfunc(int), which a test
    // module of the kernel's selftests provides: here a module BTF made for it.
    let path = rtc_tests::corpus_dir().join("cilium-ebpf/kfunc-kmod-el.elf");
    let object = Object::parse(&std::fs::read(&path).unwrap()).unwrap();
    let vmlinux = std::sync::Arc::new(TargetBtf::vmlinux().unwrap());
    let module = module_with_kfunc(&vmlinux, "bpf_testmod_test_mod_kfunc");
    let other = module_with_kfunc(&vmlinux, "rtc_some_other_kfunc");
    let modules = [
        elf_loader::externs::resolve::ModuleBtf {
            name: "rtc_other",
            btf: &other,
        },
        elf_loader::externs::resolve::ModuleBtf {
            name: "rtc_testmod",
            btf: &module,
        },
    ];
    let mut target = ExternTarget {
        vmlinux: Some(&*vmlinux),
        modules: &[],
        kconfig: None,
        kallsyms: None,
        facts: Default::default(),
        libbpf: LibbpfVersion::V1_1,
    };
    let err = resolve_externs(&object, &target).unwrap_err().to_string();
    assert!(err.contains("bpf_testmod_test_mod_kfunc"), "{err}");
    target.modules = &modules;
    let resolved = resolve_externs(&object, &target).unwrap();
    let (ext, resolution) = resolved.iter().next().unwrap();
    let kfunc_id = vmlinux.type_count() + 1;
    assert_eq!(
        resolution,
        Resolution::Kfunc {
            btf_id: kfunc_id,
            btf: BtfObject::Module(1),
            fd_index: 1
        }
    );
    assert_eq!(resolved.fd_array_modules(), [1]);
    // The call names the kfunc by its id in the module's BTF and the module by its
    // index in fd_array.
    let program = &object.programs()[0];
    let call = program.relocations[0].insn_index;
    let mut insns = program.insns.clone();
    let devnull = std::fs::File::open("/dev/null").unwrap();
    let fds = [devnull.as_fd(), devnull.as_fd()];
    let fds = ExternFds {
        kconfig_map: None,
        module_btfs: &fds,
    };
    patch_extern_ref(&mut insns, call, ext, resolution, &fds, LibbpfVersion::V1_1).unwrap();
    assert_eq!(insns[call].src_reg(), BPF_PSEUDO_KFUNC_CALL);
    assert_eq!((insns[call].imm as u32, insns[call].off), (kfunc_id, 1));
    // Its address (bpf_ksym_exists) names the module's BTF by fd in the second
    // half, except with libbpf 1.1, which leaves 0 there.
    let ld_imm64 = [Insn::new(0x18, 1, 0, 0, 0), Insn::new(0, 0, 0, 0, 0)];
    for (libbpf, second) in [
        (LibbpfVersion::V1_1, 0),
        (
            LibbpfVersion::Latest,
            std::os::fd::AsRawFd::as_raw_fd(&devnull),
        ),
    ] {
        let mut insns = ld_imm64;
        patch_extern_ref(&mut insns, 0, ext, resolution, &fds, libbpf).unwrap();
        assert_eq!(insns[0].src_reg(), BPF_PSEUDO_BTF_ID);
        assert_eq!(insns[0].imm as u32, kfunc_id);
        assert_eq!(insns[1].imm, second, "{libbpf:?}");
    }
}

#[test]
fn each_extern_on_its_own_for_offline_inspection() {
    let Some((_dir, bytes)) = build_core("externs.c") else {
        return;
    };
    let object = Object::parse(&bytes).unwrap();
    let externs = Externs::collect(&object).unwrap();
    let vmlinux = TargetBtf::vmlinux().unwrap();
    // Only a BTF file, as `rtc obj show --btf FILE` has: what needs the kernel's
    // config, version or kallsyms says so; the rest resolves.
    let offline = ExternTarget {
        vmlinux: Some(&vmlinux),
        modules: &[],
        kconfig: None,
        kallsyms: None,
        facts: Default::default(),
        libbpf: LibbpfVersion::V1_1,
    };
    let outcomes = resolve_each(&object, &externs, &offline);
    assert_eq!(outcomes.len(), externs.len());
    for (ext, outcome) in &outcomes {
        let error = outcome
            .as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default();
        match (ext.name.as_str(), outcome) {
            (name, Err(_)) if name.starts_with("CONFIG_") => {
                assert!(error.contains("needs the kernel config"), "{error}")
            }
            ("LINUX_KERNEL_VERSION", Err(_)) => assert!(error.contains("version"), "{error}"),
            (
                "LINUX_HAS_BPF_COOKIE" | "LINUX_NOT_KNOWN_TO_LIBBPF",
                Ok(Resolution::Kconfig { .. }),
            ) => {}
            ("_stext" | "rtc_surely_not_a_symbol", Err(_)) => {
                assert!(error.contains("kallsyms"), "{error}")
            }
            ("bpf_dynptr_from_skb", Ok(Resolution::Kfunc { .. })) => {}
            ("bpf_rtc_surely_not_a_kfunc", Ok(Resolution::Missing)) => {}
            (name, outcome) => panic!("{name}: {outcome:?}"),
        }
    }
    // With everything, each agrees with the whole resolution.
    let kallsyms = Kallsyms::parse("ffffffff81000000 T _stext\n", ["_stext"]).unwrap();
    let config = Kconfig::parse("CONFIG_HZ=250\nCONFIG_BPF_SYSCALL=y\nCONFIG_NET_CLS_BPF=m\nCONFIG_BPF_JIT=y\nCONFIG_NR_CPUS=64\nCONFIG_LOG_BUF_SHIFT=17\n").unwrap();
    let full = ExternTarget {
        kconfig: Some(&config),
        kallsyms: Some(&kallsyms),
        facts: elf_loader::externs::kconfig::KernelFacts::new(0x061200, true, true),
        ..offline
    };
    let whole = resolve_externs(&object, &full).unwrap();
    let each: Vec<Resolution> = resolve_each(&object, &externs, &full)
        .into_iter()
        .map(|(_, r)| r.unwrap())
        .collect();
    let whole: Vec<Resolution> = whole.iter().map(|(_, r)| r).collect();
    assert_eq!(each, whole);
    // Module BTFs are needed when a ksym or kfunc is not in vmlinux (here the weak
    // kfunc the kernel lacks), not when all are.
    assert!(needs_module_btfs(&externs, &vmlinux, LibbpfVersion::V1_1));
    let Some((_dir, bytes)) = build_core_with("extern-mismatch.c", &["-DKFUNC"]) else {
        return;
    };
    let object = Object::parse(&bytes).unwrap();
    let externs = Externs::collect(&object).unwrap();
    assert!(!needs_module_btfs(&externs, &vmlinux, LibbpfVersion::V1_1));
}

#[test]
fn corpus_externs_collect_and_resolve_without_panic() {
    let Some(objects) = rtc_tests::corpus_objects() else {
        return;
    };
    let vmlinux = TargetBtf::vmlinux().ok();
    let target = ExternTarget {
        vmlinux: vmlinux.as_ref(),
        modules: &[],
        kconfig: None,
        kallsyms: None,
        facts: Default::default(),
        libbpf: LibbpfVersion::V1_1,
    };
    let mut with_externs = 0;
    for path in objects {
        let Ok(object) = Object::parse(&std::fs::read(&path).unwrap()) else {
            continue;
        };
        if object.extern_symbols().is_empty() {
            continue;
        }
        with_externs += 1;
        if let Ok(externs) = Externs::collect(&object) {
            let _ = resolve_each(&object, &externs, &target);
            let _ = resolve_externs(&object, &target);
        }
    }
    assert!(with_externs > 0, "the corpus has objects with externs");
    // What libbpf 1.1 says of cilium/ebpf's ksym object, we say too.
    let path = rtc_tests::corpus_dir().join("cilium-ebpf/ksym-el.elf");
    let object = Object::parse(&std::fs::read(path).unwrap()).unwrap();
    if let Some(vmlinux) = &vmlinux {
        let kallsyms = Kallsyms::parse("", ["bpf_init"]).unwrap();
        let target = ExternTarget {
            vmlinux: Some(vmlinux),
            kallsyms: Some(&kallsyms),
            ..target
        };
        let err = resolve_externs(&object, &target).unwrap_err().to_string();
        assert!(err.contains("missing_typed_ksym"), "{err}");
    }
}
