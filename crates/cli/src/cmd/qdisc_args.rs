//! The grammar of `tc qdisc {add|replace|change|del|show} ...` for the two qdiscs that
//! carry BPF filters, clsact and ingress, read into a [`QdiscArgs`] (`tc_qdisc.c`).

use crate::error::{CliError, CliResult};
use crate::values::parse_tc_handle;
use crate::words::{Words, invalid, matches, set_once};
use netlink_tc::handle::{CLSACT_PARENT, ROOT as TC_H_ROOT};

/// Which qdisc command was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QdiscVerb {
    /// `add`.
    Add,
    /// `change`.
    Change,
    /// `replace`.
    Replace,
    /// `delete`.
    Delete,
    /// `show`/`list`/`lst`.
    Show,
}

impl QdiscVerb {
    /// Reads the verb word as tc's `do_qdisc` does.
    pub fn parse(word: &str) -> CliResult<QdiscVerb> {
        Ok(if matches(word, "add") {
            QdiscVerb::Add
        } else if matches(word, "change") {
            QdiscVerb::Change
        } else if matches(word, "replace") {
            QdiscVerb::Replace
        } else if matches(word, "delete") {
            QdiscVerb::Delete
        } else if matches(word, "list") || matches(word, "show") || matches(word, "lst") {
            QdiscVerb::Show
        } else if matches(word, "help") {
            return Err(CliError::help(USAGE));
        } else {
            return Err(CliError::usage(format!(
                "Command \"{word}\" is unknown, try \"tc qdisc help\"."
            )));
        })
    }
}

/// The qdiscs rtc manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QdiscKind {
    /// `clsact`: ingress and egress hooks.
    Clsact,
    /// `ingress`: the older ingress-only hook.
    Ingress,
}

/// Everything a `qdisc` command line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QdiscArgs {
    /// The verb.
    pub verb: QdiscVerb,
    /// `dev NAME`.
    pub dev: Option<String>,
    /// The qdisc kind, for add/replace/change/del.
    pub kind: Option<QdiscKind>,
    /// `show ingress|clsact|root|handle`: restricts the listing (show only).
    pub show_parent: Option<u32>,
    /// `handle H` (show only: which qdisc to list).
    pub handle: Option<u32>,
    /// A kind tc 6.1 has no parser for, given without options: tc sends it to the
    /// kernel as it is (which refuses it unless a module provides it), and so does rtc.
    pub other_kind: Option<String>,
    /// `root` or `parent H` before the kind (add/replace/change/del).
    pub parent: Option<u32>,
    /// `ingress_block N`: share filter block N on the ingress hook.
    pub ingress_block: Option<u32>,
    /// `egress_block N`: share filter block N on the egress hook.
    pub egress_block: Option<u32>,
    /// `help` among the words: tc prints its usage text and goes on with the command.
    pub help_asked: bool,
}

/// The qdisc kinds tc 6.1 has a parser for. rtc implements clsact and ingress; the
/// others are refused. Any other word is a kind tc knows nothing about.
pub(crate) const TC_QDISC_KINDS: &[&str] = &[
    "bfifo",
    "cake",
    "cbq",
    "cbs",
    "choke",
    "clsact",
    "codel",
    "drr",
    "dsmark",
    "etf",
    "ets",
    "fq",
    "fq_codel",
    "fq_pie",
    "gred",
    "hfsc",
    "hhf",
    "htb",
    "ingress",
    "mqprio",
    "multiq",
    "netem",
    "pfifo",
    "pfifo_fast",
    "pfifo_head_drop",
    "pie",
    "plug",
    "prio",
    "qfq",
    "red",
    "rr",
    "sfb",
    "sfq",
    "skbprio",
    "taprio",
    "tbf",
];

