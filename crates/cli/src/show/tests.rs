//! The renderers against the real tc: every `tc ... qdisc show`, `tc ... filter
//! show` and `tc ... filter get` recorded in netlink-tc's `testdata/captures.txt`
//! (made by `testdata/capture.sh`) is re-rendered from the kernel's recorded reply
//! bytes and must equal what tc printed, byte for byte. Program names, tags, load
//! times and BTF ids come from what tc's own `BPF_OBJ_GET_INFO_BY_FD` calls returned
//! (the `prog-info` lines); device names from the capture's `link` lines.

use std::collections::HashMap;

use netlink_tc::filter::decode_filter;
use netlink_tc::message::{Messages, RTM_NEWQDISC, RTM_NEWTFILTER};
use netlink_tc::qdisc::decode_qdisc;
use netlink_tc::{Filter, Qdisc, handle};

use super::*;

const CAPTURES: &str = include_str!("../../../netlink-tc/testdata/captures.txt");

#[derive(Default)]
struct Block {
    name: String,
    command: String,
    exit: i32,
    progs: HashMap<u32, ProgSummary>,
    recvs: Vec<Vec<u8>>,
    out: String,
}

struct Captures {
    blocks: Vec<Block>,
    links: HashMap<String, u32>,
}

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn prog_info(line: &str) -> (u32, ProgSummary) {
    let fields: HashMap<&str, &str> = line
        .split(' ')
        .filter_map(|word| word.split_once('='))
        .collect();
    let tag = hex_bytes(fields["tag"]);
    let summary = ProgSummary {
        name: fields["name"].to_string(),
        tag: tag.try_into().unwrap(),
        jited: fields["jited"] == "1",
        load_time: fields["load_time"].parse().unwrap(),
        created_by_uid: fields["created_by_uid"].parse().unwrap(),
        btf_id: fields["btf_id"].parse().unwrap(),
    };
    (fields["id"].parse().unwrap(), summary)
}

fn load() -> Captures {
    let mut blocks: Vec<Block> = Vec::new();
    let mut links = HashMap::new();
    for line in CAPTURES.lines() {
        if let Some(name) = line.strip_prefix("=== ") {
            blocks.push(Block {
                name: name.into(),
                ..Block::default()
            });
        } else if let Some(rest) = line.strip_prefix("link ") {
            let (name, index) = rest.split_once(' ').unwrap();
            links.insert(name.to_string(), index.parse().unwrap());
        } else if let Some(block) = blocks.last_mut() {
            if let Some(cmd) = line.strip_prefix("$ ") {
                block.command = cmd.into();
            } else if let Some(code) = line.strip_prefix("exit ") {
                block.exit = code.parse().unwrap();
            } else if let Some(rest) = line.strip_prefix("prog-info ") {
                let (id, summary) = prog_info(rest);
                block.progs.insert(id, summary);
            } else if let Some(rest) = line.strip_prefix("recv ") {
                block.recvs.push(hex_bytes(rest));
            } else if let Some(rest) = line.strip_prefix("out |") {
                block.out.push_str(rest.strip_suffix('|').unwrap());
                block.out.push('\n');
            } else if let Some(rest) = line.strip_prefix("out~|") {
                block.out.push_str(rest.strip_suffix('|').unwrap());
            }
        }
    }
    Captures { blocks, links }
}

/// The `-s -d -j -p` flags of a captured tc command line.
fn options_of(command: &str) -> ShowOptions {
    let words: Vec<&str> = command.split(' ').collect();
    let has = |flag: &str| words.contains(&flag);
    ShowOptions {
        stats: has("-s"),
        details: has("-d"),
        json: has("-j"),
        pretty: has("-p"),
    }
}

/// The words after `show`/`get` of a captured command line.
fn words_after<'a>(command: &'a str, verb: &str) -> Vec<&'a str> {
    let words: Vec<&str> = command.split(' ').collect();
    let at = words.iter().position(|w| *w == verb).unwrap();
    words[at + 1..].to_vec()
}

fn parse_handle(text: &str) -> u32 {
    let (major, minor) = text.split_once(':').unwrap();
    let major = if major.is_empty() {
        0
    } else {
        u32::from_str_radix(major, 16).unwrap()
    };
    let minor = if minor.is_empty() {
        0
    } else {
        u32::from_str_radix(minor, 16).unwrap()
    };
    (major << 16) | minor
}

fn protocol_number(name: &str) -> u16 {
    match name {
        "all" => 0x0003,
        "ip" => 0x0800,
        "arp" => 0x0806,
        "ipv6" => 0x86dd,
        other => panic!("protocol {other} not used in the captures"),
    }
}

