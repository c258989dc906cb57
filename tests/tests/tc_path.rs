//! Kernel tests of the tc path: `qdisc add ... clsact` and `filter add/replace/del/show
//! ... bpf da obj FILE sec SEC`, run with the binary under test (`RTC_BIN`, default
//! target/debug/rtc) inside throwaway namespaces. Effects are proven with real traffic;
//! state is read back with the real `tc` and `bpftool`.
//!
//! Each test returns early (and passes) when kernel tests cannot run here, unless
//! `RTC_REQUIRE_PRIVILEGED=1`; see `rtc_tests::require_privileged`.

use rtc_tests::{
    Netns, Run, VethPair, arping_ok, bpf_obj_arg, filter_prog_id, map_info, map_lookup_u64,
    ping_count, ping_ok, prog_map_ids, require_privileged, tc_filters, tcp_connect_ok,
};

/// Adds the clsact qdisc to the `a` end of the pair with the binary under test.
fn add_clsact(pair: &VethPair) {
    pair.a
        .rtc(&["qdisc", "add", "dev", &pair.dev_a, "clsact"])
        .ok("rtc qdisc add clsact");
}

/// Attaches `obj` (a name from bpf-src/) at `hook` of the `a` end with the binary under
/// test; `extra` goes between the hook and `bpf` (pref, handle, protocol, chain).
fn add_filter(pair: &VethPair, hook: &str, extra: &[&str], obj: &str, sec: &str) {
    let obj = bpf_obj_arg(obj);
    let mut args = vec!["filter", "add", "dev", &pair.dev_a, hook];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["bpf", "da", "obj", &obj, "sec", sec]);
    pair.a.rtc(&args).ok("rtc filter add");
}

/// The `bpf_name` of every filter on the `a` end's `hook`, read with the real tc.
fn filter_names(pair: &VethPair, hook: &str) -> Vec<String> {
    tc_filters(&pair.a, &pair.dev_a, hook)
        .iter()
        .map(|f| f["options"]["bpf_name"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn drop_arp_on_ingress_stops_arp_but_not_ip() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    assert!(
        arping_ok(&pair.b, &pair.dev_b, pair.ip_a),
        "arping must work before anything is attached"
    );

    add_clsact(&pair);
    add_filter(&pair, "ingress", &[], "drop-arp", "ingress");

    assert!(
        !arping_ok(&pair.b, &pair.dev_b, pair.ip_a),
        "ARP requests must be dropped on ingress"
    );
    pair.static_neighbours();
    assert!(
        ping_ok(&pair.b, pair.ip_a),
        "IP must still flow with drop-arp attached"
    );

    let shown = pair
        .a
        .tc(&["filter", "show", "dev", &pair.dev_a, "ingress"])
        .ok("tc filter show");
    assert!(
        shown
            .stdout
            .contains("drop-arp.o:[ingress] direct-action not_in_hw id "),
        "real tc must see the filter:\n{}",
        shown.stdout
    );
    assert!(shown.stdout.contains(" name drop tag "), "{}", shown.stdout);
}

#[test]
fn drop_icmp_on_ingress_stops_ping_but_not_tcp() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    assert!(ping_ok(&pair.b, pair.ip_a), "ping must work before attach");

    add_clsact(&pair);
    add_filter(&pair, "ingress", &[], "drop-icmp", "ingress");

    assert!(!ping_ok(&pair.b, pair.ip_a), "ICMP must be dropped");
    assert!(
        tcp_connect_ok(&pair.b, &pair.a, pair.ip_a, 8080),
        "TCP must still work"
    );
    assert_eq!(filter_names(&pair, "ingress"), ["drop-icmp.o:[ingress]"]);
}

#[test]
fn drop_tcp80_on_ingress_stops_only_port_80() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    assert!(
        tcp_connect_ok(&pair.b, &pair.a, pair.ip_a, 80),
        "port 80 must be reachable before attach"
    );

    add_clsact(&pair);
    add_filter(&pair, "ingress", &[], "drop-tcp80", "ingress");

    assert!(
        !tcp_connect_ok(&pair.b, &pair.a, pair.ip_a, 80),
        "TCP to port 80 must be dropped"
    );
    assert!(
        tcp_connect_ok(&pair.b, &pair.a, pair.ip_a, 8080),
        "TCP to another port must work"
    );
    assert!(ping_ok(&pair.b, pair.ip_a), "ping must work");
}

