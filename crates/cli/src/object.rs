//! `obj FILE [sec S] [program P] [verbose]`: reading the object file and loading the
//! chosen program through elf-loader, with tc's failure semantics (exit 1, nothing
//! attached) and the verifier log on stderr.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use elf_loader::{
    KernelInfo, LoadError, LoadOptions, LoadedProgram, Object, Observer, PinOptions, ProgType,
};

use crate::error::{CliError, CliResult};

/// The kernel `--btf FILE` describes, for every load of this process.
static TARGET_KERNEL: OnceLock<Arc<KernelInfo>> = OnceLock::new();

/// Makes every load of this process resolve CO-RE relocations and externs against the
/// kernel BTF in `path` (read on first use) instead of the running kernel's.
pub fn use_btf_file(path: &Path) {
    let _ = TARGET_KERNEL.set(Arc::new(KernelInfo::with_btf_file(path)));
}

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
    /// The program type to load as.
    pub prog_type: ProgType,
    /// `verbose`: ask for the verifier log and print it even on success.
    pub verbose: bool,
}

/// What identifies a file's content without reading it: device, inode, size and
/// modification time. A file rebuilt on disk (a new inode, or new size or mtime)
/// gets a new key, so a session re-reads it as tc would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileKey {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
}

/// A regular file opened for reading, with its key and size (from `fstat` of the
/// open file, so they describe what is read, not what the path names later).
pub struct OpenedFile {
    file: std::fs::File,
    /// What identifies this content.
    pub key: FileKey,
    /// Its size in bytes when opened; no more than this is ever read.
    pub size: u64,
}

/// Opens `path` for reading a whole file: anything but a regular file (a device
/// like /dev/zero, a FIFO, a directory) is refused, without blocking on a FIFO.
pub fn open_regular(path: &Path) -> std::io::Result<OpenedFile> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(std::io::Error::from_raw_os_error(nix::libc::EISDIR));
    }
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(OpenedFile {
        file,
        key: FileKey {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
        },
        size: meta.size(),
    })
}

impl OpenedFile {
    /// Reads the file, at most the size it had when opened.
    pub fn read(self) -> std::io::Result<Vec<u8>> {
        use std::io::Read;
        let mut bytes = Vec::with_capacity(usize::try_from(self.size).unwrap_or(0));
        self.file.take(self.size).read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

/// Reads the regular file at `path` (see [`open_regular`]).
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    open_regular(path)?.read()
}

/// Opens the object file at `path`; failures are exit 1 naming the file.
pub fn open_object(path: &str) -> CliResult<OpenedFile> {
    open_regular(&crate::args::to_path(path)).map_err(|e| cannot_open(path, &e))
}

fn cannot_open(path: &str, e: &std::io::Error) -> CliError {
    CliError::failed(format!(
        "Cannot open BPF object file \"{path}\": {}\nUnable to load program",
        crate::netns::strerror(e)
    ))
}

/// Reads and parses an opened object file; failures are exit 1 naming the file.
pub fn parse_object(path: &str, file: OpenedFile) -> CliResult<Object> {
    let bytes = file.read().map_err(|e| cannot_open(path, &e))?;
    Object::parse(&bytes)
        .map_err(|e| CliError::failed(format!("{path}: {e}\nUnable to load program")))
}

/// The environment variable naming tc's bpffs (`TC_BPF_MNT`), read by the CLI only.
pub const BPF_MNT_ENV: &str = "TC_BPF_MNT";

/// The bpffs tc pins in: `$TC_BPF_MNT` if set and not empty, else `/sys/fs/bpf`.
pub fn tc_bpffs() -> PathBuf {
    match std::env::var_os(BPF_MNT_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(elf_loader::pin::DEFAULT_BPFFS),
    }
}

/// How tc pins: in [`tc_bpffs`], mounting a bpffs there if it is not one.
pub fn tc_pinning() -> PinOptions {
    PinOptions::new(tc_bpffs()).with_mount_if_missing(true)
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
    // tc's bpffs: `$TC_BPF_MNT` or /sys/fs/bpf, mounted if it is not one yet.
    options.pinning = tc_pinning();
    // libbpf (and so tc) names global data maps after the object file.
    options.object_name = Some(req.file.to_string());
    options.kernel = TARGET_KERNEL.get().cloned();
    if req.verbose {
        options.log_level = 1;
    }
    let loaded = elf_loader::load(object, req.section, req.function, &options, observer)
        .map_err(|e| load_failure(req, &e))?;
    if req.verbose && !loaded.log.is_empty() {
        crate::output::eprintln(&format!("Verifier analysis:\n\n{}", loaded.log.trim_end()));
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
