//! Loading: the syscall side. Plans the load ([`crate::plan`], where every refusal
//! happens), then: loads the object's BTF, creates (or reuses pinned) maps, fills
//! global data and maps-in-maps, relocates and loads the chosen program
//! (`BPF_PROG_LOAD` with its func_info/line_info), loads the programs its program
//! arrays hold and stores them. Everything created is returned as owned fds, so
//! dropping the result (or failing half-way) closes it. Maps that ask to be pinned
//! are pinned only once everything else succeeded, so a failed load pins nothing
//! (see [`crate::pin`]).

use std::collections::BTreeMap;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::PathBuf;
use std::sync::Arc;

use bpf_sys::consts::map_type::{self, is_map_in_map};
use bpf_sys::{BtfFd, Insn, MapCreateAttr, MapFd, ProgFd, ProgLoadAttr, ProgType};

use crate::btf::core::{CoreOutcome, POISON_HELPER};
use crate::btf_info::ProgramBtfInfo;
use crate::bytes::ByteOrder;
use crate::error::LoadError;
use crate::externs::resolve::ResolvedExterns;
use crate::kernel::KernelInfo;
use crate::map_fixup::{MachineFacts, fix_map_def};
use crate::maps::MapSource;
use crate::maps::{Map, MapDef, object_name_of};
use crate::object::Object;
use crate::observer::Observer;
use crate::pin::{PinOptions, Published, open_pinned, pin_path, prepare_bpffs, publish};
use crate::plan::{PlannedProgram, Store, plan};
use crate::reference::program_label;
use crate::reloc::{apply_extern_references, apply_map_references};

/// How to load a program: what the caller decides rather than the object.
///
/// Built with [`LoadOptions::new`], which takes the program type (there is no
/// default type: `BPF_PROG_TYPE_UNSPEC` only earns a misleading verifier error),
/// then the `with_*` methods or field by field (fields may be added, so it cannot be
/// written as a struct literal outside this crate). Nothing is read from the
/// environment.
///
/// ```
/// use bpf_sys::ProgType;
/// use elf_loader::{LoadOptions, PinOptions};
/// let options = LoadOptions::new(ProgType::SCHED_CLS)
///     .with_log_level(1)
///     .with_pinning(PinOptions::new("/run/my-bpffs").with_mount_if_missing(true));
/// assert_eq!(options.prog_type, ProgType::SCHED_CLS);
/// assert_eq!(options.pinning.bpffs, std::path::Path::new("/run/my-bpffs"));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LoadOptions {
    /// The program type: [`ProgType::SCHED_CLS`] for tc filters, [`ProgType::XDP`]
    /// for `ip link set ... xdp`. Tail-call programs are loaded with the same type.
    pub prog_type: ProgType,
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
    /// Where maps that ask to be pinned go, and whether a bpffs may be mounted for
    /// them. Only used when a map asks to be pinned.
    pub pinning: PinOptions,
    /// The object's file name (or path): libbpf names global data maps after it
    /// (`drop-arp.o` gives `drop_arp.rodata`). `None` names them by section alone.
    pub object_name: Option<String>,
    /// The kernel to resolve CO-RE relocations and externs for; `None` means the
    /// running kernel (its BTF read once per process, and only if the object needs it).
    pub kernel: Option<Arc<KernelInfo>>,
}

impl LoadOptions {
    /// Options for a program of type `prog_type`, everything else default: no
    /// flags, log only on failure, this kernel, pins under `/sys/fs/bpf` (which must
    /// be a bpffs already).
    pub fn new(prog_type: ProgType) -> LoadOptions {
        LoadOptions {
            prog_type,
            expected_attach_type: 0,
            log_level: 0,
            kern_version: None,
            prog_flags: 0,
            prog_ifindex: 0,
            pinning: PinOptions::default(),
            object_name: None,
            kernel: None,
        }
    }

    /// Sets `expected_attach_type`.
    pub fn with_expected_attach_type(mut self, attach_type: u32) -> Self {
        self.expected_attach_type = attach_type;
        self
    }

    /// Sets the verifier log level (1: keep the log on success too).
    pub fn with_log_level(mut self, level: u32) -> Self {
        self.log_level = level;
        self
    }

