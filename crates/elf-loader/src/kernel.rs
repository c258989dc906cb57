//! The kernel a program is loaded into, as far as relocation needs to know it: its
//! BTF (the target of CO-RE relocations, typed `__ksym` variables and kfunc calls).
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

/// Facts about the target kernel, read lazily.
#[derive(Debug)]
pub struct KernelInfo {
    btf_path: PathBuf,
    btf: OnceLock<Result<Arc<TargetBtf>, BtfError>>,
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
}
