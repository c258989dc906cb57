//! `rtc obj show|dump FILE`: looking inside a BPF object file without loading it (no
//! root, no kernel). `show` lists what the file holds and what each part is for;
//! `dump` disassembles its programs in the kernel verifier's notation.

mod core;
mod dump;
pub(crate) mod names;
mod report;

use elf_loader::Object;
use serde::Serialize;

use super::obj_args::{ObjArgs, ObjVerb, usage_text};
use crate::error::{CliError, CliResult};
use crate::output::print;
use crate::session::Session;
use dump::Chosen;

/// Runs an `obj` command (the words after `obj`).
pub fn run(session: &mut Session, words: &[String]) -> CliResult<()> {
    let args = ObjArgs::parse(words)?;
    if args.verb == ObjVerb::Help {
        return Err(CliError::help(usage_text()));
    }
    let bytes = crate::object::read_regular(&crate::args::to_path(&args.file)).map_err(|e| {
        CliError::failed(format!(
            "Cannot open BPF object file \"{}\": {}",
            args.file,
            crate::netns::strerror(&e)
        ))
    })?;
    let object =
        Object::parse(&bytes).map_err(|e| CliError::failed(format!("{}: {e}", args.file)))?;
    let (json, pretty) = (session.options.json, session.options.pretty);
    match args.verb {
        ObjVerb::Show => {
            let btf_file = args.btf.as_ref().or(session.options.btf.as_ref());
            let target = match btf_file {
                Some(path) => Some((
                    path.as_str(),
                    core::read_target(path).map_err(CliError::failed)?,
                )),
                None => None,
            };
            let target = target.as_ref().map(|(path, btf)| (*path, btf));
            let report = report::build(&args.file, &bytes, &object, target);
            if json {
                print(&to_json(&report, pretty)?)
            } else {
                print(&report::render(&report))
            }
        }
        ObjVerb::Dump => {
            let chosen = choose(&object, &args)?;
            if json {
                print(&to_json(
                    &dump::to_json(&object, &chosen, args.opcodes),
                    pretty,
                )?)
            } else {
                print(&dump::render_text(
                    &object,
                    &args.file,
                    &chosen,
                    args.opcodes,
                ))
            }
        }
        ObjVerb::Help => Ok(()),
    }
}

/// The functions `dump` shows: every program then every `.text` function, or those
/// of `sec` (and `program`), or an error naming what is there.
fn choose<'a>(object: &'a Object, args: &ObjArgs) -> CliResult<Vec<Chosen<'a>>> {
    let all = object
        .programs()
        .iter()
        .map(|program| Chosen {
            program,
            subprogram: false,
        })
        .chain(object.subprograms().iter().map(|program| Chosen {
            program,
            subprogram: true,
        }));
    let Some(section) = &args.section else {
        return Ok(all.collect());
    };
    let chosen: Vec<Chosen<'a>> = all
        .filter(|c| &c.program.section == section)
        .filter(|c| args.program.as_ref().is_none_or(|p| &c.program.name == p))
        .collect();
    if !chosen.is_empty() {
        return Ok(chosen);
    }
    let message = match object.find_program(section, args.program.as_deref()) {
        Err(e) => e.to_string(),
        Ok(_) => format!("nothing to disassemble in section \"{section}\""),
    };
    Err(CliError::failed(format!("{}: {message}", args.file)))
}

/// Compact or pretty JSON, with a final newline.
fn to_json(value: &impl Serialize, pretty: bool) -> CliResult<String> {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .map_err(|e| CliError::failed(format!("cannot write JSON: {e}")))?;
    Ok(text + "\n")
}
