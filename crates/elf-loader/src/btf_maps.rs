//! BTF-defined maps: the libbpf way of declaring maps, in a section named `.maps`.
//!
//! A map is a global variable of an anonymous struct whose members carry the
//! definition in their *types*, not their values:
//!
//! * `__uint(max_entries, 16)` is `int (*max_entries)[16]`: a pointer to an array whose
//!   element count is the number (same for `type`, `map_flags`, `key_size`,
//!   `value_size`, `pinning`, `map_extra`);
//! * `__type(key, __u32)` is `__u32 *key`: the key size is the pointee's size, and its
//!   type id goes to the kernel with the map;
//! * `__array(values, struct inner)` is `struct inner *values[]`: for a map-in-map,
//!   the inner map's template (itself such a struct); for a program array, a function
//!   prototype. Initial values are relocations in `.rel.maps` pointing at the slots
//!   of that array (`.values = { [2] = &other_map }`).
//!
//! The struct is found through the `.maps` `DATASEC` of `.BTF`; the map's offset in
//! the section through its ELF symbol, since clang leaves BTF offsets at 0.

use bpf_sys::consts::map_type;

use crate::btf::{Btf, BtfKind, TypeDetail};
use crate::error::ParseError;
use crate::maps::{InitialSlot, Map, MapDef, MapSource, SlotTarget};
use crate::section::SectionRole;
use crate::symbol::{SymbolKind, SymbolRef};

/// Size of one slot of `values`: a pointer.
const SLOT_SIZE: u64 = 8;

/// A relocation in `.maps`: the byte it patches and the symbol it names.
#[derive(Clone, Debug)]
pub(crate) struct DataRelocation {
    /// `r_offset` in the section.
    pub offset: u64,
    /// The symbol named.
    pub symbol: SymbolRef,
}

/// What the `values` member of a definition holds.
enum Values {
    /// Inner maps, following this template.
    Maps(Box<Map>),
    /// Programs (a program array).
    Programs,
}

/// A definition read from its struct type.
struct Definition {
    map: Map,
    /// Byte offset of `values` in the struct, and what it holds.
    values: Option<(u64, Values)>,
}

/// Reads every map of `.maps`. `symbols` are the symbols defined in `.maps`;
/// `relocations` are the entries of `.rel.maps`.
pub(crate) fn parse_btf_maps(
    btf: Option<&Btf>,
    section_size: u64,
    symbols: &[SymbolRef],
    relocations: &[DataRelocation],
) -> Result<Vec<Map>, ParseError> {
    let fail = |map: &str, reason: String| ParseError::BtfMap {
        map: map.to_string(),
        reason,
    };
    let Some(btf) = btf else {
        return if section_size == 0 {
            Ok(Vec::new())
        } else {
            Err(fail(
                "",
                "the object has no .BTF section, which BTF-defined maps need".to_string(),
            ))
        };
    };
    let Some(datasec) = btf.find(BtfKind::Datasec, ".maps") else {
        return if section_size == 0 {
            Ok(Vec::new())
        } else {
            Err(fail("", ".BTF has no DATASEC describing .maps".to_string()))
        };
    };
    let TypeDetail::Datasec(vars) = &btf.type_by_id(datasec)?.detail else {
        return Err(fail("", "DATASEC .maps without variables".to_string()));
    };

    let mut maps = Vec::with_capacity(vars.len());
    for var in vars {
        let var_type = btf.type_by_id(var.type_id)?;
        if var_type.kind != BtfKind::Var {
            return Err(fail(
                "",
                format!(
                    "entry of type {} is a {:?}, not a variable",
                    var.type_id, var_type.kind
                ),
            ));
        }
        let name = btf.string(var_type.name_off)?;
        let symbol = symbols.iter().find(|s| s.name == name).ok_or_else(|| {
            fail(
                name,
                "no symbol of this name in .maps to give its offset".to_string(),
            )
        })?;
        // A definition with initial values is longer than its struct type (whose
        // `values` is a flexible array): the symbol and the section entry know.
        let size = u64::from(btf.resolve_size(var_type.size_or_type)?)
            .max(u64::from(var.size))
            .max(symbol.size);
        let end = symbol
            .value
            .checked_add(size)
            .filter(|&e| e <= section_size);
        if end.is_none() {
            return Err(fail(
                name,
                format!(
                    "definition at offset {:#x} of {size} bytes runs past the section's {section_size} bytes",
                    symbol.value
                ),
            ));
        }
        let source = MapSource::Btf {
            offset: symbol.value,
            size,
        };
        let Definition { mut map, values } =
            read_definition(btf, var_type.size_or_type, name, source, true)?;
        map.initial_slots = initial_slots(&map, symbol.value, size, values.as_ref(), relocations)?;
        maps.push(map);
    }
    maps.sort_by_key(|m| match m.source {
        MapSource::Btf { offset, .. } => offset,
        _ => 0,
    });
    Ok(maps)
}

