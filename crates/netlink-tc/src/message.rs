//! Netlink framing: the 16-byte `nlmsghdr`, the fixed headers of traffic-control
//! (`tcmsg`) and link (`ifinfomsg`) messages, a builder that lays out a request byte
//! by byte, and readers for replies (messages in a buffer, error and done messages).
//!
//! All integers are in host byte order, as rtnetlink wants them.

use crate::attr::{ATTR_HEADER_LEN, AttrIter, padded};
use crate::error::{DecodeError, EncodeError, KernelError};

/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// Size of `struct tcmsg`.
pub const TCMSG_LEN: usize = 20;
/// Size of `struct ifinfomsg`.
pub const IFINFOMSG_LEN: usize = 16;

/// Message type: nothing.
pub const NLMSG_NOOP: u16 = 1;
/// Message type: error or acknowledgement (`struct nlmsgerr`).
pub const NLMSG_ERROR: u16 = 2;
/// Message type: end of a multipart dump.
pub const NLMSG_DONE: u16 = 3;
/// Message type: data lost.
pub const NLMSG_OVERRUN: u16 = 4;

/// Create or change a link.
pub const RTM_NEWLINK: u16 = 16;
/// Delete a link.
pub const RTM_DELLINK: u16 = 17;
/// Get or dump links.
pub const RTM_GETLINK: u16 = 18;
/// Create or change a qdisc.
pub const RTM_NEWQDISC: u16 = 36;
/// Delete a qdisc.
pub const RTM_DELQDISC: u16 = 37;
/// Dump qdiscs.
pub const RTM_GETQDISC: u16 = 38;
/// Create or change a filter (also the type of filter dump entries).
pub const RTM_NEWTFILTER: u16 = 44;
/// Delete filters.
pub const RTM_DELTFILTER: u16 = 45;
/// Get or dump filters.
pub const RTM_GETTFILTER: u16 = 46;

/// Flag: this is a request.
pub const NLM_F_REQUEST: u16 = 0x1;
/// Flag: part of a multipart reply.
pub const NLM_F_MULTI: u16 = 0x2;
/// Flag: acknowledge the request.
pub const NLM_F_ACK: u16 = 0x4;
/// Flag: echo the request back.
pub const NLM_F_ECHO: u16 = 0x8;
/// Flag: the dump was interrupted by a change and may be inconsistent.
pub const NLM_F_DUMP_INTR: u16 = 0x10;
/// Get flag: return the whole table.
pub const NLM_F_ROOT: u16 = 0x100;
/// Get flag: return all matching entries.
pub const NLM_F_MATCH: u16 = 0x200;
/// Get flags: dump (`ROOT | MATCH`).
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;
/// New flag: replace an existing object.
pub const NLM_F_REPLACE: u16 = 0x100;
/// New flag: fail if the object exists.
pub const NLM_F_EXCL: u16 = 0x200;
/// New flag: create the object if it does not exist.
pub const NLM_F_CREATE: u16 = 0x400;
/// Ack flag: the echoed request was cut to its header.
pub const NLM_F_CAPPED: u16 = 0x100;
/// Ack flag: extended-ack attributes follow.
pub const NLM_F_ACK_TLVS: u16 = 0x200;

/// Extended-ack attribute: human-readable message.
pub const NLMSGERR_ATTR_MSG: u16 = 1;
/// Extended-ack attribute: offset of the offending attribute in the request.
pub const NLMSGERR_ATTR_OFFS: u16 = 2;

/// `AF_UNSPEC`, the family tc puts in `tcmsg`.
pub const AF_UNSPEC: u8 = 0;

/// `struct nlmsghdr`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NlMsgHeader {
    /// Length of the message, header included.
    pub len: u32,
    /// Message type (`RTM_*`, `NLMSG_*`).
    pub kind: u16,
    /// `NLM_F_*` flags.
    pub flags: u16,
    /// Sequence number.
    pub seq: u32,
    /// Sender port id (0 for the kernel and in requests).
    pub pid: u32,
}

impl NlMsgHeader {
    /// Reads the header at the start of `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let b = take::<NLMSG_HDRLEN>(bytes, "nlmsghdr")?;
        Ok(NlMsgHeader {
            len: ne_u32(&b, 0),
            kind: u16::from_ne_bytes([b[4], b[5]]),
            flags: u16::from_ne_bytes([b[6], b[7]]),
            seq: ne_u32(&b, 8),
            pid: ne_u32(&b, 12),
        })
    }
}

/// `struct tcmsg`: the fixed part of qdisc, class and filter messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcMsg {
    /// Address family (tc sends `AF_UNSPEC`).
    pub family: u8,
    /// Interface index (0xFFFFFFFF: a shared block, whose index is then in `parent`).
    pub ifindex: u32,
    /// Object handle (qdisc `major:0`, filter handle).
    pub handle: u32,
    /// Parent handle.
    pub parent: u32,
    /// Filters: `(pref << 16) | htons(protocol)`; qdiscs: reference count in dumps.
    pub info: u32,
}

