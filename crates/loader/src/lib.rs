//! From a clang-built BPF object file to a program attached to a network device, in a
//! few lines, on top of `rtc-elf-loader` (reading, maps, relocation, loading) and
//! `rtc-netlink-tc` (the clsact qdisc, cls_bpf filters, XDP).
//!
//! ```no_run
//! use rtc_loader::{Device, Direction, Program, ProgType, XdpMode};
//! # fn main() -> Result<(), rtc_loader::Error> {
//! let dev = Device::named("eth0")?;
//! let tc = Program::from_file("drop-arp.o", "ingress")?.load(ProgType::SCHED_CLS)?;
//! let filter = tc.attach_tc(&dev, Direction::Ingress)?; // clsact added if missing
//! let xdp = Program::from_file("xdp-pass.o", "prog")?.load(ProgType::XDP)?;
//! let hook = xdp.attach_xdp(&dev, XdpMode::Generic)?;
//! hook.detach()?; // only if it is still this program
//! filter.detach()?; // exactly that filter (its pref and handle)
//! # Ok(()) }
//! ```
//!
//! - [`Program::from_file`] reads and parses; [`ProgramSource::load`] creates the maps
//!   and loads the program as a [`ProgType`] (the type decides the hook: a tc
//!   classifier cannot be given to XDP by mistake).
//! - [`Program::attach_tc`] and [`Program::attach_xdp`] return handles
//!   ([`TcAttachment`], [`XdpAttachment`]) that detach exactly what they attached.
//!   Dropping a handle leaves the attachment in place, as `tc` and `ip` do.
//! - [`Device`] resolves a name to an interface index in the caller's namespace or a
//!   [`Netns`] (`ip netns add NAME`); netlink sockets are opened inside it.
//! - [`LoadConfig`] says where maps are pinned; nothing is read from the environment.
//!
//! The library never prints. Each layer below stays usable on its own.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod device;
mod error;
mod prog_table;
mod program;
mod tc;
mod xdp;

pub use device::{Device, NETNS_RUN_DIR, Netns};
pub use elf_loader::{PinOptions, ProgType};
pub use error::{Error, Result};
pub use netlink_tc::XdpMode;
pub use prog_table::{ITER_PROG_NAME, ProgEntry, ProgTable, ProgTableError};
pub use program::{LoadConfig, Program, ProgramSource};
pub use tc::{Direction, TcAttachment};
pub use xdp::XdpAttachment;

// Handles move between threads (a loader may attach on one and detach on another):
// this stops the build if a field ever makes one of them lose `Send`.
const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<Device>();
    assert_send::<Netns>();
    assert_send::<Program>();
    assert_send::<TcAttachment>();
    assert_send::<XdpAttachment>();
    assert_send::<Error>();
};
