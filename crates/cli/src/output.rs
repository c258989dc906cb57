//! Writing command output to stdout, quietly stopping if the reader went away.

use std::io::Write;

use crate::error::CliResult;

/// Writes `text` to stdout as is (it already carries tc's newlines and spaces).
pub fn print(text: &str) -> CliResult<()> {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`rtc filter show | head -1`) is not an error worth reporting.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    Ok(())
}
