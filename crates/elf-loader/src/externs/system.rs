//! The thin impure edge of extern resolution: reading the running kernel's config,
//! `/proc/kallsyms` and version from the files libbpf reads. Everything that
//! interprets them is pure and lives in [`super::kconfig`] and [`super::kallsyms`].

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bpf_sys::BtfFd;

use crate::btf::TargetBtf;

use super::ExternError;
use super::kallsyms::Kallsyms;
use super::kconfig::{Kconfig, kernel_version};
use super::libbpf::LibbpfVersion;
use super::resolve::ModuleBtf;

/// The gzip magic bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The files libbpf tries for the kernel config, in its order:
/// `/boot/config-$(uname -r)`, then `/proc/config.gz`.
pub fn kconfig_paths() -> Vec<PathBuf> {
    let release = read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_default();
    vec![
        PathBuf::from(format!("/boot/config-{release}")),
        PathBuf::from("/proc/config.gz"),
    ]
}

/// Reads and parses the running kernel's config from the first of
/// [`kconfig_paths`] that can be read (gzip-compressed or not, as libbpf's
/// `gzopen` takes both). `name` is the extern that needs it, for the error.
pub fn read_kconfig(name: &str) -> Result<Kconfig, ExternError> {
    let mut reasons = Vec::new();
    for path in kconfig_paths() {
        match read_maybe_gzip(&path) {
            Ok(text) => return Kconfig::parse(&text),
            Err(reason) => reasons.push(format!("{}: {reason}", path.display())),
        }
    }
    Err(ExternError::NoKconfig {
        name: name.to_string(),
        reason: Some(reasons.join("; ")),
    })
}

/// Reads a file, decompressing it if it starts with the gzip magic.
pub fn read_maybe_gzip(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    if bytes.starts_with(&GZIP_MAGIC) {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot decompress: {e}"))?;
        Ok(text)
    } else {
        String::from_utf8(bytes).map_err(|e| format!("not text: {e}"))
    }
}

/// Reads `/proc/kallsyms` and keeps the addresses of `wanted` (see
/// [`Kallsyms::parse`]). Addresses are all 0 unless the caller is privileged.
pub fn read_kallsyms<'a>(
    wanted: impl IntoIterator<Item = &'a str>,
) -> Result<Kallsyms, ExternError> {
    let mut wanted = wanted.into_iter().peekable();
    let first = wanted.peek().map(|s| s.to_string()).unwrap_or_default();
    let text = std::fs::read_to_string("/proc/kallsyms").map_err(|e| ExternError::NoKallsyms {
        name: first,
        reason: Some(e.to_string()),
    })?;
    Kallsyms::parse(&text, wanted)
}

/// The running kernel's version code as tc 6.1's libbpf 1.1 computes it
/// ([`kernel_version`]) from `/proc/version_signature` and `uname -r`; see
/// [`running_kernel_version_as`] for later libbpf.
pub fn running_kernel_version() -> u32 {
    running_kernel_version_as(LibbpfVersion::V1_1)
}

/// The running kernel's version code as `libbpf` computes it ([`kernel_version`])
/// from `/proc/version_signature`, `uname -r` and `uname -v` (read from
/// `/proc/sys/kernel/osrelease` and `/proc/sys/kernel/version`, the same strings).
/// 0 if unknown.
pub fn running_kernel_version_as(libbpf: LibbpfVersion) -> u32 {
    let signature = read_trimmed("/proc/version_signature");
    let release = read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_default();
    let version = read_trimmed("/proc/sys/kernel/version").unwrap_or_default();
    kernel_version(signature.as_deref(), &release, &version, libbpf)
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim_end().to_string())
}

/// Whether the running kernel takes kprobes, as libbpf finds out before probing
/// for `LINUX_HAS_SYSCALL_WRAPPER`: the kprobe PMU
/// (`/sys/bus/event_source/devices/kprobe/type`), or else tracefs's
/// `kprobe_events`.
pub fn kprobes_available() -> bool {
    [
        "/sys/bus/event_source/devices/kprobe/type",
        "/sys/kernel/tracing/kprobe_events",
        "/sys/kernel/debug/tracing/kprobe_events",
    ]
    .iter()
    .any(|path| Path::new(path).exists())
}

/// A kernel module's BTF, as libbpf's `load_module_btfs` finds it: its BTF object
/// (whose fd goes into `fd_array` for kfunc calls, or into the second half of a
/// `BPF_PSEUDO_BTF_ID` load for ksyms) and its types, split on vmlinux's.
#[derive(Debug)]
pub struct KernelModuleBtf {
    /// The module's name.
    pub name: String,
    /// Its kernel-wide BTF object id.
    pub id: u32,
    /// An fd to its BTF object.
    pub fd: BtfFd,
    /// Its types, read from `/sys/kernel/btf/<name>`.
    pub btf: TargetBtf,
}

impl KernelModuleBtf {
    /// This module as [`super::resolve::ExternTarget::modules`] wants it.
    pub fn as_module(&self) -> ModuleBtf<'_, TargetBtf> {
        ModuleBtf {
            name: &self.name,
            btf: &self.btf,
        }
    }
}

/// Every module BTF the running kernel holds, in BTF object id order (libbpf's
/// search order): each kernel BTF object other than vmlinux, opened by id, its
/// types read from `/sys/kernel/btf/<name>` on top of `vmlinux`. Without the
/// privilege to list BTF objects, none (as libbpf).
pub fn module_btfs(vmlinux: &Arc<TargetBtf>) -> Result<Vec<KernelModuleBtf>, ExternError> {
    let fail = |module: String, reason: String| ExternError::ModuleBtf { module, reason };
    let mut modules = Vec::new();
    let mut id = 0;
    loop {
        let next = match bpf_sys::btf_get_next_id(id) {
            Ok(Some(next)) => next,
            Ok(None) => return Ok(modules),
            Err(e) if e.raw_os_error() == Some(nix::libc::EPERM) => return Ok(modules),
            Err(e) => return Err(fail(format!("after #{id}"), e.to_string())),
        };
        id = next;
        let fd = match bpf_sys::btf_get_fd_by_id(id) {
            Ok(fd) => fd,
            // Unloaded since it was listed.
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOENT) => continue,
            Err(e) => return Err(fail(format!("#{id}"), e.to_string())),
        };
        let info = bpf_sys::btf_info(std::os::fd::AsFd::as_fd(&fd))
            .map_err(|e| fail(format!("#{id}"), e.to_string()))?;
        if !info.kernel_btf || info.name == "vmlinux" {
            continue;
        }
        let path = Path::new("/sys/kernel/btf").join(&info.name);
        let data = std::fs::read(&path)
            .map_err(|e| fail(info.name.clone(), format!("{}: {e}", path.display())))?;
        let btf = TargetBtf::parse_split(&info.name, data, Arc::clone(vmlinux))
            .map_err(|e| fail(info.name.clone(), e.to_string()))?;
        modules.push(KernelModuleBtf {
            name: info.name,
            id,
            fd,
            btf,
        });
    }
}
