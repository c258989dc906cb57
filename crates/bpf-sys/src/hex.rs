//! Bytes as lowercase hex digits: how tc, ip and bpftool print program tags, and how
//! `sha1sum` prints a digest. The one such helper of the workspace.

/// `bytes` as two lowercase hex digits each, nothing between them
/// (`[0xde, 0xad]` → `"dead"`).
///
/// ```
/// assert_eq!(bpf_sys::hex(&[0xde, 0xad, 0x00, 0x0f]), "dead000f");
/// ```
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_byte_is_two_digits() {
        let all: Vec<u8> = (0..=255).collect();
        let text = super::hex(&all);
        assert_eq!(text.len(), 512);
        for (i, pair) in text.as_bytes().chunks(2).enumerate() {
            assert_eq!(std::str::from_utf8(pair).unwrap(), format!("{i:02x}"));
        }
    }
}