fn filter_selection(c: &Captures, command: &str) -> FilterSelection {
    let mut selection = FilterSelection::default();
    let words = words_after(command, "show");
    let mut i = 0;
    while i < words.len() {
        match words[i] {
            "dev" => {
                selection.ifindex = Some(c.links[words[i + 1]]);
                i += 1;
            }
            "ingress" => selection.parent = Some(handle::INGRESS),
            "egress" => selection.parent = Some(handle::EGRESS),
            "parent" => {
                selection.parent = Some(parse_handle(words[i + 1]));
                i += 1;
            }
            "pref" => {
                selection.pref = Some(words[i + 1].parse().unwrap());
                i += 1;
            }
            "protocol" => {
                selection.protocol = Some(protocol_number(words[i + 1]));
                i += 1;
            }
            "chain" => {
                selection.chain = Some(words[i + 1].parse().unwrap());
                i += 1;
            }
            other => panic!("word {other} not used in the captures"),
        }
        i += 1;
    }
    selection
}

fn qdisc_selection(c: &Captures, command: &str) -> QdiscSelection {
    let mut selection = QdiscSelection::default();
    let words = words_after(command, "show");
    let mut i = 0;
    while i < words.len() {
        match words[i] {
            "dev" => {
                selection.ifindex = Some(c.links[words[i + 1]]);
                i += 1;
            }
            "ingress" | "clsact" => selection.parent = Some(handle::CLSACT_PARENT),
            "root" => selection.parent = Some(handle::ROOT),
            "handle" => {
                selection.handle = Some(parse_handle(words[i + 1]));
                i += 1;
            }
            other => panic!("word {other} not used in the captures"),
        }
        i += 1;
    }
    selection
}

fn messages(block: &Block, kind: u16) -> Vec<Vec<u8>> {
    block
        .recvs
        .iter()
        .flat_map(|buf| {
            Messages::new(buf)
                .map(|m| m.unwrap())
                .filter(|m| m.header.kind == kind)
                .map(|m| m.bytes.to_vec())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn dev_names(c: &Captures) -> impl FnMut(u32) -> Option<String> + '_ {
    |ifindex| {
        c.links
            .iter()
            .find(|(_, index)| **index == ifindex)
            .map(|(name, _)| name.clone())
    }
}

fn qdiscs_of(block: &Block) -> Vec<Qdisc> {
    messages(block, RTM_NEWQDISC)
        .iter()
        .map(|raw| decode_qdisc(&netlink_tc::message::Message::parse(raw).unwrap()).unwrap())
        .collect()
}

fn filters_of(block: &Block) -> Vec<Filter> {
    messages(block, RTM_NEWTFILTER)
        .iter()
        .map(|raw| decode_filter(&netlink_tc::message::Message::parse(raw).unwrap()).unwrap())
        .collect()
}

struct CapturedNames<'a> {
    progs: &'a HashMap<u32, ProgSummary>,
    captures: &'a Captures,
}

impl Resolve for CapturedNames<'_> {
    fn prog(&mut self, id: u32) -> Option<ProgSummary> {
        self.progs.get(&id).cloned()
    }

    fn dev_name(&mut self, ifindex: u32) -> Option<String> {
        dev_names(self.captures)(ifindex)
    }
}

fn assert_rendered(block: &Block, ours: &str) {
    assert_eq!(
        ours, block.out,
        "\n{} (`{}`)\n--- ours ---\n{ours}\n--- tc ---\n{}",
        block.name, block.command, block.out
    );
}

#[test]
fn qdisc_listings_match_tc() {
    let c = load();
    let mut checked = 0;
    for block in c
        .blocks
        .iter()
        .filter(|b| b.command.contains(" qdisc show"))
    {
        assert_eq!(block.exit, 0);
        let ours = render_qdiscs(
            &qdiscs_of(block),
            &qdisc_selection(&c, &block.command),
            &options_of(&block.command),
            &mut dev_names(&c),
        );
        assert_rendered(block, &ours);
        checked += 1;
    }
    assert!(checked >= 22, "only {checked} qdisc listings captured");
}

#[test]
fn filter_listings_match_tc() {
    let c = load();
    let mut checked = 0;
    for block in c
        .blocks
        .iter()
        .filter(|b| b.command.contains(" filter show"))
    {
        assert_eq!(block.exit, 0);
        let mut names = CapturedNames {
            progs: &block.progs,
            captures: &c,
        };
        let ours = render_filters(
            &filters_of(block),
            &filter_selection(&c, &block.command),
            &options_of(&block.command),
            &mut names,
        );
        assert_rendered(block, &ours);
        checked += 1;
    }
    assert!(checked >= 32, "only {checked} filter listings captured");
}

#[test]
fn filter_get_matches_tc() {
    let c = load();
    let mut checked = 0;
    for block in c
        .blocks
        .iter()
        .filter(|b| b.command.contains(" filter get") && b.exit == 0)
    {
        let words = words_after(&block.command, "get");
        let dev = c.links[words[words.iter().position(|w| *w == "dev").unwrap() + 1]];
        let mut names = CapturedNames {
            progs: &block.progs,
            captures: &c,
        };
        let ours = render_filters(
            &filters_of(block),
            &FilterSelection::get(dev),
            &options_of(&block.command),
            &mut names,
        );
        assert_rendered(block, &ours);
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} filter gets captured");
}
