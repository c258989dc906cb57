//! Replays inputs kept from fuzzing (`tests/fuzz-regressions/`, one file per input)
//! through what the fuzz target exercises: parsing, then for every program the
//! linking and relocation with stand-in fds, and the load plan. Each must finish
//! without panicking; a crash the fuzzer finds is saved there so it stays fixed.
//!
//! The fuzz target itself lives in `fuzz/` (cargo-fuzz, nightly); see the README's
//! "Fuzzing" section for the command.

use std::path::Path;

use elf_loader::{NoObserver, Object, plan_load, reloc};

/// What the fuzz target runs on one input.
fn exercise(data: &[u8]) {
    let Ok(object) = Object::parse(data) else {
        return;
    };
    for program in object.programs() {
        let _ = reloc::referenced_maps(&object, program);
        let _ = reloc::relocate(&object, program, |i| Some(100 + i as i32), &NoObserver);
    }
    for section in object.program_sections() {
        let _ = object.find_program(&section, None);
        let _ = plan_load(&object, &section, None);
    }
    if let Some(btf) = object.btf() {
        for (id, _) in btf.types() {
            let _ = btf.resolve_size(id);
            let _ = btf.type_name(id);
        }
    }
}

#[test]
fn saved_fuzz_inputs_do_not_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/fuzz-regressions exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        exercise(&std::fs::read(&path).unwrap());
        count += 1;
    }
    println!("{count} saved fuzz inputs replayed without a panic");
}
