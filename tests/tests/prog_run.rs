//! `rtc prog run` against independent oracles:
//!
//! - the verdicts on the sample capture (`bpf-src/sample.pcap`) equal what real
//!   traffic of the same kinds (arping, ping, ping -6, TCP to 80 and 8080) shows
//!   through a veth pair with the program attached by `filter add` / `link set xdp`;
//! - for single packets, the return value equals `bpftool prog run ... data_in`;
//! - the TTL-decrementing program's `data_out` capture, read by `tcpdump -v`, shows
//!   each IPv4 TTL one less with a correct checksum, and nothing else changed;
//! - map state persists across the packets and is read back with `rtc map`.
//!
//! Kernel tests return early (and pass) when they cannot run here, unless
//! `RTC_REQUIRE_PRIVILEGED=1`; see `rtc_tests::require_privileged`.

use std::net::Ipv4Addr;
use std::path::Path;

use rtc_tests::sample::KINDS;
use rtc_tests::{
    Bpffs, Run, TempDir, VethPair, arping_ok, bpf_obj_arg, bpftool, require_privileged, rtc,
    rtc_bin, run, run_env, workspace_root,
};
use serde_json::Value;

fn sample() -> String {
    workspace_root()
        .join("bpf-src/sample.pcap")
        .to_string_lossy()
        .into_owned()
}

/// `rtc -j prog run ARGS`: the verdict of each packet, in order.
fn verdicts(run: Run) -> Vec<String> {
    let run = run.ok("rtc -j prog run");
    let doc: Value = serde_json::from_str(&run.stdout).expect("prog run -j prints JSON");
    doc["packets"]
        .as_array()
        .expect("packets")
        .iter()
        .map(|p| p["verdict"].as_str().expect("verdict").to_string())
        .collect()
}

#[test]
fn sample_capture_is_reproducible() {
    let committed = std::fs::read(sample()).expect("bpf-src/sample.pcap is committed");
    assert_eq!(
        committed,
        rtc_tests::sample::pcap_bytes(),
        "bpf-src/sample.pcap differs from its generator: run `cargo run -p rtc-tests --example sample_pcap`"
    );
    // tcpdump reads it and sees the packets the generator means.
    let dump = run("tcpdump", &["-nr", &sample()]);
    if dump.success() {
        let lines: Vec<&str> = dump.stdout.lines().collect();
        assert_eq!(lines.len(), KINDS.len(), "{dump}");
        assert!(lines[0].contains("ARP, Request who-has 10.0.0.2 tell 10.0.0.1"));
        assert!(lines[2].contains("10.0.0.1.40000 > 10.0.0.2.80: Flags [S]"));
        assert!(lines[3].contains("10.0.0.2.8080: Flags [S]"));
        assert!(lines[4].contains("IP6 fd00::1 > fd00::2: ICMP6, echo request"));
    }
}

/// Broken captures are refused before anything is loaded: exit 1, the packet named,
/// no panic. (No kernel needed: the capture is read first.)
#[test]
fn broken_captures_are_refused_with_the_packet_named() {
    let good = std::fs::read(sample()).unwrap();
    let dir = TempDir::new("prog-run-bad");
    let obj = bpf_obj_arg("drop-arp");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            good[..good.len() - 7].to_vec(),
            "packet 6: truncated: its header says 98 bytes were captured, but only 91 are left",
        ),
        (
            "magic",
            [b"\x00\x01\x02\x03".as_slice(), &good[4..]].concat(),
            "not a pcap or pcapng capture: it starts with 00010203",
        ),
        (
            "snaplen",
            [&good[..16], &60u32.to_le_bytes()[..], &good[20..]].concat(),
            "packet 2: 98 bytes captured, more than the capture's snaplen of 60 bytes",
        ),
        ("empty", Vec::new(), "the capture header is cut short"),
    ];
    for (name, bytes, message) in cases {
        let path = dir.join(format!("{name}.pcap"));
        std::fs::write(&path, bytes).unwrap();
        let path = path.to_string_lossy().into_owned();
        let out = rtc(&["prog", "run", "obj", &obj, "sec", "ingress", "pcap", &path]);
        assert_eq!(out.status, 1, "{name}: {out}");
        assert!(out.stderr.contains(message), "{name}: {out}");
        assert!(out.stderr.contains(&path), "{name}: names the file: {out}");
        assert!(!out.stderr.contains("panicked"), "{name}: {out}");
        assert!(out.stdout.is_empty(), "{name}: {out}");
    }
}

