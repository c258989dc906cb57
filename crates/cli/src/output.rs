//! Every write rtc makes to stdout and stderr goes through here. A write that fails
//! (the reader of a pipe went away: `rtc filter show | head -1`, or `2>&1 | head -c
//! 100` under `--explain`) never aborts the program: the failure is remembered and the
//! command goes on to its end, so a change in progress is completed (or rolled back)
//! exactly as if its narration had been read. Words that stood for bytes that are not
//! UTF-8 (see [`crate::args`]) are written as those bytes.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::CliResult;

/// Set once a write to stdout or stderr has failed.
static WRITE_FAILED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to `sink` and flushes it; a failure is remembered, not reported.
fn write_checked(mut sink: impl Write, text: &str) {
    let bytes = crate::args::to_bytes(text);
    if sink.write_all(&bytes).and_then(|()| sink.flush()).is_err() {
        WRITE_FAILED.store(true, Ordering::Relaxed);
    }
}

/// Writes `text` to stdout as is (it already carries tc's newlines and spaces).
pub fn print(text: &str) -> CliResult<()> {
    write_checked(std::io::stdout().lock(), text);
    Ok(())
}

/// Writes `text` and a newline to stderr.
pub fn eprintln(text: &str) {
    let mut line = String::with_capacity(text.len() + 1);
    line.push_str(text);
    line.push('\n');
    write_checked(std::io::stderr().lock(), &line);
}

/// True once a write to stdout or stderr has failed (its reader is gone).
pub fn write_failed() -> bool {
    WRITE_FAILED.load(Ordering::Relaxed)
}

/// Remembers that a write made elsewhere (a buffered listing) failed.
pub fn note_write_failure() {
    WRITE_FAILED.store(true, Ordering::Relaxed);
}

/// What ip and tc print on stderr after a dump the kernel flagged `NLM_F_DUMP_INTR`
/// (the table changed while it was read); the listing is still printed, exit 0.
pub const DUMP_INTERRUPTED: &str = "Dump was interrupted and may be inconsistent.";

/// Says so on stderr, as ip and tc do, if a dump was interrupted.
pub fn report_interrupted_dump(interrupted: bool) {
    if interrupted {
        eprintln(DUMP_INTERRUPTED);
    }
}
