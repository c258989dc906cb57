//! Reading an object file and loading one of its programs as a typed kind.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use elf_loader::{
    CreatedMap, LoadOptions, LoadedProgram, NoObserver, Object, Observer, PinOptions, ProgType,
};

use crate::error::{Error, Result};

/// Where maps that ask to be pinned go, and how the load is logged. Nothing here is
/// read from the environment: the defaults are fixed, the caller sets the rest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadConfig {
    /// Where maps that ask to be pinned go (iproute2's layout under the bpffs:
    /// `tc/globals/NAME`): default `/sys/fs/bpf`, which must already be a bpffs
    /// (nothing is mounted unless [`PinOptions::mount_if_missing`] says so).
    pub pinning: PinOptions,
    /// Verifier log level: 0 keeps a log only on failure, 1 or more also on success.
    pub log_level: u32,
}

impl LoadConfig {
    /// Pins maps under `bpffs` instead of `/sys/fs/bpf`.
    ///
    /// ```
    /// use rtc_loader::LoadConfig;
    /// let default = LoadConfig::default();
    /// assert_eq!(default.pinning.bpffs, std::path::Path::new("/sys/fs/bpf"));
    /// let config = LoadConfig::default().with_bpffs("/run/my-bpffs").with_log_level(1);
    /// assert_eq!(config.pinning.bpffs, std::path::Path::new("/run/my-bpffs"));
    /// assert!(!config.pinning.mount_if_missing);
    /// ```
    pub fn with_bpffs(mut self, bpffs: impl Into<PathBuf>) -> Self {
        self.pinning.bpffs = bpffs.into();
        self
    }

    /// Sets where maps are pinned and whether a bpffs may be mounted for them.
    pub fn with_pinning(mut self, pinning: PinOptions) -> Self {
        self.pinning = pinning;
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
    pub fn load(&self, kind: ProgType) -> Result<Program> {
        self.load_with(kind, &LoadConfig::default())
    }

    /// Creates the program's maps and loads it as `kind`.
    pub fn load_with(&self, kind: ProgType, config: &LoadConfig) -> Result<Program> {
        self.load_observed(kind, config, &NoObserver)
    }

    /// Like [`ProgramSource::load_with`], reporting each step (maps created, pins,
    /// relocations, bpf(2) calls) to `observer`.
    pub fn load_observed(
        &self,
        kind: ProgType,
        config: &LoadConfig,
        observer: &dyn Observer,
    ) -> Result<Program> {
        let options = LoadOptions::new(kind)
            .with_pinning(config.pinning.clone())
            .with_log_level(config.log_level)
            .with_object_name(self.path.to_string_lossy());
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
    kind: ProgType,
    id: u32,
    label: String,
}

impl Program {
    /// Reads and parses the object file at `path` and picks the program in
    /// `section`; [`ProgramSource::load`] then loads it.
    ///
    /// ```no_run
    /// use rtc_loader::{Program, ProgType};
    /// # fn main() -> Result<(), rtc_loader::Error> {
    /// let program = Program::from_file("drop-arp.o", "ingress")?.load(ProgType::SCHED_CLS)?;
    /// assert_eq!(program.name(), "drop");
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
    pub fn kind(&self) -> ProgType {
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
    pub(crate) fn require(&self, expected: ProgType) -> Result<()> {
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
