//! Resolving externs against a kernel, and rewriting the instructions that use
//! them, as libbpf's `bpf_object__resolve_externs` and `bpf_object__relocate_data`
//! do. Pure: the kernel is described by its BTF (any [`TypeTable`]: the running
//! kernel's `/sys/kernel/btf/vmlinux` or another kernel's file), its config and
//! kallsyms text, and a few facts; nothing here makes a syscall.
//!
//! Instruction encodings ([`patch_extern_ref`]):
//!
//! | reference | instruction(s) after |
//! |---|---|
//! | kconfig variable (`ld_imm64`) | `src_reg = BPF_PSEUDO_MAP_VALUE` (2), `imm` = `.kconfig` map fd; second half `imm` = the variable's offset in the map value |
//! | typed ksym, found (`ld_imm64`) | `src_reg = BPF_PSEUDO_BTF_ID` (3), `imm` = the kernel `VAR`'s BTF id; second half `imm` = the module's BTF fd, 0 for vmlinux |
//! | kfunc address, found (`ld_imm64`, e.g. `bpf_ksym_exists`) | as a typed ksym, with the kernel `FUNC`'s BTF id (libbpf 1.1 leaves the second half 0 even for a module's kfunc) |
//! | untyped ksym (`ld_imm64`) | `src_reg` unchanged (0); `imm` = low 32 bits of the kallsyms address, second half `imm` = high 32 bits |
//! | weak ksym or kfunc address, absent (`ld_imm64`) | as untyped, with address 0: the program sees a null pointer |
//! | kfunc call, found | `src_reg = BPF_PSEUDO_KFUNC_CALL` (2), `imm` = the kernel `FUNC`'s BTF id, `off` = 0 for vmlinux or the module BTF's index in `fd_array` (from 1) |
//! | weak kfunc call, absent | libbpf ≥ 1.2: poisoned, a helper call (`src_reg` 0, `dst_reg` 0, `off` 0) with `imm = 2002000000 + extern index`, which the verifier refuses only if reachable; libbpf 1.1 (tc 6.1): `src_reg = BPF_PSEUDO_KFUNC_CALL`, `imm` 0, `off` 0, which the kernel also accepts in dead code |

use std::os::fd::{AsRawFd, BorrowedFd};

use bpf_sys::Insn;
use bpf_sys::consts::{
    BPF_CALL, BPF_JMP, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_VALUE,
};

use super::kallsyms::Kallsyms;
use super::kconfig::{Kconfig, KernelFacts, fill_kconfig};
pub use super::libbpf::LibbpfVersion;
use super::types::{TypeTable, describe, skip_mods, types_are_compat};
use super::{Extern, ExternError, ExternKind, Externs};
use crate::btf::BtfKind;
use crate::object::Object;

/// Base of the immediate of a poisoned kfunc call (libbpf's
/// `POISON_CALL_KFUNC_BASE`); the extern's index is added.
pub const POISON_CALL_KFUNC_BASE: i32 = 2_002_000_000;

/// Which BTF object a kernel type belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BtfObject {
    /// The kernel proper (`/sys/kernel/btf/vmlinux`).
    Vmlinux,
    /// A module: the index into [`ExternTarget::modules`].
    Module(usize),
}

/// How one extern resolves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resolution {
    /// A kconfig variable at this offset of the `.kconfig` map's value (whether
    /// the kernel had a value or a `__weak` one was left zero).
    Kconfig {
        /// Offset in the map value.
        offset: u32,
    },
    /// A typed ksym: the kernel `VAR` with this BTF id.
    KsymBtf {
        /// Its id in that BTF (libbpf can leave 0 here, see
        /// [`resolve_externs`]).
        btf_id: u32,
        /// The BTF holding it.
        btf: BtfObject,
    },
    /// An untyped ksym at this kernel address.
    KsymAddr(u64),
    /// A kfunc: the kernel `FUNC` with this BTF id.
    Kfunc {
        /// Its id in that BTF.
        btf_id: u32,
        /// The BTF holding it.
        btf: BtfObject,
        /// Its BTF's index in the program's `fd_array` (0 for vmlinux).
        fd_index: i16,
    },
    /// A `__weak` ksym or kfunc the kernel does not have.
    Missing,
}

