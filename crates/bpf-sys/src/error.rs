//! The error type shared by every bpf(2) wrapper.

use std::io;

/// What went wrong in a bpf(2) call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The kernel refused a command; `cmd` is its uapi name, e.g. `BPF_MAP_CREATE`.
    #[error("{cmd}: {source}")]
    Syscall {
        /// The bpf command that failed.
        cmd: &'static str,
        /// The errno the kernel returned.
        source: io::Error,
    },
    /// The verifier (or the BTF checker) rejected what was loaded; `log` is its whole log.
    #[error("{what} rejected by the kernel: {errno}")]
    Verifier {
        /// "program" or "BTF".
        what: &'static str,
        /// The errno of the final attempt.
        errno: io::Error,
        /// The complete verifier log (may be empty if the kernel wrote none).
        log: String,
    },
    /// An argument could not be turned into a valid request (wrong key size, NUL in a path...).
    #[error("{0}")]
    InvalidInput(String),
}

impl Error {
    /// The errno behind this error, if it came from the kernel.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            Error::Syscall { source, .. } => source.raw_os_error(),
            Error::Verifier { errno, .. } => errno.raw_os_error(),
            Error::InvalidInput(_) => None,
        }
    }

    /// The verifier log, when the kernel rejected a program or BTF blob.
    pub fn verifier_log(&self) -> Option<&str> {
        match self {
            Error::Verifier { log, .. } => Some(log),
            _ => None,
        }
    }
}
