//! The grammar of `tc filter {add|replace|change|del|get|show} ...`, read into a
//! [`FilterArgs`] with no side effects. Word order, prefix rules and error wording
//! follow tc 6.1's `tc_filter.c` and `f_bpf.c`.

use crate::error::{CliError, CliResult};
use crate::values::{parse_protocol, parse_tc_handle, parse_u32};
use crate::words::{Words, invalid, matches, set_once};
use netlink_tc::handle::{EGRESS as PARENT_EGRESS, INGRESS as PARENT_INGRESS, ROOT as TC_H_ROOT};

/// Which filter command was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterVerb {
    /// `add`: create, fail if it exists.
    Add,
    /// `replace`: create or replace.
    Replace,
    /// `change`: modify an existing filter.
    Change,
    /// `delete`: remove a filter, or a whole priority or chain.
    Delete,
    /// `get`: print one filter.
    Get,
    /// `show`/`list`/`lst`: print filters.
    Show,
}

impl FilterVerb {
    /// Reads the verb word as tc's `do_filter` does (prefixes, in tc's order).
    pub fn parse(word: &str) -> CliResult<FilterVerb> {
        let verb = if matches(word, "add") {
            FilterVerb::Add
        } else if matches(word, "change") {
            FilterVerb::Change
        } else if matches(word, "replace") {
            FilterVerb::Replace
        } else if matches(word, "delete") {
            FilterVerb::Delete
        } else if matches(word, "get") {
            FilterVerb::Get
        } else if matches(word, "list") || matches(word, "show") || matches(word, "lst") {
            FilterVerb::Show
        } else if matches(word, "help") {
            return Err(help());
        } else {
            return Err(CliError::usage(format!(
                "Command \"{word}\" is unknown, try \"tc filter help\"."
            )));
        };
        Ok(verb)
    }
}

/// Where the BPF program comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSource {
    /// The object file as the user wrote it.
    pub file: String,
    /// `sec NAME`; tc's default is `classifier`.
    pub section: Option<String>,
    /// `program NAME`: pick a function within the section.
    pub program: Option<String>,
    /// `verbose`: print the verifier log also on success.
    pub verbose: bool,
    /// `pinned PATH` / `object-pinned PATH` / `fd PATH`: `file` is a program pinned
    /// in a bpffs, not an object file (`sec`, `program` and `verbose` are read and
    /// ignored, as tc does).
    pub pinned: bool,
}

/// Where classic BPF instructions come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BytecodeSource {
    /// `bytecode 'N,code jt jf k,...'`.
    Inline(String),
    /// `bytecode-file FILE`.
    File(String),
}

/// The options after the `bpf` kind word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BpfArgs {
    /// `obj FILE [sec S] [program P] [verbose]`.
    pub object: Option<ObjectSource>,
    /// `bytecode ...` or `bytecode-file ...` (classic BPF).
    pub bytecode: Option<BytecodeSource>,
    /// `classid`/`flowid`.
    pub classid: Option<u32>,
    /// Whether `classid` came before the object (tc emits options in word order).
    pub classid_first: bool,
    /// `da`/`direct-action`.
    pub direct_action: bool,
    /// `skip_hw`.
    pub skip_hw: bool,
    /// `skip_sw`.
    pub skip_sw: bool,
}

/// Everything a `filter` command line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterArgs {
    /// The verb.
    pub verb: FilterVerb,
    /// `dev NAME`.
    pub dev: Option<String>,
    /// The tcm_parent: `ingress`, `egress`, `root` or `parent H`.
    pub parent: Option<u32>,
    /// `handle H` as written (its syntax belongs to the classifier kind).
    pub handle: Option<String>,
    /// `pref`/`priority`.
    pub pref: Option<u16>,
    /// `protocol` in host byte order.
    pub protocol: Option<u16>,
    /// `chain N`.
    pub chain: Option<u32>,
    /// `block N`: a shared filter block instead of a device's hook.
    pub block: Option<u32>,
    /// The classifier kind word (only `bpf` is supported).
    pub kind: Option<String>,
    /// The `bpf` options, when the kind is `bpf`.
    pub bpf: Option<BpfArgs>,
    /// Why the kind's own options could not be read. tc runs the kind's parser only
    /// after it found the device, so this is reported after the device lookup.
    pub options_error: Option<CliError>,
    /// How many `help`s are among the words of `show`: tc prints its usage for each
    /// and goes on listing.
    pub help_asked: usize,
}