/// A module's BTF, searched after vmlinux for ksyms and kfuncs.
#[derive(Debug)]
pub struct ModuleBtf<'a, T: ?Sized> {
    /// The module's name (for messages).
    pub name: &'a str,
    /// Its BTF; `find_named` must find the module's own types only.
    pub btf: &'a T,
}

/// What resolution knows about the kernel.
#[derive(Debug)]
pub struct ExternTarget<'a, T: ?Sized> {
    /// The kernel's BTF; needed if the object has typed ksyms or kfuncs.
    pub vmlinux: Option<&'a T>,
    /// Module BTFs, in the order libbpf finds them (by BTF object id).
    pub modules: &'a [ModuleBtf<'a, T>],
    /// The kernel config; needed if the object has `CONFIG_*` externs.
    pub kconfig: Option<&'a Kconfig>,
    /// The kallsyms addresses ([`Externs::kallsyms_names`]); needed if the object
    /// has untyped ksyms.
    pub kallsyms: Option<&'a Kallsyms>,
    /// Values of the `LINUX_*` kconfig externs.
    pub facts: KernelFacts,
    /// Which libbpf to behave like where they differ.
    pub libbpf: LibbpfVersion,
}

// Written out: derived ones would ask `T: Copy` of the BTF behind the reference.
impl<T: ?Sized> Clone for ModuleBtf<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: ?Sized> Copy for ModuleBtf<'_, T> {}
impl<T: ?Sized> Clone for ExternTarget<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: ?Sized> Copy for ExternTarget<'_, T> {}

/// How each extern of an object resolves against one kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedExterns {
    externs: Externs,
    resolutions: Vec<Resolution>,
    kconfig_value: Vec<u8>,
    fd_array_modules: Vec<usize>,
    libbpf: LibbpfVersion,
}

impl ResolvedExterns {
    /// The externs, in libbpf's order.
    pub fn externs(&self) -> &Externs {
        &self.externs
    }

    /// Each extern with its resolution.
    pub fn iter(&self) -> impl Iterator<Item = (&Extern, Resolution)> {
        self.externs.iter().zip(self.resolutions.iter().copied())
    }

    /// The resolution of the extern whose symbol has index `symbol_index`.
    pub fn by_symbol(&self, symbol_index: usize) -> Option<(&Extern, Resolution)> {
        self.iter().find(|(e, _)| e.symbol_index == symbol_index)
    }

    /// The `.kconfig` map's value (empty without kconfig externs).
    pub fn kconfig_value(&self) -> &[u8] {
        &self.kconfig_value
    }

    /// Rewrites the instruction at `at` if the relocation there names an extern
    /// (its symbol has index `symbol_index`), with [`patch_extern_ref`] and the
    /// libbpf behaviour resolution used. Returns false, changing nothing, for a
    /// symbol that is not an extern.
    pub fn patch(
        &self,
        insns: &mut [Insn],
        at: usize,
        symbol_index: usize,
        fds: &ExternFds<'_>,
    ) -> Result<bool, ExternError> {
        let Some((ext, resolution)) = self.by_symbol(symbol_index) else {
            return Ok(false);
        };
        patch_extern_ref(insns, at, ext, resolution, fds, self.libbpf)?;
        Ok(true)
    }

    /// The module BTFs that kfunc calls refer to through `fd_array`: entry `i` is
    /// the module (index into [`ExternTarget::modules`]) at `fd_array[i + 1]`
    /// (index 0 is never used). Empty when every kfunc is in vmlinux; otherwise
    /// the program must be loaded with that `fd_array`.
    pub fn fd_array_modules(&self) -> &[usize] {
        &self.fd_array_modules
    }
}

/// Resolves every extern of `object` against `kernel`, as libbpf does:
///
/// * kconfig externs get their value in [`ResolvedExterns::kconfig_value`] (see
///   [`fill_kconfig`]);
/// * an untyped ksym takes its kallsyms address;
/// * a typed ksym the kernel `VAR` of its name (vmlinux first, then modules) whose
///   type is compatible with the local one (an incompatible one is an error, weak
///   or not);
/// * a kfunc the kernel `FUNC` of its name whose prototype is compatible; a weak
///   kfunc that is absent is [`Resolution::Missing`], and so is an incompatible
///   one for [`LibbpfVersion::Latest`] (libbpf 1.1 refuses it);
/// * a strong extern that cannot be resolved is an error naming it.
///
/// One libbpf quirk is kept: when kallsyms is read (the object has an untyped
/// ksym), a weak typed ksym absent from BTF but present in kallsyms resolves to
/// `KsymBtf { btf_id: 0 }`, which the verifier refuses.
pub fn resolve_externs<T: TypeTable + ?Sized>(
    object: &Object,
    kernel: &ExternTarget<'_, T>,
) -> Result<ResolvedExterns, ExternError> {
    let externs = Externs::collect(object)?;
    resolve_collected(object, externs, kernel)
}

