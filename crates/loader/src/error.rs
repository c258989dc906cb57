//! The one error type of this crate: which step failed, on what, and the lower
//! layer's error as its source.

use std::path::PathBuf;

use elf_loader::ProgType;

/// Why a step of reading, loading, attaching or detaching failed.
///
/// Each variant names the file, section or device involved; the error of the layer
/// below (elf-loader, netlink-tc, bpf-sys, the OS) is its [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The object file could not be read.
    #[error("cannot read BPF object {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The object file is not a BPF object this loader understands.
    #[error("cannot parse BPF object {path}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser found.
        #[source]
        source: Box<elf_loader::ParseError>,
    },
    /// Creating the maps or loading the program failed (the verifier's log, if any,
    /// is in the source: [`elf_loader::LoadError::verifier_log`]).
    #[error("cannot load section {section} of {path}")]
    Load {
        /// The file.
        path: PathBuf,
        /// The section holding the program.
        section: String,
        /// What went wrong.
        #[source]
        source: Box<elf_loader::LoadError>,
    },
    /// A program was attached to a hook of another kind.
    #[error("a {found} program cannot be attached as {expected}")]
    WrongKind {
        /// The kind the hook needs.
        expected: ProgType,
        /// The kind the program was loaded as.
        found: ProgType,
    },
    /// The kernel did not tell the program's id.
    #[error("cannot read the loaded program's info")]
    ProgInfo(#[source] bpf_sys::Error),
    /// No device of that name in the namespace.
    #[error("no device named {name:?}")]
    NoDevice {
        /// The name looked up.
        name: String,
        /// What `if_nametoindex` said.
        #[source]
        source: nix::errno::Errno,
    },
    /// No device has that interface index in the namespace.
    #[error("no device with interface index {ifindex}")]
    NoIndex {
        /// The index looked up.
        ifindex: u32,
        /// What `if_indextoname` said.
        #[source]
        source: nix::errno::Errno,
    },
    /// A network namespace could not be opened, entered or left.
    #[error("network namespace {what}: {path}")]
    Netns {
        /// The step: "open", "enter", "return from".
        what: &'static str,
        /// The namespace file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A netlink request failed or was refused by the kernel (`op` names it).
    #[error("{op} on device {device}")]
    Netlink {
        /// The request: "add clsact qdisc", "add filter", "attach XDP", ...
        op: &'static str,
        /// The device's name.
        device: String,
        /// The socket's or the kernel's error (errno and extended-ack text).
        #[source]
        source: netlink_tc::Error,
    },
    /// What a handle would detach is no longer the program it attached (someone
    /// deleted or replaced it); nothing was changed.
    #[error("{what} on device {device} is no longer this program's; left as it is")]
    NotOurs {
        /// "tc filter pref P handle H", "XDP program".
        what: String,
        /// The device's name.
        device: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