/// The classifier kinds tc 6.1 has a parser for; rtc implements only `bpf` of them.
/// Any other word is a kind tc knows nothing about: it sends it to the kernel as it
/// is when no options follow, and refuses options it cannot parse.
const TC_FILTER_KINDS: &[&str] = &[
    "basic", "bpf", "cgroup", "flow", "flower", "fw", "matchall", "route", "rsvp", "rsvp6",
    "tcindex", "u32",
];

impl FilterArgs {
    /// Reads the words after the verb.
    pub fn parse(verb: FilterVerb, words: &[String]) -> CliResult<FilterArgs> {
        let mut args = FilterArgs {
            verb,
            dev: None,
            parent: None,
            handle: None,
            pref: None,
            protocol: None,
            chain: None,
            block: None,
            kind: None,
            bpf: None,
            options_error: None,
            help_asked: 0,
        };
        let mut w = Words::new(words);
        while let Some(word) = w.next_word() {
            match word {
                "dev" => {
                    let dev = w.value()?;
                    set_once(&mut args.dev, "dev", dev, dev.to_string())?;
                    if args.block.is_some() {
                        return Err(dev_and_block());
                    }
                }
                _ if matches(word, "block") => {
                    let value = w.value()?;
                    if verb == FilterVerb::Show && args.block.is_some() {
                        return Err(crate::words::duplicate("block", value));
                    }
                    let block = parse_u32(value)
                        .filter(|b| *b != 0)
                        .ok_or_else(|| invalid("invalid block index value", value))?;
                    if args.dev.is_some() {
                        return Err(dev_and_block());
                    }
                    args.block = Some(block);
                }
                "root" => args.set_parent("root", TC_H_ROOT)?,
                "ingress" => args.set_parent("ingress", PARENT_INGRESS)?,
                "egress" => args.set_parent("egress", PARENT_EGRESS)?,
                "parent" => {
                    let value = w.value()?;
                    let handle = parse_tc_handle(value)
                        .ok_or_else(|| invalid("invalid parent ID", value))?;
                    args.set_parent("parent", handle)?;
                }
                "handle" => {
                    let value = w.value()?;
                    set_once(&mut args.handle, "handle", value, value.to_string())?;
                }
                _ if matches(word, "preference") || matches(word, "priority") => {
                    let value = w.value()?;
                    let pref = parse_u32(value)
                        .and_then(|p| u16::try_from(p).ok())
                        .ok_or_else(|| invalid("invalid priority value", value))?;
                    set_once(&mut args.pref, "priority", value, pref)?;
                }
                _ if matches(word, "protocol") => {
                    let value = w.value()?;
                    let proto =
                        parse_protocol(value).ok_or_else(|| invalid("invalid protocol", value))?;
                    set_once(&mut args.protocol, "protocol", value, proto)?;
                }
                _ if matches(word, "chain") => {
                    let value = w.value()?;
                    let chain = parse_u32(value)
                        .ok_or_else(|| invalid("invalid chain index value", value))?;
                    set_once(&mut args.chain, "chain", value, chain)?;
                }
                _ if matches(word, "help") && verb == FilterVerb::Show => args.help_asked += 1,
                _ if matches(word, "help") => return Err(help()),
                kind if verb != FilterVerb::Show => {
                    args.kind = Some(kind.to_string());
                    if kind == "bpf" {
                        match parse_bpf(&mut w) {
                            Ok(bpf) => args.bpf = Some(bpf),
                            Err(e) => args.options_error = Some(e),
                        }
                    } else if TC_FILTER_KINDS.contains(&kind) {
                        return Err(CliError::usage(format!(
                            "Unknown filter \"{kind}\": rtc supports only the bpf classifier."
                        )));
                    } else if let Some(option) = w.peek() {
                        args.options_error = Some(CliError::failed(format!(
                            "Unknown filter \"{kind}\", hence option \"{option}\" is unparsable"
                        )));
                    }
                    break;
                }
                other => {
                    // A `help` before was printed by tc as it went.
                    let usage = format!("{USAGE}\n").repeat(args.help_asked);
                    return Err(CliError::usage(format!(
                        "{usage} What is \"{other}\"? Try \"tc filter help\""
                    )));
                }
            }
        }
        Ok(args)
    }

