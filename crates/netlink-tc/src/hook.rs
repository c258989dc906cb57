//! What the bpf(2) device-hook modules ([`crate::tcx`], [`crate::bpf_link`]) share:
//! their error type and the observer they report each bpf(2) call to.
//!
//! tc's first entry point, cls_bpf, is netlink; the second, tcx, and bpf links are
//! bpf(2) commands. Both live in this crate because both answer the same question
//! for a loader author: "attach this program fd to that device's hook".

use std::path::PathBuf;

/// What went wrong attaching, detaching or querying a device hook through bpf(2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HookError {
    /// The chain changed since its revision was read (`ESTALE`); nothing was changed.
    #[error(
        "{cmd}: the chain at {hook} changed since revision {expected} was read \
         (the kernel answered ESTALE); nothing was changed"
    )]
    StaleRevision {
        /// The command that was refused.
        cmd: &'static str,
        /// The hook, e.g. `tcx_ingress of ifindex 3`.
        hook: String,
        /// The revision the caller expected.
        expected: u64,
    },
    /// The program is of a type that hook does not run.
    #[error("program id {prog_id} is of type {found}, but {hook} runs {wanted} programs")]
    WrongProgramType {
        /// The program's id.
        prog_id: u32,
        /// Its type's name.
        found: String,
        /// The type the hook needs.
        wanted: &'static str,
        /// The hook.
        hook: String,
    },
    /// The attachment is owned by a bpf link, so it cannot be detached directly.
    #[error(
        "{cmd}: the program at {hook} is owned by a bpf link (EBUSY); detach or unpin the link instead"
    )]
    OwnedByLink {
        /// The command that was refused.
        cmd: &'static str,
        /// The hook.
        hook: String,
    },
    /// The kernel does not know this hook (tcx needs Linux 6.6, netkit 6.7).
    #[error("{cmd}: this kernel has no {what} ({source})")]
    NotSupported {
        /// The command that was refused.
        cmd: &'static str,
        /// The missing feature.
        what: &'static str,
        /// The errno.
        source: std::io::Error,
    },
    /// A pin path already exists.
    #[error("pin path {0} exists already; remove it or choose another")]
    PinExists(PathBuf),
    /// A pin path does not lie in a bpffs.
    #[error("pin path {0} is not in a bpffs (mount one with: mount -t bpf bpf DIR)")]
    NotBpffs(PathBuf),
    /// Any other refusal of a bpf(2) command.
    #[error("{context}: {source}")]
    Bpf {
        /// What was being done.
        context: String,
        /// The syscall error.
        source: bpf_sys::Error,
    },
}

impl HookError {
    /// The errno behind the error, when the kernel gave one.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            HookError::StaleRevision { .. } => Some(libc::ESTALE),
            HookError::OwnedByLink { .. } => Some(libc::EBUSY),
            HookError::NotSupported { source, .. } => source.raw_os_error(),
            HookError::Bpf { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }
}

/// One bpf(2) call as an observer sees it: the command, its attributes by uapi name,
/// and the kernel's answer.
#[derive(Debug)]
pub struct BpfCall<'a> {
    /// The command's uapi name (`BPF_LINK_CREATE`).
    pub cmd: &'static str,
    /// Each attribute with its value as sent.
    pub fields: &'a [(&'static str, u64)],
    /// The kernel's answer: `Ok(text)` (e.g. `link fd 5`) or the error.
    pub answer: Result<String, &'a bpf_sys::Error>,
}

/// Receives every bpf(2) call the device-hook modules make (for `--explain`).
pub trait BpfObserver {
    /// A call was made and answered.
    fn bpf_call(&self, call: &BpfCall<'_>) {
        let _ = call;
    }
}

/// The observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoBpfObserver;

impl BpfObserver for NoBpfObserver {}

/// Reports a call to the observer and passes its result on.
pub(crate) fn observed<T>(
    observer: &dyn BpfObserver,
    cmd: &'static str,
    fields: &[(&'static str, u64)],
    result: bpf_sys::Result<T>,
    describe: impl FnOnce(&T) -> String,
) -> bpf_sys::Result<T> {
    let answer = match &result {
        Ok(value) => Ok(describe(value)),
        Err(e) => Err(e),
    };
    observer.bpf_call(&BpfCall {
        cmd,
        fields,
        answer,
    });
    result
}

/// `BPF_FS_MAGIC`, the `f_type` statfs reports for a bpffs.
const BPF_FS_MAGIC: nix::sys::statfs::FsType = nix::sys::statfs::FsType(0xcafe_4a11);

/// Checks that `path` can take a new pin: it must not exist and its directory must be
/// in a bpffs. Checked before anything is attached, so a bad path changes nothing.
pub fn check_pin_path(path: &std::path::Path) -> Result<(), HookError> {
    if path.symlink_metadata().is_ok() {
        return Err(HookError::PinExists(path.to_path_buf()));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match nix::sys::statfs::statfs(&dir) {
        Ok(fs) if fs.filesystem_type() == BPF_FS_MAGIC => Ok(()),
        _ => Err(HookError::NotBpffs(path.to_path_buf())),
    }
}
