//! bpf links on devices: XDP owned by a link (`BPF_LINK_CREATE` with `BPF_XDP`), and
//! what every link kind shares: listing, pinning, opening and detaching.
//!
//! An XDP program attached through a link cannot be replaced or removed with
//! netlink (`ip link set dev X xdp off` is refused with `EBUSY`); only the link's
//! owner can detach it ([`detach`]), or it goes when the link's last fd and pin are
//! gone. tcx links are made by [`crate::tcx::attach_link`].

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::Path;

use bpf_sys::consts::{attach_type, link_type, prog_type};
use bpf_sys::{LinkCreateAttr, LinkFd, LinkInfo, Placement};

use crate::hook::{BpfObserver, HookError, check_pin_path, observed};
use crate::xdp::XdpMode;

/// Attaches an XDP program to a device through a new link. `mode` picks the hook as
/// for netlink (`Any` lets the kernel choose). Refused if a program is attached at
/// that hook already, whoever attached it.
pub fn attach_xdp(
    ifindex: u32,
    prog: BorrowedFd<'_>,
    mode: XdpMode,
    observer: &dyn BpfObserver,
) -> Result<LinkFd, HookError> {
    let hook = format!("xdp of ifindex {ifindex}");
    let info = bpf_sys::prog_info(prog).map_err(|source| HookError::Bpf {
        context: "reading the program's info".into(),
        source,
    })?;
    if info.prog_type != prog_type::XDP {
        return Err(HookError::WrongProgramType {
            prog_id: info.id,
            found: prog_type::name(info.prog_type)
                .map_or_else(|| info.prog_type.to_string(), str::to_string),
            wanted: "xdp",
            hook,
        });
    }
    let attr = LinkCreateAttr {
        prog,
        target_ifindex: ifindex,
        attach_type: attach_type::XDP,
        flags: mode.flag(),
        placement: Placement::Default,
        expected_revision: 0,
    };
    let cmd = "BPF_LINK_CREATE";
    observed(
        observer,
        cmd,
        &attr.fields(),
        bpf_sys::link_create(&attr),
        |fd| format!("link fd {}", fd.as_raw_fd()),
    )
    .map_err(|source| {
        let meaning = match source.raw_os_error() {
            Some(libc::EBUSY) | Some(libc::EEXIST) => {
                ": a program is attached at that hook already"
            }
            Some(libc::ENODEV) => ": no such device",
            Some(libc::EOPNOTSUPP) => ": the driver has no XDP hook in that mode",
            _ => "",
        };
        HookError::Bpf {
            context: format!("{cmd} at {hook}{meaning}"),
            source,
        }
    })
}

/// Pins a link at `path` so that it outlives the process. The path is checked first
/// (must not exist, must be in a bpffs); see [`check_pin_path`].
pub fn pin(link: BorrowedFd<'_>, path: &Path) -> Result<(), HookError> {
    check_pin_path(path)?;
    bpf_sys::obj_pin(link, path).map_err(|source| HookError::Bpf {
        context: format!("pinning the link at {}", path.display()),
        source,
    })
}

/// Opens the link pinned at `path`, checking that it is a link.
pub fn open_pinned(path: &Path) -> Result<LinkFd, HookError> {
    let fd = bpf_sys::obj_get(path).map_err(|source| HookError::Bpf {
        context: format!("opening the pinned object {}", path.display()),
        source,
    })?;
    let link = LinkFd::from(fd);
    bpf_sys::link_info(link.as_fd()).map_err(|source| HookError::Bpf {
        context: format!("{} is not a bpf link", path.display()),
        source,
    })?;
    Ok(link)
}

/// Opens the link with this id.
pub fn open_id(id: u32) -> Result<LinkFd, HookError> {
    bpf_sys::link_get_fd_by_id(id).map_err(|source| HookError::Bpf {
        context: format!("opening link id {id}"),
        source,
    })
}

/// Detaches a link's program now (`BPF_LINK_DETACH`). The link stays, defunct,
/// until its fds and pins are gone.
pub fn detach(link: BorrowedFd<'_>, observer: &dyn BpfObserver) -> Result<(), HookError> {
    let fields = [("link_fd", link.as_raw_fd() as u64)];
    let cmd = "BPF_LINK_DETACH";
    observed(observer, cmd, &fields, bpf_sys::link_detach(link), |_| {
        "0 (detached)".into()
    })
    .map_err(|source| HookError::Bpf {
        context: cmd.into(),
        source,
    })
}

/// Every link in the system with its info, in id order. Links that vanish while the
/// list is read are left out.
pub fn list() -> Result<Vec<LinkInfo>, HookError> {
    let mut links = Vec::new();
    let mut next = 0;
    loop {
        let id = match bpf_sys::link_get_next_id(next) {
            Ok(Some(id)) => id,
            Ok(None) => return Ok(links),
            Err(source) => {
                return Err(HookError::Bpf {
                    context: "BPF_LINK_GET_NEXT_ID".into(),
                    source,
                });
            }
        };
        next = id;
        let Ok(fd) = bpf_sys::link_get_fd_by_id(id) else {
            continue;
        };
        if let Ok(info) = bpf_sys::link_info(fd.as_fd()) {
            links.push(info);
        }
    }
}

/// The XDP link that owns the program at device `ifindex`, if one does.
pub fn xdp_link_of(ifindex: u32) -> Result<Option<LinkInfo>, HookError> {
    Ok(list()?
        .into_iter()
        .find(|l| l.link_type == link_type::XDP && l.ifindex == Some(ifindex)))
}
