//! Map definitions from the legacy `maps` section.
//!
//! Before BTF, a map was declared as a global struct in a section named `maps`:
//! libbpf's `struct bpf_map_def` (type, key_size, value_size, max_entries, map_flags:
//! five u32, 20 bytes) or iproute2's `struct bpf_elf_map` (those five, then id,
//! pinning, inner_id, inner_idx: nine u32, 36 bytes). Each map is named by its symbol
//! and starts at the symbol's offset.
//!
//! The size of a definition is the symbol's `st_size`, which clang always records.
//! Only for a symbol without one does the loader fall back on iproute2's rule (all
//! definitions the same size: the section size divided by the number of map symbols).
//! The symbol size matters for linked objects, whose `maps` section can hold
//! definitions that no symbol names any more, which breaks the division.

use crate::bytes::ByteOrder;
use crate::error::ParseError;
pub use crate::map_def::MapDef;
use crate::symbol::SymbolRef;

/// Smallest definition accepted: type, key size, value size, max entries.
pub const MIN_LEGACY_ENTRY_SIZE: u64 = 16;
/// Size of iproute2's `struct bpf_elf_map`, the largest layout this loader knows.
pub const BPF_ELF_MAP_SIZE: u64 = 36;

/// Where a map definition came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapSource {
    /// The legacy `maps` section.
    Legacy {
        /// Offset of the definition in the section.
        offset: u64,
        /// Size of every definition in the section, in bytes.
        entry_size: u64,
    },
    /// The BTF-defined `.maps` section.
    Btf {
        /// Offset of the map's symbol in `.maps`.
        offset: u64,
        /// Size of its definition struct.
        size: u64,
    },
    /// A global data section (`.data`, `.rodata`, `.bss` and their `.NAME` variants):
    /// one array map with one entry, the whole section.
    GlobalData {
        /// Index of the section.
        section_index: usize,
    },
}

/// How a map asks to be pinned in the bpffs (`iproute2`'s `pinning` field, or
/// libbpf's `__uint(pinning, LIBBPF_PIN_BY_NAME)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pinning {
    /// Not pinned: the map lives as long as its users.
    None,
    /// iproute2 `PIN_OBJECT_NS`: `<bpffs>/tc/<sha1 of the object>/<name>`.
    ObjectNs,
    /// iproute2 `PIN_GLOBAL_NS`, or libbpf `LIBBPF_PIN_BY_NAME`:
    /// `<bpffs>/tc/globals/<name>`.
    GlobalNs,
    /// An iproute2 custom pinning id, whose path comes from `/etc/iproute2/bpf_pinning`.
    Custom(u32),
}

/// What an initial value of a BTF-defined map-in-map or program array refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotTarget {
    /// Another map of `.maps`, by name (for a map-in-map).
    Map(String),
    /// A program, by function name (for a program array).
    Program(String),
}

/// One initial value of a BTF-defined map, from a relocation in `.maps`
/// (`.values = { [1] = &inner }`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitialSlot {
    /// The key (array index) to store at.
    pub index: u32,
    /// What to store there.
    pub target: SlotTarget,
}

/// A map declared by the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Map {
    /// Symbol name (or, for global data, the section name such as `.rodata`).
    pub name: String,
    /// Its definition.
    pub def: MapDef,
    /// Where the definition was found.
    pub source: MapSource,
    /// BTF type id of the key (0 when the key is not described by a type).
    pub key_type_id: u32,
    /// BTF type id of the value (0 when the value is not described by a type).
    pub value_type_id: u32,
    /// `map_extra` (bloom filter hash count, ...), from BTF-defined maps.
    pub map_extra: u64,
    /// For a BTF-defined map-in-map: the template its inner maps follow.
    pub inner: Option<Box<Map>>,
    /// Initial values from `.maps` relocations.
    pub initial_slots: Vec<InitialSlot>,
    /// For global data: the section's bytes, to store before any program runs (`None`
    /// for `.bss`, which the kernel zero-fills).
    pub initial_data: Option<Vec<u8>>,
}