    fn set_parent(&mut self, word: &str, parent: u32) -> CliResult<()> {
        if self.parent.is_some() {
            return Err(CliError::usage(format!(
                "Error: \"{word}\" is duplicate parent ID"
            )));
        }
        self.parent = Some(parent);
        Ok(())
    }
}

/// tc's complaint when a command names both a device and a block.
fn dev_and_block() -> CliError {
    CliError::usage("Error: \"dev\" and \"block\" are mutually exclusive")
}

/// Reads the options of the `bpf` classifier (`f_bpf.c`'s `bpf_parse_opt`).
fn parse_bpf(w: &mut Words<'_>) -> CliResult<BpfArgs> {
    let mut bpf = BpfArgs::default();
    while let Some(word) = w.next_word() {
        if matches(word, "run") {
            let mode = w.value()?;
            parse_object(mode, w, &mut bpf).map_err(unparsable)?;
        } else if matches(word, "classid") || matches(word, "flowid") {
            let value = w.value()?;
            let classid =
                parse_tc_handle(value).ok_or_else(|| CliError::failed("Illegal \"classid\""))?;
            bpf.classid = Some(classid);
            bpf.classid_first = bpf.object.is_none() && bpf.bytecode.is_none();
        } else if matches(word, "direct-action") || matches(word, "da") {
            bpf.direct_action = true;
        } else if matches(word, "skip_hw") {
            bpf.skip_hw = true;
        } else if matches(word, "skip_sw") {
            bpf.skip_sw = true;
        } else if matches(word, "action") || matches(word, "police") {
            return Err(CliError::usage(format!(
                "\"{word}\": tc actions are not supported by rtc; use direct-action (da)."
            )));
        } else if matches(word, "help") {
            return Err(bpf_usage());
        } else if bpf.object.is_none() && bpf.bytecode.is_none() {
            parse_object(word, w, &mut bpf).map_err(unparsable)?;
        } else {
            return Err(CliError::failed(format!(
                "What is \"{word}\"?\n{}",
                bpf_usage().message
            )));
        }
    }
    Ok(bpf)
}

/// A failure of `bpf_parse_common` as `f_bpf.c` reports it: its own line, then
/// "Unable to parse bpf command line", exit 1. tc's `exit(-1)` errors stay as they are.
fn unparsable(e: CliError) -> CliError {
    if e.exits_at_once {
        e
    } else {
        CliError::failed(format!("{}\nUnable to parse bpf command line", e.message))
    }
}

/// Reads `obj FILE [sec S] [program P] [export UDS] [verbose]` (`bpf_parse_common`);
/// `mode` is the word naming the object kind.
fn parse_object(mode: &str, w: &mut Words<'_>, bpf: &mut BpfArgs) -> CliResult<()> {
    if bpf.object.is_some() || bpf.bytecode.is_some() {
        return Err(crate::words::duplicate("run", mode));
    }
    // tc tests the modes in this order, so `obj` (a prefix of both) means object-file.
    if matches(mode, "bytecode") || mode == "bc" {
        bpf.bytecode = Some(BytecodeSource::Inline(w.value()?.to_string()));
        return Ok(());
    }
    if matches(mode, "bytecode-file") || mode == "bcf" {
        bpf.bytecode = Some(BytecodeSource::File(w.value()?.to_string()));
        return Ok(());
    }
    // `obj` is a prefix of both `object-file` and `object-pinned`: tc tries the
    // object file first.
    let file = matches(mode, "object-file") || mode == "obj";
    let pinned =
        !file && (matches(mode, "object-pinned") || matches(mode, "pinned") || matches(mode, "fd"));
    if !(file || pinned) {
        return Err(CliError::usage(format!("What mode is \"{mode}\"?")));
    }
    let file = w.value()?.to_string();
    let mut source = ObjectSource {
        file,
        section: None,
        program: None,
        verbose: false,
        pinned,
    };
    if w.peek()
        .is_some_and(|x| matches(x, "section") || x == "sec")
    {
        w.next_word();
        source.section = Some(w.value()?.to_string());
    }
    if w.peek().is_some_and(|x| matches(x, "program")) {
        w.next_word();
        source.program = Some(w.value()?.to_string());
    }
    if w.peek().is_some_and(|x| matches(x, "export")) {
        return Err(CliError::usage(
            "\"export\": exporting maps over a UNIX socket is not supported by rtc.",
        ));
    }
    if w.peek().is_some_and(|x| matches(x, "verbose")) {
        w.next_word();
        source.verbose = true;
    }
    bpf.object = Some(source);
    Ok(())
}

