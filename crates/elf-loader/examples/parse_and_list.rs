//! Parses a BPF object file and lists its programs and maps, without any system
//! call beyond reading the file (no root needed):
//!
//! ```sh
//! cargo run -p rtc-elf-loader --example parse_and_list -- target/bpf/drop-arp.o
//! ```

use elf_loader::Object;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: parse_and_list FILE.o")?;
    let object = Object::parse(&std::fs::read(&path)?)?;
    println!("{path}: license {:?}", object.license().unwrap_or("(none)"));
    for program in object.programs() {
        let insns = program.insns.len();
        println!(
            "program {} in section {} ({insns} insns)",
            program.name, program.section
        );
    }
    for map in object.maps() {
        let def = &map.def;
        println!(
            "map {}: type {} key {}B value {}B max_entries {} ({:?})",
            map.name, def.map_type, def.key_size, def.value_size, def.max_entries, map.source
        );
    }
    Ok(())
}
