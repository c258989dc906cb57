//! tcx: tc's second entry point (Linux 6.6+), reached with bpf(2) instead of netlink.
//!
//! A device has one tcx chain per direction. Programs in it run in an explicit order,
//! before any cls_bpf filter of the clsact qdisc on the same hook; each returns
//! `TCX_NEXT` (-1) to hand the packet to the next one, or a verdict (`TCX_PASS` 0,
//! `TCX_DROP` 2, `TCX_REDIRECT` 7) that ends the chain. Every change bumps the chain's
//! revision, and a change can be made conditional on it (`expected_revision`).
//!
//! Two ways in:
//! - [`attach`]: `BPF_PROG_ATTACH`. The attachment is owned by nobody and stays until
//!   [`detach`] (like a tc filter); the returned [`TcxAttachment`] can detach exactly it.
//! - [`attach_link`]: `BPF_LINK_CREATE`. The attachment is owned by the returned link
//!   fd and goes when the fd closes, unless the link is pinned
//!   ([`crate::bpf_link::pin`]).
//!
//! ```no_run
//! use std::os::fd::AsFd;
//! use netlink_tc::tcx::{self, TcxDirection, TcxRequest};
//! use netlink_tc::hook::NoBpfObserver;
//! # fn demo(prog: bpf_sys::ProgFd) -> Result<(), netlink_tc::hook::HookError> {
//! let attached = tcx::attach(
//!     &TcxRequest::new(2, TcxDirection::Ingress, prog.as_fd()).first(),
//!     &NoBpfObserver,
//! )?;
//! let chain = tcx::query(2, TcxDirection::Ingress)?;
//! assert!(chain.entries.iter().any(|entry| entry.prog_id == attached.prog_id()));
//! attached.detach(&NoBpfObserver)?;
//! # Ok(()) }
//! ```

use std::os::fd::{AsFd, BorrowedFd};

use bpf_sys::consts::{attach_type, prog_type};
use bpf_sys::{
    ChainQuery, LinkCreateAttr, LinkFd, Placement, ProgAttachAttr, ProgFd, link_create,
    prog_attach, prog_detach, prog_query,
};

use crate::hook::{BpfObserver, HookError, observed};

/// Which of a device's two tcx chains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TcxDirection {
    /// Packets the device receives (`BPF_TCX_INGRESS`).
    Ingress,
    /// Packets the device sends (`BPF_TCX_EGRESS`).
    Egress,
}

impl TcxDirection {
    /// The `BPF_TCX_*` attach type.
    pub fn attach_type(self) -> u32 {
        match self {
            TcxDirection::Ingress => attach_type::TCX_INGRESS,
            TcxDirection::Egress => attach_type::TCX_EGRESS,
        }
    }

    /// bpftool's attach-type word: `tcx_ingress`, `tcx_egress`.
    pub fn name(self) -> &'static str {
        match self {
            TcxDirection::Ingress => "tcx_ingress",
            TcxDirection::Egress => "tcx_egress",
        }
    }

    /// How bpftool's `net show` names the hook: `tcx/ingress`, `tcx/egress`.
    pub fn kind(self) -> &'static str {
        match self {
            TcxDirection::Ingress => "tcx/ingress",
            TcxDirection::Egress => "tcx/egress",
        }
    }

    /// The direction of a `BPF_TCX_*` attach type.
    pub fn from_attach_type(value: u32) -> Option<Self> {
        match value {
            attach_type::TCX_INGRESS => Some(TcxDirection::Ingress),
            attach_type::TCX_EGRESS => Some(TcxDirection::Egress),
            _ => None,
        }
    }
}

/// A program to put into a device's tcx chain, and where. Built with
/// [`TcxRequest::new`] and the `with_*` methods (fields may be added).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct TcxRequest<'a> {
    /// The device's interface index.
    pub ifindex: u32,
    /// Which chain.
    pub direction: TcxDirection,
    /// The program (`BPF_PROG_TYPE_SCHED_CLS`).
    pub prog: BorrowedFd<'a>,
    /// Where in the chain.
    pub placement: Placement<'a>,
    /// Change only if the chain is still at this revision (0: whatever it is).
    pub expected_revision: u64,
    /// [`attach`] only: put `prog` in the place of this program, in one step
    /// (`BPF_F_REPLACE`); a placement, if given, must name that same place.
    pub replace: Option<BorrowedFd<'a>>,
}

