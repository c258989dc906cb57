//! One filter line of `tc filter show` / `tc filter get`, as tc 6.1's
//! `print_filter` and cls_bpf's option printer write it:
//! `filter [dev D] [ingress|egress|parent P] [protocol X] [pref N] KIND [chain C]
//! [handle 0xH] [flowid F] [NAME] [direct-action] [skip_hw] [skip_sw]
//! [in_hw|not_in_hw] [id N name S tag T jited [load_time ...]]`.
//!
//! Fields the command line already named (device, parent, protocol, pref, chain)
//! are left out, as tc leaves them out. Options are rendered for `bpf` filters and
//! for kinds tc has no printer for (`fh ... [Unknown filter, optlen=N]`); the options
//! of tc's other classifiers (u32, flower, ...) and cls_bpf's police and action
//! parts are NOT rendered.

use bpf_sys::hex;
use netlink_tc::filter::{
    TCA_BPF_FLAG_ACT_DIRECT, TCA_CLS_FLAGS_IN_HW, TCA_CLS_FLAGS_NOT_IN_HW, TCA_CLS_FLAGS_SKIP_HW,
    TCA_CLS_FLAGS_SKIP_SW,
};
use netlink_tc::message::{NLM_F_CREATE, NLM_F_EXCL, RTM_DELTFILTER, RTM_NEWTFILTER};
use netlink_tc::{BpfOptions, Filter, FilterOptions, handle};

use super::format::{classid, protocol_name};
use super::printer::{Printer, Value};
use super::stats::print_stats;
use super::{FilterSelection, Resolve, ShowOptions, print_dev};

/// Classifier kinds iproute2 6.1's tc has an options printer for.
const KINDS_TC_PRINTS: &[&str] = &[
    "basic", "bpf", "cgroup", "flow", "flower", "fw", "matchall", "route", "rsvp", "tcindex", "u32",
];

/// How much of a tag tc's fixed buffer holds (31 bytes as hex).
const MAX_TAG_BYTES: usize = 31;

/// Prints one filter entry. Entries without a kind are skipped (tc stops the dump
/// with "print_filter: NULL kind" there).
pub fn print_filter(
    p: &mut Printer,
    filter: &Filter,
    selection: &FilterSelection,
    options: &ShowOptions,
    resolve: &mut dyn Resolve,
) {
    let Some(kind) = filter.kind.as_deref() else {
        return;
    };
    p.open_object(None);
    let flags = filter.msg_flags;
    if filter.msg_type == RTM_DELTFILTER {
        p.field("deleted", Value::Bool(true), "deleted ");
    }
    if filter.msg_type == RTM_NEWTFILTER && flags & NLM_F_CREATE != 0 {
        if flags & NLM_F_EXCL == 0 {
            p.field("replaced", Value::Bool(true), "replaced ");
        } else {
            p.field("added", Value::Bool(true), "added ");
        }
    }
    p.text("filter ");
    print_location(p, filter, selection, resolve);
    if filter.info != 0 {
        let protocol = filter.protocol();
        if protocol != 0 && selection.protocol.unwrap_or(0) != protocol {
            let name = protocol_name(protocol);
            p.field(
                "protocol",
                Value::Str(&name),
                format_args!("protocol {name} "),
            );
        }
        let pref = filter.pref();
        if pref != 0 && selection.pref.unwrap_or(0) != pref {
            p.field(
                "pref",
                Value::Uint(pref.into()),
                format_args!("pref {pref} "),
            );
        }
    }
    p.field("kind", Value::Str(kind), format_args!("{kind} "));
    if let Some(chain) = filter.chain {
        if selection.chain != Some(chain) {
            p.field(
                "chain",
                Value::Uint(chain.into()),
                format_args!("chain {chain} "),
            );
        }
    }
    if let Some(opts) = &filter.options {
        p.open_object(Some("options"));
        match opts {
            FilterOptions::Bpf(bpf) => print_bpf(p, filter.handle, bpf, options, resolve),
            FilterOptions::Other(raw) if !KINDS_TC_PRINTS.contains(&kind) => {
                if !raw.is_empty() {
                    p.raw(&format!(
                        "fh {:08x} [Unknown filter, optlen={}] ",
                        filter.handle,
                        raw.len()
                    ));
                } else if filter.handle != 0 {
                    p.raw(&format!("fh {:08x} ", filter.handle));
                }
            }
            FilterOptions::Other(_) => {}
        }
        p.close_object();
    }
    p.newline();
    if options.stats && (filter.stats.stats2.is_some() || filter.stats.legacy.is_some()) {
        print_stats(p, &filter.stats, " ");
        p.newline();
    }
    p.close_object();
}