    /// Sets the `kern_version` sent instead of this kernel's.
    pub fn with_kern_version(mut self, version: u32) -> Self {
        self.kern_version = Some(version);
        self
    }

    /// Sets the `BPF_F_*` program flags.
    pub fn with_prog_flags(mut self, flags: u32) -> Self {
        self.prog_flags = flags;
        self
    }

    /// Loads for offload to device `ifindex`.
    pub fn with_prog_ifindex(mut self, ifindex: u32) -> Self {
        self.prog_ifindex = ifindex;
        self
    }

    /// Sets where maps are pinned.
    pub fn with_pinning(mut self, pinning: PinOptions) -> Self {
        self.pinning = pinning;
        self
    }

    /// Sets the object's file name, after which global data maps are named.
    pub fn with_object_name(mut self, name: impl Into<String>) -> Self {
        self.object_name = Some(name.into());
        self
    }

    /// Resolves CO-RE relocations and externs for `kernel` instead of this one.
    pub fn with_kernel(mut self, kernel: Arc<KernelInfo>) -> Self {
        self.kernel = Some(kernel);
        self
    }
}

/// A map created (or opened) for a loaded program.
#[derive(Debug)]
#[non_exhaustive]
pub struct CreatedMap {
    /// The map's name in the object (its symbol, or for global data its section).
    pub name: String,
    /// The name the kernel was given (up to 15 bytes are kept).
    pub kernel_name: String,
    /// Its fd; the map lives as long as this, a pin, or a program using it.
    pub fd: MapFd,
    /// The definition it was created from.
    pub def: MapDef,
    /// Where it is pinned, if it asked to be.
    pub pin: Option<PathBuf>,
    /// True when an existing pinned map was used instead of creating one.
    pub reused: bool,
}

/// A program loaded along with the chosen one, because a program array holds it.
#[derive(Debug)]
#[non_exhaustive]
pub struct ExtraProgram {
    /// Its function name.
    pub name: String,
    /// Its section (`1/0` for an iproute2 tail call).
    pub section: String,
    /// Its fd.
    pub fd: ProgFd,
    /// The (program array, key) slots it was stored in.
    pub stored_in: Vec<(String, u32)>,
}

/// A program accepted by the kernel, with what was created for it.
#[derive(Debug)]
#[non_exhaustive]
pub struct LoadedProgram {
    /// The program's fd, to attach (tc filter, XDP) or pin.
    pub fd: ProgFd,
    /// The program's name (its function's symbol name).
    pub name: String,
    /// The section it came from.
    pub section: String,
    /// The verifier log: empty unless [`LoadOptions::log_level`] was above 0.
    pub log: String,
    /// The maps created or reused for it, in object order.
    pub maps: Vec<CreatedMap>,
    /// The instructions as loaded: subprograms appended, references relocated.
    pub insns: Vec<Insn>,
    /// Tail-call programs and other programs stored in its program arrays.
    pub extra_programs: Vec<ExtraProgram>,
    /// True when the object's BTF was loaded and the program carries source lines.
    pub with_btf: bool,
}

/// What [`load`] would create, worked out without any syscall.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadPlan {
    /// The chosen program's name.
    pub program: String,
    /// Its instruction count with the functions it calls appended.
    pub insns: usize,
    /// The functions appended to it, in order (the program itself first).
    pub functions: Vec<String>,
    /// Programs loaded with it to fill program arrays.
    pub extra_programs: Vec<PlannedExtra>,
    /// The maps it needs, in creation order, by object name.
    pub maps: Vec<String>,
}

/// A program that [`load`] would load to store in program arrays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlannedExtra {
    /// Its section.
    pub section: String,
    /// Its function name.
    pub name: String,
    /// The (program array, key) slots it would be stored in.
    pub slots: Vec<(String, u32)>,
}

/// Plans loading one program (see [`load`]) and reports what would be created, or why
/// the load cannot succeed; no syscall is made, so this runs without privileges.
pub fn plan_load(
    object: &Object,
    section: &str,
    function: Option<&str>,
) -> Result<LoadPlan, LoadError> {
    plan_load_for(object, section, function, KernelInfo::running_shared())
}

