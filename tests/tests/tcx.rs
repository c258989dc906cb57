//! Kernel tests of the tcx and bpf-link path: `rtc net attach|detach|show` and
//! `rtc bpflink`, run with the binary under test inside throwaway namespaces joined
//! by a veth pair. Effects are proven with real traffic (ping across the pair);
//! state is read back by independent witnesses: the chain with a direct
//! `BPF_PROG_QUERY` (bpftool 7.1 cannot list tcx), `bpftool link show`,
//! `bpftool net show` (byte for byte for what 7.1 lists), `ip link show` for XDP.
//!
//! Each test returns early (and passes) when kernel tests cannot run here, unless
//! `RTC_REQUIRE_PRIVILEGED=1`; see `rtc_tests::require_privileged`.

use std::path::Path;
use std::time::{Duration, Instant};

use bpf_sys::consts::attach_type;
use rtc_tests::{
    Bpffs, Netns, Run, TempDir, VethPair, bpf_obj_arg, bpftool, in_netns, map_lookup_u64, ping_ok,
    prog_map_ids, require_privileged,
};
use serde_json::Value;

/// The tcx chain of `dev` in `ns` as the kernel reports it: (prog id, link id) in
/// run order, and the revision.
fn chain(ns: &Netns, dev: &str, egress: bool) -> (Vec<(u32, u32)>, u64) {
    let dev = dev.to_string();
    in_netns(ns, move || {
        let index = nix::net::if_::if_nametoindex(dev.as_str()).expect("device exists");
        let kind = if egress {
            attach_type::TCX_EGRESS
        } else {
            attach_type::TCX_INGRESS
        };
        let q = bpf_sys::prog_query(index, kind).expect("BPF_PROG_QUERY");
        (
            q.entries.iter().map(|e| (e.prog_id, e.link_id)).collect(),
            q.revision,
        )
    })
}

fn prog_ids(ns: &Netns, dev: &str) -> Vec<u32> {
    chain(ns, dev, false).0.iter().map(|(p, _)| *p).collect()
}

/// A program's name from `bpftool prog show id N`.
fn prog_name(id: u32) -> String {
    let out = bpftool(&["-j", "prog", "show", "id", &id.to_string()]).ok("bpftool prog show");
    let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
    v["name"].as_str().unwrap_or_default().to_string()
}

/// Waits (at most 5 s) until ping from a to b works again.
fn ping_comes_back(pair: &VethPair) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if ping_ok(&pair.a, pair.ip_b) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn attach(pair: &VethPair, words: &[&str]) -> Run {
    let mut args = vec!["net", "attach"];
    args.extend_from_slice(words);
    pair.b.rtc(&args)
}

#[test]
fn drop_icmp_on_tcx_ingress_drops_ping_and_detach_restores_it() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    assert!(ping_ok(&pair.a, pair.ip_b), "ping works before");
    let obj = bpf_obj_arg("drop-icmp");
    attach(
        &pair,
        &[
            "tcx_ingress",
            "obj",
            &obj,
            "sec",
            "ingress",
            "dev",
            &pair.dev_b,
        ],
    )
    .ok("rtc net attach tcx_ingress");
    let ids = prog_ids(&pair.b, &pair.dev_b);
    assert_eq!(ids.len(), 1, "one program in the chain");
    assert_eq!(prog_name(ids[0]), "drop_icmp");
    assert!(!ping_ok(&pair.a, pair.ip_b), "ping is dropped by tcx");
    // ARP still passes: only ICMP is dropped.
    assert!(rtc_tests::arping_ok(&pair.a, &pair.dev_a, pair.ip_b));

    pair.b
        .rtc(&["net", "detach", "tcx_ingress", "dev", &pair.dev_b])
        .ok("rtc net detach");
    assert!(prog_ids(&pair.b, &pair.dev_b).is_empty());
    assert!(ping_comes_back(&pair), "ping works after detach");
}

/// Ping count from a to b (`count` pings, 0.1 s apart, at most 3 s).
fn ping_n(pair: &VethPair, count: u32) {
    let ip = pair.ip_b.to_string();
    let count = count.to_string();
    pair.a.exec(
        "ping",
        &[
            "-n", "-q", "-c", &count, "-i", "0.1", "-W", "1", "-w", "3", &ip,
        ],
    );
}

