//! `rtc`: tc's BPF path in pure Rust. `rtc qdisc add dev eth0 clsact`,
//! `rtc filter add dev eth0 ingress bpf da obj drop-arp.o sec ingress`,
//! `rtc filter show dev eth0 ingress`: the same words, messages and output as tc.
//!
//! This file only reads the global options, enters the namespace, runs one command
//! or a batch, and maps errors to exit codes; each object's grammar and work live in
//! [`cmd`].

#![forbid(unsafe_code)]

mod args;
mod batch;
mod capture;
mod classic;
mod cmd;
mod device;
mod error;
mod explain;
mod explain_hook;
mod global;
mod netns;
mod object;
mod output;
mod packet_summary;
mod session;
mod show;
mod values;
mod words;

use std::io::BufReader;
use std::process::ExitCode;

use error::{CliError, CliResult};
use global::{Invocation, parse_global};
use session::Session;

fn main() -> ExitCode {
    // As tc, arguments are bytes: words that are not UTF-8 are carried, not refused.
    let args: Vec<String> = std::env::args_os().skip(1).map(args::from_os).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            report(&err);
            ExitCode::from(err.code.clamp(0, 255) as u8)
        }
    }
}

/// Prints an error's message on stderr (if it has one).
fn report(err: &CliError) {
    if !err.message.is_empty() {
        output::eprintln(&err.message);
    }
}

fn run(args: &[String]) -> CliResult<()> {
    let (options, words) = match parse_global(args)? {
        Invocation::Version => {
            return output::print(&format!("rtc {}\n", env!("CARGO_PKG_VERSION")));
        }
        Invocation::Help => return Err(CliError::help(global::usage_text())),
        Invocation::Run(options, words) => (options, words),
    };
    if let Some(name) = &options.netns {
        netns::enter(name)?;
    }
    if let Some(file) = &options.btf {
        let path = args::to_path(file);
        // Read whole on first use: a device or FIFO there would never end.
        if std::fs::metadata(&path).is_ok_and(|m| !m.is_file()) {
            return Err(CliError::failed(format!(
                "Cannot read BTF file \"{file}\": not a regular file"
            )));
        }
        object::use_btf_file(&path);
    }
    let batch = options.batch.clone();
    let mut session = Session::new(options);
    match batch {
        Some(name) => run_batch(&mut session, &name),
        None => cmd::run(&mut session, &words),
    }
}

/// Runs every command of batch file `name` (`-`: stdin) in one session. As tc: the
/// first failure prints `Command failed FILE:LINE` and stops, unless `-force`, which
/// goes on and exits 1 at the end; an error on which tc exits at once ends the batch.
fn run_batch(session: &mut Session, name: &str) -> CliResult<()> {
    let input: Box<dyn std::io::BufRead> = if name == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(args::to_path(name)).map_err(|e| {
            CliError::failed(format!(
                "Cannot open file \"{name}\" for reading: {}",
                netns::strerror(&e)
            ))
        })?;
        Box::new(BufReader::new(file))
    };
    let mut failed = false;
    for command in batch::commands(input) {
        let command = command?;
        if let Err(err) = cmd::run(session, &command.words) {
            if err.code == 0 {
                // A usage text asked for (`help`, `filter help`): as tc, print it
                // and go on; it is neither a failure nor the end of the batch.
                report(&err);
                continue;
            }
            if err.exits_at_once {
                return Err(err);
            }
            report(&err);
            output::eprintln(&format!("Command failed {name}:{}", command.line));
            failed = true;
            if !session.options.force {
                break;
            }
        }
        if output::write_failed() {
            // The reader of stdout or stderr is gone: the command in progress has
            // completed; stop here, and do not claim the rest of the script ran.
            failed = true;
            break;
        }
    }
    if failed {
        Err(CliError::failed(String::new()))
    } else {
        Ok(())
    }
}
