//! The small value formats tc uses in listings: protocol names, `major:minor`
//! handles, byte sizes (`1Kb`) and rates (`8Kbit`).

/// The name tc prints for EtherType `protocol` (host order): "ip", "all", ..., or
/// the number in brackets (`"[4660]"`) when tc has no name for it.
pub fn protocol_name(protocol: u16) -> String {
    crate::values::PROTOCOL_NAMES
        .iter()
        .find(|(_, id)| *id == protocol)
        .map(|(name, _)| (*name).to_string())
        .unwrap_or_else(|| format!("[{protocol}]"))
}

/// A handle as tc prints classids and parents: "root", "none", ":min", "maj:",
/// "maj:min" (hex).
pub fn classid(handle: u32) -> String {
    let major = handle >> 16;
    let minor = handle & 0xFFFF;
    if handle == netlink_tc::handle::ROOT {
        "root".into()
    } else if handle == 0 {
        "none".into()
    } else if major == 0 {
        format!(":{minor:x}")
    } else if minor == 0 {
        format!("{major:x}:")
    } else {
        format!("{major:x}:{minor:x}")
    }
}

/// A non-negative whole number the way C's `%g` prints it: plain up to six
/// digits, else `d.ddddde+XX` with trailing zeros removed.
fn printf_g(value: f64) -> String {
    if value < 1e6 {
        return format!("{value:.0}");
    }
    let scientific = format!("{value:.5e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    let exponent: i32 = exponent.parse().unwrap_or(0);
    format!("{mantissa}e+{exponent:02}")
}

/// A byte count as tc prints sizes: "1Mb" or "3Kb" when close to a round number
/// of those units, else "1500b".
pub fn size(bytes: u32) -> String {
    const KILO: f64 = 1024.0;
    const MEGA: f64 = KILO * KILO;
    let value = f64::from(bytes);
    let in_mega = (value / MEGA).round_ties_even();
    let in_kilo = (value / KILO).round_ties_even();
    if value >= MEGA && (MEGA * in_mega - value).abs() < 1024.0 {
        format!("{}Mb", printf_g(in_mega))
    } else if value >= KILO && (KILO * in_kilo - value).abs() < 16.0 {
        format!("{}Kb", printf_g(in_kilo))
    } else {
        format!("{bytes}b")
    }
}

/// A rate in bytes per second as tc prints it in bits per second, with SI units:
/// "9872bit", "8Kbit", "12Mbit".
pub fn rate(bytes_per_second: u64) -> String {
    const UNITS: [&str; 5] = ["", "K", "M", "G", "T"];
    let mut rate = bytes_per_second.wrapping_mul(8);
    let mut unit = 0;
    while unit < UNITS.len() - 1 {
        if rate < 1000 || (rate % 1000 != 0 && rate < 1000 * 1000) {
            break;
        }
        rate /= 1000;
        unit += 1;
    }
    format!("{rate}{}bit", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names_follow_tc_table_order() {
        assert_eq!(protocol_name(0x0800), "ip");
        assert_eq!(protocol_name(0x8100), "802.1Q");
        assert_eq!(protocol_name(0x0003), "all");
        assert_eq!(protocol_name(0x1234), "[4660]");
    }

    #[test]
    fn classids() {
        assert_eq!(classid(0xFFFF_FFF1), "ffff:fff1");
        assert_eq!(classid(0xFFFF_0000), "ffff:");
        assert_eq!(classid(0x0000_0005), ":5");
        assert_eq!(classid(0x0001_0001), "1:1");
        assert_eq!(classid(0xFFFF_FFFF), "root");
        assert_eq!(classid(0), "none");
    }

    /// Expected values printed by C's printf through the same arithmetic as tc
    /// (a throwaway C harness), to pin down `%g` and rounding.
    #[test]
    fn sizes_and_rates() {
        assert_eq!(size(0), "0b");
        assert_eq!(size(1500), "1500b");
        assert_eq!(size(1024), "1Kb");
        assert_eq!(size(1030), "1Kb");
        assert_eq!(size(3 * 1024 * 1024), "3Mb");
        assert_eq!(size(4_294_000_000), "4294000000b");
        assert_eq!(size(1_073_741_824 + 8192), "1.04858e+06Kb");
        assert_eq!(rate(1234), "9872bit");
        assert_eq!(rate(1000), "8Kbit");
        assert_eq!(rate(0), "0bit");
        assert_eq!(rate(125_000_000), "1Gbit");
        assert_eq!(rate(1_234_567), "9876Kbit");
    }
}
