//! Externs: variables and functions an object uses but does not define, which the
//! loader fills in from the running kernel, as libbpf does.
//!
//! * `extern int CONFIG_HZ __kconfig;` and `extern unsigned LINUX_KERNEL_VERSION
//!   __kconfig;` live in the `.kconfig` map, an array map with one entry whose
//!   value holds every kconfig extern (laid out here, filled by [`kconfig`]); the
//!   program reads them through `BPF_PSEUDO_MAP_VALUE` like global variables.
//! * `extern struct rq runqueues __ksym;` (a typed ksym) becomes a
//!   `BPF_PSEUDO_BTF_ID` load of the kernel variable's BTF id; `extern const void
//!   init_task __ksym;` (untyped) the variable's address from `/proc/kallsyms`.
//! * `extern int bpf_dynptr_from_skb(...) __ksym;` called as a function is a kfunc:
//!   the call becomes `BPF_PSEUDO_KFUNC_CALL` with the kernel function's BTF id.
//!
//! clang describes each extern twice: an undefined `STT_NOTYPE` symbol (weak for
//! `__weak`), and a BTF `VAR` (or `FUNC`) with extern linkage inside a `DATASEC`
//! named `.kconfig` or `.ksyms`. [`Externs::collect`] joins the two, sorts the
//! externs as libbpf does (the order fixes the `.kconfig` layout and the numbers in
//! poisoned calls) and lays out the `.kconfig` value. [`resolve`] then resolves them
//! against a kernel and rewrites the instructions that use them.

mod collect;
pub mod error;
pub mod kallsyms;
pub mod kconfig;
pub mod libbpf;
pub mod resolve;
pub mod system;
pub mod types;

use std::cmp::Ordering;

use crate::btf::{Btf, BtfKind, TypeDetail, essential_name};
use crate::maps::{MapDef, internal_map_name};
use crate::symbol::SymbolRef;

pub use error::ExternError;
use types::{INT_BOOL, INT_SIGNED, align_of, skip_mods};

pub use crate::section::{KCONFIG_SECTION, KSYMS_SECTION};

/// The largest `.kconfig` value accepted: the kernel refuses larger array values
/// anyway (`KMALLOC_MAX_SIZE`, 4 MiB on x86), and the value is allocated here.
pub const MAX_KCONFIG_SIZE: u32 = 1 << 22;

/// `BTF_VAR_GLOBAL_EXTERN` and `BTF_FUNC_EXTERN`.
const VAR_EXTERN: u32 = 2;
const FUNC_EXTERN: u16 = 2;

/// What C type a kconfig extern has, which decides what config values it takes
/// (libbpf's `enum kcfg_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KconfigType {
    /// `bool` (a 1-byte BTF integer with the bool encoding): `y`/`n`, or 0/1.
    Bool,
    /// `enum libbpf_tristate`: `y`, `n`, `m` as 1, 0, 2.
    Tristate,
    /// Any 1-byte integer (`char`, `u8`): the character `y`/`n`/`m`, or a number.
    Char,
    /// An integer of 2, 4 or 8 bytes.
    Int {
        /// Whether the integer is signed (for the range check).
        signed: bool,
    },
    /// A `char` array: a quoted string, cut to fit with its NUL.
    CharArray,
}

/// Where and how a kconfig extern sits in the `.kconfig` map's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KconfigSlot {
    /// Its C type, as far as config values are concerned.
    pub ty: KconfigType,
    /// Size in bytes.
    pub size: u32,
    /// Alignment in bytes.
    pub align: u32,
    /// Offset in the `.kconfig` map's value.
    pub offset: u32,
    /// For integers and chars: whether the type is signed.
    pub signed: bool,
}

/// What kind of extern it is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExternKind {
    /// A `__kconfig` variable in the `.kconfig` map.
    Kconfig(KconfigSlot),
    /// A `__ksym` variable. `typed` when it has a real type (resolved through kernel
    /// BTF); untyped (`const void`) ones are resolved through `/proc/kallsyms`.
    Ksym {
        /// Whether the variable has a type other than `void`.
        typed: bool,
        /// Its type in the object's BTF, modifiers skipped (0 for `void`).
        type_id: u32,
    },
    /// A `__ksym` function: a kfunc.
    Kfunc {
        /// Its `FUNC_PROTO` in the object's BTF.
        proto_id: u32,
    },
}

