//! Why an object's externs could not be described or resolved. Every variant names
//! the extern (and where it matters the type, the config line or the symbol).

use crate::btf::error::BtfError;

/// Why the externs of an object could not be collected, laid out or resolved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExternError {
    /// The object declares externs but has no `.BTF` to describe them.
    #[error("extern \"{name}\": the object has no BTF, which externs need")]
    NoBtf {
        /// The extern's symbol name.
        name: String,
    },
    /// No BTF `VAR` or `FUNC` of that name, or one that is not `extern`.
    #[error("extern \"{name}\": {reason}")]
    NoBtfType {
        /// The extern's symbol name.
        name: String,
        /// What was found instead.
        reason: String,
    },
    /// The extern's BTF type is in no data section, or in one other than `.kconfig`
    /// and `.ksyms`.
    #[error("extern \"{name}\": {reason}")]
    Section {
        /// The extern.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A `__kconfig` extern of a type libbpf cannot fill (not bool, tristate, char,
    /// an integer of 1, 2, 4 or 8 bytes, or a char array).
    #[error("extern (kconfig) \"{name}\": type {type_id} is not supported: {reason}")]
    KconfigType {
        /// The extern.
        name: String,
        /// Its BTF type id in the object.
        type_id: u32,
        /// What the type is.
        reason: String,
    },
    /// A `__kconfig` extern whose value does not suit its type (a tristate value for
    /// an integer, a number out of range, a malformed string).
    #[error("extern (kconfig) \"{name}\": value {value:?}: {reason}")]
    KconfigValue {
        /// The extern.
        name: String,
        /// The value as written in the config (or computed).
        value: String,
        /// Why it does not fit.
        reason: String,
    },
    /// A `LINUX_*` kconfig extern libbpf does not know (or another name that is
    /// neither `CONFIG_*` nor `LINUX_*`), not `__weak`.
    #[error(
        "extern (kconfig) \"{name}\": unrecognized virtual extern (libbpf knows LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE, LINUX_HAS_SYSCALL_WRAPPER; other names must start with CONFIG_)"
    )]
    UnknownVirtual {
        /// The extern.
        name: String,
    },
    /// A malformed line of the kernel config (a `CONFIG_` line without `=` or value).
    #[error("kernel config line {line}: {text:?}: {reason}")]
    KconfigLine {
        /// Line number, from 1.
        line: usize,
        /// The line.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// The object needs the kernel config (a `CONFIG_*` extern) but none was given
    /// or found.
    #[error("extern (kconfig) \"{name}\" needs the kernel config, which is not available{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    NoKconfig {
        /// The first extern that needs it.
        name: String,
        /// Why it could not be read, when known.
        reason: Option<String>,
    },
    /// The object has an untyped `__ksym` but `/proc/kallsyms` was not given.
    #[error("extern (ksym) \"{name}\" needs /proc/kallsyms, which is not available{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    NoKallsyms {
        /// The first extern that needs it.
        name: String,
        /// Why it could not be read, when known.
        reason: Option<String>,
    },
    /// A malformed line of `/proc/kallsyms`.
    #[error("kallsyms line {line}: {text:?}: not \"ADDRESS TYPE NAME\"")]
    KallsymsLine {
        /// Line number, from 1.
        line: usize,
        /// The line.
        text: String,
    },
    /// A ksym found at two different addresses.
    #[error("extern (ksym) \"{name}\": resolution is ambiguous: {first:#x} or {second:#x}")]
    AmbiguousKsym {
        /// The extern.
        name: String,
        /// The address found first.
        first: u64,
        /// Another one.
        second: u64,
    },
    /// A typed ksym whose local type does not match the kernel variable's type.
    #[error(
        "extern (var ksym) \"{name}\": incompatible types: the object has [{local_id}] {local}, the kernel has [{target_id}] {target}"
    )]
    IncompatibleKsym {
        /// The extern.
        name: String,
        /// The local type id (modifiers skipped).
        local_id: u32,
        /// The local type, described.
        local: String,
        /// The kernel type id (modifiers skipped).
        target_id: u32,
        /// The kernel type, described.
        target: String,
    },
    /// A kfunc whose prototype does not match the kernel's.
    #[error(
        "extern (func ksym) \"{name}\": func_proto [{local_id}] is incompatible with {btf} [{target_id}]"
    )]
    IncompatibleKfunc {
        /// The extern.
        name: String,
        /// The local prototype id.
        local_id: u32,
        /// "vmlinux" or the module's name.
        btf: String,
        /// The kernel's prototype id.
        target_id: u32,
    },
    /// An extern that is not `__weak` and that the kernel does not have.
    #[error("extern \"{name}\" (strong): not resolved: {reason}")]
    Unresolved {
        /// The extern.
        name: String,
        /// Where it was looked for.
        reason: String,
    },
    /// More module BTF objects than an instruction's 16-bit offset can index.
    #[error(
        "extern (func ksym) \"{name}\": module BTF fd index {index} does not fit in an instruction offset"
    )]
    FdArrayFull {
        /// The extern.
        name: String,
        /// The index it would need.
        index: usize,
    },
    /// An instruction that refers to an extern is not an `ld_imm64` or a call, or the
    /// extern cannot be used that way.
    #[error("instruction {insn}: reference to extern \"{name}\": {reason}")]
    BadReference {
        /// Index of the instruction.
        insn: usize,
        /// The extern.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A module's BTF could not be listed, opened or read.
    #[error("module BTF {module}: {reason}")]
    ModuleBtf {
        /// The module's name, or its BTF object id when the name is unknown.
        module: String,
        /// What failed.
        reason: String,
    },
    /// The object's or the kernel's BTF is broken where an extern needs it.
    #[error("extern \"{name}\": {source}")]
    Btf {
        /// The extern.
        name: String,
        /// The BTF problem.
        source: BtfError,
    },
}