#[test]
fn egress_program_drops_outgoing_echo_replies() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    assert!(ping_ok(&pair.b, pair.ip_a), "ping must work before attach");

    add_clsact(&pair);
    add_filter(&pair, "egress", &[], "egress", "egress");

    assert!(
        !ping_ok(&pair.b, pair.ip_a),
        "a's echo replies must not leave a"
    );
    assert!(
        ping_ok(&pair.a, pair.ip_b),
        "a's own echo requests must still leave a"
    );
    assert_eq!(filter_names(&pair, "egress"), ["egress.o:[egress]"]);
    assert!(filter_names(&pair, "ingress").is_empty());
}

#[test]
fn replace_switches_program_and_keeps_one_filter() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    pair.static_neighbours();
    add_clsact(&pair);
    let slot = ["pref", "10", "handle", "1"];
    add_filter(&pair, "ingress", &slot, "drop-arp", "ingress");
    assert!(!arping_ok(&pair.b, &pair.dev_b, pair.ip_a));
    assert!(ping_ok(&pair.b, pair.ip_a));

    let icmp = bpf_obj_arg("drop-icmp");
    pair.a
        .rtc(&[
            "filter",
            "replace",
            "dev",
            &pair.dev_a,
            "ingress",
            "pref",
            "10",
            "handle",
            "1",
            "bpf",
            "da",
            "obj",
            &icmp,
            "sec",
            "ingress",
        ])
        .ok("rtc filter replace with drop-icmp");
    assert!(
        arping_ok(&pair.b, &pair.dev_b, pair.ip_a),
        "ARP must pass after replace"
    );
    assert!(!ping_ok(&pair.b, pair.ip_a), "ICMP must now be dropped");
    let filters = tc_filters(&pair.a, &pair.dev_a, "ingress");
    assert_eq!(filters.len(), 1, "exactly one filter: {filters:?}");
    assert_eq!(filters[0]["pref"], 10);
    assert_eq!(filters[0]["options"]["handle"], "0x1");
    assert_eq!(filters[0]["options"]["bpf_name"], "drop-icmp.o:[ingress]");

    // pass-all's section is `classifier`, the default: replace without `sec`.
    let pass = bpf_obj_arg("pass-all");
    pair.a
        .rtc(&[
            "filter",
            "replace",
            "dev",
            &pair.dev_a,
            "ingress",
            "pref",
            "10",
            "handle",
            "1",
            "bpf",
            "da",
            "obj",
            &pass,
        ])
        .ok("rtc filter replace with pass-all");
    assert!(ping_ok(&pair.b, pair.ip_a), "everything passes now");
    assert!(arping_ok(&pair.b, &pair.dev_b, pair.ip_a));
    assert_eq!(filter_names(&pair, "ingress"), ["pass-all.o:[classifier]"]);
}

#[test]
fn replace_creates_a_filter_when_none_exists() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    add_clsact(&pair);
    let obj = bpf_obj_arg("drop-arp");
    pair.a
        .rtc(&[
            "filter",
            "replace",
            "dev",
            &pair.dev_a,
            "ingress",
            "bpf",
            "da",
            "obj",
            &obj,
            "sec",
            "ingress",
        ])
        .ok("rtc filter replace");
    assert!(!arping_ok(&pair.b, &pair.dev_b, pair.ip_a));
    assert_eq!(filter_names(&pair, "ingress"), ["drop-arp.o:[ingress]"]);
}

#[test]
fn del_restores_traffic() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    pair.static_neighbours();
    add_clsact(&pair);
    // In direct-action mode the first filter's verdict is final (TC_ACT_OK ends the
    // walk), so a second dropping filter behind drop-arp would never see a packet;
    // pass-all sits behind it only to show that del removes one pref and no more.
    add_filter(&pair, "ingress", &["pref", "10"], "drop-arp", "ingress");
    add_filter(&pair, "ingress", &["pref", "20"], "pass-all", "classifier");
    assert!(!arping_ok(&pair.b, &pair.dev_b, pair.ip_a));

    pair.a
        .rtc(&["filter", "del", "dev", &pair.dev_a, "ingress", "pref", "10"])
        .ok("rtc filter del pref 10");
    assert!(
        arping_ok(&pair.b, &pair.dev_b, pair.ip_a),
        "ARP passes again"
    );
    assert_eq!(filter_names(&pair, "ingress"), ["pass-all.o:[classifier]"]);

    // Without pref, del flushes the hook.
    add_filter(&pair, "ingress", &["pref", "5"], "drop-icmp", "ingress");
    assert!(!ping_ok(&pair.b, pair.ip_a));
    pair.a
        .rtc(&["filter", "del", "dev", &pair.dev_a, "ingress"])
        .ok("rtc filter del");
    assert!(ping_ok(&pair.b, pair.ip_a), "ICMP passes again");
    assert!(filter_names(&pair, "ingress").is_empty());
}