impl TcMsg {
    /// The 20 bytes of this header.
    pub fn encode(&self) -> [u8; TCMSG_LEN] {
        let mut out = [0u8; TCMSG_LEN];
        out[0] = self.family;
        out[4..8].copy_from_slice(&self.ifindex.to_ne_bytes());
        out[8..12].copy_from_slice(&self.handle.to_ne_bytes());
        out[12..16].copy_from_slice(&self.parent.to_ne_bytes());
        out[16..20].copy_from_slice(&self.info.to_ne_bytes());
        out
    }

    /// Reads the header at the start of a message payload.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let b = take::<TCMSG_LEN>(bytes, "tcmsg")?;
        Ok(TcMsg {
            family: b[0],
            ifindex: ne_u32(&b, 4),
            handle: ne_u32(&b, 8),
            parent: ne_u32(&b, 12),
            info: ne_u32(&b, 16),
        })
    }
}

/// `struct ifinfomsg`: the fixed part of link messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IfInfoMsg {
    /// Address family.
    pub family: u8,
    /// Device type (`ARPHRD_*`).
    pub device_type: u16,
    /// Interface index.
    pub index: u32,
    /// Device flags (`IFF_*`).
    pub flags: u32,
    /// Change mask for `flags`.
    pub change: u32,
}

impl IfInfoMsg {
    /// The 16 bytes of this header.
    pub fn encode(&self) -> [u8; IFINFOMSG_LEN] {
        let mut out = [0u8; IFINFOMSG_LEN];
        out[0] = self.family;
        out[2..4].copy_from_slice(&self.device_type.to_ne_bytes());
        out[4..8].copy_from_slice(&self.index.to_ne_bytes());
        out[8..12].copy_from_slice(&self.flags.to_ne_bytes());
        out[12..16].copy_from_slice(&self.change.to_ne_bytes());
        out
    }

    /// Reads the header at the start of a message payload.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let b = take::<IFINFOMSG_LEN>(bytes, "ifinfomsg")?;
        Ok(IfInfoMsg {
            family: b[0],
            device_type: u16::from_ne_bytes([b[2], b[3]]),
            index: ne_u32(&b, 4),
            flags: ne_u32(&b, 8),
            change: ne_u32(&b, 12),
        })
    }
}

/// Builds one request: header, fixed part, then attributes, each padded as the
/// kernel (and iproute2's `addattr_l`) lays them out. The sequence number and port
/// id stay 0; the socket fills in the sequence number when it sends.
#[derive(Clone, Debug)]
pub struct MessageBuilder {
    buf: Vec<u8>,
    too_long: Option<EncodeError>,
}

/// An open nested attribute; close it with [`MessageBuilder::end_nest`].
#[derive(Debug)]
#[must_use = "a nest must be closed with end_nest"]
pub struct Nest {
    start: usize,
    kind: u16,
}

impl MessageBuilder {
    /// A message of type `kind` with `flags`, and nothing after the header yet.
    pub fn new(kind: u16, flags: u16) -> Self {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(&[0; 4]);
        buf.extend_from_slice(&kind.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&[0; 8]);
        MessageBuilder {
            buf,
            too_long: None,
        }
    }

    /// Appends a fixed header (`tcmsg`, `ifinfomsg`), padded to 4 bytes.
    pub fn push_fixed(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self.pad();
        self
    }

    fn pad(&mut self) {
        let len = padded(self.buf.len());
        self.buf.resize(len, 0);
    }

