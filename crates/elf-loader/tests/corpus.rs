//! Every object of the shared corpus (`../shared/corpus`, public BPF objects this
//! project did not write) parses without panicking: either it parses, and then LLVM's
//! reading of the file agrees with ours, or the error names the problem. Prints a table
//! (file -> programs / error) that can be quoted.

mod common;

use std::path::PathBuf;

use common::{check_against_llvm, corpus_dir, llvm_available, require_everything};
use elf_loader::reloc::relocate;
use elf_loader::{ByteOrder, NoObserver, Object, SectionRole};

fn corpus_files() -> Option<Vec<PathBuf>> {
    let dir = corpus_dir();
    if !dir.is_dir() {
        let reason = format!("corpus directory {} is missing", dir.display());
        assert!(
            !require_everything(),
            "RTC_REQUIRE_PRIVILEGED=1 but {reason}"
        );
        eprintln!("skipped: {reason}");
        return None;
    }
    let mut files = Vec::new();
    let mut pending = vec![dir];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "elf" || e == "o") {
                files.push(path);
            }
        }
    }
    files.sort();
    Some(files)
}

/// What else the object holds that this loader does not load yet.
fn pending_features(object: &Object) -> Vec<&'static str> {
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
    if !object.externs().is_empty() {
        notes.push("externs");
    }
    notes
}

/// Relocates every program with stand-in map fds: how many succeed, and the first
/// refusal's message (each must be a clear "not supported yet"-style error).
fn try_relocation(object: &Object) -> (usize, Option<String>) {
    let mut ok = 0;
    let mut first = None;
    for program in object.programs() {
        match relocate(object, program, |i| Some(1000 + i as i32), &NoObserver) {
            Ok(insns) => {
                assert_eq!(insns.len(), program.insns.len());
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
        let name = path
            .strip_prefix(&dir)
            .unwrap_or(path)
            .display()
            .to_string();
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
                let notes = pending_features(&object);
                let (relocatable, first_refusal) = try_relocation(&object);
                if let Some(reason) = &first_refusal {
                    refusals.push(format!("{name}: {reason}"));
                }
                rows.push(format!(
                    "{name:45} ok  {order} {:2} programs ({:2} relocatable) {:2} legacy maps{}",
                    object.programs().len(),
                    relocatable,
                    object.maps().len(),
                    if notes.is_empty() {
                        String::new()
                    } else {
                        format!("  (not loaded yet: {})", notes.join(", "))
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
                assert_eq!(le.maps(), be.maps(), "{}", le_path.display());
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