/// The ICMP count of the counter program `prog_id` (its one map, key 0).
fn counted(prog_id: u32) -> u64 {
    let maps = prog_map_ids(prog_id.into());
    assert_eq!(maps.len(), 1, "the counter has one map");
    map_lookup_u64(maps[0], 0)
}

#[test]
fn first_and_last_decide_who_sees_the_packet() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let (drop, count) = (bpf_obj_arg("drop-icmp"), bpf_obj_arg("tcx-count-icmp"));
    attach(
        &pair,
        &[
            "tcx_ingress",
            "obj",
            &drop,
            "sec",
            "ingress",
            "dev",
            &pair.dev_b,
        ],
    )
    .ok("attach dropper");

    // The counter first: it sees the pings before the dropper discards them. `tcx`
    // alone takes the direction from the section name (tcx/ingress).
    attach(&pair, &["tcx", "obj", &count, "dev", &pair.dev_b, "first"]).ok("counter first");
    let ids = prog_ids(&pair.b, &pair.dev_b);
    assert_eq!(ids.len(), 2);
    assert_eq!(prog_name(ids[0]), "count_icmp", "counter runs first");
    assert_eq!(prog_name(ids[1]), "drop_icmp");
    ping_n(&pair, 3);
    assert!(counted(ids[0]) >= 3, "a counter before the dropper counts");
    assert!(!ping_ok(&pair.a, pair.ip_b), "still dropped");

    let first = ids[0].to_string();
    pair.b
        .rtc(&[
            "net",
            "detach",
            "tcx_ingress",
            "dev",
            &pair.dev_b,
            "id",
            &first,
        ])
        .ok("detach the counter by id");
    assert_eq!(prog_ids(&pair.b, &pair.dev_b), [ids[1]]);

    // A fresh counter last: the dropper ends the chain first, it sees nothing.
    attach(
        &pair,
        &["tcx_ingress", "obj", &count, "dev", &pair.dev_b, "last"],
    )
    .ok("counter last");
    let ids = prog_ids(&pair.b, &pair.dev_b);
    assert_eq!(prog_name(ids[0]), "drop_icmp");
    assert_eq!(prog_name(ids[1]), "count_icmp", "counter runs last");
    ping_n(&pair, 3);
    assert_eq!(
        counted(ids[1]),
        0,
        "a counter after the dropper counts nothing"
    );

    // before/after by id put a program next to another one.
    let before = ids[1].to_string();
    attach(
        &pair,
        &[
            "tcx_ingress",
            "obj",
            &count,
            "dev",
            &pair.dev_b,
            "before",
            "id",
            &before,
        ],
    )
    .ok("counter before the last one");
    let now = prog_ids(&pair.b, &pair.dev_b);
    assert_eq!(now.len(), 3);
    assert_eq!((now[0], now[2]), (ids[0], ids[1]));
}

#[test]
fn a_stale_expected_revision_fails_and_changes_nothing() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let count = bpf_obj_arg("tcx-count-icmp");
    let (_, old) = chain(&pair.b, &pair.dev_b, false);
    let old_text = old.to_string();
    attach(
        &pair,
        &[
            "tcx_ingress",
            "obj",
            &count,
            "dev",
            &pair.dev_b,
            "expected_revision",
            &old_text,
        ],
    )
    .ok("attach at the current revision");
    let (before, rev) = chain(&pair.b, &pair.dev_b, false);
    assert!(rev > old);

    let drop = bpf_obj_arg("drop-icmp");
    let stale = attach(
        &pair,
        &[
            "tcx_ingress",
            "obj",
            &drop,
            "sec",
            "ingress",
            "dev",
            &pair.dev_b,
            "expected_revision",
            &old_text,
        ],
    );
    assert!(!stale.success(), "a stale revision must fail:\n{stale}");
    assert!(
        stale.stderr.contains("changed since revision") && stale.stderr.contains("ESTALE"),
        "says why:\n{stale}"
    );
    assert_eq!(
        chain(&pair.b, &pair.dev_b, false),
        (before.clone(), rev),
        "nothing changed"
    );
    assert!(ping_ok(&pair.a, pair.ip_b), "the dropper was not attached");

    // `-d net show` prints the revision the kernel reports; using it succeeds.
    let shown = pair
        .b
        .rtc(&["-d", "net", "show", "dev", &pair.dev_b])
        .ok("rtc -d net show");
    assert!(
        shown.stdout.contains(&format!(" revision {rev} \n")),
        "{shown}"
    );
    let rev_text = rev.to_string();
    attach(
        &pair,
        &[
            "tcx_ingress",
            "obj",
            &drop,
            "sec",
            "ingress",
            "dev",
            &pair.dev_b,
            "expected_revision",
            &rev_text,
        ],
    )
    .ok("attach at the revision shown");
    assert!(!ping_ok(&pair.a, pair.ip_b), "now dropped");
    // Detach by name finds the program in this chain (not others of that name).
    pair.b
        .rtc(&[
            "net",
            "detach",
            "tcx_ingress",
            "dev",
            &pair.dev_b,
            "name",
            "drop_icmp",
        ])
        .ok("detach by name");
    assert_eq!(chain(&pair.b, &pair.dev_b, false).0, before);
}

