//! Decoding what the kernel answered the real tc / ip (testdata/captures.txt):
//! acknowledgements and refusals must read as tc printed them, dumps must hold what
//! tc printed from them, and no prefix of any captured message may panic a decoder.

mod captures;

use captures::{Block, Captures};
use netlink_tc::filter::decode_filter;
use netlink_tc::link::decode_link;
use netlink_tc::message::{
    DoneMessage, ErrorMessage, Message, Messages, NLMSG_DONE, NLMSG_ERROR, RTM_NEWLINK,
    RTM_NEWQDISC, RTM_NEWTFILTER,
};
use netlink_tc::qdisc::decode_qdisc;
use netlink_tc::{Filter, XdpAttached};

/// Every message of every received buffer of a block.
fn received(block: &Block) -> Vec<Vec<u8>> {
    block
        .recvs
        .iter()
        .flat_map(|buf| {
            Messages::new(buf)
                .map(|m| m.expect("captured reply parses").bytes.to_vec())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn of_type(block: &Block, kind: u16) -> Vec<Vec<u8>> {
    received(block)
        .into_iter()
        .filter(|m| u16::from_ne_bytes([m[4], m[5]]) == kind)
        .collect()
}

#[test]
fn refusals_read_as_tc_printed_them() {
    let c = captures::load();
    let mut seen = 0;
    for block in c.blocks.values() {
        for raw in of_type(block, NLMSG_ERROR) {
            let reply = ErrorMessage::decode(&Message::parse(&raw).unwrap()).unwrap();
            let Some(refusal) = reply.kernel_error() else {
                continue;
            };
            // ip's feature probe (sequence 0) is answered with an error tc never shows.
            if reply.request.seq == 0 {
                continue;
            }
            let first_line = block.err.lines().next().unwrap_or("");
            assert_eq!(refusal.iproute2_text(), first_line, "{}", block.name);
            assert_eq!(block.exit, 2, "{}", block.name);
            seen += 1;
        }
    }
    assert!(seen >= 8, "only {seen} refusals captured");
}

#[test]
fn refusal_details() {
    let c = captures::load();
    let raw = of_type(c.block("qdisc-add-clsact-again"), NLMSG_ERROR).remove(0);
    let reply = ErrorMessage::decode(&Message::parse(&raw).unwrap()).unwrap();
    let refusal = reply.kernel_error().unwrap();
    assert_eq!(refusal.errno, libc::EEXIST);
    assert_eq!(
        refusal.message.as_deref(),
        Some("Exclusivity flag on, cannot modify")
    );
    // The echoed request is the one tc sent.
    assert_eq!(reply.request.kind, RTM_NEWQDISC);
    assert_eq!(reply.request.flags, 0x605);
}

#[test]
fn successes_are_plain_acks() {
    let c = captures::load();
    for name in [
        "qdisc-add-clsact",
        "qdisc-del-clsact",
        "filter-add-da",
        "filter-replace",
        "filter-del-all",
        "xdp-attach",
        "xdp-off",
    ] {
        let block = c.block(name);
        let acks: Vec<_> = of_type(block, NLMSG_ERROR)
            .iter()
            .map(|raw| ErrorMessage::decode(&Message::parse(raw).unwrap()).unwrap())
            .filter(|e| e.request.seq != 0)
            .collect();
        assert_eq!(acks.len(), 1, "{name}");
        assert_eq!(acks[0].error, 0, "{name}");
        assert!(acks[0].kernel_error().is_none());
    }
}

fn filters(block: &Block) -> Vec<Filter> {
    of_type(block, RTM_NEWTFILTER)
        .iter()
        .map(|raw| decode_filter(&Message::parse(raw).unwrap()).unwrap())
        .collect()
}

/// Each decoded filter against the line tc printed for it.
fn check_filters_against_output(c: &Captures, name: &str) {
    let block = c.block(name);
    let decoded = filters(block);
    let lines: Vec<&str> = block.out.lines().collect();
    assert_eq!(decoded.len(), lines.len(), "{name}");
    for (filter, line) in decoded.iter().zip(&lines) {
        assert!(
            line.contains(&format!("pref {} ", filter.pref())),
            "{name}: {line}"
        );
        assert_eq!(filter.kind.as_deref(), Some("bpf"));
        let chain = filter.chain.expect("dumps carry TCA_CHAIN");
        assert!(
            line.contains(&format!("bpf chain {chain} ")),
            "{name}: {line}"
        );
        let protocol = match filter.protocol() {
            0x0003 => "all",
            0x0800 => "ip",
            0x86dd => "ipv6",
            0x0806 => "arp",
            other => panic!("unexpected protocol {other:#x}"),
        };
        assert!(line.starts_with(&format!("filter protocol {protocol} ")));
        match filter.bpf() {
            None => {
                assert_eq!(filter.handle, 0);
                assert!(line.ends_with("chain 0 ") || line.ends_with(&format!("chain {chain} ")));
            }
            Some(bpf) => {
                assert!(line.contains(&format!("handle {:#x} ", filter.handle)));
                assert!(line.contains(&format!(" {} ", bpf.name.as_deref().unwrap())));
                assert!(line.contains(&format!(" id {} ", bpf.id.unwrap())));
                assert_eq!(bpf.direct_action(), line.contains(" direct-action "));
                let flags_gen = bpf.flags_gen.unwrap();
                assert_eq!(flags_gen & 1 != 0, line.contains(" skip_hw "));
                assert_eq!(flags_gen & 8 != 0, line.contains(" not_in_hw "));
                let tag: String = bpf
                    .tag
                    .as_ref()
                    .unwrap()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert!(line.contains(&format!(" tag {tag} ")), "{line}");
                assert_eq!(bpf.classid.is_some(), line.contains(" flowid "));
                assert!(bpf.fd.is_none());
            }
        }
    }
}

#[test]
fn filter_dumps_hold_what_tc_printed() {
    let c = captures::load();
    check_filters_against_output(&c, "filter-show-ingress");
    check_filters_against_output(&c, "filter-show-egress");
    check_filters_against_output(&c, "filter-show-parent-fff2");
    // The reply to `get` is a single filter message.
    let got = filters(c.block("filter-get"));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].handle, 3);
    assert_eq!(got[0].bpf().unwrap().classid, Some(0x0001_0001));
    assert!(filters(c.block("filter-show-empty")).is_empty());
}

#[test]
fn qdisc_dumps_hold_what_tc_printed() {
    let c = captures::load();
    let block = c.block("qdisc-show-s-busy");
    let qdiscs: Vec<_> = of_type(block, RTM_NEWQDISC)
        .iter()
        .map(|raw| decode_qdisc(&Message::parse(raw).unwrap()).unwrap())
        .collect();
    let sv0 = c.ifindex("sv0");
    let ours: Vec<_> = qdiscs.iter().filter(|q| q.ifindex == sv0).collect();
    assert_eq!(ours.len(), 2);
    assert_eq!(ours[0].kind, "noqueue");
    assert_eq!(ours[0].refcnt, 2);
    assert_eq!(ours[0].parent, 0xffff_ffff);
    let clsact = ours[1];
    assert_eq!(clsact.kind, "clsact");
    assert_eq!((clsact.handle, clsact.parent), (0xffff_0000, 0xffff_fff1));
    let stats = clsact.stats.stats2.as_ref().unwrap();
    let basic = stats.basic.unwrap();
    assert!(block.out.contains(&format!(
        " Sent {} bytes {} pkt ",
        basic.bytes, basic.packets
    )));
    assert!(basic.packets > 0);
    assert!(stats.queue.is_some());
}

#[test]
fn dumps_end_with_done() {
    let c = captures::load();
    for name in ["filter-show-ingress", "qdisc-show", "filter-show-empty"] {
        let done = of_type(c.block(name), NLMSG_DONE);
        assert_eq!(done.len(), 1, "{name}");
        let done = DoneMessage::decode(&Message::parse(&done[0]).unwrap()).unwrap();
        assert_eq!(done.error, 0);
    }
}

#[test]
fn link_answers_show_the_xdp_program() {
    let c = captures::load();
    let sv0 = c.ifindex("sv0");
    let cases = [
        ("xdp-show", XdpAttached::Driver),
        ("xdp-drv-show", XdpAttached::Driver),
        ("xdp-generic-show", XdpAttached::Generic),
        ("xdp-none-show", XdpAttached::None),
    ];
    for (name, mode) in cases {
        let block = c.block(name);
        let links: Vec<_> = of_type(block, RTM_NEWLINK)
            .iter()
            .map(|raw| decode_link(&Message::parse(raw).unwrap()).unwrap())
            .filter(|l| l.ifindex == sv0)
            .collect();
        assert!(!links.is_empty(), "{name}");
        assert_eq!(links[0].name.as_deref(), Some("sv0"));
        let link = &links[0].xdp;
        assert_eq!(link.attached, mode, "{name}");
        match link.prog_id {
            Some(id) => assert!(block.out.contains(&format!("prog/xdp id {id} ")), "{name}"),
            None => assert!(!block.out.contains("prog/xdp"), "{name}"),
        }
        match mode {
            XdpAttached::Driver => assert_eq!(link.drv_prog_id, link.prog_id),
            XdpAttached::Generic => assert_eq!(link.skb_prog_id, link.prog_id),
            _ => assert_eq!(link.prog_id, None),
        }
    }
}

/// Runs every decoder over `bytes`, ignoring results: only panics matter.
fn decode_everything(bytes: &[u8]) {
    for message in Messages::new(bytes).flatten() {
        let _ = decode_filter(&message);
        let _ = decode_qdisc(&message);
        let _ = decode_link(&message);
        let _ = ErrorMessage::decode(&message);
        let _ = DoneMessage::decode(&message);
    }
}

#[test]
fn truncated_messages_never_panic() {
    let c = captures::load();
    for block in c.blocks.values() {
        for message in received(block).iter().chain(block.sends.iter()) {
            for cut in 0..message.len() {
                // As received: the length field now promises too much.
                decode_everything(&message[..cut]);
                // Length field adjusted: the inner structures are cut short.
                if cut >= 4 {
                    let mut short = message[..cut].to_vec();
                    short[..4].copy_from_slice(&(cut as u32).to_ne_bytes());
                    decode_everything(&short);
                }
            }
        }
    }
}

#[test]
fn corrupted_attribute_lengths_are_errors() {
    let c = captures::load();
    let raw = of_type(c.block("filter-get"), RTM_NEWTFILTER).remove(0);
    // First attribute header is at 16 (nlmsghdr) + 20 (tcmsg); make it claim 0xffff.
    let mut bad = raw.clone();
    bad[36..38].copy_from_slice(&0xffffu16.to_ne_bytes());
    assert!(decode_filter(&Message::parse(&bad).unwrap()).is_err());
    bad[36..38].copy_from_slice(&2u16.to_ne_bytes());
    assert!(decode_filter(&Message::parse(&bad).unwrap()).is_err());
}

#[test]
fn every_captured_message_can_be_described() {
    let c = captures::load();
    for block in c.blocks.values() {
        for message in received(block).iter().chain(block.sends.iter()) {
            let text = netlink_tc::explain::describe(message);
            assert!(!text.contains("malformed"), "{}: {text}", block.name);
        }
    }
    let refusal = of_type(c.block("qdisc-add-clsact-again"), NLMSG_ERROR).remove(0);
    let text = netlink_tc::explain::describe(&refusal);
    assert!(
        text.contains("error -17 (File exists) for RTM_NEWQDISC"),
        "{text}"
    );
    assert!(text.contains("NLMSGERR_ATTR_MSG \"Exclusivity flag on, cannot modify\""));
    let dump = c.block("filter-show-ingress").recvs[0].clone();
    let text = netlink_tc::explain::describe(&dump);
    assert!(
        text.contains("    TCA_BPF_NAME \"tiny.o:[ingress]\"\n"),
        "{text}"
    );
    assert!(
        text.contains("    TCA_BPF_TAG 59f4a931744dcdc6\n"),
        "{text}"
    );
}
