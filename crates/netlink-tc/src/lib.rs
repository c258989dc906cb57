//! rtnetlink for tc's BPF path, written out byte by byte: the clsact (or ingress)
//! qdisc, cls_bpf filters, XDP on links, the dumps behind `tc qdisc show` and
//! `tc filter show`, and the kernel's extended-ack errors.
//!
//! Requests are the exact bytes tc and ip (iproute2 6.1) send, apart from the
//! sequence number; `testdata/captures.txt` holds what the real tools sent and
//! received, and the tests compare against it. The crate knows nothing of ELF: a
//! filter or XDP request takes the fd of an already loaded program.
//!
//! Each layer stands alone:
//! - [`attr`] and [`message`]: netlink framing (write with [`message::MessageBuilder`],
//!   read with [`message::Messages`] and [`attr::AttrIter`]), checked lengths.
//! - [`qdisc`], [`filter`], [`xdp`], [`link`]: encode a request (`encode_*`),
//!   decode a reply (`decode_*`), no I/O. [`link`] holds the `IFLA_*` numbers and
//!   the decoded [`LinkInfo`] of a network device.
//! - [`socket`]: [`Netlink`] sends a request and waits, bounded, for its ack, answer
//!   or dump; the typed calls ([`Netlink::qdisc`], [`Netlink::filter`],
//!   [`Netlink::filters`], [`Netlink::set_xdp`], [`Netlink::links`], ...) combine
//!   both; [`xdp_replace`] replaces an XDP program only if it is still the one read;
//!   [`Netlink::filter_with_id`] returns the [`FilterId`] of the filter it added.
//!
//! ```no_run
//! use std::os::fd::AsFd;
//! use netlink_tc::{FilterOp, FilterSpec, BpfAttach, Netlink, QdiscOp, QdiscSpec, handle};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let ifindex = 2;
//! // A program loaded (here: pinned) by whatever loader you use.
//! let program = bpf_sys::obj_get(std::path::Path::new("/sys/fs/bpf/drop_arp"))?;
//! let mut nl = Netlink::open()?;
//! nl.qdisc(QdiscOp::Add, &QdiscSpec::clsact(ifindex))?;
//! let label = BpfAttach::object_name("drop-arp.o", "ingress");
//! let bpf = BpfAttach::program(program.as_fd(), label).with_direct_action(true);
//! nl.filter(FilterOp::Add, &FilterSpec::bpf(ifindex, handle::INGRESS, bpf))?;
//! # Ok(()) }
//! ```
//!
//! The bpf(2) side of device hooks sits beside the netlink side: [`tcx`] (tc's
//! link-based entry point: ordered chains with revisions) and [`bpf_link`] (XDP
//! owned by a link; listing, pinning and detaching links), with their error and
//! observer in [`hook`].
//!
//! The library never prints. To watch the traffic, give [`Netlink::set_observer`]
//! an [`Observer`]; [`explain::describe`] turns each message it sees into text.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod attr;
pub mod bpf_link;
pub mod chain;
pub mod error;
pub mod explain;
pub mod filter;
pub mod filter_id;
pub mod handle;
pub mod hook;
pub mod link;
pub mod message;
pub mod qdisc;
pub mod socket;
pub mod stats;
pub mod tca;
pub mod tcx;
pub mod xdp;
pub mod xdp_replace;

pub use error::{DecodeError, EncodeError, Error, KernelError};
pub use filter::{
    BpfAttach, BpfCode, BpfOptions, ClassicInsn, Filter, FilterDumpSpec, FilterOp, FilterOptions,
    FilterSpec,
};
pub use filter_id::FilterId;
pub use link::{LinkInfo, LinkStats64};
pub use qdisc::{Qdisc, QdiscOp, QdiscSpec};
pub use socket::{Ack, Dump, Netlink, NoObserver, Observer};
pub use stats::TcStats;
pub use xdp::{LinkXdp, XdpAttached, XdpExpect, XdpMode, XdpSpec};
pub use xdp_replace::{XdpCurrent, XdpReplaceError};