#[test]
fn a_pinned_link_outlives_rtc_and_goes_with_its_pin() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let bpffs = Bpffs::new();
    let pin = bpffs.path().join("drop-link");
    let pin_arg = pin.to_string_lossy().into_owned();
    let drop = bpf_obj_arg("drop-icmp");
    attach(
        &pair,
        &[
            "tcx_ingress",
            "obj",
            &drop,
            "sec",
            "ingress",
            "dev",
            &pair.dev_b,
            "link",
            "pin",
            &pin_arg,
        ],
    )
    .ok("attach through a pinned link");
    // rtc has exited; the pin owns the attachment.
    let (entries, _) = chain(&pair.b, &pair.dev_b, false);
    assert_eq!(entries.len(), 1);
    let (prog, link) = entries[0];
    assert_ne!(link, 0, "the program is owned by a link");
    assert!(!ping_ok(&pair.a, pair.ip_b), "dropped while the pin exists");

    // bpftool sees the link (7.1 knows tcx links only by number: type 11).
    let out = bpftool(&["-j", "link", "show", "id", &link.to_string()]).ok("bpftool link show");
    let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(v["prog_id"].as_u64(), Some(prog.into()));
    assert!(v["type"] == 11 || v["type"] == "tcx", "{v}");
    let shown = pair
        .b
        .rtc(&["bpflink", "show", "pinned", &pin_arg])
        .ok("rtc bpflink show");
    assert_eq!(
        shown.stdout,
        format!(
            "{link}: tcx  prog {prog}  \n\tifindex {}({})  attach_type tcx_ingress  \n",
            pair.dev_b,
            ifindex(&pair.b, &pair.dev_b)
        )
    );

    // A link-owned program is not detached by net detach; rtc says who owns it.
    let refused = pair.b.rtc(&[
        "net",
        "detach",
        "tcx_ingress",
        "dev",
        &pair.dev_b,
        "id",
        &prog.to_string(),
    ]);
    assert!(!refused.success());
    assert!(
        refused.stderr.contains(&format!("bpf link id {link}")),
        "{refused}"
    );
    assert_eq!(chain(&pair.b, &pair.dev_b, false).0.len(), 1);

    // A pinned link anchors placement: `before pinned LINK` goes in front of its
    // program.
    let count = bpf_obj_arg("tcx-count-icmp");
    attach(
        &pair,
        &[
            "tcx_ingress",
            "obj",
            &count,
            "dev",
            &pair.dev_b,
            "before",
            "pinned",
            &pin_arg,
        ],
    )
    .ok("before a pinned link");
    let (entries, _) = chain(&pair.b, &pair.dev_b, false);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1], (prog, link), "the linked program is now second");
    let counter = entries[0].0.to_string();
    pair.b
        .rtc(&[
            "net",
            "detach",
            "tcx_ingress",
            "dev",
            &pair.dev_b,
            "id",
            &counter,
        ])
        .ok("detach the counter");

    std::fs::remove_file(&pin).expect("remove the pin");
    assert!(ping_comes_back(&pair), "the attachment went with the pin");
    assert!(chain(&pair.b, &pair.dev_b, false).0.is_empty());
}

fn ifindex(ns: &Netns, dev: &str) -> u32 {
    let dev = dev.to_string();
    in_netns(ns, move || {
        nix::net::if_::if_nametoindex(dev.as_str()).expect("device")
    })
}

/// The XDP program id on `dev` from the real `ip -j link show`.
fn ip_xdp_id(ns: &Netns, dev: &str) -> Option<u64> {
    let out = ns
        .ip(&["-j", "link", "show", "dev", dev])
        .ok("ip -j link show");
    let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
    v[0]["xdp"]["prog"]["id"].as_u64()
}

