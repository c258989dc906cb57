//! Every request netlink-tc encodes, compared byte for byte with the one the real
//! tc / ip 6.1 sent for the same command line (testdata/captures.txt), the
//! sequence number aside. Program fds are the ones the tools used.

mod captures;

use captures::{Block, Captures};
use netlink_tc::filter::{encode_filter, encode_filter_dump, encode_filter_get};
use netlink_tc::message::{
    RTM_DELQDISC, RTM_DELTFILTER, RTM_GETQDISC, RTM_GETTFILTER, RTM_NEWLINK, RTM_NEWQDISC,
    RTM_NEWTFILTER, set_seq,
};
use netlink_tc::qdisc::{encode_qdisc, encode_qdisc_dump};
use netlink_tc::xdp::encode_xdp;
use netlink_tc::{
    BpfAttach, FilterDumpSpec, FilterOp, FilterSpec, QdiscOp, QdiscSpec, XdpMode, XdpSpec, handle,
};

const ETH_P_IP: u16 = 0x0800;
const ETH_P_ARP: u16 = 0x0806;
const ETH_P_IPV6: u16 = 0x86dd;
const ETH_P_ALL: u16 = 0x0003;

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

/// `bpf [da] obj tiny.o [sec SECTION]` with the fd the tool used.
fn bpf(block: &Block, section: &str, da: bool) -> Option<BpfAttach> {
    Some(BpfAttach {
        direct_action: da,
        ..BpfAttach::program(block.prog_fd(), BpfAttach::object_name("tiny.o", section))
    })
}

