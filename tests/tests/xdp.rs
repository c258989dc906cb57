//! Kernel tests of the ip path: `rtc link set dev DEV xdp|xdpgeneric|xdpdrv ... obj
//! FILE`, `rtc link show` and `rtc map ...`, run with the binary under test inside
//! throwaway namespaces. The effect is proven with real traffic (pings from a blocked
//! and an allowed source address); the real `ip` and `bpftool` are the witnesses:
//! `rtc link show` must print what `ip link show` prints, and `rtc map` what
//! `bpftool map` prints, on the same kernel state.
//!
//! Each test returns early (and passes) when kernel tests cannot run here, unless
//! `RTC_REQUIRE_PRIVILEGED=1`; see `rtc_tests::require_privileged`.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use rtc_tests::{
    Bpffs, Netns, Run, VethPair, bpf_obj_arg, bpftool, le_bytes_u64, require_privileged, rtc,
    rtc_bin, run_env,
};
use serde_json::Value;

/// The id of the XDP program on `dev` as the real `ip -j link show` reports it.
fn xdp_prog_id(ns: &Netns, dev: &str) -> Option<u64> {
    let out = ns
        .ip(&["-j", "link", "show", "dev", dev])
        .ok("ip -j link show");
    let links: Value = serde_json::from_str(&out.stdout).expect("ip -j prints JSON");
    links[0]["xdp"]["prog"]["id"].as_u64()
}

/// `ping -c COUNT` from `ns` to `dst`, optionally from source address `src`, one
/// request every 0.2 s, each waiting at most a second; returns (sent, answered).
fn ping_from(ns: &Netns, src: Option<Ipv4Addr>, dst: Ipv4Addr, count: u32) -> (u64, u64) {
    let (count, dst) = (count.to_string(), dst.to_string());
    let src = src.map(|ip| ip.to_string());
    let mut args = vec!["-n", "-q", "-c", &count, "-i", "0.2", "-W", "1"];
    if let Some(src) = &src {
        args.extend_from_slice(&["-I", src]);
    }
    args.push(&dst);
    let out = ns.exec("ping", &args);
    let summary = out
        .stdout
        .lines()
        .find(|line| line.contains("packets transmitted"))
        .unwrap_or_else(|| panic!("no ping summary:\n{out}"));
    let number = |word: &str| -> u64 {
        let fields: Vec<&str> = summary.split_whitespace().collect();
        let at = fields
            .iter()
            .position(|f| f.trim_end_matches(',') == word)
            .unwrap_or_else(|| panic!("no `{word}` in {summary}"));
        fields[at - 1].parse().expect("a count")
    };
    (number("packets"), number("received"))
}

/// The bytes of an IPv4 address as bpftool's `key` words.
fn key_words(ip: Ipv4Addr) -> Vec<String> {
    ip.octets().iter().map(u8::to_string).collect()
}

/// Sum over CPUs of the per-CPU value under key 0 of the map pinned at `path`, read
/// with the real bpftool (the values are little-endian u64).
fn percpu_sum(path: &Path) -> u64 {
    let path = path.to_string_lossy();
    let out = bpftool(&[
        "-j", "map", "lookup", "pinned", &path, "key", "0", "0", "0", "0",
    ])
    .ok("bpftool map lookup");
    let entry: Value = serde_json::from_str(&out.stdout).expect("bpftool prints JSON");
    let values = entry["values"]
        .as_array()
        .unwrap_or_else(|| panic!("a per-CPU entry has values: {entry}"));
    values.iter().map(|cpu| le_bytes_u64(&cpu["value"])).sum()
}

/// `args` run by the binary under test and by the real bpftool must print the same
/// stdout and stderr and exit the same way.
#[track_caller]
fn same_as_bpftool(args: &[&str]) -> Run {
    let ours = rtc(args);
    let theirs = bpftool(args);
    assert_eq!(
        (ours.status, &ours.stdout, &ours.stderr),
        (theirs.status, &theirs.stdout, &theirs.stderr),
        "rtc and bpftool differ on `{}`:\n--- rtc ---\n{ours}\n--- bpftool ---\n{theirs}",
        args.join(" ")
    );
    ours
}

