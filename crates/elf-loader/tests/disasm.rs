//! The disassembler against three oracles that know nothing of this crate:
//!
//! * **LLVM** (`llvm-objdump-19 -d -r --mcpu=v4`): the same instruction stream,
//!   decoded by LLVM in its own notation, compared instruction by instruction after
//!   normalising the two notations (numbers to decimal, `goto +N` vs `goto pc+N`,
//!   LLVM's `xchg_64(..)` vs the kernel's `atomic64_xchg(..)`, ...); and every
//!   relocation LLVM lists is annotated with its symbol. Run on the objects of
//!   `bpf-src/`, on `tests/disasm/every-insn.c` (every instruction form clang can
//!   assemble) and on the shared corpus.
//! * **The verifier** (root): `every-insn.c`'s programs and a hand-built one for the
//!   forms LLVM 19 cannot assemble (load-acquire, store-release) are loaded with a
//!   verifier log, which prints each instruction in the kernel's own notation; our
//!   text must equal it exactly.
//! * **bpftool** (root): the programs of `bpf-src/` are loaded, and
//!   `bpftool prog dump xlated` of what the kernel made of them must equal our
//!   disassembly of the same translated instructions, line by line.
//!
//! Without clang, LLVM, bpftool or root these tests skip with a printed reason,
//! unless `RTC_REQUIRE_PRIVILEGED=1` turns the skip into a failure.

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::Command;

use bpf_sys::Insn;
use elf_loader::disasm::{Annotations, Op, Options, Origin, disassemble, object_annotations};
use elf_loader::{LoadOptions, NoObserver, Object, Program};
use rtc_tests::{
    Target, TempDir, bpf_src_objects, build_object, corpus_objects, require_root, require_tools,
};

const OBJDUMP: &str = "llvm-objdump-19";

// ---------------------------------------------------------------------------
// Test plumbing (skipping, building, the corpus: see `rtc_tests`)

/// `tests/disasm/every-insn.c` built with clang-19 for -mcpu=v4 (in a directory
/// that lives as long as the returned guard).
fn every_insn_object() -> Option<(TempDir, PathBuf)> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/disasm/every-insn.c");
    build_object(&source, Target::Host, &["-mcpu=v4"])
}

