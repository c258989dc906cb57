//! Network devices ("links" to rtnetlink; not bpf links, see [`crate::bpf_link`]):
//! the `RTM_GETLINK` requests `ip link show` sends, the `IFLA_*` attribute numbers,
//! and [`decode_link`], which reads one `RTM_NEWLINK` answer into a [`LinkInfo`]:
//! index, name, flags, MTU, the XDP attachment, addresses, queues, counters.
//!
//! Decoding only: printing a listing the way ip does is the caller's business (the
//! rtc CLI does it in its `show/link.rs`).
//!
//! ```
//! use netlink_tc::link::{decode_link, encode_link_get, IFLA_EXT_MASK};
//! use netlink_tc::message::{Message, RTM_GETLINK};
//! # fn main() -> Result<(), netlink_tc::DecodeError> {
//! let request = encode_link_get(2);
//! let message = Message::parse(&request)?;
//! assert_eq!(message.header.kind, RTM_GETLINK);
//! // A request is not an answer: the decoder wants RTM_NEWLINK or RTM_DELLINK.
//! assert!(decode_link(&message).is_err());
//! # Ok(()) }
//! ```

use crate::attr::AttrTable;
use crate::error::{DecodeError, Error};
use crate::message::{
    IFINFOMSG_LEN, IfInfoMsg, Message, MessageBuilder, NLM_F_DUMP, NLM_F_REQUEST, RTM_DELLINK,
    RTM_GETLINK, RTM_NEWLINK,
};
use crate::socket::{Dump, Netlink};
use crate::xdp::{LinkXdp, decode_xdp_nest};

