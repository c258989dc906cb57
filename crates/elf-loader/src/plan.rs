//! Planning a load, without any syscall: which programs are loaded (the chosen one,
//! the tail-call programs stored in its program arrays, programs named as initial
//! values of BTF program arrays), which maps are created and in what order, what
//! goes into which map slot. Every refusal happens here, so a load that cannot
//! succeed fails before anything is created in the kernel.
//!
//! What is loaded with the chosen program:
//!
//! * **Tail calls, iproute2 style**: every other code section named `ID/KEY` (numbers,
//!   as C's `%i` reads them) whose `ID` is the `id` of a program array of the legacy
//!   `maps` section: its program is stored at `KEY` of that array. A key past the
//!   array's `max_entries` is an error; a section whose `ID` names no program array is
//!   left alone, as iproute2 does.
//! * **BTF program arrays and maps-in-maps**: the programs and maps their `.values`
//!   name.
//! * **iproute2 maps-in-maps**: an `ARRAY_OF_MAPS`/`HASH_OF_MAPS` map takes as inner
//!   template the map whose `id` is its `inner_id`; every map with that `id` (and an
//!   `inner_idx` other than `-1`) is stored at its `inner_idx` in the outer map.
//!
//! Maps are the ones these programs use, plus the ones the rules above pull in.

use std::collections::BTreeSet;

use bpf_sys::consts::map_type::{ARENA, PROG_ARRAY, STRUCT_OPS, is_map_in_map};

use crate::btf_info::{ProgramBtfInfo, for_combined};
use crate::error::Unsupported;
use crate::error::{LoadError, RelocError};
use crate::externs::resolve::{Resolution, ResolvedExterns};
use crate::kernel::KernelInfo;
use crate::maps::{Map, MapSource, Pinning, SlotTarget};
use crate::object::Object;
use crate::observer::Observer;
use crate::program::Program;
use crate::reference::{Target, program_label};
use crate::section::SectionRole;
use crate::subprog::{CombineEnv, Combined, combine};

/// A program to load, combined with its subprograms, with its BTF records.
pub(crate) struct PlannedProgram<'o> {
    pub program: &'o Program,
    pub combined: Combined<'o>,
    pub btf_info: Option<ProgramBtfInfo>,
}

/// A program to store in a program array: map index and key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Store {
    pub map: usize,
    pub key: u32,
}

/// A program loaded because a program array holds it.
pub(crate) struct ExtraProgram<'o> {
    pub planned: PlannedProgram<'o>,
    pub stores: Vec<Store>,
}

/// An inner map to store in an outer map: (outer index, key, inner index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MapSlot {
    pub outer: usize,
    pub key: u32,
    pub inner: usize,
}

/// Everything a load will do.
pub(crate) struct Plan<'o> {
    pub main: PlannedProgram<'o>,
    /// Program-array slots that hold the main program itself.
    pub main_stores: Vec<Store>,
    pub extras: Vec<ExtraProgram<'o>>,
    /// Indices into [`Object::maps`], in creation order (inner templates first).
    pub maps: Vec<usize>,
    pub map_slots: Vec<MapSlot>,
    /// The object's externs resolved for the kernel, if it has any.
    pub externs: Option<ResolvedExterns>,
    /// True when a planned program reads a `__kconfig` extern: the `.kconfig` map
    /// is created.
    pub kconfig: bool,
}

impl Plan<'_> {
    /// True when some map of the plan is to be pinned.
    pub fn pins(&self, object: &Object) -> bool {
        self.maps.iter().any(|&i| {
            object
                .maps()
                .get(i)
                .is_some_and(|m| m.pinning() != Pinning::None)
        })
    }
}

/// Plans loading `main` from `object`.
///
/// The object's externs are resolved first. When that fails (an extern of the object
/// the kernel lacks, or one its BTF cannot describe), only programs that use an
/// extern are refused, with that reason: libbpf refuses the whole object, rtc loads
/// the programs that do not need it.
pub(crate) fn plan<'o>(
    object: &'o Object,
    main: &'o Program,
    kernel: &KernelInfo,
    observer: &dyn Observer,
) -> Result<Plan<'o>, LoadError> {
    let (externs, problem) = match kernel.resolve_externs(object) {
        Ok(externs) => (externs, None),
        Err(problem) => (None, Some(problem)),
    };
    match (plan_with(object, main, kernel, externs, observer), problem) {
        (
            Err(LoadError::Reloc(RelocError::NotSupported {
                feature: Unsupported::ExternCall | Unsupported::ExternVariable,
                ..
            })),
            Some(problem),
        ) => Err(LoadError::Reloc(problem)),
        (planned, _) => planned,
    }
}

