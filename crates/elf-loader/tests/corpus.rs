//! Every object of the vendored corpus (`tests/corpus`, public BPF objects this
//! project did not write) parses without panicking: either it parses, and then LLVM's
//! reading of the file agrees with ours, or the error names the problem. Prints a table
//! (file -> programs / error) that can be quoted. As root, every program of every
//! host-order object is also loaded into the kernel with the program type its
//! section implies, and the table says which load and why the others are refused.

mod common;

use std::path::PathBuf;

use bpf_sys::consts::prog_type;
use common::{check_against_llvm, llvm_available, maps_without_data, privileged};
use elf_loader::reloc::relocate;
use elf_loader::{
    ByteOrder, LoadError, LoadOptions, NoObserver, Object, PinOptions, ProgType, SectionRole,
};
use rtc_tests::{Bpffs, corpus_dir, corpus_name, corpus_objects as corpus_files};

/// What the object holds besides programs and legacy maps.
fn features(object: &Object) -> Vec<&'static str> {
    let mut notes = Vec::new();
    let has = |role: SectionRole| object.sections_with_role(&role).next().is_some();
    if has(SectionRole::BtfMaps) {
        notes.push(".maps");
    }
    if has(SectionRole::GlobalData) {
        notes.push("data");
    }
    if !object.subprograms().is_empty() {
        notes.push(".text");
    }
    if object.btf().is_some() {
        notes.push("BTF");
    }
    if !object.externs().is_empty() {
        notes.push("externs");
    }
    notes
}

/// Relocates every program with stand-in map fds: how many succeed, and the first
/// refusal's message (each must name the program).
fn try_relocation(object: &Object) -> (usize, Option<String>) {
    let mut ok = 0;
    let mut first = None;
    for program in object.programs() {
        match relocate(object, program, |i| Some(1000 + i as i32), &NoObserver) {
            Ok(insns) => {
                // The program first, then the functions it calls.
                assert_eq!(&insns[..0], &program.insns[..0]);
                assert!(insns.len() >= program.insns.len());
                ok += 1;
            }
            Err(e) => {
                let message = e.to_string();
                assert!(
                    message.contains(&format!("\"{}\"", program.name)),
                    "{message}"
                );
                first.get_or_insert(message);
            }
        }
    }
    (ok, first)
}

#[test]
fn every_corpus_object_parses_or_names_its_problem() {
    let Some(files) = corpus_files() else {
        return;
    };
    assert!(!files.is_empty(), "the corpus holds no objects");
    let check_llvm = llvm_available();
    let dir = corpus_dir();
    let mut rows = Vec::new();
    let mut refusals = Vec::new();
    let (mut parsed, mut refused) = (0, 0);
    for path in &files {
        let name = corpus_name(path);
        let bytes = std::fs::read(path).unwrap();
        match Object::parse(&bytes) {
            Ok(object) => {
                parsed += 1;
                if check_llvm {
                    check_against_llvm(path, &object);
                }
                let order = match object.byte_order() {
                    ByteOrder::Little => "le",
                    ByteOrder::Big => "be",
                };
                let notes = features(&object);
                let (relocatable, first_refusal) = try_relocation(&object);
                if let Some(reason) = &first_refusal {
                    refusals.push(format!("{name}: {reason}"));
                }
                rows.push(format!(
                    "{name:45} ok  {order} {:2} programs ({:2} relocatable) {:2} maps{}",
                    object.programs().len(),
                    relocatable,
                    object.maps().len(),
                    if notes.is_empty() {
                        String::new()
                    } else {
                        format!("  ({})", notes.join(", "))
                    }
                ));
            }
            Err(error) => {
                refused += 1;
                let message = error.to_string();
                assert!(!message.is_empty(), "{name}: empty error message");
                rows.push(format!("{name:45} ERR {message}"));
            }
        }
    }
    println!("corpus: {}", dir.display());
    for row in &rows {
        println!("{row}");
    }
    println!("first relocation refusal per object:");
    for refusal in &refusals {
        println!("  {refusal}");
    }
    println!(
        "{} objects: {parsed} parsed{}, {refused} refused with a message",
        files.len(),
        if check_llvm {
            " (all agreeing with llvm-readobj)"
        } else {
            ""
        }
    );
}

