//! `.BTF.ext`: per-section tables that tie instructions to BTF. Three tables:
//!
//! * **func_info**: for each function, its first instruction and its `FUNC` type;
//! * **line_info**: for instructions, the source file, line and column (the verifier
//!   prints these lines in its log);
//! * **core_relo**: CO-RE relocations, which this loader does not perform; they are
//!   read so that a program needing them is refused by name.
//!
//! In the file every record's `insn_off` is a byte offset in its ELF section; the
//! kernel wants instruction indices within the loaded program, which the loader
//! computes when it places functions (`plan`).

use crate::btf::error::BtfError;
use crate::btf::{Btf, read_preamble};
use crate::bytes::ByteOrder;
use crate::bytes::read_u32;

/// Smallest func_info record: `struct bpf_func_info` (insn_off, type_id).
pub const FUNC_INFO_SIZE: u32 = 8;
/// Smallest line_info record: `struct bpf_line_info`.
pub const LINE_INFO_SIZE: u32 = 16;
/// Smallest CO-RE relocation record: `struct bpf_core_relo`.
pub const CORE_RELO_SIZE: u32 = 16;

/// A function's first instruction and its `FUNC` type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncInfo {
    /// Byte offset of the function in its section.
    pub insn_off: u32,
    /// Id of the `FUNC` type.
    pub type_id: u32,
}

/// Where an instruction comes from in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineInfo {
    /// Byte offset of the instruction in its section.
    pub insn_off: u32,
    /// String offset of the source file name.
    pub file_name_off: u32,
    /// String offset of the source line's text.
    pub line_off: u32,
    /// Line number (upper 22 bits) and column (lower 10 bits).
    pub line_col: u32,
}

/// A CO-RE relocation: an access the loader would have to adapt to the running
/// kernel's types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoreRelo {
    /// Byte offset of the instruction in its section.
    pub insn_off: u32,
    /// The root type of the access.
    pub type_id: u32,
    /// String offset of the access specification ("0:1:2").
    pub access_str_off: u32,
    /// `enum bpf_core_relo_kind`.
    pub kind: u32,
}

/// The records of one ELF section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtSection<T> {
    /// The section's name (from the BTF string table).
    pub section: String,
    /// Its records, in file order.
    pub records: Vec<T>,
}

/// A parsed `.BTF.ext` section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BtfExt {
    /// func_info, per section.
    pub func_info: Vec<ExtSection<FuncInfo>>,
    /// line_info, per section.
    pub line_info: Vec<ExtSection<LineInfo>>,
    /// CO-RE relocations, per section.
    pub core_relos: Vec<ExtSection<CoreRelo>>,
}

impl BtfExt {
    /// Reads `.BTF.ext`; section names are looked up in `btf`'s strings.
    pub fn parse(data: &[u8], order: ByteOrder, btf: &Btf) -> Result<BtfExt, BtfError> {
        let header = |reason: String| BtfError::Header {
            section: ".BTF.ext",
            reason,
        };
        // func_info and line_info are in every header; core_relo came later.
        let (_flags, hdr_len) = read_preamble(data, order, ".BTF.ext", 24)?;
        let field = |at: usize| read_u32(data, at, order).map(|v| v as usize);
        let table = |off_at: usize, what: &'static str| -> Result<&[u8], BtfError> {
            if off_at + 8 > hdr_len {
                return Ok(&[]);
            }
            let (off, len) = (field(off_at).unwrap_or(0), field(off_at + 4).unwrap_or(0));
            hdr_len
                .checked_add(off)
                .and_then(|start| data.get(start..start.checked_add(len)?))
                .ok_or_else(|| {
                    header(format!(
                        "{what} table at offset {off} length {len} runs past the section's {} bytes",
                        data.len()
                    ))
                })
        };
        let func = table(8, "func_info")?;
        let line = table(16, "line_info")?;
        let core = table(24, "core_relo")?;
        let word = |rec: &[u8], i: usize| read_u32(rec, i * 4, order).unwrap_or(0);
        Ok(BtfExt {
            func_info: read_table(func, "func_info", FUNC_INFO_SIZE, order, btf, |r| {
                FuncInfo {
                    insn_off: word(r, 0),
                    type_id: word(r, 1),
                }
            })?,
            line_info: read_table(line, "line_info", LINE_INFO_SIZE, order, btf, |r| {
                LineInfo {
                    insn_off: word(r, 0),
                    file_name_off: word(r, 1),
                    line_off: word(r, 2),
                    line_col: word(r, 3),
                }
            })?,
            core_relos: read_table(core, "core_relo", CORE_RELO_SIZE, order, btf, |r| {
                CoreRelo {
                    insn_off: word(r, 0),
                    type_id: word(r, 1),
                    access_str_off: word(r, 2),
                    kind: word(r, 3),
                }
            })?,
        })
    }

    /// The func_info records of section `name`.
    pub fn func_info_of(&self, name: &str) -> &[FuncInfo] {
        records_of(&self.func_info, name)
    }

    /// The line_info records of section `name`.
    pub fn line_info_of(&self, name: &str) -> &[LineInfo] {
        records_of(&self.line_info, name)
    }

    /// The CO-RE relocations of section `name`.
    pub fn core_relos_of(&self, name: &str) -> &[CoreRelo] {
        records_of(&self.core_relos, name)
    }
}

