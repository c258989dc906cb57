//! XDP on a link: the `RTM_NEWLINK` request of `ip link set dev X xdp|xdpgeneric|
//! xdpdrv|xdpoffload obj F` (and `... off`), and reading which program is attached
//! from the `IFLA_XDP` nest of an `RTM_GETLINK` answer.
//!
//! Byte for byte what ip 6.1 sends: `RTM_NEWLINK`, flags `REQUEST|ACK`, an
//! `ifinfomsg` with only the index set, and `IFLA_XDP` (no `NLA_F_NESTED` bit)
//! holding `IFLA_XDP_FD` and, when not zero, `IFLA_XDP_FLAGS`.

use std::os::fd::{AsRawFd, BorrowedFd};

use crate::attr::AttrTable;
use crate::error::{DecodeError, EncodeError, Error};
use crate::link::IFLA_XDP;
use crate::message::{IfInfoMsg, MessageBuilder, NLM_F_ACK, NLM_F_REQUEST, RTM_NEWLINK};
use crate::socket::{Ack, Netlink};

/// `IFLA_XDP_FD`: program fd to attach, -1 to detach (`i32`).
pub const IFLA_XDP_FD: u16 = 1;
/// `IFLA_XDP_ATTACHED`: `u8`, one of the `XDP_ATTACHED_*` values, in answers.
pub const IFLA_XDP_ATTACHED: u16 = 2;
/// `IFLA_XDP_FLAGS`: `u32` of `XDP_FLAGS_*`.
pub const IFLA_XDP_FLAGS: u16 = 3;
/// `IFLA_XDP_PROG_ID`: id of the attached program when only one is.
pub const IFLA_XDP_PROG_ID: u16 = 4;
/// `IFLA_XDP_DRV_PROG_ID`: program attached in driver mode.
pub const IFLA_XDP_DRV_PROG_ID: u16 = 5;
/// `IFLA_XDP_SKB_PROG_ID`: program attached in generic mode.
pub const IFLA_XDP_SKB_PROG_ID: u16 = 6;
/// `IFLA_XDP_HW_PROG_ID`: program attached in offload mode.
pub const IFLA_XDP_HW_PROG_ID: u16 = 7;
/// `IFLA_XDP_EXPECTED_FD`: fd of the program expected to be attached now (`i32`).
pub const IFLA_XDP_EXPECTED_FD: u16 = 8;

/// `XDP_FLAGS_UPDATE_IF_NOEXIST`: fail if a program is attached (ip sets it unless
/// `-force`).
pub const XDP_FLAGS_UPDATE_IF_NOEXIST: u32 = 1;
/// `XDP_FLAGS_SKB_MODE`: generic XDP (`xdpgeneric`).
pub const XDP_FLAGS_SKB_MODE: u32 = 2;
/// `XDP_FLAGS_DRV_MODE`: native XDP (`xdpdrv`).
pub const XDP_FLAGS_DRV_MODE: u32 = 4;
/// `XDP_FLAGS_HW_MODE`: offloaded XDP (`xdpoffload`).
pub const XDP_FLAGS_HW_MODE: u32 = 8;
/// `XDP_FLAGS_REPLACE`: replace only the program given by `IFLA_XDP_EXPECTED_FD`.
pub const XDP_FLAGS_REPLACE: u32 = 16;

/// Which XDP hook (`ip link set dev X <mode> ...`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum XdpMode {
    /// `xdp`: no mode flag; the kernel uses the driver hook if there is one, else
    /// generic.
    #[default]
    Any,
    /// `xdpgeneric`.
    Generic,
    /// `xdpdrv`.
    Driver,
    /// `xdpoffload`.
    Offload,
}

impl XdpMode {
    /// The `XDP_FLAGS_*` mode bit.
    pub fn flag(self) -> u32 {
        match self {
            XdpMode::Any => 0,
            XdpMode::Generic => XDP_FLAGS_SKB_MODE,
            XdpMode::Driver => XDP_FLAGS_DRV_MODE,
            XdpMode::Offload => XDP_FLAGS_HW_MODE,
        }
    }
}