/// The verdict real traffic shows for each sample packet kind, with a program on
/// `b`'s ingress: the exchange succeeds (PASS) or not (DROP). `a` has a second
/// address, `.3`, for the sample's third sender, and both ends IPv6 addresses.
struct TrafficLab {
    pair: VethPair,
    ip_a3: Ipv4Addr,
}

impl TrafficLab {
    fn new() -> Self {
        let pair = VethPair::new();
        pair.static_neighbours();
        let [x, y, z, _] = pair.ip_a.octets();
        let ip_a3 = Ipv4Addr::new(x, y, z, 3);
        pair.a
            .ip(&["addr", "add", &format!("{ip_a3}/24"), "dev", &pair.dev_a])
            .ok("second address");
        pair.b
            .ip(&[
                "neigh",
                "replace",
                &ip_a3.to_string(),
                "lladdr",
                &pair.mac_a,
                "dev",
                &pair.dev_b,
                "nud",
                "permanent",
            ])
            .ok("neighbour for the second address");
        for (ns, dev, ip, peer, mac) in [
            (
                &pair.a,
                &pair.dev_a,
                "fd00:77::1",
                "fd00:77::2",
                &pair.mac_b,
            ),
            (
                &pair.b,
                &pair.dev_b,
                "fd00:77::2",
                "fd00:77::1",
                &pair.mac_a,
            ),
        ] {
            ns.exec(
                "sysctl",
                &["-qw", &format!("net.ipv6.conf.{dev}.disable_ipv6=0")],
            )
            .ok("enable IPv6");
            ns.ip(&[
                "-6",
                "addr",
                "add",
                &format!("{ip}/64"),
                "dev",
                dev,
                "nodad",
            ])
            .ok("IPv6 address");
            ns.ip(&[
                "-6",
                "neigh",
                "replace",
                peer,
                "lladdr",
                mac,
                "dev",
                dev,
                "nud",
                "permanent",
            ])
            .ok("IPv6 neighbour");
        }
        TrafficLab { pair, ip_a3 }
    }

    fn ping_from(&self, from: Ipv4Addr) -> bool {
        let (from, to) = (from.to_string(), self.pair.ip_b.to_string());
        let args = [
            "-n", "-q", "-c", "1", "-i", "0.2", "-w", "1", "-I", &from, &to,
        ];
        self.pair.a.exec("ping", &args).success()
    }

    fn tcp(&self, port: u16) -> bool {
        rtc_tests::tcp_connect_ok(&self.pair.a, &self.pair.b, self.pair.ip_b, port)
    }

    /// Whether each kind of [`KINDS`] gets through, in that order.
    fn passes(&self) -> Vec<bool> {
        let p = &self.pair;
        KINDS
            .iter()
            .map(|kind| match *kind {
                "arp request" => arping_ok(&p.a, &p.dev_a, p.ip_b),
                "icmp echo" => self.ping_from(p.ip_a),
                "tcp syn 80" => self.tcp(80),
                "tcp syn 8080" => self.tcp(8080),
                "ipv6 icmp echo" => {
                    p.a.exec(
                        "ping",
                        &[
                            "-6",
                            "-n",
                            "-q",
                            "-c",
                            "1",
                            "-i",
                            "0.2",
                            "-w",
                            "1",
                            "fd00:77::2",
                        ],
                    )
                    .success()
                }
                "icmp echo from 10.0.0.3" => self.ping_from(self.ip_a3),
                other => panic!("unknown sample kind {other}"),
            })
            .collect()
    }
}

fn pass_verdict(v: &str) -> bool {
    match v {
        "TC_ACT_OK" | "TC_ACT_UNSPEC" | "TC_ACT_PIPE" | "XDP_PASS" => true,
        "TC_ACT_SHOT" | "XDP_DROP" | "XDP_ABORTED" => false,
        other => panic!("verdict {other} has no plain pass/drop meaning"),
    }
}

