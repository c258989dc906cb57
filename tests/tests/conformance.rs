//! The drop-in conformance suite: every row is a tc command line and a starting state.
//! Each row runs once with the real tc and once with rtc, in twin namespaces built the
//! same way, and compares exit code, stdout, stderr and the kernel state left behind
//! (dumped by the real tc with `-d -j`, ids and load times normalised).
//!
//! New behaviour is added to [`ROWS`], not to ad-hoc tests. Rows that differ on
//! purpose say what is not compared and why (`Differs`); the suite prints them, and
//! docs/compatibility.md lists them for readers.

use std::io::Write;

use rtc_tests::{Netns, Run, TempDir, bpf_obj_arg, ip, require_privileged, rtc, tc};

/// What of a row's run must match between tc and rtc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Exit code, stdout, stderr and the final kernel state.
    Same,
    /// Everything but stderr (the reason is printed in the report).
    SameButStderr(&'static str),
    /// Only the exit code and the final kernel state.
    SameExitAndState(&'static str),
    /// Nothing: rtc does something tc cannot (the reason is printed).
    Differs(&'static str),
}

/// One conformance case.
struct Row {
    /// Short name for the report.
    name: &'static str,
    /// tc command lines (without `tc -n NS`) run with the real tc in both twins first.
    setup: &'static [&'static str],
    /// The command under comparison, after `-n NS`; `IP ` in front compares with the
    /// real `ip` instead of tc.
    command: &'static str,
    /// What must match.
    expect: Expect,
}

const fn row(name: &'static str, setup: &'static [&'static str], command: &'static str) -> Row {
    Row {
        name,
        setup,
        command,
        expect: Expect::Same,
    }
}

const fn row_with(
    name: &'static str,
    setup: &'static [&'static str],
    command: &'static str,
    expect: Expect,
) -> Row {
    Row {
        name,
        setup,
        command,
        expect,
    }
}

/// Why load failures differ on stderr: tc prints libbpf's lines, rtc its own.
const LOAD_STDERR: &str = "a failed load prints libbpf's messages in tc and rtc's own (naming file, section and the verifier log); both end with \"Unable to load program\"";

/// Why hints differ: rtc's hints name rtc, not tc.
const SELF_NAME: &str = "rtc's hints say \"try rtc -help\" where tc's say \"try tc -help\"";

const CLSACT: &str = "qdisc add dev DEV clsact";
const ARP_IN: &str =
    "filter add dev DEV ingress pref 10 handle 1 bpf da obj OBJ:drop-arp sec ingress";
const ICMP_IN: &str =
    "filter add dev DEV ingress pref 20 handle 2 protocol ip bpf da obj OBJ:drop-icmp sec ingress";
const BLOCKS: &str = "qdisc add dev DEV ingress_block 5 egress_block 6 clsact";
const BLOCK_ARP: &str = "filter add block 5 pref 10 bpf da obj OBJ:drop-arp sec ingress";
const XDP_PASS: &str = "IP link set dev DEV xdpgeneric obj OBJ:xdp-pass";
const CHAIN5: &str = "chain add dev DEV ingress chain 5";
const EGRESS_CHAIN: &str =
    "filter add dev DEV egress chain 1 pref 5 bpf da obj OBJ:egress sec egress";

/// The table. `DEV` is the device, `OBJ:name` the path of bpf-src's `name.o`,
/// `BATCH:...` a batch file whose lines are separated by `|`.
const ROWS: &[Row] = &[
    // qdisc
    row("qdisc add clsact", &[], "qdisc add dev DEV clsact"),
    row("qdisc add abbreviated", &[], "q a dev DEV clsact"),
    row("qdisc add ingress", &[], "qdisc add dev DEV ingress"),
    row("qdisc add twice", &[CLSACT], "qdisc add dev DEV clsact"),
    row(
        "qdisc add clsact over ingress",
        &["qdisc add dev DEV ingress"],
        "qdisc add dev DEV clsact",
    ),
    row("qdisc replace new", &[], "qdisc replace dev DEV clsact"),
    row(
        "qdisc replace existing",
        &[CLSACT],
        "qdisc replace dev DEV clsact",
    ),
    row(
        "qdisc change existing",
        &[CLSACT],
        "qdisc change dev DEV clsact",
    ),
    row("qdisc change absent", &[], "qdisc change dev DEV clsact"),
    row("qdisc del", &[CLSACT, ARP_IN], "qdisc del dev DEV clsact"),
    row("qdisc del absent", &[], "qdisc del dev DEV clsact"),
    row(
        "qdisc del ingress",
        &["qdisc add dev DEV ingress"],
        "qdisc del dev DEV ingress",
    ),
    row("qdisc show default", &[], "qdisc show dev DEV"),
    row("qdisc show clsact", &[CLSACT], "qdisc show dev DEV"),
    row("qdisc list abbreviated", &[CLSACT], "q ls dev DEV"),
    row("qdisc show all devices", &[CLSACT], "qdisc show"),
    row("qdisc show -s", &[CLSACT], "-s qdisc show dev DEV"),
    row("qdisc show -d", &[CLSACT], "-d qdisc show dev DEV"),
    row("qdisc show -j", &[CLSACT], "-j qdisc show dev DEV"),
    row("qdisc show -j -p", &[CLSACT], "-j -p qdisc show dev DEV"),
    row("qdisc show -s -j", &[CLSACT], "-s -j qdisc show dev DEV"),
    row(
        "qdisc show ingress",
        &[CLSACT],
        "qdisc show dev DEV ingress",
    ),
    row(
        "qdisc add unknown device",
        &[],
        "qdisc add dev nosuchdev clsact",
    ),
    row("qdisc add device missing value", &[], "qdisc add dev"),
    row("qdisc unknown verb", &[], "qdisc frob dev DEV clsact"),
    // filter add
    row(
        "filter add",
        &[CLSACT],
        "filter add dev DEV ingress bpf da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter add abbreviated",
        &[CLSACT],
        "f a dev DEV ingress bpf da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter add egress",
        &[CLSACT],
        "filter add dev DEV egress bpf da obj OBJ:egress sec egress",
    ),
    row(
        "filter add pref",
        &[CLSACT],
        "filter add dev DEV ingress pref 10 bpf da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter add priority word",
        &[CLSACT],
        "filter add dev DEV ingress priority 10 bpf da obj OBJ:drop-arp sec ingress",
    ),
    row("filter add pref handle", &[CLSACT], ARP_IN),
    row(
        "filter add protocol ip",
        &[CLSACT],
        "filter add dev DEV ingress protocol ip bpf da obj OBJ:drop-icmp sec ingress",
    ),
    row(
        "filter add protocol ipv6 pref handle",
        &[CLSACT],
        "filter add dev DEV egress pref 7 handle 3 protocol ipv6 bpf da obj OBJ:egress sec egress",
    ),
    row(
        "filter add protocol number",
        &[CLSACT],
        "filter add dev DEV ingress protocol 0x0806 bpf da obj OBJ:drop-arp sec ingress",
    ),
    row("filter add chain", &[CLSACT], EGRESS_CHAIN),
    row(
        "filter add classid first",
        &[CLSACT],
        "filter add dev DEV ingress bpf classid 1:1 da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter add flowid after object",
        &[CLSACT],
        "filter add dev DEV ingress bpf da obj OBJ:drop-arp sec ingress flowid 1:2",
    ),
    row(
        "filter add skip_hw",
        &[CLSACT],
        "filter add dev DEV ingress bpf skip_hw da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter add without da",
        &[CLSACT],
        "filter add dev DEV ingress bpf obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter add direct-action spelled out",
        &[CLSACT],
        "filter add dev DEV ingress bpf direct-action obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter add object-file word",
        &[CLSACT],
        "filter add dev DEV ingress bpf da object-file OBJ:drop-arp section ingress",
    ),
    row(
        "filter add default section",
        &[CLSACT],
        "filter add dev DEV ingress bpf da obj OBJ:pass-all",
    ),
    row(
        "filter add parent handle",
        &[CLSACT],
        "filter add dev DEV parent ffff:fff2 bpf da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter add second pref",
        &[CLSACT, ARP_IN],
        "filter add dev DEV ingress bpf da obj OBJ:pass-all",
    ),
    row(
        "filter add handle in same pref",
        &[CLSACT, ARP_IN],
        "filter add dev DEV ingress pref 10 handle 2 bpf da obj OBJ:pass-all",
    ),
    row("filter add exists", &[CLSACT, ARP_IN], ARP_IN),
    row(
        "filter add protocol mismatch",
        &[CLSACT, ICMP_IN],
        "filter add dev DEV ingress pref 20 protocol ipv6 bpf da obj OBJ:pass-all",
    ),
    row(
        "filter add without qdisc",
        &[],
        "filter add dev DEV ingress bpf da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter add unknown device",
        &[CLSACT],
        "filter add dev nosuchdev ingress bpf da obj OBJ:drop-arp sec ingress",
    ),
    row_with(
        "filter add missing file",
        &[CLSACT, ARP_IN],
        "filter add dev DEV ingress bpf da obj /nonexistent/x.o sec ingress",
        Expect::SameExitAndState(LOAD_STDERR),
    ),
    row_with(
        "filter add missing section",
        &[CLSACT, ARP_IN],
        "filter add dev DEV ingress bpf da obj OBJ:drop-arp sec nosuchsec",
        Expect::SameExitAndState(LOAD_STDERR),
    ),
    row_with(
        "filter add verifier rejection",
        &[CLSACT, ARP_IN],
        "filter add dev DEV ingress bpf da obj OBJ:bad-verifier sec ingress",
        Expect::SameExitAndState(LOAD_STDERR),
    ),
    row(
        "filter add pref too large",
        &[CLSACT],
        "filter add dev DEV ingress pref 70000 bpf da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter add dev twice",
        &[CLSACT],
        "filter add dev DEV dev DEV ingress bpf da obj OBJ:drop-arp",
    ),
    row("filter add incomplete", &[CLSACT], "filter add dev"),
    row(
        "filter add object without file",
        &[CLSACT],
        "filter add dev DEV ingress bpf da obj",
    ),
    row(
        "filter add bad protocol",
        &[CLSACT],
        "filter add dev DEV ingress protocol nosuchproto bpf da obj OBJ:drop-arp",
    ),
    row(
        "filter add bad handle",
        &[CLSACT],
        "filter add dev DEV ingress handle zz bpf da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter add duplicate parent",
        &[CLSACT],
        "filter add dev DEV ingress egress bpf da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter add classic bytecode",
        &[CLSACT],
        "filter add dev DEV ingress bpf bytecode ARP_BYTECODE",
    ),
    row(
        "filter add classic bytecode, flowid first",
        &[CLSACT],
        "filter add dev DEV ingress bpf flowid 1:1 bytecode ARP_BYTECODE da",
    ),
    row(
        "filter add classic bytecode, flowid after",
        &[CLSACT],
        "filter add dev DEV ingress bpf bc ARP_BYTECODE classid 1:2",
    ),
    row(
        "filter add classic bytecode-file",
        &[CLSACT],
        "filter add dev DEV ingress bpf bytecode-file BYTECODE_FILE",
    ),
    row(
        "filter add classic bytecode too short",
        &[CLSACT],
        "filter add dev DEV ingress bpf bytecode 2,6~0~0~0",
    ),
    row(
        "filter add classic bytecode garbage",
        &[CLSACT],
        "filter add dev DEV ingress bpf bytecode x",
    ),
    row(
        "filter show classic -j",
        &[
            CLSACT,
            "filter add dev DEV ingress bpf bytecode ARP_BYTECODE",
        ],
        "-j filter show dev DEV ingress",
    ),
    // replace / change
    row(
        "filter replace creates",
        &[CLSACT],
        "filter replace dev DEV ingress pref 10 handle 1 bpf da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter replace switches program",
        &[CLSACT, ARP_IN],
        "filter replace dev DEV ingress pref 10 handle 1 bpf da obj OBJ:drop-icmp sec ingress",
    ),
    row(
        "filter replace without handle",
        &[CLSACT, ARP_IN],
        "filter replace dev DEV ingress pref 10 bpf da obj OBJ:pass-all",
    ),
    row_with(
        "filter replace with bad object",
        &[CLSACT, ARP_IN],
        "filter replace dev DEV ingress pref 10 handle 1 bpf da obj OBJ:bad-verifier sec ingress",
        Expect::SameExitAndState(LOAD_STDERR),
    ),
    row(
        "filter change existing",
        &[CLSACT, ARP_IN],
        "filter change dev DEV ingress pref 10 handle 1 bpf da obj OBJ:pass-all",
    ),
    row(
        "filter change absent",
        &[CLSACT],
        "filter change dev DEV ingress pref 10 handle 1 bpf da obj OBJ:pass-all",
    ),
    // delete
    row(
        "filter del all",
        &[CLSACT, ARP_IN, ICMP_IN],
        "filter del dev DEV ingress",
    ),
    row(
        "filter del pref",
        &[CLSACT, ARP_IN, ICMP_IN],
        "filter del dev DEV ingress pref 10",
    ),
    row(
        "filter del pref handle kind",
        &[CLSACT, ARP_IN],
        "filter del dev DEV ingress pref 10 handle 1 protocol all bpf",
    ),
    row(
        "filter del absent pref",
        &[CLSACT, ARP_IN],
        "filter del dev DEV ingress pref 99",
    ),
    row(
        "filter del without qdisc",
        &[],
        "filter del dev DEV ingress",
    ),
    row(
        "filter del chain",
        &[CLSACT, EGRESS_CHAIN],
        "filter del dev DEV egress chain 1",
    ),
    row(
        "filter delete abbreviated",
        &[CLSACT, ARP_IN],
        "f d dev DEV ingress pref 10",
    ),
    // get
    row(
        "filter get",
        &[CLSACT, ICMP_IN],
        "filter get dev DEV ingress protocol ip pref 20 handle 2 bpf",
    ),
    row(
        "filter get -j",
        &[CLSACT, ICMP_IN],
        "-j filter get dev DEV ingress protocol ip pref 20 handle 2 bpf",
    ),
    row(
        "filter get absent",
        &[CLSACT, ICMP_IN],
        "filter get dev DEV ingress protocol ip pref 20 handle 9 bpf",
    ),
    // show
    row(
        "filter show empty",
        &[CLSACT],
        "filter show dev DEV ingress",
    ),
    row(
        "filter show without qdisc",
        &[],
        "filter show dev DEV ingress",
    ),
    row(
        "filter show two prefs",
        &[CLSACT, ARP_IN, ICMP_IN],
        "filter show dev DEV ingress",
    ),
    row(
        "filter show -s",
        &[CLSACT, ARP_IN, ICMP_IN],
        "-s filter show dev DEV ingress",
    ),
    row(
        "filter show -d",
        &[CLSACT, ARP_IN, ICMP_IN],
        "-d filter show dev DEV ingress",
    ),
    row(
        "filter show -j",
        &[CLSACT, ARP_IN, ICMP_IN],
        "-j filter show dev DEV ingress",
    ),
    row(
        "filter show -j -p",
        &[CLSACT, ARP_IN, ICMP_IN],
        "-j -p filter show dev DEV ingress",
    ),
    row(
        "filter show -d -j",
        &[CLSACT, ARP_IN, ICMP_IN],
        "-d -j filter show dev DEV ingress",
    ),
    row(
        "filter show pref",
        &[CLSACT, ARP_IN, ICMP_IN],
        "filter show dev DEV ingress pref 20",
    ),
    row(
        "filter show protocol",
        &[CLSACT, ARP_IN, ICMP_IN],
        "filter show dev DEV ingress protocol ip",
    ),
    row(
        "filter show chain",
        &[CLSACT, EGRESS_CHAIN],
        "filter show dev DEV egress chain 1",
    ),
    row(
        "filter show egress",
        &[CLSACT, EGRESS_CHAIN],
        "filter show dev DEV egress",
    ),
    row(
        "filter show no parent",
        &[CLSACT, ARP_IN],
        "filter show dev DEV",
    ),
    row(
        "filter show long options",
        &[CLSACT, ARP_IN],
        "-statistics -details filter show dev DEV ingress",
    ),
    row(
        "filter ls abbreviated",
        &[CLSACT, ARP_IN],
        "f ls dev DEV ingress",
    ),
    row(
        "filter show unknown device",
        &[CLSACT],
        "filter show dev nosuchdev ingress",
    ),
    row(
        "filter show unknown word",
        &[CLSACT],
        "filter show dev DEV ingress bogus",
    ),
    // global options and objects
    row_with(
        "unknown option",
        &[],
        "-bogus qdisc show",
        Expect::SameButStderr(SELF_NAME),
    ),
    row_with(
        "unknown object",
        &[],
        "frobnicate show",
        Expect::SameButStderr(SELF_NAME),
    ),
    row(
        "unknown filter verb",
        &[CLSACT],
        "filter frob dev DEV ingress",
    ),
    row_with(
        "version",
        &[],
        "-V",
        Expect::Differs("rtc prints its own name and version"),
    ),
    // batch
    row(
        "batch",
        &[],
        "-b BATCH:qdisc add dev DEV clsact|filter add dev DEV ingress bpf da obj OBJ:drop-arp sec ingress|filter show dev DEV ingress",
    ),
    row(
        "batch stops at failure",
        &[],
        "-b BATCH:qdisc add dev DEV clsact|qdisc add dev DEV clsact|filter add dev DEV ingress bpf da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "batch -force goes on",
        &[],
        "-force -b BATCH:qdisc add dev DEV clsact|qdisc add dev DEV clsact|filter add dev DEV ingress bpf da obj OBJ:drop-arp sec ingress|filter show dev DEV ingress",
    ),
    row(
        "batch comments and continuation",
        &[],
        "-b BATCH:# setup|qdisc add dev DEV \\|  clsact # done|filter show dev DEV ingress",
    ),
    row("batch missing file", &[], "-b /nonexistent/batch"),
    row(
        "batch usage error stops",
        &[],
        "-force -b BATCH:qdisc add dev|qdisc add dev DEV clsact",
    ),
    // usage errors inside the kind's parser (exit 1), help texts (exit 0)
    row(
        "filter add unknown kind with options",
        &[CLSACT],
        "filter add dev DEV ingress foo bar",
    ),
    row(
        "filter add unknown kind",
        &[CLSACT],
        "filter add dev DEV ingress foo",
    ),
    row(
        "filter add unknown kind, bad handle",
        &[CLSACT],
        "filter add dev DEV ingress handle zz foo",
    ),
    row(
        "filter add handle without kind",
        &[CLSACT],
        "filter add dev DEV ingress handle 1",
    ),
    row(
        "qdisc add unknown kind with options",
        &[],
        "qdisc add dev DEV foo bar",
    ),
    row("qdisc add unknown kind", &[], "qdisc add dev DEV foo"),
    row("qdisc add without kind", &[], "qdisc add dev DEV"),
    row(
        "qdisc add clsact handle",
        &[],
        "qdisc add dev DEV clsact handle",
    ),
    row(
        "qdisc add clsact bogus",
        &[],
        "qdisc add dev DEV clsact bogus",
    ),
    row(
        "qdisc add ingress bogus, unknown device",
        &[],
        "qdisc add dev nosuchdev ingress bogus",
    ),
    row(
        "qdisc add root clsact",
        &[],
        "qdisc add dev DEV root clsact",
    ),
    row(
        "filter add bpf unknown mode",
        &[CLSACT],
        "filter add dev DEV ingress bpf da notakeyword",
    ),
    row(
        "filter add bpf unknown mode, unknown device",
        &[CLSACT],
        "filter add dev nosuchdev ingress bpf da notakeyword",
    ),
    row(
        "filter add bpf word after object",
        &[CLSACT],
        "filter add dev DEV ingress bpf da obj OBJ:drop-arp sec ingress bogus",
    ),
    row(
        "filter add bpf help",
        &[CLSACT],
        "filter add dev DEV ingress bpf help",
    ),
    row(
        "filter add bpf bad classid",
        &[CLSACT],
        "filter add dev DEV ingress bpf classid zz da obj OBJ:drop-arp sec ingress",
    ),
    row("qdisc help", &[], "qdisc help"),
    row("filter help", &[], "filter help"),
    row(
        "filter add help",
        &[CLSACT],
        "filter add dev DEV ingress help",
    ),
    row("qdisc show help", &[], "qdisc show help"),
    row(
        "filter show help, then a wrong word",
        &[CLSACT],
        "filter show help help nosuch",
    ),
    row("qdisc add help", &[], "qdisc add dev DEV help"),
    // shared blocks
    row(
        "qdisc add shared blocks",
        &[],
        "qdisc add dev DEV ingress_block 5 egress_block 6 clsact",
    ),
    row(
        "qdisc show shared blocks -d",
        &[BLOCKS],
        "-d qdisc show dev DEV",
    ),
    row(
        "qdisc add bad block index",
        &[],
        "qdisc add dev DEV ingress_block x clsact",
    ),
    row("filter add block", &[BLOCKS], BLOCK_ARP),
    row(
        "filter show block",
        &[BLOCKS, BLOCK_ARP],
        "filter show block 5",
    ),
    row(
        "filter show block -j -d",
        &[BLOCKS, BLOCK_ARP],
        "-j -d filter show block 5",
    ),
    row(
        "filter show device of a block",
        &[BLOCKS, BLOCK_ARP],
        "filter show dev DEV ingress",
    ),
    row(
        "filter del block pref",
        &[BLOCKS, BLOCK_ARP],
        "filter del block 5 pref 10",
    ),
    row(
        "filter add dev and block",
        &[BLOCKS],
        "filter add dev DEV block 5 bpf da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter add block zero",
        &[BLOCKS],
        "filter add block 0 bpf da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "filter add missing block",
        &[BLOCKS],
        "filter add block 9 bpf da obj OBJ:drop-arp sec ingress",
    ),
    // pinned programs, functions by name
    row(
        "filter add pinned",
        &[CLSACT],
        "filter add dev DEV ingress bpf da pinned PINNED",
    ),
    row(
        "filter add object-pinned with section",
        &[CLSACT],
        "filter add dev DEV ingress bpf da object-pinned PINNED sec x",
    ),
    row(
        "filter add fd, verbose",
        &[CLSACT],
        "filter add dev DEV ingress bpf fd PINNED verbose",
    ),
    row(
        "filter add pinned missing",
        &[CLSACT],
        "filter add dev DEV ingress bpf da pinned /nonexistent/cls",
    ),
    row(
        "filter add pinned, word after",
        &[CLSACT],
        "filter add dev DEV ingress bpf da pinned PINNED bogus",
    ),
    row(
        "filter show pinned -d",
        &[CLSACT, "filter add dev DEV ingress bpf da pinned PINNED"],
        "-d filter show dev DEV ingress",
    ),
    row(
        "filter add program without section",
        &[CLSACT],
        "filter add dev DEV ingress bpf da obj OBJ:drop-arp program drop",
    ),
    row(
        "filter add missing program without section",
        &[CLSACT],
        "filter add dev DEV ingress bpf da obj OBJ:drop-arp program nosuch",
    ),
    row(
        "ip link set xdp program without section",
        &[],
        "IP link set dev DEV xdpgeneric obj OBJ:xdp-frags-pass program xdp_frags_pass",
    ),
    row(
        "ip link set xdp missing program without section",
        &[],
        "IP link set dev DEV xdpgeneric obj OBJ:xdp-frags-pass program nosuch",
    ),
    row_with(
        "filter add skip_sw without offload",
        &[CLSACT],
        "filter add dev DEV ingress bpf skip_sw da obj OBJ:drop-arp sec ingress",
        Expect::SameExitAndState(LOAD_STDERR),
    ),
    // chains
    row("chain add", &[CLSACT], "chain add dev DEV ingress chain 5"),
    row("chain add twice", &[CLSACT, CHAIN5], CHAIN5),
    row(
        "chain add bpf template",
        &[CLSACT],
        "chain add dev DEV egress chain 3 bpf da obj OBJ:drop-arp sec ingress",
    ),
    row(
        "chain show",
        &[CLSACT, CHAIN5, EGRESS_CHAIN],
        "chain show dev DEV ingress",
    ),
    row(
        "chain show -j -p",
        &[CLSACT, CHAIN5, EGRESS_CHAIN],
        "-j -p chain show dev DEV egress",
    ),
    row(
        "chain show one chain",
        &[CLSACT, CHAIN5],
        "chain show dev DEV ingress chain 5",
    ),
    row(
        "chain get",
        &[CLSACT, CHAIN5],
        "chain get dev DEV ingress chain 5",
    ),
    row(
        "chain get without parent",
        &[CLSACT, CHAIN5],
        "chain get dev DEV chain 5",
    ),
    row(
        "chain del",
        &[CLSACT, CHAIN5],
        "chain del dev DEV ingress chain 5",
    ),
    row(
        "chain del absent",
        &[CLSACT],
        "chain del dev DEV ingress chain 7",
    ),
    row(
        "chain show block",
        &[BLOCKS, "chain add block 5 chain 2"],
        "chain show block 5",
    ),
    row("chain show missing block", &[BLOCKS], "chain show block 9"),
    row(
        "filter show missing block",
        &[BLOCKS],
        "filter show block 9",
    ),
    row("chain help", &[], "chain help"),
    row("chain unknown verb", &[], "chain frob"),
    row_with(
        "batch missing object",
        &[],
        "-b BATCH:qdisc add dev DEV clsact|filter add dev DEV ingress bpf da obj /nonexistent/x.o sec ingress|filter show dev DEV ingress",
        Expect::SameExitAndState(LOAD_STDERR),
    ),
    // exec
    row("exec without kind", &[], "exec"),
    row("exec help", &[], "exec help"),
    row("exec bpf help", &[], "exec bpf help"),
    row("exec unknown kind", &[], "exec foo"),
    row(
        "exec bpf graft incomplete",
        &[],
        "exec bpf graft /nonexistent/map",
    ),
    row(
        "exec bpf graft missing map",
        &[],
        "exec bpf graft /nonexistent/map key 0 pinned PINNED",
    ),
    // ip link show -d
    row("ip -d link show", &[], "IP -d link show dev DEV"),
    row(
        "ip -d link show with XDP",
        &[XDP_PASS],
        "IP -d link show dev DEV",
    ),
    row(
        "ip -d -j link show with XDP",
        &[XDP_PASS],
        "IP -d -j link show dev DEV",
    ),
    row(
        "ip -d -j -p link show with native XDP",
        &["IP link set dev DEV xdpdrv obj OBJ:xdp-pass"],
        "IP -d -j -p link show dev DEV",
    ),
    row(
        "ip -d link show with native XDP",
        &["IP link set dev DEV xdpdrv obj OBJ:xdp-pass"],
        "IP -d link show dev DEV",
    ),
    row("ip -s link show", &[], "IP -s link show dev DEV"),
    row("ip -s -s link show", &[], "IP -s -s link show dev DEV"),
    row("ip -s -j link show", &[], "IP -s -j link show dev DEV"),
    row(
        "ip -s -s -d -j -p link show with XDP",
        &[XDP_PASS],
        "IP -s -s -d -j -p link show dev DEV",
    ),
    row(
        "ip -s -d link show with XDP",
        &[XDP_PASS],
        "IP -s -d link show dev DEV",
    ),
    row_with(
        "legacy maps section",
        &[CLSACT],
        "filter add dev DEV ingress bpf da obj OBJ:count-packets sec ingress",
        Expect::Differs("tc 6.1 (libbpf 1.x) refuses the legacy `maps` section; rtc loads it"),
    ),
];

/// A classic BPF program that drops ARP (`tcpdump -ddd arp`, with the verdicts of tc).
const ARP_BYTECODE: &str = "4,40 0 0 12,21 0 1 2054,6 0 0 0,6 0 0 4294967295";

/// The device both twins have, created the same way so ifindexes match.
const DEV: &str = "sv0";

/// A bpffs mounted for the rows that attach a pinned program (`PINNED`: drop-arp's
/// program pinned as `cls`, loaded by bpftool). Outside /sys: `tc -n` remounts /sys.
struct PinnedProgram(std::path::PathBuf);

impl PinnedProgram {
    fn new(dir: &std::path::Path) -> Self {
        let mount = dir.join("bpffs");
        std::fs::create_dir_all(&mount).expect("bpffs directory");
        rtc_tests::run("mount", &["-t", "bpf", "bpf", &mount.display().to_string()])
            .ok("mount a bpffs");
        let pinned = PinnedProgram(mount.clone());
        rtc_tests::bpftool(&[
            "prog",
            "load",
            &bpf_obj_arg("drop-arp"),
            &mount.join("cls").display().to_string(),
            "type",
            "classifier",
        ])
        .ok("bpftool prog load");
        pinned
    }
}

impl Drop for PinnedProgram {
    fn drop(&mut self) {
        let _ = rtc_tests::run("umount", &[&self.0.display().to_string()]);
    }
}

/// Expands `DEV`, `PINNED`, `OBJ:name`, `ARP_BYTECODE`, `BYTECODE_FILE` and `BATCH:...` in a
/// command line into words; `~` inside a word stands for a blank.
fn expand(line: &str, batch_dir: &std::path::Path, tag: &str) -> Vec<String> {
    if let Some((before, batch)) = line.split_once("BATCH:") {
        let path = batch_dir.join(format!("batch-{tag}"));
        let text: String = batch
            .split('|')
            .map(|l| expand(l, batch_dir, tag).join(" ") + "\n")
            .collect();
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .expect("write batch file");
        let mut words = expand(before, batch_dir, tag);
        words.push(path.display().to_string());
        return words;
    }
    line.split_whitespace()
        .map(|word| match word {
            "DEV" => DEV.to_string(),
            "PINNED" => batch_dir.join("bpffs/cls").display().to_string(),
            "ARP_BYTECODE" => ARP_BYTECODE.to_string(),
            "BYTECODE_FILE" => {
                let path = batch_dir.join("arp.bpf");
                let text = ARP_BYTECODE.replace(',', "\n") + "\n";
                std::fs::write(&path, text).expect("write bytecode file");
                path.display().to_string()
            }
            _ => match word.strip_prefix("OBJ:") {
                Some(name) => bpf_obj_arg(name),
                None => word.replace('~', " "),
            },
        })
        .collect()
}

/// A twin: a namespace with the device under test.
fn twin() -> Netns {
    let ns = Netns::new();
    // Fixed addresses: `ip link show` prints them, and the twins must look alike.
    ns.ip(&[
        "link",
        "add",
        DEV,
        "address",
        "02:00:00:00:5e:01",
        "type",
        "veth",
        "peer",
        "name",
        "sv1",
        "address",
        "02:00:00:00:5e:02",
    ])
    .ok("ip link add");
    ns.ip(&["link", "set", DEV, "up"]).ok("ip link set up");
    ns
}

/// The kernel state of a twin as the real tc reports it, with the values that
/// legitimately differ between two loads (ids, load times) replaced by `N`.
fn state(ns: &Netns) -> String {
    let mut out = String::new();
    for args in [
        vec!["-d", "-j", "qdisc", "show", "dev", DEV],
        vec!["-d", "-j", "filter", "show", "dev", DEV, "ingress"],
        vec!["-d", "-j", "filter", "show", "dev", DEV, "egress"],
        vec!["-j", "chain", "show", "dev", DEV, "ingress"],
        vec!["-j", "chain", "show", "dev", DEV, "egress"],
    ] {
        let run = ns.tc(&args);
        out.push_str(&format!(
            "{} -> {}\n{}{}",
            args.join(" "),
            run.status,
            run.stdout,
            run.stderr
        ));
    }
    // The XDP program of the device, as `ip -d link show` prints it (the other
    // lines carry random MAC addresses).
    let link = ns.ip(&["-d", "link", "show", "dev", DEV]);
    for line in link.stdout.lines().filter(|l| l.contains("xdp")) {
        let after = line.find("prog/xdp").map_or("", |at| &line[at..]);
        out.push_str(&format!("xdp: {after}\n"));
    }
    normalise(&out)
}

/// Replaces numbers that differ between two identical loads: program ids, load
/// times, BTF ids (`"id":12` / `id 12`, `load_time`, `btf_id`).
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let keys = [
        "\"id\": ",
        "\"id\":",
        "id ",
        "\"load_time\": ",
        "\"load_time\":",
        "load_time ",
        "\"btf_id\": ",
        "\"btf_id\":",
        "btf_id ",
    ];
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for key in keys {
            if let Some(after) = rest.strip_prefix(key) {
                let digits = after.chars().take_while(char::is_ascii_digit).count();
                let boundary = out.is_empty() || out.ends_with([' ', '{', ',', '\n', '"']);
                if digits > 0 && boundary {
                    out.push_str(key);
                    out.push('N');
                    rest = &after[digits..];
                    continue 'outer;
                }
            }
        }
        let c = rest.chars().next().expect("non-empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The outcome of one row.
struct Outcome {
    name: &'static str,
    differences: Vec<String>,
    expect: Expect,
}

fn run_row(index: usize, row: &Row, batch_dir: &std::path::Path) -> Outcome {
    let (ns_tc, ns_rtc) = (twin(), twin());
    for setup in row.setup {
        // `IP ...`: a setup step with the real ip.
        let (setup, with_ip) = match setup.strip_prefix("IP ") {
            Some(rest) => (rest, true),
            None => (*setup, false),
        };
        let words = expand(setup, batch_dir, "setup");
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        for ns in [&ns_tc, &ns_rtc] {
            if with_ip {
                ns.ip(&words).ok("setup with ip");
            } else {
                ns.tc(&words).ok("setup with tc");
            }
        }
    }
    let (command, oracle): (&str, fn(&[&str]) -> Run) = match row.command.strip_prefix("IP ") {
        Some(command) => (command, ip),
        None => (row.command, tc),
    };
    let run_in = |ns: &Netns, runner: fn(&[&str]) -> Run, tag: &str| {
        let words = expand(command, batch_dir, &format!("{index}-{tag}"));
        let mut full = vec!["-n", ns.name()];
        full.extend(words.iter().map(String::as_str));
        let mut run = runner(&full);
        run.stdout = normalise(&run.stdout);
        run.stderr = normalise(
            &run.stderr
                .replace(&format!("batch-{index}-{tag}"), "batch-FILE"),
        );
        run
    };
    let by_tc = run_in(&ns_tc, oracle, "tc");
    let by_rtc = run_in(&ns_rtc, rtc, "rtc");
    let (state_tc, state_rtc) = (state(&ns_tc), state(&ns_rtc));

    let mut differences = Vec::new();
    let mut check = |what: &str, a: &str, b: &str| {
        if a != b {
            differences.push(format!("{what}:\n  tc : {a:?}\n  rtc: {b:?}"));
        }
    };
    let compare_all = !matches!(row.expect, Expect::Differs(_));
    if compare_all {
        check(
            "exit code",
            &by_tc.status.to_string(),
            &by_rtc.status.to_string(),
        );
        check("kernel state", &state_tc, &state_rtc);
    }
    if matches!(row.expect, Expect::Same | Expect::SameButStderr(_)) {
        check("stdout", &by_tc.stdout, &by_rtc.stdout);
    }
    if row.expect == Expect::Same {
        check("stderr", &by_tc.stderr, &by_rtc.stderr);
    }
    Outcome {
        name: row.name,
        differences,
        expect: row.expect,
    }
}

#[test]
fn rtc_matches_tc_row_by_row() {
    if !require_privileged() {
        return;
    }
    assert!(ROWS.len() >= 60, "the suite must keep at least 60 rows");
    let batch_dir = TempDir::new("conformance");
    let pinned = PinnedProgram::new(batch_dir.path());
    let outcomes: Vec<Outcome> = ROWS
        .iter()
        .enumerate()
        .map(|(i, row)| run_row(i, row, batch_dir.path()))
        .collect();
    drop(pinned);
    drop(batch_dir);

    let mut report = String::new();
    let mut failed = 0;
    for outcome in &outcomes {
        let verdict = if outcome.differences.is_empty() {
            "match"
        } else {
            "DIFFER"
        };
        report.push_str(&format!("{verdict:6} {}\n", outcome.name));
        match outcome.expect {
            Expect::Same => {}
            Expect::SameButStderr(why) => {
                report.push_str(&format!("       (stderr not compared: {why})\n"))
            }
            Expect::SameExitAndState(why) => report.push_str(&format!(
                "       (only exit code and state compared: {why})\n"
            )),
            Expect::Differs(why) => {
                report.push_str(&format!("       (differs on purpose: {why})\n"))
            }
        }
        for difference in &outcome.differences {
            report.push_str(&format!(
                "       {}\n",
                difference.replace('\n', "\n       ")
            ));
        }
        failed += usize::from(!outcome.differences.is_empty());
    }
    let on_purpose = outcomes.iter().filter(|o| o.expect != Expect::Same).count();
    report.push_str(&format!(
        "conformance: {} rows, {} match, {} differ ({} with a listed, intentional difference)\n",
        outcomes.len(),
        outcomes.len() - failed,
        failed,
        on_purpose
    ));
    println!("{report}");
    assert_eq!(failed, 0, "rows differ from tc:\n{report}");
}

/// Words generated `qdisc` command lines are drawn from.
const QDISC_WORDS: &[&str] = &[
    "dev",
    "DEV",
    "lo",
    "nosuchdev",
    "clsact",
    "ingress",
    "handle",
    "ffff:",
    "root",
    "parent",
    "bogus",
    "foo",
    "bar",
    "ingress_block",
    "egress_block",
    "1",
    "0",
];
/// Words generated `filter` command lines are drawn from.
const FILTER_WORDS: &[&str] = &[
    "dev",
    "DEV",
    "nosuchdev",
    "ingress",
    "egress",
    "pref",
    "10",
    "handle",
    "1",
    "protocol",
    "ip",
    "all",
    "chain",
    "2",
    "parent",
    "ffff:fff2",
    "bpf",
    "da",
    "obj",
    "OBJ:drop-arp",
    "sec",
    "ingress",
    "classid",
    "1:1",
    "skip_hw",
    "bogus",
    "foo",
    "verbose",
    "program",
    "drop",
    "bytecode",
    "1,6~0~0~0",
    "notakeyword",
    "root",
    "block",
    "5",
    "zz",
];

/// A small deterministic generator (an LCG), so every run samples the same lines.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len())]
    }
}

