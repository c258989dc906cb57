//! The grammar of `rtc obj {show|dump|help} ...`, rtc's own offline inspection of a
//! BPF object file, read into an [`ObjArgs`] with no side effects:
//!
//! ```text
//! rtc obj show FILE [ btf KERNEL_BTF ]
//! rtc obj dump FILE [ sec SECTION ] [ program FUNCTION ] [ opcodes ]
//! ```
//!
//! Keywords match by prefix as tc's do (`rtc o d f.o s ingress`); `sec` and
//! `program` are the words tc uses after `obj FILE`, `opcodes` is bpftool's word for
//! showing instruction bytes.

use crate::error::{CliError, CliResult};
use crate::words::{Words, invalid, matches, set_once};

/// Which `obj` command was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjVerb {
    /// `show`: sections, programs, maps, relocations, licence, BTF.
    Show,
    /// `dump`: the disassembly.
    Dump,
    /// `help`: the usage text.
    Help,
}

impl ObjVerb {
    /// Reads the verb word (any prefix, `show` before `dump` before `help`; `list`
    /// is a synonym of `show`, as for tc's objects).
    pub fn parse(word: &str) -> CliResult<ObjVerb> {
        if matches(word, "show") || matches(word, "list") {
            Ok(ObjVerb::Show)
        } else if matches(word, "dump") {
            Ok(ObjVerb::Dump)
        } else if matches(word, "help") {
            Ok(ObjVerb::Help)
        } else {
            Err(CliError::usage(format!(
                "Command \"{word}\" is unknown, try \"rtc obj help\"."
            )))
        }
    }
}

/// A complete `obj` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjArgs {
    /// The command.
    pub verb: ObjVerb,
    /// The object file (empty for `help`).
    pub file: String,
    /// `sec SECTION`: only this section's programs (dump).
    pub section: Option<String>,
    /// `program FUNCTION`: only this function (dump).
    pub program: Option<String>,
    /// `opcodes`: print each instruction's bytes (dump).
    pub opcodes: bool,
    /// `btf KERNEL_BTF` (or `--btf`): resolve CO-RE relocations against that kernel
    /// BTF file (show).
    pub btf: Option<String>,
}

/// The usage text of `rtc obj`.
pub fn usage_text() -> String {
    "Usage: rtc obj show FILE [ btf KERNEL_BTF ]\n\
     \x20      rtc obj dump FILE [ sec SECTION ] [ program FUNCTION ] [ opcodes ]\n\
     Reads a BPF object file without loading it (no root needed):\n\
     \x20 show  its sections and their roles, programs and the type they would load as,\n\
     \x20       maps with every field and where a pinned one would live, relocations,\n\
     \x20       licence, BTF, CO-RE relocations and externs; with btf KERNEL_BTF (a\n\
     \x20       kernel's /sys/kernel/btf/vmlinux), what each CO-RE relocation\n\
     \x20       resolves to on that kernel\n\
     \x20 dump  each program disassembled, one instruction per line in the kernel\n\
     \x20       verifier's notation, with relocations and source lines (from BTF)"
        .to_string()
}

impl ObjArgs {
    /// Reads the words after `obj`.
    pub fn parse(words: &[String]) -> CliResult<ObjArgs> {
        let mut w = Words::new(words);
        let Some(verb) = w.next_word() else {
            return Err(CliError::usage(usage_text()));
        };
        let verb = ObjVerb::parse(verb)?;
        let mut args = ObjArgs {
            verb,
            file: String::new(),
            section: None,
            program: None,
            opcodes: false,
            btf: None,
        };
        if verb == ObjVerb::Help {
            return Ok(args);
        }
        args.file = w.value()?.to_string();
        while let Some(word) = w.next_word() {
            if verb == ObjVerb::Dump && matches(word, "section") {
                let value = w.value()?;
                set_once(&mut args.section, "sec", value, value.to_string())?;
            } else if verb == ObjVerb::Dump && matches(word, "program") {
                let value = w.value()?;
                set_once(&mut args.program, "program", value, value.to_string())?;
            } else if verb == ObjVerb::Dump && matches(word, "opcodes") {
                args.opcodes = true;
            } else if verb == ObjVerb::Show
                && (matches(word, "btf") || word == "--btf" || word == "-btf")
            {
                let value = w.value()?;
                set_once(&mut args.btf, "btf", value, value.to_string())?;
            } else {
                return Err(invalid(
                    &format!("unexpected after \"obj {} FILE\"", verb_word(verb)),
                    word,
                ));
            }
        }
        if args.program.is_some() && args.section.is_none() {
            return Err(CliError::usage(
                "Error: \"program\" needs \"sec\": a function is chosen within a section.",
            ));
        }
        Ok(args)
    }
}

fn verb_word(verb: ObjVerb) -> &'static str {
    match verb {
        ObjVerb::Show => "show",
        ObjVerb::Dump => "dump",
        ObjVerb::Help => "help",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> CliResult<ObjArgs> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        ObjArgs::parse(&words)
    }

    #[test]
    fn show_and_dump_with_prefixes() {
        let show = parse("sh drop.o").unwrap();
        assert_eq!((show.verb, show.file.as_str()), (ObjVerb::Show, "drop.o"));
        assert_eq!(parse("list drop.o").unwrap().verb, ObjVerb::Show);
        let dump = parse("d drop.o s ingress prog drop op").unwrap();
        assert_eq!(dump.verb, ObjVerb::Dump);
        assert_eq!(dump.section.as_deref(), Some("ingress"));
        assert_eq!(dump.program.as_deref(), Some("drop"));
        assert!(dump.opcodes);
        assert_eq!(parse("help").unwrap().verb, ObjVerb::Help);
    }

    #[test]
    fn the_file_is_required_and_sections_are_for_dump() {
        assert_eq!(parse("show").unwrap_err().code, 255);
        assert_eq!(parse("").unwrap_err().code, 255);
        assert_eq!(parse("frob x.o").unwrap_err().code, 255);
        let err = parse("show x.o sec ingress").unwrap_err();
        assert_eq!(err.code, 255);
        assert!(err.message.contains("\"sec\""), "{}", err.message);
        assert_eq!(parse("dump x.o sec").unwrap_err().code, 255);
        assert_eq!(parse("dump x.o sec a sec b").unwrap_err().code, 255);
        assert_eq!(parse("dump x.o program f").unwrap_err().code, 255);
    }
}
