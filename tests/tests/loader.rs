//! Kernel tests of what the ELF loader loads beyond one program with its maps:
//! iproute2 pinning shared between programs, reuse refused when a pinned map differs,
//! iproute2 tail calls, a libbpf-style object (BTF map, `.rodata` config, `.bss`
//! counter, a subprogram) and source lines in verifier logs.
//!
//! Each test drives the binary under test as a user would (`rtc filter add ... obj`),
//! with `TC_BPF_MNT` pointing at a bpffs of its own, then proves the effect with real
//! traffic and reads the kernel's state with `bpftool` and the real `tc`.

use rtc_tests::{
    Bpffs, Netns, VethPair, bpf_obj_arg, bpftool, filter_prog_id, map_info, map_lookup_u64,
    ping_count, ping_ok, pinned_map_id, prog_info, prog_map_ids, require_privileged, run_env,
    tc_filters, tcp_connect_ok,
};
use serde_json::Value;

/// `rtc -n NS qdisc add dev DEV clsact`.
fn clsact(ns: &Netns, env: &[(String, String)], dev: &str) {
    ns.rtc_env(env, &["qdisc", "add", "dev", dev, "clsact"])
        .ok("rtc qdisc add clsact");
}

/// `rtc -n NS filter add dev DEV HOOK bpf da obj OBJ sec SEC`.
fn attach(
    ns: &Netns,
    env: &[(String, String)],
    dev: &str,
    hook: &str,
    object: &str,
    section: &str,
) {
    let obj = bpf_obj_arg(object);
    ns.rtc_env(
        env,
        &[
            "filter", "add", "dev", dev, hook, "bpf", "da", "obj", &obj, "sec", section,
        ],
    )
    .ok("rtc filter add");
}

/// The id of the one program attached to `dev`'s `hook`.
fn attached_prog(ns: &Netns, dev: &str, hook: &str) -> u64 {
    let filters = tc_filters(ns, dev, hook);
    assert_eq!(filters.len(), 1, "filters on {dev} {hook}: {filters:?}");
    filter_prog_id(&filters[0])
}

#[test]
fn pinned_global_map_is_shared_by_ingress_and_egress() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    pair.static_neighbours();
    let bpffs = Bpffs::new();
    let env = [bpffs.env()];
    clsact(&pair.a, &env, &pair.dev_a);
    attach(
        &pair.a,
        &env,
        &pair.dev_a,
        "ingress",
        "pin-shared",
        "ingress",
    );
    attach(&pair.a, &env, &pair.dev_a, "egress", "pin-shared", "egress");

    // iproute2's layout: the map in tc/globals, xdp and ip linking to tc/.
    let pin = bpffs.path().join("tc/globals/rtc_shared_count");
    assert!(pin.exists(), "{} is not pinned", pin.display());
    for link in ["xdp", "ip"] {
        let target = std::fs::read_link(bpffs.path().join(link)).unwrap();
        assert_eq!(target, bpffs.path().join("tc/"), "{link} symlink");
    }
    let map_id = pinned_map_id(&pin);
    // Both programs use the pinned map, and only it.
    let ingress = attached_prog(&pair.a, &pair.dev_a, "ingress");
    let egress = attached_prog(&pair.a, &pair.dev_a, "egress");
    assert_ne!(ingress, egress);
    assert_eq!(prog_map_ids(ingress), [map_id]);
    assert_eq!(prog_map_ids(egress), [map_id]);

    // Echo requests leave through egress, replies come back through ingress.
    let before = (map_lookup_u64(map_id, 0), map_lookup_u64(map_id, 1));
    assert!(ping_count(&pair.a, pair.ip_b, 5), "pings must pass");
    let after = (map_lookup_u64(map_id, 0), map_lookup_u64(map_id, 1));
    println!("ingress/egress counts before {before:?}, after {after:?}");
    assert!(after.0 >= before.0 + 5, "ingress counted {after:?}");
    assert!(after.1 >= before.1 + 5, "egress counted {after:?}");
}