#[test]
fn tc_verdicts_on_the_sample_equal_real_traffic() {
    if !require_privileged() {
        return;
    }
    let lab = TrafficLab::new();
    let p = &lab.pair;
    p.b.tc(&["qdisc", "add", "dev", &p.dev_b, "clsact"])
        .ok("tc qdisc add clsact");
    assert_eq!(
        lab.passes(),
        vec![true; KINDS.len()],
        "the lab passes everything bare"
    );
    for (prog, expected_drops) in [
        ("drop-arp", vec!["arp request"]),
        ("drop-icmp", vec!["icmp echo", "icmp echo from 10.0.0.3"]),
        ("drop-tcp80", vec!["tcp syn 80"]),
    ] {
        let obj = bpf_obj_arg(prog);
        let predicted = verdicts(rtc(&[
            "-j",
            "prog",
            "run",
            "obj",
            &obj,
            "sec",
            "ingress",
            "pcap",
            &sample(),
        ]));
        p.b.rtc(&[
            "filter", "replace", "dev", &p.dev_b, "ingress", "pref", "1", "handle", "1", "bpf",
            "da", "obj", &obj, "sec", "ingress",
        ])
        .ok("rtc filter replace");
        let real = lab.passes();
        let predicted: Vec<bool> = predicted.iter().map(|v| pass_verdict(v)).collect();
        assert_eq!(
            predicted, real,
            "{prog}: prog run vs traffic, kinds {KINDS:?}"
        );
        // And the oracle is not vacuous: exactly the expected kinds were dropped.
        let dropped: Vec<&str> = KINDS
            .iter()
            .zip(&real)
            .filter(|(_, pass)| !**pass)
            .map(|(k, _)| *k)
            .collect();
        assert_eq!(dropped, expected_drops, "{prog}");
    }
}

/// xdp_ip_filter with one source blocked through its pinned map: prog run drops
/// exactly the packets from that address, counts them in the map (read back with
/// `rtc map`), and the same program attached to a device does the same to real
/// traffic.
#[test]
fn xdp_ip_filter_drops_only_the_blocked_source() {
    if !require_privileged() {
        return;
    }
    let bpffs = Bpffs::new();
    let env = [bpffs.env()];
    let host_rtc = |args: &[&str]| run_env(rtc_bin(), args, &env);
    let obj = bpf_obj_arg("xdp_ip_filter");
    let blocked = bpffs.path().join("xdp/globals/xdp_blocked");
    let blocked = blocked.to_string_lossy();
    let run_args = [
        "-j",
        "prog",
        "run",
        "obj",
        &obj,
        "hook",
        "xdp",
        "pcap",
        &sample(),
    ];

    let before = verdicts(host_rtc(&run_args));
    assert_eq!(before, vec!["XDP_PASS"; KINDS.len()]);
    host_rtc(&[
        "map", "update", "pinned", &blocked, "key", "10", "0", "0", "1", "value", "0", "0", "0",
        "0", "0", "0", "0", "0",
    ])
    .ok("rtc map update");
    let after = verdicts(host_rtc(&run_args));
    let expected: Vec<&str> = KINDS
        .iter()
        .map(|k| match *k {
            "icmp echo" | "tcp syn 80" | "tcp syn 8080" => "XDP_DROP",
            _ => "XDP_PASS",
        })
        .collect();
    assert_eq!(after, expected, "only packets from 10.0.0.1 are dropped");
    // The program's counter kept its state across the packets: 3 drops.
    let dump = host_rtc(&[
        "-j", "map", "lookup", "pinned", &blocked, "key", "10", "0", "0", "1",
    ])
    .ok("rtc map lookup");
    let value: Value = serde_json::from_str(&dump.stdout).unwrap();
    assert_eq!(rtc_tests::le_bytes_u64(&value["value"]), 3, "{dump}");
    let text = host_rtc(&["map", "dump", "pinned", &blocked]).ok("rtc map dump");
    assert!(
        text.stdout
            .contains("key: 0a 00 00 01  value: 03 00 00 00 00 00 00 00"),
        "{text}"
    );

    // Real traffic: the same object on b's XDP hook, a's first address blocked.
    let lab = TrafficLab::new();
    let p = &lab.pair;
    p.b.rtc_env(
        &env,
        &["link", "set", "dev", &p.dev_b, "xdpgeneric", "obj", &obj],
    )
    .ok("rtc link set xdpgeneric");
    let octets = p.ip_a.octets().map(|o| o.to_string());
    let mut update = vec!["map", "update", "pinned", &blocked, "key"];
    update.extend(octets.iter().map(String::as_str));
    update.extend(["value", "0", "0", "0", "0", "0", "0", "0", "0"]);
    host_rtc(&update).ok("block a's first address");
    assert!(!lab.ping_from(p.ip_a), "the blocked source is dropped");
    assert!(lab.ping_from(lab.ip_a3), "another source passes");
    assert!(arping_ok(&p.a, &p.dev_a, p.ip_b), "ARP passes");
    assert!(
        !lab.tcp(8080),
        "any IPv4 from the blocked source is dropped"
    );
    // What prog run said per kind, against what happened per kind.
    let said: Vec<bool> = after.iter().map(|v| pass_verdict(v)).collect();
    assert_eq!(
        (said[0], said[1], said[3], said[5]),
        (true, false, false, true),
        "prog run: ARP pass, blocked ICMP/TCP drop, other source pass"
    );
    p.b.rtc_env(&env, &["link", "set", "dev", &p.dev_b, "xdpgeneric", "off"])
        .ok("detach");
}