/// [`plan_load`] for the kernel `kernel` describes (CO-RE relocations and externs are
/// resolved against its BTF, which may come from a file).
pub fn plan_load_for(
    object: &Object,
    section: &str,
    function: Option<&str>,
    kernel: &KernelInfo,
) -> Result<LoadPlan, LoadError> {
    if object.byte_order() != ByteOrder::host() {
        return Err(LoadError::ForeignByteOrder {
            object: object.byte_order(),
            host: ByteOrder::host(),
        });
    }
    let program = object.find_program(section, function)?;
    let plan = plan(object, program, kernel, &crate::observer::NoObserver)?;
    let name = |index: usize| object.maps()[index].name.clone();
    Ok(LoadPlan {
        program: program.name.clone(),
        insns: plan.main.combined.insns.len(),
        functions: plan
            .main
            .combined
            .placed
            .iter()
            .map(|p| p.function.name.clone())
            .collect(),
        extra_programs: plan
            .extras
            .iter()
            .map(|e| PlannedExtra {
                section: e.planned.program.section.clone(),
                name: e.planned.program.name.clone(),
                slots: e.stores.iter().map(|s| (name(s.map), s.key)).collect(),
            })
            .collect(),
        maps: plan.maps.iter().map(|&i| name(i)).collect(),
    })
}

/// How many times a load starts over because another load pinned a map first.
const PIN_ATTEMPTS: usize = 3;

/// Loads one program of `object`: the first in `section` (the first global function,
/// as tc chooses), or the function named `function` in it.
///
/// If a concurrent load pins one of this object's maps between this load's look for
/// the pin and its own pinning, this load's programs are bound to a map no one else
/// finds: it starts over (up to three times), and then finds and shares the pinned map.
pub fn load(
    object: &Object,
    section: &str,
    function: Option<&str>,
    options: &LoadOptions,
    observer: &dyn Observer,
) -> Result<LoadedProgram, LoadError> {
    let mut taken = None;
    for _ in 0..PIN_ATTEMPTS {
        match load_once(object, section, function, options, observer)? {
            Attempt::Loaded(loaded) => return Ok(loaded),
            Attempt::PinTaken(path) => taken = Some(path),
        }
    }
    Err(LoadError::PinRace {
        path: taken.unwrap_or_default(),
        attempts: PIN_ATTEMPTS,
    })
}

/// The end of one attempt at a load.
enum Attempt {
    /// Loaded, and every map it created that asks for a pin is pinned.
    Loaded(LoadedProgram),
    /// Another load pinned a map at this path first: start over to share it.
    PinTaken(PathBuf),
}