#[test]
fn show_output_equals_tc_byte_for_byte() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let dev = pair.dev_a.as_str();

    // Before clsact exists, and with clsact but no filters.
    let mut cases: Vec<Vec<&str>> = vec![vec!["qdisc", "show"], vec!["qdisc", "show", "dev", dev]];
    compare_with_tc(&pair, &cases);
    add_clsact(&pair);
    cases.push(vec!["filter", "show", "dev", dev, "ingress"]);
    cases.push(vec!["filter", "show", "dev", dev, "egress"]);
    compare_with_tc(&pair, &cases);

    // Several filters: defaults, explicit pref/handle/protocol, another chain, egress.
    add_filter(&pair, "ingress", &[], "drop-arp", "ingress");
    add_filter(
        &pair,
        "ingress",
        &["protocol", "ip", "pref", "7", "handle", "3"],
        "drop-icmp",
        "ingress",
    );
    add_filter(&pair, "ingress", &["chain", "1"], "pass-all", "classifier");
    add_filter(&pair, "egress", &[], "egress", "egress");
    compare_with_tc(&pair, &cases);
}

/// A listing longer than rtc's program cache (600 filters in two chains; the cache
/// is emptied every 256 programs) prints what tc prints, in every output form.
#[test]
fn long_show_output_equals_tc_byte_for_byte() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let dev = pair.dev_a.as_str();
    add_clsact(&pair);
    let obj = bpf_obj_arg("drop-arp");
    let mut lines: String = (1..=500)
        .map(|pref| {
            format!(
                "filter add dev {dev} ingress pref {pref} handle 1 bpf da obj {obj} sec ingress\n"
            )
        })
        .collect();
    let dir = rtc_tests::TempDir::new("long-show");
    let batch = dir.path().join("adds");
    std::fs::write(&batch, &lines).unwrap();
    pair.a
        .tc(&["-batch", &batch.to_string_lossy()])
        .ok("tc -batch of 500 adds");
    lines = (501..=600)
        .map(|pref| {
            format!("filter add dev {dev} ingress pref {pref} chain 2 handle 1 bpf da obj {obj} sec ingress\n")
        })
        .collect();
    std::fs::write(&batch, &lines).unwrap();
    pair.a
        .tc(&["-batch", &batch.to_string_lossy()])
        .ok("tc -batch of 100 adds in chain 2");
    compare_with_tc(&pair, &[vec!["filter", "show", "dev", dev, "ingress"]]);
}

/// Runs each command with every output flag combination through both the binary under
/// test and the real tc, and requires identical exit status, stdout and stderr.
fn compare_with_tc(pair: &VethPair, commands: &[Vec<&str>]) {
    let flag_sets: [&[&str]; 8] = [
        &[],
        &["-j"],
        &["-d"],
        &["-s"],
        &["-s", "-d"],
        &["-j", "-p"],
        &["-j", "-d"],
        &["-j", "-s"],
    ];
    for command in commands {
        for flags in flag_sets {
            let args: Vec<&str> = flags.iter().chain(command.iter()).copied().collect();
            let expected = pair.a.tc(&args);
            let actual = pair.a.rtc(&args);
            assert_eq!(
                actual,
                expected,
                "`rtc -n NS {}` differs from tc\n--- rtc ---\n{actual}\n--- tc ---\n{expected}",
                args.join(" ")
            );
        }
    }
}

/// A pair whose `a` end drops ARP on ingress (attached with the binary under test),
/// with static neighbours so that IP works; returns it with tc's view of the filters.
fn armed_pair() -> (VethPair, Vec<serde_json::Value>) {
    let pair = VethPair::new();
    pair.static_neighbours();
    add_clsact(&pair);
    add_filter(
        &pair,
        "ingress",
        &["pref", "10", "handle", "1"],
        "drop-arp",
        "ingress",
    );
    let filters = tc_filters(&pair.a, &pair.dev_a, "ingress");
    assert_eq!(filters.len(), 1);
    assert_still_dropping(&pair, &filters);
    (pair, filters)
}