/// What an XDP request expects to find at the hook: it then changes the hook only
/// if that is still so (`XDP_FLAGS_REPLACE` with `IFLA_XDP_EXPECTED_FD`), and the
/// kernel refuses with `EEXIST` ("Active program does not match expected")
/// otherwise (see [`is_not_expected`]).
#[derive(Clone, Copy, Debug)]
pub enum XdpExpect<'fd> {
    /// No program attached (sent as fd -1).
    Nothing,
    /// This program (any fd of it: the kernel compares programs, not fds).
    Program(BorrowedFd<'fd>),
}

impl XdpExpect<'_> {
    /// The `IFLA_XDP_EXPECTED_FD` value.
    pub fn raw_fd(&self) -> i32 {
        match self {
            XdpExpect::Nothing => -1,
            XdpExpect::Program(fd) => fd.as_raw_fd(),
        }
    }
}

/// An XDP attach or detach request. Built with [`XdpSpec::new`] and the `with_*`
/// methods (fields may be added). The fds are borrowed: the programs stay open at
/// least until the request is sent.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct XdpSpec<'fd> {
    /// Device index.
    pub ifindex: u32,
    /// Program to attach; `None` detaches (`off`, sent as fd -1).
    pub fd: Option<BorrowedFd<'fd>>,
    /// Hook.
    pub mode: XdpMode,
    /// `ip -force`: replace whatever is attached (omits `UPDATE_IF_NOEXIST`).
    pub force: bool,
    /// Change the hook only if this is what is attached now: sends
    /// `IFLA_XDP_EXPECTED_FD` with `XDP_FLAGS_REPLACE` (and without
    /// `UPDATE_IF_NOEXIST`). ip 6.1 never sends this.
    pub expected: Option<XdpExpect<'fd>>,
}

impl<'fd> XdpSpec<'fd> {
    /// Attaches program `fd` (`None`: detaches) at `mode` on device `ifindex`, as
    /// `ip link set` without `-force` does: refused if a program is attached already.
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use netlink_tc::xdp::{XDP_FLAGS_REPLACE, XDP_FLAGS_SKB_MODE, XDP_FLAGS_UPDATE_IF_NOEXIST};
    /// use netlink_tc::{XdpExpect, XdpMode, XdpSpec};
    /// # fn main() -> std::io::Result<()> {
    /// let program = std::fs::File::open("/dev/null")?; // stands for a program fd
    /// let spec = XdpSpec::new(2, Some(program.as_fd()), XdpMode::Generic);
    /// assert_eq!(spec.flags(), XDP_FLAGS_SKB_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST);
    /// assert_eq!(spec.with_force(true).flags(), XDP_FLAGS_SKB_MODE);
    /// let safe = spec.with_expected(XdpExpect::Nothing);
    /// assert_eq!(safe.flags(), XDP_FLAGS_SKB_MODE | XDP_FLAGS_REPLACE);
    /// # Ok(()) }
    /// ```
    pub fn new(ifindex: u32, fd: Option<BorrowedFd<'fd>>, mode: XdpMode) -> Self {
        XdpSpec {
            ifindex,
            fd,
            mode,
            force: false,
            expected: None,
        }
    }

    /// `ip -force`: replace whatever is attached.
    pub fn with_force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Change the hook only if `expected` is what is attached now.
    pub fn with_expected(mut self, expected: XdpExpect<'fd>) -> Self {
        self.expected = Some(expected);
        self
    }

    /// The `IFLA_XDP_FLAGS` value.
    pub fn flags(&self) -> u32 {
        let mut flags = self.mode.flag();
        if self.expected.is_some() {
            flags |= XDP_FLAGS_REPLACE;
        } else if !self.force {
            flags |= XDP_FLAGS_UPDATE_IF_NOEXIST;
        }
        flags
    }
}