/// One generated command line: a qdisc or filter verb and up to seven words.
fn generated_line(lcg: &mut Lcg) -> String {
    let mut words: Vec<&str> = Vec::new();
    if lcg.below(10) < 4 {
        words.push("qdisc");
        words.push(lcg.pick(&["add", "del", "replace", "change", "show", "help", "bogus"]));
        for _ in 0..lcg.below(6) {
            words.push(lcg.pick(QDISC_WORDS));
        }
    } else {
        words.push("filter");
        words.push(lcg.pick(&["add", "del", "replace", "change", "show", "get", "help"]));
        if lcg.below(10) < 7 {
            words.extend(["dev", "DEV", lcg.pick(&["ingress", "egress"])]);
        }
        for _ in 0..lcg.below(8) {
            words.push(lcg.pick(FILTER_WORDS));
        }
    }
    words.join(" ")
}

/// Generated command lines (mostly wrong ones) exit with tc's code. Each runs on a
/// device with a fresh clsact qdisc in both twins; the exit codes are compared.
#[test]
fn generated_command_lines_exit_as_tc() {
    if !require_privileged() {
        return;
    }
    const LINES: usize = 300;
    let (ns_tc, ns_rtc) = (twin(), twin());
    let dir = TempDir::new("generated");
    let mut lcg = Lcg(0x7c_5eed);
    let mut differ = Vec::new();
    for index in 0..LINES {
        let line = generated_line(&mut lcg);
        for ns in [&ns_tc, &ns_rtc] {
            let _ = ns.tc(&["qdisc", "del", "dev", DEV, "clsact"]);
            let _ = ns.tc(&["qdisc", "del", "dev", DEV, "ingress"]);
            ns.tc(&["qdisc", "add", "dev", DEV, "clsact"])
                .ok("fresh clsact");
        }
        let words = expand(&line, dir.path(), &index.to_string());
        let run = |ns: &Netns, runner: fn(&[&str]) -> Run| {
            let mut full = vec!["-n", ns.name()];
            full.extend(words.iter().map(String::as_str));
            runner(&full)
        };
        let (by_tc, by_rtc) = (run(&ns_tc, tc), run(&ns_rtc, rtc));
        if by_tc.status != by_rtc.status {
            differ.push(format!(
                "{line}\n  tc  {}: {}\n  rtc {}: {}",
                by_tc.status,
                by_tc.stderr.lines().next().unwrap_or(""),
                by_rtc.status,
                by_rtc.stderr.lines().next().unwrap_or("")
            ));
        }
    }
    println!(
        "generated: {LINES} command lines, {} exit codes differ from tc's",
        differ.len()
    );
    assert!(
        differ.is_empty(),
        "exit codes differ:\n{}",
        differ.join("\n")
    );
}

