//! `obj FILE [sec S] [program P] [verbose]`: reading the object file and loading the
//! chosen program through elf-loader, with tc's failure semantics (exit 1, nothing
//! attached) and the verifier log on stderr.

use std::io::Write;

use elf_loader::{LoadError, LoadOptions, LoadedProgram, Object, Observer};

use crate::error::{CliError, CliResult};

/// Lines of verifier log shown on a rejection when `verbose` was not given.
const LOG_TAIL_LINES: usize = 40;

/// What to load and how.
pub struct ProgramRequest<'a> {
    /// The object file path as the user wrote it.
    pub file: &'a str,
    /// Section holding the program.
    pub section: &'a str,
    /// Optional function name within the section.
    pub function: Option<&'a str>,
    /// `BPF_PROG_TYPE_*` to load as.
    pub prog_type: u32,
    /// `verbose`: ask for the verifier log and print it even on success.
    pub verbose: bool,
}

/// Reads and parses the object file at `path`; failures are exit 1 naming the file.
pub fn read_object(path: &str) -> CliResult<Object> {
    let bytes = std::fs::read(path).map_err(|e| {
        CliError::failed(format!(
            "Cannot open BPF object file \"{path}\": {}\nUnable to load program",
            crate::netns::strerror(&e)
        ))
    })?;
    Object::parse(&bytes)
        .map_err(|e| CliError::failed(format!("{path}: {e}\nUnable to load program")))
}

/// Loads the program `req` names from `object` (parsed from `req.file`); on success
/// prints the verifier log if `verbose`. Every failure is exit 1 naming the file.
pub fn load_program(
    object: &Object,
    req: &ProgramRequest<'_>,
    observer: &dyn Observer,
) -> CliResult<LoadedProgram> {
    load_program_with(object, req, LoadOptions::new(req.prog_type), observer)
}

/// [`load_program`] starting from `options` (for `prog_flags` and
/// `expected_attach_type` that a section name implies); its `prog_type` is `req`'s.
pub fn load_program_with(
    object: &Object,
    req: &ProgramRequest<'_>,
    mut options: LoadOptions,
    observer: &dyn Observer,
) -> CliResult<LoadedProgram> {
    options.prog_type = req.prog_type;
    // libbpf (and so tc) names global data maps after the object file.
    options.object_name = Some(req.file.to_string());
    if req.verbose {
        options.log_level = 1;
    }
    let loaded = elf_loader::load(object, req.section, req.function, &options, observer)
        .map_err(|e| load_failure(req, &e))?;
    if req.verbose && !loaded.log.is_empty() {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "Verifier analysis:\n\n{}", loaded.log.trim_end());
    }
    Ok(loaded)
}

/// The message for a failed load: the loader's error, then the verifier log (its
/// last lines, or all of it with `verbose`), then tc's closing line.
fn load_failure(req: &ProgramRequest<'_>, err: &LoadError) -> CliError {
    let mut message = format!("{}: {err}", req.file);
    if let Some(log) = err.verifier_log().filter(|log| !log.trim().is_empty()) {
        let lines: Vec<&str> = log.trim_end().lines().collect();
        let skip = if req.verbose {
            0
        } else {
            lines.len().saturating_sub(LOG_TAIL_LINES)
        };
        message.push_str("\nVerifier analysis:\n\n");
        if skip > 0 {
            message.push_str(&format!(
                "... {skip} earlier lines left out (add \"verbose\" after the section to see all)\n"
            ));
        }
        message.push_str(&lines[skip..].join("\n"));
    }
    message.push_str("\nUnable to load program");
    CliError::failed(message)
}
