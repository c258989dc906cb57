//! Loading: the syscall side. Chooses a program of a parsed [`Object`], creates the
//! maps it uses (`BPF_MAP_CREATE`), relocates its instructions and hands them to the
//! verifier (`BPF_PROG_LOAD`). Everything created is returned as owned fds, so dropping
//! the result (or failing half-way) closes it and leaves nothing behind in the kernel.

use std::os::fd::AsRawFd;

use bpf_sys::consts::map_type;
use bpf_sys::{Insn, MapCreateAttr, MapFd, ProgFd, ProgLoadAttr};

use crate::error::LoadError;
use crate::maps::{Map, MapDef};
use crate::object::{ByteOrder, Object};
use crate::observer::Observer;
use crate::reloc::{program_label, referenced_maps, relocate};

/// How to load a program: what the caller decides rather than the object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// `BPF_PROG_TYPE_*`: `SCHED_CLS` for tc filters, `XDP` for `ip link set ... xdp`.
    pub prog_type: u32,
    /// `expected_attach_type` (0 for tc and XDP).
    pub expected_attach_type: u32,
    /// Verifier log level: 0 gives a log only on failure; 1 (tc's `verbose`) or more
    /// also returns it on success.
    pub log_level: u32,
    /// `kern_version` to send; `None` means this kernel's (from `uname`).
    pub kern_version: Option<u32>,
    /// `BPF_F_*` program flags.
    pub prog_flags: u32,
    /// Interface index for offloaded programs; 0 otherwise.
    pub prog_ifindex: u32,
}

impl LoadOptions {
    /// Options for a program of the given `BPF_PROG_TYPE_*`, everything else default.
    pub fn new(prog_type: u32) -> LoadOptions {
        LoadOptions {
            prog_type,
            ..LoadOptions::default()
        }
    }
}

/// A map created for a loaded program.
#[derive(Debug)]
pub struct CreatedMap {
    /// The map's name (its symbol name).
    pub name: String,
    /// Its fd; the map lives as long as this or a program using it.
    pub fd: MapFd,
    /// The definition it was created from.
    pub def: MapDef,
}

/// A program accepted by the kernel, with what was created for it.
#[derive(Debug)]
pub struct LoadedProgram {
    /// The program's fd, to attach (tc filter, XDP) or pin.
    pub fd: ProgFd,
    /// The program's name (its function's symbol name).
    pub name: String,
    /// The section it came from.
    pub section: String,
    /// The verifier log: empty unless [`LoadOptions::log_level`] was above 0.
    pub log: String,
    /// The maps created for it, in object order.
    pub maps: Vec<CreatedMap>,
    /// The instructions as loaded, after relocation.
    pub insns: Vec<Insn>,
}

/// Loads one program of `object`: the first in `section`, or the function named
/// `function` in it.
pub fn load(
    object: &Object,
    section: &str,
    function: Option<&str>,
    options: &LoadOptions,
    observer: &dyn Observer,
) -> Result<LoadedProgram, LoadError> {
    if object.byte_order() != ByteOrder::host() {
        return Err(LoadError::ForeignByteOrder {
            object: object.byte_order(),
            host: ByteOrder::host(),
        });
    }
    let program = object.find_program(section, function)?;
    observer.program_selected(program);
    if program.insns.is_empty() {
        return Err(LoadError::EmptyProgram {
            program: program_label(program),
            section: program.section.clone(),
        });
    }

    // Find every problem before creating anything in the kernel.
    let used = referenced_maps(object, program)?;
    let wanted: Vec<(usize, &Map)> = used
        .iter()
        .filter_map(|&index| object.maps().get(index).map(|map| (index, map)))
        .collect();
    for (_, map) in &wanted {
        check_map_supported(map)?;
    }

    let mut created: Vec<(usize, CreatedMap)> = Vec::with_capacity(wanted.len());
    for (index, map) in wanted {
        let fd = create_map(map)?;
        observer.map_created(&map.name, &map.def, fd.as_raw_fd());
        created.push((
            index,
            CreatedMap {
                name: map.name.clone(),
                fd,
                def: map.def,
            },
        ));
    }

    let fd_of = |index: usize| {
        created
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, map)| map.fd.as_raw_fd())
    };
    let insns = relocate(object, program, fd_of, observer)?;

    let kern_version = options
        .kern_version
        .unwrap_or_else(bpf_sys::kernel_version_code);
    let attr = ProgLoadAttr {
        prog_type: options.prog_type,
        expected_attach_type: options.expected_attach_type,
        insns: &insns,
        license: object.license().unwrap_or(""),
        name: &program.name,
        kern_version,
        prog_flags: options.prog_flags,
        prog_ifindex: options.prog_ifindex,
        log_level: options.log_level,
        ..ProgLoadAttr::default()
    };
    observer.prog_loading(&attr);
    let loaded = bpf_sys::prog_load(&attr).map_err(|error| match error {
        bpf_sys::Error::Verifier { errno, log, .. } => LoadError::Verifier {
            program: program_label(program),
            section: program.section.clone(),
            errno,
            log,
        },
        source => LoadError::ProgLoad {
            program: program_label(program),
            section: program.section.clone(),
            source,
        },
    })?;
    observer.prog_loaded(&program.name, loaded.fd.as_raw_fd(), &loaded.log);

    Ok(LoadedProgram {
        fd: loaded.fd,
        name: program.name.clone(),
        section: program.section.clone(),
        log: loaded.log,
        maps: created.into_iter().map(|(_, map)| map).collect(),
        insns,
    })
}

impl Object {
    /// Loads one program of this object; see [`load`].
    pub fn load(
        &self,
        section: &str,
        function: Option<&str>,
        options: &LoadOptions,
        observer: &dyn Observer,
    ) -> Result<LoadedProgram, LoadError> {
        load(self, section, function, options, observer)
    }
}

/// Refuses map definitions that ask for what this loader cannot do yet, rather than
/// creating a map that silently behaves differently from what the object expects.
fn check_map_supported(map: &Map) -> Result<(), LoadError> {
    let def = &map.def;
    let refuse = |feature: String| {
        Err(LoadError::MapNotSupportedYet {
            map: map.name.clone(),
            feature,
        })
    };
    if def.pinning != 0 {
        let kind = match def.pinning {
            1 => "PIN_OBJECT_NS",
            2 => "PIN_GLOBAL_NS",
            _ => "a custom pinning path",
        };
        return refuse(format!("pinning (pinning = {}, {kind})", def.pinning));
    }
    if matches!(
        def.map_type,
        map_type::ARRAY_OF_MAPS | map_type::HASH_OF_MAPS
    ) {
        return refuse(format!(
            "map-in-map (type {}, inner_id {})",
            def.map_type, def.inner_id
        ));
    }
    Ok(())
}

fn create_map(map: &Map) -> Result<MapFd, LoadError> {
    let def = &map.def;
    let attr = MapCreateAttr {
        map_type: def.map_type,
        key_size: def.key_size,
        value_size: def.value_size,
        max_entries: def.max_entries,
        map_flags: def.map_flags,
        name: &map.name,
        ..MapCreateAttr::default()
    };
    bpf_sys::map_create(&attr).map_err(|source| LoadError::MapCreate {
        map: map.name.clone(),
        def: map.def,
        source,
    })
}
