//! XDP on a link: the `RTM_NEWLINK` request of `ip link set dev X xdp|xdpgeneric|
//! xdpdrv|xdpoffload obj F` (and `... off`), and reading which program is attached
//! from the `IFLA_XDP` nest of an `RTM_GETLINK` answer.
//!
//! Byte for byte what ip 6.1 sends: `RTM_NEWLINK`, flags `REQUEST|ACK`, an
//! `ifinfomsg` with only the index set, and `IFLA_XDP` (no `NLA_F_NESTED` bit)
//! holding `IFLA_XDP_FD` and, when not zero, `IFLA_XDP_FLAGS`.

use crate::attr::AttrTable;
use crate::error::{DecodeError, EncodeError, Error};
use crate::message::{
    IFINFOMSG_LEN, IfInfoMsg, Message, MessageBuilder, NLM_F_ACK, NLM_F_REQUEST, RTM_GETLINK,
    RTM_NEWLINK,
};
use crate::socket::{Ack, Netlink};

/// `IFLA_IFNAME`: interface name.
pub const IFLA_IFNAME: u16 = 3;
/// `IFLA_EXT_MASK`: `RTEXT_FILTER_*` bits for get requests.
pub const IFLA_EXT_MASK: u16 = 29;
/// `IFLA_XDP`: the XDP nest.
pub const IFLA_XDP: u16 = 43;
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

/// `RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS`, the mask `ip link show` sends.
pub const EXT_MASK_IP_LINK_SHOW: u32 = 1 | 8;

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

/// An XDP attach or detach request. Built with [`XdpSpec::new`] outside this crate
/// (fields may be added), then adjusted field by field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct XdpSpec {
    /// Device index.
    pub ifindex: u32,
    /// Program to attach; `None` detaches (`off`, sent as fd -1).
    pub fd: Option<i32>,
    /// Hook.
    pub mode: XdpMode,
    /// `ip -force`: replace whatever is attached (omits `UPDATE_IF_NOEXIST`).
    pub force: bool,
    /// Replace only if this program is the one attached now: sends
    /// `IFLA_XDP_EXPECTED_FD` with `XDP_FLAGS_REPLACE` (and without
    /// `UPDATE_IF_NOEXIST`). ip 6.1 never sends this.
    pub expected_fd: Option<i32>,
}

impl XdpSpec {
    /// Attaches program `fd` (`None`: detaches) at `mode` on device `ifindex`, as
    /// `ip link set` without `-force` does: refused if a program is attached already.
    ///
    /// ```
    /// use netlink_tc::xdp::{XDP_FLAGS_SKB_MODE, XDP_FLAGS_UPDATE_IF_NOEXIST};
    /// use netlink_tc::{XdpMode, XdpSpec};
    /// let mut spec = XdpSpec::new(2, Some(7), XdpMode::Generic);
    /// assert_eq!(spec.flags(), XDP_FLAGS_SKB_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST);
    /// spec.force = true;
    /// assert_eq!(spec.flags(), XDP_FLAGS_SKB_MODE);
    /// ```
    pub fn new(ifindex: u32, fd: Option<i32>, mode: XdpMode) -> Self {
        XdpSpec {
            ifindex,
            fd,
            mode,
            force: false,
            expected_fd: None,
        }
    }

    /// The `IFLA_XDP_FLAGS` value.
    pub fn flags(&self) -> u32 {
        let mut flags = self.mode.flag();
        if self.expected_fd.is_some() {
            flags |= XDP_FLAGS_REPLACE;
        } else if !self.force {
            flags |= XDP_FLAGS_UPDATE_IF_NOEXIST;
        }
        flags
    }
}