/// One attempt at [`load`].
fn load_once(
    object: &Object,
    section: &str,
    function: Option<&str>,
    options: &LoadOptions,
    observer: &dyn Observer,
) -> Result<Attempt, LoadError> {
    if object.byte_order() != ByteOrder::host() {
        return Err(LoadError::ForeignByteOrder {
            object: object.byte_order(),
            host: ByteOrder::host(),
        });
    }
    check_prog_type(options.prog_type)?;
    let program = object.find_program(section, function)?;
    observer.program_selected(program);
    let kernel = options
        .kernel
        .as_deref()
        .unwrap_or_else(|| KernelInfo::running_shared());
    let mut plan = plan(object, program, kernel, observer)?;
    let with_btf_info = plan.main.btf_info.is_some();

    // From here on the kernel is involved.
    let btf = load_btf(object, observer);
    let bpffs = &options.pinning.bpffs;
    if plan.pins(object) {
        prepare_bpffs(&options.pinning, observer)?;
    }
    let object_name = options
        .object_name
        .as_deref()
        .map(object_name_of)
        .unwrap_or("");

    let mut created: BTreeMap<usize, CreatedMap> = BTreeMap::new();
    for &index in &plan.maps {
        let map = &object.maps()[index];
        let inner_template = legacy_template(object, map).and_then(|t| created.get(&t));
        let made = make_map(
            object,
            map,
            MapContext {
                kernel_name: map.kernel_name(object_name),
                btf: btf.as_ref(),
                inner: inner_template.map(|m| m.fd.as_fd()),
                bpffs,
                prog_type: options.prog_type,
            },
            observer,
        )?;
        created.insert(index, made);
    }
    for slot in &plan.map_slots {
        let (Some(outer), Some(inner)) = (created.get(&slot.outer), created.get(&slot.inner))
        else {
            continue;
        };
        store_fd(
            &outer.fd,
            &outer.name,
            slot.key,
            inner.fd.as_raw_fd(),
            &inner.name,
        )?;
        observer.map_slot_set(&outer.name, slot.key, &format!("map {}", inner.name));
    }

    if plan.kconfig {
        if let Some(externs) = &plan.externs {
            let map = kconfig_map(externs);
            let made = make_map(
                object,
                &map,
                MapContext {
                    kernel_name: map.kernel_name(object_name),
                    btf: btf.as_ref(),
                    inner: None,
                    bpffs,
                    prog_type: options.prog_type,
                },
                observer,
            )?;
            created.insert(object.maps().len(), made);
        }
    }

    let fd_of = |index: usize| created.get(&index).map(|m| m.fd.as_raw_fd());
    let externs = plan.externs.as_ref();
    let (main_fd, log, insns) = load_program(
        object,
        &mut plan.main,
        options,
        (btf.as_ref(), externs),
        &fd_of,
        observer,
    )?;
    store_program(
        &created,
        &plan.main_stores,
        &main_fd,
        &program.name,
        observer,
    )?;

    let mut extra_programs = Vec::with_capacity(plan.extras.len());
    for extra in &mut plan.extras {
        let (fd, _, _) = load_program(
            object,
            &mut extra.planned,
            options,
            (btf.as_ref(), externs),
            &fd_of,
            observer,
        )?;
        let name = extra.planned.program.name.clone();
        store_program(&created, &extra.stores, &fd, &name, observer)?;
        extra_programs.push(ExtraProgram {
            name,
            section: extra.planned.program.section.clone(),
            fd,
            stored_in: extra
                .stores
                .iter()
                .map(|s| (object.maps()[s.map].name.clone(), s.key))
                .collect(),
        });
    }

    // Everything succeeded: only now do the maps this load created appear in the
    // bpffs. A failure anywhere above left nothing pinned, so there is nothing to take
    // back, and no pin another load may be sharing is ever removed.
    for map in created.values() {
        let Some(path) = map.pin.as_ref().filter(|_| !map.reused) else {
            continue;
        };
        match publish(&map.name, path, map.fd.as_fd())? {
            Published::Pinned => observer.map_pinned(&map.name, path, map.fd.as_raw_fd()),
            Published::Taken => return Ok(Attempt::PinTaken(path.clone())),
        }
    }
    Ok(Attempt::Loaded(LoadedProgram {
        fd: main_fd,
        name: program.name.clone(),
        section: program.section.clone(),
        log,
        maps: created.into_values().collect(),
        insns,
        extra_programs,
        with_btf: btf.is_some() && with_btf_info,
    }))
}

/// Refuses program types that cannot load without an attach target (fentry/fexit,
/// freplace, LSM, struct_ops): the kernel would answer with a bare EPERM or ENOTSUPP.
fn check_prog_type(prog_type: ProgType) -> Result<(), LoadError> {
    match prog_type {
        ProgType::TRACING | ProgType::STRUCT_OPS | ProgType::EXT | ProgType::LSM => {}
        _ => return Ok(()),
    };
    Err(LoadError::NeedsAttachTarget { prog_type })
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

/// Loads the object's BTF; a refusal is reported and the load goes on without it.
fn load_btf(object: &Object, observer: &dyn Observer) -> Option<BtfFd> {
    let data = object.kernel_btf()?;
    match bpf_sys::btf_load(data, 0) {
        Ok(fd) => {
            observer.btf_loaded(fd.as_raw_fd(), data.len());
            Some(fd)
        }
        Err(error) => {
            let log = error.verifier_log().unwrap_or("").trim().to_string();
            observer.btf_refused(&if log.is_empty() {
                error.to_string()
            } else {
                format!("{error}\n{log}")
            });
            None
        }
    }
}

/// The inner-map template of an iproute2 map-in-map: the first map with its `inner_id`.
fn legacy_template(object: &Object, map: &Map) -> Option<usize> {
    if !is_map_in_map(map.def.map_type) || !matches!(map.source, crate::MapSource::Legacy { .. }) {
        return None;
    }
    object.maps().iter().position(|m| {
        matches!(m.source, crate::MapSource::Legacy { .. }) && m.def.id == map.def.inner_id
    })
}

/// What creating one map needs besides its definition.
struct MapContext<'a> {
    kernel_name: String,
    btf: Option<&'a BtfFd>,
    inner: Option<BorrowedFd<'a>>,
    bpffs: &'a std::path::Path,
    prog_type: ProgType,
}