/// `IFLA_ADDRESS`: link-layer address.
pub const IFLA_ADDRESS: u16 = 1;
/// `IFLA_BROADCAST`: link-layer broadcast (or point-to-point peer) address.
pub const IFLA_BROADCAST: u16 = 2;
/// `IFLA_IFNAME`: interface name.
pub const IFLA_IFNAME: u16 = 3;
/// `IFLA_MTU`: `u32`.
pub const IFLA_MTU: u16 = 4;
/// `IFLA_LINK`: index of the lower (or peer) device, `u32`.
pub const IFLA_LINK: u16 = 5;
/// `IFLA_QDISC`: name of the root qdisc.
pub const IFLA_QDISC: u16 = 6;
/// `IFLA_MASTER`: index of the master device, `u32`.
pub const IFLA_MASTER: u16 = 10;
/// `IFLA_TXQLEN`: transmit queue length, `u32`.
pub const IFLA_TXQLEN: u16 = 13;
/// `IFLA_OPERSTATE`: `IF_OPER_*`, `u8`.
pub const IFLA_OPERSTATE: u16 = 16;
/// `IFLA_LINKMODE`: `IF_LINK_MODE_*`, `u8`.
pub const IFLA_LINKMODE: u16 = 17;
/// `IFLA_LINKINFO`: nest with the link kind (`IFLA_INFO_*`).
pub const IFLA_LINKINFO: u16 = 18;
/// `IFLA_IFALIAS`: the alias string.
pub const IFLA_IFALIAS: u16 = 20;
/// `IFLA_STATS64`: `struct rtnl_link_stats64`.
pub const IFLA_STATS64: u16 = 23;
/// `IFLA_AF_SPEC`: per address family nests.
pub const IFLA_AF_SPEC: u16 = 26;
/// `IFLA_GROUP`: device group, `u32`.
pub const IFLA_GROUP: u16 = 27;
/// `IFLA_EXT_MASK`: `RTEXT_FILTER_*` bits for get requests.
pub const IFLA_EXT_MASK: u16 = 29;
/// `IFLA_PROMISCUITY`: promiscuity count, `u32`.
pub const IFLA_PROMISCUITY: u16 = 30;
/// `IFLA_NUM_TX_QUEUES`: `u32`.
pub const IFLA_NUM_TX_QUEUES: u16 = 31;
/// `IFLA_NUM_RX_QUEUES`: `u32`.
pub const IFLA_NUM_RX_QUEUES: u16 = 32;
/// `IFLA_CARRIER_CHANGES`: `u32`.
pub const IFLA_CARRIER_CHANGES: u16 = 35;
/// `IFLA_LINK_NETNSID`: the namespace `IFLA_LINK` lives in, as seen from here, `s32`.
pub const IFLA_LINK_NETNSID: u16 = 37;
/// `IFLA_PROTO_DOWN`: `u8`.
pub const IFLA_PROTO_DOWN: u16 = 39;
/// `IFLA_GSO_MAX_SEGS`: `u32`.
pub const IFLA_GSO_MAX_SEGS: u16 = 40;
/// `IFLA_GSO_MAX_SIZE`: `u32`.
pub const IFLA_GSO_MAX_SIZE: u16 = 41;
/// `IFLA_XDP`: the XDP nest (`IFLA_XDP_*` in [`crate::xdp`]).
pub const IFLA_XDP: u16 = 43;
/// `IFLA_NEW_NETNSID`: where a link moved to (notifications only), `s32`.
pub const IFLA_NEW_NETNSID: u16 = 45;
/// `IFLA_NEW_IFINDEX`: its index there (notifications only), `s32`.
pub const IFLA_NEW_IFINDEX: u16 = 49;
/// `IFLA_MIN_MTU`: `u32`.
pub const IFLA_MIN_MTU: u16 = 50;
/// `IFLA_MAX_MTU`: `u32`.
pub const IFLA_MAX_MTU: u16 = 51;
/// `IFLA_PROP_LIST`: nest of `IFLA_ALT_IFNAME`s.
pub const IFLA_PROP_LIST: u16 = 52;
/// `IFLA_ALT_IFNAME`: an alternative name, inside `IFLA_PROP_LIST`.
pub const IFLA_ALT_IFNAME: u16 = 53;
/// `IFLA_PERM_ADDRESS`: the permanent link-layer address.
pub const IFLA_PERM_ADDRESS: u16 = 54;
/// `IFLA_GRO_MAX_SIZE`: `u32`.
pub const IFLA_GRO_MAX_SIZE: u16 = 58;
/// `IFLA_TSO_MAX_SIZE`: `u32`.
pub const IFLA_TSO_MAX_SIZE: u16 = 59;
/// `IFLA_TSO_MAX_SEGS`: `u32`.
pub const IFLA_TSO_MAX_SEGS: u16 = 60;
/// `IFLA_ALLMULTI`: allmulti count, `u32`.
pub const IFLA_ALLMULTI: u16 = 61;
/// One past the highest top-level attribute [`decode_link`] reads.
const IFLA_TABLE_SIZE: usize = IFLA_ALLMULTI as usize + 1;

/// `IFLA_INFO_KIND` inside `IFLA_LINKINFO`: the link kind (`veth`, `bridge`, ...).
pub const IFLA_INFO_KIND: u16 = 1;
/// `AF_INET6`, the family nest inside `IFLA_AF_SPEC` that holds the IPv6 settings.
pub const AF_INET6: u16 = 10;
/// `IFLA_INET6_ADDR_GEN_MODE` inside `IFLA_AF_SPEC`'s `AF_INET6` nest, `u8`.
pub const IFLA_INET6_ADDR_GEN_MODE: u16 = 8;

/// `IFF_UP`: administratively up.
pub const IFF_UP: u32 = 0x1;
/// `IFF_POINTOPOINT`: a point-to-point link (`IFLA_BROADCAST` is the peer).
pub const IFF_POINTOPOINT: u32 = 0x10;
/// `IFF_RUNNING`: operationally up (carrier).
pub const IFF_RUNNING: u32 = 0x40;

