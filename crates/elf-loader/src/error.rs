//! The errors of this crate, one enum per stage: reading the file ([`ParseError`]),
//! choosing a program ([`SelectError`]), rewriting its instructions ([`RelocError`]) and
//! loading it into the kernel ([`LoadError`]). Every message names the section, symbol,
//! instruction or offset it is about.

use std::fmt;
use std::io;
use std::path::PathBuf;

pub use crate::btf::error::BtfError;
use crate::bytes::ByteOrder;
use crate::map_def::MapDef;
use crate::section::SectionRole;

/// Why a byte buffer could not be read as a BPF object.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The buffer does not start with the ELF magic `\x7fELF`.
    #[error("not an ELF file ({len} bytes, no \\x7fELF magic at the start)")]
    NotElf {
        /// Length of the buffer.
        len: usize,
    },
    /// The ELF file is 32-bit (or of an unknown class); BPF objects are ELF64.
    #[error("ELF class {class} is not ELF64: BPF objects are 64-bit ELF files")]
    NotElf64 {
        /// The `e_ident[EI_CLASS]` byte (1 = 32-bit).
        class: u8,
    },
    /// The ELF file is for another machine (a host binary, not `clang -target bpf` output).
    #[error("not a BPF object: ELF machine is {machine} ({}), expected 247 (BPF)", machine_name(*machine))]
    NotBpf {
        /// The `e_machine` field.
        machine: u16,
    },
    /// A structure of the ELF file lies outside the file or is otherwise broken.
    #[error("malformed ELF: {what}: {reason}")]
    Malformed {
        /// What was being read ("ELF header", "section headers", "section \"maps\"", ...).
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A code section whose size is not a whole number of 8-byte instructions.
    #[error("section \"{section}\" is {size} bytes, not a multiple of the 8-byte instruction size")]
    CodeSectionSize {
        /// Section name.
        section: String,
        /// Section size in bytes.
        size: u64,
    },
    /// A function symbol that does not lie on instruction boundaries inside its section.
    #[error(
        "function \"{function}\" at offset {offset:#x} size {size} does not fit in section \"{section}\" ({section_size} bytes) on 8-byte instruction boundaries"
    )]
    FunctionOutOfBounds {
        /// Section name.
        section: String,
        /// Function symbol name.
        function: String,
        /// `st_value`: byte offset in the section.
        offset: u64,
        /// Size in bytes (`st_size`, or up to the next function).
        size: u64,
        /// Section size in bytes.
        section_size: u64,
    },
    /// Two function symbols claim the same instructions.
    #[error(
        "functions \"{first}\" and \"{second}\" overlap in section \"{section}\" (\"{second}\" starts at offset {offset:#x}, inside \"{first}\")"
    )]
    FunctionsOverlap {
        /// Section name.
        section: String,
        /// The function that starts first.
        first: String,
        /// The function that starts inside it.
        second: String,
        /// Offset of the second function.
        offset: u64,
    },
    /// A relocation section for code uses `RELA` entries, which BPF objects never do.
    #[error("relocation section \"{section}\" has RELA entries; BPF objects use REL")]
    RelaNotSupported {
        /// The relocation section's name.
        section: String,
    },
    /// A relocation section that names something other than the symbol table.
    #[error(
        "relocation section \"{section}\" links to section {link}, which is not the symbol table"
    )]
    RelocationSymbolTable {
        /// The relocation section's name.
        section: String,
        /// Its `sh_link`.
        link: u32,
    },
    /// A relocation whose offset is not on an instruction inside its section.
    #[error(
        "relocation against \"{symbol}\" at offset {offset:#x} of section \"{section}\" is outside the section's {section_size} bytes or not on an 8-byte instruction boundary"
    )]
    RelocationOutOfBounds {
        /// The code section being relocated.
        section: String,
        /// Symbol name.
        symbol: String,
        /// `r_offset`.
        offset: u64,
        /// Section size in bytes.
        section_size: u64,
    },
    /// A relocation whose symbol index does not exist.
    #[error(
        "relocation at offset {offset:#x} of section \"{section}\" names symbol #{index}, which does not exist"
    )]
    RelocationSymbol {
        /// The code section being relocated.
        section: String,
        /// `r_offset`.
        offset: u64,
        /// The symbol index from `r_info`.
        index: u32,
    },
    /// A relocation that points at an instruction which is neither `ld_imm64` nor a call.
    #[error(
        "relocation against \"{symbol}\" at offset {offset:#x} of section \"{section}\" points at an instruction with opcode {code:#04x}, not ld_imm64 (0x18) or call (0x85)"
    )]
    RelocationInstruction {
        /// The code section being relocated.
        section: String,
        /// Symbol name.
        symbol: String,
        /// `r_offset`.
        offset: u64,
        /// The opcode found there.
        code: u8,
    },
    /// A relocation at an `ld_imm64` that is the last instruction, missing its second half.
    #[error(
        "relocation against \"{symbol}\" at offset {offset:#x} of section \"{section}\": the ld_imm64 there has no second half"
    )]
    RelocationTruncatedLdImm64 {
        /// The code section being relocated.
        section: String,
        /// Symbol name.
        symbol: String,
        /// `r_offset`.
        offset: u64,
    },
    /// The `maps` section has bytes but no map symbols to name them.
    #[error("section \"maps\" has {size} bytes but no map symbols")]
    MapSectionWithoutSymbols {
        /// Section size in bytes.
        size: u64,
    },
    /// A map symbol without a size, in a `maps` section that does not divide into
    /// equal definitions, one per map symbol.
    #[error(
        "section \"maps\" is {size} bytes, which does not divide into {count} equal map definitions (and a map symbol has no size)"
    )]
    MapSectionSize {
        /// Section size in bytes.
        size: u64,
        /// Number of map symbols.
        count: usize,
    },
    /// A map definition too small to hold type, key size, value size and max entries.
    #[error(
        "map \"{map}\": definition is {entry_size} bytes; at least 16 are needed (type, key size, value size, max entries)"
    )]
    MapEntryTooSmall {
        /// Map (symbol) name.
        map: String,
        /// Bytes of the definition.
        entry_size: u64,
    },
    /// A map definition longer than `struct bpf_elf_map` whose extra bytes are not zero.
    #[error(
        "map \"{map}\": definition of {entry_size} bytes has non-zero bytes beyond the 36 of struct bpf_elf_map (fields this loader does not know)"
    )]
    MapEntryUnknownFields {
        /// Map (symbol) name.
        map: String,
        /// Bytes per map definition.
        entry_size: u64,
    },
    /// A map symbol whose definition would run past the end of the `maps` section.
    #[error(
        "map \"{map}\" at offset {offset:#x} with {entry_size}-byte definition runs past the end of section \"maps\" ({section_size} bytes)"
    )]
    MapOutOfBounds {
        /// Map (symbol) name.
        map: String,
        /// `st_value`.
        offset: u64,
        /// Bytes per map definition.
        entry_size: u64,
        /// Section size in bytes.
        section_size: u64,
    },
    /// The `version` section is not one 32-bit number.
    #[error("section \"version\" is {size} bytes; expected 4 (one u32 kernel version)")]
    VersionSize {
        /// Section size in bytes.
        size: u64,
    },
    /// The `.BTF` or `.BTF.ext` section is malformed.
    #[error(transparent)]
    Btf(#[from] BtfError),
    /// A BTF-defined map in `.maps` (or its initial values) cannot be read.
    #[error("map \"{map}\" in section \".maps\": {reason}")]
    BtfMap {
        /// The map's name ("" when the problem is not about one map).
        map: String,
        /// What is wrong.
        reason: String,
    },
    /// A global data section (`.data`, `.rodata`, `.bss`, ...) cannot become a map.
    #[error("global data section \"{section}\": {reason}")]
    GlobalData {
        /// The section's name.
        section: String,
        /// What is wrong.
        reason: String,
    },
    /// A relocation of a data section (`.rel.maps`) is malformed.
    #[error(
        "relocation at offset {offset:#x} of section \"{section}\" (against symbol #{symbol}): {reason}"
    )]
    DataRelocation {
        /// The relocated data section.
        section: String,
        /// `r_offset`.
        offset: u64,
        /// Symbol index.
        symbol: u32,
        /// What is wrong.
        reason: String,
    },
}

