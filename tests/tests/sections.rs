//! Section names with meaning (libbpf's table), checked against the real `ip`:
//! `xdp.frags` loads with `BPF_F_XDP_HAS_FRAGS`, so XDP in driver mode works on a
//! jumbo-MTU veth where a plain XDP program is refused; `xdp/devmap` programs carry
//! their expected attach type, so the kernel refuses them for a device, for rtc as
//! for ip, with the same words and exit code.

use rtc_tests::{Netns, bpf_obj_arg, require_privileged};
use serde_json::Value;

/// A namespace holding a veth pair `ja`/`jb` with a 9000-byte MTU, both up.
fn jumbo() -> Netns {
    let ns = Netns::new();
    ns.ip(&[
        "link", "add", "ja", "mtu", "9000", "type", "veth", "peer", "name", "jb", "mtu", "9000",
    ])
    .ok("ip link add");
    ns.ip(&["link", "set", "ja", "up"]).ok("up");
    ns.ip(&["link", "set", "jb", "up"]).ok("up");
    ns
}

fn xdp_id(ns: &Netns, dev: &str) -> Option<u64> {
    let out = ns
        .ip(&["-j", "link", "show", "dev", dev])
        .ok("ip -j link show");
    let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
    v[0]["xdp"]["prog"]["id"].as_u64()
}

#[test]
fn xdp_frags_attaches_in_driver_mode_on_a_jumbo_veth() {
    if !require_privileged() {
        return;
    }
    let ns = jumbo();
    let plain = bpf_obj_arg("xdp-pass");
    let frags = bpf_obj_arg("xdp-frags-pass");
    // Without the flag both tools are refused the same way.
    let ip = ns.ip(&[
        "link", "set", "dev", "ja", "xdpdrv", "obj", &plain, "sec", "prog",
    ]);
    let ours = ns.rtc(&[
        "link", "set", "dev", "ja", "xdpdrv", "obj", &plain, "sec", "prog",
    ]);
    assert!(!ip.success() && !ours.success());
    assert_eq!((ours.status, &ours.stderr), (ip.status, &ip.stderr));
    assert_eq!(xdp_id(&ns, "ja"), None);

    ns.rtc(&[
        "link",
        "set",
        "dev",
        "ja",
        "xdpdrv",
        "obj",
        &frags,
        "sec",
        "xdp.frags",
    ])
    .ok("rtc with xdp.frags");
    assert!(xdp_id(&ns, "ja").is_some(), "attached in driver mode");
    ns.rtc(&["link", "set", "dev", "ja", "xdpdrv", "off"])
        .ok("off");
    // ip does the same with the same object.
    ns.ip(&[
        "link",
        "set",
        "dev",
        "ja",
        "xdpdrv",
        "obj",
        &frags,
        "sec",
        "xdp.frags",
    ])
    .ok("ip with xdp.frags");
    ns.ip(&["link", "set", "dev", "ja", "xdpdrv", "off"])
        .ok("off");

    // net attach picks the xdp.frags section by itself.
    ns.rtc(&["net", "attach", "xdpdrv", "obj", &frags, "dev", "jb"])
        .ok("rtc net attach xdpdrv");
    assert!(xdp_id(&ns, "jb").is_some());
}

#[test]
fn devmap_programs_are_refused_for_a_device_as_ip_refuses_them() {
    if !require_privileged() {
        return;
    }
    let ns = jumbo();
    let devmap = bpf_obj_arg("xdp-devmap");
    let line = [
        "link",
        "set",
        "dev",
        "ja",
        "xdp",
        "obj",
        &devmap,
        "sec",
        "xdp/devmap",
    ];
    let ip = ns.ip(&line);
    let ours = ns.rtc(&line);
    assert!(!ip.success(), "{ip}");
    assert_eq!((ours.status, &ours.stderr), (ip.status, &ip.stderr));
    let net = ns.rtc(&["net", "attach", "xdp", "obj", &devmap, "dev", "ja"]);
    assert!(
        !net.success() && net.stderr.contains("devmap entry"),
        "{net}"
    );
    assert_eq!(xdp_id(&ns, "ja"), None);
}