/// Encodes `spec` as ip does (sequence number 0, filled in when sent).
pub fn encode_xdp(spec: &XdpSpec) -> Result<Vec<u8>, EncodeError> {
    let mut b = MessageBuilder::new(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
    b.push_fixed(
        &IfInfoMsg {
            index: spec.ifindex,
            ..IfInfoMsg::default()
        }
        .encode(),
    );
    let nest = b.begin_nest(IFLA_XDP);
    b.attr_i32(IFLA_XDP_FD, spec.fd.unwrap_or(-1));
    if spec.flags() != 0 {
        b.attr_u32(IFLA_XDP_FLAGS, spec.flags());
    }
    if let Some(expected) = spec.expected_fd {
        b.attr_i32(IFLA_XDP_EXPECTED_FD, expected);
    }
    b.end_nest(nest);
    b.finish()
}

/// Encodes a get of one link by index: `RTM_GETLINK`, `REQUEST`, with
/// `IFLA_EXT_MASK` = VF | SKIP_STATS as `ip link show` sends. The answer is one
/// `RTM_NEWLINK` message.
pub fn encode_link_get(ifindex: u32) -> Vec<u8> {
    let mut b = MessageBuilder::new(RTM_GETLINK, NLM_F_REQUEST);
    b.push_fixed(
        &IfInfoMsg {
            index: ifindex,
            ..IfInfoMsg::default()
        }
        .encode(),
    );
    b.attr_u32(IFLA_EXT_MASK, EXT_MASK_IP_LINK_SHOW);
    // Fixed-size content cannot overflow the length fields.
    b.finish().unwrap_or_default()
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

/// The XDP state of a link, from its `RTM_NEWLINK` message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkXdp {
    /// Interface index.
    pub ifindex: u32,
    /// `IFLA_IFNAME`, if present.
    pub name: Option<String>,
    /// `IFLA_XDP_ATTACHED` (None when the message had no `IFLA_XDP`).
    pub attached: XdpAttached,
    /// `IFLA_XDP_PROG_ID`.
    pub prog_id: Option<u32>,
    /// `IFLA_XDP_DRV_PROG_ID`.
    pub drv_prog_id: Option<u32>,
    /// `IFLA_XDP_SKB_PROG_ID`.
    pub skb_prog_id: Option<u32>,
    /// `IFLA_XDP_HW_PROG_ID`.
    pub hw_prog_id: Option<u32>,
}

/// Decodes the XDP part of an `RTM_NEWLINK` message.
pub fn decode_link_xdp(message: &Message<'_>) -> Result<LinkXdp, DecodeError> {
    if message.header.kind != RTM_NEWLINK {
        return Err(DecodeError::UnexpectedType {
            expected: "RTM_NEWLINK",
            found: message.header.kind,
        });
    }
    let info = IfInfoMsg::decode(message.payload)?;
    let attrs = AttrTable::<{ IFLA_XDP as usize + 1 }>::parse(
        message.payload.get(IFINFOMSG_LEN..).unwrap_or(&[]),
    )?;
    let mut link = LinkXdp {
        ifindex: info.index,
        name: attrs.get(IFLA_IFNAME).map(|a| a.string()),
        ..LinkXdp::default()
    };
    if let Some(xdp) = attrs.get(IFLA_XDP) {
        let nest = AttrTable::<9>::parse(xdp.payload)?;
        let id = |kind: u16, what: &'static str| nest.get(kind).map(|a| a.u32(what)).transpose();
        link.attached = match nest.get(IFLA_XDP_ATTACHED) {
            Some(a) => XdpAttached::from(a.u8("IFLA_XDP_ATTACHED")?),
            None => XdpAttached::None,
        };
        link.prog_id = id(IFLA_XDP_PROG_ID, "IFLA_XDP_PROG_ID")?;
        link.drv_prog_id = id(IFLA_XDP_DRV_PROG_ID, "IFLA_XDP_DRV_PROG_ID")?;
        link.skb_prog_id = id(IFLA_XDP_SKB_PROG_ID, "IFLA_XDP_SKB_PROG_ID")?;
        link.hw_prog_id = id(IFLA_XDP_HW_PROG_ID, "IFLA_XDP_HW_PROG_ID")?;
    }
    Ok(link)
}

impl Netlink {
    /// Attaches or detaches an XDP program and waits for the acknowledgement.
    pub fn set_xdp(&mut self, spec: &XdpSpec) -> Result<Ack, Error> {
        let request = encode_xdp(spec)?;
        self.acked(request)
    }

    /// Reads which XDP program, if any, is attached to a link.
    pub fn link_xdp(&mut self, ifindex: u32) -> Result<LinkXdp, Error> {
        let answer = self.answered(encode_link_get(ifindex))?;
        Ok(decode_link_xdp(&Message::parse(&answer)?)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_follow_ip() {
        let attach = XdpSpec {
            ifindex: 2,
            fd: Some(7),
            ..XdpSpec::default()
        };
        assert_eq!(attach.flags(), XDP_FLAGS_UPDATE_IF_NOEXIST);
        let forced = XdpSpec {
            force: true,
            ..attach
        };
        assert_eq!(forced.flags(), 0);
        let generic_off = XdpSpec {
            fd: None,
            mode: XdpMode::Generic,
            ..attach
        };
        assert_eq!(generic_off.flags(), 3);
        let replace = XdpSpec {
            expected_fd: Some(9),
            mode: XdpMode::Driver,
            ..attach
        };
        assert_eq!(replace.flags(), XDP_FLAGS_REPLACE | XDP_FLAGS_DRV_MODE);
    }
}
