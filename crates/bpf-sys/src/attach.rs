//! Attaching programs to a hook without a link: `BPF_PROG_ATTACH`,
//! `BPF_PROG_DETACH` and `BPF_PROG_QUERY`, with the fields multi-program hooks (tcx,
//! kernel 6.6+) added: a device index as target, a relative program or link to order
//! against, and the chain's revision for compare-and-swap updates.

use std::os::fd::{AsRawFd, BorrowedFd};

use crate::attr;
use crate::consts::{BPF_F_AFTER, BPF_F_BEFORE, BPF_F_ID, BPF_F_LINK};
use crate::syscall::{Cmd, addr_mut, bpf, fail};
use crate::{Error, Result};

/// The program or link a new program is placed next to.
#[derive(Clone, Copy, Debug)]
pub enum Anchor<'a> {
    /// A program by its kernel-wide id.
    ProgId(u32),
    /// A program by an fd to it.
    ProgFd(BorrowedFd<'a>),
    /// A link by its id (the program it holds is the anchor).
    LinkId(u32),
    /// A link by an fd to it.
    LinkFd(BorrowedFd<'a>),
}

/// Where in a multi-program chain (tcx) a program goes, or which one a detach means.
#[derive(Clone, Copy, Debug, Default)]
pub enum Placement<'a> {
    /// No ordering flag: the kernel appends the program at the end.
    #[default]
    Default,
    /// `BPF_F_BEFORE` with no relative object: first in the chain.
    First,
    /// `BPF_F_AFTER` with no relative object: last in the chain.
    Last,
    /// `BPF_F_BEFORE` the anchor.
    Before(Anchor<'a>),
    /// `BPF_F_AFTER` the anchor.
    After(Anchor<'a>),
}

impl Placement<'_> {
    /// The `BPF_F_*` flags this placement sends.
    pub fn flags(&self) -> u32 {
        let anchor = |a: &Anchor<'_>| match a {
            Anchor::ProgId(_) => BPF_F_ID,
            Anchor::ProgFd(_) => 0,
            Anchor::LinkId(_) => BPF_F_ID | BPF_F_LINK,
            Anchor::LinkFd(_) => BPF_F_LINK,
        };
        match self {
            Placement::Default => 0,
            Placement::First => BPF_F_BEFORE,
            Placement::Last => BPF_F_AFTER,
            Placement::Before(a) => BPF_F_BEFORE | anchor(a),
            Placement::After(a) => BPF_F_AFTER | anchor(a),
        }
    }

    /// The `relative_fd` / `relative_id` value this placement sends.
    pub fn relative(&self) -> u32 {
        match self {
            Placement::Default | Placement::First | Placement::Last => 0,
            Placement::Before(a) | Placement::After(a) => match a {
                Anchor::ProgId(id) | Anchor::LinkId(id) => *id,
                Anchor::ProgFd(fd) | Anchor::LinkFd(fd) => fd.as_raw_fd() as u32,
            },
        }
    }
}

/// Everything `BPF_PROG_ATTACH` / `BPF_PROG_DETACH` take for a device hook.
#[derive(Clone, Copy, Debug)]
pub struct ProgAttachAttr<'a> {
    /// The device index (`target_ifindex`).
    pub target_ifindex: u32,
    /// The program to attach, or to detach (`attach_bpf_fd`); detach may leave it out
    /// and name the program by `placement` instead.
    pub prog: Option<BorrowedFd<'a>>,
    /// `BPF_*` attach type (see [`crate::consts::attach_type`]).
    pub attach_type: u32,
    /// Extra `BPF_F_*` flags (`BPF_F_REPLACE`); the placement's flags are added.
    pub flags: u32,
    /// With `BPF_F_REPLACE`: the program to replace.
    pub replace: Option<BorrowedFd<'a>>,
    /// Where the program goes (attach) or which one is meant (detach).
    pub placement: Placement<'a>,
    /// Refuse (`ESTALE`) unless the chain is still at this revision; 0 = any.
    pub expected_revision: u64,
}