/// Requires the filters on `a`'s ingress to be exactly `before` (same program ids)
/// and drop-arp to still be working.
#[track_caller]
fn assert_still_dropping(pair: &VethPair, before: &[serde_json::Value]) {
    let now = tc_filters(&pair.a, &pair.dev_a, "ingress");
    assert_eq!(now, before, "the existing filter must be left untouched");
    assert!(
        !arping_ok(&pair.b, &pair.dev_b, pair.ip_a),
        "the existing filter must still drop ARP"
    );
    assert!(ping_ok(&pair.b, pair.ip_a), "IP must still flow");
}

/// Runs a command that must fail with tc and with the binary under test, in the same
/// state (tc first, so that a wrong success cannot change what tc sees), and requires
/// the same exit status. Returns the binary under test's run.
#[track_caller]
fn fails_like_tc(pair: &VethPair, args: &[&str]) -> Run {
    let expected = pair.a.tc(args);
    assert!(!expected.success(), "tc must fail:\n{expected}");
    let actual = pair.a.rtc(args);
    assert!(!actual.success(), "must fail:\n{actual}");
    assert_eq!(
        actual.status, expected.status,
        "exit status must be tc's\n--- rtc ---\n{actual}\n--- tc ---\n{expected}"
    );
    actual
}

#[test]
fn error_unknown_device() {
    if !require_privileged() {
        return;
    }
    let (pair, before) = armed_pair();
    let obj = bpf_obj_arg("drop-arp");
    let run = fails_like_tc(
        &pair,
        &[
            "filter",
            "add",
            "dev",
            "nosuchdev",
            "ingress",
            "bpf",
            "da",
            "obj",
            &obj,
            "sec",
            "ingress",
        ],
    );
    assert!(run.stderr.contains("nosuchdev"), "{run}");
    assert_still_dropping(&pair, &before);
}

#[test]
fn error_missing_clsact() {
    if !require_privileged() {
        return;
    }
    let (pair, before) = armed_pair();
    let obj = bpf_obj_arg("drop-icmp");
    // `lo` in a has no clsact qdisc.
    let run = fails_like_tc(
        &pair,
        &[
            "filter", "add", "dev", "lo", "ingress", "bpf", "da", "obj", &obj, "sec", "ingress",
        ],
    );
    assert!(!run.stderr.is_empty(), "{run}");
    let qdiscs = pair
        .a
        .tc(&["qdisc", "show", "dev", "lo"])
        .ok("tc qdisc show");
    assert!(
        !qdiscs.stdout.contains("clsact"),
        "no qdisc may be created behind the user's back:\n{}",
        qdiscs.stdout
    );
    assert_still_dropping(&pair, &before);
}

#[test]
fn error_missing_file() {
    if !require_privileged() {
        return;
    }
    let (pair, before) = armed_pair();
    let missing = "/nonexistent/rtc-test/missing.o";
    let run = fails_like_tc(
        &pair,
        &[
            "filter",
            "add",
            "dev",
            &pair.dev_a,
            "ingress",
            "bpf",
            "da",
            "obj",
            missing,
            "sec",
            "ingress",
        ],
    );
    assert!(!run.stderr.is_empty(), "{run}");
    assert_still_dropping(&pair, &before);
}

#[test]
fn error_missing_section() {
    if !require_privileged() {
        return;
    }
    let (pair, before) = armed_pair();
    let obj = bpf_obj_arg("drop-icmp");
    let run = fails_like_tc(
        &pair,
        &[
            "filter",
            "add",
            "dev",
            &pair.dev_a,
            "ingress",
            "bpf",
            "da",
            "obj",
            &obj,
            "sec",
            "nosuchsec",
        ],
    );
    assert!(run.stderr.contains("nosuchsec"), "{run}");
    assert_still_dropping(&pair, &before);
}

#[test]
fn error_verifier_rejection_shows_the_log() {
    if !require_privileged() {
        return;
    }
    let (pair, before) = armed_pair();
    let obj = bpf_obj_arg("bad-verifier");
    let run = fails_like_tc(
        &pair,
        &[
            "filter",
            "add",
            "dev",
            &pair.dev_a,
            "ingress",
            "bpf",
            "da",
            "obj",
            &obj,
            "sec",
            "ingress",
        ],
    );
    assert!(
        run.stderr.contains("invalid access to packet"),
        "the verifier's complaint must be shown:\n{run}"
    );
    assert_still_dropping(&pair, &before);
}

