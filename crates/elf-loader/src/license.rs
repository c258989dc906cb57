//! The `license` and `version` sections. The kernel lets only programs whose licence
//! is GPL-compatible call GPL-only helpers, so the licence string is passed to
//! `BPF_PROG_LOAD` as the object declares it.

use crate::bytes::ByteOrder;
use crate::error::ParseError;

/// Reads the licence: the bytes up to the first NUL (or the whole section if it has
/// none, as clang never emits but a hand-made object might).
pub(crate) fn parse_license(data: &[u8]) -> String {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    String::from_utf8_lossy(&data[..end]).into_owned()
}

/// Reads the `version` section: one u32 in the object's byte order.
pub(crate) fn parse_version(data: &[u8], order: ByteOrder) -> Result<u32, ParseError> {
    let bytes: [u8; 4] = data.try_into().map_err(|_| ParseError::VersionSize {
        size: data.len() as u64,
    })?;
    Ok(match order {
        ByteOrder::Little => u32::from_le_bytes(bytes),
        ByteOrder::Big => u32::from_be_bytes(bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn license_stops_at_nul() {
        assert_eq!(parse_license(b"GPL\0"), "GPL");
        assert_eq!(parse_license(b"Dual BSD/GPL\0\0\0"), "Dual BSD/GPL");
        assert_eq!(parse_license(b"GPL"), "GPL");
        assert_eq!(parse_license(b""), "");
    }

    #[test]
    fn version_is_one_u32() {
        assert_eq!(
            parse_version(&[1, 2, 3, 4], ByteOrder::Big).unwrap(),
            0x0102_0304
        );
        assert_eq!(
            parse_version(&[1, 2, 3, 4], ByteOrder::Little).unwrap(),
            0x0403_0201
        );
        assert!(matches!(
            parse_version(&[1, 2, 3], ByteOrder::Little),
            Err(ParseError::VersionSize { size: 3 })
        ));
    }
}
