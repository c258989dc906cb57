//! Replacing the XDP program at a hook without overwriting one that someone else
//! attached in the meantime: read what is attached ([`XdpCurrent::read`]), open it,
//! then ask the kernel to replace only that program ([`Netlink::replace_xdp`]:
//! `XDP_FLAGS_REPLACE` with `IFLA_XDP_EXPECTED_FD`). If another program arrived
//! between the two steps, the kernel refuses, that program stays, and
//! [`XdpReplaceError::Changed`] names both.
//!
//! This is what `rtc -force link set dev X xdp ...` does where ip overwrites
//! blindly.
//!
//! ```no_run
//! use std::os::fd::AsFd;
//! use netlink_tc::{Netlink, XdpCurrent, XdpMode};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let (ifindex, new_program) = (2, std::fs::File::open("/dev/null")?);
//! let mut nl = Netlink::open()?;
//! let current = XdpCurrent::read(&mut nl, ifindex, XdpMode::Generic)?;
//! nl.replace_xdp(&current, new_program.as_fd())?;
//! # Ok(()) }
//! ```

use std::os::fd::{AsFd, BorrowedFd};

use bpf_sys::ProgFd;

use crate::error::Error;
use crate::socket::{Ack, Netlink};
use crate::xdp::{LinkXdp, XdpExpect, XdpMode, XdpSpec, is_not_expected};

/// Why a safe XDP replace did not happen. The hook is as it was in every case.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum XdpReplaceError {
    /// Reading the link's XDP state failed.
    #[error("cannot read the XDP state of interface {ifindex}: {source}")]
    Read {
        /// The device.
        ifindex: u32,
        /// What netlink said.
        #[source]
        source: Error,
    },
    /// The attached program could not be opened (it may have gone since).
    #[error("cannot open the attached XDP program (id {id}) to replace it safely: {source}")]
    Open {
        /// Its id.
        id: u32,
        /// What bpf(2) said.
        #[source]
        source: bpf_sys::Error,
    },
    /// Another program was attached since the hook was read: nothing was replaced.
    #[error(
        "the XDP program changed while it was being replaced (expected {}, attached now: {}): {source}",
        describe(.expected),
        describe(.now)
    )]
    Changed {
        /// The program that was expected (`None`: nothing).
        expected: Option<u32>,
        /// The program at the hook after the refusal (`None`: nothing, or unknown).
        now: Option<u32>,
        /// The kernel's refusal.
        #[source]
        source: Error,
    },
    /// The kernel refused for another reason (the program's type, the other hook
    /// is in use, ...).
    #[error("{0}")]
    Refused(#[source] Error),
}

/// `id N` or `none`.
fn describe(id: &Option<u32>) -> String {
    id.map_or_else(|| "none".to_string(), |id| format!("id {id}"))
}

/// What is attached at one XDP hook, read and opened: the expectation a
/// [`Netlink::replace_xdp`] sends.
#[derive(Debug)]
pub struct XdpCurrent {
    ifindex: u32,
    mode: XdpMode,
    id: Option<u32>,
    fd: Option<ProgFd>,
    /// The link's XDP state when it was read.
    before: LinkXdp,
    /// The id was given, not read.
    chosen: bool,
}

impl XdpCurrent {
    /// Reads which program is at `mode`'s hook of device `ifindex` now (see
    /// [`LinkXdp::prog_at`]) and opens it.
    pub fn read(nl: &mut Netlink, ifindex: u32, mode: XdpMode) -> Result<Self, XdpReplaceError> {
        let before = read_xdp(nl, ifindex)?;
        XdpCurrent::open(ifindex, mode, before.prog_at(mode), before, false)
    }

    /// Expects program `id` (`None`: nothing) at the hook, whatever is attached now:
    /// for a caller that read the hook earlier (or a test that wants a stale
    /// expectation on purpose).
    pub fn expect_id(
        nl: &mut Netlink,
        ifindex: u32,
        mode: XdpMode,
        id: Option<u32>,
    ) -> Result<Self, XdpReplaceError> {
        let before = read_xdp(nl, ifindex)?;
        XdpCurrent::open(ifindex, mode, id.filter(|&id| id != 0), before, true)
    }

    fn open(
        ifindex: u32,
        mode: XdpMode,
        id: Option<u32>,
        before: LinkXdp,
        chosen: bool,
    ) -> Result<Self, XdpReplaceError> {
        let fd = id
            .map(|id| {
                bpf_sys::prog_get_fd_by_id(id)
                    .map_err(|source| XdpReplaceError::Open { id, source })
            })
            .transpose()?;
        Ok(XdpCurrent {
            ifindex,
            mode,
            id,
            fd,
            before,
            chosen,
        })
    }

    /// The device.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// The hook.
    pub fn mode(&self) -> XdpMode {
        self.mode
    }

    /// The expected program's id (`None`: nothing attached).
    pub fn id(&self) -> Option<u32> {
        self.id
    }

    /// The expectation as a request sends it (its `IFLA_XDP_EXPECTED_FD`).
    pub fn expect(&self) -> XdpExpect<'_> {
        match &self.fd {
            Some(fd) => XdpExpect::Program(fd.as_fd()),
            None => XdpExpect::Nothing,
        }
    }
}

fn read_xdp(nl: &mut Netlink, ifindex: u32) -> Result<LinkXdp, XdpReplaceError> {
    nl.link_xdp(ifindex)
        .map_err(|source| XdpReplaceError::Read { ifindex, source })
}

impl Netlink {
    /// Attaches `program` at `current`'s hook in place of the program `current`
    /// expects (or only if the hook is still empty), and waits for the ack.
    ///
    /// One case is retried: without a mode word ([`XdpMode::Any`]) the kernel
    /// compares with its chosen hook (the driver hook where the device has one),
    /// which may be empty while the program read is a generic one. When the
    /// refusal left the link exactly as it was read, the request is sent again
    /// expecting nothing, so that the kernel names what stands in the way (as it
    /// does for ip). An expectation given with [`XdpCurrent::expect_id`] is not
    /// retried.
    pub fn replace_xdp(
        &mut self,
        current: &XdpCurrent,
        program: BorrowedFd<'_>,
    ) -> Result<Ack, XdpReplaceError> {
        let spec = XdpSpec::new(current.ifindex, Some(program), current.mode)
            .with_force(true)
            .with_expected(current.expect());
        let error = match self.set_xdp(&spec) {
            Ok(ack) => return Ok(ack),
            Err(error) if is_not_expected(&error) => error,
            Err(error) => return Err(XdpReplaceError::Refused(error)),
        };
        let now = self.link_xdp(current.ifindex).ok();
        if now == Some(current.before)
            && !current.chosen
            && current.mode == XdpMode::Any
            && current.id.is_some()
        {
            let retry = spec.with_expected(XdpExpect::Nothing);
            return match self.set_xdp(&retry) {
                Ok(ack) => Ok(ack),
                Err(error) if is_not_expected(&error) => {
                    let now = self.link_xdp(current.ifindex).ok();
                    Err(XdpReplaceError::Changed {
                        expected: None,
                        now: now.and_then(|xdp| xdp.prog_at(XdpMode::Driver)),
                        source: error,
                    })
                }
                Err(error) => Err(XdpReplaceError::Refused(error)),
            };
        }
        Err(XdpReplaceError::Changed {
            expected: current.id,
            now: now.and_then(|xdp| xdp.prog_at(current.mode)),
            source: error,
        })
    }
}