/// `RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS`, the mask `ip link show` sends.
pub const EXT_MASK_IP_LINK_SHOW: u32 = 1 | 8;
/// `AF_PACKET`: the family `ip link show` dumps with.
pub const AF_PACKET: u8 = 17;
/// Counters in `struct rtnl_link_stats64` as iproute2 6.1 and Linux 6.1 know it.
pub const STATS64_COUNTERS: usize = 25;

/// Encodes a get of one link by index: `RTM_GETLINK`, `REQUEST`, with
/// `IFLA_EXT_MASK` = VF | SKIP_STATS as `ip link show dev X` sends. The answer is
/// one `RTM_NEWLINK` message.
pub fn encode_link_get(ifindex: u32) -> Vec<u8> {
    link_request(
        NLM_F_REQUEST,
        IfInfoMsg {
            index: ifindex,
            ..IfInfoMsg::default()
        },
    )
}

/// Encodes the dump `ip link show` sends: every link, family `AF_PACKET`,
/// `IFLA_EXT_MASK` = VF | SKIP_STATS.
pub fn encode_link_dump() -> Vec<u8> {
    link_request(
        NLM_F_REQUEST | NLM_F_DUMP,
        IfInfoMsg {
            family: AF_PACKET,
            ..IfInfoMsg::default()
        },
    )
}

fn link_request(flags: u16, header: IfInfoMsg) -> Vec<u8> {
    let mut b = MessageBuilder::new(RTM_GETLINK, flags);
    b.push_fixed(&header.encode());
    b.attr_u32(IFLA_EXT_MASK, EXT_MASK_IP_LINK_SHOW);
    // Fixed-size content cannot overflow the length fields.
    b.finish().unwrap_or_default()
}

/// One network device as an `RTM_NEWLINK` (or `RTM_DELLINK`) message describes it.
/// Attributes the message did not carry are `None`. Fields may be added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkInfo {
    /// The message was an `RTM_DELLINK` (a notification that the link is gone).
    pub deleted: bool,
    /// Interface index.
    pub ifindex: u32,
    /// `ARPHRD_*` device type (1: Ethernet).
    pub device_type: u16,
    /// `IFF_*` flags.
    pub flags: u32,
    /// `IFLA_IFNAME`.
    pub name: Option<String>,
    /// `IFLA_MTU`.
    pub mtu: Option<u32>,
    /// The `IFLA_XDP` nest: which XDP programs are attached, at which hook
    /// (`XdpAttached::None` and no ids when absent).
    pub xdp: LinkXdp,
    /// `IFLA_QDISC`.
    pub qdisc: Option<String>,
    /// `IFLA_MASTER`.
    pub master: Option<u32>,
    /// `IFLA_OPERSTATE` (`IF_OPER_*`: 6 is up).
    pub operstate: Option<u8>,
    /// `IFLA_LINKMODE`.
    pub linkmode: Option<u8>,
    /// `IFLA_GROUP`.
    pub group: Option<u32>,
    /// `IFLA_TXQLEN`.
    pub txqlen: Option<u32>,
    /// `IFLA_ADDRESS`.
    pub address: Option<Vec<u8>>,
    /// `IFLA_BROADCAST`.
    pub broadcast: Option<Vec<u8>>,
    /// `IFLA_PERM_ADDRESS`.
    pub perm_address: Option<Vec<u8>>,
    /// `IFLA_LINK`: the index of the lower (or peer) device.
    pub link: Option<u32>,
    /// `IFLA_LINK_NETNSID`: the namespace `link` lives in, as seen from here.
    pub link_netnsid: Option<i32>,
    /// `IFLA_NEW_NETNSID` (notifications only).
    pub new_netnsid: Option<i32>,
    /// `IFLA_NEW_IFINDEX` (notifications only).
    pub new_ifindex: Option<i32>,
    /// `IFLA_PROTO_DOWN`.
    pub proto_down: Option<u8>,
    /// `IFLA_IFALIAS`.
    pub alias: Option<String>,
    /// The `IFLA_ALT_IFNAME`s of `IFLA_PROP_LIST`, in order.
    pub altnames: Vec<String>,
    /// `IFLA_PROMISCUITY`.
    pub promiscuity: Option<u32>,
    /// `IFLA_ALLMULTI`.
    pub allmulti: Option<u32>,
    /// `IFLA_MIN_MTU`.
    pub min_mtu: Option<u32>,
    /// `IFLA_MAX_MTU`.
    pub max_mtu: Option<u32>,
    /// Whether `IFLA_LINKINFO` was present.
    pub has_linkinfo: bool,
    /// `IFLA_INFO_KIND` of `IFLA_LINKINFO` (`veth`, `bridge`, ...).
    pub kind: Option<String>,
    /// `IFLA_INET6_ADDR_GEN_MODE` of `IFLA_AF_SPEC`.
    pub addr_gen_mode: Option<u8>,
    /// `IFLA_NUM_TX_QUEUES`.
    pub num_tx_queues: Option<u32>,
    /// `IFLA_NUM_RX_QUEUES`.
    pub num_rx_queues: Option<u32>,
    /// `IFLA_GSO_MAX_SIZE`.
    pub gso_max_size: Option<u32>,
    /// `IFLA_GSO_MAX_SEGS`.
    pub gso_max_segs: Option<u32>,
    /// `IFLA_TSO_MAX_SIZE`.
    pub tso_max_size: Option<u32>,
    /// `IFLA_TSO_MAX_SEGS`.
    pub tso_max_segs: Option<u32>,
    /// `IFLA_GRO_MAX_SIZE`.
    pub gro_max_size: Option<u32>,
    /// `IFLA_STATS64` (absent when the request asked to skip statistics).
    pub stats64: Option<LinkStats64>,
    /// `IFLA_CARRIER_CHANGES`.
    pub carrier_changes: Option<u32>,
}

