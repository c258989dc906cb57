//! Reading a command line the way iproute2 does: keywords match by prefix
//! (`matches()`), some words must be exact, and the common complaints (incomplete
//! line, duplicate argument, invalid value) use iproute2's exact wording.

use crate::error::{CliError, CliResult};

/// iproute2's `matches(word, keyword)`: true when `word` is a prefix of `keyword`.
/// An empty word matches nothing (tc would match it, but no shell passes one on purpose).
pub fn matches(word: &str, keyword: &str) -> bool {
    !word.is_empty() && keyword.starts_with(word)
}

/// A cursor over the words of one command.
#[derive(Debug, Clone)]
pub struct Words<'a> {
    words: &'a [String],
    pos: usize,
}

impl<'a> Words<'a> {
    /// Starts reading `words` from the first one.
    pub fn new(words: &'a [String]) -> Self {
        Words { words, pos: 0 }
    }

    /// The current word, if any.
    pub fn peek(&self) -> Option<&'a str> {
        self.words.get(self.pos).map(String::as_str)
    }

    /// Takes the current word.
    pub fn next_word(&mut self) -> Option<&'a str> {
        let word = self.peek();
        if word.is_some() {
            self.pos += 1;
        }
        word
    }

    /// Takes the value that must follow a keyword (iproute2's `NEXT_ARG()`).
    pub fn value(&mut self) -> CliResult<&'a str> {
        self.next_word().ok_or_else(incomplete)
    }
}

/// `Command line is not complete. Try option "help"`.
pub fn incomplete() -> CliError {
    CliError::usage_exit("Command line is not complete. Try option \"help\"")
}

/// iproute2's `duparg(key, arg)`.
pub fn duplicate(key: &str, arg: &str) -> CliError {
    CliError::usage_exit(format!(
        "Error: duplicate \"{key}\": \"{arg}\" is the second value."
    ))
}

/// iproute2's `invarg(msg, arg)`.
pub fn invalid(msg: &str, arg: &str) -> CliError {
    CliError::usage_exit(format!("Error: argument \"{arg}\" is wrong: {msg}"))
}

/// Stores `value` in `slot`, or complains that `key` was given twice.
pub fn set_once<T>(slot: &mut Option<T>, key: &str, arg: &str, value: T) -> CliResult<()> {
    if slot.is_some() {
        return Err(duplicate(key, arg));
    }
    *slot = Some(value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_like_iproute2() {
        assert!(matches("f", "filter"));
        assert!(matches("filter", "filter"));
        assert!(!matches("filters", "filter"));
        assert!(!matches("", "filter"));
    }

    #[test]
    fn a_missing_value_is_incomplete() {
        let words = vec!["dev".to_string()];
        let mut w = Words::new(&words);
        assert_eq!(w.next_word(), Some("dev"));
        assert_eq!(w.value().unwrap_err().code, 255);
    }
}