/// Reads a definition struct (the map's, or an inner map template's).
fn read_definition(
    btf: &Btf,
    type_id: u32,
    name: &str,
    source: MapSource,
    outer: bool,
) -> Result<Definition, ParseError> {
    let fail = |reason: String| ParseError::BtfMap {
        map: name.to_string(),
        reason,
    };
    let struct_id = btf.skip_modifiers(type_id)?;
    let ty = btf.type_by_id(struct_id)?;
    let TypeDetail::Members(members) = &ty.detail else {
        return Err(fail(format!("definition is a {:?}, not a struct", ty.kind)));
    };
    if ty.kind != BtfKind::Struct {
        return Err(fail(format!("definition is a {:?}, not a struct", ty.kind)));
    }
    let mut map = Map::new(name, MapDef::default(), source.clone());
    let mut values = None;
    let (mut key_size, mut value_size) = (None, None);
    for member in members {
        let field = btf.string(member.name_off)?;
        let number = || number_field(btf, member.type_id, field, &fail);
        match field {
            "type" => map.def.map_type = number()?,
            "max_entries" => map.def.max_entries = number()?,
            "map_flags" => map.def.map_flags = number()?,
            "map_extra" => map.map_extra = long_field(btf, member.type_id, field, &fail)?,
            "pinning" => {
                map.def.pinning = number()?;
                if map.def.pinning > 1 {
                    return Err(fail(format!(
                        "pinning {} is neither LIBBPF_PIN_NONE (0) nor LIBBPF_PIN_BY_NAME (1)",
                        map.def.pinning
                    )));
                }
            }
            "key_size" => set_size(&mut key_size, number()?, "key", &fail)?,
            "value_size" => set_size(&mut value_size, number()?, "value", &fail)?,
            "key" | "value" => {
                let pointee = pointee(btf, member.type_id, field, &fail)?;
                let size = btf.resolve_size(pointee)?;
                if field == "key" {
                    set_size(&mut key_size, size, "key", &fail)?;
                    map.key_type_id = pointee;
                } else {
                    set_size(&mut value_size, size, "value", &fail)?;
                    map.value_type_id = pointee;
                }
            }
            "values" => {
                if !outer {
                    return Err(fail(
                        "an inner map template cannot have values of its own".to_string(),
                    ));
                }
                let array_id = btf.skip_modifiers(member.type_id)?;
                let array = btf.type_by_id(array_id)?;
                let TypeDetail::Array {
                    elem_type, nelems, ..
                } = array.detail
                else {
                    return Err(fail(
                        "values is not an array (declare it with __array)".to_string(),
                    ));
                };
                if nelems != 0 {
                    return Err(fail(format!(
                        "values has {nelems} elements; __array declares a flexible array"
                    )));
                }
                let target = pointee(btf, elem_type, field, &fail)?;
                let target_id = btf.skip_modifiers(target)?;
                let held = match btf.type_by_id(target_id)?.kind {
                    BtfKind::Struct => {
                        let inner = read_definition(
                            btf,
                            target_id,
                            &format!("{name}.inner"),
                            source.clone(),
                            false,
                        )?;
                        Values::Maps(Box::new(inner.map))
                    }
                    BtfKind::FuncProto => Values::Programs,
                    kind => {
                        return Err(fail(format!(
                            "values holds pointers to a {kind:?}, neither a map definition nor a function"
                        )));
                    }
                };
                // The kernel stores a 4-byte fd (or id) per slot.
                set_size(&mut value_size, 4, "value", &fail)?;
                values = Some((u64::from(member.offset / 8), held));
            }
            other => {
                return Err(fail(format!("unknown field \"{other}\" in the definition")));
            }
        }
    }
    map.def.key_size = key_size.unwrap_or(0);
    map.def.value_size = value_size.unwrap_or(0);
    match &values {
        Some((_, Values::Maps(inner))) => {
            if !map_type::is_map_in_map(map.def.map_type) {
                return Err(fail(format!(
                    "values holds maps, but the map's type {} is not a map-in-map",
                    map.def.map_type
                )));
            }
            map.inner = Some(inner.clone());
            map.value_type_id = 0;
        }
        Some((_, Values::Programs)) if map.def.map_type != map_type::PROG_ARRAY => {
            return Err(fail(format!(
                "values holds programs, but the map's type {} is not a program array",
                map.def.map_type
            )));
        }
        _ => {}
    }
    Ok(Definition { map, values })
}

