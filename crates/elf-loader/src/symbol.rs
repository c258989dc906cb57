//! ELF symbols as this crate needs them: a name, a kind, the section they live in (with
//! that section's role) and their offset there. Relocations and map definitions refer
//! to code and data through these.

use crate::section::SectionRole;

/// The `STT_*` type of a symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// `STT_NOTYPE`: no type (externs, some hand-written map symbols).
    NoType,
    /// `STT_OBJECT`: a variable or a map definition.
    Object,
    /// `STT_FUNC`: a function (a program or a subprogram).
    Func,
    /// `STT_SECTION`: stands for a whole section; the offset is in the instruction.
    Section,
    /// `STT_FILE`: the source file name.
    File,
    /// Any other `STT_*` value.
    Other(u8),
}

impl SymbolKind {
    /// Maps an ELF `st_type` to a kind.
    pub fn from_st_type(st_type: u8) -> SymbolKind {
        match st_type {
            t if t == object::elf::STT_NOTYPE.0 => SymbolKind::NoType,
            t if t == object::elf::STT_OBJECT.0 => SymbolKind::Object,
            t if t == object::elf::STT_FUNC.0 => SymbolKind::Func,
            t if t == object::elf::STT_SECTION.0 => SymbolKind::Section,
            t if t == object::elf::STT_FILE.0 => SymbolKind::File,
            other => SymbolKind::Other(other),
        }
    }
}

/// Where a symbol is defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SymbolSection {
    /// Not defined in this object (`SHN_UNDEF`): an extern such as a kfunc, a ksym or
    /// a kconfig variable.
    Undefined,
    /// Defined in a section of this object.
    Defined {
        /// Section index.
        index: usize,
        /// Section name.
        name: String,
        /// What the section is for.
        role: SectionRole,
    },
    /// An absolute value (`SHN_ABS`).
    Absolute,
    /// A common symbol (`SHN_COMMON`).
    Common,
}

impl SymbolSection {
    /// The section name for messages: the name, or a description for symbols outside
    /// any section.
    pub fn describe(&self) -> String {
        match self {
            SymbolSection::Undefined => "no section (an extern)".to_string(),
            SymbolSection::Defined { name, .. } => format!("section \"{name}\""),
            SymbolSection::Absolute => "no section (an absolute symbol)".to_string(),
            SymbolSection::Common => "no section (a common symbol)".to_string(),
        }
    }

    /// The role of the section the symbol is in, if it is in one.
    pub fn role(&self) -> Option<&SectionRole> {
        match self {
            SymbolSection::Defined { role, .. } => Some(role),
            _ => None,
        }
    }
}

/// A symbol of the object's symbol table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolRef {
    /// Index in the symbol table.
    pub index: usize,
    /// Name; for a section symbol (which has none), the section's name.
    pub name: String,
    /// Its `STT_*` type.
    pub kind: SymbolKind,
    /// Where it is defined.
    pub section: SymbolSection,
    /// `st_value`: offset within its section.
    pub value: u64,
    /// `st_size`: size in bytes (0 if unknown).
    pub size: u64,
    /// True for `STB_GLOBAL` and `STB_WEAK` symbols, false for `static` ones.
    pub global: bool,
    /// True for `STB_WEAK` symbols (`__weak`): an extern that may be absent.
    pub weak: bool,
}
