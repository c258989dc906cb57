//! tc's global options (`-s`, `-d`, `-j`, `-p`, `-n NETNS`, `-b FILE`, `-f`, `-V`), read
//! the way tc's `main()` reads them: each may be abbreviated and written with one or
//! two dashes. `--explain` is rtc's own.

use crate::error::{CliError, CliResult};
use crate::words::matches;

/// Options that apply to the whole invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalOptions {
    /// `-s`: statistics (repeatable).
    pub stats: u32,
    /// `-d`: details (repeatable).
    pub details: u32,
    /// `-j`: JSON output.
    pub json: bool,
    /// `-p`: pretty JSON.
    pub pretty: bool,
    /// `-n NETNS`: run inside /var/run/netns/NETNS.
    pub netns: Option<String>,
    /// `-b FILE`: read commands from a file (`-` for stdin).
    pub batch: Option<String>,
    /// `-f`: go on after errors in batch mode.
    pub force: bool,
    /// `--explain`: narrate every step on stderr.
    pub explain: bool,
    /// `--btf FILE`: resolve CO-RE relocations and externs against this kernel BTF
    /// file instead of the running kernel's `/sys/kernel/btf/vmlinux`.
    pub btf: Option<String>,
}

/// What the global options ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// Run the command in `words` (may be empty: then print usage).
    Run(GlobalOptions, Vec<String>),
    /// `-V`: print the version.
    Version,
    /// `-h`/`-help`: print the usage.
    Help,
}

/// Reads the global options at the front of `args` (without the program name).
pub fn parse_global(args: &[String]) -> CliResult<Invocation> {
    let mut opts = GlobalOptions::default();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let Some(rest) = arg.strip_prefix('-') else {
            break;
        };
        let opt = format!("-{}", rest.strip_prefix('-').unwrap_or(rest));
        let opt = opt.as_str();
        if opt == "-explain" {
            opts.explain = true;
        } else if opt == "-btf" {
            i += 1;
            let file = args.get(i).ok_or_else(crate::words::incomplete)?;
            opts.btf = Some(file.clone());
        } else if matches(opt, "-stats") || matches(opt, "-statistics") {
            opts.stats += 1;
        } else if matches(opt, "-details") {
            opts.details += 1;
        } else if matches(opt, "-raw") || matches(opt, "-iec") || matches(opt, "-graph") {
            // Accepted for compatibility; they change nothing in BPF filter output.
        } else if matches(opt, "-pretty") {
            opts.pretty = true;
        } else if matches(opt, "-Version") {
            return Ok(Invocation::Version);
        } else if matches(opt, "-help") {
            return Ok(Invocation::Help);
        } else if matches(opt, "-force") {
            opts.force = true;
        } else if matches(opt, "-batch") {
            i += 1;
            let file = args.get(i).ok_or_else(|| CliError::usage(usage_text()))?;
            opts.batch = Some(file.clone());
        } else if matches(opt, "-netns") {
            i += 1;
            let name = args.get(i).ok_or_else(crate::words::incomplete)?;
            opts.netns = Some(name.clone());
        } else if matches(opt, "-json") {
            opts.json = true;
        } else {
            return Err(CliError::usage(format!(
                "Option \"{arg}\" is unknown, try \"rtc -help\"."
            )));
        }
        i += 1;
    }
    Ok(Invocation::Run(opts, args[i..].to_vec()))
}

/// The top-level usage text (tc's, with rtc's additions).
pub fn usage_text() -> String {
    "Usage:\trtc [ OPTIONS ] OBJECT { COMMAND | help }\n\
     \trtc [-force] -batch filename\n\
     where  OBJECT := { qdisc | filter | link | map | obj | net | prog | bpflink }\n\
     \x20      OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -p[retty] |\n\
     \x20                   -b[atch] [filename] | -n[etns] name | -j[son] | --explain |\n\
     \x20                   --btf FILE }"
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> CliResult<Invocation> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse_global(&words)
    }

    #[test]
    fn abbreviations_and_double_dashes() {
        let Invocation::Run(opts, rest) = parse("-s -d --json -p -n ns1 filter show").unwrap()
        else {
            panic!("expected a command")
        };
        assert_eq!(
            (opts.stats, opts.details, opts.json, opts.pretty),
            (1, 1, true, true)
        );
        assert_eq!(opts.netns.as_deref(), Some("ns1"));
        assert_eq!(rest, ["filter", "show"]);
        assert_eq!(parse("-V").unwrap(), Invocation::Version);
        assert_eq!(parse("-Version").unwrap(), Invocation::Version);
        assert!(
            matches!(parse("-statistics -details qdisc").unwrap(), Invocation::Run(o, _) if o.stats == 1 && o.details == 1)
        );
    }

    #[test]
    fn unknown_options_exit_255() {
        let err = parse("-x qdisc").unwrap_err();
        assert_eq!(err.code, 255);
        assert!(err.message.contains("\"-x\""));
        assert_eq!(parse("-n").unwrap_err().code, 255);
    }
}