/// [`resolve_externs`] for externs already collected from `object`.
pub fn resolve_collected<T: TypeTable + ?Sized>(
    object: &Object,
    externs: Externs,
    kernel: &ExternTarget<'_, T>,
) -> Result<ResolvedExterns, ExternError> {
    // libbpf reports a strong extern left without a value (a kconfig one, an
    // untyped ksym) only after resolving the others, so a kernel-BTF problem is
    // reported first; the outcome is the same.
    let mut unresolved: Option<ExternError> = None;
    let kconfig_value = if externs.kconfig_size() > 0 {
        match fill_kconfig(&externs, kernel.kconfig, &kernel.facts) {
            Ok(value) => value,
            Err(error @ ExternError::Unresolved { .. }) => {
                unresolved = Some(error);
                Vec::new()
            }
            Err(error) => return Err(error),
        }
    } else {
        Vec::new()
    };
    let need_kallsyms = externs
        .iter()
        .find(|e| matches!(e.kind, ExternKind::Ksym { typed: false, .. }));
    if let (Some(ext), None) = (need_kallsyms, kernel.kallsyms) {
        return Err(ExternError::NoKallsyms {
            name: ext.name.clone(),
            reason: None,
        });
    }
    let kallsyms = kernel.kallsyms.filter(|_| need_kallsyms.is_some());
    let mut fd_array_modules: Vec<usize> = Vec::new();
    let mut resolutions = Vec::with_capacity(externs.len());
    for ext in externs.iter() {
        let resolution = match ext.kind {
            ExternKind::Kconfig(slot) => Resolution::Kconfig {
                offset: slot.offset,
            },
            ExternKind::Ksym { typed: false, .. } => {
                match kallsyms.and_then(|k| k.address(&ext.name)) {
                    Some(address) => Resolution::KsymAddr(address),
                    None if ext.weak => Resolution::Missing,
                    None => {
                        unresolved.get_or_insert(ExternError::Unresolved {
                            name: ext.name.clone(),
                            reason: "not in /proc/kallsyms".to_string(),
                        });
                        Resolution::Missing
                    }
                }
            }
            ExternKind::Ksym {
                typed: true,
                type_id,
            } => resolve_ksym_var(object, ext, type_id, kernel, kallsyms)?,
            ExternKind::Kfunc { proto_id } => {
                resolve_kfunc(object, ext, proto_id, kernel, &mut fd_array_modules)?
            }
        };
        resolutions.push(resolution);
    }
    if let Some(error) = unresolved {
        return Err(error);
    }
    Ok(ResolvedExterns {
        externs,
        resolutions,
        kconfig_value,
        fd_array_modules,
        libbpf: kernel.libbpf,
    })
}

/// What one extern would resolve to, for offline inspection (`rtc obj show --btf`):
/// each extern on its own, so that one failure does not hide the others. A kconfig
/// extern is [`Resolution::Kconfig`] when its value can be filled from
/// `kernel.kconfig` and `kernel.facts` (or it is `__weak`), an error otherwise; an
/// untyped ksym needs `kernel.kallsyms`.
pub fn resolve_each<'e, T: TypeTable + ?Sized>(
    object: &Object,
    externs: &'e Externs,
    kernel: &ExternTarget<'_, T>,
) -> Vec<(&'e Extern, Result<Resolution, ExternError>)> {
    let mut fd_array_modules = Vec::new();
    externs
        .iter()
        .map(|ext| {
            let outcome = match ext.kind {
                ExternKind::Kconfig(slot) => kconfig_outcome(ext, &slot, kernel),
                ExternKind::Ksym { typed: false, .. } => match kernel.kallsyms {
                    None => Err(ExternError::NoKallsyms {
                        name: ext.name.clone(),
                        reason: None,
                    }),
                    Some(k) => match k.address(&ext.name) {
                        Some(address) => Ok(Resolution::KsymAddr(address)),
                        None if ext.weak => Ok(Resolution::Missing),
                        None => Err(ExternError::Unresolved {
                            name: ext.name.clone(),
                            reason: "not in /proc/kallsyms".to_string(),
                        }),
                    },
                },
                ExternKind::Ksym {
                    typed: true,
                    type_id,
                } => resolve_ksym_var(object, ext, type_id, kernel, None),
                ExternKind::Kfunc { proto_id } => {
                    resolve_kfunc(object, ext, proto_id, kernel, &mut fd_array_modules)
                }
            };
            (ext, outcome)
        })
        .collect()
}

