//! The grammar of `ip link set ... {xdp|xdpgeneric|xdpdrv|xdpoffload} ...` and
//! `ip link show [dev] DEV`, read into a [`LinkCommand`] with no side effects. Word
//! order, prefix rules and error wording follow ip 6.1's `iplink.c`,
//! `iplink_xdp.c` and the eBPF part of `bpf_legacy.c`.
//!
//! rtc changes only the XDP program of a link: the other `ip link set` settings
//! (`up`, `mtu`, `master`, ...) are refused with a message instead of being ignored.

use netlink_tc::XdpMode;

use super::filter_args::ObjectSource;
use crate::error::{CliError, CliResult};
use crate::words::{Words, matches};

/// Words of `ip link set` that change something rtc does not handle.
const OTHER_SETTINGS: &[&str] = &[
    "up",
    "down",
    "name",
    "index",
    "link",
    "address",
    "broadcast",
    "brd",
    "txqueuelen",
    "qlen",
    "txqlen",
    "mtu",
    "netns",
    "multicast",
    "allmulticast",
    "promisc",
    "trailers",
    "arp",
    "dynamic",
    "carrier",
    "vf",
    "master",
    "vrf",
    "nomaster",
    "group",
    "mode",
    "state",
    "numtxqueues",
    "numrxqueues",
    "addrgenmode",
    "link-netns",
    "link-netnsid",
    "protodown",
    "protodown_reason",
    "gso_max_size",
    "gso_max_segs",
    "gro_max_size",
    "alias",
    "parentdev",
    "type",
];

/// Words of `ip link show` that filter the listing in ways rtc does not implement.
const OTHER_SHOW_FILTERS: &[&str] = &[
    "group", "master", "vrf", "nomaster", "type", "label", "scope", "to",
];

/// A `link` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkCommand {
    /// `link set [dev] DEV [xdp ...]`.
    Set(SetArgs),
    /// `link show [[dev] DEV] [up]` (also `list`, `lst`, or no verb at all).
    Show(ShowArgs),
}

/// What `link set` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetArgs {
    /// The device (`dev DEV`, or a bare name).
    pub dev: String,
    /// The XDP change, if the line has one (`ip link set dev X` alone changes nothing).
    pub xdp: Option<XdpArgs>,
}

/// `{xdp|xdpgeneric|xdpdrv|xdpoffload} {off | obj FILE ... | pinned PATH}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XdpArgs {
    /// The hook: the mode word.
    pub mode: XdpMode,
    /// Attach from an object, attach a pinned program, or detach.
    pub action: XdpAction,
}

/// What to do at the XDP hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XdpAction {
    /// `obj FILE [sec S] [program P] [verbose]`: load and attach.
    Object(ObjectSource),
    /// `pinned PATH` (also `object-pinned`, `fd`): attach a program pinned in a bpffs.
    Pinned(String),
    /// `off` / `none` (only as the last word): detach.
    Off,
}

/// What `link show` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShowArgs {
    /// `[dev] DEV`: one device only.
    pub dev: Option<String>,
    /// `up`: only links that are up.
    pub up: bool,
}

impl LinkCommand {
    /// Reads the words after `link`, as ip's `do_iplink` does (no verb means show).
    pub fn parse(words: &[String]) -> CliResult<LinkCommand> {
        let Some((verb, rest)) = words.split_first() else {
            return Ok(LinkCommand::Show(ShowArgs::default()));
        };
        if matches(verb, "set") || matches(verb, "change") {
            parse_set(rest).map(LinkCommand::Set)
        } else if matches(verb, "show") || matches(verb, "lst") || matches(verb, "list") {
            parse_show(rest).map(LinkCommand::Show)
        } else if matches(verb, "help") {
            Err(usage())
        } else if ["add", "replace", "delete", "xstats", "afstats", "property"]
            .iter()
            .any(|known| matches(verb, known))
        {
            Err(CliError::usage(format!(
                "\"ip link {verb}\" is not supported by rtc: it handles only XDP (link set ... xdp) and link show."
            )))
        } else {
            Err(CliError::usage_exit(format!(
                "Command \"{verb}\" is unknown, try \"ip link help\"."
            )))
        }
    }
}

/// iproute2's `duparg2(key, arg)`.
fn duplicate_or_garbage(key: &str, arg: &str) -> CliError {
    CliError::usage_exit(format!(
        "Error: either \"{key}\" is duplicate, or \"{arg}\" is a garbage."
    ))
}