/// Creates (or opens the pinned) map, fills global data and freezes `.rodata`.
/// libbpf's fix-ups of the definition ([`fix_map_def`]) come first.
fn make_map(
    object: &Object,
    map: &Map,
    context: MapContext<'_>,
    observer: &dyn Observer,
) -> Result<CreatedMap, LoadError> {
    let fixed = fixed_map(map);
    let map = fixed.as_ref().unwrap_or(map);
    // A BTF-defined map-in-map gets a temporary template map from its definition.
    let btf_template = match &map.inner {
        Some(inner) => Some(create_map(
            inner,
            &inner.kernel_name(""),
            context.btf,
            None,
        )?),
        None => None,
    };
    let inner = context
        .inner
        .or_else(|| btf_template.as_ref().map(|t| t.as_fd()));
    let create = || create_map(map, &context.kernel_name, context.btf, inner);

    let pin = pin_path(
        context.bpffs,
        context.prog_type,
        map.pinning(),
        object.sha1_hex().unwrap_or_default(),
        &map.name,
    )?;
    let (fd, reused) = match &pin {
        None => (create()?, false),
        // Not pinned yet if created: that waits for the whole load to succeed.
        Some(path) => match open_pinned(&map.name, path, &map.def)? {
            Some(fd) => (fd, true),
            None => (create()?, false),
        },
    };
    match (&pin, reused) {
        (Some(path), true) => observer.map_reused(&map.name, path, fd.as_raw_fd()),
        _ => observer.map_created(&context.kernel_name, &map.def, fd.as_raw_fd()),
    }

    if !reused {
        if let Some(data) = &map.initial_data {
            bpf_sys::map_update_elem(fd.as_fd(), &0u32.to_ne_bytes(), data, 0).map_err(
                |source| LoadError::MapUpdate {
                    map: map.name.clone(),
                    key: 0,
                    what: format!("the section's {} bytes", data.len()),
                    source,
                },
            )?;
        }
        let frozen = map.is_read_only_data();
        if frozen {
            bpf_sys::map_freeze(fd.as_fd()).map_err(|source| LoadError::MapFreeze {
                map: map.name.clone(),
                source,
            })?;
        }
        if map.initial_data.is_some() || frozen {
            observer.map_filled(
                &map.name,
                map.initial_data.as_ref().map_or(0, Vec::len),
                frozen,
            );
        }
    }
    Ok(CreatedMap {
        name: map.name.clone(),
        kernel_name: context.kernel_name,
        fd,
        def: map.def,
        pin,
        reused,
    })
}

/// Map types that take no BTF key/value types (libbpf leaves them out as well).
fn takes_btf_types(map_type: u32) -> bool {
    use map_type::*;
    !matches!(
        map_type,
        PROG_ARRAY
            | PERF_EVENT_ARRAY
            | STACK_TRACE
            | CGROUP_ARRAY
            | ARRAY_OF_MAPS
            | HASH_OF_MAPS
            | DEVMAP
            | SOCKMAP
            | CPUMAP
            | XSKMAP
            | SOCKHASH
            | QUEUE
            | STACK
            | DEVMAP_HASH
            | ARENA
    )
}