/// One extern of the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extern {
    /// Its name (as in BTF, which is the symbol's name).
    pub name: String,
    /// What it is and, for kconfig ones, where it lives.
    pub kind: ExternKind,
    /// Declared `__weak`: may be absent from the kernel (then it reads as zero).
    pub weak: bool,
    /// The `VAR` or `FUNC` type id in the object's BTF.
    pub btf_id: u32,
    /// Index of its symbol in the object's symbol table.
    pub symbol_index: usize,
    /// Its position in libbpf's sorted extern list (used in poisoned kfunc calls).
    pub index: usize,
}

impl Extern {
    /// The name looked up in the kernel: the name without a `___flavor` suffix (as
    /// libbpf ≥ 1.3 does for kfuncs).
    pub fn essential_name(&self) -> &str {
        essential_name(&self.name)
    }
}

/// Every extern of an object, in libbpf's order, with the `.kconfig` layout.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Externs {
    list: Vec<Extern>,
    kconfig_size: u32,
    kconfig_datasec: u32,
}

impl Externs {
    /// [`Externs::collect`] from the object's BTF and extern symbols
    /// ([`crate::Object::extern_symbols`]).
    pub(crate) fn collect_from(
        btf: Option<&Btf>,
        symbols: &[SymbolRef],
    ) -> Result<Externs, ExternError> {
        let Some(first) = symbols.first() else {
            return Ok(Externs::default());
        };
        let btf = btf.ok_or_else(|| ExternError::NoBtf {
            name: first.name.clone(),
        })?;
        let mut list = Vec::with_capacity(symbols.len());
        let mut kconfig_datasec = 0;
        for symbol in symbols {
            let name = &symbol.name;
            let btf_err = |source| ExternError::Btf {
                name: name.clone(),
                source,
            };
            let btf_id = find_extern_type(btf, name)?;
            let ty = btf.type_by_id(btf_id).map_err(btf_err)?;
            let (section_id, section) = find_extern_section(btf, btf_id, name)?;
            let kind = match section {
                KCONFIG_SECTION => {
                    if ty.kind == BtfKind::Func {
                        return Err(ExternError::Section {
                            name: name.clone(),
                            reason: format!(
                                "a function cannot be in {KCONFIG_SECTION} (only variables)"
                            ),
                        });
                    }
                    kconfig_datasec = section_id;
                    ExternKind::Kconfig(kconfig_slot(btf, name, ty.size_or_type)?)
                }
                KSYMS_SECTION => {
                    let (type_id, _) = skip_mods(btf, ty.size_or_type).map_err(btf_err)?;
                    if ty.kind == BtfKind::Func {
                        ExternKind::Kfunc { proto_id: type_id }
                    } else {
                        ExternKind::Ksym {
                            typed: type_id != 0,
                            type_id,
                        }
                    }
                }
                other => {
                    return Err(ExternError::Section {
                        name: name.clone(),
                        reason: format!(
                            "its BTF type is in data section \"{other}\"; externs must be in {KCONFIG_SECTION} or {KSYMS_SECTION}"
                        ),
                    });
                }
            };
            list.push(Extern {
                name: btf.type_name(btf_id).map_err(btf_err)?.to_string(),
                kind,
                weak: symbol.weak,
                btf_id,
                symbol_index: symbol.index,
                index: 0,
            });
        }
        list.sort_by(compare_externs);
        let mut offset: u32 = 0;
        for (index, ext) in list.iter_mut().enumerate() {
            ext.index = index;
            if let ExternKind::Kconfig(slot) = &mut ext.kind {
                let overflow = || ExternError::KconfigType {
                    name: ext.name.clone(),
                    type_id: ext.btf_id,
                    reason: format!(
                        "the .kconfig value would exceed {MAX_KCONFIG_SIZE} bytes, more than the kernel allows in a map value"
                    ),
                };
                slot.offset = offset
                    .checked_next_multiple_of(slot.align)
                    .ok_or_else(overflow)?;
                offset = slot
                    .offset
                    .checked_add(slot.size)
                    .filter(|&end| end <= MAX_KCONFIG_SIZE)
                    .ok_or_else(overflow)?;
            }
        }
        Ok(Externs {
            list,
            kconfig_size: offset,
            kconfig_datasec,
        })
    }