/// Reads `__uint(name, N)`: a pointer to an array of N elements.
fn number_field(
    btf: &Btf,
    type_id: u32,
    field: &str,
    fail: &impl Fn(String) -> ParseError,
) -> Result<u32, ParseError> {
    let array = pointee(btf, type_id, field, fail)?;
    let array = btf.type_by_id(btf.skip_modifiers(array)?)?;
    match array.detail {
        TypeDetail::Array { nelems, .. } => Ok(nelems),
        _ => Err(fail(format!(
            "field \"{field}\" is not declared with __uint (a pointer to an array)"
        ))),
    }
}

/// Reads `__ulong(name, N)` (an enum with the single value N) or `__uint(name, N)`.
fn long_field(
    btf: &Btf,
    type_id: u32,
    field: &str,
    fail: &impl Fn(String) -> ParseError,
) -> Result<u64, ParseError> {
    let ty = btf.type_by_id(btf.skip_modifiers(type_id)?)?;
    match &ty.detail {
        TypeDetail::Enum(values) => match values.as_slice() {
            [(_, value)] => Ok(*value),
            _ => Err(fail(format!(
                "field \"{field}\" is an enum of {} values, not the single one of __ulong",
                values.len()
            ))),
        },
        _ => number_field(btf, type_id, field, fail).map(u64::from),
    }
}

/// The type a pointer member points to.
fn pointee(
    btf: &Btf,
    type_id: u32,
    field: &str,
    fail: &impl Fn(String) -> ParseError,
) -> Result<u32, ParseError> {
    let ptr = btf.type_by_id(btf.skip_modifiers(type_id)?)?;
    if ptr.kind != BtfKind::Ptr {
        return Err(fail(format!(
            "field \"{field}\" is a {:?}, not a pointer",
            ptr.kind
        )));
    }
    Ok(ptr.size_or_type)
}

/// Records a key or value size, refusing two different ones.
fn set_size(
    slot: &mut Option<u32>,
    size: u32,
    what: &str,
    fail: &impl Fn(String) -> ParseError,
) -> Result<(), ParseError> {
    match *slot {
        Some(old) if old != size => Err(fail(format!(
            "{what} size given twice, as {old} and as {size}"
        ))),
        _ => {
            *slot = Some(size);
            Ok(())
        }
    }
}

/// Turns the `.rel.maps` entries that fall in this map's `values` into initial slots.
fn initial_slots(
    map: &Map,
    map_offset: u64,
    size: u64,
    values: Option<&(u64, Values)>,
    relocations: &[DataRelocation],
) -> Result<Vec<InitialSlot>, ParseError> {
    let fail = |reason: String| ParseError::BtfMap {
        map: map.name.clone(),
        reason,
    };
    let mut slots = Vec::new();
    for reloc in relocations {
        let Some(relative) = reloc
            .offset
            .checked_sub(map_offset)
            .filter(|&r| r < size.max(1))
        else {
            continue;
        };
        let Some((values_offset, held)) = values else {
            return Err(fail(format!(
                "relocation against \"{}\" at offset {:#x}, but the map has no values",
                reloc.symbol.name, reloc.offset
            )));
        };
        let slot_offset = relative
            .checked_sub(*values_offset)
            .filter(|o| o % SLOT_SIZE == 0);
        let Some(index) = slot_offset
            .map(|o| o / SLOT_SIZE)
            .and_then(|i| u32::try_from(i).ok())
        else {
            return Err(fail(format!(
                "relocation against \"{}\" at offset {:#x} is not on a slot of values",
                reloc.symbol.name, reloc.offset
            )));
        };
        if index >= map.def.max_entries {
            return Err(fail(format!(
                "initial value for slot {index} (\"{}\"), but max_entries is {}",
                reloc.symbol.name, map.def.max_entries
            )));
        }
        let symbol = &reloc.symbol;
        let role = symbol.section.role();
        let target = match held {
            Values::Maps(_) if role == Some(&SectionRole::BtfMaps) => {
                SlotTarget::Map(symbol.name.clone())
            }
            Values::Programs
                if symbol.kind == SymbolKind::Func && role.is_some_and(|r| r.is_code()) =>
            {
                SlotTarget::Program(symbol.name.clone())
            }
            _ => {
                return Err(fail(format!(
                    "slot {index} refers to \"{}\" in {}, which is not a {}",
                    symbol.name,
                    symbol.section.describe(),
                    match held {
                        Values::Maps(_) => "map of .maps",
                        Values::Programs => "function",
                    }
                )));
            }
        };
        slots.push(InitialSlot { index, target });
    }
    slots.sort_by_key(|s| s.index);
    Ok(slots)
}