/// `BPF_MAP_CREATE` for one map; with BTF types when there are some, retried
/// without them if the kernel refuses (as libbpf does).
fn create_map(
    map: &Map,
    kernel_name: &str,
    btf: Option<&BtfFd>,
    inner: Option<BorrowedFd<'_>>,
) -> Result<MapFd, LoadError> {
    let def = &map.def;
    let attr = MapCreateAttr {
        map_type: def.map_type,
        key_size: def.key_size,
        value_size: def.value_size,
        max_entries: def.max_entries,
        map_flags: def.map_flags,
        name: kernel_name,
        inner_map_fd: inner,
        map_extra: map.map_extra,
        ..MapCreateAttr::default()
    };
    let typed = (map.key_type_id != 0 || map.value_type_id != 0) && takes_btf_types(def.map_type);
    if let (Some(btf), true) = (btf, typed) {
        let with_types = MapCreateAttr {
            btf_fd: Some(btf.as_fd()),
            btf_key_type_id: map.key_type_id,
            btf_value_type_id: map.value_type_id,
            ..attr
        };
        if let Ok(fd) = bpf_sys::map_create(&with_types) {
            return Ok(fd);
        }
        let attr = MapCreateAttr {
            btf_fd: None,
            btf_key_type_id: 0,
            btf_value_type_id: 0,
            ..with_types
        };
        return map_create(map, &attr);
    }
    map_create(map, &attr)
}

fn map_create(map: &Map, attr: &MapCreateAttr<'_>) -> Result<MapFd, LoadError> {
    bpf_sys::map_create(attr).map_err(|source| LoadError::MapCreate {
        map: map.name.clone(),
        def: map.def,
        source,
    })
}

/// Stores a u32 fd at `key` of an outer map or program array.
fn store_fd(map: &MapFd, map_name: &str, key: u32, fd: i32, what: &str) -> Result<(), LoadError> {
    bpf_sys::map_update_elem(map.as_fd(), &key.to_ne_bytes(), &fd.to_ne_bytes(), 0).map_err(
        |source| LoadError::MapUpdate {
            map: map_name.to_string(),
            key,
            what: what.to_string(),
            source,
        },
    )
}

/// Stores a loaded program in each of its program-array slots.
fn store_program(
    created: &BTreeMap<usize, CreatedMap>,
    stores: &[Store],
    fd: &ProgFd,
    name: &str,
    observer: &dyn Observer,
) -> Result<(), LoadError> {
    for store in stores {
        let Some(map) = created.get(&store.map) else {
            continue;
        };
        store_fd(
            &map.fd,
            &map.name,
            store.key,
            fd.as_raw_fd(),
            &format!("program {name}"),
        )?;
        observer.map_slot_set(&map.name, store.key, &format!("program {name}"));
    }
    Ok(())
}

/// Relocates (in place) and loads one planned program; returns its fd, log and
/// instructions (taken out of `planned`).
fn load_program(
    object: &Object,
    planned: &mut PlannedProgram<'_>,
    options: &LoadOptions,
    (btf, externs): (Option<&BtfFd>, Option<&ResolvedExterns>),
    fd_of: &dyn Fn(usize) -> Option<i32>,
    observer: &dyn Observer,
) -> Result<(ProgFd, String, Vec<Insn>), LoadError> {
    let program = planned.program;
    let combined = &mut planned.combined;
    apply_map_references(object, program, combined, fd_of, observer)?;
    let kconfig_fd = fd_of(object.maps().len());
    apply_extern_references(program, combined, externs, kconfig_fd, observer)?;
    // The running kernel's version cannot change while we run: one uname(2) per process.
    static KERNEL_VERSION: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let kern_version = options
        .kern_version
        .unwrap_or_else(|| *KERNEL_VERSION.get_or_init(bpf_sys::kernel_version_code));
    let empty = ProgramBtfInfo::default();
    let info = match (btf, &planned.btf_info) {
        (Some(_), Some(info)) => info,
        _ => &empty,
    };
    let attr = ProgLoadAttr {
        prog_type: options.prog_type.raw(),
        expected_attach_type: options.expected_attach_type,
        insns: &combined.insns,
        license: object.license().unwrap_or(""),
        name: &program.name,
        kern_version,
        prog_flags: options.prog_flags,
        prog_ifindex: options.prog_ifindex,
        log_level: options.log_level,
        prog_btf_fd: btf.filter(|_| info.func_info_cnt > 0).map(|fd| fd.as_fd()),
        func_info: &info.func_info,
        func_info_rec_size: ProgramBtfInfo::FUNC_REC_SIZE,
        func_info_cnt: info.func_info_cnt,
        line_info: &info.line_info,
        line_info_rec_size: ProgramBtfInfo::LINE_REC_SIZE,
        line_info_cnt: info.line_info_cnt,
        ..ProgLoadAttr::default()
    };
    let attr = if info.func_info_cnt == 0 {
        ProgLoadAttr {
            func_info_rec_size: 0,
            line_info_rec_size: 0,
            ..attr
        }
    } else {
        attr
    };
    observer.prog_loading(&attr);
    let loaded = bpf_sys::prog_load(&attr).map_err(|error| match error {
        bpf_sys::Error::Verifier { errno, log, .. } => {
            match poisoned_at_fault(&combined.core, &log) {
                Some(outcome) => LoadError::CoreFailed {
                    program: program_label(program),
                    section: program.section.clone(),
                    insn: outcome.insn,
                    relocation: format!(
                        "({}) of `{} {}` failed: {}",
                        outcome.kind,
                        type_keyword(&outcome.local_type),
                        outcome.path,
                        outcome.poisoned.as_deref().unwrap_or("")
                    ),
                    log,
                },
                None => LoadError::Verifier {
                    program: program_label(program),
                    section: program.section.clone(),
                    errno,
                    log,
                },
            }
        }
        source => LoadError::ProgLoad {
            program: program_label(program),
            section: program.section.clone(),
            source,
        },
    })?;
    observer.prog_loaded(&program.name, loaded.fd.as_raw_fd(), &loaded.log);
    Ok((loaded.fd, loaded.log, std::mem::take(&mut combined.insns)))
}