/// Whether a kconfig extern gets a value on `kernel` (see [`resolve_each`]).
fn kconfig_outcome<T: ?Sized>(
    ext: &Extern,
    slot: &super::KconfigSlot,
    kernel: &ExternTarget<'_, T>,
) -> Result<Resolution, ExternError> {
    let resolved = Ok(Resolution::Kconfig {
        offset: slot.offset,
    });
    let name = ext.name.as_str();
    if !name.starts_with("CONFIG_") {
        // The virtual LINUX_* ones: fill just this one to see whether it fits.
        let single = Externs {
            list: vec![ext.clone()],
            kconfig_size: slot.offset + slot.size,
            kconfig_datasec: 0,
        };
        return fill_kconfig(&single, None, &kernel.facts).and(resolved);
    }
    let config = kernel.kconfig.ok_or_else(|| ExternError::NoKconfig {
        name: name.to_string(),
        reason: None,
    })?;
    match config.get(name) {
        Some(raw) => super::kconfig::kconfig_value_bytes(name, slot, raw).and(resolved),
        None if ext.weak => resolved,
        None => Err(ExternError::Unresolved {
            name: name.to_string(),
            reason: "the kernel config does not set it".to_string(),
        }),
    }
}

/// Whether some typed ksym or kfunc of `externs` is not in `vmlinux`, so that
/// module BTFs must be searched (libbpf loads them only then).
pub fn needs_module_btfs<T: TypeTable + ?Sized>(
    externs: &Externs,
    vmlinux: &T,
    libbpf: LibbpfVersion,
) -> bool {
    externs.iter().any(|ext| match ext.kind {
        ExternKind::Ksym { typed: true, .. } => {
            vmlinux.find_named(BtfKind::Var, &ext.name).is_none()
        }
        ExternKind::Kfunc { .. } => {
            let name = match libbpf {
                LibbpfVersion::V1_1 => ext.name.as_str(),
                LibbpfVersion::Latest => ext.essential_name(),
            };
            vmlinux.find_named(BtfKind::Func, name).is_none()
        }
        _ => false,
    })
}

/// Finds `name` of `kind` in vmlinux, then in each module (libbpf's
/// `find_ksym_btf_id`).
fn find_ksym<T: TypeTable + ?Sized>(
    ext: &Extern,
    kind: BtfKind,
    name: &str,
    kernel: &ExternTarget<'_, T>,
) -> Result<Option<(u32, BtfObject)>, ExternError> {
    let vmlinux = kernel.vmlinux.ok_or_else(|| ExternError::Unresolved {
        name: ext.name.clone(),
        reason: "the kernel's BTF is needed to resolve it and was not given".to_string(),
    })?;
    if let Some(id) = vmlinux.find_named(kind, name) {
        return Ok(Some((id, BtfObject::Vmlinux)));
    }
    Ok(kernel.modules.iter().enumerate().find_map(|(i, module)| {
        module
            .btf
            .find_named(kind, name)
            .map(|id| (id, BtfObject::Module(i)))
    }))
}

fn target_btf<'a, T: TypeTable + ?Sized>(
    kernel: &ExternTarget<'a, T>,
    btf: BtfObject,
) -> Option<&'a T> {
    match btf {
        BtfObject::Vmlinux => kernel.vmlinux,
        BtfObject::Module(i) => kernel.modules.get(i).map(|m| m.btf),
    }
}

fn btf_name<T: ?Sized>(kernel: &ExternTarget<'_, T>, btf: BtfObject) -> String {
    match btf {
        BtfObject::Vmlinux => "vmlinux".to_string(),
        BtfObject::Module(i) => kernel
            .modules
            .get(i)
            .map_or_else(|| format!("module #{i}"), |m| m.name.to_string()),
    }
}

