//! Parses `drop-arp.o`, loads it, attaches it to a veth's ingress inside a network
//! namespace (adding the clsact qdisc), attaches `xdp-pass.o` to the same veth's XDP
//! hook, prints what the kernel gave them, and detaches both (`--keep` leaves them).
//!
//! As root, in a throwaway namespace:
//!
//! ```sh
//! make -C bpf-src                                   # -> target/bpf/*.o
//! ip netns add rtc-demo
//! ip -n rtc-demo link add va type veth peer name vb
//! cargo run -p rtc-loader --example tc_and_xdp -- rtc-demo va target/bpf
//! ip netns del rtc-demo
//! ```
//!
//! `tests/kernel.rs` runs [`attach`] and proves its effect with real traffic.

use std::error::Error;
use std::path::Path;

use rtc_loader::{
    Device, Direction, Netns, ProgType, Program, TcAttachment, XdpAttachment, XdpMode,
};

/// The library calls: a device in a namespace, two programs loaded and attached.
pub fn attach(
    netns: &str,
    dev: &str,
    objects: &Path,
) -> Result<(TcAttachment, XdpAttachment), Box<dyn Error>> {
    let veth = Device::in_netns(&Netns::open(netns)?, dev)?;
    let drop_arp =
        Program::from_file(objects.join("drop-arp.o"), "ingress")?.load(ProgType::SCHED_CLS)?;
    let filter = drop_arp.attach_tc(&veth, Direction::Ingress)?;
    let pass = Program::from_file(objects.join("xdp-pass.o"), "prog")?.load(ProgType::XDP)?;
    let xdp = pass.attach_xdp(&veth, XdpMode::Any)?;
    Ok((filter, xdp))
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [netns, dev, objects, rest @ ..] = args.as_slice() else {
        return Err("usage: tc_and_xdp NETNS DEV OBJECT_DIR [--keep]".into());
    };
    let (filter, xdp) = attach(netns, dev, Path::new(objects))?;
    println!(
        "tc filter pref {} handle {:#x}; XDP program id {}",
        filter.pref(),
        filter.handle(),
        xdp.prog_id()
    );
    if rest.first().map(String::as_str) != Some("--keep") {
        xdp.detach()?;
        filter.detach()?;
    }
    Ok(())
}
