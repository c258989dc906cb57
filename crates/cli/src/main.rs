//! `rtc`: tc's BPF path in pure Rust. `rtc qdisc add dev eth0 clsact`,
//! `rtc filter add dev eth0 ingress bpf da obj drop-arp.o sec ingress`,
//! `rtc filter show dev eth0 ingress`: the same words, messages and output as tc.
//!
//! This file only reads the global options, enters the namespace and maps errors to
//! exit codes; each object's grammar and work live in [`cmd`].

mod cmd;
mod device;
mod error;
mod global;
mod netns;
mod object;
mod output;
mod session;
mod show;
mod values;
mod words;

use std::process::ExitCode;

use error::{CliError, CliResult};
use global::{Invocation, parse_global};
use session::Session;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if !err.message.is_empty() {
                eprintln!("{}", err.message);
            }
            ExitCode::from(err.code.clamp(0, 255) as u8)
        }
    }
}

fn run(args: &[String]) -> CliResult<()> {
    let (options, words) = match parse_global(args)? {
        Invocation::Version => {
            println!("rtc {}", env!("CARGO_PKG_VERSION"));
            return Ok(());
        }
        Invocation::Help => {
            return Err(CliError {
                message: global::usage_text(),
                code: 0,
            });
        }
        Invocation::Run(options, words) => (options, words),
    };
    if let Some(name) = &options.netns {
        netns::enter(name)?;
    }
    if options.batch.is_some() {
        return Err(CliError::usage("-batch is not supported by rtc yet"));
    }
    let mut session = Session::new(options);
    cmd::run(&mut session, &words)
}