/// [`plan`] with the externs already resolved (`None`: none can be).
fn plan_with<'o>(
    object: &'o Object,
    main: &'o Program,
    kernel: &KernelInfo,
    externs: Option<ResolvedExterns>,
    observer: &dyn Observer,
) -> Result<Plan<'o>, LoadError> {
    let env = CombineEnv {
        kernel: Some(kernel),
        externs: externs.as_ref(),
    };
    let main_planned = plan_program(object, main, env, observer)?;
    let mut maps: BTreeSet<usize> = used_maps(&main_planned.combined);
    let mut plan = Plan {
        main: main_planned,
        main_stores: Vec::new(),
        extras: Vec::new(),
        maps: Vec::new(),
        map_slots: Vec::new(),
        externs: None,
        kconfig: false,
    };

    for (map, key, program) in tail_calls(object, main)? {
        add_program(
            object,
            &mut plan,
            program,
            Store { map, key },
            env,
            observer,
        )?;
        maps.insert(map);
    }

    // Initial values and map-in-map templates can pull in more maps and programs,
    // which can use more maps: repeat until nothing new turns up.
    loop {
        let before = (maps.len(), plan.extras.len());
        for extra in &plan.extras {
            maps.extend(used_maps(&extra.planned.combined));
        }
        for index in maps.clone() {
            let map = map_at(object, index);
            for slot in &map.initial_slots {
                match &slot.target {
                    SlotTarget::Map(name) => {
                        let inner = object
                            .maps()
                            .iter()
                            .position(|m| {
                                &m.name == name && matches!(m.source, MapSource::Btf { .. })
                            })
                            .ok_or_else(|| LoadError::SlotTargetNotFound {
                                map: map.name.clone(),
                                key: slot.index,
                                target: name.clone(),
                            })?;
                        maps.insert(inner);
                        let entry = MapSlot {
                            outer: index,
                            key: slot.index,
                            inner,
                        };
                        if !plan.map_slots.contains(&entry) {
                            plan.map_slots.push(entry);
                        }
                    }
                    SlotTarget::Program(name) => {
                        let program = object
                            .programs()
                            .iter()
                            .chain(object.subprograms())
                            .find(|p| &p.name == name)
                            .ok_or_else(|| LoadError::SlotTargetNotFound {
                                map: map.name.clone(),
                                key: slot.index,
                                target: name.clone(),
                            })?;
                        let store = Store {
                            map: index,
                            key: slot.index,
                        };
                        add_program(object, &mut plan, program, store, env, observer)?;
                    }
                }
            }
            if is_map_in_map(map.def.map_type) && matches!(map.source, MapSource::Legacy { .. }) {
                let members = legacy_with_id(object, map.def.inner_id);
                if members.is_empty() {
                    return Err(LoadError::InnerMapNotFound {
                        map: map.name.clone(),
                        inner_id: map.def.inner_id,
                    });
                }
                maps.extend(members);
            }
        }
        if (maps.len(), plan.extras.len()) == before {
            break;
        }
    }

    // tc (libbpf) creates every map of the object, used or not, and pins each that
    // asks to be: a user-space tool may open any of them. Maps this loader cannot
    // create are left out unless a planned program uses them (then refused below).
    for (index, map) in object.maps().iter().enumerate() {
        if creatable_unused(object, map) {
            maps.insert(index);
        }
    }

    // iproute2: maps with an id and an inner_idx go into the outer maps whose
    // inner_id is that id.
    for &inner in &maps {
        let def = &map_at(object, inner).def;
        if def.id == 0 || def.inner_id != 0 || def.inner_idx == u32::MAX {
            continue;
        }
        for &outer in &maps {
            let outer_map = map_at(object, outer);
            if is_map_in_map(outer_map.def.map_type)
                && matches!(outer_map.source, MapSource::Legacy { .. })
                && outer_map.def.inner_id == def.id
            {
                plan.map_slots.push(MapSlot {
                    outer,
                    key: def.inner_idx,
                    inner,
                });
            }
        }
    }

    for &index in &maps {
        check_map_supported(map_at(object, index))?;
    }
    // Templates of legacy maps-in-maps are created before the outer maps.
    let (outer, plain): (Vec<usize>, Vec<usize>) = maps
        .iter()
        .partition(|&&i| is_map_in_map(map_at(object, i).def.map_type));
    for &index in &outer {
        let map = map_at(object, index);
        if matches!(map.source, MapSource::Legacy { .. })
            && legacy_with_id(object, map.def.inner_id)
                .iter()
                .any(|&t| is_map_in_map(map_at(object, t).def.map_type))
        {
            return Err(LoadError::MapNotSupported {
                map: map.name.clone(),
                feature: "a map-in-map whose inner template is itself a map-in-map".to_string(),
            });
        }
    }
    plan.maps = plain.into_iter().chain(outer).collect();
    plan.kconfig = std::iter::once(&plan.main)
        .chain(plan.extras.iter().map(|e| &e.planned))
        .flat_map(|p| &p.combined.extern_refs)
        .any(|r| {
            externs.as_ref().is_some_and(|e| {
                matches!(
                    e.by_symbol(r.symbol_index),
                    Some((_, Resolution::Kconfig { .. }))
                )
            })
        });
    plan.externs = externs;
    Ok(plan)
}