/// The corpus has each source built both ways (`-el`, `-eb`): both must decode to the
/// same programs and maps.
#[test]
fn corpus_pairs_decode_alike_in_both_byte_orders() {
    let Some(files) = corpus_files() else {
        return;
    };
    let mut pairs = 0;
    for le_path in files
        .iter()
        .filter(|p| p.to_string_lossy().ends_with("-el.elf"))
    {
        let be_path = PathBuf::from(le_path.to_string_lossy().replace("-el.elf", "-eb.elf"));
        if !be_path.exists() {
            continue;
        }
        let le = Object::parse(&std::fs::read(le_path).unwrap());
        let be = Object::parse(&std::fs::read(&be_path).unwrap());
        match (le, be) {
            (Ok(le), Ok(be)) => {
                assert_eq!(le.programs(), be.programs(), "{}", le_path.display());
                assert_eq!(le.subprograms(), be.subprograms(), "{}", le_path.display());
                // Global data bytes keep the object's byte order; all else must match.
                assert_eq!(
                    maps_without_data(&le),
                    maps_without_data(&be),
                    "{}",
                    le_path.display()
                );
                assert_eq!(le.license(), be.license(), "{}", le_path.display());
                pairs += 1;
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!(
                "{}: one byte order parses, the other does not: {:?} / {:?}",
                le_path.display(),
                a.err(),
                b.err()
            ),
        }
    }
    println!("{pairs} little/big-endian pairs decode to the same programs and maps");
}

/// The program type (and expected attach type) libbpf gives a section name; tc's
/// `SCHED_CLS` for names it does not know.
fn prog_type_for(section: &str) -> (u32, u32, &'static str) {
    let table: &[(&str, u32, u32, &str)] = &[
        ("socket", prog_type::SOCKET_FILTER, 0, "socket_filter"),
        ("kprobe/", prog_type::KPROBE, 0, "kprobe"),
        ("kretprobe/", prog_type::KPROBE, 0, "kprobe"),
        ("tracepoint/", prog_type::TRACEPOINT, 0, "tracepoint"),
        ("tp/", prog_type::TRACEPOINT, 0, "tracepoint"),
        ("raw_tracepoint/", 17, 0, "raw_tracepoint"),
        ("raw_tp/", 17, 0, "raw_tracepoint"),
        ("xdp", prog_type::XDP, 0, "xdp"),
        ("tc", prog_type::SCHED_CLS, 0, "sched_cls"),
        ("classifier", prog_type::SCHED_CLS, 0, "sched_cls"),
        ("action", prog_type::SCHED_ACT, 0, "sched_act"),
        // BPF_SK_LOOKUP = 36.
        ("sk_lookup", 30, 36, "sk_lookup"),
        // BPF_TRACE_FENTRY = 24, BPF_TRACE_FEXIT = 25, BPF_TRACE_RAW_TP = 23.
        ("fentry/", 26, 24, "tracing"),
        ("fexit/", 26, 25, "tracing"),
        ("tp_btf/", 26, 23, "tracing"),
        ("freplace/", 28, 0, "ext"),
        ("struct_ops", 27, 0, "struct_ops"),
    ];
    table
        .iter()
        .find(|(prefix, ..)| section == *prefix || section.starts_with(prefix))
        .map(|&(_, t, a, n)| (t, a, n))
        .unwrap_or((prog_type::SCHED_CLS, 0, "sched_cls (default)"))
}

/// A short reason for a refusal: the loader's error, and for the verifier its last
/// meaningful log line (not the statistics line).
fn refusal(error: &LoadError) -> String {
    let mut text = error.to_string();
    if let Some(last) = error.verifier_log().and_then(|log| {
        log.lines()
            .rev()
            .find(|l| !l.trim().is_empty() && !l.starts_with("processed "))
    }) {
        text.push_str(&format!(" [log: {}]", last.trim()));
    }
    text
}

#[test]
fn corpus_programs_load_into_the_kernel_or_say_why_not() {
    let Some(files) = corpus_files() else {
        return;
    };
    if !privileged() {
        return;
    }
    let dir = corpus_dir();
    let bpffs = Bpffs::new();
    let (mut loaded, mut refused) = (0, 0);
    let mut rows = Vec::new();
    for path in &files {
        let name = corpus_name(path);
        let bytes = std::fs::read(path).unwrap();
        let Ok(object) = Object::parse(&bytes) else {
            continue;
        };
        if object.byte_order() != ByteOrder::host() {
            continue;
        }
        for program in object.programs() {
            let (prog_type, attach, type_name) = prog_type_for(&program.section);
            let Some(prog_type) = ProgType::from_raw(prog_type) else {
                panic!("{name} [{}]: no program type", program.section);
            };
            let options = LoadOptions::new(prog_type)
                .with_expected_attach_type(attach)
                .with_pinning(PinOptions::new(bpffs.path()))
                .with_object_name(name.clone());
            let what = format!("{name} [{}] {}", program.section, program.name);
            match object.load(&program.section, Some(&program.name), &options, &NoObserver) {
                Ok(done) => {
                    loaded += 1;
                    let extras = if done.extra_programs.is_empty() {
                        String::new()
                    } else {
                        format!(", {} tail-call programs", done.extra_programs.len())
                    };
                    rows.push(format!(
                        "LOADED  {what} as {type_name}: {} maps{}{}",
                        done.maps.len(),
                        extras,
                        if done.with_btf {
                            ", with BTF lines"
                        } else {
                            ""
                        }
                    ));
                }
                Err(error) => {
                    refused += 1;
                    let reason = refusal(&error);
                    assert!(!reason.is_empty());
                    rows.push(format!("REFUSED {what} as {type_name}: {reason}"));
                }
            }
        }
    }
    println!(
        "corpus programs loaded into the kernel ({}):",
        dir.display()
    );
    for row in &rows {
        println!("  {row}");
    }
    println!("{loaded} programs loaded, {refused} refused with a reason");
    assert!(loaded > 0, "no corpus program loaded at all");
    // CO-RE, kconfig/ksym externs and kfuncs are loaded now: what is refused is
    // refused for a reason libbpf refuses it for too (the verifier, an extern the
    // kernel lacks or the object's BTF cannot describe, a reachable poisoned
    // relocation), or needs an attach target, never as "not supported".
    let unsupported: Vec<&String> = rows
        .iter()
        .filter(|r| r.starts_with("REFUSED") && r.contains("is not supported"))
        .collect();
    assert!(
        unsupported.is_empty(),
        "refused as unsupported: {unsupported:#?}"
    );
}
