//! The parse entry point: [`Object::parse`] reads a BPF ELF object from bytes into
//! programs and subprograms, map definitions (legacy `maps`, BTF-defined `.maps`,
//! global data sections), relocations, BTF and its function/line records, licence
//! and version. No syscalls: everything here can be tested without privileges.
//!
//! Every offset, size and index read from the file is checked before use; a broken
//! file gives a [`ParseError`] naming the section, symbol or offset, never a panic.

use std::collections::{BTreeMap, BTreeSet};

use object::elf::{self, FileHeader64};
use object::read::elf::{FileHeader, Rel, SectionHeader, SectionTable, SymbolTable};
use object::{Endian, Endianness, SectionIndex, SymbolIndex};

use crate::btf::ext::BtfExt;
use crate::btf::{Btf, fixup};
use crate::btf_maps::{DataRelocation, parse_btf_maps};
pub use crate::bytes::{ByteOrder, MAX_NAME_LEN};
use crate::error::{ParseError, SelectError};
use crate::global_data::{DataSection, data_map};
use crate::license::{parse_license, parse_version};
use crate::maps::{Map, MapSource, Pinning, parse_legacy_maps};
use crate::program::{FunctionSymbol, Program, decode_insns, split_functions};
use crate::relocation::{Relocation, is_map_symbol};
use crate::section::{Section, SectionRole};
use crate::symbol::{SymbolKind, SymbolRef, SymbolSection};

/// `e_machine` of BPF objects.
pub const EM_BPF: u16 = 247;

/// SHA-1 of `bytes` in lowercase hex, as `sha1sum` prints it (the name of an
/// object's `PIN_OBJECT_NS` directory is that of its file).
pub fn sha1_hex(bytes: &[u8]) -> String {
    use sha1::Digest;
    let digest: [u8; 20] = sha1::Sha1::digest(bytes).into();
    bpf_sys::hex(&digest)
}

/// Opcode of `call` (`BPF_JMP | BPF_CALL`).
const CALL_OPCODE: u8 = 0x85;

type Elf = FileHeader64<Endianness>;

/// A parsed BPF object: everything a loader needs, decoded and checked.
#[derive(Clone, Debug)]
pub struct Object {
    byte_order: ByteOrder,
    sections: Vec<Section>,
    programs: Vec<Program>,
    subprograms: Vec<Program>,
    maps: Vec<Map>,
    license: Option<String>,
    kern_version: Option<u32>,
    externs: Vec<String>,
    extern_symbols: Vec<SymbolRef>,
    btf: Option<Btf>,
    btf_ext: Option<BtfExt>,
    kernel_btf: Option<Vec<u8>>,
    /// The file's SHA-1 in hex, only when a map is pinned with `PIN_OBJECT_NS`.
    sha1: Option<String>,
    map_index: BTreeMap<MapKey, usize>,
    functions: BTreeMap<(usize, u64), FunctionRef>,
}

/// How a relocation finds its map: by offset in `maps` or `.maps`, or by section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum MapKey {
    Legacy(u64),
    Btf(u64),
    Data(usize),
}

/// A function of the object: a program or a `.text` subprogram, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FunctionRef {
    Program(usize),
    Subprogram(usize),
}

impl Object {
    /// Reads a BPF ELF object. Objects of either byte order are read (instructions are
    /// decoded into host form); only host-order objects can be loaded.
    pub fn parse(bytes: &[u8]) -> Result<Object, ParseError> {
        check_identity(bytes)?;
        let header = Elf::parse(bytes).map_err(|e| malformed("ELF header", e))?;
        let endian = header.endian().map_err(|e| malformed("ELF header", e))?;
        let machine = header.e_machine(endian).0;
        if machine != EM_BPF {
            return Err(ParseError::NotBpf { machine });
        }
        let byte_order = if endian.is_big_endian() {
            ByteOrder::Big
        } else {
            ByteOrder::Little
        };
        let table = header
            .sections(endian, bytes)
            .map_err(|e| malformed("section headers", e))?;
        let reader = Reader {
            bytes,
            endian,
            byte_order,
            table,
        };
        let mut object = reader.read()?;
        // Hashing is the costliest step of parsing a large object, and only
        // PIN_OBJECT_NS pin paths need it.
        if object.maps.iter().any(|m| m.pinning() == Pinning::ObjectNs) {
            object.sha1 = Some(sha1_hex(bytes));
        }
        Ok(object)
    }