impl LinkInfo {
    /// Whether the link is administratively up (`IFF_UP`).
    pub fn is_up(&self) -> bool {
        self.flags & IFF_UP != 0
    }
}

/// `IFLA_STATS64`: the link's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkStats64 {
    /// The counters in the order of `struct rtnl_link_stats64` (`rx_packets`,
    /// `tx_packets`, `rx_bytes`, `tx_bytes`, `rx_errors`, `tx_errors`, `rx_dropped`,
    /// `tx_dropped`, `multicast`, `collisions`, ...); those a shorter message lacks
    /// are zero.
    pub counters: [u64; STATS64_COUNTERS],
    /// Whether the kernel sent all [`STATS64_COUNTERS`] (ip then calls the JSON
    /// object `stats64`, else `stats`).
    pub complete: bool,
}

impl LinkStats64 {
    /// Packets received.
    pub fn rx_packets(&self) -> u64 {
        self.counters[0]
    }
    /// Packets sent.
    pub fn tx_packets(&self) -> u64 {
        self.counters[1]
    }
    /// Bytes received.
    pub fn rx_bytes(&self) -> u64 {
        self.counters[2]
    }
    /// Bytes sent.
    pub fn tx_bytes(&self) -> u64 {
        self.counters[3]
    }
    /// Received packets dropped (no space in the stack, an XDP or tc drop, ...).
    pub fn rx_dropped(&self) -> u64 {
        self.counters[6]
    }
    /// Packets dropped on the way out.
    pub fn tx_dropped(&self) -> u64 {
        self.counters[7]
    }

    fn decode(payload: &[u8]) -> LinkStats64 {
        let mut counters = [0u64; STATS64_COUNTERS];
        for (slot, chunk) in counters.iter_mut().zip(payload.chunks_exact(8)) {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            *slot = u64::from_ne_bytes(bytes);
        }
        LinkStats64 {
            counters,
            complete: payload.len() >= STATS64_COUNTERS * 8,
        }
    }
}