/// `ip -n NS ARGS` and `rtc -n NS ARGS` must print the same and exit the same way.
#[track_caller]
fn same_as_ip(ns: &Netns, args: &[&str]) -> Run {
    let ours = ns.rtc(args);
    let theirs = ns.ip(args);
    assert_eq!(
        (ours.status, &ours.stdout, &ours.stderr),
        (theirs.status, &theirs.stdout, &theirs.stderr),
        "rtc and ip differ on `{}`:\n--- rtc ---\n{ours}\n--- ip ---\n{theirs}",
        args.join(" ")
    );
    ours
}

/// A veth pair whose `b` end has a second address (`.3`), with permanent
/// neighbours for all of them, and a private bpffs for the filter's pinned maps.
struct FilterLab {
    pair: VethPair,
    bpffs: Bpffs,
    blocked: Ipv4Addr,
    allowed: Ipv4Addr,
}

impl FilterLab {
    fn new() -> Self {
        let pair = VethPair::new();
        pair.static_neighbours();
        let [a, b, c, _] = pair.ip_b.octets();
        let allowed = Ipv4Addr::new(a, b, c, 3);
        pair.b
            .ip(&["addr", "add", &format!("{allowed}/24"), "dev", &pair.dev_b])
            .ok("ip addr add second address");
        pair.a
            .ip(&[
                "neigh",
                "replace",
                &allowed.to_string(),
                "lladdr",
                &pair.mac_b,
                "dev",
                &pair.dev_a,
                "nud",
                "permanent",
            ])
            .ok("ip neigh replace");
        let blocked = pair.ip_b;
        FilterLab {
            pair,
            bpffs: Bpffs::new(),
            blocked,
            allowed,
        }
    }

    /// Where the loader pins map `name` of an XDP object (PIN_GLOBAL_NS).
    fn pin(&self, name: &str) -> PathBuf {
        self.bpffs.path().join("xdp/globals").join(name)
    }

    /// `rtc -n A ARGS` with the lab's bpffs.
    fn rtc(&self, args: &[&str]) -> Run {
        self.pair.a.rtc_env(&[self.bpffs.env()], args)
    }
}

/// The whole walk-through in one XDP mode: attach, block a source through the map,
/// count, compare with ip and bpftool, detach.
fn filter_blocks_one_source(mode: &str, mode_word: &str) {
    let lab = FilterLab::new();
    let (pair, dev) = (&lab.pair, lab.pair.dev_a.as_str());
    let obj = bpf_obj_arg("xdp_ip_filter");

    lab.rtc(&["link", "set", "dev", dev, mode, "obj", &obj])
        .ok("rtc link set xdp obj");
    let prog_id = xdp_prog_id(&pair.a, dev).expect("ip sees an XDP program");

    // rtc link show prints what ip link show prints, in text and JSON.
    for options in [&[][..], &["-j"], &["-j", "-p"]] {
        let mut args = options.to_vec();
        args.extend_from_slice(&["link", "show", "dev", dev]);
        same_as_ip(&pair.a, &args);
    }
    let shown = pair
        .a
        .rtc(&["link", "show", "dev", dev])
        .ok("rtc link show");
    let first_line = shown.stdout.lines().next().unwrap_or_default();
    assert!(
        first_line.contains(&format!(" mtu 1500 {mode_word} qdisc ")),
        "mode word `{mode_word}` on the first line:\n{}",
        shown.stdout
    );
    assert!(
        shown.stdout.contains(&format!(
            "\n    prog/xdp id {prog_id} name xdp_ip_filter tag "
        )),
        "{}",
        shown.stdout
    );
    same_as_ip(&pair.a, &["link", "show"]);

    // Nothing blocked yet: both sources get through.
    assert_eq!(ping_from(&pair.b, Some(lab.blocked), pair.ip_a, 2), (2, 2));
    assert_eq!(ping_from(&pair.b, Some(lab.allowed), pair.ip_a, 2), (2, 2));
    assert_eq!(percpu_sum(&lab.pin("xdp_drops")), 0);

    // Block one source from user space, as bpftool would.
    let blocked_pin = lab.pin("xdp_blocked").to_string_lossy().into_owned();
    let mut update = vec!["map", "update", "pinned", blocked_pin.as_str(), "key"];
    let key = key_words(lab.blocked);
    update.extend(key.iter().map(String::as_str));
    update.extend_from_slice(&["value", "0", "0", "0", "0", "0", "0", "0", "0"]);
    rtc(&update).ok("rtc map update");

    let (sent, answered) = ping_from(&pair.b, Some(lab.blocked), pair.ip_a, 5);
    assert_eq!(
        (sent, answered),
        (5, 0),
        "the blocked source must be dropped"
    );
    assert_eq!(
        ping_from(&pair.b, Some(lab.allowed), pair.ip_a, 3),
        (3, 3),
        "the other source must pass"
    );
    assert_eq!(
        percpu_sum(&lab.pin("xdp_drops")),
        sent - answered,
        "the per-CPU drop counter, summed over CPUs, counts the dropped pings"
    );

    // rtc map reads what bpftool reads.
    let drops_pin = lab.pin("xdp_drops").to_string_lossy().into_owned();
    for options in [&[][..], &["-j"], &["-p"]] {
        for command in [
            &["map", "dump", "pinned", &blocked_pin][..],
            &["map", "dump", "pinned", &drops_pin],
            &["map", "show", "pinned", &drops_pin],
            &[
                "map", "lookup", "pinned", &drops_pin, "key", "0", "0", "0", "0",
            ],
        ] {
            let mut args = options.to_vec();
            args.extend_from_slice(command);
            same_as_bpftool(&args);
        }
    }
    let dump = rtc(&["map", "dump", "pinned", &blocked_pin]).ok("rtc map dump");
    let [a, b, c, d] = lab.blocked.octets();
    assert_eq!(
        dump.stdout,
        format!(
            "key: {a:02x} {b:02x} {c:02x} {d:02x}  value: 05 00 00 00 00 00 00 00\nFound 1 element\n"
        ),
        "the per-source counter of the blocked address"
    );

    // off restores traffic and leaves nothing attached.
    lab.rtc(&["link", "set", "dev", dev, mode, "off"])
        .ok("rtc link set xdp off");
    assert_eq!(xdp_prog_id(&pair.a, dev), None);
    assert_eq!(ping_from(&pair.b, Some(lab.blocked), pair.ip_a, 2), (2, 2));
    same_as_ip(&pair.a, &["link", "show", "dev", dev]);
}