impl QdiscArgs {
    /// Reads the words after the verb.
    pub fn parse(verb: QdiscVerb, words: &[String]) -> CliResult<QdiscArgs> {
        let mut args = QdiscArgs {
            verb,
            dev: None,
            kind: None,
            show_parent: None,
            handle: None,
            other_kind: None,
            parent: None,
            ingress_block: None,
            egress_block: None,
            help_asked: false,
        };
        if verb != QdiscVerb::Show {
            args.parse_modify(words)?;
            return Ok(args);
        }
        let mut w = Words::new(words);
        while let Some(word) = w.next_word() {
            match word {
                "dev" => {
                    let dev = w.value()?;
                    set_once(&mut args.dev, "dev", dev, dev.to_string())?;
                }
                "clsact" | "ingress" if verb != QdiscVerb::Show => {
                    if args.kind.is_some() {
                        return Err(CliError::usage(
                            "Error: cannot specify more than one of parent, root, ingress or clsact",
                        ));
                    }
                    args.kind = Some(if word == "clsact" {
                        QdiscKind::Clsact
                    } else {
                        QdiscKind::Ingress
                    });
                    if let Some(option) = w.next_word() {
                        // tc's clsact/ingress parser takes no options (exit 1).
                        return Err(CliError::failed(format!(
                            "What is \"{option}\"?\nUsage: ... {word}"
                        )));
                    }
                }
                "ingress" | "clsact" | "root" => {
                    args.show_parent = Some(if word == "root" {
                        TC_H_ROOT
                    } else {
                        CLSACT_PARENT
                    });
                }
                "handle" => {
                    let value = w.value()?;
                    let handle =
                        parse_tc_handle(value).ok_or_else(|| invalid("invalid qdisc ID", value))?;
                    args.handle = Some(handle);
                }
                _ if matches(word, "help") => args.help_asked = true,
                other if verb == QdiscVerb::Show => {
                    return Err(CliError::usage(format!(
                        "What is \"{other}\"? Try \"tc qdisc help\"."
                    )));
                }
                other if TC_QDISC_KINDS.contains(&other) => {
                    return Err(CliError::usage(format!(
                        "Unknown qdisc \"{other}\": rtc manages only clsact and ingress qdiscs."
                    )));
                }
                other => {
                    if let Some(option) = w.next_word() {
                        return Err(CliError::failed(format!(
                            "Unknown qdisc \"{other}\", hence option \"{option}\" is unparsable"
                        )));
                    }
                    args.other_kind = Some(other.to_string());
                }
            }
        }
        Ok(args)
    }

    /// Reads the words of add/replace/change/del as `tc_qdisc_modify` does: options
    /// of the request until the first unknown word, which names the kind; the
    /// kind's own parser takes the rest.
    fn parse_modify(&mut self, words: &[String]) -> CliResult<()> {
        let mut w = Words::new(words);
        while let Some(word) = w.next_word() {
            match word {
                "dev" => {
                    let dev = w.value()?;
                    set_once(&mut self.dev, "dev", dev, dev.to_string())?;
                }
                "handle" => {
                    if self.handle.is_some() {
                        return Err(crate::words::duplicate("handle", word));
                    }
                    let value = w.value()?;
                    let handle =
                        parse_tc_handle(value).ok_or_else(|| invalid("invalid qdisc ID", value))?;
                    self.handle = Some(handle);
                }
                "root" => {
                    if self.parent.is_some() {
                        return Err(CliError::usage("Error: \"root\" is duplicate parent ID"));
                    }
                    self.parent = Some(TC_H_ROOT);
                }
                "parent" => {
                    let value = w.value()?;
                    if self.parent.is_some() {
                        return Err(crate::words::duplicate("parent", value));
                    }
                    let parent = parse_tc_handle(value)
                        .ok_or_else(|| invalid("invalid parent ID", value))?;
                    self.parent = Some(parent);
                }
                "clsact" | "ingress" => {
                    if self.parent.is_some() {
                        return Err(CliError::usage(format!(
                            "Error: \"{word}\" is a duplicate parent ID"
                        )));
                    }
                    self.kind = Some(if word == "clsact" {
                        QdiscKind::Clsact
                    } else {
                        QdiscKind::Ingress
                    });
                    if let Some(option) = w.next_word() {
                        // tc's clsact/ingress parser takes no options (exit 1).
                        return Err(CliError::failed(format!(
                            "What is \"{option}\"?\nUsage: ... {word}"
                        )));
                    }
                    return Ok(());
                }
                _ if matches(word, "ingress_block") || matches(word, "egress_block") => {
                    let ingress = matches(word, "ingress_block");
                    let value = w.value()?;
                    let what = if ingress { "ingress" } else { "egress" };
                    let block = crate::values::parse_u32(value).ok_or_else(|| {
                        invalid(&format!("invalid {what} block index value"), value)
                    })?;
                    if ingress {
                        self.ingress_block = Some(block);
                    } else {
                        self.egress_block = Some(block);
                    }
                }
                _ if matches(word, "estimator") || matches(word, "stab") => {
                    return Err(CliError::usage(format!(
                        "\"{word}\": rate estimators and size tables are not supported by rtc."
                    )));
                }
                _ if matches(word, "help") => self.help_asked = true,
                other if TC_QDISC_KINDS.contains(&other) => {
                    return Err(CliError::usage(format!(
                        "Unknown qdisc \"{other}\": rtc manages only clsact and ingress qdiscs."
                    )));
                }
                other => {
                    if let Some(option) = w.next_word() {
                        return Err(CliError::failed(format!(
                            "Unknown qdisc \"{other}\", hence option \"{option}\" is unparsable"
                        )));
                    }
                    self.other_kind = Some(other.to_string());
                }
            }
        }
        Ok(())
    }
}