/// tc's filter usage text.
pub const USAGE: &str = "Usage: tc filter [ add | del | change | replace | show ] [ dev STRING ]\n\
     \x20      tc filter [ add | del | change | replace | show ] [ block BLOCK_INDEX ]\n\
     \x20      tc filter get dev STRING parent CLASSID protocol PROTO handle FILTERID pref PRIO FILTER_TYPE\n\
     \x20      tc filter get block BLOCK_INDEX protocol PROTO handle FILTERID pref PRIO FILTER_TYPE\n\
     \x20      [ pref PRIO ] protocol PROTO [ chain CHAIN_INDEX ]\n\
     \x20      [ estimator INTERVAL TIME_CONSTANT ]\n\
     \x20      [ root | ingress | egress | parent CLASSID ]\n\
     \x20      [ handle FILTERID ] [ [ FILTER_TYPE ] [ help | OPTIONS ] ]\n\
     \n\
     \x20      tc filter show [ dev STRING ] [ root | ingress | egress | parent CLASSID ]\n\
     \x20      tc filter show [ block BLOCK_INDEX ]\n\
     Where:\n\
     FILTER_TYPE := { rsvp | u32 | bpf | fw | route | etc. }\n\
     FILTERID := ... format depends on classifier, see there\n\
     OPTIONS := ... try tc filter add <desired FILTER_KIND> help";

/// The filter usage asked for with `help` (exit 0, as tc).
pub fn help() -> CliError {
    CliError::help(USAGE)
}