#[test]
fn xdp_ip_filter_generic_drops_a_blocked_source_and_counts_it() {
    if !require_privileged() {
        return;
    }
    filter_blocks_one_source("xdpgeneric", "xdpgeneric");
}

#[test]
fn xdp_ip_filter_native_on_veth_drops_a_blocked_source_and_counts_it() {
    if !require_privileged() {
        return;
    }
    filter_blocks_one_source("xdpdrv", "xdp");
}

#[test]
fn kernel_refusals_and_usage_errors_read_as_ip_prints_them() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let (ns, dev) = (&pair.a, pair.dev_a.as_str());
    let pass = bpf_obj_arg("xdp-pass");
    ns.rtc(&["link", "set", "dev", dev, "xdp", "obj", &pass])
        .ok("rtc link set xdp obj");
    let attached = xdp_prog_id(ns, dev).expect("attached");

    // Refused by the kernel: same message and exit code as ip, nothing changed.
    let again = same_as_ip(ns, &["link", "set", "dev", dev, "xdp", "obj", &pass]);
    assert_eq!(
        (again.status, again.stderr.as_str()),
        (2, "Error: XDP program already attached.\n")
    );
    let generic = same_as_ip(ns, &["link", "set", "dev", dev, "xdpgeneric", "obj", &pass]);
    assert_eq!(
        generic.stderr,
        "Error: Native and generic XDP can't be active at the same time.\n"
    );
    // -force: rtc sends REPLACE with the expected program, the kernel still says why.
    let forced = same_as_ip(
        ns,
        &[
            "-force",
            "link",
            "set",
            "dev",
            dev,
            "xdpgeneric",
            "obj",
            &pass,
        ],
    );
    assert_eq!(forced.status, 2);
    assert_eq!(xdp_prog_id(ns, dev), Some(attached));

    // Command-line and device errors.
    for args in [
        &["link", "set", "dev", "nosuchdev", "xdp", "off"][..],
        &["link", "set", "dev", dev, "xdp", "off", "extra"],
        &["link", "set", "dev", dev, "xdp"],
        &["link", "set", "dev", dev, "xdp", "frob", "x"],
        &["link", "set", "dev", dev, "dev", "other", "xdp", "off"],
        &["link", "set", "xdp", "off"],
        &["link", "show", "dev", "nosuchdev"],
        &["link", "frob"],
    ] {
        same_as_ip(ns, args);
    }
    assert_eq!(xdp_prog_id(ns, dev), Some(attached));

    // `xdp none` detaches like `off`; -force without anything attached attaches.
    same_as_ip(ns, &["link", "set", "dev", dev, "xdp", "none"]);
    assert_eq!(xdp_prog_id(ns, dev), None);
    ns.rtc(&["-force", "link", "set", "dev", dev, "xdp", "obj", &pass])
        .ok("rtc -force link set on an empty hook");
    assert!(xdp_prog_id(ns, dev).is_some());
}