#[test]
fn normalise_masks_only_volatile_numbers() {
    assert_eq!(
        normalise("id 12 name drop tag ab jited load_time 99 created_by_uid 0 btf_id 5 "),
        "id N name drop tag ab jited load_time N created_by_uid 0 btf_id N "
    );
    assert_eq!(
        normalise("{\"id\":7,\"pref\":49152}"),
        "{\"id\":N,\"pref\":49152}"
    );
    assert_eq!(normalise("ifindex 3 grid 4"), "ifindex 3 grid 4");
    assert_eq!(normalise("\"id\": 4603,"), "\"id\": N,");
}

/// `map update` of a program array takes bpftool's `value id N | pinned PATH`:
/// bpftool and rtc fill twin arrays and end with the same slots (the dump shows
/// each slot's program id) and the same exit codes.
#[test]
fn map_update_prog_array_as_bpftool() {
    if !require_privileged() {
        return;
    }
    let dir = TempDir::new("progarray");
    let pinned = PinnedProgram::new(dir.path());
    let mount = dir.path().join("bpffs");
    let array = |name: &str| mount.join(name).display().to_string();
    for name in ["by-bpftool", "by-rtc"] {
        rtc_tests::bpftool(&[
            "map",
            "create",
            &array(name),
            "type",
            "prog_array",
            "key",
            "4",
            "value",
            "4",
            "entries",
            "4",
            "name",
            "pa",
        ])
        .ok("bpftool map create");
    }
    let prog = array("cls");
    let info: serde_json::Value = serde_json::from_str(
        &rtc_tests::bpftool(&["-j", "prog", "show", "pinned", &prog])
            .ok("bpftool prog show")
            .stdout,
    )
    .expect("bpftool's JSON");
    let id = info["id"].to_string();
    let cases: [&[&str]; 6] = [
        &["key", "0", "0", "0", "0", "value", "pinned", &prog],
        &["key", "1", "0", "0", "0", "value", "id", &id, "any"],
        &["value", "id", &id, "key", "2", "0", "0", "0"],
        &[
            "key",
            "3",
            "0",
            "0",
            "0",
            "value",
            "pinned",
            "/nonexistent/p",
        ],
        &["key", "3", "0", "0", "0", "value", "id", "4294967295"],
        &["key", "3", "0", "0", "0"],
    ];
    for case in cases {
        let run = |tool: fn(&[&str]) -> Run, name: &str| {
            let map = array(name);
            let mut args = vec!["map", "update", "pinned", map.as_str()];
            args.extend_from_slice(case);
            tool(&args).status
        };
        assert_eq!(
            run(rtc_tests::bpftool, "by-bpftool"),
            run(rtc, "by-rtc"),
            "exit code of map update {case:?}"
        );
    }
    let dump = |name: &str| rtc_tests::bpftool(&["map", "dump", "pinned", &array(name)]).stdout;
    assert_eq!(dump("by-bpftool"), dump("by-rtc"));
    assert!(
        dump("by-rtc").contains("Found 3 elements"),
        "{}",
        dump("by-rtc")
    );
    drop(pinned);
}

