//! One line about an Ethernet frame, enough to tell the packets of a capture apart in
//! `rtc prog run`: the ethertype, ARP's question or answer, IP addresses, the
//! protocol, ports and TCP flags, ICMP's type. Reads only what is there: a frame cut
//! short says so instead of guessing.

use std::net::{Ipv4Addr, Ipv6Addr};

const ETH_P_IP: u16 = 0x0800;
const ETH_P_ARP: u16 = 0x0806;
const ETH_P_IPV6: u16 = 0x86dd;
const ETH_P_8021Q: u16 = 0x8100;
const ETH_P_8021AD: u16 = 0x88a8;

/// A one-line description of `frame`.
pub fn summary(frame: &[u8]) -> String {
    let Some(mut ethertype) = be16(frame, 12) else {
        return format!("short frame ({} bytes, no Ethernet header)", frame.len());
    };
    let mut offset = 14;
    let mut prefix = String::new();
    // Up to two VLAN tags.
    for _ in 0..2 {
        if ethertype != ETH_P_8021Q && ethertype != ETH_P_8021AD {
            break;
        }
        let (Some(tci), Some(inner)) = (be16(frame, offset), be16(frame, offset + 2)) else {
            return format!("{prefix}802.1Q, truncated tag");
        };
        prefix.push_str(&format!("vlan {} ", tci & 0x0fff));
        ethertype = inner;
        offset += 4;
    }
    let payload = frame.get(offset..).unwrap_or_default();
    let text = match ethertype {
        ETH_P_ARP => arp(payload),
        ETH_P_IP => ipv4(payload),
        ETH_P_IPV6 => ipv6(payload),
        other => format!("ethertype {other:#06x}, {} bytes", frame.len()),
    };
    format!("{prefix}{text}")
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn v4(b: &[u8], at: usize) -> Option<Ipv4Addr> {
    let a: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(Ipv4Addr::from(a))
}

fn mac(b: &[u8], at: usize) -> Option<String> {
    let m = b.get(at..at + 6)?;
    Some(
        m.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

fn arp(p: &[u8]) -> String {
    // Ethernet/IPv4 ARP: op at 6, sender MAC 8, sender IP 14, target MAC 18, target IP 24.
    let (Some(op), Some(spa), Some(tpa), Some(sha)) = (be16(p, 6), v4(p, 14), v4(p, 24), mac(p, 8))
    else {
        return "ARP, truncated".into();
    };
    match op {
        1 => format!("ARP request who-has {tpa} tell {spa}"),
        2 => format!("ARP reply {spa} is-at {sha}"),
        other => format!("ARP op {other} {spa} > {tpa}"),
    }
}

fn ipv4(p: &[u8]) -> String {
    let (Some(first), Some(proto), Some(src), Some(dst)) =
        (p.first(), p.get(9), v4(p, 12), v4(p, 16))
    else {
        return "IPv4, truncated header".into();
    };
    let ihl = usize::from(first & 0x0f) * 4;
    let ttl = p.get(8).copied().unwrap_or(0);
    let rest = p.get(ihl..).unwrap_or_default();
    format!(
        "IPv4 {} ttl {ttl}",
        transport(*proto, &src.to_string(), &dst.to_string(), rest, false)
    )
}

fn ipv6(p: &[u8]) -> String {
    let (Some(next), Some(src), Some(dst)) = (p.get(6), p.get(8..24), p.get(24..40)) else {
        return "IPv6, truncated header".into();
    };
    let addr = |b: &[u8]| -> String {
        <[u8; 16]>::try_from(b)
            .map(|a| Ipv6Addr::from(a).to_string())
            .unwrap_or_default()
    };
    let hops = p.get(7).copied().unwrap_or(0);
    let rest = p.get(40..).unwrap_or_default();
    format!(
        "IPv6 {} hlim {hops}",
        transport(*next, &addr(src), &addr(dst), rest, true)
    )
}

/// The transport part: protocol, addresses (with ports for TCP/UDP), TCP flags,
/// ICMP type.
fn transport(proto: u8, src: &str, dst: &str, l4: &[u8], v6: bool) -> String {
    let ports = || Some((be16(l4, 0)?, be16(l4, 2)?));
    let join = |a: &str, port: u16| {
        if v6 {
            format!("[{a}]:{port}")
        } else {
            format!("{a}:{port}")
        }
    };
    match proto {
        6 | 17 => {
            let name = if proto == 6 { "TCP" } else { "UDP" };
            let Some((sport, dport)) = ports() else {
                return format!("{name} {src} > {dst}, truncated");
            };
            let mut text = format!("{name} {} > {}", join(src, sport), join(dst, dport));
            if proto == 6
                && let Some(flags) = l4.get(13)
            {
                text.push_str(&format!(" [{}]", tcp_flags(*flags)));
            }
            text
        }
        1 | 58 => {
            let name = if proto == 1 { "ICMP" } else { "ICMPv6" };
            let kind = match (proto, l4.first()) {
                (1, Some(8)) | (58, Some(128)) => "echo request".to_string(),
                (1, Some(0)) | (58, Some(129)) => "echo reply".to_string(),
                (58, Some(135)) => "neighbor solicitation".to_string(),
                (58, Some(136)) => "neighbor advertisement".to_string(),
                (58, Some(133)) => "router solicitation".to_string(),
                (_, Some(t)) => format!("type {t}"),
                (_, None) => "truncated".to_string(),
            };
            format!("{name} {src} > {dst} {kind}")
        }
        other => format!("proto {other} {src} > {dst}"),
    }
}

fn tcp_flags(flags: u8) -> String {
    let names = [
        (0x02, 'S'),
        (0x01, 'F'),
        (0x04, 'R'),
        (0x08, 'P'),
        (0x10, '.'),
        (0x20, 'U'),
    ];
    names
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, c)| *c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        let mut arp = vec![0xff; 6];
        arp.extend([2, 0, 0, 0, 0, 1, 0x08, 0x06]);
        arp.extend([0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1]);
        arp.extend([0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
        assert_eq!(summary(&arp), "ARP request who-has 10.0.0.2 tell 10.0.0.1");
        assert_eq!(summary(&arp[..20]), "ARP, truncated");
        assert_eq!(
            summary(&[0; 5]),
            "short frame (5 bytes, no Ethernet header)"
        );
        let mut tcp = vec![0; 12];
        tcp.extend([0x08, 0x00, 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0]);
        tcp.extend([10, 0, 0, 1, 10, 0, 0, 2, 0x9c, 0x40, 0, 80, 0, 0, 0, 0]);
        tcp.extend([0, 0, 0, 0, 0x50, 0x02, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            summary(&tcp),
            "IPv4 TCP 10.0.0.1:40000 > 10.0.0.2:80 [S] ttl 64"
        );
        for cut in 0..tcp.len() {
            let _ = summary(&tcp[..cut]);
        }
    }
}