impl Map {
    /// A map with this name, definition and source, and nothing else.
    pub fn new(name: impl Into<String>, def: MapDef, source: MapSource) -> Map {
        Map {
            name: name.into(),
            def,
            source,
            key_type_id: 0,
            value_type_id: 0,
            map_extra: 0,
            inner: None,
            initial_slots: Vec::new(),
            initial_data: None,
        }
    }

    /// How the map asks to be pinned.
    pub fn pinning(&self) -> Pinning {
        match (&self.source, self.def.pinning) {
            (_, 0) | (MapSource::GlobalData { .. }, _) => Pinning::None,
            (MapSource::Btf { .. }, _) => Pinning::GlobalNs,
            (MapSource::Legacy { .. }, 1) => Pinning::ObjectNs,
            (MapSource::Legacy { .. }, 2) => Pinning::GlobalNs,
            (MapSource::Legacy { .. }, other) => Pinning::Custom(other),
        }
    }

    /// True for global data that programs may only read (`.rodata*`): the map is
    /// frozen once filled, so the verifier can treat its contents as constants.
    pub fn is_read_only_data(&self) -> bool {
        matches!(self.source, MapSource::GlobalData { .. })
            && (self.name.starts_with(".rodata") || self.name == crate::section::KCONFIG_SECTION)
    }

    /// The name the kernel gets for this map (it keeps 15 bytes). Maps are named by
    /// their symbol; global data maps as libbpf names them: up to 8 bytes of the
    /// object's name (`object_name`, the file name up to its first dot) followed by
    /// the section name (`drop_arp.rodata`), or the section name alone for sections
    /// with a second dot (`.rodata.str1.1`). Characters the kernel refuses become `_`.
    pub fn kernel_name(&self, object_name: &str) -> String {
        if !matches!(self.source, MapSource::GlobalData { .. }) {
            return self.name.clone();
        }
        internal_map_name(object_name, &self.name)
    }
}