impl<'a> TcxRequest<'a> {
    /// Appends `prog` at the end of the chain, whatever its revision.
    pub fn new(ifindex: u32, direction: TcxDirection, prog: BorrowedFd<'a>) -> Self {
        TcxRequest {
            ifindex,
            direction,
            prog,
            placement: Placement::Default,
            expected_revision: 0,
            replace: None,
        }
    }

    /// The same request, placing the program first.
    pub fn first(self) -> Self {
        TcxRequest {
            placement: Placement::First,
            ..self
        }
    }

    /// The same request, placing the program last.
    pub fn last(self) -> Self {
        TcxRequest {
            placement: Placement::Last,
            ..self
        }
    }

    /// The same request, placing the program at `placement`.
    pub fn with_placement(self, placement: Placement<'a>) -> Self {
        TcxRequest { placement, ..self }
    }

    /// The same request, changing the chain only while it is at `revision` (0: any).
    pub fn with_expected_revision(self, revision: u64) -> Self {
        TcxRequest {
            expected_revision: revision,
            ..self
        }
    }

    /// The same request, putting the program in the place of `replaced` in one step
    /// ([`attach`] only).
    pub fn with_replace(self, replaced: Option<BorrowedFd<'a>>) -> Self {
        TcxRequest {
            replace: replaced,
            ..self
        }
    }

    fn hook(&self) -> String {
        hook_name(self.ifindex, self.direction)
    }
}

/// How errors name a hook: `tcx_ingress of ifindex 3`.
pub fn hook_name(ifindex: u32, direction: TcxDirection) -> String {
    format!("{} of ifindex {ifindex}", direction.name())
}

/// A program attached with [`attach`]: detaching it needs an fd to it, which this
/// keeps.
#[derive(Debug)]
pub struct TcxAttachment {
    ifindex: u32,
    direction: TcxDirection,
    prog: ProgFd,
    prog_id: u32,
}

impl TcxAttachment {
    /// The attached program's id.
    pub fn prog_id(&self) -> u32 {
        self.prog_id
    }

    /// Removes exactly this program from the chain (`BPF_PROG_DETACH`).
    pub fn detach(self, observer: &dyn BpfObserver) -> Result<(), HookError> {
        detach(
            self.ifindex,
            self.direction,
            Some(self.prog.as_fd()),
            0,
            observer,
        )
    }
}

/// Refuses programs the tcx hook does not run, naming what it got.
fn check_program(prog: BorrowedFd<'_>, hook: &str) -> Result<u32, HookError> {
    let info = bpf_sys::prog_info(prog).map_err(|source| HookError::Bpf {
        context: "reading the program's info".into(),
        source,
    })?;
    if info.prog_type != prog_type::SCHED_CLS {
        return Err(HookError::WrongProgramType {
            prog_id: info.id,
            found: prog_type::name(info.prog_type)
                .map_or_else(|| info.prog_type.to_string(), str::to_string),
            wanted: "sched_cls",
            hook: hook.to_string(),
        });
    }
    Ok(info.id)
}

/// Puts a program into a device's tcx chain with `BPF_PROG_ATTACH`. The attachment
/// stays after the process exits; detach it with [`TcxAttachment::detach`] or
/// [`detach`].
pub fn attach(
    req: &TcxRequest<'_>,
    observer: &dyn BpfObserver,
) -> Result<TcxAttachment, HookError> {
    let hook = req.hook();
    let prog_id = check_program(req.prog, &hook)?;
    let attr = ProgAttachAttr {
        target_ifindex: req.ifindex,
        prog: Some(req.prog),
        attach_type: req.direction.attach_type(),
        flags: if req.replace.is_some() {
            bpf_sys::consts::BPF_F_REPLACE
        } else {
            0
        },
        replace: req.replace,
        placement: req.placement,
        expected_revision: req.expected_revision,
    };
    let cmd = "BPF_PROG_ATTACH";
    observed(observer, cmd, &attr.fields(), prog_attach(&attr), |_| {
        "0 (attached)".into()
    })
    .map_err(|e| classify(cmd, &hook, req.expected_revision, req.ifindex, e))?;
    let prog = req
        .prog
        .try_clone_to_owned()
        .map(ProgFd::from)
        .map_err(|e| HookError::Bpf {
            context: "keeping an fd to the attached program".into(),
            source: bpf_sys::Error::InvalidInput(e.to_string()),
        })?;
    Ok(TcxAttachment {
        ifindex: req.ifindex,
        direction: req.direction,
        prog,
        prog_id,
    })
}