#[test]
fn an_xdp_link_is_protected_from_netlink_and_named_by_rtc() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let bpffs = Bpffs::new();
    let pin = bpffs.path().join("xdp-link");
    let pin_arg = pin.to_string_lossy().into_owned();
    let xdp = bpf_obj_arg("xdp-pass");
    attach(
        &pair,
        &[
            "xdpgeneric",
            "obj",
            &xdp,
            "sec",
            "prog",
            "dev",
            &pair.dev_b,
            "link",
            "pin",
            &pin_arg,
        ],
    )
    .ok("attach XDP through a pinned link");
    let id = ip_xdp_id(&pair.b, &pair.dev_b).expect("ip shows the XDP program");

    let off = pair
        .b
        .rtc(&["link", "set", "dev", &pair.dev_b, "xdpgeneric", "off"]);
    assert!(
        !off.success(),
        "netlink cannot remove a link's program:\n{off}"
    );
    assert!(off.stderr.contains("owned by bpf link id"), "{off}");
    let off_any = pair
        .b
        .rtc(&["link", "set", "dev", &pair.dev_b, "xdp", "off"]);
    assert!(!off_any.success(), "{off_any}");
    assert!(off_any.stderr.contains("still attached"), "{off_any}");
    assert_eq!(ip_xdp_id(&pair.b, &pair.dev_b), Some(id), "still attached");

    // net show lists it with its link.
    let shown = pair
        .b
        .rtc(&["net", "show", "dev", &pair.dev_b])
        .ok("rtc net show");
    assert!(
        shown.stdout.contains(&format!(" generic id {id} link_id ")),
        "{shown}"
    );

    // A second pin keeps the link when the first goes; bpflink detach ends it.
    let second = bpffs.path().join("second");
    let second_arg = second.to_string_lossy().into_owned();
    pair.b
        .rtc(&["bpflink", "pin", "pinned", &pin_arg, &second_arg])
        .ok("rtc bpflink pin");
    std::fs::remove_file(&pin).expect("remove the first pin");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        ip_xdp_id(&pair.b, &pair.dev_b),
        Some(id),
        "held by the second pin"
    );
    let link: Value = serde_json::from_str(
        &bpftool(&["-j", "link", "show", "pinned", &second_arg])
            .ok("bpftool link show")
            .stdout,
    )
    .expect("JSON");
    assert_eq!(link["type"], "xdp");
    assert_eq!(link["prog_id"].as_u64(), Some(id));
    pair.b
        .rtc(&["bpflink", "detach", "pinned", &second_arg])
        .ok("rtc bpflink detach");
    assert_eq!(ip_xdp_id(&pair.b, &pair.dev_b), None, "detached at once");
    std::fs::remove_file(&second).expect("remove the second pin");
}

/// `rtc net show` against `bpftool net show` in `ns`: text, -j, -j -p, and per device.
fn assert_net_show_matches(ns: &Netns, dev: &str) {
    for (rtc_opts, tool_opts) in [
        (vec![], vec![]),
        (vec!["-j"], vec!["-j"]),
        (vec!["-j", "-p"], vec!["-j", "-p"]),
    ] {
        for dev_words in [vec![], vec!["dev", dev]] {
            let mut r = rtc_opts.clone();
            r.extend(["net", "show"]);
            r.extend(dev_words.iter().copied());
            let mut b = vec!["bpftool"];
            b.extend(tool_opts.iter().copied());
            b.extend(["net", "show"]);
            b.extend(dev_words.iter().copied());
            let ours = ns.rtc(&r).ok("rtc net show");
            let theirs = ns.exec(b[0], &b[1..]).ok("bpftool net show");
            assert_eq!(ours.stdout, theirs.stdout, "rtc {r:?} vs {b:?}");
        }
    }
}