/// `ip link set`: the device and the XDP change (`iplink_parse`).
fn parse_set(words: &[String]) -> CliResult<SetArgs> {
    let mut dev: Option<String> = None;
    let mut xdp: Option<XdpArgs> = None;
    let mut w = Words::new(words);
    while let Some(word) = w.next_word() {
        if let Some(mode) = xdp_mode(word) {
            if xdp.is_some() {
                return Err(crate::words::duplicate("xdp", word));
            }
            xdp = Some(XdpArgs {
                mode,
                action: parse_xdp_action(&mut w)?,
            });
        } else if OTHER_SETTINGS.contains(&word) {
            return Err(CliError::usage(format!(
                "\"{word}\": rtc link set changes only the XDP program; use ip for other link settings."
            )));
        } else if matches(word, "help") {
            return Err(usage());
        } else {
            let name = if word == "dev" { w.value()? } else { word };
            if dev.is_some() {
                return Err(duplicate_or_garbage("dev", name));
            }
            dev = Some(name.to_string());
        }
    }
    let dev = dev
        .ok_or_else(|| CliError::usage("Not enough information: \"dev\" argument is required."))?;
    Ok(SetArgs { dev, xdp })
}

/// The XDP mode words, matched exactly as ip does.
fn xdp_mode(word: &str) -> Option<XdpMode> {
    match word {
        "xdp" => Some(XdpMode::Any),
        "xdpgeneric" => Some(XdpMode::Generic),
        "xdpdrv" => Some(XdpMode::Driver),
        "xdpoffload" => Some(XdpMode::Offload),
        _ => None,
    }
}

/// What follows the mode word (`xdp_parse` and `bpf_do_parse`). `off`/`none`
/// detach only when they are the very last word; anywhere else they are taken as a
/// program source and refused.
fn parse_xdp_action(w: &mut Words<'_>) -> CliResult<XdpAction> {
    let source = w.value()?;
    if w.peek().is_none() && (source == "off" || source == "none") {
        return Ok(XdpAction::Off);
    }
    let pinned = if matches(source, "object-file") || source == "obj" {
        false
    } else if matches(source, "object-pinned") || matches(source, "pinned") || matches(source, "fd")
    {
        true
    } else {
        return Err(CliError::usage_exit(format!("What mode is \"{source}\"?")));
    };
    let file = w.value()?.to_string();
    let mut object = ObjectSource {
        file,
        section: None,
        program: None,
        verbose: false,
        pinned,
    };
    if w.peek().is_some_and(|x| matches(x, "section")) {
        w.next_word();
        object.section = Some(w.value()?.to_string());
    }
    if w.peek() == Some("program") {
        w.next_word();
        object.program = Some(w.value()?.to_string());
    }
    if w.peek().is_some_and(|x| matches(x, "verbose")) {
        w.next_word();
        object.verbose = true;
    }
    Ok(if pinned {
        XdpAction::Pinned(object.file)
    } else {
        XdpAction::Object(object)
    })
}

/// `ip link show` (`ipaddr_list_flush_or_save` for links).
fn parse_show(words: &[String]) -> CliResult<ShowArgs> {
    let mut args = ShowArgs::default();
    let mut w = Words::new(words);
    while let Some(word) = w.next_word() {
        if word == "up" {
            args.up = true;
        } else if OTHER_SHOW_FILTERS.contains(&word) {
            return Err(CliError::usage(format!(
                "\"{word}\": rtc link show lists all links or one device; use ip for other filters."
            )));
        } else {
            let name = if word == "dev" {
                w.value()?
            } else if matches(word, "help") {
                return Err(usage());
            } else {
                word
            };
            if args.dev.is_some() {
                return Err(duplicate_or_garbage("dev", name));
            }
            args.dev = Some(name.to_string());
        }
    }
    Ok(args)
}