#[test]
fn error_replace_with_bad_object_keeps_the_old_filter() {
    if !require_privileged() {
        return;
    }
    let (pair, before) = armed_pair();
    let obj = bpf_obj_arg("bad-verifier");
    let run = fails_like_tc(
        &pair,
        &[
            "filter",
            "replace",
            "dev",
            &pair.dev_a,
            "ingress",
            "pref",
            "10",
            "handle",
            "1",
            "bpf",
            "da",
            "obj",
            &obj,
            "sec",
            "ingress",
        ],
    );
    assert!(run.stderr.contains("invalid access to packet"), "{run}");
    assert_still_dropping(&pair, &before);
}

#[test]
fn legacy_maps_section_counts_packets() {
    if !require_privileged() {
        return;
    }
    const PINGS: u32 = 5;
    let pair = VethPair::new();
    // Static neighbours and no IPv6: the only packets arriving at a are the pings.
    pair.static_neighbours();
    add_clsact(&pair);
    add_filter(&pair, "ingress", &[], "count-packets", "ingress");

    let filters = tc_filters(&pair.a, &pair.dev_a, "ingress");
    assert_eq!(filters.len(), 1, "{filters:?}");
    let maps = prog_map_ids(filter_prog_id(&filters[0]));
    assert_eq!(maps.len(), 1, "the program uses one map: {maps:?}");
    let info = map_info(maps[0]);
    assert_eq!(info["type"], "array", "{info}");
    assert_eq!(info["bytes_key"], 4, "{info}");
    assert_eq!(info["bytes_value"], 8, "{info}");
    assert_eq!(info["max_entries"], 1, "{info}");
    assert_eq!(map_lookup_u64(maps[0], 0), 0, "nothing counted yet");

    assert!(ping_count(&pair.b, pair.ip_a, PINGS), "pings are answered");
    assert_eq!(map_lookup_u64(maps[0], 0), u64::from(PINGS));
}

#[test]
fn same_kernel_state_as_tc() {
    if !require_privileged() {
        return;
    }
    // tc attaches on a's end, the binary under test on b's end, same commands.
    let pair = VethPair::new();
    let obj = bpf_obj_arg("drop-arp");
    let attach = |ns: &Netns, dev: &str, runner: fn(&Netns, &[&str]) -> Run| {
        runner(ns, &["qdisc", "add", "dev", dev, "clsact"]).ok("qdisc add");
        runner(
            ns,
            &[
                "filter", "add", "dev", dev, "ingress", "bpf", "da", "obj", &obj, "sec", "ingress",
            ],
        )
        .ok("filter add");
    };
    attach(&pair.a, &pair.dev_a, Netns::tc);
    attach(&pair.b, &pair.dev_b, Netns::rtc);

    let by_tc = tc_filters(&pair.a, &pair.dev_a, "ingress");
    let by_rtc = tc_filters(&pair.b, &pair.dev_b, "ingress");
    let without_id = |filters: &[serde_json::Value]| {
        let mut filters = filters.to_vec();
        for f in &mut filters {
            f["options"]["prog"]["id"] = serde_json::Value::Null;
        }
        filters
    };
    assert_eq!(without_id(&by_rtc), without_id(&by_tc));

    let qdisc_a = pair.a.tc(&["qdisc", "show", "dev", &pair.dev_a]).stdout;
    let qdisc_b = pair.b.tc(&["qdisc", "show", "dev", &pair.dev_b]).stdout;
    assert_eq!(
        qdisc_b.replace(&pair.dev_b, "DEV"),
        qdisc_a.replace(&pair.dev_a, "DEV")
    );
}

#[test]
fn abbreviated_keywords_work_like_tc() {
    if !require_privileged() {
        return;
    }
    let pair = VethPair::new();
    let obj = bpf_obj_arg("drop-arp");
    pair.a
        .rtc(&["q", "a", "dev", &pair.dev_a, "clsact"])
        .ok("rtc q a");
    pair.a
        .rtc(&[
            "f",
            "a",
            "dev",
            &pair.dev_a,
            "ingress",
            "bpf",
            "da",
            "obj",
            &obj,
            "sec",
            "ingress",
        ])
        .ok("rtc f a");
    assert!(!arping_ok(&pair.b, &pair.dev_b, pair.ip_a));
    let show = ["f", "sh", "dev", &pair.dev_a, "ingress"];
    assert_eq!(pair.a.rtc(&show), pair.a.tc(&show));
}