/// The program ids in a pinned program array, by key (`bpftool -j map dump`).
fn slots(map: &std::path::Path) -> Vec<(u64, String)> {
    let dump = rtc_tests::bpftool(&["-j", "map", "dump", "pinned", &map.display().to_string()])
        .ok("bpftool map dump");
    let entries: serde_json::Value = serde_json::from_str(&dump.stdout).expect("bpftool's JSON");
    entries
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    let id = e["formatted"]["value"].as_u64().unwrap_or(0);
                    let prog = rtc_tests::prog_info(id);
                    (
                        e["formatted"]["key"].as_u64().unwrap_or(u64::MAX),
                        format!("{} {}", prog["name"], prog["tag"]),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `exec bpf graft`: tc and rtc each fill their own pinned program array (made by
/// tc loading tail-call-btf.o under a bpffs of their own, `TC_BPF_MNT`); exit codes,
/// the lines they print (tc 6.1's "unable to find map id" noise aside) and the
/// programs in the slots are the same.
#[test]
fn exec_bpf_graft_as_tc() {
    if !require_privileged() {
        return;
    }
    let obj = bpf_obj_arg("tail-call-btf");
    let twins = [("tc", twin()), ("rtc", twin())];
    // Each twin's bpffs, unmounted by its guard even when an assertion fails.
    let bpffs = [rtc_tests::Bpffs::new(), rtc_tests::Bpffs::new()];
    let mut mounts = Vec::new();
    for ((_, ns), fs) in twins.iter().zip(&bpffs) {
        let mount = fs.path().to_path_buf();
        let env = [("TC_BPF_MNT".to_string(), mount.display().to_string())];
        ns.tc(&["qdisc", "add", "dev", DEV, "clsact"]).ok("clsact");
        rtc_tests::run_env(
            "tc",
            &[
                "-n",
                ns.name(),
                "filter",
                "add",
                "dev",
                DEV,
                "ingress",
                "bpf",
                "da",
                "obj",
                &obj,
                "sec",
                "ingress",
            ],
            &env,
        )
        .ok("tc loads tail-call-btf.o");
        mounts.push(mount);
    }
    let cases: [&[&str]; 8] = [
        &["obj", &obj, "sec", "1/0"],
        &["key", "1", "obj", &obj, "sec", "1/0", "type", "cls"],
        &["obj", &obj, "sec", "ingress"],
        &["key", "5", "obj", &obj, "sec", "1/0"],
        &["key", "x", "obj", &obj, "sec", "1/0"],
        &["obj", &obj, "sec", "1/0", "more", "words"],
        &["obj", &obj, "sec", "nosuch"],
        &[],
    ];
    for case in cases {
        let mut outcomes = Vec::new();
        for (index, program) in ["tc".to_string(), rtc_tests::rtc_bin().display().to_string()]
            .iter()
            .enumerate()
        {
            let mount = &mounts[index];
            let map = mount.join("tc/globals/rtc_jumps_btf").display().to_string();
            let mut args = vec!["exec", "bpf", "graft", map.as_str()];
            args.extend_from_slice(case);
            let env = [("TC_BPF_MNT".to_string(), mount.display().to_string())];
            let run = rtc_tests::run_env(program, &args, &env);
            let stderr: Vec<String> = run
                .stderr
                .lines()
                .filter(|l| !l.starts_with("unable to find map id") && !l.starts_with("libbpf:"))
                .map(|l| l.replace(&mount.display().to_string(), "MOUNT"))
                .collect();
            outcomes.push((run.status, run.stdout, stderr));
        }
        assert_eq!(outcomes[0], outcomes[1], "exec bpf graft MAP {case:?}");
    }
    let (by_tc, by_rtc) = (
        slots(&mounts[0].join("tc/globals/rtc_jumps_btf")),
        slots(&mounts[1].join("tc/globals/rtc_jumps_btf")),
    );
    assert_eq!(by_tc, by_rtc);
    assert_eq!(by_rtc.len(), 2, "{by_rtc:?}");
}

/// Runs `program exec bpf dbg` in a mount namespace of its own prepared by `setup`
/// (shell commands), for at most two seconds; returns the exit code and stderr.
fn dbg_in_mount_ns(program: &str, setup: &str) -> (i32, String) {
    let script = format!("{setup}; timeout 2 {program} exec bpf dbg");
    let run = rtc_tests::run("unshare", &["-m", "sh", "-c", &script]);
    (run.status, run.stderr)
}

/// `exec bpf dbg` without tracefs says so as tc does; with tracefs (mounted in a
/// private mount namespace) it streams the trace pipe until stopped.
#[test]
fn exec_bpf_dbg_as_tc() {
    if !require_privileged() {
        return;
    }
    let rtc_bin = rtc_tests::rtc_bin().display().to_string();
    let absent = "umount -a -t tracefs 2>/dev/null; true";
    assert_eq!(
        dbg_in_mount_ns("tc", absent),
        dbg_in_mount_ns(&rtc_bin, absent)
    );
    let present = "mount -t tracefs nodev /sys/kernel/tracing";
    let (tc_status, tc_err) = dbg_in_mount_ns("tc", present);
    let (rtc_status, rtc_err) = dbg_in_mount_ns(&rtc_bin, present);
    assert_eq!(
        tc_status, 124,
        "tc streams until timeout stops it: {tc_err}"
    );
    assert_eq!(rtc_status, tc_status, "{rtc_err}");
    assert_eq!(
        tc_err.lines().next(),
        rtc_err.lines().next(),
        "the first line of stderr"
    );
}