/// The part of ip's link usage that rtc implements.
pub fn usage() -> CliError {
    CliError::usage_exit(
        "Usage: rtc link set { DEVICE | dev DEVICE }\n\
         \t\t[ { xdp | xdpgeneric | xdpdrv | xdpoffload } { off |\n\
         \t\t\t  object FILE [ { section | program } NAME ] [ verbose ] |\n\
         \t\t\t  pinned FILE } ]\n\
         \n\
         \trtc link show [ DEVICE ] [up]\n\
         \n\
         With -force, an attached program is replaced only if it is still the one\n\
         rtc saw (XDP_FLAGS_REPLACE with IFLA_XDP_EXPECTED_FD).",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> CliResult<LinkCommand> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        LinkCommand::parse(&words)
    }

    fn is_incomplete(err: &CliError) -> bool {
        err.message == crate::words::incomplete().message
    }

    fn set(line: &str) -> SetArgs {
        match parse(line).unwrap() {
            LinkCommand::Set(args) => args,
            other => panic!("expected set, got {other:?}"),
        }
    }

    #[test]
    fn attach_from_an_object_with_every_option() {
        let args = set("set dev eth0 xdpgeneric obj f.o sec prog program xdp_pass verbose");
        assert_eq!(args.dev, "eth0");
        let xdp = args.xdp.unwrap();
        assert_eq!(xdp.mode, XdpMode::Generic);
        let XdpAction::Object(obj) = xdp.action else {
            panic!("expected an object")
        };
        assert_eq!(obj.file, "f.o");
        assert_eq!(obj.section.as_deref(), Some("prog"));
        assert_eq!(obj.program.as_deref(), Some("xdp_pass"));
        assert!(obj.verbose);
    }

    #[test]
    fn modes_prefixes_and_a_bare_device_name() {
        assert_eq!(
            set("s eth0 xdp object-file f.o").xdp.unwrap().mode,
            XdpMode::Any
        );
        assert_eq!(
            set("change eth0 xdpdrv obj f.o s x ver").xdp.unwrap().mode,
            XdpMode::Driver
        );
        let args = set("set xdpoffload pinned /sys/fs/bpf/p dev eth1");
        assert_eq!(args.dev, "eth1");
        assert_eq!(
            args.xdp.unwrap().action,
            XdpAction::Pinned("/sys/fs/bpf/p".into())
        );
        assert_eq!(
            set("set dev x xdp fd /p").xdp.unwrap().action,
            XdpAction::Pinned("/p".into())
        );
        assert_eq!(set("set dev x").xdp, None);
    }

    #[test]
    fn off_and_none_only_as_the_last_word() {
        assert_eq!(set("set dev x xdp off").xdp.unwrap().action, XdpAction::Off);
        assert_eq!(
            set("set dev x xdpgeneric none").xdp.unwrap().action,
            XdpAction::Off
        );
        let e = parse("set dev x xdp off dev x").unwrap_err();
        assert_eq!((e.message.as_str(), e.code), ("What mode is \"off\"?", 255));
    }

    #[test]
    fn errors_use_ip_wording() {
        let e = parse("set dev va xdp obj f.o sec prog verbose foo").unwrap_err();
        assert_eq!(
            e.message,
            "Error: either \"dev\" is duplicate, or \"foo\" is a garbage."
        );
        let e = parse("set dev va dev vb xdp off").unwrap_err();
        assert_eq!(
            e.message,
            "Error: either \"dev\" is duplicate, or \"vb\" is a garbage."
        );
        assert_eq!(
            parse("set xdp off").unwrap_err().message,
            "Not enough information: \"dev\" argument is required."
        );
        assert_eq!(
            parse("set dev va xdp bytecode 1").unwrap_err().message,
            "What mode is \"bytecode\"?"
        );
        assert!(is_incomplete(&parse("set dev va xdp").unwrap_err()));
        assert!(is_incomplete(&parse("set dev va xdp obj").unwrap_err()));
        assert!(is_incomplete(
            &parse("set dev va xdp obj f.o sec").unwrap_err()
        ));
        assert!(is_incomplete(&parse("set dev").unwrap_err()));
        assert_eq!(
            parse("frob").unwrap_err().message,
            "Command \"frob\" is unknown, try \"ip link help\"."
        );
        for line in [
            "set dev va up",
            "set dev va xdp off mtu 1400",
            "add dev x type veth",
        ] {
            assert_eq!(parse(line).unwrap_err().code, 255, "{line}");
        }
        assert!(parse("set dev x xdp off xdpgeneric off").is_err());
    }

    #[test]
    fn show_takes_one_device_and_up() {
        assert_eq!(parse("").unwrap(), LinkCommand::Show(ShowArgs::default()));
        let LinkCommand::Show(args) = parse("sh dev va up").unwrap() else {
            panic!("expected show")
        };
        assert_eq!((args.dev.as_deref(), args.up), (Some("va"), true));
        let LinkCommand::Show(args) = parse("list va").unwrap() else {
            panic!("expected show")
        };
        assert_eq!(args.dev.as_deref(), Some("va"));
        assert_eq!(
            parse("show dev va dev va").unwrap_err().message,
            "Error: either \"dev\" is duplicate, or \"va\" is a garbage."
        );
        assert!(parse("show type veth").is_err());
    }
}
