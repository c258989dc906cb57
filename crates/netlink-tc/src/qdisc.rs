//! Qdisc requests (add, replace, change, delete of `clsact` or `ingress`), the qdisc
//! dump request of `tc qdisc show`, and the decoding of its replies.
//!
//! Byte for byte what tc 6.1 sends: `tc qdisc add dev X clsact` is `RTM_NEWQDISC`
//! with flags `REQUEST|ACK|EXCL|CREATE`, a `tcmsg` with parent `ffff:fff1` and
//! handle `ffff:0000`, and one attribute, `TCA_KIND "clsact\0"`. tc uses the same
//! parent and handle for `ingress`. Note that `qdisc replace` carries
//! `NLM_F_REPLACE` (0x505) while `filter replace` does not (0x405).

use crate::attr::AttrTable;
use crate::error::{DecodeError, EncodeError, Error};
use crate::handle;
use crate::message::{
    AF_UNSPEC, Message, MessageBuilder, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
    NLM_F_REPLACE, NLM_F_REQUEST, RTM_DELQDISC, RTM_GETQDISC, RTM_NEWQDISC, TcMsg,
};
use crate::socket::{Ack, Dump, Netlink};
use crate::stats::{TcStats, decode_legacy, decode_stats2};
use crate::tca::*;

/// What to do with a qdisc; each maps to tc's message type and flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QdiscOp {
    /// `tc qdisc add`: `RTM_NEWQDISC`, `REQUEST|ACK|EXCL|CREATE` (0x605).
    Add,
    /// `tc qdisc replace`: `RTM_NEWQDISC`, `REQUEST|ACK|CREATE|REPLACE` (0x505).
    Replace,
    /// `tc qdisc change`: `RTM_NEWQDISC`, `REQUEST|ACK` (0x005).
    Change,
    /// `tc qdisc link`: `RTM_NEWQDISC`, `REQUEST|ACK|REPLACE` (0x105).
    Link,
    /// `tc qdisc del`: `RTM_DELQDISC`, `REQUEST|ACK` (0x005).
    Delete,
}

impl QdiscOp {
    /// The `nlmsg_type` and `nlmsg_flags` tc uses for this operation.
    pub fn type_and_flags(self) -> (u16, u16) {
        let base = NLM_F_REQUEST | NLM_F_ACK;
        match self {
            QdiscOp::Add => (RTM_NEWQDISC, base | NLM_F_EXCL | NLM_F_CREATE),
            QdiscOp::Replace => (RTM_NEWQDISC, base | NLM_F_CREATE | NLM_F_REPLACE),
            QdiscOp::Link => (RTM_NEWQDISC, base | NLM_F_REPLACE),
            QdiscOp::Change => (RTM_NEWQDISC, base),
            QdiscOp::Delete => (RTM_DELQDISC, base),
        }
    }
}

/// The qdisc a request is about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct QdiscSpec {
    /// Device index.
    pub ifindex: u32,
    /// Qdisc kind, sent as `TCA_KIND` ("clsact", "ingress").
    pub kind: String,
    /// `tcm_handle`.
    pub handle: u32,
    /// `tcm_parent`.
    pub parent: u32,
    /// `TCA_INGRESS_BLOCK`: the shared filter block of the ingress hook
    /// (`ingress_block N`), sent before `TCA_KIND` as tc sends it.
    pub ingress_block: Option<u32>,
    /// `TCA_EGRESS_BLOCK` (`egress_block N`), after the ingress block.
    pub egress_block: Option<u32>,
}

impl QdiscSpec {
    /// The clsact qdisc of a device, as `tc qdisc ... dev X clsact` names it.
    pub fn clsact(ifindex: u32) -> Self {
        QdiscSpec {
            ifindex,
            kind: "clsact".into(),
            handle: handle::CLSACT_HANDLE,
            parent: handle::CLSACT_PARENT,
            ingress_block: None,
            egress_block: None,
        }
    }

    /// A qdisc of any other kind (or none: `kind` empty), as tc sends it for the
    /// kernel to answer.
    pub fn other(ifindex: u32, kind: &str, handle: u32, parent: u32) -> Self {
        QdiscSpec {
            ifindex,
            kind: kind.into(),
            handle,
            parent,
            ingress_block: None,
            egress_block: None,
        }
    }

    /// The ingress qdisc of a device, as `tc qdisc ... dev X ingress` names it (the
    /// same parent and handle as clsact).
    pub fn ingress(ifindex: u32) -> Self {
        QdiscSpec {
            kind: "ingress".into(),
            ..QdiscSpec::clsact(ifindex)
        }
    }
}

/// Encodes `op` on `spec` as tc does (sequence number 0, filled in when sent).
pub fn encode_qdisc(op: QdiscOp, spec: &QdiscSpec) -> Result<Vec<u8>, EncodeError> {
    let (kind, flags) = op.type_and_flags();
    let mut b = MessageBuilder::new(kind, flags);
    b.push_fixed(
        &TcMsg {
            family: AF_UNSPEC,
            ifindex: spec.ifindex,
            handle: spec.handle,
            parent: spec.parent,
            info: 0,
        }
        .encode(),
    );
    if let Some(block) = spec.ingress_block {
        b.attr_u32(TCA_INGRESS_BLOCK, block);
    }
    if let Some(block) = spec.egress_block {
        b.attr_u32(TCA_EGRESS_BLOCK, block);
    }
    // tc sends no kind when the command line names none (`tc qdisc del dev X`).
    if !spec.kind.is_empty() {
        b.attr_str(TCA_KIND, &spec.kind);
    }
    b.finish()
}

