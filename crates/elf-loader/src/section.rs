//! What each ELF section of a BPF object is for, decided from its name, type and flags
//! the way clang lays objects out: code sections named after the program's `SEC()`,
//! `license`, `version`, the legacy `maps`, BTF-defined `.maps`, global data, BTF.

use std::fmt;

use object::elf;

/// The data section of kconfig externs, and the name of their map.
pub const KCONFIG_SECTION: &str = ".kconfig";
/// The data section of ksym externs and kfuncs.
pub const KSYMS_SECTION: &str = ".ksyms";

/// The job of one section in a BPF object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionRole {
    /// Executable code other than `.text`: each function in it is a program.
    Programs,
    /// `.text`: functions that programs call (bpf-to-bpf subprograms).
    Subprograms,
    /// `license`: the NUL-terminated licence string.
    License,
    /// `version`: a u32 kernel version (old kprobe loaders required it).
    Version,
    /// `maps`: legacy map definitions (`struct bpf_map_def` / `struct bpf_elf_map`).
    LegacyMaps,
    /// `.maps`: BTF-defined maps.
    BtfMaps,
    /// `.data*`, `.rodata*`, `.bss*`: global variables and constants.
    GlobalData,
    /// `.BTF`: type information.
    Btf,
    /// `.BTF.ext`: function and line information, CO-RE relocations.
    BtfExt,
    /// A `SHT_REL` section relocating the section with this index.
    Relocations {
        /// Index of the section it relocates (`sh_info`).
        target: usize,
    },
    /// Anything else (symbol and string tables, debug information, ...).
    Other,
}

impl SectionRole {
    /// Decides the role of a section from its name, `sh_type` and `sh_flags`.
    pub fn classify(name: &str, sh_type: u32, sh_flags: u64, sh_info: u32) -> SectionRole {
        let executable = sh_flags & elf::SHF_EXECINSTR.0 != 0;
        if sh_type == elf::SHT_REL.0 {
            return SectionRole::Relocations {
                target: sh_info as usize,
            };
        }
        if sh_type == elf::SHT_PROGBITS.0 && executable {
            return if name == ".text" {
                SectionRole::Subprograms
            } else {
                SectionRole::Programs
            };
        }
        match name {
            "license" => SectionRole::License,
            "version" => SectionRole::Version,
            "maps" => SectionRole::LegacyMaps,
            ".maps" => SectionRole::BtfMaps,
            ".BTF" => SectionRole::Btf,
            ".BTF.ext" => SectionRole::BtfExt,
            _ if is_global_data(name) => SectionRole::GlobalData,
            _ => SectionRole::Other,
        }
    }

    /// True for sections whose functions are programs or subprograms.
    pub fn is_code(&self) -> bool {
        matches!(self, SectionRole::Programs | SectionRole::Subprograms)
    }
}

impl fmt::Display for SectionRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            SectionRole::Programs => "programs",
            SectionRole::Subprograms => "subprograms (.text)",
            SectionRole::License => "the licence",
            SectionRole::Version => "the kernel version",
            SectionRole::LegacyMaps => "legacy map definitions",
            SectionRole::BtfMaps => "BTF-defined maps",
            SectionRole::GlobalData => "global data",
            SectionRole::Btf => "BTF type information",
            SectionRole::BtfExt => "BTF function/line information",
            SectionRole::Relocations { .. } => "relocations",
            SectionRole::Other => "other data",
        };
        f.write_str(text)
    }
}

/// One section of the object, as found in the section header table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// Index in the section header table (what symbols' `st_shndx` refers to).
    pub index: usize,
    /// Name from the section header string table.
    pub name: String,
    /// What the section is for.
    pub role: SectionRole,
    /// Size in bytes (`sh_size`; for `.bss` this is not backed by file bytes).
    pub size: u64,
}

/// True for names clang gives to global variables: `.data`, `.rodata`, `.bss`, and
/// their `.data.NAME`-style variants (`.rodata.str1.1`, `.data.custom`, ...).
fn is_global_data(name: &str) -> bool {
    [".data", ".rodata", ".bss"].iter().any(|base| {
        name == *base
            || name
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_sections_are_programs_except_text() {
        let exec = (elf::SHF_EXECINSTR | elf::SHF_ALLOC).0;
        assert_eq!(
            SectionRole::classify("ingress", elf::SHT_PROGBITS.0, exec, 0),
            SectionRole::Programs
        );
        assert_eq!(
            SectionRole::classify(".text", elf::SHT_PROGBITS.0, exec, 0),
            SectionRole::Subprograms
        );
        // A data section called like a program section is still data.
        assert_eq!(
            SectionRole::classify("maps", elf::SHT_PROGBITS.0, elf::SHF_WRITE.0, 0),
            SectionRole::LegacyMaps
        );
    }

    #[test]
    fn global_data_names() {
        for name in [
            ".data",
            ".rodata",
            ".bss",
            ".rodata.str1.1",
            ".data.custom",
            ".rodata.cst32",
        ] {
            assert!(is_global_data(name), "{name}");
        }
        for name in [".datax", ".rodatafoo", "data", ".debug_info"] {
            assert!(!is_global_data(name), "{name}");
        }
    }
}