#[test]
fn reusing_a_pinned_map_of_another_size_fails_naming_the_field() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    ns.ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v1"])
        .ok("ip link add veth");
    ns.ip(&["link", "set", "v0", "up"]).ok("ip link set up");
    let bpffs = Bpffs::new();
    let env = [bpffs.env()];
    clsact(&ns, &env, "v0");
    attach(&ns, &env, "v0", "ingress", "pin-shared", "ingress");
    let pin = bpffs.path().join("tc/globals/rtc_shared_count");
    let map_id = pinned_map_id(&pin);

    let obj = bpf_obj_arg("pin-shared-bigger");
    let refused = ns.rtc_env(
        &env,
        &[
            "filter", "add", "dev", "v0", "egress", "bpf", "da", "obj", &obj, "sec", "ingress",
        ],
    );
    println!("{refused}");
    assert_eq!(refused.status, 1, "{refused}");
    assert!(
        refused
            .stderr
            .contains("max entries 2 pinned vs 4 in the object"),
        "the error names the field and both values:\n{refused}"
    );
    assert!(refused.stderr.contains("rtc_shared_count"), "{refused}");
    // Nothing changed: the pinned map is the same, no filter was added.
    assert_eq!(pinned_map_id(&pin), map_id);
    assert_eq!(map_info(map_id)["max_entries"], 2);
    assert!(tc_filters(&ns, "v0", "egress").is_empty());
}

#[test]
fn tail_call_drops_only_through_the_tail_call() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    pair.static_neighbours();
    assert!(
        ping_ok(&pair.a, pair.ip_b),
        "ping works before anything is attached"
    );
    let bpffs = Bpffs::new();
    let env = [bpffs.env()];
    clsact(&pair.b, &env, &pair.dev_b);
    attach(
        &pair.b,
        &env,
        &pair.dev_b,
        "ingress",
        "tail-call",
        "ingress",
    );

    // Slot 0 of the pinned program array holds section 1/0's program.
    let pin = bpffs.path().join("tc/globals/rtc_jumps");
    let jumps = pinned_map_id(&pin);
    let slot = map_lookup_u64(jumps, 0);
    assert_eq!(prog_info(slot)["name"], "drop_icmp");
    let main = attached_prog(&pair.b, &pair.dev_b, "ingress");
    assert_eq!(prog_info(main)["name"], "jump");
    assert_eq!(prog_map_ids(main), [jumps]);

    assert!(
        !ping_ok(&pair.a, pair.ip_b),
        "the tail-called program drops ICMP"
    );
    // Empty the slot: the same attached program now lets pings through.
    let path = pin.to_string_lossy().into_owned();
    bpftool(&["map", "delete", "pinned", &path, "key", "0", "0", "0", "0"])
        .ok("bpftool map delete");
    assert_eq!(attached_prog(&pair.b, &pair.dev_b, "ingress"), main);
    assert!(
        ping_ok(&pair.a, pair.ip_b),
        "without the tail call nothing is dropped"
    );
}

/// The maps of a program as `bpftool map show` describes them.
fn maps_of(prog: u64) -> Vec<Value> {
    prog_map_ids(prog).into_iter().map(map_info).collect()
}

/// The map of `maps` whose name ends with `suffix`.
fn map_named<'a>(maps: &'a [Value], suffix: &str) -> &'a Value {
    maps.iter()
        .find(|m| m["name"].as_str().is_some_and(|n| n.ends_with(suffix)))
        .unwrap_or_else(|| panic!("no map named *{suffix} in {maps:?}"))
}

#[test]
fn libbpf_object_with_btf_map_rodata_bss_and_subprogram() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    pair.static_neighbours();
    let bpffs = Bpffs::new();
    let env = [bpffs.env()];
    clsact(&pair.b, &env, &pair.dev_b);
    attach(&pair.b, &env, &pair.dev_b, "ingress", "libbpf-style", "tc");
    let prog = attached_prog(&pair.b, &pair.dev_b, "ingress");
    let info = prog_info(prog);
    assert_eq!(info["name"], "count_and_block");
    assert!(
        info["btf_id"].as_u64().unwrap_or(0) > 0,
        "program carries BTF: {info}"
    );

    // blocked_proto (ICMP, from .rodata) is dropped; TCP passes.
    assert!(!ping_ok(&pair.a, pair.ip_b), "ICMP is blocked");
    assert!(
        tcp_connect_ok(&pair.a, &pair.b, pair.ip_b, 8080),
        "TCP passes"
    );

    let maps = maps_of(prog);
    assert_eq!(maps.len(), 4, "proto_count, .rodata, .bss, .data: {maps:?}");
    let counts = map_named(&maps, "proto_count");
    assert_eq!(counts["type"], "hash");
    assert_eq!(
        (counts["bytes_key"].as_u64(), counts["bytes_value"].as_u64()),
        (Some(4), Some(8))
    );
    assert!(
        counts["btf_id"].as_u64().unwrap_or(0) > 0,
        "typed map: {counts}"
    );
    let counts_id = counts["id"].as_u64().unwrap();
    assert!(map_lookup_u64(counts_id, 1) >= 1, "ICMP packets counted");
    assert!(map_lookup_u64(counts_id, 6) >= 1, "TCP packets counted");

    let rodata = map_named(&maps, ".rodata");
    assert_eq!(rodata["frozen"], 1, ".rodata is frozen: {rodata}");
    assert_eq!(rodata["flags"], 0x480, "BPF_F_RDONLY_PROG | BPF_F_MMAPABLE");
    assert_eq!(map_lookup_u64(rodata["id"].as_u64().unwrap(), 0) & 0xff, 1);

    // packets_seen (.bss) grows by generation (.data, 7) per packet: both sections
    // were loaded with their contents.
    let data = map_named(&maps, ".data");
    assert_eq!(map_lookup_u64(data["id"].as_u64().unwrap(), 0), 7);
    let seen = map_lookup_u64(map_named(&maps, ".bss")["id"].as_u64().unwrap(), 0);
    println!("packets_seen = {seen}");
    assert!(seen > 0 && seen % 7 == 0, "packets_seen = {seen}");
}