/// The map at `index`; plan indices all come from [`Object::maps`].
fn map_at(object: &Object, index: usize) -> &Map {
    &object.maps()[index]
}

/// Legacy maps whose `id` is `id`, in object order.
fn legacy_with_id(object: &Object, id: u32) -> Vec<usize> {
    object
        .maps()
        .iter()
        .enumerate()
        .filter(|(_, m)| matches!(m.source, MapSource::Legacy { .. }) && m.def.id == id)
        .map(|(i, _)| i)
        .collect()
}

/// Combines a program with its subprograms and prepares its BTF records.
fn plan_program<'o>(
    object: &'o Object,
    program: &'o Program,
    env: CombineEnv<'_>,
    observer: &dyn Observer,
) -> Result<PlannedProgram<'o>, LoadError> {
    if program.insns.is_empty() {
        return Err(LoadError::EmptyProgram {
            program: program_label(program),
            section: program.section.clone(),
        });
    }
    let combined = combine(object, program, env, observer)?;
    let btf_info = for_combined(object, &combined);
    Ok(PlannedProgram {
        program,
        combined,
        btf_info,
    })
}

/// Adds a program to store at `store`, combining it unless it is already planned.
fn add_program<'o>(
    object: &'o Object,
    plan: &mut Plan<'o>,
    program: &'o Program,
    store: Store,
    env: CombineEnv<'_>,
    observer: &dyn Observer,
) -> Result<(), LoadError> {
    // The planning loop revisits maps until nothing changes: record each store once.
    let add = |stores: &mut Vec<Store>| {
        if !stores.contains(&store) {
            stores.push(store);
        }
    };
    if std::ptr::eq(program, plan.main.program) {
        add(&mut plan.main_stores);
        return Ok(());
    }
    if let Some(extra) = plan
        .extras
        .iter_mut()
        .find(|e| std::ptr::eq(e.planned.program, program))
    {
        add(&mut extra.stores);
        return Ok(());
    }
    plan.extras.push(ExtraProgram {
        planned: plan_program(object, program, env, observer)?,
        stores: vec![store],
    });
    Ok(())
}

/// Map indices a combined program refers to.
fn used_maps(combined: &Combined<'_>) -> BTreeSet<usize> {
    combined
        .map_refs
        .iter()
        .filter_map(|r| match r.target {
            Target::Map { index } | Target::MapValue { index, .. } => Some(index),
            _ => None,
        })
        .collect()
}