fn parse(path: &Path) -> Object {
    Object::parse(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Programs and `.text` functions of an object.
fn functions(object: &Object) -> impl Iterator<Item = &Program> {
    object.programs().iter().chain(object.subprograms())
}

// ---------------------------------------------------------------------------
// Normalising LLVM's and the kernel's notations to one form

/// Rewrites an instruction (in LLVM's or the kernel's notation) to a common form:
/// no `<symbol+off>` target labels, no helper names, `goto +N` for `goto pc+N`,
/// LLVM's atomic spellings as the kernel's, registers of atomics as `rN`, every
/// number in decimal (32-bit and 64-bit two's complement shown negative), no spaces.
fn canonical(text: &str) -> String {
    let mut s = text.to_string();
    if let Some(at) = s.find(" <") {
        s.truncate(at);
    }
    // `call bpf_map_lookup_elem#1`, `call kernel-function#-1` -> `call 1`, `call -1`.
    if let Some(rest) = s.strip_prefix("call ") {
        if let Some((_, number)) = rest.rsplit_once('#') {
            s = format!("call {number}");
        }
    }
    // A bpf-to-bpf call forward: ours `call pc+2`, LLVM's `call 0x2`.
    if let Some(rest) = s.strip_prefix("call pc+") {
        s = format!("call {rest}");
    }
    for (kernel, plain) in [("pc+", "+"), ("pc-", "-"), ("atomic64_", "atomic_")] {
        s = s.replace(kernel, plain);
    }
    // LLVM: `r0 = cmpxchg_64(r10 - 0x8, r0, r1)`, `w1 = xchg32_32(r10 - 0x10, w1)`.
    for (llvm, kernel) in [
        ("cmpxchg_64(", "atomic_cmpxchg((u64 *)("),
        ("cmpxchg32_32(", "atomic_cmpxchg((u32 *)("),
        ("xchg_64(", "atomic_xchg((u64 *)("),
        ("xchg32_32(", "atomic_xchg((u32 *)("),
    ] {
        if let Some(at) = s.find(llvm) {
            if !s[..at].ends_with("atomic_") && !s[..at].ends_with("atomic_cmp") {
                let after = at + kernel.len();
                s.replace_range(at..at + llvm.len(), kernel);
                if let Some(comma) = s[after..].find(',') {
                    s.insert(after + comma, ')');
                }
            }
        }
    }
    // The kernel names the registers of memory accesses `rN` whatever their width;
    // LLVM (with 32-bit subregisters) writes `wN` for 32-bit ones.
    if s.contains(" *)") {
        s = rename_w_registers(&s);
    }
    // LLVM prints a legacy indirect load without its (zero) immediate.
    s = s.replace(" + 0]", "]");
    normalise_numbers(&s).replace(' ', "")
}

fn rename_w_registers(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let starts_word = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        let next_is_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        out.push(if c == 'w' && starts_word && next_is_digit {
            'r'
        } else {
            c
        });
    }
    out
}

/// Every number not part of a name (`r10`, `u32`, `be16`) in decimal.
fn normalise_numbers(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let in_word = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if c.is_ascii_digit() && !in_word {
            let (value, len) = if s[i..].starts_with("0x") {
                let digits = s[i + 2..].bytes().take_while(u8::is_ascii_hexdigit).count();
                (
                    i128::from_str_radix(&s[i + 2..i + 2 + digits], 16).unwrap(),
                    2 + digits,
                )
            } else {
                let digits = s[i..].bytes().take_while(u8::is_ascii_digit).count();
                (s[i..i + digits].parse::<i128>().unwrap(), digits)
            };
            let value = if value > i128::from(i64::MAX) {
                value - (1i128 << 64)
            } else if (0x8000_0000..=0xffff_ffff).contains(&value) {
                value - (1i128 << 32)
            } else {
                value
            };
            // A negative value after an explicit sign reads as that sign applied.
            if value < 0 && out.ends_with('+') {
                out.pop();
            }
            out.push_str(&value.to_string());
            i += len;
        } else {
            out.push(c as char);
            i += 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------
// LLVM

/// What `llvm-objdump -d -r` says about an object.
#[derive(Default)]
struct LlvmView {
    /// (section, instruction index in the section) -> instruction text.
    insns: BTreeMap<(String, usize), String>,
    /// (section, instruction index) -> symbol names of relocations there.
    relocations: BTreeMap<(String, usize), Vec<String>>,
    /// (section, instruction index) -> kinds of CO-RE relocations there
    /// (`byte_off`, ...), which LLVM lists from `.BTF.ext`.
    core_relocations: BTreeMap<(String, usize), Vec<String>>,
}

fn llvm_view(path: &Path) -> LlvmView {
    let out = Command::new(OBJDUMP)
        .args(["-d", "-r", "--no-show-raw-insn", "--mcpu=v4"])
        .arg(path)
        .output()
        .expect("run llvm-objdump");
    assert!(
        out.status.success(),
        "{OBJDUMP} failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut view = LlvmView::default();
    let mut section = String::new();
    for line in text.lines() {
        if let Some(name) = line
            .strip_prefix("Disassembly of section ")
            .and_then(|r| r.strip_suffix(':'))
        {
            section = name.to_string();
        } else if let Some(rest) = line.strip_prefix("\t\t") {
            // `\t\t0000000000000020:  R_BPF_64_64\tpackets`
            // Or `\t\t0000000000000008:  CO-RE <byte_off> [4] struct s::f (0:0)`.
            let Some((offset, reloc)) = rest.split_once(':') else {
                continue;
            };
            let offset = u64::from_str_radix(offset.trim(), 16).unwrap();
            if let Some(core) = reloc.trim_start().strip_prefix("CO-RE <") {
                let kind = core.split('>').next().unwrap().to_string();
                view.core_relocations
                    .entry((section.clone(), (offset / 8) as usize))
                    .or_default()
                    .push(kind);
                continue;
            }
            let symbol = reloc.split('\t').nth(1).unwrap_or("").trim().to_string();
            view.relocations
                .entry((section.clone(), (offset / 8) as usize))
                .or_default()
                .push(symbol);
        } else if let Some((index, insn)) = line.split_once(":\t") {
            if let Ok(index) = index.trim().parse::<usize>() {
                view.insns
                    .insert((section.clone(), index), insn.trim().to_string());
            }
        }
    }
    view
}

/// Compares our disassembly of every function of `path` with LLVM's, and our
/// relocation notes with LLVM's relocation list. Returns (instructions compared,
/// relocations compared).
fn check_against_llvm(path: &Path, object: &Object) -> (usize, usize) {
    let view = llvm_view(path);
    let mut compared = 0;
    let mut relocations = 0;
    for program in functions(object) {
        let annotations = object_annotations(object, program);
        let listing = disassemble(&program.insns, &Options::default(), &annotations);
        assert_eq!(listing.unknown_count(), 0, "{}", path.display());
        for line in &listing.lines {
            let key = (program.section.clone(), program.first_insn() + line.index);
            let theirs = view.insns.get(&key).unwrap_or_else(|| {
                panic!("{}: LLVM has no instruction at {key:?}", path.display())
            });
            assert_eq!(
                canonical(&line.text),
                canonical(theirs),
                "{}: {key:?}: ours `{}`, LLVM's `{theirs}`",
                path.display(),
                line.text
            );
            compared += 1;
            for symbol in view.relocations.get(&key).into_iter().flatten() {
                let notes = annotations.notes_of(line.index);
                // A section symbol (a `static` map or function) is named by what
                // lies at the offset; any other by its own name.
                let named = object.section(symbol).is_some() && !notes.is_empty();
                assert!(
                    named || notes.iter().any(|n| n.contains(symbol.as_str())),
                    "{}: {key:?}: relocation against `{symbol}` not in notes {notes:?}",
                    path.display()
                );
                relocations += 1;
            }
            for kind in view.core_relocations.get(&key).into_iter().flatten() {
                let notes = annotations.notes_of(line.index);
                let wanted = format!("CO-RE {kind} ");
                assert!(
                    notes.iter().any(|n| n.starts_with(&wanted)),
                    "{}: {key:?}: CO-RE relocation `{kind}` not in notes {notes:?}",
                    path.display()
                );
                relocations += 1;
            }
        }
    }
    (compared, relocations)
}

#[test]
fn llvm_decodes_every_insn_c_the_same() {
    if !require_tools(&[OBJDUMP]) {
        return;
    }
    let Some((_dir, path)) = every_insn_object() else {
        return;
    };
    let object = parse(&path);
    let (insns, relocs) = check_against_llvm(&path, &object);
    eprintln!("every-insn.o: {insns} instructions and {relocs} relocations agree with LLVM");
    assert!(insns > 150 && relocs >= 1);
}

#[test]
fn llvm_decodes_bpf_src_the_same() {
    if !require_tools(&[OBJDUMP]) {
        return;
    }
    let Some((_dir, objects)) = bpf_src_objects() else {
        return;
    };
    for path in objects {
        let object = parse(&path);
        let (insns, relocs) = check_against_llvm(&path, &object);
        eprintln!(
            "{}: {insns} instructions and {relocs} relocations agree with LLVM",
            path.file_name().unwrap().to_string_lossy()
        );
        assert!(insns > 0);
    }
}

/// Every program of every corpus object disassembles without an unknown opcode
/// (they are all valid code, whatever else is wrong with some of the objects) and
/// agrees with LLVM.
#[test]
fn corpus_disassembles_and_agrees_with_llvm() {
    let Some(files) = corpus_objects() else {
        return;
    };
    let llvm = require_tools(&[OBJDUMP]);
    let mut total = 0;
    let mut unparsed = Vec::new();
    for path in &files {
        let Ok(object) = Object::parse(&std::fs::read(path).unwrap()) else {
            unparsed.push(path.file_name().unwrap().to_string_lossy().to_string());
            continue;
        };
        for program in functions(&object) {
            let listing = disassemble(
                &program.insns,
                &Options::default(),
                &object_annotations(&object, program),
            );
            assert_eq!(
                listing.unknown_count(),
                0,
                "{} [{}] {}:\n{listing}",
                path.display(),
                program.section,
                program.name
            );
            total += listing.lines.len();
        }
        if llvm {
            check_against_llvm(path, &object);
        }
    }
    eprintln!(
        "corpus: {total} instructions in {} objects; not parsed (nothing to disassemble): {unparsed:?}",
        files.len() - unparsed.len()
    );
    assert!(total > 0);
}

// ---------------------------------------------------------------------------
// The kernel

fn privileged() -> bool {
    require_root("BPF_PROG_LOAD needs CAP_BPF")
}

/// The instruction lines of a verifier log (`12: (bf) r6 = r1  ; R1=ctx() ...`), by
/// index: the text before the register-state comment. An instruction visited more
/// than once must read the same each time.
fn verifier_insns(log: &str) -> BTreeMap<usize, String> {
    let mut insns = BTreeMap::new();
    for line in log.lines() {
        let Some((index, rest)) = line.split_once(": (") else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        let text = format!("({}", rest.split(';').next().unwrap().trim_end());
        if let Some(seen) = insns.insert(index, text.clone()) {
            assert_eq!(seen, text, "instruction {index} printed two ways");
        }
    }
    insns
}

/// Loads `insns` as a tc program with a verifier log and compares every instruction
/// the verifier printed with our text for it. Returns how many were compared.
fn check_against_verifier(name: &str, insns: &[Insn]) -> usize {
    let loaded = bpf_sys::prog_load(&bpf_sys::ProgLoadAttr {
        prog_type: bpf_sys::consts::prog_type::SCHED_CLS,
        insns,
        license: "GPL",
        name,
        // Level 2: every instruction is printed as the verifier walks it.
        log_level: 2,
        ..Default::default()
    })
    .unwrap_or_else(|e| {
        panic!(
            "{name}: the verifier refused the test program: {e}\n{}",
            e.verifier_log().unwrap_or("")
        )
    });
    let printed = verifier_insns(&loaded.log);
    let listing = disassemble(insns, &Options::default(), &Annotations::new());
    let mut compared = 0;
    for line in &listing.lines {
        let ours = line.kernel_text();
        // Our one departure: a plain 64-bit immediate ends in ` ll`.
        let ours = ours.strip_suffix(" ll").unwrap_or(&ours);
        let theirs = printed.get(&line.index).unwrap_or_else(|| {
            panic!(
                "{name}: the verifier did not print instruction {}:\n{}",
                line.index, loaded.log
            )
        });
        assert_eq!(ours, theirs, "{name}: instruction {}", line.index);
        compared += 1;
    }
    compared
}

#[test]
fn the_verifier_prints_every_insn_c_as_we_do() {
    if !privileged() {
        return;
    }
    let Some((_dir, path)) = every_insn_object() else {
        return;
    };
    let object = parse(&path);
    let every = object.find_program("tc", Some("every_insn")).unwrap();
    let n = check_against_verifier("every_insn", &every.insns);

    // `calls` calls a function of .text: link it in behind the program, as a loader
    // does, and point the call at it.
    let calls = object.find_program("tc", Some("calls")).unwrap();
    let subprog = &object.subprograms()[0];
    let mut linked = calls.insns.clone();
    linked.extend(&subprog.insns);
    let reloc = &calls.relocations[0];
    let callee = calls.insns.len() + subprog.first_insn();
    linked[reloc.insn_index].set_src_reg(bpf_sys::consts::BPF_PSEUDO_CALL);
    linked[reloc.insn_index].imm = callee as i32 - reloc.insn_index as i32 - 1;
    let m = check_against_verifier("calls", &linked);
    eprintln!(
        "every-insn.o: {} instructions read as the verifier prints them",
        n + m
    );
}

/// Forms LLVM 19 cannot assemble, built by hand: load-acquire and store-release of
/// every size.
#[test]
fn the_verifier_prints_acquire_and_release_as_we_do() {
    if !privileged() {
        return;
    }
    const ACQUIRE: i32 = 0x100;
    const RELEASE: i32 = 0x110;
    let mut insns = vec![
        Insn::new(0xb7, 1, 0, 0, 7),   // r1 = 7
        Insn::new(0x7b, 10, 1, -8, 0), // *(u64 *)(r10 -8) = r1
    ];
    for size in [0x18u8, 0x00, 0x08, 0x10] {
        insns.push(Insn::new(0xc3 | size, 2, 10, -8, ACQUIRE));
        insns.push(Insn::new(0xc3 | size, 10, 1, -8, RELEASE));
    }
    insns.push(Insn::new(0xb7, 0, 0, 0, 0)); // r0 = 0
    insns.push(Insn::new(0x95, 0, 0, 0, 0)); // exit
    let n = check_against_verifier("acq_rel", &insns);
    assert_eq!(n, insns.len());
}

/// What `bpftool -j prog dump xlated id ID opcodes` (and `... linum`) show of a
/// program.
struct Xlated {
    /// The translated instructions.
    insns: Vec<Insn>,
    /// bpftool's text for each line.
    texts: Vec<String>,
    /// The source lines the kernel kept from the line_info it was given:
    /// (line, column, text with leading blanks trimmed).
    sources: BTreeSet<(u64, u64, String)>,
}

fn bpftool_xlated(id: u32) -> Option<Xlated> {
    // bpftool takes one of `opcodes` and `linum` at a time.
    let dump = |option: &str| -> Option<serde_json::Value> {
        let out = Command::new("bpftool")
            .args([
                "-j",
                "prog",
                "dump",
                "xlated",
                "id",
                &id.to_string(),
                option,
            ])
            .output()
            .ok()?;
        assert!(
            out.status.success(),
            "bpftool: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(serde_json::from_slice(&out.stdout).unwrap())
    };
    let lines = dump("opcodes")?;
    let mut sources = BTreeSet::new();
    for line in dump("linum")?.as_array().unwrap() {
        if let Some(src) = line["src"].as_str() {
            // bpftool leaves out a column of 0.
            let line_num = line["line_num"]
                .as_u64()
                .unwrap_or_else(|| panic!("bpftool gave no line_num in {line}"));
            let line_col = line["line_col"].as_u64().unwrap_or(0);
            sources.insert((line_num, line_col, src.trim_start().to_string()));
        }
    }
    let mut insns = Vec::new();
    let mut texts = Vec::new();
    for line in lines.as_array().unwrap() {
        texts.push(line["disasm"].as_str().unwrap().to_string());
        let op = &line["opcodes"];
        let hex = |v: &serde_json::Value| {
            u8::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
        };
        let bytes =
            |v: &serde_json::Value| -> Vec<u8> { v.as_array().unwrap().iter().map(hex).collect() };
        let code = hex(&op["code"]);
        let regs = hex(&op["dst_reg"]) | (hex(&op["src_reg"]) << 4);
        let off = bytes(&op["off"]);
        let imm = bytes(&op["imm"]);
        let mut raw = [code, regs, off[0], off[1], imm[0], imm[1], imm[2], imm[3]];
        insns.push(Insn::from_le_bytes(raw));
        // An ld_imm64 carries the whole second instruction after its immediate.
        if imm.len() == 12 {
            raw.copy_from_slice(&imm[4..12]);
            insns.push(Insn::from_le_bytes(raw));
        }
    }
    Some(Xlated {
        insns,
        texts,
        sources,
    })
}

/// bpftool names calls from /proc/kallsyms: a helper call's translated immediate is
/// an address offset (`call bpf_map_lookup_elem#123456` for us is
/// `call unknown#123456`), and a JIT-compiled bpf-to-bpf call gets the callee's
/// symbol (`call pc+1#bpf_prog_TAG_name`). Compare calls without the names.
fn without_call_name(text: &str) -> String {
    match text.split_once("call ") {
        Some((head, target)) if target.starts_with("pc") => {
            format!("{head}call {}", target.split('#').next().unwrap())
        }
        Some((head, target)) if target.contains('#') => {
            format!("{head}call #{}", target.rsplit_once('#').unwrap().1)
        }
        _ => text.to_string(),
    }
}

/// How a kernel 6.1 disassembler (the one bpftool 7.1 carries) prints an instruction
/// whose notation came later: the per-CPU address move (6.10) and the sign-extending
/// move (6.6) read as a plain `rD = rS`, their `off` ignored.
fn older_bpftool_text(line: &elf_loader::disasm::Line) -> Option<String> {
    match line.op {
        Op::PercpuAddr | Op::AddrSpaceCast | Op::MovSx { wide: true, .. } => Some(format!(
            "({:02x}) r{} = r{}",
            line.insn.code,
            line.insn.dst_reg(),
            line.insn.src_reg()
        )),
        _ => None,
    }
}

#[test]
fn bpftool_dumps_the_translated_bpf_src_programs_as_we_do() {
    if !privileged() {
        return;
    }
    if !require_tools(&["bpftool"]) {
        return;
    }
    let Some((_dir, objects)) = bpf_src_objects() else {
        return;
    };
    let mut programs = 0;
    let mut lines = 0;
    let mut same_as_object = 0;
    let mut rejected = Vec::new();
    let mut newer_than_bpftool = 0;
    let mut source_lines = 0;
    for path in objects {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let object = parse(&path);
        if object.maps().iter().any(|m| m.def.pinning != 0) {
            // Loading would pin maps in /sys/fs/bpf: not this test's business.
            continue;
        }
        for program in object.programs() {
            let prog_type = if program.section.starts_with("xdp") || file.starts_with("xdp") {
                elf_loader::ProgType::XDP
            } else {
                elf_loader::ProgType::SCHED_CLS
            };
            let loaded = match elf_loader::load(
                &object,
                &program.section,
                Some(&program.name),
                &LoadOptions::new(prog_type),
                &NoObserver,
            ) {
                Ok(loaded) => loaded,
                // Some examples exist to show a rejection: nothing translated to dump.
                Err(e) if e.verifier_log().is_some() => {
                    rejected.push(format!("{file} [{}]", program.section));
                    continue;
                }
                Err(e) => panic!("{file} [{}]: {e}", program.section),
            };
            let id = bpf_sys::prog_info(loaded.fd.as_fd()).unwrap().id;
            let Xlated {
                insns: xlated,
                texts,
                sources,
            } = bpftool_xlated(id).unwrap();
            let options = Options {
                origin: Origin::Kernel,
                ..Options::default()
            };
            let listing = disassemble(&xlated, &options, &Annotations::new());
            assert_eq!(listing.lines.len(), texts.len(), "{file}: line count");
            for (line, theirs) in listing.lines.iter().zip(&texts) {
                let ours = line.kernel_text();
                let ours = ours.strip_suffix(" ll").unwrap_or(&ours);
                let ours = match older_bpftool_text(line) {
                    // bpftool 7.1 carries the kernel 6.1 disassembler, which predates
                    // some forms the kernel now inserts; it prints them the old way.
                    Some(old) if old == *theirs => {
                        newer_than_bpftool += 1;
                        old
                    }
                    _ => ours.to_string(),
                };
                assert_eq!(
                    without_call_name(&ours),
                    without_call_name(theirs),
                    "{file} [{}] translated instruction {}",
                    program.section,
                    line.index
                );
                lines += 1;
            }
            // Where the kernel kept an instruction as it was loaded (it rewrites
            // context accesses, inlines helpers, swaps map fds for ids), the text
            // from the object's own stream is the same too.
            let original = disassemble(&loaded.insns, &Options::default(), &Annotations::new());
            for (ours, kernel) in original.lines.iter().zip(&listing.lines) {
                if ours.insn == kernel.insn && ours.second == kernel.second {
                    assert_eq!(ours.text, kernel.text);
                    same_as_object += 1;
                }
            }
            // The source lines we read from .BTF.ext are lines the kernel reports
            // for the program (it has them from the loader's line_info).
            let annotations = object_annotations(&object, program);
            for index in 0..program.insns.len() {
                if let Some(line) = annotations.source_of(index) {
                    let ours = (
                        u64::from(line.line),
                        u64::from(line.column),
                        line.text.trim_start().to_string(),
                    );
                    assert!(
                        sources.contains(&ours),
                        "{file} [{}]: source line {ours:?} of instruction {index} not in \
                         bpftool's {sources:?}",
                        program.section
                    );
                    source_lines += 1;
                }
            }
            programs += 1;
        }
    }
    eprintln!(
        "bpf-src: {programs} programs, {lines} translated instructions as bpftool prints them \
         ({same_as_object} unchanged from the object, {newer_than_bpftool} in a notation newer \
         than bpftool's), {source_lines} source lines as the kernel reports them; rejected by \
         the verifier: {rejected:?}"
    );
    assert!(programs > 0 && lines > 0);
}

// ---------------------------------------------------------------------------
// The normaliser itself

#[test]
fn canonical_forms_meet() {
    for (kernel, llvm) in [
        ("r1 = *(u32 *)(r1 +76)", "r1 = *(u32 *)(r1 + 0x4c)"),
        ("*(u64 *)(r10 -8) = r1", "*(u64 *)(r10 - 0x8) = r1"),
        (
            "if r0 == 0x0 goto pc+2",
            "if r0 == 0x0 goto +0x2 <count+0x50>",
        ),
        ("if w1 s>= 0xffffffff goto pc+0", "if w1 s>= -0x1 goto +0x0"),
        ("r5 = 0xffffffffffffffff ll", "r5 = -0x1 ll"),
        ("call bpf_ktime_get_ns#5", "call 0x5"),
        ("call pc-1", "call -0x1"),
        (
            "r1 = atomic64_xchg((u64 *)(r10 -8), r1)",
            "r1 = xchg_64(r10 - 0x8, r1)",
        ),
        (
            "r0 = atomic_cmpxchg((u32 *)(r10 -16), r0, r1)",
            "w0 = cmpxchg32_32(r10 - 0x10, w0, w1)",
        ),
        (
            "lock *(u32 *)(r10 -16) += r1",
            "lock *(u32 *)(r10 - 0x10) += w1",
        ),
        ("r0 = *(u8 *)skb[r7 + 0]", "r0 = *(u8 *)skb[r7]"),
    ] {
        assert_eq!(canonical(kernel), canonical(llvm), "{kernel} / {llvm}");
    }
    assert_ne!(canonical("r1 = 5"), canonical("r1 = 6"));
    assert_ne!(canonical("r10 = 1"), canonical("r1 = 1"));
}