/// Reads one `RTM_NEWLINK` or `RTM_DELLINK` message (a get's answer, a dump entry
/// or a notification). A deleted link reports no XDP program.
pub fn decode_link(message: &Message<'_>) -> Result<LinkInfo, DecodeError> {
    let kind = message.header.kind;
    if kind != RTM_NEWLINK && kind != RTM_DELLINK {
        return Err(DecodeError::UnexpectedType {
            expected: "RTM_NEWLINK",
            found: kind,
        });
    }
    let info = IfInfoMsg::decode(message.payload)?;
    let attrs =
        AttrTable::<IFLA_TABLE_SIZE>::parse(message.payload.get(IFINFOMSG_LEN..).unwrap_or(&[]))?;
    let u32_of = |kind: u16, what: &'static str| attrs.get(kind).map(|a| a.u32(what)).transpose();
    let i32_of = |kind: u16, what: &'static str| attrs.get(kind).map(|a| a.i32(what)).transpose();
    let u8_of = |kind: u16, what: &'static str| attrs.get(kind).map(|a| a.u8(what)).transpose();
    let bytes_of = |kind: u16| attrs.get(kind).map(|a| a.payload.to_vec());
    let string_of = |kind: u16| attrs.get(kind).map(|a| a.string());
    let xdp = match attrs.get(IFLA_XDP) {
        Some(nest) if kind == RTM_NEWLINK => decode_xdp_nest(nest.payload)?,
        _ => LinkXdp::default(),
    };
    let mut altnames = Vec::new();
    if let Some(list) = attrs.get(IFLA_PROP_LIST) {
        for attr in list.nested() {
            let attr = attr?;
            if attr.kind == IFLA_ALT_IFNAME {
                altnames.push(attr.string());
            }
        }
    }
    let mut link_kind = None;
    if let Some(info) = attrs.get(IFLA_LINKINFO) {
        for attr in info.nested() {
            let attr = attr?;
            if attr.kind == IFLA_INFO_KIND {
                link_kind = Some(attr.string());
            }
        }
    }
    let mut addr_gen_mode = None;
    if let Some(spec) = attrs.get(IFLA_AF_SPEC) {
        for family in spec.nested() {
            let family = family?;
            if family.kind != AF_INET6 {
                continue;
            }
            for attr in family.nested() {
                let attr = attr?;
                if attr.kind == IFLA_INET6_ADDR_GEN_MODE {
                    addr_gen_mode = Some(attr.u8("IFLA_INET6_ADDR_GEN_MODE")?);
                }
            }
        }
    }
    Ok(LinkInfo {
        deleted: kind == RTM_DELLINK,
        ifindex: info.index,
        device_type: info.device_type,
        flags: info.flags,
        name: string_of(IFLA_IFNAME),
        mtu: u32_of(IFLA_MTU, "IFLA_MTU")?,
        xdp,
        qdisc: string_of(IFLA_QDISC),
        master: u32_of(IFLA_MASTER, "IFLA_MASTER")?,
        operstate: u8_of(IFLA_OPERSTATE, "IFLA_OPERSTATE")?,
        linkmode: u8_of(IFLA_LINKMODE, "IFLA_LINKMODE")?,
        group: u32_of(IFLA_GROUP, "IFLA_GROUP")?,
        txqlen: u32_of(IFLA_TXQLEN, "IFLA_TXQLEN")?,
        address: bytes_of(IFLA_ADDRESS),
        broadcast: bytes_of(IFLA_BROADCAST),
        perm_address: bytes_of(IFLA_PERM_ADDRESS),
        link: u32_of(IFLA_LINK, "IFLA_LINK")?,
        link_netnsid: i32_of(IFLA_LINK_NETNSID, "IFLA_LINK_NETNSID")?,
        new_netnsid: i32_of(IFLA_NEW_NETNSID, "IFLA_NEW_NETNSID")?,
        new_ifindex: i32_of(IFLA_NEW_IFINDEX, "IFLA_NEW_IFINDEX")?,
        proto_down: u8_of(IFLA_PROTO_DOWN, "IFLA_PROTO_DOWN")?,
        alias: string_of(IFLA_IFALIAS),
        altnames,
        promiscuity: u32_of(IFLA_PROMISCUITY, "IFLA_PROMISCUITY")?,
        allmulti: u32_of(IFLA_ALLMULTI, "IFLA_ALLMULTI")?,
        min_mtu: u32_of(IFLA_MIN_MTU, "IFLA_MIN_MTU")?,
        max_mtu: u32_of(IFLA_MAX_MTU, "IFLA_MAX_MTU")?,
        has_linkinfo: attrs.get(IFLA_LINKINFO).is_some(),
        kind: link_kind,
        addr_gen_mode,
        num_tx_queues: u32_of(IFLA_NUM_TX_QUEUES, "IFLA_NUM_TX_QUEUES")?,
        num_rx_queues: u32_of(IFLA_NUM_RX_QUEUES, "IFLA_NUM_RX_QUEUES")?,
        gso_max_size: u32_of(IFLA_GSO_MAX_SIZE, "IFLA_GSO_MAX_SIZE")?,
        gso_max_segs: u32_of(IFLA_GSO_MAX_SEGS, "IFLA_GSO_MAX_SEGS")?,
        tso_max_size: u32_of(IFLA_TSO_MAX_SIZE, "IFLA_TSO_MAX_SIZE")?,
        tso_max_segs: u32_of(IFLA_TSO_MAX_SEGS, "IFLA_TSO_MAX_SEGS")?,
        gro_max_size: u32_of(IFLA_GRO_MAX_SIZE, "IFLA_GRO_MAX_SIZE")?,
        stats64: attrs
            .get(IFLA_STATS64)
            .map(|a| LinkStats64::decode(a.payload)),
        carrier_changes: u32_of(IFLA_CARRIER_CHANGES, "IFLA_CARRIER_CHANGES")?,
    })
}