/// Puts a program into a device's tcx chain through a new link
/// (`BPF_LINK_CREATE`). The attachment lives as long as the link: its fd, or a pin.
pub fn attach_link(req: &TcxRequest<'_>, observer: &dyn BpfObserver) -> Result<LinkFd, HookError> {
    let hook = req.hook();
    if req.replace.is_some() {
        return Err(HookError::Bpf {
            context: format!("BPF_LINK_CREATE at {hook}"),
            source: bpf_sys::Error::InvalidInput(
                "a new link cannot replace a program; attach without a link, or update the link"
                    .into(),
            ),
        });
    }
    check_program(req.prog, &hook)?;
    let attr = LinkCreateAttr {
        prog: req.prog,
        target_ifindex: req.ifindex,
        attach_type: req.direction.attach_type(),
        flags: 0,
        placement: req.placement,
        expected_revision: req.expected_revision,
    };
    let cmd = "BPF_LINK_CREATE";
    observed(observer, cmd, &attr.fields(), link_create(&attr), |fd| {
        format!("link fd {}", std::os::fd::AsRawFd::as_raw_fd(fd))
    })
    .map_err(|e| classify(cmd, &hook, req.expected_revision, req.ifindex, e))
}

/// Removes a program from a device's tcx chain (`BPF_PROG_DETACH`): `prog`, or with
/// `None` the last program of the chain (the kernel's choice). A program owned by a
/// link is refused with [`HookError::OwnedByLink`].
pub fn detach(
    ifindex: u32,
    direction: TcxDirection,
    prog: Option<BorrowedFd<'_>>,
    expected_revision: u64,
    observer: &dyn BpfObserver,
) -> Result<(), HookError> {
    let hook = hook_name(ifindex, direction);
    let attr = ProgAttachAttr {
        target_ifindex: ifindex,
        prog,
        attach_type: direction.attach_type(),
        flags: 0,
        replace: None,
        placement: Placement::Default,
        expected_revision,
    };
    let cmd = "BPF_PROG_DETACH";
    observed(observer, cmd, &attr.fields(), prog_detach(&attr), |_| {
        "0 (detached)".into()
    })
    .map_err(|e| classify(cmd, &hook, expected_revision, ifindex, e))
}

/// The device's tcx chain in run order, with link ids and the revision
/// (`BPF_PROG_QUERY`).
pub fn query(ifindex: u32, direction: TcxDirection) -> Result<ChainQuery, HookError> {
    prog_query(ifindex, direction.attach_type()).map_err(|source| match source.raw_os_error() {
        Some(libc::EINVAL) => HookError::NotSupported {
            cmd: "BPF_PROG_QUERY",
            what: "tcx (Linux 6.6 or later is needed)",
            source: std::io::Error::from_raw_os_error(libc::EINVAL),
        },
        _ => HookError::Bpf {
            context: format!("BPF_PROG_QUERY of {}", hook_name(ifindex, direction)),
            source,
        },
    })
}

/// Whether this kernel has tcx: a query of `ifindex`'s ingress chain is understood.
pub fn supported(ifindex: u32) -> bool {
    !matches!(
        query(ifindex, TcxDirection::Ingress),
        Err(HookError::NotSupported { .. })
    )
}

/// Turns a refusal into an error that says what the errno means at a tcx hook.
fn classify(
    cmd: &'static str,
    hook: &str,
    expected: u64,
    ifindex: u32,
    source: bpf_sys::Error,
) -> HookError {
    let meaning = match source.raw_os_error() {
        Some(libc::ESTALE) => {
            return HookError::StaleRevision {
                cmd,
                hook: hook.to_string(),
                expected,
            };
        }
        Some(libc::EBUSY) if cmd == "BPF_PROG_DETACH" => {
            return HookError::OwnedByLink {
                cmd,
                hook: hook.to_string(),
            };
        }
        Some(libc::EINVAL) if !supported(ifindex) => {
            return HookError::NotSupported {
                cmd,
                what: "tcx (Linux 6.6 or later is needed)",
                source: std::io::Error::from_raw_os_error(libc::EINVAL),
            };
        }
        Some(libc::EEXIST) => "the program is already in that chain",
        Some(libc::ENOENT) if cmd == "BPF_PROG_DETACH" => {
            "that program is not in the chain (or the relative one is not)"
        }
        Some(libc::ENOENT) => "the relative (or replaced) program or link is not in that chain",
        Some(libc::ENODEV) => "no such device",
        Some(libc::EDOM) => "the placement contradicts itself or the chain is full",
        Some(libc::ERANGE) => "the chain is full",
        _ => "",
    };
    let context = if meaning.is_empty() {
        format!("{cmd} at {hook}")
    } else {
        format!("{cmd} at {hook}: {meaning}")
    };
    HookError::Bpf { context, source }
}