/// For each sample packet alone, rtc's return value equals bpftool's on the same
/// pinned program and the same file; `--explain` shows the attributes and answer.
#[test]
fn retval_equals_bpftool_prog_run() {
    if !require_privileged() {
        return;
    }
    let bpffs = Bpffs::new();
    let dir = TempDir::new("prog-run-bpftool");
    let frames = rtc_tests::sample::frames();
    for (prog, kind) in [
        ("drop-tcp80", "sched_cls"),
        ("drop-arp", "sched_cls"),
        ("ttl-dec", "sched_cls"),
        ("xdp-pass", "xdp"),
    ] {
        let pin = bpffs.path().join(prog);
        let pin = pin.to_string_lossy().into_owned();
        run_env(
            rtc_bin(),
            &["prog", "load", &bpf_obj_arg(prog), &pin, "type", kind],
            &[bpffs.env()],
        )
        .ok("rtc prog load");
        for (i, frame) in frames.iter().enumerate() {
            let file = dir.join(format!("{prog}-{i}.bin"));
            std::fs::write(&file, frame).unwrap();
            let file = file.to_string_lossy().into_owned();
            let theirs =
                bpftool(&["prog", "run", "pinned", &pin, "data_in", &file]).ok("bpftool prog run");
            let retval = theirs
                .stdout
                .split("Return value: ")
                .nth(1)
                .and_then(|r| r.split(',').next())
                .and_then(|r| r.trim().parse::<u32>().ok())
                .unwrap_or_else(|| panic!("bpftool's return value: {theirs}"));
            let ours = rtc(&["-j", "prog", "run", "pinned", &pin, "data_in", &file])
                .ok("rtc prog run data_in");
            let doc: Value = serde_json::from_str(&ours.stdout).unwrap();
            let ours_retval = doc["packets"][0]["retval"].as_i64().unwrap();
            assert_eq!(
                ours_retval as u32,
                retval,
                "{prog}, sample packet {}: {ours}",
                i + 1
            );
        }
    }
    // --explain: the BPF_PROG_TEST_RUN attributes and the kernel's answer, once.
    let pin = bpffs
        .path()
        .join("drop-tcp80")
        .to_string_lossy()
        .into_owned();
    let explained = rtc(&[
        "--explain",
        "prog",
        "run",
        "pinned",
        &pin,
        "pcap",
        &sample(),
    ])
    .ok("rtc --explain prog run");
    assert_eq!(
        explained
            .stderr
            .matches("BPF_PROG_TEST_RUN: the bpf(2) attributes")
            .count(),
        1,
        "{explained}"
    );
    for field in [
        "data_size_in     42",
        "repeat           1",
        "kernel: 0; retval 0 (TC_ACT_OK)",
    ] {
        assert!(explained.stderr.contains(field), "{field}: {explained}");
    }
}

/// tcpdump's reading of a capture: one line per packet (`-v` folds IPv4 into two).
fn tcpdump_v(path: &Path) -> Vec<String> {
    let out = run("tcpdump", &["-nvr", &path.to_string_lossy()]).ok("tcpdump -r -v");
    out.stdout.lines().map(str::to_string).collect()
}

