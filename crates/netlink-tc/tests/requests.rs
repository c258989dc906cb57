//! Every request netlink-tc encodes, compared byte for byte with the one the real
//! tc / ip 6.1 sent for the same command line (testdata/captures.txt), the
//! sequence number aside. Requests take program fds as `BorrowedFd`s, so each is
//! built with an fd this test owns (`/dev/null`), and that one attribute is then
//! given the number the tool used (see [`with_tool_fd`]).

mod captures;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::OnceLock;

use captures::{Block, Captures};
use netlink_tc::filter::{TCA_BPF_FD, encode_filter, encode_filter_dump, encode_filter_get};
use netlink_tc::message::{
    RTM_DELQDISC, RTM_DELTFILTER, RTM_GETQDISC, RTM_GETTFILTER, RTM_NEWLINK, RTM_NEWQDISC,
    RTM_NEWTFILTER, set_seq,
};
use netlink_tc::qdisc::{encode_qdisc, encode_qdisc_dump};
use netlink_tc::xdp::{IFLA_XDP_FD, encode_xdp};
use netlink_tc::{
    BpfAttach, BpfCode, FilterDumpSpec, FilterOp, FilterSpec, QdiscOp, QdiscSpec, XdpMode, XdpSpec,
    handle,
};

const ETH_P_IP: u16 = 0x0800;
const ETH_P_ARP: u16 = 0x0806;
const ETH_P_IPV6: u16 = 0x86dd;
const ETH_P_ALL: u16 = 0x0003;

/// `message` with the value of its one attribute `(attr_type, ours)` (a program fd,
/// 4 bytes) set to `theirs`, the fd the captured tool used. Attributes start at
/// 4-byte boundaries of the message; exactly one must match.
fn with_tool_fd(
    mut message: Vec<u8>,
    attr_type: u16,
    ours: BorrowedFd<'_>,
    theirs: u32,
) -> Vec<u8> {
    let mut pattern = Vec::new();
    pattern.extend_from_slice(&8u16.to_ne_bytes());
    pattern.extend_from_slice(&attr_type.to_ne_bytes());
    pattern.extend_from_slice(&ours.as_raw_fd().to_ne_bytes());
    let hits: Vec<usize> = (0..message.len().saturating_sub(7))
        .step_by(4)
        .filter(|&i| message[i..i + 8] == pattern[..])
        .collect();
    assert_eq!(hits.len(), 1, "one fd attribute of type {attr_type}");
    message[hits[0] + 4..hits[0] + 8].copy_from_slice(&theirs.to_ne_bytes());
    message
}

/// An open fd to stand in for a program in requests (one for the whole run).
fn stand_in() -> BorrowedFd<'static> {
    static FILE: OnceLock<std::fs::File> = OnceLock::new();
    FILE.get_or_init(|| std::fs::File::open("/dev/null").unwrap())
        .as_fd()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Gives `ours` the captured sequence number and compares.
fn assert_same(block: &Block, mut ours: Vec<u8>, captured: &[u8]) {
    let seq = u32::from_ne_bytes(captured[8..12].try_into().unwrap());
    set_seq(&mut ours, seq);
    assert_eq!(
        to_hex(&ours),
        to_hex(captured),
        "\n{}: `{}`\n ours: {}\n real: {}",
        block.name,
        block.command,
        to_hex(&ours),
        to_hex(captured)
    );
}

fn sv0(c: &Captures) -> u32 {
    c.ifindex("sv0")
}