    /// Byte order the object was built for.
    pub fn byte_order(&self) -> ByteOrder {
        self.byte_order
    }

    /// Every section, in header-table order, with its role.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The first section of this name.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Sections with the given role (e.g. to tell whether the object has BTF or `.maps`).
    pub fn sections_with_role<'a>(
        &'a self,
        role: &'a SectionRole,
    ) -> impl Iterator<Item = &'a Section> + 'a {
        self.sections.iter().filter(move |s| &s.role == role)
    }

    /// Every program, by section order then offset in the section.
    pub fn programs(&self) -> &[Program] {
        &self.programs
    }

    /// Functions of `.text`: targets of bpf-to-bpf calls, linked into the programs
    /// that call them.
    pub fn subprograms(&self) -> &[Program] {
        &self.subprograms
    }

    /// Every map the object declares: the legacy `maps` section's (in offset order),
    /// then the BTF-defined ones of `.maps` (in offset order), then one per non-empty
    /// global data section (in section order).
    pub fn maps(&self) -> &[Map] {
        &self.maps
    }

    /// The index in [`Object::maps`] of the map named `name` (its symbol, or for
    /// global data its section).
    pub fn map_index(&self, name: &str) -> Option<usize> {
        self.maps.iter().position(|m| m.name == name)
    }

    /// The legacy map whose definition starts at `offset` of `maps`.
    pub(crate) fn legacy_map_at(&self, offset: u64) -> Option<usize> {
        self.map_index.get(&MapKey::Legacy(offset)).copied()
    }

    /// The BTF-defined map whose definition starts at `offset` of `.maps`.
    pub(crate) fn btf_map_at(&self, offset: u64) -> Option<usize> {
        self.map_index.get(&MapKey::Btf(offset)).copied()
    }

    /// The global data map of the section with this index.
    pub(crate) fn data_map_of(&self, section_index: usize) -> Option<usize> {
        self.map_index.get(&MapKey::Data(section_index)).copied()
    }

    /// The function (program or subprogram) that starts at byte `offset` of the
    /// section with index `section_index`.
    pub fn function_at(&self, section_index: usize, offset: u64) -> Option<&Program> {
        match self.functions.get(&(section_index, offset))? {
            FunctionRef::Program(i) => self.programs.get(*i),
            FunctionRef::Subprogram(i) => self.subprograms.get(*i),
        }
    }

    /// The `.BTF` section, parsed, if the object has one.
    pub fn btf(&self) -> Option<&Btf> {
        self.btf.as_ref()
    }

    /// The `.BTF.ext` section, parsed, if the object has one (and `.BTF`).
    pub fn btf_ext(&self) -> Option<&BtfExt> {
        self.btf_ext.as_ref()
    }

    /// `.BTF` as the kernel wants it: data-section sizes and variable offsets filled
    /// in from the ELF file (see [`crate::btf::fixup`]).
    pub fn kernel_btf(&self) -> Option<&[u8]> {
        self.kernel_btf.as_deref()
    }

    /// SHA-1 of the object file's bytes, in hex, when a map is pinned with
    /// `PIN_OBJECT_NS` (iproute2 pins those maps in a directory of this name);
    /// `None` for other objects, which are not hashed ([`sha1_hex`] hashes any bytes).
    pub fn sha1_hex(&self) -> Option<&str> {
        self.sha1.as_deref()
    }

    /// The `license` section's string, if the object has one.
    pub fn license(&self) -> Option<&str> {
        self.license.as_deref()
    }

    /// The `version` section's kernel version code, if the object has one.
    pub fn kern_version(&self) -> Option<u32> {
        self.kern_version
    }

    /// Names of undefined symbols (kfuncs, ksyms, kconfig variables).
    pub fn externs(&self) -> &[String] {
        &self.externs
    }

    /// The symbols libbpf treats as externs: undefined, untyped (`STT_NOTYPE`), global
    /// or weak; in symbol-table order. [`crate::externs`] describes them from BTF.
    pub fn extern_symbols(&self) -> &[SymbolRef] {
        &self.extern_symbols
    }

    /// Names of the sections that hold programs, each once, in object order.
    pub fn program_sections(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.programs
            .iter()
            .filter(|p| seen.insert(p.section.as_str()))
            .map(|p| p.section.clone())
            .collect()
    }

    /// Chooses a program the way tc does: the first function (by offset) in `section`,
    /// or the function named `function` in it (`tc ... sec S program P`).
    pub fn find_program(
        &self,
        section: &str,
        function: Option<&str>,
    ) -> Result<&Program, SelectError> {
        let mut in_section = self.programs.iter().filter(|p| p.section == section);
        let Some(first) = in_section.next() else {
            return Err(match self.section(section) {
                Some(found) => SelectError::NotAProgramSection {
                    section: section.to_string(),
                    role: found.role.to_string(),
                    available: self.program_sections(),
                },
                None => SelectError::SectionNotFound {
                    section: section.to_string(),
                    available: self.program_sections(),
                },
            });
        };
        let Some(function) = function else {
            // libbpf (and so tc) counts only global functions as the section's
            // programs; a static one placed first is a subprogram.
            let global = self
                .programs
                .iter()
                .find(|p| p.section == section && p.global);
            return Ok(global.unwrap_or(first));
        };
        std::iter::once(first)
            .chain(in_section)
            .find(|p| p.name == function)
            .ok_or_else(|| SelectError::FunctionNotFound {
                section: section.to_string(),
                function: function.to_string(),
                available: self
                    .programs
                    .iter()
                    .filter(|p| p.section == section)
                    .map(|p| p.name.clone())
                    .collect(),
            })
    }
}

