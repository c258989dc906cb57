//! What `ip link show` looks up besides the link messages: the name and flags of a
//! peer device, the name of a network namespace id (`link-netns NAME`), device
//! group names and program names and tags. Each answer is cached for one listing.

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd};

use netlink_tc::Netlink;
use netlink_tc::attr::AttrTable;
use netlink_tc::message::{MessageBuilder, NLM_F_REQUEST};
use rtc_loader::NETNS_RUN_DIR;

use crate::show::ProgSummary;
use crate::show::link::LinkResolve;
/// iproute2's device group names.
const GROUP_FILE: &str = "/etc/iproute2/group";
/// `RTM_GETNSID`: ask for the id this namespace gives another one.
const RTM_GETNSID: u16 = 90;
/// `NETNSA_NSID`: the id in the answer (`s32`).
const NETNSA_NSID: u16 = 1;
/// `NETNSA_FD`: the namespace asked about, as an open file (`u32`).
const NETNSA_FD: u16 = 3;
/// Size of `struct rtgenmsg` as sent (one byte, padded).
const RTGENMSG_LEN: usize = 4;

/// Answers a listing's questions from the running system.
pub struct SystemLookup<'a> {
    netlink: &'a mut Netlink,
    links: HashMap<u32, Option<(String, u32)>>,
    progs: HashMap<u32, Option<ProgSummary>>,
    namespaces: Option<Vec<(i32, String)>>,
    groups: Option<HashMap<u32, String>>,
}

impl<'a> SystemLookup<'a> {
    /// A lookup that asks the kernel through `netlink` (in the current namespace).
    pub fn new(netlink: &'a mut Netlink) -> Self {
        SystemLookup {
            netlink,
            links: HashMap::new(),
            progs: HashMap::new(),
            namespaces: None,
            groups: None,
        }
    }

    /// The id this namespace gives the namespace named `name`, if it has one.
    fn nsid_of(&mut self, name: &str) -> Option<i32> {
        let file = std::fs::File::open(format!("{NETNS_RUN_DIR}/{name}")).ok()?;
        let mut b = MessageBuilder::new(RTM_GETNSID, NLM_F_REQUEST);
        b.push_fixed(&[0u8; RTGENMSG_LEN]);
        b.attr_u32(NETNSA_FD, file.as_fd().as_raw_fd() as u32);
        let answer = self.netlink.answered(b.finish().ok()?).ok()?;
        let message = netlink_tc::message::Message::parse(&answer).ok()?;
        let attrs =
            AttrTable::<{ NETNSA_NSID as usize + 1 }>::parse(message.payload.get(RTGENMSG_LEN..)?)
                .ok()?;
        attrs.get(NETNSA_NSID)?.i32("NETNSA_NSID").ok()
    }
}

impl LinkResolve for SystemLookup<'_> {
    fn prog(&mut self, id: u32) -> Option<ProgSummary> {
        self.progs
            .entry(id)
            .or_insert_with(|| super::prog_lookup::prog_summary(id))
            .clone()
    }

    fn link(&mut self, ifindex: u32) -> Option<(String, u32)> {
        if let Some(known) = self.links.get(&ifindex) {
            return known.clone();
        }
        let found = self
            .netlink
            .link(ifindex)
            .ok()
            .and_then(|link| Some((link.name?, link.flags)));
        self.links.insert(ifindex, found.clone());
        found
    }

    fn netns_name(&mut self, nsid: i32) -> Option<String> {
        if self.namespaces.is_none() {
            let mut names: Vec<String> = std::fs::read_dir(NETNS_RUN_DIR)
                .map(|dir| {
                    dir.filter_map(Result::ok)
                        .filter_map(|entry| entry.file_name().into_string().ok())
                        .filter(|name| name != "." && name != "..")
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            let mut map = Vec::new();
            for name in names {
                if let Some(id) = self.nsid_of(&name).filter(|&id| id >= 0) {
                    map.push((id, name));
                }
            }
            self.namespaces = Some(map);
        }
        self.namespaces
            .as_ref()?
            .iter()
            .find(|(id, _)| *id == nsid)
            .map(|(_, name)| name.clone())
    }

    fn group_name(&mut self, group: u32) -> Option<String> {
        let groups = self.groups.get_or_insert_with(|| {
            let text = std::fs::read_to_string(GROUP_FILE).unwrap_or_default();
            parse_groups(&text)
        });
        groups.get(&group).cloned()
    }
}

/// Reads iproute2's `id name` table (decimal or `0x` ids, `#` comments); a later
/// line for the same id wins, and group 0 is `default` unless the file renames it.
pub fn parse_groups(text: &str) -> HashMap<u32, String> {
    let mut groups = HashMap::from([(0, "default".to_string())]);
    for line in text.lines() {
        let line = line.trim_start_matches([' ', '\t']);
        if line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(id), Some(name)) = (fields.next(), fields.next()) else {
            continue;
        };
        let id = match id.strip_prefix("0x") {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => id.parse::<i32>().ok().map(|n| n as u32),
        };
        if let Some(id) = id {
            groups.insert(id, name.to_string());
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_table_like_iproute2() {
        let groups =
            parse_groups("# device group names\n0\tdefault\n  0x10 lab # x\n5 five\n5 cinq\n");
        assert_eq!(groups.get(&0).map(String::as_str), Some("default"));
        assert_eq!(groups.get(&16).map(String::as_str), Some("lab"));
        assert_eq!(groups.get(&5).map(String::as_str), Some("cinq"));
        assert_eq!(
            parse_groups("").get(&0).map(String::as_str),
            Some("default")
        );
    }
}