#[test]
fn net_show_is_bpftools_for_xdp_and_tc() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let (ns, dev) = (&pair.b, pair.dev_b.as_str());
    assert_net_show_matches(ns, dev);
    let drop = bpf_obj_arg("drop-icmp");
    let pass = bpf_obj_arg("pass-all");
    ns.rtc(&["qdisc", "add", "dev", dev, "clsact"]).ok("qdisc");
    ns.rtc(&[
        "filter", "add", "dev", dev, "ingress", "bpf", "da", "obj", &drop, "sec", "ingress",
    ])
    .ok("filter");
    ns.rtc(&[
        "filter", "add", "dev", dev, "egress", "bpf", "da", "obj", &pass,
    ])
    .ok("filter");
    attach(
        &pair,
        &[
            "xdpgeneric",
            "obj",
            &bpf_obj_arg("xdp-pass"),
            "sec",
            "prog",
            "dev",
            dev,
        ],
    )
    .ok("xdp by netlink");
    let xdp_id = ip_xdp_id(ns, dev).expect("XDP attached");
    assert_net_show_matches(ns, dev);
    // -d adds what bpftool leaves out: the XDP program's name, cls_bpf pref/handle.
    let details = ns
        .rtc(&["-d", "net", "show", "dev", dev])
        .ok("rtc -d net show");
    assert!(
        details
            .stdout
            .contains(&format!(" generic id {xdp_id} name xdp_pass\n")),
        "{details}"
    );
    let filters = rtc_tests::tc_filters(ns, dev, "ingress");
    let pref = filters[0]["pref"].as_u64().expect("pref");
    assert!(
        details
            .stdout
            .contains(&format!(" pref {pref} handle 0x1\n")),
        "{details}"
    );

    // With a tcx chain too, the tc section gains newer bpftool's tcx lines first.
    attach(
        &pair,
        &["tcx_ingress", "obj", &drop, "sec", "ingress", "dev", dev],
    )
    .ok("tcx");
    let (entries, _) = chain(ns, dev, false);
    let theirs = ns
        .exec("bpftool", &["net", "show", "dev", dev])
        .ok("bpftool");
    let ours = ns.rtc(&["net", "show", "dev", dev]).ok("rtc net show");
    let line = format!(
        "{dev}({}) tcx/ingress drop_icmp prog_id {} \n",
        ifindex(ns, dev),
        entries[0].0
    );
    assert_eq!(
        ours.stdout,
        theirs.stdout.replacen("tc:\n", &format!("tc:\n{line}"), 1)
    );
    let json = ns
        .rtc(&["-j", "net", "show", "dev", dev])
        .ok("rtc -j net show");
    let v: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(v[0]["tc"][0]["kind"], "tcx/ingress");
    assert_eq!(v[0]["tc"][0]["prog_id"].as_u64(), Some(entries[0].0.into()));
    assert_eq!(v[0]["tc"][0]["link_id"].as_u64(), Some(0));
}

#[test]
fn bad_input_fails_clearly_and_changes_nothing() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let (ns, dev) = (&pair.b, pair.dev_b.as_str());
    let drop = bpf_obj_arg("drop-icmp");
    let check = |run: Run, says: &str| {
        assert!(!run.success(), "must fail:\n{run}");
        assert!(run.stderr.contains(says), "expected {says:?}:\n{run}");
        assert!(chain(ns, dev, false).0.is_empty(), "nothing attached");
        assert!(chain(ns, dev, true).0.is_empty(), "nothing attached");
    };
    check(
        attach(
            &pair,
            &[
                "tcx_ingress",
                "obj",
                &drop,
                "sec",
                "ingress",
                "dev",
                "nosuchdev0",
            ],
        ),
        "invalid devname nosuchdev0",
    );
    // A loaded XDP program by id: the library checks the type before the kernel.
    let bpffs = Bpffs::new();
    let prog_pin = bpffs.path().join("xdp-prog");
    let prog_pin_arg = prog_pin.to_string_lossy().into_owned();
    ns.rtc(&[
        "prog",
        "load",
        &bpf_obj_arg("xdp-pass"),
        &prog_pin_arg,
        "type",
        "xdp",
    ])
    .ok("rtc prog load");
    check(
        attach(&pair, &["tcx_egress", "pinned", &prog_pin_arg, "dev", dev]),
        "runs sched_cls programs",
    );
    // An existing pin path, and one outside a bpffs.
    let taken = bpffs.path().join("taken");
    std::fs::create_dir(&taken).expect("mkdir in bpffs");
    check(
        attach(
            &pair,
            &[
                "tcx_ingress",
                "obj",
                &drop,
                "sec",
                "ingress",
                "dev",
                dev,
                "link",
                "pin",
                &taken.to_string_lossy(),
            ],
        ),
        "exists already",
    );
    let elsewhere = TempDir::new("not-bpffs");
    let path = elsewhere.join("link");
    check(
        attach(
            &pair,
            &[
                "tcx_ingress",
                "obj",
                &drop,
                "sec",
                "ingress",
                "dev",
                dev,
                "link",
                "pin",
                &path.to_string_lossy(),
            ],
        ),
        "not in a bpffs",
    );
    assert!(!Path::new(&path).exists());
    // netkit programs are for netkit devices; this kernel has none.
    let netkit = if Path::new("/sys/module/netkit").exists() {
        "rtc does not attach netkit programs"
    } else {
        "this kernel has no netkit"
    };
    check(
        attach(
            &pair,
            &[
                "tcx",
                "obj",
                &bpf_obj_arg("netkit-pass"),
                "sec",
                "netkit/primary",
                "dev",
                dev,
            ],
        ),
        netkit,
    );
    // The direction of the section contradicts the attach type.
    check(
        attach(
            &pair,
            &[
                "tcx_egress",
                "obj",
                &bpf_obj_arg("tcx-count-icmp"),
                "dev",
                dev,
            ],
        ),
        "is for tcx_ingress",
    );
    assert!(ping_ok(&pair.a, pair.ip_b));
}