fn resolve_ksym_var<T: TypeTable + ?Sized>(
    object: &Object,
    ext: &Extern,
    local_type: u32,
    kernel: &ExternTarget<'_, T>,
    kallsyms: Option<&Kallsyms>,
) -> Result<Resolution, ExternError> {
    let btf_err = |source| ExternError::Btf {
        name: ext.name.clone(),
        source,
    };
    let Some((id, btf)) = find_ksym(ext, BtfKind::Var, &ext.name, kernel)? else {
        if !ext.weak {
            return Err(ExternError::Unresolved {
                name: ext.name.clone(),
                reason: "no VAR of that name in the kernel's BTF".to_string(),
            });
        }
        return Ok(match kallsyms.and_then(|k| k.address(&ext.name)) {
            Some(_) => Resolution::KsymBtf {
                btf_id: 0,
                btf: BtfObject::Vmlinux,
            },
            None => Resolution::Missing,
        });
    };
    let local = object.btf().ok_or_else(|| ExternError::NoBtf {
        name: ext.name.clone(),
    })?;
    let target = target_btf(kernel, btf).ok_or_else(|| ExternError::Unresolved {
        name: ext.name.clone(),
        reason: "its BTF went missing".to_string(),
    })?;
    let var = target.ty(id).map_err(btf_err)?;
    let (target_type, _) = skip_mods(target, var.size_or_type).map_err(btf_err)?;
    if !types_are_compat(local, local_type, target, target_type).map_err(btf_err)? {
        return Err(ExternError::IncompatibleKsym {
            name: ext.name.clone(),
            local_id: local_type,
            local: describe(local, local_type),
            target_id: target_type,
            target: describe(target, target_type),
        });
    }
    Ok(Resolution::KsymBtf { btf_id: id, btf })
}

fn resolve_kfunc<T: TypeTable + ?Sized>(
    object: &Object,
    ext: &Extern,
    local_proto: u32,
    kernel: &ExternTarget<'_, T>,
    fd_array_modules: &mut Vec<usize>,
) -> Result<Resolution, ExternError> {
    let btf_err = |source| ExternError::Btf {
        name: ext.name.clone(),
        source,
    };
    let name = match kernel.libbpf {
        LibbpfVersion::V1_1 => ext.name.as_str(),
        LibbpfVersion::Latest => ext.essential_name(),
    };
    let Some((id, btf)) = find_ksym(ext, BtfKind::Func, name, kernel)? else {
        if ext.weak {
            return Ok(Resolution::Missing);
        }
        return Err(ExternError::Unresolved {
            name: ext.name.clone(),
            reason: "no FUNC of that name in the kernel's or the modules' BTF".to_string(),
        });
    };
    let local = object.btf().ok_or_else(|| ExternError::NoBtf {
        name: ext.name.clone(),
    })?;
    let target = target_btf(kernel, btf).ok_or_else(|| ExternError::Unresolved {
        name: ext.name.clone(),
        reason: "its BTF went missing".to_string(),
    })?;
    let target_proto = target.ty(id).map_err(btf_err)?.size_or_type;
    if !types_are_compat(local, local_proto, target, target_proto).map_err(btf_err)? {
        if ext.weak && kernel.libbpf == LibbpfVersion::Latest {
            return Ok(Resolution::Missing);
        }
        return Err(ExternError::IncompatibleKfunc {
            name: ext.name.clone(),
            local_id: local_proto,
            btf: btf_name(kernel, btf),
            target_id: target_proto,
        });
    }
    let fd_index = match btf {
        BtfObject::Vmlinux => 0,
        BtfObject::Module(module) => {
            let position = match fd_array_modules.iter().position(|&m| m == module) {
                Some(p) => p,
                None => {
                    fd_array_modules.push(module);
                    fd_array_modules.len() - 1
                }
            };
            i16::try_from(position + 1).map_err(|_| ExternError::FdArrayFull {
                name: ext.name.clone(),
                index: position + 1,
            })?
        }
    };
    Ok(Resolution::Kfunc {
        btf_id: id,
        btf,
        fd_index,
    })
}

/// The file descriptors extern references are rewritten with.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExternFds<'a> {
    /// The `.kconfig` map (needed if the program reads a kconfig extern).
    pub kconfig_map: Option<BorrowedFd<'a>>,
    /// Module BTF fds, by index into [`ExternTarget::modules`] (needed for ksyms
    /// in modules).
    pub module_btfs: &'a [BorrowedFd<'a>],
}

