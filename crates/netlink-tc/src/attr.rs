//! Netlink attributes: the type-length-value records that follow a message's fixed
//! header. Each one is `u16 length` (header included, padding excluded), `u16 type`,
//! then the payload, padded with zeros to a multiple of four bytes.
//!
//! [`AttrIter`] reads them without trusting any length; writing happens through
//! [`crate::message::MessageBuilder`], which uses [`padded`] and [`ATTR_HEADER_LEN`].

use crate::error::DecodeError;

/// Size of an attribute header (length and type).
pub const ATTR_HEADER_LEN: usize = 4;
/// Attribute type bit: the payload is itself a list of attributes.
pub const NLA_F_NESTED: u16 = 0x8000;
/// Attribute type bit: the payload is in network byte order.
pub const NLA_F_NET_BYTEORDER: u16 = 0x4000;
/// Mask that leaves the attribute type without its two flag bits.
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

/// `len` rounded up to the 4-byte alignment of netlink headers and attributes.
pub const fn padded(len: usize) -> usize {
    (len + 3) & !3
}

/// One attribute read from a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr<'a> {
    /// Attribute type with the flag bits removed.
    pub kind: u16,
    /// The raw type field, flag bits included.
    pub raw_kind: u16,
    /// The payload, without padding.
    pub payload: &'a [u8],
    /// Offset of the attribute header from the start of the buffer given to [`AttrIter`].
    pub offset: usize,
}

impl<'a> Attr<'a> {
    fn fixed<const N: usize>(&self, what: &'static str) -> Result<[u8; N], DecodeError> {
        self.payload
            .get(..N)
            .and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
            .ok_or(DecodeError::AttrPayload {
                what,
                kind: self.kind,
                len: self.payload.len(),
                needed: N,
            })
    }

    /// The payload as a `u8`; `what` names the attribute in the error.
    pub fn u8(&self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.fixed::<1>(what)?[0])
    }

    /// The payload as a native-endian `u16`.
    pub fn u16(&self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_ne_bytes(self.fixed(what)?))
    }

    /// The payload as a native-endian `u32`.
    pub fn u32(&self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_ne_bytes(self.fixed(what)?))
    }

    /// The payload as a native-endian `i32`.
    pub fn i32(&self, what: &'static str) -> Result<i32, DecodeError> {
        Ok(i32::from_ne_bytes(self.fixed(what)?))
    }

    /// The payload as a native-endian `u64`.
    pub fn u64(&self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_ne_bytes(self.fixed(what)?))
    }

    /// The payload as a C string: the bytes before the first NUL (all of them if
    /// there is none), invalid UTF-8 replaced.
    pub fn string(&self) -> String {
        c_string(self.payload)
    }

    /// The attributes nested in this one's payload.
    pub fn nested(&self) -> AttrIter<'a> {
        AttrIter::new(self.payload)
    }
}

/// The bytes of `bytes` before its first NUL, as text (invalid UTF-8 replaced).
pub fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Iterates over the attributes in a buffer, checking every length.
///
/// Yields an error (and then stops) when an attribute header claims fewer than four
/// bytes or more than remain. Fewer than four trailing bytes are taken as padding.
#[derive(Clone, Debug)]
pub struct AttrIter<'a> {
    data: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> AttrIter<'a> {
    /// Attributes packed in `data`.
    pub fn new(data: &'a [u8]) -> Self {
        AttrIter {
            data,
            pos: 0,
            failed: false,
        }
    }
}