#[test]
fn filter_requests_match_tc() {
    let c = captures::load();
    let dev = sv0(&c);
    let base = FilterSpec {
        ifindex: dev,
        parent: handle::INGRESS,
        kind: Some("bpf".into()),
        ..FilterSpec::default()
    };
    let egress = FilterSpec {
        parent: handle::EGRESS,
        ..base.clone()
    };
    type Case = (&'static str, FilterOp, Box<dyn Fn(&Block) -> FilterSpec>);
    let cases: Vec<Case> = vec![
        ("filter-add-da", FilterOp::Add, {
            let base = base.clone();
            Box::new(move |b| FilterSpec {
                bpf: bpf(b, "classifier", true),
                ..base.clone()
            })
        }),
        ("filter-add-da-second", FilterOp::Add, {
            let base = base.clone();
            Box::new(move |b| FilterSpec {
                bpf: bpf(b, "ingress", true),
                ..base.clone()
            })
        }),
        ("filter-add-classid", FilterOp::Add, {
            let base = base.clone();
            Box::new(move |b| FilterSpec {
                pref: 10,
                handle: 3,
                protocol: Some(ETH_P_IP),
                bpf: bpf(b, "classifier", false).map(|a| BpfAttach {
                    classid: Some(0x0001_0001),
                    ..a
                }),
                ..base.clone()
            })
        }),
        ("filter-add-same-pref", FilterOp::Add, {
            let base = base.clone();
            Box::new(move |b| FilterSpec {
                pref: 10,
                handle: 5,
                protocol: Some(ETH_P_IP),
                bpf: bpf(b, "ingress", true).map(|a| BpfAttach { skip_hw: true, ..a }),
                ..base.clone()
            })
        }),
        ("filter-add-proto-mismatch", FilterOp::Add, {
            let base = base.clone();
            Box::new(move |b| FilterSpec {
                pref: 10,
                protocol: Some(ETH_P_IPV6),
                bpf: bpf(b, "classifier", true),
                ..base.clone()
            })
        }),
        ("filter-add-chain", FilterOp::Add, {
            let base = base.clone();
            Box::new(move |b| FilterSpec {
                chain: Some(2),
                pref: 20,
                protocol: Some(ETH_P_ARP),
                bpf: bpf(b, "classifier", true),
                ..base.clone()
            })
        }),
        ("filter-add-egress", FilterOp::Add, {
            let egress = egress.clone();
            Box::new(move |b| FilterSpec {
                pref: 7,
                handle: 3,
                protocol: Some(ETH_P_IPV6),
                bpf: bpf(b, "classifier", true),
                ..egress.clone()
            })
        }),
        ("filter-add-exists", FilterOp::Add, {
            let egress = egress.clone();
            Box::new(move |b| FilterSpec {
                pref: 7,
                handle: 3,
                protocol: Some(ETH_P_IPV6),
                bpf: bpf(b, "classifier", true),
                ..egress.clone()
            })
        }),
        ("filter-add-parent", FilterOp::Add, {
            let base = base.clone();
            Box::new(move |b| FilterSpec {
                parent: 0xffff_fff3,
                pref: 8,
                bpf: bpf(b, "classifier", true),
                ..base.clone()
            })
        }),
        ("filter-add-handle-hex", FilterOp::Add, {
            let egress = egress.clone();
            Box::new(move |b| FilterSpec {
                pref: 9,
                handle: 0x10,
                protocol: Some(ETH_P_ALL),
                bpf: bpf(b, "ingress", true),
                ..egress.clone()
            })
        }),
        ("filter-replace", FilterOp::Replace, {
            let egress = egress.clone();
            Box::new(move |b| FilterSpec {
                pref: 7,
                handle: 3,
                protocol: Some(ETH_P_IPV6),
                bpf: bpf(b, "ingress", true),
                ..egress.clone()
            })
        }),
        ("filter-change", FilterOp::Change, {
            let egress = egress.clone();
            Box::new(move |b| FilterSpec {
                pref: 7,
                handle: 3,
                protocol: Some(ETH_P_IPV6),
                bpf: bpf(b, "classifier", false),
                ..egress.clone()
            })
        }),
        ("filter-replace-new", FilterOp::Replace, {
            let egress = egress.clone();
            Box::new(move |b| FilterSpec {
                pref: 6,
                protocol: Some(ETH_P_IP),
                bpf: bpf(b, "classifier", true),
                ..egress.clone()
            })
        }),
        ("filter-add-noqdisc", FilterOp::Add, {
            let base = base.clone();
            Box::new(move |b| FilterSpec {
                bpf: bpf(b, "classifier", true),
                ..base.clone()
            })
        }),
    ];
    for (name, op, spec) in cases {
        let block = c.block(name);
        let spec = spec(block);
        let (kind, _) = op.type_and_flags();
        assert_same(block, encode_filter(op, &spec).unwrap(), block.sent(kind));
    }
}

#[test]
fn filter_delete_requests_match_tc() {
    let c = captures::load();
    let ingress = FilterSpec {
        ifindex: sv0(&c),
        parent: handle::INGRESS,
        ..FilterSpec::default()
    };
    let egress = FilterSpec {
        parent: handle::EGRESS,
        ..ingress.clone()
    };
    let bpf_kind = Some("bpf".to_string());
    let cases = [
        (
            "filter-del-handle",
            FilterSpec {
                pref: 10,
                handle: 5,
                protocol: Some(ETH_P_IP),
                kind: bpf_kind.clone(),
                ..ingress.clone()
            },
        ),
        (
            "filter-del-pref",
            FilterSpec {
                pref: 10,
                ..ingress.clone()
            },
        ),
        (
            "filter-del-pref-kind",
            FilterSpec {
                pref: 49151,
                kind: bpf_kind.clone(),
                ..ingress.clone()
            },
        ),
        (
            "filter-del-proto",
            FilterSpec {
                pref: 7,
                protocol: Some(ETH_P_IPV6),
                ..egress.clone()
            },
        ),
        (
            "filter-del-missing",
            FilterSpec {
                pref: 99,
                ..egress.clone()
            },
        ),
        (
            "filter-del-chain",
            FilterSpec {
                chain: Some(2),
                ..ingress.clone()
            },
        ),
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
    let get = FilterSpec {
        ifindex: sv0(&c),
        parent: handle::INGRESS,
        pref: 10,
        handle: 3,
        protocol: Some(ETH_P_IP),
        kind: Some("bpf".into()),
        ..FilterSpec::default()
    };
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
    let missing = FilterSpec {
        handle: 9,
        ..get.clone()
    };
    assert_same(
        block,
        encode_filter_get(&missing).unwrap(),
        block.sent(RTM_GETTFILTER),
    );
    let block = c.block("filter-get-chain");
    let chained = FilterSpec {
        chain: Some(2),
        protocol: Some(ETH_P_ARP),
        pref: 20,
        handle: 1,
        ..get
    };
    assert_same(
        block,
        encode_filter_get(&chained).unwrap(),
        block.sent(RTM_GETTFILTER),
    );
}

#[test]
fn filter_dump_requests_match_tc() {
    let c = captures::load();
    let ingress = FilterDumpSpec {
        ifindex: sv0(&c),
        parent: handle::INGRESS,
        ..FilterDumpSpec::default()
    };
    let cases = [
        ("filter-show-ingress", ingress),
        ("filter-show-ingress-s-d", ingress),
        ("filter-show-ingress-j-p", ingress),
        ("filter-show-empty", ingress),
        ("filter-show-noqdisc", ingress),
        (
            "filter-show-egress",
            FilterDumpSpec {
                parent: handle::EGRESS,
                ..ingress
            },
        ),
        (
            "filter-show-noparent",
            FilterDumpSpec {
                parent: 0,
                ..ingress
            },
        ),
        (
            "filter-show-parent-ffff",
            FilterDumpSpec {
                parent: 0xffff_0000,
                ..ingress
            },
        ),
        (
            "filter-show-parent-fff2",
            FilterDumpSpec {
                parent: 0xffff_fff2,
                ..ingress
            },
        ),
        (
            "filter-show-pref",
            FilterDumpSpec {
                pref: 10,
                ..ingress
            },
        ),
        (
            "filter-show-protocol",
            FilterDumpSpec {
                protocol: ETH_P_IP,
                ..ingress
            },
        ),
        (
            "filter-show-chain2",
            FilterDumpSpec {
                chain: Some(2),
                ..ingress
            },
        ),
        (
            "filter-show-chain0",
            FilterDumpSpec {
                chain: Some(0),
                ..ingress
            },
        ),
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
        let mut spec = XdpSpec::new(dev, attach.then(|| block.prog_fd() as i32), mode);
        spec.force = force;
        assert_same(block, encode_xdp(&spec).unwrap(), block.sent(RTM_NEWLINK));
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