    /// The externs, in libbpf's order (kconfig ones first).
    pub fn iter(&self) -> impl Iterator<Item = &Extern> {
        self.list.iter()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when the object has none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The extern named `name`.
    pub fn get(&self, name: &str) -> Option<&Extern> {
        self.list.iter().find(|e| e.name == name)
    }

    /// The extern whose symbol has index `symbol_index` (what a relocation names).
    pub fn by_symbol(&self, symbol_index: usize) -> Option<&Extern> {
        self.list.iter().find(|e| e.symbol_index == symbol_index)
    }

    /// Size in bytes of the `.kconfig` map's value (0: the object has no kconfig
    /// extern, and no `.kconfig` map).
    pub fn kconfig_size(&self) -> u32 {
        self.kconfig_size
    }

    /// The id of the `.kconfig` `DATASEC` in the object's BTF (the map's BTF value
    /// type, as libbpf sets it), 0 without kconfig externs.
    pub fn kconfig_value_type_id(&self) -> u32 {
        self.kconfig_datasec
    }

    /// The `.kconfig` map as libbpf creates it: an array of one entry of
    /// [`Externs::kconfig_size`] bytes, read-only for programs and mmapable (libbpf
    /// also freezes it once filled). `None` without kconfig externs.
    pub fn kconfig_map_def(&self) -> Option<MapDef> {
        (self.kconfig_size > 0).then(|| MapDef {
            map_type: bpf_sys::consts::map_type::ARRAY,
            key_size: 4,
            value_size: self.kconfig_size,
            max_entries: 1,
            map_flags: bpf_sys::consts::BPF_F_RDONLY_PROG | bpf_sys::consts::BPF_F_MMAPABLE,
            ..MapDef::default()
        })
    }

    /// The kernel name of the `.kconfig` map for an object named `object_name`
    /// ([`crate::object_name_of`]): `drop_ar.kconfig`, as libbpf names it.
    pub fn kconfig_map_name(object_name: &str) -> String {
        internal_map_name(object_name, KCONFIG_SECTION)
    }

    /// True when some extern needs the kernel config (a `CONFIG_*` kconfig extern).
    pub fn needs_kconfig(&self) -> bool {
        self.list
            .iter()
            .any(|e| matches!(e.kind, ExternKind::Kconfig(_)) && e.name.starts_with("CONFIG_"))
    }

    /// True when some extern needs `/proc/kallsyms` (an untyped ksym).
    pub fn needs_kallsyms(&self) -> bool {
        self.list
            .iter()
            .any(|e| matches!(e.kind, ExternKind::Ksym { typed: false, .. }))
    }

    /// The names to look for in `/proc/kallsyms` ([`kallsyms::Kallsyms::parse`]):
    /// every ksym variable, typed or not, as libbpf matches them.
    pub fn kallsyms_names(&self) -> impl Iterator<Item = &str> {
        self.list
            .iter()
            .filter(|e| matches!(e.kind, ExternKind::Ksym { .. }))
            .map(|e| e.name.as_str())
    }

    /// True when some extern needs the kernel's BTF (a typed ksym or a kfunc).
    pub fn needs_kernel_btf(&self) -> bool {
        self.list.iter().any(|e| {
            matches!(
                e.kind,
                ExternKind::Ksym { typed: true, .. } | ExternKind::Kfunc { .. }
            )
        })
    }
}

/// The `.kconfig` layout as the kernel's copy of the object's BTF describes it
/// (libbpf gives the `.kconfig` `DATASEC` its size and each variable its offset):
/// the value's size and each kconfig extern's (name, offset). `None` when there
/// is no kconfig extern or the externs cannot be described (their resolution
/// reports why).
pub(crate) fn kconfig_layout(
    btf: &Btf,
    symbols: &[SymbolRef],
) -> Option<(u64, Vec<(String, u64)>)> {
    let externs = Externs::collect_from(Some(btf), symbols).ok()?;
    if externs.kconfig_size == 0 {
        return None;
    }
    let offsets = externs
        .iter()
        .filter_map(|e| match e.kind {
            ExternKind::Kconfig(slot) => Some((e.name.clone(), u64::from(slot.offset))),
            _ => None,
        })
        .collect();
    Some((u64::from(externs.kconfig_size), offsets))
}

/// libbpf's `cmp_externs`: kconfig before ksyms; kconfig ones by decreasing
/// alignment, then increasing size; then by name.
fn compare_externs(a: &Extern, b: &Extern) -> Ordering {
    let rank = |e: &Extern| match e.kind {
        ExternKind::Kconfig(_) => 0,
        _ => 1,
    };
    rank(a)
        .cmp(&rank(b))
        .then_with(|| match (&a.kind, &b.kind) {
            (ExternKind::Kconfig(x), ExternKind::Kconfig(y)) => y
                .align
                .cmp(&x.align)
                .then(x.size.cmp(&y.size))
                .then_with(|| a.name.as_bytes().cmp(b.name.as_bytes())),
            _ => a.name.as_bytes().cmp(b.name.as_bytes()),
        })
}

/// libbpf's `find_extern_btf_id`: the first `VAR` or `FUNC` named `name`, which
/// must have extern linkage.
fn find_extern_type(btf: &Btf, name: &str) -> Result<u32, ExternError> {
    for (id, ty) in btf.types() {
        if !matches!(ty.kind, BtfKind::Var | BtfKind::Func) {
            continue;
        }
        if btf.string(ty.name_off).ok() != Some(name) {
            continue;
        }
        let is_extern = match (&ty.kind, &ty.detail) {
            (BtfKind::Var, TypeDetail::Var { linkage }) => *linkage == VAR_EXTERN,
            (BtfKind::Func, _) => ty.vlen == FUNC_EXTERN,
            _ => false,
        };
        if !is_extern {
            return Err(ExternError::NoBtfType {
                name: name.to_string(),
                reason: format!("its BTF {:?} (type {id}) is not declared extern", ty.kind),
            });
        }
        return Ok(id);
    }
    Err(ExternError::NoBtfType {
        name: name.to_string(),
        reason: "no BTF VAR or FUNC of that name describes it".to_string(),
    })
}

/// libbpf's `find_extern_sec_btf_id`: the first `DATASEC` listing type `id`.
fn find_extern_section<'b>(
    btf: &'b Btf,
    id: u32,
    name: &str,
) -> Result<(u32, &'b str), ExternError> {
    for (section_id, ty) in btf.types() {
        let TypeDetail::Datasec(vars) = &ty.detail else {
            continue;
        };
        if ty.kind == BtfKind::Datasec && vars.iter().any(|v| v.type_id == id) {
            let section = btf.string(ty.name_off).map_err(|source| ExternError::Btf {
                name: name.to_string(),
                source,
            })?;
            return Ok((section_id, section));
        }
    }
    Err(ExternError::Section {
        name: name.to_string(),
        reason: format!("its BTF type {id} is in no data section"),
    })
}