/// The iproute2 tail-call sections to load with `main`: (program array, key, program).
fn tail_calls<'o>(
    object: &'o Object,
    main: &Program,
) -> Result<Vec<(usize, u32, &'o Program)>, LoadError> {
    let mut found = Vec::new();
    for section in object.sections() {
        if section.role != SectionRole::Programs || section.index == main.section_index {
            continue;
        }
        let Some((id, key)) = parse_tail_call_section(&section.name) else {
            continue;
        };
        let Some(map) = object.maps().iter().position(|m| {
            matches!(m.source, MapSource::Legacy { .. })
                && m.def.map_type == PROG_ARRAY
                && m.def.id == id
        }) else {
            continue;
        };
        let Ok(program) = object.find_program(&section.name, None) else {
            continue;
        };
        let def = &map_at(object, map).def;
        if key >= def.max_entries {
            return Err(LoadError::TailCallKeyOutOfRange {
                section: section.name.clone(),
                map: map_at(object, map).name.clone(),
                key,
                max_entries: def.max_entries,
            });
        }
        found.push((map, key, program));
    }
    Ok(found)
}

/// Reads a section name of the form `ID/KEY` the way iproute2's `sscanf("%i/%i")`
/// does: each number decimal, `0x` hexadecimal or `0` octal; after KEY anything may
/// follow.
pub fn parse_tail_call_section(name: &str) -> Option<(u32, u32)> {
    let (id, rest) = name.split_once('/')?;
    let (id, tail) = c_integer(id)?;
    if !tail.is_empty() {
        return None;
    }
    let (key, _) = c_integer(rest)?;
    Some((id, key))
}

/// A leading C integer literal (`%i`): returns it and what follows.
fn c_integer(text: &str) -> Option<(u32, &str)> {
    let text = text.trim_start();
    let (radix, digits) = if let Some(hex) = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .filter(|h| h.starts_with(|c: char| c.is_ascii_hexdigit()))
    {
        (16, hex)
    } else if text.starts_with('0') {
        (8, text)
    } else {
        (10, text)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let value = u32::from_str_radix(digits.get(..end)?, radix).ok()?;
    Some((value, digits.get(end..)?))
}

/// Whether `map`, which no planned program uses, is created all the same: a legacy
/// or BTF map this loader can create (not global data, which libbpf makes per
/// object; not a map-in-map without a usable template).
fn creatable_unused(object: &Object, map: &Map) -> bool {
    if !matches!(map.source, MapSource::Legacy { .. } | MapSource::Btf { .. })
        || check_map_supported(map).is_err()
    {
        return false;
    }
    if is_map_in_map(map.def.map_type) && matches!(map.source, MapSource::Legacy { .. }) {
        let templates = legacy_with_id(object, map.def.inner_id);
        return !templates.is_empty()
            && !templates
                .iter()
                .any(|&t| is_map_in_map(map_at(object, t).def.map_type));
    }
    true
}

/// Refuses maps this loader cannot create faithfully, before anything is created.
fn check_map_supported(map: &Map) -> Result<(), LoadError> {
    let refuse = |feature: String| {
        Err(LoadError::MapNotSupported {
            map: map.name.clone(),
            feature,
        })
    };
    if let Pinning::Custom(id) = map.pinning() {
        return refuse(format!(
            "custom pinning (pinning = {id}, a path from /etc/iproute2/bpf_pinning)"
        ));
    }
    match map.def.map_type {
        ARENA => return refuse("an arena map (BPF_MAP_TYPE_ARENA)".to_string()),
        STRUCT_OPS => return refuse("a struct_ops map".to_string()),
        _ => {}
    }
    if is_map_in_map(map.def.map_type)
        && matches!(map.source, MapSource::Btf { .. })
        && map.inner.is_none()
    {
        return refuse(
            "a map-in-map without an inner map template (declare values with __array)".to_string(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_call_section_names_read_like_sscanf() {
        assert_eq!(parse_tail_call_section("1/0"), Some((1, 0)));
        assert_eq!(parse_tail_call_section("0x10/010"), Some((16, 8)));
        assert_eq!(parse_tail_call_section("2/7junk"), Some((2, 7)));
        assert_eq!(parse_tail_call_section(" 3/4"), Some((3, 4)));
        for name in [
            "ingress",
            "1x/0",
            "/0",
            "1/",
            "xdp/1",
            "1/x",
            "99999999999/1",
        ] {
            assert_eq!(parse_tail_call_section(name), None, "{name}");
        }
    }
}