impl<'a> Iterator for AttrIter<'a> {
    type Item = Result<Attr<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let rest = self.data.get(self.pos..)?;
        if rest.len() < ATTR_HEADER_LEN {
            return None;
        }
        let len = usize::from(u16::from_ne_bytes([rest[0], rest[1]]));
        let raw_kind = u16::from_ne_bytes([rest[2], rest[3]]);
        if len < ATTR_HEADER_LEN || len > rest.len() {
            self.failed = true;
            return Some(Err(DecodeError::AttrLength {
                offset: self.pos,
                len,
                remaining: rest.len(),
            }));
        }
        let attr = Attr {
            kind: raw_kind & NLA_TYPE_MASK,
            raw_kind,
            payload: &rest[ATTR_HEADER_LEN..len],
            offset: self.pos,
        };
        self.pos = self.pos.saturating_add(padded(len));
        Some(Ok(attr))
    }
}

/// A table of the first attribute of each type up to `N - 1`, as tc keeps them
/// (later duplicates and higher types are ignored).
#[derive(Clone, Debug)]
pub struct AttrTable<'a, const N: usize> {
    slots: [Option<Attr<'a>>; N],
}

impl<'a, const N: usize> AttrTable<'a, N> {
    /// Reads every attribute of `data`, failing on the first malformed one.
    pub fn parse(data: &'a [u8]) -> Result<Self, DecodeError> {
        let mut slots = [None; N];
        for attr in AttrIter::new(data) {
            let attr = attr?;
            if let Some(slot) = slots.get_mut(usize::from(attr.kind)) {
                if slot.is_none() {
                    *slot = Some(attr);
                }
            }
        }
        Ok(AttrTable { slots })
    }

    /// The first attribute of type `kind`, if present.
    pub fn get(&self, kind: u16) -> Option<&Attr<'a>> {
        self.slots.get(usize::from(kind)).and_then(Option::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_attributes_with_padding() {
        // "bpf\0" kind attribute, then a u32 attribute.
        let data = [
            8, 0, 1, 0, b'b', b'p', b'f', 0, 5, 0, 2, 0, 7, 0, 0, 0, 8, 0, 3, 0x80, 1, 2, 3, 4,
        ];
        let attrs: Vec<_> = AttrIter::new(&data).collect::<Result<_, _>>().unwrap();
        assert_eq!(attrs.len(), 3);
        assert_eq!(attrs[0].string(), "bpf");
        assert_eq!(attrs[1].payload, &[7]);
        assert_eq!(attrs[1].u8("x").unwrap(), 7);
        assert_eq!(attrs[2].kind, 3);
        assert_eq!(attrs[2].raw_kind, 0x8003);
        assert_eq!(attrs[2].u32("x").unwrap(), u32::from_ne_bytes([1, 2, 3, 4]));
    }

    #[test]
    fn rejects_bad_lengths_without_panicking() {
        // Length 3 (< header) and length beyond the buffer.
        for data in [&[3u8, 0, 1, 0][..], &[9, 0, 1, 0, 0, 0, 0, 0][..]] {
            let mut it = AttrIter::new(data);
            assert!(matches!(
                it.next(),
                Some(Err(DecodeError::AttrLength { .. }))
            ));
            assert!(it.next().is_none());
        }
        // Trailing bytes shorter than a header are padding.
        assert_eq!(AttrIter::new(&[1, 2, 3]).count(), 0);
    }

    #[test]
    fn short_payload_is_an_error() {
        let data = [6u8, 0, 1, 0, 1, 2, 0, 0];
        let attr = AttrIter::new(&data).next().unwrap().unwrap();
        assert!(attr.u32("TCA_FOO").is_err());
        assert_eq!(attr.u16("TCA_FOO").unwrap(), u16::from_ne_bytes([1, 2]));
    }

    #[test]
    fn table_keeps_first_of_each_type() {
        let data = [
            5u8, 0, 1, 0, 1, 0, 0, 0, 5, 0, 1, 0, 2, 0, 0, 0, 5, 0, 9, 0, 3, 0, 0, 0,
        ];
        let table = AttrTable::<4>::parse(&data).unwrap();
        assert_eq!(table.get(1).unwrap().payload, &[1]);
        assert!(table.get(9).is_none());
        assert!(table.get(2).is_none());
    }
}