/// Why no program matched what the caller asked for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SelectError {
    /// No section of that name exists.
    #[error("section \"{section}\" not found; the object has: {}", list(available))]
    SectionNotFound {
        /// The requested section.
        section: String,
        /// Sections that hold programs.
        available: Vec<String>,
    },
    /// The section exists but holds something other than programs (maps, data, ...).
    #[error(
        "section \"{section}\" holds {role}, not programs; the object's programs are in: {}",
        list(available)
    )]
    NotAProgramSection {
        /// The requested section.
        section: String,
        /// What the section holds.
        role: String,
        /// Sections that hold programs.
        available: Vec<String>,
    },
    /// The section exists but has no function of that name.
    #[error(
        "no program \"{function}\" in section \"{section}\"; it has: {}",
        list(available)
    )]
    FunctionNotFound {
        /// The requested section.
        section: String,
        /// The requested function.
        function: String,
        /// Functions in that section.
        available: Vec<String>,
    },
}

/// Why a program's instructions could not be rewritten for loading.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelocError {
    /// The instruction refers to something this loader cannot handle.
    #[error(
        "program \"{program}\": instruction {insn} refers to \"{symbol}\" in {section}: {feature} is not supported"
    )]
    NotSupported {
        /// Program (function) name.
        program: String,
        /// Instruction index within the program.
        insn: usize,
        /// Symbol named by the relocation.
        symbol: String,
        /// Section of the symbol (or "no section" for externs).
        section: String,
        /// What kind of reference it is.
        feature: Unsupported,
    },
    /// The relocation points into `maps` or `.maps` at an offset where no map
    /// definition starts.
    #[error(
        "program \"{program}\": instruction {insn} refers to offset {offset:#x} of section \"{section}\" (symbol \"{symbol}\"), where no map definition starts"
    )]
    NoMapAtOffset {
        /// Program (function) name.
        program: String,
        /// Instruction index within the program.
        insn: usize,
        /// Symbol named by the relocation.
        symbol: String,
        /// The maps (or data) section.
        section: String,
        /// Offset in the section.
        offset: i64,
    },
    /// A global variable reference outside its section's bytes.
    #[error(
        "program \"{program}\": instruction {insn} refers to offset {offset} of \"{section}\" (symbol \"{symbol}\"), outside the section's {size} bytes"
    )]
    DataOffsetOutOfRange {
        /// Program (function) name.
        program: String,
        /// Instruction index within the program.
        insn: usize,
        /// Symbol named by the relocation.
        symbol: String,
        /// The data section.
        section: String,
        /// Offset addressed.
        offset: i64,
        /// Section size.
        size: u64,
    },
    /// A map is referenced by an instruction that cannot carry a map fd.
    #[error(
        "program \"{program}\": instruction {insn} (opcode {code:#04x}) refers to map \"{symbol}\", but only ld_imm64 can load a map"
    )]
    MapReferenceNotLdImm64 {
        /// Program (function) name.
        program: String,
        /// Instruction index within the program.
        insn: usize,
        /// Map symbol.
        symbol: String,
        /// Opcode found.
        code: u8,
    },
    /// A relocation against a function that does not give an instruction boundary.
    #[error(
        "program \"{program}\": instruction {insn} refers to function \"{symbol}\" (value {value:#x}, immediate {imm}), which does not address an instruction"
    )]
    BadFunctionReference {
        /// Program (function) name.
        program: String,
        /// Instruction index within the program.
        insn: usize,
        /// Symbol named.
        symbol: String,
        /// Its value.
        value: u64,
        /// The instruction's immediate.
        imm: i32,
    },
    /// A bpf-to-bpf call (or function address) whose target is not the start of a
    /// function of the object.
    #[error(
        "program \"{program}\": call at instruction {insn} goes to offset {offset:#x} of section \"{section}\", where no function starts"
    )]
    CallTargetNotAFunction {
        /// Program (function) name.
        program: String,
        /// Instruction index of the call.
        insn: usize,
        /// Section of the target.
        section: String,
        /// Byte offset of the target in it (negative when before the section).
        offset: i64,
    },
    /// A problem in a function that the program calls.
    #[error("program \"{program}\" calls \"{function}\": {source}")]
    InFunction {
        /// The program being loaded.
        program: String,
        /// The called function where the problem is.
        function: String,
        /// The problem.
        source: Box<RelocError>,
    },
    /// The program needs a CO-RE relocation, which this loader does not perform.
    #[error(
        "program \"{program}\": instruction {insn} (section \"{section}\") has a CO-RE relocation ({relocation}), and no target kernel was given to resolve it for"
    )]
    CoreRelocation {
        /// Program (function) name.
        program: String,
        /// Instruction index within the function.
        insn: usize,
        /// The function's section.
        section: String,
        /// The relocation: its kind, root type and access string.
        relocation: String,
    },
    /// A CO-RE relocation could not be applied (malformed, ambiguous, unpatchable).
    #[error("program \"{program}\": {source}")]
    Core {
        /// Program (function) name.
        program: String,
        /// What went wrong.
        source: Box<crate::btf::core::CoreError>,
    },
    /// An extern (`__kconfig`, `__ksym`, kfunc) cannot be resolved on the kernel.
    #[error("{source}")]
    Extern {
        /// What went wrong, naming the extern.
        source: Box<crate::externs::error::ExternError>,
    },
    /// The target kernel's BTF, needed for CO-RE relocations or externs, is unusable.
    #[error("{what} needs the kernel's BTF: {source}")]
    KernelBtf {
        /// What needs it: `program "x" (its CO-RE relocations)`, `extern "y"`.
        what: String,
        /// Why it cannot be had.
        source: BtfError,
    },
    /// The program would exceed the kernel's instruction count limit with its subprograms.
    #[error(
        "program \"{program}\": {count} instructions with its subprograms, more than fit in a program"
    )]
    TooLong {
        /// Program (function) name.
        program: String,
        /// Instruction count.
        count: usize,
    },
    /// The caller gave no fd for a map the program uses.
    #[error("program \"{program}\": no fd was given for map \"{map}\"")]
    MissingMapFd {
        /// Program (function) name.
        program: String,
        /// Map name.
        map: String,
    },
}