#[test]
fn explain_shows_the_attributes_and_the_answer() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let drop = bpf_obj_arg("drop-icmp");
    let out = pair
        .b
        .rtc(&[
            "--explain",
            "net",
            "attach",
            "tcx_ingress",
            "obj",
            &drop,
            "sec",
            "ingress",
            "dev",
            &pair.dev_b,
            "first",
        ])
        .ok("rtc --explain net attach");
    for needle in [
        "BPF_PROG_ATTACH",
        "target_ifindex",
        "attach_type                  46  (BPF_TCX_INGRESS)",
        "attach_flags                 8  (BPF_F_BEFORE)",
        "expected_revision",
        "kernel: 0 (attached)",
    ] {
        assert!(
            out.stderr.contains(needle),
            "missing {needle:?}:\n{}",
            out.stderr
        );
    }
    // Through a link: BPF_LINK_CREATE with the tcx member of its union.
    let bpffs = Bpffs::new();
    let pin = bpffs.path().join("explained");
    let pin_arg = pin.to_string_lossy().into_owned();
    let out = pair.b.rtc(&[
        "--explain",
        "net",
        "attach",
        "tcx_egress",
        "obj",
        &bpf_obj_arg("pass-all"),
        "dev",
        &pair.dev_b,
        "after",
        "id",
        &chain(&pair.b, &pair.dev_b, false).0[0].0.to_string(),
        "link",
        "pin",
        &pin_arg,
    ]);
    // `after` a program of the ingress chain: the kernel says it is not in this one.
    assert!(!out.success(), "{out}");
    for needle in [
        "BPF_LINK_CREATE",
        "attach_type                  47  (BPF_TCX_EGRESS)",
        "flags                        48  (BPF_F_AFTER | BPF_F_ID)",
        "tcx.expected_revision",
        "kernel: refused",
    ] {
        assert!(
            out.stderr.contains(needle),
            "missing {needle:?}:\n{}",
            out.stderr
        );
    }
    assert!(!pin.exists(), "nothing pinned");
    assert!(
        chain(&pair.b, &pair.dev_b, true).0.is_empty(),
        "nothing attached"
    );
}

#[test]
fn prog_load_pin_and_show_are_bpftools() {
    if !require_privileged() {
        return;
    }
    let bpffs = Bpffs::new();
    let dir = bpffs.path();
    let one = dir.join("counter");
    let maps = dir.join("maps");
    let all = dir.join("all");
    let (one_arg, maps_arg, all_arg) = (
        one.to_string_lossy().into_owned(),
        maps.to_string_lossy().into_owned(),
        all.to_string_lossy().into_owned(),
    );
    let count = bpf_obj_arg("tcx-count-icmp");
    rtc_tests::rtc(&["prog", "load", &count, &one_arg, "pinmaps", &maps_arg]).ok("prog load");
    assert!(maps.join("icmp_seen").exists(), "pinmaps pinned the map");
    rtc_tests::rtc(&["prog", "loadall", &count, &all_arg]).ok("prog loadall");
    let again = all.join("again");
    let again_arg = again.to_string_lossy().into_owned();
    let all_one = all.join("count_icmp").to_string_lossy().into_owned();
    rtc_tests::rtc(&["prog", "pin", "pinned", &all_one, &again_arg]).ok("prog pin");

    let id = {
        let out = bpftool(&["-j", "prog", "show", "pinned", &one_arg]).ok("bpftool");
        let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
        v["id"].as_u64().expect("an id").to_string()
    };
    for opts in [vec![], vec!["-j"], vec!["-j", "-p"]] {
        for which in [
            vec!["pinned", one_arg.as_str()],
            vec!["pinned", again_arg.as_str()],
            vec!["id", id.as_str()],
        ] {
            let mut args = opts.clone();
            args.extend(["prog", "show"]);
            args.extend(which.iter().copied());
            let ours = rtc_tests::rtc(&args).ok("rtc prog show");
            let theirs = bpftool(&args).ok("bpftool prog show");
            assert_eq!(ours.stdout, theirs.stdout, "{args:?}");
        }
    }
    // A taken path is refused before anything is loaded.
    let taken = rtc_tests::rtc(&["prog", "load", &count, &one_arg]);
    assert!(
        !taken.success() && taken.stderr.contains("exists already"),
        "{taken}"
    );
}

