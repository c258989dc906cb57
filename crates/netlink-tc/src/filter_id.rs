//! Naming one filter so that it can be deleted (or read) later: [`FilterId`], and
//! [`Netlink::filter_with_id`], which adds a filter and returns the id the kernel
//! gave it.
//!
//! A filter is found by its device (or block), parent, priority, protocol, chain
//! and handle. When a request leaves the priority or handle 0, the kernel picks
//! them; the request then carries `NLM_F_ECHO`, and the kernel sends the filter it
//! created back to the sender before its ack (tc does the same with `-echo`). This
//! is the one difference from the bytes tc sends by default.
//!
//! ```no_run
//! use std::os::fd::AsFd;
//! use netlink_tc::{BpfAttach, FilterOp, FilterSpec, Netlink, handle};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let (ifindex, program) = (2, bpf_sys::obj_get(std::path::Path::new("/sys/fs/bpf/p"))?);
//! let mut nl = Netlink::open()?;
//! let bpf = BpfAttach::program(program.as_fd(), "drop-arp.o:[ingress]".into());
//! let id = nl.filter_with_id(FilterOp::Add, &FilterSpec::bpf(ifindex, handle::INGRESS, bpf))?;
//! assert!(id.pref != 0 && id.handle != 0, "the kernel chose both");
//! nl.filter(FilterOp::Delete, &id.spec())?;
//! # Ok(()) }
//! ```

use crate::error::Error;
use crate::filter::{Filter, FilterOp, FilterSpec, decode_filter, encode_filter};
use crate::message::{Message, NLM_F_ECHO, add_flags};
use crate::socket::Netlink;

/// What identifies one filter: a delete (or get) built from it with
/// [`FilterId::spec`] names exactly that filter. Fields may be added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FilterId {
    /// Device index (0xFFFFFFFF: a shared block, whose index is in `parent`).
    pub ifindex: u32,
    /// Attach point ([`crate::handle::INGRESS`], [`crate::handle::EGRESS`], ...).
    pub parent: u32,
    /// Priority (`pref`).
    pub pref: u16,
    /// EtherType, host order.
    pub protocol: u16,
    /// Chain index (0: the default chain).
    pub chain: u32,
    /// Filter handle.
    pub handle: u32,
}

impl FilterId {
    /// The id of a filter as a dump, get or echo describes it.
    pub fn of(filter: &Filter) -> FilterId {
        FilterId {
            ifindex: filter.ifindex,
            parent: filter.parent,
            pref: filter.pref(),
            protocol: filter.protocol(),
            chain: filter.chain.unwrap_or(0),
            handle: filter.handle,
        }
    }

    /// A request naming this filter and nothing else, as `tc filter del dev D
    /// parent P pref N protocol X [chain C] handle H` sends it (add a kind with
    /// [`FilterSpec::with_kind`] to have the kernel check it too).
    ///
    /// ```
    /// use netlink_tc::filter::encode_filter;
    /// use netlink_tc::{FilterId, FilterOp, handle};
    /// let mut id = FilterId::default();
    /// (id.ifindex, id.parent, id.pref, id.protocol, id.handle) = (2, handle::INGRESS, 49152, 3, 1);
    /// let spec = id.spec();
    /// assert_eq!((spec.pref, spec.handle, spec.protocol, spec.chain), (49152, 1, Some(3), None));
    /// assert!(encode_filter(FilterOp::Delete, &spec).is_ok());
    /// ```
    pub fn spec(&self) -> FilterSpec<'static> {
        let spec = FilterSpec::new(self.ifindex, self.parent)
            .with_pref(self.pref)
            .with_protocol(self.protocol)
            .with_handle(self.handle);
        if self.chain == 0 {
            spec
        } else {
            spec.with_chain(self.chain)
        }
    }
}

impl Filter {
    /// The id of this filter (see [`FilterId`]).
    pub fn id(&self) -> FilterId {
        FilterId::of(self)
    }
}

impl Netlink {
    /// Sends `op` on `spec` with `NLM_F_ECHO` and returns the id of the filter the
    /// kernel created or changed, read from its echo: the priority and handle it
    /// picked when `spec` left them 0.
    pub fn filter_with_id(
        &mut self,
        op: FilterOp,
        spec: &FilterSpec<'_>,
    ) -> Result<FilterId, Error> {
        let mut request = encode_filter(op, spec)?;
        add_flags(&mut request, NLM_F_ECHO);
        let (echo, _ack) = self.echoed(request)?;
        Ok(decode_filter(&Message::parse(&echo)?)?.id())
    }
}
