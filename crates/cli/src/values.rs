//! The value syntaxes tc accepts: numbers with C's base prefixes (`get_u32(.., 0)`),
//! tc handles (`ffff:`, `1:2`, `root`, `none`) and link-layer protocol names.

use netlink_tc::handle::ROOT as TC_H_ROOT;

/// Parses an unsigned number as C's `strtoul(s, .., 0)` with a full-match check:
/// `0x` hex, leading `0` octal, otherwise decimal.
pub fn parse_u32(s: &str) -> Option<u32> {
    let (digits, radix) = if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (hex, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(digits, radix).ok()
}

/// Parses a tc handle (`get_tc_classid`): `root`, `none`, `MAJ:`, `MAJ:MIN` or a bare
/// hex number, all hex.
pub fn parse_tc_handle(s: &str) -> Option<u32> {
    match s {
        "root" => return Some(TC_H_ROOT),
        "none" => return Some(0),
        _ => {}
    }
    let hex = |t: &str| -> Option<u32> {
        if t.is_empty() {
            Some(0)
        } else if t.chars().all(|c| c.is_ascii_hexdigit()) {
            u32::from_str_radix(t, 16).ok()
        } else {
            None
        }
    };
    match s.split_once(':') {
        Some((maj, min)) => {
            let (maj, min) = (hex(maj)?, hex(min)?);
            (maj < 0x1_0000 && min < 0x1_0000).then_some((maj << 16) | min)
        }
        None if !s.is_empty() => hex(s),
        None => None,
    }
}

/// Link-layer protocol names in iproute2 6.1's `llproto_names` order (host byte order).
/// Lookups by name are case-insensitive and take the first match, as `ll_proto_a2n` does.
pub const PROTOCOL_NAMES: &[(&str, u16)] = &[
    ("loop", 0x0060),
    ("pup", 0x0200),
    ("pupat", 0x0201),
    ("ip", 0x0800),
    ("x25", 0x0805),
    ("arp", 0x0806),
    ("bpq", 0x08ff),
    ("ieeepup", 0x0a00),
    ("ieeepupat", 0x0a01),
    ("dec", 0x6000),
    ("dna_dl", 0x6001),
    ("dna_rc", 0x6002),
    ("dna_rt", 0x6003),
    ("lat", 0x6004),
    ("diag", 0x6005),
    ("cust", 0x6006),
    ("sca", 0x6007),
    ("rarp", 0x8035),
    ("atalk", 0x809b),
    ("aarp", 0x80f3),
    ("ipx", 0x8137),
    ("ipv6", 0x86dd),
    ("ppp_disc", 0x8863),
    ("ppp_ses", 0x8864),
    ("atmmpoa", 0x884c),
    ("atmfate", 0x8884),
    ("802_3", 0x0001),
    ("ax25", 0x0002),
    ("all", 0x0003),
    ("802_2", 0x0004),
    ("snap", 0x0005),
    ("ddcmp", 0x0006),
    ("wan_ppp", 0x0007),
    ("ppp_mp", 0x0008),
    ("localtalk", 0x0009),
    ("can", 0x000c),
    ("ppptalk", 0x0010),
    ("tr_802_2", 0x0011),
    ("mobitex", 0x0015),
    ("control", 0x0016),
    ("irda", 0x0017),
    ("econet", 0x0018),
    ("tipc", 0x88ca),
    ("profinet", 0x8892),
    ("aoe", 0x88a2),
    ("ethercat", 0x88a4),
    ("802.1Q", 0x8100),
    ("802.1ad", 0x88a8),
    ("mpls_uc", 0x8847),
    ("mpls_mc", 0x8848),
    ("teb", 0x6558),
    ("LLDP", 0x88cc),
    ("ipv4", 0x0800),
];

/// Parses a protocol name (case-insensitive) or number into its host-order value.
pub fn parse_protocol(s: &str) -> Option<u16> {
    if let Some(&(_, id)) = PROTOCOL_NAMES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(s))
    {
        return Some(id);
    }
    parse_u32(s).and_then(|n| u16::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_strtoul_base_zero() {
        assert_eq!(parse_u32("49152"), Some(49152));
        assert_eq!(parse_u32("0x10"), Some(16));
        assert_eq!(parse_u32("010"), Some(8));
        assert_eq!(parse_u32("0"), Some(0));
        assert_eq!(parse_u32("12a"), None);
        assert_eq!(parse_u32(""), None);
        assert_eq!(parse_u32("99999999999"), None);
    }

    #[test]
    fn handles_are_hex_major_minor() {
        assert_eq!(parse_tc_handle("ffff:"), Some(0xffff_0000));
        assert_eq!(
            parse_tc_handle("ffff:fff2"),
            Some(netlink_tc::handle::INGRESS)
        );
        assert_eq!(parse_tc_handle("1:2"), Some(0x0001_0002));
        assert_eq!(parse_tc_handle("10"), Some(0x10));
        assert_eq!(parse_tc_handle("root"), Some(TC_H_ROOT));
        assert_eq!(parse_tc_handle("1:2:3"), None);
        assert_eq!(parse_tc_handle("10000:"), None);
        assert_eq!(parse_tc_handle("x"), None);
    }

    #[test]
    fn protocols_by_name_or_number() {
        assert_eq!(parse_protocol("all"), Some(3));
        assert_eq!(parse_protocol("IPv6"), Some(0x86dd));
        assert_eq!(parse_protocol("0x0806"), Some(0x0806));
        assert_eq!(parse_protocol("bogus"), None);
    }
}