#[test]
fn replace_swaps_a_program_in_place() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let (ns, dev) = (&pair.b, pair.dev_b.as_str());
    let count = bpf_obj_arg("tcx-count-icmp");
    let pass = bpf_obj_arg("pass-all");
    let drop = bpf_obj_arg("drop-icmp");
    attach(&pair, &["tcx_ingress", "obj", &count, "dev", dev]).ok("counter");
    attach(&pair, &["tcx_ingress", "obj", &pass, "dev", dev]).ok("pass after it");
    let (entries, rev) = chain(ns, dev, false);
    let (counter, passer) = (entries[0].0, entries[1].0);
    assert!(ping_ok(&pair.a, pair.ip_b));

    // tcx: the dropper takes the counter's place, conditional on the revision.
    let (counter_text, rev_text) = (counter.to_string(), rev.to_string());
    attach(
        &pair,
        &[
            "tcx_ingress",
            "obj",
            &drop,
            "sec",
            "ingress",
            "dev",
            dev,
            "replace",
            "id",
            &counter_text,
            "expected_revision",
            &rev_text,
        ],
    )
    .ok("replace in place");
    let (now, _) = chain(ns, dev, false);
    assert_eq!(now.len(), 2);
    assert_eq!(prog_name(now[0].0), "drop_icmp", "in the counter's place");
    assert_eq!(now[1].0, passer);
    assert!(!ping_ok(&pair.a, pair.ip_b), "the replacement runs");
    // Again with the old revision (or the gone program): refused, nothing changes.
    let again = attach(
        &pair,
        &[
            "tcx_ingress",
            "obj",
            &count,
            "dev",
            dev,
            "replace",
            "id",
            &now[0].0.to_string(),
            "expected_revision",
            &rev_text,
        ],
    );
    assert!(
        !again.success() && again.stderr.contains("ESTALE"),
        "{again}"
    );
    assert_eq!(chain(ns, dev, false).0, now);

    // XDP: replace only the program that is there (XDP_FLAGS_REPLACE).
    attach(
        &pair,
        &[
            "xdpgeneric",
            "obj",
            &bpf_obj_arg("xdp-pass"),
            "sec",
            "prog",
            "dev",
            dev,
        ],
    )
    .ok("xdp");
    let old = ip_xdp_id(ns, dev).expect("XDP attached");
    let frags = bpf_obj_arg("xdp-frags-pass");
    attach(
        &pair,
        &[
            "xdpgeneric",
            "obj",
            &frags,
            "dev",
            dev,
            "replace",
            "id",
            &old.to_string(),
        ],
    )
    .ok("xdp replace");
    let new = ip_xdp_id(ns, dev).expect("XDP attached");
    assert_ne!(new, old);
    // Naming a program that is not the attached one is refused by the kernel.
    let pinned = Bpffs::new();
    let other = pinned.path().join("other");
    let other_arg = other.to_string_lossy().into_owned();
    ns.rtc(&[
        "prog",
        "load",
        &bpf_obj_arg("xdp-pass"),
        &other_arg,
        "type",
        "xdp",
    ])
    .ok("prog load");
    let wrong = attach(
        &pair,
        &[
            "xdpgeneric",
            "obj",
            &frags,
            "dev",
            dev,
            "replace",
            "pinned",
            &other_arg,
        ],
    );
    assert!(!wrong.success(), "{wrong}");
    assert_eq!(ip_xdp_id(ns, dev), Some(new), "unchanged");
}
