//! `chain add|del|get|show`: filter chains of a hook or block, with `tc filter`'s
//! grammar (tc runs its filter parser for them) and tc's listing
//! (`chain [dev D ]parent P chain N `).

use netlink_tc::chain::{Chain, ChainOp};
use netlink_tc::handle::IFINDEX_MAGIC_BLOCK;

use super::filter::{base_spec, filter_code, kernel_error, require_block, target};
use super::filter_args::{FilterArgs, FilterVerb};
use crate::error::{CliError, CliResult, tc_text};
use crate::session::Session;
use crate::show::{Printer, Value};
use crate::words::matches;

/// tc's `chain` usage text.
const USAGE: &str = "Usage: tc chain [ add | del | get | show ] [ dev STRING ]\n\
                     \x20      tc chain [ add | del | get | show ] [ block BLOCK_INDEX ] ]";

/// Runs a `chain` command (the words after `chain`).
pub fn run(session: &mut Session, words: &[String]) -> CliResult<()> {
    let Some((verb, rest)) = words.split_first() else {
        return Err(CliError::usage_exit(USAGE));
    };
    let verb = if matches(verb, "add") {
        FilterVerb::Add
    } else if matches(verb, "delete") {
        FilterVerb::Delete
    } else if matches(verb, "get") {
        FilterVerb::Get
    } else if matches(verb, "list") || matches(verb, "show") || matches(verb, "lst") {
        FilterVerb::Show
    } else if matches(verb, "help") {
        return Err(CliError::help(USAGE));
    } else {
        return Err(CliError::usage(format!(
            "Command \"{verb}\" is unknown, try \"tc chain help\"."
        )));
    };
    let args = FilterArgs::parse(verb, rest)?;
    for _ in 0..args.help_asked {
        crate::output::eprintln(super::filter_args::USAGE);
    }
    let (ifindex, parent) = target(&args)?;
    if let Some(e) = &args.options_error {
        return Err(e.clone());
    }
    let spec = base_spec(&args, ifindex, parent)?;
    match verb {
        FilterVerb::Add | FilterVerb::Delete => {
            let op = if verb == FilterVerb::Add {
                ChainOp::Add
            } else {
                ChainOp::Delete
            };
            let mut spec = spec;
            // A template's program stays loaded until the kernel has answered.
            let code = match &args.bpf {
                Some(bpf) => filter_code(session, bpf, None)?,
                None => None,
            };
            if let Some(code) = &code {
                spec.bpf = Some(code.attach());
            }
            session
                .netlink()?
                .chain(op, &spec)
                .map(drop)
                .map_err(kernel_error)
        }
        FilterVerb::Get => {
            if args.parent.is_none() {
                return Err(CliError::usage("Must specify filter parent"));
            }
            let chain = session.netlink()?.get_chain(&spec).map_err(kernel_error)?;
            // As `filter get`, tc's get leaves out only the device.
            print(session, &args, None, &[chain])
        }
        _ => {
            require_block(session, args.block)?;
            let dump = session
                .netlink()?
                .chains(&spec)
                .map_err(|e| CliError::failed(format!("{}\nDump terminated", tc_text(&e))))?;
            crate::output::report_interrupted_dump(dump.interrupted);
            print(session, &args, args.chain, &dump.items)
        }
    }
}

/// Prints chains as tc does: `chain`, the device unless it was named (or the block
/// unless it was named), the parent, the chain unless it was named, the template kind.
fn print(
    session: &Session,
    args: &FilterArgs,
    named_chain: Option<u32>,
    chains: &[Chain],
) -> CliResult<()> {
    let options = session.show_options();
    let named_dev = match (&args.dev, args.block) {
        (Some(_), None) => target(args).ok().map(|(ifindex, _)| ifindex),
        _ => None,
    };
    let mut p = Printer::new(options.json, options.pretty);
    for chain in chains {
        p.open_object(None);
        p.text("chain ");
        if chain.ifindex == IFINDEX_MAGIC_BLOCK {
            if args.block != Some(chain.parent) {
                p.field(
                    "block",
                    Value::Uint(chain.parent.into()),
                    &format!("block {} ", chain.parent),
                );
            }
        } else {
            if named_dev != Some(chain.ifindex) {
                let name =
                    crate::device::name(chain.ifindex).unwrap_or_else(|| chain.ifindex.to_string());
                p.field("dev", Value::Str(&name), &format!("dev {name} "));
            }
            let parent = crate::show::classid(chain.parent);
            p.field("parent", Value::Str(&parent), &format!("parent {parent} "));
        }
        if let Some(index) = chain.chain.filter(|c| named_chain != Some(*c)) {
            p.field(
                "chain",
                Value::Uint(index.into()),
                &format!("chain {index} "),
            );
        }
        if let Some(kind) = &chain.kind {
            p.field("kind", Value::Str(kind), &format!("{kind} "));
        }
        p.newline();
        p.close_object();
    }
    crate::output::print(&p.finish())
}
