//! One module per tc object: each reads its words (`*_args`) and then does the work.

pub mod bpflink;
pub mod chain;
pub mod exec;
pub mod filter;
pub mod filter_args;
pub mod link;
pub mod link_args;
pub mod link_lookup;
pub mod map;
pub mod map_args;
pub mod net;
pub mod net_args;
pub mod obj;
pub mod obj_args;
pub mod prog;
pub mod prog_lookup;
pub mod prog_ref;
pub mod prog_run;
pub mod qdisc;
pub mod qdisc_args;
pub mod sections;

use crate::error::{CliError, CliResult};
use crate::global::usage_text;
use crate::session::Session;
use crate::words::matches;

/// Runs one command line (the words after the global options).
pub fn run(session: &mut Session, words: &[String]) -> CliResult<()> {
    let Some((object, rest)) = words.split_first() else {
        return Err(CliError::usage(usage_text()));
    };
    if matches(object, "qdisc") {
        qdisc::run(session, rest)
    } else if matches(object, "filter") {
        filter::run(session, rest)
    } else if matches(object, "chain") {
        chain::run(session, rest)
    } else if matches(object, "exec") {
        exec::run(session, rest)
    } else if matches(object, "link") {
        link::run(session, rest)
    } else if matches(object, "map") {
        map::run(session, rest)
    } else if matches(object, "net") {
        net::run(session, rest)
    } else if matches(object, "prog") {
        prog::run(session, rest)
    } else if matches(object, "bpflink") {
        bpflink::run(session, rest)
    } else if matches(object, "obj") {
        obj::run(session, rest)
    } else if matches(object, "help") {
        Err(CliError::help(usage_text()))
    } else {
        Err(CliError::usage(format!(
            "Object \"{object}\" is unknown, try \"rtc help\"."
        )))
    }
}