/// The kconfig slot of an extern of type `type_id` (offset still 0): size,
/// alignment and libbpf's `find_kcfg_type`.
fn kconfig_slot(btf: &Btf, name: &str, type_id: u32) -> Result<KconfigSlot, ExternError> {
    let btf_err = |source| ExternError::Btf {
        name: name.to_string(),
        source,
    };
    let unsupported = |reason: String| ExternError::KconfigType {
        name: name.to_string(),
        type_id,
        reason,
    };
    let size = btf.resolve_size(type_id).map_err(btf_err)?;
    if size == 0 {
        return Err(unsupported("it has size 0".to_string()));
    }
    let align = align_of(btf, type_id).map_err(btf_err)?;
    if align == 0 {
        return Err(unsupported("it has alignment 0".to_string()));
    }
    let (ty, signed) = kconfig_type(btf, type_id)
        .map_err(btf_err)?
        .ok_or_else(|| {
            unsupported(format!(
                "{} is not bool, enum libbpf_tristate, an integer of 1, 2, 4 or 8 bytes, or a char array",
                types::describe(btf, skip_mods(btf, type_id).map(|(id, _)| id).unwrap_or(type_id))
            ))
        })?;
    Ok(KconfigSlot {
        ty,
        size,
        align,
        offset: 0,
        signed,
    })
}

/// libbpf's `find_kcfg_type`: the kconfig type and signedness, `None` if unsupported.
fn kconfig_type(btf: &Btf, type_id: u32) -> Result<Option<(KconfigType, bool)>, crate::BtfError> {
    let (_, ty) = skip_mods(btf, type_id)?;
    let name = btf.string(ty.name_off)?;
    Ok(match ty.kind {
        BtfKind::Int => {
            let encoding = types::int_encoding(&ty).map_or(0, |(encoding, _)| encoding);
            let size = ty.size_or_type;
            if encoding & INT_BOOL != 0 {
                return Ok((size == 1).then_some((KconfigType::Bool, false)));
            }
            let signed = encoding & INT_SIGNED != 0;
            if size == 1 {
                Some((KconfigType::Char, signed))
            } else if matches!(size, 2 | 4 | 8) {
                Some((KconfigType::Int { signed }, signed))
            } else {
                None
            }
        }
        BtfKind::Enum if ty.size_or_type == 4 && name == "libbpf_tristate" => {
            Some((KconfigType::Tristate, false))
        }
        BtfKind::Enum64 if name == "libbpf_tristate" => Some((KconfigType::Tristate, false)),
        BtfKind::Array => match ty.detail {
            TypeDetail::Array {
                elem_type, nelems, ..
            } if nelems > 0 => match kconfig_type(btf, elem_type)? {
                Some((KconfigType::Char, _)) => Some((KconfigType::CharArray, false)),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    })
}