/// The poisoned CO-RE relocation the verifier stopped at, if it stopped at one: the
/// log then names the poison helper (`call unknown#195896080`), usually after the
/// instruction's index.
fn poisoned_at_fault<'a>(core: &'a [CoreOutcome], log: &str) -> Option<&'a CoreOutcome> {
    let poison = POISON_HELPER.to_string();
    let line = log.lines().rev().find(|line| line.contains(&poison))?;
    let poisoned = || core.iter().filter(|o| o.poisoned.is_some());
    let at: Option<usize> = line
        .split_once(':')
        .and_then(|(index, _)| index.trim().parse().ok());
    at.and_then(|at| poisoned().find(|o| o.insn == at))
        .or_else(|| poisoned().next())
}

/// "struct" of "struct task_struct" (the keyword part of a described type), so the
/// access reads "struct task_struct.__state"; empty for a type without one.
fn type_keyword(local_type: &str) -> &str {
    match local_type.split_once(' ') {
        Some((keyword, _)) if matches!(keyword, "struct" | "union" | "enum" | "typedef") => keyword,
        _ => "",
    }
}

/// The `.kconfig` map libbpf creates for `__kconfig` externs: one read-only entry
/// holding every kconfig value, described by the object's `.kconfig` DATASEC, frozen
/// once filled.
fn kconfig_map(externs: &ResolvedExterns) -> Map {
    let collected = externs.externs();
    let mut map = Map::new(
        crate::externs::KCONFIG_SECTION,
        collected.kconfig_map_def().unwrap_or_default(),
        MapSource::GlobalData {
            section_index: usize::MAX,
        },
    );
    map.value_type_id = collected.kconfig_value_type_id();
    map.initial_data = Some(externs.kconfig_value().to_vec());
    map
}

/// `map` with libbpf's fix-ups applied (perf event arrays sized to the CPUs, ring
/// buffers to page multiples), or `None` when none applies. An inner template is
/// fixed too.
fn fixed_map(map: &Map) -> Option<Map> {
    static FACTS: std::sync::OnceLock<MachineFacts> = std::sync::OnceLock::new();
    let facts = FACTS.get_or_init(|| {
        MachineFacts::running().unwrap_or(MachineFacts {
            possible_cpus: 1,
            page_size: 4096,
        })
    });
    let btf_defined = matches!(map.source, MapSource::Btf { .. });
    let mut def = map.def;
    let mut inner = map.inner.clone();
    let changed = fix_map_def(&mut def, btf_defined, facts).is_some();
    let inner_changed = inner
        .as_mut()
        .is_some_and(|m| fix_map_def(&mut m.def, btf_defined, facts).is_some());
    (changed || inner_changed).then(|| Map {
        def,
        inner,
        ..map.clone()
    })
}