#[test]
fn libbpf_object_gets_the_same_maps_from_rtc_and_tc() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    ns.ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v1"])
        .ok("ip link add veth");
    let bpffs = Bpffs::new();
    let env = [bpffs.env()];
    clsact(&ns, &env, "v0");
    attach(&ns, &env, "v0", "ingress", "libbpf-style", "tc");
    let obj = bpf_obj_arg("libbpf-style");
    run_env(
        "tc",
        &[
            "-n",
            ns.name(),
            "filter",
            "add",
            "dev",
            "v0",
            "egress",
            "bpf",
            "da",
            "obj",
            &obj,
            "sec",
            "tc",
        ],
        &env,
    )
    .ok("tc filter add");
    let shape = |prog: u64| {
        let mut maps: Vec<String> = maps_of(prog)
            .iter()
            .map(|m| {
                // Global data maps are named after the object file, as libbpf does.
                let name = m["name"].as_str().unwrap_or("");
                format!(
                    "{name} {} key {} value {} max {} flags {} frozen {}",
                    m["type"],
                    m["bytes_key"],
                    m["bytes_value"],
                    m["max_entries"],
                    m["flags"],
                    m["frozen"]
                )
            })
            .collect();
        maps.sort();
        maps
    };
    let (rtc_prog, tc_prog) = (
        attached_prog(&ns, "v0", "ingress"),
        attached_prog(&ns, "v0", "egress"),
    );
    let ours = shape(rtc_prog);
    let theirs = shape(tc_prog);
    println!("rtc: {ours:#?}\ntc:  {theirs:#?}");
    assert_eq!(ours, theirs);
    // The tag hashes the instructions as loaded (map references aside): the same
    // tag means the subprogram was linked in the same place, the same way.
    let (ours, theirs) = (prog_info(rtc_prog), prog_info(tc_prog));
    assert_eq!(ours["tag"], theirs["tag"], "rtc {ours}\ntc {theirs}");
    assert_eq!(ours["bytes_xlated"], theirs["bytes_xlated"]);
}

#[test]
fn verifier_rejection_shows_the_source_line() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    ns.ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v1"])
        .ok("ip link add veth");
    let bpffs = Bpffs::new();
    let env = [bpffs.env()];
    clsact(&ns, &env, "v0");
    let obj = bpf_obj_arg("reject-line");
    let refused = ns.rtc_env(
        &env,
        &[
            "filter", "add", "dev", "v0", "ingress", "bpf", "da", "obj", &obj, "sec", "tc",
        ],
    );
    println!("{refused}");
    assert_eq!(refused.status, 1, "{refused}");
    // The verifier quotes the line from the object's line_info, then names the error.
    let line = refused
        .stderr
        .lines()
        .find(|l| l.contains("rtc-test: unchecked packet read"))
        .unwrap_or_else(|| panic!("no source line in the log:\n{refused}"));
    assert!(line.starts_with("; "), "{line}");
    assert!(line.contains("@ reject-line.c:"), "{line}");
    assert!(
        refused.stderr.contains("invalid access to packet"),
        "{refused}"
    );
    assert!(tc_filters(&ns, "v0", "ingress").is_empty());
}
