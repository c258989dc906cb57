//! `rtc`: tc's BPF path in pure Rust. `rtc qdisc add dev eth0 clsact`,
//! `rtc filter add dev eth0 ingress bpf da obj drop-arp.o sec ingress`,
//! `rtc filter show dev eth0 ingress`: the same words, messages and output as tc.
//!
//! This file only reads the global options, enters the namespace, runs one command
//! or a batch, and maps errors to exit codes; each object's grammar and work live in
//! [`cmd`].

#![forbid(unsafe_code)]

mod batch;
mod classic;
mod cmd;
mod device;
mod error;
mod explain;
mod global;
mod netns;
mod object;
mod output;
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
    let args: Vec<String> = std::env::args().skip(1).collect();
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
        eprintln!("{}", err.message);
    }
}

fn run(args: &[String]) -> CliResult<()> {
    let (options, words) = match parse_global(args)? {
        Invocation::Version => {
            println!("rtc {}", env!("CARGO_PKG_VERSION"));
            return Ok(());
        }
        Invocation::Help => return Err(CliError::help(global::usage_text())),
        Invocation::Run(options, words) => (options, words),
    };
    if let Some(name) = &options.netns {
        netns::enter(name)?;
    }
    if let Some(file) = &options.btf {
        object::use_btf_file(std::path::Path::new(file));
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
        let file = std::fs::File::open(name).map_err(|e| {
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
            if err.exits_at_once {
                return Err(err);
            }
            report(&err);
            eprintln!("Command failed {name}:{}", command.line);
            failed = true;
            if !session.options.force {
                break;
            }
        }
    }
    if failed {
        Err(CliError::failed(String::new()))
    } else {
        Ok(())
    }
}
