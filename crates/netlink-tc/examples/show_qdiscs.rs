//! Prints the qdiscs of one device, as `tc qdisc show dev DEV` lists them (kind,
//! handle, parent); no privileges needed:
//!
//! ```sh
//! cargo run -p rtc-netlink-tc --example show_qdiscs -- lo
//! ```

use netlink_tc::{Netlink, handle};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dev = std::env::args().nth(1).unwrap_or_else(|| "lo".to_string());
    let ifindex = nix::net::if_::if_nametoindex(dev.as_str())?;
    let dump = Netlink::open()?.qdiscs(ifindex)?;
    // The kernel answers with every device's qdiscs; keep this one's.
    for qdisc in dump.items.iter().filter(|q| q.ifindex == ifindex) {
        let parent = match qdisc.parent {
            handle::ROOT => "root".to_string(),
            p => format!("parent {:x}:{:x}", handle::major(p) >> 16, handle::minor(p)),
        };
        let major = handle::major(qdisc.handle) >> 16;
        println!("qdisc {} {major:x}: dev {dev} {parent}", qdisc.kind);
    }
    Ok(())
}
