//! Fuzz target: any bytes through `Object::parse`, and for every program found, the
//! whole relocation path with stand-in map fds (subprograms appended, map and global
//! variable references) and the load plan (tail calls, initial values, maps-in-maps,
//! func/line info records). Nothing may panic, loop without bound or allocate beyond
//! what the input justifies.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    elf_loader_fuzz_check(data);
});

fn elf_loader_fuzz_check(data: &[u8]) {
    let Ok(object) = elf_loader::Object::parse(data) else {
        return;
    };
    for program in object.programs() {
        let _ = elf_loader::reloc::referenced_maps(&object, program);
        let _ = elf_loader::reloc::relocate(
            &object,
            program,
            |index| Some(100 + index as i32),
            &elf_loader::NoObserver,
        );
    }
    for section in object.program_sections() {
        let _ = object.find_program(&section, None);
        // Everything a load decides before its first syscall: tail calls, initial
        // values, maps-in-maps, func/line info.
        let _ = elf_loader::plan_load(&object, &section, None);
    }
    if let Some(btf) = object.btf() {
        for (id, _) in btf.types() {
            let _ = btf.resolve_size(id);
            let _ = btf.type_name(id);
        }
    }
}