/// tc's `bpf` classifier usage text (`f_bpf.c`'s `explain`), printed when the
/// classifier's options cannot be read: tc's parser fails, so the exit code is 1.
pub fn bpf_usage() -> CliError {
    CliError::failed(
        "Usage: ... bpf ...\n\
         \n\
         BPF use case:\n\
         \x20bytecode BPF_BYTECODE\n\
         \x20bytecode-file FILE\n\
         \n\
         eBPF use case:\n\
         \x20object-file FILE [ section CLS_NAME ] [ export UDS_FILE ] [ verbose ] [ direct-action ] [ skip_hw | skip_sw ]\n\
         \x20object-pinned FILE [ direct-action ] [ skip_hw | skip_sw ]\n\
         \n\
         Common remaining options:\n\
         \x20[ action ACTION_SPEC ]\n\
         \x20[ classid CLASSID ]\n\
         \n\
         Where BPF_BYTECODE := 's,c t f k,c t f k,c t f k,...'\n\
         c,t,f,k and s are decimals; s denotes number of 4-tuples\n\
         \n\
         Where FILE points to a file containing the BPF_BYTECODE string,\n\
         an ELF file containing eBPF map definitions and bytecode, or a\n\
         pinned eBPF program.\n\
         \n\
         Where CLS_NAME refers to the section name containing the\n\
         classifier (default 'classifier').\n\
         \n\
         Where UDS_FILE points to a unix domain socket file in order\n\
         to hand off control of all created eBPF maps to an agent.\n\
         \n\
         ACTION_SPEC := ... look at individual actions\n\
         NOTE: CLASSID is parsed as hexadecimal input.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> CliResult<FilterArgs> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        let verb = FilterVerb::parse(&words[0])?;
        let args = FilterArgs::parse(verb, &words[1..])?;
        // The kind's parser failure is reported after the device lookup; here, at once.
        match args.options_error.clone() {
            Some(e) => Err(e),
            None => Ok(args),
        }
    }

    #[test]
    fn the_canonical_add() {
        let args = parse("add dev eth0 ingress bpf da obj drop-arp.o sec ingress").unwrap();
        assert_eq!(args.verb, FilterVerb::Add);
        assert_eq!(args.dev.as_deref(), Some("eth0"));
        assert_eq!(args.parent, Some(PARENT_INGRESS));
        let bpf = args.bpf.unwrap();
        assert!(bpf.direct_action);
        let obj = bpf.object.unwrap();
        assert_eq!(
            (obj.file.as_str(), obj.section.as_deref()),
            ("drop-arp.o", Some("ingress"))
        );
    }

    #[test]
    fn prefixes_and_options_in_any_tc_order() {
        let args =
            parse("a dev x egress pref 7 handle 3 protocol ipv6 chain 2 bpf obj f.o verbose direct-action skip_sw classid 1:2")
                .unwrap();
        assert_eq!(args.verb, FilterVerb::Add);
        assert_eq!(
            (args.pref, args.protocol, args.chain),
            (Some(7), Some(0x86dd), Some(2))
        );
        assert_eq!(args.handle.as_deref(), Some("3"));
        let bpf = args.bpf.unwrap();
        assert!(bpf.object.as_ref().unwrap().verbose);
        assert!(bpf.skip_sw && bpf.direct_action && !bpf.classid_first);
        assert_eq!(bpf.classid, Some(0x0001_0002));
        assert_eq!(parse("d dev x ingress").unwrap().verb, FilterVerb::Delete);
        assert_eq!(parse("ls dev x ingress").unwrap().verb, FilterVerb::Show);
        assert_eq!(
            parse("r dev x ingress bpf obj f.o").unwrap().verb,
            FilterVerb::Replace
        );
    }

    #[test]
    fn errors_use_iproute2_wording() {
        let e = parse("add dev x ingress pref 70000 bpf obj f.o").unwrap_err();
        assert_eq!(
            e.message,
            "Error: argument \"70000\" is wrong: invalid priority value"
        );
        assert_eq!(e.code, 255);
        let e = parse("add dev x dev y").unwrap_err();
        assert_eq!(
            e.message,
            "Error: duplicate \"dev\": \"y\" is the second value."
        );
        assert_eq!(
            parse("add dev").unwrap_err().message,
            crate::words::incomplete().message
        );
        assert!(
            parse("frobnicate dev x")
                .unwrap_err()
                .message
                .contains("unknown")
        );
        assert!(parse("add dev x ingress bpf obj").is_err());
        assert!(parse("add dev x ingress u32 match").is_err());
        // The classifier's own parser failed: exit 1, as tc.
        let e = parse("add dev x ingress bpf da notakeyword").unwrap_err();
        assert_eq!(
            (e.message.as_str(), e.code),
            (
                "What mode is \"notakeyword\"?\nUnable to parse bpf command line",
                1
            )
        );
        let e = parse("add dev x ingress foo bar").unwrap_err();
        assert_eq!(e.code, 1);
        assert!(
            parse("add dev x ingress foo")
                .unwrap()
                .options_error
                .is_none()
        );
        assert_eq!(parse("help").unwrap_err().code, 0);
        let e = parse("add dev x block 1").unwrap_err();
        assert!(e.message.contains("mutually exclusive"));
        assert_eq!(parse("add block 7 bpf da obj f.o").unwrap().block, Some(7));
    }

    #[test]
    fn classic_bytecode_inline_and_from_a_file() {
        let args = parse("add dev x ingress bpf bytecode 1,6_0_0_0 flowid 1:1").unwrap();
        let bpf = args.bpf.unwrap();
        assert_eq!(
            bpf.bytecode,
            Some(BytecodeSource::Inline("1,6_0_0_0".into()))
        );
        assert!(!bpf.classid_first);
        let args = parse("add dev x ingress bpf classid 1:1 bcf f.bpf").unwrap();
        let bpf = args.bpf.unwrap();
        assert_eq!(bpf.bytecode, Some(BytecodeSource::File("f.bpf".into())));
        assert!(bpf.classid_first);
        assert!(parse("add dev x ingress bpf bc 1,6_0_0_0 obj f.o").is_err());
    }

    #[test]
    fn options_after_the_object_keep_their_order() {
        let args = parse("add dev x ingress bpf obj f.o sec s program p verbose").unwrap();
        let obj = args.bpf.unwrap().object.unwrap();
        assert_eq!(obj.program.as_deref(), Some("p"));
        // tc reads `sec` only right after the file: later it is an unknown word.
        assert!(parse("add dev x ingress bpf obj f.o verbose sec s").is_err());
    }
}
