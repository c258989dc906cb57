//! bpf links: attachments owned by a file descriptor (`BPF_LINK_CREATE`), found by
//! id (`BPF_LINK_GET_NEXT_ID`, `BPF_LINK_GET_FD_BY_ID`), described
//! (`BPF_OBJ_GET_INFO_BY_FD`) and detached (`BPF_LINK_DETACH`). A link goes away, and
//! its program with it, when its last fd closes and it is not pinned.

use std::os::fd::{AsRawFd, BorrowedFd};

use crate::attach::Placement;
use crate::attr;
use crate::consts::{attach_type, link_type};
use crate::prog::{get_info, next_id};
use crate::syscall::{Cmd, bpf, bpf_fd, fail};
use crate::{LinkFd, Result};

/// Everything `BPF_LINK_CREATE` takes for a device hook (tcx or XDP).
#[derive(Clone, Copy, Debug)]
pub struct LinkCreateAttr<'a> {
    /// The program the link will hold.
    pub prog: BorrowedFd<'a>,
    /// The device index (`target_ifindex`).
    pub target_ifindex: u32,
    /// `BPF_XDP`, `BPF_TCX_INGRESS` or `BPF_TCX_EGRESS`.
    pub attach_type: u32,
    /// Extra flags: `XDP_FLAGS_*` mode bits for XDP; for tcx `BPF_F_REPLACE`-like
    /// flags (the placement's flags are added).
    pub flags: u32,
    /// tcx only: where the program goes.
    pub placement: Placement<'a>,
    /// tcx only: refuse (`ESTALE`) unless the chain is still at this revision; 0 = any.
    pub expected_revision: u64,
}

impl LinkCreateAttr<'_> {
    /// The attribute fields as the kernel receives them, by uapi name, for narration.
    pub fn fields(&self) -> Vec<(&'static str, u64)> {
        let raw = self.raw();
        let mut fields = vec![
            ("prog_fd", raw.prog_fd.into()),
            ("target_ifindex", raw.target.into()),
            ("attach_type", raw.attach_type.into()),
            ("flags", raw.flags.into()),
        ];
        if self.is_tcx() {
            fields.push(("tcx.relative_fd/relative_id", raw.relative.into()));
            fields.push(("tcx.expected_revision", raw.expected_revision));
        }
        fields
    }

    fn is_tcx(&self) -> bool {
        matches!(
            self.attach_type,
            attach_type::TCX_INGRESS
                | attach_type::TCX_EGRESS
                | attach_type::NETKIT_PRIMARY
                | attach_type::NETKIT_PEER
        )
    }

    fn raw(&self) -> attr::LinkCreate {
        let mut raw = attr::LinkCreate {
            prog_fd: self.prog.as_raw_fd() as u32,
            target: self.target_ifindex,
            attach_type: self.attach_type,
            flags: self.flags,
            ..Default::default()
        };
        if self.is_tcx() {
            raw.flags |= self.placement.flags();
            raw.relative = self.placement.relative();
            raw.expected_revision = self.expected_revision;
        }
        raw
    }
}

/// Creates a link that attaches a program to a device hook (`BPF_LINK_CREATE`).
/// The attachment lives as long as the returned fd, or a pin of it.
pub fn link_create(req: &LinkCreateAttr<'_>) -> Result<LinkFd> {
    let mut raw = req.raw();
    bpf_fd(Cmd::LinkCreate, &mut raw)
        .map(LinkFd::from)
        .map_err(|e| fail(Cmd::LinkCreate, e))
}

/// Detaches a link's program now (`BPF_LINK_DETACH`); the link itself stays (as a
/// defunct link) until its last fd and pin are gone.
pub fn link_detach(link: BorrowedFd<'_>) -> Result<()> {
    let mut raw = attr::LinkDetach {
        link_fd: link.as_raw_fd() as u32,
    };
    bpf(Cmd::LinkDetach, &mut raw)
        .map(drop)
        .map_err(|e| fail(Cmd::LinkDetach, e))
}

/// Opens a new fd to the link with this id (needs CAP_SYS_ADMIN).
pub fn link_get_fd_by_id(id: u32) -> Result<LinkFd> {
    let mut raw = attr::ById {
        id,
        ..Default::default()
    };
    bpf_fd(Cmd::LinkGetFdById, &mut raw)
        .map(LinkFd::from)
        .map_err(|e| fail(Cmd::LinkGetFdById, e))
}

/// The id of the next link after `start`, or `None` when there is none.
pub fn link_get_next_id(start: u32) -> Result<Option<u32>> {
    next_id(Cmd::LinkGetNextId, start)
}

/// What the kernel reports about a link (`struct bpf_link_info`); the device part is
/// filled for XDP, tcx and netkit links.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkInfo {
    /// `BPF_LINK_TYPE_*` (see [`crate::consts::link_type`]).
    pub link_type: u32,
    /// Kernel-wide link id.
    pub id: u32,
    /// The program the link holds (0 once detached).
    pub prog_id: u32,
    /// XDP, tcx, netkit: the device's index (0 once the device is gone or detached).
    pub ifindex: Option<u32>,
    /// tcx, netkit: the attach type.
    pub attach_type: Option<u32>,
}

/// Reads a link's info (`BPF_OBJ_GET_INFO_BY_FD` on a link fd).
pub fn link_info(fd: BorrowedFd<'_>) -> Result<LinkInfo> {
    let mut raw = attr::LinkInfo::default();
    get_info(fd, &mut raw)?;
    let [first, second, ..] = raw.union;
    let (ifindex, attach) = match raw.link_type {
        link_type::XDP => (Some(first), None),
        link_type::TCX | link_type::NETKIT => (Some(first), Some(second)),
        _ => (None, None),
    };
    Ok(LinkInfo {
        link_type: raw.link_type,
        id: raw.id,
        prog_id: raw.prog_id,
        ifindex,
        attach_type: attach,
    })
}
