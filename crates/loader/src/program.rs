//! Reading an object file and loading one of its programs as a typed kind.

use std::fmt;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use bpf_sys::consts::prog_type;
use elf_loader::{CreatedMap, LoadOptions, LoadedProgram, NoObserver, Object, Observer};

use crate::error::{Error, Result};

/// What a program is loaded as, which decides where it can be attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProgramKind {
    /// A tc classifier (`BPF_PROG_TYPE_SCHED_CLS`), for a clsact hook.
    TcClassifier,
    /// An XDP program (`BPF_PROG_TYPE_XDP`), for a device's XDP hook.
    Xdp,
}

impl ProgramKind {
    /// The `BPF_PROG_TYPE_*` number the kernel is given.
    ///
    /// ```
    /// use rtc_loader::ProgramKind;
    /// assert_eq!(ProgramKind::TcClassifier.prog_type(), 3); // BPF_PROG_TYPE_SCHED_CLS
    /// assert_eq!(ProgramKind::Xdp.prog_type(), 6); // BPF_PROG_TYPE_XDP
    /// ```
    pub fn prog_type(self) -> u32 {
        match self {
            ProgramKind::TcClassifier => prog_type::SCHED_CLS,
            ProgramKind::Xdp => prog_type::XDP,
        }
    }
}

impl fmt::Display for ProgramKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProgramKind::TcClassifier => "tc classifier",
            ProgramKind::Xdp => "XDP",
        })
    }
}

/// Where maps that ask to be pinned go, and how the load is logged. Nothing here is
/// read from the environment: the defaults are fixed, the caller sets the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadConfig {
    /// The bpffs for pinned maps (iproute2's layout under it: `tc/globals/NAME`).
    /// Default `/sys/fs/bpf`. Only used when a map asks to be pinned.
    pub bpffs: PathBuf,
    /// Verifier log level: 0 keeps a log only on failure, 1 or more also on success.
    pub log_level: u32,
}

impl Default for LoadConfig {
    fn default() -> Self {
        LoadConfig {
            bpffs: PathBuf::from("/sys/fs/bpf"),
            log_level: 0,
        }
    }
}

impl LoadConfig {
    /// Pins maps under `bpffs` instead of `/sys/fs/bpf`.
    ///
    /// ```
    /// use rtc_loader::LoadConfig;
    /// assert_eq!(LoadConfig::default().bpffs, std::path::Path::new("/sys/fs/bpf"));
    /// let config = LoadConfig::default().with_bpffs("/run/my-bpffs").with_log_level(1);
    /// assert_eq!(config.bpffs, std::path::Path::new("/run/my-bpffs"));
    /// ```
    pub fn with_bpffs(mut self, bpffs: impl Into<PathBuf>) -> Self {
        self.bpffs = bpffs.into();
        self
    }

    /// Asks the verifier for its log at `level` even when the load succeeds.
    pub fn with_log_level(mut self, level: u32) -> Self {
        self.log_level = level;
        self
    }
}

/// A program in a parsed object file, not loaded yet: what
/// [`Program::from_file`] returns.
#[derive(Debug)]
pub struct ProgramSource {
    object: Object,
    path: PathBuf,
    section: String,
    function: Option<String>,
}

impl ProgramSource {
    /// Picks the function `name` when the section holds several programs.
    pub fn function(mut self, name: &str) -> Self {
        self.function = Some(name.to_string());
        self
    }

    /// The parsed object, for inspection (programs, maps, BTF).
    pub fn object(&self) -> &Object {
        &self.object
    }

    /// Creates the program's maps and loads it as `kind`, with [`LoadConfig::default`].
    pub fn load(&self, kind: ProgramKind) -> Result<Program> {
        self.load_with(kind, &LoadConfig::default())
    }

    /// Creates the program's maps and loads it as `kind`.
    pub fn load_with(&self, kind: ProgramKind, config: &LoadConfig) -> Result<Program> {
        self.load_observed(kind, config, &NoObserver)
    }

    /// Like [`ProgramSource::load_with`], reporting each step (maps created, pins,
    /// relocations, bpf(2) calls) to `observer`.
    pub fn load_observed(
        &self,
        kind: ProgramKind,
        config: &LoadConfig,
        observer: &dyn Observer,
    ) -> Result<Program> {
        let mut options = LoadOptions::new(kind.prog_type());
        options.bpffs = Some(config.bpffs.clone());
        options.log_level = config.log_level;
        options.object_name = Some(self.path.to_string_lossy().into_owned());
        let loaded = elf_loader::load(
            &self.object,
            &self.section,
            self.function.as_deref(),
            &options,
            observer,
        )
        .map_err(|source| Error::Load {
            path: self.path.clone(),
            section: self.section.clone(),
            source: Box::new(source),
        })?;
        let id = bpf_sys::prog_info(loaded.fd.as_fd())
            .map_err(Error::ProgInfo)?
            .id;
        let label = netlink_tc::BpfAttach::object_name(&self.path.to_string_lossy(), &self.section);
        Ok(Program {
            loaded,
            kind,
            id,
            label,
        })
    }
}

/// A loaded program: its fd (the program lives as long as this value or an
/// attachment), its maps, and the kind it was loaded as.
#[derive(Debug)]
pub struct Program {
    loaded: LoadedProgram,
    kind: ProgramKind,
    id: u32,
    label: String,
}

impl Program {
    /// Reads and parses the object file at `path` and picks the program in
    /// `section`; [`ProgramSource::load`] then loads it.
    ///
    /// ```no_run
    /// use rtc_loader::{Program, ProgramKind};
    /// # fn main() -> Result<(), rtc_loader::Error> {
    /// let program = Program::from_file("drop-arp.o", "ingress")?.load(ProgramKind::TcClassifier)?;
    /// println!("loaded {} as id {}", program.name(), program.id());
    /// # Ok(()) }
    /// ```
    pub fn from_file(path: impl AsRef<Path>, section: &str) -> Result<ProgramSource> {
        let path = path.as_ref().to_path_buf();
        let bytes = std::fs::read(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let object = Object::parse(&bytes).map_err(|source| Error::Parse {
            path: path.clone(),
            source: Box::new(source),
        })?;
        Ok(ProgramSource {
            object,
            path,
            section: section.to_string(),
            function: None,
        })
    }

    /// The kind it was loaded as.
    pub fn kind(&self) -> ProgramKind {
        self.kind
    }

    /// The program's fd, borrowed.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.loaded.fd.as_fd()
    }

    /// The kernel's id of the program (what `bpftool prog show id N` takes).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Its function name.
    pub fn name(&self) -> &str {
        &self.loaded.name
    }

    /// The label tc shows for it: `"drop-arp.o:[ingress]"`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The maps created or reused for it.
    pub fn maps(&self) -> &[CreatedMap] {
        &self.loaded.maps
    }

    /// The verifier log (empty unless [`LoadConfig::log_level`] was above 0).
    pub fn verifier_log(&self) -> &str {
        &self.loaded.log
    }

    /// Everything elf-loader returned (instructions, tail-call programs, ...).
    pub fn loaded(&self) -> &LoadedProgram {
        &self.loaded
    }

    /// Fails unless the program was loaded as `expected`.
    pub(crate) fn require(&self, expected: ProgramKind) -> Result<()> {
        if self.kind == expected {
            Ok(())
        } else {
            Err(Error::WrongKind {
                expected,
                found: self.kind,
            })
        }
    }
}

impl AsFd for Program {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd()
    }
}
