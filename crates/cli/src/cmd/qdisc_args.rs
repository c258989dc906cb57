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

impl QdiscKind {
    /// The `TCA_KIND` string.
    pub fn name(self) -> &'static str {
        match self {
            QdiscKind::Clsact => "clsact",
            QdiscKind::Ingress => "ingress",
        }
    }
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
}

impl QdiscArgs {
    /// Reads the words after the verb.
    pub fn parse(verb: QdiscVerb, words: &[String]) -> CliResult<QdiscArgs> {
        let mut args = QdiscArgs {
            verb,
            dev: None,
            kind: None,
            show_parent: None,
            handle: None,
        };
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
                    if w.next_word().is_some() {
                        return Err(CliError::usage(format!(
                            "qdisc '{}' does not support option parsing",
                            args.kind.map_or("", QdiscKind::name)
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
                _ if matches(word, "help") => return Err(usage()),
                other if verb == QdiscVerb::Show => {
                    return Err(CliError::usage(format!(
                        "What is \"{other}\"? Try \"tc qdisc help\"."
                    )));
                }
                other => {
                    return Err(CliError::usage(format!(
                        "Unknown qdisc \"{other}\": rtc manages only clsact and ingress qdiscs."
                    )));
                }
            }
        }
        if verb != QdiscVerb::Show && args.kind.is_none() {
            return Err(CliError::usage(
                "Error: a qdisc kind (clsact or ingress) is required.",
            ));
        }
        Ok(args)
    }
}

/// tc's qdisc usage text.
pub fn usage() -> CliError {
    CliError::usage_exit(
        "Usage: tc qdisc [ add | del | replace | change | show ] dev STRING\n\
         \x20      [ handle QHANDLE ] [ root | ingress | clsact | parent CLASSID ]\n\
         \x20      [ estimator INTERVAL TIME_CONSTANT ]\n\
         \x20      [ stab [ help | STAB_OPTIONS] ]\n\
         \x20      [ ingress_block BLOCK_INDEX ] [ egress_block BLOCK_INDEX ]\n\
         \x20      [ [ QDISC_KIND ] [ help | OPTIONS ] ]\n\
         \n\
         \x20      tc qdisc { show | list } [ dev STRING ] [ QDISC_ID ] [ invisible ]\n\
         Where:\n\
         QDISC_KIND := { [p|b]fifo | tbf | prio | red | etc. }\n\
         OPTIONS := ... try tc qdisc add <desired QDISC_KIND> help\n\
         STAB_OPTIONS := ... try tc qdisc add stab help\n\
         QDISC_ID := { root | ingress | handle QHANDLE | parent CLASSID }",
    )
}

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
        assert_eq!(parse("add dev eth0 clsact extra").unwrap_err().code, 255);
        assert_eq!(parse("add dev eth0 clsact ingress").unwrap_err().code, 255);
        assert_eq!(parse("bogus dev eth0").unwrap_err().code, 255);
    }
}
