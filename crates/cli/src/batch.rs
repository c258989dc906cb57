//! `rtc -batch FILE` (or `-` for stdin): one command per line without the leading
//! `rtc`, read the way tc reads batch files (`getcmdline` + `makeargs`): `#` starts a
//! comment, a trailing `\` joins the next line, and words may be quoted with `"` or `'`.
//! All commands share one session: one netlink socket, each object file parsed once.

use std::io::BufRead;

use crate::error::{CliError, CliResult};

/// One command of a batch file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchLine {
    /// Number of the line the command starts on (1-based, as tc reports it).
    pub line: usize,
    /// The command's words.
    pub words: Vec<String>,
}

/// The commands of a batch input, read lazily line by line (a batch may be a pipe
/// that is still being written).
pub struct Commands<R> {
    lines: std::iter::Enumerate<ByteLines<R>>,
}

/// Reads the commands of `input`. Blank and comment-only lines are skipped.
pub fn commands<R: BufRead>(input: R) -> Commands<R> {
    Commands {
        lines: ByteLines(input).enumerate(),
    }
}

/// The lines of an input read as bytes, as tc reads them: a byte that is not UTF-8
/// (Latin-1 in a comment or a file name) is carried as its stand-in
/// ([`crate::args::from_bytes`]), never a reason to refuse the batch.
pub struct ByteLines<R>(R);

impl<R: BufRead> Iterator for ByteLines<R> {
    type Item = std::io::Result<String>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut line = Vec::new();
        match self.0.read_until(b'\n', &mut line) {
            Ok(0) => None,
            Ok(_) => {
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                Some(Ok(crate::args::from_bytes(&line)))
            }
            Err(e) => Some(Err(e)),
        }
    }
}

impl<R: BufRead> Iterator for Commands<R> {
    type Item = CliResult<BatchLine>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut pending = String::new();
        let mut start = None;
        for (index, line) in self.lines.by_ref() {
            let line = match line {
                Ok(line) => line,
                Err(e) => {
                    return Some(Err(CliError::failed(format!(
                        "Cannot read batch input: {e}"
                    ))));
                }
            };
            start.get_or_insert(index + 1);
            let line = strip_comment(&line);
            if let Some(joined) = line.strip_suffix('\\') {
                pending.push_str(joined);
                pending.push(' ');
                continue;
            }
            pending.push_str(line);
            let words = split_words(&pending);
            if !words.is_empty() {
                return Some(Ok(BatchLine {
                    line: start.unwrap_or(index + 1),
                    words,
                }));
            }
            pending.clear();
            start = None;
        }
        let words = split_words(&pending);
        (!words.is_empty()).then(|| {
            Ok(BatchLine {
                line: start.unwrap_or(0),
                words,
            })
        })
    }
}

/// Cuts a line at its first `#`, as tc's `getcmdline` does (quotes do not protect it).
fn strip_comment(line: &str) -> &str {
    line.split_once('#')
        .map_or(line, |(before, _)| before)
        .trim_end_matches(['\r', '\n'])
}

/// Splits a command into words on blanks, honouring `"..."` and `'...'` quoting
/// (tc's `makeargs`: a quote runs to the matching quote; the quotes are dropped).
pub fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else { break };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            for c in chars.by_ref() {
                if c == first {
                    break;
                }
                word.push(c);
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_ascii_whitespace()) {
                word.push(c);
            }
        }
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<BatchLine> {
        commands(text.as_bytes()).collect::<CliResult<_>>().unwrap()
    }

    fn line(line: usize, words: &[&str]) -> BatchLine {
        BatchLine {
            line,
            words: words.iter().map(|w| w.to_string()).collect(),
        }
    }

    #[test]
    fn comments_blank_lines_and_continuations() {
        let text = "# a comment\n\nqdisc add dev x clsact # trailing\nfilter add dev x \\\n  ingress bpf da obj a.o\n";
        assert_eq!(
            read(text),
            vec![
                line(3, &["qdisc", "add", "dev", "x", "clsact"]),
                line(
                    4,
                    &[
                        "filter", "add", "dev", "x", "ingress", "bpf", "da", "obj", "a.o"
                    ]
                ),
            ]
        );
    }

    #[test]
    fn a_continuation_at_the_end_of_input_still_counts() {
        assert_eq!(read("qdisc show \\"), vec![line(1, &["qdisc", "show"])]);
    }

    #[test]
    fn latin1_bytes_anywhere_are_carried_not_refused() {
        let text = b"# caf\xe9\nobj show caf\xe9.o\n";
        let lines = commands(&text[..]).collect::<CliResult<Vec<_>>>().unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].line, 2);
        assert_eq!(
            crate::args::to_bytes(&lines[0].words[2]).as_ref(),
            b"caf\xe9.o"
        );
    }

    #[test]
    fn quoted_words_keep_their_blanks() {
        assert_eq!(
            split_words(r#"obj "my file.o" sec 'a b'"#),
            ["obj", "my file.o", "sec", "a b"]
        );
        assert_eq!(split_words("   "), Vec::<String>::new());
        assert_eq!(split_words("\"unterminated"), ["unterminated"]);
    }
}