/// Encodes `spec` as ip does (sequence number 0, filled in when sent).
pub fn encode_xdp(spec: &XdpSpec<'_>) -> Result<Vec<u8>, EncodeError> {
    let mut b = MessageBuilder::new(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
    b.push_fixed(
        &IfInfoMsg {
            index: spec.ifindex,
            ..IfInfoMsg::default()
        }
        .encode(),
    );
    let nest = b.begin_nest(IFLA_XDP);
    b.attr_i32(IFLA_XDP_FD, spec.fd.map_or(-1, |fd| fd.as_raw_fd()));
    if spec.flags() != 0 {
        b.attr_u32(IFLA_XDP_FLAGS, spec.flags());
    }
    if let Some(expected) = spec.expected {
        b.attr_i32(IFLA_XDP_EXPECTED_FD, expected.raw_fd());
    }
    b.end_nest(nest);
    b.finish()
}

/// Whether the kernel refused an XDP request because the program attached is not
/// the one [`XdpSpec::expected`] named (`EEXIST`, "Active program does not match
/// expected"), as opposed to the other `EEXIST` ("XDP program already attached").
pub fn is_not_expected(error: &Error) -> bool {
    error.errno() == Some(libc::EEXIST)
        && error
            .kernel()
            .and_then(|k| k.message.as_deref())
            .is_some_and(|m| m.contains("does not match expected"))
}

/// `IFLA_XDP_ATTACHED` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum XdpAttached {
    /// `XDP_ATTACHED_NONE`.
    #[default]
    None,
    /// `XDP_ATTACHED_DRV`: native.
    Driver,
    /// `XDP_ATTACHED_SKB`: generic.
    Generic,
    /// `XDP_ATTACHED_HW`: offloaded.
    Offload,
    /// `XDP_ATTACHED_MULTI`: several hooks at once (see the per-mode ids).
    Multi,
    /// A value this crate does not know.
    Other(u8),
}

impl From<u8> for XdpAttached {
    fn from(value: u8) -> Self {
        match value {
            0 => XdpAttached::None,
            1 => XdpAttached::Driver,
            2 => XdpAttached::Generic,
            3 => XdpAttached::Offload,
            4 => XdpAttached::Multi,
            other => XdpAttached::Other(other),
        }
    }
}

impl From<XdpAttached> for u8 {
    fn from(value: XdpAttached) -> u8 {
        match value {
            XdpAttached::None => 0,
            XdpAttached::Driver => 1,
            XdpAttached::Generic => 2,
            XdpAttached::Offload => 3,
            XdpAttached::Multi => 4,
            XdpAttached::Other(code) => code,
        }
    }
}

/// The XDP state of a link: the `IFLA_XDP` nest of its `RTM_NEWLINK` message
/// ([`crate::link::LinkInfo::xdp`]). Fields may be added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkXdp {
    /// `IFLA_XDP_ATTACHED` (`None` when the message had no `IFLA_XDP`).
    pub attached: XdpAttached,
    /// `IFLA_XDP_PROG_ID`: the program when only one hook has one.
    pub prog_id: Option<u32>,
    /// `IFLA_XDP_DRV_PROG_ID`.
    pub drv_prog_id: Option<u32>,
    /// `IFLA_XDP_SKB_PROG_ID`.
    pub skb_prog_id: Option<u32>,
    /// `IFLA_XDP_HW_PROG_ID`.
    pub hw_prog_id: Option<u32>,
}

impl LinkXdp {
    /// The id of the program at `mode`'s hook, the one an [`XdpExpect`] is compared
    /// with when `mode` is set. Without a mode word ([`XdpMode::Any`]) the kernel
    /// uses the driver hook on devices that have one, else generic: this answers
    /// the driver program if there is one, else the generic one. Older kernels
    /// report only `IFLA_XDP_PROG_ID` with the mode; that counts too.
    ///
    /// ```
    /// use netlink_tc::{LinkXdp, XdpAttached, XdpMode};
    /// let mut xdp = LinkXdp::default();
    /// xdp.attached = XdpAttached::Generic;
    /// xdp.prog_id = Some(7);
    /// assert_eq!(xdp.prog_at(XdpMode::Generic), Some(7));
    /// assert_eq!(xdp.prog_at(XdpMode::Driver), None);
    /// assert_eq!(xdp.prog_at(XdpMode::Any), Some(7));
    /// ```
    pub fn prog_at(&self, mode: XdpMode) -> Option<u32> {
        let only = |kind: XdpAttached| {
            if self.attached == kind {
                self.prog_id
            } else {
                None
            }
        };
        let driver = self.drv_prog_id.or_else(|| only(XdpAttached::Driver));
        let generic = self.skb_prog_id.or_else(|| only(XdpAttached::Generic));
        let offload = self.hw_prog_id.or_else(|| only(XdpAttached::Offload));
        match mode {
            XdpMode::Driver => driver,
            XdpMode::Generic => generic,
            XdpMode::Offload => offload,
            XdpMode::Any => driver.or(generic),
        }
        .filter(|&id| id != 0)
    }
}