    fn header(&mut self, kind: u16, len: usize) {
        let Ok(short) = u16::try_from(len) else {
            self.too_long
                .get_or_insert(EncodeError::TooLong { kind, len });
            self.buf.extend_from_slice(&[0, 0]);
            self.buf.extend_from_slice(&kind.to_ne_bytes());
            return;
        };
        self.buf.extend_from_slice(&short.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
    }

    /// Appends attribute `kind` with `payload` (length field excludes the padding).
    pub fn attr(&mut self, kind: u16, payload: &[u8]) -> &mut Self {
        self.header(kind, ATTR_HEADER_LEN + payload.len());
        self.buf.extend_from_slice(payload);
        self.pad();
        self
    }

    /// Appends a native-endian `u32` attribute.
    pub fn attr_u32(&mut self, kind: u16, value: u32) -> &mut Self {
        self.attr(kind, &value.to_ne_bytes())
    }

    /// Appends a native-endian `i32` attribute.
    pub fn attr_i32(&mut self, kind: u16, value: i32) -> &mut Self {
        self.attr(kind, &value.to_ne_bytes())
    }

    /// Appends a string attribute with its terminating NUL.
    pub fn attr_str(&mut self, kind: u16, value: &str) -> &mut Self {
        let mut bytes = Vec::with_capacity(value.len() + 1);
        bytes.extend_from_slice(value.as_bytes());
        bytes.push(0);
        self.attr(kind, &bytes)
    }

    /// Opens a nested attribute of type `kind` (the type is written as given: tc does
    /// not set `NLA_F_NESTED` on `TCA_OPTIONS` or `IFLA_XDP`).
    pub fn begin_nest(&mut self, kind: u16) -> Nest {
        let start = self.buf.len();
        self.header(kind, ATTR_HEADER_LEN);
        Nest { start, kind }
    }

    /// Closes `nest`: its length covers everything appended since it was opened.
    pub fn end_nest(&mut self, nest: Nest) -> &mut Self {
        let len = self.buf.len() - nest.start;
        match u16::try_from(len) {
            Ok(short) => {
                self.buf[nest.start..nest.start + 2].copy_from_slice(&short.to_ne_bytes());
            }
            Err(_) => {
                self.too_long.get_or_insert(EncodeError::TooLong {
                    kind: nest.kind,
                    len,
                });
            }
        }
        self
    }

    /// The finished message with its length filled in.
    pub fn finish(mut self) -> Result<Vec<u8>, EncodeError> {
        if let Some(error) = self.too_long {
            return Err(error);
        }
        let len = u32::try_from(self.buf.len()).map_err(|_| EncodeError::TooLong {
            kind: 0,
            len: self.buf.len(),
        })?;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        Ok(self.buf)
    }
}

/// Writes `seq` into the sequence field of the message at the start of `message`
/// (does nothing if it is shorter than a header).
pub fn set_seq(message: &mut [u8], seq: u32) {
    if let Some(field) = message.get_mut(8..12) {
        field.copy_from_slice(&seq.to_ne_bytes());
    }
}

/// Adds `flags` (`NLM_F_*`) to the flags field of the message at the start of
/// `message` (does nothing if it is shorter than a header).
pub fn add_flags(message: &mut [u8], flags: u16) {
    if let Some(field) = message.get_mut(6..8) {
        let old = u16::from_ne_bytes([field[0], field[1]]);
        field.copy_from_slice(&(old | flags).to_ne_bytes());
    }
}

/// One message read from a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// Its header.
    pub header: NlMsgHeader,
    /// Everything after the header, up to `nlmsg_len`.
    pub payload: &'a [u8],
    /// The whole message, header included.
    pub bytes: &'a [u8],
}

impl<'a> Message<'a> {
    /// Reads the single message at the start of `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        match Messages::new(bytes).next() {
            Some(result) => result,
            None => Err(DecodeError::Truncated {
                what: "nlmsghdr",
                needed: NLMSG_HDRLEN,
                available: bytes.len(),
            }),
        }
    }
}

/// Iterates over the messages packed in one received buffer.
///
/// Every `nlmsg_len` is checked against the header size and the bytes left; a bad
/// one yields an error and ends the iteration.
#[derive(Clone, Debug)]
pub struct Messages<'a> {
    data: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> Messages<'a> {
    /// The messages in `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Messages {
            data,
            pos: 0,
            failed: false,
        }
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let rest = self.data.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let header = match NlMsgHeader::decode(rest) {
            Ok(header) => header,
            Err(error) => {
                self.failed = true;
                return Some(Err(error));
            }
        };
        let len = header.len as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            self.failed = true;
            return Some(Err(DecodeError::MessageLength {
                offset: self.pos,
                len,
                remaining: rest.len(),
            }));
        }
        let bytes = &rest[..len];
        self.pos = self.pos.saturating_add(padded(len));
        Some(Ok(Message {
            header,
            payload: &bytes[NLMSG_HDRLEN..],
            bytes,
        }))
    }
}

/// An `NLMSG_ERROR` message: an acknowledgement when `errno` is 0, a refusal
/// otherwise, with the extended-ack text either way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorMessage {
    /// The error as the kernel sent it: 0 or a negative errno.
    pub error: i32,
    /// Header of the request it answers.
    pub request: NlMsgHeader,
    /// `NLMSGERR_ATTR_MSG`, if present.
    pub message: Option<String>,
    /// `NLMSGERR_ATTR_OFFS`, if present.
    pub offset: Option<u32>,
}