#[test]
fn force_replace_with_a_stale_expected_program_fails_and_keeps_the_current_one() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let (ns, dev) = (&pair.a, pair.dev_a.as_str());
    let bpffs = Bpffs::new();
    let env = [bpffs.env()];
    let pass = bpf_obj_arg("xdp-pass");

    // Program A, kept alive by a pin so that its id stays valid after it is replaced.
    let pin_a = bpffs.path().join("prog_a").to_string_lossy().into_owned();
    bpftool(&["prog", "load", &pass, &pin_a, "type", "xdp"]).ok("bpftool prog load");
    ns.rtc_env(
        &env,
        &["link", "set", "dev", dev, "xdpgeneric", "pinned", &pin_a],
    )
    .ok("rtc link set xdpgeneric pinned");
    let id_a = xdp_prog_id(ns, dev).expect("A attached");

    // Someone else replaces A with B, using the real ip.
    ns.ip(&[
        "-force",
        "link",
        "set",
        "dev",
        dev,
        "xdpgeneric",
        "obj",
        &pass,
    ])
    .ok("ip -force link set");
    let id_b = xdp_prog_id(ns, dev).expect("B attached");
    assert_ne!(id_a, id_b);

    // rtc still believes A is attached (the test hook feeds it the stale id): the
    // kernel must refuse, rtc must say so, and B must stay.
    let filter = bpf_obj_arg("xdp_ip_filter");
    let mut stale_env = env.to_vec();
    stale_env.push(("RTC_XDP_EXPECTED_ID".to_string(), id_a.to_string()));
    let stale = run_env(
        rtc_bin(),
        &[
            "-n",
            ns.name(),
            "-force",
            "link",
            "set",
            "dev",
            dev,
            "xdpgeneric",
            "obj",
            &filter,
        ],
        &stale_env,
    );
    assert_eq!(stale.status, 2, "{stale}");
    assert_eq!(
        stale.stderr,
        format!(
            "Error: Active program does not match expected.\n\
             The XDP program on \"{dev}\" changed while rtc was replacing it \
             (expected id {id_a}, attached now: id {id_b}); nothing was replaced.\n"
        )
    );
    assert_eq!(xdp_prog_id(ns, dev), Some(id_b), "B must still be attached");

    // With what is really attached, -force replaces B.
    ns.rtc_env(
        &env,
        &[
            "-force",
            "link",
            "set",
            "dev",
            dev,
            "xdpgeneric",
            "obj",
            &filter,
        ],
    )
    .ok("rtc -force link set");
    let id_c = xdp_prog_id(ns, dev).expect("C attached");
    assert_ne!(id_c, id_b);
    let shown = ns.rtc(&["link", "show", "dev", dev]).ok("rtc link show");
    assert!(
        shown.stdout.contains(" name xdp_ip_filter "),
        "{}",
        shown.stdout
    );
}

