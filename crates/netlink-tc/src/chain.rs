//! Filter chains (`tc chain add|del|get|show`): `RTM_NEWCHAIN`, `RTM_DELCHAIN` and
//! `RTM_GETCHAIN`, each a `tcmsg` (device, parent; no priority or protocol) with
//! `TCA_CHAIN`, and for `add` optionally a template (`TCA_KIND` and options).
//!
//! The flags are tc 6.1's: add `REQUEST|ACK|EXCL|CREATE` (0x605), del `REQUEST|ACK`
//! (0x005), get `REQUEST|ECHO` (0x009), show `REQUEST|DUMP` (0x301).

use crate::attr::AttrTable;
use crate::error::{DecodeError, EncodeError, Error};
use crate::filter::{FilterSpec, filter_tcmsg, push_bpf_options};
use crate::message::{
    Message, MessageBuilder, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_ECHO, NLM_F_EXCL,
    NLM_F_REQUEST, TcMsg,
};
use crate::socket::{Ack, Dump, Netlink};
use crate::tca::{TCA_CHAIN, TCA_KIND, TCA_TABLE_SIZE};

/// `RTM_NEWCHAIN`.
pub const RTM_NEWCHAIN: u16 = 100;
/// `RTM_DELCHAIN`.
pub const RTM_DELCHAIN: u16 = 101;
/// `RTM_GETCHAIN`.
pub const RTM_GETCHAIN: u16 = 102;

/// What to do with a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainOp {
    /// `tc chain add`.
    Add,
    /// `tc chain del`.
    Delete,
}

/// Encodes `tc chain add|del` on the device, parent and chain of `spec` (its
/// kind and bpf options, if any, are the template). Priority and protocol are not
/// sent: `tcm_info` is 0.
pub fn encode_chain(op: ChainOp, spec: &FilterSpec) -> Result<Vec<u8>, EncodeError> {
    let (kind, flags) = match op {
        ChainOp::Add => (
            RTM_NEWCHAIN,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE,
        ),
        ChainOp::Delete => (RTM_DELCHAIN, NLM_F_REQUEST | NLM_F_ACK),
    };
    encode(kind, flags, spec, true)
}

/// Encodes `tc chain get`: `RTM_GETCHAIN` with `REQUEST|ECHO`.
pub fn encode_chain_get(spec: &FilterSpec) -> Result<Vec<u8>, EncodeError> {
    encode(RTM_GETCHAIN, NLM_F_REQUEST | NLM_F_ECHO, spec, false)
}

/// Encodes `tc chain show`: `RTM_GETCHAIN` with `REQUEST|DUMP`, `TCA_CHAIN` when
/// one chain is asked for.
pub fn encode_chain_dump(spec: &FilterSpec) -> Result<Vec<u8>, EncodeError> {
    encode(RTM_GETCHAIN, NLM_F_REQUEST | NLM_F_DUMP, spec, false)
}

fn encode(
    kind: u16,
    flags: u16,
    spec: &FilterSpec,
    template: bool,
) -> Result<Vec<u8>, EncodeError> {
    let tcmsg_spec = FilterSpec {
        pref: 0,
        ..spec.clone()
    };
    let mut b = MessageBuilder::new(kind, flags);
    b.push_fixed(&filter_tcmsg(&tcmsg_spec, 0));
    if let Some(chain) = spec.chain {
        b.attr_u32(TCA_CHAIN, chain);
    }
    if template {
        if let Some(kind) = spec.kind_to_send() {
            b.attr_str(TCA_KIND, kind);
        }
        if let Some(bpf) = &spec.bpf {
            push_bpf_options(&mut b, bpf);
        }
    }
    b.finish()
}

/// One chain from a dump or an echo.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Chain {
    /// `nlmsg_type`.
    pub msg_type: u16,
    /// Device index (`TCM_IFINDEX_MAGIC_BLOCK` for a shared block).
    pub ifindex: u32,
    /// `tcm_parent` (the block index for a block).
    pub parent: u32,
    /// `TCA_CHAIN`.
    pub chain: Option<u32>,
    /// `TCA_KIND` of the chain's template, if it has one.
    pub kind: Option<String>,
}

/// Decodes an `RTM_NEWCHAIN` / `RTM_DELCHAIN` / `RTM_GETCHAIN` message.
pub fn decode_chain(message: &Message<'_>) -> Result<Chain, DecodeError> {
    let kind = message.header.kind;
    if !(RTM_NEWCHAIN..=RTM_GETCHAIN).contains(&kind) {
        return Err(DecodeError::UnexpectedType {
            expected: "chain",
            found: kind,
        });
    }
    let tcm = TcMsg::decode(message.payload)?;
    let attrs = AttrTable::<TCA_TABLE_SIZE>::parse(message.payload.get(20..).unwrap_or(&[]))?;
    Ok(Chain {
        msg_type: kind,
        ifindex: tcm.ifindex,
        parent: tcm.parent,
        chain: match attrs.get(TCA_CHAIN) {
            Some(a) => Some(a.u32("TCA_CHAIN")?),
            None => None,
        },
        kind: attrs.get(TCA_KIND).map(|a| a.string()),
    })
}

impl Netlink {
    /// `tc chain add|del`.
    pub fn chain(&mut self, op: ChainOp, spec: &FilterSpec) -> Result<Ack, Error> {
        self.acked(encode_chain(op, spec)?)
    }

    /// `tc chain get`: the kernel's echo of the chain.
    pub fn get_chain(&mut self, spec: &FilterSpec) -> Result<Chain, Error> {
        let answer = self.answered(encode_chain_get(spec)?)?;
        Ok(decode_chain(&Message::parse(&answer)?)?)
    }

    /// `tc chain show`: the chains `spec` selects.
    pub fn chains(&mut self, spec: &FilterSpec) -> Result<Dump<Chain>, Error> {
        let raw = self.dump(encode_chain_dump(spec)?)?;
        raw.try_map(|message| {
            let message = Message::parse(message)?;
            if (RTM_NEWCHAIN..=RTM_GETCHAIN).contains(&message.header.kind) {
                decode_chain(&message).map(Some)
            } else {
                Ok(None)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> FilterSpec<'static> {
        FilterSpec {
            ifindex: 3,
            parent: 0xFFFF_FFF2,
            handle: 0,
            pref: 0,
            protocol: None,
            chain: Some(5),
            kind: None,
            bpf: None,
        }
    }

    /// The bytes of tc 6.1's `tc chain add dev X ingress chain 5` (ifindex 3), read
    /// with strace, after the 16-byte header.
    #[test]
    fn add_is_what_tc_sends() {
        let bytes = encode_chain(ChainOp::Add, &spec()).unwrap();
        assert_eq!(u16::from_ne_bytes([bytes[4], bytes[5]]), RTM_NEWCHAIN);
        assert_eq!(u16::from_ne_bytes([bytes[6], bytes[7]]), 0x605);
        assert_eq!(
            &bytes[16..],
            &[
                0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0xf2, 0xff, 0xff, 0xff, 0, 0, 0, 0, 8, 0, 11,
                0, 5, 0, 0, 0
            ]
        );
        let del = encode_chain(ChainOp::Delete, &spec()).unwrap();
        assert_eq!(u16::from_ne_bytes([del[6], del[7]]), 0x005);
        let dump = encode_chain_dump(&FilterSpec {
            chain: None,
            ..spec()
        })
        .unwrap();
        assert_eq!(dump.len(), 36);
        assert_eq!(u16::from_ne_bytes([dump[6], dump[7]]), 0x301);
    }
}
