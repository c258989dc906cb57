//! Attaching a tc classifier: the clsact qdisc if the device has none, then one
//! cls_bpf filter in direct-action mode, sent as `tc filter add dev D ingress bpf
//! da obj F sec S` sends it (with `NLM_F_ECHO` added, so that the kernel answers
//! with the filter it created). The [`TcAttachment`] it returns names that filter
//! by the priority and handle the kernel gave it, and removes only that one.

use netlink_tc::{
    BpfAttach, Filter, FilterDumpSpec, FilterId, FilterOp, FilterSpec, Netlink, QdiscOp, QdiscSpec,
    handle,
};

use crate::device::Device;
use crate::error::{Error, Result};
use crate::program::Program;
use elf_loader::ProgType;

/// Which clsact hook of a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Packets the device receives (`tc ... ingress`).
    Ingress,
    /// Packets the device sends (`tc ... egress`).
    Egress,
}

impl Direction {
    /// The filter parent handle of this hook (`ffff:fff2` or `ffff:fff3`).
    ///
    /// ```
    /// use rtc_loader::Direction;
    /// assert_eq!(Direction::Ingress.parent(), 0xffff_fff2);
    /// assert_eq!(Direction::Egress.parent(), 0xffff_fff3);
    /// ```
    pub fn parent(self) -> u32 {
        match self {
            Direction::Ingress => handle::INGRESS,
            Direction::Egress => handle::EGRESS,
        }
    }
}

/// One cls_bpf filter this crate added. Dropping it leaves the filter attached (as
/// `tc filter add` does when it exits); [`TcAttachment::detach`] removes it.
#[derive(Debug)]
#[must_use = "dropping the handle leaves the filter attached; keep it to detach later"]
pub struct TcAttachment {
    device: Device,
    direction: Direction,
    id: FilterId,
    prog_id: u32,
}

impl Program {
    /// Attaches this tc classifier to `device`'s `direction` hook: adds the clsact
    /// qdisc if the device has none, then a direct-action cls_bpf filter with the
    /// priority and handle left to the kernel, labelled as tc labels it
    /// (`"drop-arp.o:[ingress]"`).
    ///
    /// ```no_run
    /// use rtc_loader::{Device, Direction, Program, ProgType};
    /// # fn main() -> Result<(), rtc_loader::Error> {
    /// let program = Program::from_file("drop-arp.o", "ingress")?.load(ProgType::SCHED_CLS)?;
    /// let filter = program.attach_tc(&Device::named("eth0")?, Direction::Ingress)?;
    /// assert!(filter.pref() != 0, "the kernel chose the priority");
    /// filter.detach()?;
    /// # Ok(()) }
    /// ```
    pub fn attach_tc(&self, device: &Device, direction: Direction) -> Result<TcAttachment> {
        self.require(ProgType::SCHED_CLS)?;
        let mut netlink = device.netlink()?;
        ensure_clsact(&mut netlink, device)?;
        let parent = direction.parent();
        let code = BpfAttach::program(self.fd(), self.label().to_string());
        let spec = FilterSpec::bpf(device.ifindex(), parent, code.with_direct_action(true));
        // The kernel chooses the priority and handle and echoes the new filter.
        let id = netlink
            .filter_with_id(FilterOp::Add, &spec)
            .map_err(|source| device.netlink_error("add filter", source))?;
        Ok(TcAttachment {
            device: device.clone(),
            direction,
            id,
            prog_id: self.id(),
        })
    }
}

impl TcAttachment {
    /// The device the filter is on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The hook it is on.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The priority the kernel gave it (`tc filter show`'s `pref`).
    pub fn pref(&self) -> u16 {
        self.id.pref
    }

    /// The handle the kernel gave it (`tc filter show`'s `handle`).
    pub fn handle(&self) -> u32 {
        self.id.handle
    }

    /// Everything that names the filter (device, parent, priority, protocol, chain,
    /// handle): build a netlink-tc request about it with [`FilterId::spec`].
    pub fn id(&self) -> FilterId {
        self.id
    }

    /// The id of the program it runs.
    pub fn prog_id(&self) -> u32 {
        self.prog_id
    }

    /// Removes this filter, and only it: the filter at its priority and handle must
    /// still run its program, else nothing is deleted and [`Error::NotOurs`] says so.
    /// The clsact qdisc stays.
    pub fn detach(self) -> Result<()> {
        let device = &self.device;
        let parent = self.direction.parent();
        let mut netlink = device.netlink()?;
        let still_ours = ours(&mut netlink, device, parent, self.id.pref, self.prog_id)?
            .iter()
            .any(|f| f.id() == self.id);
        if !still_ours {
            return Err(Error::NotOurs {
                what: format!(
                    "tc filter pref {} handle {:#x}",
                    self.id.pref, self.id.handle
                ),
                device: device.name().to_string(),
            });
        }
        let spec = self.id.spec().with_kind("bpf");
        netlink
            .filter(FilterOp::Delete, &spec)
            .map(drop)
            .map_err(|source| device.netlink_error("delete filter", source))
    }
}

/// Adds the clsact qdisc unless the device has it (or the ingress qdisc, which has
/// the same parent and takes ingress filters).
fn ensure_clsact(netlink: &mut Netlink, device: &Device) -> Result<()> {
    let qdiscs = netlink
        .qdiscs(device.ifindex())
        .map_err(|source| device.netlink_error("list qdiscs", source))?;
    let present = qdiscs
        .items
        .iter()
        .any(|q| q.ifindex == device.ifindex() && q.is_clsact_like());
    if !present {
        netlink
            .qdisc(QdiscOp::Add, &QdiscSpec::clsact(device.ifindex()))
            .map_err(|source| device.netlink_error("add clsact qdisc", source))?;
    }
    Ok(())
}

/// The filters at `parent` (and `pref`, unless 0) that run program `prog_id`.
fn ours(
    netlink: &mut Netlink,
    device: &Device,
    parent: u32,
    pref: u16,
    prog_id: u32,
) -> Result<Vec<Filter>> {
    let dump = netlink
        .filters(&FilterDumpSpec::new(device.ifindex(), parent).with_pref(pref))
        .map_err(|source| device.netlink_error("list filters", source))?;
    Ok(dump
        .items
        .into_iter()
        .filter(|f| f.ifindex == device.ifindex() && f.parent == parent)
        .filter(|f| f.bpf().and_then(|bpf| bpf.id) == Some(prog_id))
        .collect())
}