#[test]
fn qdisc_requests_match_tc() {
    let c = captures::load();
    let cases = [
        (
            "qdisc-add-clsact",
            QdiscOp::Add,
            RTM_NEWQDISC,
            QdiscSpec::clsact(sv0(&c)),
        ),
        (
            "qdisc-add-clsact-again",
            QdiscOp::Add,
            RTM_NEWQDISC,
            QdiscSpec::clsact(sv0(&c)),
        ),
        (
            "qdisc-replace-clsact",
            QdiscOp::Replace,
            RTM_NEWQDISC,
            QdiscSpec::clsact(sv0(&c)),
        ),
        (
            "qdisc-replace-clsact-new",
            QdiscOp::Replace,
            RTM_NEWQDISC,
            QdiscSpec::clsact(sv0(&c)),
        ),
        (
            "qdisc-change-clsact",
            QdiscOp::Change,
            RTM_NEWQDISC,
            QdiscSpec::clsact(sv0(&c)),
        ),
        (
            "qdisc-del-clsact",
            QdiscOp::Delete,
            RTM_DELQDISC,
            QdiscSpec::clsact(sv0(&c)),
        ),
        (
            "qdisc-del-clsact-again",
            QdiscOp::Delete,
            RTM_DELQDISC,
            QdiscSpec::clsact(sv0(&c)),
        ),
        (
            "qdisc-add-ingress",
            QdiscOp::Add,
            RTM_NEWQDISC,
            QdiscSpec::ingress(sv0(&c)),
        ),
        (
            "qdisc-del-ingress",
            QdiscOp::Delete,
            RTM_DELQDISC,
            QdiscSpec::ingress(sv0(&c)),
        ),
        (
            "qdisc-add-clsact-over-ingress",
            QdiscOp::Add,
            RTM_NEWQDISC,
            QdiscSpec::clsact(sv0(&c)),
        ),
    ];
    for (name, op, kind, spec) in cases {
        let block = c.block(name);
        assert_same(block, encode_qdisc(op, &spec).unwrap(), block.sent(kind));
    }
}

#[test]
fn qdisc_dump_requests_match_tc() {
    let c = captures::load();
    for name in [
        "qdisc-show",
        "qdisc-show-s",
        "qdisc-show-j-p",
        "qdisc-show-noqueue",
        "qdisc-show-filter-ingress",
    ] {
        let block = c.block(name);
        assert_same(block, encode_qdisc_dump(sv0(&c)), block.sent(RTM_GETQDISC));
    }
    let block = c.block("qdisc-show-all");
    assert_same(block, encode_qdisc_dump(0), block.sent(RTM_GETQDISC));
}

/// `bpf [da] obj tiny.o [sec SECTION]`, with the stand-in fd.
fn bpf(section: &str, da: bool) -> BpfAttach<'static> {
    BpfAttach::program(stand_in(), BpfAttach::object_name("tiny.o", section)).with_direct_action(da)
}

/// `encode_filter`, with the fd the tool used in place of the stand-in.
fn encode_as_tool(block: &Block, op: FilterOp, spec: &FilterSpec<'_>) -> Vec<u8> {
    let ours = encode_filter(op, spec).unwrap();
    match &spec.bpf {
        Some(bpf) if matches!(bpf.code, BpfCode::Program { .. }) => {
            with_tool_fd(ours, TCA_BPF_FD, stand_in(), block.prog_fd())
        }
        _ => ours,
    }
}

