//! One qdisc line of `tc qdisc show`, as tc 6.1's `print_qdisc` writes it:
//! `qdisc KIND MAJ: [dev NAME] root|parent P [refcnt N] [options]` then, with `-s`,
//! the statistics lines.
//!
//! Options are rendered for `clsact` (none) and `ingress` (tc's dashes); kinds tc
//! has no printer for get tc's `[Unknown qdisc, optlen=N]`. The options of the
//! other kinds tc knows (fq_codel, pfifo_fast, htb, ...), their `-s` extended
//! statistics and `-d` size tables are NOT rendered: their head line is exact,
//! the rest is left out.

use netlink_tc::message::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, RTM_DELQDISC, RTM_NEWQDISC};
use netlink_tc::{Qdisc, handle};

use super::format::classid;
use super::printer::{Printer, Value};
use super::stats::print_stats;
use super::{QdiscSelection, ShowOptions, print_dev};

/// Whether iproute2 6.1's tc has an options printer for qdisc `kind`: every kind it
/// has a parser for ([`crate::cmd::qdisc_args::TC_QDISC_KINDS`]; `pfifo_fast` is
/// printed by the `prio` one), and `atm`, which it prints but cannot parse.
fn tc_prints(kind: &str) -> bool {
    kind == "atm" || crate::cmd::qdisc_args::TC_QDISC_KINDS.contains(&kind)
}

/// Whether tc would list `qdisc` under `selection` (tc filters the dump itself).
pub fn selected(qdisc: &Qdisc, selection: &QdiscSelection) -> bool {
    let differs =
        |wanted: Option<u32>, actual: u32| matches!(wanted, Some(w) if w != 0 && w != actual);
    !(differs(selection.ifindex, qdisc.ifindex)
        || differs(selection.handle, qdisc.handle)
        || differs(selection.parent, qdisc.parent))
}

/// Prints one qdisc entry.
pub fn print_qdisc(
    p: &mut Printer,
    qdisc: &Qdisc,
    selection: &QdiscSelection,
    options: &ShowOptions,
    dev_name: &mut dyn FnMut(u32) -> Option<String>,
) {
    p.open_object(None);
    let flags = qdisc.msg_flags;
    if qdisc.msg_type == RTM_DELQDISC {
        p.field("deleted", Value::Bool(true), "deleted ");
    }
    if qdisc.msg_type == RTM_NEWQDISC && flags & NLM_F_CREATE != 0 && flags & NLM_F_REPLACE != 0 {
        p.field("replaced", Value::Bool(true), "replaced ");
    }
    if qdisc.msg_type == RTM_NEWQDISC && flags & NLM_F_CREATE != 0 && flags & NLM_F_EXCL != 0 {
        p.field("added", Value::Bool(true), "added ");
    }
    p.field(
        "kind",
        Value::Str(&qdisc.kind),
        &format!("qdisc {}", qdisc.kind),
    );
    let major = format!("{:x}:", qdisc.handle >> 16);
    p.field("handle", Value::Str(&major), &format!(" {major}"));
    p.text(" ");
    if selection.ifindex.unwrap_or(0) == 0 {
        print_dev(p, qdisc.ifindex, dev_name);
    }
    if qdisc.parent == handle::ROOT {
        p.field("root", Value::Bool(true), "root ");
    } else if qdisc.parent != 0 {
        let parent = classid(qdisc.parent);
        p.field("parent", Value::Str(&parent), &format!("parent {parent} "));
    }
    if qdisc.refcnt != 1 {
        p.field(
            "refcnt",
            Value::Uint(qdisc.refcnt.into()),
            &format!("refcnt {} ", qdisc.refcnt),
        );
    }
    if qdisc.hw_offload.unwrap_or(0) != 0 {
        p.field("offloaded", Value::Bool(true), "offloaded ");
    }
    for (key, block) in [
        ("ingress_block", qdisc.ingress_block),
        ("egress_block", qdisc.egress_block),
    ] {
        if let Some(block) = block.filter(|&b| b != 0) {
            p.field(key, Value::Uint(block.into()), &format!("{key} {block} "));
        }
    }
    p.open_object(Some("options"));
    if let Some(raw) = &qdisc.options {
        match qdisc.kind.as_str() {
            "ingress" => p.text("---------------- "),
            kind if tc_prints(kind) => {}
            _ => {
                if !raw.is_empty() {
                    p.raw(&format!("[Unknown qdisc, optlen={}] ", raw.len()));
                }
            }
        }
    }
    p.close_object();
    p.newline();
    if options.stats && !qdisc.stats.is_empty() {
        print_stats(p, &qdisc.stats, " ");
        p.newline();
    }
    p.close_object();
}