/// tc's qdisc usage text.
pub const USAGE: &str = "Usage: tc qdisc [ add | del | replace | change | show ] dev STRING\n\
         \x20      [ handle QHANDLE ] [ root | ingress | clsact | parent CLASSID ]\n\
         \x20      [ estimator INTERVAL TIME_CONSTANT ]\n\
         \x20      [ stab [ help | STAB_OPTIONS] ]\n\
         \x20      [ ingress_block BLOCK_INDEX ] [ egress_block BLOCK_INDEX ]\n\
         \x20      [ [ QDISC_KIND ] [ help | OPTIONS ] ]\n\
         \n\
         \x20      tc qdisc { show | list } [ dev STRING ] [ QDISC_ID ] [ invisible ]\n\
         Where:\n\
         QDISC_KIND := { [p|b]fifo | tbf | prio | cbq | red | etc. }\n\
         OPTIONS := ... try tc qdisc add <desired QDISC_KIND> help\n\
         STAB_OPTIONS := ... try tc qdisc add stab help\n\
         QDISC_ID := { root | ingress | handle QHANDLE | parent CLASSID }";

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> CliResult<QdiscArgs> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        QdiscArgs::parse(QdiscVerb::parse(&words[0])?, &words[1..])
    }

    #[test]
    fn clsact_and_ingress() {
        let a = parse("add dev eth0 clsact").unwrap();
        assert_eq!(
            (a.verb, a.kind, a.dev.as_deref()),
            (QdiscVerb::Add, Some(QdiscKind::Clsact), Some("eth0"))
        );
        assert_eq!(
            parse("r dev eth0 ingress").unwrap().kind,
            Some(QdiscKind::Ingress)
        );
        assert_eq!(
            parse("del dev eth0 clsact").unwrap().verb,
            QdiscVerb::Delete
        );
        assert_eq!(parse("show dev eth0").unwrap().kind, None);
    }

    #[test]
    fn unsupported_input_is_a_usage_error() {
        assert_eq!(parse("add dev eth0 htb").unwrap_err().code, 255);
        assert_eq!(parse("add dev eth0 clsact extra").unwrap_err().code, 1);
        assert_eq!(parse("add dev eth0 clsact ingress").unwrap_err().code, 1);
        assert_eq!(parse("add dev eth0 foo bar").unwrap_err().code, 1);
        assert_eq!(parse("help").unwrap_err().code, 0);
        let a = parse("add dev eth0 ingress_block 5 egress_block 6 clsact").unwrap();
        assert_eq!((a.ingress_block, a.egress_block), (Some(5), Some(6)));
        assert_eq!(parse("bogus dev eth0").unwrap_err().code, 255);
    }
}
