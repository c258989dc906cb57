//! Kernel tests of the high-level entry, run on the calls of `examples/tc_and_xdp.rs`
//! itself: in throwaway namespaces joined by a veth pair, drop-arp on ingress must stop
//! ARP but not IP (real arping and ping), the real `tc filter show` and `ip link show`
//! must see both attachments, and `detach()` must bring ARP back and leave nothing.
//! Handles must refuse to detach what is no longer theirs.
//!
//! Each test returns early (and passes) when kernel tests cannot run here, unless
//! `RTC_REQUIRE_PRIVILEGED=1`; see `rtc_tests::require_privileged`.

#[path = "../examples/tc_and_xdp.rs"]
#[allow(dead_code)]
mod example;

use std::path::PathBuf;

use rtc_loader::{Device, Direction, Error, Netns, ProgType, Program, XdpMode};
use rtc_tests::{VethPair, arping_ok, bpf_obj, ping_ok, require_privileged, tc_filters};

/// The directory of the objects built from bpf-src/.
fn objects() -> PathBuf {
    let drop_arp = bpf_obj("drop-arp");
    bpf_obj("xdp-pass");
    drop_arp.parent().expect("object directory").to_path_buf()
}

/// The XDP program id `ip -j link show` reports for the device, if any.
fn ip_xdp_prog_id(pair: &VethPair) -> Option<u64> {
    let out = pair
        .a
        .ip(&["-j", "link", "show", "dev", &pair.dev_a])
        .ok("ip -j link show");
    let links: serde_json::Value = serde_json::from_str(&out.stdout).expect("ip prints JSON");
    links[0]["xdp"]["prog"]["id"].as_u64()
}

#[test]
fn example_attaches_drop_arp_and_xdp_and_detach_restores_traffic() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    assert!(
        arping_ok(&pair.b, &pair.dev_b, pair.ip_a),
        "ARP before attach"
    );

    let (filter, xdp) =
        example::attach(pair.a.name(), &pair.dev_a, &objects()).expect("example's attach");

    assert!(
        !arping_ok(&pair.b, &pair.dev_b, pair.ip_a),
        "ARP requests must be dropped on ingress"
    );
    pair.static_neighbours();
    assert!(
        ping_ok(&pair.b, pair.ip_a),
        "IP must still flow (XDP passes it)"
    );

    let shown = tc_filters(&pair.a, &pair.dev_a, "ingress");
    assert_eq!(shown.len(), 1, "one filter in tc's listing: {shown:?}");
    let f = &shown[0];
    assert_eq!(f["options"]["bpf_name"], "drop-arp.o:[ingress]", "{f}");
    assert_eq!(f["options"]["direct-action"], true, "{f}");
    assert_eq!(f["pref"].as_u64(), Some(u64::from(filter.pref())), "{f}");
    assert_eq!(
        f["options"]["prog"]["id"].as_u64(),
        Some(u64::from(filter.prog_id()))
    );
    let text = pair
        .a
        .tc(&["filter", "show", "dev", &pair.dev_a, "ingress"])
        .ok("tc filter show");
    let handle = format!(
        "handle {:#x} drop-arp.o:[ingress] direct-action",
        filter.handle()
    );
    assert!(
        text.stdout.contains(&handle),
        "{handle} in:\n{}",
        text.stdout
    );
    assert_eq!(ip_xdp_prog_id(&pair), Some(u64::from(xdp.prog_id())));

    xdp.detach().expect("XDP detach");
    filter.detach().expect("tc detach");

    assert_eq!(ip_xdp_prog_id(&pair), None, "no XDP program after detach");
    assert!(tc_filters(&pair.a, &pair.dev_a, "ingress").is_empty());
    assert!(
        arping_ok(&pair.b, &pair.dev_b, pair.ip_a),
        "ARP must be answered again after detach"
    );
}

