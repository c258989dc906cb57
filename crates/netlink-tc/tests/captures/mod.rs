//! Reader for `testdata/captures.txt`, the record `testdata/capture.sh` makes of
//! real tc/ip runs (see the script for the format).

// Shared by several test binaries; each uses a different part.
#![allow(dead_code)]
use std::collections::HashMap;

/// One captured command.
#[derive(Debug, Default, Clone)]
pub struct Block {
    pub name: String,
    pub command: String,
    pub exit: i32,
    /// (fd, program name) from BPF_PROG_LOAD.
    pub prog_fds: Vec<(u32, String)>,
    /// fcntl(F_DUPFD_CLOEXEC) results: old fd -> new fd.
    pub dups: HashMap<u32, u32>,
    pub sends: Vec<Vec<u8>>,
    pub recvs: Vec<Vec<u8>>,
    pub out: String,
    pub err: String,
}

impl Block {
    /// The descriptor the tool finally used for the program it loaded.
    pub fn prog_fd(&self) -> u32 {
        let (fd, _) = self
            .prog_fds
            .last()
            .unwrap_or_else(|| panic!("{}: no program loaded", self.name));
        *self.dups.get(fd).unwrap_or(fd)
    }

    /// The first sent message of netlink type `kind` with a non-zero sequence number.
    pub fn sent(&self, kind: u16) -> &[u8] {
        self.sends
            .iter()
            .find(|m| {
                m.len() >= 16 && u16::from_ne_bytes([m[4], m[5]]) == kind && m[8..12] != [0; 4]
            })
            .unwrap_or_else(|| panic!("{}: no message of type {kind:#x} sent", self.name))
    }
}

/// All blocks of the capture file, by name, and the `link NAME IFINDEX` lines.
pub struct Captures {
    pub blocks: HashMap<String, Block>,
    pub links: HashMap<String, u32>,
}

impl Captures {
    pub fn block(&self, name: &str) -> &Block {
        self.blocks
            .get(name)
            .unwrap_or_else(|| panic!("no capture named {name}"))
    }

    pub fn ifindex(&self, name: &str) -> u32 {
        self.links[name]
    }
}

pub fn hex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn text_line(rest: &str) -> (String, bool) {
    // "|TEXT|" with a newline, "~|TEXT|" without one.
    let (newline, body) = match rest.strip_prefix('~') {
        Some(body) => (false, body),
        None => (true, rest.strip_prefix(' ').unwrap_or(rest)),
    };
    let body = body
        .strip_prefix('|')
        .and_then(|b| b.strip_suffix('|'))
        .expect("output line in |...|");
    (body.to_string(), newline)
}

pub fn load() -> Captures {
    let text = include_str!("../../testdata/captures.txt");
    let mut blocks = HashMap::new();
    let mut links = HashMap::new();
    let mut current: Option<Block> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("=== ") {
            if let Some(block) = current.take() {
                blocks.insert(block.name.clone(), block);
            }
            current = Some(Block {
                name: name.to_string(),
                ..Block::default()
            });
            continue;
        }
        if let Some(rest) = line.strip_prefix("link ") {
            let mut words = rest.split(' ');
            let name = words.next().unwrap().to_string();
            links.insert(name, words.next().unwrap().parse().unwrap());
            continue;
        }
        let Some(block) = current.as_mut() else {
            continue;
        };
        if let Some(cmd) = line.strip_prefix("$ ") {
            block.command = cmd.to_string();
        } else if let Some(code) = line.strip_prefix("exit ") {
            block.exit = code.parse().unwrap();
        } else if let Some(rest) = line.strip_prefix("prog-fd ") {
            let (fd, name) = rest.split_once(' ').unwrap();
            block.prog_fds.push((fd.parse().unwrap(), name.to_string()));
        } else if let Some(rest) = line.strip_prefix("fd-dup ") {
            let (old, new) = rest.split_once(' ').unwrap();
            block
                .dups
                .insert(old.parse().unwrap(), new.parse().unwrap());
        } else if let Some(rest) = line.strip_prefix("send ") {
            block.sends.push(hex(rest));
        } else if let Some(rest) = line.strip_prefix("recv ") {
            block.recvs.push(hex(rest));
        } else if let Some(rest) = line.strip_prefix("out") {
            let (body, newline) = text_line(rest);
            block.out.push_str(&body);
            if newline {
                block.out.push('\n');
            }
        } else if let Some(rest) = line.strip_prefix("err") {
            let (body, newline) = text_line(rest);
            block.err.push_str(&body);
            if newline {
                block.err.push('\n');
            }
        }
    }
    if let Some(block) = current.take() {
        blocks.insert(block.name.clone(), block);
    }
    Captures { blocks, links }
}
