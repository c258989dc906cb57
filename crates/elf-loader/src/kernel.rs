//! The kernel a program is loaded into, as far as relocation needs to know it: its
//! BTF (the target of CO-RE relocations, typed `__ksym` variables and kfunc calls),
//! its config (`__kconfig` externs), `/proc/kallsyms` (untyped `__ksym`s) and version.
//!
//! Everything is read on first use and kept, so an object without CO-RE or externs
//! never touches `/sys/kernel/btf`, and a batch of loads reads it once. This is the
//! thin impure edge of relocation: the CO-RE engine and extern resolution take what
//! it read and make no system call themselves, so they can be run against any
//! kernel's BTF file ([`KernelInfo::with_btf_file`]) without that kernel.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::btf::target::VMLINUX_BTF;
use crate::btf::{BtfKind, TargetBtf};
use crate::error::BtfError;
use crate::error::RelocError;
use crate::externs::kconfig::{Kconfig, kernel_facts};
use crate::externs::resolve::{ExternTarget, LibbpfVersion, ResolvedExterns, resolve_collected};
use crate::externs::system::{self, running_kernel_version};
use crate::externs::{ExternError, ExternKind, Externs};
use crate::object::Object;

/// Facts about the target kernel, read lazily.
#[derive(Debug)]
pub struct KernelInfo {
    btf_path: PathBuf,
    btf: OnceLock<Result<Arc<TargetBtf>, BtfError>>,
    kconfig: OnceLock<Option<Kconfig>>,
}

impl KernelInfo {
    /// The running kernel: BTF from `/sys/kernel/btf/vmlinux`.
    pub fn running() -> KernelInfo {
        KernelInfo::with_btf_file(Path::new(VMLINUX_BTF))
    }

    /// A kernel described by a BTF file (another kernel's vmlinux BTF, as libbpf's
    /// `btf_custom_path`): relocations are computed for that kernel.
    pub fn with_btf_file(path: &Path) -> KernelInfo {
        KernelInfo {
            btf_path: path.to_path_buf(),
            btf: OnceLock::new(),
            kconfig: OnceLock::new(),
        }
    }

    /// A kernel whose BTF the caller has already read.
    pub fn with_btf(btf: TargetBtf) -> KernelInfo {
        let info = KernelInfo::with_btf_file(Path::new("(given)"));
        let _ = info.btf.set(Ok(Arc::new(btf)));
        info
    }

    /// The process-wide [`KernelInfo::running`], read once per process.
    pub fn running_shared() -> &'static KernelInfo {
        static RUNNING: OnceLock<KernelInfo> = OnceLock::new();
        RUNNING.get_or_init(KernelInfo::running)
    }

    /// Where the BTF comes from.
    pub fn btf_path(&self) -> &Path {
        &self.btf_path
    }

    /// The kernel's BTF, read on the first call.
    pub fn btf(&self) -> Result<&TargetBtf, BtfError> {
        self.btf_with_names(&[], &[])
    }

    /// [`KernelInfo::btf`]; when this call is the one that reads it, `names` are
    /// looked up among types of `kinds` while it is indexed (see
    /// [`TargetBtf::from_file_with_names`]), which saves a pass later.
    pub fn btf_with_names(
        &self,
        names: &[&str],
        kinds: &[BtfKind],
    ) -> Result<&TargetBtf, BtfError> {
        self.btf
            .get_or_init(|| {
                TargetBtf::from_file_with_names(&self.btf_path, names, kinds).map(Arc::new)
            })
            .as_deref()
            .map_err(Clone::clone)
    }

    /// The running kernel's config (`/boot/config-$(uname -r)` or `/proc/config.gz`),
    /// read on the first call; `None` when neither can be read.
    pub fn kconfig(&self) -> Option<&Kconfig> {
        self.kconfig
            .get_or_init(|| system::read_kconfig("CONFIG_").ok())
            .as_ref()
    }

    /// How `object`'s externs resolve on this kernel (see
    /// [`crate::externs::resolve::resolve_externs`]), reading only what they need:
    /// the BTF for typed ksyms and kfuncs, the config for `CONFIG_*` externs,
    /// kallsyms for untyped ksyms. `None` when the object has no externs.
    ///
    /// Externs name objects of the kernel the program is loaded into, so they are
    /// always resolved against the running kernel's BTF, even when this describes
    /// another kernel's for CO-RE (as libbpf's `btf_custom_path` only affects CO-RE).
    pub fn resolve_externs(&self, object: &Object) -> Result<Option<ResolvedExterns>, RelocError> {
        if self.btf_path != Path::new(VMLINUX_BTF) {
            return KernelInfo::running_shared().resolve_externs(object);
        }
        let externs = Externs::collect(object).map_err(extern_error)?;
        if externs.is_empty() {
            return Ok(None);
        }
        let vmlinux = if externs.needs_kernel_btf() {
            let names: Vec<&str> = externs
                .iter()
                .filter(|e| matches!(e.kind, ExternKind::Ksym { .. } | ExternKind::Kfunc { .. }))
                .map(|e| e.name.as_str())
                .collect();
            let btf = self
                .btf_with_names(&names, &[BtfKind::Var, BtfKind::Func])
                .map_err(|source| RelocError::KernelBtf {
                    what: format!("extern \"{}\"", names.first().copied().unwrap_or("")),
                    source,
                })?;
            Some(btf)
        } else {
            self.btf().ok()
        };
        let kconfig = if externs.needs_kconfig() {
            self.kconfig()
        } else {
            None
        };
        let kallsyms = if externs.needs_kallsyms() {
            Some(system::read_kallsyms(externs.kallsyms_names()).map_err(extern_error)?)
        } else {
            None
        };
        let facts = kernel_facts(
            &externs,
            running_kernel_version(),
            vmlinux,
            externs.get("LINUX_HAS_SYSCALL_WRAPPER").is_some() && system::kprobes_available(),
        );
        let target = ExternTarget {
            vmlinux,
            modules: &[],
            kconfig,
            kallsyms: kallsyms.as_ref(),
            facts,
            libbpf: LibbpfVersion::V1_1,
        };
        resolve_collected(object, externs, &target)
            .map(Some)
            .map_err(extern_error)
    }
}

/// An extern problem as a relocation error.
fn extern_error(source: ExternError) -> RelocError {
    RelocError::Extern {
        source: Box::new(source),
    }
}