/// Encodes the dump request of `tc qdisc show [dev X]`: `RTM_GETQDISC` with
/// `REQUEST|DUMP` and `tcm_ifindex` (0 for all devices), no attributes. The kernel
/// still returns every device's qdiscs; tc (and `rtc`'s show module) filter by
/// ifindex when printing.
pub fn encode_qdisc_dump(ifindex: u32) -> Vec<u8> {
    let mut b = MessageBuilder::new(RTM_GETQDISC, NLM_F_REQUEST | NLM_F_DUMP);
    b.push_fixed(
        &TcMsg {
            ifindex,
            ..TcMsg::default()
        }
        .encode(),
    );
    // A header and a fixed part cannot overflow the length fields.
    b.finish().unwrap_or_default()
}

/// One qdisc from a dump (or a qdisc notification).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Qdisc {
    /// `nlmsg_type` (`RTM_NEWQDISC`, or `RTM_DELQDISC` in notifications).
    pub msg_type: u16,
    /// `nlmsg_flags`.
    pub msg_flags: u16,
    /// Device index.
    pub ifindex: u32,
    /// `tcm_handle` (`major:0`).
    pub handle: u32,
    /// `tcm_parent`.
    pub parent: u32,
    /// `tcm_info`: the reference count.
    pub refcnt: u32,
    /// `TCA_KIND`.
    pub kind: String,
    /// `TCA_OPTIONS` payload, if present (kind-specific; not decoded here).
    pub options: Option<Vec<u8>>,
    /// `TCA_HW_OFFLOAD`.
    pub hw_offload: Option<u8>,
    /// `TCA_INGRESS_BLOCK`, when its payload holds a `u32`.
    pub ingress_block: Option<u32>,
    /// `TCA_EGRESS_BLOCK`, when its payload holds a `u32`.
    pub egress_block: Option<u32>,
    /// Whether `TCA_STAB` was present (not decoded).
    pub has_size_table: bool,
    /// Statistics.
    pub stats: TcStats,
}

/// Decodes an `RTM_NEWQDISC` / `RTM_DELQDISC` message.
pub fn decode_qdisc(message: &Message<'_>) -> Result<Qdisc, DecodeError> {
    let kind = message.header.kind;
    if kind != RTM_NEWQDISC && kind != RTM_DELQDISC {
        return Err(DecodeError::UnexpectedType {
            expected: "qdisc",
            found: kind,
        });
    }
    let tcm = TcMsg::decode(message.payload)?;
    let attrs = AttrTable::<TCA_TABLE_SIZE>::parse(message.payload.get(20..).unwrap_or(&[]))?;
    let kind_attr = attrs
        .get(TCA_KIND)
        .ok_or(DecodeError::Missing { what: "TCA_KIND" })?;
    let block = |kind: u16| -> Option<u32> {
        attrs
            .get(kind)
            .and_then(|a| a.payload.get(..4))
            .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
    };
    Ok(Qdisc {
        msg_type: kind,
        msg_flags: message.header.flags,
        ifindex: tcm.ifindex,
        handle: tcm.handle,
        parent: tcm.parent,
        refcnt: tcm.info,
        kind: kind_attr.string(),
        options: attrs.get(TCA_OPTIONS).map(|a| a.payload.to_vec()),
        hw_offload: match attrs.get(TCA_HW_OFFLOAD) {
            Some(a) => Some(a.u8("TCA_HW_OFFLOAD")?),
            None => None,
        },
        ingress_block: block(TCA_INGRESS_BLOCK),
        egress_block: block(TCA_EGRESS_BLOCK),
        has_size_table: attrs.get(TCA_STAB).is_some(),
        stats: TcStats {
            stats2: match attrs.get(TCA_STATS2) {
                Some(a) => Some(decode_stats2(a.payload)?),
                None => None,
            },
            legacy: attrs.get(TCA_STATS).map(|a| decode_legacy(a.payload)),
            xstats: attrs.get(TCA_XSTATS).map(|a| a.payload.to_vec()),
        },
    })
}

impl Qdisc {
    /// Whether this is the clsact (or ingress) qdisc: parent `ffff:fff1`.
    pub fn is_clsact_like(&self) -> bool {
        self.parent == handle::CLSACT_PARENT
    }
}

impl Netlink {
    /// Sends `op` on `spec` and waits for the kernel's acknowledgement.
    pub fn qdisc(&mut self, op: QdiscOp, spec: &QdiscSpec) -> Result<Ack, Error> {
        let request = encode_qdisc(op, spec)?;
        self.acked(request)
    }

    /// Dumps the qdiscs (the kernel returns those of every device; `ifindex` only
    /// goes into the request, as with tc). Messages of other types are skipped.
    pub fn qdiscs(&mut self, ifindex: u32) -> Result<Dump<Qdisc>, Error> {
        let raw = self.dump(encode_qdisc_dump(ifindex))?;
        raw.try_map(|message| {
            let message = Message::parse(message)?;
            if message.header.kind == RTM_NEWQDISC || message.header.kind == RTM_DELQDISC {
                decode_qdisc(&message).map(Some)
            } else {
                Ok(None)
            }
        })
    }
}
