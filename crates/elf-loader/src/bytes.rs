//! The byte order of an object and the longest name it may hold, and reading and
//! writing fixed-size integers at checked offsets of a byte buffer in that order.
//! Every read returns `None` instead of panicking when the bytes are not there, so
//! parsers can turn a short buffer into an error.

use std::fmt;

/// Byte order of an object (or of the host).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteOrder {
    /// Little-endian (`clang -target bpfel`, or `bpf` on x86 and arm64 hosts).
    Little,
    /// Big-endian (`clang -target bpfeb`).
    Big,
}

impl ByteOrder {
    /// The byte order of the machine this code runs on, the only one the kernel loads.
    pub fn host() -> ByteOrder {
        if cfg!(target_endian = "big") {
            ByteOrder::Big
        } else {
            ByteOrder::Little
        }
    }
}

impl fmt::Display for ByteOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ByteOrder::Little => "little-endian",
            ByteOrder::Big => "big-endian",
        })
    }
}

/// Longest section or symbol name accepted: the kernel's `KSYM_NAME_LEN`. Names are
/// copied for every symbol and relocation that uses them, so an unbounded name (a
/// hostile string table can make every symbol point at one huge string) would
/// multiply into unbounded memory.
pub const MAX_NAME_LEN: usize = 512;

/// Reads a u16 at `offset`, or `None` if the buffer is too short.
pub(crate) fn read_u16(data: &[u8], offset: usize, order: ByteOrder) -> Option<u16> {
    let bytes: [u8; 2] = data.get(offset..offset.checked_add(2)?)?.try_into().ok()?;
    Some(match order {
        ByteOrder::Little => u16::from_le_bytes(bytes),
        ByteOrder::Big => u16::from_be_bytes(bytes),
    })
}

/// Reads a u32 at `offset`, or `None` if the buffer is too short.
pub(crate) fn read_u32(data: &[u8], offset: usize, order: ByteOrder) -> Option<u32> {
    let bytes: [u8; 4] = data.get(offset..offset.checked_add(4)?)?.try_into().ok()?;
    Some(match order {
        ByteOrder::Little => u32::from_le_bytes(bytes),
        ByteOrder::Big => u32::from_be_bytes(bytes),
    })
}

/// Writes a u32 at `offset`; returns `false` (writing nothing) if it does not fit.
pub(crate) fn write_u32(data: &mut [u8], offset: usize, value: u32, order: ByteOrder) -> bool {
    let Some(end) = offset.checked_add(4) else {
        return false;
    };
    let Some(slot) = data.get_mut(offset..end) else {
        return false;
    };
    slot.copy_from_slice(&match order {
        ByteOrder::Little => value.to_le_bytes(),
        ByteOrder::Big => value.to_be_bytes(),
    });
    true
}

/// Appends a u32 in the host's byte order (what the kernel reads from user memory).
pub(crate) fn push_host_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_ne_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_checked() {
        let data = [1, 2, 3, 4, 5];
        assert_eq!(read_u32(&data, 0, ByteOrder::Little), Some(0x0403_0201));
        assert_eq!(read_u32(&data, 1, ByteOrder::Big), Some(0x0203_0405));
        assert_eq!(read_u32(&data, 2, ByteOrder::Little), None);
        assert_eq!(read_u32(&data, usize::MAX, ByteOrder::Little), None);
        assert_eq!(read_u16(&data, 4, ByteOrder::Little), None);
        assert_eq!(read_u16(&data, 3, ByteOrder::Big), Some(0x0405));
    }

    #[test]
    fn writes_are_checked() {
        let mut data = [0u8; 6];
        assert!(write_u32(&mut data, 2, 0x0102_0304, ByteOrder::Big));
        assert_eq!(data, [0, 0, 1, 2, 3, 4]);
        assert!(!write_u32(&mut data, 3, 7, ByteOrder::Little));
        assert!(!write_u32(&mut data, usize::MAX - 1, 7, ByteOrder::Little));
        assert_eq!(data, [0, 0, 1, 2, 3, 4]);
    }
}