/// Block or device, then the attach point, each unless the command named it.
fn print_location(
    p: &mut Printer,
    filter: &Filter,
    selection: &FilterSelection,
    resolve: &mut dyn Resolve,
) {
    if filter.ifindex == handle::IFINDEX_MAGIC_BLOCK {
        // For blocks the parent field carries the block index.
        let block = filter.parent;
        let named = selection.block.unwrap_or(0);
        if named == 0 || named != block {
            p.field(
                "block",
                Value::Uint(block.into()),
                format_args!("block {block} "),
            );
        }
        return;
    }
    if selection.ifindex.unwrap_or(0) == 0 || selection.ifindex != Some(filter.ifindex) {
        print_dev(p, filter.ifindex, &mut |i| resolve.dev_name(i));
    }
    let parent = filter.parent;
    if selection.parent.unwrap_or(0) == 0 || selection.parent != Some(parent) {
        if parent == handle::ROOT {
            p.field("root", Value::Bool(true), "root ");
        } else if parent == handle::INGRESS {
            p.field("ingress", Value::Bool(true), "ingress ");
        } else if parent == handle::EGRESS {
            p.field("egress", Value::Bool(true), "egress ");
        } else {
            let text = classid(parent);
            p.field("parent", Value::Str(&text), format_args!("parent {text} "));
        }
    }
}

/// cls_bpf's options.
fn print_bpf(
    p: &mut Printer,
    handle: u32,
    bpf: &BpfOptions,
    options: &ShowOptions,
    resolve: &mut dyn Resolve,
) {
    if handle != 0 {
        let text = format!("{handle:#x}");
        p.field("handle", Value::Str(&text), format_args!("handle {text} "));
    }
    if let Some(class) = bpf.classid {
        let text = classid(class);
        p.field("flowid", Value::Str(&text), format_args!("flowid {text} "));
    }
    if let Some(name) = &bpf.name {
        p.field("bpf_name", Value::Str(name), format_args!("{name} "));
    }
    if bpf.flags.unwrap_or(0) & TCA_BPF_FLAG_ACT_DIRECT != 0 {
        p.field("direct-action", Value::Bool(true), "direct-action ");
    }
    if let Some(gen_flags) = bpf.flags_gen {
        if gen_flags & TCA_CLS_FLAGS_SKIP_HW != 0 {
            p.field("skip_hw", Value::Bool(true), "skip_hw ");
        }
        if gen_flags & TCA_CLS_FLAGS_SKIP_SW != 0 {
            p.field("skip_sw", Value::Bool(true), "skip_sw ");
        }
        if gen_flags & TCA_CLS_FLAGS_IN_HW != 0 {
            p.field("in_hw", Value::Bool(true), "in_hw ");
        } else if gen_flags & TCA_CLS_FLAGS_NOT_IN_HW != 0 {
            p.field("not_in_hw", Value::Bool(true), "not_in_hw ");
        }
    }
    if let Some(insns) = &bpf.classic {
        print_classic(p, insns);
    }
    let described = match bpf.id {
        Some(id) => print_prog(p, id, options, resolve),
        None => false,
    };
    if !described {
        if let Some(tag) = &bpf.tag {
            let text = hex(&tag[..tag.len().min(MAX_TAG_BYTES)]);
            p.field("tag", Value::Str(&text), format_args!("tag {text} "));
        }
    }
}

/// `id N name S tag T jited [load_time L created_by_uid U] [btf_id B]`; returns
/// whether the program could be described (else tc falls back to the dump's tag).
fn print_prog(p: &mut Printer, id: u32, options: &ShowOptions, resolve: &mut dyn Resolve) -> bool {
    p.open_object(Some("prog"));
    p.field("id", Value::Uint(id.into()), format_args!("id {id} "));
    let summary = resolve.prog(id);
    if let Some(prog) = &summary {
        p.field(
            "name",
            Value::Str(&prog.name),
            format_args!("name {} ", prog.name),
        );
        let tag = hex(&prog.tag);
        p.field("tag", Value::Str(&tag), format_args!("tag {tag} "));
        p.json_only("jited", Value::Uint(prog.jited.into()));
        if prog.jited {
            p.text("jited ");
        }
        if options.details {
            if prog.load_time != 0 {
                p.field(
                    "load_time",
                    Value::Uint(prog.load_time),
                    format_args!("load_time {} ", prog.load_time),
                );
                p.field(
                    "created_by_uid",
                    Value::Uint(prog.created_by_uid.into()),
                    format_args!("created_by_uid {} ", prog.created_by_uid),
                );
            }
            if prog.btf_id != 0 {
                p.field(
                    "btf_id",
                    Value::Uint(prog.btf_id.into()),
                    format_args!("btf_id {} ", prog.btf_id),
                );
            }
        }
    }
    p.close_object();
    summary.is_some()
}

/// A classic BPF filter's instructions: `bytecode 'N,code jt jf k,...'`.
fn print_classic(p: &mut Printer, insns: &[netlink_tc::ClassicInsn]) {
    if insns.is_empty() {
        return;
    }
    p.open_object(Some("bytecode"));
    p.field(
        "length",
        Value::Uint(insns.len() as u64),
        format_args!("bytecode '{},", insns.len()),
    );
    p.open_array("insns");
    for (i, insn) in insns.iter().enumerate() {
        p.open_object(None);
        p.field(
            "code",
            Value::Uint(insn.code.into()),
            format_args!("{} ", insn.code),
        );
        p.field(
            "jt",
            Value::Uint(insn.jt.into()),
            format_args!("{} ", insn.jt),
        );
        p.field(
            "jf",
            Value::Uint(insn.jf.into()),
            format_args!("{} ", insn.jf),
        );
        let end = if i + 1 == insns.len() { "'" } else { "," };
        p.field(
            "k",
            Value::Uint(insn.k.into()),
            format_args!("{}{end}", insn.k),
        );
        p.close_object();
    }
    p.close_array();
    p.close_object();
}