#[test]
fn detach_removes_only_its_own_filter() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let netns = Netns::open(pair.a.name()).expect("open netns");
    let dev = Device::in_netns(&netns, &pair.dev_a).expect("device");
    let program = Program::from_file(objects().join("drop-arp.o"), "ingress")
        .expect("parse")
        .load(ProgType::SCHED_CLS)
        .expect("load");
    let first = program.attach_tc(&dev, Direction::Ingress).expect("attach");
    let second = program
        .attach_tc(&dev, Direction::Ingress)
        .expect("attach again");
    assert_ne!(
        (first.pref(), first.handle()),
        (second.pref(), second.handle())
    );
    assert_eq!(tc_filters(&pair.a, &pair.dev_a, "ingress").len(), 2);

    let pref = second.pref();
    first.detach().expect("detach first");
    let left = tc_filters(&pair.a, &pair.dev_a, "ingress");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["pref"].as_u64(), Some(u64::from(pref)));
    assert!(
        !arping_ok(&pair.b, &pair.dev_b, pair.ip_a),
        "second still drops"
    );

    // Deleted behind the handle's back: detach must say so, not delete anything else.
    pair.a
        .tc(&[
            "filter",
            "del",
            "dev",
            &pair.dev_a,
            "ingress",
            "pref",
            &pref.to_string(),
        ])
        .ok("tc filter del");
    assert!(matches!(second.detach(), Err(Error::NotOurs { .. })));
}

#[test]
fn xdp_detach_leaves_a_program_attached_by_someone_else() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let dev =
        Device::in_netns(&Netns::open(pair.a.name()).expect("netns"), &pair.dev_a).expect("device");
    let program = Program::from_file(objects().join("xdp-pass.o"), "prog")
        .expect("parse")
        .load(ProgType::XDP)
        .expect("load");
    let ours = program.attach_xdp(&dev, XdpMode::Generic).expect("attach");
    let obj = objects().join("xdp-pass.o");
    pair.a
        .ip(&[
            "-force",
            "link",
            "set",
            "dev",
            &pair.dev_a,
            "xdpgeneric",
            "obj",
            &obj.to_string_lossy(),
            "sec",
            "prog",
        ])
        .ok("ip -force link set xdpgeneric");
    let theirs = ip_xdp_prog_id(&pair).expect("their program");
    assert_ne!(theirs, u64::from(ours.prog_id()));
    assert!(matches!(ours.detach(), Err(Error::NotOurs { .. })));
    assert_eq!(ip_xdp_prog_id(&pair), Some(theirs), "theirs stays");
}

#[test]
fn a_program_attaches_only_to_its_own_kind_of_hook() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let dev =
        Device::in_netns(&Netns::open(pair.a.name()).expect("netns"), &pair.dev_a).expect("device");
    let tc = Program::from_file(objects().join("drop-arp.o"), "ingress")
        .expect("parse")
        .load(ProgType::SCHED_CLS)
        .expect("load");
    let refused = tc.attach_xdp(&dev, XdpMode::Generic);
    assert!(matches!(
        refused,
        Err(Error::WrongKind {
            expected: ProgType::XDP,
            found: ProgType::SCHED_CLS
        })
    ));
    assert_eq!(ip_xdp_prog_id(&pair), None);
    assert!(matches!(
        Device::in_netns(&Netns::open(pair.a.name()).expect("netns"), "no-such-dev"),
        Err(Error::NoDevice { .. })
    ));
}

#[test]
fn egress_attach_drops_the_devices_own_arp_replies() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let dev =
        Device::in_netns(&Netns::open(pair.a.name()).expect("netns"), &pair.dev_a).expect("device");
    let program = Program::from_file(objects().join("drop-arp.o"), "ingress")
        .expect("parse")
        .load(ProgType::SCHED_CLS)
        .expect("load");
    let filter = program.attach_tc(&dev, Direction::Egress).expect("attach");
    // a's ARP replies leave through egress: b asks and hears nothing.
    assert!(
        !arping_ok(&pair.b, &pair.dev_b, pair.ip_a),
        "replies dropped"
    );
    assert!(tc_filters(&pair.a, &pair.dev_a, "ingress").is_empty());
    let shown = tc_filters(&pair.a, &pair.dev_a, "egress");
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0]["options"]["bpf_name"], "drop-arp.o:[ingress]");
    filter.detach().expect("detach");
    assert!(
        arping_ok(&pair.b, &pair.dev_b, pair.ip_a),
        "ARP back after detach"
    );
    // The clsact qdisc stays, as tc leaves it.
    let qdiscs = pair
        .a
        .tc(&["qdisc", "show", "dev", &pair.dev_a])
        .ok("tc qdisc show");
    assert!(
        qdiscs.stdout.contains("qdisc clsact ffff:"),
        "{}",
        qdiscs.stdout
    );
}