/// The rewriting program's data_out: tcpdump reads it and sees each IPv4 TTL one
/// less, with a correct checksum; nothing else differs.
#[test]
fn ttl_dec_data_out_shows_the_rewrite_in_tcpdump() {
    if !require_privileged() {
        return;
    }
    let dir = TempDir::new("prog-run-ttl");
    let out_path = dir.join("out.pcap");
    let obj = bpf_obj_arg("ttl-dec");
    let out = rtc(&[
        "-j",
        "prog",
        "run",
        "obj",
        &obj,
        "sec",
        "ingress",
        "pcap",
        &sample(),
        "data_out",
        &out_path.to_string_lossy(),
    ])
    .ok("rtc prog run data_out");
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let changed: Vec<bool> = doc["packets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["changed"].as_bool().unwrap())
        .collect();
    assert_eq!(
        changed,
        vec![false, true, true, true, false, true],
        "IPv4 packets changed"
    );

    let before = tcpdump_v(Path::new(&sample()));
    let after = tcpdump_v(&out_path);
    assert_eq!(before.len(), after.len());
    let mut rewritten = 0;
    for (b, a) in before.iter().zip(&after) {
        assert!(!a.contains("bad cksum"), "checksum fixed: {a}");
        if b.contains("ttl 64") {
            assert_eq!(*a, b.replace("ttl 64", "ttl 63"));
            rewritten += 1;
        } else {
            assert_eq!(a, b);
        }
    }
    assert_eq!(rewritten, 4, "{after:?}");
}

/// Without `hook` and with a section name that says nothing (`prog`), the program's
/// BTF signature decides: `xdp-pass` takes a `struct xdp_md *`, so it runs as XDP;
/// bpftool agrees on its type once `rtc prog load` has loaded it the same way.
/// A context file for XDP serves packets of every length (rtc sets `data_end`).
#[test]
fn hook_comes_from_the_program_signature() {
    if !require_privileged() {
        return;
    }
    let obj = bpf_obj_arg("xdp-pass");
    let out = rtc(&["-j", "prog", "run", "obj", &obj, "pcap", &sample()]);
    assert_eq!(verdicts(out), vec!["XDP_PASS"; KINDS.len()]);
    let text = rtc(&["prog", "run", "obj", &obj, "pcap", &sample()]).ok("prog run");
    assert!(
        text.stdout.starts_with(&format!(
            "{obj}:[prog] as xdp (xdp, from the program's argument type)"
        )),
        "{text}"
    );

    let dir = TempDir::new("prog-run-ctx");
    let ctx = dir.join("xdp_md.bin");
    // struct xdp_md: data, data_end, data_meta, ingress_ifindex (1: lo), rx_queue_index, egress_ifindex.
    let md: Vec<u8> = [0u32, 0, 0, 1, 0, 0]
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect();
    std::fs::write(&ctx, md).unwrap();
    let out = rtc(&[
        "-j",
        "prog",
        "run",
        "obj",
        &obj,
        "pcap",
        &sample(),
        "ctx_in",
        &ctx.to_string_lossy(),
    ]);
    assert_eq!(verdicts(out), vec!["XDP_PASS"; KINDS.len()]);
}

/// A capture of `frames` (little-endian pcap, Ethernet, microsecond timestamps),
/// written by hand so that a frame the kernel will not run can be in it.
fn pcap_of(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    for word in [0u32, 0, 65535, 1] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    for (i, frame) in frames.iter().enumerate() {
        let len = frame.len() as u32;
        for word in [1_767_225_600u32, i as u32 * 10_000, len, len] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(frame);
    }
    out
}

/// A packet the kernel refuses to run the program on (shorter than an Ethernet
/// header) is a row of its own: the run goes on with the next packet, and the
/// command ends with exit 1 naming the refused packet.
#[test]
fn a_refused_packet_is_a_row_and_the_run_goes_on() {
    if !require_privileged() {
        return;
    }
    let dir = TempDir::new("refused-packet");
    let path = dir.path().join("short.pcap");
    let arp = rtc_tests::sample::frames()[0].clone();
    std::fs::write(&path, pcap_of(&[vec![0xff; 10], arp])).expect("write the capture");
    let path = path.to_string_lossy().into_owned();
    let obj = bpf_obj_arg("drop-arp");
    let run = rtc(&[
        "-j", "prog", "run", "obj", &obj, "sec", "ingress", "pcap", &path,
    ]);
    assert_eq!(run.status, 1, "{run}");
    assert!(run.stderr.contains("packet 1"), "{run}");
    let doc: Value = serde_json::from_str(&run.stdout).expect("prog run -j prints JSON");
    let packets = doc["packets"].as_array().expect("packets");
    assert_eq!(packets.len(), 2, "{run}");
    assert_eq!(packets[0]["verdict"], "REFUSED", "{run}");
    assert!(packets[0]["error"].is_string(), "{run}");
    assert_eq!(packets[1]["verdict"], "TC_ACT_SHOT", "{run}");
}