/// Why a program could not be loaded into the kernel.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The requested program does not exist.
    #[error(transparent)]
    Select(#[from] SelectError),
    /// The object was built for the other byte order (e.g. `-target bpfeb` on x86).
    #[error(
        "object is {object} but this host is {host}: the kernel only loads BPF built for its own byte order (rebuild with -target bpf)"
    )]
    ForeignByteOrder {
        /// Byte order of the object.
        object: ByteOrder,
        /// Byte order of this host.
        host: ByteOrder,
    },
    /// The instructions could not be relocated.
    #[error(transparent)]
    Reloc(#[from] RelocError),
    /// A map asks for something this loader cannot do (custom pinning, arena, ...).
    #[error("map \"{map}\": {feature} is not supported")]
    MapNotSupported {
        /// Map name.
        map: String,
        /// What it asks for.
        feature: String,
    },
    /// The program type needs an attach target (a kernel function or another
    /// program's BTF id), which this loader cannot give.
    #[error(
        "program type {} ({prog_type}) needs an attach target (attach_btf_id), which this loader does not set",
        prog_type.raw()
    )]
    NeedsAttachTarget {
        /// The type.
        prog_type: bpf_sys::ProgType,
    },
    /// A tail-call section's key does not fit in its program array.
    #[error(
        "tail-call section \"{section}\": key {key} is out of range for program array \"{map}\" (max_entries {max_entries})"
    )]
    TailCallKeyOutOfRange {
        /// The `ID/KEY` section.
        section: String,
        /// The program array.
        map: String,
        /// The key.
        key: u32,
        /// The array's size.
        max_entries: u32,
    },
    /// An iproute2 map-in-map names an inner template id that no map has.
    #[error("map \"{map}\": no map has the id {inner_id} named by its inner_id")]
    InnerMapNotFound {
        /// The outer map.
        map: String,
        /// Its inner_id.
        inner_id: u32,
    },
    /// An initial value of a BTF map names a map or program the object lacks.
    #[error("map \"{map}\": slot {key} names \"{target}\", which the object does not define")]
    SlotTargetNotFound {
        /// The map.
        map: String,
        /// The slot.
        key: u32,
        /// What it names.
        target: String,
    },
    /// The bpffs for pinning cannot be used (not mountable, hierarchy not creatable).
    #[error("bpffs at {}: {what}: {source}", path.display())]
    Bpffs {
        /// The directory.
        path: PathBuf,
        /// The step that failed ("cannot create tc/", "mounting one there failed").
        what: String,
        /// What the OS said (its errno is `source.raw_os_error()`).
        #[source]
        source: std::io::Error,
    },
    /// A map asks to be pinned, the directory given for pinning is not a bpffs, and
    /// [`crate::PinOptions::mount_if_missing`] was off.
    #[error(
        "{} is not a bpffs, and a map asks to be pinned (mount one with `mount -t bpf bpf {}`, or let the loader mount it)",
        path.display(),
        path.display()
    )]
    NotBpffs {
        /// The directory.
        path: PathBuf,
    },
    /// Concurrent loads kept pinning their own map at a path first.
    #[error(
        "{}: other loads pinned a different map there first, {attempts} times in a row",
        path.display()
    )]
    PinRace {
        /// The pin path.
        path: PathBuf,
        /// How many times this load started over.
        attempts: usize,
    },
    /// Opening, reading or creating a pin failed.
    #[error("map \"{map}\": pin {}: {source}", path.display())]
    Pin {
        /// Map name.
        map: String,
        /// The pin's path.
        path: PathBuf,
        /// The syscall error.
        source: bpf_sys::Error,
    },
    /// Something other than a map is pinned where the map should be.
    #[error("map \"{map}\": {} is pinned but is not a map ({found})", path.display())]
    PinnedNotAMap {
        /// Map name.
        map: String,
        /// The pin's path.
        path: PathBuf,
        /// What the pinned fd is.
        found: String,
    },
    /// A map pinned by an earlier load differs from the object's definition.
    #[error(
        "map \"{map}\": the map pinned at {} does not match the object's definition: {}",
        path.display(),
        differences.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
    )]
    PinMismatch {
        /// Map name.
        map: String,
        /// The pin's path.
        path: PathBuf,
        /// Every field that differs.
        differences: Vec<FieldDifference>,
    },
    /// Filling a map (global data, an inner map, a tail-call program) failed.
    #[error("map \"{map}\": storing {what} at key {key}: {source}")]
    MapUpdate {
        /// Map name.
        map: String,
        /// The key.
        key: u32,
        /// What was being stored.
        what: String,
        /// The syscall error.
        source: bpf_sys::Error,
    },
    /// Freezing a read-only data map failed.
    #[error("map \"{map}\": freezing: {source}")]
    MapFreeze {
        /// Map name.
        map: String,
        /// The syscall error.
        source: bpf_sys::Error,
    },
    /// `BPF_MAP_CREATE` failed.
    #[error(
        "creating map \"{map}\" (type {}, key {} bytes, value {} bytes, max_entries {}, flags {:#x}): {source}",
        def.map_type, def.key_size, def.value_size, def.max_entries, def.map_flags
    )]
    MapCreate {
        /// Map name.
        map: String,
        /// Its definition.
        def: MapDef,
        /// The syscall error.
        source: bpf_sys::Error,
    },
    /// The program has no instructions.
    #[error("program \"{program}\" in section \"{section}\" has no instructions")]
    EmptyProgram {
        /// Program (function) name.
        program: String,
        /// Its section.
        section: String,
    },
    /// The verifier rejected the program at an instruction poisoned by a CO-RE
    /// relocation that found nothing in the kernel; `log` is the complete log.
    #[error(
        "program \"{program}\" (section \"{section}\"): instruction {insn}: CO-RE relocation {relocation}; the verifier refused the program because that instruction is reachable"
    )]
    CoreFailed {
        /// Program (function) name.
        program: String,
        /// Its section.
        section: String,
        /// Index of the poisoned instruction in the loaded program.
        insn: usize,
        /// The relocation, what it accessed and why it failed: "(field byte offset) of
        /// `struct task_struct.__state` failed: no field `__state` in the kernel's ...".
        relocation: String,
        /// The verifier log.
        log: String,
    },
    /// The verifier rejected the program; `log` is its complete log.
    #[error("program \"{program}\" (section \"{section}\") rejected by the verifier: {errno}")]
    Verifier {
        /// Program (function) name.
        program: String,
        /// Its section.
        section: String,
        /// The errno of `BPF_PROG_LOAD`.
        errno: io::Error,
        /// The verifier log.
        log: String,
    },
    /// `BPF_PROG_LOAD` failed for a reason other than the verifier (permissions, ...).
    #[error("loading program \"{program}\" (section \"{section}\"): {source}")]
    ProgLoad {
        /// Program (function) name.
        program: String,
        /// Its section.
        section: String,
        /// The syscall error.
        source: bpf_sys::Error,
    },
}