impl Netlink {
    /// `ip link show dev X`: reads one link by index.
    pub fn link(&mut self, ifindex: u32) -> Result<LinkInfo, Error> {
        let answer = self.answered(encode_link_get(ifindex))?;
        Ok(decode_link(&Message::parse(&answer)?)?)
    }

    /// `ip link show`: every link of this socket's namespace, in the kernel's order.
    /// Messages of other types are skipped.
    pub fn links(&mut self) -> Result<Dump<LinkInfo>, Error> {
        self.dump(encode_link_dump())?.try_map(|raw| {
            let message = Message::parse(raw)?;
            match message.header.kind {
                RTM_NEWLINK | RTM_DELLINK => decode_link(&message).map(Some),
                _ => Ok(None),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_ask_as_ip_link_show_does() {
        let get = encode_link_get(7);
        let message = Message::parse(&get).unwrap();
        assert_eq!(
            (message.header.kind, message.header.flags),
            (RTM_GETLINK, NLM_F_REQUEST)
        );
        assert_eq!(IfInfoMsg::decode(message.payload).unwrap().index, 7);
        let dump = encode_link_dump();
        let message = Message::parse(&dump).unwrap();
        assert_eq!(message.header.flags, NLM_F_REQUEST | NLM_F_DUMP);
        assert_eq!(message.payload[0], AF_PACKET);
    }

    #[test]
    fn short_counters_are_zero_and_marked_incomplete() {
        let mut payload = Vec::new();
        for n in 1..=23u64 {
            payload.extend_from_slice(&n.to_ne_bytes());
        }
        payload.extend_from_slice(&[1, 2, 3]);
        let stats = LinkStats64::decode(&payload);
        assert!(!stats.complete);
        assert_eq!((stats.rx_packets(), stats.tx_bytes()), (1, 4));
        assert_eq!(stats.counters[22..], [23, 0, 0]);
    }
}