impl ProgAttachAttr<'_> {
    /// The attribute fields as the kernel receives them, by uapi name, for narration.
    pub fn fields(&self) -> Vec<(&'static str, u64)> {
        let raw = self.raw();
        vec![
            ("target_ifindex", raw.target.into()),
            ("attach_bpf_fd", raw.attach_bpf_fd.into()),
            ("attach_type", raw.attach_type.into()),
            ("attach_flags", raw.attach_flags.into()),
            ("replace_bpf_fd", raw.replace_bpf_fd.into()),
            ("relative_fd/relative_id", raw.relative.into()),
            ("expected_revision", raw.expected_revision),
        ]
    }

    fn raw(&self) -> attr::ProgAttach {
        attr::ProgAttach {
            target: self.target_ifindex,
            attach_bpf_fd: self.prog.map_or(0, |fd| fd.as_raw_fd() as u32),
            attach_type: self.attach_type,
            attach_flags: self.flags | self.placement.flags(),
            replace_bpf_fd: self.replace.map_or(0, |fd| fd.as_raw_fd() as u32),
            relative: self.placement.relative(),
            expected_revision: self.expected_revision,
        }
    }
}

/// Attaches a program to a hook (`BPF_PROG_ATTACH`). For tcx the attachment stays
/// until it is detached, like a tc filter; no fd owns it.
pub fn prog_attach(req: &ProgAttachAttr<'_>) -> Result<()> {
    if req.prog.is_none() {
        return Err(Error::InvalidInput(
            "BPF_PROG_ATTACH needs a program".into(),
        ));
    }
    let mut raw = req.raw();
    bpf(Cmd::ProgAttach, &mut raw)
        .map(drop)
        .map_err(|e| fail(Cmd::ProgAttach, e))
}

/// Detaches a program from a hook (`BPF_PROG_DETACH`). A program owned by a link
/// cannot be detached this way (`EBUSY`): detach the link.
pub fn prog_detach(req: &ProgAttachAttr<'_>) -> Result<()> {
    let mut raw = req.raw();
    bpf(Cmd::ProgDetach, &mut raw)
        .map(drop)
        .map_err(|e| fail(Cmd::ProgDetach, e))
}

/// One program of a multi-program chain, as `BPF_PROG_QUERY` reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChainEntry {
    /// The program's id.
    pub prog_id: u32,
    /// The id of the link that owns the attachment, 0 when none does.
    pub link_id: u32,
    /// Per-program attach flags (0 for tcx today).
    pub prog_attach_flags: u32,
    /// Per-link attach flags (0 for tcx today).
    pub link_attach_flags: u32,
}

/// What is attached at a device hook: the programs in the order they run, and the
/// chain's revision (bumped by every change).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainQuery {
    /// The programs in run order.
    pub entries: Vec<ChainEntry>,
    /// The revision to pass as `expected_revision` for a change based on this view.
    pub revision: u64,
}

/// The most programs one query reads (tcx chains hold at most 64 today); a kernel
/// claiming more is read up to this many, never trusted with an allocation.
const QUERY_MAX: usize = 1 << 16;

/// Lists the programs at a device hook (`BPF_PROG_QUERY` with `target_ifindex`), in
/// run order, with their links and the chain's revision. The list is re-read when the
/// chain grew between asking its size and reading it. For attach types bound to a
/// namespace or cgroup (`BPF_FLOW_DISSECTOR`), `target` is an fd of it instead.
pub fn prog_query(target: u32, attach_type: u32) -> Result<ChainQuery> {
    let mut room = 16usize;
    for _ in 0..8 {
        let mut prog_ids = vec![0u32; room];
        let mut link_ids = vec![0u32; room];
        let mut prog_flags = vec![0u32; room];
        let mut link_flags = vec![0u32; room];
        let mut raw = attr::ProgQuery {
            target,
            attach_type,
            prog_ids: addr_mut(&mut prog_ids),
            count: room as u32,
            prog_attach_flags: addr_mut(&mut prog_flags),
            link_ids: addr_mut(&mut link_ids),
            link_attach_flags: addr_mut(&mut link_flags),
            ..Default::default()
        };
        match bpf(Cmd::ProgQuery, &mut raw) {
            Ok(_) => {
                let count = (raw.count as usize).min(room);
                prog_ids.truncate(count);
                let entries = prog_ids
                    .iter()
                    .enumerate()
                    .map(|(i, &prog_id)| ChainEntry {
                        prog_id,
                        link_id: link_ids.get(i).copied().unwrap_or(0),
                        prog_attach_flags: prog_flags.get(i).copied().unwrap_or(0),
                        link_attach_flags: link_flags.get(i).copied().unwrap_or(0),
                    })
                    .collect();
                return Ok(ChainQuery {
                    entries,
                    revision: raw.revision,
                });
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => {
                room = (raw.count as usize)
                    .max(room.saturating_mul(2))
                    .min(QUERY_MAX);
            }
            Err(e) => return Err(fail(Cmd::ProgQuery, e)),
        }
    }
    Err(Error::InvalidInput(
        "BPF_PROG_QUERY: the chain kept changing while it was read".into(),
    ))
}