impl LoadError {
    /// The verifier log, when the kernel rejected the program.
    pub fn verifier_log(&self) -> Option<&str> {
        match self {
            LoadError::Verifier { log, .. } | LoadError::CoreFailed { log, .. } => Some(log),
            _ => None,
        }
    }
}

/// One field in which a pinned map differs from the object's definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDifference {
    /// "type", "key size", "value size", "max entries" or "flags".
    pub field: &'static str,
    /// The pinned map's value.
    pub pinned: u32,
    /// The object's value.
    pub object: u32,
}

impl fmt::Display for FieldDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field == "flags" {
            write!(
                f,
                "{} {:#x} pinned vs {:#x} in the object",
                self.field, self.pinned, self.object
            )
        } else {
            write!(
                f,
                "{} {} pinned vs {} in the object",
                self.field, self.pinned, self.object
            )
        }
    }
}

/// Joins names for an error message, or says there are none.
fn list(names: &[String]) -> ListDisplay<'_> {
    ListDisplay(names)
}

struct ListDisplay<'a>(&'a [String]);

impl fmt::Display for ListDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(none)");
        }
        f.write_str(&self.0.join(", "))
    }
}

/// A human name for the ELF machines one is likely to pass by mistake.
fn machine_name(machine: u16) -> &'static str {
    match machine {
        0 => "none",
        3 => "i386",
        40 => "ARM",
        62 => "x86-64",
        183 => "AArch64",
        243 => "RISC-V",
        247 => "BPF",
        _ => "unknown",
    }
}

/// Kinds of reference that the object may make but this loader does not handle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unsupported {
    /// An extern variable resolved at load time (`__kconfig`, `__ksym`).
    ExternVariable,
    /// A call to a function this object does not define: a kernel function (kfunc)
    /// resolved through BTF, or a function of another object to be linked in.
    ExternCall,
    /// A reference to a section of another kind.
    Section(SectionRole),
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsupported::ExternVariable => f.write_str("an extern variable (__kconfig/__ksym)"),
            Unsupported::ExternCall => f.write_str(
                "a call to an undefined function (a kfunc, or a function of another object)",
            ),
            Unsupported::Section(role) => write!(f, "a reference to {role}"),
        }
    }
}