#[test]
fn filter_requests_match_tc() {
    let c = captures::load();
    let dev = sv0(&c);
    let ingress = FilterSpec::new(dev, handle::INGRESS);
    let egress = FilterSpec::new(dev, handle::EGRESS);
    type Spec = FilterSpec<'static>;
    type Case = (&'static str, FilterOp, Box<dyn Fn() -> Spec>);
    let on = |spec: &Spec, f: fn(Spec) -> Spec| {
        let spec = spec.clone();
        Box::new(move || f(spec.clone())) as Box<dyn Fn() -> Spec>
    };
    let cases: Vec<Case> = vec![
        (
            "filter-add-da",
            FilterOp::Add,
            on(&ingress, |s| s.with_bpf(bpf("classifier", true))),
        ),
        (
            "filter-add-da-second",
            FilterOp::Add,
            on(&ingress, |s| s.with_bpf(bpf("ingress", true))),
        ),
        (
            "filter-add-classid",
            FilterOp::Add,
            on(&ingress, |s| {
                s.with_pref(10)
                    .with_handle(3)
                    .with_protocol(ETH_P_IP)
                    .with_bpf(bpf("classifier", false).with_classid_first(0x0001_0001))
            }),
        ),
        (
            "filter-add-same-pref",
            FilterOp::Add,
            on(&ingress, |s| {
                s.with_pref(10)
                    .with_handle(5)
                    .with_protocol(ETH_P_IP)
                    .with_bpf(bpf("ingress", true).with_skip_hw(true))
            }),
        ),
        (
            "filter-add-proto-mismatch",
            FilterOp::Add,
            on(&ingress, |s| {
                s.with_pref(10)
                    .with_protocol(ETH_P_IPV6)
                    .with_bpf(bpf("classifier", true))
            }),
        ),
        (
            "filter-add-chain",
            FilterOp::Add,
            on(&ingress, |s| {
                s.with_chain(2)
                    .with_pref(20)
                    .with_protocol(ETH_P_ARP)
                    .with_bpf(bpf("classifier", true))
            }),
        ),
        (
            "filter-add-egress",
            FilterOp::Add,
            on(&egress, |s| {
                s.with_pref(7)
                    .with_handle(3)
                    .with_protocol(ETH_P_IPV6)
                    .with_bpf(bpf("classifier", true))
            }),
        ),
        (
            "filter-add-exists",
            FilterOp::Add,
            on(&egress, |s| {
                s.with_pref(7)
                    .with_handle(3)
                    .with_protocol(ETH_P_IPV6)
                    .with_bpf(bpf("classifier", true))
            }),
        ),
        (
            "filter-add-parent",
            FilterOp::Add,
            on(&egress, |s| {
                s.with_pref(8).with_bpf(bpf("classifier", true))
            }),
        ),
        (
            "filter-add-handle-hex",
            FilterOp::Add,
            on(&egress, |s| {
                s.with_pref(9)
                    .with_handle(0x10)
                    .with_protocol(ETH_P_ALL)
                    .with_bpf(bpf("ingress", true))
            }),
        ),
        (
            "filter-replace",
            FilterOp::Replace,
            on(&egress, |s| {
                s.with_pref(7)
                    .with_handle(3)
                    .with_protocol(ETH_P_IPV6)
                    .with_bpf(bpf("ingress", true))
            }),
        ),
        (
            "filter-change",
            FilterOp::Change,
            on(&egress, |s| {
                s.with_pref(7)
                    .with_handle(3)
                    .with_protocol(ETH_P_IPV6)
                    .with_bpf(bpf("classifier", false))
            }),
        ),
        (
            "filter-replace-new",
            FilterOp::Replace,
            on(&egress, |s| {
                s.with_pref(6)
                    .with_protocol(ETH_P_IP)
                    .with_bpf(bpf("classifier", true))
            }),
        ),
        (
            "filter-add-noqdisc",
            FilterOp::Add,
            on(&ingress, |s| s.with_bpf(bpf("classifier", true))),
        ),
    ];
    for (name, op, spec) in cases {
        let block = c.block(name);
        let (kind, _) = op.type_and_flags();
        assert_same(block, encode_as_tool(block, op, &spec()), block.sent(kind));
    }
}

/// cls_bpf options without a kind still go out as tc sends them: the kind is "bpf".
#[test]
fn bpf_options_always_carry_their_kind() {
    let c = captures::load();
    let block = c.block("filter-add-da");
    let mut spec = FilterSpec::new(sv0(&c), handle::INGRESS);
    spec.bpf = Some(bpf("classifier", true));
    assert_same(
        block,
        encode_as_tool(block, FilterOp::Add, &spec),
        block.sent(RTM_NEWTFILTER),
    );
}

#[test]
fn filter_delete_requests_match_tc() {
    let c = captures::load();
    let ingress = FilterSpec::new(sv0(&c), handle::INGRESS);
    let egress = FilterSpec::new(sv0(&c), handle::EGRESS);
    let cases = [
        (
            "filter-del-handle",
            ingress
                .clone()
                .with_pref(10)
                .with_handle(5)
                .with_protocol(ETH_P_IP)
                .with_kind("bpf"),
        ),
        ("filter-del-pref", ingress.clone().with_pref(10)),
        (
            "filter-del-pref-kind",
            ingress.clone().with_pref(49151).with_kind("bpf"),
        ),
        (
            "filter-del-proto",
            egress.clone().with_pref(7).with_protocol(ETH_P_IPV6),
        ),
        ("filter-del-missing", egress.clone().with_pref(99)),
        ("filter-del-chain", ingress.clone().with_chain(2)),
        ("filter-del-all", ingress.clone()),
        ("filter-del-all-egress", egress.clone()),
        ("filter-del-noqdisc", ingress.clone()),
    ];
    for (name, spec) in cases {
        let block = c.block(name);
        assert_same(
            block,
            encode_filter(FilterOp::Delete, &spec).unwrap(),
            block.sent(RTM_DELTFILTER),
        );
    }
}

#[test]
fn filter_get_requests_match_tc() {
    let c = captures::load();
    let get = FilterSpec::new(sv0(&c), handle::INGRESS)
        .with_pref(10)
        .with_handle(3)
        .with_protocol(ETH_P_IP)
        .with_kind("bpf");
    for name in [
        "filter-get",
        "filter-get-j",
        "filter-get-d",
        "filter-get-j-p",
    ] {
        let block = c.block(name);
        assert_same(
            block,
            encode_filter_get(&get).unwrap(),
            block.sent(RTM_GETTFILTER),
        );
    }
    let block = c.block("filter-get-missing");
    let missing = get.clone().with_handle(9);
    assert_same(
        block,
        encode_filter_get(&missing).unwrap(),
        block.sent(RTM_GETTFILTER),
    );
    let block = c.block("filter-get-chain");
    let chained = get
        .with_chain(2)
        .with_protocol(ETH_P_ARP)
        .with_pref(20)
        .with_handle(1);
    assert_same(
        block,
        encode_filter_get(&chained).unwrap(),
        block.sent(RTM_GETTFILTER),
    );
}

#[test]
fn filter_dump_requests_match_tc() {
    let c = captures::load();
    let ingress = FilterDumpSpec::new(sv0(&c), handle::INGRESS);
    let at = |parent: u32| FilterDumpSpec::new(sv0(&c), parent);
    let cases = [
        ("filter-show-ingress", ingress),
        ("filter-show-ingress-s-d", ingress),
        ("filter-show-ingress-j-p", ingress),
        ("filter-show-empty", ingress),
        ("filter-show-noqdisc", ingress),
        ("filter-show-egress", at(handle::EGRESS)),
        ("filter-show-noparent", at(0)),
        ("filter-show-parent-ffff", at(0xffff_0000)),
        ("filter-show-parent-fff2", at(0xffff_fff2)),
        ("filter-show-pref", ingress.with_pref(10)),
        ("filter-show-protocol", ingress.with_protocol(ETH_P_IP)),
        ("filter-show-chain2", ingress.with_chain(2)),
        ("filter-show-chain0", ingress.with_chain(0)),
    ];
    for (name, spec) in cases {
        let block = c.block(name);
        assert_same(block, encode_filter_dump(&spec), block.sent(RTM_GETTFILTER));
    }
}

#[test]
fn xdp_requests_match_ip() {
    let c = captures::load();
    let dev = sv0(&c);
    let cases = [
        ("xdp-attach", XdpMode::Any, true, false),
        ("xdp-attach-again", XdpMode::Any, true, false),
        ("xdp-attach-force", XdpMode::Any, true, true),
        ("xdp-generic-while-drv", XdpMode::Generic, true, false),
        ("xdp-off", XdpMode::Any, false, false),
        ("xdp-off-again", XdpMode::Any, false, false),
        ("xdp-generic", XdpMode::Generic, true, false),
        ("xdp-generic-off", XdpMode::Generic, false, false),
        ("xdp-drv", XdpMode::Driver, true, false),
        ("xdp-drv-off", XdpMode::Driver, false, false),
    ];
    for (name, mode, attach, force) in cases {
        let block = c.block(name);
        let fd = attach.then(stand_in);
        let spec = XdpSpec::new(dev, fd, mode).with_force(force);
        let mut ours = encode_xdp(&spec).unwrap();
        if let Some(fd) = fd {
            ours = with_tool_fd(ours, IFLA_XDP_FD, fd, block.prog_fd());
        }
        assert_same(block, ours, block.sent(RTM_NEWLINK));
    }
}

#[test]
fn every_filter_and_qdisc_command_was_checked() {
    // Guard against a capture silently dropping out of the tables above: every
    // block that sent a tc request of these types is named in one of the tests.
    let c = captures::load();
    let checked = include_str!("requests.rs");
    for block in c.blocks.values() {
        let relevant = block.sends.iter().any(|m| {
            let kind = u16::from_ne_bytes([m[4], m[5]]);
            matches!(
                kind,
                RTM_NEWQDISC | RTM_DELQDISC | RTM_NEWTFILTER | RTM_DELTFILTER
            ) || (kind == RTM_NEWLINK && m[8..12] != [0; 4])
        });
        if relevant {
            assert!(
                checked.contains(&format!("\"{}\"", block.name)),
                "capture {} is not compared by any test",
                block.name
            );
        }
    }
}