impl ErrorMessage {
    /// Decodes an `NLMSG_ERROR` message, skipping the echoed request (all of it
    /// unless `NLM_F_CAPPED`) to reach the extended-ack attributes.
    pub fn decode(message: &Message<'_>) -> Result<Self, DecodeError> {
        if message.header.kind != NLMSG_ERROR {
            return Err(DecodeError::UnexpectedType {
                expected: "NLMSG_ERROR",
                found: message.header.kind,
            });
        }
        let payload = message.payload;
        let error_bytes = take::<4>(payload, "nlmsgerr")?;
        let error = i32::from_ne_bytes(error_bytes);
        let request = NlMsgHeader::decode(payload.get(4..).unwrap_or(&[]))?;
        let mut tlv_start = 4 + NLMSG_HDRLEN;
        if message.header.flags & NLM_F_CAPPED == 0 {
            let echoed = (request.len as usize).max(NLMSG_HDRLEN);
            tlv_start = 4 + padded(echoed);
        }
        let (message_text, offset) = if message.header.flags & NLM_F_ACK_TLVS != 0 {
            ext_ack(payload.get(tlv_start..).unwrap_or(&[]))?
        } else {
            (None, None)
        };
        Ok(ErrorMessage {
            error,
            request,
            message: message_text,
            offset,
        })
    }

    /// The refusal as a [`KernelError`], or `None` for an acknowledgement.
    pub fn kernel_error(&self) -> Option<KernelError> {
        (self.error != 0).then(|| KernelError {
            errno: self.error.saturating_neg(),
            message: self.message.clone(),
            offset: self.offset,
        })
    }
}

/// An `NLMSG_DONE` message ending a dump: its status and extended-ack text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoneMessage {
    /// 0, or the negative errno that ended the dump.
    pub error: i32,
    /// `NLMSGERR_ATTR_MSG`, if present.
    pub message: Option<String>,
}

impl DoneMessage {
    /// Decodes an `NLMSG_DONE` message (a missing status reads as 0).
    pub fn decode(message: &Message<'_>) -> Result<Self, DecodeError> {
        let error = message
            .payload
            .get(..4)
            .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
            .unwrap_or(0);
        let text = if message.header.flags & NLM_F_ACK_TLVS != 0 {
            ext_ack(message.payload.get(4..).unwrap_or(&[]))?.0
        } else {
            None
        };
        Ok(DoneMessage {
            error,
            message: text,
        })
    }
}

fn ext_ack(data: &[u8]) -> Result<(Option<String>, Option<u32>), DecodeError> {
    let mut text = None;
    let mut offset = None;
    for attr in AttrIter::new(data) {
        let attr = attr?;
        match attr.kind {
            NLMSGERR_ATTR_MSG if text.is_none() => text = Some(attr.string()),
            NLMSGERR_ATTR_OFFS if offset.is_none() => {
                offset = Some(attr.u32("NLMSGERR_ATTR_OFFS")?);
            }
            _ => {}
        }
    }
    Ok((text, offset))
}

fn take<const N: usize>(bytes: &[u8], what: &'static str) -> Result<[u8; N], DecodeError> {
    bytes
        .get(..N)
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or(DecodeError::Truncated {
            what,
            needed: N,
            available: bytes.len(),
        })
}

fn ne_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(src) = bytes.get(at..at + 4) {
        word.copy_from_slice(src);
    }
    u32::from_ne_bytes(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_pads_and_fills_lengths() {
        let mut b = MessageBuilder::new(RTM_NEWQDISC, 0x605);
        b.push_fixed(&TcMsg::default().encode());
        b.attr_str(1, "clsact");
        let nest = b.begin_nest(2);
        b.attr_u32(3, 7);
        b.end_nest(nest);
        let bytes = b.finish().unwrap();
        assert_eq!(bytes.len(), 16 + 20 + 12 + 12);
        assert_eq!(&bytes[0..4], &(60u32).to_ne_bytes());
        assert_eq!(&bytes[36..38], &11u16.to_ne_bytes());
        assert_eq!(&bytes[48..50], &12u16.to_ne_bytes());
    }

    #[test]
    fn oversized_attribute_is_refused() {
        let mut b = MessageBuilder::new(RTM_NEWTFILTER, 0);
        b.attr(7, &vec![0u8; 70_000]);
        assert!(matches!(
            b.finish(),
            Err(EncodeError::TooLong { kind: 7, .. })
        ));
    }

    #[test]
    fn messages_reject_bad_lengths() {
        let mut buf = vec![0u8; 20];
        buf[0] = 40; // claims more than there is
        let mut it = Messages::new(&buf);
        assert!(matches!(
            it.next(),
            Some(Err(DecodeError::MessageLength { .. }))
        ));
        assert!(it.next().is_none());
        buf[0] = 8; // less than a header
        assert!(Messages::new(&buf).next().unwrap().is_err());
        assert!(Messages::new(&buf[..10]).next().unwrap().is_err());
        assert!(Message::parse(&[]).is_err());
    }

    #[test]
    fn truncated_error_message_does_not_panic() {
        let mut buf = vec![0u8; 18];
        buf[0] = 18;
        buf[4] = NLMSG_ERROR as u8;
        let message = Message::parse(&buf).unwrap();
        assert!(ErrorMessage::decode(&message).is_err());
    }
}