fn records_of<'a, T>(sections: &'a [ExtSection<T>], name: &str) -> &'a [T] {
    sections
        .iter()
        .find(|s| s.section == name)
        .map_or(&[], |s| &s.records)
}

/// Reads one table: a record size, then for each section its name, a count and that
/// many records.
fn read_table<T>(
    table: &[u8],
    what: &'static str,
    min_size: u32,
    order: ByteOrder,
    btf: &Btf,
    decode: impl Fn(&[u8]) -> T,
) -> Result<Vec<ExtSection<T>>, BtfError> {
    if table.is_empty() {
        return Ok(Vec::new());
    }
    let fail = |offset: usize, reason: String| BtfError::Ext {
        table: what,
        offset,
        reason,
    };
    let rec_size = read_u32(table, 0, order)
        .ok_or_else(|| fail(0, "too short for the record size".to_string()))?;
    if rec_size < min_size || rec_size % 4 != 0 {
        return Err(fail(
            0,
            format!("record size {rec_size} is below {min_size} or not a multiple of 4"),
        ));
    }
    let rec_size = rec_size as usize;
    let mut sections = Vec::new();
    let mut offset = 4;
    while offset < table.len() {
        let (Some(name_off), Some(count)) = (
            read_u32(table, offset, order),
            read_u32(table, offset + 4, order),
        ) else {
            return Err(fail(offset, "section header cut short".to_string()));
        };
        let section = btf
            .string(name_off)
            .map_err(|e| fail(offset, format!("section name: {e}")))?
            .to_string();
        let start = offset + 8;
        let bytes = (count as usize)
            .checked_mul(rec_size)
            .filter(|&n| start.checked_add(n).is_some_and(|end| end <= table.len()))
            .ok_or_else(|| {
                fail(
                    offset,
                    format!(
                        "section \"{section}\": {count} records of {rec_size} bytes run past the table's {} bytes",
                        table.len()
                    ),
                )
            })?;
        let records = table
            .get(start..start + bytes)
            .unwrap_or_default()
            .chunks_exact(rec_size)
            .map(&decode)
            .collect();
        sections.push(ExtSection { section, records });
        offset = start + bytes;
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::BTF_MAGIC;
    use crate::btf::tests::blob;

    fn ext(func: &[u32], line: &[u32]) -> Vec<u8> {
        let func: Vec<u8> = func.iter().flat_map(|w| w.to_le_bytes()).collect();
        let line: Vec<u8> = line.iter().flat_map(|w| w.to_le_bytes()).collect();
        let mut out = Vec::new();
        out.extend_from_slice(&BTF_MAGIC.to_le_bytes());
        out.extend_from_slice(&[1, 0]);
        for word in [
            32u32,
            0,
            func.len() as u32,
            func.len() as u32,
            line.len() as u32,
            0,
            0,
        ] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&func);
        out.extend_from_slice(&line);
        out
    }

    fn strings() -> Btf {
        Btf::parse(&blob(&[], b"\0tc\0.text\0"), ByteOrder::Little).unwrap()
    }

    #[test]
    fn reads_records_per_section() {
        let btf = strings();
        let data = ext(
            &[8, 1, 1, 0, 5, 4, 2, 16, 6, 32, 7],
            &[16, 4, 1, 0, 1, 9, 100 << 10],
        );
        let parsed = BtfExt::parse(&data, ByteOrder::Little, &btf).unwrap();
        assert_eq!(
            parsed.func_info_of("tc"),
            [FuncInfo {
                insn_off: 0,
                type_id: 5
            }]
        );
        assert_eq!(parsed.func_info_of(".text").len(), 2);
        assert_eq!(parsed.func_info_of(".text")[1].insn_off, 32);
        assert_eq!(parsed.line_info_of(".text")[0].line_col >> 10, 100);
        assert!(parsed.core_relos.is_empty());
    }

    #[test]
    fn truncations_and_bad_counts_are_errors() {
        let btf = strings();
        let data = ext(
            &[8, 1, 1, 0, 5, 4, 2, 16, 6, 32, 7],
            &[16, 4, 1, 0, 1, 9, 5],
        );
        for len in 0..data.len() {
            // Cutting the section cuts a table short (or the header).
            assert!(
                BtfExt::parse(&data[..len], ByteOrder::Little, &btf).is_err(),
                "{len}"
            );
        }
        for bad in [
            ext(&[8, 1, u32::MAX, 0, 5], &[]),
            ext(&[4, 1, 1, 0, 5], &[]),
            ext(&[8, 99, 1, 0, 5], &[]),
        ] {
            assert!(BtfExt::parse(&bad, ByteOrder::Little, &btf).is_err());
        }
    }
}