/// Decodes the payload of an `IFLA_XDP` nest.
pub(crate) fn decode_xdp_nest(payload: &[u8]) -> Result<LinkXdp, DecodeError> {
    let nest = AttrTable::<{ IFLA_XDP_EXPECTED_FD as usize + 1 }>::parse(payload)?;
    let id = |kind: u16, what: &'static str| nest.get(kind).map(|a| a.u32(what)).transpose();
    Ok(LinkXdp {
        attached: match nest.get(IFLA_XDP_ATTACHED) {
            Some(a) => XdpAttached::from(a.u8("IFLA_XDP_ATTACHED")?),
            None => XdpAttached::None,
        },
        prog_id: id(IFLA_XDP_PROG_ID, "IFLA_XDP_PROG_ID")?,
        drv_prog_id: id(IFLA_XDP_DRV_PROG_ID, "IFLA_XDP_DRV_PROG_ID")?,
        skb_prog_id: id(IFLA_XDP_SKB_PROG_ID, "IFLA_XDP_SKB_PROG_ID")?,
        hw_prog_id: id(IFLA_XDP_HW_PROG_ID, "IFLA_XDP_HW_PROG_ID")?,
    })
}

impl Netlink {
    /// Attaches or detaches an XDP program and waits for the acknowledgement.
    pub fn set_xdp(&mut self, spec: &XdpSpec<'_>) -> Result<Ack, Error> {
        let request = encode_xdp(spec)?;
        self.acked(request)
    }

    /// Reads which XDP programs, if any, are attached to a link.
    pub fn link_xdp(&mut self, ifindex: u32) -> Result<LinkXdp, Error> {
        Ok(self.link(ifindex)?.xdp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_follow_ip() {
        let file = std::fs::File::open("/dev/null").unwrap();
        let fd = std::os::fd::AsFd::as_fd(&file);
        let attach = XdpSpec::new(2, Some(fd), XdpMode::Any);
        assert_eq!(attach.flags(), XDP_FLAGS_UPDATE_IF_NOEXIST);
        assert_eq!(attach.with_force(true).flags(), 0);
        let generic_off = XdpSpec::new(2, None, XdpMode::Generic);
        assert_eq!(generic_off.flags(), 3);
        let replace =
            XdpSpec::new(2, Some(fd), XdpMode::Driver).with_expected(XdpExpect::Program(fd));
        assert_eq!(replace.flags(), XDP_FLAGS_REPLACE | XDP_FLAGS_DRV_MODE);
    }

    #[test]
    fn the_expected_program_is_the_one_at_the_hook() {
        let generic_only = LinkXdp {
            attached: XdpAttached::Generic,
            prog_id: Some(7),
            skb_prog_id: Some(7),
            ..LinkXdp::default()
        };
        assert_eq!(generic_only.prog_at(XdpMode::Generic), Some(7));
        assert_eq!(generic_only.prog_at(XdpMode::Driver), None);
        assert_eq!(generic_only.prog_at(XdpMode::Any), Some(7));
        let both = LinkXdp {
            attached: XdpAttached::Multi,
            prog_id: None,
            skb_prog_id: Some(7),
            drv_prog_id: Some(9),
            ..LinkXdp::default()
        };
        assert_eq!(both.prog_at(XdpMode::Any), Some(9));
        assert_eq!(both.prog_at(XdpMode::Generic), Some(7));
        // An older kernel reports only IFLA_XDP_PROG_ID with the mode.
        let old_driver = LinkXdp {
            attached: XdpAttached::Driver,
            prog_id: Some(3),
            ..LinkXdp::default()
        };
        assert_eq!(old_driver.prog_at(XdpMode::Driver), Some(3));
        assert_eq!(LinkXdp::default().prog_at(XdpMode::Any), None);
    }
}