/// Rewrites the instruction at `at` of `insns` (an `ld_imm64` with its second half,
/// or a call) that refers to `ext`, resolved as `resolution`, exactly as libbpf's
/// `bpf_object__relocate_data` does (see the table in the module documentation).
pub fn patch_extern_ref(
    insns: &mut [Insn],
    at: usize,
    ext: &Extern,
    resolution: Resolution,
    fds: &ExternFds<'_>,
    libbpf: LibbpfVersion,
) -> Result<(), ExternError> {
    let bad = |reason: String| ExternError::BadReference {
        insn: at,
        name: ext.name.clone(),
        reason,
    };
    let first = insns
        .get(at)
        .copied()
        .ok_or_else(|| bad(format!("the program has only {} instructions", insns.len())))?;
    if first.code == BPF_JMP | BPF_CALL {
        let mut call = first;
        call.set_src_reg(BPF_PSEUDO_KFUNC_CALL);
        match (&ext.kind, resolution) {
            (
                ExternKind::Kfunc { .. },
                Resolution::Kfunc {
                    btf_id, fd_index, ..
                },
            ) => {
                call.imm = btf_id as i32;
                call.off = fd_index;
            }
            (ExternKind::Kfunc { .. }, Resolution::Missing) => match libbpf {
                LibbpfVersion::Latest => {
                    let index = i32::try_from(ext.index)
                        .ok()
                        .and_then(|i| POISON_CALL_KFUNC_BASE.checked_add(i))
                        .ok_or_else(|| bad("too many externs to number".to_string()))?;
                    call = Insn::new(BPF_JMP | BPF_CALL, 0, 0, 0, index);
                }
                LibbpfVersion::V1_1 => {
                    call.imm = 0;
                    call.off = 0;
                }
            },
            (kind, resolution) => {
                return Err(bad(format!(
                    "a call to a {} resolved as {resolution:?}",
                    kind_label(kind)
                )));
            }
        }
        if let Some(slot) = insns.get_mut(at) {
            *slot = call;
        }
        return Ok(());
    }
    if !first.is_ld_imm64() || insns.get(at + 1).is_none() {
        return Err(bad(format!(
            "opcode {:#04x} is neither a call nor a complete ld_imm64",
            first.code
        )));
    }
    let (src_reg, imm, second_imm) = match resolution {
        Resolution::Kconfig { offset } => {
            let fd = fds
                .kconfig_map
                .ok_or_else(|| bad("no .kconfig map fd was given".to_string()))?;
            (Some(BPF_PSEUDO_MAP_VALUE), fd.as_raw_fd(), offset as i32)
        }
        Resolution::KsymBtf { btf_id, btf } | Resolution::Kfunc { btf_id, btf, .. } => {
            // libbpf 1.1 records no BTF fd for kfuncs, so a module kfunc's address
            // load names vmlinux (fixed in later versions).
            let kfunc_v1_1 =
                matches!(resolution, Resolution::Kfunc { .. }) && libbpf == LibbpfVersion::V1_1;
            let obj_fd = match btf {
                BtfObject::Vmlinux => 0,
                BtfObject::Module(_) if kfunc_v1_1 => 0,
                BtfObject::Module(i) => fds
                    .module_btfs
                    .get(i)
                    .map(|fd| fd.as_raw_fd())
                    .ok_or_else(|| bad(format!("no BTF fd was given for module #{i}")))?,
            };
            (Some(BPF_PSEUDO_BTF_ID), btf_id as i32, obj_fd)
        }
        Resolution::KsymAddr(address) => (None, address as u32 as i32, (address >> 32) as i32),
        Resolution::Missing => (None, 0, 0),
    };
    if let Some(first) = insns.get_mut(at) {
        if let Some(src) = src_reg {
            first.set_src_reg(src);
        }
        first.imm = imm;
    }
    if let Some(second) = insns.get_mut(at + 1) {
        second.imm = second_imm;
    }
    Ok(())
}

fn kind_label(kind: &ExternKind) -> &'static str {
    match kind {
        ExternKind::Kconfig(_) => "kconfig variable",
        ExternKind::Ksym { .. } => "ksym variable",
        ExternKind::Kfunc { .. } => "kfunc",
    }
}