/// The kernel name libbpf gives an internal map (global data, `.kconfig`) whose
/// section is `real_name`: up to 15 bytes, the object's name cut so that at least 7
/// bytes (or all of `real_name`) remain for the section name (`drop_arp.rodata`,
/// `drop_ar.kconfig`), no prefix for names with a second dot (`.rodata.str1.1`);
/// characters the kernel refuses become `_`.
pub fn internal_map_name(object_name: &str, real_name: &str) -> String {
    let custom = real_name.get(1..).is_some_and(|rest| rest.contains('.'));
    let suffix_len = real_name.len().max(7);
    let prefix_len = if custom {
        0
    } else {
        15usize.saturating_sub(suffix_len).min(object_name.len())
    };
    let prefix: String = object_name.chars().take(prefix_len).collect();
    let full: String = format!("{prefix}{real_name}").chars().take(15).collect();
    full.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The name libbpf gives an object read from `path`: the file name up to its first dot.
pub fn object_name_of(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.split('.').next().unwrap_or(file)
}

/// Reads every definition of the `maps` section. `symbols` are the symbols defined in
/// that section (the caller keeps `OBJECT`/`NOTYPE` ones, not section symbols).
pub(crate) fn parse_legacy_maps(
    data: &[u8],
    order: ByteOrder,
    symbols: &[SymbolRef],
) -> Result<Vec<Map>, ParseError> {
    let size = data.len() as u64;
    if symbols.is_empty() {
        return if size == 0 {
            Ok(Vec::new())
        } else {
            Err(ParseError::MapSectionWithoutSymbols { size })
        };
    }
    let count = symbols.len();
    let shared_size = || {
        if size % count as u64 == 0 {
            Ok(size / count as u64)
        } else {
            Err(ParseError::MapSectionSize { size, count })
        }
    };

    let mut maps = Vec::with_capacity(count);
    for symbol in symbols {
        let entry_size = match symbol.size {
            0 => shared_size()?,
            known => known,
        };
        if entry_size < MIN_LEGACY_ENTRY_SIZE {
            return Err(ParseError::MapEntryTooSmall {
                map: symbol.name.clone(),
                entry_size,
            });
        }
        let out_of_bounds = || ParseError::MapOutOfBounds {
            map: symbol.name.clone(),
            offset: symbol.value,
            entry_size,
            section_size: size,
        };
        let end = symbol
            .value
            .checked_add(entry_size)
            .filter(|&end| end <= size)
            .ok_or_else(out_of_bounds)?;
        let entry = data
            .get(symbol.value as usize..end as usize)
            .ok_or_else(out_of_bounds)?;
        let known = BPF_ELF_MAP_SIZE.min(entry_size) as usize;
        let (fields, tail) = entry.split_at(known);
        if tail.iter().any(|&b| b != 0) {
            return Err(ParseError::MapEntryUnknownFields {
                map: symbol.name.clone(),
                entry_size,
            });
        }
        maps.push(Map::new(
            symbol.name.clone(),
            decode_def(fields, order),
            MapSource::Legacy {
                offset: symbol.value,
                entry_size,
            },
        ));
    }
    maps.sort_by_key(|map| match map.source {
        MapSource::Legacy { offset, .. } => offset,
        _ => 0,
    });
    Ok(maps)
}

/// Decodes up to nine u32 fields; missing bytes read as zero.
fn decode_def(fields: &[u8], order: ByteOrder) -> MapDef {
    let mut padded = [0u8; BPF_ELF_MAP_SIZE as usize];
    let n = fields.len().min(padded.len());
    padded[..n].copy_from_slice(&fields[..n]);
    let mut words = [0u32; 9];
    for (word, bytes) in words.iter_mut().zip(padded.chunks_exact(4)) {
        let bytes = [bytes[0], bytes[1], bytes[2], bytes[3]];
        *word = match order {
            ByteOrder::Little => u32::from_le_bytes(bytes),
            ByteOrder::Big => u32::from_be_bytes(bytes),
        };
    }
    let [
        map_type,
        key_size,
        value_size,
        max_entries,
        map_flags,
        id,
        pinning,
        inner_id,
        inner_idx,
    ] = words;
    MapDef {
        map_type,
        key_size,
        value_size,
        max_entries,
        map_flags,
        id,
        pinning,
        inner_id,
        inner_idx,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::section::SectionRole;
    use crate::symbol::{SymbolKind, SymbolSection};

    fn symbol(name: &str, value: u64) -> SymbolRef {
        SymbolRef {
            index: 1,
            name: name.to_string(),
            kind: SymbolKind::Object,
            section: SymbolSection::Defined {
                index: 3,
                name: "maps".to_string(),
                role: SectionRole::LegacyMaps,
            },
            value,
            size: 0,
            global: true,
            weak: false,
        }
    }

    fn words(values: &[u32], order: ByteOrder) -> Vec<u8> {
        values
            .iter()
            .flat_map(|v| match order {
                ByteOrder::Little => v.to_le_bytes(),
                ByteOrder::Big => v.to_be_bytes(),
            })
            .collect()
    }

    #[test]
    fn entry_size_comes_from_symbol_count() {
        for order in [ByteOrder::Little, ByteOrder::Big] {
            let data = words(&[2, 4, 8, 1, 0, 1, 4, 16, 64, 0], order);
            let maps = parse_legacy_maps(&data, order, &[symbol("b", 20), symbol("a", 0)]).unwrap();
            assert_eq!(maps.len(), 2);
            assert_eq!(maps[0].name, "a");
            assert_eq!(maps[0].def.map_type, 2);
            assert_eq!(maps[0].def.max_entries, 1);
            assert_eq!(maps[0].def.id, 0, "fields beyond a 20-byte entry are zero");
            assert_eq!(maps[1].def.map_type, 1);
            assert_eq!(maps[1].def.value_size, 16);
            assert_eq!(maps[1].def.max_entries, 64);
            assert_eq!(
                maps[1].source,
                MapSource::Legacy {
                    offset: 20,
                    entry_size: 20
                }
            );
        }
    }

    #[test]
    fn rejects_bad_layouts() {
        let data = words(&[1, 4, 4, 1, 0], ByteOrder::Little);
        assert!(matches!(
            parse_legacy_maps(&data, ByteOrder::Little, &[]),
            Err(ParseError::MapSectionWithoutSymbols { size: 20 })
        ));
        assert!(matches!(
            parse_legacy_maps(
                &data[..18],
                ByteOrder::Little,
                &[symbol("a", 0), symbol("b", 9)]
            ),
            Err(ParseError::MapEntryTooSmall { entry_size: 9, .. })
        ));
        assert!(matches!(
            parse_legacy_maps(
                &data[..19],
                ByteOrder::Little,
                &[symbol("a", 0), symbol("b", 9)]
            ),
            Err(ParseError::MapSectionSize { size: 19, count: 2 })
        ));
        for offset in [4, 20, u64::MAX] {
            assert!(matches!(
                parse_legacy_maps(&data, ByteOrder::Little, &[symbol("a", offset)]),
                Err(ParseError::MapOutOfBounds { .. })
            ));
        }
    }

    #[test]
    fn symbol_size_wins_over_the_division() {
        // Four 20-byte definitions, only the first and last still named (as in a
        // linked object): dividing 80 bytes by two symbols would give 40.
        let data = words(
            &[1, 4, 4, 1, 0, 2, 4, 8, 2, 0, 3, 4, 8, 3, 0, 4, 4, 8, 4, 0],
            ByteOrder::Little,
        );
        let mut first = symbol("first", 0);
        first.size = 20;
        let mut last = symbol("last", 60);
        last.size = 20;
        let maps = parse_legacy_maps(&data, ByteOrder::Little, &[first, last]).unwrap();
        assert_eq!(maps[0].def.map_type, 1);
        assert_eq!(maps[1].def.map_type, 4);
        assert_eq!(maps[1].def.max_entries, 4);
        assert_eq!(
            maps[1].source,
            MapSource::Legacy {
                offset: 60,
                entry_size: 20
            }
        );
    }

    #[test]
    fn global_data_map_names_follow_libbpf() {
        let data = |section: &str| {
            Map::new(
                section,
                MapDef::default(),
                MapSource::GlobalData { section_index: 1 },
            )
        };
        // Measured with tc 6.1 (libbpf 1.1) on globaldata_long_name.o.
        assert_eq!(
            data(".rodata").kernel_name("globaldata_long_name"),
            "globalda.rodata"
        );
        assert_eq!(
            data(".bss").kernel_name("globaldata_long_name"),
            "globalda.bss"
        );
        assert_eq!(
            data(".data.custom").kernel_name("globaldata_long_name"),
            ".data.custom"
        );
        assert_eq!(
            data(".data").kernel_name("x-y"),
            "x-y.data".replace('-', "_")
        );
        assert_eq!(
            data(".rodata.str1.1").kernel_name("anything"),
            ".rodata.str1.1"
        );
        assert_eq!(
            data(".data.a_very_long_name").kernel_name("o"),
            ".data.a_very_lo"
        );
        assert_eq!(object_name_of("/tmp/dir.d/drop-arp.o"), "drop-arp");
        assert_eq!(object_name_of("a.b.o"), "a");
        let mut legacy = data("x");
        legacy.source = MapSource::Legacy {
            offset: 0,
            entry_size: 36,
        };
        assert_eq!(legacy.kernel_name("obj"), "x");
    }

    #[test]
    fn longer_entries_need_a_zero_tail() {
        let mut data = words(&[1, 4, 4, 1, 0, 0, 0, 0, 0, 0], ByteOrder::Little);
        assert!(parse_legacy_maps(&data, ByteOrder::Little, &[symbol("a", 0)]).is_ok());
        data[37] = 1;
        assert!(matches!(
            parse_legacy_maps(&data, ByteOrder::Little, &[symbol("a", 0)]),
            Err(ParseError::MapEntryUnknownFields { entry_size: 40, .. })
        ));
    }
}