/// Checks magic, class and machine before handing the bytes to the ELF reader, so
/// the common mistakes get specific errors.
fn check_identity(bytes: &[u8]) -> Result<(), ParseError> {
    if !bytes.starts_with(&elf::ELFMAG) {
        return Err(ParseError::NotElf { len: bytes.len() });
    }
    match bytes.get(4).copied() {
        Some(class) if class == elf::ELFCLASS64.0 => Ok(()),
        Some(class) => Err(ParseError::NotElf64 { class }),
        None => Err(ParseError::Malformed {
            what: "ELF header".to_string(),
            reason: format!("file is only {} bytes", bytes.len()),
        }),
    }
}

fn malformed(what: impl Into<String>, error: object::read::Error) -> ParseError {
    ParseError::Malformed {
        what: what.into(),
        reason: error.to_string(),
    }
}

/// State shared by the steps of one parse.
struct Reader<'data> {
    bytes: &'data [u8],
    endian: Endianness,
    byte_order: ByteOrder,
    table: SectionTable<'data, Elf, &'data [u8]>,
}

impl<'data> Reader<'data> {
    fn read(&self) -> Result<Object, ParseError> {
        let sections = self.sections()?;
        let symtab = self
            .table
            .symbols(self.endian, self.bytes, elf::SHT_SYMTAB)
            .map_err(|e| malformed("symbol table", e))?;
        let symbols = self.symbols(&symtab, &sections)?;

        self.refuse_rela_for_code(&sections)?;

        // Group function symbols and REL sections by the section they belong to, so
        // each code section is handled in time proportional to its own contents.
        let mut functions: BTreeMap<usize, Vec<FunctionSymbol>> = BTreeMap::new();
        for symbol in symbols.iter().filter(|s| s.kind == SymbolKind::Func) {
            if let SymbolSection::Defined { index, .. } = symbol.section {
                functions.entry(index).or_default().push(FunctionSymbol {
                    name: symbol.name.clone(),
                    offset: symbol.value,
                    size: symbol.size,
                    global: symbol.global,
                });
            }
        }
        let mut rel_sections: BTreeMap<usize, Vec<&Section>> = BTreeMap::new();
        for section in &sections {
            if let SectionRole::Relocations { target } = section.role {
                rel_sections.entry(target).or_default().push(section);
            }
        }

        let mut programs = Vec::new();
        let mut subprograms = Vec::new();
        for section in sections.iter().filter(|s| s.role.is_code()) {
            let found = self.code_section(
                section,
                functions.remove(&section.index).unwrap_or_default(),
                rel_sections.get(&section.index).map_or(&[][..], |v| v),
                &symbols,
                symtab.section(),
            )?;
            if section.role == SectionRole::Subprograms {
                subprograms.extend(found);
            } else {
                programs.extend(found);
            }
        }

        let mut legacy_maps = Vec::new();
        let mut license = None;
        let mut kern_version = None;
        let mut btf_bytes = None;
        let mut btf_ext_bytes = None;
        for section in &sections {
            match section.role {
                SectionRole::LegacyMaps if legacy_maps.is_empty() => {
                    let data = self.data(section)?;
                    let map_symbols: Vec<SymbolRef> = symbols
                        .iter()
                        .filter(|s| defined_in(s, section.index) && is_map_symbol(s))
                        .cloned()
                        .collect();
                    legacy_maps = parse_legacy_maps(data, self.byte_order, &map_symbols)?;
                }
                SectionRole::License if license.is_none() => {
                    license = Some(parse_license(self.data(section)?));
                }
                SectionRole::Version if kern_version.is_none() => {
                    kern_version = Some(parse_version(self.data(section)?, self.byte_order)?);
                }
                SectionRole::Btf if btf_bytes.is_none() => btf_bytes = Some(self.data(section)?),
                SectionRole::BtfExt if btf_ext_bytes.is_none() => {
                    btf_ext_bytes = Some(self.data(section)?)
                }
                _ => {}
            }
        }

        let btf = btf_bytes
            .map(|data| Btf::parse(data, self.byte_order))
            .transpose()?;
        let btf_ext = match (&btf, btf_ext_bytes) {
            (Some(btf), Some(data)) => Some(BtfExt::parse(data, self.byte_order, btf)?),
            _ => None,
        };

        let mut btf_maps = Vec::new();
        if let Some(section) = sections.iter().find(|s| s.role == SectionRole::BtfMaps) {
            let map_symbols: Vec<SymbolRef> = symbols
                .iter()
                .filter(|s| defined_in(s, section.index) && is_map_symbol(s))
                .cloned()
                .collect();
            let mut relocations = Vec::new();
            for rel in rel_sections.get(&section.index).map_or(&[][..], |v| v) {
                relocations.extend(self.data_relocations(
                    rel,
                    section,
                    &symbols,
                    symtab.section(),
                )?);
            }
            btf_maps = parse_btf_maps(btf.as_ref(), section.size, &map_symbols, &relocations)?;
        }

        let mut data_maps = Vec::new();
        for section in sections
            .iter()
            .filter(|s| s.role == SectionRole::GlobalData)
        {
            let header = self.header(section.index)?;
            let data = DataSection {
                section,
                sh_type: header.sh_type(self.endian).0,
                bytes: self.data(section)?,
            };
            data_maps.extend(data_map(&data, btf.as_ref())?);
        }

        let mut maps = legacy_maps;
        maps.extend(btf_maps);
        maps.extend(data_maps);
        let map_index = maps
            .iter()
            .enumerate()
            .map(|(i, map)| {
                let key = match map.source {
                    MapSource::Legacy { offset, .. } => MapKey::Legacy(offset),
                    MapSource::Btf { offset, .. } => MapKey::Btf(offset),
                    MapSource::GlobalData { section_index } => MapKey::Data(section_index),
                };
                (key, i)
            })
            .collect();

        let functions = programs
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.section_index, p.offset), FunctionRef::Program(i)))
            .chain(
                subprograms
                    .iter()
                    .enumerate()
                    .map(|(i, p)| ((p.section_index, p.offset), FunctionRef::Subprogram(i))),
            )
            .collect();

        let externs = symbols
            .iter()
            .filter(|s| s.index != 0 && s.section == SymbolSection::Undefined && !s.name.is_empty())
            .map(|s| s.name.clone())
            .collect();
        let extern_symbols = symbols
            .iter()
            .filter(|s| {
                s.index != 0
                    && s.section == SymbolSection::Undefined
                    && s.kind == SymbolKind::NoType
                    && s.global
                    && !s.name.is_empty()
            })
            .cloned()
            .collect::<Vec<_>>();
        let kernel_btf = btf
            .as_ref()
            .map(|btf| self.kernel_btf(btf, &sections, &symbols, &extern_symbols))
            .transpose()?;

        Ok(Object {
            byte_order: self.byte_order,
            sections,
            programs,
            subprograms,
            maps,
            license,
            kern_version,
            externs,
            extern_symbols,
            btf,
            btf_ext,
            kernel_btf,
            sha1: None,
            map_index,
            functions,
        })
    }

    /// `.BTF` fixed up for the kernel from this file's section sizes and symbols,
    /// and the `.kconfig` layout of its kconfig externs, as libbpf lays it out.
    fn kernel_btf(
        &self,
        btf: &Btf,
        sections: &[Section],
        symbols: &[SymbolRef],
        extern_symbols: &[SymbolRef],
    ) -> Result<Vec<u8>, ParseError> {
        let kconfig = crate::externs::kconfig_layout(btf, extern_symbols);
        let mut sizes: BTreeMap<&str, u64> = BTreeMap::new();
        for section in sections {
            sizes.entry(section.name.as_str()).or_insert(section.size);
        }
        let mut offsets: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        if let Some((size, vars)) = &kconfig {
            sizes.insert(crate::section::KCONFIG_SECTION, *size);
            for (name, offset) in vars {
                offsets.insert((crate::section::KCONFIG_SECTION, name.as_str()), *offset);
            }
        }
        for symbol in symbols.iter().filter(|s| is_map_symbol(s)) {
            if let SymbolSection::Defined { name, .. } = &symbol.section {
                offsets
                    .entry((name.as_str(), symbol.name.as_str()))
                    .or_insert(symbol.value);
            }
        }
        Ok(fixup::for_kernel(
            btf,
            |name| sizes.get(name).copied(),
            |section, name| offsets.get(&(section, name)).copied(),
        )?)
    }

    /// Reads the entries of a REL section for a data section (`.rel.maps`): each
    /// patches 8 bytes inside the section and names an existing symbol.
    fn data_relocations(
        &self,
        rel_section: &Section,
        target: &Section,
        symbols: &[SymbolRef],
        symtab_index: SectionIndex,
    ) -> Result<Vec<DataRelocation>, ParseError> {
        let entries = self.rel_entries(rel_section, symtab_index)?;
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let offset = entry.r_offset(self.endian);
            let index = entry.r_sym(self.endian);
            let fail = |reason: String| ParseError::DataRelocation {
                section: target.name.clone(),
                offset,
                symbol: index,
                reason,
            };
            let symbol = symbols
                .get(index as usize)
                .filter(|_| index != 0)
                .ok_or_else(|| fail("no such symbol".to_string()))?;
            if offset.checked_add(8).is_none_or(|end| end > target.size) {
                return Err(fail(format!(
                    "8 bytes at this offset do not fit in the section's {} bytes",
                    target.size
                )));
            }
            out.push(DataRelocation {
                offset,
                symbol: symbol.clone(),
            });
        }
        Ok(out)
    }

    /// The entries of a REL section, after checking that its `sh_link` names the
    /// symbol table (the one place both code and data relocations are read from).
    fn rel_entries(
        &self,
        rel_section: &Section,
        symtab_index: SectionIndex,
    ) -> Result<&'data [<Elf as FileHeader>::Rel], ParseError> {
        let header = self.header(rel_section.index)?;
        let Some((entries, link)) = header
            .rel(self.endian, self.bytes)
            .map_err(|e| malformed(format!("section \"{}\"", rel_section.name), e))?
        else {
            return Ok(&[]);
        };
        if link != symtab_index {
            return Err(ParseError::RelocationSymbolTable {
                section: rel_section.name.clone(),
                link: header.sh_link(self.endian),
            });
        }
        Ok(entries)
    }

    fn header(
        &self,
        index: usize,
    ) -> Result<&'data <Elf as FileHeader>::SectionHeader, ParseError> {
        self.table
            .section(SectionIndex(index))
            .map_err(|e| malformed(format!("section {index}"), e))
    }

    fn data(&self, section: &Section) -> Result<&'data [u8], ParseError> {
        self.header(section.index)?
            .data(self.endian, self.bytes)
            .map_err(|e| malformed(format!("section \"{}\"", section.name), e))
    }

    fn sections(&self) -> Result<Vec<Section>, ParseError> {
        let mut sections = Vec::with_capacity(self.table.len());
        for (index, header) in self.table.enumerate() {
            let name = self
                .table
                .section_name(self.endian, header)
                .map_err(|e| malformed(format!("name of section {}", index.0), e))?;
            let name = checked_name(name, || format!("name of section {}", index.0))?;
            let role = SectionRole::classify(
                &name,
                header.sh_type(self.endian).0,
                header.sh_flags(self.endian).0,
                header.sh_info(self.endian),
            );
            sections.push(Section {
                index: index.0,
                name,
                role,
                size: header.sh_size(self.endian),
            });
        }
        Ok(sections)
    }

    fn symbols(
        &self,
        symtab: &SymbolTable<'data, Elf, &'data [u8]>,
        sections: &[Section],
    ) -> Result<Vec<SymbolRef>, ParseError> {
        let mut symbols = Vec::with_capacity(symtab.len());
        for (index, symbol) in symtab.enumerate() {
            use object::read::elf::Sym;
            let what = || format!("symbol #{}", index.0);
            let name = symtab
                .symbol_name(self.endian, symbol)
                .map_err(|e| malformed(what(), e))?;
            let mut name = checked_name(name, what)?;
            let shndx = symbol.st_shndx(self.endian);
            let section = match shndx {
                elf::SHN_UNDEF => SymbolSection::Undefined,
                elf::SHN_ABS => SymbolSection::Absolute,
                elf::SHN_COMMON => SymbolSection::Common,
                _ => {
                    let found = symtab
                        .symbol_section(self.endian, symbol, SymbolIndex(index.0))
                        .map_err(|e| malformed(what(), e))?;
                    match found.and_then(|i| sections.get(i.0)) {
                        Some(s) => SymbolSection::Defined {
                            index: s.index,
                            name: s.name.clone(),
                            role: s.role.clone(),
                        },
                        None => {
                            return Err(ParseError::Malformed {
                                what: format!("symbol \"{name}\" (#{})", index.0),
                                reason: format!(
                                    "section index {shndx} does not exist (the object has {} sections)",
                                    sections.len()
                                ),
                            });
                        }
                    }
                }
            };
            let kind = SymbolKind::from_st_type(symbol.st_type().0);
            if name.is_empty() && kind == SymbolKind::Section {
                if let SymbolSection::Defined { name: section, .. } = &section {
                    name = section.clone();
                }
            }
            symbols.push(SymbolRef {
                index: index.0,
                name,
                kind,
                section,
                value: symbol.st_value(self.endian),
                size: symbol.st_size(self.endian),
                global: matches!(symbol.st_bind(), elf::STB_GLOBAL | elf::STB_WEAK),
                weak: symbol.st_bind() == elf::STB_WEAK,
            });
        }
        Ok(symbols)
    }

    /// Refuses RELA sections aimed at code: BPF objects never have one, and reading
    /// one as REL would patch the wrong values.
    fn refuse_rela_for_code(&self, sections: &[Section]) -> Result<(), ParseError> {
        for (index, header) in self.table.enumerate() {
            if header.sh_type(self.endian) != elf::SHT_RELA {
                continue;
            }
            let target = header.sh_info(self.endian) as usize;
            if sections.get(target).is_some_and(|s| s.role.is_code()) {
                return Err(ParseError::RelaNotSupported {
                    section: sections
                        .get(index.0)
                        .map(|s| s.name.clone())
                        .unwrap_or_default(),
                });
            }
        }
        Ok(())
    }

    /// Decodes one code section, cuts it into functions and attaches its relocations.
    fn code_section(
        &self,
        section: &Section,
        functions: Vec<FunctionSymbol>,
        rel_sections: &[&Section],
        symbols: &[SymbolRef],
        symtab_index: SectionIndex,
    ) -> Result<Vec<Program>, ParseError> {
        let data = self.data(section)?;
        if data.len() % bpf_sys::Insn::SIZE != 0 {
            return Err(ParseError::CodeSectionSize {
                section: section.name.clone(),
                size: data.len() as u64,
            });
        }
        let insns = decode_insns(data, self.byte_order);
        let mut programs = if functions.is_empty() && section.role == SectionRole::Programs {
            // Hand-written code without function symbols: the section is the program.
            let whole = FunctionSymbol {
                name: String::new(),
                offset: 0,
                size: data.len() as u64,
                global: true,
            };
            if data.is_empty() {
                Vec::new()
            } else {
                split_functions(&section.name, section.index, &insns, vec![whole])?
            }
        } else {
            split_functions(&section.name, section.index, &insns, functions)?
        };

        // Programs come back in offset order and do not overlap, so the one holding
        // an instruction is found by binary search.
        for rel_section in rel_sections {
            for (section_insn, reloc) in
                self.relocations(rel_section, section, &insns, symbols, symtab_index)?
            {
                let after = programs.partition_point(|p| p.first_insn() <= section_insn);
                let Some(program) = after.checked_sub(1).and_then(|i| programs.get_mut(i)) else {
                    continue;
                };
                let first = program.first_insn();
                if section_insn < first + program.insns.len() {
                    program.relocations.push(Relocation {
                        insn_index: section_insn - first,
                        ..reloc
                    });
                }
            }
        }
        for program in &mut programs {
            program.relocations.sort_by_key(|r| r.insn_index);
        }
        Ok(programs)
    }

    /// Reads the entries of one REL section for a code section, checking each one:
    /// on an instruction, naming an existing symbol, at an `ld_imm64` (with its second
    /// half) or a call. Returns (instruction index in the section, relocation).
    fn relocations(
        &self,
        rel_section: &Section,
        code: &Section,
        insns: &[bpf_sys::Insn],
        symbols: &[SymbolRef],
        symtab_index: SectionIndex,
    ) -> Result<Vec<(usize, Relocation)>, ParseError> {
        let entries = self.rel_entries(rel_section, symtab_index)?;
        let section_size = insns.len() as u64 * bpf_sys::Insn::SIZE as u64;
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let offset = entry.r_offset(self.endian);
            let sym_index = entry.r_sym(self.endian);
            let symbol = symbols
                .get(sym_index as usize)
                .filter(|_| sym_index != 0)
                .ok_or_else(|| ParseError::RelocationSymbol {
                    section: code.name.clone(),
                    offset,
                    index: sym_index,
                })?;
            let step = bpf_sys::Insn::SIZE as u64;
            let index = (offset / step) as usize;
            let insn = insns
                .get(index)
                .filter(|_| offset % step == 0)
                .ok_or_else(|| ParseError::RelocationOutOfBounds {
                    section: code.name.clone(),
                    symbol: symbol.name.clone(),
                    offset,
                    section_size,
                })?;
            if insn.is_ld_imm64() {
                if insns.get(index + 1).is_none() {
                    return Err(ParseError::RelocationTruncatedLdImm64 {
                        section: code.name.clone(),
                        symbol: symbol.name.clone(),
                        offset,
                    });
                }
            } else if insn.code != CALL_OPCODE {
                return Err(ParseError::RelocationInstruction {
                    section: code.name.clone(),
                    symbol: symbol.name.clone(),
                    offset,
                    code: insn.code,
                });
            }
            out.push((
                index,
                Relocation {
                    insn_index: index,
                    offset,
                    r_type: entry.r_type(self.endian).0,
                    symbol: symbol.clone(),
                },
            ));
        }
        Ok(out)
    }
}

fn checked_name(bytes: &[u8], what: impl Fn() -> String) -> Result<String, ParseError> {
    if bytes.len() > MAX_NAME_LEN {
        return Err(ParseError::Malformed {
            what: what(),
            reason: format!(
                "{} bytes long, more than the {MAX_NAME_LEN} allowed",
                bytes.len()
            ),
        });
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

fn defined_in(symbol: &SymbolRef, section_index: usize) -> bool {
    matches!(symbol.section, SymbolSection::Defined { index, .. } if index == section_index)
}
