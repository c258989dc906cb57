//! Classic BPF as tc takes it: `bytecode 'N,code jt jf k,...'` or `bytecode-file F`
//! (the output of `bpf_asm` or `tcpdump -ddd`: the count on the first line, one
//! instruction per line). Errors use tc's wording and end with its closing line.

use netlink_tc::ClassicInsn;

use crate::error::{CliError, CliResult};

/// The kernel's limit on classic programs (`BPF_MAXINSNS`).
const MAX_INSNS: usize = 4096;

/// What tc prints after any bytecode error.
const TRAILER: &str = "Unable to parse bpf command line";

/// Parses `bytecode` text: a count, then `,`-separated `code jt jf k` instructions.
pub fn parse_bytecode(text: &str) -> CliResult<Vec<ClassicInsn>> {
    let fail = |message: &str| {
        let sep = if message.is_empty() { "" } else { "\n" };
        CliError::failed(format!("{message}{sep}{TRAILER}"))
    };
    let (count, rest) = text.split_once(',').ok_or_else(|| fail(""))?;
    let count: usize = count.trim().parse().map_err(|_| fail(""))?;
    if count == 0 || count > MAX_INSNS {
        return Err(fail(""));
    }
    let mut insns = Vec::with_capacity(count);
    for (index, token) in rest.split(',').enumerate() {
        if token.trim().is_empty() && index + 1 == rest.split(',').count() {
            break; // a trailing separator, as tc tolerates
        }
        if insns.len() >= count {
            return Err(fail(
                "Real program length exceeds encoded length parameter!",
            ));
        }
        let insn =
            parse_insn(token).ok_or_else(|| fail(&format!("Error at instruction {index}!")))?;
        insns.push(insn);
    }
    if insns.len() != count {
        return Err(fail(
            "Parsed program length is less than encoded length parameter!",
        ));
    }
    Ok(insns)
}

/// Reads a `bytecode-file`: its lines are the fields of `bytecode`, one per line.
pub fn read_bytecode_file(path: &str) -> CliResult<Vec<ClassicInsn>> {
    let text = crate::object::read_regular(&crate::args::to_path(path))
        .and_then(|bytes| String::from_utf8(bytes).map_err(std::io::Error::other))
        .map_err(|e| {
            CliError::failed(format!(
                "Cannot read bytecode file \"{path}\": {}\n{TRAILER}",
                crate::netns::strerror(&e)
            ))
        })?;
    let joined: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    parse_bytecode(&joined.join(","))
}

/// One `code jt jf k` instruction.
fn parse_insn(token: &str) -> Option<ClassicInsn> {
    let mut fields = token.split_ascii_whitespace();
    let insn = ClassicInsn {
        code: fields.next()?.parse().ok()?,
        jt: fields.next()?.parse().ok()?,
        jf: fields.next()?.parse().ok()?,
        k: fields.next()?.parse().ok()?,
    };
    fields.next().is_none().then_some(insn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tcpdump_ddd_form() {
        let insns = parse_bytecode("4,40 0 0 12,21 0 1 2054,6 0 0 0,6 0 0 4294967295").unwrap();
        assert_eq!(insns.len(), 4);
        assert_eq!(
            insns[1],
            ClassicInsn {
                code: 21,
                jt: 0,
                jf: 1,
                k: 2054
            }
        );
        assert_eq!(insns[3].k, u32::MAX);
    }

    #[test]
    fn counts_must_agree() {
        let short = parse_bytecode("2,6 0 0 0").unwrap_err();
        assert!(short.message.starts_with("Parsed program length is less"));
        let long = parse_bytecode("1,6 0 0 0,6 0 0 0").unwrap_err();
        assert!(long.message.starts_with("Real program length exceeds"));
        assert_eq!(parse_bytecode("x").unwrap_err().message, TRAILER);
        assert!(
            parse_bytecode("1,6 0 zero 0")
                .unwrap_err()
                .message
                .starts_with("Error at instruction 0!")
        );
        assert_eq!(parse_bytecode("0,").unwrap_err().code, 1);
    }
}
