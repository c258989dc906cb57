//! Global variables and constants: each non-empty `.data`, `.rodata`, `.bss` section
//! (and their `.data.NAME`-style variants) becomes an array map with one entry whose
//! value is the whole section, as libbpf does. The program reaches a variable through
//! an `ld_imm64` rewritten to `BPF_PSEUDO_MAP_VALUE`: the map's fd and the variable's
//! offset in the value.
//!
//! The map starts with the section's bytes (`.bss` starts zeroed, as the kernel
//! creates it). `.rodata` is read-only for programs (`BPF_F_RDONLY_PROG`) and frozen
//! once filled, so the verifier knows its values: a `const volatile` setting then
//! removes the code it disables. Every such map is `BPF_F_MMAPABLE`, as with libbpf.

use object::elf;

use crate::btf::{Btf, BtfKind};
use crate::error::ParseError;
use crate::maps::{Map, MapDef, MapSource};
use crate::section::Section;

/// `BPF_MAP_TYPE_ARRAY`.
const ARRAY: u32 = 2;

/// A global data section as found in the file.
pub(crate) struct DataSection<'a> {
    /// The section.
    pub section: &'a Section,
    /// Its `sh_type` (`SHT_NOBITS` for `.bss`).
    pub sh_type: u32,
    /// Its bytes (empty for `SHT_NOBITS`).
    pub bytes: &'a [u8],
}

/// The map for one data section, or `None` for an empty section.
pub(crate) fn data_map(
    data: &DataSection<'_>,
    btf: Option<&Btf>,
) -> Result<Option<Map>, ParseError> {
    let section = data.section;
    if section.size == 0 {
        return Ok(None);
    }
    let fail = |reason: String| ParseError::GlobalData {
        section: section.name.clone(),
        reason,
    };
    let value_size = u32::try_from(section.size)
        .map_err(|_| fail(format!("{} bytes do not fit in a map value", section.size)))?;
    let initial_data = if data.sh_type == elf::SHT_NOBITS.0 {
        None
    } else if data.bytes.len() as u64 == section.size {
        Some(data.bytes.to_vec())
    } else {
        return Err(fail(format!(
            "section header says {} bytes, the file holds {}",
            section.size,
            data.bytes.len()
        )));
    };
    let mut map = Map::new(
        section.name.clone(),
        MapDef {
            map_type: ARRAY,
            key_size: 4,
            value_size,
            max_entries: 1,
            ..MapDef::default()
        },
        MapSource::GlobalData {
            section_index: section.index,
        },
    );
    map.def.map_flags = if map.is_read_only_data() {
        bpf_sys::consts::BPF_F_RDONLY_PROG | bpf_sys::consts::BPF_F_MMAPABLE
    } else {
        bpf_sys::consts::BPF_F_MMAPABLE
    };
    map.value_type_id = btf
        .and_then(|btf| btf.find(BtfKind::Datasec, &section.name))
        .unwrap_or(0);
    map.initial_data = initial_data;
    Ok(Some(map))
}