#[test]
fn map_commands_read_and_write_like_bpftool() {
    if !require_privileged() {
        return;
    }
    let lab = FilterLab::new();
    let dev = lab.pair.dev_a.as_str();
    lab.rtc(&[
        "link",
        "set",
        "dev",
        dev,
        "xdpgeneric",
        "obj",
        &bpf_obj_arg("xdp_ip_filter"),
    ])
    .ok("rtc link set xdpgeneric obj");
    let blocked = lab.pin("xdp_blocked").to_string_lossy().into_owned();
    let drops = lab.pin("xdp_drops").to_string_lossy().into_owned();
    let map_id = {
        let out = bpftool(&["-j", "map", "show", "pinned", &blocked]).ok("bpftool map show");
        let map: Value = serde_json::from_str(&out.stdout).expect("JSON");
        map["id"].as_u64().expect("an id").to_string()
    };

    // Writes in bpftool's three byte syntaxes, checked with bpftool.
    rtc(&[
        "map", "update", "pinned", &blocked, "key", "10", "0", "0", "1", "value", "1", "0", "0",
        "0", "0", "0", "0", "0",
    ])
    .ok("decimal bytes");
    rtc(&[
        "map", "update", "id", &map_id, "key", "hex", "0a", "00", "00", "02", "value", "hex", "ff",
        "0", "0", "0", "0", "0", "0", "1", "noexist",
    ])
    .ok("hex bytes");
    rtc(&[
        "map", "update", "pinned", &blocked, "key", "012", "0x0", "00", "03", "value", "0", "0",
        "0", "0", "0", "0", "0", "0", "any",
    ])
    .ok("octal and 0x bytes");
    rtc(&[
        "map", "update", "pinned", &drops, "key", "0", "0", "0", "0", "value", "7", "0", "0", "0",
        "0", "0", "0", "0",
    ])
    .ok("per-CPU update");
    let looked = bpftool(&[
        "map", "lookup", "pinned", &blocked, "key", "10", "0", "0", "2",
    ])
    .ok("bpftool map lookup");
    assert_eq!(
        looked.stdout,
        "key: 0a 00 00 02  value: ff 00 00 00 00 00 00 01\n"
    );

    let id_words = ["id", map_id.as_str()];
    for options in [&[][..], &["-j"], &["-p"]] {
        for command in [
            &["map", "dump", "pinned", &blocked][..],
            &["map", "dump", "pinned", &drops],
            &[
                "map", "lookup", "pinned", &blocked, "key", "10", "0", "0", "1",
            ],
            &[
                "map", "lookup", "pinned", &blocked, "key", "10", "0", "0", "9",
            ],
            &["map", "lookup", "pinned", &drops, "key", "0", "0", "0", "0"],
            &["map", "getnext", "pinned", &blocked],
            &[
                "map", "getnext", "pinned", &blocked, "key", "10", "0", "0", "1",
            ],
            &["map", "show", "pinned", &blocked],
            &["map", "show", id_words[0], id_words[1]],
            &[
                "map", "update", "pinned", &blocked, "key", "10", "0", "0", "2", "value", "0", "0",
                "0", "0", "0", "0", "0", "0", "noexist",
            ],
            &[
                "map", "update", "pinned", &blocked, "key", "10", "0", "0", "9", "value", "0", "0",
                "0", "0", "0", "0", "0", "0", "exist",
            ],
            &[
                "map", "update", "pinned", &blocked, "key", "10", "0", "0", "value", "1",
            ],
            &[
                "map", "update", "pinned", &blocked, "key", "10", "0", "0", "2", "value", "1", "0",
            ],
            &[
                "map", "update", "pinned", &blocked, "key", "10", "0", "0", "2",
            ],
            &[
                "map", "update", "pinned", &blocked, "key", "1", "2", "3", "4", "value", "0", "0",
                "0", "0", "0", "0", "0", "0", "any", "exist",
            ],
            &[
                "map", "delete", "pinned", &blocked, "key", "1", "2", "3", "4",
            ],
            &["map", "delete", "pinned", &blocked],
            &["map", "dump", "pinned", "/sys/fs/bpf/rtc-no-such-pin"],
            &["map", "dump", "id", "4294967295"],
            &["map", "dump", "id", "12x"],
            &["map", "dump", "frob", "1"],
        ] {
            let mut args = options.to_vec();
            args.extend_from_slice(command);
            same_as_bpftool(&args);
        }
    }
    // The same deletes, by both tools in turn, leave the same map.
    rtc(&[
        "map", "delete", "pinned", &blocked, "key", "10", "0", "0", "1",
    ])
    .ok("rtc map delete");
    bpftool(&[
        "map", "delete", "pinned", &blocked, "key", "10", "0", "0", "3",
    ])
    .ok("bpftool map delete");
    let dump = same_as_bpftool(&["map", "dump", "pinned", &blocked]);
    assert_eq!(
        dump.stdout,
        "key: 0a 00 00 02  value: ff 00 00 00 00 00 00 01\nFound 1 element\n"
    );
}
