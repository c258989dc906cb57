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

use crate::error::ParseError;
use crate::object::ByteOrder;
use crate::symbol::SymbolRef;

/// Smallest definition accepted: type, key size, value size, max entries.
pub const MIN_LEGACY_ENTRY_SIZE: u64 = 16;
/// Size of iproute2's `struct bpf_elf_map`, the largest layout this loader knows.
pub const BPF_ELF_MAP_SIZE: u64 = 36;

/// The numbers that describe a map, in `struct bpf_elf_map` order. Fields a shorter
/// definition does not have are zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MapDef {
    /// `BPF_MAP_TYPE_*` (see `bpf_sys::consts::map_type`).
    pub map_type: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum number of entries.
    pub max_entries: u32,
    /// `BPF_F_*` map flags.
    pub map_flags: u32,
    /// iproute2: an id that inner maps of map-in-map are matched by.
    pub id: u32,
    /// iproute2: 0 none, 1 pin per object, 2 pin in the global namespace, else custom.
    pub pinning: u32,
    /// iproute2: for map-in-map, the `id` of the inner map's template.
    pub inner_id: u32,
    /// iproute2: for map-in-map, the index in the outer map to store this map at.
    pub inner_idx: u32,
}

/// Where a map definition came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapSource {
    /// The legacy `maps` section.
    Legacy {
        /// Offset of the definition in the section.
        offset: u64,
        /// Size of every definition in the section, in bytes.
        entry_size: u64,
    },
}

/// A map declared by the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Map {
    /// Symbol name, which becomes the kernel's map name (truncated to 15 bytes).
    pub name: String,
    /// Its definition.
    pub def: MapDef,
    /// Where the definition was found.
    pub source: MapSource,
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
        maps.push(Map {
            name: symbol.name.clone(),
            def: decode_def(fields, order),
            source: MapSource::Legacy {
                offset: symbol.value,
                entry_size,
            },
        });
    }
    maps.sort_by_key(|map| match map.source {
        MapSource::Legacy { offset, .. } => offset,
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
