//! `qdisc add|replace|change|del|show`: the clsact/ingress qdisc that BPF filters hang on.

use netlink_tc::{QdiscOp, QdiscSpec};

use super::qdisc_args::{QdiscArgs, QdiscKind, QdiscVerb};
use crate::device;
use crate::error::{CliError, CliResult, tc_text};
use crate::session::Session;
use crate::show::QdiscSelection;

/// Runs a `qdisc` command (the words after `qdisc`).
pub fn run(session: &mut Session, words: &[String]) -> CliResult<()> {
    let Some((verb, rest)) = words.split_first() else {
        return show(session, &QdiscArgs::parse(QdiscVerb::Show, &[])?);
    };
    let verb = QdiscVerb::parse(verb)?;
    let args = QdiscArgs::parse(verb, rest)?;
    if args.help_asked {
        crate::output::eprintln(super::qdisc_args::USAGE);
    }
    match verb {
        QdiscVerb::Show => show(session, &args),
        QdiscVerb::Add => modify(session, QdiscOp::Add, &args),
        QdiscVerb::Replace => modify(session, QdiscOp::Replace, &args),
        QdiscVerb::Change => modify(session, QdiscOp::Change, &args),
        QdiscVerb::Delete => modify(session, QdiscOp::Delete, &args),
    }
}

fn modify(session: &mut Session, op: QdiscOp, args: &QdiscArgs) -> CliResult<()> {
    let ifindex = device::optional_ifindex(args.dev.as_deref())?;
    let mut spec = match args.kind {
        Some(QdiscKind::Clsact) => QdiscSpec::clsact(ifindex),
        Some(QdiscKind::Ingress) => QdiscSpec::ingress(ifindex),
        // A kind rtc does not manage, or none at all: sent as tc sends it, for the
        // kernel to answer.
        None => QdiscSpec::other(
            ifindex,
            args.other_kind.as_deref().unwrap_or_default(),
            args.handle.unwrap_or(0),
            args.parent.unwrap_or(0),
        ),
    };
    spec.ingress_block = args.ingress_block;
    spec.egress_block = args.egress_block;
    session
        .netlink()?
        .qdisc(op, &spec)
        .map(drop)
        .map_err(|e| CliError::kernel(tc_text(&e)))
}

fn show(session: &mut Session, args: &QdiscArgs) -> CliResult<()> {
    let ifindex = device::optional_ifindex(args.dev.as_deref())?;
    let dump = session
        .netlink()?
        .qdiscs(ifindex)
        .map_err(|e| CliError::failed(format!("Dump terminated: {}", tc_text(&e))))?;
    crate::output::report_interrupted_dump(dump.interrupted);
    let selection = QdiscSelection {
        ifindex: (ifindex != 0).then_some(ifindex),
        handle: args.handle,
        parent: args.show_parent,
    };
    let text = crate::show::render_qdiscs(
        &dump.items,
        &selection,
        &session.show_options(),
        &mut device::name,
    );
    crate::output::print(&text)
}
